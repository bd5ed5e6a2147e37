"""Columnar evaluation gives exactly the row evaluator's outcomes (issue 6).

Random households from the benchmark generator, with values pushed onto every threshold
(income line, 13 ㎡ per person, 0.5 mu per person, 20-household villages, school ages), are
evaluated three ways: the compiled row evaluator, the reference interpreter (simpleeval) and the
columns. Every criterion outcome and record outcome must agree; records the columns mark
uncertain are those re-evaluated by rows, and evaluate_records must agree on all of them.
"""

from __future__ import annotations

import functools
import json
import random
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.language import Expression

from .conftest import ROOT

np = pytest.importorskip("numpy", reason="columnar evaluation needs numpy (extra: bench)")

from fupin_rules import columnar  # noqa: E402
from fupin_rules.language import columns  # noqa: E402

sys.path.insert(0, str(ROOT))
from benchmarks.generate import household  # noqa: E402

STANDARDS = [
    ("gx.household.exit", "2016-11-20"),
    ("gx.household.exit", "2018-11-20"),
    ("gx.household.exit", "2019-11-20"),
    ("gx.household.identification", "2018-11-20"),
]


def _boundary(rng: random.Random, rec: dict[str, Any]) -> dict[str, Any]:
    """Push some values exactly onto thresholds of the household standards."""
    size = rec.get("household_size")
    if isinstance(size, int) and size > 0 and rng.random() < 0.5:
        choice = rng.randrange(5)
        if choice == 0:
            rec["housing_area"] = (
                13 * size if rng.random() < 0.5 else Decimal(13 * size) - Decimal("0.1")
            )
        elif choice == 1:
            rec["per_capita_net_income"] = rng.choice([2952, 2953, Decimal("2952.01"), 3218])
        elif choice == 2:
            rec["farmland_area"] = Decimal(size) / 2
        elif choice == 3:
            rec.pop("per_capita_net_income", None)
            rec["wage_income"] = 2952 * size
            for k in (
                "production_income",
                "production_expense",
                "property_income",
                "transfer_income",
            ):
                rec[k] = 0
        else:
            rec["natural_village_households"] = 20
    if rng.random() < 0.1:
        rec.pop("members", None)
    if rng.random() < 0.1 and rec.get("members"):
        rec["members"][0].pop("birth_date", None)
    if rng.random() < 0.05 and rec.get("members"):
        rec["members"][0]["labour_skill"] = None
    return rec


def _records(seed: int, n: int, missing: float) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_boundary(rng, household(rng, i, missing=missing)) for i in range(n)]


@functools.cache
def _lib() -> fr.Library:
    return fr.load_library()


@pytest.fixture
def lib() -> fr.Library:
    return _lib()


def _interpreted(rs: fr.RuleSet, record: Any, monkeypatch: pytest.MonkeyPatch) -> fr.Result:
    with monkeypatch.context() as m:
        m.setattr(Expression, "evaluate", Expression.interpret)
        return rs.evaluate(record)


@pytest.mark.parametrize(("standard", "day"), STANDARDS)
@settings(max_examples=12)
@given(seed=st.integers(0, 2**32), missing=st.sampled_from([0.0, 0.02, 0.2]))
def test_columns_agree_with_rows(standard: str, day: str, seed: int, missing: float) -> None:
    """Every criterion and record outcome the columns decide equals the row evaluator's."""
    lib = _lib()
    rs = lib.get(standard, as_of=day)
    records = _records(seed, 40, missing)
    rows = [rs.evaluate(r) for r in records]
    outcomes, col, _ = columnar.evaluate_records(rs, records)
    assert outcomes == [r.outcome for r in rows]
    assert col is not None
    valid = [i for i, r in enumerate(records) if not rs.record_schema.check(r)[1]]
    table = columnar.build_columns(rs, [rs.record_schema.check(records[i])[0] for i in valid])
    res = columnar.evaluate_columns(rs, table)
    for k, i in enumerate(valid):
        if res.uncertain[k]:
            continue
        assert res.outcome(k) == rows[i].outcome, records[i]
        if rows[i].findings:
            got = {c: res.criterion_outcome(k, c) for c in res.criteria}
            want = {f.criterion: f.outcome for f in rows[i].findings}
            assert got == want, records[i]


