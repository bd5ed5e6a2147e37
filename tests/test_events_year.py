"""A household's year: its state on any date, and later events checked against the state
they found."""

from __future__ import annotations

import datetime as dt
import functools
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.errors import UsageError
from fupin_rules.events import Event, SubjectState, SubjectYear, apply_event, read_event
from fupin_rules.events.check import EventChecker
from fupin_rules.io.jsonl import InputRecord

from .test_events_support import event, exit_event, record
from .test_frozen import _mutable

HOUSEHOLD = "4510991022010000001"

PLAN_STEPS = [
    {"step": "survey", "date": "2018-10-08"},
    {"step": "adjustment", "date": "2018-10-12"},
    {"step": "approval", "date": "2018-10-15", "documents": ["annex_1_1"]},
    {"step": "planned_exit_marking", "date": "2018-10-20"},
]

NEWBORN = {
    "name": "杨小宝",
    "sex": "男",
    "id_type": "居民身份证(户口簿)",
    "id_number": "451099201809030018",
    "birth_date": "2018-09-03",
    "relation": "07",
    "education": "06",
    "school_status": "01",
    "health": "01",
    "labour_skill": "04",
    "medical_insurance": True,
    "critical_illness_insurance": True,
    "increase_reason": "新生儿",
    "increase_date": "2018-09-03",
}


def _batch(lib: fr.Library, *events: dict[str, Any]) -> dict[str, fr.Result]:
    items = [InputRecord(source=f"b.jsonl:{i + 1}", record=e) for i, e in enumerate(events)]
    return {r.record_id or "": r for r in EventChecker(lib).check_all(items)}


def _plan(planned: bool, date: str = "2018-10-15", event_id: str = "P1") -> dict[str, Any]:
    changes = {"marks": {"planned_exit": planned}}
    return event(
        "plan_adjustment",
        date,
        event_id=event_id,
        subject=HOUSEHOLD,
        changes=changes,
        steps=PLAN_STEPS,
    )


def test_an_exit_finds_the_planned_exit_list(bundled: fr.Library) -> None:
    results = _batch(bundled, _plan(True), exit_event("2018-11-20", event_id="X1"))
    state = results["X1"].finding("state")
    assert state.outcome == "pass"
    assert state.values["events_before"] == ("P1",)
    assert results["X1"].outcome == "pass"


def test_an_exit_of_a_household_taken_out_of_the_plan_fails(bundled: fr.Library) -> None:
    results = _batch(bundled, _plan(False), exit_event("2018-11-20", event_id="X1"))
    state = results["X1"].finding("state")
    assert state.outcome == "fail"
    assert results["X1"].outcome == "fail"
    assert state.items[0].message == (
        '未列入"一微调"最终核定的计划脱贫户名单 ("双认定"的初选名单):'
        " 此前计划脱贫 (摘帽)为 否 (据事项 P1)"
    )
    assert state.sources == (
        "《xx安镇2018年度扶贫对象动态调整管理和信息采集录入工作方案》(xx扶领办发〔2018〕 号) 二(二)1 [未确认]",
    )


def test_a_mark_no_event_gave_is_not_judged_and_said_so(bundled: fr.Library) -> None:
    result = _batch(bundled, exit_event("2018-11-20", event_id="X1"))["X1"]
    state = result.finding("state")
    assert state.outcome == "pass"  # the record's 脱贫标志 (未脱贫) is judged
    assert state.message.endswith("此前状态不明, 未核对: 计划脱贫 (摘帽)")


def test_events_apply_in_time_order_whatever_the_input_order(bundled: fr.Library) -> None:
    forward = _batch(bundled, _plan(True), exit_event("2018-11-20", event_id="X1"))
    backward = _batch(bundled, exit_event("2018-11-20", event_id="X1"), _plan(True))
    assert forward["X1"].finding("state") == backward["X1"].finding("state")
    # a plan adjusted after the exit does not count for it
    later = _batch(bundled, _plan(False, "2018-11-21"), exit_event("2018-11-20", event_id="X1"))
    assert later["X1"].finding("state").outcome == "pass"


