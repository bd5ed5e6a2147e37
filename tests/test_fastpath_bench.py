"""Smoke test of the benchmark runner (no timing assertions: figures depend on the machine)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT))


def test_quick_benchmark_runs_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("numpy", reason="the benchmarks need the bench extra")
    from benchmarks import run

    out = tmp_path / "latest.json"
    assert run.main(["--quick", "--rss", "100,200", "-o", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["agreement_handwritten_vs_engine_disagreements"] == 0
    assert figures["jobs"]["identical_bytes"] is True
    assert set(figures["row"]) >= {"handwritten", "engine_full_findings"}
    assert "hand-written Python function" in capsys.readouterr().out
