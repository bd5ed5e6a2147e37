"""Work-plan calendars: time nodes, windows and deadlines as versioned YAML, with queries.

A calendar file (``kind: calendar``) holds one year's work plan of one place: its nodes (phases
and steps, with the plan's section numbers), the window of each node, the actions each node opens,
deliverables with deadlines, and dependencies between nodes. See ``docs/calendar.md``.

Time model (all of it China Standard Time, a fixed UTC+8 offset; no tz database is needed):

* a *bound* is written ``YYYY-MM-DD`` (a whole day) or ``YYYY-MM-DDTHH:MM`` (``T24:00`` is the
  end of that day);
* a window is half-open: a moment ``m`` is in it iff ``start <= m < end``, where a date start is
  00:00 of that day, a date end is 24:00 (00:00 of the next day) and a timed end is that instant.
  So for "至11月30日24时" the last minute in is 23:59 of 30 November; for "至12月15日10时" the last
  minute in is 09:59 and 10:00 is out;
* a deliverable is on time iff it is done before its due instant (a date due is 24:00 that day).

Moments passed to queries may be aware datetimes (converted to UTC+8), naive datetimes (taken
as China Standard Time), dates (00:00 of that day) or text (see :func:`parse_moment`). Nothing here
reads the clock.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TextIO

import attrs

from ._canonical import dumps, fingerprint
from ._resources import bundled_standards_dir
from ._yaml import YamlDocument, read_yaml
from .errors import NotFoundError, Problem, RuleFileError, UsageError
from .model import Source
from .schemas import document_problems

__all__ = [
    "CST",
    "Action",
    "Calendar",
    "CheckResult",
    "Deliverable",
    "DueItem",
    "Node",
    "OpenAt",
    "Source",
    "Window",
    "add_calendar_arguments",
    "bundled_calendars",
    "format_duration",
    "load_calendar",
    "load_calendar_document",
    "parse_moment",
    "register_calendar_command",
    "run_calendar_command",
    "select_calendar",
]

CST = timezone(timedelta(hours=8), "CST")
"""China Standard Time: the fixed UTC+8 offset of every calendar (no daylight saving since 1991)."""

Moment = datetime | date | str
_BOUND = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$")
_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$"
)


# ---------------------------------------------------------------------------------------------
# Times


def parse_moment(value: Moment) -> datetime:
    """Turn a moment into an aware datetime in China Standard Time.

    Accepts an aware datetime (converted), a naive datetime (taken as China Standard Time), a date
    (00:00 that day) or text: ``2018-11-27``, ``2018-11-27T10:00``, ``2018-11-27 10:00:30``,
    ``2018-11-27T02:00Z``, ``2018-11-27T02:00+00:00``. Raises :class:`UsageError` otherwise.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=CST)
        return value.astimezone(CST)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), CST)
    text = str(value).strip()
    m = _MOMENT.match(text)
    if m is None:
        msg = f"无法识别的时间 {value!r}; 请写成 2018-11-27 或 2018-11-27T10:00 (北京时间)"
        raise UsageError(msg)
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        base = date(int(year), int(month), int(day))
    except ValueError:
        msg = f"不存在的日期 {value!r}"
        raise UsageError(msg) from None
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h == 24 and mi == 0 and s == 0:
        base, h = base + timedelta(days=1), 0
    if h > 23 or mi > 59 or s > 59:
        msg = f"不存在的时刻 {value!r}"
        raise UsageError(msg)
    tz: timezone = CST
    if zone == "Z":
        tz = UTC
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime.combine(base, time(h, mi, s), tz).astimezone(CST)


def _parse_bound(text: str, *, end: bool) -> datetime | None:
    """A bound's instant: a date is 00:00 (start) or 24:00 (end or due); ``None`` if impossible."""
    m = _BOUND.match(text)
    if m is None:
        return None
    year, month, day, hour, minute = m.groups()
    try:
        base = date(int(year), int(month), int(day))
    except ValueError:
        return None
    if hour is None:
        return datetime.combine(base + timedelta(days=1 if end else 0), time(0), CST)
    h, mi = int(hour), int(minute)
    if h == 24 and mi == 0:
        return datetime.combine(base + timedelta(days=1), time(0), CST)
    if h > 23 or mi > 59:
        return None
    return datetime.combine(base, time(h, mi), CST)


def _show_bound(text: str) -> str:
    """A bound as people read it: ``2018-11-30T24:00`` -> ``2018-11-30 24:00``."""
    return text.replace("T", " ")


def _window_text(start: str, end: str) -> str:
    if start == end and "T" not in start:
        return start
    return f"{_show_bound(start)} 至 {_show_bound(end)}"


def _span_phrase(wins: Sequence[Window]) -> str:
    """``2018-11-05 至 2018-11-25 之间``; ``2018-10-06 或 2018-10-07 当天`` for whole days."""
    if not wins:
        return "(无开放时段)"
    texts = " 或 ".join(w.text for w in wins)
    if all(w.start_text == w.end_text and "T" not in w.start_text for w in wins):
        return f"{texts} 当天"
    return f"{texts} 之间"


