"""The 2018 work-plan calendar: loading, windows to the minute, checks, due dates, lint."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from fupin_rules._yaml import read_yaml_text
from fupin_rules.calendar import (
    CST,
    Calendar,
    bundled_calendars,
    format_duration,
    lint_calendar,
    load_calendar,
    load_calendar_document,
    parse_moment,
    select_calendar,
)
from fupin_rules.errors import NotFoundError, RuleFileError, UsageError

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"
LINT = Path(__file__).resolve().parent / "invalid_calendars" / "lint_findings.yaml"


@pytest.fixture(scope="module")
def cal() -> Calendar:
    """The bundled 2018 calendar."""
    return load_calendar(PLAN)


def cst(text: str) -> datetime:
    """A China Standard Time moment from ``YYYY-MM-DD HH:MM``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CST)


# --- identity ---------------------------------------------------------------------------------


def test_identity(cal: Calendar) -> None:
    """The calendar carries its id, version, title, effective dates and a sha256 fingerprint."""
    assert cal.id == "town.dynamic-management"
    assert cal.version == "2018"
    assert cal.title.startswith("xx安镇2018年度")
    assert cal.effective_from == date(2018, 9, 30)
    assert cal.effective_until == date(2018, 12, 31)
    assert cal.fingerprint.startswith("sha256:")
    assert cal.source_file.endswith("2018.yaml")
    assert cal.to_dict()["fingerprint"] == cal.fingerprint


def test_source_number_left_blank_is_marked(cal: Calendar) -> None:
    """The plan's own number is blank in the text; the source says so and is unconfirmed."""
    (src,) = cal.sources
    assert src.number == "xx扶领办发〔2018〕 号"
    assert src.unconfirmed is True
    assert src.note is not None
    assert "文号空缺" in src.note


def test_fingerprint_ignores_comments_and_formatting(cal: Calendar) -> None:
    """Comments, blank lines and key order do not change the fingerprint; a date does."""
    text = PLAN.read_text(encoding="utf-8")
    reformatted = "# another comment\n\n" + text.replace("kind: calendar\nid:", "id:", 1)
    reformatted = reformatted.replace('version: "2018"', "version: '2018'\nkind: calendar", 1)
    other = load_calendar_document(read_yaml_text(reformatted, "x.yaml"))
    assert other.fingerprint == cal.fingerprint
    changed = text.replace('end: "2018-12-15T10:00"', 'end: "2018-12-15T11:00"')
    assert load_calendar_document(read_yaml_text(changed, "y.yaml")).fingerprint != cal.fingerprint


def test_whole_plan_is_encoded(cal: Calendar) -> None:
    """Every node of sections 二(一) to 二(六) is there with its window as the plan writes it."""
    windows = {n.id: (n.section, n.start_text, n.end_text) for n in cal.nodes}
    assert windows == {
        "training": ("二(一)", "2018-10-06", "2018-10-07"),
        "training_township": ("二(一)", "2018-10-06", "2018-10-06"),
        "training_village": ("二(一)", "2018-10-07", "2018-10-07"),
        "management": ("二(二)", "2018-09-30", "2018-11-25"),
        "plan_adjustment": ("二(二)1", "2018-09-30", "2018-10-31"),
        "new_identification": ("二(二)2", "2018-09-30", "2018-11-10"),
        "member_change": ("二(二)3", "2018-09-30", "2018-11-10"),
        "village_inclusion": ("二(二)4", "2018-09-30", "2018-11-10"),
        "exit_certification": ("二(二)5", "2018-11-05", "2018-11-25"),
        "household_exit": ("二(二)5(1)", "2018-11-05", "2018-11-25"),
        "village_exit": ("二(二)5(2)", "2018-11-15", "2018-11-25"),
        "collection": ("二(三)", "2018-09-30", "2018-11-25"),
        "collection_stage1": ("二(三)1", "2018-09-30", "2018-11-10"),
        "collection_stage2": ("二(三)2", "2018-11-05", "2018-11-25"),
        "system_operations": ("二(四)", "2018-11-10", "2018-11-30T24:00"),
        "system_entry": ("二(四)1", "2018-11-10", "2018-11-30T24:00"),
        "exit_marking": ("二(四)2", "2018-11-26", "2018-11-30T24:00"),
        "verification": ("二(五)", "2018-12-01", "2018-12-15"),
        "data_comparison": ("二(五)1", "2018-12-01", "2018-12-05"),
        "rectification": ("二(五)2", "2018-12-06", "2018-12-12"),
        "data_cleaning": ("二(五)3", "2018-12-13", "2018-12-15T10:00"),
        "summary": ("二(六)", "2018-12-15", "2018-12-15"),
    }
    (summary,) = cal.node("summary").deliverables
    assert summary.due == cst("2018-12-12 18:00")


