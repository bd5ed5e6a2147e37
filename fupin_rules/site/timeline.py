"""The page of a work-plan calendar: the calendar's own Gantt chart
(:func:`fupin_rules.calendar.to_svg`), then its nodes and deadlines as tables."""

from __future__ import annotations

from typing import Any

from ..calendar.model import Calendar
from ..calendar.moments import show_bound
from ..calendar.render import to_svg
from . import layout
from .html import esc, href, mark, page, source_line, table
from .standards import period_text

__all__ = ["calendar_page", "calendar_svg"]

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def calendar_svg(cal: Calendar) -> str:
    """The timeline as a standalone SVG file (no "today" line: the site reads no clock)."""
    return to_svg(cal)


def _inline(svg: str) -> str:
    """The SVG document as an element of an HTML page (an XML declaration is not HTML)."""
    return svg.removeprefix(_DECLARATION)


def _date(value: Any) -> str | None:
    return None if value is None else str(value)


def calendar_page(cal: Calendar, roots: tuple[str, ...]) -> str:
    """The page of one calendar version."""
    path = layout.calendar_page(cal.id, cal.version)
    svg_name = layout.calendar_svg(cal.id, cal.version).rsplit("/", 1)[1]
    start = _date(cal.effective_from)
    sources = "<br>".join(source_line(s) for s in cal.sources) or "—"
    facts = [
        ("日历编号", f"<code>{esc(cal.id)}</code>"),
        ("版本", esc(cal.version)),
        ("有效期", esc(period_text(start, _date(cal.effective_until))) if start else "—"),
        ("时区", "北京时间 (UTC+8)"),
        ("来源", sources),
        ("指纹", f"<code>{esc(cal.fingerprint)}</code>"),
        ("文件", f"<code>{esc(layout.relative_file(cal.source_file, roots))}</code>"),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    body = [
        f'<dl class="facts">{items}</dl>',
        '<h2 id="timeline">时间线</h2>',
        "<p>条形为各节点的时段, ◆ 为截止时间 (鼠标停在条形上可看时段)。"
        f' <a href="{href(svg_name)}">单独打开图 (SVG)</a></p>',
        f'<div class="timeline">{_inline(calendar_svg(cal))}</div>',
        _nodes(cal),
        _deadlines(cal),
    ]
    crumbs = [(f"{cal.id}@{cal.version}", path)]
    return page(cal.title, "\n".join(body), depth=layout.depth(path), crumbs=crumbs)


def _action(cal: Calendar, action_id: str) -> str:
    action = cal.actions.get(action_id)
    return esc(action.label if action is not None else action_id)


def _nodes(cal: Calendar) -> str:
    rows = []
    for n in cal.nodes:
        opens = "、".join(_action(cal, a) for a in n.opens)
        due = "<br>".join(
            f"{esc(d.label)}: {esc(show_bound(d.due_text))} 前 {mark(d.unconfirmed)}"
            for d in n.deliverables
        )
        rows.append(
            [
                esc(n.section),
                f"{esc(n.label)} {mark(n.unconfirmed)}",
                esc(n.window_text),
                opens,
                due,
                esc(n.note or ""),
            ]
        )
    head = ["章节", "节点", "时段", "开放的事项", "截止", "说明"]
    return f'<h2 id="nodes">节点</h2>{table(head, rows)}'


def _deadlines(cal: Calendar) -> str:
    ordered = sorted(cal.deliverables, key=lambda d: (d.due, d.id))
    if not ordered:
        return ""
    by_id = {n.id: n for n in cal.nodes}
    rows = []
    for d in ordered:
        node = by_id.get(d.node_id)
        where = f"{esc(node.section)} {esc(node.label)}" if node is not None else esc(d.node_id)
        rows.append([esc(show_bound(d.due_text)), f"{esc(d.label)} {mark(d.unconfirmed)}", where])
    head = ["截止时间 (北京时间, 此前交齐)", "事项", "所属节点"]
    return f'<h2 id="deadlines">截止时间</h2>{table(head, rows)}'
