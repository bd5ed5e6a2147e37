"""The worklist (采集清单): what to collect on the household visit, grouped by village.

For each household a standard cannot decide (a criterion ``unknown``), one line per field the
undecidable criteria lack, named by its Chinese label, with the household's head and village;
invalid records and rows that could not be read get one line each (what to correct first).
Lines are sorted by division code, then by the household's place in the input, then by field,
so that the list reads village by village. Written as XLSX (the print layout of
:mod:`fupin_rules.reports.sheets`) or CSV (UTF-8 with BOM, CRLF, for Excel and WPS).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..io.files import atomic_output
from ..io.jsonl import InputRecord
from ..io.spreadsheets import csv_cell, write_xlsx, xlsx_value
from ..model import Result, RuleSet
from .sheets import (
    HEADER_FILL,
    apply_print_setup,
    cell_width,
    column_widths,
    filter_header,
    row_height,
)

__all__ = [
    "COLLECT",
    "COLUMNS",
    "INVALID",
    "REJECTED",
    "WorkItem",
    "Worklist",
    "build_worklist",
    "write_worklist",
]

COLLECT = "待采集"
INVALID = "记录无效"
REJECTED = "无法导入"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("village", "村代码"),
    ("village_name", "村"),
    ("record_id", "户编号"),
    ("head_name", "户主"),
    ("head_id", "户主证件号码"),
    ("category", "类别"),
    ("field_label", "待采集字段"),
    ("field", "字段代码"),
    ("criteria", "涉及指标"),
    ("note", "说明"),
    ("location", "输入位置"),
    ("collected", "采集结果"),
)
"""The columns of the list: (attribute, header). 采集结果 is left empty for the visit."""

_MISSING = re.compile(r"「([^」]*)」\(([A-Za-z_][A-Za-z0-9_.]*)\)")
"""A missing name in an unknown criterion's message: 「label」(name) (see evaluation)."""

_WIDTH = {"note": 60, "criteria": 40, "field_label": 30}


@attrs.frozen
class WorkItem:
    """One line: a field to collect for one household (or a record to correct)."""

    village: str
    village_name: str
    record_id: str
    head_name: str
    head_id: str
    category: str
    field_label: str
    field: str
    criteria: str
    note: str
    location: str
    order: int
    collected: str = ""

    def cells(self) -> list[str]:
        return [str(getattr(self, name)) for name, _ in COLUMNS]


