"""Problem lists written out, ready to hand to townships and villages (all atomic and
deterministic for the same input; no cell is ever a formula).

* :func:`write_xlsx` — one workbook: a 汇总 sheet (counts per problem per village), a
  运行情况 sheet (rule sets, fingerprints, totals), 全部问题, and one sheet per township; each
  problem sheet laid out to print (landscape A4, fit to the page width, the header row
  repeated on every page, page numbers), column widths from the content with long texts
  wrapped, the header frozen and filtered, and the 整改 columns for the village to fill in.
* :func:`write_csv` — UTF-8 with BOM (Excel shows Chinese), formula-like text neutralised.
* :func:`write_jsonl` — one JSON object per line.
* :func:`write_markdown` — a summary for people: totals, counts per township and village.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from .._canonical import dumps
from ..errors import UsageError
from ..io.jsonl import atomic_output
from ..io.spreadsheets import csv_cell, xlsx_value
from ..io.spreadsheets import write_xlsx as save_workbook
from .problems import COLUMNS, RECTIFICATION, ProblemLine, ProblemList

__all__ = [
    "FORMATS",
    "Format",
    "write_csv",
    "write_jsonl",
    "write_markdown",
    "write_problem_list",
    "write_xlsx",
]

Format = Literal["xlsx", "csv", "jsonl", "md"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv", "jsonl", "md")

_WRAPPED = frozenset({"message", "label", "sources", "member"})
"""Columns whose text is long: wrapped in the cell rather than widening the column."""
_MAX_WIDTH = {"message": 48, "sources": 40, "label": 24, "member": 24}


def _run_info(pl: ProblemList) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [("评估日期", pl.as_of)]
    for key, fp in pl.rulesets:
        rows.append(("检查规则", f"{key}  {fp}"))
    if pl.headermap:
        rows.append(("表头对照", pl.headermap))
    rows.extend(("输入文件", name) for name in pl.inputs)
    rows += [
        ("读入行数", pl.rows_read),
        ("组成户数", pl.records),
        ("拒收行数", pl.rejected_rows),
        ("评估户数", pl.records),
        ("无效户数", pl.invalid_records),
        ("有问题户数", pl.households_with_problems),
        ("问题条数", len(pl.lines)),
    ]
    return rows


def _row(line: ProblemLine) -> list[Any]:
    return [getattr(line, name) for name, _ in COLUMNS] + [None] * len(RECTIFICATION)


_HEADERS = [title for _, title in (*COLUMNS, *RECTIFICATION)]
_FIELDS = [name for name, _ in (*COLUMNS, *RECTIFICATION)]


def write_jsonl(pl: ProblemList, out: TextIO) -> None:
    """One JSON object per problem line."""
    for ln in pl.lines:
        out.write(dumps(ln.to_dict()) + "\n")


def write_csv(pl: ProblemList, out: TextIO) -> None:
    """CSV with Chinese headers (and the 整改 columns); the caller opens ``out`` as UTF-8 with
    BOM."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_HEADERS)
    for ln in pl.lines:
        writer.writerow([csv_cell(v) for v in _row(ln)])


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _place(code: str, name: str) -> str:
    return f"{name} ({code})" if name else code


def write_markdown(pl: ProblemList, out: TextIO) -> None:
    """A Chinese summary: totals, problems per township and per village."""
    out.write("# 问题清单汇总\n\n")
    for key, value in _run_info(pl):
        out.write(f"- {key}: {_md(value)}\n")
    out.write("\n## 按问题统计\n\n| 问题 | 检查规则 | 条数 | 户数 |\n|---|---|---|---|\n")
    totals: Counter[tuple[str, str]] = Counter()
    households: dict[tuple[str, str], set[str]] = {}
    for ln in pl.lines:
        totals[(ln.label, ln.check)] += 1
        households.setdefault((ln.label, ln.check), set()).add(ln.record_id or ln.location)
    for (label, check), n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f"| {_md(label)} | {_md(check)} | {n} | {len(households[(label, check)])} |\n")
    out.write(
        "\n## 按村统计\n\n| 县 | 乡(镇) | 村 | 问题 | 条数 | 户数 |\n|---|---|---|---|---|---|\n"
    )
    names = _names(pl)
    for county, township, village, _check, label, n, hh in pl.counts():
        places = [_md(_place(code, names.get(code, ""))) for code in (county, township, village)]
        out.write(f"| {' | '.join(places)} | {_md(label)} | {n} | {hh} |\n")


