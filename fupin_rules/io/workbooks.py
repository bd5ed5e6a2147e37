"""XLSX workbooks read within bounds: the zip checked before anything in it is parsed, no DTD in
any XML part, sheets and shared strings streamed one row or one string at a time.

:func:`read_xlsx_tables` gives a :class:`~fupin_rules.io.spreadsheets.RawTable` for each sheet
with a header row. Nothing a file holds, however it was made, crashes or hangs the read or takes
memory out of proportion to the limits below: a broken, hostile or too large file is a
:class:`~fupin_rules.io.spreadsheets.TableError` naming it (and the part, sheet or row).

* The zip (:meth:`_Archive.check`): at most :data:`MAX_ZIP_MEMBERS` members, none larger than
  :data:`MAX_MEMBER_BYTES` uncompressed, all together at most :data:`MAX_UNCOMPRESSED_BYTES`, none
  (nor the whole) growing more than :data:`MAX_COMPRESSION_RATIO` times past
  :data:`RATIO_FREE_BYTES` (a zip bomb), members not overlapping. A truncated or corrupt zip, or
  a corrupt compressed stream, is named as such.
* XML: a part with a DTD (``<!DOCTYPE``: entity expansion, "billion laughs", external entities)
  is refused before any parser reads it. Parts openpyxl reads whole (content types, workbook,
  relationships, styles) are held to :data:`MAX_PART_BYTES`; the sheets and the shared strings
  are streamed, each row (string, merged range) dropped once read, with at most
  :data:`MAX_ROW_ELEMENTS` elements in one.
* Sheets, all of a workbook's together (so that many small sheets cannot add up): at most
  :data:`MAX_ROWS` rows and :data:`MAX_CELLS` cells (empty ones before a row's last cell, and
  those filled from merged ranges, included); merged ranges covering at most
  :data:`MAX_MERGED_CELLS` cells, counted before any is filled; at most
  :data:`MAX_SHEET_COLUMNS` columns; at most :data:`MAX_SHARED_STRINGS` shared strings; each
  sheet its own part (two sheets on one part are refused). A cell longer than
  :data:`~fupin_rules.io.spreadsheets.MAX_CELL_CHARS` is a :class:`CellIssue` (its row rejected).

openpyxl's worksheet parser reads each row's cells (hence the ``openpyxl>=3.1.2,<3.2`` pin).
Cached formula values are used; a formula cell that has none (a file written by a program and
never opened in Excel) becomes a :class:`CellIssue`, not an empty cell; error values (``#N/A``)
too. Merged ranges are filled with their top-left value. Fully empty rows are skipped and counted.

Progress: given a shown :class:`~fupin_rules.progress.Meter`, each sheet is a step of it
(``读取``, in rows, against the last row of the sheet's dimension where the sheet has one).
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal
from xml.etree.ElementTree import ParseError, iterparse
from xml.parsers import expat

import attrs

from ..progress import SILENT, Meter
from .spreadsheets import (
    MAX_CELL_CHARS,
    CellIssue,
    HeaderNotFound,
    HeaderTest,
    Numbered,
    RawTable,
    TableError,
    build_table,
)

__all__ = [
    "MAX_CELLS",
    "MAX_COMPRESSION_RATIO",
    "MAX_MEMBER_BYTES",
    "MAX_MERGED_CELLS",
    "MAX_PART_BYTES",
    "MAX_ROWS",
    "MAX_ROW_ELEMENTS",
    "MAX_SHARED_STRINGS",
    "MAX_SHEET_COLUMNS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_XLSX_BYTES",
    "MAX_ZIP_MEMBERS",
    "RATIO_FREE_BYTES",
    "read_xlsx_tables",
]

MAX_XLSX_BYTES = 300_000_000
"""Largest XLSX file read, in bytes (a full sheet of 1,048,576 rows is well below)."""
MAX_ZIP_MEMBERS = 1_000
"""Most files inside one XLSX zip (a workbook of many sheets has a few hundred)."""
MAX_MEMBER_BYTES = 1_000_000_000
"""Largest uncompressed file inside the zip: a sheet or the shared strings, which are streamed."""
MAX_PART_BYTES = 20_000_000
"""Largest uncompressed part that is read whole (content types, workbook, relationships,
styles)."""
MAX_UNCOMPRESSED_BYTES = 2_000_000_000
"""Largest total of the zip's files uncompressed."""
MAX_COMPRESSION_RATIO = 100
"""Most a file (and the whole zip) may grow when uncompressed, as a multiple of its compressed
size, once it is over :data:`RATIO_FREE_BYTES` (Apache POI's zip-bomb check: 100 after 100 KiB).
Real sheets grow 5 to 25 times."""
RATIO_FREE_BYTES = 102_400
"""Uncompressed size up to which a file's compression ratio is not checked."""
MAX_ROWS = 2_000_000
"""Most rows in all the sheets of one workbook, rows made by merged ranges included (a full
Excel sheet has 1,048,576)."""
MAX_SHEET_COLUMNS = 16_384
"""Most columns in one sheet (Excel's limit, XFD)."""
MAX_CELLS = 20_000_000
"""Most cells held for all the sheets of one workbook: every cell up to the last one of each row,
empty ones and those filled from merged ranges included."""
MAX_MERGED_CELLS = 10_000_000
"""Most cells covered by the merged ranges of one workbook, counted before any is filled."""
MAX_SHARED_STRINGS = 5_000_000
"""Most entries in a workbook's shared-string table."""
MAX_ROW_ELEMENTS = 200_000
"""Most XML elements inside one row of a sheet (or one shared string, or one merged range)."""

