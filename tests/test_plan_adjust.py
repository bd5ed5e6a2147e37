"""一微调 for villages (贫困村摘帽计划, "十一有一低于") and the list as Markdown."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.deliverables import adjust, read_plan_ids
from fupin_rules.deliverables.writing import write_adjustment_markdown, write_adjustment_xlsx
from fupin_rules.io.inputs import read_inputs
from fupin_rules.io.jsonl import InputRecord

from .conftest import ROOT

DATA = ROOT / "examples" / "data"
LIB = fr.load_library()
VILLAGES = list(read_inputs([str(DATA / "villages.jsonl")]))
HOUSEHOLDS = list(read_inputs([str(DATA / "households.jsonl")]))[:200]
VRS = LIB.get("gx.village.exit", as_of="2018-10-31")
HRS = LIB.get("gx.household.exit", as_of="2018-10-31")
VIDS = [str(i.record["village_id"]) for i in VILLAGES]
SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _markdown(adj: fr.deliverables.Adjustment) -> str:
    out = io.StringIO()
    write_adjustment_markdown(adj, out)
    return out.getvalue()


@SLOW
@given(
    st.sets(st.sampled_from(VIDS)),
    st.sets(st.from_regex(r"4510991[0-9]{5}", fullmatch=True), max_size=2),
)
def test_every_planned_village_gets_one_line(planned: set[str], unknown: set[str]) -> None:
    """Each planned village id is exactly one planned line; its decision follows the village's
    result under gx.village.exit; an id no record has is 无记录."""
    unknown -= set(VIDS)
    adj = adjust(VRS, VILLAGES, planned | unknown, as_of="2018-10-31")
    assert adj.subject == "village"
    lines = [ln for ln in adj.lines if ln.planned]
    assert sorted(ln.record_id or "" for ln in lines) == sorted(planned | unknown)
    by_id = {str(i.record["village_id"]): i.record for i in VILLAGES}
    for ln in lines:
        if ln.record_id in unknown:
            assert ln.decision == "missing"
            continue
        result = VRS.evaluate(by_id[ln.record_id or ""], as_of="2018-10-31")
        assert (ln.decision == "keep") == (result.outcome == "pass")
        if ln.decision == "remove":
            assert ln.failed
            assert ln.reasons
            assert ln.gaps  # every failing village criterion is a share or a rate
        assert ln.village_name == by_id[ln.record_id or ""]["village_name"]
    counts = adj.counts()
    assert sum(counts[d] for d in ("keep", "remove", "collect", "invalid", "missing")) == len(
        planned | unknown
    )
    # Markdown: each planned village is one list item
    text = _markdown(adj)
    for rid in planned | unknown:
        assert len(re.findall(rf"^- .*\({rid}\)", text, flags=re.MULTILINE)) == 1, rid


def test_without_a_plan_the_villages_marked_planned_are_the_plan() -> None:
    """No planned-exit list: the plan is the villages whose record says 计划退出; a poor
    village outside the plan that meets the standard may be added, an exited one not."""
    first, second, third = (dict(i.record) for i in VILLAGES[:3])
    items = [
        InputRecord("v:1", first),
        InputRecord("v:2", second | {"exit_status": "未退出"}),
        InputRecord("v:3", third | {"exit_status": "已退出", "exit_year": 2017}),
    ]
    assert [VRS.evaluate(i.record, as_of="2018-10-31").outcome for i in items] == ["pass"] * 3
    adj = adjust(VRS, items, None, as_of="2018-10-31")
    assert adj.planned == 1
    assert [(ln.record_id, ln.decision) for ln in adj.lines] == [
        (first["village_id"], "keep"),
        (second["village_id"], "add"),
    ]
    assert adj.lines[1].action.startswith("可调入摘帽计划")
    with pytest.raises(ValueError, match="planned-exit list"):
        adjust(HRS, HOUSEHOLDS, None, as_of="2018-10-31")


def test_village_workbook_has_village_columns_and_is_deterministic(tmp_path: Path) -> None:
    """The village list's sheet has 村代码 and 原计划摘帽, no 户主 columns; same bytes twice."""
    from openpyxl import load_workbook

    paths = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for p in paths:
        write_adjustment_xlsx(adjust(VRS, VILLAGES, None, as_of="2018-10-31"), p)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    wb = load_workbook(paths[0])
    headers = [c.value for c in wb["一微调名单"][1]]
    assert headers[:6] == ["县(市、区)代码", "乡(镇)代码", "村代码", "村", "原计划摘帽", "核定结果"]
    assert "户主姓名" not in headers
    assert wb["一微调名单"].max_row == len(VILLAGES) + 1
    info = {row[0]: row[1] for row in wb["运行情况"].iter_rows(min_row=2, values_only=True)}
    assert info["计划摘帽村数"] == 12
    assert info["村数"] == len(VILLAGES)


@SLOW
@given(st.sets(st.sampled_from([str(i.record["household_id"]) for i in HOUSEHOLDS]), max_size=25))
def test_markdown_lists_every_planned_household_once(planned: set[str]) -> None:
    """Each planned household is one list item of the Markdown, under its result; the
    village table's 计划内合计 adds up to the plan; the same run writes the same text."""
    adj = adjust(HRS, HOUSEHOLDS, planned, as_of="2018-10-31")
    text = _markdown(adj)
    assert text == _markdown(adjust(HRS, HOUSEHOLDS, planned, as_of="2018-10-31"))
    for rid in planned:
        assert len(re.findall(rf"^- {rid} ", text, flags=re.MULTILINE)) == 1, rid
    table = [ln for ln in text.splitlines() if ln.startswith("| ") and ln[2:4] != "乡("]
    assert sum(int(row.rstrip(" |").rsplit("| ", 1)[1]) for row in table) == len(planned)
    assert "\n\n\n" not in text


def test_plan_of_villages_read_by_village_code(tmp_path: Path) -> None:
    """A village plan is read by its 村代码 column (CSV) or village_id (JSON Lines)."""
    csv = tmp_path / "plan.csv"
    csv.write_text("序号,村代码,村\n1,451099101201,龙那村\n2,451099102201,江坡村\n", "utf-8")
    assert read_plan_ids(csv, "village") == ["451099101201", "451099102201"]
    jl = tmp_path / "plan.jsonl"
    jl.write_text('{"village_id": "451099101201"}\n', encoding="utf-8")
    assert read_plan_ids(jl, "village") == ["451099101201"]


def test_cli_chooses_the_standard_by_the_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Village records without -s are adjusted by gx.village.exit; households need --plan;
    an unknown output kind is refused before anything is read."""
    out = tmp_path / "v.md"
    code = main(["adjust", str(DATA / "villages.jsonl"), "--as-of", "2018-10-31", "-o", str(out)])
    assert code == 1  # some planned villages do not meet the standard
    assert "gx.village.exit@2018" in out.read_text(encoding="utf-8")
    assert "计划摘帽 12 个村" in capsys.readouterr().err
    assert main(["adjust", str(DATA / "households.jsonl"), "--as-of", "2018-10-31"]) == 2
    assert "--plan" in capsys.readouterr().err
    bad = ["adjust", str(DATA / "villages.jsonl"), "--as-of", "2018-10-31", "-o", "x.txt"]
    assert main(bad) == 2
