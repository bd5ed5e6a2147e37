"""Problem lists (问题清单): findings over a data set, grouped county → township → village.

:func:`check_records` runs rule sets (the data-quality rules ``cn.record.quality`` and any
standard) and their dataset checks over the items a reader produced, and returns a
:class:`ProblemList`: one :class:`ProblemLine` per household or member problem, per rejected
input row, per record the schema refuses, and per place a dataset check found a repeated key.
The 12-digit division code of each record groups the lines: the first 6 digits are the county,
9 the township, 12 the village.

Writers (all atomic, all deterministic for the same input):

* :func:`write_xlsx` — Chinese headers, frozen header row, filters, a 汇总 (summary) sheet with
  counts per problem per village, a 运行情况 sheet (rule sets, fingerprints, totals) and one sheet
  per township. No cell is ever a formula.
* :func:`write_csv` — UTF-8 with BOM (Excel shows Chinese), formula-like text prefixed with ``'``.
* :func:`write_jsonl` — one JSON object per line.
* :func:`write_markdown` — a summary for people: totals, counts per township and village.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs

from ._canonical import dumps
from .errors import UsageError
from .evaluation import parse_day
from .io.jsonl import InputRecord, atomic_output
from .io.spreadsheets import csv_cell, visible, xlsx_value
from .io.spreadsheets import write_xlsx as _save_xlsx
from .model import Result, RuleSet
from .quality import run_dataset_checks

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ProblemLine",
    "ProblemList",
    "check_records",
    "division_parts",
    "write_csv",
    "write_jsonl",
    "write_markdown",
    "write_problem_list",
    "write_xlsx",
]

Format = Literal["xlsx", "csv", "jsonl", "md"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv", "jsonl", "md")

UNKNOWN = "(未知)"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("county", "县(市、区)代码"),
    ("township", "乡(镇)代码"),
    ("village", "村代码"),
    ("record_id", "户编号"),
    ("member", "成员"),
    ("category", "问题类别"),
    ("label", "问题"),
    ("message", "说明"),
    ("check", "检查规则"),
    ("criterion", "指标编号"),
    ("sources", "依据"),
    ("location", "来源 (文件:行)"),
)
"""(field, Chinese header) of every problem-list column, in order."""


def division_parts(code: Any) -> tuple[str, str, str]:
    """(county, township, village) codes from a 12-digit division code; unknown parts marked."""
    if isinstance(code, str) and len(code) == 12 and code.isdigit():
        return code[:6], code[:9], code
    return UNKNOWN, UNKNOWN, UNKNOWN


@attrs.frozen
class ProblemLine:
    """One problem of one household, member, or input row."""

    county: str
    township: str
    village: str
    record_id: str | None
    member: str | None
    """The member named: ``第 2 名 李某 (440524…)``."""
    category: str
    """不达标, 无法判定, 记录无效, 无法导入, 重复."""
    label: str
    message: str
    check: str
    """The rule set (``id@version``) or 导入 for rows that could not be read."""
    criterion: str
    sources: str
    location: str
    order: tuple[int, int, int] = attrs.field(default=(0, 0, 0), repr=False)
    """Rule set, criterion and member position, for a stable order within a household."""

    def to_dict(self) -> dict[str, Any]:
        """The line as plain data (keys are the column fields)."""
        return {name: getattr(self, name) for name, _ in COLUMNS}

    def sort_key(self) -> tuple[Any, ...]:
        """County, township, village, household, then rule, criterion and member order."""
        return (
            self.county,
            self.township,
            self.village,
            self.record_id or "",
            self.order,
            self.location,
            self.message,
        )


@attrs.frozen
class ProblemList:
    """The problems of a data set and the totals of the run that found them."""

    lines: tuple[ProblemLine, ...]
    rulesets: tuple[tuple[str, str], ...]
    """(``id@version``, fingerprint) of each rule set run."""
    as_of: str
    rows_read: int
    records: int
    rejected_rows: int
    invalid_records: int
    headermap: str | None = None
    inputs: tuple[str, ...] = ()

    @property
    def households_with_problems(self) -> int:
        """How many distinct records have at least one line."""
        return len({(ln.record_id, ln.village) for ln in self.lines if ln.record_id})

    def counts(self) -> list[tuple[str, str, str, str, str, int, int]]:
        """(county, township, village, check, problem, lines, households) per problem per
        village, sorted."""
        lines: Counter[tuple[str, str, str, str, str]] = Counter()
        households: dict[tuple[str, str, str, str, str], set[str]] = {}
        for ln in self.lines:
            key = (ln.county, ln.township, ln.village, ln.check, ln.label)
            lines[key] += 1
            households.setdefault(key, set()).add(ln.record_id or ln.location)
        return [(*k, lines[k], len(households[k])) for k in sorted(lines)]

    def townships(self) -> list[str]:
        """The township codes that have lines, sorted."""
        return sorted({ln.township for ln in self.lines})

    def summary(self) -> str:
        """One Chinese line with the totals (read, built, evaluated, invalid, problems)."""
        return (
            f"读入 {self.rows_read} 行: 组成 {self.records} 户, 拒收 {self.rejected_rows} 行; "
            f"评估 {self.records} 户: 无效 {self.invalid_records} 户, "
            f"有问题 {self.households_with_problems} 户; 问题 {len(self.lines)} 条"
        )


# --------------------------------------------------------------------------- building


def _member_text(record: Mapping[str, Any], list_name: str, index: int, item_id: str | None) -> str:
    items = record.get(list_name)
    name = None
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], Mapping):
        item = items[index]
        name = item.get("name")
        item_id = item_id or (str(item["id_number"]) if item.get("id_number") else None)
    text = f"第 {index + 1} 名"
    if name:
        text += f" {name}"
    if item_id:
        text += f" ({item_id})"
    return text


def _result_lines(
    result: Result,
    rs: RuleSet,
    rs_order: int,
    record: Mapping[str, Any],
    place: tuple[str, str, str],
    location: str,
) -> list[ProblemLine]:
    out: list[ProblemLine] = []
    rid = result.record_id
    if result.outcome == "invalid" and not result.findings:
        return [
            ProblemLine(
                *place,
                record_id=rid,
                member=None,
                category="记录无效",
                label="记录不符合记录结构",
                message=reason,
                check="记录结构",
                criterion="",
                sources="",
                location=location,
                order=(-1, 0, 0),
            )
            for reason in result.reasons
        ]
    order = {c.id: i for i, c in enumerate(rs.criteria)}
    lists = {c.id: c.for_each[0] for c in rs.criteria if c.for_each is not None}
    for f in result.findings:
        if f.outcome not in {"fail", "unknown"}:
            continue
        category = "不达标" if f.outcome == "fail" else "无法判定"
        if f.severity == "reference" and f.outcome == "fail":
            category = "不达标 (参考指标)"
        sources = "; ".join(f.sources)
        c_order = order.get(f.criterion, len(order))
        items = [i for i in f.items if i.outcome == f.outcome]
        if items and f.criterion in lists:
            list_name = lists[f.criterion]
            out.extend(
                ProblemLine(
                    *place,
                    record_id=rid,
                    member=_member_text(record, list_name, item.index, item.item_id),
                    category=category,
                    label=f.label,
                    message=item.message,
                    check=result.ruleset,
                    criterion=f.criterion,
                    sources=sources,
                    location=location,
                    order=(rs_order, c_order, item.index),
                )
                for item in items
            )
            continue
        out.append(
            ProblemLine(
                *place,
                record_id=rid,
                member=None,
                category=category,
                label=f.label,
                message=f.message,
                check=result.ruleset,
                criterion=f.criterion,
                sources=sources,
                location=location,
                order=(rs_order, c_order, -1),
            )
        )
    return out


def _rejected_line(item: InputRecord) -> ProblemLine:
    return ProblemLine(
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        record_id=None,
        member=None,
        category="无法导入",
        label="该行无法导入",
        message=item.error or "",
        check="导入",
        criterion="",
        sources="",
        location=item.source,
        order=(-2, 0, 0),
    )


def check_records(
    rulesets: Sequence[RuleSet],
    items: Iterable[InputRecord],
    *,
    as_of: str | dt.date,
    headermap: str | None = None,
    inputs: Sequence[str] = (),
) -> ProblemList:
    """Run each rule set (and its dataset checks) over the items; collect the problems.

    Every item is accounted for: a rejected row gives a 无法导入 line, a record the schema refuses
    a 记录无效 line (once, whichever rule sets ran), every failing or undecidable criterion a
    line (one per member for per-member criteria)."""

    day = parse_day(as_of)
    kept: list[InputRecord] = []
    lines: list[ProblemLine] = []
    rows_read = rejected = invalid = 0
    places: dict[tuple[str | None, str], tuple[tuple[str, str, str], Mapping[str, Any]]] = {}
    for item in items:
        rows_read += item.rows
        if item.error is not None:
            rejected += item.rows
            lines.append(_rejected_line(item))
            continue
        kept.append(item)
        record = item.record if isinstance(item.record, Mapping) else {}
        is_invalid = False
        seen_invalid: set[str] = set()
        for rs_order, rs in enumerate(rulesets):
            result = rs.evaluate(item.record, as_of=day, source=item.source)
            division_field = rs.record_schema.division_field
            place = division_parts(record.get(division_field) if division_field else None)
            places[(result.record_id, item.source)] = (place, record)
            for ln in _result_lines(result, rs, rs_order, record, place, item.source):
                if ln.category == "记录无效":
                    is_invalid = True
                    if ln.message in seen_invalid:
                        continue
                    seen_invalid.add(ln.message)
                lines.append(ln)
        invalid += is_invalid
    for rs_order, rs in enumerate(rulesets):
        lists = {c.id: c.for_each[0] for c in rs.dataset_checks if c.for_each is not None}
        for d_order, finding in enumerate(run_dataset_checks(rs, kept, as_of=day)):
            for occ in finding.occurrences:
                place, record = places.get(
                    (occ.record_id, occ.source or ""), ((UNKNOWN, UNKNOWN, UNKNOWN), {})
                )
                member = None
                if occ.index is not None and finding.check in lists:
                    member = _member_text(record, lists[finding.check], occ.index, None)
                lines.append(
                    ProblemLine(
                        *place,
                        record_id=occ.record_id,
                        member=member,
                        category="重复",
                        label=finding.label,
                        message=finding.message,
                        check=rs.key,
                        criterion=finding.check,
                        sources="; ".join(finding.sources),
                        location=occ.source or "",
                        order=(rs_order, 10_000 + d_order, occ.index or 0),
                    )
                )
    return ProblemList(
        lines=tuple(sorted((_visible_line(ln) for ln in lines), key=ProblemLine.sort_key)),
        rulesets=tuple((rs.key, rs.fingerprint) for rs in rulesets),
        as_of=day,
        rows_read=rows_read,
        records=len(kept),
        rejected_rows=rejected,
        invalid_records=invalid,
        headermap=headermap,
        inputs=tuple(inputs),
    )


def _visible_line(line: ProblemLine) -> ProblemLine:
    changes: dict[str, Any] = {
        name: visible(value)
        for name, value in attrs.asdict(line, recurse=False).items()
        if isinstance(value, str) and visible(value) != value
    }
    return attrs.evolve(line, **changes) if changes else line


# --------------------------------------------------------------------------- writers


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


def write_jsonl(pl: ProblemList, out: TextIO) -> None:
    """One JSON object per problem line."""
    for ln in pl.lines:
        out.write(dumps(ln.to_dict()) + "\n")


def write_csv(pl: ProblemList, out: TextIO) -> None:
    """CSV with Chinese headers; the caller opens ``out`` as UTF-8 with BOM."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _, title in COLUMNS])
    for ln in pl.lines:
        writer.writerow([csv_cell(getattr(ln, name)) for name, _ in COLUMNS])


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


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
    for county, township, village, _check, label, n, hh in pl.counts():
        out.write(f"| {county} | {township} | {village} | {_md(label)} | {n} | {hh} |\n")