# --- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-11-27", cst("2018-11-27 00:00")),
        ("2018-11-27T10:00", cst("2018-11-27 10:00")),
        ("2018-11-27 10:00", cst("2018-11-27 10:00")),
        ("2018-11-30T24:00", cst("2018-12-01 00:00")),
        ("2018-11-27T02:00Z", cst("2018-11-27 10:00")),
        ("2018-11-27T02:00+00:00", cst("2018-11-27 10:00")),
        ("2018-11-26T21:00-05:00", cst("2018-11-27 10:00")),
    ],
)
def test_parse_moment(text: str, expected: datetime) -> None:
    """Text moments are China Standard Time unless they carry an offset."""
    assert parse_moment(text) == expected
    assert parse_moment(text).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("text", ["2018-02-30", "2018-11-27T25:00", "27/11/2018", "", "tomorrow"])
def test_parse_moment_refuses(text: str) -> None:
    """Impossible or unreadable moments raise UsageError in Chinese."""
    with pytest.raises(UsageError, match=r"时间|日期|时刻"):
        parse_moment(text)


def test_naive_and_aware_moments() -> None:
    """A naive datetime is China Standard Time; an aware one is converted."""
    assert parse_moment(datetime(2018, 11, 25, 23, 59)) == cst("2018-11-25 23:59")
    assert parse_moment(datetime(2018, 11, 25, 15, 59, tzinfo=UTC)) == cst("2018-11-25 23:59")
    assert parse_moment(date(2018, 11, 25)) == cst("2018-11-25 00:00")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=1, hours=10), "1 天 10 小时"),
        (timedelta(minutes=1), "1 分钟"),
        (timedelta(seconds=59), "不到 1 分钟"),
        (timedelta(hours=2, minutes=5), "2 小时 5 分钟"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    """Durations are written in days, hours and minutes."""
    assert format_duration(delta) == text


# --- boundaries to the minute ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "first_in", "last_in"),
    [
        ("household_exit_certification", "2018-11-05 00:00", "2018-11-25 23:59"),
        ("village_exit_certification", "2018-11-15 00:00", "2018-11-25 23:59"),
        ("exit_marking", "2018-11-26 00:00", "2018-11-30 23:59"),  # 11月30日24时
        ("data_cleaning", "2018-12-13 00:00", "2018-12-15 09:59"),  # 12月15日10时
        ("rectification", "2018-12-06 00:00", "2018-12-12 23:59"),
    ],
)
def test_window_boundaries_to_the_minute(
    cal: Calendar, action: str, first_in: str, last_in: str
) -> None:
    """The first and last minutes are in; the minute before and the minute after are out."""
    first, last = cst(first_in), cst(last_in)
    minute = timedelta(minutes=1)
    assert cal.check(action, first).ok
    assert cal.check(action, last).ok
    assert cal.check(action, last + timedelta(seconds=59)).ok
    assert cal.check(action, first - minute).early
    assert cal.check(action, last + minute).late


def test_24_hour_end(cal: Calendar) -> None:
    """ "11月30日24时" is 00:00 of 1 December: 23:59 is in, 00:00 is out."""
    assert cal.node("system_entry").contains("2018-11-30T23:59")
    assert not cal.node("system_entry").contains("2018-12-01T00:00")
    assert cal.node("system_entry").contains("2018-11-30T24:00") is False


def test_10_hour_end(cal: Calendar) -> None:
    """ "12月15日10时": 09:59 is in; 10:00 is late by less than a minute; 10:01 by 1 minute."""
    assert cal.check("data_cleaning", "2018-12-15T09:59").ok
    at_ten = cal.check("data_cleaning", "2018-12-15T10:00")
    assert at_ten.late
    assert at_ten.message.endswith("晚了 不到 1 分钟")
    assert cal.check("data_cleaning", "2018-12-15T10:01").message.endswith("晚了 1 分钟")


