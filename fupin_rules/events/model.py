"""Dynamic-management events (动态管理事项) as frozen values, read from plain data.

An event is one thing that happened to one household or village in the year's work: a new
identification, a return to poverty, a member added or removed, a planned-exit adjustment, an
exit certified by 双认定, a village included or taken out. Its shape is
``schemas/event.schema.json``; :func:`read_event` checks data against it (every problem in
Chinese, with the field path) and then reads the dates, so that a broken event is refused
with all its reasons and a good one becomes an :class:`Event` whose every date is an instant
in China Standard Time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .._frozen import EMPTY, deep_freeze
from .._yaml import YamlDocument
from ..calendar.moments import parse_moment, show_moment
from ..errors import Problem, UsageError
from ..schemas import document_problems, load_schema

__all__ = [
    "EVENT_SCHEMA",
    "MARKS",
    "Event",
    "Person",
    "StepRecord",
    "event_types",
    "kind_label",
    "mark_label",
    "member_key",
    "read_event",
    "type_label",
]

EVENT_SCHEMA = "event.schema.json"
"""The bundled schema of events (``schemas/event.schema.json``)."""

MARKS = ("planned_exit", "registered", "exit_status", "poor_village", "deep_poverty_village")
"""The status marks an event may require, set or change (``changes.marks``). A mark whose name
is also a field of the subject's record (``exit_status``, ``poor_village``,
``deep_poverty_village``) is read from the record an event found, where no earlier event set it."""


def _properties() -> Mapping[str, Any]:
    props: Mapping[str, Any] = load_schema(EVENT_SCHEMA)["properties"]
    return props


def event_types() -> tuple[str, ...]:
    """Every event type, in the schema's order."""
    return tuple(_properties()["type"]["enum"])


def type_label(event_type: str) -> str:
    """An event type as staff read it (``household_exit`` -> 贫困户脱贫退出 ("双认定"))."""
    labels: Mapping[str, str] = _properties()["type"]["x-labels"]
    return labels.get(event_type, event_type)


def kind_label(kind: str) -> str:
    """A subject kind as staff read it: 户 or 村."""
    labels: Mapping[str, str] = _properties()["subject"]["properties"]["kind"]["x-labels"]
    return labels.get(kind, kind)


def mark_label(mark: str, kind: str | None = None) -> str:
    """A status mark as staff read it (``planned_exit`` -> 计划脱贫 (摘帽)); for a subject
    ``kind`` where the name differs by kind (``exit_status``: 户 脱贫标志, 村 退出状态)."""
    marks: Mapping[str, Any] = _properties()["changes"]["properties"]["marks"]["properties"]
    found = marks.get(mark)
    if not isinstance(found, Mapping):
        return mark
    by_kind = found.get("x-labels") or {}
    return str(by_kind.get(kind) or found["title"])


def member_key(member: Mapping[str, Any]) -> str | None:
    """What identifies a member across records and events: the ID number, else the national
    system's person id, else the name (None when the member has none of them)."""
    for field in ("id_number", "person_id", "name"):
        value = member.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@attrs.frozen
class Person:
    """Someone who carried out or signed a step: a role (帮扶联系人, 户主 …), a name, a date."""

    role: str
    name: str | None = None
    date: str | None = None

    @property
    def signed(self) -> bool:
        """Whether a name stands with the role (a role alone is not a signature)."""
        return bool(self.name and self.name.strip())


@attrs.frozen
class StepRecord:
    """One procedure step an event says was carried out: when, by whom, signed by whom."""

    step: str
    index: int
    """Position in the event's ``steps`` list, from 0."""
    begin: dt.datetime
    """When it began (a date alone: 00:00 that day)."""
    finish: dt.datetime
    """When it ended: the same instant for a one-off step; for a period (``start``/``end``)
    the end instant, a date alone meaning the end of that day."""
    timed_begin: bool
    timed_finish: bool
    period: bool
    """Written as ``start`` and ``end`` (a public notice, say) rather than one ``date``."""
    by: tuple[Person, ...] = ()
    signatures: tuple[Person, ...] = ()
    documents: tuple[str, ...] = ()
    note: str | None = None

    @property
    def first_day(self) -> dt.date:
        """The day it began."""
        return self.begin.date()

    @property
    def last_day(self) -> dt.date:
        """The last day it ran (a period ending at 24:00 ends on that day)."""
        if self.period:
            return (self.finish - dt.timedelta(microseconds=1)).date()
        return self.finish.date()

    @property
    def when(self) -> str:
        """When, as staff read it: ``2018-11-20``, ``2018-11-20 10:00`` or a period
        ``2018-11-06 至 2018-11-12``."""
        first = _shown(self.begin, self.timed_begin)
        if not self.period:
            return first
        if self.timed_finish:
            return f"{first} 至 {show_moment(self.finish)}"
        return f"{first} 至 {self.last_day.isoformat()}"


def _shown(moment: dt.datetime, timed: bool) -> str:
    return show_moment(moment) if timed else moment.date().isoformat()


def _frozen(value: Any) -> Any:
    return None if value is None else deep_freeze(value)


def _changes(value: Any) -> Any:
    return EMPTY if value is None else deep_freeze(value)


