"""Whole columns of record fields, as the column backend (:mod:`.columns`) reads them.

One array per record field, and for a list field such as ``members`` one padded array per item
field; each with a ``present`` mask where values may be absent. Built from checked records
(:func:`fupin_rules.columnar.build_columns`) or straight from Arrow arrays
(:mod:`fupin_rules.arrow`). Needs numpy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .._frozen import freeze
from .types import Type

__all__ = [
    "Bool",
    "Column",
    "ColumnTable",
    "ListColumn",
    "column_kind",
    "column_of",
    "table_of",
    "ymd",
]

Bool = npt.NDArray[np.bool_]


@attrs.frozen
class Column:
    """One field over all rows.

    ``kind``: ``num`` (float64 or int64 ``values``), ``bool``, ``cat`` (strings and codes as
    int32 indices into ``categories``) or ``date`` (int32 ``yyyymmdd``). ``present`` is False
    where the field is absent or null (None: present everywhere).
    """

    kind: str
    values: np.ndarray[Any, Any]
    present: Bool | None = None
    categories: tuple[str, ...] = ()


@attrs.frozen
class ListColumn:
    """A list field (``members``), padded: item ``k`` of row ``i`` is at ``i * width + k``.

    ``width`` is a multiple of 8 at least the longest list; ``lengths`` the number of items of
    each row; the item columns have ``n * width`` entries (padding is never read).
    """

    lengths: npt.NDArray[np.int64]
    width: int
    fields: Mapping[str, Column] = attrs.field(converter=freeze)
    present: Bool | None = None

    @classmethod
    def from_items(
        cls,
        lengths: Sequence[int] | npt.NDArray[np.int64],
        fields: Mapping[str, Column],
        present: Bool | None = None,
    ) -> ListColumn:
        """From item columns laid end to end (row 0's items, then row 1's ...)."""
        lens = np.asarray(lengths, dtype=np.int64)
        width = max(8, -(-int(lens.max(initial=0)) // 8) * 8)
        pos = _positions(lens, width)
        padded: dict[str, Column] = {}
        for name, col in fields.items():
            values = np.full(len(lens) * width, -1 if col.kind == "cat" else 0, col.values.dtype)
            values[pos] = col.values
            pres = None
            if col.present is not None:
                pres = np.zeros(len(lens) * width, dtype=np.bool_)
                pres[pos] = col.present
            padded[name] = Column(col.kind, values, pres, col.categories)
        return cls(lens, width, padded, present)


def _positions(lengths: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    starts = np.arange(len(lengths), dtype=np.int64) * width
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    within = np.arange(int(offsets[-1]), dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    result: npt.NDArray[np.int64] = np.repeat(starts, lengths) + within
    return result


@attrs.frozen
class ColumnTable:
    """Prebuilt columns for ``n`` records (checked when made: sizes, and that absent entries
    hold the filler the evaluator relies on: 0, or -1 for categories)."""

    n: int
    columns: Mapping[str, Column] = attrs.field(converter=freeze)
    lists: Mapping[str, ListColumn] = attrs.field(factory=dict, converter=freeze)
    _trusted: bool = attrs.field(default=False, alias="trusted", kw_only=True, repr=False)
    """Made from a table already checked (a slice): not checked again."""

    def __attrs_post_init__(self) -> None:
        if self._trusted:
            return
        for name, col in self.columns.items():
            _check_column(name, col, self.n)
        for name, lst in self.lists.items():
            if (
                len(lst.lengths) != self.n
                or lst.width % 8
                or lst.width < lst.lengths.max(initial=0)
            ):
                msg = f"list column {name}: lengths or width do not fit {self.n} rows"
                raise ValueError(msg)
            for sub, col in lst.fields.items():
                _check_column(f"{name}.{sub}", col, self.n * lst.width)

    def rows(self, start: int, stop: int) -> ColumnTable:
        """Rows ``start`` to ``stop`` (views, no copy)."""
        start, stop, _ = slice(start, stop).indices(self.n)
        stop = max(start, stop)

        def cut(col: Column, a: int, b: int) -> Column:
            present = None if col.present is None else col.present[a:b]
            return Column(col.kind, col.values[a:b], present, col.categories)

        lists = {
            name: ListColumn(
                lst.lengths[start:stop],
                lst.width,
                {s: cut(c, start * lst.width, stop * lst.width) for s, c in lst.fields.items()},
                None if lst.present is None else lst.present[start:stop],
            )
            for name, lst in self.lists.items()
        }
        columns = {name: cut(c, start, stop) for name, c in self.columns.items()}
        return ColumnTable(stop - start, columns, lists, trusted=True)


def _check_column(name: str, col: Column, n: int) -> None:
    if len(col.values) != n or (col.present is not None and len(col.present) != n):
        msg = f"column {name}: expected {n} entries"
        raise ValueError(msg)
    if col.present is not None:
        filler = -1 if col.kind == "cat" else 0
        if np.any(col.values[~col.present] != filler):
            msg = f"column {name}: absent entries must hold {filler}"
            raise ValueError(msg)


def ymd(value: Any) -> int:
    """A date (or its ISO text) as the integer ``yyyymmdd``; None as 0."""
    if value is None:
        return 0
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return d.year * 10000 + d.month * 100 + d.day


def column_kind(type_: Type) -> str | None:
    """The column kind that holds values of ``type_`` (None: no column form)."""
    return {"number": "num", "boolean": "bool", "date": "date", "code": "cat", "string": "cat"}.get(
        type_.kind
    )


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def column_of(kind: str, raw: Sequence[Any]) -> Column:
    """The column of ``kind`` holding the values ``raw`` (None: absent)."""
    n = len(raw)
    present = np.fromiter((v is not None for v in raw), dtype=np.bool_, count=n)
    all_present = bool(present.all())
    if kind == "num":
        if all(v is None or (isinstance(v, int) and _INT64_MIN <= v <= _INT64_MAX) for v in raw):
            values: np.ndarray[Any, Any] = np.fromiter(
                (0 if v is None else v for v in raw), dtype=np.int64, count=n
            )
        else:
            # Decimals, and integers beyond int64 (a record may hold up to 1E+24): float64,
            # which the column backend treats as inexact (near a bound: rows decide).
            values = np.fromiter((0.0 if v is None else float(v) for v in raw), np.float64, n)
        return Column("num", values, None if all_present else present)
    if kind == "bool":
        values = np.fromiter((v is True for v in raw), dtype=np.bool_, count=n)
        return Column("bool", values, None if all_present else present)
    if kind == "date":
        values = np.fromiter((ymd(v) for v in raw), dtype=np.int32, count=n)
        return Column("date", values, None if all_present else present)
    index: dict[str, int] = {}
    codes = np.fromiter(
        (-1 if v is None else index.setdefault(str(v), len(index)) for v in raw),
        dtype=np.int32,
        count=n,
    )
    if len(index) < 127:  # small codes: less memory to read, faster lookups
        codes = codes.astype(np.int8)
    return Column("cat", codes, None if all_present else present, tuple(index))


def table_of(
    records: Sequence[Mapping[str, Any]],
    fields: Mapping[str, Type],
    top: Sequence[str],
    lists: Mapping[str, Sequence[str]],
) -> ColumnTable:
    """The columns ``top`` and the list fields ``lists`` (with the item fields named) of
    *normalised, valid* records whose fields have the types ``fields``."""
    columns: dict[str, Column] = {}
    for name in top:
        kind = column_kind(fields[name])
        assert kind is not None
        columns[name] = column_of(kind, [r.get(name) for r in records])
    built: dict[str, ListColumn] = {}
    for name, subs in lists.items():
        item_type = fields[name].fields or {}
        raw = [r.get(name) for r in records]
        lengths = np.fromiter((len(v) if isinstance(v, list) else 0 for v in raw), np.int64)
        items = [m for v in raw if isinstance(v, list) for m in v]
        sub_cols: dict[str, Column] = {}
        for sub in subs:
            kind = column_kind(item_type[sub])
            assert kind is not None
            sub_cols[sub] = column_of(kind, [m.get(sub) for m in items])
        present = np.fromiter((isinstance(v, list) for v in raw), np.bool_, len(raw))
        built[name] = ListColumn.from_items(lengths, sub_cols, None if present.all() else present)
    return ColumnTable(len(records), columns, built)
