"""``fupin-rules summary``: the year-end summary as Markdown or XLSX (with a chart of the
exits per village by measure); with ``--returned``, how many suspected wrongful exits were
rectified; with ``--by township|county``, one more file per township or county."""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..calendar.moments import show_bound
from ..cli_options import (
    add_divisions,
    add_output,
    add_rules,
    library_of,
    output_stream,
    read_with_progress,
)
from ..dated import DatedEvaluator
from ..errors import UsageError
from ..events.model import event_types, type_label
from ..io.commands import table_reader
from ..io.inputs import read_inputs
from ..io.jsonl import InputRecord
from ..library import Library
from ..reports import Returned, division_names, division_parts, read_returned, rectify
from .sheets import Sheet, place, write_sheets
from .summary import Rectified, Summary, summarise
from .suspects import WRONGFUL, suspects, wrongful_exits

__all__ = ["register_summary", "write_summary_markdown", "write_summary_xlsx"]

_EPILOG = """\
示例:
  fupin-rules summary households.jsonl --year 2018 -o 总结.md
  fupin-rules summary households.jsonl --villages villages.jsonl --events events.jsonl \\
      --year 2018 --year-day 11-25 -o 总结.xlsx
  fupin-rules summary households.jsonl --year 2018 --returned 返回/*.xlsx --by township -o 总结.md

按"既要说清楚有多少人脱了贫, 也要说清楚怎么脱的贫"的要求汇总当年: 脱贫户数和人数 (按脱贫措施、
按村、乡(镇)、县、按月), 摘帽村及其措施, 新识别、返贫、成员增减 (按原因; 来自 --events), 疑似错退
(已脱贫户按认定日期施行的标准复核)。写明输入文件的摘要和规则指纹, 以及总结上报的截止时间
(日程 town.dynamic-management: 12月12日18时前)。-o 的扩展名定格式 (.md 或 .xlsx)。
--returned: 各村返回的疑似错退问题清单 (suspects 的输出, 填有整改情况); 按问题编号与本次复核对照,
写明已整改、仍存在和新发现的疑似错退 (复核须用与当时相同的 --year-day)。
贫困村进出: 来自 --events 的当年事项 (新纳入、"一微调"调入或调出摘帽计划、摘帽退出)。
--by township|county: 另为每个乡(镇) (县) 各写一份, 文件名为 -o 的文件名加 "-名称代码"。
"""


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _deadline(lib: Library, year: int) -> str:
    """When the year's summary is due, from the calendar that sets it: the first summary
    report due in that year; none from another year's calendar."""
    due = sorted(
        (d.due_text, f"{cal.id}@{cal.version}", d.label)
        for versions in lib.calendars.values()
        for cal in versions
        for d in cal.deliverables
        if d.action == "summary_report" and d.due_text[:4] == str(year)
    )
    if not due:
        return ""
    when, calendar, label = due[0]
    return f"{label}: 须于 {show_bound(when)} 前上报 (日程 {calendar})"


def _rows(
    s: Summary, names: Mapping[str, str]
) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    def at(code: str) -> str:
        return place(code, names.get(code, ""))

    return {
        "按脱贫措施": (("脱贫措施", "户数", "人数"), list(s.by_measure)),
        "按村": (
            ("县", "乡(镇)", "村", "户数", "人数"),
            [(at(c), at(t), at(v), h, n) for c, t, v, h, n in s.by_village],
        ),
        "按乡镇": (("乡(镇)", "户数", "人数"), [(at(t), h, n) for t, h, n in s.townships()]),
        "按县": (("县", "户数", "人数"), [(at(c), h, n) for c, h, n in s.counties()]),
        "按月": (("月份 (脱贫认定日期)", "户数", "人数"), list(s.by_month)),
        "摘帽村": (("村代码", "村", "脱贫措施"), list(s.villages_exited)),
        "贫困村进出": (
            ("事项", "村代码", "村", "日期"),
            [(k, v, name or names.get(v, ""), d) for k, v, name, d in s.village_changes],
        ),
        "动态管理事项": (("事项", "件数"), list(s.events)),
        "成员增减": (("增减", "原因", "人数"), list(s.member_reasons)),
    }


def _info(s: Summary) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("年度", s.year),
        ("脱贫户数", s.households),
        ("脱贫人数", s.people),
        ("摘帽村数", len(s.villages_exited)),
        ("疑似错退户数 (当年脱贫户)", s.wrongful),
        ("疑似错退项数", s.wrongful_items),
    ]
    if s.rectified is not None:
        r = s.rectified
        rows += [
            ("返回清单中的疑似错退项数", r.returned),
            ("其中已整改 (本次复核不再发现)", r.fixed),
            ("其中仍存在", f"{r.still_open} (村里已填写整改情况的 {r.claimed_open})"),
            ("疑似错退全部整改的户数", r.households_fixed),
            ("返回清单所涉村中新发现的疑似错退项数", r.new),
        ]
        if r.outside:
            rows.append(("未返回清单的村中的疑似错退项数", r.outside))
    rows += [
        ("读入户数", s.records),
        ("拒收行数", s.rejected_rows),
    ]
    if s.deadline:
        rows.append(("上报截止", s.deadline))
    rows += [("输入文件", f"{name}  {digest}") for name, digest in s.inputs]
    rows += [("规则", f"{key}  {fp}") for key, fp in s.rules]
    return rows


