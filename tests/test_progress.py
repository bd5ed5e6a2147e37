"""Progress on a terminal (issue 18): shown on a pseudo-terminal with a rate and a total, absent
when standard error is a pipe or with ``--quiet``, and never a byte of the output changed."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fupin_rules.io.tables import TableReader
from fupin_rules.progress import INTERVAL, SILENT, Meter, meter

from .conftest import ROOT

pty = pytest.importorskip("pty")  # POSIX only

sys.path.insert(0, str(ROOT))
from benchmarks.generate import households, to_line  # noqa: E402

EVALUATE = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 households, one JSON line each (about 1.4 MB)."""
    path = tmp_path_factory.mktemp("progress") / "in.jsonl"
    lines = [to_line(r) for r in households(1200, seed=11)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class _Run:
    """The command started in a subprocess, standard error on a pseudo-terminal or a pipe
    (drained by a thread, so that several runs go at once)."""

    def __init__(self, args: list[str], *, terminal: bool, stdin: Path | None = None) -> None:
        cmd = [sys.executable, "-m", "fupin_rules.cli", *args]
        self.chunks: list[bytes] = []
        source = stdin.open("rb") if stdin else subprocess.DEVNULL
        if terminal:
            main, secondary = pty.openpty()
            err: int = secondary
        else:
            main, err = os.pipe()
        self.proc = subprocess.Popen(cmd, stdin=source, stdout=subprocess.DEVNULL, stderr=err)
        os.close(err)
        if stdin:
            source.close()  # type: ignore[union-attr]
        self.reader = threading.Thread(target=self._drain, args=(main,))
        self.reader.start()

    def _drain(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other side closed (EIO on Linux)
                break
            if not chunk:
                break
            self.chunks.append(chunk)
        os.close(fd)

    def result(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=60)
        self.reader.join()
        return code, b"".join(self.chunks).decode("utf-8")


def test_progress_on_a_terminal_only_and_the_bytes_unchanged(data: Path, tmp_path: Path) -> None:
    """On a terminal (one job and two): the share of the input, the time left, records and
    条/秒; on a pipe and with --quiet: nothing; the results byte-identical in every run.
    Standard input: the count and the rate, no share and no time left."""
    runs = {
        name: _Run(
            [*quiet, *EVALUATE, str(data), "--jobs", jobs, "-o", str(tmp_path / name)],
            terminal=terminal,
        )
        for name, quiet, jobs, terminal in (
            ("tty", [], "1", True),
            ("tty2", [], "2", True),
            ("pipe", [], "1", False),
            ("quiet", ["--quiet"], "1", True),
        )
    }
    stdin = _Run([*EVALUATE, "-", "-o", os.devnull], terminal=True, stdin=data)
    errors = {}
    for name, run in runs.items():
        code, errors[name] = run.result()
        assert code == 0, errors[name]
    outputs = {(tmp_path / name).read_bytes() for name in runs}
    assert len(outputs) == 1
    summary = "评估 1200 条记录"
    for name in ("tty", "tty2"):
        shown = errors[name]
        assert "评估 " in shown
        assert "条/秒" in shown
        assert "剩余 " in shown  # a total: the file's size
        assert "%|" in shown  # the share done, counted in input bytes
        assert re.search(r"\d[\d,]* 条, [\d,]+ 条/秒", shown)  # records done, their rate
        # the line is cleared before the summary, which starts a clean line
        head, _, _ = shown.partition("gx.household.exit@2018")
        assert head.endswith("\r")
        assert head.split("\r")[-2].strip() == ""
        assert summary in shown
    for name in ("pipe", "quiet"):
        assert "\r" not in errors[name].replace("\r\n", "\n")
        assert "条/秒" not in errors[name]
        assert summary in errors[name]
    code, shown = stdin.result()
    assert code == 0, shown
    assert "条/秒" in shown
    assert "剩余" not in shown
    assert "%|" not in shown


class _Terminal(io.StringIO):
    encoding = "gbk"

    def isatty(self) -> bool:
        return True


def test_meter_draws_at_most_ten_times_a_second_and_clears_its_line() -> None:
    """A burst of updates draws once or twice, not once per update; close leaves a blank line
    end (``\\r``), and a console that is not UTF-8 gets an ASCII bar."""
    screen = _Terminal()
    with meter("评估", screen, total=100_000) as shown:
        assert shown.shown
        for _ in range(100_000):
            shown.advance()
    text = screen.getvalue()
    drawings = text.count("\r")
    assert drawings < 10  # 100,000 updates in well under a second
    assert text.endswith("\r")
    assert "█" not in text  # ASCII on a GBK console
    shown = meter("评估", screen, total=10)
    with pytest.raises(KeyboardInterrupt):
        _interrupted(shown)
    assert not shown.shown  # closed on the way out: nothing more is drawn
    assert screen.getvalue().endswith("\r")


def _interrupted(shown: Meter) -> None:
    with shown:
        shown.advance(3)
        raise KeyboardInterrupt


def test_meter_redraws_after_the_interval() -> None:
    """An update after :data:`INTERVAL` is drawn, with the records and their rate."""
    screen = _Terminal()
    shown = Meter("读取", screen)
    shown.advance(5)
    time.sleep(INTERVAL + 0.02)
    shown.advance(5)
    assert "10 条" in screen.getvalue()
    shown.close()


def test_no_meter_off_a_terminal_or_when_quiet() -> None:
    """A pipe or --quiet: nothing written, and the items handed back as they are."""
    pipe = io.StringIO()
    items = [1, 2, 3]
    silent = meter("评估", pipe, total=3)
    assert not silent.shown
    assert silent.track(items) is items
    assert meter("评估", _Terminal(), quiet=True).track(items) is items
    assert pipe.getvalue() == ""


def test_the_plans_outputs_show_progress_too(data: Path, tmp_path: Path) -> None:
    """``worklist`` (and ``adjust``, ``suspects``, ``summary``, ``villages``, which read and
    judge the same way) draws its reading and judging on a terminal, nothing on a pipe, and
    writes the same file either way."""
    args = ["worklist", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(data)]
    tty = _Run([*args, "-o", str(tmp_path / "tty.csv")], terminal=True)
    pipe = _Run([*args, "-o", str(tmp_path / "pipe.csv")], terminal=False)
    (tty_code, shown), (pipe_code, piped) = tty.result(), pipe.result()
    assert tty_code == pipe_code
    assert (tmp_path / "tty.csv").read_bytes() == (tmp_path / "pipe.csv").read_bytes()
    assert "条/秒" in shown
    assert "条/秒" not in piped
    assert "\r" not in piped.replace("\r\n", "\n")


# --------------------------------------------------------------------------- reading tables

HOUSEHOLD_CHECK = ["check", "--as-of", "2018-11-20"]


class _Screen(_Terminal):
    encoding = "utf-8"


def _table(count: int, seed: int) -> tuple[list[str], list[list[object]]]:
    """``count`` generated households as the national export's member rows."""
    import fupin_rules as fr
    from fupin_rules.io.commands import select_headermap
    from fupin_rules.io.tables import records_to_rows

    lib = fr.load_library()
    schema = lib.record_schemas["household"]
    return records_to_rows(
        households(count, seed=seed), select_headermap(lib, "household", None), schema
    )


def _xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def _reader(progress: Meter | None = None) -> TableReader:
    import fupin_rules as fr
    from fupin_rules.io.commands import select_headermap

    lib = fr.load_library()
    hm = select_headermap(lib, "household", None)
    if progress is None:
        return TableReader(hm, lib.record_schemas["household"])
    return TableReader(hm, lib.record_schemas["household"], progress=progress)


def _drawn(text: str, label: str) -> list[tuple[int | None, int]]:
    """The (share in percent or None, rows) of every drawing of the step ``label``."""
    found = []
    for line in text.split("\r"):
        m = re.match(
            rf"{label} +(?:(\d+)%\|[^|]*\| )?\[用时 [^,]+(?:, 剩余 [^,]+)?, ([\d,]+) 行", line
        )
        if m:
            found.append((None if m[1] is None else int(m[1]), int(m[2].replace(",", ""))))
    return found


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[list[object]]]:
    """Twelve households' member rows."""
    return _table(12, seed=3)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_table_is_counted_row_by_row_before_its_first_household(
    kind: str,
    table: tuple[list[str], list[list[object]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the first household comes out, the meter has already shown the sheet's (or the
    CSV file's) rows being read, one by one up to all of them against the sheet's dimension
    (the file's lines), and then being grouped into households; then the phase's own line
    (its label, no count yet) is back."""
    monkeypatch.setattr("fupin_rules.progress.INTERVAL", 0.0)  # every advance drawn
    headers, rows = table
    write = _xlsx if kind == "xlsx" else _csv
    path = write(tmp_path / f"t.{kind}", headers, rows)
    screen = _Screen()
    shown = Meter("读取", screen)
    items = _reader(shown).read_file(path)
    assert screen.getvalue().count("行") == 0  # nothing read before the first item is asked
    first = next(items)
    text = screen.getvalue()
    read = _drawn(text, "读取")
    assert read[0] == (0, 0)
    assert read[-1] == (100, len(rows) + 1)  # the header row and every member row
    counts = [n for _, n in read]
    assert counts == sorted(counts)
    assert set(range(len(rows) + 2)) <= set(counts)  # each row counted as it was read
    grouped = _drawn(text, "归户")
    assert grouped[0] == (0, 0)
    assert grouped[-1] == (100, len(rows))  # every data row converted and in its household
    assert text.index("归户") > text.rindex("读取 100%")
    assert text.rstrip().endswith("读取 [用时 00:00, 0 条, 0 条/秒]")  # the phase again
    assert (shown.label, shown.unit, shown.records, shown.total) == ("读取", "条", 0, None)
    assert first.ok
    rest = list(items)
    assert sum(i.rows for i in (first, *rest)) == len(rows)
    shown.close()


def test_a_sheets_dimension_is_an_expectation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dimension that is one cell (written so by some programs) gives no total; one that
    says fewer rows than the sheet has is dropped once passed: no share stuck at 100%."""
    import zipfile

    monkeypatch.setattr("fupin_rules.progress.INTERVAL", 0.0)

    headers, rows = _table(4, seed=5)
    good = _xlsx(tmp_path / "good.xlsx", headers, rows)
    sheet = "xl/worksheets/sheet1.xml"
    for name, ref in (("cell", b"A1"), ("short", b"A1:B3")):
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(tmp_path / f"{name}.xlsx", "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == sheet:
                    data = re.sub(
                        rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', data
                    )
                dst.writestr(info, data)
    for name, first in (("cell", None), ("short", 0)):
        screen = _Screen()
        with Meter("读取", screen) as shown, _reader().reporting(shown) as reader:
            list(reader.read_file(tmp_path / f"{name}.xlsx"))
            read = _drawn(screen.getvalue(), "读取")
        assert read[0][0] == first
        assert read[-1] == (None, len(rows) + 1)


def test_reading_tables_draws_nothing_when_progress_is_off(
    table: tuple[list[str], list[list[object]]], tmp_path: Path
) -> None:
    """Off a terminal (a pipe) or with --quiet the meter is silent: reading writes nothing,
    and the records are those read without a meter."""
    headers, rows = table
    for path in (
        _xlsx(tmp_path / "t.xlsx", headers, rows),
        _csv(tmp_path / "t.csv", headers, rows),
    ):
        plain = list(_reader().read_file(path))
        for shown in (meter("读取", io.StringIO()), meter("读取", _Screen(), quiet=True)):
            assert shown is SILENT
            assert list(_reader(shown).read_file(path)) == plain
        pipe = io.StringIO()
        with meter("读取", pipe) as shown, _reader().reporting(shown) as reader:
            assert list(reader.read_file(path)) == plain
        assert pipe.getvalue() == ""


@pytest.fixture(scope="module")
def sheets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """300 households' member rows as an XLSX and a CSV file."""
    folder = tmp_path_factory.mktemp("sheets")
    headers, rows = _table(300, seed=7)
    return _xlsx(folder / "in.xlsx", headers, rows), _csv(folder / "in.csv", headers, rows)


def test_commands_show_the_rows_of_a_table_as_they_are_read(
    sheets: tuple[Path, Path], tmp_path: Path
) -> None:
    """``check`` on a workbook and ``evaluate`` on a CSV file: on a terminal the rows read and
    grouped (读取, 归户, 行/秒, the share), then the command's own phase; on a pipe or with
    --quiet nothing; the output files the same bytes in every run."""
    xlsx, csv_file = sheets
    commands = {
        "check": ([*HOUSEHOLD_CHECK, str(xlsx)], ".md"),
        "evaluate": ([*EVALUATE, str(csv_file)], ".jsonl"),
    }
    runs = {}
    for command, (args, suffix) in commands.items():
        for name, quiet, terminal in (
            ("tty", [], True),
            ("pipe", [], False),
            ("quiet", ["--quiet"], True),
        ):
            out = tmp_path / f"{command}-{name}{suffix}"
            runs[command, name] = (_Run([*quiet, *args, "-o", str(out)], terminal=terminal), out)
    for command in commands:
        outputs = set()
        for name in ("tty", "pipe", "quiet"):
            run, out = runs[command, name]
            code, shown = run.result()
            assert code in (0, 1), shown
            outputs.add(out.read_bytes())
            if name == "tty":
                assert "行/秒" in shown
                assert _drawn(shown, "读取")[0] == (0, 0)  # a total from the start
                assert _drawn(shown, "归户")
                phase = "检查" if command == "check" else "评估"
                assert shown.rindex(phase) > shown.rindex("归户")
            else:
                assert "行/秒" not in shown
                assert "\r" not in shown.replace("\r\n", "\n")
        assert len(outputs) == 1


def test_verify_and_explain_show_their_reading_off_the_terminal_output(
    data: Path, tmp_path: Path
) -> None:
    """``verify`` (its output sent elsewhere) draws 核对 with a rate on a terminal, and
    ``explain`` its reading; nothing on a pipe; the same exit code either way."""
    results = tmp_path / "r.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "fupin_rules.cli", *EVALUATE, str(data), "-o", str(results)],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    verify = ["verify", str(results), str(data)]
    explain = ["explain", "-s", "gx.household.exit", "--as-of", "2018-11-20", "--limit", "1200"]
    runs = [
        (_Run(verify, terminal=True), _Run(verify, terminal=False), "核对"),
        (
            _Run([*explain, str(data)], terminal=True),
            _Run([*explain, str(data)], terminal=False),
            "读取",
        ),
    ]
    for tty, pipe, label in runs:
        (tty_code, shown), (pipe_code, piped) = tty.result(), pipe.result()
        assert tty_code == pipe_code
        assert label in shown
        assert "条/秒" in shown
        assert "条/秒" not in piped
        assert "\r" not in piped.replace("\r\n", "\n")
