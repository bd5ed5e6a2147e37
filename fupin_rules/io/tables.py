"""Records from spreadsheets: columns mapped by a header map, member rows grouped into households.

The national information system exports one row per family member, the household's columns
repeated on each of its rows. :class:`TableReader` reads such a CSV or XLSX file (or a JSON Lines
file, passed through), maps the headers with a :class:`~fupin_rules.io.headermaps.HeaderMap`,
converts each cell to the field's type, and groups the rows by the record id (户编号) into one
record per household with a ``members`` list.

Nothing is lost: every data row ends in exactly one record, or in the rejected list (an
:class:`~fupin_rules.io.jsonl.InputRecord` with ``error`` set) with its row and the reason:

* a row the file's reader could not use (:attr:`~fupin_rules.io.spreadsheets.RawRow.error`): a
  CSV line that does not decode or holds a NUL or a BOM, cells that do not line up with the
  header, a cell over 32,767 characters;
* no 户编号;
* a household column whose value differs from the household's first row (an empty cell is
  not a difference: merged cells and "same as above" rows are fine);
* a cell that cannot be used: a formula without a value, ``#N/A``, text over 32,767
  characters, an ID number stored as a number (an 18-digit number has lost its last digits
  in Excel).

``InputRecord.rows`` says how many input rows each item accounts for, so that
``rows read == sum(item.rows for item in items)`` always (:attr:`ReadStats.balanced`).

Values that are merely wrong (``"1,200"`` in a number column, an unknown code) are kept as read;
the record schema then makes the record ``invalid`` with the field named, so the household is
reported rather than silently changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from ..progress import SILENT, Meter
from ..records import RecordSchema
from .assembly import ConvertedRow, group_rows
from .derive import alias, derive_item
from .files import TABLE_SUFFIXES
from .headermaps import HeaderMap, normalise_header
from .jsonl import InputRecord
from .spreadsheets import (
    CellIssue,
    HeaderNotFound,
    RawRow,
    RawTable,
    TableError,
    column_letter,
    read_csv_table,
)
from .workbooks import read_xlsx_tables

__all__ = [
    "TABLE_SUFFIXES",
    "ReadStats",
    "TableReader",
    "field_property",
    "json_kind",
    "property_codes",
    "records_to_rows",
]

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_DATE = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_STRIP = " \t\r\n\u3000\ufeff\u200b"
_SAFE_INT = 10**15
"""Integers at or above this may have lost digits as spreadsheet numbers (15 significant digits)."""


@attrs.define
class ReadStats:
    """What a read saw: rows in, records out, rows rejected, warnings."""

    rows_read: int = 0
    records: int = 0
    rows_in_records: int = 0
    rejected_rows: int = 0
    blank_rows: int = 0
    files: int = 0
    warnings: list[str] = attrs.field(factory=list)
    records_with_problems: int = 0
    """Records kept whose input had problems (household columns whose rows disagree ...)."""

    @property
    def balanced(self) -> bool:
        """Whether every row read is in a record or rejected (the nothing-lost promise)."""
        return self.rows_read == self.rows_in_records + self.rejected_rows

    def summary(self) -> str:
        """One Chinese line with the totals."""
        return (
            f"读入 {self.rows_read} 行: 组成 {self.records} 条记录 (含 {self.rows_in_records} 行), "
            f"拒收 {self.rejected_rows} 行"
            + (f"; 跳过空行 {self.blank_rows}" if self.blank_rows else "")
            + (
                f"; 其中 {self.records_with_problems} 条记录的户信息有问题 "
                "(同户各行不一致或单元格无法使用, 用 fupin-rules check 列出)"
                if self.records_with_problems
                else ""
            )
        )


@attrs.frozen
class _Spec:
    path: str
    header: str
    kind: str
    """string, integer, number, boolean, date, array."""
    codes: Mapping[str, str] | None
    text_only: bool


def field_property(schema: RecordSchema, path: str) -> Mapping[str, Any]:
    """The record-schema property of ``path`` (``field`` or ``list.field``); empty if none."""
    top, _, sub = path.partition(".")
    props: Mapping[str, Any] = schema.schema.get("properties", {})
    prop: Mapping[str, Any] = props.get(top, {})
    if sub:
        prop = prop.get("items", {}).get("properties", {}).get(sub, {})
    return prop


def json_kind(prop: Mapping[str, Any]) -> str:
    """The JSON type of a property, null aside (``date`` for a string of format date)."""
    t = prop.get("type")
    kinds = [k for k in (t if isinstance(t, list | tuple) else [t]) if k != "null"]
    kind = str(kinds[0]) if kinds else "string"
    if kind == "string" and prop.get("format") == "date":
        return "date"
    return kind


def property_codes(
    schema: RecordSchema, prop: Mapping[str, Any], kind: str
) -> tuple[str | None, Mapping[str, str] | None]:
    """The code list a record-schema property of JSON type ``kind`` names (its items' for an
    array), as its id and codes; ``(None, None)`` when it names none the schema has."""
    listname = prop.get("x-codelist")
    if kind == "array":
        items = prop.get("items", {})
        listname = items.get("x-codelist") if isinstance(items, Mapping) else None
    if isinstance(listname, str) and listname in schema.codelists:
        return listname, schema.codelists[listname].codes
    return None, None


def _spec(schema: RecordSchema, hm: HeaderMap, path: str, header: str) -> _Spec:
    prop = field_property(schema, path)
    kind = json_kind(prop)
    _, codes = property_codes(schema, prop, kind)
    return _Spec(path=path, header=header, kind=kind, codes=codes, text_only=path in hm.text_only)


def _digits(value: Any) -> str | None:
    """An integral spreadsheet number as its digits (None if it has a fraction)."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _code(text: str, codes: Mapping[str, str] | None) -> str:
    if codes is None or text in codes or not text.isdigit():
        return text
    for code in codes:
        if code.isdigit() and len(code) > len(text) and code.lstrip("0") == text.lstrip("0"):
            return code
    return text


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _digits(value) if not isinstance(value, str) else value
    if text is None:
        return value
    m = _DATE.match(text)
    if not m:
        return text
    year, month, day = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return text


