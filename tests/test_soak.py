"""The soak run of benchmarks/soak.py, a few hundred lines of it: its hostile lines are made
as it says, the run's totals are conserved, and it leaves nothing in the temporary folder."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import pytest

from benchmarks import soak


def test_the_hostile_lines_are_what_their_kinds_say(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    counts = soak.make_input(path, 400)
    assert sum(counts.values()) == 400
    assert set(counts) <= {k for k, _, _ in soak.KINDS}
    lines = path.read_bytes().split(b"\n")[:-1]
    assert len(lines) == 400
    assert sum(not line.strip() for line in lines) == counts["blank"]
    assert sum(b"\xff\xfe" in line for line in lines) == counts["not_utf8"]
    valid = 0
    for line in lines:
        with contextlib.suppress(ValueError):
            valid += isinstance(json.loads(line), dict) and b"NaN" not in line
    assert valid >= counts["valid"]
    assert make_again(tmp_path) == path.read_bytes()  # deterministic


def make_again(tmp_path: Path) -> bytes:
    other = tmp_path / "again.jsonl"
    soak.make_input(other, 400)
    return other.read_bytes()


def test_a_short_soak_run_conserves_every_line_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    assert soak.main(["-n", "600", "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert "conservation: exact" in out
    assert list(scratch.iterdir()) == []
