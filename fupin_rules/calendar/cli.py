"""``fupin-rules calendar``: the command line of calendars."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from .._canonical import dumps
from ..errors import NotFoundError, UsageError
from ..io.jsonl import write_atomic
from .lint import lint_calendar
from .loading import bundled_calendars, load_calendar, select_calendar
from .model import Calendar
from .moments import CST, parse_moment, show_bound, show_moment
from .render import to_ics, to_svg

__all__ = ["add_calendar_arguments", "register_calendar_command", "run_calendar_command"]

# ---------------------------------------------------------------------------------------------
# Command line (``fupin-rules calendar``)


def add_calendar_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``fupin-rules calendar`` to ``parser``."""
    parser.add_argument("--calendar", metavar="ID[@VERSION]", help="日历编号 (可带 @版本)")
    parser.add_argument("--file", metavar="PATH", help="直接读取这个日历文件")
    parser.add_argument(
        "--rules",
        "--standards",
        dest="standards",
        metavar="DIR",
        help="在这个规则目录下查找日历 (默认: 随包附带的 standards/); --standards 是旧写法",
    )
    parser.add_argument("--json", action="store_true", help="输出 JSON (供程序使用)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--on", metavar="MOMENT", help="这个时间开放哪些节点和工作事项")
    what.add_argument(
        "--check",
        metavar="ACTION",
        help="检查某项工作 (或某项成果) 是否按时 (与 --at 同用); 有截止时间的以截止时间为准",
    )
    what.add_argument("--due-within", metavar="DAYS", type=int, help="N 天内到期的节点和成果")
    what.add_argument("--lint", action="store_true", help="检查日历中的不一致")
    what.add_argument("--ics", metavar="FILE", help="导出 iCalendar 文件")
    what.add_argument("--svg", metavar="FILE", help="导出甘特图 (SVG)")
    parser.add_argument("--at", metavar="MOMENT", help="与 --check 同用: 工作完成的时间")
    parser.add_argument("--from", dest="from_", metavar="DATE", help="与 --due-within 同用")
    parser.add_argument("--today", metavar="DATE", help="与 --svg 同用: 在图上标出这一天")


_CALENDAR_EPILOG = (
    "示例:\n"
    "  fupin-rules calendar --on 2018-11-20T09:00\n"
    "  fupin-rules calendar --check household_exit_certification --at 2018-11-27T10:00\n"
    "  fupin-rules calendar --check summary_report --at 2018-12-12T17:59\n"
    "  fupin-rules calendar --due-within 7 --from 2018-12-10\n"
    "  fupin-rules calendar --lint --calendar town.dynamic-management@2018\n"
    "  fupin-rules calendar --ics plan.ics\n"
    "  fupin-rules calendar --svg plan.svg --today 2018-11-20\n"
    "\n时间均为北京时间; 不指定 --calendar 时, 使用所问日期施行中的随包日历。\n"
    "--check 不按时 (不在时段内或已过截止时间)、--lint 发现问题时退出码为 1。"
)


def register_calendar_command(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``calendar`` through the CLI's ``command(name, handler, help, epilog)`` helper."""
    del sub  # the helper already knows the subparsers

    def handler(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        del err
        return run_calendar_command(args, out)

    parser = command(
        "calendar",
        handler,
        "工作时间节点: 开放事项、时段检查、到期提醒、检查与导出",
        _CALENDAR_EPILOG,
    )
    add_calendar_arguments(parser)


def run_calendar_command(
    args: argparse.Namespace, out: TextIO, *, today: date | None = None
) -> int:
    """Run ``fupin-rules calendar`` with parsed ``args``, writing to ``out``; return the exit code.

    ``today`` is used only when ``--due-within`` is given without ``--from``; when it is ``None``
    the current date in China Standard Time is read, and the output says so.
    """
    as_of: str | date | None = args.on or args.at or args.from_ or args.today
    notice = None
    if args.due_within is not None and args.from_ is None:
        if today is None:
            today = datetime.now(CST).date()
        as_of = today
        notice = f"(未给出 --from, 按今天 {today.isoformat()} 计算)"
    if args.check and not args.at:
        msg = "--check 需要同时给出 --at 时间"
        raise UsageError(msg)
    try:
        cal = _command_calendar(args, as_of)
    except NotFoundError as exc:
        if notice is None:
            raise
        raise NotFoundError(f"{exc} {notice}") from None
    if args.lint:
        problems = lint_calendar(cal)
        if args.json:
            out.write(dumps([p.to_dict() for p in problems], indent=2) + "\n")
        else:
            for p in problems:
                out.write(f"{p}\n")
            out.write(f"{cal.id}@{cal.version}: 发现 {len(problems)} 处不一致\n")
        return 1 if problems else 0
    if args.ics:
        write_atomic(Path(args.ics), to_ics(cal).encode("utf-8"))
        out.write(f"已导出 iCalendar: {args.ics}\n")
        return 0
    if args.svg:
        write_atomic(Path(args.svg), to_svg(cal, today=args.today).encode("utf-8"))
        out.write(f"已导出甘特图: {args.svg}\n")
        return 0
    if args.on:
        opened = cal.open_at(args.on)
        if args.json:
            out.write(dumps(opened.to_dict(), indent=2) + "\n")
            return 0
        out.write(f"{cal.title} ({cal.id}@{cal.version})\n")
        out.write(f"{show_moment(opened.moment)} 开放的节点:\n")
        for n in opened.nodes:
            out.write(f"  {n.section} {n.label}: {n.window_text}\n")
        if not opened.nodes:
            out.write("  (无)\n")
        out.write("可以开展的工作:\n")
        for a in opened.actions:
            out.write(f"  {a.label} ({a.id})\n")
        if not opened.actions:
            out.write("  (无)\n")
        return 0
    if args.check:
        result = cal.check(args.check, args.at)
        if args.json:
            out.write(dumps(result.to_dict(), indent=2) + "\n")
        else:
            mark = {"ok": "按时", "early": "过早", "late": "逾期", "between": "不在时段内"}
            out.write(f"[{mark[result.status]}] {result.message}\n")
            if result.section:
                out.write(f"依据: 方案 {result.section}\n")
            for note in result.notes:
                out.write(f"注意: {note}\n")
        return 0 if result.ok else 1
    start: str | date = args.from_ or today or ""
    items = cal.due_within(start, args.due_within)
    if args.json:
        out.write(dumps([i.to_dict() for i in items], indent=2) + "\n")
        return 0
    if notice:
        out.write(notice + "\n")
    first = parse_moment(start).date()
    out.write(f"{first.isoformat()} 起 {args.due_within} 天内到期:\n")
    for i in items:
        kind = "成果" if i.kind == "deliverable" else "结束"
        out.write(f"  {show_bound(i.due_text)}  [{kind}] {i.section} {i.label}\n")
    if not items:
        out.write("  (无)\n")
    return 0


def _command_calendar(args: argparse.Namespace, as_of: str | date | None) -> Calendar:
    if args.file:
        return load_calendar(args.file)
    calendars = bundled_calendars(args.standards)
    return select_calendar(calendars, calendar_id=args.calendar, as_of=as_of)