def _show_moment(moment: datetime) -> str:
    m = moment.astimezone(CST)
    if m.second:
        return m.strftime("%Y-%m-%d %H:%M:%S")
    return m.strftime("%Y-%m-%d %H:%M")


def format_duration(delta: timedelta) -> str:
    """A positive duration in Chinese, down to the minute: ``1 天 10 小时``, ``不到 1 分钟``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes <= 0:
        return "不到 1 分钟"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} 天")
    if hours:
        parts.append(f"{hours} 小时")
    if mins:
        parts.append(f"{mins} 分钟")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Value objects


@attrs.frozen
class Action:
    """One kind of work a node can open, e.g. ``household_exit_certification``."""

    id: str
    label: str
    description: str | None = None


@attrs.frozen
class Deliverable:
    """Something a node must hand in before ``due`` (an instant; a date means 24:00 that day)."""

    id: str
    label: str
    due: datetime
    due_text: str
    node_id: str
    unconfirmed: bool = False
    note: str | None = None


@attrs.frozen
class Node:
    """One time node of the plan: a window ``[start, end)`` in China Standard Time."""

    id: str
    label: str
    section: str
    start: datetime
    end: datetime
    start_text: str
    end_text: str
    index: int
    """Position in the file's ``nodes`` list."""
    parent: str | None = None
    opens: tuple[str, ...] = ()
    deliverables: tuple[Deliverable, ...] = ()
    after: tuple[str, ...] = ()
    reports_on: tuple[str, ...] = ()
    exclusive: bool = False
    no_overlap_with: tuple[str, ...] = ()
    unconfirmed: bool = False
    note: str | None = None

    def contains(self, moment: Moment) -> bool:
        """Whether ``moment`` is inside this node's window (start included, end excluded)."""
        m = parse_moment(moment)
        return self.start <= m < self.end

    @property
    def window_text(self) -> str:
        """The window as the plan writes it: ``2018-11-05 至 2018-11-25``."""
        return _window_text(self.start_text, self.end_text)

    def to_dict(self) -> dict[str, Any]:
        """The node as plain data; instants as ISO text with ``+08:00``."""
        return {
            "id": self.id,
            "label": self.label,
            "section": self.section,
            "start": self.start_text,
            "end": self.end_text,
            "start_instant": self.start.isoformat(),
            "end_instant": self.end.isoformat(),
            "parent": self.parent,
            "opens": list(self.opens),
            "deliverables": [
                {
                    "id": d.id,
                    "label": d.label,
                    "due": d.due_text,
                    "due_instant": d.due.isoformat(),
                    "unconfirmed": d.unconfirmed,
                    "note": d.note,
                }
                for d in self.deliverables
            ],
            "after": list(self.after),
            "reports_on": list(self.reports_on),
            "exclusive": self.exclusive,
            "no_overlap_with": list(self.no_overlap_with),
            "unconfirmed": self.unconfirmed,
            "note": self.note,
        }


@attrs.frozen
class Window:
    """A window in which an action is open: the node that opens it, and its bounds."""

    action: str
    node_id: str
    label: str
    section: str
    start: datetime
    end: datetime
    start_text: str
    end_text: str

    def contains(self, moment: Moment) -> bool:
        """Whether ``moment`` is inside ``[start, end)``."""
        m = parse_moment(moment)
        return self.start <= m < self.end

    @property
    def text(self) -> str:
        """``2018-11-05 至 2018-11-25``, or ``2018-10-06`` for one whole day."""
        return _window_text(self.start_text, self.end_text)

    def to_dict(self) -> dict[str, Any]:
        """The window as plain data."""
        return {
            "action": self.action,
            "node": self.node_id,
            "label": self.label,
            "section": self.section,
            "start": self.start_text,
            "end": self.end_text,
            "start_instant": self.start.isoformat(),
            "end_instant": self.end.isoformat(),
        }


Status = Literal["ok", "early", "late", "between"]


@attrs.frozen
class CheckResult:
    """Whether an action at a moment fell in one of its windows, and why.

    ``status`` is ``ok`` (inside a window), ``early`` (before every window), ``late`` (after
    every window) or ``between`` (after one window ended and before the next began).
    """

    action: str
    action_label: str
    moment: datetime
    status: Status
    windows: tuple[Window, ...]
    window: Window | None
    """The window the moment is in, or the nearest one (the one missed, for late/between)."""
    section: str | None
    message: str
    notes: tuple[str, ...] = ()
    calendar: str = ""
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        """The moment is inside a window."""
        return self.status == "ok"

    @property
    def early(self) -> bool:
        """The moment is before every window of the action."""
        return self.status == "early"

    @property
    def late(self) -> bool:
        """The moment is after every window of the action."""
        return self.status == "late"

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data."""
        return {
            "action": self.action,
            "action_label": self.action_label,
            "moment": self.moment.isoformat(),
            "status": self.status,
            "ok": self.ok,
            "section": self.section,
            "window": None if self.window is None else self.window.to_dict(),
            "windows": [w.to_dict() for w in self.windows],
            "message": self.message,
            "notes": list(self.notes),
            "calendar": self.calendar,
            "fingerprint": self.fingerprint,
        }


@attrs.frozen
class OpenAt:
    """What is open at a moment: the nodes whose window holds it and the actions they open."""

    moment: datetime
    nodes: tuple[Node, ...]
    actions: tuple[Action, ...]

    def to_dict(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "moment": self.moment.isoformat(),
            "nodes": [
                {
                    "id": n.id,
                    "label": n.label,
                    "section": n.section,
                    "start": n.start_text,
                    "end": n.end_text,
                }
                for n in self.nodes
            ],
            "actions": [{"id": a.id, "label": a.label} for a in self.actions],
        }


@attrs.frozen
class DueItem:
    """A deadline: the end of a node (``kind='node_end'``) or a deliverable's due time."""

    kind: Literal["node_end", "deliverable"]
    id: str
    node_id: str
    label: str
    section: str
    due: datetime
    due_text: str

    def to_dict(self) -> dict[str, Any]:
        """As plain data."""
        return {
            "kind": self.kind,
            "id": self.id,
            "node": self.node_id,
            "label": self.label,
            "section": self.section,
            "due": self.due_text,
            "due_instant": self.due.isoformat(),
        }


