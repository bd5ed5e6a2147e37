"""Filled templates read back: records (or events, for 附件6/7), every row accounted for.

A filled form is read with its header map (:class:`~fupin_rules.io.tables.TableReader`), so
what any other table reader accepts is accepted here. The example row the template carries is
left out when it was not changed (it is the same record as :func:`.template.example_record`)
and counted as such; a changed example row is an ordinary row. Then every row of the data
sheet is in exactly one of: a record (or event), a rejected row (with its reason), the example
row, or a blank row: :attr:`FilledForm.balanced` checks the sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..events.reading import TableForm, table_event
from ..io.jsonl import InputRecord
from ..io.tables import ReadStats, TableReader
from .catalog import Form
from .template import CODES_SHEET, GUIDE_SHEET, example_record

__all__ = ["FilledForm", "read_filled", "records_of"]

_OWN_SHEETS = tuple(f":{s}: 没有找到表头行, 整张工作表未导入" for s in (GUIDE_SHEET, CODES_SHEET))


@attrs.frozen
class FilledForm:
    """What a filled form gave: its items in row order and the count of every row."""

    form: Form
    items: tuple[InputRecord, ...]
    """Records (or events), and rejected rows with their reasons."""
    rows_read: int
    """Data rows read (not blank), the example row included."""
    example_rows: int
    blank_rows: int
    warnings: tuple[str, ...]

    @property
    def records(self) -> int:
        """How many records (or events) were made."""
        return sum(1 for i in self.items if i.error is None)

    @property
    def rejected_rows(self) -> int:
        """Rows that became no record (each item with an error names them)."""
        return sum(i.rows for i in self.items if i.error is not None)

    @property
    def balanced(self) -> bool:
        """Every row read is in a record, a rejected row or the example."""
        in_records = sum(i.rows for i in self.items if i.error is None)
        return in_records + self.rejected_rows + self.example_rows == self.rows_read

    def summary(self) -> str:
        """One Chinese line with the counts."""
        what = "事项" if self.form.event_type else "条记录"
        return (
            f"{self.form.title}: 读入 {self.rows_read} 行 (另有空行 {self.blank_rows} 行): "
            f"组成 {self.records} {what}, 拒收 {self.rejected_rows} 行, "
            f"未改动的填写示例 {self.example_rows} 行"
        )


def _normal(form: Form, record: Any) -> Any:
    checked, _ = form.schema.check(record)
    return checked


def read_filled(
    form: Form,
    paths: Iterable[str | Path],
    *,
    date: str | None = None,
    encoding: str | None = None,
) -> FilledForm:
    """Read filled forms (XLSX or CSV) back. For a form read as events (附件6/7), ``date``
    is the date the form was filled in (each event's date); without it each event is refused
    with that reason, as ``events check`` does."""
    reader = TableReader(form.headermap, form.schema, encoding=encoding)
    example = _normal(form, example_record(form))
    items: list[InputRecord] = []
    examples = 0
    table_form = (
        TableForm(form.event_type, form.table, reader)
        if form.event_type is not None and form.table is not None
        else None
    )
    for item in reader.read(paths):
        if item.error is None and _normal(form, item.record) == example:
            examples += item.rows
            continue
        if table_form is not None:
            item = table_event(item, table_form, date)
        items.append(item)
    stats: ReadStats = reader.stats
    return FilledForm(
        form=form,
        items=tuple(items),
        rows_read=stats.rows_read,
        example_rows=examples,
        blank_rows=stats.blank_rows,
        # The template's own guide and code-list sheets have no header row, as intended.
        warnings=tuple(w for w in stats.warnings if not w.endswith(_OWN_SHEETS)),
    )


def records_of(filled: FilledForm) -> Sequence[Mapping[str, Any]]:
    """The records (or events) of a filled form, without the rejected rows."""
    return [i.record for i in filled.items if i.error is None]