def test_aware_time_in_another_zone(cal: Calendar) -> None:
    """15:59 UTC on 25 Nov is 23:59 in Beijing (in); 16:00 UTC is 00:00 on 26 Nov (out)."""
    assert cal.check("household_exit_certification", datetime(2018, 11, 25, 15, 59, tzinfo=UTC)).ok
    late = cal.check("household_exit_certification", datetime(2018, 11, 25, 16, 0, tzinfo=UTC))
    assert late.late
    assert "2018-11-26 00:00" in late.message
    new_york = timezone(timedelta(hours=-5))
    assert cal.check("data_cleaning", datetime(2018, 12, 14, 20, 59, tzinfo=new_york)).ok
    assert cal.check("data_cleaning", datetime(2018, 12, 14, 21, 0, tzinfo=new_york)).late


# --- every action in and out of its window ------------------------------------------------------

ACTION_SPANS = {
    "training": ("2018-10-06 00:00", "2018-10-07 23:59"),
    "plan_adjustment": ("2018-09-30 00:00", "2018-10-31 23:59"),
    "planned_exit_marking": ("2018-09-30 00:00", "2018-10-31 23:59"),
    "household_new_identification": ("2018-09-30 00:00", "2018-11-10 23:59"),
    "household_return_to_poverty": ("2018-09-30 00:00", "2018-11-10 23:59"),
    "member_change": ("2018-09-30 00:00", "2018-11-10 23:59"),
    "village_inclusion": ("2018-09-30 00:00", "2018-11-10 23:59"),
    "household_exit_certification": ("2018-11-05 00:00", "2018-11-25 23:59"),
    "village_exit_certification": ("2018-11-15 00:00", "2018-11-25 23:59"),
    "information_collection": ("2018-09-30 00:00", "2018-11-25 23:59"),
    "system_entry": ("2018-11-10 00:00", "2018-11-30 23:59"),
    "return_marking": ("2018-11-10 00:00", "2018-11-30 23:59"),
    "exit_marking": ("2018-11-26 00:00", "2018-11-30 23:59"),
    "data_comparison": ("2018-12-01 00:00", "2018-12-05 23:59"),
    "rectification": ("2018-12-06 00:00", "2018-12-12 23:59"),
    "data_cleaning": ("2018-12-13 00:00", "2018-12-15 09:59"),
    "summary_report": ("2018-12-15 00:00", "2018-12-15 23:59"),
}


def test_action_table_covers_the_vocabulary(cal: Calendar) -> None:
    """The table below names every action of the calendar."""
    assert set(ACTION_SPANS) == set(cal.actions)


DEADLINE_ACTIONS = {"summary_report"}
"""Actions that hand in a deliverable: checked against its deadline, not their windows."""


@pytest.mark.parametrize("action", sorted(ACTION_SPANS))
def test_every_action_open_and_closed(cal: Calendar, action: str) -> None:
    """Each action is open from its first to its last minute, and closed just outside."""
    first, last = (cst(t) for t in ACTION_SPANS[action])
    minute = timedelta(minutes=1)
    middle = first + (last - first) / 2
    for moment in (first, middle, last):
        assert action in {a.id for a in cal.open_at(moment).actions}
    assert action not in {a.id for a in cal.open_at(first - minute).actions}
    assert action not in {a.id for a in cal.open_at(last + minute).actions}


def test_deadline_actions(cal: Calendar) -> None:
    """Exactly the actions listed above hand in a deliverable."""
    assert {a for a in cal.actions if cal.deadline_of(a) is not None} == DEADLINE_ACTIONS


@pytest.mark.parametrize("action", sorted(set(ACTION_SPANS) - DEADLINE_ACTIONS))
def test_every_action_in_and_out(cal: Calendar, action: str) -> None:
    """Each action is on time from its first to its last minute, and not just outside."""
    first, last = (cst(t) for t in ACTION_SPANS[action])
    minute = timedelta(minutes=1)
    middle = first + (last - first) / 2
    for moment in (first, middle, last):
        result = cal.check(action, moment)
        assert result.ok, result.message
        assert result.deadline is None
    before, after = cal.check(action, first - minute), cal.check(action, last + minute)
    assert (before.status, after.status) == ("early", "late")
    assert before.message.endswith("早了 1 分钟")
    assert after.message.endswith("晚了 不到 1 分钟")  # the end instant itself
    assert cal.check(action, last + 2 * minute).message.endswith("晚了 1 分钟")


