"""Raw rows from CSV and XLSX files, and spreadsheets written so that no cell can run.

Reading gives :class:`RawTable` objects: the header row and the data rows of one CSV file or one
worksheet, each row with its place (``file:line`` or ``file:sheet:row``). Nothing here knows about
records; :mod:`fupin_rules.io.tables` maps the columns to fields and builds the records.

* CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, then GB18030, which
  also reads GBK and GB2312 files and keeps characters such as 䶮 that GBK lacks) or forced.
  A file that decodes in none of them is refused naming the byte where it fails, rather than read
  with replacement characters.
* XLSX: openpyxl in read-only mode, streaming the sheet XML. Cached formula values are used; a
  formula cell that has none (a file written by a program and never opened in Excel) becomes a
  :class:`CellIssue`, not an empty cell. Error values (``#N/A``) are issues too. Merged ranges are
  filled with their top-left value. Fully empty rows are skipped and counted.

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
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .._canonical import render_number
from ..errors import UsageError
from .jsonl import write_atomic

__all__ = [
    "MAX_CELL_CHARS",
    "CellIssue",
    "RawRow",
    "RawTable",
    "TableError",
    "csv_cell",
    "decode_csv_bytes",
    "detect_encoding",
    "read_csv_table",
    "read_xlsx_tables",
    "safe_text",
    "visible",
    "write_xlsx",
]

MAX_CSV_BYTES = 1_000_000_000
"""Largest CSV file read, in bytes."""
MAX_CELL_CHARS = 32_767
"""Excel's limit on the characters of one cell; longer text is cut with a marker."""

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
    """A whole input file cannot be read as a table (encoding, missing or duplicate columns)."""


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


# --------------------------------------------------------------------------- CSV


def detect_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030``.

    Raises :class:`TableError` if the bytes are none of them."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        msg = (
            f"无法识别文件编码: 既不是 UTF-8 也不是 GB18030/GBK (第 {exc.start} 字节起出错); "
            "请用 --encoding 指定, 或在 Excel 中另存为 “CSV UTF-8”"
        )
        raise TableError(msg) from None
    return "gb18030"


def decode_csv_bytes(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file's bytes strictly: (text, encoding used). GBK is read as GB18030."""
    if encoding is None:
        try:
            encoding = detect_encoding(data)
        except TableError as exc:
            raise TableError(f"{name}: {exc}") from None
    else:
        encoding = _ENCODING_ALIASES.get(encoding.lower().replace("_", "-"), encoding)
        try:
            codecs.lookup(encoding)
        except LookupError:
            msg = f"未知的编码 {encoding!r}; 可用 utf-8、gb18030 (含 gbk)"
            raise TableError(msg) from None
        if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"{name}: 第 {line} 行不是 {encoding} 编码 (第 {exc.start} 字节)"
        raise TableError(msg) from None
    return text.removeprefix("\ufeff"), encoding


def read_csv_table(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    is_header: HeaderTest | None = None,
    search_rows: int = 10,
) -> RawTable:
    """Read a CSV file (comma, or tab when the header has tabs and no commas)."""
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
    text, used = decode_csv_bytes(data, label, encoding)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    numbered: list[tuple[int, list[Any]]] = []
    previous_end = 0
    try:
        for row in reader:
            numbered.append((previous_end + 1, list(row)))
            previous_end = reader.line_num
    except csv.Error as exc:
        msg = f"{label}:{previous_end + 1}: CSV 格式错误: {exc}"
        raise TableError(msg) from None
    return _table(label, None, numbered, is_header, search_rows, used)


# --------------------------------------------------------------------------- XLSX


def _xlsx_rows(ws: Any, wb: Any) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["data_type"] == "e":
                cell["value"] = CellIssue(f"单元格是错误值 {cell['value']}")
            elif cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = CellIssue(
                    "单元格是公式但没有计算结果 (文件未经 Excel 计算保存); "
                    "请在 Excel 中打开并保存后再导入"
                )
            return cell

    rows: list[tuple[int, list[Any]]] = []
    with ws._get_source() as src:
        parser = _Parser(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for idx, cells in parser.parse():
            values: list[Any] = []
            for cell in cells:
                column = int(cell["column"])
                while len(values) < column - 1:
                    values.append(None)
                values.append(cell["value"])
            rows.append((int(idx), values))
        merged = parser.merged_cells
    if merged is not None and merged.mergeCell:
        _fill_merged(rows, [str(m.ref) for m in merged.mergeCell])
    return iter(rows)


def _fill_merged(rows: list[tuple[int, list[Any]]], refs: list[str]) -> None:
    from openpyxl.utils.cell import range_boundaries

    by_number = dict(rows)
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        top = by_number.get(min_row)
        value = top[min_col - 1] if top is not None and len(top) >= min_col else None
        if value is None:
            continue
        for r in range(min_row, max_row + 1):
            values = by_number.get(r)
            if values is None:
                values = []
                by_number[r] = values
                rows.append((r, values))
            for c in range(min_col, max_col + 1):
                while len(values) < c:
                    values.append(None)
                if values[c - 1] is None:
                    values[c - 1] = value
    rows.sort(key=lambda item: item[0])


def read_xlsx_tables(
    path: str | Path,
    *,
    name: str | None = None,
    is_header: HeaderTest | None = None,
    search_rows: int = 10,
    skipped: list[str] | None = None,
) -> list[RawTable]:
    """Every worksheet of an XLSX file that has a header row (``is_header``), as tables.

    Sheets without one (an instructions sheet) are named in ``skipped``. Raises
    :class:`TableError` if the file cannot be opened or no sheet has a header row."""
    import openpyxl

    label = name or str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        msg = f"{label}: 不是可读的 XLSX 文件 ({exc})"
        raise TableError(msg) from exc
    tables: list[RawTable] = []
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "_get_source"):
                continue
            rows = list(_xlsx_rows(ws, wb))
            try:
                tables.append(_table(label, ws.title, rows, is_header, search_rows, None))
            except _NoHeader:
                if skipped is not None:
                    skipped.append(f"{label}:{ws.title}")
    finally:
        wb.close()
    if not tables:
        raise _NoHeader(label)
    return tables


class _NoHeader(TableError):
    pass


def _blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _table(
    file: str,
    sheet: str | None,
    numbered: Sequence[tuple[int, list[Any]]],
    is_header: HeaderTest | None,
    search_rows: int,
    encoding: str | None,
) -> RawTable:
    start = None
    seen = 0
    for i, (_, values) in enumerate(numbered):
        if _blank(values):
            continue
        seen += 1
        if is_header is None or is_header(values):
            start = i
            break
        if seen >= search_rows:
            break
    where = f"{file}:{sheet}" if sheet is not None else file
    if start is None:
        raise _NoHeader(f"{where}: 前 {search_rows} 行中没有找到表头行")
    header_row, header_values = numbered[start]
    headers = tuple("" if v is None else str(v).removeprefix("\ufeff") for v in header_values)
    rows: list[RawRow] = []
    blank = 0
    prefix = where
    for number, values in numbered[start + 1 :]:
        if _blank(values):
            blank += 1
            continue
        rows.append(RawRow(source=f"{prefix}:{number}", number=number, values=tuple(values)))
    return RawTable(
        file=file,
        sheet=sheet,
        headers=headers,
        header_row=header_row,
        rows=rows,
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


def csv_cell(value: Any) -> str:
    """A value as CSV text; text that could run as a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal | float):
        return render_number(value)
    text = visible(str(value))
    return "'" + text if dangerous(text) else text


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