def _sheet_title(text: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in text)[:28] or "表"
    title = base
    n = 2
    while title in used:
        title = f"{base}_{n}"
        n += 1
    used.add(title)
    return title


def write_xlsx(pl: ProblemList, path: str | Path) -> None:
    """The problem list as an XLSX workbook (atomic, fixed timestamps, no formulas)."""
    # openpyxl (and the numpy it loads) costs a tenth of a second: imported when used, so
    # that commands which write no workbook start fast.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(bold=True)
    used: set[str] = set()

    def sheet(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        ws = wb.create_sheet(_sheet_title(title, used))
        for col, header in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=col)
            xlsx_value(cell, header)
            cell.font = bold
        n = 1
        for n, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                xlsx_value(ws.cell(row=n, column=col), value)
        ws.freeze_panes = "A2"
        last = get_column_letter(len(headers))
        ws.auto_filter.ref = f"A1:{last}{max(n, 1)}"
        for col, header in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(col)].width = max(
                10, min(60, len(header) * 2 + 4)
            )

    wb.remove(wb.active)
    sheet(
        "汇总",
        ["县(市、区)代码", "乡(镇)代码", "村代码", "检查规则", "问题", "条数", "户数"],
        pl.counts(),
    )
    sheet("运行情况", ["项目", "内容"], _run_info(pl))
    headers = [title for _, title in COLUMNS]
    sheet("全部问题", headers, ([getattr(ln, n) for n, _ in COLUMNS] for ln in pl.lines))
    for township in pl.townships():
        rows = [[getattr(ln, n) for n, _ in COLUMNS] for ln in pl.lines if ln.township == township]
        sheet(f"乡镇{township}", headers, rows)
    _save_xlsx(wb, path)


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