@attrs.frozen
class Worklist:
    """The lines of the list and what they account for."""

    standard: str
    as_of: str
    items: tuple[WorkItem, ...]
    read: int
    """Input items (records and rejected rows) looked at."""
    decided: int
    """Records with no unknown criterion (nothing to collect for that standard)."""

    def households(self) -> int:
        """Households (or rows) with at least one line."""
        return len({(i.order, i.record_id) for i in self.items})

    def summary(self) -> str:
        return (
            f"采集清单: 核对 {self.read} 条记录或行, {self.households()} 条须补采"
            f" (共 {len(self.items)} 项), {self.decided} 条无需补采"
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _head(rs: RuleSet, record: Mapping[str, Any]) -> tuple[str, str]:
    schema = rs.record_schema.schema
    out = []
    for keyword in ("x-name-field", "x-person-id-field"):
        name = schema.get(keyword)
        out.append(_text(record.get(name)) if isinstance(name, str) else "")
    return out[0], out[1]


def _record_fields(rs: RuleSet) -> frozenset[str]:
    """The names a household visit can collect: the record's fields and its list items'."""
    names = set(rs.record_schema.fields)
    for prop in rs.record_schema.schema.get("properties", {}).values():
        items = prop.get("items") if isinstance(prop, Mapping) else None
        if isinstance(items, Mapping):
            names.update(items.get("properties", {}))
    return frozenset(names)


def _missing_fields(result: Result, fields: frozenset[str]) -> dict[tuple[str, str], list[str]]:
    """(name, label) → the labels of the unknown criteria that lack it, in criterion order;
    only record fields (a derived value that cannot be computed names its own inputs)."""
    found: dict[tuple[str, str], list[str]] = {}
    for finding in result.findings:
        if finding.outcome != "unknown":
            continue
        texts = [finding.message, *(item.message for item in finding.items)]
        for text in texts:
            for label, name in _MISSING.findall(text or ""):
                if name not in fields:
                    continue
                users = found.setdefault((name, label), [])
                if finding.label not in users:
                    users.append(finding.label)
    return found


def build_worklist(
    rs: RuleSet,
    items: Iterable[InputRecord | Mapping[str, Any]],
    *,
    as_of: str,
    results: Iterable[Result] | None = None,
    names: Mapping[str, str] | None = None,
) -> Worklist:
    """The worklist of ``rs`` on ``as_of`` over ``items`` (records, or input items with their
    rejected rows). With ``results`` (one per item, in order, e.g. read back from
    ``evaluate``'s output), those are used instead of evaluating again. ``names``: division
    names by code (:func:`fupin_rules.reports.division_names`)."""
    names = names or {}
    result_iter = iter(results) if results is not None else None
    lines: list[WorkItem] = []
    fields = _record_fields(rs)
    read = decided = 0
    for order, raw in enumerate(items):
        read += 1
        item = raw if isinstance(raw, InputRecord) else InputRecord(source="", record=raw)
        result = next(result_iter, None) if result_iter is not None else None
        if item.error is not None:
            code = item.division or ""
            lines.append(
                WorkItem(
                    code,
                    names.get(code, ""),
                    item.record_id or "",
                    "",
                    "",
                    REJECTED,
                    "(整行)",
                    "",
                    "",
                    item.error,
                    item.source,
                    order,
                )
            )
            continue
        record = item.record if isinstance(item.record, Mapping) else {}
        if result is None:
            result = rs.evaluate(record, as_of=as_of, source=item.source or None)
        code = _text(record.get("division_code"))
        rid = _text(result.record_id or rs.record_schema.record_id(record))
        head = _head(rs, record)
        base = (code, names.get(code, ""), rid, *head)
        if result.reasons and not result.outcomes:
            for reason in result.reasons:
                lines.append(WorkItem(*base, INVALID, "", "", "", reason, item.source, order))
            continue
        unknown = [f for f in result.findings if f.outcome == "unknown"]
        if not unknown:
            decided += 1
            continue
        missing = _missing_fields(result, fields)
        named = {c for users in missing.values() for c in users}
        for finding in unknown:
            if finding.label not in named:  # nothing to collect by name: say why
                lines.append(
                    WorkItem(*base, COLLECT, "", "", finding.label, finding.message,
                             item.source, order)
                )  # fmt: skip
        for (name, label), users in sorted(missing.items()):
            lines.append(
                WorkItem(*base, COLLECT, label, name, "、".join(users), "", item.source, order)
            )
    lines.sort(key=lambda w: (w.village == "", w.village, w.order, w.field))
    return Worklist(f"{rs.id}@{rs.version}", as_of, tuple(lines), read, decided)


def write_worklist(worklist: Worklist, path: str, kind: str) -> None:
    """Write the list to ``path`` as ``xlsx`` or ``csv`` (atomically)."""
    headers = [h for _, h in COLUMNS]
    if kind == "csv":
        with atomic_output(path, encoding="utf-8-sig") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(headers)
            for w in worklist.items:
                writer.writerow([csv_cell(v) for v in w.cells()])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    _sheet(
        summary,
        ["村代码", "村", "户数", "待采集项", "记录无效", "无法导入"],
        _per_village(worklist),
        f"采集清单汇总 {worklist.standard} {worklist.as_of}",
        Font,
        PatternFill,
        Alignment,
    )
    ws = wb.create_sheet("采集清单")
    _sheet(
        ws,
        headers,
        [w.cells() for w in worklist.items],
        f"采集清单 {worklist.standard} {worklist.as_of}",
        Font,
        PatternFill,
        Alignment,
    )
    write_xlsx(wb, path)


def _per_village(worklist: Worklist) -> list[list[Any]]:
    rows: dict[str, list[Any]] = {}
    homes: dict[str, set[tuple[int, str]]] = {}
    for w in worklist.items:
        row = rows.setdefault(w.village, [w.village or "(未知)", w.village_name, 0, 0, 0, 0])
        homes.setdefault(w.village, set()).add((w.order, w.record_id))
        row[2] = len(homes[w.village])
        row[{COLLECT: 3, INVALID: 4, REJECTED: 5}[w.category]] += 1
    return [rows[k] for k in sorted(rows, key=lambda k: (k == "", k))]


def _sheet(
    ws: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str,
    font: Any,
    fill: Any,
    alignment: Any,
) -> None:
    apply_print_setup(ws, title)
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col)
        xlsx_value(cell, header)
        cell.font = font(bold=True)
        cell.fill = fill("solid", fgColor=HEADER_FILL)
    widths = [cell_width(h) for h in headers]
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col)
            xlsx_value(cell, value)
            cell.alignment = alignment(wrap_text=True, vertical="top")
            widths[col - 1] = max(widths[col - 1], cell_width(value))
    fields = [name for name, _ in COLUMNS] if len(headers) == len(COLUMNS) else list(headers)
    final = column_widths(widths, fields, _WIDTH)
    from openpyxl.utils import get_column_letter

    for col, width in enumerate(final, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, row in enumerate(rows, start=2):
        height = row_height(list(zip(row, final, strict=True)))
        if height is not None:
            ws.row_dimensions[r].height = height
    filter_header(ws, columns=len(headers), rows=len(rows) + 1)
