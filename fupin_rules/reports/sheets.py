"""The layout every workbook written for people shares (problem lists, results): column
widths from content, wrapped long texts, a frozen and filtered header, and a page set up to
print (landscape A4, fit to the page width, the header row repeated on every page, page
numbers). Works on ordinary and on write-only (streamed) openpyxl worksheets.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HEADER_FILL",
    "apply_print_setup",
    "cell_width",
    "column_widths",
    "filter_header",
    "row_height",
    "sheet_title",
]

HEADER_FILL = "DDEBF7"
"""The header row's background colour."""


def sheet_title(text: str, used: set[str]) -> str:
    """A worksheet title Excel accepts (no ``[]:*?/\\``, at most 31 characters), made unique
    among ``used`` (to which it is added)."""
    base = "".join("_" if c in "[]:*?/\\" else c for c in text)[:28] or "表"
    title = base
    n = 2
    while title in used:
        title = f"{base}_{n}"
        n += 1
    used.add(title)
    return title


def cell_width(value: Any) -> int:
    """How many columns a value takes in a spreadsheet cell (CJK characters count two; the
    longest line of a text over several lines)."""
    text = "" if value is None else str(value)
    return max(
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        for line in text.split("\n")
    )


LINE_HEIGHT = 15.0
"""Points per line of text in a row (11-point type, CJK included)."""


def row_height(cells: Sequence[tuple[Any, float]]) -> float | None:
    """The height of a row whose wrapped cells hold these (value, column width) pairs: enough
    lines for the longest (None when every one fits on one line, leaving the default). Set
    explicitly because a spreadsheet program does not measure a streamed row on opening."""
    lines = 1
    for value, width in cells:
        if value is None:
            continue
        room = max(1, int(width - 1))
        lines = max(lines, sum(_wrapped_lines(line, room) for line in str(value).split("\n")))
    return None if lines == 1 else min(409.0, LINE_HEIGHT * lines)


def _wrapped_lines(text: str, room: int) -> int:
    """How many lines ``text`` takes wrapped in ``room`` columns, as a spreadsheet program
    wraps it: at spaces where it can, a word longer than a line (a digest, or Chinese, which
    has no spaces) cut where the line ends."""
    lines, used = 1, 0
    for word in text.split(" "):
        width = cell_width(word)
        if used and used + 1 + width <= room:
            used += 1 + width
            continue
        if used:
            lines += 1
        full, used = divmod(width, room)
        if full and not used:
            full, used = full - 1, room
        lines += full
    return lines


def column_widths(
    widths: Sequence[int], fields: Sequence[str], limits: Mapping[str, int], *, default: int = 30
) -> list[float]:
    """Column widths from the widest value seen in each column (plus a margin), at least 8 and
    at most the field's limit in ``limits`` (``default`` for others)."""
    return [
        min(limits.get(field, default), max(width + 2, 8))
        for width, field in zip(widths, fields, strict=True)
    ]


def apply_print_setup(ws: Any, header: str) -> None:
    """Freeze the header row of ``ws`` and set the sheet up to print: landscape A4, fit to the
    page width, the header row on every page, ``header`` at the top and page numbers at the
    bottom of each page. On a write-only sheet, call it before the first row is appended."""
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (PAPERSIZE_A4; write-only sheets lack the name)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddHeader.center.text = header


def filter_header(ws: Any, *, columns: int, rows: int) -> None:
    """An auto-filter on the header row over ``columns`` columns and ``rows`` rows (header
    included); on a write-only sheet it may be set after the rows."""
    from openpyxl.utils import get_column_letter

    ws.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 1)}"