def _names(pl: ProblemList) -> dict[str, str]:
    found: dict[str, str] = {}
    for ln in pl.lines:
        for code, name in (
            (ln.county, ln.county_name),
            (ln.township, ln.township_name),
            (ln.village, ln.village_name),
        ):
            if name:
                found[code] = name
    return found


def _sheet_title(text: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in text)[:28] or "表"
    title = base
    n = 2
    while title in used:
        title = f"{base}_{n}"
        n += 1
    used.add(title)
    return title


def _width(value: Any) -> int:
    """How many columns a value takes in a spreadsheet cell (CJK characters count two; the
    longest line of a text over several lines)."""
    text = "" if value is None else str(value)
    return max(
        sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        for line in text.split("\n")
    )


def write_xlsx(pl: ProblemList, path: str | Path) -> None:
    """The problem list as an XLSX workbook laid out to hand out and print."""
    # openpyxl (and the numpy it loads) costs a tenth of a second: imported when used, so
    # that commands which write no workbook start fast.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(bold=True)
    shade = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    used: set[str] = set()

    def sheet(
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        fields: Sequence[str] | None = None,
        *,
        to_print: bool = False,
    ) -> None:
        ws = wb.create_sheet(_sheet_title(title, used))
        widths = [_width(h) + 2 for h in headers]
        for col, header in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=col)
            xlsx_value(cell, header)
            cell.font = bold
            cell.fill = shade
            cell.alignment = wrap
        n = 1
        for n, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=n, column=col)
                xlsx_value(cell, value)
                field = fields[col - 1] if fields else ""
                cell.alignment = wrap if field in _WRAPPED else top
                widths[col - 1] = max(widths[col - 1], _width(value) + 2)
        for col, width in enumerate(widths, start=1):
            field = fields[col - 1] if fields else ""
            ws.column_dimensions[get_column_letter(col)].width = min(
                _MAX_WIDTH.get(field, 30), max(width, 8)
            )
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(n, 1)}"
        if to_print:
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.print_title_rows = "1:1"
            ws.page_margins.left = ws.page_margins.right = 0.4
            ws.oddFooter.center.text = "第 &P 页 共 &N 页"
            ws.oddHeader.center.text = "问题清单 " + title

    wb.remove(wb.active)
    names = _names(pl)
    summary_rows = [
        (*(_place(code, names.get(code, "")) for code in (county, township, village)), *rest)
        for county, township, village, *rest in pl.counts()
    ]
    sheet(
        "汇总",
        ["县(市、区)", "乡(镇)", "村", "检查规则", "问题", "条数", "户数"],
        summary_rows,
        to_print=True,
    )
    sheet("运行情况", ["项目", "内容"], _run_info(pl))
    sheet("全部问题", _HEADERS, (_row(ln) for ln in pl.lines), _FIELDS, to_print=True)
    for township in pl.townships():
        rows = [_row(ln) for ln in pl.lines if ln.township == township]
        name = names.get(township, "")
        sheet(
            f"{name}{township}" if name else f"乡镇{township}",
            _HEADERS,
            rows,
            _FIELDS,
            to_print=True,
        )
    save_workbook(wb, path)


def write_problem_list(
    pl: ProblemList, path: str | Path | None, fmt: Format, *, stdout: TextIO | None = None
) -> None:
    """Write ``pl`` to ``path`` atomically; None or ``-`` means ``stdout`` (not for xlsx)."""
    to_stdout = path is None or str(path) == "-"
    if fmt == "xlsx":
        if to_stdout:
            msg = "XLSX 须用 -o 指定输出文件"
            raise UsageError(msg)
        write_xlsx(pl, str(path))
        return
    if to_stdout and stdout is not None:
        _write_text(pl, stdout, fmt, bom=True)
        return
    with atomic_output(path, encoding="utf-8-sig" if fmt == "csv" else "utf-8") as fh:
        _write_text(pl, fh, fmt, bom=to_stdout)


def _write_text(pl: ProblemList, fh: TextIO, fmt: Format, *, bom: bool) -> None:
    if fmt == "csv":
        if bom:
            fh.write("\ufeff")
        write_csv(pl, fh)
    elif fmt == "jsonl":
        write_jsonl(pl, fh)
    else:
        write_markdown(pl, fh)
