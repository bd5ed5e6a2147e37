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

from fupin_rules.progress import INTERVAL, Meter, meter

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
