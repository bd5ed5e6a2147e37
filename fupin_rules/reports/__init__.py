"""Problem lists (问题清单): findings over a data set, grouped county → township → village,
written out to hand to townships and villages, and read back when they return.

* :mod:`.problems` — :func:`check_records` and the lines of a :class:`ProblemList`;
* :mod:`.writers` — XLSX laid out to print, CSV, JSON Lines, a Markdown summary;
* :mod:`.rectify` — a returned list's 整改 columns matched to the next run by problem id;
* :mod:`.divisions` — names of counties, townships and villages (data the user can extend).
"""

from __future__ import annotations

from .divisions import DIVISIONS, division_names, read_division_names
from .problems import (
    COLUMNS,
    RECTIFICATION,
    UNKNOWN,
    ProblemLine,
    ProblemList,
    check_records,
    division_parts,
    problem_id,
)
from .rectify import (
    STATUS_LABELS,
    Rectification,
    RectificationEntry,
    Returned,
    ReturnedLine,
    read_returned,
    rectify,
)
from .writers import (
    FORMATS,
    Format,
    write_csv,
    write_jsonl,
    write_markdown,
    write_problem_list,
    write_xlsx,
)

__all__ = [
    "COLUMNS",
    "DIVISIONS",
    "FORMATS",
    "RECTIFICATION",
    "STATUS_LABELS",
    "UNKNOWN",
    "Format",
    "ProblemLine",
    "ProblemList",
    "Rectification",
    "RectificationEntry",
    "Returned",
    "ReturnedLine",
    "check_records",
    "division_names",
    "division_parts",
    "problem_id",
    "read_division_names",
    "read_returned",
    "rectify",
    "write_csv",
    "write_jsonl",
    "write_markdown",
    "write_problem_list",
    "write_xlsx",
]
