"""Every event type in and out of its calendar window, to the minute (work plan 二(二))."""

from __future__ import annotations

import pytest

import fupin_rules as fr

from .test_events_support import check, event, exit_event

CALENDAR = "town.dynamic-management@2018"

WINDOWS = [
    # (type, subject kind, first minute in, last minute in, first minute out after)
    ("plan_adjustment", "household", "2018-09-30T00:00", "2018-10-31T23:59", "2018-11-01T00:00"),
    ("new_identification", "household", "2018-09-30T00:00", "2018-11-10T23:59", "2018-11-11T00:00"),
    ("return_to_poverty", "household", "2018-09-30T00:00", "2018-11-10T23:59", "2018-11-11T00:00"),
    ("member_increase", "household", "2018-09-30T00:00", "2018-11-10T23:59", "2018-11-11T00:00"),
    ("member_decrease", "household", "2018-09-30T00:00", "2018-11-10T23:59", "2018-11-11T00:00"),
    ("village_inclusion", "village", "2018-09-30T00:00", "2018-11-10T23:59", "2018-11-11T00:00"),
    ("household_exit", "household", "2018-11-05T00:00", "2018-11-25T23:59", "2018-11-26T00:00"),
    ("village_exit", "village", "2018-11-15T00:00", "2018-11-25T23:59", "2018-11-26T00:00"),
]


def _window(lib: fr.Library, kind: str, subject: str, date: str, **options: str) -> fr.Finding:
    result = check(lib, event(kind, date, subject_kind=subject, subject="S1"), **options)
    assert result.outcome != "invalid" or result.findings, result.reasons
    return result.finding("window")


@pytest.mark.parametrize(("kind", "subject", "first", "last", "after"), WINDOWS)
def test_inside_the_window_to_the_minute(
    bundled: fr.Library, kind: str, subject: str, first: str, last: str, after: str
) -> None:
    for moment in (first, last):
        found = _window(bundled, kind, subject, moment)
        assert (found.outcome, found.values["status"]) == ("pass", "ok"), (moment, found.message)


@pytest.mark.parametrize(("kind", "subject", "first", "last", "after"), WINDOWS)
def test_the_minute_after_the_window_is_late(
    bundled: fr.Library, kind: str, subject: str, first: str, last: str, after: str
) -> None:
    found = _window(bundled, kind, subject, after)
    assert (found.outcome, found.values["status"]) == ("fail", "late")
    assert "晚了 不到 1 分钟" in found.message  # the end instant itself is out
    assert found.sources
    assert "二(" in found.sources[0]
    one_more = _window(bundled, kind, subject, after[:-1] + "1")
    assert "晚了 1 分钟" in one_more.message


@pytest.mark.parametrize(
    ("kind", "subject", "before"),
    [
        ("household_exit", "household", "2018-11-04T23:59"),
        ("village_exit", "village", "2018-11-14T23:59"),
    ],
)
def test_the_minute_before_the_window_is_early(
    bundled: fr.Library, kind: str, subject: str, before: str
) -> None:
    found = _window(bundled, kind, subject, before)
    assert (found.outcome, found.values["status"]) == ("fail", "early")
    assert "早了 1 分钟" in found.message


def test_before_the_calendar_is_in_force_the_window_is_not_checked(bundled: fr.Library) -> None:
    """The 2018 calendar is in force from 09-30: the day before, no calendar says anything,
    and the finding says so (not a pass, not a failure)."""
    found = _window(bundled, "new_identification", "household", "2018-09-29T23:59")
    assert found.outcome == "not_applicable"
    assert "没有施行中的工作日程" in found.message


def test_a_named_calendar_checks_dates_outside_its_period(bundled: fr.Library) -> None:
    """An auditor naming the 2018 calendar sees a 2019 exit as late, and a 09-29 new
    identification as early, though no calendar is in force on those days."""
    late = _window(bundled, "household_exit", "household", "2019-01-05", calendar=CALENDAR)
    assert (late.outcome, late.values["status"]) == ("fail", "late")
    early = _window(
        bundled, "new_identification", "household", "2018-09-29T23:59", calendar=CALENDAR
    )
    assert (early.outcome, early.values["status"]) == ("fail", "early")


def test_a_calendar_named_by_the_event_that_does_not_exist_is_undecidable(
    bundled: fr.Library,
) -> None:
    data = exit_event("2018-11-20", calendar="town.nowhere@2018")
    result = check(bundled, data)
    assert result.finding("window").outcome == "unknown"
    assert result.outcome == "invalid"
    assert any("town.nowhere" in r for r in result.reasons)


def test_the_window_names_the_calendar_and_its_fingerprint(bundled: fr.Library) -> None:
    found = _window(bundled, "household_exit", "household", "2018-11-20T10:00")
    cal = bundled.calendar(CALENDAR)
    assert found.values["calendar"] == CALENDAR
    assert found.values["calendar_fingerprint"] == cal.fingerprint
    assert found.values["moment"] == "2018-11-20 10:00"
