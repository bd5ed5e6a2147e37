"""The ``diff`` and ``impact`` subcommands: two versions of one standard compared, in their
rules and in the results they give the same records (:mod:`fupin_rules.compare`).

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TextIO

from ._canonical import dumps
from .cli_options import (
    add_divisions,
    add_rules,
    library_of,
    output_kind,
    output_stream,
    read_with_progress,
    table_options,
)
from .compare import (
    GROUPS,
    Change,
    ImpactReport,
    diff,
    group_of,
    impact_items,
    impact_of,
    impact_pairs,
)
from .decision import OUTCOME_LABELS
from .errors import UsageError
from .evaluation import parse_day
from .io.commands import table_reader
from .io.inputs import input_kind
from .io.tables import TableReader
from .library import Library
from .model import Result, RuleSet
from .reports import division_names
from .reports.results_book import ResultsBook, criteria_of

__all__ = ["register"]


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    before, after = args.from_ or args.before, args.to or args.after
    if (args.from_ and args.before) or (args.to and args.after) or not (before and after):
        msg = "请指定两个版本: diff -s 标准编号 2016 2018, 或 --from 2016 --to 2018"
        raise UsageError(msg)
    lib = library_of(args)
    a = lib.get(args.standard, version=before)
    b = lib.get(args.standard, version=after)
    changes = diff(a, b)
    if args.json:
        for change in changes:
            out.write(dumps(change.to_dict()) + "\n")
        return 0
    grouped: dict[str, list[Change]] = {key: [] for key, _ in GROUPS}
    for change in changes:
        grouped[group_of(change)].append(change)
    wording = len(grouped["wording"])
    out.write(
        f"{a.key} → {b.key}: {len(changes)} 处变化 (规则的变化 {len(changes) - wording} 处,"
        f" 措辞与依据的变化 {wording} 处)\n"
    )
    for key, title in GROUPS:
        if grouped[key]:
            head = "措辞与依据的变化 (不改变评估结果)" if key == "wording" else title
            out.write(f"{head} ({len(grouped[key])} 处):\n")
            out.writelines(f"  {change}\n" for change in grouped[key])
    return 0


_TRANSITION_ORDER = ("pass", "fail", "not_applicable", "invalid")


def _cmd_impact(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = library_of(args)
    a = lib.get(args.standard, version=args.before)
    b = lib.get(args.standard, version=args.after)
    day = parse_day(args.as_of)
    reader = (
        table_reader(args, lib, a) if any(input_kind(p) == "table" for p in args.inputs) else None
    )
    if output_kind(args.output) == "xlsx":
        report = _impact_book(args, lib, a, b, day, reader, err)
    else:
        pairs = impact_pairs(a, b, args.inputs, as_of=day, tables=reader)
        shown = read_with_progress(args, err, pairs, "评估", tables=reader)
        report = impact_of(a, b, shown, as_of=day)
        if args.output:
            with output_stream(args.output, out) as fh:
                for record in report.changed:
                    fh.write(dumps(record.to_dict()) + "\n")
    moved: Counter[tuple[str, str, str]] = Counter()
    for record in report.changed:
        for move in record.criteria:
            moved[move] += 1
    if args.json:
        summary = {k: v for k, v in report.to_dict().items() if k != "changed"}
        summary["criteria"] = [
            {"criterion": c, "before": x, "after": y, "count": n}
            for (c, x, y), n in sorted(moved.items())
        ]
        out.write(dumps(summary) + "\n")
        return 0
    out.write(
        f"{a.key} → {b.key}, 评估日期 {report.as_of}, 共 {report.total} 条记录; "
        f"结果改变 {sum(1 for r in report.changed if r.before != r.after)} 条\n"
    )
    out.write(f"结果 ({a.version} → {b.version}):\n")
    for (x, y), n in sorted(
        report.transitions.items(),
        key=lambda kv: (_TRANSITION_ORDER.index(kv[0][0]), _TRANSITION_ORDER.index(kv[0][1])),
    ):
        mark = "" if x == y else "  *"
        out.write(f"  {OUTCOME_LABELS[x]} → {OUTCOME_LABELS[y]}: {n}{mark}\n")
    if moved:
        out.write("指标结果的变化:\n")
        for (criterion, x, y), n in sorted(moved.items(), key=lambda kv: (-kv[1], kv[0])):
            out.write(f"  {criterion}: {x} → {y}  {n} 条\n")
    return 0


def _impact_book(
    args: argparse.Namespace,
    lib: Library,
    a: RuleSet,
    b: RuleSet,
    day: str,
    reader: TableReader | None,
    err: TextIO,
) -> ImpactReport:
    """``impact -o F.xlsx``: a workbook of the records whose results moved (both conclusions,
    each criterion's move), the counts per village under both versions, and the report."""
    book = ResultsBook(
        b,
        names=division_names(lib.codelists, args.divisions or ()),
        criteria=criteria_of(b, a),
        before=a,
        as_of=day,
    )

    def pairs() -> Iterator[tuple[Result, Result]]:
        items = impact_items(a, b, args.inputs, as_of=day, tables=reader)
        for item, x, y in read_with_progress(args, err, items, "评估", tables=reader):
            moved = x.outcome != y.outcome or dict(x.outcomes) != dict(y.outcomes)
            book.add(item.record, y, before=x, show=moved)
            yield x, y

    report = impact_of(a, b, pairs(), as_of=day)
    book.save(args.output)
    return report


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``diff`` and ``impact`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "diff",
        _cmd_diff,
        "比较同一标准的两个版本: 指标、参数、派生字段和判定方法的变化",
        "示例:\n  fupin-rules diff -s gx.household.exit 2016 2018\n"
        "  fupin-rules diff -s gx.village.exit --from 2016 --to 2018 --json",
    )
    p.add_argument("--standard", "-s", required=True, metavar="ID", help="标准编号")
    p.add_argument("before", metavar="FROM", nargs="?", help="原版本, 如 2016")
    p.add_argument("after", metavar="TO", nargs="?", help="新版本, 如 2018")
    # The same options as impact's, so that either spelling works for both commands.
    p.add_argument("--from", dest="from_", metavar="V", help="原版本 (同 FROM)")
    p.add_argument("--to", dest="to", metavar="V", help="新版本 (同 TO)")
    p.add_argument("--json", action="store_true", help="每处变化一行 JSON")
    add_rules(p)

    p = command(
        "impact",
        _cmd_impact,
        "修订的影响: 同一批记录在两个版本下、同一评估日期的结果对比",
        "示例:\n"
        "  fupin-rules impact -s gx.household.exit --from 2016 --to 2018 --as-of 2018-11-20 \\\n"
        "      examples/data/households.jsonl -o changed.jsonl",
    )
    p.add_argument("--standard", "-s", required=True, metavar="ID", help="标准编号")
    p.add_argument("--from", dest="before", required=True, metavar="V", help="原版本")
    p.add_argument("--to", dest="after", required=True, metavar="V", help="新版本")
    p.add_argument("--as-of", required=True, metavar="DATE", help="两个版本共用的评估日期")
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="JSON Lines、.parquet 或表格文件; - 表示标准输入",
    )
    table_options(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="结果改变的记录写入此文件: .jsonl 写 JSON Lines; .xlsx 写 Excel 工作簿"
        " (结果改变的户各一行, 两个版本的结论和各指标的变化, 按村统计及图表)",
    )
    add_divisions(p)
    p.add_argument("--json", action="store_true", help="汇总输出为 JSON")
    add_rules(p)