@pytest.mark.parametrize(("standard", "day"), STANDARDS[:2])
@settings(max_examples=10)
@given(seed=st.integers(0, 2**32))
def test_compiled_agrees_with_reference_interpreter(standard: str, day: str, seed: int) -> None:
    """The generated evaluator and simpleeval give byte-identical results."""
    lib = _lib()
    rs = lib.get(standard, as_of=day)
    mp = pytest.MonkeyPatch()
    try:
        for record in _records(seed, 10, 0.1):
            compiled = rs.evaluate(record).to_dict()
            interpreted = _interpreted(rs, record, mp).to_dict()
            assert compiled == interpreted
    finally:
        mp.undo()


def test_boundaries_are_uncertain_not_wrong(lib: fr.Library) -> None:
    """Values exactly on a decimal boundary are left to the exact row evaluator."""
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(1)
    base = household(rng, 0, missing=0.0)
    base["household_size"] = 3
    base["members"] = base["members"][:3]
    base.pop("per_capita_net_income", None)
    recs = []
    for total in (8856, 8857, Decimal("8856.03")):  # 2952 * 3 = 8856: on, above, a fen above
        r = dict(
            base,
            wage_income=total,
            production_income=0,
            production_expense=0,
            property_income=0,
            transfer_income=0,
        )
        recs.append(r)
    outcomes, col, rows = columnar.evaluate_records(rs, recs)
    assert col is not None
    assert bool(col.uncertain[0])  # 8856 / 3 == 2952 exactly: decided by rows
    assert rows[0] is not None
    assert [rows[0].finding("income_above_line").outcome] == ["fail"]
    assert outcomes == [rs.evaluate(r).outcome for r in recs]


def test_prebuilt_columns_are_checked() -> None:
    """Absent entries must hold the filler the fast paths rely on."""
    col = columnar.Column("num", np.array([1, 5]), np.array([True, False]))
    with pytest.raises(ValueError, match="absent entries"):
        columnar.ColumnTable(2, {"x": col})


def test_unsupported_rule_sets_fall_back_to_rows(lib: fr.Library) -> None:
    """A rule set with per-item criteria has no column plan; evaluate_records uses rows."""
    for rs in lib:
        try:
            columnar.plan(rs)
        except columnar.ColumnarUnsupported:
            recs = _records(3, 5, 0.0)
            outcomes, col, _ = columnar.evaluate_records(rs, recs)
            assert col is None
            assert outcomes == [rs.evaluate(r).outcome for r in recs]
            return
    pytest.skip("every bundled rule set has a column form")


@pytest.mark.parametrize(("standard", "day"), STANDARDS[:2])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32), block=st.integers(1, 17))
def test_blocks_and_threads_change_nothing(standard: str, day: str, seed: int, block: int) -> None:
    """A table cut into blocks gives the same arrays on one thread or several, and every
    outcome the blocks are sure of is the row evaluator's."""
    rs = _lib().get(standard, as_of=day)
    records = [r for r in _records(seed, 60, 0.02) if not rs.record_schema.check(r)[1]]
    table = columnar.build_columns(rs, [rs.record_schema.check(r)[0] for r in records])
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(columnar, "BLOCK_ROWS", block)
        one = columnar.evaluate_columns(rs, table, threads=1)
        many = columnar.evaluate_columns(rs, table, threads=3)
    finally:
        mp.undo()
    for got in (one, many):
        assert got.outcomes.shape == (len(records),)
        assert got.criterion_outcomes.shape == (len(records), len(rs.criteria))
    assert one.outcomes.tobytes() == many.outcomes.tobytes()
    assert one.criterion_outcomes.tobytes() == many.criterion_outcomes.tobytes()
    assert one.uncertain.tobytes() == many.uncertain.tobytes()
    for k, record in enumerate(records):
        if one.uncertain[k]:
            continue
        row = rs.evaluate(record)
        assert one.outcome(k) == row.outcome, record
        assert {c: one.criterion_outcome(k, c) for c in one.criteria} == dict(row.outcomes)


