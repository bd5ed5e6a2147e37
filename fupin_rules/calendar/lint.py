"""Lint of a loaded calendar: inconsistencies between its dates."""

from __future__ import annotations

from ..errors import Problem
from .model import Calendar, Node
from .moments import format_duration, show_bound

__all__ = ["lint_calendar"]

# ---------------------------------------------------------------------------------------------
# Lint: inconsistencies between the dates of a loaded calendar


def lint_calendar(cal: Calendar) -> list[Problem]:
    """Inconsistencies between the dates of ``cal``, each at file:line, sorted.

    Lint reports and never changes a date; the codes are listed in ``docs/calendar.md``.
    """
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
                    cal.problem(
                        ("nodes", i, "start"),
                        f"{name(n)} 开始于 {show_bound(n.start_text)}, 早于上级节点 {name(p)}"
                        f" 的开始 {show_bound(p.start_text)}",
                        code="calendar.child-outside-parent",
                    )
                )
            if n.end > p.end:
                out.append(
                    cal.problem(
                        ("nodes", i, "end"),
                        f"{name(n)} 结束于 {show_bound(n.end_text)}, 晚于上级节点 {name(p)}"
                        f" 的结束 {show_bound(p.end_text)}",
                        code="calendar.child-outside-parent",
                    )
                )
        for j, ref in enumerate(n.after):
            o = by_id[ref]
            if n.start < o.end:
                out.append(
                    cal.problem(
                        ("nodes", i, "after", j),
                        f"{name(n)} 应在 {name(o)} 结束后开始, 但它 {show_bound(n.start_text)}"
                        f" 开始, 而后者到 {show_bound(o.end_text)} 才结束"
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
                        cal.problem(
                            path,
                            f"{d.label} 须在 {show_bound(d.due_text)} 前完成, 但它所总结的"
                            f" {name(o)} 到 {show_bound(o.end_text)} 才结束"
                            f" (早了 {format_duration(o.end - d.due)})",
                            code="calendar.deliverable-before-work",
                        )
                    )
            if d.due <= n.start:
                out.append(
                    cal.problem(
                        path,
                        f"{d.label} 的截止时间 {show_bound(d.due_text)} 不晚于所属节点"
                        f" {name(n)} 的开始 {show_bound(n.start_text)}",
                        code="calendar.deliverable-outside-node",
                    )
                )
            elif d.due > n.end:
                out.append(
                    cal.problem(
                        path,
                        f"{d.label} 的截止时间 {show_bound(d.due_text)} 晚于所属节点"
                        f" {name(n)} 的结束 {show_bound(n.end_text)}",
                        code="calendar.deliverable-outside-node",
                    )
                )
            if d.action is not None:
                out += _deadline_before_windows(cal, n, k)
    opened = {a for n in cal.nodes for a in n.opens}
    for a_id, act in cal.actions.items():
        if a_id not in opened:
            out.append(
                cal.problem(
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
            cal.problem(
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


def _deadline_before_windows(cal: Calendar, n: Node, k: int) -> list[Problem]:
    """A deadline that passes before a window of the action that hands it in even opens.

    The deliverable's own node is left to ``calendar.deliverable-outside-node``.
    """
    d = n.deliverables[k]
    assert d.action is not None
    act = cal.action(d.action)
    out = []
    for w in cal.windows(act.id):
        if w.node_id != n.id and w.start >= d.due:
            out.append(
                cal.problem(
                    ("nodes", n.index, "deliverables", k, "action"),
                    f"{d.label} 须在 {show_bound(d.due_text)} 前完成, 但提交它的工作事项"
                    f" {act.label} 在 {w.section} {w.label} 的时段 ({w.text}) 才开放"
                    f" (截止后 {format_duration(w.start - d.due)} 才开始)",
                    code="calendar.deadline-before-window",
                )
            )
    return out
