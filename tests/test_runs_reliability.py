"""Runs that nothing can crash, hang or silently shorten (P1, P3 and P6 of reliability.md).

Bad bytes, lone surrogates, a bug hit by one record, a worker killed under its unit, a full
disk, a run killed or terminated: each gives one result line per input line, or, for files, a
named error with the old output left as it was; never a traceback, a hang or a half file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules import cli_options, parallel
from fupin_rules.cli import main
from fupin_rules.io import files, inputs, jsonl
from fupin_rules.io.files import atomic_output, scratch_folder

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "data" / "households.jsonl"
SAMPLE_LINES = SAMPLE.read_text(encoding="utf-8").splitlines()
DAY = ["-s", "gx.household.exit", "--as-of", "2018-11-20"]

fcntl = pytest.importorskip("fcntl")
forking = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="the injected faults reach the workers by fork",
)


@pytest.fixture(scope="module")
def rs() -> fr.RuleSet:
    return fr.load_library().get("gx.household.exit", as_of="2018-11-20")


@pytest.fixture(scope="module")
def spec(rs: fr.RuleSet) -> parallel.RuleSetSpec:
    return parallel.RuleSetSpec.of(rs, as_of="2018-11-20")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _evaluate(
    spec: parallel.RuleSetSpec, path: Path, *, jobs: int = 1, block_bytes: int = 1 << 18
) -> tuple[list[str], parallel.Tally]:
    out = io.StringIO()
    tally = parallel.evaluate_parallel(spec, [str(path)], out, jobs=jobs, block_bytes=block_bytes)
    return out.getvalue().split("\n")[:-1], tally


# --------------------------------------------------------------------------- every line counted

_BAD = {
    "gbk": (b'{"household_id": "' + "贫困户".encode("gbk") + b'"}', "不是 UTF-8 编码"),
    "json": (b'{"household_id": "4501", ', "不是有效的 JSON"),
    "huge": (b'"' + b"x" * 6_000 + b'"', "行过长 (600"),  # its end counted too
    "huger": (b'"' + b"x" * 30_000 + b'"', "行过长 (超过 5000 字符)"),
    "deep": (
        SAMPLE_LINES[0][:-1].encode() + b', "extra": ' + b"[" * 500 + b"]" * 500 + b"}",
        "嵌套层数过多 (501 层, 至多 64 层)",
    ),
}
"""Lines that are not records, and how their reason starts."""

_SURROGATE = json.loads(SAMPLE_LINES[0]) | {"head_name": "\ud800杨", "household_id": "\udfff1"}

_KINDS = st.one_of(
    st.tuples(st.just("record"), st.integers(0, 40)),
    st.tuples(st.sampled_from(sorted(_BAD)), st.just(0)),
    st.tuples(st.just("surrogate"), st.just(0)),
    st.tuples(st.just("blank"), st.sampled_from([0, 1])),
)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(_KINDS, max_size=14),
    ends=st.sampled_from(["\n", "\r\n"]),
    block_bytes=st.sampled_from([64, 5_000, 1 << 18]),
)
def test_every_line_gives_its_result_and_is_counted(
    spec: parallel.RuleSetSpec, kinds: list[tuple[str, int]], ends: str, block_bytes: int
) -> None:
    """P1 with bad lines injected anywhere: one output line per non-blank input line, in
    order, with its line number; every bad line rejected with its reason, every other line
    evaluated; read = evaluated + rejected + blank."""
    data = b""
    expected: list[tuple[str, Any]] = []  # per non-blank line: "ok" or the reason's start
    for number, (kind, i) in enumerate(kinds, start=1):
        if kind == "record":
            raw, want = SAMPLE_LINES[i].encode(), "ok"
        elif kind == "surrogate":
            raw, want = json.dumps(_SURROGATE).encode(), "ok"
        elif kind == "blank":
            raw, want = b" " * i, None
        else:
            raw, want = _BAD[kind]
        data += raw + ends.encode()
        if want is not None:
            expected.append((f"x.jsonl:{number}", want))
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setattr(jsonl, "MAX_LINE", 5_000)  # the sample's lines are up to 3,991 characters
        path = Path(folder) / "x.jsonl"
        path.write_bytes(data)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            lines, tally = _evaluate(spec, Path("x.jsonl"), block_bytes=block_bytes)
        finally:
            os.chdir(cwd)
    results = [json.loads(line) for line in lines]
    assert [r["source"] for r in results] == [source for source, _ in expected]
    for result, (_, want) in zip(results, expected, strict=True):
        reasons = result["reasons"]
        if want == "ok":
            assert "findings" in result
            assert not any(r.startswith(("不是", "行过长", "嵌套")) for r in reasons)
        else:
            assert result["outcome"] == "invalid"
            assert reasons[0].startswith(want), reasons
    blank = sum(1 for kind, _ in kinds if kind == "blank")
    bad = sum(1 for _, want in expected if want != "ok")
    assert (tally.read, tally.blank, tally.rejected, tally.unreadable) == (
        len(kinds),
        blank,
        bad,
        bad,
    )
    assert tally.evaluated == len(expected) - bad
    assert tally.read == tally.evaluated + tally.rejected + tally.blank
    assert tally.errors == 0


def test_the_summary_counts_every_line(tmp_path: Path) -> None:
    """A bad byte 300 lines into a 1,000-line file rejects that line only (it used to end the
    file there, silently, with exit 0): the summary counts all 1,000."""
    lines = [line.encode() for line in (SAMPLE_LINES * 2)[:1_000]]
    lines[299] = _BAD["gbk"][0]
    lines[600] = b""
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "r.jsonl"
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert code == 0
    results = out.read_text(encoding="utf-8").splitlines()
    assert len(results) == 999
    assert json.loads(results[299])["source"] == f"{path}:300"
    assert json.loads(results[-1])["source"] == f"{path}:1000"
    assert "读入 1000 行: 评估 998 条记录, 拒收 1 行, 空行 1 行; 结果: " in err


# --------------------------------------------------------------------------- lone surrogates


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _string_paths(item, (*path, i))
    elif isinstance(value, str):
        yield path


def _put(record: Any, path: tuple[Any, ...], text: str) -> None:
    for step in path[:-1]:
        record = record[step]
    record[path[-1]] = text


_ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=6),  # surrogates included
    st.sampled_from(["\ud800", "\udfff", "户\udc00", "\ud83d", "\ud83d\ude00"]),
)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_text_in_any_string_field_gives_one_valid_json_line(
    rs: fr.RuleSet, data: st.DataObject
) -> None:
    """Whatever text (lone surrogates too) stands in whatever string fields, the record gives
    exactly one line of valid JSON in valid UTF-8, with and without findings, and its id
    reads back as it was written."""
    record = json.loads(SAMPLE_LINES[data.draw(st.integers(0, 9))])
    paths = list(_string_paths(record))
    if not data.draw(st.booleans(), label="every string field"):
        paths = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=8, unique=True))
    texts = data.draw(st.lists(_ANY_TEXT, min_size=1, max_size=8))
    for i, path in enumerate(paths):
        _put(record, path, texts[i % len(texts)])
    line = json.dumps(record)  # a lone surrogate travels in JSON only as its escape
    for findings in (True, False):
        out, tally = parallel.unit_bytes(rs, ("f", 0, line + "\n", None), findings=findings)
        text = out.decode("utf-8")  # strict: these are UTF-8 bytes
        assert text.endswith("\n")
        assert text.count("\n") == 1
        result = json.loads(text)
        assert result["source"] == "f:1"
        assert result["record_id"] == record["household_id"]
        assert (tally.results, tally.errors) == (1, 0)


def test_a_lone_surrogate_is_written_as_its_escape(tmp_path: Path) -> None:
    """The line that crashed ``evaluate`` and lost its whole output: the record is evaluated
    and its surrogates written as escapes, so the file is UTF-8 and reads back exactly."""
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(_SURROGATE) + "\n" + SAMPLE_LINES[1] + "\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert code == 0, err
    data = out.read_bytes()
    assert b'"record_id":"\\udfff1"' in data
    first, second = (json.loads(line) for line in data.decode("utf-8").splitlines())
    assert first["record_id"] == "\udfff1"
    assert second["source"] == f"{path}:2"
    assert "读入 2 行: 评估 2 条记录, 拒收 0 行;" in err


# --------------------------------------------------------------------------- internal errors


def _with_boom(tmp_path: Path) -> Path:
    lines = SAMPLE_LINES[:5]
    boom = json.loads(lines[2])
    boom["household_id"] = "BOOM"
    lines[2] = json.dumps(boom, ensure_ascii=False)
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _boom_on(monkeypatch: pytest.MonkeyPatch, record_id: str) -> None:
    """Make evaluation raise, as a bug would, on the record with this id."""
    original = fr.RuleSet.evaluate

    def evaluate(self: fr.RuleSet, record: Any, *args: Any, **kwargs: Any) -> fr.Result:
        if isinstance(record, dict) and record.get("household_id") == record_id:
            raise ZeroDivisionError("division by zero")
        return original(self, record, *args, **kwargs)

    monkeypatch.setattr(fr.RuleSet, "evaluate", evaluate)


def test_an_internal_error_makes_its_record_invalid_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No traceback and no lost output: the record is ``invalid`` with 内部错误, the others
    are what they would be, the exit code is 3, and standard error names the record and says
    how to report it (the traceback with --debug)."""
    path = _with_boom(tmp_path)
    before = tmp_path / "before.jsonl"
    assert _run("evaluate", *DAY, str(path), "-o", str(before))[0] == 0
    _boom_on(monkeypatch, "BOOM")
    out = tmp_path / "out.jsonl"
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert code == 3
    got, want = out.read_text().splitlines(), before.read_text().splitlines()
    assert got[:2] + got[3:] == want[:2] + want[3:]
    boom = json.loads(got[2])
    assert (boom["outcome"], boom["record_id"], boom["source"]) == ("invalid", "BOOM", f"{path}:3")
    assert boom["reasons"] == [
        "内部错误: ZeroDivisionError: division by zero (这是 fupin-rules 的缺陷, 不是记录的问题; 请报告)"
    ]
    assert "评估 4 条记录, 拒收 1 行 (内部错误 1);" in err
    assert f"\n  {path}:3 (编号 BOOM): ZeroDivisionError: division by zero\n" in err
    assert "请报告给 fupin-rules 的维护者" in err
    assert "Traceback" not in err
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out), "--debug")
    assert code == 3
    assert "Traceback (most recent call last)" in err
    assert 'raise ZeroDivisionError("division by zero")' in err


