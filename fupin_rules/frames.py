"""pandas DataFrames in and out (the optional extra ``fupin-rules[frames]``).

In: :func:`records_from_frame` reads a frame as a table, through the same header map, cell
conversion and assembly as a spreadsheet (:class:`fupin_rules.io.tables.TableReader`): one row
per household, or one row per member grouped by the record id. ``NaN``, ``None``, ``NaT`` and
``pd.NA`` are empty cells; numpy scalars are read as Python values, integers as their exact
text (as a CSV cell); a float where text is needed (an 18-digit ID in a float column, which
has lost its last digits) rejects that row, not the column. Every row is accounted
for: the items' ``rows`` add up to the frame's length.

Out: :func:`results_frame`: one row per result, the record id, its place, the rule set, the
date, the outcome and conclusion, and one column per criterion with its outcome
(``pass`` / ``fail`` / ``not_applicable`` / ``unknown``; empty for an invalid record).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from typing import Any

from .io.jsonl import InputRecord
from .io.spreadsheets import RawRow, RawTable
from .io.tables import TableReader
from .model import Result

__all__ = ["RESULT_COLUMNS", "records_from_frame", "results_frame"]

RESULT_COLUMNS = ("record_id", "source", "ruleset", "as_of", "outcome", "conclusion")
"""The first columns of :func:`results_frame`; the criteria follow."""


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return str(value)  # exact, as a CSV cell gives it (an int64 ID loses nothing)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - a frame without pandas is polars-free duck typing
        pd = None
    if pd is not None:
        if value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        return value
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalars
        return _cell(item())
    return value


def records_from_frame(
    frame: Any, reader: TableReader, *, name: str = "DataFrame"
) -> Iterator[InputRecord]:
    """Records (and rejected rows) of a pandas frame read as a table by ``reader`` (its header
    map binds the frame's column names). Row numbers in ``source`` count from 2, as if row 1
    were the header: ``DataFrame:2`` is the frame's first row."""
    headers = tuple(str(c) for c in frame.columns)
    rows = [
        RawRow(f"{name}:{n}", n, tuple(_cell(v) for v in values))
        for n, values in enumerate(frame.itertuples(index=False, name=None), start=2)
    ]
    table = RawTable(file=name, sheet=None, headers=headers, header_row=1, rows=rows)
    reader.stats.files += 1
    yield from reader.assemble(table)


def results_frame(results: Iterable[Result]) -> Any:
    """A pandas frame of ``results``: one row per result, :data:`RESULT_COLUMNS` then one
    column per criterion (in the order first seen) holding its outcome."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    criteria: dict[str, None] = {}
    for r in results:
        row: dict[str, Any] = {
            "record_id": r.record_id,
            "source": r.source,
            "ruleset": r.ruleset,
            "as_of": r.as_of,
            "outcome": r.outcome,
            "conclusion": r.conclusion,
        }
        for criterion, outcome in r.outcomes:
            criteria.setdefault(criterion, None)
            row[criterion] = outcome
        rows.append(row)
    columns = [*RESULT_COLUMNS, *criteria]
    return pd.DataFrame(rows, columns=columns).astype(object).where(lambda f: f.notna(), None)
