"""JSON Lines in and out.

Numbers with a fraction are read as exact ``Decimal``; ``NaN``/``Infinity``, duplicate keys and
absurd nesting are refused per line (the line becomes a rejected record, the run goes on).
"""

from __future__ import annotations

import contextlib
import io
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


_JSON_ERRORS = {
    "Expecting value": "此处应有一个值",
    "Expecting property name enclosed in double quotes": "此处应有用双引号括起的键",
    "Expecting ',' delimiter": "此处应有逗号",
    "Expecting ':' delimiter": "此处应有冒号",
    "Unterminated string starting at": "字符串缺少结束的引号",
    "Invalid control character at": "字符串中有控制字符 (如制表符)",
    "Extra data": "一个 JSON 值之后还有多余内容",
    "Invalid \\escape": "无效的转义 (反斜杠)",
}
"""The json module's messages, as policy staff read them (others are shown as they are)."""

_DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_constant=_no_constants, object_pairs_hook=_pairs
)
"""Exact decimals, no NaN or Infinity, no duplicate keys (one decoder, not one per line)."""


def parse_json_record(text: str) -> tuple[Any, str | None]:
    """Parse one JSON text; return (value, None) or (None, reason)."""
    if len(text) > MAX_LINE:
        return None, f"行过长 ({len(text)} 字符)"
    try:
        return _DECODER.decode(text), None
    except _Refused as exc:
        return None, str(exc)
    except json.JSONDecodeError as exc:
        if not text.strip():
            return None, "不是有效的 JSON: 空行"
        end = len(text.rstrip("\r\n"))
        if exc.pos >= end:
            return None, f"不是有效的 JSON: 第 {end} 列之后行就结束了, 引号或括号没有闭合"
        why = _JSON_ERRORS.get(exc.msg, exc.msg)
        if exc.msg.startswith("Invalid \\u"):  # a \u escape without four hex digits
            why = "无效的 \\u 转义"
        return None, f"不是有效的 JSON: {why} (第 {exc.colno} 列)"
    except RecursionError:
        return None, "不是有效的 JSON: 嵌套层数过多"
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            return None, f"不是有效的 JSON: 整数位数过多 (超过 {limit} 位)"
        return None, f"不是有效的 JSON: {exc}"


def read_jsonl(
    source: str | Path | IO[str] | IO[bytes], name: str | None = None
) -> Iterator[InputRecord]:
    """Yield one :class:`InputRecord` per non-blank line of a JSON Lines file or stream
    (a binary stream or file is read as UTF-8, a leading BOM skipped)."""
    if isinstance(source, str | Path):
        label = name or str(source)
        with open(source, "rb") as fh:
            yield from _records(fh, label)
    else:
        yield from _records(source, name or "<stdin>")


def _records(fh: IO[str] | IO[bytes], label: str) -> Iterator[InputRecord]:
    for source, text, error in raw_lines_of(fh, label):
        if text is None:
            yield InputRecord(source=source, error=error)
        else:
            value, error = parse_json_record(text)
            yield InputRecord(source=source, record=value, error=error)


# --------------------------------------------------------------------------- lines

BLOCK_BYTES = 1 << 18
"""About how much of a JSON Lines stream is read at once (whole lines, so usually a little
less; a longer line is read whole)."""

Block = tuple[str, int, str, str | None]
"""``(label, lines before it, text, error)``: whole lines of one stream and how many lines
of the stream came before them; or, for bytes that are not UTF-8, empty text and the reason
(the line holding those bytes gets the next number, and the stream ends there)."""

Line = tuple[str, Any, str | None]
"""``(source, text, error)``: one raw line to parse, labelled ``file:line``, or the reason
it could not be read (``text`` None). :func:`fupin_rules.parallel.raw_lines` also carries
Parquet rows, already records, in ``text``."""

_BOM = "\ufeff"


def blocks_of(fh: IO[str] | IO[bytes], label: str, size: int = BLOCK_BYTES) -> Iterator[Block]:
    """The text of a JSON Lines stream in blocks of whole lines.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``. A binary stream is decoded as
    UTF-8 after a leading BOM; bytes that are not UTF-8 end the stream: the lines before the
    one holding them come as usual, then an error block for that line. The reading of
    ``fupin-rules evaluate`` (one job or many) and of :func:`read_jsonl`.
    """
    number = 0
    pending: list[Any] = []
    first = True
    while True:
        try:
            data: Any = fh.read(size)
        except UnicodeDecodeError as exc:  # a text stream that could not decode
            yield (label, number, "", f"不是 UTF-8 编码: {exc.reason}")
            return
        if first and data:
            first = False
            data = _without_bom(fh, data, size)
            if not data:
                continue  # the stream began with its BOM alone
        cut = _last_end(data) if data else len(data)
        if data and cut == 0:
            pending.append(data)  # no line ends here yet
            continue
        head = data[:cut] if data else data
        piece = head[:0].join([*pending, head]) if pending else head
        pending = [data[cut:]] if data and cut < len(data) else []
        if piece:
            if isinstance(piece, bytes):
                try:
                    text = piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    # (the bad byte is no line end, so a \\r just before it ends a line)
                    good = piece[: _last_end(piece[: exc.start + 1])].decode("utf-8")
                    if good:
                        yield (label, number, good, None)
                    reason = f"不是 UTF-8 编码: {exc.reason}"
                    yield (label, number + _count(good), "", reason)
                    return
            else:
                text = piece
            yield (label, number, text, None)
            number += _count(text)
        if not data:
            return


def _without_bom(fh: IO[Any], data: Any, size: int) -> Any:
    """The first data read from a stream, without the BOM it may start with."""
    if isinstance(data, str):
        return data[1:] if data.startswith(_BOM) else data
    while len(data) < 3 and b"\xef\xbb\xbf".startswith(data):
        more = fh.read(size)
        if not more:
            break
        data += more
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _last_end(data: str | bytes) -> int:
    """Where the last complete line of ``data`` ends (0: none yet). A final ``\\r`` is not
    an end yet: a ``\\n`` may follow it."""
    if isinstance(data, str):
        return max(data.rfind("\n"), data.rfind("\r", 0, len(data) - 1)) + 1
    return max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1


def _count(text: str) -> int:
    """How many lines ``text`` holds or starts."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (1 if text and text[-1] not in "\r\n" else 0)


def lines_of(block: Block) -> Iterator[Line]:
    """The non-blank lines of ``block``, numbered in their stream."""
    label, number, text, error = block
    if error is not None:
        yield (f"{label}:{number + 1}", None, error)
        return
    for line in io.StringIO(text, newline=""):
        number += 1
        if line.strip():
            yield (f"{label}:{number}", line, None)


def raw_lines_of(fh: IO[str] | IO[bytes], label: str) -> Iterator[Line]:
    """``(source, text, error)`` for each non-blank line of a JSON Lines stream, unparsed
    (see :func:`blocks_of`)."""
    for block in blocks_of(fh, label):
        yield from lines_of(block)


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
