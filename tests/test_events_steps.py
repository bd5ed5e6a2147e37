"""Each way an event can fail its procedure: a missing step, steps out of order, two steps
merged on one day, a notice too short, missing signatures, documents or people, a step
outside its window, an unknown or repeated step, a member change without a reason."""

from __future__ import annotations

from typing import Any

import pytest

import fupin_rules as fr
from fupin_rules._resources import bundled_standards_dir

from .test_events_support import EVENTS, check, event, exit_event, exit_steps, outcomes, record


def _steps(**changes: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The complete exit steps with some replaced (a dict) or removed (None)."""
    out = []
    for step in exit_steps():
        if step["step"] in changes:
            replaced = changes[step["step"]]
            if replaced is None:
                continue
            step = {**step, **replaced}
        out.append(step)
    return out


def _exit(bundled: fr.Library, **options: Any) -> fr.Result:
    steps = options.pop("steps", None)
    data = exit_event("2018-11-20", steps=steps) if steps is not None else exit_event("2018-11-20")
    return check(bundled, data, **options)


def test_a_complete_exit_passes(bundled: fr.Library) -> None:
    """Every step there, in order, on its own day (the two signatures of 双认定 may share
    one), with its evidence, in its window. The notice lengths no source gives are shown
    but not judged: the finding is a reference one and does not make the event invalid."""
    result = _exit(bundled)
    assert result.outcome == "pass", result.to_json()
    durations = result.finding("durations")
    assert (durations.outcome, durations.severity) == ("unknown", "reference")
    assert "来源未给出" in durations.message
    assert "--param village_notice_days" in durations.message
    assert result.reasons == ()


def test_a_missing_step(bundled: fr.Library) -> None:
    result = _exit(bundled, steps=_steps(village_notice=None))
    found = result.finding("steps")
    assert result.outcome == "fail"
    assert found.outcome == "fail"
    assert [i.item_id for i in found.items] == ["village_notice"]
    assert found.items[0].message == "缺少步骤「村评议公示 (第一次公示)」 (应在 2018-11-25 前完成)"
    assert any("村评议公示" in s for s in found.sources)


def test_a_step_not_yet_due_at_the_check_moment_is_not_missing(bundled: fr.Library) -> None:
    """The system marking is due by 11-30 24:00: checked on 11-26 it is pending, checked
    from 12-01 00:00 (or with no check moment) it is missing."""
    steps = _steps(exit_marking=None)
    pending = _exit(bundled, steps=steps, at="2018-11-30T23:59").finding("steps")
    assert pending.outcome == "pass"
    assert pending.values["pending"] == (
        "全国扶贫开发信息系统中脱贫摘帽标注 (至 2018-11-30 24:00)",
    )
    assert _exit(bundled, steps=steps, at="2018-12-01T00:00").finding("steps").outcome == "fail"
    assert _exit(bundled, steps=steps).finding("steps").outcome == "fail"


def test_an_optional_unconfirmed_step_may_be_missing(bundled: fr.Library) -> None:
    """The 二上二下 step of 一微调 is recorded when given but not required (its steps are not
    given by any source)."""
    steps = [
        {"step": "survey", "date": "2018-10-08"},
        {"step": "adjustment", "date": "2018-10-12"},
        {"step": "approval", "date": "2018-10-15", "documents": ["annex_1_1"]},
        {"step": "planned_exit_marking", "date": "2018-10-20"},
    ]
    data = event(
        "plan_adjustment", "2018-10-15", changes={"marks": {"planned_exit": True}}, steps=steps
    )
    assert check(bundled, data).finding("steps").outcome == "pass"
    with_it = [{"step": "two_up_two_down", "date": "2018-09-30"}, *steps]
    data = event(
        "plan_adjustment", "2018-10-15", changes={"marks": {"planned_exit": True}}, steps=with_it
    )
    assert check(bundled, data).outcome == "pass"


def test_steps_out_of_order(bundled: fr.Library) -> None:
    """The county announcement before the township notice has ended."""
    result = _exit(bundled, steps=_steps(county_announcement={"date": "2018-11-15"}))
    found = result.finding("order")
    assert found.outcome == "fail"
    assert result.outcome == "fail"
    assert [i.item_id for i in found.items] == ["county_announcement"]
    assert (
        "早于上一步骤「乡镇审核公示 (第二次公示)」(2018-11-14 至 2018-11-20)结束" in found.message
    )


def test_order_is_to_the_minute_when_times_are_written(bundled: fr.Library) -> None:
    """The household's signature at 09:00 cannot follow the team's assessment at 10:00 of the
    same day; at 11:00 it can (the two may share a day)."""
    early = _steps(
        assessment={"date": "2018-11-06T10:00"}, confirmation={"date": "2018-11-06T09:00"}
    )
    assert _exit(bundled, steps=early).finding("order").outcome == "fail"
    later = _steps(
        assessment={"date": "2018-11-06T10:00"}, confirmation={"date": "2018-11-06T11:00"}
    )
    result = _exit(bundled, steps=later)
    assert outcomes(result)["order"] == "pass"
    assert outcomes(result)["merged"] == "pass"


def test_two_steps_merged_on_one_day(bundled: fr.Library) -> None:
    """不得简化、合并步骤: the village notice may not begin on the day of the household's
    confirmation; the confirmation itself may share the assessment's day."""
    result = _exit(
        bundled, steps=_steps(village_notice={"start": "2018-11-06", "end": "2018-11-13"})
    )
    found = result.finding("merged")
    assert found.outcome == "fail"
    assert result.outcome == "fail"
    assert [i.item_id for i in found.items] == ["village_notice"]
    assert "同一天 (2018-11-06)" in found.message
    assert found.sources == (
        "《xx安镇2018年度扶贫对象动态调整管理和信息采集录入工作方案》(xx扶领办发〔2018〕 号) 三(三) 不得简化、合并步骤 [未确认]",
    )


def test_merging_is_not_judged_where_the_procedure_does_not_forbid_it(bundled: fr.Library) -> None:
    data = event(
        "member_increase",
        "2018-10-25",
        changes={
            "members_added": [
                {"name": "杨小宝", "increase_reason": "新生儿", "increase_date": "2018-09-03"}
            ]
        },
        steps=[
            {"step": "collection_increase", "date": "2018-11-10", "documents": ["form_6"]},
            {"step": "system_entry", "date": "2018-11-10"},
        ],
    )
    assert check(bundled, data).finding("merged").outcome == "not_applicable"


def test_a_notice_too_short(bundled: fr.Library) -> None:
    """With the minimum given for the run (the sources give none), a 6-day notice fails and
    a 7-day one passes; the value used is in the finding and in the result."""
    short = _steps(village_notice={"start": "2018-11-07", "end": "2018-11-12"})
    result = _exit(bundled, steps=short, parameters={"village_notice_days": 7})
    found = result.finding("durations")
    assert (found.outcome, found.severity, result.outcome) == ("fail", "blocking", "fail")
    assert "共 6 天, 少于 7 天" in found.message
    assert next((p.name, p.value) for p in found.parameters) == ("village_notice_days", 7)
    assert dict(result.parameters) == {"village_notice_days": 7}
    enough = _exit(bundled, parameters={"village_notice_days": 7, "township_notice_days": 7})
    assert enough.finding("durations").outcome == "pass"


def test_a_notice_to_the_hour(bundled: fr.Library) -> None:
    """A notice from 11-07 09:00 to 11-14 08:00 is 6 days 23 hours: short of 7 days."""
    steps = _steps(
        village_notice={"start": "2018-11-07T09:00", "end": "2018-11-14T08:00"},
        township_notice={"start": "2018-11-15", "end": "2018-11-21"},
        county_announcement={"date": "2018-11-22"},
    )
    found = _exit(bundled, steps=steps, parameters={"village_notice_days": 7}).finding("durations")
    assert found.outcome == "fail"
    assert "6 天 23 小时, 少于 7 天" in found.message


def test_a_notice_with_one_date_is_no_period(bundled: fr.Library) -> None:
    notice = {"step": "village_notice", "date": "2018-11-07"}
    steps = [notice if s["step"] == "village_notice" else s for s in exit_steps()]
    found = _exit(bundled, steps=steps).finding("durations")
    assert found.outcome == "fail"
    assert "公示须写起止日期" in found.message


def test_a_fixed_minimum_in_a_procedure_file(bundled: fr.Library) -> None:
    """A procedure (here a test file) may give the minimum as a number."""
    lib = fr.load_library([bundled_standards_dir(), EVENTS / "procedures"])
    village = record("deep_village")

    def notice(end: str) -> fr.Result:
        steps = [
            {"step": "proposal", "date": "2010-06-01"},
            {"step": "notice", "start": "2010-06-02", "end": end},
        ]
        data = event(
            "village_inclusion", "2010-06-01", subject_kind="village", record=village, steps=steps
        )
        return check(lib, data)

    short = notice("2010-06-05")
    assert short.ruleset == "test.procedure.fixed-notice@2010"
    assert short.finding("durations").outcome == "fail"
    assert short.finding("durations").sources == ("《测试用来源》 公示至少 5 天",)
    assert notice("2010-06-06").finding("durations").outcome == "pass"
    assert notice("2010-06-06").finding("window").outcome == "not_applicable"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"confirmation": {"signatures": []}}, '「户主确认签字 ("双认定"之二)」缺少户主签字'),
        ({"confirmation": {"signatures": [{"role": "户主"}]}}, "缺少户主签字"),
        (
            {"assessment": {"signatures": [{"role": "户主", "name": "杨英光"}]}},
            "缺少帮扶联系人签字",
        ),
        ({"county_announcement": {"documents": []}}, "缺少材料《脱贫户名单公告》(县扶贫办)"),
        (
            {"assessment": {"by": [{"role": "帮扶联系人", "name": "韦志明"}]}},
            "经办人员 1 人, 少于 2 人",
        ),
    ],
)
def test_missing_evidence(bundled: fr.Library, changes: dict[str, Any], expected: str) -> None:
    result = _exit(bundled, steps=_steps(**changes))
    found = result.finding("evidence")
    assert found.outcome == "fail"
    assert result.outcome == "fail"
    assert expected in found.message


