"""Parquet and Arrow batches evaluated by whole columns, with the row evaluator's results.

Read row by row, a Parquet file costs a Python record per household and a record check in
Python for each (:mod:`fupin_rules.io.parquet`). Here a batch of rows (a
``pyarrow.RecordBatch``) is checked and evaluated column by column:

* **Vouching.** Each row is *vouched for* by checks over whole columns: every distinct value
  of a column is checked once, by the plain check the row path runs on every record
  (:func:`fupin_rules.record_checks.compile_plain_value`), after the conversion the row reader
  makes (:func:`fupin_rules.io.parquet.value_of`) and the record normalisation (floats to exact
  decimals). Lists are checked by their lengths and their items' fields the same way. A row is
  vouched for only if every value in it passes, every required field has a value and no field
  outside the schema has one: the row path would accept its record as it is, so the columns
  hold exactly what the row path reads.
* **Columns.** The fields the rule set reads become :class:`~fupin_rules.columnar.Column` and
  :class:`~fupin_rules.columnar.ListColumn` straight from the Arrow arrays, and
  :func:`~fupin_rules.columnar.evaluate_columns` gives every criterion's outcome.
* **The rest by rows.** A row not vouched for, a row the columns mark uncertain (a value on a
  decimal boundary), a row that cannot be decided (its reasons come from the row evaluator's
  explanation of its unknown criteria) and a row the rule set does not apply to are evaluated
  by :meth:`RuleSet.evaluate` from the row's own record. A row decided although some criterion
  is unknown (a failed veto ...) is decided by the columns.

Every row gives exactly ``rs.evaluate(record, source="file:row")``'s result: the outcomes
now, the findings (messages, values) built from the row's record when first asked for. The
tests compare the JSON bytes, brief and full, on random households written to Parquet.

Needs numpy and pyarrow (``pip install 'fupin-rules[columnar,parquet]'``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ._frozen import thaw
from .columnar import evaluate_columns, plan
from .decision import CRITERION_OUTCOMES
from .evaluation import Rebuilt, parse_day, result_of_outcomes
from .io.parquet import rows_of, value_of
from .language.column_table import Column, ColumnTable, ListColumn, column_kind, ymd
from .language.columns import ColumnarUnsupported
from .model import Finding, Result, RuleSet
from .record_checks import compile_plain_value, normalise
from .record_keywords import MAX_DIGITS, MAX_MAGNITUDE

__all__ = ["evaluate_arrow", "iter_arrow", "vouched_rows"]

Bool = npt.NDArray[np.bool_]

_ANNOTATIONS = frozenset({"title", "description", "$schema", "$id", "$comment", "examples"})
_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems"})


def evaluate_arrow(
    rs: RuleSet,
    batch: Any,
    *,
    label: str,
    start: int = 0,
    as_of: str | dt.date | None = None,
    threads: int | None = 1,
) -> list[Result]:
    """One result per row of ``batch``, each exactly ``rs.evaluate(record, as_of=as_of,
    source=f"{label}:{start + i + 1}")`` for the row's record as
    :func:`fupin_rules.io.parquet.read_parquet` reads it.

    ``batch``: a ``pyarrow.RecordBatch`` or ``Table``, or any table that speaks the Arrow
    stream interface (a polars ``DataFrame`` ...), read through ``pyarrow.table``."""
    return list(iter_arrow(rs, batch, label=label, start=start, as_of=as_of, threads=threads))


def iter_arrow(
    rs: RuleSet,
    batch: Any,
    *,
    label: str,
    start: int = 0,
    as_of: str | dt.date | None = None,
    threads: int | None = 1,
) -> Iterator[Result]:
    """:func:`evaluate_arrow`'s results one at a time (the columns are evaluated at the
    first): a caller that writes each result holds neither the batch's records nor its
    results, which the garbage collector would walk again and again."""
    if not isinstance(batch, pa.RecordBatch | pa.Table):
        batch = pa.table(batch)
    if isinstance(batch, pa.Table):
        batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else _empty(batch)
    batch = _decoded(batch)
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    n = batch.num_rows
    try:
        plan(rs)
    except ColumnarUnsupported:
        decide: Bool = np.zeros(n, dtype=np.bool_)
        codes = np.zeros((n, len(rs.criteria)), dtype=np.int8)
    else:
        table, unconverted = _columns(rs, batch)
        col = evaluate_columns(rs, table, as_of=day, threads=threads)
        codes = col.criterion_outcomes
        decide = (
            vouched_rows(rs, batch)
            & ~unconverted
            & ~col.uncertain
            # decided, pass or fail, even if some criterion is unknown: such a record has no
            # reasons to give (not invalid, nor "does not apply")
            & (col.outcomes <= 1)
        )
    schema = rs.record_schema
    # Every row's record as the row reader reads it: the rows not decided here are evaluated
    # from it, and every result carries its digest.
    records = (record for _, record in rows_of(batch, label, start))
    for i, (record, decided) in enumerate(zip(records, decide.tolist(), strict=True)):
        source = f"{label}:{start + i + 1}"
        if not decided:
            yield rs.evaluate(record, as_of=day, source=source)
            continue
        outcomes = tuple([CRITERION_OUTCOMES[c] for c in codes[i].tolist()])
        yield (
            result_of_outcomes(
                rs,
                day,
                schema.record_id(record),
                source,
                outcomes,
                Rebuilt(_findings(rs, record, day, source)),
                checked=normalise(record),
            )
        )


def _empty(table: Any) -> Any:
    return pa.RecordBatch.from_pylist([], schema=table.schema)


def _decoded(batch: Any) -> Any:
    """``batch`` with its columns in the plain layouts the checks read: dictionary-encoded
    columns (categoricals) as their values, text views (polars) as text, at any depth. The
    values are the same, and read the same way row by row."""
    columns = batch.columns
    targets = [_plain_type(c.type) for c in columns]
    if all(t == c.type for t, c in zip(targets, columns, strict=True)):
        return batch
    plain = [c if t == c.type else pc.cast(c, t) for t, c in zip(targets, columns, strict=True)]
    return pa.RecordBatch.from_arrays(plain, names=batch.schema.names)


def _plain_type(t: Any) -> Any:
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_large_list(t):
        return pa.large_list(t.value_field.with_type(_plain_type(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_plain_type(f.type)) for f in t])
    return t


def _findings(rs: RuleSet, record: Any, day: str, source: str) -> Callable[[], tuple[Finding, ...]]:
    def build() -> tuple[Finding, ...]:
        return rs.evaluate(record, as_of=day, source=source).findings

    return build


# --------------------------------------------------------------------------- vouching


def vouched_rows(rs: RuleSet, batch: Any) -> Bool:
    """Which rows of ``batch`` hold a record the row path accepts as it is (valid, nothing to
    normalise but floats made exact decimals); False wherever that is not certain."""
    n = batch.num_rows
    checks = rs.cache.arrow
    if not isinstance(checks, _Checks):
        checks = rs.cache.arrow = _Checks(rs)
    schema = checks.schema
    names = list(batch.schema.names)
    if (
        not isinstance(schema, Mapping)
        or not _keywords(schema) <= _OBJECT_KEYS
        or _types(schema) != {"object"}
        or len(set(names)) != len(names)
    ):
        return np.zeros(n, dtype=np.bool_)
    props: Mapping[str, Any] = schema.get("properties", {})
    bad = np.zeros(n, dtype=np.bool_)
    for name in names:
        arr = batch.column(name)
        valid = _valid(arr)
        if name in props:
            bad |= checks.bad(arr, props[name]) & valid
        else:
            bad |= valid  # a field outside the schema: the row path decides
    for name in schema.get("required", ()):
        bad |= ~_valid(batch.column(name)) if name in names else True
    result: Bool = ~bad
    return result


class _Checks:
    """Vectorised plain checks of one rule set's record schema."""

    def __init__(self, rs: RuleSet) -> None:
        self.schema: dict[str, Any] = thaw(rs.record_schema.schema)
        """A plain copy of the record schema, which the generated checks read (kept, so
        that the checks compiled per sub-schema stay valid)."""
        self.codelists = rs.record_schema.codelists
        self.compiled: dict[int, tuple[Any, Callable[[Any], bool | None] | None]] = {}

    def bad(self, arr: Any, schema: Any) -> Bool:
        """Per element of ``arr``: True where the value is not vouched for (nulls: False, they
        are absent fields)."""
        t = arr.type
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return self._list(arr, schema)
        if pa.types.is_struct(t) or pa.types.is_nested(t):
            return _valid(arr)
        return self._leaf(arr, schema, nulls_absent=True)

    def _leaf(self, arr: Any, schema: Any, *, nulls_absent: bool) -> Bool:
        n = len(arr)
        t = arr.type
        if nulls_absent and (
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        ):
            numeric = _numbers_bad(arr, schema)
            if numeric is not None:
                return numeric
        if (
            nulls_absent
            and (pa.types.is_string(t) or pa.types.is_large_string(t))
            and _is_text_schema(schema)
        ):
            lengths = pc.utf8_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
            bad = np.zeros(n, dtype=np.bool_)
            if "minLength" in schema:
                bad |= lengths < int(schema["minLength"])
            if "maxLength" in schema:
                bad |= lengths > int(schema["maxLength"])
            return bad & _valid(arr)
        if nulls_absent and pa.types.is_date32(t) and _is_date_schema(schema):
            return np.zeros(n, dtype=np.bool_)  # every date32 is a date: its text is one
        check = self._check(schema)
        if check is None or not (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_boolean(t)
            or pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or pa.types.is_date32(t)
            or pa.types.is_decimal(t)
        ):
            return _valid(arr) if nulls_absent else np.ones(n, dtype=np.bool_)
        distinct = pc.unique(arr)
        ok = np.array(
            [
                (nulls_absent if v is None else check(normalise(value_of(v))) is True)
                for v in distinct.to_pylist()
            ]
            + [False],
            dtype=np.bool_,
        )
        where = pc.index_in(arr, value_set=distinct, skip_nulls=False).fill_null(len(ok) - 1)
        found: Bool = ok[where.to_numpy(zero_copy_only=False)]
        if nulls_absent:
            found |= ~_valid(arr)  # a null is an absent field: nothing to check here
        return ~found

    def _list(self, arr: Any, schema: Any) -> Bool:
        n = len(arr)
        if (
            not isinstance(schema, Mapping)
            or not _keywords(schema) <= _ARRAY_KEYS
            or not _types(schema) <= {"array", "null"}
            or "array" not in _types(schema)
            or "items" not in schema
        ):
            return _valid(arr)
        lengths = pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
        bad = np.zeros(n, dtype=np.bool_)
        if "maxItems" in schema:
            bad |= lengths > int(schema["maxItems"])
        if "minItems" in schema:
            bad |= lengths < int(schema["minItems"])
        flat = arr.flatten()
        items = schema["items"]
        t = flat.type
        if pa.types.is_struct(t):
            item_bad = self._objects(flat, items)
        elif pa.types.is_nested(t):
            item_bad = np.ones(len(flat), dtype=np.bool_)
        else:
            item_bad = self._leaf(flat, items, nulls_absent=False)
        owners = np.repeat(np.arange(n), lengths)
        bad[owners[item_bad]] = True
        return bad

    def _objects(self, arr: Any, schema: Any) -> Bool:
        """Per struct element: True where the item (an object in the record) is not vouched
        for; a null item is a null in the list, which an object schema refuses."""
        n = len(arr)
        if (
            not isinstance(schema, Mapping)
            or not _keywords(schema) <= _OBJECT_KEYS
            or _types(schema) != {"object"}
        ):
            return np.ones(n, dtype=np.bool_)
        props: Mapping[str, Any] = schema.get("properties", {})
        bad = ~_valid(arr)
        children = dict(zip([f.name for f in arr.type], arr.flatten(), strict=True))
        for name, child in children.items():
            valid = _valid(child)
            if name in props:
                bad |= self.bad(child, props[name]) & valid
            else:
                bad |= valid
        for name in schema.get("required", ()):
            bad |= ~_valid(children[name]) if name in children else True
        return bad

    def _check(self, schema: Any) -> Callable[[Any], bool | None] | None:
        found = self.compiled.get(id(schema))
        if found is None:
            found = self.compiled[id(schema)] = (
                schema,
                compile_plain_value(schema, self.codelists),
            )
        return found[1]


