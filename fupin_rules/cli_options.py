"""The options every subcommand that reads rule files shares, declared once: ``--rules``
(repeatable: rule files or folders) and ``--schemas`` (the record schemas' folder), and the
library they name; the one choice of output kind by the extension of ``-o``
(:func:`output_kind`); and ``--quiet`` with the progress meters of the long phases
(:func:`meter_of`, :func:`input_meter`, :func:`read_with_progress`, :func:`reporting`)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from .errors import UsageError
from .io.files import atomic_output
from .io.inputs import Rows, input_kind
from .io.jsonl import Span
from .io.parquet import parquet_rows
from .library import Library, load_library
from .progress import SILENT, Meter, is_terminal, meter

if TYPE_CHECKING:
    from .io.tables import TableReader

__all__ = [
    "PROBLEM_KINDS",
    "RECORD_KINDS",
    "RESULT_KINDS",
    "TABLE_KINDS",
    "add_divisions",
    "add_output",
    "add_quiet",
    "add_rules",
    "add_standard_day",
    "input_meter",
    "library_of",
    "meter_of",
    "output_kind",
    "output_stream",
    "read_with_progress",
    "reporting",
    "table_options",
    "unit_size",
]

T = TypeVar("T")

RESULT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "": "jsonl",
        ".jsonl": "jsonl",
        ".json": "jsonl",
        ".xlsx": "xlsx",
    }
)
"""Results (``evaluate``, ``impact``): JSON Lines, or an Excel workbook for people."""

PROBLEM_KINDS: Mapping[str, str] = MappingProxyType(
    {
        ".xlsx": "xlsx",
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".json": "jsonl",
        ".md": "md",
    }
)
"""Problem lists (``check``)."""

RECORD_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "": "jsonl",
        ".jsonl": "jsonl",
        ".json": "jsonl",
        ".xlsx": "xlsx",
        ".csv": "csv",
    }
)
"""Records written by ``convert``: JSON Lines, or the export's table as XLSX or CSV."""

TABLE_KINDS: Mapping[str, str] = MappingProxyType({".xlsx": "xlsx", ".csv": "csv"})
"""Lists for people (``worklist``, ``villages --figures``): an Excel workbook or CSV."""

_KIND_NAMES = {
    "jsonl": ".jsonl (JSON Lines)",
    "xlsx": ".xlsx (Excel 工作簿)",
    "csv": ".csv",
    "md": ".md (Markdown 汇总)",
}


def output_kind(
    path: str | None, kinds: Mapping[str, str] = RESULT_KINDS, *, default: str = "jsonl"
) -> str:
    """The kind of output ``-o PATH`` asks for, by its extension (case ignored) among
    ``kinds``; ``default`` for none or ``-`` (standard output). Any other extension is a
    :class:`~fupin_rules.errors.UsageError` (exit 2) naming the extensions that work, so that
    a file named ``.xlsx`` never holds JSON Lines and ``.xls`` is not written at all."""
    if path is None or path == "-":
        return default
    suffix = PurePath(path).suffix.lower()
    kind = kinds.get(suffix)
    if kind is not None:
        return kind
    offered = "、".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds.values()))
    old = "; .xls 是旧的 Excel 格式, 请改用 .xlsx" if suffix == ".xls" else ""
    msg = f"不能写出扩展名为 {suffix} 的文件 {path}: 可用的扩展名为 {offered}{old}"
    raise UsageError(msg)


def add_rules(p: argparse.ArgumentParser) -> None:
    """Add ``--rules PATH`` (repeatable) and ``--schemas DIR`` to ``p``."""
    p.add_argument(
        "--rules",
        action="append",
        metavar="PATH",
        help="规则文件或目录 (默认: 随库附带的 standards/); 可多次使用",
    )
    p.add_argument("--schemas", metavar="DIR", help="记录结构目录 (默认: 随库附带的 schemas/)")