def test_both_recognitions_signed_with_a_role_and_a_name(bundled: fr.Library) -> None:
    """双认定: the helper's assessment and the household's confirmation, each signed."""
    result = _exit(bundled)
    assert result.finding("evidence").outcome == "pass"
    steps = _steps(assessment={"signatures": []}, confirmation={"signatures": []})
    found = _exit(bundled, steps=steps).finding("evidence")
    assert sorted(i.item_id for i in found.items) == ["assessment", "confirmation"]


def test_an_unknown_and_a_repeated_step(bundled: fr.Library) -> None:
    steps = [*exit_steps(), {"step": "village_notic", "date": "2018-11-23"}, exit_steps()[4]]
    found = _exit(bundled, steps=steps).finding("steps")
    assert found.outcome == "fail"
    messages = [i.message for i in found.items]
    assert any("没有这一步骤 (是否要写: village_notice)" in m for m in messages)
    assert any("「县级审定公告」记了两次 (第 5 项和第 8 项)" in m for m in messages)


def test_a_step_outside_its_window(bundled: fr.Library) -> None:
    """The system marking opens on 11-26; a notice running past 11-25 leaves the 双认定 window."""
    early = _exit(bundled, steps=_steps(exit_marking={"date": "2018-11-25"}))
    found = early.finding("step_windows")
    assert found.outcome == "fail"
    assert [i.item_id for i in found.items] == ["exit_marking"]
    assert "早了" in found.message
    long = _steps(
        township_notice={"start": "2018-11-14", "end": "2018-11-26"},
        county_announcement={"date": "2018-11-27"},
        exit_marking={"date": "2018-11-28"},
    )
    items = _exit(bundled, steps=long).finding("step_windows").items
    assert [i.item_id for i in items] == ["township_notice", "county_announcement"]


