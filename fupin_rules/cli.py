"""The ``fupin-rules`` command. Thin: it parses arguments and calls the library.

Exit codes (docs/cli.md#exit-codes): 0 done (whatever the outcomes of the records); 1 the
check asked for found problems (lint, failing examples, a calendar check out of window); 2 a
usage error or a broken rule file (nothing was evaluated); 3 an internal error (a bug; for
``evaluate``, the records it hit are ``invalid`` results and the others were evaluated); 4 a
file could not be read or written (a full disk, a missing permission); 130 interrupted
(Ctrl-C); 143 terminated (SIGTERM). Output files are then left as they were.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from ._canonical import dumps
from ._version import __version__
from .cli_options import (
    add_divisions,
    add_quiet,
    add_rules,
    input_meter,
    library_of,
    output_kind,
    output_stream,
    read_with_progress,
    reporting,
    table_options,
)
from .cli_parser import Parser
from .console import prepare
from .dated import DatedEvaluator, out_of_period
from .decision import OUTCOME_LABELS
from .errors import FileError, FupinRulesError, RuleFileError, UsageError
from .evaluation import parse_day
from .io.inputs import input_kind, read_inputs
from .io.jsonl import InputRecord, result_line
from .library import Library
from .model import Result, RuleSet
from .parallel import evaluate_each, evaluate_inputs, spec_from_args
from .progress import Meter
from .tally import Tally

if TYPE_CHECKING:
    from .io.tables import TableReader

__all__ = ["main"]


Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


# --------------------------------------------------------------------------- helpers


def _library(args: argparse.Namespace) -> Library:
    return library_of(args)


def _ruleset(args: argparse.Namespace, lib: Library) -> RuleSet:
    if args.as_of is None and args.version is None:
        msg = "请给出 --as-of 日期 (选用当日施行的版本) 或 --version 版本号"
        raise UsageError(msg)
    rs = lib.get(args.standard, as_of=args.as_of, version=args.version)
    overrides = _overrides(args)
    return rs.with_parameters(overrides) if overrides else rs


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """The ``--param NAME=VALUE`` values."""
    overrides: dict[str, str] = {}
    for item in args.param or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            msg = f"--param 须写成 名称=值, 得到 {item!r}"
            raise UsageError(msg)
        overrides[name.strip()] = value.strip()
    return overrides


def _dated(args: argparse.Namespace, lib: Library) -> tuple[RuleSet, DatedEvaluator]:
    """``--as-of-field``: each record under the version in force on its own date (``--as-of``
    for records without one), and the newest version, which names unreadable lines."""
    if args.version is not None:
        msg = "--as-of-field 按各记录自己的日期选用版本, 不能与 --version 同用"
        raise UsageError(msg)
    dated = DatedEvaluator(
        lib, args.standard, args.as_of_field, default=args.as_of, parameters=_overrides(args)
    )
    fields = dated.base.record_schema.fields
    if args.as_of_field not in fields:
        close = difflib.get_close_matches(args.as_of_field, list(fields), n=3)
        msg = f"--as-of-field: 记录结构中没有字段 {args.as_of_field!r}" + (
            f" (是否要找: {', '.join(close)}?)" if close else ""
        )
        raise UsageError(msg)
    return dated.base, dated


def _table_reader(args: argparse.Namespace, lib: Library, rs: RuleSet) -> TableReader:
    # Spreadsheets need openpyxl and the header maps: imported only when one is read.
    from .io.commands import table_reader

    return table_reader(args, lib, rs)


def _spreadsheets(paths: Sequence[str]) -> bool:
    return any(input_kind(p) == "table" for p in paths)


def _add_selection(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    p.add_argument(
        "--standard", "-s", required=required, metavar="ID", help="标准编号, 如 gx.household.exit"
    )
    p.add_argument("--as-of", metavar="DATE", help="评估日期 YYYY-MM-DD: 选用当日施行的版本和参数")
    p.add_argument(
        "--version", metavar="V", help="指定版本 (审计时重跑历史版本); 可与 --as-of 同用"
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="指定参数值 (如来源未确认的年度标准), 可多次使用; 结果的指纹随之改变",
    )
    add_rules(p)


# --------------------------------------------------------------------------- commands


def _cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = _library(args)
    rows = []
    for rs in lib:
        rows.append(
            {
                "kind": "ruleset",
                "id": rs.id,
                "version": rs.version,
                "title": rs.title,
                "subject": rs.subject,
                "effective_from": rs.effective_from,
                "effective_until": rs.effective_until,
                "extends": rs.extends,
                "criteria": len(rs.criteria),
                "fingerprint": rs.fingerprint,
            }
        )
    for cid, cals in lib.calendars.items():
        for cal in cals:
            rows.append(
                {
                    "kind": "calendar",
                    "id": cid,
                    "version": cal.version,
                    "title": cal.title,
                    "effective_from": str(cal.effective_from),
                    "effective_until": str(cal.effective_until) if cal.effective_until else None,
                    "fingerprint": cal.fingerprint,
                }
            )
    if args.json:
        for row in rows:
            out.write(dumps(row) + "\n")
        return 0
    for row in rows:
        span = f"{row['effective_from']} 至 {row['effective_until'] or '今'}"
        extra = f"  修订自 {row['extends']}" if row.get("extends") else ""
        count = f"  {row['criteria']} 项指标" if "criteria" in row else "  (日程)"
        out.write(
            f"{row['id']}@{row['version']}  {row['title']}\n"
            f"    施行 {span}{extra}{count}  指纹 {str(row['fingerprint'])[:19]}\n"
        )
    if lib.codelists:
        out.write(f"代码表: {', '.join(sorted(lib.codelists))}\n")
    return 0


def _cmd_evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = _library(args)
    dated = None
    if args.as_of_field:
        rs, dated = _dated(args, lib)
    else:
        rs = _ruleset(args, lib)
        if args.version is not None and args.as_of is not None:
            warning = out_of_period(rs, parse_day(args.as_of))
            if warning:
                err.write(warning + " (审计时按历史版本重跑可以如此; 否则请核对 --version)\n")
    reader = _table_reader(args, lib, rs) if _spreadsheets(args.inputs) else None
    book = output_kind(args.output) == "xlsx"
    if (reader is not None or dated is not None or book) and args.jobs not in (None, 0, 1):
        err.write(
            "注意: 表格输入、--as-of-field 和 .xlsx 输出在一个进程中读取和评估, --jobs 不起作用\n"
        )
    by_units = None if book or reader is not None or dated is not None else args.inputs
    screen = out if args.output in (None, "-") else None  # results on the terminal: no meter
    with input_meter(args, err, by_units, out=screen) as shown, reporting(reader, shown):
        if book:
            tally = _evaluate_book(args, lib, rs, dated, reader, shown)
        else:
            with output_stream(args.output, out) as fh, _logged(fh, args.log) as sink:
                tally = evaluate_inputs(
                    spec_from_args(args, rs),
                    args.inputs,
                    sink,
                    jobs=args.jobs,
                    findings=False if args.brief else args.findings,
                    tables=reader,
                    dated=dated,
                    meter=shown,
                )
    if reader is not None:
        err.write(reader.stats.summary() + "\n")
    err.write(_evaluate_summary(rs, tally, tables=reader is not None, dated=dated) + "\n")
    if args.log:
        err.write(f"决策日志: 追加 {tally.results} 行 → {args.log}\n")
    if not tally.errors:
        return 0
    err.write(
        f"运行中出现 {tally.errors} 处内部错误; 所涉记录已写为 invalid 结果并注明原因,"
        " 其余记录照常评估:\n"
    )
    for failure in tally.failures:
        name = f" (编号 {failure.record_id})" if failure.record_id else ""
        err.write(f"  {failure.source}{name}: {failure.error}\n")
        if _debug(args) and failure.trace:
            err.write("    " + failure.trace.rstrip().replace("\n", "\n    ") + "\n")
    if tally.errors > len(tally.failures):
        err.write(f"  (另有 {tally.errors - len(tally.failures)} 处未列出)\n")
    err.write(_REPORT + "\n")
    return _INTERNAL


def _evaluate_book(
    args: argparse.Namespace,
    lib: Library,
    rs: RuleSet,
    dated: DatedEvaluator | None,
    reader: TableReader | None,
    shown: Meter,
) -> Tally:
    """``evaluate -o results.xlsx``: every record in this process, one row each in a results
    workbook (and with ``--log`` its decision-log line, as for JSON Lines), counted on
    ``shown``."""
    from .reports import division_names
    from .reports.results_book import ResultsBook, criteria_of

    versions = [v for v in lib if v.id == rs.id] if dated is not None else [rs]
    book = ResultsBook(
        rs,
        names=division_names(lib.codelists, args.divisions or ()),
        criteria=criteria_of(*reversed(versions)),
        as_of=None if dated is not None else str(rs.default_as_of or rs.effective_from),
    )
    with open(os.devnull, "w", encoding="utf-8") as null, _logged(null, args.log) as sink:

        def emit(item: InputRecord, result: Result) -> None:
            book.add(item.record, result)
            if args.log:
                sink.write(result_line(result, findings=False) + "\n")

        items = shown.track(read_inputs(args.inputs, tables=reader))
        tally = evaluate_each(dated if dated is not None else rs, items, emit)
        book.save(args.output)
    return tally


@contextlib.contextmanager
def _logged(fh: TextIO, log: str | None) -> Iterator[TextIO]:
    """``fh``, and with ``--log`` every result's decision-log line appended once the output
    is complete (an interrupted run logs nothing)."""
    if log is None:
        yield fh
        return
    from .audit_commands import LogSpool

    with LogSpool(fh, log) as spool:
        yield cast(TextIO, spool)  # a text stream: write() and flush() are what is used
        spool.commit()


def _evaluate_summary(
    rs: RuleSet, tally: Tally, *, tables: bool, dated: DatedEvaluator | None = None
) -> str:
    """The line ``evaluate`` ends with: what was read, evaluated and rejected (they add up)
    and the outcomes. For tables the reader's line before it says what was read."""
    rejected = f"拒收 {tally.rejected} 行"
    if tally.failed or tally.crashed:
        kinds = (
            (tally.unreadable, "无法读成记录"),
            (tally.failed, "内部错误"),
            (tally.crashed, "工作进程终止"),
        )
        rejected += " (" + "、".join(f"{label} {n}" for n, label in kinds if n) + ")"
    blank = f", 空行 {tally.blank} 行" if tally.blank else ""
    read = "" if tables else f"读入 {tally.read} 行: "
    counts = tally.counts
    outcomes = "、".join(
        f"{OUTCOME_LABELS[k]} {counts[k]}" for k in ("pass", "fail", "not_applicable", "invalid")
    )
    if dated is not None:
        label = rs.record_schema.label(dated.field)
        fallback = f", 无日期的按 {dated.default}" if dated.default else ""
        head = f"{rs.id} (各记录按「{label}」({dated.field}) 的日期选用版本和参数{fallback})"
    else:
        day = rs.default_as_of or rs.effective_from
        head = f"{rs.key} (评估日期 {day}, 指纹 {rs.fingerprint[:19]})"
    return f"{head}: {read}评估 {tally.evaluated} 条记录, {rejected}{blank}; 结果: {outcomes}"


