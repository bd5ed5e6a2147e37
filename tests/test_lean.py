"""Lean full results (line format 3): written from the record's values, resolved by
the rules the fingerprint names into exactly the findings the evaluation built."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules import _canonical
from fupin_rules._canonical import dumps, exact_json
from fupin_rules.context import UNCONFIRMED
from fupin_rules.errors import Problem
from fupin_rules.evaluation import evaluate_reference
from fupin_rules.explain import explain_text
from fupin_rules.io.jsonl import result_bytes, result_line

from .conftest import ROOT


def _records(name: str, n: int) -> list[Any]:
    text = (ROOT / "examples" / "data" / name).read_text("utf-8")
    return [json.loads(line, parse_float=Decimal) for line in text.splitlines()[:n]]


HOUSEHOLDS = _records("households.jsonl", 150)
VILLAGES = _records("villages.jsonl", 40)


def _standards(lib: fr.Library) -> list[tuple[fr.RuleSet, list[Any]]]:
    out = []
    for rid in lib.ids():
        for rs in lib.versions(rid):
            records = VILLAGES if rs.subject == "village" else HOUSEHOLDS
            out.append((rs.with_as_of(max(rs.effective_from, "2018-11-20")), records))
    return out


def test_lean_lines_resolve_to_the_long_form_on_every_bundled_rule_set(
    bundled: fr.Library,
) -> None:
    """For every version of every bundled standard and the sample records: the lean line read
    back with the library gives the long line byte for byte, and writes the same lean line;
    the fast path, the reference path and a result whose findings were built first write the
    same lean bytes."""
    checked = 0
    for rs, records in _standards(bundled):
        for i, record in enumerate(records):
            fast = rs.evaluate(record, source=f"x:{i + 1}")
            lean = fast.to_json(findings="lean")
            built = rs.evaluate(record, source=f"x:{i + 1}")
            assert built.findings is not None
            assert built.to_json(findings="lean") == lean
            reference = evaluate_reference(rs, record, source=f"x:{i + 1}")
            assert reference.to_json(findings="lean") == lean
            assert json.loads(lean)["format"] == 3
            back = fr.Result.from_json(lean, library=bundled)
            assert back.to_json() == fast.to_json()
            assert back.to_json(findings="lean") == lean
            assert back.to_json(findings=False) == fast.to_json(findings=False)
            assert back == fast
            checked += 1
    assert checked > 1000


def test_a_lean_line_names_what_an_auditor_needs(bundled: fr.Library) -> None:
    """Each line still says, without the rules: the rule set, fingerprint, date, each
    criterion's outcome and the values it read, and why a failed criterion failed; and
    leaves out what the rules give (labels, sources, parameter values, fixed texts)."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    results = [rs.evaluate(r) for r in HOUSEHOLDS]
    failed = next(r for r in results if r.outcome == "fail")
    data = json.loads(failed.to_json(findings="lean"))
    assert data["ruleset"] == rs.key
    assert data["fingerprint"] == rs.fingerprint
    assert data["as_of"] == "2018-11-20"
    assert data["outcomes"] == dict(failed.outcomes)
    assert "findings" not in data
    assert not {"label", "sources", "parameters", "severity", "group"} & set(data)
    read: dict[str, Any] = {}
    for whole in failed.findings:
        read.update(
            {k: v for k, v in whole.values.items() if v is not None and k not in rs.parameters}
        )
    assert data["values"] == json.loads(dumps(read))
    failing = {f.criterion: f.message for f in failed.findings if f.outcome in {"fail", "unknown"}}
    assert failing
    assert data["messages"] == failing