_SUSPECT = "可能已损坏或是恶意文件"


def _too_long(chars: int) -> CellIssue:
    return CellIssue(f"单元格有 {chars} 个字符, 超过上限 {MAX_CELL_CHARS}")


@attrs.define
class _Budget:
    """What the sheets read so far have taken of the workbook's :data:`MAX_ROWS`,
    :data:`MAX_CELLS` and :data:`MAX_MERGED_CELLS`."""

    rows: int = 0
    cells: int = 0
    merged: int = 0

    def row(self, where: str) -> None:
        self.rows += 1
        if self.rows > MAX_ROWS:
            msg = f"{where}: 行数 (各工作表合计, 含合并单元格所占的行) 超过上限 {MAX_ROWS}"
            raise TableError(msg)

    def more_cells(self, more: int, where: str) -> None:
        self.cells += more
        if self.cells > MAX_CELLS:
            msg = (
                f"{where}: 单元格 (各工作表合计, 含空单元格和合并单元格的填充) "
                f"超过上限 {MAX_CELLS} 个"
            )
            raise TableError(msg)

    def merge(self, cells: int, ref: str, where: str) -> None:
        self.merged += cells
        if self.merged > MAX_MERGED_CELLS:
            msg = (
                f"{where}: 合并单元格 (到 {ref} 为止) 共 {self.merged} 格, 超过上限 "
                f"{MAX_MERGED_CELLS} 格; 请取消不必要的合并后另存"
            )
            raise TableError(msg)


def _too_big(label: str, member: str, size: int, limit: int) -> TableError:
    return TableError(
        f"{label}: 压缩包中的 {member} 解压后有 {size} 字节, 超过上限 {limit} 字节, {_SUSPECT}"
    )


def _check_ratio(label: str, what: str, size: int, packed: int) -> None:
    if size > RATIO_FREE_BYTES and size > MAX_COMPRESSION_RATIO * packed:
        msg = (
            f"{label}: {what}解压后是压缩时的 {size // max(packed, 1)} 倍, "
            f"超过上限 {MAX_COMPRESSION_RATIO} 倍 (“zip 炸弹”), {_SUSPECT}"
        )
        raise TableError(msg)


class _Root(Exception):
    """The root element began: the prolog, where a DTD would be, is over."""


def _refuse_dtd(chunks: Iterable[bytes], label: str, member: str) -> None:
    # Entity expansion ("billion laughs") and external entities need a DTD, and no part of an
    # XLSX file has one. Refusing it here, in the prolog (a DTD cannot follow the root
    # element), holds whichever parser reads the part; openpyxl uses defusedxml only when it
    # is installed and OPENPYXL_DEFUSEDXML is not "False".
    parser = expat.ParserCreate(namespace_separator="}")

    def doctype(*_: object) -> None:
        msg = (
            f"{label}: 压缩包中的 {member} 含有 DTD (<!DOCTYPE>), XLSX 文件不应含有; "
            f"为安全起见不予读取, {_SUSPECT}"
        )
        raise TableError(msg)

    def root(*_: object) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    # A part that is not well-formed XML is reported by the parser that reads it, with its place.
    with contextlib.suppress(_Root, expat.ExpatError):
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


