"""Raw rows from CSV files, the tables they and worksheets make, and spreadsheets written so
that no cell can run.

Reading gives :class:`RawTable` objects: the header row and the data rows of one CSV file or one
worksheet (:mod:`fupin_rules.io.workbooks` reads XLSX), each row with its place (``file:line``
or ``file:sheet:row``). Nothing here knows about records; :mod:`fupin_rules.io.tables` maps the
columns to fields and builds the records. No file, however made, crashes or hangs a read: a file
that cannot be read is a :class:`TableError` naming it, a row that cannot be used a
:class:`RawRow` with an ``error`` (rejected with that reason), and every bound is a module
constant (``MAX_...``, listed in docs/data-io.md).

CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, then GB18030, which
also reads GBK and GB2312 files and keeps characters such as 䶮 that GBK lacks) or forced; when
some lines decode in neither, the encoding in which more lines decode is used. A row is rejected,
and the rest of the file read, when it has a line that does not decode, a NUL or a BOM, more or
fewer cells than the header (trailing empty cells aside), or a cell longer than
:data:`MAX_CELL_CHARS`. Nothing is read with replacement characters.

Writing: :func:`safe_text` and :func:`write_xlsx` make every text cell plain text (cells that begin
with ``=``, ``+``, ``-``, ``@``, tab or CR are stored as strings with Excel's quote-prefix flag, so
Excel shows them and never evaluates them); :func:`csv_cell` prefixes such text with ``'`` in CSV.
:func:`write_xlsx` writes atomically and gives the same bytes for the same workbook.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .._canonical import render_number
from ..errors import UsageError
from ..progress import SILENT, Meter
from .jsonl import write_atomic

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_CSV_BYTES",
    "CellIssue",
    "HeaderNotFound",
    "HeaderTest",
    "Numbered",
    "RawRow",
    "RawTable",
    "TableError",
    "build_table",
    "column_letter",
    "csv_cell",
    "decode_csv_bytes",
    "detect_encoding",
    "read_csv_table",
    "safe_text",
    "visible",
    "write_xlsx",
]

MAX_CSV_BYTES = 1_000_000_000
"""Largest CSV file read, in bytes."""
MAX_CELL_CHARS = 32_767
"""Excel's limit on the characters of one cell: longer text is cut with a marker when written,
and a longer cell read from a CSV or XLSX file rejects its row."""

_ENCODING_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "936": "gb18030",
    "gb18030": "gb18030",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf-16": "utf-16",
}


class TableError(UsageError):
    """A whole input file cannot be read as a table (encoding, missing or duplicate columns, a
    broken or hostile file, a limit passed)."""


@attrs.frozen
class CellIssue:
    """A cell whose value cannot be used, and why (a formula without a value, ``#N/A`` ...)."""

    reason: str


@attrs.frozen
class RawRow:
    """One data row: where it is and its cell values, aligned with the table's headers."""

    source: str
    number: int
    """Line (CSV) or row (XLSX) number, 1-based."""
    values: tuple[Any, ...]
    error: str | None = None
    """Why the row cannot be used at all (a line that does not decode, cells that do not line up
    with the header ...): the row is rejected with this reason."""


@attrs.frozen
class RawTable:
    """The header and data rows of one CSV file or one worksheet."""

    file: str
    sheet: str | None
    headers: tuple[str, ...]
    header_row: int
    rows: Sequence[RawRow]
    blank_rows: int = 0
    """Fully empty rows after the header, skipped."""
    encoding: str | None = None

    @property
    def prefix(self) -> str:
        """``file`` or ``file:sheet``: what row numbers are appended to."""
        return f"{self.file}:{self.sheet}" if self.sheet is not None else self.file


HeaderTest = Callable[[Sequence[Any]], bool]
"""Whether a row is the header row (looks for the required column)."""

Numbered = tuple[int, int, list[Any], str | None]
"""A row as read: its first and last line (a quoted CSV cell may hold line breaks; a sheet's
row is one), its values, and why it cannot be used (None: it can)."""


def column_letter(index: int) -> str:
    """The spreadsheet letter of the column at 0-based ``index``: 0 is ``A``, 26 is ``AA``."""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------- CSV


def _undecodable(lines: Sequence[bytes], encoding: str) -> list[int]:
    bad = []
    for i, line in enumerate(lines):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            bad.append(i)
    return bad


def detect_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030``.

    When some lines decode in neither UTF-8 nor GB18030, the one in which fewer lines fail
    (UTF-8 on a tie); those lines are then rejected rows."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    lines = data.splitlines()
    fewer = len(_undecodable(lines, "gb18030")) < len(_undecodable(lines, "utf-8"))
    return "gb18030" if fewer else "utf-8"


def _encoding(data: bytes, encoding: str | None) -> str:
    if encoding is None:
        return detect_encoding(data)
    encoding = _ENCODING_ALIASES.get(encoding.lower().replace("_", "-"), encoding)
    try:
        b"\n".decode(encoding)  # a text encoding (not rot13 or zlib)
    except UnicodeError:
        pass  # one byte is not a whole character (UTF-16)
    except (LookupError, ValueError):
        msg = f"未知的编码 {encoding!r}; 可用 utf-8、gb18030 (含 gbk)"
        raise TableError(msg) from None
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return encoding


def decode_csv_bytes(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file's bytes strictly: (text, encoding used). GBK is read as GB18030.

    Raises :class:`TableError` naming the first line that does not decode (the reader,
    :func:`read_csv_table`, rejects such lines one by one instead)."""
    used = _encoding(data, encoding)
    try:
        text = data.decode(used)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"{name}: 第 {line} 行不是 {used} 编码 (第 {exc.start} 字节)"
        raise TableError(msg) from None
    return text.removeprefix("\ufeff"), used


def _decoded(data: bytes, name: str, used: str, problems: dict[int, str]) -> tuple[str, list[str]]:
    try:
        text = data.decode(used)
    except UnicodeDecodeError as exc:
        # Line by line needs encodings in which a line break is always the byte it is in
        # ASCII (UTF-8, GB18030, ...); UTF-16 is refused whole, naming the line.
        rest = "utf-8" if used == "utf-8-sig" else used
        if "\r\n".encode(rest) != b"\r\n":
            number = data[: exc.start].count(b"\n") + 1
            msg = f"{name}: 第 {number} 行不是 {used} 编码 (第 {exc.start} 字节)"
            raise TableError(msg) from None
        lines = []
        offset = 0
        for i, raw in enumerate(data.splitlines(keepends=True)):
            try:
                lines.append(raw.decode(used if i == 0 else rest))
            except UnicodeDecodeError as bad:
                # Replacement characters only hold the line's quotes and commas in place for
                # the CSV parser; the row is rejected, its text never used.
                lines.append(raw.decode(used if i == 0 else rest, errors="replace"))
                problems[i] = f"不是 {used} 编码 (第 {offset + bad.start} 字节起)"
            offset += len(raw)
        return "".join(lines), lines
    return text, io.StringIO(text, newline="").readlines()


def _csv_lines(
    data: bytes, name: str, encoding: str | None
) -> tuple[list[str], str, dict[int, str]]:
    """The lines of a CSV file (each with its line break), the encoding, and the lines that
    cannot be used (0-based index -> reason)."""
    used = _encoding(data, encoding)
    problems: dict[int, str] = {}
    try:
        text, lines = _decoded(data, name, used, problems)
    except UnicodeError:
        # codecs that fail otherwise than at a byte they cannot decode (punycode, idna)
        msg = f"{name}: 无法按 {used} 编码读取; 请用 --encoding 指定 utf-8 或 gb18030"
        raise TableError(msg) from None
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    if "\x00" in text or "\ufeff" in text:
        # a BOM begins a file: at the start of a later line, another file was appended
        for i, line in enumerate(lines):
            if "\x00" in line:
                problems.setdefault(i, "含有空字符 (NUL), 文件可能已损坏")
            elif i and line.startswith("\ufeff"):
                problems.setdefault(i, "以字节顺序标记 (BOM, U+FEFF) 开头, 可能是两个文件拼接而成")
    return lines, used, problems


def _csv_rows(
    lines: list[str], delimiter: str, problems: dict[int, str], progress: Meter = SILENT
) -> list[Numbered]:
    """The rows of the lines, each counted on ``progress`` (the lines it took as the amount)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    out: list[Numbered] = []
    start = 0
    while True:
        try:
            for values in reader:
                end = reader.line_num
                error = None
                if problems:
                    found = next((i for i in range(start, end) if i in problems), None)
                    if found is not None:
                        error = f"第 {found + 1} 行{problems[found]}"
                # no cell is longer than the lines that hold it
                if error is None and (end > start + 1 or len(lines[start]) > MAX_CELL_CHARS):
                    error = _too_long(values, start + 1, end)
                out.append((start + 1, end, values, error))
                progress.advance(1, end - start)
                start = end
        except csv.Error:
            # the csv module's own cap on one field; the parser goes on at the next line
            end = reader.line_num
            error = f"有超过 {csv.field_size_limit()} 个字符的单元格 (可能是引号没有闭合)"
            out.append((start + 1, end, [], f"第 {_lines(start + 1, end)} 行{error}"))
            progress.advance(1, end - start)
            start = end
            continue
        return out


def _too_long(values: Sequence[str], first: int, last: int) -> str | None:
    for i, v in enumerate(values):
        if len(v) > MAX_CELL_CHARS:
            return (
                f"第 {_lines(first, last)} 行第 {column_letter(i)} 列有 {len(v)} 个字符, "
                f"超过单元格上限 {MAX_CELL_CHARS}"
            )
    return None


def _lines(first: int, last: int) -> str:
    return str(first) if last <= first else f"{first}-{last}"


def read_csv_table(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    is_header: HeaderTest | None = None,
    search_rows: int = 10,
    progress: Meter = SILENT,
) -> RawTable:
    """Read a CSV file (comma, or tab when the header has tabs and no commas), its rows
    counted on ``progress`` as they are parsed (a step ``读取`` against the file's lines)."""
    label = name or str(path)
    p = Path(path)
    try:
        if p.stat().st_size > MAX_CSV_BYTES:
            msg = f"{label}: 文件过大 (上限 {MAX_CSV_BYTES} 字节)"
            raise TableError(msg)
        data = p.read_bytes()
    except OSError as exc:
        msg = f"{label}: 无法读取: {exc.strerror or exc}"
        raise TableError(msg) from exc
    lines, used, problems = _csv_lines(data, label, encoding)
    first = lines[0] if lines else ""
    delimiter = "\t" if "\t" in first and "," not in first else ","
    with progress.stage("读取", total=len(lines)) as shown:
        rows = _csv_rows(lines, delimiter, problems, shown)
    return build_table(label, None, rows, is_header, search_rows, used, aligned=True)


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _width(values: Sequence[Any]) -> int:
    """How many cells, trailing empty ones not counted."""
    n = len(values)
    while n and _blank(values[n - 1 : n]):
        n -= 1
    return n


def _misaligned(values: Sequence[Any], width: int) -> str | None:
    # A row with fewer cells than the header, or more non-empty ones, has lost or gained a
    # separator (a comma or line break in an unquoted cell): its cells are not in their columns.
    count = len(values)
    if count > width and not _blank(values[width:]):
        count = _width(values)
    elif count >= width:
        return None
    return f"有 {count} 个单元格, 而表头有 {width} 列 (内容中的逗号、引号或换行可能没有加引号)"


class HeaderNotFound(TableError):
    """No header row where one was looked for (in the first rows of a file or a sheet)."""


def build_table(
    file: str,
    sheet: str | None,
    numbered: Sequence[Numbered],
    is_header: HeaderTest | None,
    search_rows: int,
    encoding: str | None,
    *,
    aligned: bool = False,
) -> RawTable:
    """The table in rows as read: the header row (the first row ``is_header`` accepts among the
    first ``search_rows`` non-empty ones), then every data row, fully empty ones counted. With
    ``aligned`` (CSV), a row whose cells do not line up with the header is rejected; a sheet's
    cells always know their column."""
    start = None
    seen = 0
    for i, (_, _, values, error) in enumerate(numbered):
        if error is None and _blank(values):
            continue
        seen += 1
        if is_header is None or is_header(values):
            start = i
            break
        if seen >= search_rows:
            break
    where = f"{file}:{sheet}" if sheet is not None else file
    if start is None:
        raise HeaderNotFound(f"{where}: 前 {search_rows} 行中没有找到表头行")
    header_row, _, header_values, header_error = numbered[start]
    if header_error is not None:
        msg = (
            f"{where}: 表头行不能使用: {header_error}; "
            "若是编码不对, 请用 --encoding 指定, 或在 Excel 中另存为 “CSV UTF-8”"
        )
        raise TableError(msg)
    headers = tuple("" if v is None else str(v).removeprefix("\ufeff") for v in header_values)
    width = _width(header_values)
    rows: list[RawRow] = []
    blank = 0
    for number, last, values, error in numbered[start + 1 :]:
        if error is None and _blank(values):
            blank += 1
            continue
        if error is None and aligned:
            problem = _misaligned(values, width)
            error = None if problem is None else f"第 {_lines(number, last)} 行{problem}"
        rows.append(RawRow(f"{where}:{number}", number, tuple(values), error))
    return RawTable(
        file=file,
        sheet=sheet,
        headers=headers,
        header_row=header_row,
        rows=tuple(rows),
        blank_rows=blank,
        encoding=encoding,
    )


# --------------------------------------------------------------------------- writing

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CUT = "…(已截断)"


def safe_text(value: str) -> str:
    """Text a spreadsheet can hold: CR made LF, other control characters shown as ``\\xNN``,
    cut to Excel's limit."""
    # XML readers turn CR into LF; do it here so what is written is what is read back.
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - len(_CUT)] + _CUT
    return text


def dangerous(text: str) -> bool:
    """Whether spreadsheet programs could read ``text`` as a formula."""
    return text.startswith(_DANGEROUS)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with lone surrogates (which no UTF-8 file can hold) shown as escapes, such as
    ``\\ud800``."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_NUMBER_LOOKING = re.compile(r"[0-9]{12,}|0[0-9]+")
"""Digit codes a spreadsheet program opening a CSV would turn into a number and change: 12
digits or more (shown as ``4.51099E+18``, digits past the 15th lost: 户编号, 证件号码) or a
leading zero (dropped)."""


def csv_cell(value: Any) -> str:
    """A value as CSV text; text that could run as a formula gets a leading ``'``; a digit
    code that Excel, WPS or LibreOffice would read as a number (:data:`_NUMBER_LOOKING`) gets
    a leading tab, which makes them keep the field as text (quoting does not: the quotes are
    CSV syntax, and the number is guessed all the same). Readers strip the tab back off."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal | float):
        return render_number(value)
    text = visible(str(value))
    if dangerous(text):
        return "'" + text
    return "\t" + text if _NUMBER_LOOKING.fullmatch(text) else text


_FIXED_TIME = dt.datetime(2000, 1, 1)  # a constant, not the clock
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def xlsx_value(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl cell: text always as a string cell (never a formula)."""
    if value is None:
        cell.value = None
        return
    if isinstance(value, bool):
        cell.value = "是" if value else "否"
        return
    if isinstance(value, Decimal):
        cell.value = int(value) if value == value.to_integral_value() else float(value)
        return
    if isinstance(value, int | float):
        cell.value = value
        return
    text = safe_text(str(value))
    cell.value = text
    cell.data_type = "s"
    if dangerous(text):
        cell.quotePrefix = True


def write_xlsx(workbook: Any, path: str | Path) -> None:
    """Save an openpyxl workbook atomically, with fixed timestamps (same workbook, same bytes)."""
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = _FIXED_TIME
    workbook.properties.modified = _FIXED_TIME
    workbook.properties.creator = "fupin-rules"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    # openpyxl stamps each zip entry with the clock; rewrite them with a fixed time.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    write_atomic(path, out.getvalue())
