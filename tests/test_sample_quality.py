"""The bundled sample data set is clean apart from the records it breaks on purpose."""

from __future__ import annotations

import json
from collections import Counter

import fupin_rules as fr

from .conftest import ROOT


def test_sample_only_fails_quality_checks_it_breaks_on_purpose(bundled: fr.Library) -> None:
    """Data-quality rules over the sample: no household fails a consistency check that the
    generator never breaks on purpose (e.g. exit before identification)."""
    rs = bundled.get("cn.record.quality", as_of="2018-11-20")
    path = ROOT / "examples" / "data" / "households.jsonl"
    failed: Counter[str] = Counter()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            for f in rs.evaluate(json.loads(line)).findings:
                if f.outcome == "fail":
                    failed[f.criterion] += 1
    assert failed["exit_after_identification"] == 0
    assert failed["check_digit"] == 0
    assert sum(failed.values()) == 0, failed