class _Archive(zipfile.ZipFile):
    """An XLSX zip, checked (:meth:`check`) before anything is parsed. What openpyxl reads whole
    is held to :data:`MAX_PART_BYTES`; every XML part read, whole or streamed, is refused if it
    has a DTD. ``member`` is the file last opened, to name it when it turns out broken."""

    def __init__(self, file: IO[bytes], label: str) -> None:
        super().__init__(file)
        self.label = label
        self.member = ""

    def check(self, size: int) -> None:
        """Refuse too many members, or members too large or too compressed, before any is read."""
        label = self.label
        members = self.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            msg = (
                f"{label}: 压缩包中有 {len(members)} 个文件, 超过上限 {MAX_ZIP_MEMBERS} 个, "
                f"{_SUSPECT}"
            )
            raise TableError(msg)
        total = packed = 0
        for info in members:
            if info.file_size > MAX_MEMBER_BYTES:
                raise _too_big(label, info.filename, info.file_size, MAX_MEMBER_BYTES)
            _check_ratio(label, f"压缩包中的 {info.filename} ", info.file_size, info.compress_size)
            total += info.file_size
            packed += info.compress_size
        if total > MAX_UNCOMPRESSED_BYTES:
            msg = (
                f"{label}: 压缩包解压后共 {total} 字节, 超过上限 {MAX_UNCOMPRESSED_BYTES} 字节, "
                f"{_SUSPECT}"
            )
            raise TableError(msg)
        _check_ratio(label, "压缩包", total, packed)
        if packed > size:
            # members overlapping each other: one compressed stream unpacked many times
            msg = (
                f"{label}: 压缩包中的文件互相重叠 (压缩数据共 {packed} 字节, "
                f"文件只有 {size} 字节), {_SUSPECT}"
            )
            raise TableError(msg)

    def open(
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        self.member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        return super().open(name, mode, pwd, force_zip64=force_zip64)

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.file_size > MAX_PART_BYTES:
            raise _too_big(self.label, info.filename, info.file_size, MAX_PART_BYTES)
        data = super().read(info, pwd)
        _refuse_dtd([data], self.label, info.filename)
        return data

    def stream(self, member: str) -> IO[bytes]:
        """A member to parse piece by piece, once its prolog has been found to hold no DTD."""
        with self.open(member) as probe:
            _refuse_dtd(iter(lambda: probe.read(65_536), b""), self.label, member)
        return self.open(member)


def _elements(source: IO[bytes], depth: int, where: str) -> Iterator[Any]:
    # Each element `depth` levels down (the root is 1: a sheet's rows are 3, shared strings 2),
    # whole, then dropped from the tree, so that memory holds one at a time; one holding more
    # than MAX_ROW_ELEMENTS elements is refused while it is being read. The DTD check before
    # (_Archive.stream) is what makes the standard library's parser safe here.
    stack: list[Any] = []
    inside = 0
    for event, element in iterparse(source, events=("start", "end")):  # noqa: S314
        if event == "start":
            stack.append(element)
            if len(stack) >= depth:
                inside = 1 if len(stack) == depth else inside + 1
                if inside > MAX_ROW_ELEMENTS:
                    msg = f"{where}: 一行中的 XML 元素超过 {MAX_ROW_ELEMENTS} 个, {_SUSPECT}"
                    raise TableError(msg)
            continue
        stack.pop()
        if len(stack) == depth - 1:
            yield element
        if stack and len(stack) < depth:
            stack[-1].clear()


def _shared_strings(archive: _Archive, member: str) -> list[Any]:
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS

    tag = f"{{{SHEET_MAIN_NS}}}si"
    where = f"{archive.label}: 压缩包中的 {member}"
    strings: list[Any] = []
    with archive.stream(member) as source:
        for element in _elements(source, 2, where):
            if element.tag != tag:
                continue
            if len(strings) >= MAX_SHARED_STRINGS:
                msg = f"{where} 的共享字符串超过上限 {MAX_SHARED_STRINGS} 个, {_SUSPECT}"
                raise TableError(msg)
            # as openpyxl's own reader of the table (openpyxl.reader.strings)
            text = Text.from_tree(element).content.replace("x005F_", "")
            strings.append(text if len(text) <= MAX_CELL_CHARS else _too_long(len(text)))
    return strings


def _workbook(archive: _Archive) -> tuple[Any, list[Any], list[tuple[str, str]]]:
    """The workbook (its epoch and date styles), its shared strings, and its worksheets as
    (title, member), read by openpyxl's own parsers through the checked archive."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    package = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    parser = WorkbookParser(archive, _find_workbook_part(package).PartName[1:], keep_links=False)
    parser.parse()
    apply_stylesheet(archive, parser.wb)
    part = package.find(SHARED_STRINGS)
    strings = _shared_strings(archive, part.PartName[1:]) if part is not None else []
    names = set(archive.namelist())
    sheets: dict[str, str] = {}  # member -> title
    for sheet in parser.sheets:
        rel = parser.rels.get(sheet.id) if sheet.id else None
        if rel is not None and "chartsheet" in str(rel.Type):
            continue  # a chart, no cells
        if rel is None or rel.target not in names:
            msg = f"{archive.label}: 不是可读的 XLSX 文件: 找不到工作表「{sheet.name}」的内容"
            raise TableError(msg)
        if rel.target in sheets:
            # one part read once: a part listed many times would be parsed as many times
            msg = (
                f"{archive.label}: 不是可读的 XLSX 文件: 工作表「{sheets[rel.target]}」和"
                f"「{sheet.name}」是同一内容 {rel.target}"
            )
            raise TableError(msg)
        sheets[str(rel.target)] = str(sheet.name)
    return parser.wb, strings, [(title, member) for member, title in sheets.items()]


def _sheet_rows(
    archive: _Archive,
    member: str,
    book: Any,
    strings: Sequence[Any],
    budget: _Budget,
    where: str,
    progress: Meter = SILENT,
) -> list[Numbered]:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._reader import FORMULA_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS

    class _Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            value = cell["value"]
            if cell["data_type"] == "e":
                cell["value"] = CellIssue(f"单元格是错误值 {value}")
            elif value is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = CellIssue(
                    "单元格是公式但没有计算结果 (文件未经 Excel 计算保存); "
                    "请在 Excel 中打开并保存后再导入"
                )
            elif isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                cell["value"] = _too_long(len(value))
            return cell

    parser = _Parser(
        None,
        strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,
        timedelta_formats=book._timedelta_formats,
    )
    merge_tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    rows: list[tuple[int, list[Any]]] = []
    ranges: list[tuple[int, int, int, int]] = []
    last = 0  # the row number reached: what the sheet's dimension is counted in
    with archive.stream(member) as source, _reading(archive, member, progress) as shown:
        for element in _elements(source, 3, where):
            if element.tag == ROW_TAG:
                budget.row(where)
                number, parsed = parser.parse_row(element)
                parser.row_dimensions.clear()  # row heights: not needed, and one per row
                values: list[Any] = []
                for cell in parsed:
                    column = int(cell["column"])
                    if column > len(values):
                        if column > MAX_SHEET_COLUMNS:
                            msg = (
                                f"{where}:{number}: 单元格在第 {column} 列, "
                                f"超过上限 {MAX_SHEET_COLUMNS} 列"
                            )
                            raise TableError(msg)
                        budget.more_cells(column - len(values), where)
                        values.extend([None] * (column - len(values)))
                    values[column - 1] = cell["value"]
                number = int(number)
                rows.append((number, values))
                shown.advance(1, number - last if number > last else 0)
                last = max(last, number)
            elif element.tag == merge_tag:
                ref = str(element.get("ref"))
                bounds = range_boundaries(ref)
                if None in bounds or min(bounds) < 1 or bounds[2] > MAX_SHEET_COLUMNS:
                    msg = f"{where}: 不是可读的 XLSX 文件: 合并单元格的范围 {ref!r} 无效"
                    raise TableError(msg)
                min_col, min_row, max_col, max_row = bounds
                area = max(max_col - min_col + 1, 0) * max(max_row - min_row + 1, 0)
                budget.merge(area, ref, where)
                ranges.append((min_col, min_row, max_col, max_row))
    if ranges:
        _fill_merged(rows, ranges, budget, where)
    return [(number, number, values, None) for number, values in rows]


_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref=[\"']"
    rb"[A-Za-z]{1,3}[0-9]{1,7}:[A-Za-z]{1,3}([0-9]{1,7})[\"']"
)
_DIMENSION_BYTES = 16_384
"""How far into a sheet's XML its dimension is looked for (it comes before the cells, after
the sheet's properties)."""


def _expected_rows(archive: _Archive, member: str) -> int | None:
    """The sheet's last row by its dimension (``<dimension ref="A1:BM59959"/>``): what the
    reading of the sheet is shown against, never a limit. None where the dimension is missing
    or a single cell (some programs write ``A1`` whatever the sheet holds), or the part
    cannot be read (its reading then says why)."""
    try:
        with archive.open(member) as fh:
            head = fh.read(_DIMENSION_BYTES)
    except _BROKEN:
        return None
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found else None


@contextlib.contextmanager
def _reading(archive: _Archive, member: str, progress: Meter) -> Iterator[Meter]:
    """The step ``读取`` of ``progress`` for one sheet (nothing looked up when it is silent)."""
    expected = _expected_rows(archive, member) if progress.shown else None
    with progress.stage("读取", total=expected) as shown:
        yield shown


def _fill_merged(
    rows: list[tuple[int, list[Any]]],
    ranges: list[tuple[int, int, int, int]],
    budget: _Budget,
    where: str,
) -> None:
    by_number = dict(rows)
    for min_col, min_row, max_col, max_row in ranges:
        top = by_number.get(min_row)
        value = top[min_col - 1] if top is not None and len(top) >= min_col else None
        if value is None:
            continue
        for r in range(min_row, max_row + 1):
            values = by_number.get(r)
            if values is None:
                budget.row(where)
                values = []
                by_number[r] = values
                rows.append((r, values))
            if len(values) < max_col:
                budget.more_cells(max_col - len(values), where)
                values.extend([None] * (max_col - len(values)))
            for c in range(min_col - 1, max_col):
                if values[c] is None:
                    values[c] = value
    rows.sort(key=lambda item: item[0])


_BROKEN: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,  # not a zip, truncated, a bad CRC
    zlib.error,  # a corrupt compressed stream
    EOFError,  # a compressed stream cut short
    NotImplementedError,  # a compression method zipfile lacks
    RuntimeError,  # an encrypted member
    OSError,  # a stream that is not its method's, no workbook part (openpyxl)
    ParseError,  # XML that is not well-formed
    LookupError,  # a missing member, part or shared string
    ValueError,  # a cell, row or range that cannot be read (openpyxl)
    TypeError,  # an attribute of the wrong type (openpyxl's descriptors)
)
"""What zipfile, the XML parser and openpyxl raise on a broken file."""


