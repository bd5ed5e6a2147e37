"""The promises of shared/reliability.md that cut across modules: determinism whatever the
hash seed, isolation of records, conservation of lines."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fupin_rules as fr

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "data" / "households.jsonl"


def _evaluate_bytes(tmp_path: Path, seed: str, jobs: str = "1") -> bytes:
    exe = shutil.which("fupin-rules")
    if exe is None:
        pytest.skip("the fupin-rules console script is not installed")
    head = tmp_path / "head.jsonl"
    if not head.exists():
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:400]
        head.write_text("\n".join(lines) + "\n{not json\n", encoding="utf-8")
    out = tmp_path / f"out-{seed}-{jobs}.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [
            exe,
            "evaluate",
            "-s",
            "gx.household.exit",
            "--as-of",
            "2018-11-20",
            "--jobs",
            jobs,
            str(head),
            "-o",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def test_output_is_byte_identical_whatever_the_hash_seed_and_jobs(tmp_path: Path) -> None:
    """P3: the same rules and records give the same bytes under different hash seeds and
    worker counts."""
    first = _evaluate_bytes(tmp_path, "1")
    assert _evaluate_bytes(tmp_path, "12345") == first
    assert _evaluate_bytes(tmp_path, "7", jobs="2") == first
    assert first.count(b"\n") == 401  # P1: one line out per record line in, the bad one included


def test_evaluation_leaves_every_record_unchanged(bundled: fr.Library) -> None:
    """P5: hashing each sample record before and after evaluation under every bundled
    household rule set gives the same digest."""
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:200]]
    before = [hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest() for r in records]
    kept = copy.deepcopy(records)
    for rs in bundled:
        if rs.subject != "household":
            continue
        for record in records:
            result = rs.evaluate(record, as_of="2018-11-20")
            result.to_json()  # build every finding too
    after = [hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest() for r in records]
    assert after == before
    assert records == kept


def test_python_api_results_are_reproducible_across_processes(tmp_path: Path) -> None:
    """Two fresh interpreters with different hash seeds give the same fingerprint and result."""
    code = (
        "import json, fupin_rules as fr\n"
        "rs = fr.load_library().get('gx.household.exit', as_of='2018-11-20')\n"
        f"line = open({str(SAMPLE)!r}, encoding='utf-8').readline()\n"
        "print(rs.fingerprint); print(rs.evaluate(json.loads(line)).to_json())\n"
    )
    outputs = []
    for seed in ("0", "999"):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