def add_output(p: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    """Add ``-o/--output PATH`` to ``p`` (written atomically by the command)."""
    p.add_argument("-o", "--output", metavar="OUT", required=required, help=help_text)


def add_divisions(p: argparse.ArgumentParser) -> None:
    """Add ``--divisions FILE`` (repeatable): names of counties, townships and villages."""
    p.add_argument(
        "--divisions",
        action="append",
        metavar="FILE",
        help="行政区划名称: 代码表 (.yaml) 或有“代码”“名称”两列的表 (.xlsx/.csv); 可多次使用,"
        " 后者补充并覆盖前者 (规则目录中 id 为 divisions 的代码表也会读入)",
    )


def table_options(p: argparse.ArgumentParser) -> None:
    """``--header-map`` and ``--encoding``: how a command reads spreadsheets (.xlsx, .csv)."""
    p.add_argument(
        "--header-map",
        metavar="ID[@VERSION]|FILE",
        help="表格的表头对照编号或 YAML 文件 (默认: 户记录用 cn.national.household-export, "
        "村记录用 gx.village-table, 县记录用 gx.county-table)",
    )
    p.add_argument(
        "--encoding",
        metavar="ENC",
        help="CSV 编码 (默认自动识别 UTF-8/GB18030); gbk 按 gb18030 读取",
    )


def add_standard_day(p: argparse.ArgumentParser, *, standard: str | None = None) -> None:
    """Add ``-s/--standard ID[@VERSION]`` (default ``standard``) and ``--as-of DATE``
    (required: ages, deadlines and the version in force depend on it)."""
    p.add_argument(
        "-s",
        "--standard",
        metavar="ID[@VERSION]",
        default=standard,
        required=standard is None,
        help="标准编号, 可写 编号@版本" + (f" (默认 {standard})" if standard else ""),
    )
    p.add_argument(
        "--as-of", metavar="DATE", required=True, help="评估日期 YYYY-MM-DD: 选用当日施行的版本"
    )


def library_of(args: argparse.Namespace) -> Library:
    """The library ``--rules`` and ``--schemas`` name (the bundled one without them)."""
    rules = getattr(args, "rules", None)
    return load_library(rules or None, schemas=getattr(args, "schemas", None))


@contextlib.contextmanager
def output_stream(path: str | None, out: TextIO) -> Iterator[TextIO]:
    """The command's output for ``-o PATH`` (written atomically: the file appears whole, or
    is left as it was), or ``out`` for none or ``-``."""
    if path is None or path == "-":
        yield out
        out.flush()
        return
    with atomic_output(path) as fh:
        yield fh


# --------------------------------------------------------------------------- progress

_QUIET_HELP = "不显示进度 (进度只在标准错误为终端时显示: 读取、评估、写出, 速度和剩余时间)"


def add_quiet(p: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """Add ``-q/--quiet`` to ``p``: the top-level parser (``sub`` False) or a subcommand's,
    where it does not hide a ``--quiet`` given before the subcommand (as ``--debug``)."""
    default = argparse.SUPPRESS if sub else False
    p.add_argument("-q", "--quiet", action="store_true", default=default, help=_QUIET_HELP)


def meter_of(
    args: argparse.Namespace,
    err: TextIO,
    label: str,
    *,
    total: int | None = None,
    out: TextIO | None = None,
) -> Meter:
    """The progress meter of one phase on ``err``: silent with ``--quiet``, when ``err`` is
    not a terminal, or when ``out`` (the results, if they go to standard output) is the
    terminal too, where the line would be drawn across them."""
    return meter(label, err, total=total, quiet=not _shows(args, err, out))


def _shows(args: argparse.Namespace, err: TextIO, out: TextIO | None) -> bool:
    quiet = bool(getattr(args, "quiet", False)) or (out is not None and is_terminal(out))
    return not quiet and is_terminal(err)


def read_with_progress(
    args: argparse.Namespace,
    err: TextIO,
    items: Iterable[T],
    label: str = "读取",
    *,
    tables: TableReader | None = None,
    out: TextIO | None = None,
) -> Iterator[T]:
    """``items`` (records being read), counted on a meter of ``label`` (see :func:`meter_of`;
    ``out``: where the command writes as it goes, no line drawn if it is the terminal) that is
    cleared when they end. The tables ``tables`` reads meanwhile (``items`` made by
    :func:`~fupin_rules.io.inputs.read_inputs` with it) show their rows on the same line as
    they are read and grouped, before their first record comes out
    (:meth:`~fupin_rules.io.tables.TableReader.reporting`)."""
    with meter_of(args, err, label, out=out) as shown, reporting(tables, shown):
        yield from shown.track(items)


def reporting(tables: TableReader | None, shown: Meter) -> contextlib.AbstractContextManager[Any]:
    """Within the block, the tables ``tables`` reads are shown on ``shown`` (nothing to do
    without a reader)."""
    return contextlib.nullcontext() if tables is None else tables.reporting(shown)


def input_meter(
    args: argparse.Namespace,
    err: TextIO,
    paths: Sequence[str] | None,
    label: str = "评估",
    *,
    out: TextIO | None = None,
) -> Meter:
    """The meter of evaluating ``paths`` in units of work (``evaluate``: JSON Lines blocks,
    Parquet batches; :meth:`~fupin_rules.progress.Meter.done` for each): measured in input
    bytes against the files' sizes when all are JSON Lines files, in rows against their
    counts when all are Parquet, else records without a total (standard input). ``paths``
    None: the records are counted one by one (:meth:`~fupin_rules.progress.Meter.track`)
    without a total (tables, ``--as-of-field``, workbooks)."""
    if not _shows(args, err, out):
        return SILENT
    total = None if paths is None else _input_total(list(paths) or ["-"])
    return meter(label, err, total=total, measure=unit_size if total else None)


def _input_total(paths: Sequence[str]) -> int | None:
    kinds = {input_kind(p) for p in paths}
    try:
        if kinds == {"jsonl"}:
            return sum(Path(p).stat().st_size for p in paths)
        if kinds == {"parquet"}:
            return sum(parquet_rows(Path(p)) for p in paths)
    except (OSError, ValueError):
        return None  # the run itself reports a missing or broken input
    return None


_SAMPLE = 4096


def unit_size(unit: Any) -> int:
    """What a unit of work counts for on an :func:`input_meter`: a Parquet batch its rows; a
    span of a JSON Lines file its bytes; a block of JSON Lines the UTF-8 bytes it was read
    from (its length where it is ASCII, else estimated from its first characters, so that the
    block is not encoded again)."""
    if isinstance(unit, Rows):
        return int(unit.batch.num_rows)
    if isinstance(unit, Span):
        return unit.length
    text: str = unit[2]
    if text.isascii():
        return len(text)
    sample = text[:_SAMPLE]
    return round(len(text) * len(sample.encode("utf-8", "surrogatepass")) / len(sample))
