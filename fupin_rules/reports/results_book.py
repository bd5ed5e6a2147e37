"""Results as an Excel workbook for people (``evaluate -o results.xlsx``, ``impact -o F.xlsx``).

One row per household (or village): its id, the head of household's name, its village, the
conclusion, a mark per criterion (``decision.CRITERION_MARKS``: ✓ 达标, ✗ 未达标, ? 无法判定,
- 不适用) and the reasons it failed in Chinese; a 按村统计 sheet of pass and fail counts per
village with a bar chart; a 运行情况 sheet naming the rules, the date and the totals. Laid out
to print like the problem lists (:mod:`.sheets`).

Written in openpyxl's write-only mode: rows go to disk as they come, so memory stays flat
for any number of records; only the per-village counts are held. No cell is ever a formula
(text that looks like one is a text cell with a quote prefix), and the same results give the
same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..decision import CRITERION_MARKS, OUTCOME_LABELS
from ..io.spreadsheets import dangerous, safe_text, xlsx_value
from ..io.spreadsheets import write_xlsx as save_workbook
from ..model import Result, RuleSet
from .problems import UNKNOWN, division_parts
from .sheets import (
    HEADER_FILL,
    apply_print_setup,
    cell_width,
    filter_header,
    row_height,
    sheet_title,
)

__all__ = ["ResultsBook", "criteria_of"]

_OUTCOMES = ("pass", "fail", "not_applicable", "invalid")
_MARKS = frozenset(CRITERION_MARKS.values())
_WIDTHS = {"id": 22, "name": 12, "village": 26, "outcome": 8, "conclusion": 28, "reasons": 60}


def criteria_of(*rulesets: RuleSet) -> list[tuple[str, str]]:
    """(criterion id, label) of every criterion of ``rulesets``, in order of first appearance
    (the columns of a workbook whose results come from several versions)."""
    seen: dict[str, str] = {}
    for rs in rulesets:
        for c in rs.criteria:
            seen.setdefault(c.id, c.label)
    return list(seen.items())


class ResultsBook:
    """A results workbook being written: :meth:`add` each result in input order, then
    :meth:`save`.

    ``rs`` gives the record schema (id, name and division fields) and, with ``criteria``
    (default: its own), the columns. ``names``: division code → name. ``before``: the rule
    set the results are compared with (``impact``): each row then shows both conclusions and,
    per criterion, ``✓→✗`` where the outcome moved.
    """

    def __init__(
        self,
        rs: RuleSet,
        *,
        names: Mapping[str, str] | None = None,
        criteria: Sequence[tuple[str, str]] | None = None,
        before: RuleSet | None = None,
        as_of: str | None = None,
    ) -> None:
        # openpyxl (and the numpy it loads) is imported when a workbook is written.
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill

        self._rs = rs
        self._before = before
        self._as_of = as_of
        self._names = dict(names or {})
        self._criteria = list(criteria if criteria is not None else criteria_of(rs))
        self._wb = Workbook(write_only=True)
        self._used: set[str] = set()
        self._font = Font(bold=True)
        self._fill = PatternFill("solid", fgColor=HEADER_FILL)
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._top_aligned = Alignment(vertical="top")
        schema = rs.record_schema
        self._id_field = schema.id_field
        name_field = schema.schema.get("x-name-field")
        self._name_field = name_field if isinstance(name_field, str) else None
        self._division_field = schema.division_field
        self._rows = 1
        self._villages: dict[str, Counter[str]] = {}
        self._totals: Counter[str] = Counter()
        title = "结果改变的记录" if before is not None else "评估结果"
        self._ws, widths = self._sheet(title, self._headers(), self._header_fields())
        self._reasons_width = widths[-2]

    # ------------------------------------------------------------------ layout

    def _headers(self) -> list[str]:
        schema = self._rs.record_schema
        heads = [schema.label(self._id_field) if self._id_field else "编号"]
        heads.append(schema.label(self._name_field) if self._name_field else "名称")
        heads.append("村")
        if self._before is not None:
            heads += [f"{self._before.version} 版结果", f"{self._rs.version} 版结果"]
            heads += [f"{self._before.version} 版结论", f"{self._rs.version} 版结论"]
        else:
            heads += ["结果", "结论"]
        heads += [label for _, label in self._criteria]
        heads += ["未达标或无法判定的原因", "来源 (文件:行)"]
        return heads

    def _header_fields(self) -> list[str]:
        pairs = 2 if self._before is not None else 1
        return [
            "id",
            "name",
            "village",
            *(["outcome"] * pairs),
            *(["conclusion"] * pairs),
            *(["mark"] * len(self._criteria)),
            "reasons",
            "source",
        ]

    def _sheet(
        self, title: str, headers: Sequence[str], fields: Sequence[str]
    ) -> tuple[Any, list[float]]:
        """A new write-only sheet laid out to print, its header row written; with the widths
        of its columns."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        ws = self._wb.create_sheet(sheet_title(title, self._used))
        widths: list[float] = []
        for col, (header, field) in enumerate(zip(headers, fields, strict=True), start=1):
            if field == "mark":  # a narrow column; its long label wraps in the header
                width = max(6, min(12, cell_width(header) // 2 + 2))
            else:
                width = _WIDTHS.get(field, max(10, min(30, cell_width(header) + 2)))
            ws.column_dimensions[get_column_letter(col)].width = width
            widths.append(width)
        apply_print_setup(ws, f"{title} {self._rs.key}")
        cells = []
        for header in headers:
            cell = WriteOnlyCell(ws)
            xlsx_value(cell, header)
            cell.font = self._font
            cell.fill = self._fill
            cell.alignment = self._wrap
            cells.append(cell)
        _append(ws, cells, row_height(list(zip(headers, widths, strict=True))), 1)
        return ws, widths

    def _value(self, value: Any) -> Any:
        """A plain value where openpyxl writes it as it is; a guarded cell where text could
        read as a formula."""
        if not isinstance(value, str):
            return value
        text = safe_text(value)
        if text in _MARKS or not dangerous(text):
            return text
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self._ws)
        xlsx_value(cell, text)
        return cell

    def _wrapped(self, text: str) -> Any:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self._ws)
        xlsx_value(cell, text)
        cell.alignment = self._wrap
        return cell

    # ------------------------------------------------------------------ rows

    def _place(self, record: Mapping[str, Any]) -> tuple[str, str, str]:
        return division_parts(record.get(self._division_field) if self._division_field else None)

    def _shown(self, code: str) -> str:
        name = self._names.get(code, "")
        return f"{name} ({code})" if name else code

    def add(
        self, record: Any, result: Result, *, before: Result | None = None, show: bool = True
    ) -> None:
        """Count ``result`` for its village; with ``show``, write its row. ``record``: the
        record as read (None for input that never became one); ``before``: its result under
        the rule set compared with."""
        rec = record if isinstance(record, Mapping) else {}
        village = self._place(rec)[2] if rec else UNKNOWN
        counts = self._villages.setdefault(village, Counter())
        counts[result.outcome] += 1
        self._totals[result.outcome] += 1
        if before is not None:
            counts["before:" + before.outcome] += 1
            self._totals["before:" + before.outcome] += 1
            moved = before.outcome != result.outcome or dict(before.outcomes) != dict(
                result.outcomes
            )
            counts["moved"] += moved
            self._totals["moved"] += moved
        if not show:
            return
        name = rec.get(self._name_field) if self._name_field else None
        row: list[Any] = [
            self._value(result.record_id),
            self._value(None if name is None else str(name)),
            self._value(self._shown(village)),
        ]
        if before is not None:
            row += [OUTCOME_LABELS[before.outcome], OUTCOME_LABELS[result.outcome]]
            row += [self._value(before.conclusion), self._value(result.conclusion)]
        else:
            row += [OUTCOME_LABELS[result.outcome], self._value(result.conclusion)]
        row += self._marks(result, before)
        reasons = _reasons(result)
        row.append(self._wrapped(reasons) if reasons else None)
        row.append(self._value(result.source))
        self._rows += 1
        height = row_height([(reasons, self._reasons_width)]) if reasons else None
        if height is not None:  # a tall row: every cell at the top, beside its reasons
            row = [self._top(value) for value in row]
        _append(self._ws, row, height, self._rows)

    def _top(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if not isinstance(value, str | None):
            return value  # already a cell, or a number
        cell = WriteOnlyCell(self._ws)
        xlsx_value(cell, value)
        cell.alignment = self._top_aligned
        return cell

    def _marks(self, result: Result, before: Result | None) -> list[str | None]:
        now = dict(result.outcomes)
        was = dict(before.outcomes) if before is not None else now
        marks: list[str | None] = []
        for cid, _ in self._criteria:
            x, y = was.get(cid), now.get(cid)
            if x == y:
                marks.append(None if y is None else CRITERION_MARKS[y])
            else:
                marks.append(_mark(x) + "→" + _mark(y))
        return marks

    # ------------------------------------------------------------------ the end

    def save(self, path: str | Path) -> None:
        """Add the per-village and run sheets and write the workbook atomically."""
        headers = len(self._headers())
        filter_header(self._ws, columns=headers, rows=self._rows)
        self._village_sheet()
        self._run_sheet()
        save_workbook(self._wb, path)

    def _village_sheet(self) -> None:
        from openpyxl.chart import BarChart, Reference

        compared = self._before is not None
        if compared:
            assert self._before is not None
            old, new = self._before.version, self._rs.version
            heads = ["县(市、区)", "乡(镇)", "村", f"{old} 版达标", f"{old} 版未达标"]
            heads += [f"{new} 版达标", f"{new} 版未达标", "结果改变", "合计"]
            keys = ["before:pass", "before:fail", "pass", "fail", "moved"]
        else:
            heads = ["县(市、区)", "乡(镇)", "村", "达标", "未达标", "不适用", "无效", "合计"]
            keys = list(_OUTCOMES)
        fields = ["village"] * 3 + ["count"] * (len(heads) - 3)
        ws, _ = self._sheet("按村统计", heads, fields)
        villages = sorted(self._villages)
        for village in villages:
            counts = self._villages[village]
            county, township, _ = division_parts(village)
            total = sum(counts[k] for k in _OUTCOMES)
            places = (county, township, village) if county != UNKNOWN else (UNKNOWN,) * 3
            ws.append(
                [*(self._value(self._shown(p)) for p in places), *(counts[k] for k in keys), total]
            )
        last = len(villages) + 1
        filter_header(ws, columns=len(heads), rows=last)
        if not villages:
            return
        chart = BarChart()
        chart.type = "bar"  # horizontal: village names stay readable
        chart.grouping = "clustered"
        chart.title = "各村达标与未达标户数" if not compared else "各村两个版本的达标与未达标户数"
        chart.y_axis.title = "户数"
        chart.x_axis.title = "村"
        series = 4 if compared else 2
        data = Reference(ws, min_col=4, max_col=3 + series, min_row=1, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=3, min_row=2, max_row=last))
        chart.height = max(7.5, 0.6 * len(villages) * (1.5 if compared else 1))
        chart.width = 18
        ws.add_chart(chart, f"{_column(len(heads) + 2)}2")

    def _run_sheet(self) -> None:
        ws, _ = self._sheet("运行情况", ["项目", "内容"], ["conclusion", "reasons"])
        rs = self._rs
        rows: list[tuple[str, Any]] = []
        if self._before is not None:
            rows.append(("原规则", f"{self._before.key}  {self._before.fingerprint}"))
        rows.append(("规则" if self._before is None else "新规则", f"{rs.key}  {rs.fingerprint}"))
        rows.append(("标准名称", rs.title))
        if self._as_of:
            rows.append(("评估日期", self._as_of))
        prefix = "" if self._before is None else f"{rs.version} 版"
        rows.append(("记录数", sum(self._totals[k] for k in _OUTCOMES)))
        rows += [(prefix + OUTCOME_LABELS[k], self._totals[k]) for k in _OUTCOMES]
        if self._before is not None:
            rows += [
                (f"{self._before.version} 版{OUTCOME_LABELS[k]}", self._totals["before:" + k])
                for k in _OUTCOMES
            ]
            rows.append(("结果改变的记录", self._totals["moved"]))
        rows.append(("标记", "✓ 达标  ✗ 未达标  ? 无法判定  - 不适用  (空白: 该版本无此指标)"))
        for key, value in rows:
            ws.append([key, self._value(value)])


def _append(ws: Any, row: Sequence[Any], height: float | None, index: int) -> None:
    """Append ``row`` (row ``index`` of ``ws``) with ``height`` points when given; the height
    is dropped once the row is written, so that nothing per row stays in memory."""
    if height is None:
        ws.append(row)
        return
    ws.row_dimensions[index].height = height
    ws.append(row)
    del ws.row_dimensions[index]


def _mark(outcome: str | None) -> str:
    return "(无)" if outcome is None else CRITERION_MARKS[outcome]


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _reasons(result: Result) -> str:
    """Why a record failed or could not be judged, in Chinese: each failing or undecidable
    criterion with its message, or (invalid) the reasons."""
    if result.outcome == "pass" or result.outcome == "not_applicable":
        return ""
    if result.outcome == "invalid" and result.reasons:
        return "\n".join(result.reasons)
    lines = [
        f"{f.label}: {f.message}"
        for f in result.findings
        if f.outcome == "fail" or f.outcome == "unknown"
    ]
    return "\n".join(lines)
