"""Problem lists (问题清单): findings over a data set, grouped county → township → village,
written out to hand to townships and villages, and read back when they return.

* :mod:`.problems` — :func:`check_records` and the lines of a :class:`ProblemList`;
* :mod:`.writers` — XLSX laid out to print, CSV, JSON Lines, a Markdown summary;
* :mod:`.rectify` — a returned list's 整改 columns matched to the next run by problem id.
"""

from __future__ import annotations

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
    "FORMATS",
    "RECTIFICATION",
    "UNKNOWN",
    "Format",
    "ProblemLine",
    "ProblemList",
    "check_records",
    "division_parts",
    "problem_id",
    "write_csv",
    "write_jsonl",
    "write_markdown",
    "write_problem_list",
    "write_xlsx",
]
