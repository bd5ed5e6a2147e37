"""The command line on a Chinese Windows console: GBK output without a crash, and a file held
open by Excel or WPS named in Chinese (issue 18)."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fupin_rules.cli import main
from fupin_rules.console import prepare
from fupin_rules.io import files

from .conftest import ROOT

HOUSEHOLDS = ROOT / "tests" / "golden" / "households.jsonl"
EXPLAIN = ["explain", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(HOUSEHOLDS)]


def _cli(*argv: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run(
        [sys.executable, "-m", "fupin_rules.cli", *argv],
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_explain_writes_gbk_with_replacement_marks() -> None:
    """With a GBK console (``PYTHONIOENCODING=gbk``, what ``> file.txt`` gives on Chinese
    Windows) explain exits 0 and writes valid GBK, ✓ as √ and the Chinese intact."""
    done = _cli(*EXPLAIN, encoding="gbk")
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    text = done.stdout.decode("gbk")  # strict: every byte is GBK
    assert "√ [八有] 有稳定收入来源且吃穿不愁: 达标" in text
    assert "✓" not in text
    utf8 = _cli(*EXPLAIN, encoding="utf-8").stdout.decode("utf-8")
    assert utf8.replace("✓", "√").replace("✗", "×") == text


def test_usage_errors_and_help_in_gbk() -> None:
    """Messages on standard error and ``--help`` come out in GBK too."""
    done = _cli("evaluate", "-s", "gx.household.exit", str(HOUSEHOLDS), encoding="gbk")
    assert done.returncode == 2
    assert "请给出 --as-of" in done.stderr.decode("gbk")
    assert _cli("explain", "--help", encoding="gbk").stdout.decode("gbk").count("✓") == 0


def test_ascii_console_falls_back_to_question_marks() -> None:
    """Where even √ is missing (ASCII), the character becomes ``?``, never a crash."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    prepare(stream).write("✓ ok ✗\n")
    stream.flush()
    assert raw.getvalue() == b"? ok ?\n"


def test_utf8_stream_is_left_alone() -> None:
    """A UTF-8 stream keeps its strict error handling."""
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert prepare(stream).errors == "strict"


@pytest.mark.parametrize("winerror", [None, 32])
def test_output_held_open_by_excel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winerror: int | None
) -> None:
    """Replacing an output another program holds (access denied, or Windows' sharing
    violation) exits 4 with a Chinese message saying to close Excel or WPS; the old file
    stays as it was."""
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"old")

    def held(src: Any, dst: Any) -> None:
        exc = PermissionError(errno.EACCES, "Permission denied", str(dst))
        if winerror is not None:
            exc.winerror = winerror  # type: ignore[attr-defined]
        raise exc

    monkeypatch.setattr(files.os, "replace", held)
    err = io.StringIO()
    argv = ["evaluate", *EXPLAIN[1:5], str(HOUSEHOLDS), "-o", str(out)]
    code = main(argv, out=io.StringIO(), err=err)
    assert code == 4
    assert "文件可能正在被 Excel 或 WPS 打开, 请关闭后重试" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert out.read_bytes() == b"old"
