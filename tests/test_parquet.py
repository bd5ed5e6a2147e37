"""Parquet input: one record per row, the same results as the same records from JSON Lines."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.errors import UsageError
from fupin_rules.io.parquet import read_parquet

from .conftest import ROOT

pa = pytest.importorskip("pyarrow", reason="Parquet is optional (extra: parquet)")
pq = pytest.importorskip("pyarrow.parquet")

sys.path.insert(0, str(ROOT))
from benchmarks.generate import households, to_arrow, to_line  # noqa: E402


def _records(n: int) -> list[dict[str, Any]]:
    """Generated households as JSON reads them (exact decimals), with some missing values."""
    return [
        json.loads(to_line(r), parse_float=Decimal) for r in households(n, seed=11, missing=0.05)
    ]


def _without_nulls(value: Any) -> Any:
    """The record as a table holds it: a null and an absent field are the same."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def test_rows_read_as_the_json_records(tmp_path: Path) -> None:
    records = _records(300)
    path = tmp_path / "county.parquet"
    pq.write_table(to_arrow(records), path, row_group_size=64)
    items = list(read_parquet(path))
    assert [i.source for i in items] == [f"{path}:{n}" for n in range(1, 301)]
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    outcomes = set()
    for item, record in zip(items, records, strict=True):
        assert item.ok
        members = item.record.get("members") or []
        assert all(isinstance(m.get("birth_date"), str | None) for m in members)
        got, want = rs.evaluate(item.record), rs.evaluate(_without_nulls(record))
        assert (got.outcome, got.outcomes) == (want.outcome, want.outcomes)
        outcomes.add(got.outcome)
    assert {"pass", "fail"} <= outcomes


def test_odd_values_are_reported_by_the_record_check(tmp_path: Path) -> None:
    """A NaN income makes the record invalid; a midnight timestamp is a date; a real time is
    kept and fails the date check of its field; a null is an absent field."""
    table = pa.table(
        {
            "household_id": ["A", "B", "C"],
            "wage_income": [float("nan"), 100.5, None],
            "members": [
                [{"birth_date": dt.datetime(1980, 1, 2)}],
                [{"birth_date": dt.datetime(1980, 1, 2, 9, 30)}],
                None,
            ],
        }
    )
    path = tmp_path / "odd.parquet"
    pq.write_table(table, path)
    items = list(read_parquet(path))
    assert items[0].record["members"][0]["birth_date"] == "1980-01-02"
    assert items[1].record["members"][0]["birth_date"] == "1980-01-02T09:30:00"
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    a, b, c = (rs.evaluate(i.record, source=i.source) for i in items)
    assert a.outcome == "invalid"
    assert any("「工资性收入(元)」" in r and "有限数值" in r for r in a.reasons)
    assert b.outcome == "invalid"
    assert any("「出生日期」" in r for r in b.reasons)
    assert items[2].record == {"household_id": "C"}  # nulls are absent fields
    assert c.record_id == "C"


def test_convert_and_check_read_parquet(tmp_path: Path) -> None:
    records = _records(40)
    path = tmp_path / "county.parquet"
    pq.write_table(to_arrow(records), path)
    out = tmp_path / "county.jsonl"
    err = io.StringIO()
    assert main(["convert", str(path), "-o", str(out)], err=err) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40
    assert json.loads(lines[0])["household_id"] == records[0]["household_id"]


def test_explain_and_impact_read_parquet(tmp_path: Path) -> None:
    records = _records(30)
    path = tmp_path / "county.parquet"
    pq.write_table(to_arrow(records), path)
    out, err = io.StringIO(), io.StringIO()
    base = ["-s", "gx.household.exit"]
    rid = records[3]["household_id"]
    args = ["explain", *base, "--as-of", "2018-11-20", "--id", rid, str(path)]
    assert main(args, out=out, err=err) == 0
    assert f"来源 {path}:4" in out.getvalue()
    out = io.StringIO()
    args = ["impact", *base, "--from", "2016", "--to", "2018", "--as-of", "2018-11-20", str(path)]
    assert main([*args, "--json"], out=out, err=err) in (0, 1)
    assert json.loads(out.getvalue())["total"] == 30


def test_not_parquet_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("not parquet", encoding="utf-8")
    with pytest.raises(UsageError, match="不是可读的 Parquet 文件"):
        list(read_parquet(path))


def test_dask_reads_parquet_partitions(tmp_path: Path) -> None:
    pytest.importorskip("dask")
    from fupin_rules import distributed
    from fupin_rules.parallel import _REGISTRY

    records = _records(60)
    paths = []
    for i in range(2):
        p = tmp_path / f"county-{i}.parquet"
        pq.write_table(to_arrow(records[i * 30 : (i + 1) * 30]), p)
        paths.append(p)
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    _REGISTRY.clear()
    bag = distributed.evaluate_files(distributed.ship(rs, as_of="2018-11-20"), paths)
    lines = bag.compute(scheduler="synchronous")
    assert len(lines) == 60
    for line, record, n in zip(lines, records, range(60), strict=True):
        got = json.loads(line)
        want = rs.evaluate(_without_nulls(record))
        assert got["source"] == f"{paths[n // 30]}:{n % 30 + 1}"
        assert got["outcome"] == want.outcome
        assert got["outcomes"] == dict(want.outcomes)
    brief = distributed.evaluate_files(
        distributed.ship(rs, as_of="2018-11-20"), paths, findings=False
    ).compute(scheduler="synchronous")
    assert "outcomes" in json.loads(brief[0])
    # the command reads Parquet too, with the same lines, in one job or several
    out1, out2 = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    args = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", *map(str, paths)]
    assert main([*args, "-o", str(out1)], err=io.StringIO()) == 0
    assert main([*args, "-o", str(out2), "--jobs", "2"], err=io.StringIO()) == 0
    text = "".join(line + "\n" for line in lines)
    assert out1.read_text(encoding="utf-8") == text == out2.read_text(encoding="utf-8")