@attrs.frozen
class Calendar:
    """One version of a work-plan calendar, loaded and checked. Immutable."""

    id: str
    version: str
    title: str
    effective_from: date | None
    effective_until: date | None
    timezone: str
    sources: tuple[Source, ...] = attrs.field(repr=False)
    actions: Mapping[str, Action] = attrs.field(eq=False, repr=False)
    nodes: tuple[Node, ...] = attrs.field(repr=False)
    fingerprint: str
    source_file: str
    document: YamlDocument = attrs.field(eq=False, repr=False)
    """The YAML it was read from, kept to place lint findings at file:line."""

    # -- lookup --------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        """The node with this id; :class:`NotFoundError` if none."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise NotFoundError(
            f"日历 {self.id}@{self.version} 中没有节点 {node_id!r}",
            suggestions=_similar(node_id, [n.id for n in self.nodes]),
        )

    def action(self, action_id: str) -> Action:
        """The action with this id; :class:`NotFoundError` if none."""
        try:
            return self.actions[action_id]
        except KeyError:
            raise NotFoundError(
                f"日历 {self.id}@{self.version} 中没有工作事项 {action_id!r}",
                suggestions=_similar(action_id, list(self.actions)),
            ) from None

    def in_force(self, day: date) -> bool:
        """Whether the calendar is in force on ``day`` (both effective dates included)."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_until is None or day <= self.effective_until

    # -- queries -------------------------------------------------------------------------------

    def open_at(self, moment: Moment) -> OpenAt:
        """Nodes open at ``moment`` (file order) and the actions they open (vocabulary order)."""
        m = parse_moment(moment)
        nodes = tuple(n for n in self.nodes if n.start <= m < n.end)
        opened = {a for n in nodes for a in n.opens}
        actions = tuple(a for a_id, a in self.actions.items() if a_id in opened)
        return OpenAt(moment=m, nodes=nodes, actions=actions)

    def windows(self, action: str) -> tuple[Window, ...]:
        """Every window of ``action``, ordered by start, end, then node order in the file."""
        act = self.action(action)
        out = [
            Window(
                action=act.id,
                node_id=n.id,
                label=n.label,
                section=n.section,
                start=n.start,
                end=n.end,
                start_text=n.start_text,
                end_text=n.end_text,
            )
            for n in self.nodes
            if act.id in n.opens
        ]
        order = {n.id: n.index for n in self.nodes}
        out.sort(key=lambda w: (w.start, w.end, order[w.node_id]))
        return tuple(out)

    def check(self, action: str, moment: Moment) -> CheckResult:
        """Whether ``action`` done at ``moment`` is in one of its windows, explained in Chinese."""
        act = self.action(action)
        m = parse_moment(moment)
        wins = self.windows(action)
        shown = _show_moment(m)
        inside = [w for w in wins if w.start <= m < w.end]
        span = _span_phrase(wins)
        status: Status
        chosen: Window | None
        if not wins:
            status, chosen = "between", None
            message = f"{act.label}在本日历中没有开放时段"
        elif inside:
            status, chosen = "ok", inside[0]
            message = (
                f"{act.label}应在 {span}; 所给时间 {shown} 在时段内"
                f" ({chosen.section} {chosen.label}, {chosen.text})"
            )
        elif m < min(w.start for w in wins):
            first = min(wins, key=lambda w: w.start)
            status, chosen = "early", first
            message = (
                f"{act.label}应在 {span}; 所给时间 {shown} 早了 {format_duration(first.start - m)}"
            )
        elif m >= max(w.end for w in wins):
            last = max(wins, key=lambda w: w.end)
            status, chosen = "late", last
            message = (
                f"{act.label}应在 {span}; 所给时间 {shown} 晚了 {format_duration(m - last.end)}"
            )
        else:
            before = max((w for w in wins if w.end <= m), key=lambda w: w.end)
            following = min((w for w in wins if w.start > m), key=lambda w: w.start)
            status, chosen = "between", before
            message = (
                f"{act.label}应在 {span}; 所给时间 {shown} 在两个时段之间: "
                f"比 {before.text} 晚了 {format_duration(m - before.end)}, "
                f"比 {following.text} 早了 {format_duration(following.start - m)}"
            )
        notes = []
        for w in wins:
            for d in self.node(w.node_id).deliverables:
                when = "已过" if m >= d.due else "未到"
                notes.append(
                    f"{w.section} 要求 {d.label} 在 {_show_bound(d.due_text)} 前完成"
                    f" (所给时间{when}此截止时间)"
                )
        return CheckResult(
            action=act.id,
            action_label=act.label,
            moment=m,
            status=status,
            windows=wins,
            window=chosen,
            section=None if chosen is None else chosen.section,
            message=message,
            notes=tuple(notes),
            calendar=f"{self.id}@{self.version}",
            fingerprint=self.fingerprint,
        )

    def due_within(self, start: date | datetime | str, days: int) -> tuple[DueItem, ...]:
        """Deadlines that pass within ``days`` days counted from 00:00 of ``start``.

        An item is listed iff ``start 00:00 < due <= start 00:00 + days``: a node ending on
        ``start`` (at 24:00) is listed, one that ended at 00:00 of ``start`` is not. Node ends and
        deliverables both count; ordered by due instant, then section order in the file.
        """
        if days < 0:
            msg = f"天数不能为负: {days}"
            raise UsageError(msg)
        begin = parse_moment(start).replace(hour=0, minute=0, second=0, microsecond=0)
        stop = begin + timedelta(days=days)
        items: list[tuple[datetime, int, int, DueItem]] = []
        for n in self.nodes:
            if begin < n.end <= stop:
                item = DueItem("node_end", n.id, n.id, n.label, n.section, n.end, n.end_text)
                items.append((n.end, n.index, 0, item))
            for k, d in enumerate(n.deliverables, start=1):
                if begin < d.due <= stop:
                    item = DueItem("deliverable", d.id, n.id, d.label, n.section, d.due, d.due_text)
                    items.append((d.due, n.index, k, item))
        items.sort(key=lambda t: t[:3])
        return tuple(t[3] for t in items)

    def lint(self) -> list[Problem]:
        """Inconsistencies in the plan's dates, each at file:line. See ``docs/calendar.md``."""
        return _lint(self)

    # -- output --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The calendar as plain data (deterministic), with its fingerprint."""
        return {
            "kind": "calendar",
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "effective": {
                "from": None if self.effective_from is None else self.effective_from.isoformat(),
                "until": None if self.effective_until is None else self.effective_until.isoformat(),
            },
            "timezone": self.timezone,
            "fingerprint": self.fingerprint,
            "source_file": self.source_file,
            "sources": [attrs.asdict(s) for s in self.sources],
            "actions": {
                k: {"label": a.label, "description": a.description} for k, a in self.actions.items()
            },
            "nodes": [n.to_dict() for n in self.nodes],
        }

    def to_ics(self) -> str:
        """The calendar as iCalendar text (RFC 5545, CRLF line ends); see ``calendar_render``."""
        from .calendar_render import to_ics

        return to_ics(self)

    def to_svg(self, *, today: date | datetime | str | None = None) -> str:
        """A Gantt-style SVG timeline of the nodes; ``today`` is marked when given."""
        from .calendar_render import to_svg

        return to_svg(self, today=today)


