"""Excel templates of the plan's forms: ``fupin-rules template NAME -o F.xlsx``.

A template has three sheets:

* 填写表 — the form: one header row (Chinese headers; required ones marked ``*`` and shaded,
  which the header maps read as the same header), a filled example row (grey, italic: it is
  left out when the form is read back unchanged), and room for the rows to fill in: drop-downs
  (data validation) of each single-choice code list and of 是/否 columns, ID and code columns
  formatted as text (so that Excel keeps all 18 digits), the header frozen. Records given are
  written below the example, laid out as the form reads them.
* 填写说明 — the form's title, what it is read as, its sources and what of it is unconfirmed,
  and one line per column: field, required or not, type, the values it allows.
* 代码表 — the code lists the drop-downs offer.

No cell is ever a formula (text that looks like one is stored as text); the same form and
records give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io.spreadsheets import write_xlsx, xlsx_value
from ..reports.sheets import cell_width, row_height
from .catalog import Column, Form

__all__ = [
    "CODES_SHEET",
    "DATA_SHEET",
    "GUIDE_SHEET",
    "TEMPLATE_ROWS",
    "example_record",
    "form_rows",
    "write_template",
]

DATA_SHEET = "填写表"
GUIDE_SHEET = "填写说明"
CODES_SHEET = "代码表"
TEMPLATE_ROWS = 500
"""How many rows below the header carry the drop-downs and text formats."""

_KINDS = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "date": "日期 (YYYY-MM-DD)",
    "array": "多项 (用顿号、分隔)",
}

# Example values of the fields a form's example row needs well formed (an ID number with its
# check digit, a 12-digit division code); every other field gets one by its type.
_DIVISION = "451099102201"
"""The example division code: 示例县 (451099 is not a real county code), as in examples/."""
_EXAMPLES: dict[str, Any] = {
    "household_id": _DIVISION + "9999999",
    "village_id": _DIVISION,
    "division_code": _DIVISION,
    "natural_village_id": _DIVISION + "01",
    "natural_village_name": "示例屯",
    "head_name": "示例户主",
    "phone": "13800000000",
    "household_size": 1,
    "identification_year": 2018,
    "exit_year": 2018,
    "exit_date": "2018-11-20",
    "county_name": "示例县",
    "township_name": "示例镇",
    "village_name": "示例村",
    "natural_villages.natural_village_id": _DIVISION + "01",
    "natural_villages.name": "示例屯",
    "name": "示例户主",
    "birth_date": "1980-01-01",
    "increase_date": "2018-10-15",
    "decrease_date": "2018-10-15",
    "migrant_work_months": 6,
}
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(first17: str) -> str:
    """An 18-digit ID number with its GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


_EXAMPLE_ID = _id_number("45109919800101001")
"""The example person: born 1980-01-01 in 示例县, male (odd sequence)."""


def _example_value(column: Column) -> Any:
    sub = column.field.partition(".")[2]
    key = column.field if column.field in _EXAMPLES else sub
    if column.field in {"head_id_number"} or sub == "id_number":
        return _EXAMPLE_ID
    if sub == "relation" and column.codes and "01" in column.codes:
        return "01"
    if key in _EXAMPLES:
        return _EXAMPLES[key]
    if column.codes:
        first = next(iter(column.codes))
        return [first] if column.kind == "array" else first
    if column.choices:
        return column.choices[0]
    return {
        "boolean": True,
        "integer": 1,
        "number": 1,
        "date": "2018-11-20",
        "array": ["示例"],
    }.get(column.kind, "示例")


def example_record(form: Form) -> dict[str, Any]:
    """The record the template's example row stands for (codes as codes; one member where
    the form has member columns)."""
    record: dict[str, Any] = {}
    for column in form.columns:
        top, _, sub = column.field.partition(".")
        value = _example_value(column)
        if sub:
            items = record.setdefault(top, [{}])
            items[0][sub] = value
        else:
            record[top] = value
    return record