def test_a_return_to_poverty_finds_the_exit(bundled: fr.Library) -> None:
    """The household exited on 11-20 (its exit event set 脱贫标志 已脱贫); returned on 11-21,
    it is a 脱贫户 whatever its stale record says; never exited, it cannot return."""
    back = event("return_to_poverty", "2018-11-21", event_id="R1", record=record("exits_2018"))
    results = _batch(bundled, exit_event("2018-11-20", event_id="X1"), back)
    state = results["R1"].finding("state")
    assert [i.item_id for i in state.items if i.item_id == "exit_status"] == ["exit_status"]
    assert "事项 X1 已使其为 已脱贫(享受政策)" in state.message  # the stale record disagrees
    assert all("不是脱贫户" not in i.message for i in state.items)
    alone = _batch(bundled, back)["R1"].finding("state")
    assert (
        alone.items[0].message
        == "不是脱贫户 (或退出户), 不能返贫纳入: 此前脱贫标志为 未脱贫 (据本事项所附记录)"
    )


def test_a_member_change_that_makes_household_size_disagree(bundled: fr.Library) -> None:
    """A newborn added without 家庭人口数 changed: the record as the event leaves it has 6
    members and 家庭人口数 5, which the record-quality standard reports."""
    steps = [
        {"step": "collection_increase", "date": "2018-10-25", "documents": ["form_6"]},
        {"step": "system_entry", "date": "2018-11-15"},
    ]
    household = {k: v for k, v in record("exits_2018").items() if k != "net_income"}
    stale = event(
        "member_increase",
        "2018-10-25",
        record=household,
        changes={"members_added": [NEWBORN]},
        steps=steps,
    )
    result = _batch(bundled, stale)["E1"]
    standard = result.finding("standard")
    assert standard.outcome == "fail"
    assert result.outcome == "fail"
    assert [i.item_id for i in standard.items] == ["household_size"]
    assert "家庭人口数 5 与成员名单人数 6 不一致" in standard.message
    sized = event(
        "member_increase",
        "2018-10-25",
        record=household,
        changes={"members_added": [NEWBORN], "household_size": 6},
        steps=steps,
    )
    assert _batch(bundled, sized)["E1"].outcome == "pass"


def test_a_later_event_is_checked_against_the_state_it_found(bundled: fr.Library) -> None:
    """After the newborn (6 members), an exit whose record still lists 5 disagrees with the
    year; an exit with no record of its own is judged on the record the year built."""
    steps = [
        {"step": "collection_increase", "date": "2018-10-25", "documents": ["form_6"]},
        {"step": "system_entry", "date": "2018-11-15"},
    ]
    added = event(
        "member_increase",
        "2018-10-25",
        event_id="M1",
        record=record("exits_2018"),
        changes={"members_added": [NEWBORN], "household_size": 6},
        steps=steps,
    )
    stale = _batch(bundled, added, exit_event("2018-11-20", event_id="X1"))["X1"].finding("state")
    assert stale.outcome == "fail"
    assert [i.message for i in stale.items] == [
        "所附记录的成员与此前事项 (至 M1) 留下的不一致: 缺少 451099201809030018",
        "所附记录的家庭人口数 5 与此前事项 (至 M1) 留下的 6 不一致",
    ]
    bare = exit_event("2018-11-20", event_id="X2", record=None, subject=HOUSEHOLD)
    judged = _batch(bundled, added, bare)["X2"]
    assert judged.finding("standard").outcome == "pass"
    assert judged.outcome == "pass"


def test_removing_a_member_not_in_the_household(bundled: fr.Library) -> None:
    gone = {
        "name": "无此人",
        "id_number": "110105194912310021",
        "decrease_reason": "死亡",
        "decrease_date": "2018-08-01",
    }
    steps = [{"step": "collection_decrease", "date": "2018-10-28", "documents": ["form_7"]}]
    data = event(
        "member_decrease",
        "2018-10-28",
        record=record("exits_2018"),
        changes={"members_removed": [gone]},
        steps=steps,
    )
    state = _batch(bundled, data)["E1"].finding("state")
    assert state.outcome == "fail"
    assert state.items[0].message == "减少成员 无此人 (110105194912310021): 不在该户成员中"