@forking
def test_internal_errors_in_workers_come_back_as_in_one_job(
    spec: parallel.RuleSetSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bytes and the same tally, failures and their tracebacks included."""
    path = _with_boom(tmp_path)
    _boom_on(monkeypatch, "BOOM")
    one = _evaluate(spec, path, block_bytes=2_000)
    assert one == _evaluate(spec, path, jobs=2, block_bytes=2_000)
    assert [(f.source, f.record_id) for f in one[1].failures] == [(f"{path}:3", "BOOM")]


def test_an_internal_error_outside_evaluate_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli_options, "load_library", broken)
    code, _, err = _run("list")
    assert code == 3
    assert err.startswith("内部错误: RuntimeError: kaput\n这是 fupin-rules 的缺陷")
    assert "Traceback" not in err
    monkeypatch.setenv("FUPIN_RULES_DEBUG", "1")
    code, _, err = _run("list")
    assert code == 3
    assert err.startswith("Traceback (most recent call last)")


def test_nesting_is_limited_when_read(rs: fr.RuleSet) -> None:
    """A record nested deeper than NESTING is refused as it is read, the same in every
    process: nesting that the reader takes but the checks could not follow (about 500
    levels, depending on the stack) used to crash the run."""
    record = json.loads(SAMPLE_LINES[0])
    lines = [
        ("f:1", json.dumps(record | {"extra": json.loads("[" * 63 + "]" * 63)}), None),
        ("f:2", json.dumps(record | {"extra": json.loads("[" * 64 + "]" * 64)}), None),
        ("f:3", json.dumps(record | {"extra": json.loads("[" * 600 + "]" * 600)}), None),
    ]
    text, tally = parallel.evaluate_lines(rs, lines)
    results = [json.loads(line) for line in text.splitlines()]
    assert results[0]["outcome"] == "pass"
    assert results[1]["reasons"] == ["嵌套层数过多 (65 层, 至多 64 层)"]
    assert results[2]["reasons"] == ["嵌套层数过多 (601 层, 至多 64 层)"]
    assert (tally.unreadable, tally.errors) == (2, 0)


# --------------------------------------------------------------------------- killed workers


def _killing(monkeypatch: pytest.MonkeyPatch, marker: str, once: Path | None = None) -> None:
    """Make a worker SIGKILL itself (what the out-of-memory killer does) on the unit holding
    ``marker``: every time, or, with ``once``, the first time only."""
    original = parallel.unit_bytes

    def unit_bytes(rs: fr.RuleSet, unit: Any, **kwargs: Any) -> Any:
        text = (
            ""
            if isinstance(unit, inputs.Rows)
            else "".join(line or "" for _, line, _ in inputs.lines_of_unit(unit))
        )  # a block holds its text, a span its place in the file: read either way
        held = marker in text
        if held and (once is None or not once.exists()):
            if once is not None:
                once.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return original(rs, unit, **kwargs)

    monkeypatch.setattr(parallel, "unit_bytes", unit_bytes)


@pytest.fixture(scope="module")
def with_killer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = SAMPLE_LINES[:60]
    killer = json.loads(lines[31])
    killer["household_id"] = "KILL-ME"
    lines[31] = json.dumps(killer, ensure_ascii=False)
    path = tmp_path_factory.mktemp("kill") / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@forking
def test_a_worker_killed_once_loses_nothing(
    spec: parallel.RuleSetSpec,
    with_killer: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its unit (and those lost with the pool) run again: the bytes of one job."""
    want, tally = _evaluate(spec, with_killer, block_bytes=20_000)
    _killing(monkeypatch, "KILL-ME", once=tmp_path / "killed")
    got, got_tally = _evaluate(spec, with_killer, jobs=2, block_bytes=20_000)
    assert (tmp_path / "killed").exists()
    assert got == want
    assert got_tally == tally


@forking
def test_a_unit_that_kills_its_worker_twice_is_rejected_record_by_record(
    spec: parallel.RuleSetSpec, with_killer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a hang, never a lost line: each line of the unit is ``invalid`` naming the
    crash, every other line is what one job writes."""
    want, _ = _evaluate(spec, with_killer, block_bytes=20_000)
    unit = next(u for u in inputs.units([str(with_killer)], block_bytes=20_000) if "KILL" in u[2])
    sources = [source for source, _, _ in inputs.lines_of_unit(unit)]
    _killing(monkeypatch, "KILL-ME")
    got, tally = _evaluate(spec, with_killer, jobs=2, block_bytes=20_000)
    assert len(got) == len(want) == 60
    for line, wanted in zip(got, want, strict=True):
        result = json.loads(line)
        if result["source"] in sources:
            assert result["outcome"] == "invalid"
            assert "的工作进程两次异常终止" in result["reasons"][0]
        else:
            assert line == wanted
    assert (tally.crashed, tally.errors, tally.results) == (len(sources), 1, 60)
    assert tally.failures[0].source == f"{sources[0]} 至 {sources[-1]}"


# --------------------------------------------------------------------------- files


def test_a_full_disk_is_named_and_leaves_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_boom(tmp_path)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"old\n")

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert (code, err) == (
        4,
        f"错误: 无法写入 {out}: 磁盘空间已满 (ENOSPC); 原有的文件 (若有) 未改动\n",
    )
    assert out.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_is_named() -> None:
    full = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115 - its close fails too
    try:
        code = main(["evaluate", *DAY, str(SAMPLE)], out=full, err=(err := io.StringIO()))
    finally:
        with contextlib.suppress(OSError):
            full.close()
    assert code == 4
    assert err.getvalue() == "错误: 无法读写 标准输入或输出: 磁盘空间已满 (ENOSPC)\n"


def test_no_permission_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _with_boom(tmp_path)
    out = tmp_path / "out.jsonl"

    def refused(file: Any, *_: Any, **__: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    with monkeypatch.context() as mp:
        mp.setattr(files, "open", refused, raising=False)  # the module's open, not builtins'
        code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert (code, err) == (4, f"错误: 无法读取 {path}: 没有权限 (EACCES)\n")
    real_open = os.open

    def no_temp(file: Any, *args: Any, **kwargs: Any) -> int:
        if ".fupin-rules-" in str(file):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", no_temp)
    code, _, err = _run("evaluate", *DAY, str(path), "-o", str(out))
    assert (code, err) == (
        4,
        f"错误: 无法写入 {out}: 没有权限 (EACCES); 文件可能正在被 Excel 或 WPS 打开, 请关闭后重试;"
        " 原有的文件 (若有) 未改动\n",
    )
    assert not out.exists()


def test_outputs_get_the_mode_a_plain_write_gives(tmp_path: Path) -> None:
    """0666 less the umask for a new file (mkstemp's 0600 before); a file written over keeps
    its mode."""
    new, old = tmp_path / "new.jsonl", tmp_path / "old.jsonl"
    old.write_text("x\n")
    old.chmod(0o604)
    umask = os.umask(0o027)
    try:
        for target in (new, old):
            with atomic_output(target) as fh:
                fh.write("y\n")
    finally:
        os.umask(umask)
    assert (new.stat().st_mode & 0o777, old.stat().st_mode & 0o777) == (0o640, 0o604)
    assert old.read_text() == "y\n"


def _held(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield fd
    finally:
        os.close(fd)


def test_stale_temporary_files_are_removed_and_live_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temporary file or folder nobody holds (its run was SIGKILLed) is removed the next
    time the same output (or a folder of its kind) is made; one in use, or not named as
    fupin-rules names them, is kept."""
    out = tmp_path / "out.jsonl"
    stale = tmp_path / ".out.jsonl.fupin-rules-deadbeef.tmp"
    live = tmp_path / ".out.jsonl.fupin-rules-0badf00d.tmp"
    other = tmp_path / ".out.jsonl.deadbeef.tmp"
    for p in (stale, live, other):
        p.write_text("half a run\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    stale_dir = tmp_path / "tmp" / "fupin-rules-jobs-deadbeef"
    live_dir = tmp_path / "tmp" / "fupin-rules-jobs-0badf00d"
    for d in (stale_dir, live_dir):
        d.mkdir()
        (d / "x.jsonl").write_text("{}\n")
    with contextlib.contextmanager(_held)(live), contextlib.contextmanager(_held)(live_dir):
        with atomic_output(out) as fh:
            fh.write("new\n")
        with scratch_folder("jobs") as folder:
            assert folder.name.startswith("fupin-rules-jobs-")
            assert sorted(p.name for p in folder.parent.iterdir()) == sorted(
                [folder.name, live_dir.name]
            )
        assert not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, live.name, other.name, "tmp"]
    )
    assert out.read_text() == "new\n"


def _free(path: Path) -> bool:
    """Whether no process holds ``path`` locked any more."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _wait_for(condition: Callable[[], Any], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@forking
def test_a_killed_or_terminated_run_leaves_the_old_output_and_cleans_up(tmp_path: Path) -> None:
    """SIGKILL of ``evaluate -o`` with workers: the old output stays whole; the temporary
    file and folder it could not remove are free (its workers do not outlive it) and go with
    the next run. SIGTERM: exit 143, the old output whole, nothing left behind."""
    exe = shutil.which("fupin-rules")
    if exe is None:
        pytest.skip("the fupin-rules console script is not installed")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"old\n")
    env = {**os.environ, "TMPDIR": str(tmp)}
    head = ("\n".join(SAMPLE_LINES[:300]) + "\n").encode()  # three units, then more to come

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [exe, "evaluate", *DAY, "-j", "2", "-", "-o", str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert proc.stdin is not None
        proc.stdin.write(head)
        proc.stdin.flush()
        return proc

    def temps() -> list[Path]:
        return sorted(tmp_path.glob(".out.jsonl.fupin-rules-*.tmp"))

    def folders() -> list[Path]:
        return sorted(tmp.glob("fupin-rules-jobs-*"))

    with start() as proc:
        _wait_for(lambda: temps() and folders())
        proc.kill()
        proc.wait(timeout=60)
    assert out.read_bytes() == b"old\n"
    (stale,), (stale_folder,) = temps(), folders()
    _wait_for(lambda: _free(stale) and _free(stale_folder))

    with start() as proc:
        _wait_for(lambda: stale not in temps() and stale_folder not in folders())
        _wait_for(lambda: temps() and folders())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
        assert proc.stderr is not None
        assert "已终止 (SIGTERM)" in proc.stderr.read().decode("utf-8")
    assert out.read_bytes() == b"old\n"
    assert (temps(), folders()) == ([], [])
