"""The one input layer: which reader a file gets, and how inputs are handed out as work.

Every command and the library's runners read their inputs here, so a file is read the same
way everywhere:

* :func:`input_kind` says what a path is: standard input (``-``), JSON Lines, Parquet, or a
  table (a national-system export: CSV or XLSX, read through a header map);
* :func:`read_inputs` yields one :class:`~fupin_rules.io.jsonl.InputRecord` per record or
  per rejected line or row, in input order (what ``evaluate``, ``explain``, ``impact``,
  ``check`` and ``convert`` read);
* :func:`units` yields the same inputs as units of work for several processes: blocks of whole
  JSON lines, batches of Parquet rows (what ``evaluate --jobs`` and Dask read); tables are
  assembled across a whole file, so they are read by :func:`read_inputs` in one process.

Every record read this way is then checked by its rule set's record schema
(:meth:`fupin_rules.records.RecordSchema.check`), the one record check.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..errors import UsageError
from .files import TABLE_SUFFIXES, open_input, reading
from .jsonl import (
    BLOCK_BYTES,
    Block,
    InputRecord,
    Line,
    Span,
    block_lines,
    blocks_of,
    decoded,
    line_count,
    lines_of,
    read_jsonl,
)
from .parquet import PARQUET_SUFFIXES, parquet_batches, read_parquet, rows_of

if TYPE_CHECKING:
    from .tables import TableReader

__all__ = [
    "CHUNK_LINES",
    "InputKind",
    "Rows",
    "Unit",
    "check_inputs",
    "input_kind",
    "lines_in_unit",
    "lines_of_unit",
    "raw_lines",
    "read_inputs",
    "units",
]

InputKind = Literal["stdin", "jsonl", "parquet", "table"]

CHUNK_LINES = 2_048
"""Parquet rows per unit of work (a record batch; whole columns pay off on a few thousand
rows). JSON Lines go in blocks of :data:`~fupin_rules.io.jsonl.BLOCK_BYTES`, about 220
households."""


def input_kind(path: str | Path) -> InputKind:
    """What the input ``path`` is, by its name: ``-`` is standard input (JSON Lines),
    ``.parquet``/``.pq`` Parquet, ``.csv .tsv .txt .xlsx .xlsm .xls`` a table, anything
    else JSON Lines."""
    if str(path) == "-":
        return "stdin"
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in TABLE_SUFFIXES:
        return "table"
    return "jsonl"


def check_inputs(paths: Sequence[str], *, tables: bool = False) -> None:
    """Refuse, before anything is read, an input that is missing
    (:class:`~fupin_rules.errors.UsageError`) or cannot be opened
    (:class:`~fupin_rules.errors.FileError`), or a table where only records are read
    (``tables`` False: the units of :func:`units`, which would otherwise read a spreadsheet
    as broken JSON lines)."""
    for p in paths:
        kind = input_kind(p)
        if kind == "stdin":
            continue
        if not Path(p).is_file():
            msg = f"输入文件不存在: {p}"
            raise UsageError(msg)
        open_input(p).close()
        if kind == "table" and not tables:
            msg = (
                f"{p} 是表格文件; 这里读 JSON Lines (.jsonl) 或 Parquet。请先转换: "
                f"fupin-rules convert {p} -o households.jsonl"
            )
            raise UsageError(msg)


def _stdin() -> Any:
    return getattr(sys.stdin, "buffer", sys.stdin)


def read_inputs(
    paths: Sequence[str], *, tables: TableReader | None = None
) -> Iterator[InputRecord]:
    """The records of the inputs (none given: standard input), one item per record or per
    line or row that could not become one. Tables are read by ``tables`` (households assembled
    from member rows); without it a table is refused. ``tables`` also counts what it read of
    the other inputs (its ``stats``)."""
    paths = list(paths) or ["-"]
    check_inputs(paths, tables=tables is not None)
    for p in paths:
        kind = input_kind(p)
        if kind == "table":
            assert tables is not None
            yield from tables.read_file(p, p)
            continue
        items: Iterable[InputRecord]
        if kind == "stdin":
            items = read_jsonl(_stdin(), "<stdin>")
        elif kind == "parquet":
            items = read_parquet(p, p)
        else:
            items = read_jsonl(p, p)
        if tables is None:
            yield from items
        else:
            tables.stats.files += 1
            for item in items:
                tables.count(item)
                yield item


@attrs.frozen
class Rows:
    """Rows ``start + 1`` to ``start + batch.num_rows`` of a Parquet file, as an Arrow
    record batch (it pickles as Arrow data, so a worker gets it cheaply)."""

    label: str
    start: int
    batch: Any


Unit = Block | Span | Rows
"""What one job evaluates at a time: a block of JSON Lines text (decoded and numbered by the
parent, split into lines by the job), the place of such lines in a file (read and decoded by
the job), or Parquet rows."""


def units(
    paths: Sequence[str],
    *,
    block_bytes: int = BLOCK_BYTES,
    chunk_lines: int = CHUNK_LINES,
    spans: bool = False,
) -> Iterator[Unit]:
    """The inputs as :func:`read_inputs` reads them, in units of work: blocks of about
    ``block_bytes`` of whole JSON lines, batches of ``chunk_lines`` Parquet rows. ``spans``:
    the lines of a regular file as :class:`~fupin_rules.io.jsonl.Span` objects, for a job in
    another process to read itself (what ``--jobs`` hands out: the parent then only finds and
    counts the lines)."""
    paths = list(paths) or ["-"]
    check_inputs(paths)
    for p in paths:
        kind = input_kind(p)
        if kind == "stdin":
            yield from reading(blocks_of(_stdin(), "<stdin>", block_bytes), "标准输入")
        elif kind == "parquet":
            for batch, start in parquet_batches(p, p, chunk_lines):
                yield Rows(p, start, batch)
        else:
            with open_input(p) as fh:
                regular = spans and stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
                yield from reading(blocks_of(fh, p, block_bytes, spans=regular), p)


def lines_of_unit(unit: Unit) -> Iterable[Line]:
    """The lines of a unit of work (a Parquet row's "line" is its record)."""
    if isinstance(unit, Rows):
        return [(src, record, None) for src, record in rows_of(unit.batch, unit.label, unit.start)]
    if isinstance(unit, Span):
        return (line for block in _span_blocks(unit) for line in lines_of(block))
    return lines_of(unit)


def _span_blocks(span: Span) -> Iterator[Block]:
    """The blocks of a span's lines, read from its file now. If the file no longer holds
    those lines (changed or cut short since the parent counted them, or unreadable), each of
    them is an error block, so that every line counted still gives one result."""
    try:
        with open(span.label, "rb") as fh:
            fh.seek(span.offset)
            data = fh.read(span.length)
    except OSError as exc:
        reason = f"文件在评估期间无法再读取: {exc.strerror or exc}"
    else:
        if len(data) == span.length and line_count(data) == span.lines:
            yield from decoded(span.label, span.number, data)
            return
        reason = "文件在评估期间被改动, 这一行未能读取"
    for i in range(span.lines):
        yield (span.label, span.number + i, "", reason)


def lines_in_unit(unit: Unit) -> int:
    """How many lines (blank ones included) or rows of its input ``unit`` holds."""
    if isinstance(unit, Rows):
        return int(unit.batch.num_rows)
    if isinstance(unit, Span):
        return unit.lines
    return block_lines(unit)


def raw_lines(paths: Sequence[str]) -> Iterator[Line]:
    """The lines of the inputs, unparsed (rows of ``.parquet`` files already records)."""
    for unit in units(paths):
        yield from lines_of_unit(unit)
