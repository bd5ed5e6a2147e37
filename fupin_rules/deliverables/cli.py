"""``fupin-rules adjust`` (脱贫计划"一微调"), ``suspects`` (疑似错退, 疑似漏评) and ``summary``
(the year-end summary).

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS``. Exit codes: 0 done, 1 the
output lists something to act on (households removed from the plan or undecidable; suspected
wrongful exits or missed households), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ..cli_options import (
    add_divisions,
    add_output,
    add_rules,
    library_of,
    meter_of,
    output_stream,
    read_with_progress,
    table_options,
)
from ..dated import DatedEvaluator
from ..errors import UsageError
from ..io.commands import table_reader
from ..io.inputs import read_inputs
from ..io.jsonl import InputRecord
from ..library import Library
from ..model import RuleSet
from ..reports import division_names, write_problem_list
from .adjustment import adjust
from .planlist import read_plan_ids
from .summary_cli import register_summary
from .suspects import WRONGFUL, missed_households, suspects, wrongful_exits
from .writing import write_adjustment_jsonl, write_adjustment_markdown, write_adjustment_xlsx

__all__ = ["register"]

_ADJUST_EPILOG = """\
示例:
  fupin-rules adjust households.jsonl --plan 计划脱贫名单.xlsx --as-of 2018-10-31 -o 一微调.xlsx
  fupin-rules adjust 导出.xlsx --plan 计划.csv --as-of 2018-10-31 -o 一微调.md
  fupin-rules adjust villages.jsonl --as-of 2018-10-31 -o 摘帽村一微调.xlsx

按核定日期施行的脱贫标准逐户 (逐村) 核定计划脱贫户 (计划摘帽村): 达标的保留"计划脱贫"标注;
未达标的列出未达标指标、原因和差距 (还需达到的数值); 无法判定的列出需补采的信息; 名单中没有记录的
单列 (无记录)。计划外、未脱贫 (未退出) 而已达标的列为"可调入"。按村分组。
标准: -s 给出; 不给时按记录定: 村记录 (有 village_id、没有 household_id 的 JSON Lines) 用
gx.village.exit ("十一有一低于"), 其他用 gx.household.exit ("八有一超"); 表格输入的村记录须用 -s。
村: 不给 --plan 时, 计划摘帽村为记录中退出状态为"计划退出"的村。户: 须给 --plan。
-o 的扩展名定格式 (.xlsx、.md 或 .jsonl)。
退出码: 0 计划内全部达标; 1 有未达标、无法判定、无效或无记录的计划户 (村); 2 用法错误。
"""

_VILLAGE_STANDARD = "gx.village.exit"
_HOUSEHOLD_STANDARD = "gx.household.exit"
_ADJUST_KINDS = (".xlsx", ".md", ".jsonl", ".json")

_SUSPECTS_EPILOG = """\
示例:
  fupin-rules suspects households.jsonl -o 疑似问题清单.xlsx
  fupin-rules suspects households.jsonl --year-day 11-25 -o 疑似错退.xlsx
  fupin-rules suspects hh.jsonl --non-registered 未建档户.jsonl --as-of 2018-11-10 -o 清单.xlsx

疑似错退: 已脱贫户 (脱贫标志 已脱贫) 按其脱贫认定日期 (exit_date) 当天施行的脱贫标准复核, 未达标的
每项一行, 写明指标、数值和差距。没有认定日期的户: 给出 --year-day MM-DD 时按其脱贫年度的这一天复核
(并注明是推定的日期), 否则列为无法判定。
疑似漏评: --non-registered 给出的未建档立卡农户, 按 --as-of 当天施行的识别标准判定, 符合条件的列出。
问题清单与 check 的格式相同 (按县、乡、村分组, 问题编号稳定, 可用 check --rectified 对照整改)。
退出码: 0 未发现; 1 有疑似错退、疑似漏评或无法判定; 2 用法错误。
"""


def _items(
    args: argparse.Namespace, lib: Library, rs: RuleSet, paths: Sequence[str], err: TextIO
) -> list[InputRecord]:
    reader = table_reader(args, lib, rs)
    items = read_inputs(list(paths), tables=reader)
    return list(read_with_progress(args, err, items, tables=reader))


def _subject_standard(paths: Sequence[str]) -> str:
    """The exit standard for the records in ``paths``: the village one when the first record
    of the first JSON Lines input is a village's (``village_id``, no ``household_id``)."""
    for name in paths:
        if not name.lower().endswith((".jsonl", ".json")) or not Path(name).is_file():
            return _HOUSEHOLD_STANDARD
        with open(name, encoding="utf-8-sig") as fh:
            for line in fh:
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    village = "village_id" in value and "household_id" not in value
                    return _VILLAGE_STANDARD if village else _HOUSEHOLD_STANDARD
    return _HOUSEHOLD_STANDARD


