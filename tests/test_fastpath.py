"""The evaluation fast paths give exactly the reference results (issue 6).

* The fast record acceptor never accepts a record jsonschema rejects, and the reasons of an
  invalid record are jsonschema's, word for word.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import sys
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.io import parse_json_record
from fupin_rules.record_checks import compile_acceptor

from .conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks.generate import household, households, to_line

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    3,
    2.0,
    2.5,
    float("nan"),
    Decimal("1.5"),
    Decimal("-0.01"),
    Decimal("NaN"),
    float("-inf"),
    "",
    "x",
    "01",
    "2018-02-30",
    "2018-02-28",
    "2018-02-28\n",
    "45102510120",
    "451025101201",
    [],
    [1],
    {},
    {"a": 1},
    10**20,
]


def _mutate(rng: random.Random, rec: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    for _ in range(rng.randrange(0, 4)):
        target = rec
        members = rec.get("members")
        if isinstance(members, list) and members and rng.random() < 0.4:
            target = rng.choice(members)
            if not isinstance(target, dict):
                continue
            key = rng.choice(
                [
                    "birth_date",
                    "relation",
                    "sex",
                    "labour_skill",
                    "medical_insurance",
                    "migrant_work_months",
                    "id_number",
                    "extra",
                ]
            )
        else:
            key = rng.choice([*fields, "extra", "members"])
        target[key] = rng.choice(ODD_VALUES)
    return rec


@functools.cache
def _lib() -> fr.Library:
    return fr.load_library()


@pytest.fixture
def lib() -> fr.Library:
    return _lib()


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32))
def test_acceptor_is_sound(seed: int) -> None:
    lib = _lib()
    rng = random.Random(seed)
    for schema in lib.record_schemas.values():
        fast = schema._accept
        assert fast is not None, schema.subject
        assert schema._plain is not None, schema.subject
        assert schema._parts is not None, schema.subject
        slow = attrs.evolve(schema, accept=None, plain=None, parts=None)
        fields = list(schema.schema.get("properties", {}))
        for i in range(15):
            rec = _mutate(rng, household(rng, i, missing=0.1), fields)
            out, reasons = schema.check(rec)
            assert repr((out, reasons)) == repr(slow.check(rec))  # repr: NaN != NaN
            if fast(out):
                assert not list(schema._validator.iter_errors(out))


def test_plain_check_copies_and_defers(lib: fr.Library) -> None:
    """The one-pass check of a normal record returns a copy the caller cannot change later,
    and leaves anything it would have to normalise to the full path."""
    schema = lib.record_schemas["household"]
    line = to_line(household(random.Random(3), 0, missing=0.0))
    rec = parse_json_record(line)[0]  # numbers with a fraction read as exact decimals
    rec["other_poverty_causes"] = ["1"]
    assert schema._plain is not None
    out = schema._plain(rec)
    assert out == rec
    assert out is not rec
    assert out["members"] is not rec["members"]
    assert out["members"][0] is not rec["members"][0]
    assert out["other_poverty_causes"] is not rec["other_poverty_causes"]
    for change in (
        {"wage_income": 1.5},  # a float becomes a decimal
        {"household_attribute": "一般贫困户"},  # a label becomes its code
        {"household_size": Decimal(3)},  # an integral decimal becomes an int
        {"note": [1]},  # an unknown container
        {"household_size": "3"},  # invalid: jsonschema explains
    ):
        assert schema._plain({**rec, **change}) is None, change
    assert schema.check({**rec, "household_attribute": "一般贫困户"})[0]["household_attribute"] in (
        lib.codelists["household_attribute"].codes
    )


def test_acceptor_refuses_unknown_keywords() -> None:
    assert compile_acceptor({"type": "object", "properties": {"a": {"oneOf": []}}}) is None
    assert compile_acceptor({"type": "string", "format": "email"}) is None
    check = compile_acceptor({"type": ["integer", "null"], "minimum": 0})
    assert check is not None
    assert all(check(v) for v in (3, None, 2.0))
    assert not any(check(v) for v in (-1, True, 2.5, "3"))
    date = compile_acceptor({"type": "string", "format": "date"})
    assert date is not None
    assert date(dt.date(2018, 1, 1).isoformat())
    assert not any(date(v) for v in ("2018-02-30", "2018-01-01\n"))


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32), missing=st.sampled_from([0.0, 0.05, 0.3]))
def test_fast_evaluation_is_the_reference(seed: int, missing: float) -> None:
    """The one-pass compiled evaluation gives byte-identical results to the reference path,
    for every bundled rule set, on records with missing, odd and boundary values."""
    from fupin_rules._canonical import dumps
    from fupin_rules.evaluation import evaluate_reference

    lib = _lib()
    rng = random.Random(seed)
    records = [household(rng, i, missing=missing) for i in range(12)]
    for rec in records[:4]:
        _mutate(rng, rec, ["household_size", "housing_area", "per_capita_net_income"])
    for rs in lib:
        for rec in records:
            fast = rs.evaluate(rec, source="x:1")
            ref = evaluate_reference(rs, rec, source="x:1")
            assert fast == ref
            assert dumps(fast.to_dict()) == dumps(ref.to_dict())


def test_handwritten_baseline_agrees_with_the_engine() -> None:
    """The benchmark's hand-written 2018 exit function computes the engine's outcomes on the
    benchmark's frozen workload (``benchmarks/rules``)."""

    from benchmarks.handwritten import check_agreement

    rs = fr.load_library(ROOT / "benchmarks" / "rules").get("gx.household.exit", as_of="2018-11-20")
    assert check_agreement(rs, list(households(300, seed=9, missing=0.05))) == 0


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    ["", "中文", '"', "\\", "\x00\x1f\x7f", "\u2028\u2029", "𝄞", "\ud800"]
)
_NUMBERS = st.decimals(allow_nan=False, allow_infinity=False, places=None) | st.floats(
    allow_nan=False, allow_infinity=False
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _NUMBERS | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200)
@given(value=_JSON)
def test_fast_json_line_is_the_canonical_text(value: Any) -> None:
    """The orjson writer gives exactly the standard-library writer's text (or falls back to
    it), so outputs and fingerprints are the same with or without orjson installed."""
    from fupin_rules._canonical import dumps
    from fupin_rules.io.jsonl import json_line

    assert json_line(value) == dumps(value) == _stdlib_dumps(value)


