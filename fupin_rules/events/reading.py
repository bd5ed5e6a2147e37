"""Reading events: JSON Lines (one event per line), and the plan's forms through header maps.

JSON Lines (and standard input, and Parquet) are read by the one input layer
(:func:`fupin_rules.io.inputs.read_inputs`): one item per line, a line that is not JSON an
item with its reason. A form (附件6 by household, 附件7 by village; CSV or XLSX) is read by a
:class:`~fupin_rules.io.tables.TableReader` with the header map its procedure names
(``events.<type>.tables``): the rows of one household become one event of that type, its
rows' members the event's added or removed members, the form the evidence of its step. The
form's date (填表日期) is not a column: it is given for the whole file, and without it each
household's event is refused with that reason. Every row ends in exactly one item.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..io.inputs import input_kind, read_inputs
from ..io.jsonl import InputRecord
from ..io.spreadsheets import TableError
from ..io.tables import TableReader
from .procedures import TableSpec

__all__ = ["TableForm", "read_event_inputs", "table_event"]

NO_DATE = "表格中的事项没有日期: 请用 --date 给出填表日期 (事项日期)"


@attrs.frozen
class TableForm:
    """One kind of form: the event type its households become, how (its procedure's
    :class:`~fupin_rules.events.procedures.TableSpec`), and the reader of its header map."""

    event_type: str
    spec: TableSpec
    reader: TableReader = attrs.field(eq=False)


def table_event(item: InputRecord, form: TableForm, date: str | None) -> InputRecord:
    """The event one household of a form stands for (the item as it is, if its rows were
    refused). Without a date it is refused with :data:`NO_DATE`, the event (without its
    date) kept with the reason, so that its result still names the household."""
    if item.error is not None:
        return item
    record = item.record
    household = str(record.get("household_id"))
    spec = form.spec
    changes: dict[str, Any] = {spec.change: list(record.get(spec.rows) or ())}
    size = record.get("household_size")
    if size is not None:
        changes["household_size"] = _integral(size)
    data: dict[str, Any] = {
        "event_id": f"{form.event_type}:{household}",
        "type": form.event_type,
        "subject": {"kind": "household", "id": household},
    }
    if date is not None:
        data["date"] = date
    data["changes"] = changes
    if date is not None:
        data["steps"] = [{"step": spec.step, "date": date, "documents": [spec.document]}]
    if record.get("division_code") is not None:
        data["division_code"] = record["division_code"]
    if date is None:
        return InputRecord(source=item.source, record=data, error=NO_DATE, rows=item.rows)
    return InputRecord(source=item.source, record=data, rows=item.rows)


def _integral(value: Any) -> Any:
    """A spreadsheet number that is a whole number as an int (家庭人口数 4, not 4.0)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _form_items(path: str, forms: Sequence[TableForm], date: str | None) -> list[InputRecord]:
    """The events of one form file, read with the first of ``forms`` whose header map fits
    it (:class:`TableError` naming each one tried when none does)."""
    if not forms:
        msg = f"{path} 是表格文件, 但没有可读这种表格的程序 (events.<类型>.tables)"
        raise TableError(msg)
    refusals = []
    for form in forms:
        try:
            items = list(form.reader.read_file(path, path))
        except TableError as exc:
            refusals.append(f"{form.spec.headermap}: {exc}")
            continue
        return [table_event(item, form, date) for item in items]
    msg = f"{path} 不是可读的事项表格: " + "; ".join(refusals)
    raise TableError(msg)


def read_event_inputs(
    paths: Sequence[str], *, forms: Sequence[TableForm] = (), date: str | None = None
) -> Iterator[InputRecord]:
    """One item per event (or per line or row that cannot be one) of the inputs, in order:
    JSON Lines, standard input (``-`` or none given), Parquet, and forms read with ``forms``
    (with ``date`` as their date)."""
    for path in list(paths) or ["-"]:
        if input_kind(path) == "table":
            yield from _form_items(path, forms, date)
        else:
            yield from read_inputs([path])