def test_lean_lines_are_a_fraction_of_the_long_ones(bundled: fr.Library) -> None:
    """On the sample, a lean line is under a sixth of the long one, and under 1.5 KB."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    lean = sum(len(rs.evaluate(r).to_bytes(findings="lean")) for r in HOUSEHOLDS)
    full = sum(len(rs.evaluate(r).to_bytes()) for r in HOUSEHOLDS)
    assert lean * 6 < full
    assert lean / len(HOUSEHOLDS) < 1500


def test_without_its_rules_a_lean_result_keeps_what_the_line_says(bundled: fr.Library) -> None:
    """Read without a library (or one without those rules), a lean result has its outcomes
    and reasons and writes the same lean and brief lines; its findings say what is needed."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    result = rs.evaluate(HOUSEHOLDS[3], source="h:4")
    line = result.to_json(findings="lean")
    alone = fr.Result.from_json(line)
    assert alone.lean_line
    assert dict(alone.outcomes) == dict(result.outcomes)
    assert fr.Result.from_json(line, library=bundled).outcomes == result.outcomes
    assert alone.to_json(findings="lean") == line
    assert alone.to_json(findings=False) == result.to_json(findings=False)
    with pytest.raises(fr.NotFoundError, match="精简格式"):
        _ = alone.findings
    other = fr.load_library(ROOT / "benchmarks" / "rules")
    assert fr.Result.from_json(line, library=other).lean_line
    with pytest.raises(fr.NotFoundError):
        _ = fr.Result.from_json(line, library=other).findings
    assert pickle.loads(pickle.dumps(alone)).to_json(findings="lean") == line
    resolved = fr.Result.from_json(line, library=bundled)
    assert pickle.loads(pickle.dumps(resolved)).to_json(findings="lean") == line
    assert explain_text(resolved, rs) == explain_text(result, rs)


def test_a_finding_the_rules_cannot_give_back_is_written_whole(bundled: fr.Library) -> None:
    """A finding changed after evaluation (a message, a label) keeps every key in the lean
    line, so that reading it back gives that finding, not the rules' one."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    result = rs.evaluate(HOUSEHOLDS[0])
    first = result.findings[0]
    changed = (attrs.evolve(first, message="改过的说明"), *result.findings[1:])
    edited = attrs.evolve(result, findings=changed, deferred=None)
    line = edited.to_json(findings="lean")
    written = json.loads(line)["findings"]
    assert list(written) == [first.criterion]
    assert written[first.criterion]["label"] == first.label
    assert written[first.criterion]["message"] == "改过的说明"
    back = fr.Result.from_json(line, library=bundled)
    assert back.findings[0].message == "改过的说明"
    assert back.to_json() == edited.to_json()


def test_results_made_by_hand_are_written_long() -> None:
    """A result that does not come from a rule set's evaluation has nothing to reference."""
    finding = fr.Finding("c", "标签", None, "blocking", "pass", "说明", {"x": Decimal("1.50")})
    result = fr.Result("pass", "a@1", "sha256:" + "0" * 64, "2018-11-20", "r1", findings=(finding,))
    assert result.to_json(findings="lean") == result.to_json()
    assert "format" not in json.loads(result.to_json(findings="lean"))


def test_unknown_formats_are_refused() -> None:
    """A line of a format this library does not know is not read as something else."""
    line = json.loads(fr.Result("invalid", "a@1", "f", "2018-11-20", None).to_json())
    with pytest.raises(ValueError, match="format"):
        fr.Result.from_dict({**line, "format": 4})
    with pytest.raises(ValueError, match="development builds"):
        fr.Result.from_dict({**line, "format": 2, "findings": []})


def test_lone_surrogates_in_the_record_id_are_written() -> None:
    """A record id holding a lone surrogate (read from ``"\\ud800"``) no longer makes
    ``to_json`` raise; the bytes carry it as its JSON escape, in every form."""
    lib = fr.load_library()
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    record = dict(HOUSEHOLDS[0], household_id="45\ud800")
    result = rs.evaluate(record)
    for form in (True, "lean", False):
        text = result.to_json(findings=form)
        assert "\ud800" in text
        assert result.to_bytes(findings=form) == result_bytes(result, findings=form)
        assert b"\\ud800" in result.to_bytes(findings=form)
        assert fr.Result.from_json(result.to_bytes(findings=form)).record_id == "45\ud800"
        assert result_line(result, findings=form) == text


