"""Results read back, the parameter values findings cite, and what a failed test would take."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._canonical import digest

from .conftest import ROOT

SAMPLE = [
    json.loads(line, parse_float=Decimal)
    for line in (ROOT / "examples" / "data" / "households.jsonl")
    .read_text("utf-8")
    .splitlines()[:200]
]


@pytest.fixture(scope="module")
def rs(bundled: fr.Library) -> fr.RuleSet:
    return bundled.get("gx.household.exit", as_of="2018-11-20")


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, len(SAMPLE) - 1), brief=st.booleans(), drop=st.integers(0, 30))
def test_results_read_back_exactly(bundled: fr.Library, index: int, brief: bool, drop: int) -> None:
    """``Result.from_json(r.to_json())`` writes the same JSON again, full or brief, for
    records with fields missing (unknown criteria), per-item findings and parameters fixed."""
    record: dict[str, Any] = dict(SAMPLE[index])
    for key in sorted(record)[drop : drop + 2]:
        record.pop(key)
    for standard in ("gx.household.exit", "cn.record.quality"):
        rs = bundled.get(standard, as_of="2018-11-20")
        for r in (rs.evaluate(record, source="x:1"), rs.evaluate("not a record")):
            line = r.to_json(findings=not brief)
            again = fr.Result.from_json(line)
            assert again.to_json(findings=not brief) == line
            if not brief:
                assert again == r
                assert fr.Result.from_dict(r.to_dict()).to_json() == line
    fixed = bundled.get("gx.household.exit", as_of="2018-11-20").with_parameters(
        {"income_line": "3535"}
    )
    r = fixed.evaluate(record)
    assert r.parameters == {"income_line": 3535}
    assert fr.Result.from_json(r.to_json()).to_json() == r.to_json()


def test_result_names_its_input_and_library(rs: fr.RuleSet) -> None:
    """A result carries the digest of its record as checked and the library version; the
    digest ignores key order and the spelling of a code (label or code), and follows the
    values."""
    record = SAMPLE[0]
    r = rs.evaluate(record)
    assert r.input_digest == digest(record)
    assert r.input_digest == digest(dict(reversed(list(record.items()))))
    assert rs.evaluate({**record, "household_size": 9}).input_digest != r.input_digest
    labelled = {**record, "household_attribute": "一般贫困户"}
    assert record["household_attribute"] == "01"
    assert rs.evaluate(labelled).input_digest == r.input_digest
    assert r.library == fr.__version__
    assert rs.evaluate(object()).input_digest is None


@settings(max_examples=80, deadline=None)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.decimals(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_digest_hashes_the_canonical_json(value: Any) -> None:
    """The fast digest (orjson with a decimal hook) hashes exactly the canonical JSON's bytes,
    for any float-free value (surrogates and big integers take the general writer)."""
    from fupin_rules._canonical import fingerprint

    assert digest(value) == fingerprint(value)


def test_findings_cite_the_parameter_values_they_applied(rs: fr.RuleSet) -> None:
    """A finding names each parameter value it used: the value in force, since when,
    whether it is confirmed, and its sources."""
    finding = rs.evaluate(SAMPLE[0]).finding("income_above_line")
    (use,) = finding.parameters
    assert use.name == "income_line"
    assert use.value == rs.parameters["income_line"].at("2018-11-20").value  # type: ignore[union-attr]
    assert use.start == rs.parameters["income_line"].at("2018-11-20").start  # type: ignore[union-attr]
    assert use.unconfirmed is True
    assert use.sources
    assert "parameters" in json.loads(rs.evaluate(SAMPLE[0]).to_json())["findings"][8]


def test_a_failed_income_test_says_what_it_would_take(rs: fr.RuleSet) -> None:
    """The gap is computed from the checked test, with the derived field's label and unit."""
    record = dict(SAMPLE[0])
    line = rs.parameters["income_line"].at("2018-11-20").value  # type: ignore[union-attr]
    record["per_capita_net_income"] = line - 215
    finding = rs.evaluate(record).finding("income_above_line")
    assert finding.outcome == "fail"
    assert finding.hints == ("「家庭稳定年人均纯收入」还差 215 元 (标准: 高于 2952 元)",)
    record["per_capita_net_income"] = Decimal(line) - Decimal("0.5")
    finding = rs.evaluate(record).finding("income_above_line")
    assert finding.hints == ("「家庭稳定年人均纯收入」还差 0.5 元 (标准: 高于 2952 元)",)
    record["per_capita_net_income"] = line
    finding = rs.evaluate(record).finding("income_above_line")
    assert finding.hints == ("「家庭稳定年人均纯收入」恰为 2952 元, 须高于此标准",)
    passed = rs.evaluate(SAMPLE[0]).finding("income_above_line")
    assert passed.outcome == "pass"
    assert passed.hints == ()


def test_hints_are_the_same_on_the_fast_and_the_reference_path(rs: fr.RuleSet) -> None:
    """Both paths explain a failure alike (hints and parameters included)."""
    from fupin_rules.evaluation import evaluate_reference

    for record in SAMPLE[:60]:
        assert rs.evaluate(record).to_json() == evaluate_reference(rs, record).to_json()
