"""The ``villages`` and ``worklist`` subcommands: village figures counted from the households,
and what to collect on the household visit.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS`` (see :func:`register`).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from ._canonical import dumps
from .cli_options import (
    RECORD_KINDS,
    TABLE_KINDS,
    add_divisions,
    add_rules,
    add_standard_day,
    library_of,
    meter_of,
    output_kind,
    output_stream,
    read_with_progress,
    table_options,
)
from .errors import UsageError
from .io.commands import select_headermap
from .io.files import atomic_output
from .io.inputs import read_inputs
from .io.jsonl import InputRecord
from .io.spreadsheets import csv_cell, write_xlsx, xlsx_value
from .io.tables import TableReader, records_to_rows
from .library import Library
from .model import RuleSet
from .reports import division_names
from .reports.sheets import apply_print_setup, filter_header
from .reports.worklist import build_worklist, write_worklist
from .village_figures import FilledVillage, fill_villages, village_figures

__all__ = ["register"]

_VILLAGES_EPILOG = """\
示例:
  fupin-rules villages --as-of 2018-11-20 导出.csv -o villages.jsonl --figures 汇总口径.xlsx
  fupin-rules villages --as-of 2018-11-20 导出.csv --villages 村表.xlsx \\
      --all-households 全村农户花名册.xlsx -o villages.xlsx
  fupin-rules evaluate -s gx.village.exit --as-of 2018-11-20 villages.jsonl

由户数据汇总村级数据, 供 evaluate -s gx.village.exit 使用。全国系统导出表只有建档立卡户, 由它只
汇总未脱贫户数、未脱贫人口数 (贫困发生率的分子) 和建档立卡户数; 住房、饮水、用电、电视、医保等
“行政村内98%以上农户”的比例须有全村农户的花名册 (--all-households, 与导出表同样的表头), 按
--household-standard (默认 gx.household.exit) 在 --as-of 当日的指标逐户认定后计数。
--villages 给出村表时只填写村表中空着的数; 村表已填而与汇总不同的, 保留村表的数并在标准错误和
--figures 中列出。某村有一户缺所需数据 (或有一行无法导入) 时, 该数不汇总 (留空, 该项无法判定)。
--figures 写出每村每个数的汇总口径: 计算方法、依据、户数、缺数据的户。
"""

_WORKLIST_EPILOG = """\
示例:
  fupin-rules worklist -s gx.household.exit --as-of 2018-11-20 导出.csv -o 采集清单.xlsx
  fupin-rules worklist -s gx.household.exit --as-of 2018-11-20 导出.csv -o 采集清单.csv

