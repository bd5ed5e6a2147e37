"""The worklist (采集清单): fields to collect for undecidable households, by village."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.reports import worklist as worklist_module
from fupin_rules.reports.worklist import COLLECT, INVALID, REJECTED, build_worklist

from .conftest import ROOT

EXPORT = ROOT / "examples" / "data" / "export.csv"


def _examples(rs: fr.RuleSet) -> dict[str, dict]:
    return {ex.name: ex.plain_record() for ex in rs.examples}


def test_fields_by_label_for_unknown_criteria(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    base = next(iter(_examples(rs).values()))
    assert rs.evaluate(base).outcome in ("pass", "fail")
    decided = dict(base, division_code="451099101202")
    lacking = dict(base, household_id="H-2", division_code="451099101201")
    lacking.pop("food_clothing_secure", None)
    lacking.pop("natural_village_households", None)
    items = [
        InputRecord("a.csv:2-3", decided),
        InputRecord("a.csv:4-5", lacking),
        InputRecord("a.csv:6", error="证件号码无法使用", division="451099101201"),
        InputRecord("a.csv:7", {"household_id": "H-9", "division_code": "451099101203"}),
    ]
    wl = build_worklist(rs, items, as_of="2018-11-20")
    assert wl.read == 4
    assert wl.decided == 1
    lines = [(w.village, w.category, w.field_label) for w in wl.items]
    assert ("451099101201", COLLECT, "吃穿不愁") in lines
    assert ("451099101201", COLLECT, "所在自然村(屯)户数") in lines
    assert ("451099101201", REJECTED, "(整行)") in lines
    assert all(w.village == "451099101203" for w in wl.items if w.category == INVALID)
    # grouped by village: codes never go back
    codes = [w.village for w in wl.items]
    assert codes == sorted(codes)
    collect = [w for w in wl.items if w.field == "food_clothing_secure"]
    assert collect[0].record_id == "H-2"
    assert "有稳定收入来源且吃穿不愁" in collect[0].criteria


def test_results_given_are_used(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    base = next(iter(_examples(rs).values()))
    lacking = dict(base)
    lacking.pop("food_clothing_secure", None)
    result = rs.evaluate(lacking, as_of="2018-11-20")
    again = build_worklist(rs, [lacking], as_of="2018-11-20", results=[result])
    assert again == build_worklist(rs, [lacking], as_of="2018-11-20")


def test_worklist_command_on_the_sample_export(tmp_path: Path) -> None:
    target = tmp_path / "采集清单.xlsx"
    args = ["worklist", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(EXPORT)]
    assert main([*args, "-o", str(target)]) == 1
    first = target.read_bytes()
    assert main([*args, "-o", str(target)]) == 1
    assert target.read_bytes() == first
    wb = load_workbook(target)
    assert wb.sheetnames == ["汇总", "采集清单"]
    rows = list(wb["采集清单"].iter_rows(values_only=True))
    assert rows[0][6] == "待采集字段"
    assert {r[6] for r in rows[1:]} == {"吃穿不愁", "所在自然村(屯)户数"}
    assert len({r[2] for r in rows[1:]}) == 300  # every household of the sample
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert sum(r[2] for r in summary[1:]) == 300
    csv_target = tmp_path / "采集清单.csv"
    assert main([*args, "-o", str(csv_target)]) == 1
    assert csv_target.read_text(encoding="utf-8-sig").count("\n") == len(rows)


def test_an_unknown_criterion_without_a_field_is_still_listed(
    bundled: fr.Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    base = dict(next(iter(_examples(rs).values())))
    base.pop("food_clothing_secure", None)
    wl = build_worklist(rs, [base], as_of="2018-11-20")
    assert [w.field for w in wl.items] == ["food_clothing_secure"]
    # a line for an unknown criterion is never dropped, even when no field can be named
    monkeypatch.setattr(worklist_module, "_MISSING", re.compile("(?!x)x"))
    blind = build_worklist(rs, [base], as_of="2018-11-20")
    assert [(w.field, w.criteria) for w in blind.items] == [("", "有稳定收入来源且吃穿不愁")]
    assert blind.decided == 0
