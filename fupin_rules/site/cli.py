"""The ``site`` subcommand: ``fupin-rules site -o DIR [--results FILE ...]``.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..cli_options import add_rules, library_of
from .build import build_site

__all__ = ["register_site_command", "run_site_command"]

_EPILOG = """\
示例:
  fupin-rules site -o 标准网站
  fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 households.jsonl -o results.jsonl
  fupin-rules site -o 标准网站 --results results.jsonl

生成静态网页 (不需要服务器和网络, 用浏览器直接打开 DIR/index.html): 每个标准和版本、
每项指标的中文检验说明、来源和未经确认之处、按日期的参数、相邻版本之间的变化、工作时间
节点的时间线。每个 --results 文件 (evaluate 写出的结果) 另成一页: 各村达标、未达标、
无效的户数和图表, 以及未达标最多的指标。
DIR 已存在时, 须为空文件夹或以前由本命令生成的网站 (整体替换); 否则拒绝写入。
"""


def run_site_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Build the site the parsed ``args`` ask for; report where it is."""
    del err
    lib = library_of(args)
    files = build_site(lib, args.output, results=args.results or None)
    index = Path(args.output) / "index.html"
    out.write(f"网站已写入 {args.output}: {len(files)} 个文件; 首页 {index}\n")
    return 0


def register_site_command(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``site`` through the CLI's ``command(name, handler, help, epilog)`` helper."""
    del sub  # the helper already knows the subparsers
    p = command(
        "site", run_site_command, "生成标准、版本变化、时间节点和评估结果的静态网页", _EPILOG
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="网站所在的文件夹")
    p.add_argument(
        "--results",
        action="extend",
        nargs="+",
        metavar="FILE",
        help="evaluate 写出的结果文件 (JSON Lines), 每个文件一页; 可给多个, 也可多次使用",
    )
    add_rules(p)