def _cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .explain import evaluate_items, explain_text, write_chosen

    if args.results is not None:
        if args.input is not None or args.standard is not None:
            msg = "--results 说明保存的结果, 不能与 INPUT 或 --standard 同用"
            raise UsageError(msg)
        from .audit_commands import explain_results

        return explain_results(args, out, err)
    if args.input is None or args.standard is None:
        msg = "缺少必需的参数: " + ("--standard/-s" if args.input else "INPUT")
        raise UsageError(msg + " (或用 --results 说明保存的结果)")
    lib = _library(args)
    rs = _ruleset(args, lib)
    reader = _table_reader(args, lib, rs) if _spreadsheets([args.input]) else None
    read = read_with_progress(args, err, read_inputs([args.input], tables=reader), out=out)
    shown = write_chosen(
        (result for _, result in evaluate_items(rs, read)),
        lambda result: explain_text(result, rs, only_failed=args.only_failed),
        out,
        record_id=args.id,
        limit=args.limit,
    )
    if args.id is not None and not shown:
        msg = f"输入中没有编号为 {args.id!r} 的记录"
        raise UsageError(msg)
    return 0


# --------------------------------------------------------------------------- parser

_DEBUG_HELP = (
    "出现内部错误时显示调用栈 (traceback), 供报告问题 (也可设置环境变量 FUPIN_RULES_DEBUG=1)"
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``fupin-rules`` command; with ``only`` (a command's name)
    one that declares, of the commands other modules add, only those of that command's module:
    enough to parse that command's arguments, without importing the rest."""
    parser = Parser(
        prog="fupin-rules",
        description="精准扶贫动态管理标准 (版本化 YAML 规则) 的检查与评估工具。",
        epilog=(
            "示例:\n"
            "  fupin-rules list\n"
            "  fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 h.jsonl -o r.jsonl\n"
            "  fupin-rules explain -s gx.household.exit --as-of 2018-11-20 --id 4501... h.jsonl\n"
            "  fupin-rules lint standards/\n"
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"fupin-rules {__version__}", help="显示版本号并退出"
    )
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    add_quiet(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(
        name: str, handler: Handler, help_text: str, epilog: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=epilog)
        p.set_defaults(handler=handler)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
        add_quiet(p, sub=True)
        return p

    p = command(
        "list",
        _cmd_list,
        "列出标准、版本、施行日期和指纹",
        "示例:\n  fupin-rules list\n  fupin-rules list --json",
    )
    add_rules(p)
    p.add_argument("--json", action="store_true", help="每行一个 JSON 对象")

    groups = [g for g in _EXTENSIONS if only is None or only in g[0]]
    if groups and groups[0][1] is _register_rule_commands:
        groups.pop(0)[1](sub, command)  # listed before evaluate in --help

    p = command(
        "evaluate",
        _cmd_evaluate,
        "用某一标准评估记录, 每条记录得到一行结果",
        "示例:\n"
        "  fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 h.jsonl -o results.jsonl\n"
        "  fupin-rules evaluate -s gx.household.exit --version 2016 --as-of 2017-11-30 old.jsonl\n"
        "  fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 导出.xlsx -o r.jsonl\n"
        "  cat households.jsonl | fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 -\n"
        "\n无法读取或解析的行 (如不是 UTF-8 编码、不是 JSON) 输出为 invalid 结果并注明行号,"
        " 其后各行照常评估; 表格 (每名成员一行) 按户编号合成一户, 无法合成的行也输出为 invalid"
        " 结果。退出码: 0 全部行都有结果; 3 内部错误 (所涉记录写为 invalid 结果, 其余照常评估);"
        " 4 文件无法读写; 130、143 被中断 (结果文件不写出, 原有文件不变)。",
    )
    _add_selection(p)
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="JSON Lines 文件 (每行一条记录)、.parquet 文件或表格 (.xlsx .csv);"
        " - 或省略表示标准输入",
    )
    table_options(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="结果文件 (默认: 标准输出), 原子写入: .jsonl 或无扩展名写 JSON Lines;"
        " .xlsx 写 Excel 工作簿 (每户一行, 各指标 ✓✗?-, 未达标原因, 按村统计及图表)",
    )
    add_divisions(p)
    p.add_argument(  # --jobs (fupin_rules/parallel.py)
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="并行进程数 (0 表示每个 CPU 核一个; 默认: 输入约 2 万条记录以上时每核一个,"
        " 至多 8 个, 否则 1; 标准输入为 1); 输出与单进程逐字节相同",
    )
    p.add_argument(
        "--brief",
        action="store_true",
        help='只写各指标结论 ("outcomes": {指标: 结论}), 不写说明、取值和来源; '
        "大批量评估时输出小得多, 也快得多",
    )
    p.add_argument(
        "--findings",
        choices=("lean", "full"),
        default="lean",
        help="各指标说明的写法: lean (默认, 格式 2) 只写本记录的结论、取值和未达标说明,"
        " 名称、来源、参数和固定说明由规则 (按指纹) 补全; full 每条结果写出全部说明",
    )
    p.add_argument(
        "--as-of-field",
        metavar="FIELD",
        help="按每条记录自己的日期 (如脱贫日期字段) 选用当日施行的版本和参数;"
        " 同时给 --as-of 时, 该字段为空的记录按 --as-of 评估",
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="决策日志: 每条结果追加一行 (记录摘要、标准@版本、指纹、日期、参数、各指标结论),"
        " 只追加不改写; 可用 fupin-rules verify 核对",
    )

    p = command(
        "explain",
        _cmd_explain,
        "以中文逐项说明记录的评估结果, 或保存的结果 (--results)",
        "示例:\n"
        "  fupin-rules explain -s gx.household.exit --as-of 2018-11-20 --id 450100000001 h.jsonl\n"
        "  fupin-rules explain --results r.jsonl --id 450100000001\n\n"
        "--results 按每行结果记下的版本和指纹找到产生它的规则 (旧版本用 --rules 给出),"
        " 不重新评估;\n"
        "精简行 (evaluate 默认写出的) 逐项说明, --brief 的结果和决策日志列出各指标的结论。",
    )
    _add_selection(p, required=False)
    p.add_argument(
        "input",
        metavar="INPUT",
        nargs="?",
        help="JSON Lines、.parquet 或表格文件, 或 - 表示标准输入 (须同时给出 --standard)",
    )
    p.add_argument(
        "--results",
        metavar="FILE",
        help="说明 evaluate 保存的结果 (JSON Lines; - 表示标准输入), 而不是记录",
    )
    table_options(p)
    p.add_argument("--id", metavar="RECORD_ID", help="只说明这一编号的记录")
    p.add_argument("--limit", type=int, default=1, help="不指定 --id 时说明前几条记录 (默认 1)")
    p.add_argument(
        "--only-failed", action="store_true", help="只列出未达标或无法判定的指标 (结论和原因照常)"
    )

    for _names, register in groups:
        register(sub, command)
    return parser


# Each module that adds commands is imported only to declare them: a run of one command
# imports the module of that command alone (see :func:`build_parser`), as most of them pull
# in heavy dependencies (jsonschema, openpyxl, pyarrow, the site and report writers).
Register = Callable[[Any, Callable[..., argparse.ArgumentParser]], None]


def _register_rule_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .rule_commands import register

    register(sub, command)


def _register_compare(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .compare_commands import register

    register(sub, command)


def _register_calendar(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .calendar.cli import register_calendar_command

    register_calendar_command(sub, command)


def _register_io(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .io.commands import register

    register(sub, command)


def _register_events(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .events.cli import register_events_command

    register_events_command(sub, command)


def _register_site(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .site.cli import register_site_command

    register_site_command(sub, command)


def _register_audit(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .audit_commands import register

    register(sub, command)


def _register_forms(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .forms.cli import register

    register(sub, command)


def _register_plans(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .deliverables.cli import register

    register(sub, command)


def _register_collect(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    from .collect_commands import register

    register(sub, command)


_EXTENSIONS: tuple[tuple[frozenset[str], Register], ...] = (
    (frozenset({"lint", "test"}), _register_rule_commands),
    (frozenset({"diff", "impact"}), _register_compare),
    (frozenset({"calendar"}), _register_calendar),
    (frozenset({"check", "convert"}), _register_io),
    (frozenset({"events"}), _register_events),
    (frozenset({"site"}), _register_site),
    (frozenset({"verify"}), _register_audit),
    (frozenset({"template"}), _register_forms),
    (frozenset({"adjust", "suspects", "summary"}), _register_plans),
    (frozenset({"villages", "worklist"}), _register_collect),
)
"""The commands other modules add, in the order of ``--help``: the names each function adds
(tests/test_startup.py holds them to what it declares) and the function, which is given the
subparsers and the ``command(name, handler, help, epilog)`` helper."""

_TOP_FLAGS = frozenset({"--debug", "-q", "--quiet"})


def _command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when that is plain: its first word, after nothing but the
    top-level flags, is a command's name. None otherwise (``--help``, a misspelt or missing
    command), where the whole parser is built, to list every command."""
    known = {"list", "evaluate", "explain"}.union(*(names for names, _ in _EXTENSIONS))
    for word in argv:
        if word in _TOP_FLAGS:
            continue
        return word if word in known else None
    return None


_INTERNAL = 3
_FILES = 4
_INTERRUPTED = 130
_TERMINATED = 143

_REPORT = (
    f"这是 fupin-rules 的缺陷, 不是数据或规则文件的问题。请报告给 fupin-rules 的维护者,"
    f" 附上所用的命令和版本 (fupin-rules {__version__}); 加 --debug 或设置环境变量"
    " FUPIN_RULES_DEBUG=1 重新运行可显示调用栈 (traceback)。请勿附上户的个人信息。"
)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``finally`` runs: temporary files go,
    outputs are left as they were. (A BaseException: no ``except Exception`` keeps it.)"""


@contextlib.contextmanager
def _terminable() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` while the command runs (a second one kills)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise _Terminated

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _debug(args: argparse.Namespace) -> bool:
    """Whether to show tracebacks: ``--debug`` or ``FUPIN_RULES_DEBUG`` set (not 0)."""
    return bool(getattr(args, "debug", False)) or os.environ.get(
        "FUPIN_RULES_DEBUG", ""
    ).strip() not in ("", "0")


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; return the exit code."""
    out = out or prepare(sys.stdout)  # a GBK console: ✓ written as √, never a crash
    err = err or prepare(sys.stderr)
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(only=_command_of(words))
    args = parser.parse_args(words)
    try:
        with _terminable():
            if getattr(args, "as_of", None):
                args.as_of = parse_day(args.as_of)
            handler: Handler = args.handler
            return handler(args, out, err)
    except RuleFileError as exc:
        err.write(f"规则文件有误, 未做任何评估:\n{exc}\n")
        return 2
    except FileError as exc:
        err.write(f"错误: {exc}\n")
        return _FILES
    except FupinRulesError as exc:
        err.write(f"错误: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:  # not a named file: standard input or output
        where = exc.filename or "标准输入或输出"
        err.write(f"错误: {FileError(where, '读写', exc)}\n")
        return _FILES
    except KeyboardInterrupt:
        err.write("已中断 (Ctrl-C); 结果文件未写出, 原有的文件 (若有) 未改动\n")
        return _INTERRUPTED
    except _Terminated:
        err.write("已终止 (SIGTERM); 结果文件未写出, 原有的文件 (若有) 未改动\n")
        return _TERMINATED
    except Exception as exc:  # noqa: BLE001 - a bug: said so, with how to report it
        if _debug(args):
            err.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        err.write(f"内部错误: {type(exc).__name__}: {exc}\n{_REPORT}\n")
        return _INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
