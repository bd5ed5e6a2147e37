"""JSON Lines in and out.

Numbers with a fraction are read as exact ``Decimal``; ``NaN``/``Infinity``, duplicate keys and
absurd nesting are refused per line (the line becomes a rejected record, the run goes on).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TextIO

import attrs

from .._canonical import dumps

__all__ = [
    "InputRecord",
    "atomic_output",
    "parse_json_record",
    "raw_lines_of",
    "read_jsonl",
    "result_line",
    "write_atomic",
    "write_jsonl",
]

MAX_LINE = 10_000_000
"""Longest accepted line, in characters."""


@attrs.frozen
class InputRecord:
    """One record read from an input, or the reason a piece of input is not a record."""

    source: str
    """Where it came from: ``file:line`` or ``file:sheet:row``."""
    record: Any = None
    error: str | None = None
    rows: int = 1
    """How many input rows this item accounts for (a household assembled from member rows
    has several), so that rows read = rows in records + rows rejected."""

    @property
    def ok(self) -> bool:
        """Whether a record was read."""
        return self.error is None


class _Refused(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _Refused(f"不接受 {name}")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"重复的键 {key!r}")
            seen.add(key)
    return out


def parse_json_record(text: str) -> tuple[Any, str | None]:
    """Parse one JSON text; return (value, None) or (None, reason)."""
    if len(text) > MAX_LINE:
        return None, f"行过长 ({len(text)} 字符)"
    try:
        return (
            json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_no_constants,
                object_pairs_hook=_pairs,
            ),
            None,
        )
    except _Refused as exc:
        return None, str(exc)
    except json.JSONDecodeError as exc:
        return None, f"不是有效的 JSON: {exc.msg} (第 {exc.colno} 列)"
    except (ValueError, RecursionError) as exc:
        return None, f"不是有效的 JSON: {exc}"


def read_jsonl(source: str | Path | IO[str], name: str | None = None) -> Iterator[InputRecord]:
    """Yield one :class:`InputRecord` per non-blank line of a JSON Lines file or stream."""
    if isinstance(source, str | Path):
        label = name or str(source)
        with open(source, encoding="utf-8-sig", errors="strict", newline="") as fh:
            yield from _lines(fh, label)
    else:
        yield from _lines(source, name or "<stdin>")


def _lines(fh: IO[str], label: str) -> Iterator[InputRecord]:
    for source, text, error in raw_lines_of(fh, label):
        if text is None:
            yield InputRecord(source=source, error=error)
        else:
            value, error = parse_json_record(text)
            yield InputRecord(source=source, record=value, error=error)


def raw_lines_of(fh: IO[str], label: str) -> Iterator[tuple[str, str | None, str | None]]:
    """``(source, text, error)`` for each non-blank line of a JSON Lines stream, unparsed:
    the text, or (for bytes that are not UTF-8, which end the file) the reason instead."""
    number = 0
    while True:
        try:
            line = fh.readline()
        except UnicodeDecodeError as exc:
            number += 1
            yield (f"{label}:{number}", None, f"不是 UTF-8 编码: {exc.reason}")
            return
        if not line:
            return
        number += 1
        if not line.strip():
            continue
        yield (f"{label}:{number}", line, None)


@contextlib.contextmanager
def atomic_output(path: str | Path | None, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write text to ``path`` atomically (or to standard output for None or ``-``).

    The text goes to a temporary file in the same folder, renamed over ``path`` only when the
    block ends without error; an interrupted run leaves the old file (or none), never half of one.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with _replacing(Path(path), "w", encoding) as fh:
        yield fh


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, as :func:`atomic_output` writes text."""
    with _replacing(Path(path), "wb", None) as fh:
        fh.write(data)


@contextlib.contextmanager
def _replacing(target: Path, mode: str, encoding: str | None) -> Iterator[Any]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        newline = "" if encoding is not None else None
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_jsonl(items: Iterable[Any], out: TextIO) -> int:
    """Write each item as one deterministic JSON line; return how many were written."""
    n = 0
    for item in items:
        out.write(dumps(item))
        out.write("\n")
        n += 1
    return n


# --------------------------------------------------------------------------- writing


def json_line(value: Any) -> str:
    """``dumps(value)``: the canonical JSON text (orjson-fast when installed)."""
    return dumps(value)


def result_line(result: Any, *, findings: bool = True) -> str:
    """The JSON line of one result (``dumps(result.to_dict())``), without its newline;
    ``findings=False``: criterion outcomes only (see :meth:`fupin_rules.Result.to_json`)."""
    return str(result.to_json(findings=findings))
