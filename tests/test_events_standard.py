"""The standard on the event's own date: the version in force that day judges the subject's
record, whatever day the batch is checked."""

from __future__ import annotations

from typing import Any

import fupin_rules as fr

from .test_events_support import check, event, exit_event, outcomes, record


def _steps_2016() -> list[dict[str, Any]]:
    return [
        {"step": "democratic_appraisal", "date": "2016-11-01"},
        {"step": "verification", "date": "2016-11-03"},
        {
            "step": "household_consent",
            "date": "2016-11-05",
            "signatures": [{"role": "户主", "name": "蒙某"}],
        },
        {"step": "village_notice", "start": "2016-11-06", "end": "2016-11-12"},
        {"step": "announcement", "date": "2016-11-15"},
        {"step": "deregistration", "date": "2016-11-20"},
    ]


def test_an_exit_passes_under_2016_and_fails_under_2018_by_its_own_date(
    bundled: fr.Library,
) -> None:
    """The same household (not 吃穿不愁, which the 2017 and 2018 standards require):
    certified on 2016-11-20 it is judged by the 2016 standard and procedure and passes;
    certified on 2018-11-20, by the 2018 ones, and fails."""
    household = record("exits_2016_only")
    old = check(
        bundled, event("household_exit", "2016-11-20", record=household, steps=_steps_2016())
    )
    new = check(bundled, exit_event("2018-11-20", record=household))
    assert (old.outcome, new.outcome) == ("pass", "fail")
    assert (old.ruleset, new.ruleset) == (
        "gx.procedure.household-exit@2016",
        "gx.procedure.household-exit@2018",
    )
    before, after = old.finding("standard"), new.finding("standard")
    assert before.values["standard"] == "gx.household.exit@2016"
    assert before.outcome == "pass"
    assert after.values["standard"] == "gx.household.exit@2018"
    assert after.outcome == "fail"
    assert [i.item_id for i in after.items] == ["income_source"]
    assert "吃穿不愁 否" in after.message
    assert (
        after.values["standard_fingerprint"]
        == bundled.get("gx.household.exit", version="2018").fingerprint
    )
    # no calendar covers 2016: the window is not checked, and the result says so
    assert old.finding("window").outcome == "not_applicable"
    assert outcomes(new)["window"] == "pass"


def test_the_version_changes_at_midnight_of_its_first_day(bundled: fr.Library) -> None:
    """gx.household.exit 2016 is in force until 2016-12-31, 2017 until 2018-09-29, 2018 from
    09-30: an event at 23:59 of a version's last day is judged by it, one at 00:00 of the
    next day by the next version."""
    household = record("exits_2016_only")

    def standard(moment: str) -> Any:
        found = check(bundled, event("household_exit", moment, record=household))
        return found.finding("standard").values["standard"]

    assert standard("2016-12-31T23:59") == "gx.household.exit@2016"
    assert standard("2017-01-01T00:00") == "gx.household.exit@2017"
    assert standard("2018-09-29T23:59") == "gx.household.exit@2017"
    assert standard("2018-09-30T00:00") == "gx.household.exit@2018"


def test_a_required_record_missing_makes_the_event_undecidable(bundled: fr.Library) -> None:
    result = check(bundled, exit_event("2018-11-20", record=None, subject="4510991022010000001"))
    assert result.finding("standard").outcome == "unknown"
    assert result.outcome == "invalid"
    assert result.reasons == (
        "「标准」无法判定: 事项没有附该户的记录 (record), 此前的事项也没有, 无法按 gx.household.exit 判定",
    )


def test_a_record_the_standard_refuses_makes_the_event_undecidable(bundled: fr.Library) -> None:
    household = record("exits_2018")
    household["household_size"] = "五口"
    result = check(bundled, exit_event("2018-11-20", record=household))
    found = result.finding("standard")
    assert found.outcome == "unknown"
    assert result.outcome == "invalid"
    assert "家庭人口数" in found.message


def test_no_procedure_in_force_on_the_date(bundled: fr.Library) -> None:
    result = check(bundled, exit_event("2015-11-20"))
    assert result.outcome == "invalid"
    assert not result.findings
    assert result.reasons == (
        '2015-11-20 没有施行中的「贫困户脱贫退出 ("双认定")」程序'
        " (已有: gx.procedure.household-exit@2016: 2016-04-01 至 2018-09-29;"
        " gx.procedure.household-exit@2018: 2018-09-30 至 今)",
    )
    assert (result.record_id, result.source, result.as_of) == ("E1", "t.jsonl:1", "2015-11-20")


def test_a_reference_standard_is_shown_but_does_not_fail_the_event(bundled: fr.Library) -> None:
    """一微调 looks at the standard (摸底调查) but keeping a household in the plan does not
    need it to be met yet."""
    steps = [
        {"step": "survey", "date": "2018-10-08"},
        {"step": "adjustment", "date": "2018-10-12"},
        {"step": "approval", "date": "2018-10-15", "documents": ["annex_1_1"]},
        {"step": "planned_exit_marking", "date": "2018-10-20"},
    ]
    data = event(
        "plan_adjustment",
        "2018-10-15",
        record=record("exits_2016_only"),
        changes={"marks": {"planned_exit": True}},
        steps=steps,
    )
    result = check(bundled, data)
    found = result.finding("standard")
    assert (found.outcome, found.severity) == ("fail", "reference")
    assert result.outcome == "pass"


def test_the_subject_must_be_of_the_kind_the_event_type_has(bundled: fr.Library) -> None:
    data = event("village_exit", "2018-11-20", subject_kind="household", subject="H1")
    result = check(bundled, data)
    assert result.outcome == "invalid"
    assert result.reasons == (
        "「贫困村脱贫摘帽认定」事项的对象须是村, 不是户 (subject.kind: household)",
    )


def test_a_village_inclusion_is_judged_by_no_standard(bundled: fr.Library) -> None:
    village = record("deep_village")
    steps = [
        {"step": "collection", "date": "2018-10-12"},
        {"step": "system_entry", "date": "2018-11-12"},
    ]
    data = event(
        "village_inclusion", "2018-10-10", subject_kind="village", record=village, steps=steps
    )
    result = check(bundled, data)
    assert result.outcome == "pass"
    assert result.finding("standard").outcome == "not_applicable"
    assert result.finding("state").outcome == "pass"


def test_a_village_exit_under_the_village_standard(bundled: fr.Library) -> None:
    village = record("village_exits")
    steps = [
        {"step": "certification", "date": "2018-11-16"},
        {"step": "township_notice", "start": "2018-11-17", "end": "2018-11-21"},
        {"step": "announcement", "date": "2018-11-23"},
        {"step": "exit_marking", "date": "2018-11-28"},
    ]
    data = event("village_exit", "2018-11-16", subject_kind="village", record=village, steps=steps)
    result = check(bundled, data)
    assert result.outcome == "pass", result.to_json()
    assert result.finding("standard").values["standard"] == "gx.village.exit@2018"