def _stdlib_dumps(value: Any) -> str:
    """The canonical text written by the standard-library encoder alone (no orjson)."""
    import fupin_rules._canonical as canonical

    saved = canonical._FRAGMENT
    canonical._FRAGMENT = None
    try:
        return canonical.dumps(value)
    finally:
        canonical._FRAGMENT = saved


def test_result_lines_are_the_canonical_text() -> None:
    from fupin_rules._canonical import dumps
    from fupin_rules.io.jsonl import result_line

    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    for rec in households(200, seed=4, missing=0.1):
        result = rs.evaluate(rec, source="f:1")
        assert result_line(result) == dumps(result.to_dict())


@settings(max_examples=60)
@given(
    record_id=st.none() | _TEXT,
    source=st.none() | _TEXT,
    reasons=st.lists(_TEXT, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_brief_lines_written_from_pieces_are_the_canonical_text(
    record_id: str | None, source: str | None, reasons: list[str], seed: int
) -> None:
    """``to_json(findings=False)`` writes its line from cached pieces; the text is exactly the
    canonical writer's, with orjson and without it, for any ids, sources and reasons (lone
    surrogates included: then the whole line is written by the standard library)."""
    import attrs

    from fupin_rules._canonical import dumps
    from fupin_rules.evaluation import rejected

    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rec = next(iter(households(1, seed=seed % 1000, missing=0.1)))
    results = [
        rs.evaluate(rec, source=source),
        attrs.evolve(rs.evaluate(rec), record_id=record_id, source=source),
        rejected(rs, reasons[0] if reasons else "x", source=source),
    ]
    if reasons:
        results.append(attrs.evolve(rs.evaluate(rec), outcome="invalid", reasons=tuple(reasons)))
    for result in results:
        want = _stdlib_dumps(result._brief())
        assert result.to_json(findings=False) == want == dumps(result._brief())


def test_results_kept_in_memory_hold_few_objects_for_the_garbage_collector() -> None:
    """A result of the fast path keeps what its findings are built from in one object, not in
    closures: a list of results costs the collector a few containers per result (it was
    eighteen, and keeping 20,000 results took 2.5 times as long), and the findings come out
    the same when they are built later."""
    import gc

    rs = fr.load_library(ROOT / "benchmarks" / "rules").get("gx.household.exit", as_of="2018-11-20")
    records = list(households(400, seed=3, missing=0.05))
    rs.evaluate(records[0])  # the plan and legend of the day, made once
    gc.collect()
    alive = gc.get_objects()  # held, so that no new object takes the address of an old one
    before = {id(o) for o in alive}
    kept = [rs.evaluate(r, source=f"x:{i}") for i, r in enumerate(records)]
    gc.collect()
    added = sum(1 for o in gc.get_objects() if id(o) not in before)
    assert added / len(kept) < 9
    assert [r.to_json(findings="lean") for r in kept] == [
        rs.evaluate(r, source=f"x:{i}").to_json(findings="lean") for i, r in enumerate(records)
    ]