def _heading(s: Summary) -> str:
    who = f"{s.title} " if s.title else ""
    return f"{who}{s.year}年度扶贫对象动态管理工作总结 (数据部分)"


def write_summary_markdown(s: Summary, out: TextIO, names: Mapping[str, str] | None = None) -> None:
    """The summary as Markdown (``names``: division code -> name, shown beside the codes)."""
    out.write(f"# {_heading(s)}\n\n")
    for key, value in _info(s):
        out.write(f"- {key}: {value}\n")
    for title, (headers, rows) in _rows(s, names or {}).items():
        out.write(f"\n## {title}\n\n| {' | '.join(headers)} |\n|{'---|' * len(headers)}\n")
        for row in rows:
            out.write("| " + " | ".join(str(v) for v in row) + " |\n")
        if not rows:
            out.write("| " + " | ".join(["(无)"] + [""] * (len(headers) - 1)) + " |\n")


def write_summary_xlsx(
    s: Summary, path: str | Path, names: Mapping[str, str] | None = None
) -> None:
    """The summary as a workbook, with a 图表 sheet: exits per village, by measure."""
    sheets = [Sheet("汇总", ("项目", "内容"), tuple(_info(s)), frozenset({1}), heading=_heading(s))]
    for title, (headers, rows) in _rows(s, names or {}).items():
        sheets.append(Sheet(title, headers, tuple(rows)))
    measures = sorted({m for _, m, _ in s.by_village_measure})
    villages = sorted({v for v, _, _ in s.by_village_measure})
    counts = {(v, m): n for v, m, n in s.by_village_measure}
    grid = tuple((v, *(counts.get((v, m), 0) for m in measures)) for v in villages)
    sheets.append(Sheet("图表", ("村", *measures), grid, heading="各村脱贫户数 (按脱贫措施)"))
    write_sheets(sheets, path, charts={"图表": "各村脱贫户数 (按脱贫措施)"})


def _object(item: InputRecord) -> bool:
    """Whether an input is a record to count (read, and an object: an array line is not)."""
    return item.error is None and isinstance(item.record, Mapping)


def _within(code: str, unit: str) -> bool:
    return bool(unit) and code.startswith(unit)


def _build(
    args: argparse.Namespace,
    lib: Library,
    households: Sequence[InputRecord],
    villages: Sequence[InputRecord],
    events: Sequence[InputRecord],
    returned: Returned | None,
    digests: Sequence[tuple[str, str]],
    title: str = "",
) -> Summary:
    dated = DatedEvaluator(lib, args.standard, "exit_date")
    year_items = [i for i in households if _object(i) and i.record.get("exit_year") == args.year]
    found = wrongful_exits(dated, year_items, year_day=args.year_day)
    wrong = [ln for ln in found.lines if ln.category == WRONGFUL]
    rectified = None
    if returned is not None:
        # every exited household, as `suspects` lists them: a returned line of an earlier
        # year's exit that is still found is open, not fixed
        every = wrongful_exits(dated, households, year_day=args.year_day)
        pl = suspects([every], as_of="")
        rectified = Rectified.of(rectify(pl, returned), WRONGFUL)
    return summarise(
        households,
        year=args.year,
        codelists=lib.codelists,
        villages=villages,
        events=events,
        event_labels={t: type_label(t) for t in event_types()},
        wrongful=[ln.record_id or "" for ln in wrong],
        wrongful_items=len(wrong),
        inputs=digests,
        rules=list(found.rulesets),
        deadline=_deadline(lib, args.year),
        rectified=rectified,
        title=title,
    )


def _write(summary: Summary, path: str | None, out: TextIO, names: Mapping[str, str]) -> None:
    if path and Path(path).suffix.lower() == ".xlsx":
        write_summary_xlsx(summary, path, names)
    else:
        with output_stream(path, out) as fh:
            write_summary_markdown(summary, fh, names)