def test_check_explanation(cal: Calendar) -> None:
    """A late check says the window, the moment and how late, and names the section."""
    result = cal.check("household_exit_certification", "2018-11-27T10:00")
    assert result.late
    assert not result.ok
    assert result.message == (
        '贫困户脱贫摘帽"双认定"应在 2018-11-05 至 2018-11-25 之间;'
        " 所给时间 2018-11-27 10:00 晚了 1 天 10 小时"
    )
    assert result.section == "二(二)5(1)"
    assert result.to_dict()["status"] == "late"
    assert result.fingerprint == cal.fingerprint


def test_check_ok_and_two_windows(cal: Calendar) -> None:
    """An action with two windows lists both; the matching one gives the section."""
    result = cal.check("information_collection", "2018-11-20T09:00")
    assert result.ok
    assert result.section == "二(三)2"
    assert [w.node_id for w in result.windows] == ["collection_stage1", "collection_stage2"]
    assert "2018-09-30 至 2018-11-10 或 2018-11-05 至 2018-11-25 之间" in result.message


SUMMARY_LABEL = "本乡(镇)动态管理工作总结上报镇扶贫开发领导小组办公室"


@pytest.mark.parametrize(
    ("moment", "status", "tail"),
    [
        ("2018-12-12T17:59", "ok", "按时, 距截止还有 1 分钟"),
        ("2018-12-12T17:59:59", "ok", "按时, 距截止还有 不到 1 分钟"),
        ("2018-12-12T18:00", "late", "晚了 不到 1 分钟"),  # "18时前": 18:00 itself is late
        ("2018-12-12T18:01", "late", "晚了 1 分钟"),
        ("2018-12-01T09:00", "ok", "按时, 距截止还有 11 天 9 小时"),  # any time before it
        ("2018-12-15T09:00", "late", "晚了 2 天 15 小时"),  # the node's own date: late
    ],
)
def test_summary_deadline_to_the_minute(cal: Calendar, moment: str, status: str, tail: str) -> None:
    """ "于2018年12月12日18时前" decides the summary: 17:59 on time, 18:00 and 18:01 late."""
    result = cal.check("summary_report", moment)
    assert result.status == status
    assert result.message == (
        f"动态管理工作总结须在 2018-12-12 18:00 前完成 (二(六)); 所给时间 {moment[:10]}"
        f" {moment[11:]} {tail}"
    )
    assert result.deadline is cal.deliverable("summary_report")
    assert result.window is None
    assert result.section == "二(六)"
    assert result.notes == (
        f"二(六) 要求 {SUMMARY_LABEL} 在 2018-12-12 18:00 前完成",
        "方案 二(六) 标注的时段为 2018-12-15 当天; 是否按时以截止时间 2018-12-12 18:00 为准",
    )
    data = result.to_dict()
    assert data["deadline"]["due_instant"] == "2018-12-12T18:00:00+08:00"
    assert data["deadline"]["action"] == "summary_report"


def test_deadline_is_half_open_to_the_second(cal: Calendar) -> None:
    """Before the due instant is on time, to the second and in any zone; from it on, late."""
    due = cal.deliverable("summary_report").due
    assert due == cst("2018-12-12 18:00")
    assert cal.check("summary_report", due - timedelta(seconds=1)).ok
    assert cal.check("summary_report", due).late
    assert cal.check("summary_report", datetime(2018, 12, 12, 9, 59, 59, tzinfo=UTC)).ok
    assert cal.check("summary_report", datetime(2018, 12, 12, 10, 0, tzinfo=UTC)).late
    assert cal.deliverable("summary_report").on_time(due - timedelta(microseconds=1))
    assert not cal.deliverable("summary_report").on_time(due)


def test_check_a_deliverable_by_its_id(cal: Calendar) -> None:
    """A deliverable without an action is checked by its id, against its deadline."""
    on_time = cal.check("problem_list", "2018-12-05T23:59")
    assert on_time.ok
    assert on_time.message == (
        "问题清单 (反馈到各行政村)须在 2018-12-05 前完成 (二(五)1);"
        " 所给时间 2018-12-05 23:59 按时, 距截止还有 1 分钟"
    )
    assert on_time.notes == (
        "截止时间未经来源确认: 方案未写明问题清单反馈的截止时间; 取本阶段结束日。",
    )
    assert on_time.windows == ()
    late = cal.check("problem_list", "2018-12-06T00:00")
    assert late.late
    assert late.message.endswith("晚了 不到 1 分钟")