def convert(value: Any, spec: _Spec, hm: HeaderMap) -> tuple[Any, str | None]:
    """A cell value converted to its field's type: (value, None), or (None, reason to reject)."""
    if isinstance(value, CellIssue):
        return None, f"「{spec.header}」{value.reason}"
    if isinstance(value, str):
        value = value.strip(_STRIP)
        if value.startswith("'") and value[1:2] in {"=", "+", "-", "@"}:
            value = value[1:]
        if not value:
            return None, None
    if value is None:
        return None, None
    if isinstance(value, str) and spec.path in hm.aliases:
        value = alias(hm, spec.path, value)
    if spec.text_only:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number or (isinstance(value, str) and _SCIENTIFIC.match(value)):
            shown = value if isinstance(value, str) else repr(value)
            return None, (
                f"「{spec.header}」以数字形式存储 ({shown}), 长号码存成数字会丢失末几位; "
                "请把该列设为文本格式后重新导出"
            )
    kind = spec.kind
    if kind in {"integer", "number"}:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, float):
            return Decimal(repr(value)), None
        if isinstance(value, str) and _NUMBER.match(value):
            try:
                return Decimal(value), None
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return value, None
        return value, None
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        text = _digits(value) if not isinstance(value, str) else value
        flag = hm.boolean(text) if text is not None else None
        return (flag if flag is not None else value), None
    if kind == "date":
        return _date(value), None
    if kind == "array":
        if isinstance(value, str):
            parts = re.split("[" + re.escape(hm.separators) + "]", value)
            return [_code(p.strip(_STRIP), spec.codes) for p in parts if p.strip(_STRIP)], None
        digits = _digits(value)
        return ([_code(digits, spec.codes)] if digits is not None else [value]), None
    # text
    if isinstance(value, bool):
        return value, None
    if isinstance(value, dt.datetime | dt.date):
        return _date(value), None
    if isinstance(value, int | float):
        digits = _digits(value)
        if digits is None:
            return _code(str(Decimal(repr(value))), spec.codes), None
        if abs(int(digits)) >= _SAFE_INT:
            return None, (
                f"「{spec.header}」是 {len(digits)} 位的数字 ({value!r}), 可能已丢失末几位; "
                "请把该列设为文本格式后重新导出"
            )
        return _code(digits, spec.codes), None
    return _code(str(value), spec.codes), None


