"""Dates as the library takes them: ``YYYY-MM-DD`` text or a date, checked once."""

from __future__ import annotations

import datetime as dt

from .errors import UsageError

__all__ = ["parse_day"]


def parse_day(value: str | dt.date | dt.datetime) -> str:
    """An ISO date ``YYYY-MM-DD`` from a date or text. Raises UsageError if it is not one."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    msg = f"日期须为 YYYY-MM-DD 格式的真实日期, 得到 {value!r}"
    raise UsageError(msg)
