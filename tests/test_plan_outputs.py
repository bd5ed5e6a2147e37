"""The plan's deliverables and forms: 一微调, 疑似错退/漏评, the year-end summary, templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.dated import DatedEvaluator
from fupin_rules.deliverables import adjust, summarise, wrongful_exits
from fupin_rules.deliverables.writing import write_adjustment_xlsx
from fupin_rules.forms import example_record, find_form, forms, read_filled, write_template
from fupin_rules.io.inputs import read_inputs
from fupin_rules.io.jsonl import InputRecord

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "data" / "households.jsonl"
LIB = fr.load_library()
ITEMS = list(read_inputs([str(SAMPLE)]))[:300]
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _scenario(name: str) -> dict[str, Any]:
    return next(dict(i.record) for i in ITEMS if i.record.get("_scenario") == name)


def test_every_form_has_a_valid_example_and_reads_back_empty(tmp_path: Path) -> None:
    """Each form's example record is valid, and a blank template reads back to nothing,
    its one example row counted."""
    assert set(forms(LIB)) >= {"new-household", "member-increase", "household-exit-measures"}
    for name, form in forms(LIB).items():
        _, reasons = form.schema.check(example_record(form))
        assert reasons == (), name
        path = tmp_path / f"{name}.xlsx"
        write_template(form, path)
        filled = read_filled(form, [path], date="2018-10-20")
        assert filled.items == ()
        assert filled.example_rows == 1
        assert filled.balanced
        assert filled.warnings == ()


def test_template_is_deterministic_and_has_drop_downs(tmp_path: Path) -> None:
    """Same form, same bytes; code-list columns carry list validation; required headers *."""
    from openpyxl import load_workbook

    form = find_form(LIB, "gx.form.member-increase")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(form, a)
    write_template(form, b)
    assert a.read_bytes() == b.read_bytes()
    ws = load_workbook(a)["填写表"]
    headers = [c.value for c in ws[1]]
    assert "户编号*" in headers
    assert "新增原因*" in headers
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any("代码表" in f for f in formulas)
    assert '"是,否"' in formulas
    from fupin_rules.reports.sheets import cell_width

    guide = load_workbook(a)["填写说明"]
    long = [
        r
        for r in range(1, guide.max_row + 1)
        if any(
            cell_width(c.value) > guide.column_dimensions[c.column_letter].width - 1
            for c in guide[r]
        )
    ]
    assert long  # the guide has texts longer than their columns: they get their lines
    assert all(guide.row_dimensions[r].height for r in long)


measures = st.lists(st.sampled_from(["01", "02", "03", "06", "99"]), min_size=1, max_size=3)


@SLOW
@given(
    st.lists(
        st.tuples(
            st.integers(1, 99999),
            measures,
            st.sampled_from([2016, 2017, 2018]),
            st.text("=+-@李王甲", max_size=4),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
def test_filled_template_reads_back_to_the_records_written(
    tmp_path_factory: Any, rows: Any
) -> None:
    """template → filled → read back gives the records written, every row accounted for
    (formula-like names stay text)."""
    form = find_form(LIB, "household-exit-measures")
    records = [
        {
            "household_id": f"451099102201{n:07d}",
            "division_code": "451099102201",
            "head_name": name or None,
            "exit_status": "1",
            "exit_year": year,
            "exit_measures": sorted(set(m)),
        }
        for n, m, year, name in rows
    ]
    path = tmp_path_factory.mktemp("t") / "f.xlsx"
    write_template(form, path, records)
    filled = read_filled(form, [path])
    assert filled.balanced
    assert filled.rejected_rows == 0
    assert filled.example_rows == 1
    back = [form.schema.check(i.record)[0] for i in filled.items]
    want = [form.schema.check({k: v for k, v in r.items() if v is not None})[0] for r in records]
    assert back == want


def test_member_form_reads_back_as_events(tmp_path: Path) -> None:
    """附件6 filled in reads back as one member_increase event per household, dated."""
    form = find_form(LIB, "member-increase")
    record = {
        "household_id": "4510991022010000001",
        "members": [
            {"name": "新生", "relation": "03", "increase_reason": "01"},
            {"name": "嫁入", "relation": "02", "increase_reason": "02"},
        ],
    }
    path = tmp_path / "f.xlsx"
    write_template(form, path, [record])
    filled = read_filled(form, [path], date="2018-10-20")
    assert filled.balanced
    assert filled.records == 1
    event = filled.items[0].record
    assert event["type"] == "member_increase"
    assert event["date"] == "2018-10-20"
    assert [m["increase_reason"] for m in event["changes"]["members_added"]] == ["新生儿", "嫁入"]


@SLOW
@given(
    st.sets(st.sampled_from([str(i.record["household_id"]) for i in ITEMS]), max_size=30),
    st.sets(st.from_regex(r"9[0-9]{5}", fullmatch=True), max_size=3),
)
def test_adjustment_accounts_for_every_planned_household(
    planned: set[str], unknown: set[str]
) -> None:
    """Each planned id is exactly one planned line; its decision follows the household's
    result; an id without a record is 无记录."""
    rs = LIB.get("gx.household.exit")
    adj = adjust(rs, ITEMS, planned | unknown, as_of="2018-10-31")
    lines = [ln for ln in adj.lines if ln.planned]
    assert sorted(ln.record_id for ln in lines) == sorted(planned | unknown)
    by_id = {str(i.record["household_id"]): i.record for i in ITEMS}
    for ln in lines:
        if ln.record_id in unknown:
            assert ln.decision == "missing"
            continue
        outcome = rs.evaluate(by_id[ln.record_id], as_of="2018-10-31").outcome
        assert (ln.decision == "keep") == (outcome == "pass")
        if ln.decision == "remove":
            assert ln.failed
            assert ln.reasons
    for ln in adj.lines:
        if not ln.planned:
            assert ln.decision == "add"
            assert ln.record_id not in planned


def test_adjustment_workbook_is_deterministic(tmp_path: Path) -> None:
    """The same run writes the same bytes."""
    rs = LIB.get("gx.household.exit")
    planned = [str(i.record["household_id"]) for i in ITEMS[:40]]
    paths = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for p in paths:
        write_adjustment_xlsx(adjust(rs, ITEMS, planned, as_of="2018-10-31"), p)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_wrongful_exit_is_judged_on_its_own_exit_date() -> None:
    """吃穿不愁 = 否 passes the 2016 standard and fails from 2017 on: an exit certified in 2016
    is not suspect, the same household certified in 2017 is, with the criterion named."""
    record = _scenario("food_clothing") | {"exit_status": "1"}
    dated = DatedEvaluator(LIB, "gx.household.exit", "exit_date")
    early = wrongful_exits(dated, [InputRecord("x:1", record | {"exit_date": "2016-11-20"})])
    late = wrongful_exits(dated, [InputRecord("x:1", record | {"exit_date": "2017-11-20"})])
    assert early.lines == ()
    assert [ln.criterion for ln in late.lines] == ["income_source"]
    assert "2017-11-20" in late.lines[0].message
    assert late.lines[0].category == "疑似错退"
    again = wrongful_exits(dated, [InputRecord("y:9", record | {"exit_date": "2018-11-20"})])
    assert again.lines[0].problem_id == late.lines[0].problem_id  # stable across versions


def test_exit_without_a_date_is_undecidable_or_presumed() -> None:
    """No exit date: 无法判定 (named), or judged on --year-day of its exit year."""
    record = _scenario("low_income") | {"exit_status": "1", "exit_year": 2017, "exit_date": None}
    dated = DatedEvaluator(LIB, "gx.household.exit", "exit_date")
    plain = wrongful_exits(dated, [InputRecord("x:1", record)])
    assert [ln.category for ln in plain.lines] == ["无法判定"]
    presumed = wrongful_exits(dated, [InputRecord("x:1", record)], year_day="11-25")
    assert presumed.lines[0].category == "疑似错退"
    assert "推定的日期 2017-11-25" in presumed.lines[0].message


@SLOW
@given(st.lists(st.sampled_from(ITEMS), max_size=60), st.sampled_from([2016, 2017, 2018]))
def test_summary_totals_add_up(items: list[InputRecord], year: int) -> None:
    """Households and people by village, township, county and month each add up to the
    year's totals, which are the exited households of that year."""
    s = summarise(items, year=year, codelists=LIB.codelists)
    exited = [
        i.record
        for i in items
        if i.record.get("exit_status") in {"1", "4"} and i.record.get("exit_year") == year
    ]
    assert s.households == len(exited)
    for rows in (s.by_village, s.townships(), s.counties(), s.by_month):
        assert sum(r[-2] for r in rows) == s.households
        assert sum(r[-1] for r in rows) == s.people
    assert sum(n for _, n, _ in s.by_measure) >= s.households


