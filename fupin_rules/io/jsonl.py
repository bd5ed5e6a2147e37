"""JSON Lines in and out (files are opened and written by :mod:`fupin_rules.io.files`;
``atomic_output`` and ``write_atomic`` are also found here, where they used to be).

Numbers with a fraction are read as exact ``Decimal``; ``NaN``/``Infinity``, duplicate keys,
nesting deeper than :data:`NESTING`, lines longer than :data:`MAX_LINE` and bytes that are not
UTF-8 are refused per line (the line becomes a rejected record, the run goes on).
"""

from __future__ import annotations

import decimal
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TextIO

import attrs

from .._canonical import dumps, escape_lone_surrogates
from ..results import FindingsForm
from .files import atomic_output, open_input, reading, write_atomic

__all__ = [
    "NESTING",
    "InputRecord",
    "LineParser",
    "Span",
    "atomic_output",
    "block_lines",
    "decoded",
    "line_count",
    "nesting",
    "parse_json_record",
    "raw_lines_of",
    "read_jsonl",
    "result_bytes",
    "result_line",
    "utf8_json",
    "write_atomic",
    "write_jsonl",
]

MAX_LINE = 10_000_000
"""Longest accepted line, in characters (its line end included)."""

NESTING = 64
"""Deepest accepted nesting of arrays and objects in a record (real records nest four levels):
a deeper record is refused when it is read, so that no check or evaluation can run out of
Python's recursion on it, in any process (which would make the outcome depend on the stack)."""


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
    record_id: str | None = None
    """A rejected row's record id (户编号), when the row has one."""
    division: str | None = None
    """A rejected row's division code, when the row has one (to place it under its village)."""
    problems: tuple[str, ...] = ()
    """What was wrong in the input of a record that was still read: household columns whose
    rows disagree, household cells that could not be used (:mod:`fupin_rules.io.assembly`)."""

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
    if _FAST is not None:
        value = _fast(text)
        if value is not _NOT_FAST:
            return value, None
    try:
        value = _DECODER.decode(text)
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
    except decimal.InvalidOperation:  # raised by Decimal itself for an exponent past its range
        return None, "不是可用的数值: 指数过大, 无法读取"
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            return None, f"不是有效的 JSON: 整数位数过多 (超过 {limit} 位)"
        return None, f"不是有效的 JSON: {exc}"
    # Nesting deeper than NESTING needs that many brackets: only then is the value walked.
    if text.count("[") + text.count("{") > NESTING:
        depth = nesting(value)
        if depth > NESTING:
            return None, f"嵌套层数过多 ({depth} 层, 至多 {NESTING} 层)"
    return value, None


class LineParser:
    """:func:`parse_json_record` for the lines of one unit of input, asking ``read`` first (a
    record schema's :meth:`~fupin_rules.records.RecordSchema.read_line`, or None): the
    record it reads and checks in one pass, else what the reference parser says of the line.
    After :data:`MISSES` lines in a row that ``read`` leaves to the reference, it is asked no
    more (input it cannot read, such as code labels throughout, then costs at most that many
    attempts a unit). Which lines it reads changes no result, only the time."""

    def __init__(self, read: Callable[[str], Any] | None) -> None:
        self.read = read
        self.misses = 0

    def __call__(self, text: str) -> tuple[Any, str | None]:
        read = self.read
        if read is not None and len(text) <= MAX_LINE:
            record = read(text)
            if record is not None:
                self.misses = 0
                return record, None
            self.misses += 1
            if self.misses >= MISSES:
                self.read = None
        return parse_json_record(text)


MISSES = 16
"""Lines in a row left to the reference after which :class:`LineParser` stops asking."""


