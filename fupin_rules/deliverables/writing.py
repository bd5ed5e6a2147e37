"""The 一微调 list written out: XLSX to hand out (a 汇总 sheet per village, 运行情况, the whole
list, and one sheet per township, laid out to print) and JSON Lines (one object per line)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from .._canonical import dumps
from .adjustment import COLUMNS, DECISIONS, Adjustment
from .sheets import Sheet, place, write_sheets

__all__ = ["write_adjustment_jsonl", "write_adjustment_xlsx"]

_WRAPPED = frozenset(
    i for i, (name, _) in enumerate(COLUMNS) if name in {"reasons", "gaps", "collect", "failed"}
)
_ORDER = ("keep", "remove", "collect", "invalid", "missing", "unreadable", "add")


def write_adjustment_jsonl(adj: Adjustment, out: TextIO) -> None:
    """One JSON object per line of the list."""
    for ln in adj.lines:
        out.write(dumps(ln.to_dict()) + "\n")


def write_adjustment_xlsx(
    adj: Adjustment, path: str | Path, names: Mapping[str, str] | None = None
) -> None:
    """The list as a workbook to hand out and print."""
    names = names or {}
    headers = tuple(title for _, title in COLUMNS)
    summary_rows = tuple(
        (
            place(county, names.get(county, "")),
            place(township, names.get(township, "")),
            place(village, name or names.get(village, "")),
            *(counts[d] for d in _ORDER),
            sum(counts[d] for d in _ORDER if d != "add"),
        )
        for county, township, village, name, counts in adj.villages()
    )
    info = (
        ("核定日期", adj.as_of),
        ("核定标准", f"{adj.ruleset}  {adj.fingerprint}"),
        *(("输入文件", name) for name in adj.inputs),
        ("计划脱贫户数", adj.planned),
        ("读入行数", adj.rows_read),
        ("组成户数", adj.records),
        ("拒收行数", adj.rejected_rows),
        ("汇总", adj.summary()),
    )
    sheets = [
        Sheet(
            "汇总",
            (
                "县(市、区)",
                "乡(镇)",
                "村",
                *(DECISIONS[d][0] for d in _ORDER),
                "计划内合计",
            ),
            summary_rows,
            heading='脱贫计划"一微调" 汇总',
        ),
        Sheet("运行情况", ("项目", "内容"), info, to_print=False),
        Sheet(
            "一微调名单",
            headers,
            tuple(ln.row() for ln in adj.lines),
            _WRAPPED,
            heading='脱贫计划"一微调"名单 (附件1-1)',
        ),
    ]
    for township in sorted({ln.township for ln in adj.lines}):
        rows = tuple(ln.row() for ln in adj.lines if ln.township == township)
        name = names.get(township, "")
        sheets.append(
            Sheet(f"{name}{township}" if name else f"乡镇{township}", headers, rows, _WRAPPED)
        )
    write_sheets(sheets, path)
