"""The ``lint`` and ``test`` subcommands: rule files checked, and their embedded examples and
declared properties run (:mod:`fupin_rules.testing`, :mod:`fupin_rules.properties`).

Registered by ``fupin_rules.cli.build_parser`` in their place after ``list``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ._canonical import dumps
from .errors import RuleFileError
from .library import load_library
from .properties import TRIES, check_properties
from .testing import run_examples

__all__ = ["register"]


def _lint_targets(paths: Sequence[str]) -> tuple[list[Path], set[Path]]:
    """The folders to load, and the single files asked about (whose problems are shown).

    A single rule file is checked within its library (the nearest folder above it that has a
    ``codes/`` folder, else its own folder), so that ``extends``, code lists and overlapping
    dates can be checked.
    """
    targets: list[Path] = []
    files: set[Path] = set()
    for p in paths:
        path = Path(p)
        if path.is_file():
            files.add(path.resolve())
            root = next((a for a in path.resolve().parents if (a / "codes").is_dir()), path.parent)
            targets.append(root)
        else:
            targets.append(path)
    return targets, files


def _cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    targets, files = _lint_targets(args.paths)
    try:
        lib = load_library(targets, schemas=args.schemas)
    except RuleFileError as exc:
        shown = [
            p for p in exc.problems if not files or (p.file and Path(p.file).resolve() in files)
        ]
        others = len(exc.problems) - len(shown)
        for p in shown:
            out.write((dumps(p.to_dict()) if args.json else str(p)) + "\n")
        if not args.json:
            more = f" (同一规则库的其他文件另有 {others} 个问题)" if others else ""
            err.write(f"发现 {len(shown)} 个问题{more}\n")
        return 1 if shown or others else 0
    n = sum(1 for _ in lib) + sum(len(c) for c in lib.calendars.values())
    if not args.json:
        out.write(f"没有发现问题: {n} 个规则集/日程, {len(lib.codelists)} 个代码表\n")
    return 0


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    targets, files = _lint_targets(args.paths)
    lib = load_library(targets, schemas=args.schemas)
    rulesets = [
        rs for rs in lib if not files or any(Path(f).resolve() in files for f in rs.files[-1:])
    ]
    report = run_examples(rulesets)
    for failure in report.failures:
        out.write(str(failure) + "\n")
    if args.verbose:
        for line in report.passed:
            out.write(f"通过: {line}\n")
    out.write(
        f"{report.total} 个样例: {report.total - len(report.failures)} 个通过, "
        f"{len(report.failures)} 个失败\n"
    )
    if args.no_properties:
        return 1 if report.failures else 0
    checked = check_properties(lib, rulesets)
    for broken in checked.failures:
        out.write(str(broken) + "\n")
    for line in checked.skipped:
        out.write(f"未检验: {line}\n")
    if args.verbose:
        for line in checked.held:
            out.write(f"成立: {line}\n")
    if checked.total:
        out.write(
            f"{checked.total} 条性质 (每条试 {TRIES} 条生成的记录): {len(checked.held)} 条成立, "
            f"{len(checked.failures)} 条不成立"
            + (f", {len(checked.skipped)} 条未检验" if checked.skipped else "")
            + "\n"
        )
    return 1 if report.failures or checked.failures else 0


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``lint`` and ``test`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "lint",
        _cmd_lint,
        "检查规则文件, 以 文件:行:列 列出全部问题",
        "示例:\n  fupin-rules lint standards/\n"
        "  fupin-rules lint standards/gx.household.exit/2018.yaml",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="规则文件或目录")
    p.add_argument("--schemas", metavar="DIR", help="记录结构目录 (默认: 随库附带的 schemas/)")
    p.add_argument("--json", action="store_true", help="每个问题一行 JSON")

    p = command(
        "test",
        _cmd_test,
        "运行规则文件中的样例 (examples), 列出与预期不符之处",
        "示例:\n  fupin-rules test standards/\n  fupin-rules test standards/gx.village.exit/",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="规则文件或目录")
    p.add_argument("--schemas", metavar="DIR", help="记录结构目录")
    p.add_argument("--verbose", "-v", action="store_true", help="也列出通过的样例和成立的性质")
    p.add_argument(
        "--no-properties", action="store_true", help="只运行样例, 不检验规则文件声明的性质"
    )
