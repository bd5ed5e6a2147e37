"""The 一微调 list written out: XLSX to hand out (a 汇总 sheet per village, 运行情况, the whole
list, and one sheet per township, laid out to print), Markdown for a township's written report
(per township and village, each line under its result) and JSON Lines (one object per line)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from .._canonical import dumps
from ..reports import UNKNOWN
from .adjustment import Adjustment, AdjustmentLine, columns, decisions, division_order
from .sheets import Sheet, place, write_sheets

__all__ = ["write_adjustment_jsonl", "write_adjustment_markdown", "write_adjustment_xlsx"]

_LONG = frozenset({"reasons", "gaps", "collect", "failed", "reference"})
_ORDER = ("keep", "remove", "collect", "invalid", "missing", "unreadable", "add")
_PLANNED = ("keep", "remove", "collect", "invalid", "missing")
"""The decisions of a planned id: every planned id has exactly one of them."""


def write_adjustment_jsonl(adj: Adjustment, out: TextIO) -> None:
    """One JSON object per line of the list."""
    for ln in adj.lines:
        out.write(dumps(ln.to_dict()) + "\n")


def write_adjustment_xlsx(
    adj: Adjustment, path: str | Path, names: Mapping[str, str] | None = None
) -> None:
    """The list as a workbook to hand out and print."""
    names = names or {}
    cols = columns(adj.subject)
    wrapped = frozenset(i for i, (name, _) in enumerate(cols) if name in _LONG)
    labels = decisions(adj.subject)
    words = adj.words
    headers = tuple(title for _, title in cols)
    summary_rows = tuple(
        (
            place(county, names.get(county, "")),
            place(township, names.get(township, "")),
            place(village, name or names.get(village, "")),
            *(counts[d] for d in _ORDER),
            sum(counts[d] for d in _PLANNED),
        )
        for county, township, village, name, counts in adj.villages()
    )
    info = (
        ("核定日期", adj.as_of),
        ("核定标准", f"{adj.ruleset}  {adj.fingerprint}"),
        *(("输入文件", name) for name in adj.inputs),
        (f"{words['plan']}{words['unit'][-1]}数", adj.planned),
        ("读入行数", adj.rows_read),
        ("组成户数" if adj.subject == "household" else "村数", adj.records),
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
                *(labels[d][0] for d in _ORDER),
                "计划内合计",
            ),
            summary_rows,
            heading=f"{words['title']} 汇总",
        ),
        Sheet("运行情况", ("项目", "内容"), info, frozenset({1}), to_print=False),
        Sheet(
            "一微调名单",
            headers,
            tuple(ln.row() for ln in adj.lines),
            wrapped,
            heading=f"{words['title']}名单 (附件1-1)",
        ),
    ]
    for township in sorted({ln.township for ln in adj.lines}, key=division_order):
        rows = tuple(ln.row() for ln in adj.lines if ln.township == township)
        name = names.get(township, "")
        sheets.append(
            Sheet(f"{name}{township}" if name else f"乡镇{township}", headers, rows, wrapped)
        )
    write_sheets(sheets, path)


def _md(text: Any) -> str:
    """A cell's text on one Markdown line (list items and table cells hold no line breaks)."""
    return "" if text is None else str(text).replace("\r", "").replace("\n", "; ").replace("|", "/")


def _who(ln: AdjustmentLine) -> str:
    if ln.decision == "unreadable":
        return ln.location or "(位置不详)"
    if ln.subject == "village":
        return f"{ln.village_name or '(村名不详)'} ({ln.record_id or '-'})"
    size = f", {ln.household_size} 人" if ln.household_size is not None else ""
    return f"{ln.record_id or '(无户编号)'} {ln.head_name or '(户主不详)'}{size}"


def _detail(ln: AdjustmentLine) -> str:
    parts = []
    if ln.decision == "remove":
        parts += [f"未达标: {_md(ln.reasons)}", f"差距: {_md(ln.gaps)}" if ln.gaps else ""]
    elif ln.decision == "collect":
        parts.append(f"需补采: {_md(ln.collect) or '见说明'}")
    elif ln.decision in {"invalid", "unreadable"}:
        parts.append(_md(ln.reasons))
    if ln.reference:
        parts.append(f"参考指标未达标 (须整改): {_md(ln.reference)}")
    if ln.decision == "invalid" and ln.location:
        parts.append(f"来源 {ln.location}")
    return "; ".join(p for p in parts if p)


def write_adjustment_markdown(
    adj: Adjustment, out: TextIO, names: Mapping[str, str] | None = None
) -> None:
    """The list as Markdown for a township's written report: the run, a table per village,
    then per township and village each line under its result, what to do named once."""
    names = names or {}
    words, labels = adj.words, decisions(adj.subject)
    out.write(f"# {words['title']}核定结果 (附件1-1)\n\n")
    out.write(f"- 核定日期: {adj.as_of}\n- 核定标准: {adj.ruleset} ({adj.fingerprint})\n")
    for name in adj.inputs:
        out.write(f"- 输入文件: {name}\n")
    out.write(f"- 合计: {adj.summary()}\n\n## 各村汇总\n\n")
    rows = adj.villages()
    shown = [d for d in _ORDER if any(counts[d] for *_, counts in rows)] or ["keep"]
    heads = ("乡(镇)", "村", *(labels[d][0] for d in shown), "计划内合计")
    out.write(f"| {' | '.join(heads)} |\n|{'---|' * 2}{'--:|' * (len(heads) - 2)}\n")
    for _, township, village, name, counts in rows:
        cells = (
            place(township, names.get(township, "")),
            place(village, name or names.get(village, "")),
            *(str(counts[d]) for d in shown),
            str(sum(counts[d] for d in _PLANNED)),
        )
        out.write(f"| {' | '.join(cells)} |\n")
    for township in sorted({ln.township for ln in adj.lines}, key=division_order):
        known = township != UNKNOWN
        heading = place(township, names.get(township, "")) if known else "区划不详"
        out.write(f"\n## {heading}\n")
        here = [ln for ln in adj.lines if ln.township == township]
        # a village list has one line per village: the township is the group
        groups = (
            [("", here)]
            if adj.subject == "village" or not known
            else [
                (v, [ln for ln in here if ln.village == v])
                for v in sorted({ln.village for ln in here})
            ]
        )
        for village, group in groups:
            if village:
                name = group[0].village_name or names.get(village, "")
                out.write(f"\n### {place(village, name)}\n")
            for decision in _ORDER:
                chosen = [ln for ln in group if ln.decision == decision]
                if not chosen:
                    continue
                result, action = labels[decision]
                unit = "行" if decision == "unreadable" else words["unit"]
                out.write(f"\n**{result}** {len(chosen)} {unit}: {action}\n\n")
                for ln in chosen:
                    detail = _detail(ln)
                    out.write(f"- {_who(ln)}" + (f": {detail}\n" if detail else "\n"))
    if not adj.lines:
        out.write("\n(没有计划名单中的户或村, 也没有可调入的)\n")
