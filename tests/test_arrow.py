"""Parquet rows evaluated by whole columns give the row evaluator's results, byte for byte.

Random households, pushed onto thresholds and given odd values of every kind a table can hold
(code labels, unknown codes, bad ids, negative or non-finite numbers, non-integral floats in
integer fields, invalid date texts, null members, missing member fields, over-long lists,
columns outside the schema, missing required columns), are written as Arrow tables with
varying column types; :func:`fupin_rules.arrow.evaluate_arrow` must give, for every row, the
JSON of ``rs.evaluate(record)`` for the record the row reader reads. And on clean data it must
actually decide most rows by columns, or the comparison would prove nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.io.parquet import rows_of

from .conftest import ROOT

pa = pytest.importorskip("pyarrow", reason="Parquet is optional (extra: parquet)")
pc = pytest.importorskip("pyarrow.compute")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy", reason="whole columns need numpy (extra: columnar)")

from fupin_rules import arrow, parallel  # noqa: E402

sys.path.insert(0, str(ROOT))
from benchmarks.generate import household  # noqa: E402

from .test_columnar import _boundary  # noqa: E402

STANDARDS = [
    ("gx.household.exit", "2016-11-20"),
    ("gx.household.exit", "2018-11-20"),
    ("gx.household.identification", "2018-11-20"),
]


@functools.cache
def _lib() -> fr.Library:
    return fr.load_library()


def _odd(rng: random.Random, rec: dict[str, Any]) -> dict[str, Any]:
    """Something a real export might hold, valid or not."""
    choice = rng.randrange(14)
    members = [m for m in rec.get("members") or [] if isinstance(m, dict)]
    if choice == 0:
        rec["housing_structure"] = rng.choice(["砖混", "99", "钢筋混凝土"])  # label, unknown
    elif choice == 1:
        rec["household_id"] = ""  # too short
    elif choice == 2:
        rec["division_code"] = rng.choice(["45102", "4510221042O3"])
    elif choice == 3:
        rec["housing_area"] = rng.choice([-5, Decimal("-0.01"), 0])
    elif choice == 4 and members:
        members[0]["migrant_work_months"] = rng.choice([13, -1])
    elif choice == 5 and members:
        rec["members"] = [None, *rec["members"][1:]]
    elif choice == 6:
        rec["other_poverty_causes"] = rng.choice([["1", "2", "3"], ["1"], ["贫"]])
    elif choice == 7:
        rec["identification_standard"] = rng.choice(["国家标准", "国标"])
    elif choice == 8:
        rec["new_house_progress"] = rng.choice([0, 100, 101])
    elif choice == 9 and members:
        members[0].pop("relation", None)
        members[0]["labour_skill"] = rng.choice(["01", "普通劳动力", None])
    elif choice == 10:
        rec["household_size"] = rng.choice([0, -1, 3])
    elif choice == 11 and members:
        members[0]["birth_date"] = rng.choice(["2018-02-30", "1990-1-1", "1990-01-01"])
    elif choice == 12:
        rec["x_local_note"] = rng.choice(["备注", None])  # outside the schema
    return rec


def _table(rng: random.Random, records: list[dict[str, Any]], *, plain_types: bool = False) -> Any:
    """The records as one Arrow table; each column's type is chosen at random among those
    an export could use (money as float, decimal or int; dates as date32 or text; household
    sizes as floats, some not whole). ``plain_types``: floats, date32, int sizes."""
    rows = [dict(r) for r in records]
    money = "float" if plain_types else rng.choice(["float", "decimal", "as_is"])
    dates = "date32" if plain_types else rng.choice(["date32", "text"])
    size_as_float = not plain_types and rng.random() < 0.2
    for row in rows:
        for key in ("wage_income", "production_income", "production_expense", "housing_area"):
            v = row.get(key)
            if v is None:
                continue
            if money == "float":
                row[key] = float(v)
            elif money == "decimal":
                row[key] = Decimal(v).quantize(Decimal("0.01"))
            elif isinstance(v, Decimal):
                row[key] = float(v)  # one column, one type
        if size_as_float and isinstance(row.get("household_size"), int):
            row["household_size"] = float(row["household_size"]) + rng.choice([0, 0, 0.5])
        members = row.get("members")
        if isinstance(members, list):
            out = []
            for m in members:
                if isinstance(m, dict):
                    m = dict(m)
                    b = m.get("birth_date")
                    if dates == "date32" and isinstance(b, str):
                        try:
                            m["birth_date"] = dt.date.fromisoformat(b)
                        except ValueError:
                            m["birth_date"] = None
                out.append(m)
            row["members"] = out
    keys = list(dict.fromkeys(k for row in rows for k in row))
    member_keys = list(
        dict.fromkeys(
            k for row in rows for m in (row.get("members") or []) if isinstance(m, dict) for k in m
        )
    )
    for row in rows:
        for m in row.get("members") or []:
            if isinstance(m, dict):
                for k in member_keys:
                    m.setdefault(k, None)
    return pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows])


def _same(rs: fr.RuleSet, table: Any, label: str = "t.parquet") -> list[fr.Result]:
    batch = table.combine_chunks().to_batches()[0] if table.num_rows else table
    got = arrow.evaluate_arrow(rs, batch, label=label, start=5)
    want = [rs.evaluate(record, source=source) for source, record in rows_of(batch, label, 5)]
    assert len(got) == len(want) == table.num_rows
    for g, w in zip(got, want, strict=True):
        assert g.to_json(findings=False) == w.to_json(findings=False)
    for g, w in list(zip(got, want, strict=True))[:6]:
        assert g.to_json() == w.to_json()  # findings built on access: the same
    return got


@pytest.mark.parametrize(("standard", "day"), STANDARDS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), missing=st.sampled_from([0.0, 0.02, 0.1]))
def test_columns_from_arrow_give_the_row_results(
    standard: str, day: str, seed: int, missing: float
) -> None:
    rs = _lib().get(standard, as_of=day)
    rng = random.Random(seed)
    records = []
    for i in range(40):
        rec = _boundary(rng, household(rng, i, missing=missing))
        if rng.random() < 0.3:
            rec = _odd(rng, rec)
        records.append(rec)
    try:
        table = _table(rng, records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return  # a mix one Arrow column cannot hold (e.g. a label among numbers): not a table
    _same(rs, table)


def test_clean_rows_are_decided_by_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """On complete, valid households the row evaluator runs only for the few rows the columns
    leave to it (values on a decimal boundary)."""
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(7)
    records = [household(rng, i, missing=0.0) for i in range(400)]
    table = _table(rng, records, plain_types=True)
    calls = []
    original = fr.RuleSet.evaluate

    def counting(self: fr.RuleSet, *args: Any, **kwargs: Any) -> fr.Result:
        calls.append(1)
        return original(self, *args, **kwargs)

    batch = table.combine_chunks().to_batches()[0]
    assert arrow.vouched_rows(rs, batch).mean() > 0.95
    monkeypatch.setattr(fr.RuleSet, "evaluate", counting)
    results = arrow.evaluate_arrow(rs, batch, label="x")
    assert len(results) == 400
    assert len(calls) < 0.25 * 400
    monkeypatch.undo()
    _same(rs, table)


def test_decided_rows_with_an_unknown_criterion_stay_in_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A household that fails although one criterion cannot be judged has no reasons to
    give: the columns decide it, and its findings come from its record only when asked for.
    A household that cannot be decided goes to the row evaluator for its reasons."""
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(11)
    records = [household(rng, i, missing=0.0) for i in range(60)]
    passing = next(i for i, rec in enumerate(records) if rs.evaluate(rec).outcome == "pass")
    for i, rec in enumerate(records):
        rec.pop("tv_access")  # "tv" cannot be judged
        if i != passing:
            rec["household_electricity"] = False  # "electricity" fails
    table = _table(rng, records, plain_types=True)
    batch = table.combine_chunks().to_batches()[0]
    calls = []
    original = fr.RuleSet.evaluate

    def counting(self: fr.RuleSet, *args: Any, **kwargs: Any) -> fr.Result:
        calls.append(kwargs.get("source"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fr.RuleSet, "evaluate", counting)
    results = arrow.evaluate_arrow(rs, batch, label="x")
    decided = [r for r in results if r.outcome == "fail"]
    assert len(decided) > 45
    assert all(dict(r.outcomes)["tv"] == "unknown" for r in decided)
    assert f"x:{passing + 1}" in calls  # the undecided one, for its reasons
    assert len(calls) < 0.25 * 60
    assert results[passing].outcome == "invalid"
    assert "(tv_access)" in results[passing].reasons[0]
    before = len(calls)
    decided[0].to_json()  # the findings are built from the row's record on access
    assert len(calls) == before + 1
    monkeypatch.undo()
    _same(rs, table)


def test_rows_not_vouched_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Labels, bad texts, values off bounds, unknown fields, null members, missing required
    fields: each such row is left to the row evaluator, and only that row."""
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(3)
    base = [household(rng, i, missing=0.0) for i in range(8)]
    base[1]["housing_structure"] = "砖混"  # a label: the row path makes it a code
    base[2]["division_code"] = "45102"
    base[3]["housing_area"] = -1.5
    base[4]["members"] = [None, *base[4]["members"][1:]]
    base[5]["x_note"] = "备注"
    base[6]["other_poverty_causes"] = ["1", "2", "3"]
    for r in base:
        r.setdefault("other_poverty_causes", None)
    batch = _table(rng, base, plain_types=True).combine_chunks().to_batches()[0]
    vouched = arrow.vouched_rows(rs, batch)
    assert vouched.tolist() == [True, False, False, False, False, False, False, True]
    no_id = batch.drop_columns(["household_id"])
    assert not arrow.vouched_rows(rs, no_id).any()  # a required field missing everywhere
    _same(rs, pa.Table.from_batches([batch]))
    _same(rs, pa.Table.from_batches([no_id]))


def test_brief_cli_on_parquet_is_the_row_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``evaluate --brief`` on Parquet (one job and two) writes what the row path writes."""
    rng = random.Random(11)
    records = [_odd(rng, _boundary(rng, household(rng, i, missing=0.02))) for i in range(300)]
    path = tmp_path / "h.parquet"
    pq.write_table(_table(rng, records), path, row_group_size=70)
    base = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", "--brief", str(path)]
    outs = []
    for extra in ([], ["-j", "2"]):
        out = tmp_path / f"columns{len(extra)}.jsonl"
        assert main([*base, *extra, "-o", str(out)], err=io.StringIO()) == 0
        outs.append(out.read_bytes())
    monkeypatch.setattr(parallel, "columns_installed", lambda: False)
    rows = tmp_path / "rows.jsonl"
    assert main([*base, "-o", str(rows)], err=io.StringIO()) == 0
    assert outs[0] == outs[1] == rows.read_bytes()
    assert len(rows.read_bytes().splitlines()) == 300


def test_categoricals_and_wide_integers() -> None:
    """Dictionary-encoded text (pandas categoricals) is read as its values; unsigned integers
    beyond int64 are left to the row evaluator; the results are the row path's."""
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(5)
    records = [household(rng, i, missing=0.0) for i in range(30)]
    table = _table(rng, records, plain_types=True)
    i = table.schema.get_field_index("housing_structure")
    table = table.set_column(i, "housing_structure", pc.dictionary_encode(table.column(i)))
    batch = table.combine_chunks().to_batches()[0]
    assert arrow.vouched_rows(rs, arrow._decoded(batch)).all()
    _same(rs, table)
    sizes = [2**64 - 1 if k == 3 else r["household_size"] for k, r in enumerate(records)]
    j = table.schema.get_field_index("household_size")
    wide = table.set_column(j, "household_size", pa.array(sizes, type=pa.uint64()))
    _, unconverted = arrow._columns(rs, arrow._decoded(wide.combine_chunks().to_batches()[0]))
    assert unconverted.tolist() == [k == 3 for k in range(30)]
    _same(rs, wide)


def test_impact_on_parquet_by_columns_is_the_row_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``impact`` on Parquet compares the two versions' results by columns: the same changed
    records, summary and counts as row by row."""
    rng = random.Random(21)
    records = [_odd(rng, _boundary(rng, household(rng, i, missing=0.02))) for i in range(250)]
    path = tmp_path / "h.parquet"
    pq.write_table(_table(rng, records, plain_types=True), path, row_group_size=90)
    base = [
        "impact", "-s", "gx.household.exit", "--from", "2016", "--to", "2018",
        "--as-of", "2018-11-20", str(path),
    ]  # fmt: skip

    def run(*extra: str) -> tuple[str, str]:
        out = io.StringIO()
        assert main([*base, *extra], out=out, err=io.StringIO()) == 0
        return out.getvalue(), (tmp_path / "changed.jsonl").read_text(encoding="utf-8")

    by_columns = run("-o", str(tmp_path / "changed.jsonl"))
    summary_columns = run("--json")[0]
    monkeypatch.setattr(parallel, "columns_installed", lambda: False)
    by_rows = run("-o", str(tmp_path / "changed.jsonl"))
    summary_rows = run("--json")[0]
    assert by_columns == by_rows
    assert summary_columns == summary_rows
    assert by_rows[1].count("\n") >= 5  # records did change between the versions


def test_polars_frames_and_text_views() -> None:
    """A polars frame (text as views, lists as large lists) is read through the Arrow stream
    interface and its rows vouched for like any batch; the results are the row path's."""
    pl = pytest.importorskip("polars")
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(8)
    records = [_boundary(rng, household(rng, i, missing=0.0)) for i in range(60)]
    frame = pl.from_arrow(_table(rng, records, plain_types=True))
    batch = pa.table(frame).combine_chunks().to_batches()[0]
    assert arrow.vouched_rows(rs, arrow._decoded(batch)).mean() > 0.9
    got = arrow.evaluate_arrow(rs, frame, label="f")
    want = [rs.evaluate(record, source=source) for source, record in rows_of(batch, "f", 0)]
    assert [g.to_json(findings=False) for g in got] == [w.to_json(findings=False) for w in want]


def test_integers_beyond_int64_never_crash_a_run(tmp_path: Path) -> None:
    """Money and counts beyond int64 (a record may hold up to 1E+24) in Parquet columns of
    the kinds an export could use (decimal, double, uint64): the results are the row path's,
    by columns and through ``evaluate``."""
    rs = _lib().get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(5)
    records = [household(rng, i, missing=0.0) for i in range(40)]
    base = _table(rng, records, plain_types=True)
    big = {3: 2**70 + 3, 9: 10**23, 17: 2**66, 30: -(2**64)}
    for kind in (pa.decimal128(38, 6), pa.float64()):
        table = base
        for name in ("production_income", "per_capita_net_income", "natural_village_households"):
            values = [big.get(k, r.get(name)) for k, r in enumerate(records)]
            exact = kind != pa.float64()
            arr = pa.array(
                [v if v is None else Decimal(v) if exact else float(v) for v in values], kind
            )
            table = table.set_column(table.schema.get_field_index(name), name, arr)
        _same(rs, table)
    sizes = [
        2**64 - 1 if k % 7 == 0 else r.get("natural_village_households")
        for k, r in enumerate(records)
    ]
    j = table.schema.get_field_index("natural_village_households")
    table = table.set_column(j, "natural_village_households", pa.array(sizes, type=pa.uint64()))
    _same(rs, table)
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path)
    out = tmp_path / "out.jsonl"
    args = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", "--brief"]
    assert main([*args, str(path), "-o", str(out)], err=io.StringIO()) in (0, 1)
    assert len(out.read_bytes().splitlines()) == 40
