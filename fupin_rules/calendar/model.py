"""A loaded calendar: :class:`Calendar`, frozen, with its lookups and queries.

Its parts and the results of its queries are in :mod:`.parts` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs

from .._yaml import locate, problem_at
from ..errors import NotFoundError, Problem, UsageError
from ..model import Source
from .moments import Moment, format_duration, parse_moment, show_bound, show_moment
from .parts import (
    Action,
    CheckResult,
    Deliverable,
    DueItem,
    Node,
    OpenAt,
    Position,
    Status,
    Window,
    similar,
    span_phrase,
)

__all__ = [
    "Action",
    "Calendar",
    "CheckResult",
    "Deliverable",
    "DueItem",
    "Node",
    "OpenAt",
    "Position",
    "Status",
    "Window",
    "similar",
    "span_phrase",
]


def _nodes(values: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(values)


def _sources(values: Iterable[Source]) -> tuple[Source, ...]:
    return tuple(values)


def _action_map(values: Mapping[str, Action]) -> Mapping[str, Action]:
    return MappingProxyType(dict(values))


def _positions(values: Mapping[Position, tuple[int, int]]) -> Mapping[Position, tuple[int, int]]:
    return MappingProxyType({tuple(k): (int(v[0]), int(v[1])) for k, v in values.items()})


@attrs.frozen
class Calendar:
    """One version of a work-plan calendar, loaded and checked. Immutable."""

    id: str
    version: str
    title: str
    effective_from: date | None
    effective_until: date | None
    timezone: str
    sources: tuple[Source, ...] = attrs.field(repr=False, converter=_sources)
    actions: Mapping[str, Action] = attrs.field(eq=False, repr=False, converter=_action_map)
    """Read-only mapping id -> action, in file order."""
    nodes: tuple[Node, ...] = attrs.field(repr=False, converter=_nodes)
    fingerprint: str
    source_file: str
    positions: Mapping[Position, tuple[int, int]] = attrs.field(
        factory=dict, eq=False, repr=False, converter=_positions
    )
    """Read-only: where each field of the file starts (1-based line, column), for findings."""
    revision: int = 0
    """How many times this calendar (this id) has been revised; 0 for the plan as first issued."""
    revised: date | None = None
    """The date of the latest revision, when given."""

    # -- lookup --------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        """The node with this id; :class:`NotFoundError` if none."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise NotFoundError(
            f"日历 {self.id}@{self.version} 中没有节点 {node_id!r}",
            suggestions=similar(node_id, [n.id for n in self.nodes]),
        )

    def action(self, action_id: str) -> Action:
        """The action with this id; :class:`NotFoundError` if none."""
        try:
            return self.actions[action_id]
        except KeyError:
            raise NotFoundError(
                f"日历 {self.id}@{self.version} 中没有工作事项 {action_id!r}",
                suggestions=similar(action_id, list(self.actions)),
            ) from None

    @property
    def deliverables(self) -> tuple[Deliverable, ...]:
        """Every deliverable (deadline) of the calendar, in file order."""
        return tuple(d for n in self.nodes for d in n.deliverables)

    def deliverable(self, deliverable_id: str) -> Deliverable:
        """The deliverable with this id; :class:`NotFoundError` if none."""
        for d in self.deliverables:
            if d.id == deliverable_id:
                return d
        raise NotFoundError(
            f"日历 {self.id}@{self.version} 中没有成果 {deliverable_id!r}",
            suggestions=similar(deliverable_id, [d.id for d in self.deliverables]),
        )

    def deadline_of(self, action_id: str) -> Deliverable | None:
        """The deliverable that ``action_id`` hands in (its deadline), or ``None``."""
        for d in self.deliverables:
            if d.action == action_id:
                return d
        return None

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
        """Whether ``action`` done at ``moment`` was on time, explained in Chinese.

        ``action`` is an action id or a deliverable id. An action that hands in a deliverable
        (its ``action``) and a deliverable are checked against the deadline: on time at any
        moment before the due instant, late from it on. Any other action is checked against
        its windows. :class:`NotFoundError` (with suggestions) when the name is neither.
        """
        if action not in self.actions:
            if action in {d.id for d in self.deliverables}:
                return self._check_deadline(self.deliverable(action), None, parse_moment(moment))
            raise NotFoundError(
                f"日历 {self.id}@{self.version} 中没有工作事项或成果 {action!r}",
                suggestions=similar(action, [*self.actions, *(d.id for d in self.deliverables)]),
            )
        act = self.action(action)
        m = parse_moment(moment)
        deadline = self.deadline_of(act.id)
        if deadline is not None:
            return self._check_deadline(deadline, act, m)
        wins = self.windows(action)
        shown = show_moment(m)
        inside = [w for w in wins if w.start <= m < w.end]
        span = span_phrase(wins)
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
                    f"{w.section} 要求 {d.label} 在 {show_bound(d.due_text)} 前完成"
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

    def _check_deadline(self, d: Deliverable, act: Action | None, m: datetime) -> CheckResult:
        """The check of a deadline: ``ok`` before the due instant, ``late`` from it on."""
        node = self.node(d.node_id)
        label = d.label if act is None else act.label
        due, shown = show_bound(d.due_text), show_moment(m)
        status: Status
        if m < d.due:
            status = "ok"
            verdict = f"按时, 距截止还有 {format_duration(d.due - m)}"
        else:
            status = "late"
            verdict = f"晚了 {format_duration(m - d.due)}"
        message = f"{label}须在 {due} 前完成 ({node.section}); 所给时间 {shown} {verdict}"
        action_id = d.action if act is None else act.id
        wins: tuple[Window, ...] = ()
        if action_id is not None and action_id in self.actions:
            wins = self.windows(action_id)
        notes = []
        if act is not None and act.label != d.label:
            notes.append(f"{node.section} 要求 {d.label} 在 {due} 前完成")
        if wins:
            sections = "、".join(dict.fromkeys(w.section for w in wins))
            notes.append(
                f"方案 {sections} 标注的时段为 {span_phrase(wins)}; 是否按时以截止时间 {due} 为准"
            )
        if d.unconfirmed:
            notes.append(f"截止时间未经来源确认: {d.note}" if d.note else "截止时间未经来源确认")
        return CheckResult(
            action=d.id if act is None else act.id,
            action_label=label,
            moment=m,
            status=status,
            windows=wins,
            window=None,
            section=node.section,
            message=message,
            notes=notes,
            calendar=f"{self.id}@{self.version}",
            fingerprint=self.fingerprint,
            deadline=d,
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
                item = DueItem(
                    "node_end",
                    n.id,
                    n.id,
                    n.label,
                    n.section,
                    n.end,
                    n.end_text,
                    unconfirmed=n.unconfirmed,
                )
                items.append((n.end, n.index, 0, item))
            for k, d in enumerate(n.deliverables, start=1):
                if begin < d.due <= stop:
                    item = DueItem(
                        "deliverable",
                        d.id,
                        n.id,
                        d.label,
                        n.section,
                        d.due,
                        d.due_text,
                        action=d.action,
                        unconfirmed=d.unconfirmed,
                    )
                    items.append((d.due, n.index, k, item))
        items.sort(key=lambda t: t[:3])
        return tuple(t[3] for t in items)

    # -- places in the file --------------------------------------------------------------------

    def locate(self, path: Position) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the field at ``path`` in the file, or of its parent."""
        return locate(self.positions, path)

    def problem(
        self, path: Position, message: str, *, hint: str | None = None, code: str = "error"
    ) -> Problem:
        """A :class:`Problem` placed at ``path`` in the calendar's file."""
        return problem_at(self.source_file, self.positions, path, message, hint=hint, code=code)

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
            "revision": {
                "number": self.revision,
                "date": None if self.revised is None else self.revised.isoformat(),
            },
            "fingerprint": self.fingerprint,
            "source_file": self.source_file,
            "sources": [attrs.asdict(s) for s in self.sources],
            "actions": {
                k: {"label": a.label, "description": a.description} for k, a in self.actions.items()
            },
            "nodes": [n.to_dict() for n in self.nodes],
        }
