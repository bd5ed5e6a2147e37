"""``fupin-rules template``: the plan's forms as Excel templates, and filled ones read back.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS``. Exit codes: 0 done (for
``--read``: every row became a record or event), 1 rows were rejected (each named), 2 a usage
error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from .._canonical import dumps
from ..cli_options import add_output, add_rules, library_of, output_stream
from ..errors import UsageError
from ..io.inputs import read_inputs
from .catalog import find_form, forms
from .reading import read_filled
from .template import write_template

__all__ = ["register"]

_EPILOG = """\
示例:
  fupin-rules template --list
  fupin-rules template member-increase -o 附件6.xlsx
  fupin-rules template household-exit-measures --fill 计划脱贫户.jsonl -o 附件8.xlsx
  fupin-rules template household-info --read 已填写.xlsx -o households.jsonl
  fupin-rules template member-increase --read 附件6-已填写.xlsx --date 2018-10-20 -o events.jsonl

NAME 是表格名 (如 member-increase) 或表头对照编号 (gx.form.member-increase[@版本])。
模板有三张工作表: 填写表 (中文表头, 带 * 的列必填, 代码表列有下拉选项, 第 2 行是填写示例)、
填写说明 (每列的字段、类型和可填的值, 以及表样中未确认之处) 和 代码表。
--read 把填好的表读回为记录 (或 附件6/7 的事项, 每户一个; 用 --date 给出填表日期),
每一行都有着落: 记录、拒收 (注明原因) 或未改动的填写示例; 汇总行写到标准错误。
退出码: 0 完成; 1 有拒收的行; 2 用法错误。
"""


def _cmd_template(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = library_of(args)
    if args.list:
        for name, form in forms(lib).items():
            out.write(f"{name}\t{form.key}\t{form.title}\t读入为 {form.reads_as}\n")
        return 0
    if not args.name:
        msg = "请给出表格名 (fupin-rules template --list 列出全部表格)"
        raise UsageError(msg)
    form = find_form(lib, args.name)
    if args.read:
        filled = read_filled(form, args.read, date=args.date, encoding=args.encoding)
        with output_stream(args.output, out) as fh:
            for item in filled.items:
                if item.error is None:
                    fh.write(dumps(item.record) + "\n")
        for warning in filled.warnings:
            err.write(f"注意: {warning}\n")
        for item in filled.items:
            if item.error is not None:
                err.write(f"拒收 {item.source}: {item.error}\n")
        err.write(filled.summary() + "\n")
        return 1 if filled.rejected_rows else 0
    if not args.output or args.output == "-":
        msg = "模板是 XLSX 文件: 请用 -o 指定输出文件"
        raise UsageError(msg)
    records = []
    if args.fill:
        for item in read_inputs(args.fill):
            if item.error is not None:
                msg = f"{item.source}: {item.error}"
                raise UsageError(msg)
            records.append(item.record)
    write_template(form, args.output, records)
    err.write(f"已写出 {form.title} 的模板: {args.output} (预填 {len(records)} 条)\n")
    return 0


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``template`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "template",
        _cmd_template,
        "方案附件3-9 各表的 Excel 模板 (下拉选项、必填列、填写示例), 以及把填好的表读回",
        _EPILOG,
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="表格名, 如 member-increase")
    p.add_argument("--list", action="store_true", help="列出全部表格")
    p.add_argument("--fill", nargs="+", metavar="RECORDS", help="预先填入的记录 (.jsonl .parquet)")
    p.add_argument("--read", nargs="+", metavar="FILLED", help="读回填好的表 (.xlsx .csv)")
    p.add_argument("--date", metavar="DATE", help="与 --read 同用: 附件6/7 的填表日期 (事项日期)")
    p.add_argument("--encoding", metavar="ENC", help="CSV 编码 (默认自动识别)")
    add_output(p, "输出文件: 模板 (.xlsx), 或 --read 时的记录 (JSON Lines; 默认标准输出)")
    add_rules(p)