def test_cli_commands_on_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """adjust, suspects, summary and template run on the sample and write their files."""
    plan = tmp_path / "plan.txt"
    plan.write_text("\n".join(str(i.record["household_id"]) for i in ITEMS[:20]), encoding="utf-8")
    sample = tmp_path / "hh.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[: len(ITEMS)]
    sample.write_text("".join(lines), encoding="utf-8")
    assert (
        main(
            [
                "adjust",
                str(sample),
                "--plan",
                str(plan),
                "--as-of",
                "2018-10-31",
                "-o",
                str(tmp_path / "a.xlsx"),
            ]
        )
        == 1
    )
    assert (
        main(["suspects", str(sample), "--year-day", "11-25", "-o", str(tmp_path / "s.jsonl")]) == 1
    )
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines
    assert all(x["problem_id"].startswith("P") for x in lines)
    assert main(["summary", str(sample), "--year", "2018", "-o", str(tmp_path / "s.md")]) == 0
    assert "须于 2018-12-12 18:00 前上报" in (tmp_path / "s.md").read_text(encoding="utf-8")
    capsys.readouterr()
    # another year's summary does not take the 2018 calendar's deadline
    assert main(["summary", str(sample), "--year", "2017", "-o", str(tmp_path / "s17.md")]) == 0
    assert "上报" not in (tmp_path / "s17.md").read_text(encoding="utf-8")
    assert capsys.readouterr().err.rstrip().endswith("户")
    assert main(["template", "new-household", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert main(["template", "new-household", "--read", str(tmp_path / "t.xlsx")]) == 0
    assert "未改动的填写示例 1 行" in capsys.readouterr().err


def test_hand_out_sheets_give_wrapped_rows_the_lines_they_need(tmp_path: Path) -> None:
    """A spreadsheet program does not measure rows on opening: a wrapped text longer than its
    column gets a row tall enough for its lines (at spaces where it can break, a digest cut
    where the line ends); a short one keeps the default height."""
    from openpyxl import load_workbook

    from fupin_rules.deliverables.sheets import Sheet, write_sheets
    from fupin_rules.reports.sheets import LINE_HEIGHT

    digest = "export.xlsx  sha256:" + "d5f7" * 16
    deadline = "本乡(镇)动态管理工作总结上报镇扶贫开发领导小组办公室: 须于 2018-12-12T18:00 前上报"
    sheet = Sheet(
        "汇总", ("项目", "内容"), (("年度", 2018), ("输入文件", digest), ("截止", deadline))
    )
    path = tmp_path / "s.xlsx"
    write_sheets([attrs.evolve(sheet, wrapped=frozenset({1}))], path)
    ws = load_workbook(path)["汇总"]
    assert ws.column_dimensions["B"].width == 48
    assert ws.row_dimensions[2].height is None
    assert ws.row_dimensions[3].height == 3 * LINE_HEIGHT  # the name, then 71 columns in 47
    assert ws.row_dimensions[4].height == 2 * LINE_HEIGHT
    write_sheets([sheet], path)  # nothing wraps: every row one line
    ws = load_workbook(path)["汇总"]
    assert [ws.row_dimensions[r].height for r in (2, 3, 4)] == [None, None, None]


@given(st.text(alphabet="ab 中,-", max_size=60), st.integers(1, 30))
def test_wrapped_lines_never_fewer_than_the_text_needs(text: str, room: int) -> None:
    from fupin_rules.reports import sheets

    lines = sheets._wrapped_lines(text, room)
    width = sheets.cell_width(text)
    assert lines >= max(1, -(-width // room))
    if " " not in text:  # nowhere to break but where a line ends
        assert lines == max(1, -(-width // room))