def _similar(name: str, names: Iterable[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)


# ---------------------------------------------------------------------------------------------
# Loading


def load_calendar(path: str | Path) -> Calendar:
    """Read, check and load a calendar file. Raises :class:`RuleFileError` with every problem."""
    return load_calendar_document(read_yaml(path))


def load_calendar_document(doc: YamlDocument) -> Calendar:
    """Check and load a calendar from an already read YAML document.

    Problems of shape (JSON Schema) are reported first, all together; if the shape is right,
    every problem of meaning (impossible times, empty windows, unknown or duplicate ids,
    parent cycles) is reported together. Nothing is half-loaded.
    """
    problems = document_problems(doc, "calendar.schema.json")
    if problems:
        raise RuleFileError(problems)
    problems = _semantic_problems(doc)
    if problems:
        raise RuleFileError(problems)
    return _build(doc)


def _build(doc: YamlDocument) -> Calendar:
    data: dict[str, Any] = doc.data
    actions = {
        k: Action(id=k, label=v["label"], description=v.get("description"))
        for k, v in data["actions"].items()
    }
    nodes = []
    for i, raw in enumerate(data["nodes"]):
        start = _parse_bound(raw["start"], end=False)
        end = _parse_bound(raw["end"], end=True)
        assert start is not None  # checked by _semantic_problems
        assert end is not None
        deliverables = []
        for d in raw.get("deliverables", []):
            due = _parse_bound(d["due"], end=True)
            assert due is not None
            deliverables.append(
                Deliverable(
                    id=d["id"],
                    label=d["label"],
                    due=due,
                    due_text=d["due"],
                    node_id=raw["id"],
                    unconfirmed=d.get("unconfirmed", False),
                    note=d.get("note"),
                )
            )
        nodes.append(
            Node(
                id=raw["id"],
                label=raw["label"],
                section=raw["section"],
                start=start,
                end=end,
                start_text=raw["start"],
                end_text=raw["end"],
                index=i,
                parent=raw.get("parent"),
                opens=tuple(raw.get("opens", ())),
                deliverables=tuple(deliverables),
                after=tuple(raw.get("after", ())),
                reports_on=tuple(raw.get("reports_on", ())),
                exclusive=raw.get("exclusive", False),
                no_overlap_with=tuple(raw.get("no_overlap_with", ())),
                unconfirmed=raw.get("unconfirmed", False),
                note=raw.get("note"),
            )
        )
    effective = data["effective"]
    sources = tuple(
        Source(
            id=s["id"],
            title=s["title"],
            number=s.get("number"),
            issuer=s.get("issuer"),
            date=s.get("date"),
            reliability=s.get("reliability"),
            unconfirmed=s.get("unconfirmed", False),
            note=s.get("note"),
        )
        for s in data["sources"]
    )
    return Calendar(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        effective_from=date.fromisoformat(effective["from"]),
        effective_until=(date.fromisoformat(effective["until"]) if "until" in effective else None),
        timezone=data["timezone"],
        sources=sources,
        actions=MappingProxyType(actions),
        nodes=tuple(nodes),
        fingerprint=fingerprint(data),
        source_file=doc.file,
        document=doc,
    )


# ---------------------------------------------------------------------------------------------
# Checking a file: shape (JSON Schema), then meaning


_TYPE_CN = {
    "object": "映射 (键: 值)",
    "array": "列表",
    "string": "文本",
    "boolean": "true 或 false",
    "integer": "整数",
    "number": "数字",
    "null": "空值",
}


_BAD_TIME_HINT = (
    "写成 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM; 日期须真实存在, 小时 00-23 (或 24:00), 分钟 00-59"
)


def _semantic_problems(doc: YamlDocument) -> list[Problem]:
    """Problems of meaning in a calendar whose shape is right; every one of them."""
    data: dict[str, Any] = doc.data
    out: list[Problem] = []
    eff = data["effective"]
    if "until" in eff and eff["until"] < eff["from"]:
        out.append(
            doc.problem(
                ("effective", "until"),
                f"施行结束日 {eff['until']} 早于施行日期 {eff['from']}",
                code="calendar.bad-effective",
            )
        )
    nodes: list[dict[str, Any]] = data["nodes"]
    ids: dict[str, int] = {}
    deliverable_ids: dict[str, tuple[int, int]] = {}
    for i, raw in enumerate(nodes):
        if raw["id"] in ids:
            first = doc.locate(("nodes", ids[raw["id"]], "id"))[0]
            out.append(
                doc.problem(
                    ("nodes", i, "id"),
                    f"节点编号 {raw['id']!r} 重复 (第一次出现在第 {first} 行)",
                    code="calendar.duplicate-id",
                )
            )
        else:
            ids[raw["id"]] = i
        start = _parse_bound(raw["start"], end=False)
        end = _parse_bound(raw["end"], end=True)
        for key, value in (("start", start), ("end", end)):
            if value is None:
                out.append(
                    doc.problem(
                        ("nodes", i, key),
                        f"不存在的时间 {raw[key]!r}",
                        hint=_BAD_TIME_HINT,
                        code="calendar.bad-time",
                    )
                )
        if start is not None and end is not None and start >= end:
            out.append(
                doc.problem(
                    ("nodes", i, "end"),
                    f"结束 {_show_bound(raw['end'])} 不晚于开始"
                    f" {_show_bound(raw['start'])}: 时段为空",
                    hint="只写日期的结束表示该日 24 时; 带时刻的结束表示到该时刻为止",
                    code="calendar.empty-window",
                )
            )
        for k, d in enumerate(raw.get("deliverables", [])):
            if _parse_bound(d["due"], end=True) is None:
                out.append(
                    doc.problem(
                        ("nodes", i, "deliverables", k, "due"),
                        f"不存在的时间 {d['due']!r}",
                        hint=_BAD_TIME_HINT,
                        code="calendar.bad-time",
                    )
                )
            if d["id"] in deliverable_ids:
                fi, fk = deliverable_ids[d["id"]]
                first = doc.locate(("nodes", fi, "deliverables", fk, "id"))[0]
                out.append(
                    doc.problem(
                        ("nodes", i, "deliverables", k, "id"),
                        f"成果编号 {d['id']!r} 重复 (第一次出现在第 {first} 行)",
                        code="calendar.duplicate-id",
                    )
                )
            else:
                deliverable_ids[d["id"]] = (i, k)
    actions = list(data["actions"])
    known = list(ids)
    for i, raw in enumerate(nodes):
        parent = raw.get("parent")
        if parent is not None:
            if parent == raw["id"]:
                out.append(
                    doc.problem(
                        ("nodes", i, "parent"), "节点不能以自己为上级", code="calendar.cycle"
                    )
                )
            elif parent not in ids:
                out.append(_unknown(doc, ("nodes", i, "parent"), parent, known, "上级节点"))
            elif _parent_cycle(nodes, ids, i):
                out.append(
                    doc.problem(
                        ("nodes", i, "parent"),
                        f"上级关系形成循环 ({raw['id']} -> {parent} -> ... -> {raw['id']})",
                        code="calendar.cycle",
                    )
                )
        for field in ("after", "reports_on", "no_overlap_with"):
            for j, ref in enumerate(raw.get(field, [])):
                if ref == raw["id"]:
                    out.append(
                        doc.problem(
                            ("nodes", i, field, j),
                            f"节点不能引用自己 ({field})",
                            code="calendar.self-reference",
                        )
                    )
                elif ref not in ids:
                    out.append(_unknown(doc, ("nodes", i, field, j), ref, known, "节点"))
        for j, act in enumerate(raw.get("opens", [])):
            if act not in data["actions"]:
                close = _similar(act, actions)
                out.append(
                    doc.problem(
                        ("nodes", i, "opens", j),
                        f"未定义的工作事项 {act!r}",
                        hint=("是否要写: " + ", ".join(close))
                        if close
                        else "请先在 actions 中定义",
                        code="calendar.unknown-action",
                    )
                )
    return sorted(out, key=Problem.sort_key)


def _unknown(
    doc: YamlDocument, path: tuple[str | int, ...], ref: str, known: list[str], what: str
) -> Problem:
    close = _similar(ref, known)
    return doc.problem(
        path,
        f"未定义的{what} {ref!r}",
        hint=("是否要写: " + ", ".join(close)) if close else None,
        code="calendar.unknown-node",
    )


def _parent_cycle(nodes: list[dict[str, Any]], ids: dict[str, int], i: int) -> bool:
    seen = {i}
    current = nodes[i].get("parent")
    while current is not None and current in ids:
        j = ids[current]
        if j == i:
            return True
        if j in seen:
            return False
        seen.add(j)
        current = nodes[j].get("parent")
    return False


# ---------------------------------------------------------------------------------------------
# Lint: inconsistencies between the dates of a loaded calendar


def _lint(cal: Calendar) -> list[Problem]:
    doc = cal.document
    by_id = {n.id: n for n in cal.nodes}
    out: list[Problem] = []

    def name(n: Node) -> str:
        return f"{n.section} {n.label}"

    for n in cal.nodes:
        i = n.index
        if n.parent is not None:
            p = by_id[n.parent]
            if n.start < p.start:
                out.append(
                    doc.problem(
                        ("nodes", i, "start"),
                        f"{name(n)} 开始于 {_show_bound(n.start_text)}, 早于上级节点 {name(p)}"
                        f" 的开始 {_show_bound(p.start_text)}",
                        code="calendar.child-outside-parent",
                    )
                )
            if n.end > p.end:
                out.append(
                    doc.problem(
                        ("nodes", i, "end"),
                        f"{name(n)} 结束于 {_show_bound(n.end_text)}, 晚于上级节点 {name(p)}"
                        f" 的结束 {_show_bound(p.end_text)}",
                        code="calendar.child-outside-parent",
                    )
                )
        for j, ref in enumerate(n.after):
            o = by_id[ref]
            if n.start < o.end:
                out.append(
                    doc.problem(
                        ("nodes", i, "after", j),
                        f"{name(n)} 应在 {name(o)} 结束后开始, 但它 {_show_bound(n.start_text)}"
                        f" 开始, 而后者到 {_show_bound(o.end_text)} 才结束"
                        f" (重叠 {format_duration(o.end - n.start)})",
                        code="calendar.after-broken",
                    )
                )
        for k, d in enumerate(n.deliverables):
            path = ("nodes", i, "deliverables", k, "due")
            for ref in n.reports_on:
                o = by_id[ref]
                if d.due < o.end:
                    out.append(
                        doc.problem(
                            path,
                            f"{d.label} 须在 {_show_bound(d.due_text)} 前完成, 但它所总结的"
                            f" {name(o)} 到 {_show_bound(o.end_text)} 才结束"
                            f" (早了 {format_duration(o.end - d.due)})",
                            code="calendar.deliverable-before-work",
                        )
                    )
            if d.due <= n.start:
                out.append(
                    doc.problem(
                        path,
                        f"{d.label} 的截止时间 {_show_bound(d.due_text)} 不晚于所属节点"
                        f" {name(n)} 的开始 {_show_bound(n.start_text)}",
                        code="calendar.deliverable-outside-node",
                    )
                )
            elif d.due > n.end:
                out.append(
                    doc.problem(
                        path,
                        f"{d.label} 的截止时间 {_show_bound(d.due_text)} 晚于所属节点"
                        f" {name(n)} 的结束 {_show_bound(n.end_text)}",
                        code="calendar.deliverable-outside-node",
                    )
                )
    opened = {a for n in cal.nodes for a in n.opens}
    for a_id, act in cal.actions.items():
        if a_id not in opened:
            out.append(
                doc.problem(
                    ("actions", a_id),
                    f"工作事项 {a_id!r} ({act.label}) 没有任何节点开放",
                    hint="在某个节点的 opens 中加入它, 或从 actions 中删去",
                    code="calendar.action-unused",
                )
            )
    seen: set[frozenset[str]] = set()

    def overlap(n: Node, o: Node, path: tuple[str | int, ...]) -> None:
        pair = frozenset((n.id, o.id))
        if pair in seen or not (n.start < o.end and o.start < n.end):
            return
        seen.add(pair)
        out.append(
            doc.problem(
                path,
                f"{name(n)} ({n.window_text}) 与 {name(o)} ({o.window_text}) 时间重叠,"
                " 而本文件规定二者不得重叠",
                code="calendar.overlap",
            )
        )

    for n in cal.nodes:
        for j, ref in enumerate(n.no_overlap_with):
            overlap(n, by_id[ref], ("nodes", n.index, "no_overlap_with", j))
        if n.exclusive:
            for o in cal.nodes:
                if o.id != n.id and o.parent == n.parent:
                    overlap(n, o, ("nodes", n.index, "exclusive"))
    return sorted(out, key=Problem.sort_key)


# ---------------------------------------------------------------------------------------------
# Finding bundled calendars


def bundled_calendars(root: str | Path | None = None) -> tuple[Calendar, ...]:
    """Every calendar file (``kind: calendar``) under ``root`` (default: the bundled standards).

    Files are found by a top-level ``kind: calendar`` line, so other rule files are not parsed
    here; a calendar file that is broken raises :class:`RuleFileError` (fail closed). Ordered by
    id, then effective date, then version.
    """
    from .library import files_of_kind

    base = Path(root) if root is not None else bundled_standards_dir()
    found = [load_calendar(path) for path in files_of_kind(base, "calendar")]
    found.sort(key=lambda c: (c.id, c.effective_from or date.min, c.version))
    return tuple(found)


def select_calendar(
    calendars: Sequence[Calendar],
    *,
    calendar_id: str | None = None,
    version: str | None = None,
    as_of: date | datetime | str | None = None,
) -> Calendar:
    """Pick one calendar: by id and version, or the one in force on ``as_of``.

    ``calendar_id`` may be written ``ID@VERSION``. Without a version, the calendar of that id in
    force on ``as_of`` is chosen (or the only one of that id). Without an id, the only calendar
    in force on ``as_of``. Raises :class:`NotFoundError` or :class:`UsageError` when that is not
    exactly one calendar.
    """
    if calendar_id and "@" in calendar_id:
        calendar_id, version = calendar_id.split("@", 1)
    day = None if as_of is None else parse_moment(as_of).date()
    pool = list(calendars)
    if calendar_id:
        pool = [c for c in pool if c.id == calendar_id]
        if not pool:
            raise NotFoundError(
                f"没有日历 {calendar_id!r}",
                suggestions=_similar(calendar_id, sorted({c.id for c in calendars})),
            )
    if version:
        pool = [c for c in pool if c.version == version]
        if not pool:
            msg = f"日历 {calendar_id or ''} 没有版本 {version!r}"
            raise NotFoundError(msg)
    if len(pool) > 1 and day is not None:
        pool = [c for c in pool if c.in_force(day)]
        if not pool:
            msg = f"{day.isoformat()} 没有施行中的日历"
            raise NotFoundError(msg)
    elif len(pool) == 1 and day is not None and not version and not pool[0].in_force(day):
        c = pool[0]
        msg = f"{day.isoformat()} 没有施行中的日历 ({c.id}@{c.version} 的有效期为 {_span(c)})"
        raise NotFoundError(msg)
    if not pool:
        msg = "没有找到任何日历"
        raise NotFoundError(msg)
    if len(pool) > 1:
        names = ", ".join(f"{c.id}@{c.version}" for c in pool)
        msg = f"有多个日历可选 ({names}); 请用 --calendar ID@版本 指定"
        raise UsageError(msg)
    return pool[0]


def _span(c: Calendar) -> str:
    start = c.effective_from.isoformat() if c.effective_from else "…"
    end = c.effective_until.isoformat() if c.effective_until else "至今"
    return f"{start} 至 {end}"


# ---------------------------------------------------------------------------------------------
# Command line (``fupin-rules calendar``)


def add_calendar_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``fupin-rules calendar`` to ``parser``."""
    parser.add_argument("--calendar", metavar="ID[@VERSION]", help="日历编号 (可带 @版本)")
    parser.add_argument("--file", metavar="PATH", help="直接读取这个日历文件")
    parser.add_argument(
        "--standards", metavar="DIR", help="在这个目录下查找日历 (默认: 随包附带的 standards)"
    )
    parser.add_argument("--json", action="store_true", help="输出 JSON (供程序使用)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--on", metavar="MOMENT", help="这个时间开放哪些节点和工作事项")
    what.add_argument("--check", metavar="ACTION", help="检查某项工作是否在时段内 (与 --at 同用)")
    what.add_argument("--due-within", metavar="DAYS", type=int, help="N 天内到期的节点和成果")
    what.add_argument("--lint", action="store_true", help="检查日历中的不一致")
    what.add_argument("--ics", metavar="FILE", help="导出 iCalendar 文件")
    what.add_argument("--svg", metavar="FILE", help="导出甘特图 (SVG)")
    parser.add_argument("--at", metavar="MOMENT", help="与 --check 同用: 工作完成的时间")
    parser.add_argument("--from", dest="from_", metavar="DATE", help="与 --due-within 同用")
    parser.add_argument("--today", metavar="DATE", help="与 --svg 同用: 在图上标出这一天")


_CALENDAR_EPILOG = (
    "示例:\n"
    "  fupin-rules calendar --on 2018-11-20T09:00\n"
    "  fupin-rules calendar --check household_exit_certification --at 2018-11-27T10:00\n"
    "  fupin-rules calendar --due-within 7 --from 2018-12-10\n"
    "  fupin-rules calendar --lint --calendar town.dynamic-management@2018\n"
    "  fupin-rules calendar --ics plan.ics\n"
    "  fupin-rules calendar --svg plan.svg --today 2018-11-20\n"
    "\n时间均为北京时间; 不指定 --calendar 时, 使用所问日期施行中的随包日历。\n"
    "--check 不在时段内、--lint 发现问题时退出码为 1。"
)


def register_calendar_command(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``calendar`` through the CLI's ``command(name, handler, help, epilog)`` helper."""
    del sub  # the helper already knows the subparsers

    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        del err
        return run_calendar_command(args, out)

    parser = command(
        "calendar",
        handler,
        "工作时间节点: 开放事项、时段检查、到期提醒、检查与导出",
        _CALENDAR_EPILOG,
    )
    add_calendar_arguments(parser)


def run_calendar_command(
    args: argparse.Namespace, out: TextIO, *, today: date | None = None
) -> int:
    """Run ``fupin-rules calendar`` with parsed ``args``, writing to ``out``; return the exit code.

    ``today`` is used only when ``--due-within`` is given without ``--from``; when it is ``None``
    the current date in China Standard Time is read, and the output says so.
    """
    as_of: str | date | None = args.on or args.at or args.from_ or args.today
    notice = None
    if args.due_within is not None and args.from_ is None:
        if today is None:
            today = datetime.now(CST).date()
        as_of = today
        notice = f"(未给出 --from, 按今天 {today.isoformat()} 计算)"
    if args.check and not args.at:
        msg = "--check 需要同时给出 --at 时间"
        raise UsageError(msg)
    try:
        cal = _command_calendar(args, as_of)
    except NotFoundError as exc:
        if notice is None:
            raise
        raise NotFoundError(f"{exc} {notice}") from None
    if args.lint:
        problems = cal.lint()
        if args.json:
            out.write(dumps([p.to_dict() for p in problems], indent=2) + "\n")
        else:
            for p in problems:
                out.write(f"{p}\n")
            out.write(f"{cal.id}@{cal.version}: 发现 {len(problems)} 处不一致\n")
        return 1 if problems else 0
    if args.ics:
        _write_atomic(Path(args.ics), cal.to_ics().encode("utf-8"))
        out.write(f"已导出 iCalendar: {args.ics}\n")
        return 0
    if args.svg:
        _write_atomic(Path(args.svg), cal.to_svg(today=args.today).encode("utf-8"))
        out.write(f"已导出甘特图: {args.svg}\n")
        return 0
    if args.on:
        opened = cal.open_at(args.on)
        if args.json:
            out.write(dumps(opened.to_dict(), indent=2) + "\n")
            return 0
        out.write(f"{cal.title} ({cal.id}@{cal.version})\n")
        out.write(f"{_show_moment(opened.moment)} 开放的节点:\n")
        for n in opened.nodes:
            out.write(f"  {n.section} {n.label}: {n.window_text}\n")
        if not opened.nodes:
            out.write("  (无)\n")
        out.write("可以开展的工作:\n")
        for a in opened.actions:
            out.write(f"  {a.label} ({a.id})\n")
        if not opened.actions:
            out.write("  (无)\n")
        return 0
    if args.check:
        result = cal.check(args.check, args.at)
        if args.json:
            out.write(dumps(result.to_dict(), indent=2) + "\n")
        else:
            mark = {"ok": "按时", "early": "过早", "late": "逾期", "between": "不在时段内"}
            out.write(f"[{mark[result.status]}] {result.message}\n")
            if result.section:
                out.write(f"依据: 方案 {result.section}\n")
            for note in result.notes:
                out.write(f"注意: {note}\n")
        return 0 if result.ok else 1
    start: str | date = args.from_ or today or ""
    items = cal.due_within(start, args.due_within)
    if args.json:
        out.write(dumps([i.to_dict() for i in items], indent=2) + "\n")
        return 0
    if notice:
        out.write(notice + "\n")
    first = parse_moment(start).date()
    out.write(f"{first.isoformat()} 起 {args.due_within} 天内到期:\n")
    for i in items:
        kind = "成果" if i.kind == "deliverable" else "结束"
        out.write(f"  {_show_bound(i.due_text)}  [{kind}] {i.section} {i.label}\n")
    if not items:
        out.write("  (无)\n")
    return 0


def _command_calendar(args: argparse.Namespace, as_of: str | date | None) -> Calendar:
    if args.file:
        return load_calendar(args.file)
    calendars = bundled_calendars(args.standards)
    return select_calendar(calendars, calendar_id=args.calendar, as_of=as_of)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
