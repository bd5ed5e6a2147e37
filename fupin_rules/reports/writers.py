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
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs

from .._canonical import dumps
from ..errors import UsageError
from ..io.jsonl import atomic_output
from ..io.spreadsheets import csv_cell, xlsx_value
from ..io.spreadsheets import write_xlsx as save_workbook
from .problems import COLUMNS, RECTIFICATION, ProblemLine, ProblemList, division_parts
from .rectify import COMPARISON_TITLE, Rectification
from .sheets import (
    HEADER_FILL,
    apply_print_setup,
    cell_width,
    column_widths,
    filter_header,
    row_height,
    sheet_title,
)

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


_COMPARED = ("compared", "对照上次")
"""The column that says, on a run compared with returned lists, whether a problem is still
there (仍存在) or new (新问题)."""


@attrs.frozen
class _Layout:
    """The columns of a problem sheet, with or without the comparison with returned lists."""

    rectification: Rectification | None = None

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        extra = (_COMPARED,) if self.rectification is not None else ()
        return (*COLUMNS, *extra, *RECTIFICATION)

    @property
    def headers(self) -> list[str]:
        return [title for _, title in self.columns]

    @property
    def fields(self) -> list[str]:
        return [name for name, _ in self.columns]

    def row(self, line: ProblemLine) -> list[Any]:
        """The line's cells; on a compared run, its status and what the village wrote."""
        cells: list[Any] = [getattr(line, name) for name, _ in COLUMNS]
        if self.rectification is None:
            return cells + [None] * len(RECTIFICATION)
        entry = self.rectification.of(line.problem_id)
        back = entry.returned if entry is not None else None
        cells.append(entry.status_label if entry is not None else None)
        if back is None:
            return cells + [None] * len(RECTIFICATION)
        return [*cells, back.rectified or None, back.rectifier or None, back.rectified_on or None]

    def record(self, line: ProblemLine) -> dict[str, Any]:
        """The line as a JSON object (keys are the column fields)."""
        return dict(zip(self.fields, self.row(line), strict=True))


def write_jsonl(pl: ProblemList, out: TextIO, rectification: Rectification | None = None) -> None:
    """One JSON object per problem line (with ``compared`` and the 整改 fields on a run
    compared with returned lists)."""
    layout = _Layout(rectification)
    for ln in pl.lines:
        out.write(dumps(ln.to_dict() if rectification is None else layout.record(ln)) + "\n")


def write_csv(pl: ProblemList, out: TextIO, rectification: Rectification | None = None) -> None:
    """CSV with Chinese headers (and the 整改 columns); the caller opens ``out`` as UTF-8 with
    BOM."""
    layout = _Layout(rectification)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(layout.headers)
    for ln in pl.lines:
        writer.writerow([csv_cell(v) for v in layout.row(ln)])


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _place(code: str, name: str) -> str:
    return f"{name} ({code})" if name else code


def write_markdown(
    pl: ProblemList, out: TextIO, rectification: Rectification | None = None
) -> None:
    """A Chinese summary: totals, problems per township and per village (and, compared with
    returned lists, what became of their problems per village)."""
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
    if rectification is not None:
        _markdown_rectification(rectification, names, out)


def _markdown_rectification(r: Rectification, names: dict[str, str], out: TextIO) -> None:
    out.write("\n## 整改对照\n\n")
    out.write(f"- 返回的清单: {_md('、'.join(r.files))}\n- {_md(r.summary())}\n")
    for warning in r.warnings:
        out.write(f"- 注意: {_md(warning)}\n")
    per: dict[str, Counter[str]] = {}
    for e in r.entries:
        village = e.line.village if e.line is not None else e.returned.village if e.returned else ""
        counts = per.setdefault(village, Counter())
        counts[e.status] += 1
        if e.status == "open" and e.returned is not None and e.returned.claimed:
            counts["claimed"] += 1
    out.write("\n| 村 | 已整改 | 仍存在 | 其中已填写整改情况 | 新问题 |\n|---|---|---|---|---|\n")
    for village in sorted(per):
        c = per[village]
        place = _md(_place(village, names.get(village, "")))
        out.write(f"| {place} | {c['fixed']} | {c['open']} | {c['claimed']} | {c['new']} |\n")


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


_RECTIFICATION_HEADERS = (
    COMPARISON_TITLE,
    "问题编号",
    "县(市、区)",
    "乡(镇)",
    "村",
    "户编号",
    "户主姓名",
    "成员",
    "问题",
    "说明",
    "整改情况",
    "整改人",
    "整改日期",
    "返回清单中的位置",
)
_RECTIFICATION_FIELDS = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "member",
    "label",
    "message",
    "message",
    "",
    "",
    "",
)