_BOUNDS = {
    "minimum": np.less,
    "maximum": np.greater,
    "exclusiveMinimum": np.less_equal,
    "exclusiveMaximum": np.greater_equal,
}


def _numbers_bad(arr: Any, schema: Any) -> Bool | None:
    """:meth:`_Checks._leaf` of an integer, float or decimal array, by numpy. The plain check
    takes an int in an ``integer`` or ``number`` field, a finite float (made an exact decimal)
    or a decimal in a ``number`` field, within the record limits (``number_fits``: an int64
    always is; a decimal column is left to the rows unless its precision and scale keep every
    value within them), and compares it with the bounds. A float compares
    with a bound that is exactly a float as its decimal does; an int with an int bound
    exactly; a decimal equal to the bound once made a float, or an int beyond 2**53 against a
    float bound, is left to the row path. None where the schema asks more."""
    if not isinstance(schema, Mapping) or not _keywords(schema) <= {"type", *_BOUNDS}:
        return None
    kinds = _types(schema)
    t = arr.type
    exact_ints = pa.types.is_integer(t)
    if not ({"number", "integer"} if exact_ints else {"number"}) & kinds:
        return _valid(arr)
    if exact_ints:
        values = arr.fill_null(0).to_numpy(zero_copy_only=False)
    else:
        values = pc.cast(arr, pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
    bad: Bool = np.zeros(len(arr), dtype=np.bool_)
    if pa.types.is_decimal(t) and not (
        t.precision <= MAX_DIGITS
        and t.scale <= MAX_DIGITS
        and t.precision - t.scale <= MAX_MAGNITUDE.adjusted()
    ):
        return None  # the column may hold numbers beyond the record limits: rows decide
    if not exact_ints:
        bad |= ~np.isfinite(values)
    if pa.types.is_floating(t):
        # The record limits (number_fits) on the float a row reads: a float compares with
        # these two as the exact decimal of its repr does with 1E+24 and 1E-40.
        with np.errstate(invalid="ignore"):
            size = np.abs(values)
            bad |= (size >= float(MAX_MAGNITUDE)) | ((size < _FLOAT_FLOOR) & (values != 0))
    for key, op in _BOUNDS.items():
        if key not in schema:
            continue
        bound = schema[key]
        if isinstance(bound, bool) or not isinstance(bound, int | float | Decimal):
            return None
        limit: Any
        if exact_ints and isinstance(bound, int):
            limit = bound
        elif Decimal(float(bound)) == Decimal(bound) and abs(float(bound)) < 2.0**53:
            limit = float(bound)
            if exact_ints:
                bad |= np.abs(values) >= 2**53
        else:
            return None
        if pa.types.is_decimal(t):
            # decimals compare exactly, as the row path's decimals do
            exact = _ARROW_BOUNDS[key](arr, pa.scalar(Decimal(bound)))
            bad |= exact.fill_null(False).to_numpy(zero_copy_only=False)
            continue
        with np.errstate(invalid="ignore"):
            bad |= op(values, limit)
    bad &= _valid(arr)
    return bad


_FLOAT_FLOOR = float(Decimal(1).scaleb(-MAX_DIGITS))
"""The smallest magnitude of a nonzero number in a record, 1E-40, as a float."""

_ARROW_BOUNDS = {
    "minimum": pc.less,
    "maximum": pc.greater,
    "exclusiveMinimum": pc.less_equal,
    "exclusiveMaximum": pc.greater_equal,
}


def _is_text_schema(schema: Any) -> bool:
    """A text field with at most lengths to check (no pattern, code list, options, format)."""
    return (
        isinstance(schema, Mapping)
        and _keywords(schema) <= {"type", "minLength", "maxLength"}
        and "string" in _types(schema)
    )


_ISO_DATE_PATTERNS = frozenset({"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "^\\d{4}-\\d{2}-\\d{2}$"})
"""Patterns that every ``YYYY-MM-DD`` text matches (a ``date32`` is read as such a text)."""


def _is_date_schema(schema: Any) -> bool:
    """A text field of the ``date`` format and nothing else to check (but a pattern every
    ISO date matches)."""
    return (
        isinstance(schema, Mapping)
        and _keywords(schema) <= {"type", "format", "pattern"}
        and schema.get("format") == "date"
        and schema.get("pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$") in _ISO_DATE_PATTERNS
        and "string" in _types(schema)
    )


def _keywords(schema: Mapping[str, Any]) -> set[str]:
    """What a schema asks of a value (``x-codelist`` included: the plain check holds values
    to their code lists; other ``x-`` extensions are notes)."""
    return {
        k
        for k in schema
        if k not in _ANNOTATIONS and (not str(k).startswith("x-") or k == "x-codelist")
    }


def _types(schema: Mapping[str, Any]) -> set[str]:
    kinds = schema.get("type")
    return set(kinds) if isinstance(kinds, list) else {kinds} if isinstance(kinds, str) else set()


def _valid(arr: Any) -> Bool:
    found: Bool = arr.is_valid().to_numpy(zero_copy_only=False)
    return found


# --------------------------------------------------------------------------- columns


def _columns(rs: RuleSet, batch: Any) -> tuple[ColumnTable, Bool]:
    """The columns ``rs`` reads, from ``batch``; and the rows holding a value these columns
    could not take (left to the row path)."""
    p = plan(rs)
    fields = rs.record_schema.fields
    n = batch.num_rows
    names = set(batch.schema.names)
    unconverted = np.zeros(n, dtype=np.bool_)
    columns: dict[str, Column] = {}
    for name in p.fields:
        kind = column_kind(fields[name])
        assert kind is not None
        arr = batch.column(name) if name in names else None
        columns[name], lost = _column(kind, arr, n)
        unconverted |= lost
    lists: dict[str, ListColumn] = {}
    for name, subs in p.lists.items():
        item_type = fields[name].fields or {}
        arr = batch.column(name) if name in names else None
        if arr is None or not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
            lengths = np.zeros(n, dtype=np.int64)
            items = None
            present = np.zeros(n, dtype=np.bool_)
            if arr is not None:
                unconverted |= _valid(arr)
        else:
            lengths = pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
            present = _valid(arr)
            flat = arr.flatten()
            items = (
                dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
                if pa.types.is_struct(flat.type)
                else None
            )
            if items is None:
                unconverted |= lengths > 0
        m = int(lengths.sum())
        owners = np.repeat(np.arange(n), lengths)
        sub_cols: dict[str, Column] = {}
        for sub in subs:
            kind = column_kind(item_type[sub])
            assert kind is not None
            child = items.get(sub) if items is not None else None
            sub_cols[sub], lost = _column(kind, child, m)
            unconverted[owners[lost]] = True
        lists[name] = ListColumn.from_items(
            lengths.astype(np.int64), sub_cols, None if present.all() else present
        )
    return ColumnTable(n, columns, lists), unconverted


def _column(kind: str, arr: Any, n: int) -> tuple[Column, Bool]:
    """A column of ``kind`` from an Arrow array (None: the field is absent from every row),
    and the rows whose value it could not take (their columns are marked absent)."""
    nothing = np.zeros(n, dtype=np.bool_)
    if arr is None:
        return _absent(kind, n), nothing
    t = arr.type
    valid = _valid(arr)
    present = None if valid.all() else valid
    if kind == "num" and pa.types.is_integer(t):
        raw = arr.fill_null(0).to_numpy(zero_copy_only=False)
        lost = nothing
        if raw.dtype == np.uint64:  # beyond int64: left to the row path's exact integers
            lost = raw > np.uint64(np.iinfo(np.int64).max)
            raw = np.where(lost, 0, raw)
        values = raw.astype(np.int64)
        return Column("num", values, present), lost
    if kind == "num" and (pa.types.is_floating(t) or pa.types.is_decimal(t)):
        values = pc.cast(arr, pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
        return Column("num", values.astype(np.float64), present), nothing
    if kind == "bool" and pa.types.is_boolean(t):
        values = arr.fill_null(False).to_numpy(zero_copy_only=False).astype(np.bool_)
        return Column("bool", values, present), nothing
    if kind == "cat" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        encoded = pc.dictionary_encode(arr)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        categories = tuple(str(c) for c in encoded.dictionary.to_pylist())
        if len(categories) < 127:
            codes = codes.astype(np.int8)
        return Column("cat", codes, present, categories), nothing
    if kind == "date" and pa.types.is_date32(t):
        days = arr.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
        values = _yyyymmdd(days)
        values[~valid] = 0
        return Column("date", values, present), nothing
    if kind == "date" and (pa.types.is_string(t) or pa.types.is_large_string(t)):
        distinct = pc.unique(arr)
        table = [_ymd_or_zero(v) for v in distinct.to_pylist()] + [0]
        where = pc.index_in(arr, value_set=distinct, skip_nulls=False).fill_null(len(table) - 1)
        values = np.array(table, dtype=np.int32)[where.to_numpy(zero_copy_only=False)]
        values[~valid] = 0
        return Column("date", values, present), nothing
    return _absent(kind, n), valid


def _absent(kind: str, n: int) -> Column:
    if kind == "cat":
        return Column("cat", np.full(n, -1, dtype=np.int8), np.zeros(n, dtype=np.bool_))
    dtype = {"num": np.int64, "bool": np.bool_, "date": np.int32}[kind]
    return Column(kind, np.zeros(n, dtype=dtype), np.zeros(n, dtype=np.bool_))


def _yyyymmdd(days: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    day = (d - months).astype(np.int64) + 1
    result: npt.NDArray[np.int32] = (y * 10000 + m * 100 + day).astype(np.int32)
    return result


def _ymd_or_zero(value: Any) -> int:
    if value is None:
        return 0
    try:
        return ymd(value)
    except ValueError:
        return 0  # not a date: the row is not vouched for, the row path explains
