"""Results whose findings are built on first access equal the reference results exactly."""

from __future__ import annotations

import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.evaluation import _decide, _decide_codes, evaluate_reference
from fupin_rules.model import Finding

from .conftest import ROOT


def test_lazy_results_match_reference_on_the_sample(bundled: fr.Library) -> None:
    """On the sample households, outcome, outcomes and findings equal the reference path's."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    lines = (
        (ROOT / "examples" / "data" / "households.jsonl").read_text(encoding="utf-8").splitlines()
    )
    for line in lines[:300]:
        record = json.loads(line)
        fast = rs.evaluate(record)
        outcomes = fast.outcomes  # known before the findings are built
        reference = evaluate_reference(rs, record)
        assert fast.to_json() == reference.to_json()
        assert outcomes == tuple((f.criterion, f.outcome) for f in reference.findings)


def test_result_pickles_with_its_findings(bundled: fr.Library) -> None:
    """A lazily built result pickles (for process pools) and comes back equal."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    record = json.loads(
        (ROOT / "examples" / "data" / "households.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()[0]
    )
    result = rs.evaluate(record)
    again = pickle.loads(pickle.dumps(result))
    assert again == result
    assert again.to_json() == result.to_json()


@given(data=st.data())
def test_decision_from_codes_agrees_with_decision_from_findings(
    bundled: fr.Library, data: st.DataObject
) -> None:
    """Property: for every bundled rule set, the fast decision from outcome codes equals the
    reference decision from findings, for any pass/fail/not-applicable combination."""
    for rs in bundled:
        codes = data.draw(
            st.lists(
                st.sampled_from([0, 1, 2]), min_size=len(rs.criteria), max_size=len(rs.criteria)
            )
        )
        findings = tuple(
            Finding(
                criterion=c.id,
                label=c.label,
                group=c.group,
                severity=c.severity,
                outcome=("pass", "fail", "not_applicable")[code],
                message="",
                values={},
                sources=(),
            )
            for c, code in zip(rs.criteria, codes, strict=True)
        )
        assert _decide_codes(rs, codes) == _decide(rs, findings)[0]