def test_rule_file_errors_cross_process_boundaries() -> None:
    """A RuleFileError pickles with its problems (a worker that fails to load reports it)."""
    error = fr.RuleFileError([Problem("坏了", file="a.yaml", line=3)])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems
    assert str(again) == str(error)


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)
_DATA = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_DATA)
def test_the_decimal_hook_writes_the_reference_bytes(value: Any) -> None:
    """orjson with the ``default=`` hook for exact decimals writes exactly what the standard
    library encoder writes, for any data without floats; what it refuses, it says so."""
    raw = exact_json(value)
    with mock.patch.object(_canonical, "_FRAGMENT", None):  # the standard library's encoder
        reference = dumps(value)
    if raw is not None:
        assert raw.decode("utf-8") == reference


def test_the_unconfirmed_note_is_left_off_and_added_back(bundled: fr.Library) -> None:
    """The note every passed or failed message of an unconfirmed criterion ends with is not
    written on a lean line; reading the line gives the message with it; a message that does
    not end with it (edited) is written whole."""
    note = UNCONFIRMED
    seen = 0
    for rs, records in _standards(bundled):
        for record in records[:40]:
            result = rs.evaluate(record)
            messages = json.loads(result.to_json(findings="lean")).get("messages", {})
            for finding in result.findings:
                written = messages.get(finding.criterion, "")
                assert note not in written
                if written and finding.message.endswith(note):
                    assert written + note == finding.message
                    seen += 1
            back = fr.Result.from_json(result.to_bytes(findings="lean"), library=bundled)
            assert back.findings == result.findings
    assert seen > 0
    rs = bundled.get("gx.village.exit", as_of="2018-11-20")
    for record in VILLAGES:
        result = rs.evaluate(record)
        noted = [i for i, f in enumerate(result.findings) if f.message.endswith(note)]
        if noted:
            break
    i = noted[0]
    bare = attrs.evolve(result.findings[i], message=result.findings[i].message.removesuffix(note))
    findings = (*result.findings[:i], bare, *result.findings[i + 1 :])
    edited = attrs.evolve(result, findings=findings, deferred=None)
    written = json.loads(edited.to_json(findings="lean"))["findings"][bare.criterion]
    assert written["label"] == bare.label
    assert fr.Result.from_json(edited.to_json(findings="lean"), library=bundled).findings[i] == bare


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_LIB = fr.load_library()
_LINE = json.loads(
    _LIB.get("gx.household.exit", as_of="2018-11-20")
    .evaluate(HOUSEHOLDS[1])
    .to_json(findings="lean")
)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(fr.lean.PARTS),
    criterion=st.sampled_from([*_LINE["outcomes"], "no_such_criterion"]),
    value=_JSON,
    whole=st.booleans(),
)
def test_a_tampered_lean_line_is_refused_or_read(
    key: str, criterion: str, value: Any, whole: bool
) -> None:
    """Whatever a lean line's parts hold (a whole part replaced, or one criterion's), reading
    it either refuses it with a ValueError or TypeError, or gives a result that writes a lean
    line again and whose findings are the rule set's criteria or refused the same way."""
    line = json.loads(json.dumps(_LINE))
    if whole:
        line[key] = value
    else:
        line.setdefault(key, {})
        if isinstance(line[key], dict):
            line[key][criterion] = value
    try:
        result = fr.Result.from_json(json.dumps(line, ensure_ascii=False), library=_LIB)
    except (ValueError, TypeError):
        return
    assert fr.Result.from_json(result.to_json(findings="lean"), library=_LIB) == result
    try:
        findings = result.findings
    except ValueError:
        return
    assert tuple((f.criterion, f.outcome) for f in findings) == result.outcomes


def test_lean_results_read_without_their_rules_compare_and_hash(bundled: fr.Library) -> None:
    """Read without the library, a lean result has no long form: it compares by its lean line,
    hashes like the resolved result of the same line, and can be kept in a set."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    first, second = (rs.evaluate(r, source=f"h:{i}") for i, r in enumerate(HOUSEHOLDS[:2]))
    line = first.to_json(findings="lean")
    alone, again = fr.Result.from_json(line), fr.Result.from_json(line)
    other = fr.Result.from_json(second.to_json(findings="lean"))
    assert alone == again
    assert alone != other
    assert alone == first
    assert hash(alone) == hash(first) == hash(fr.Result.from_json(line, library=bundled))
    assert len({alone, again, other, first}) == 2
