"""The argument parser of the command, in Chinese: its help and its usage errors.

argparse writes its own words (``usage:``, ``options``, ``the following arguments are
required``...) in English through gettext, and translating them there would change every
parser of the process (pytest's too). :class:`Parser` says them in Chinese for this command
only: the group titles and the help of ``-h`` when the parser is made, the usage prefix in its
formatter, and each usage error, by its English pattern, when it is reported. A message of a
newer argparse that no pattern knows is shown as it is, after ``错误:``; the exit code stays 2.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

__all__ = ["Formatter", "Parser", "chinese_error"]

_TITLES = {"positional arguments": "位置参数", "options": "选项", "optional arguments": "选项"}

_TYPES = {"int": "整数", "float": "数"}

_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), words)
    for pattern, words in (
        (r"^the following arguments are required: (.*)$", r"缺少必需的参数: \1"),
        (r"^unrecognized arguments: (.*)$", r"无法识别的参数: \1 (用 --help 查看可用的参数)"),
        (r"^ambiguous option: (\S+) could match (.*)$", r"选项 \1 不明确, 可能是 \2"),
        (r"^one of the arguments (.*) is required$", r"须给出以下参数之一: \1"),
        (
            r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$",
            r"参数 \1: 无效的取值 \2 (可选: \3)",
        ),
        (r"^argument (\S+): expected one argument$", r"参数 \1 后须跟一个值"),
        (r"^argument (\S+): expected at least one argument$", r"参数 \1 后须跟至少一个值"),
        (r"^argument (\S+): expected at most one argument$", r"参数 \1 后至多跟一个值"),
        (r"^argument (\S+): expected (\d+) arguments?$", r"参数 \1 后须跟 \2 个值"),
        (r"^argument (\S+): not allowed with argument (\S+)$", r"参数 \1 不能与 \2 同时使用"),
        (r"^argument (\S+): ignored explicit argument (.*)$", r"参数 \1 不带值, 多出了 \2"),
        (r"^argument (\S+): (.*)$", r"参数 \1: \2"),
    )
)
_INVALID_VALUE = re.compile(r"^argument (\S+): invalid (\S+) value: (.*)$", re.DOTALL)


def chinese_error(message: str) -> str:
    """An argparse usage error in Chinese (as it is, if no pattern knows it)."""
    found = _INVALID_VALUE.match(message)
    if found:
        name, kind, value = found.groups()
        return f"参数 {name}: {value} 不是有效的{_TYPES.get(kind, '值')}"
    for pattern, words in _ERRORS:
        if pattern.match(message):
            return pattern.sub(words, message, count=1)
    return message


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Help as written (examples keep their lines), the usage line headed 用法."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An argument parser whose help and usage errors are in Chinese; the subcommands'
    parsers are of the same class (argparse makes them with the parent's class)."""

    def __init__(self, *args: Any, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出"
            )

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            args = (_TITLES.get(args[0], args[0]), *args[1:])
        elif isinstance(kwargs.get("title"), str):
            kwargs["title"] = _TITLES.get(kwargs["title"], kwargs["title"])
        return super().add_argument_group(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误: {chinese_error(message)}\n")
