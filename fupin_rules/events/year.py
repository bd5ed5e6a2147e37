"""A subject's year: its events in time order, and its state on any date.

The state of a household (or village) is what its events have made of it: its record (the
members as the latest event left them, removed members with their reasons, 家庭人口数) and its
status marks (计划脱贫, 脱贫标志, 贫困村 …, with the event that set each). Events apply in time
order (by their instant; events at the same instant in the order given), each one to the state
the earlier ones left, so a later event is checked against the state it found.

:func:`apply_event` is the one step; :meth:`SubjectYear.replay` folds it over the events;
replaying a year's events in order gives the same states as applying them one by one (a
property the tests hold with hypothesis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .._frozen import EMPTY, deep_freeze, freeze, thaw
from ..calendar.moments import Moment, parse_moment
from ..errors import UsageError
from .model import MARKS, Event, member_key

__all__ = [
    "SubjectState",
    "SubjectYear",
    "apply_event",
    "marks_found",
    "record_after",
    "years_of",
]

Sets = Callable[[Event], Mapping[str, Any]]
"""The marks an event sets by its type (from its procedure)."""


def _record(value: Any) -> Any:
    return None if value is None else deep_freeze(value)


@attrs.frozen
class SubjectState:
    """A household's or village's record and status marks at one point of its year."""

    kind: str
    id: str
    record: Mapping[str, Any] | None = attrs.field(default=None, converter=_record)
    """The record as the latest event left it (None: no event brought one)."""
    marks: Mapping[str, Any] = attrs.field(default=EMPTY, converter=freeze)
    origins: Mapping[str, str] = attrs.field(default=EMPTY, converter=freeze)
    """mark -> the event that set it, or whose record showed it."""
    recorded: frozenset[str] = frozenset()
    """The marks whose value a record showed (a later record may update them); the others
    were set by events."""
    events: tuple[str, ...] = ()
    """The events applied, in the order they were."""
    moment: dt.datetime | None = None
    """The instant of the latest event applied."""

    @classmethod
    def empty(cls, kind: str, subject_id: str) -> SubjectState:
        """The state before any event: nothing known."""
        return cls(kind=kind, id=subject_id)

    @property
    def members(self) -> tuple[Mapping[str, Any], ...] | None:
        """The members as the year knows them, or None when no record brought any."""
        if self.record is None:
            return None
        members = self.record.get("members")
        if not isinstance(members, tuple):
            return None
        return tuple(m for m in members if isinstance(m, Mapping))

    def member_keys(self) -> tuple[str, ...] | None:
        """The members' keys (ID number, else person id, else name), in order."""
        members = self.members
        if members is None:
            return None
        return tuple(k for k in (member_key(m) for m in members) if k is not None)

    def to_dict(self) -> dict[str, Any]:
        """The state as plain data."""
        return {
            "kind": self.kind,
            "id": self.id,
            "members": list(self.member_keys() or ()) if self.record is not None else None,
            "household_size": None if self.record is None else self.record.get("household_size"),
            "marks": thaw(self.marks),
            "origins": thaw(self.origins),
            "events": list(self.events),
            "moment": None if self.moment is None else self.moment.isoformat(),
        }


def record_after(record: Mapping[str, Any] | None, event: Event) -> Mapping[str, Any] | None:
    """The record as ``event`` leaves it: its added members among the members, its removed
    members taken out and listed in ``removed_members``, 家庭人口数 as the event states it
    (``changes.household_size``; otherwise as the record had it). None stays None."""
    if record is None:
        return None
    sized = "household_size" in event.changes
    if not (event.added or event.removed or sized):
        return record
    data = thaw(record)
    gone = {member_key(m) for m in event.removed} - {None}
    kept = [
        m
        for m in data.get("members") or []
        if not (isinstance(m, Mapping) and member_key(m) in gone)
    ]
    data["members"] = kept + [thaw(m) for m in event.added]
    if event.removed:
        data["removed_members"] = list(data.get("removed_members") or []) + [
            thaw(m) for m in event.removed
        ]
    if sized:
        data["household_size"] = event.changes["household_size"]
    after: Mapping[str, Any] = deep_freeze(data)
    return after


