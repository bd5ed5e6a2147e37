"""``fupin-rules summary``: the year-end summary as Markdown or XLSX (with a chart of the
exits per village by measure)."""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..cli_options import add_output, add_rules, library_of, output_stream
from ..dated import DatedEvaluator
from ..errors import UsageError
from ..events.model import event_types, type_label
from ..io.commands import table_reader
from ..io.inputs import read_inputs
from ..library import Library
from .sheets import Sheet, write_sheets
from .summary import Summary, summarise
from .suspects import WRONGFUL, wrongful_exits

__all__ = ["register_summary", "write_summary_markdown", "write_summary_xlsx"]

_EPILOG = """\
示例:
  fupin-rules summary households.jsonl --year 2018 -o 总结.md
  fupin-rules summary households.jsonl --villages villages.jsonl --events events.jsonl \\
      --year 2018 --year-day 11-25 -o 总结.xlsx

按"既要说清楚有多少人脱了贫, 也要说清楚怎么脱的贫"的要求汇总当年: 脱贫户数和人数 (按脱贫措施、
按村、乡(镇)、县、按月), 摘帽村及其措施, 新识别、返贫、成员增减 (按原因; 来自 --events), 疑似错退
(已脱贫户按认定日期施行的标准复核)。写明输入文件的摘要和规则指纹, 以及总结上报的截止时间
(日程 town.dynamic-management: 12月12日18时前)。-o 的扩展名定格式 (.md 或 .xlsx)。
"""


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _deadline(lib: Library) -> str:
    for versions in lib.calendars.values():
        for cal in versions:
            for d in cal.deliverables:
                if d.action == "summary_report":
                    return f"{d.label}: 须于 {d.due_text} 前上报 (日程 {cal.id}@{cal.version})"
    return ""


def _rows(s: Summary) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    return {
        "按脱贫措施": (("脱贫措施", "户数", "人数"), list(s.by_measure)),
        "按村": (("县", "乡(镇)", "村", "户数", "人数"), list(s.by_village)),
        "按乡镇": (("乡(镇)", "户数", "人数"), s.townships()),
        "按县": (("县", "户数", "人数"), s.counties()),
        "按月": (("月份 (脱贫认定日期)", "户数", "人数"), list(s.by_month)),
        "摘帽村": (("村代码", "村", "脱贫措施"), list(s.villages_exited)),
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
        ("读入户数", s.records),
        ("拒收行数", s.rejected_rows),
    ]
    if s.deadline:
        rows.append(("上报截止", s.deadline))
    rows += [("输入文件", f"{name}  {digest}") for name, digest in s.inputs]
    rows += [("规则", f"{key}  {fp}") for key, fp in s.rules]
    return rows


def write_summary_markdown(s: Summary, out: TextIO) -> None:
    """The summary as Markdown."""
    out.write(f"# {s.year}年度扶贫对象动态管理工作总结 (数据部分)\n\n")
    for key, value in _info(s):
        out.write(f"- {key}: {value}\n")
    for title, (headers, rows) in _rows(s).items():
        out.write(f"\n## {title}\n\n| {' | '.join(headers)} |\n|{'---|' * len(headers)}\n")
        for row in rows:
            out.write("| " + " | ".join(str(v) for v in row) + " |\n")
        if not rows:
            out.write("| " + " | ".join(["(无)"] + [""] * (len(headers) - 1)) + " |\n")


def write_summary_xlsx(s: Summary, path: str | Path) -> None:
    """The summary as a workbook, with a 图表 sheet: exits per village, by measure."""
    sheets = [Sheet("汇总", ("项目", "内容"), tuple(_info(s)), frozenset({1}))]
    for title, (headers, rows) in _rows(s).items():
        sheets.append(Sheet(title, headers, tuple(rows)))
    measures = sorted({m for _, m, _ in s.by_village_measure})
    villages = sorted({v for v, _, _ in s.by_village_measure})
    counts = {(v, m): n for v, m, n in s.by_village_measure}
    grid = tuple((v, *(counts.get((v, m), 0) for m in measures)) for v in villages)
    sheets.append(Sheet("图表", ("村", *measures), grid, heading="各村脱贫户数 (按脱贫措施)"))
    write_sheets(sheets, path, charts={"图表": "各村脱贫户数 (按脱贫措施)"})


def _cmd_summary(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = library_of(args)
    rs = lib.get(args.standard)
    households = list(read_inputs(args.inputs, tables=table_reader(args, lib, rs)))
    villages = list(read_inputs(args.villages)) if args.villages else []
    events = list(read_inputs(args.events)) if args.events else []
    dated = DatedEvaluator(lib, args.standard, "exit_date")
    year_items = [
        i for i in households if i.error is None and i.record.get("exit_year") == args.year
    ]
    found = wrongful_exits(dated, year_items, year_day=args.year_day)
    wrong = [ln for ln in found.lines if ln.category == WRONGFUL]
    files = [*args.inputs, *(args.villages or []), *(args.events or [])]
    summary = summarise(
        households,
        year=args.year,
        codelists=lib.codelists,
        villages=villages,
        events=events,
        event_labels={t: type_label(t) for t in event_types()},
        wrongful=[ln.record_id or "" for ln in wrong],
        wrongful_items=len(wrong),
        inputs=[(f, _digest(f)) for f in files if f != "-"],
        rules=list(found.rulesets),
        deadline=_deadline(lib),
    )
    suffix = Path(args.output).suffix.lower() if args.output and args.output != "-" else ".md"
    if suffix == ".xlsx":
        write_summary_xlsx(summary, args.output)
    elif suffix == ".md":
        with output_stream(args.output, out) as fh:
            write_summary_markdown(summary, fh)
    else:
        msg = f"总结可写为 .md 或 .xlsx, 不能写为 {suffix or '(无扩展名)'}"
        raise UsageError(msg)
    err.write(
        f"{args.year} 年: 脱贫 {summary.households} 户 {summary.people} 人, 摘帽村 "
        f"{len(summary.villages_exited)} 个, 疑似错退 {summary.wrongful} 户; {summary.deadline}\n"
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
    add_output(p, "输出文件: .md 或 .xlsx (默认: Markdown 到标准输出); 原子写入")
    add_rules(p)
