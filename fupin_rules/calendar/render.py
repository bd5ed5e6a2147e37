"""Calendars for people: iCalendar (RFC 5545) and a Gantt-style SVG timeline, both hand-written.

Both outputs are deterministic: the same calendar (and ``today``) always gives the same bytes.
No clock is read: the iCalendar ``DTSTAMP`` is 00:00 UTC of the calendar's revision date (else
its effective date) and ``SEQUENCE`` its revision number. Both stay valid whatever the labels
hold: text is cleaned of what the format cannot carry (control characters, unpaired surrogates)
and escaped (see :func:`ics_text` and :func:`xml_text`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .model import Calendar, Deliverable, Node
from .moments import CST, parse_moment, show_bound

__all__ = [
    "ALARM_HOUR",
    "FONT_FAMILY",
    "escape_text",
    "fold_line",
    "ics_text",
    "to_ics",
    "to_svg",
    "uid",
    "xml_attr",
    "xml_text",
]

_PRODID = "-//fupin-rules//work-plan calendar//ZH"
_TZID = "Asia/Shanghai"
ALARM_HOUR = 9
"""Reminders of deadlines are at this hour (China Standard Time) on the day before the due day."""

# Characters neither format can carry: C0 controls but tab, LF and CR (newlines are handled
# apart), DEL and C1 controls, unpaired surrogates; XML also excludes U+FFFE and U+FFFF.
_ICS_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_XML_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# ---------------------------------------------------------------------------------------------
# iCalendar


def ics_text(text: str) -> str:
    """Text an iCalendar TEXT value can carry, before escaping (:func:`escape_text`).

    Every newline (CRLF, CR, LF) becomes LF, control characters other than tab are dropped
    (RFC 5545 3.3.11 allows none; C1 controls and DEL go too) and each unpaired surrogate becomes
    U+FFFD, so that the text always encodes to UTF-8.
    """
    text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ICS_DROP.sub("", text)


def escape_text(text: str) -> str:
    r"""A TEXT value (RFC 5545 3.3.11): cleaned (:func:`ics_text`), then backslash, semicolon,
    comma and newline escaped (``\\``, ``\;``, ``\,``, ``\n``)."""
    return (
        ics_text(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.

    Continuation lines start with one space, which counts toward their 75 octets.
    """
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8", "surrogatepass"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def uid(cal: Calendar, kind: str, item_id: str) -> str:
    """The stable UID of a node (``kind="node"``) or deadline (``kind="deadline"``).

    ``<kind>-<id>@<calendar id>.fupin-rules``: from the calendar's id and the item's id only,
    never its version or content, so that importing a revised plan updates the events it had.
    """
    return f"{kind}-{item_id}@{cal.id}.fupin-rules"


def _local(moment: datetime) -> str:
    return moment.astimezone(CST).strftime("%Y%m%dT%H%M%S")


def _midnight(moment: datetime) -> bool:
    local = moment.astimezone(CST)
    return local.hour == 0 and local.minute == 0 and local.second == 0


def _span_lines(start: datetime, end: datetime) -> list[str]:
    if _midnight(start) and _midnight(end):
        return [
            f"DTSTART;VALUE=DATE:{start.astimezone(CST).strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{end.astimezone(CST).strftime('%Y%m%d')}",
        ]
    return [f"DTSTART;TZID={_TZID}:{_local(start)}", f"DTEND;TZID={_TZID}:{_local(end)}"]


def _before(delta: timedelta) -> str:
    """A negative RFC 5545 duration: ``-PT15H``, ``-PT33H30M``."""
    minutes = int(delta.total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    return f"-PT{hours}H{mins}M" if mins else f"-PT{hours}H"


def _deadline_lines(cal: Calendar, n: Node, d: Deliverable, head: list[str]) -> list[str]:
    """A deadline as an event at its due time, with a reminder at 09:00 the day before.

    A due at 24:00 (a date, or ``T24:00``) is an all-day event on its last day; its reminder is
    ``ALARM_HOUR`` o'clock of the day before that day. A timed due is an event at that minute;
    its reminder is ``ALARM_HOUR`` o'clock of the day before the due's day.
    """
    due = d.due.astimezone(CST)
    if _midnight(due):
        day = (due - timedelta(days=1)).date()
        when = f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}"
        start = datetime.combine(day, time(0), CST)
    else:
        day = due.date()
        when = f"DTSTART;TZID={_TZID}:{_local(due)}"
        start = due
    alarm = datetime.combine(day - timedelta(days=1), time(ALARM_HOUR), CST)
    desc = f"须在 {show_bound(d.due_text)} 前完成 (方案 {n.section}); 截止前任何时候都算按时"
    if d.action is not None:
        act = cal.actions.get(d.action)
        desc += f"\n提交即完成: {d.action if act is None else act.label}"
    if d.unconfirmed:
        desc += "\n截止时间未经来源确认"
    if d.note:
        desc += "\n" + d.note
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid(cal, 'deadline', d.id))}",
        *head,
        when,
        f"SUMMARY:{escape_text(f'截止: {d.label}')}",
        f"DESCRIPTION:{escape_text(desc)}",
        f"CATEGORIES:{escape_text(n.section)}",
        f"RELATED-TO;RELTYPE=PARENT:{escape_text(uid(cal, 'node', n.id))}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER:{_before(start - alarm)}",
        f"DESCRIPTION:{escape_text(f'明天截止: {d.label}')}",
        "END:VALARM",
        "END:VEVENT",
    ]


