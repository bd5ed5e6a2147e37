"""The ``check`` and ``convert`` subcommands: spreadsheets in, problem lists or records out.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS`` (see :func:`register`).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from .._canonical import dumps
from .._files import rule_files
from .._resources import bundled_standards_dir
from .._yaml import read_yaml
from ..cli_options import (
    PROBLEM_KINDS,
    RECORD_KINDS,
    add_divisions,
    add_rules,
    library_of,
    meter_of,
    output_kind,
    read_with_progress,
    table_options,
)
from ..errors import NotFoundError, UsageError
from ..library import Library
from ..model import RuleSet
from ..reports import (
    check_records,
    division_names,
    read_returned,
    rectify,
    write_problem_list,
)
from .headermaps import HeaderMap, load_headermap_document
from .inputs import read_inputs
from .jsonl import InputRecord, atomic_output
from .spreadsheets import csv_cell, write_xlsx, xlsx_value
from .tables import TableReader, records_to_rows

__all__ = [
    "DEFAULT_HEADERMAP",
    "DEFAULT_STANDARDS",
    "register",
    "select_headermap",
    "table_options",
    "table_reader",
]

DEFAULT_STANDARDS = ("cn.record.quality",)
DEFAULT_HEADERMAP = {
    "household": "cn.national.household-export",
    "village": "gx.village-table",
    "county": "gx.county-table",
}

_CHECK_EPILOG = """\
示例:
  fupin-rules check --as-of 2018-12-01 导出.xlsx -o 问题清单.xlsx
  fupin-rules check --as-of 2018-12-01 --standards cn.record.quality,gx.household.exit \\
      县导出.csv --encoding gbk -o 问题清单.csv
  fupin-rules check --as-of 2018-12-01 households.jsonl --format md
  fupin-rules check --as-of 2019-01-15 导出.xlsx --rectified 返回/*.xlsx -o 问题清单.xlsx

--standards 给出要运行的标准编号 (逗号分隔, 可写 编号@版本); 默认只运行数据质量规则
cn.record.quality。注意 --rules 仍是“规则文件目录”, 不是标准编号。
输入可以是 .xlsx、.csv (UTF-8、带 BOM 的 UTF-8 或 GBK/GB18030, 自动识别)、.jsonl 和 .parquet。
每名成员一行的表按户编号合成一户; 无法合成的行列入问题清单 (问题类别 “无法导入”)。
输出格式按 -o 的扩展名 (.xlsx .csv .jsonl .md) 或 --format 选定; 未给 -o 时输出 Markdown 汇总。
--rectified 读入各村返回的清单 (填有整改情况、整改人、整改日期), 按问题编号与本次检查对照:
上次有、这次没有的为“已整改”; 两次都有的为“仍存在” (村里填写的整改情况带入新清单); 返回清单所涉
村中新出现的为“新问题”。XLSX 输出增加“整改对照”工作表。
--divisions 给出县、乡、村的名称 (问题清单中代码旁显示名称)。
最后一行 (标准错误) 给出合计: 读入行数、组成户数、拒收行数、评估户数、无效户数、问题条数。
退出码: 0 没有发现问题; 1 发现问题; 2 用法错误或规则文件有误 (未做任何检查)。
"""

_CONVERT_EPILOG = """\
示例:
  fupin-rules convert 导出.xlsx -o households.jsonl
  fupin-rules convert households.jsonl -o 导出.xlsx

把全国系统导出表 (每名成员一行) 转成每户一行的 JSON Lines, 供 evaluate 使用; 或反过来
把 JSON Lines 记录写成导出表格式的 XLSX/CSV。无法合成的行在标准错误中列出, 不写入输出。
"""


def _library(args: argparse.Namespace) -> Library:
    return library_of(args)


def _bundled_headermaps() -> dict[str, list[HeaderMap]]:
    found: dict[str, list[HeaderMap]] = {}
    folder = bundled_standards_dir() / "headermaps"
    if folder.is_dir():
        for file in rule_files(folder):
            hm = load_headermap_document(read_yaml(file))
            found.setdefault(hm.id, []).append(hm)
    return found


def select_headermap(lib: Library, subject: str, wanted: str | None) -> HeaderMap:
    """A header map: a YAML file path, or ``id`` / ``id@version`` from the library (falling back
    to the bundled header maps when the library was loaded from other folders); default: the
    one for the subject. Without a version, the newest."""
    if wanted and wanted.endswith((".yaml", ".yml")) and Path(wanted).is_file():
        return load_headermap_document(read_yaml(wanted))
    ident = wanted or DEFAULT_HEADERMAP.get(subject)
    if ident is None:
        msg = f"没有 {subject} 记录的默认表头对照, 请用 --header-map 指定"
        raise UsageError(msg)
    hid, _, version = ident.partition("@")
    versions: Sequence[HeaderMap] = [cast(HeaderMap, h) for h in lib.headermaps.get(hid, ())]
    if not versions:
        bundled = _bundled_headermaps()
        versions = bundled.get(hid, [])
        if not versions:
            known = sorted({*lib.headermaps, *bundled})
            raise NotFoundError(f"没有表头对照 {hid!r}", suggestions=known)
    if version:
        for hm in versions:
            if hm.version == version:
                return hm
        raise NotFoundError(
            f"表头对照 {hid} 没有版本 {version!r}", suggestions=[h.version for h in versions]
        )
    return sorted(versions, key=lambda h: h.version)[-1]


def _rulesets(lib: Library, ids: str | None, as_of: str) -> list[RuleSet]:
    wanted = [s.strip() for s in (ids or ",".join(DEFAULT_STANDARDS)).split(",") if s.strip()]
    if not wanted:
        msg = "--standards 至少要有一个标准编号"
        raise UsageError(msg)
    out = []
    for item in wanted:
        rid, _, version = item.partition("@")
        out.append(lib.get(rid, as_of=as_of, version=version or None))
    subjects = {rs.subject for rs in out}
    if len(subjects) > 1:
        msg = f"一次只能检查同一类记录, 这些标准适用于 {'、'.join(sorted(subjects))}"
        raise UsageError(msg)
    return out


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return output_kind(args.output, PROBLEM_KINDS, default="md")


def _read_all(
    args: argparse.Namespace, reader: TableReader, inputs: Sequence[str], err: TextIO
) -> list[InputRecord]:
    if not inputs:
        msg = "请给出输入文件"
        raise UsageError(msg)
    items = list(read_with_progress(args, err, read_inputs(inputs, tables=reader), tables=reader))
    for warning in reader.stats.warnings:
        err.write(f"注意: {warning}\n")
    return items


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.as_of:
        msg = "请给出 --as-of 评估日期 (YYYY-MM-DD): 年龄、期限和所用版本都按这一天计算"
        raise UsageError(msg)
    fmt = _format(args)
    lib = _library(args)
    rulesets = _rulesets(lib, args.standards, args.as_of)
    schema = rulesets[0].record_schema
    hm = select_headermap(lib, schema.subject, args.header_map)
    reader = TableReader(hm, schema, encoding=args.encoding)
    items = _read_all(args, reader, args.inputs, err)
    names = division_names(lib.codelists, args.divisions or ())
    returned = read_returned(args.rectified) if args.rectified else None
    with meter_of(args, err, "检查", total=len(items)) as shown:
        pl = check_records(
            rulesets,
            shown.track(items),
            as_of=args.as_of,
            headermap=hm.key,
            inputs=list(args.inputs),
            names=names,
        )
    compared = rectify(pl, returned) if returned is not None else None
    write_problem_list(
        pl,
        args.output,
        fmt,  # type: ignore[arg-type]
        stdout=out,
        rectification=compared,
    )
    if not reader.stats.balanced or pl.rows_read != reader.stats.rows_read:  # pragma: no cover
        err.write("内部错误: 行数合计不符\n")
        return 2
    if compared is not None:
        for warning in compared.warnings:
            err.write(f"注意: {warning}\n")
        err.write(compared.summary() + "\n")
    err.write(pl.summary() + (f" → {args.output}" if args.output else "") + "\n")
    return 1 if pl.lines else 0


def _cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    target = args.output
    kind = output_kind(target, RECORD_KINDS)  # an unknown extension is refused before reading
    lib = _library(args)
    schema = lib.record_schemas.get(args.subject)
    if schema is None:
        raise NotFoundError(
            f"没有记录类型 {args.subject!r}", suggestions=sorted(lib.record_schemas)
        )
    hm = select_headermap(lib, schema.subject, args.header_map)
    reader = TableReader(hm, schema, encoding=args.encoding)
    items = _read_all(args, reader, args.inputs, err)
    records = []
    for item in items:
        if item.error is not None:
            err.write(f"{item.source}: 拒收: {item.error}\n")
            continue
        record, reasons = schema.check(item.record)
        for reason in reasons:
            err.write(f"{item.source}: 注意: {reason}\n")
        records.append(record if record else item.record)
    screen = out if target in (None, "-") else None  # records on the terminal: no meter
    with meter_of(args, err, "写出", total=len(records), out=screen) as shown:
        if kind in {"xlsx", "csv"}:
            headers, rows = records_to_rows(shown.track(records), hm, schema)
            if kind == "xlsx":
                _write_table_xlsx(headers, rows, target)
            else:
                with atomic_output(target, encoding="utf-8-sig") as fh:
                    writer = csv.writer(fh, lineterminator="\r\n")
                    writer.writerow(headers)
                    for row in rows:
                        writer.writerow([csv_cell(v) for v in row])
        elif target is None or target == "-":
            for record in shown.track(records):
                out.write(dumps(record) + "\n")
        else:
            with atomic_output(target) as fh:
                for record in shown.track(records):
                    fh.write(dumps(record) + "\n")
    err.write(reader.stats.summary() + "\n")
    return 0


def _write_table_xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]], path: str) -> None:
    # Imported when used: openpyxl (and the numpy it loads) would slow every command's start.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "贫困户信息"
    for col, header in enumerate(headers, start=1):
        xlsx_value(ws.cell(row=1, column=col), header)
    for r, row in enumerate(rows, start=2):
        for col, value in enumerate(row, start=1):
            xlsx_value(ws.cell(row=r, column=col), value)
    ws.freeze_panes = "A2"
    write_xlsx(wb, path)


def table_reader(args: argparse.Namespace, lib: Library, rs: RuleSet) -> TableReader:
    """The reader of spreadsheets for records of ``rs``, with the command's header map and
    encoding (see :func:`~fupin_rules.cli_options.table_options`)."""
    hm = select_headermap(lib, rs.record_schema.subject, getattr(args, "header_map", None))
    return TableReader(hm, rs.record_schema, encoding=getattr(args, "encoding", None))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="输入文件: .xlsx .csv .jsonl .parquet"
    )
    table_options(p)
    p.add_argument("-o", "--output", metavar="OUT", help="输出文件 (原子写入)")
    add_rules(p)


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``check`` and ``convert`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "check",
        _cmd_check,
        "检查数据质量和标准, 生成按县、乡、村分组的问题清单",
        _CHECK_EPILOG,
    )
    _common(p)
    p.add_argument(
        "--standards",
        metavar="ID[,ID...]",
        help="要运行的标准编号, 逗号分隔, 可写 编号@版本 (默认: cn.record.quality)",
    )
    p.add_argument("--as-of", metavar="DATE", help="评估日期 YYYY-MM-DD (必填)")
    p.add_argument(
        "--format", choices=["xlsx", "csv", "jsonl", "md"], help="输出格式 (默认按 -o 扩展名)"
    )
    p.add_argument(
        "--rectified",
        action="append",
        metavar="RETURNED",
        help="各村填好整改情况后返回的问题清单 (.xlsx/.csv), 按问题编号对照: 已整改、仍存在、"
        "新问题; 可多次使用",
    )
    add_divisions(p)

    p = command(
        "convert",
        _cmd_convert,
        "把导出表转为 JSON Lines 记录, 或把记录写成导出表",
        _CONVERT_EPILOG,
    )
    _common(p)
    p.add_argument(
        "--subject", default="household", help="记录类型 (默认 household)", metavar="SUBJECT"
    )