def test_window_checks_still_note_deadlines(cal: Calendar) -> None:
    """An action checked by its windows still notes the deadlines of those windows' nodes."""
    result = cal.check("data_comparison", "2018-12-03T10:00")
    assert result.ok
    assert result.deadline is None
    assert result.notes == (
        "二(五)1 要求 问题清单 (反馈到各行政村) 在 2018-12-05 前完成 (所给时间未到此截止时间)",
    )


def test_check_unknown_name_suggests_actions_and_deliverables(cal: Calendar) -> None:
    """A name that is neither an action nor a deliverable is NotFoundError with suggestions."""
    with pytest.raises(NotFoundError, match="工作事项或成果") as info:
        cal.check("problem_lists", "2018-12-01")
    assert "problem_list" in info.value.suggestions
    with pytest.raises(NotFoundError, match="成果"):
        cal.deliverable("nothing")


def test_check_between_windows() -> None:
    """A moment in a gap between two windows is 'between', with both distances."""
    text = LINT.read_text(encoding="utf-8").replace('start: "2018-11-05"', 'start: "2018-11-15"')
    cal = load_calendar_document(read_yaml_text(text, "gap.yaml"))
    result = cal.check("collect", "2018-11-12T12:00")
    assert result.status == "between"
    assert (result.ok, result.early, result.late) == (False, False, False)
    assert "晚了 1 天 12 小时" in result.message
    assert "早了 2 天 12 小时" in result.message


def test_unknown_action(cal: Calendar) -> None:
    """An unknown action is NotFoundError with a suggestion."""
    with pytest.raises(NotFoundError, match="household_exit_certification"):
        cal.check("household_exit_certificaton", "2018-11-20")


# --- open_at, windows, due_within ----------------------------------------------------------------


def test_open_at(cal: Calendar) -> None:
    """On 10 November both the first stage and the system entry are open."""
    opened = cal.open_at("2018-11-10T12:00")
    assert [n.id for n in opened.nodes] == [
        "management",
        "new_identification",
        "member_change",
        "village_inclusion",
        "exit_certification",
        "household_exit",
        "collection",
        "collection_stage1",
        "collection_stage2",
        "system_operations",
        "system_entry",
    ]
    assert [a.id for a in opened.actions] == [
        "household_new_identification",
        "household_return_to_poverty",
        "member_change",
        "village_inclusion",
        "household_exit_certification",
        "information_collection",
        "system_entry",
        "return_marking",
    ]
    assert cal.open_at("2019-01-01").nodes == ()


def test_windows_of_system_entry(cal: Calendar) -> None:
    """System entry has two windows, both ending at 24:00 on 30 November."""
    wins = cal.windows("system_entry")
    assert [(w.node_id, w.section, w.text) for w in wins] == [
        ("system_entry", "二(四)1", "2018-11-10 至 2018-11-30 24:00"),
        ("exit_marking", "二(四)2", "2018-11-26 至 2018-11-30 24:00"),
    ]
    assert all(w.end == cst("2018-12-01 00:00") for w in wins)


def test_due_within(cal: Calendar) -> None:
    """Due within 7 days of 10 Dec: the summary first, then the 二(五) ends, in order."""
    items = cal.due_within("2018-12-10", 7)
    assert [(i.kind, i.id, i.due_text) for i in items] == [
        ("deliverable", "summary_report", "2018-12-12T18:00"),
        ("node_end", "rectification", "2018-12-12"),
        ("node_end", "data_cleaning", "2018-12-15T10:00"),
        ("node_end", "verification", "2018-12-15"),
        ("node_end", "summary", "2018-12-15"),
    ]


def test_due_within_edges(cal: Calendar) -> None:
    """A node ending on the start date is due that day; one that ended the day before is not."""
    assert "new_identification" in {i.id for i in cal.due_within("2018-11-10", 1)}
    assert "new_identification" not in {i.id for i in cal.due_within("2018-11-11", 1)}
    assert cal.due_within("2018-11-10", 0) == ()
    with pytest.raises(UsageError):
        cal.due_within("2018-11-10", -1)


# --- lint ---------------------------------------------------------------------------------------