def to_ics(cal: Calendar) -> str:
    """The calendar as an iCalendar stream: one VEVENT per node and per deadline.

    Whole-day windows are all-day events (``VALUE=DATE``, end exclusive); windows with an hour
    use ``TZID=Asia/Shanghai`` with a fixed +08:00 VTIMEZONE. A deadline is an event at its due
    time with a reminder at 09:00 China time the day before. UIDs come from :func:`uid`;
    ``SEQUENCE`` is the calendar's revision number and ``DTSTAMP`` 00:00 UTC of its revision
    date (else its effective date), so that the output is byte-identical on every run and a
    revised plan (a higher revision) updates what an earlier import put in a calendar app.
    """
    stamp_day = cal.revised or cal.effective_from or min(n.start for n in cal.nodes).date()
    stamp = datetime.combine(stamp_day, time(0), UTC).strftime("%Y%m%dT%H%M%SZ")
    head = [f"DTSTAMP:{stamp}", f"SEQUENCE:{cal.revision}"]
    source = cal.sources[0].title if cal.sources else cal.title
    by_id = {x.id: x for x in cal.nodes}
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(cal.title)}",
        f"X-WR-TIMEZONE:{_TZID}",
        "BEGIN:VTIMEZONE",
        f"TZID:{_TZID}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    for n in cal.nodes:
        actions = "、".join(cal.actions[a].label for a in n.opens if a in cal.actions)
        desc = [f"方案 {n.section}: {n.label}", f"时段: {n.window_text}"]
        if actions:
            desc.append(f"开放的工作: {actions}")
        if n.after:
            names = "、".join(
                f"{by_id[a].section} {by_id[a].label}" if a in by_id else a for a in n.after
            )
            desc.append(f"须在以下节点结束后开始: {names}")
        if n.note:
            desc.append(n.note)
        desc.append(f"依据: {source} ({cal.id}@{cal.version})")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(uid(cal, 'node', n.id))}",
            *head,
            *_span_lines(n.start, n.end),
            f"SUMMARY:{escape_text(f'[{n.section}] {n.label}')}",
            f"DESCRIPTION:{escape_text(chr(10).join(desc))}",
            f"CATEGORIES:{escape_text(n.section)}",
        ]
        if n.parent:
            lines.append(f"RELATED-TO;RELTYPE=PARENT:{escape_text(uid(cal, 'node', n.parent))}")
        lines.append("TRANSP:TRANSPARENT")
        lines.append("END:VEVENT")
        for d in n.deliverables:
            lines += _deadline_lines(cal, n, d, head)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# XML text


