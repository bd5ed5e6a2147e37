"""Hand-out workbooks for the plan's deliverables, laid out as the problem lists are
(:mod:`fupin_rules.reports.writers`): a shaded bold header row, frozen and filtered; column
widths from the content (CJK characters count two), long texts wrapped; sheets to print in
landscape A4, fit to the page width, the header row repeated on every page, page numbers.
No cell is ever a formula; the same sheets give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..io.spreadsheets import write_xlsx, xlsx_value
from ..reports.sheets import apply_print_setup, cell_width, filter_header, row_height

__all__ = ["Sheet", "place", "write_sheets"]


@attrs.frozen
class Sheet:
    """One sheet: its title, header row, rows, and which columns hold long text."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    wrapped: frozenset[int] = frozenset()
    """Indexes of the columns whose text wraps (at most 48 wide)."""
    to_print: bool = True
    heading: str = ""
    """The printed page header (the title where empty)."""


def place(code: str, name: str) -> str:
    """A division as staff read it: ``城厢镇 (451099101)``, or the code alone."""
    return f"{name} ({code})" if name else code


def _title(text: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in text)[:28] or "表"
    title, n = base, 2
    while title in used:
        title, n = f"{base}_{n}", n + 1
    used.add(title)
    return title


def write_sheets(
    sheets: Sequence[Sheet], path: str | Path, *, charts: Mapping[str, str] | None = None
) -> None:
    """Write ``sheets`` as one workbook to ``path`` (atomically). ``charts``: sheet title ->
    chart title, for sheets to carry a stacked bar chart of their numeric columns (one bar
    per row, the first column its category)."""
    # openpyxl is imported when used: commands that write no workbook start fast.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    shade = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    used: set[str] = set()
    for sheet in sheets:
        ws = wb.create_sheet(_title(sheet.title, used))
        widths = [cell_width(h) + 2 for h in sheet.headers]
        for col, header in enumerate(sheet.headers, start=1):
            cell = ws.cell(row=1, column=col)
            xlsx_value(cell, header)
            cell.font, cell.fill, cell.alignment = bold, shade, wrap
        for r, row in enumerate(sheet.rows, start=2):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=col)
                xlsx_value(cell, value)
                cell.alignment = wrap if col - 1 in sheet.wrapped else top
                widths[col - 1] = max(widths[col - 1], cell_width(value) + 2)
        final = [
            min(48 if col in sheet.wrapped else 30, max(width, 8))
            for col, width in enumerate(widths)
        ]
        for col, width in enumerate(final, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        # A spreadsheet program does not measure rows on opening: a wrapped text longer than
        # its column is given the lines it needs, or it shows cut off after its first line.
        for r, row in enumerate(sheet.rows, start=2):
            height = row_height(
                [(v, final[col]) for col, v in enumerate(row) if col in sheet.wrapped]
            )
            if height is not None:
                ws.row_dimensions[r].height = height
        filter_header(ws, columns=len(sheet.headers), rows=len(sheet.rows) + 1)
        if sheet.to_print:
            apply_print_setup(ws, sheet.heading or sheet.title)
        else:
            ws.freeze_panes = "A2"
        if charts and sheet.title in charts and sheet.rows and len(sheet.headers) > 1:
            _chart(ws, sheet, charts[sheet.title])
    write_xlsx(wb, path)


def _chart(ws: Any, sheet: Sheet, title: str) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.utils import get_column_letter

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = title
    rows = len(sheet.rows) + 1
    data = Reference(ws, min_col=2, max_col=len(sheet.headers), min_row=1, max_row=rows)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows))
    chart.height = max(7.5, 0.6 * len(sheet.rows))
    chart.width = 24
    ws.add_chart(chart, f"{get_column_letter(len(sheet.headers) + 2)}2")
