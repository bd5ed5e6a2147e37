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


# ---------------------------------------------------------------- the summary: 整改, 进出, by unit


def _returned_list(tmp_path: Path) -> tuple[Path, list[str]]:
    """The sample's 疑似错退 list written as a village would get it; the ids of its households."""
    from fupin_rules.dated import DatedEvaluator
    from fupin_rules.deliverables import suspects, wrongful_exits
    from fupin_rules.reports import write_problem_list

    dated = DatedEvaluator(LIB, "gx.household.exit", "exit_date")
    pl = suspects([wrongful_exits(dated, HOUSEHOLDS, year_day="11-25")], as_of="")
    path = tmp_path / "returned.xlsx"
    write_problem_list(pl, str(path), "xlsx")
    ids = sorted({ln.record_id for ln in pl.lines if ln.category == "疑似错退" and ln.record_id})
    return path, ids


def test_rectified_counts_what_the_new_run_no_longer_finds(tmp_path: Path) -> None:
    """Households whose exit is no longer suspect on the new run (here: left out of the data,
    as if re-marked) count as rectified, the others as still open; nothing new appears."""
    from fupin_rules.dated import DatedEvaluator
    from fupin_rules.deliverables import suspects
    from fupin_rules.deliverables.summary import Rectified
    from fupin_rules.deliverables.suspects import wrongful_exits as found
    from fupin_rules.reports import read_returned, rectify

    path, ids = _returned_list(tmp_path)
    assert len(ids) >= 4
    gone = set(ids[:3])
    now = [i for i in HOUSEHOLDS if str(i.record["household_id"]) not in gone]
    dated = DatedEvaluator(LIB, "gx.household.exit", "exit_date")
    pl = suspects([found(dated, now, year_day="11-25")], as_of="")
    returned = read_returned([path])
    r = Rectified.of(rectify(pl, returned), "疑似错退")
    before = sum(1 for ln in returned.lines.values() if ln.label.startswith("疑似错退"))
    assert r.returned == before
    assert r.households_fixed == 3
    assert r.fixed + r.still_open == r.returned
    assert r.fixed == sum(
        1
        for ln in returned.lines.values()
        if ln.record_id in gone and ln.label.startswith("疑似错退")
    )
    assert r.new == 0
    assert r.claimed_open == 0


def test_summary_by_township_adds_up_and_names_rectification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--by township writes one file per township whose households and people add up to the
    whole; --returned adds the rectification lines; village events are listed as 进出."""
    path, _ = _returned_list(tmp_path)
    sample = tmp_path / "hh.jsonl"
    text = (DATA / "households.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    sample.write_text("".join(text[: len(HOUSEHOLDS)]), encoding="utf-8")
    out = tmp_path / "总结.md"
    argv = ["summary", str(sample), "--year", "2018", "--year-day", "11-25", "--by", "township"]
    argv += ["--returned", str(path), "--events", str(ROOT / "examples/events/events-2018.jsonl")]
    argv += ["--divisions", str(DATA / "divisions.csv"), "-o", str(out)]
    assert main(argv) == 0
    whole = out.read_text(encoding="utf-8")
    assert "- 其中已整改 (本次复核不再发现): 0\n" in whole
    assert "| 新纳入贫困村 | 451099105201 |" in whole
    assert "| 摘帽退出 | 451099102201 |" in whole
    parts = sorted(tmp_path.glob("总结-*.md"))
    assert [p.name for p in parts] == sorted(
        f"总结-{n}.md"
        for n in ("城厢镇451099101", "龙泉乡451099102", "平安乡451099103", "石门镇451099104")
    )

    def figure(doc: str, key: str) -> int:
        return int(re.search(rf"^- {key}: (\d+)$", doc, flags=re.MULTILINE).group(1))  # type: ignore[union-attr]

    docs = [p.read_text(encoding="utf-8") for p in parts]
    for key in (
        "脱贫户数",
        "脱贫人数",
        "读入户数",
        "疑似错退户数 \\(当年脱贫户\\)",
        "返回清单中的疑似错退项数",
    ):
        assert sum(figure(d, key) for d in docs) == figure(whole, key), key
    assert docs[0].startswith("# 城厢镇 (451099101) 2018年度")
    assert main([*argv[:-2], "-o", "-"]) == 2  # --by needs a file name
    capsys.readouterr()


def test_the_unknown_division_comes_last() -> None:
    """Households whose division is not known are listed after every village, in the table
    and in the sections (the code sorts "(未知)" before digits; staff expect it at the end)."""
    text = (Path(__file__).parent / "golden" / "expected" / "adjust-households.md").read_text(
        encoding="utf-8"
    )
    table = [line for line in text.splitlines() if line.startswith("| 4") or "(未知)" in line]
    assert "(未知)" in table[-1]
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[-1] == "## 区划不详"