def xml_text(text: str) -> str:
    """Text for XML 1.0 character data: characters XML cannot hold dropped (controls but tab,
    LF and CR; U+FFFE, U+FFFF), unpaired surrogates as U+FFFD, then ``&``, ``<``, ``>`` escaped.
    """
    text = _XML_DROP.sub("", _SURROGATE.sub("\ufffd", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    """Text for a double-quoted XML attribute value: :func:`xml_text`, quotes and whitespace
    escaped too (so that tab, LF and CR survive attribute normalisation)."""
    return (
        xml_text(text)
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


# ---------------------------------------------------------------------------------------------
# SVG timeline

FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', "
    "'PingFang SC', 'WenQuanYi Micro Hei', SimHei, sans-serif"
)
_LABEL_WIDTH = 470
_DAY = 12.0
_ROW = 24
_TOP = 64
_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f")


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def _top_section(section: str) -> str:
    end = section.find(")")
    return section[: end + 1] if end >= 0 else section


def _depth(cal: Calendar, n: Node) -> int:
    by_id = {x.id: x for x in cal.nodes}
    depth, current = 0, n.parent
    while current is not None and depth < len(cal.nodes):
        depth += 1
        current = by_id[current].parent
    return depth


def to_svg(cal: Calendar, *, today: date | datetime | str | None = None) -> str:
    """A Gantt-style timeline: a bar per node grouped by section, deadlines as diamonds.

    ``today`` (when given) is drawn as a red vertical line. Labels are Chinese text in a font
    list that starts with Noto Sans CJK SC and Microsoft YaHei and ends with sans-serif.
    """
    first = min(n.start for n in cal.nodes).astimezone(CST)
    last = max([n.end for n in cal.nodes] + [d.due for n in cal.nodes for d in n.deliverables])
    origin = datetime.combine(first.date(), time(0), CST)
    days = (last.astimezone(CST).date() - origin.date()).days + 1
    marked = None if today is None else parse_moment(today)
    if marked is not None:
        days = max(days, (marked.date() - origin.date()).days + 1)
        if marked < origin:
            origin = datetime.combine(marked.date(), time(0), CST)
            days = (last.astimezone(CST).date() - origin.date()).days + 1

    def x(moment: datetime) -> float:
        return _LABEL_WIDTH + (moment - origin).total_seconds() / 86400 * _DAY

    rows: list[tuple[str, Node | None]] = []
    group = None
    for node in cal.nodes:
        top = _top_section(node.section)
        if top != group:
            group = top
            rows.append((top, None))
        rows.append((top, node))
    width = _LABEL_WIDTH + days * _DAY + 24
    height = _TOP + len(rows) * _ROW + 40
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" font-family="{FONT_FAMILY}" font-size="12">',
        f"<title>{xml_text(cal.title)} ({xml_text(cal.id)}@{xml_text(cal.version)})</title>",
        '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="8" y="22" font-size="16" font-weight="bold">{xml_text(cal.title)}</text>',
        f'<text x="8" y="42" fill="#555555">{xml_text(cal.id)}@{xml_text(cal.version)} · 北京时间'
        " · 条形为时段, ◆ 为截止时间</text>",
    ]
    grid_bottom = _TOP + len(rows) * _ROW
    for k in range(days + 1):
        day = origin.date() + timedelta(days=k)
        gx = _num(_LABEL_WIDTH + k * _DAY)
        # The first day's month is labelled only if the next month starts a week or more later,
        # so that two labels never overlap.
        next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        first_label = k == 0 and (next_month - day).days >= 7
        if day.day == 1 or first_label:
            parts.append(
                f'<line x1="{gx}" y1="{_TOP - 14}" x2="{gx}" y2="{grid_bottom}"'
                ' stroke="#999999" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{_num(_LABEL_WIDTH + k * _DAY + 2)}" y="{_TOP - 16}"'
                f' fill="#333333">{day.year}年{day.month}月</text>'
            )
        elif day.weekday() == 0:
            parts.append(
                f'<line x1="{gx}" y1="{_TOP - 4}" x2="{gx}" y2="{grid_bottom}"'
                ' stroke="#e0e0e0" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{_num(_LABEL_WIDTH + k * _DAY + 1)}" y="{_TOP - 4}" font-size="9"'
                f' fill="#777777">{day.day}</text>'
            )
    colours: dict[str, str] = {}
    for r, (top, n) in enumerate(rows):
        y = _TOP + r * _ROW
        colour = colours.setdefault(top, _COLOURS[len(colours) % len(_COLOURS)])
        if n is None:
            parts.append(
                f'<rect x="0" y="{y}" width="{_num(width)}" height="{_ROW}" fill="#f3f3f3"/>'
            )
            parts.append(
                f'<text x="8" y="{y + 16}" font-weight="bold" fill="{colour}">'
                f"{xml_text(top)}</text>"
            )
            continue
        indent = 12 + 14 * _depth(cal, n)
        label = f"{n.section} {n.label}"
        if len(label) > 34:
            label = label[:33] + "…"
        bx, bw = x(n.start), x(n.end) - x(n.start)
        parts.append(f'<g id="node-{xml_attr(n.id)}">')
        parts.append(f"<title>{xml_text(f'{n.section} {n.label}: {n.window_text}')}</title>")
        parts.append(f'<text x="{indent}" y="{y + 16}">{xml_text(label)}</text>')
        opacity = "0.55" if n.parent is None and any(c.parent == n.id for c in cal.nodes) else "1"
        parts.append(
            f'<rect x="{_num(bx)}" y="{y + 5}" width="{_num(bw)}" height="{_ROW - 10}"'
            f' rx="3" fill="{colour}" fill-opacity="{opacity}"/>'
        )
        for d in n.deliverables:
            dx = x(d.due)
            cy = y + _ROW / 2
            parts.append(
                f'<polygon points="{_num(dx)},{_num(cy - 7)} {_num(dx + 6)},{_num(cy)} '
                f'{_num(dx)},{_num(cy + 7)} {_num(dx - 6)},{_num(cy)}" fill="#d62728">'
                f"<title>{xml_text(f'截止: {d.label} {d.due_text}')}</title></polygon>"
            )
        parts.append("</g>")
    if marked is not None:
        tx = _num(x(marked))
        parts.append(
            f'<line x1="{tx}" y1="{_TOP - 10}" x2="{tx}" y2="{grid_bottom}" stroke="#d62728"'
            ' stroke-width="2" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{tx}" y="{grid_bottom + 16}" fill="#d62728" text-anchor="middle">'
            f"今天 {marked.date().isoformat()}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