def _broken(label: str, member: str, exc: BaseException) -> str:
    if not member:
        detail = "不是 zip 压缩包, 或文件不完整"
    elif isinstance(exc, ParseError):
        line, column = exc.position
        detail = f"压缩包中的 {member} 不是格式正确的 XML (第 {line} 行第 {column} 列)"
    elif isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        detail = f"压缩包中的 {member} 已损坏或不完整"
    elif isinstance(exc, NotImplementedError | RuntimeError):
        detail = f"压缩包中的 {member} 使用了不支持的压缩方式或已加密"
    else:
        detail = f"压缩包中的 {member} 的内容不符合 XLSX 格式"
    return f"{label}: 不是可读的 XLSX 文件: {detail}; 请在 Excel 中打开并另存为 .xlsx 后再导入"


def read_xlsx_tables(
    path: str | Path,
    *,
    name: str | None = None,
    is_header: HeaderTest | None = None,
    search_rows: int = 10,
    skipped: list[str] | None = None,
    progress: Meter = SILENT,
) -> list[RawTable]:
    """Every worksheet of an XLSX file that has a header row (``is_header``), as tables.

    Sheets without one (an instructions sheet) are named in ``skipped``. Each sheet's rows
    are counted on ``progress`` as they are read (a step ``读取`` for each sheet). Raises
    :class:`TableError` if the file cannot be opened, is broken or passes a limit, or no sheet
    has a header row."""
    label = name or str(path)
    try:
        with open(path, "rb") as fh:
            return _tables(fh, label, is_header, search_rows, skipped, progress)
    except OSError as exc:
        msg = f"{label}: 无法读取: {exc.strerror or exc}"
        raise TableError(msg) from exc


