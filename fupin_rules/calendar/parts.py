"""The parts of a calendar and the results of its queries: frozen value objects.

Actions, deliverables (deadlines), nodes and windows; the results of ``check``, ``open_at`` and
``due_within``; the shared helpers ``similar`` and ``span_phrase``. Below :mod:`.model`, which
holds :class:`~.model.Calendar` and its queries.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from .moments import Moment, parse_moment, window_text

__all__ = [
    "Action",
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

Position = tuple[str | int, ...]
"""A field path in a calendar file, e.g. ``("nodes", 3, "end")``."""


def similar(name: str, names: Iterable[str]) -> list[str]:
    """Up to three names close to ``name``, for "did you mean" hints."""
    return difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


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
    """Something a node must hand in before ``due``: a deadline.

    ``due`` is an instant (a date means 24:00 that day). Handing in is on time at any moment
    before ``due`` and late from ``due`` on ("12月12日18时前": 17:59:59 is on time, 18:00:00 is
    late). When ``action`` names an action, doing that action *is* handing this in, and the
    on-time check of the action is against this deadline rather than against its windows.
    """

    id: str
    label: str
    due: datetime
    due_text: str
    node_id: str
    unconfirmed: bool = False
    note: str | None = None
    action: str | None = None
    """The action whose doing hands this in, if any (at most one deliverable per action)."""

    def on_time(self, moment: Moment) -> bool:
        """Whether handing in at ``moment`` is before the deadline."""
        return parse_moment(moment) < self.due

    def to_dict(self) -> dict[str, Any]:
        """The deliverable as plain data; the due instant as ISO text with ``+08:00``."""
        return {
            "id": self.id,
            "label": self.label,
            "due": self.due_text,
            "due_instant": self.due.isoformat(),
            "node": self.node_id,
            "action": self.action,
            "unconfirmed": self.unconfirmed,
            "note": self.note,
        }


def _deliverables(values: Iterable[Deliverable]) -> tuple[Deliverable, ...]:
    return tuple(values)


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
    opens: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    deliverables: tuple[Deliverable, ...] = attrs.field(default=(), converter=_deliverables)
    after: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    reports_on: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    exclusive: bool = False
    no_overlap_with: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    unconfirmed: bool = False
    note: str | None = None

    def contains(self, moment: Moment) -> bool:
        """Whether ``moment`` is inside this node's window (start included, end excluded)."""
        m = parse_moment(moment)
        return self.start <= m < self.end

    @property
    def window_text(self) -> str:
        """The window as the plan writes it: ``2018-11-05 至 2018-11-25``."""
        return window_text(self.start_text, self.end_text)

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
            "deliverables": [d.to_dict() for d in self.deliverables],
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
        return window_text(self.start_text, self.end_text)

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


def _windows(values: Iterable[Window]) -> tuple[Window, ...]:
    return tuple(values)


def _nodes(values: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(values)


def _actions(values: Iterable[Action]) -> tuple[Action, ...]:
    return tuple(values)


def span_phrase(wins: Sequence[Window]) -> str:
    """``2018-11-05 至 2018-11-25 之间``; ``2018-10-06 或 2018-10-07 当天`` for whole days."""
    if not wins:
        return "(无开放时段)"
    texts = " 或 ".join(w.text for w in wins)
    if all(w.start_text == w.end_text and "T" not in w.start_text for w in wins):
        return f"{texts} 当天"
    return f"{texts} 之间"


@attrs.frozen
class CheckResult:
    """Whether an action at a moment fell in one of its windows, and why.

    For an action checked against its windows, ``status`` is ``ok`` (inside a window),
    ``early`` (before every window), ``late`` (after every window) or ``between`` (after one
    window ended and before the next began). For a deadline (a deliverable, or an action that
    hands one in), ``deadline`` is that deliverable and ``status`` is ``ok`` (before its due
    instant) or ``late`` (at or after it); ``window`` is then ``None``.
    """

    action: str
    action_label: str
    moment: datetime
    status: Status
    windows: tuple[Window, ...] = attrs.field(converter=_windows)
    window: Window | None
    """The window the moment is in, or the nearest one (the one missed, for late/between)."""
    section: str | None
    message: str
    notes: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    calendar: str = ""
    fingerprint: str = ""
    deadline: Deliverable | None = None
    """The deadline that decided the check, when a deadline did."""

    @property
    def ok(self) -> bool:
        """On time: inside a window, or before the deadline."""
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
            "deadline": None if self.deadline is None else self.deadline.to_dict(),
        }


@attrs.frozen
class OpenAt:
    """What is open at a moment: the nodes whose window holds it and the actions they open."""

    moment: datetime
    nodes: tuple[Node, ...] = attrs.field(converter=_nodes)
    actions: tuple[Action, ...] = attrs.field(converter=_actions)

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
    action: str | None = None
    """For a deliverable: the action that hands it in, if any."""
    unconfirmed: bool = False
    """The due time is not confirmed from the source."""

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
            "action": self.action,
            "unconfirmed": self.unconfirmed,
        }
