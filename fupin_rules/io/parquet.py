"""Reading Parquet files: one record per row, streamed batch by batch.

A household table with a ``list<struct>`` column of members reads as households with their
members, as JSON Lines would. A null is an absent field (a table cannot tell them apart).
Values become what a JSON record holds: dates (``date32``, or
timestamps at midnight without a time zone) become ``YYYY-MM-DD`` text, other timestamps ISO
text; decimals stay exact decimals; floats are made exact by the record check. Anything else
(bytes, durations ...) is left as it is, and the record check rejects the record and says why.
Every row gives one :class:`~fupin_rules.io.jsonl.InputRecord` with source ``file:row``
(counted from 1). Needs pyarrow (``pip install fupin-rules[parquet]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .jsonl import InputRecord

__all__ = [
    "PARQUET_SUFFIXES",
    "parquet_batches",
    "parquet_rows",
    "read_parquet",
    "rows_of",
    "value_of",
]

PARQUET_SUFFIXES = (".parquet", ".pq")

BATCH_ROWS = 10_000
"""Rows converted at a time: memory stays flat however large the file."""


def read_parquet(path: str | Path, name: str | None = None) -> Iterator[InputRecord]:
    """One :class:`InputRecord` per row of a Parquet file. Raises UsageError if pyarrow is
    not installed or the file is not Parquet."""
    label = name or str(path)
    for batch, start in parquet_batches(path, label, BATCH_ROWS):
        for source, record in rows_of(batch, label, start):
            yield InputRecord(source=source, record=record)


def parquet_batches(path: str | Path, label: str, rows: int) -> Iterator[tuple[Any, int]]:
    """``(batch, rows before it)`` for each record batch of about ``rows`` rows of a Parquet
    file. Raises UsageError if pyarrow is not installed or the file is not Parquet."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        msg = "读取 Parquet 文件需要 pyarrow: pip install 'fupin-rules[parquet]'"
        raise UsageError(msg) from exc
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        msg = f"{label}: 不是可读的 Parquet 文件: {exc}"
        raise UsageError(msg) from exc
    start = 0
    with parquet:
        for batch in parquet.iter_batches(batch_size=rows):
            yield batch, start
            start += batch.num_rows


def parquet_rows(path: str | Path) -> int:
    """How many rows a Parquet file holds, from its metadata (0 if it cannot be read)."""
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # noqa: BLE001 - only an estimate; reading reports the real problem
        return 0


def rows_of(batch: Any, label: str, start: int) -> list[tuple[str, Any]]:
    """``(source, record)`` for each row of a record batch that follows ``start`` rows."""
    return [
        (f"{label}:{start + i}", value_of(values))
        for i, values in enumerate(batch.to_pylist(), start=1)
    ]


def value_of(value: Any) -> Any:
    """A Parquet value as a JSON record holds it."""
    t = type(value)
    if t is dict:
        # A table has no "absent": an empty cell is a null. It is read as an absent key, as
        # the spreadsheet readers read an empty cell.
        return {
            k if type(k) is str else str(k): v if type(v) in _AS_IS else value_of(v)
            for k, v in value.items()
            if v is not None
        }
    if t is list:
        return [v if type(v) in _AS_IS else value_of(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return value_of(dict(value))
    if isinstance(value, list):
        return value_of(list(value))
    return value


_AS_IS = frozenset({str, int, float, bool, Decimal, type(None)})
"""Types a Parquet value keeps in a record."""
