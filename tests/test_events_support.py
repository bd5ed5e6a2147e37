"""Builders shared by the event tests: records, events and complete step lists.

Nothing here is a test; the event test modules import these. The records are in
``tests/fixtures/events/records.json`` (see its README).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fupin_rules import Library
from fupin_rules.events.check import EventChecker
from fupin_rules.model import Result

from .conftest import FIXTURES

EVENTS = FIXTURES / "events"
_RECORDS: dict[str, Any] = json.loads((EVENTS / "records.json").read_text(encoding="utf-8"))


def record(name: str) -> dict[str, Any]:
    """A fresh copy of one fixture record."""
    return copy.deepcopy(_RECORDS[name])


def event(
    kind: str,
    date: str,
    *,
    event_id: str = "E1",
    subject: str | None = None,
    subject_kind: str = "household",
    record: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    steps: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An event as plain data (one JSON line's object)."""
    sid = subject
    if sid is None and record is not None:
        sid = record.get("household_id") or record.get("village_id")
    data: dict[str, Any] = {
        "event_id": event_id,
        "type": kind,
        "subject": {"kind": subject_kind, "id": sid or "4510991022010000001"},
        "date": date,
    }
    if record is not None:
        data["record"] = record
    if changes is not None:
        data["changes"] = changes
    data["steps"] = steps if steps is not None else []
    data.update(extra)
    return data


def exit_steps(
    day: str = "2018-11-06",
    *,
    notices: tuple[tuple[str, str], tuple[str, str]] = (
        ("2018-11-07", "2018-11-13"),
        ("2018-11-14", "2018-11-20"),
    ),
    announcement: str = "2018-11-22",
    marking: str = "2018-11-27",
    head: str = "杨英光",
) -> list[dict[str, Any]]:
    """Every step of a 2018 household exit (双认定), each with its evidence, in order."""
    return [
        {
            "step": "assessment",
            "date": day,
            "by": [
                {"role": "帮扶联系人", "name": "韦志明"},
                {"role": "驻村工作队员", "name": "黄丽"},
            ],
            "signatures": [{"role": "帮扶联系人", "name": "韦志明"}],
            "documents": ["double_certification_form"],
        },
        {
            "step": "confirmation",
            "date": day,
            "signatures": [{"role": "户主", "name": head}],
            "documents": ["double_certification_form"],
        },
        {"step": "village_notice", "start": notices[0][0], "end": notices[0][1]},
        {
            "step": "township_notice",
            "start": notices[1][0],
            "end": notices[1][1],
            "documents": ["second_notice_list"],
        },
        {"step": "county_announcement", "date": announcement, "documents": ["exit_announcement"]},
        {"step": "exit_marking", "date": marking},
    ]


def exit_event(date: str = "2018-11-06", **kw: Any) -> dict[str, Any]:
    """A complete 2018 household exit of the household that meets the 2018 standard."""
    kw.setdefault("record", record("exits_2018"))
    kw.setdefault("steps", exit_steps())
    return event("household_exit", date, **kw)


def check(lib: Library, data: dict[str, Any], **options: Any) -> Result:
    """One event's result with the library ``lib``."""
    return EventChecker(lib, **options).check(data, source="t.jsonl:1")


def outcomes(result: Result) -> dict[str, str]:
    """Each check's outcome."""
    return {f.criterion: f.outcome for f in result.findings}