class TableReader:
    """Reads inputs into records with one header map and one record schema.

    >>> reader = TableReader(hm, lib.record_schemas["household"])          # doctest: +SKIP
    >>> for item in reader.read(["export.xlsx"]): ...                      # doctest: +SKIP
    >>> reader.stats.balanced                                              # doctest: +SKIP
    True

    ``progress`` (or :meth:`reporting`) shows the reading of each table on a meter before its
    first record comes out: the steps ``读取`` (the file's rows) and ``归户`` (its rows
    converted and grouped into households), in rows (:meth:`fupin_rules.progress.Meter.stage`).
    """

    def __init__(
        self,
        headermap: HeaderMap,
        schema: RecordSchema,
        *,
        encoding: str | None = None,
        progress: Meter = SILENT,
    ) -> None:
        if headermap.subject != schema.subject:
            msg = (
                f"表头对照 {headermap.key} 适用于 {headermap.subject} 记录, "
                f"不能用于 {schema.subject} 记录"
            )
            raise TableError(msg)
        self.headermap = headermap
        self.schema = schema
        self.encoding = encoding
        self.progress = progress
        self.stats = ReadStats()
        required = set(headermap.required)
        self._required_headers = {h for h, field in headermap.columns.items() if field in required}

    # -- header handling
    def _is_header(self, values: Sequence[Any]) -> bool:
        return any(normalise_header(v) in self._required_headers for v in values)

    def _bind(self, table: RawTable) -> list[_Spec | None]:
        hm = self.headermap
        where = table.prefix
        bound: list[_Spec | None] = []
        by_field: dict[str, str] = {}
        seen: dict[str, int] = {}
        unknown: list[str] = []
        duplicates: list[str] = []
        for i, header in enumerate(table.headers):
            norm = normalise_header(header)
            letter = column_letter(i)
            if not norm:
                bound.append(None)
                if any(i < len(r.values) and r.values[i] not in (None, "") for r in table.rows):
                    self.stats.warnings.append(f"{where}: 第 {letter} 列没有表头, 其内容未导入")
                continue
            field = hm.columns.get(norm)
            if norm in seen:
                text = f"「{header}」(第 {column_letter(seen[norm])} 列和第 {letter} 列)"
                if field is not None:
                    duplicates.append(text)
                else:
                    self.stats.warnings.append(f"{where}: 表头重复 {text}, 均未导入")
                bound.append(None)
                continue
            seen[norm] = i
            if field is None:
                if norm not in hm.ignore:
                    unknown.append(str(header))
                bound.append(None)
                continue
            if field in by_field:
                duplicates.append(
                    f"「{by_field[field]}」和「{header}」(第 {letter} 列) 都对应字段 {field}"
                )
                bound.append(None)
                continue
            by_field[field] = str(header)
            bound.append(_spec(self.schema, hm, field, str(header)))
        if duplicates:
            msg = f"{where}: 表头重复: " + "; ".join(duplicates) + "; 请删除或改名后再导入"
            raise TableError(msg)
        missing = [f for f in hm.required if f not in by_field]
        if missing:
            names = []
            for f in missing:
                options = [k for k, v in hm.columns.items() if v == f]
                names.append(f"「{options[0]}」({f}; 也可写作 {'、'.join(options[1:]) or '无'})")
            msg = f"{where}: 缺少必需的列 {'、'.join(names)}"
            raise TableError(msg)
        if unknown:
            self.stats.warnings.append(
                f"{where}: 以下列不在表头对照 {hm.key} 中, 未导入: {'、'.join(unknown)}"
            )
        return bound

    # -- reading
    @contextlib.contextmanager
    def reporting(self, meter: Meter) -> Iterator[TableReader]:
        """Within the block, the tables read are shown on ``meter`` (:attr:`progress`)."""
        kept, self.progress = self.progress, meter
        try:
            yield self
        finally:
            self.progress = kept

    def read(self, paths: Iterable[str | Path]) -> Iterator[InputRecord]:
        """Every record and rejected row of the table files ``paths``, file by file, in row
        order (:func:`fupin_rules.io.inputs.read_inputs` reads any kind of input)."""
        for path in paths:
            yield from self.read_file(path)

    def tables(self, path: str | Path, name: str | None = None) -> list[RawTable]:
        """The raw tables of one CSV or XLSX file (header row found with the header map)."""
        label = name or str(path)
        suffix = Path(path).suffix.lower()
        hm = self.headermap
        if suffix in {".xlsx", ".xlsm"}:
            skipped: list[str] = []
            try:
                tables = read_xlsx_tables(
                    path,
                    name=label,
                    is_header=self._is_header,
                    search_rows=hm.header_search_rows,
                    skipped=skipped,
                    progress=self.progress,
                )
            except HeaderNotFound:
                raise self._no_header(label) from None
            for sheet in skipped:
                self.stats.warnings.append(f"{sheet}: 没有找到表头行, 整张工作表未导入")
            return tables
        if suffix in {".csv", ".tsv", ".txt"}:
            try:
                return [
                    read_csv_table(
                        path,
                        name=label,
                        encoding=self.encoding,
                        is_header=self._is_header,
                        search_rows=hm.header_search_rows,
                        progress=self.progress,
                    )
                ]
            except HeaderNotFound:
                raise self._no_header(label) from None
        if suffix == ".xls":
            msg = f"{label}: 不支持旧版 .xls 文件, 请在 Excel 中另存为 .xlsx"
            raise TableError(msg)
        kind = suffix or "(无扩展名)"
        msg = f"{label}: 不认识的文件类型 {kind}; 可读 .xlsx、.csv、.jsonl、.parquet"
        raise TableError(msg)

    def _no_header(self, label: str) -> TableError:
        required = "、".join(
            f"「{self.headermap.headers.get(f, f)}」" for f in self.headermap.required
        )
        return TableError(
            f"{label}: 前 {self.headermap.header_search_rows} 行中没有找到含 {required} 的表头行"
            f" (表头对照 {self.headermap.key})"
        )

    def read_file(self, path: str | Path, name: str | None = None) -> Iterator[InputRecord]:
        """Records and rejected rows of one table file (CSV or XLSX), in row order."""
        label = name or str(path)
        if not Path(path).is_file():
            msg = f"输入文件不存在: {label}"
            raise TableError(msg)
        self.stats.files += 1
        for table in self.tables(path, label):
            yield from self.assemble(table)

    def count(self, item: InputRecord) -> None:
        """Count an item in :attr:`stats` (also one read from another kind of input, JSON
        Lines or Parquet, so that the totals cover every input)."""
        self.stats.rows_read += item.rows
        if item.error is None:
            self.stats.records += 1
            self.stats.rows_in_records += item.rows
            self.stats.records_with_problems += bool(item.problems)
        else:
            self.stats.rejected_rows += item.rows

    def assemble(self, table: RawTable) -> Iterator[InputRecord]:
        """Group a table's rows into records (:func:`~fupin_rules.io.assembly.group_rows`):
        every member row kept; rows that cannot be used are rejected with their place."""
        specs = self._bind(table)
        self.stats.blank_rows += table.blank_rows
        id_field = self.schema.id_field
        # each row counts twice in the amount: converted (here), then rejected or built
        # into its household (group_rows)
        with self.progress.stage("归户", total=2 * len(table.rows)) as shown:
            out = group_rows(
                (self._convert_row(row, specs) for row in shown.track(table.rows)),
                prefix=table.prefix,
                id_field=id_field,
                id_label=self.headermap.headers.get(id_field, id_field),
                label_of=self.schema.label,
                division_field=self.schema.division_field,
                progress=shown,
            )
        for _, done in out:
            self.count(done)
            yield done

    def _convert_row(self, row: RawRow, specs: Sequence[_Spec | None]) -> ConvertedRow:
        if row.error is not None:
            return ConvertedRow(row.number, row.source, {}, {}, error=row.error)
        top: dict[str, Any] = {}
        items: dict[str, dict[str, Any]] = {}
        household_issues: list[str] = []
        member_issues: list[str] = []
        for spec, value in zip(specs, row.values, strict=False):
            if spec is None:
                continue
            converted, reason = convert(value, spec, self.headermap)
            field, _, sub = spec.path.partition(".")
            if reason is not None:
                (member_issues if sub else household_issues).append(reason)
                continue
            if converted is None:
                continue
            if sub:
                items.setdefault(field, {})[sub] = converted
            else:
                top[field] = converted
        for field, item in items.items():
            derive_item(self.headermap, field, item)
        return ConvertedRow(
            row.number,
            row.source,
            top,
            items,
            household_issues=tuple(household_issues),
            member_issues=tuple(member_issues),
        )


