"""``fupin-rules events check``: dynamic-management events checked, one result line each.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS`` (:func:`register_events_command`).
Output as ``evaluate``: one JSON line per input event (``--brief``: criterion outcomes only),
to standard output or ``-o`` (written atomically), a summary line on standard error, exit code
0 whatever the outcomes; 2 for a usage error or a broken rule file (nothing checked).
``--problems`` also writes the problem list grouped county → township → village.
"""

from __future__ import annotations

import argparse
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from ..calendar.moments import parse_moment
from ..cli_options import add_rules, library_of
from ..errors import UsageError
from ..io.commands import select_headermap
from ..io.inputs import input_kind
from ..io.jsonl import atomic_output
from ..io.tables import TableReader
from ..library import Library
from ..reports import FORMATS, Format, write_problem_list
from .check import EventChecker
from .model import event_types
from .reading import TableForm, read_event_inputs
from .report import event_problem_list

__all__ = ["register_events_command", "run_events_check"]

_EPILOG = """\
示例:
  fupin-rules events check examples/events/events-2018.jsonl
  fupin-rules events check events.jsonl -o results.jsonl --problems 问题清单.xlsx
  fupin-rules events check events.jsonl --at 2018-11-20T18:00 --brief
  fupin-rules events check events.jsonl --param village_notice_days=7 --param township_notice_days=7
  fupin-rules events check 附件6.xlsx --date 2018-10-20
  fupin-rules events check 附件7.csv --type member_decrease --date 2018-11-02 --encoding gbk

每个事项按三方面检查: 事项日期是否在工作日程为它开放的时段内 (精确到分钟); 所附记录是否符合事项日期
施行的标准; 程序步骤是否齐全、有序、不合并、公示天数足够、签字和材料齐全、各在其时段内。
同一户 (村) 的事项按时间先后检查, 后面的事项对照前面事项留下的状态 (成员、计划脱贫等标注)。
每个输入事项一行结果; 无法读入或不符合事项结构的, 结果为 invalid 并注明原因和位置。
表格 (附件6 以户为单位、附件7 以村为单位) 按程序中写明的表头对照读入, 每户一个事项,
须用 --date 给出填表日期。
退出码: 0 全部事项都有结果; 2 用法错误或规则文件有误 (未做任何检查)。
"""


def _parameters(items: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            msg = f"--param 须写成 名称=值, 得到 {item!r}"
            raise UsageError(msg)
        out[name.strip()] = value.strip()
    return out


def _forms(args: argparse.Namespace, lib: Library) -> list[TableForm]:
    """The forms table inputs may be, from the procedures' ``tables`` (``--type``: one)."""
    if args.type is not None and args.type not in event_types():
        msg = f"没有事项类型 {args.type!r} (可用: {', '.join(event_types())})"
        raise UsageError(msg)
    schema = lib.record_schemas.get("household")
    forms: dict[tuple[str, str], TableForm] = {}
    for versions in lib.procedures.values():
        for procedure in versions:
            for event_type, kind in procedure.events.items():
                spec = kind.tables
                if spec is None or schema is None or args.type not in (None, event_type):
                    continue
                if (event_type, spec.headermap) not in forms:
                    hm = select_headermap(lib, "household", spec.headermap)
                    reader = TableReader(hm, schema, encoding=args.encoding)
                    forms[(event_type, spec.headermap)] = TableForm(event_type, spec, reader)
    return [forms[k] for k in sorted(forms)]


@contextlib.contextmanager
def _output(path: str | None, out: TextIO) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield out
        out.flush()
        return
    with atomic_output(path) as fh:
        yield fh


def _problem_format(args: argparse.Namespace) -> Format:
    wanted = args.format or ("md" if args.problems == "-" else None)
    suffix = wanted or Path(args.problems).suffix.lower().lstrip(".")
    for known in FORMATS:
        if known == suffix:
            return known
    msg = f"无法从扩展名 .{suffix} 判断问题清单的格式, 请用 --format 指定"
    raise UsageError(msg)


def run_events_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``fupin-rules events check`` with parsed ``args``; return the exit code."""
    if args.date is not None:
        parse_moment(args.date)  # refused at once (UsageError) if it is no moment
    fmt = _problem_format(args) if args.problems else None
    lib = library_of(args)
    checker = EventChecker(
        lib, calendar=args.calendar, at=args.at, parameters=_parameters(args.param)
    )
    tables = any(input_kind(p) == "table" for p in args.inputs)
    forms = _forms(args, lib) if tables else []
    items = list(read_event_inputs(args.inputs, forms=forms, date=args.date))
    results = checker.check_all(items)
    if args.problems != "-" or args.output:
        with _output(args.output, out) as fh:
            for result in results:
                fh.write(result.to_json(findings=not args.brief) + "\n")
    if args.problems and fmt is not None:
        pl = event_problem_list(items, results, inputs=list(args.inputs))
        target = None if args.problems == "-" else args.problems
        write_problem_list(pl, target, fmt, stdout=out)
    for form in forms:
        if form.reader.stats.rows_read:
            err.write(f"{form.spec.headermap}: {form.reader.stats.summary()}\n")
    counts = Counter(r.outcome for r in results)
    unread = sum(1 for item in items if item.error is not None)
    err.write(
        f"检查事项 {len(results)} 条: 符合要求 {counts['pass']}、不符合要求 {counts['fail']}、"
        f"无法判定 {counts['invalid']}" + (f" (其中 {unread} 条无法读入)" if unread else "") + "\n"
    )
    return 0


def register_events_command(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``events`` (with its subcommand ``check``) through the CLI's ``command``."""
    del sub

    def missing(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        msg = "请给出子命令, 如 fupin-rules events check 事项.jsonl"
        raise UsageError(msg)

    parser = command("events", missing, "动态管理事项: 按时段、标准和程序检查", _EPILOG)
    inner = parser.add_subparsers(dest="events_command", metavar="SUBCOMMAND")
    p = inner.add_parser(
        "check",
        help="检查事项, 每个事项一行结果",
        description="检查动态管理事项: 时段、标准和程序, 每个事项一行结果 (JSON Lines)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(handler=run_events_check)
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="事项文件: JSON Lines (每行一个事项), 或附件6/附件7 表格 (.xlsx .csv);"
        " - 或省略为标准输入",
    )
    p.add_argument("-o", "--output", metavar="OUT", help="结果文件 (默认: 标准输出); 原子写入")
    p.add_argument("--brief", action="store_true", help="只写各项检查的结论, 不写说明")
    p.add_argument(
        "--problems",
        metavar="OUT",
        help="另写问题清单 (按县、乡、村分组): .xlsx .csv .jsonl .md; - 为标准输出 (Markdown)",
    )
    p.add_argument("--format", choices=list(FORMATS), help="问题清单的格式 (默认按扩展名)")
    p.add_argument(
        "--at",
        metavar="MOMENT",
        help="检查时刻 (北京时间): 时段尚未结束的步骤不算缺少 (默认: 所有步骤都应已完成)",
    )
    p.add_argument(
        "--calendar", metavar="ID@VERSION", help="按这个工作日程检查时段 (默认: 事项日期施行中的)"
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="指定程序参数 (如来源未给出的公示天数), 可多次使用",
    )
    p.add_argument("--type", metavar="TYPE", help="表格中事项的类型 (默认按表头识别)")
    p.add_argument("--date", metavar="DATE", help="表格的填表日期, 即表格中各事项的日期")
    p.add_argument("--encoding", metavar="ENC", help="CSV 编码 (默认自动识别 UTF-8/GB18030)")
    add_rules(p)