对无法判定的户 (有指标“无法判定”), 按村列出入户时要采集的字段 (中文名称)、户主和涉及的指标;
记录无效的户和无法导入的行也各列一行 (须先更正)。XLSX 有“汇总” (每村户数、项数) 和“采集清单”两张表。
最后一行 (标准错误) 给出合计。退出码: 0 清单为空; 1 清单有内容; 2 用法错误。
"""


def _reader(lib: Library, subject: str, args: argparse.Namespace) -> TableReader:
    schema = lib.record_schemas[subject]
    hm = select_headermap(lib, subject, getattr(args, "header_map", None))
    return TableReader(hm, schema, encoding=getattr(args, "encoding", None))


def _read(
    args: argparse.Namespace, reader: TableReader, inputs: Sequence[str], err: TextIO
) -> list[InputRecord]:
    read = read_inputs(list(inputs), tables=reader)
    items = list(read_with_progress(args, err, read, tables=reader))
    for warning in reader.stats.warnings:
        err.write(f"注意: {warning}\n")
    err.write(reader.stats.summary() + "\n")
    return items


def _standard(lib: Library, wanted: str, as_of: str) -> RuleSet:
    rid, _, version = wanted.partition("@")
    return lib.get(rid, as_of=as_of, version=version or None)


def _cmd_villages(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind = output_kind(args.output, RECORD_KINDS)
    figures_kind = output_kind(args.figures, TABLE_KINDS) if args.figures else None
    lib = library_of(args)
    household = lib.record_schemas["household"]
    registered = _read(args, _reader(lib, "household", args), args.inputs, err)
    roster = None
    rules = None
    if args.all_households:
        roster = _read(args, _reader(lib, "household", args), args.all_households, err)
        rules = _standard(lib, args.household_standard, args.as_of)
    counted = village_figures(
        registered, household, all_households=roster, household_rules=rules, as_of=args.as_of
    )
    village_schema = lib.record_schemas["village"]
    table: list[dict[str, Any]] = []
    if args.villages:
        vreader = TableReader(select_headermap(lib, "village", None), village_schema)
        for item in _read(args, vreader, args.villages, err):
            if item.error is not None:
                msg = f"{item.source}: 村表的行无法导入: {item.error}"
                raise UsageError(msg)
            table.append(dict(item.record))
    filled = fill_villages(table, counted)
    for v in filled:
        for d in v.differences:
            err.write(
                f"注意: 村 {v.record.get('division_code')} 的「{village_schema.label(d.field)}」"
                f"村表为 {d.written}, 由户数据汇总为 {d.counted}; 保留村表的数\n"
            )
    records = [v.record for v in filled]
    if kind in {"xlsx", "csv"}:
        vmap = select_headermap(lib, "village", None)
        headers, rows = records_to_rows(records, vmap, village_schema)
        _write_rows(headers, rows, args.output, kind, "村信息")
    else:
        with output_stream(args.output, out) as fh:
            for record in records:
                fh.write(dumps(record) + "\n")
    if args.figures and figures_kind is not None:
        headers, rows = _figure_rows(filled, village_schema.label)
        _write_rows(headers, rows, args.figures, figures_kind, "汇总口径")
    with_value = sum(len(v.filled) for v in filled)
    err.write(f"村 {len(filled)} 个; 由户数据填写 {with_value} 个数\n")
    return 0


_FIGURE_HEADERS = (
    "村代码", "字段", "名称", "汇总值", "村表填写值", "采用值", "计算方法", "依据",
    "口径未确认", "计入户数", "缺数据",
)  # fmt: skip


def _figure_rows(
    filled: Sequence[FilledVillage], label: Callable[[str], str]
) -> tuple[list[str], list[list[Any]]]:
    rows: list[list[Any]] = []
    for v in filled:
        if v.figures is None:
            continue
        differences = {d.field: d.written for d in v.differences}
        for f in v.figures.figures:
            written = differences.get(f.field)
            rows.append(
                [
                    v.figures.division_code,
                    f.field,
                    label(f.field),
                    "" if f.value is None else f.value,
                    "" if written is None else written,
                    v.record.get(f.field, ""),
                    f.method,
                    f.source,
                    "是" if f.unconfirmed else "",
                    f.households,
                    "; ".join(f.missing[:20]) + (" ..." if len(f.missing) > 20 else ""),
                ]
            )
    return list(_FIGURE_HEADERS), rows


def _write_rows(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], path: str, kind: str, title: str
) -> None:
    if kind == "csv":
        with atomic_output(path, encoding="utf-8-sig") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(headers)
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
        return
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    apply_print_setup(ws, title)
    for col, header in enumerate(headers, start=1):
        xlsx_value(ws.cell(row=1, column=col), header)
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(row, start=1):
            xlsx_value(ws.cell(row=r, column=col), value)
    filter_header(ws, columns=len(headers), rows=len(rows) + 1)
    write_xlsx(wb, path)


def _cmd_worklist(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kind = output_kind(args.output, TABLE_KINDS, default="csv")
    if args.output is None:
        msg = "请用 -o 给出采集清单文件 (.xlsx 或 .csv)"
        raise UsageError(msg)
    lib = library_of(args)
    rs = _standard(lib, args.standard, args.as_of)
    reader = TableReader(
        select_headermap(lib, rs.record_schema.subject, args.header_map),
        rs.record_schema,
        encoding=args.encoding,
    )
    items = _read(args, reader, args.inputs, err)
    names = division_names(lib.codelists, args.divisions or ())
    with meter_of(args, err, "评估", total=len(items)) as shown:
        worklist = build_worklist(rs, shown.track(items), as_of=args.as_of, names=names)
    write_worklist(worklist, args.output, kind)
    del out
    err.write(worklist.summary() + f" → {args.output}\n")
    return 1 if worklist.items else 0


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``villages`` and ``worklist`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "villages", _cmd_villages, "由户数据汇总村级数据 (供村摘帽标准使用)", _VILLAGES_EPILOG
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="建档立卡户数据 (全国系统导出表等)")
    p.add_argument("--as-of", metavar="DATE", required=True, help="评估日期 YYYY-MM-DD")
    p.add_argument(
        "--all-households",
        action="append",
        metavar="FILE",
        help="全村农户花名册 (含非建档立卡户, 与导出表同样的表头); 可多次使用",
    )
    p.add_argument(
        "--household-standard",
        default="gx.household.exit",
        metavar="ID[@VERSION]",
        help="逐户认定住房、饮水、用电、电视所用的户标准 (默认 gx.household.exit)",
    )
    p.add_argument("--villages", action="append", metavar="FILE", help="村表: 只填写其中空着的数")
    p.add_argument("-o", "--output", metavar="OUT", help="村记录: .jsonl (默认标准输出) .xlsx .csv")
    p.add_argument("--figures", metavar="FILE", help="汇总口径表: .xlsx 或 .csv")
    table_options(p)
    add_rules(p)

    p = command(
        "worklist", _cmd_worklist, "按村列出无法判定的户须采集的字段 (采集清单)", _WORKLIST_EPILOG
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="输入文件: .xlsx .csv .jsonl .parquet"
    )
    add_standard_day(p)
    p.add_argument("-o", "--output", metavar="OUT", help="采集清单: .xlsx 或 .csv (必填)")
    table_options(p)
    add_divisions(p)
    add_rules(p)