def test_the_state_on_any_date(bundled: fr.Library) -> None:
    steps = [{"step": "collection_increase", "date": "2018-10-25", "documents": ["form_6"]}]
    data = [
        _plan(True),
        event(
            "member_increase",
            "2018-10-25",
            event_id="M1",
            record=record("exits_2018"),
            changes={"members_added": [NEWBORN], "household_size": 6},
            steps=steps,
        ),
        exit_event("2018-11-20T10:00", event_id="X1", record=None, subject=HOUSEHOLD),
    ]
    events = [e for e in (read_event(d)[0] for d in data) if e is not None]
    sets = {"X1": {"exit_status": "已脱贫(享受政策)"}}
    year = SubjectYear.replay("household", HOUSEHOLD, events, sets=lambda e: sets.get(e.id, {}))
    assert year.state_on("2018-10-14").events == ()
    assert dict(year.state_on("2018-10-15").marks) == {"planned_exit": True}
    oct25 = year.state_on("2018-10-25")
    assert len(oct25.members or ()) == 6
    assert oct25.record is not None
    assert oct25.record["household_size"] == 6
    assert oct25.marks["exit_status"] == "0"  # as M1's record showed it
    assert year.state_at("2018-11-20T09:59").marks["exit_status"] == "0"
    after = year.state_at("2018-11-20T10:00")
    assert after.marks["exit_status"] == "已脱贫(享受政策)"
    assert after.origins["exit_status"] == "X1"
    assert year.final == after
    assert _mutable({"state": after, "year": year}) == []


def test_an_event_of_another_subject_is_refused() -> None:
    e = read_event(event("member_increase", "2018-10-25", subject="H2"))[0]
    assert e is not None
    with pytest.raises(UsageError, match="H2"):
        apply_event(SubjectState.empty("household", "H1"), e)
    with pytest.raises(UsageError, match="不在"):
        SubjectYear.replay("household", "H1", []).found(e)


# --------------------------------------------------------------------------- replay

_KEYS = ("A", "B", "C", "D", "E")


def _member(key: str, *, removed: bool = False) -> dict[str, Any]:
    if removed:
        return {"name": key, "decrease_reason": "死亡", "decrease_date": "2018-09-01"}
    return {"name": key, "increase_reason": "嫁入", "increase_date": "2018-09-01"}


@st.composite
def _events(draw: st.DrawFn) -> list[Event]:
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 40), min_size=1, max_size=8, unique=True))
    out = []
    base = dt.datetime(2018, 10, 1)
    for n, minute in enumerate(minutes):
        when = (base + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M")
        changes: dict[str, Any] = {}
        added = draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=2))
        removed = draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=2))
        if added:
            changes["members_added"] = [_member(k) for k in added]
        if removed:
            changes["members_removed"] = [_member(k, removed=True) for k in removed]
        if draw(st.booleans()):
            changes["marks"] = {"planned_exit": draw(st.booleans())}
        if draw(st.booleans()):
            changes["household_size"] = draw(st.integers(0, 9))
        rec = None
        if draw(st.booleans()):
            keys = draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=4))
            rec = {
                "household_id": "H",
                "members": [{"name": k} for k in keys],
                "household_size": len(keys),
            }
            if draw(st.booleans()):
                rec["exit_status"] = draw(st.sampled_from(["0", "1", "3"]))
        data = event(
            "member_increase",
            when,
            event_id=f"E{n}",
            subject="H",
            record=rec,
            changes=changes or None,
        )
        read, reasons = read_event(data)
        assert read is not None, reasons
        out.append(read)
    return out


def _sets(e: Event) -> dict[str, Any]:
    """Marks an event's type sets, as a procedure would (every third event exits)."""
    return {"exit_status": "1"} if int(e.id[1:]) % 3 == 2 else {}


@given(_events(), st.randoms(use_true_random=False))
def test_replaying_a_year_equals_applying_its_events_one_by_one(
    events: list[Event], rnd: random.Random
) -> None:
    """Replaying a household's events (given in any order) gives, for each event, the state
    the events before it left, and on each day the state of the events up to that day: the
    same as applying them one by one in time order."""
    shuffled = list(events)
    rnd.shuffle(shuffled)
    year = SubjectYear.replay("household", "H", shuffled, sets=_sets)
    ordered = sorted(events, key=lambda e: e.moment)
    empty = SubjectState.empty("household", "H")

    def fold(upto: list[Event]) -> SubjectState:
        return functools.reduce(lambda s, e: apply_event(s, e, _sets(e)), upto, empty)

    assert year.final == fold(ordered)
    for i, e in enumerate(ordered):
        assert year.found(e) == fold(ordered[:i])
        day = e.moment.date()
        assert year.state_on(day) == fold([x for x in ordered if x.moment.date() <= day])
        assert year.state_at(e.moment) == fold(ordered[: i + 1])
    # a year continued from a part of it is the whole year
    cut = len(ordered) // 2
    first = SubjectYear.replay("household", "H", ordered[:cut], sets=_sets)
    rest = SubjectYear.replay("household", "H", ordered[cut:], sets=_sets, start=first.final)
    assert rest.final == year.final