def _tables(
    fh: IO[bytes],
    label: str,
    is_header: HeaderTest | None,
    search_rows: int,
    skipped: list[str] | None,
    progress: Meter,
) -> list[RawTable]:
    size = os.fstat(fh.fileno()).st_size
    if size > MAX_XLSX_BYTES:
        msg = f"{label}: 文件过大 ({size} 字节, 上限 {MAX_XLSX_BYTES} 字节)"
        raise TableError(msg)
    tables: list[RawTable] = []
    budget = _Budget()
    archive: _Archive | None = None
    try:
        with warnings.catch_warnings(), _Archive(fh, label) as archive:
            # openpyxl warns of the parts it drops; none of them holds a cell value
            warnings.simplefilter("ignore")
            archive.check(size)
            book, strings, sheets = _workbook(archive)
            for title, member in sheets:
                where = f"{label}:{title}"
                rows = _sheet_rows(archive, member, book, strings, budget, where, progress)
                try:
                    tables.append(build_table(label, title, rows, is_header, search_rows, None))
                except HeaderNotFound:
                    if skipped is not None:
                        skipped.append(where)
    except TableError:
        raise
    except _BROKEN as exc:
        # broken inside: named as such, never "cannot read the file" (OSError) outside
        member = archive.member if archive is not None else ""
        raise TableError(_broken(label, member, exc)) from exc
    if not tables:
        msg = f"{label}: 没有一张工作表在前 {search_rows} 行中有表头行"
        raise HeaderNotFound(msg)
    return tables