def _units(
    args: argparse.Namespace,
    households: Sequence[InputRecord],
    villages: Sequence[InputRecord],
    events: Sequence[InputRecord],
    returned: Returned | None,
) -> list[tuple[str, list[InputRecord], list[InputRecord], list[InputRecord], Returned | None]]:
    """(unit code, its households, villages, events, returned lines) per township or county.
    An event goes to the unit of its subject's record; an event whose subject has no record
    here counts in the whole summary only."""
    at = 0 if args.by == "county" else 1
    where: dict[str, str] = {}
    for item, key in (
        *((i, "household_id") for i in households),
        *((v, "village_id") for v in villages),
    ):
        if _object(item):
            where[str(item.record.get(key))] = division_parts(item.record.get("division_code"))[at]
    codes = sorted({c for c in where.values() if c.isdigit()})
    out = []
    for code in codes:
        hh = [
            i
            for i in households
            if _object(i) and where.get(str(i.record.get("household_id"))) == code
        ]
        vv = [
            v for v in villages if _object(v) and where.get(str(v.record.get("village_id"))) == code
        ]
        ev = [
            e
            for e in events
            if _object(e)
            and isinstance(e.record.get("subject"), dict)
            and where.get(str(e.record["subject"].get("id"))) == code
        ]
        back = None
        if returned is not None:
            lines = {k: ln for k, ln in returned.lines.items() if _within(ln.village, code)}
            back = Returned(lines=lines, files=returned.files, warnings=())
        out.append((code, hh, vv, ev, back))
    return out


def _cmd_summary(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    suffix = Path(args.output).suffix.lower() if args.output and args.output != "-" else ".md"
    if suffix not in {".md", ".xlsx"}:
        msg = f"总结可写为 .md 或 .xlsx, 不能写为 {suffix or '(无扩展名)'}"
        raise UsageError(msg)
    if args.by and (not args.output or args.output == "-"):
        msg = "--by 为每个乡(镇)或县各写一个文件, 须用 -o 给出文件名"
        raise UsageError(msg)
    lib = library_of(args)
    rs = lib.get(args.standard)
    reader = table_reader(args, lib, rs)
    households = list(
        read_with_progress(args, err, read_inputs(args.inputs, tables=reader), tables=reader)
    )
    villages = list(read_inputs(args.villages)) if args.villages else []
    events = list(read_inputs(args.events)) if args.events else []
    returned = read_returned(args.returned) if args.returned else None
    files = [*args.inputs, *(args.villages or []), *(args.events or []), *(args.returned or [])]
    digests = [(f, _digest(f)) for f in files if f != "-"]
    summary = _build(args, lib, households, villages, events, returned, digests)
    names = division_names(lib.codelists, args.divisions or [])
    _write(summary, args.output, out, names)
    if returned is not None:
        for warning in returned.warnings:
            err.write(f"注意: {warning}\n")
    if args.by:
        target = Path(args.output)
        for code, hh, vv, ev, back in _units(args, households, villages, events, returned):
            title = place(code, names.get(code, ""))
            part = _build(args, lib, hh, vv, ev, back, digests, title)
            name = f"{target.stem}-{names.get(code, '')}{code}{target.suffix}"
            _write(part, str(target.with_name(name)), out, names)
            err.write(f"{title}: 脱贫 {part.households} 户 {part.people} 人 -> {name}\n")
    fixed = f", 已整改 {summary.rectified.fixed} 项" if summary.rectified is not None else ""
    err.write(
        f"{args.year} 年: 脱贫 {summary.households} 户 {summary.people} 人, 摘帽村 "
        f"{len(summary.villages_exited)} 个, 疑似错退 {summary.wrongful} 户{fixed}"
        + (f"; {summary.deadline}" if summary.deadline else "")
        + "\n"
    )
    return 0


def register_summary(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``summary`` through the CLI's ``command(...)`` helper."""
    p = command("summary", _cmd_summary, "年度动态管理工作总结: 多少人脱了贫, 怎么脱的贫", _EPILOG)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="户记录: .jsonl .parquet .xlsx .csv")
    p.add_argument("--year", type=int, required=True, metavar="YEAR", help="年度, 如 2018")
    p.add_argument("--villages", nargs="+", metavar="FILE", help="村记录 (.jsonl)")
    p.add_argument("--events", nargs="+", metavar="FILE", help="动态管理事项 (.jsonl)")
    p.add_argument(
        "--year-day", metavar="MM-DD", help="复核错退时, 没有认定日期的户按脱贫年度的这一天"
    )
    p.add_argument("-s", "--standard", default="gx.household.exit", metavar="ID", help="脱贫标准")
    p.add_argument("--header-map", metavar="ID[@VERSION]|FILE", help="表格的表头对照")
    p.add_argument("--encoding", metavar="ENC", help="CSV 编码")
    p.add_argument(
        "--returned",
        nargs="+",
        metavar="FILE",
        help="各村返回的疑似错退问题清单 (.xlsx .csv, suspects 的输出): 统计整改了多少",
    )
    p.add_argument(
        "--by",
        choices=("township", "county"),
        help="另为每个乡(镇) (township) 或县 (county) 各写一份总结",
    )
    add_divisions(p)
    add_output(p, "输出文件: .md 或 .xlsx (默认: Markdown 到标准输出); 原子写入")
    add_rules(p)
