"""pandas frames in and out (fupin_rules.frames); skipped without pandas."""

from __future__ import annotations

import math

import pytest

import fupin_rules as fr
from fupin_rules.frames import RESULT_COLUMNS, records_from_frame, results_frame
from fupin_rules.io.tables import TableReader

from .conftest import ROOT

pd = pytest.importorskip("pandas", reason="pandas is not installed (pip install '.[frames]')")

EXPORT = ROOT / "examples" / "data" / "export.csv"


def _reader(lib: fr.Library) -> TableReader:
    hm = lib.headermaps["cn.national.household-export"][-1]
    return TableReader(hm, lib.record_schemas["household"])


def test_a_frame_reads_like_the_csv(bundled: fr.Library) -> None:
    from fupin_rules.io.inputs import read_inputs

    by_file = list(read_inputs([str(EXPORT)], tables=_reader(bundled)))
    frame = pd.read_csv(EXPORT, encoding="utf-8-sig")  # numbers as int64/float64, NaN for gaps
    reader = _reader(bundled)
    by_frame = list(records_from_frame(frame, reader))
    assert [i.record for i in by_frame] == [i.record for i in by_file]
    assert sum(i.rows for i in by_frame) == len(frame) == reader.stats.rows_read
    assert reader.stats.balanced


def test_missing_values_and_a_bad_cell_reject_only_their_row(bundled: fr.Library) -> None:
    frame = pd.read_csv(EXPORT, dtype=str, encoding="utf-8-sig").head(6)
    frame = frame.astype(object)
    frame.loc[1, "住房面积"] = math.nan
    frame.loc[2, "证件号码"] = 451099198504040018.0  # an 18-digit ID that went through a float
    frame.loc[3, "住房面积"] = pd.NA
    reader = _reader(bundled)
    items = list(records_from_frame(frame, reader))
    assert sum(i.rows for i in items) == 6
    rejected = [i for i in items if i.error is not None]
    assert [i.source for i in rejected] == ["DataFrame:4"]
    assert all(i.record is None or "nan" not in str(i.record).lower() for i in items)


def test_results_as_a_frame(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    frame = pd.read_csv(EXPORT, encoding="utf-8-sig")
    items = list(records_from_frame(frame, _reader(bundled)))
    results = [rs.evaluate(i.record, source=i.source) for i in items]
    out = results_frame(results)
    assert len(out) == len(results) == 300
    assert list(out.columns) == [*RESULT_COLUMNS, *(c.id for c in rs.criteria)]
    first = results[0]
    row = out.iloc[0]
    assert row["record_id"] == first.record_id
    assert row["outcome"] == first.outcome
    assert {c: row[c] for c, _ in first.outcomes} == dict(first.outcomes)
    assert set(out["road"]) <= {"pass", "fail", "unknown", "not_applicable"}