# --------------------------------------------------------------------------- records -> rows


def records_to_rows(
    records: Iterable[Mapping[str, Any]], headermap: HeaderMap, schema: RecordSchema
) -> tuple[list[str], list[list[Any]]]:
    """Records laid out like the national export: one row per member, household columns
    repeated, codes written as their labels. Returns (headers, rows)."""
    fields = headermap.fields()
    headers = [headermap.headers[f] for f in fields]
    labels: dict[str, Mapping[str, str]] = {}
    for f in fields:
        spec = _spec(schema, headermap, f, headermap.headers[f])
        if spec.codes is not None:
            labels[f] = spec.codes
    rows: list[list[Any]] = []
    for record in records:
        lists = {f.partition(".")[0] for f in fields if "." in f}
        members: list[Mapping[str, Any]] = []
        for name in sorted(lists):
            value = record.get(name)
            if isinstance(value, list):
                members = [m for m in value if isinstance(m, Mapping)]
                break
        for member in members or [{}]:
            row: list[Any] = []
            for f in fields:
                top, _, sub = f.partition(".")
                value = member.get(sub) if sub else record.get(top)
                row.append(_cell(value, labels.get(f)))
            rows.append(row)
    return headers, rows


def _cell(value: Any, codes: Mapping[str, str] | None) -> Any:
    if isinstance(value, list):
        return "、".join(str(_cell(v, codes)) for v in value)
    if codes is not None and isinstance(value, str):
        return codes.get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value