def marks_found(state: SubjectState, event: Event) -> SubjectState:
    """``state`` with the marks ``event``'s own record shows (the record as the event found
    the subject), where no event set them: what the event found, marks and all."""
    if event.record is None:
        return state
    marks = dict(state.marks)
    origins = dict(state.origins)
    recorded = set(state.recorded)
    for mark in MARKS:
        value = event.record.get(mark)
        if value is not None and (mark not in marks or mark in recorded):
            marks[mark] = value
            origins[mark] = event.id
            recorded.add(mark)
    return attrs.evolve(state, marks=marks, origins=origins, recorded=frozenset(recorded))


def apply_event(state: SubjectState, event: Event, sets: Mapping[str, Any] = EMPTY) -> SubjectState:
    """The state after ``event``, applied to ``state`` (the state it found).

    The record: the event's own (as it found the subject) or else the state's, with the
    event's member changes applied. The marks: those the event's record shows, where no
    event set them; then those its type ``sets`` (from its procedure); then those it states
    itself (``changes.marks``)."""
    if (event.subject_kind, event.subject_id) != (state.kind, state.id):
        msg = f"事项 {event.id} 的对象是 {event.subject_id}, 不是 {state.id}"
        raise UsageError(msg)
    found = event.record if event.record is not None else state.record
    seen = marks_found(state, event)
    marks, origins, recorded = dict(seen.marks), dict(seen.origins), set(seen.recorded)
    for mark, value in (*sets.items(), *event.marks.items()):
        marks[mark] = value
        origins[mark] = event.id
        recorded.discard(mark)
    return SubjectState(
        kind=state.kind,
        id=state.id,
        record=record_after(found, event),
        marks=marks,
        origins=origins,
        recorded=frozenset(recorded),
        events=(*state.events, event.id),
        moment=event.moment,
    )


def _no_sets(event: Event) -> Mapping[str, Any]:
    return EMPTY


@attrs.frozen
class SubjectYear:
    """One subject's events in time order, each with the state it found and the one it left."""

    kind: str
    id: str
    history: tuple[tuple[Event, SubjectState, SubjectState], ...]
    """(event, state found, state after), by the events' instants."""

    @classmethod
    def replay(
        cls,
        kind: str,
        subject_id: str,
        events: Iterable[Event],
        *,
        sets: Sets | None = None,
        start: SubjectState | None = None,
    ) -> SubjectYear:
        """Apply ``events`` (of this one subject) in time order, from ``start`` (default: the
        empty state); ``sets`` gives the marks each event's type sets."""
        marks_of = sets or _no_sets
        state = start if start is not None else SubjectState.empty(kind, subject_id)
        ordered = sorted(enumerate(events), key=lambda pair: (pair[1].moment, pair[0]))
        history = []
        for _, event in ordered:
            after = apply_event(state, event, marks_of(event))
            history.append((event, state, after))
            state = after
        return cls(kind=kind, id=subject_id, history=tuple(history))

    @property
    def initial(self) -> SubjectState:
        """The state before the first event."""
        if self.history:
            return self.history[0][1]
        return SubjectState.empty(self.kind, self.id)

    @property
    def final(self) -> SubjectState:
        """The state after the last event."""
        return self.history[-1][2] if self.history else self.initial

    def state_at(self, moment: Moment) -> SubjectState:
        """The state after every event at or before ``moment``."""
        m = parse_moment(moment)
        state = self.initial
        for event, _, after in self.history:
            if event.moment > m:
                break
            state = after
        return state

    def state_on(self, day: str | dt.date) -> SubjectState:
        """The state at the end of ``day``: after every event dated that day or earlier."""
        d = day if isinstance(day, dt.date) else parse_moment(day).date()
        state = self.initial
        for event, _, after in self.history:
            if event.moment.date() > d:
                break
            state = after
        return state

    def found(self, event: Event) -> SubjectState:
        """The state ``event`` found (the one the events before it left)."""
        for e, before, _ in self.history:
            if e is event:
                return before
        msg = f"事项 {event.id} 不在 {self.id} 的年度事项中"
        raise UsageError(msg)


def years_of(
    events: Iterable[Event], *, sets: Sets | None = None
) -> dict[tuple[str, str], SubjectYear]:
    """The year of every subject among ``events``, keyed by (kind, id)."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        grouped.setdefault((event.subject_kind, event.subject_id), []).append(event)
    return {key: SubjectYear.replay(key[0], key[1], evs, sets=sets) for key, evs in grouped.items()}
