"""What auditors run: ``fupin-rules verify`` (stored results against their rules and records)
and the decision log that ``evaluate --log`` keeps.

Registered with the CLI through ``fupin_rules.cli._EXTENSIONS``. ``verify`` exits 0 when every
stored result is what its rules give on its record today, 1 when any is not (each named with
what differs), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TextIO

from ._canonical import dumps
from .cli_options import add_rules, library_of, read_with_progress, table_options
from .dated import DatedEvaluator
from .errors import UsageError
from .explain import explain_stored, write_chosen
from .io.commands import table_reader
from .io.decision_log import DecisionLog, read_log
from .io.inputs import input_kind, read_inputs
from .library import Library
from .results import Result
from .verify import STATUS_LABELS, verify

__all__ = ["LogSpool", "explain_results", "register"]

_VERIFY_EPILOG = """\
示例:
  fupin-rules verify results.jsonl households.jsonl
  fupin-rules verify 决策日志.jsonl households.jsonl --all
  fupin-rules verify results.jsonl 导出.xlsx --json

按每行结果记下的 标准@版本、指纹、评估日期和所定参数, 用当前规则库重新评估对应的输入记录
(两者按行序一一对应), 逐条给出: 一致; 结果不同 (列出每处不同); 输入记录已改变 (记录摘要不符);
规则已不在规则库中 (指纹找不到, 绝不用其他版本代替)。
RESULTS 可以是 evaluate 的完整结果、--brief 结果或 --log 决策日志。
退出码: 0 全部一致; 1 有不一致; 2 用法错误。
"""


class LogSpool(io.TextIOBase):
    """A text stream that passes what is written on to ``out`` and keeps, for each whole
    result line, its decision-log line. :meth:`commit` appends them to the log once the
    output is complete, so an interrupted run logs no decision it did not hand out."""

    def __init__(self, out: TextIO, log: str | Path) -> None:
        super().__init__()
        self._out = out
        self._log = Path(log)
        self._partial = ""
        # Closed by close(), which the context manager calls.
        self._spool = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", errors="surrogatepass"
        )

    def write(self, text: str) -> int:
        self._out.write(text)
        *whole, self._partial = (self._partial + text).split("\n")
        for line in whole:
            if line:
                brief = Result.from_json(line).to_json(findings=False)
                self._spool.write(brief + "\n")
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def commit(self) -> int:
        """Append the spooled lines to the log (each line whole, in one write); how many."""
        self._spool.seek(0)
        with DecisionLog(self._log) as log:
            n = 0
            for line in self._spool:
                log.write_line(line)
                n += 1
        return n

    def close(self) -> None:
        self._spool.close()
        super().close()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _library(args: argparse.Namespace) -> Library:
    return library_of(args)


def _stored(path: str) -> Iterator[str]:
    if not os.path.exists(path):
        msg = f"结果文件不存在: {path}"
        raise UsageError(msg)
    return read_log(path)


def _standard_input() -> Iterator[str]:
    """The non-blank lines of standard input, as UTF-8 (bytes that are not stay as they are,
    as in :func:`~fupin_rules.io.decision_log.read_log`, and make their line unreadable)."""
    raw = getattr(sys.stdin, "buffer", None)
    for line in raw if raw is not None else sys.stdin:
        text = line.decode("utf-8", "surrogateescape") if isinstance(line, bytes) else line
        if text.strip():
            yield text


def _standard(path: str) -> str:
    """The standard the first stored result names."""
    first = next(_stored(path), None)
    if first is None:
        msg = f"{path} 中没有结果"
        raise UsageError(msg)
    try:
        return Result.from_json(first).ruleset.partition("@")[0]
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{path} 第 1 行不是 fupin-rules 的结果: {exc}"
        raise UsageError(msg) from exc


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    lib = _library(args)
    reader = dated = None
    if input_kind(args.input) == "table" or args.as_of_field:
        rid = _standard(args.results)
        if input_kind(args.input) == "table":
            # A table is read as the records of the standard the stored results name.
            reader = table_reader(args, lib, lib.get(rid))
        if args.as_of_field:
            dated = DatedEvaluator(lib, rid, args.as_of_field, default=args.as_of)
    read = read_inputs([args.input], tables=reader)
    items = read_with_progress(args, err, read, "核对", tables=reader, out=out)
    counts: Counter[str] = Counter()
    for verdict in verify(lib, _stored(args.results), items, dated=dated):
        counts[verdict.status] += 1
        if args.json:
            out.write(dumps(verdict.to_dict()) + "\n")
        elif args.all or not verdict.ok:
            who = verdict.record_id or "(无编号)"
            out.write(f"{verdict.source or '-'} {who}: {STATUS_LABELS[verdict.status]}")
            out.write(f": {verdict.message}\n" if verdict.status != "identical" else "\n")
            for d in verdict.differences[: args.show]:
                out.write(f"    {d}\n")
    total = sum(counts.values())
    parts = "、".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUS_LABELS if counts[s])
    err.write(f"核对 {total} 条结果: {parts or '无'}\n")
    return 0 if counts["identical"] == total else 1


def explain_results(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``fupin-rules explain --results FILE``: stored results explained by the rules their
    fingerprints name (``--rules`` for versions the bundled library no longer holds), without
    evaluating anything again; ``--id`` and ``--limit`` choose them as for records."""
    lib = _library(args)
    skipped: list[int] = []

    def results() -> Iterator[Result]:
        lines = _standard_input() if args.results == "-" else _stored(args.results)
        for number, line in enumerate(lines, start=1):
            try:
                yield Result.from_json(line, library=lib)
            except (ValueError, KeyError, TypeError) as exc:
                err.write(f"跳过 {args.results} 第 {number} 行: 不是 fupin-rules 的结果 ({exc})\n")
                skipped.append(number)

    shown = write_chosen(
        results(),
        lambda result: explain_stored(result, lib.rules_of(result), only_failed=args.only_failed),
        out,
        record_id=args.id,
        limit=args.limit,
    )
    if args.id is not None and not shown:
        msg = f"{args.results} 中没有编号为 {args.id!r} 的结果"
        raise UsageError(msg)
    return 1 if skipped else 0


def register(sub: object, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``verify`` through the CLI's ``command(...)`` helper."""
    del sub
    p = command(
        "verify",
        _cmd_verify,
        "核对保存的结果: 用记下的规则版本、指纹、日期和参数重新评估原记录",
        _VERIFY_EPILOG,
    )
    p.add_argument("results", metavar="RESULTS", help="evaluate 的结果或决策日志 (JSON Lines)")
    p.add_argument("input", metavar="INPUT", help="产生这些结果的输入 (.jsonl .parquet .xlsx .csv)")
    table_options(p)
    p.add_argument(
        "--as-of-field",
        metavar="FIELD",
        help="结果是用 evaluate --as-of-field 按各记录自己的日期得出的: 同样重新评估",
    )
    p.add_argument(
        "--as-of", metavar="DATE", help="与 --as-of-field 同用: 该字段为空的记录当时所按的日期"
    )
    p.add_argument("--all", action="store_true", help="也列出一致的结果")
    p.add_argument("--json", action="store_true", help="每条结果一行 JSON")
    p.add_argument(
        "--show", type=int, default=5, metavar="N", help="每条结果最多列出几处不同 (默认 5)"
    )
    add_rules(p)