def _cmd_adjust(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    to_file = args.output and args.output != "-"
    fmt = Path(args.output).suffix.lower() if to_file else f".{args.format}"
    if fmt not in _ADJUST_KINDS:
        msg = f"一微调名单可写为 .xlsx、.md 或 .jsonl, 不能写为 {fmt or '(无扩展名)'}"
        raise UsageError(msg)
    lib = library_of(args)
    rs = lib.get(args.standard or _subject_standard(args.inputs), as_of=args.as_of)
    if args.plan is None and rs.subject != "village":
        msg = "户的一微调须用 --plan 给出计划脱贫名单 (村的一微调不给时按记录中的“计划退出”)"
        raise UsageError(msg)
    planned = None if args.plan is None else read_plan_ids(args.plan, rs.subject)
    items = _items(args, lib, rs, args.inputs, err)
    names = division_names(lib.codelists, args.divisions or [])
    with meter_of(args, err, "评估", total=len(items)) as shown:
        result = adjust(
            rs, shown.track(items), planned, as_of=args.as_of, names=names, inputs=args.inputs
        )
    if fmt == ".xlsx":
        write_adjustment_xlsx(result, args.output, names)
    else:
        with output_stream(args.output, out) as fh:
            if fmt == ".md":
                write_adjustment_markdown(result, fh, names)
            else:
                write_adjustment_jsonl(result, fh)
    err.write(result.summary() + "\n")
    counts = result.counts()
    return 0 if counts["keep"] == result.planned else 1


def _cmd_suspects(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = library_of(args)
    dated = DatedEvaluator(lib, args.standard, args.date_field, default=None)
    items = _items(args, lib, dated.base, args.inputs, err)
    with meter_of(args, err, "评估", total=len(items)) as shown:
        parts = [wrongful_exits(dated, shown.track(items), year_day=args.year_day)]
    if args.non_registered:
        if not args.as_of:
            msg = "判定疑似漏评须用 --as-of 给出识别日期"
            raise UsageError(msg)
        ident = lib.get(args.identification, as_of=args.as_of)
        items = _items(args, lib, ident, args.non_registered, err)
        with meter_of(args, err, "评估", total=len(items)) as shown:
            parts.append(missed_households(ident, shown.track(items), as_of=args.as_of))
    names = division_names(lib.codelists, args.divisions or [])
    when = f"按各户{dated.base.record_schema.label(args.date_field)}" + (
        f"; 漏评按 {args.as_of}" if args.non_registered else ""
    )
    pl = suspects(
        parts, as_of=when, names=names, inputs=[*args.inputs, *(args.non_registered or [])]
    )
    fmt = (
        Path(args.output).suffix.lower().lstrip(".") if args.output and args.output != "-" else "md"
    )
    fmt = "jsonl" if fmt == "json" else fmt
    if fmt not in {"xlsx", "csv", "jsonl", "md"}:
        msg = f"问题清单可写为 .xlsx .csv .jsonl .md, 不能写为 .{fmt}"
        raise UsageError(msg)
    write_problem_list(pl, args.output, fmt, stdout=out)  # type: ignore[arg-type]
    wrong = [ln for ln in parts[0].lines if ln.category == WRONGFUL]
    text = (
        f"复核已脱贫户 {parts[0].checked} 户: 疑似错退 {len({ln.record_id for ln in wrong})} 户"
        f" ({len(wrong)} 项)"
    )
    if len(parts) > 1:
        text += f"; 未建档户 {parts[1].checked} 户中疑似漏评 {len(parts[1].lines)} 条"
    err.write(f"{text}; {pl.summary()}\n")
    return 1 if pl.lines else 0


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``adjust``, ``suspects`` and ``summary`` through the CLI's ``command(...)``."""
    del sub
    p = command(
        "adjust", _cmd_adjust, '脱贫计划"一微调": 逐户核定计划脱贫户 (附件1-1)', _ADJUST_EPILOG
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="户或村记录: .jsonl .parquet .xlsx .csv"
    )
    p.add_argument(
        "--plan",
        metavar="FILE",
        help="计划脱贫 (摘帽) 名单: 户编号 (村代码) 列; .xlsx .csv .jsonl .txt。户须给出",
    )
    p.add_argument("--as-of", required=True, metavar="DATE", help="核定日期 YYYY-MM-DD")
    p.add_argument(
        "-s",
        "--standard",
        metavar="ID",
        help="脱贫标准 (默认按记录: gx.household.exit 或 gx.village.exit)",
    )
    p.add_argument(
        "--format",
        choices=("jsonl", "md"),
        default="jsonl",
        help="写到标准输出时的格式 (默认 jsonl; 给出 -o 文件时按扩展名)",
    )
    table_options(p)
    add_divisions(p)
    add_output(p, "输出文件: .xlsx .md 或 .jsonl (默认: JSON Lines 到标准输出); 原子写入")
    add_rules(p)

    p = command("suspects", _cmd_suspects, "疑似错退和疑似漏评的问题清单", _SUSPECTS_EPILOG)
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="建档立卡户记录: .jsonl .parquet .xlsx .csv"
    )
    p.add_argument(
        "--date-field",
        default="exit_date",
        metavar="FIELD",
        help="脱贫认定日期字段 (默认 exit_date)",
    )
    p.add_argument(
        "--year-day", metavar="MM-DD", help="没有认定日期的户按其脱贫年度的这一天复核, 如 11-25"
    )
    p.add_argument(
        "-s",
        "--standard",
        default="gx.household.exit",
        metavar="ID",
        help="脱贫标准 (默认 gx.household.exit)",
    )
    p.add_argument(
        "--non-registered", nargs="+", metavar="FILE", help="未建档立卡农户的记录 (判定疑似漏评)"
    )
    p.add_argument(
        "--identification",
        default="gx.household.identification",
        metavar="ID",
        help="识别标准 (默认 gx.household.identification)",
    )
    p.add_argument("--as-of", metavar="DATE", help="疑似漏评的识别日期 YYYY-MM-DD")
    table_options(p)
    add_divisions(p)
    add_output(p, "输出文件: .xlsx .csv .jsonl .md (默认: Markdown 汇总到标准输出); 原子写入")
    add_rules(p)
    register_summary(command)