def _rectification_rows(r: Rectification, names: dict[str, str]) -> Iterable[list[Any]]:
    for e in r.entries:
        back, line = e.returned, e.line
        if line is not None:
            codes = (line.county, line.township, line.village)
            record, head, member = line.record_id, line.head_name, line.member
            label, message = line.label, line.message
        else:
            assert back is not None
            codes = division_parts(back.village)
            record, head, member, label, message = (
                back.record_id,
                None,
                None,
                back.label,
                back.message,
            )
        yield [
            e.status_label,
            e.problem_id,
            *(_place(code, names.get(code, "")) for code in codes),
            record,
            head,
            member,
            label,
            message,
            *(
                (back.rectified, back.rectifier, back.rectified_on, back.source)
                if back
                else (None,) * 4
            ),
        ]


def write_xlsx(
    pl: ProblemList, path: str | Path, rectification: Rectification | None = None
) -> None:
    """The problem list as an XLSX workbook laid out to hand out and print (with a 整改对照
    sheet when compared with returned lists)."""
    # openpyxl (and the numpy it loads) costs a tenth of a second: imported when used, so
    # that commands which write no workbook start fast.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(bold=True)
    shade = PatternFill("solid", fgColor=HEADER_FILL)
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
        ws = wb.create_sheet(sheet_title(title, used))
        names = list(fields) if fields else [""] * len(headers)
        widths = [cell_width(h) for h in headers]
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
                cell.alignment = wrap if names[col - 1] in _WRAPPED else top
                widths[col - 1] = max(widths[col - 1], cell_width(value))
        final = column_widths(widths, names, _MAX_WIDTH)
        for col, width in enumerate(final, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        # A spreadsheet program does not measure rows on opening: a wrapped text longer than
        # its column is given the lines it needs, or only its first line shows.
        wrapped = [i for i, name in enumerate(names) if name in _WRAPPED]
        if wrapped:
            for r, cells in enumerate(ws.iter_rows(min_row=2, max_row=n), start=2):
                height = row_height([(cells[i].value, final[i]) for i in wrapped])
                if height is not None:
                    ws.row_dimensions[r].height = height
        ws.freeze_panes = "A2"
        filter_header(ws, columns=len(headers), rows=n)
        if to_print:
            apply_print_setup(ws, "问题清单 " + title)

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
        ["", "", "", "", "label", "", ""],
        to_print=True,
    )
    layout = _Layout(rectification)
    if rectification is not None:
        sheet(
            "整改对照",
            _RECTIFICATION_HEADERS,
            _rectification_rows(rectification, names),
            _RECTIFICATION_FIELDS,
            to_print=True,
        )
    info = _run_info(pl)
    if rectification is not None:
        info += [("返回的清单", name) for name in rectification.files]
        info += [("整改对照", rectification.summary())]
        info += [("注意", warning) for warning in rectification.warnings]
    sheet("运行情况", ["项目", "内容"], info)
    headers, fields = layout.headers, layout.fields
    sheet("全部问题", headers, (layout.row(ln) for ln in pl.lines), fields, to_print=True)
    for township in pl.townships():
        rows = [layout.row(ln) for ln in pl.lines if ln.township == township]
        name = names.get(township, "")
        sheet(
            f"{name}{township}" if name else f"乡镇{township}",
            headers,
            rows,
            fields,
            to_print=True,
        )
    save_workbook(wb, path)


def write_problem_list(
    pl: ProblemList,
    path: str | Path | None,
    fmt: Format,
    *,
    stdout: TextIO | None = None,
    rectification: Rectification | None = None,
) -> None:
    """Write ``pl`` to ``path`` atomically; None or ``-`` means ``stdout`` (not for xlsx).
    ``rectification``: the comparison with returned lists (:func:`.rectify.rectify`)."""
    to_stdout = path is None or str(path) == "-"
    if fmt == "xlsx":
        if to_stdout:
            msg = "XLSX 须用 -o 指定输出文件"
            raise UsageError(msg)
        write_xlsx(pl, str(path), rectification)
        return
    if to_stdout and stdout is not None:
        _write_text(pl, stdout, fmt, rectification, bom=True)
        return
    with atomic_output(path, encoding="utf-8-sig" if fmt == "csv" else "utf-8") as fh:
        _write_text(pl, fh, fmt, rectification, bom=to_stdout)


def _write_text(
    pl: ProblemList, fh: TextIO, fmt: Format, r: Rectification | None, *, bom: bool
) -> None:
    if fmt == "csv":
        if bom:
            fh.write("\ufeff")
        write_csv(pl, fh, r)
    elif fmt == "jsonl":
        write_jsonl(pl, fh, r)
    else:
        write_markdown(pl, fh, r)