def _fast(text: str) -> Any:
    """``text`` parsed by msgspec (exact decimals through its float hook), or
    :data:`_NOT_FAST` where only the reference parser may say what the line is: anything
    msgspec refuses, and a line with a repeated key (msgspec keeps the last one, the project
    refuses the line).

    A repeated key shows in the count of colons. In a text without a backslash no string
    holds a quote or an escape, so the text's colons are one for each key and those inside
    strings; written again (msgspec, compact), the value has one for each key it kept and
    those inside the strings it kept, unchanged. A key lost with its duplicate takes its
    colon with it and can only take strings, never add any: the counts are equal only if no
    key repeats. Texts with a backslash go to the reference parser."""
    if "\\" in text:
        return _NOT_FAST
    try:
        value = _FAST.decode(text)
        if text.count(":") != _ENCODE(value).count(b":"):
            return _NOT_FAST
    except Exception:  # noqa: BLE001 - the reference parser gives the reason
        return _NOT_FAST
    if text.count("[") + text.count("{") > NESTING and nesting(value) > NESTING:
        return _NOT_FAST
    return value


_NOT_FAST = object()
_FAST: Any
_ENCODE: Any
try:
    import msgspec
except ImportError:  # pragma: no cover - exercised where msgspec is not installed
    _FAST = _ENCODE = None
else:
    _FAST = msgspec.json.Decoder(float_hook=Decimal)
    _ENCODE = msgspec.json.Encoder().encode


