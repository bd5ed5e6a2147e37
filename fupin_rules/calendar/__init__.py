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
* a deliverable (a deadline) is on time iff it is handed in before its due instant (a date due
  is 24:00 that day; "12月12日18时前": 17:59:59 is on time, 18:00:00 late); an action a
  deliverable names as its ``action`` is checked against that deadline, not its windows.

Moments passed to queries may be aware datetimes (converted to UTC+8), naive datetimes (taken
as China Standard Time), dates (00:00 of that day) or text (see :func:`parse_moment`). Nothing here
reads the clock.

The package: :mod:`.moments` (time), :mod:`.parts` (frozen value objects and query results),
:mod:`.model` (a loaded calendar and its queries),
:mod:`.loading` (reading and checking files, the bundled calendars), :mod:`.lint`,
:mod:`.render` (iCalendar and SVG) and :mod:`.cli` (``fupin-rules calendar``).
"""

from __future__ import annotations

from ..model import Source
from .cli import add_calendar_arguments, register_calendar_command, run_calendar_command
from .lint import lint_calendar
from .loading import bundled_calendars, load_calendar, load_calendar_document, select_calendar
from .model import Action, Calendar, CheckResult, Deliverable, DueItem, Node, OpenAt, Window
from .moments import CST, format_duration, parse_moment
from .render import to_ics, to_svg

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
    "lint_calendar",
    "load_calendar",
    "load_calendar_document",
    "parse_moment",
    "register_calendar_command",
    "run_calendar_command",
    "select_calendar",
    "to_ics",
    "to_svg",
]