def _cell(value: Any, column: Column) -> Any:
    """A record value as the form shows it: codes as their labels, lists joined with 、,
    yes/no as 是/否."""
    if isinstance(value, list):
        return "、".join(str(_cell(v, column)) for v in value)
    if column.codes is not None and isinstance(value, str):
        return column.codes.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def form_rows(form: Form, records: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Records laid out as rows of the form: one row per item of the member list the form's
    columns fill (household columns repeated on each), one row for a record with none."""
    lists = sorted({c.field.partition(".")[0] for c in form.columns if "." in c.field})
    rows: list[list[Any]] = []
    for record in records:
        items: list[Mapping[str, Any]] = []
        for name in lists:
            value = record.get(name)
            if isinstance(value, list):
                items = [m for m in value if isinstance(m, Mapping)]
                break
        for item in items or [{}]:
            row = []
            for column in form.columns:
                top, _, sub = column.field.partition(".")
                row.append(_cell(item.get(sub) if sub else record.get(top), column))
            rows.append(row)
    return rows


def _allowed(column: Column) -> str:
    if column.codes:
        values = "、".join(column.codes.values())
        more = " (可填多项, 用顿号分隔)" if column.kind == "array" else ""
        return f"代码表「{column.codelist}」: {values}{more}"
    if column.choices:
        return "、".join(column.choices)
    if column.kind == "boolean":
        return "是、否"
    return ""


def _guide_rows(form: Form) -> list[list[Any]]:
    hm = form.headermap
    rows: list[list[Any]] = [
        ["表格", form.title],
        ["表头对照", f"{form.key}  {hm.fingerprint}"],
        ["读入为", form.reads_as],
    ]
    if form.description:
        rows.append(["说明", form.description])
    for source in hm.sources:
        text = " ".join(str(source.get(k)) for k in ("title", "number") if source.get(k))
        if source.get("note"):
            text += f": {source['note']}"
        if source.get("unconfirmed"):
            text += " (未确认)"
        rows.append(["依据", text])
    rows.extend(["未确认", note] for note in form.notes)
    rows += [
        [
            "填写",
            "第 2 行是填写示例 (灰色斜体): 可以覆盖; 不改动时读回不计入记录。带 * 的列必须填写。",
        ],
        [],
        ["列", "表头", "字段", "必填", "类型", "可填的值", "字段说明"],
    ]
    for i, c in enumerate(form.columns, start=1):
        rows.append(
            [
                f"第 {i} 列",
                f"「{c.header}」",
                c.field,
                "必填" if c.required else "",
                _KINDS.get(c.kind, c.kind) + (" (按文本填写)" if c.text_only else ""),
                _allowed(c),
                c.description or (c.label if c.label != c.header else ""),
            ]
        )
    return rows


def write_template(form: Form, path: str | Path, records: Sequence[Mapping[str, Any]] = ()) -> None:
    """Write the template of ``form`` to ``path`` (atomically), with ``records`` filled in
    below the example row."""
    # openpyxl is imported when used, as in every writer: commands that write no workbook
    # start fast.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    guide = wb.create_sheet(GUIDE_SHEET)
    codes_ws = wb.create_sheet(CODES_SHEET)
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(italic=True, color="808080")
    wrap = Alignment(wrap_text=True, vertical="top")

    # 代码表: one column per code list, its labels below its title.
    ranges: dict[str, str] = {}
    lists = sorted({c.codelist for c in form.columns if c.codelist and c.codes})
    for col, name in enumerate(lists, start=1):
        column = next(c for c in form.columns if c.codelist == name)
        assert column.codes is not None
        xlsx_value(codes_ws.cell(row=1, column=col), f"代码表 {name}")
        codes_ws.cell(row=1, column=col).font = bold
        for row, label in enumerate(column.codes.values(), start=2):
            xlsx_value(codes_ws.cell(row=row, column=col), label)
        letter = get_column_letter(col)
        ranges[name] = f"'{CODES_SHEET}'!${letter}$2:${letter}${len(column.codes) + 1}"
        codes_ws.column_dimensions[letter].width = 24

    last = 2 + max(TEMPLATE_ROWS, len(records) + 1)
    for col, column in enumerate(form.columns, start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col)
        xlsx_value(cell, column.header + ("*" if column.required else ""))
        cell.font = bold
        cell.fill = required_fill if column.required else header_fill
        cell.alignment = wrap
        width = cell_width(column.header) + 4
        ws.column_dimensions[letter].width = min(max(width, 10), 30)
        span = f"{letter}2:{letter}{last}"
        formula = None
        if column.codelist in ranges and column.kind != "array":
            formula = ranges[column.codelist]
        elif column.kind == "boolean":
            formula = '"是,否"'
        elif column.choices and column.kind != "array":
            formula = '"' + ",".join(column.choices) + '"'
        if formula is not None:
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            dv.error = f"「{column.header}」请从下拉列表中选择"
            dv.errorTitle = "不在可选值中"
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(span)
        if column.text_only or column.codes is not None:
            for row in range(2, last + 1):
                ws.cell(row=row, column=col).number_format = "@"
    rows = form_rows(form, [example_record(form)])
    rows_filled = form_rows(form, records)
    for r, cells in enumerate([*rows, *rows_filled], start=2):
        for col, value in enumerate(cells, start=1):
            cell = ws.cell(row=r, column=col)
            xlsx_value(cell, value)
            if r < 2 + len(rows):
                cell.font = example_font
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(form.columns))}1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = form.title
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"

    widths = (10, 60, 28, 8, 16, 40, 40)
    for r, cells in enumerate(_guide_rows(form), start=1):
        for col, value in enumerate(cells, start=1):
            cell = guide.cell(row=r, column=col)
            xlsx_value(cell, value)
            cell.alignment = wrap
            if col == 1:
                cell.font = bold
        # a spreadsheet program does not measure rows on opening: long texts get their lines
        height = row_height(list(zip(cells, widths, strict=False)))
        if height is not None:
            guide.row_dimensions[r].height = height
    for letter, width in zip("ABCDEFG", widths, strict=True):
        guide.column_dimensions[letter].width = width
    write_xlsx(wb, path)