def nesting(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (walked without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def read_jsonl(
    source: str | Path | IO[str] | IO[bytes], name: str | None = None
) -> Iterator[InputRecord]:
    """Yield one :class:`InputRecord` per non-blank line of a JSON Lines file or stream
    (a binary stream or file is read as UTF-8, a leading BOM skipped). A file that cannot be
    opened or read raises :class:`~fupin_rules.errors.FileError` naming it."""
    if isinstance(source, str | Path):
        label = name or str(source)
        with open_input(source) as fh:
            yield from reading(_records(fh, label), source)
    else:
        yield from reading(_records(source, name or "<stdin>"), name or "标准输入")


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
less; a longer line is read whole, up to :data:`MAX_LINE` characters)."""

Block = tuple[str, int, str, str | None]
"""``(label, lines before it, text, error)``: whole lines of one stream and how many lines
of the stream came before them; or, for one line that cannot be read (bytes that are not
UTF-8, a line over :data:`MAX_LINE` characters), empty text and the reason: that line gets
the next number, and the stream goes on after it."""


@attrs.frozen
class Span:
    """Whole lines of a regular file by where they are: ``length`` bytes from ``offset``,
    ``lines`` lines after the file's first ``number``. What the parent of ``--jobs`` hands a
    worker, which reads and decodes them itself (:func:`fupin_rules.io.inputs.lines_of_unit`),
    so that the parent neither decodes nor sends the text."""

    label: str
    """The file's path, as given."""
    number: int
    offset: int
    length: int
    lines: int


Line = tuple[str, Any, str | None]
"""``(source, text, error)``: one raw line to parse, labelled ``file:line``, or the reason
it could not be read (``text`` None). :func:`fupin_rules.parallel.raw_lines` also carries
Parquet rows, already records, in ``text``."""

_BOM = "\ufeff"


def blocks_of(
    fh: IO[str] | IO[bytes], label: str, size: int = BLOCK_BYTES, *, spans: bool = False
) -> Iterator[Any]:
    """The text of a JSON Lines stream in blocks of whole lines (:data:`Block`).

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``. A binary stream is decoded as UTF-8
    after a leading BOM, a block at a time; only a block that does not decode is split into
    lines, and each line that is not UTF-8 becomes an error block of its own, the lines around
    it read as usual. A line longer than :data:`MAX_LINE` is not held: it becomes an error
    block too. A text stream that fails to decode cannot be read further (its decoder has
    failed): an error block says so and the stream ends. The reading of ``fupin-rules
    evaluate`` (one job or many) and of :func:`read_jsonl`.

    ``spans``: ``fh`` is a regular file opened for bytes, and its whole lines come as
    :class:`Span` objects instead of decoded blocks (the error blocks of lines too long stay
    blocks); they are the same lines, numbered the same, once read.
    """
    number = 0
    pending: list[Any] = []  # the start of a line that has not ended yet
    held = 0
    skipping = False  # inside a line too long to hold
    first = True
    while True:
        try:
            data: Any = _read(fh, size)
        except UnicodeDecodeError as exc:  # a text stream that could not decode
            reason = f"不是 UTF-8 编码: {exc.reason}; 这一行之后的内容无法读取"
            yield (label, number, "", reason)
            return
        if first and data:
            first = False
            data = _without_bom(fh, data, size)
            if not data:
                continue  # the stream began with its BOM alone
        if skipping:
            eof = not data
            data = pending[0] + data if pending else data
            pending = []
            end = len(data) if eof else _first_end(data)
            if not end and not eof:  # still inside the long line
                if data[-1:] in ("\r", b"\r"):
                    pending = [data[-1:]]  # a "\n" may follow it
                continue
            yield (label, number, "", _too_long())
            number += 1
            skipping = False
            data = data[end:]
            if eof:
                return
            if not data:
                continue
        if pending and data and pending[-1][-1:] in ("\r", b"\r"):
            last = pending.pop()  # whether its final "\r" ends a line shows only now
            held -= len(last)
            data = last + data
        cut = _last_end(data) if data else len(data)
        if data and cut == 0:
            pending.append(data)  # no line ends here yet
            held += len(data)
            if held > _line_limit(data):
                skipping = True
                pending = [data[-1:]] if data[-1:] in ("\r", b"\r") else []
                held = 0
            continue
        head = data[:cut] if data else data
        piece = head[:0].join([*pending, head]) if pending else head
        pending = [data[cut:]] if data and cut < len(data) else []
        held = len(pending[0]) if pending else 0
        if piece and spans and isinstance(piece, bytes):
            end = fh.tell() - (len(data) - cut)  # data ends where the file has been read to
            lines = _count(piece)
            yield Span(label, number, end - len(piece), len(piece), lines)
            number += lines
        elif piece:
            for block in _decoded(label, number, piece):
                yield block
                number += block_lines(block)
        if not data:
            return


def _line_limit(data: str | bytes) -> int:
    """How much of one line is held before it is refused as too long: :data:`MAX_LINE`
    characters, which UTF-8 writes in at most four bytes each (a longer line of fewer bytes is
    read whole and refused by :func:`parse_json_record`)."""
    return MAX_LINE if isinstance(data, str) else 4 * MAX_LINE


def _too_long() -> str:
    return f"行过长 (超过 {MAX_LINE} 字符)"


def _decoded(label: str, number: int, piece: str | bytes) -> Iterator[Block]:
    """The blocks of ``piece``, whole lines starting after line ``number``: one block if it
    decodes (the usual case, at C speed), else line by line, each line that is not UTF-8 an
    error block of its own."""
    if isinstance(piece, str):
        yield (label, number, piece, None)
        return
    try:
        yield (label, number, piece.decode("utf-8"), None)
        return
    except UnicodeDecodeError as exc:
        # The bytes before the line holding the bad byte decode (the bad byte is no line end,
        # so a "\r" just before it ends a line).
        start = _last_end(piece[: exc.start + 1])
    good = piece[:start].decode("utf-8")
    if good:
        yield (label, number, good, None)
        number += _count(good)
    run: list[str] = []  # consecutive lines that decode, given as one block
    for line in piece[start:].splitlines(keepends=True):  # at \n, \r\n and \r only
        try:
            run.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError as exc:
            bad = exc.start
        if run:
            text = "".join(run)
            yield (label, number, text, None)
            number += _count(text)
            run = []
        reason = (
            f"不是 UTF-8 编码: 第 {bad + 1} 个字节 (0x{line[bad]:02X}) 无法按 UTF-8 读取"
            " (文件可能是 GBK 编码, 请另存为 UTF-8)"
        )
        yield (label, number, "", reason)
        number += 1
    if run:
        yield (label, number, "".join(run), None)


def _read(fh: IO[Any], size: int) -> Any:
    """``fh.read(size)``, one system call at a time where the stream allows it: a pipe that
    gives less than ``size`` and then waits would otherwise hold a signal (Ctrl-C, SIGTERM)
    until more comes, for ever if nothing does. The same data either way."""
    read1 = getattr(fh, "read1", None)
    if read1 is None:
        return fh.read(size)
    data = read1(size)
    if len(data) >= size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = read1(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return data[:0].join(parts)


def _without_bom(fh: IO[Any], data: Any, size: int) -> Any:
    """The first data read from a stream, without the BOM it may start with."""
    if isinstance(data, str):
        return data[1:] if data.startswith(_BOM) else data
    while len(data) < 3 and b"\xef\xbb\xbf".startswith(data):
        more = _read(fh, size)
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


def _first_end(data: str | bytes) -> int:
    """Where the first complete line of ``data`` ends (0: none yet; a final ``\\r`` is not an
    end yet)."""
    if isinstance(data, str):
        found = (data.find("\n"), data.find("\r", 0, len(data) - 1))
        pair = data.find("\r\n")
    else:
        found = (data.find(b"\n"), data.find(b"\r", 0, len(data) - 1))
        pair = data.find(b"\r\n")
    ends = [i for i in found if i >= 0]
    if not ends:
        return 0
    i = min(ends)
    return i + 2 if i == pair else i + 1


def _count(text: Any) -> int:
    """How many lines ``text`` (str, or UTF-8 bytes: the same line ends) holds or starts."""
    nl, cr, pair = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    if cr not in text:  # the usual case: a quarter of the time of counting "\r\n" too
        ends = text.count(nl)
    else:
        ends = text.count(nl) + text.count(cr) - text.count(pair)
    return int(ends) + (1 if text and text[-1:] not in (nl, cr) else 0)


def block_lines(block: Block) -> int:
    """How many lines of its stream ``block`` holds, blank ones included."""
    return 1 if block[3] is not None else _count(block[2])


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


def write_jsonl(items: Iterable[Any], out: TextIO) -> int:
    """Write each item as one deterministic JSON line (:func:`utf8_json`); return how many
    were written."""
    n = 0
    for item in items:
        out.write(utf8_json(dumps(item)))
        out.write("\n")
        n += 1
    return n


# --------------------------------------------------------------------------- writing


def json_line(value: Any) -> str:
    """``dumps(value)``: the canonical JSON text (orjson-fast when installed)."""
    return dumps(value)


def result_line(result: Any, *, findings: FindingsForm = True) -> str:
    """The JSON line of one result (:meth:`fupin_rules.Result.to_json`), without its newline;
    ``findings`` says how it gives its findings (:data:`fupin_rules.results.FindingsForm`).
    The text may hold a lone surrogate from the record: see :func:`utf8_json`."""
    try:
        return str(result.to_json(findings=findings))
    except (TypeError, ValueError):
        # A piece orjson refused that the writer did not foresee: the plain data gives the
        # same text by the standard library's encoder.
        return dumps(_plain_data(result, findings))


def result_bytes(result: Any, *, findings: FindingsForm = True) -> bytes:
    """:func:`result_line` as the UTF-8 bytes written (:meth:`fupin_rules.Result.to_bytes`:
    lone surrogates escaped), without the newline: what ``evaluate`` writes, bytes from the
    writer to the file."""
    try:
        return bytes(result.to_bytes(findings=findings))
    except (TypeError, ValueError):
        return utf8_json(dumps(_plain_data(result, findings))).encode("utf-8")


def _plain_data(result: Any, findings: FindingsForm) -> Any:
    return result.to_dict(findings=findings)


def utf8_json(text: str) -> str:
    """JSON text that UTF-8 can carry: each lone surrogate (``"\\ud800"`` in a record's
    JSON reads as one) written back as its escape of four hex digits
    (:func:`~fupin_rules._canonical.escape_lone_surrogates`).

    Outside strings JSON text is ASCII, so a surrogate can only stand inside a string, where
    the escape means the same character: Python's ``json`` reads the line back to the very
    string the record held. (Readers that insist on Unicode scalar values may replace it with
    U+FFFD; a pair of surrogates is read as the one character it encodes.)
    """
    return escape_lone_surrogates(text)


def decoded(label: str, number: int, data: bytes) -> Iterator[Block]:
    """The blocks of ``data``, whole lines of UTF-8 bytes after line ``number`` of
    ``label``, as :func:`blocks_of` gives them (a line that is not UTF-8 an error block)."""
    return _decoded(label, number, data)


def line_count(data: bytes) -> int:
    """How many lines ``data`` holds or starts (line ends ``\n``, ``\r\n``, ``\r``)."""
    return _count(data)