@attrs.frozen(eq=False)
class Event:
    """One checked event. Build it with :func:`read_event`."""

    id: str
    type: str
    subject_kind: str
    subject_id: str
    moment: dt.datetime
    """The event's date as an instant in China Standard Time."""
    date_text: str
    """The date as written (``2018-11-20`` or ``2018-11-30T23:59``)."""
    record: Mapping[str, Any] | None = attrs.field(converter=_frozen)
    """The subject's record as the event found it (before its changes), read-only."""
    changes: Mapping[str, Any] = attrs.field(converter=_changes)
    steps: tuple[StepRecord, ...]
    division_code: str | None = None
    calendar: str | None = None
    source: str | None = None
    """Where the event came from: ``file:line`` or ``file:sheet:row``."""
    data: Mapping[str, Any] = attrs.field(default=EMPTY, converter=deep_freeze, repr=False)
    """The event as read (what its result's input digest is of)."""

    @property
    def day(self) -> str:
        """The event's date, ``YYYY-MM-DD`` (China Standard Time)."""
        return self.moment.date().isoformat()

    @property
    def timed(self) -> bool:
        """Whether the date was written to the minute."""
        return "T" in self.date_text

    @property
    def when(self) -> str:
        """The date as staff read it (to the minute when written so)."""
        return _shown(self.moment, self.timed)

    @property
    def added(self) -> tuple[Mapping[str, Any], ...]:
        """The members the event adds (``changes.members_added``)."""
        return tuple(self.changes.get("members_added") or ())

    @property
    def removed(self) -> tuple[Mapping[str, Any], ...]:
        """The members the event removes (``changes.members_removed``)."""
        return tuple(self.changes.get("members_removed") or ())

    @property
    def marks(self) -> Mapping[str, Any]:
        """The status marks the event states (``changes.marks``)."""
        marks: Mapping[str, Any] = self.changes.get("marks") or EMPTY
        return marks

    def division(self) -> str | None:
        """The 12-digit division code: the event's own, else its record's."""
        if self.division_code:
            return self.division_code
        code = self.record.get("division_code") if self.record is not None else None
        return code if isinstance(code, str) else None


def _reason(problem: Problem) -> str:
    text = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return f"{text} (提示: {problem.hint})" if problem.hint else text


def read_event(data: Any, *, source: str | None = None) -> tuple[Event | None, tuple[str, ...]]:
    """An :class:`Event` from plain data (one JSON line), or None and every reason it is not
    one: the schema's problems (field path and message), then dates that do not exist, steps
    with neither a date nor a period, periods that end before they begin."""
    if not isinstance(data, Mapping):
        return None, (f"事项须是 JSON 对象, 得到 {type(data).__name__}",)
    doc = YamlDocument(file=source or "<事项>", data=data, marks={})
    problems = document_problems(doc, EVENT_SCHEMA)
    if problems:
        return None, tuple(_reason(p) for p in problems)
    reasons: list[str] = []
    moment = _moment(data["date"], "date", reasons)
    steps = [_step(i, step, reasons) for i, step in enumerate(data.get("steps") or ())]
    if reasons or moment is None:
        return None, tuple(reasons)
    subject = data["subject"]
    return (
        Event(
            id=data["event_id"],
            type=data["type"],
            subject_kind=subject["kind"],
            subject_id=subject["id"],
            moment=moment,
            date_text=data["date"],
            record=data.get("record"),
            changes=data.get("changes"),
            steps=tuple(s for s in steps if s is not None),
            division_code=data.get("division_code"),
            calendar=data.get("calendar"),
            source=source,
            data=data,
        ),
        (),
    )


def _moment(text: str, path: str, reasons: list[str]) -> dt.datetime | None:
    try:
        return parse_moment(text)
    except UsageError as exc:
        reasons.append(f"{path}: {exc}")
        return None


def _people(items: Any) -> tuple[Person, ...]:
    return tuple(
        Person(role=p["role"], name=p.get("name"), date=p.get("date")) for p in items or ()
    )


def _step(index: int, data: Mapping[str, Any], reasons: list[str]) -> StepRecord | None:
    path = f"steps[{index}]"
    has_date, has_start, has_end = "date" in data, "start" in data, "end" in data
    if has_date and (has_start or has_end):
        reasons.append(
            f"{path}: 既写了 date 又写了 start/end"
            " (提示: 一次完成的步骤写 date, 一段时间 (如公示) 写 start 和 end)"
        )
        return None
    if not has_date and not (has_start and has_end):
        reasons.append(f"{path}: 须写 date (完成日期), 或 start 和 end (起止日期, 如公示期)")
        return None
    first = data["date"] if has_date else data["start"]
    begin = _moment(first, f"{path}.{'date' if has_date else 'start'}", reasons)
    finish = begin
    if has_end:
        finish = _moment(data["end"], f"{path}.end", reasons)
        if finish is not None and "T" not in data["end"]:
            finish += dt.timedelta(days=1)  # a date alone ends at 24:00 of that day
    if begin is None or finish is None:
        return None
    if finish <= begin and has_end:
        reasons.append(f"{path}: 结束 {data['end']} 不晚于开始 {data['start']}")
        return None
    return StepRecord(
        step=data["step"],
        index=index,
        begin=begin,
        finish=finish,
        timed_begin="T" in first,
        timed_finish="T" in data["end"] if has_end else "T" in first,
        period=has_end,
        by=_people(data.get("by")),
        signatures=_people(data.get("signatures")),
        documents=tuple(data.get("documents") or ()),
        note=data.get("note"),
    )
