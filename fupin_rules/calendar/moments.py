"""Moments of a calendar: China Standard Time, bounds and windows as text, durations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from ..errors import UsageError

__all__ = [
    "CST",
    "Moment",
    "format_duration",
    "parse_bound",
    "parse_moment",
    "show_bound",
    "show_moment",
    "window_text",
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


def parse_bound(text: str, *, end: bool) -> datetime | None:
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


def show_bound(text: str) -> str:
    """A bound as people read it: ``2018-11-30T24:00`` -> ``2018-11-30 24:00``."""
    return text.replace("T", " ")


def window_text(start: str, end: str) -> str:
    """A window as the plan writes it: ``2018-11-05 至 2018-11-25``; ``2018-10-06`` for one day."""
    if start == end and "T" not in start:
        return start
    return f"{show_bound(start)} 至 {show_bound(end)}"


def show_moment(moment: datetime) -> str:
    """A moment in China Standard Time, to the minute (seconds only when there are some)."""
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