def test_a_member_change_without_a_reason(bundled: fr.Library) -> None:
    added = [
        {"name": "杨小宝", "id_number": "451099201809030018", "increase_date": "2018-09-03"},
        {"name": "韦小花", "increase_reason": "天上掉下来", "increase_date": "2018-09-40"},
        {"name": "黄某", "increase_reason": "嫁入", "increase_date": "2018-11-30"},
    ]
    data = event(
        "member_increase",
        "2018-10-25",
        changes={"members_added": added},
        steps=[{"step": "collection_increase", "date": "2018-10-25", "documents": ["form_6"]}],
    )
    found = check(bundled, data).finding("changes")
    assert found.outcome == "fail"
    assert [i.message for i in found.items] == [
        "新增成员 杨小宝 (451099201809030018): 没有新增原因",
        "新增成员 韦小花: 新增原因 '天上掉下来' 不在代码表「家庭成员自然增加原因」中"
        " (可用: 新生儿、嫁入、其他原因新增); 新增日期 '2018-09-40' 不是有效日期",
        "新增成员 黄某: 新增日期 2018-11-30 晚于事项日期 2018-10-25",
    ]


def test_an_event_must_state_what_its_type_changes(bundled: fr.Library) -> None:
    data = event("member_decrease", "2018-10-25", steps=[])
    found = check(bundled, data).finding("changes")
    assert found.outcome == "fail"
    assert "须写明自然减少的家庭成员" in found.message
    data = event("plan_adjustment", "2018-10-15", steps=[])
    assert "计划脱贫" in check(bundled, data).finding("changes").message