def test_rows_of_a_table_are_views_of_those_rows(lib: fr.Library) -> None:
    """``ColumnTable.rows`` keeps each field's entries of exactly those rows."""
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    records = [r for r in _records(5, 30, 0.1) if not rs.record_schema.check(r)[1]]
    table = columnar.build_columns(rs, [rs.record_schema.check(r)[0] for r in records])
    part = table.rows(7, 19)
    assert part.n == 12
    for name, col in table.columns.items():
        assert part.columns[name].values.tolist() == col.values[7:19].tolist()
        assert np.shares_memory(part.columns[name].values, col.values)
    for name, lst in table.lists.items():
        w = lst.width
        assert part.lists[name].lengths.tolist() == lst.lengths[7:19].tolist()
        for sub, col in lst.fields.items():
            assert (
                part.lists[name].fields[sub].values.tolist() == col.values[7 * w : 19 * w].tolist()
            )
    assert table.rows(25, 10**9).n == table.n - 25
    assert table.rows(40, 3).n == 0


@settings(max_examples=30)
@given(lengths=st.lists(st.integers(0, 16), max_size=40))
def test_slots_holding_items(lengths: list[int]) -> None:
    """Which padded slots hold an item, for the one-word path (width 8) and the general one."""
    lens = np.array(lengths, dtype=np.int64)
    for width in (8, 16, 24):
        if max(lengths, default=0) > width:
            continue
        lst = columnar.ListColumn(lens, width, {})
        frame = columns.Frame(len(lens), {}, columnar.ColumnTable(len(lens), {}, {}))
        want = [k < n for n in lengths for k in range(width)]
        assert frame.valid(lst).tolist() == want


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64"])
@pytest.mark.parametrize("bound", [0.0, 6.0, -1.0, 255.0, 300.0, 2.5, 2.0**40])
def test_integer_columns_against_number_bounds(dtype: str, bound: float) -> None:
    """A whole bound is compared as an integer; the answers are those of exact comparison."""
    info = np.iinfo(dtype)
    values = np.array(
        sorted({info.min, info.max, 0, 1, 5, 6, 7, min(int(info.max), 255)}), dtype=dtype
    )
    x = columns._int_scalar(bound, values)
    for fn, exact in ((np.less_equal, "__le__"), (np.greater, "__gt__"), (np.equal, "__eq__")):
        got = fn(values, x).tolist()
        want = [getattr(Decimal(int(v)), exact)(Decimal(bound)) for v in values]
        assert got == want, (dtype, bound, fn)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 + 1, 2**70, 10**23, -(10**23) + 1]
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 2**32),
)
def test_integers_beyond_int64_are_decided_exactly(big: list[int], seed: int) -> None:
    """A record may hold integers up to 1E+24, beyond int64: in a household field or a
    member's, ``evaluate_records`` gives the rows' outcomes (no OverflowError), and
    ``build_columns`` takes them."""
    rs = _frozen_rules().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(seed)
    records = [household(rng, i, missing=0.02) for i in range(30)]
    for value in big:
        r = records[rng.randrange(len(records))]
        field = rng.choice(["production_income", "natural_village_households", "household_size"])
        r[field] = value
        r["members"][0]["migrant_work_months"] = value
    outcomes, _, _ = columnar.evaluate_records(rs, records)
    assert outcomes == [rs.evaluate(r).outcome for r in records]
    checked = [out for out, reasons in map(rs.record_schema.check, records) if not reasons]
    columnar.build_columns(rs, checked)


def test_a_valid_household_beyond_int64_by_columns() -> None:
    """The sample households, one with 2**70 households in its natural village and one whose
    member worked 2**64 months (both valid records): the rows' outcomes."""
    rs = _frozen_rules().get("gx.household.exit", as_of="2018-11-20")
    text = (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8")
    records = [json.loads(line, parse_float=Decimal) for line in text.splitlines()[:60]]
    records[1]["natural_village_households"] = 2**70
    records[4]["members"][0]["migrant_work_months"] = 2**64
    assert not rs.record_schema.check(records[1])[1]
    outcomes, col, _ = columnar.evaluate_records(rs, records)
    assert outcomes == [rs.evaluate(r).outcome for r in records]
    assert col is not None


@functools.cache
def _frozen_rules() -> fr.Library:
    return fr.load_library(ROOT / "benchmarks" / "rules")