def test_lint_of_the_2018_plan(cal: Calendar) -> None:
    """The plan's own inconsistencies are reported where they are, and its dates are kept."""
    found = [(p.line, p.code, p.path) for p in lint_calendar(cal)]
    assert found == [
        (183, "calendar.after-broken", "nodes[15].after[0]"),
        (183, "calendar.after-broken", "nodes[15].after[1]"),
        (245, "calendar.deliverable-outside-node", "nodes[21].deliverables[0].due"),
        (245, "calendar.deliverable-before-work", "nodes[21].deliverables[0].due"),
    ]
    messages = [p.message for p in lint_calendar(cal)]
    assert messages[3] == (
        "本乡(镇)动态管理工作总结上报镇扶贫开发领导小组办公室 须在 2018-12-12 18:00 前完成,"
        " 但它所总结的 二(五) 信息比对核查、问题整改及系统数据清洗完善 到 2018-12-15 才结束"
        " (早了 3 天 6 小时)"
    )
    assert str(lint_calendar(cal)[0]).startswith(f"{PLAN}:183:13: nodes[15].after[0]: 二(四)1 ")


def test_lint_every_kind() -> None:
    """A fixture with one of each finding: codes, lines and paths pinned."""
    cal = load_calendar(LINT)
    found = [(p.line, p.column, p.code, p.path) for p in lint_calendar(cal)]
    assert found == [
        (20, 3, "calendar.action-unused", "actions.unused_action"),
        (32, 5, "calendar.child-outside-parent", "nodes[1].start"),
        (35, 5, "calendar.overlap", "nodes[1].exclusive"),
        (41, 5, "calendar.child-outside-parent", "nodes[2].end"),
        (49, 13, "calendar.after-broken", "nodes[3].after[0]"),
        (50, 23, "calendar.overlap", "nodes[3].no_overlap_with[0]"),
        (61, 9, "calendar.deliverable-outside-node", "nodes[4].deliverables[0].due"),
        (61, 9, "calendar.deliverable-before-work", "nodes[4].deliverables[0].due"),
        (64, 9, "calendar.deliverable-outside-node", "nodes[4].deliverables[1].due"),
    ]
    by_code = {p.code: p.message for p in lint_calendar(cal)}
    assert by_code["calendar.after-broken"] == (
        "二(四)1 录入 应在 二(三)1 第一阶段 结束后开始, 但它 2018-11-10 开始,"
        " 而后者到 2018-11-10 才结束 (重叠 1 天)"
    )
    assert by_code["calendar.action-unused"] == (
        "工作事项 'unused_action' (没有节点开放的事项) 没有任何节点开放"
    )


# --- finding bundled calendars --------------------------------------------------------------------


def test_bundled_calendars_and_selection(tmp_path: Path) -> None:
    """The bundled calendar is found by kind; selection is by id, version or date in force."""
    found = bundled_calendars(ROOT / "standards")
    assert [(c.id, c.version) for c in found] == [("town.dynamic-management", "2018")]
    assert select_calendar(found, as_of="2018-11-20").version == "2018"
    assert select_calendar(found, calendar_id="town.dynamic-management@2018").version == "2018"
    with pytest.raises(NotFoundError, match="2019-03-01 没有施行中的日历"):
        select_calendar(found, as_of="2019-03-01")
    with pytest.raises(NotFoundError, match=r"town\.dynamic-management"):
        select_calendar(found, calendar_id="town.dynamic-managment")
    second = tmp_path / "b.yaml"
    second.write_text(
        PLAN.read_text(encoding="utf-8").replace('version: "2018"', 'version: "2019"'),
        encoding="utf-8",
    )
    (tmp_path / "rules.yaml").write_text("kind: ruleset\nid: [broken\n", encoding="utf-8")
    both = bundled_calendars(tmp_path) + found
    with pytest.raises(UsageError, match="有多个日历可选"):
        select_calendar(both, as_of="2018-11-20")
    assert select_calendar(both, version="2019").version == "2019"


def test_broken_bundled_calendar_fails_closed(tmp_path: Path) -> None:
    """A broken calendar file under the root stops the scan with its file:line."""
    (tmp_path / "c.yaml").write_text("kind: calendar\nid: x\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"c\.yaml:1:1"):
        bundled_calendars(tmp_path)


def test_to_dict_is_plain_and_deterministic(cal: Calendar) -> None:
    """to_dict gives JSON-ready data; two loads give the same canonical JSON."""
    from fupin_rules._canonical import dumps

    text = dumps(cal.to_dict())
    assert text == dumps(load_calendar(PLAN).to_dict())
    node = cal.to_dict()["nodes"][20]
    assert (node["id"], node["end"], node["end_instant"]) == (
        "data_cleaning",
        "2018-12-15T10:00",
        "2018-12-15T10:00:00+08:00",
    )
