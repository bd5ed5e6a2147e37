"""Smoke test of the benchmark runner (no timing assertions: figures depend on the machine)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT))


def test_quick_benchmark_runs_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner writes its figures and leaves nothing in the temporary folder: not its
    inputs and outputs, not the workers' folders (of rule files, of results)."""
    pytest.importorskip("numpy", reason="the benchmarks need the bench extra")
    from benchmarks import run

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # this process and forked workers
    monkeypatch.setenv("TMPDIR", str(scratch))  # spawned workers and subprocesses
    out = tmp_path / "latest.json"
    assert run.main(["--quick", "--rss", "100,200", "-o", str(out)]) == 0
    assert sorted(p.name for p in scratch.iterdir()) == []
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["agreement_handwritten_vs_engine_disagreements"] == 0
    assert figures["jobs"]["identical_bytes"] is True
    assert set(figures["row"]) >= {"handwritten", "engine_full_findings"}
    assert "hand-written Python function" in capsys.readouterr().out
