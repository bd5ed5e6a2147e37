"""Whole-column evaluation: the same checked expressions, run as numpy column operations.

For large batches (a province, a nation) the row evaluator's cost per record is mostly Python
overhead. Here a rule set's checked expression trees (the same trees the row evaluator compiles)
are translated, once, into numpy operations over columns: one array per record field, and for a
list field such as ``members`` one array per member field plus offsets. Outcomes per criterion
and per record are computed for all records at once.

Same outcomes as the row evaluator, by construction and by test:

* **Missing data and errors.** Every value carries an ``ok`` mask (False where the row
  evaluator would raise :class:`~fupin_rules.errors.EvaluationError`: an absent field, a division
  by zero, ``min`` of nothing). ``and``/``or``/``if``-``else``, chained comparisons and
  ``any``/``all`` follow Python's short-circuit order, so an error on an untaken branch does not
  count, exactly as in the generated row evaluator.
* **Exact numbers.** The row evaluator uses ``Decimal``; columns use float64. Integer columns
  combined with ``+``, ``-``, ``*`` stay exact. A comparison of inexact numbers that are within a
  relative 1e-9 of each other, or any value beyond 2**52, marks the record *uncertain*: its
  outcome is not trusted, and :func:`evaluate_records` re-evaluates such records with the row
  evaluator. A value near a money boundary therefore always gets the exact decimal answer.
* **Blocks and threads.** A large table is evaluated in blocks of :data:`BLOCK_ROWS` rows cut
  at fixed places, on a thread pool; a record's result depends on its block only through the
  margin above, never on the number of threads.
* **Anything not translated** (a function or construct without a column form, per-item criteria)
  raises :class:`ColumnarUnsupported` when the plan is built; callers fall back to rows.

Codes (``int8``): criteria ``0 pass, 1 fail, 2 not_applicable, 3 unknown``; records
``0 pass, 1 fail, 2 invalid, 3 not_applicable``.

numpy is needed (``pip install fupin-rules[columnar]``); it is imported only by this module.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .evaluation import parse_day
from .expressions import Expression
from .model import Result, RuleSet
from .parallel import available_cpus

__all__ = [
    "BLOCK_ROWS",
    "CRITERION_OUTCOMES",
    "OUTCOMES",
    "ColumnTable",
    "ColumnarResult",
    "ColumnarUnsupported",
    "ListColumn",
    "Plan",
    "build_columns",
    "evaluate_columns",
    "evaluate_records",
    "plan",
]

CRITERION_OUTCOMES = ("pass", "fail", "not_applicable", "unknown")
OUTCOMES = ("pass", "fail", "invalid", "not_applicable")

Bool = npt.NDArray[np.bool_]
_TOL = 1e-9
_BIG = float(2**52)


class ColumnarUnsupported(Exception):
    """The rule set uses something without a column form; evaluate it row by row."""


# --------------------------------------------------------------------------- column table


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
    fields: Mapping[str, Column]
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
    """Prebuilt columns for ``n`` records."""

    n: int
    columns: Mapping[str, Column]
    lists: Mapping[str, ListColumn] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
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
        """Rows ``start`` to ``stop`` (views, no copy; a slice of a checked table needs no
        second check)."""
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
        part = object.__new__(ColumnTable)
        for attribute, value in (
            ("n", stop - start),
            ("columns", {name: cut(c, start, stop) for name, c in self.columns.items()}),
            ("lists", lists),
        ):
            object.__setattr__(part, attribute, value)
        return part


def _check_column(name: str, col: Column, n: int) -> None:
    if len(col.values) != n or (col.present is not None and len(col.present) != n):
        msg = f"column {name}: expected {n} entries"
        raise ValueError(msg)
    if col.present is not None:
        filler = -1 if col.kind == "cat" else 0
        if np.any(col.values[~col.present] != filler):
            msg = f"column {name}: absent entries must hold {filler}"
            raise ValueError(msg)


def _column(kind: str, raw: Sequence[Any]) -> Column:
    n = len(raw)
    present = np.fromiter((v is not None for v in raw), dtype=np.bool_, count=n)
    all_present = bool(present.all())
    if kind == "num":
        if all(isinstance(v, int) or v is None for v in raw):
            values: np.ndarray[Any, Any] = np.fromiter(
                (0 if v is None else v for v in raw), dtype=np.int64, count=n
            )
        else:
            values = np.fromiter((0.0 if v is None else float(v) for v in raw), np.float64, n)
        return Column("num", values, None if all_present else present)
    if kind == "bool":
        values = np.fromiter((v is True for v in raw), dtype=np.bool_, count=n)
        return Column("bool", values, None if all_present else present)
    if kind == "date":
        values = np.fromiter((_ymd(v) for v in raw), dtype=np.int32, count=n)
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


def _ymd(value: Any) -> int:
    if value is None:
        return 0
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return d.year * 10000 + d.month * 100 + d.day


def _kind(t: Any) -> str | None:
    return {"number": "num", "boolean": "bool", "date": "date", "code": "cat", "string": "cat"}.get(
        t.kind
    )


def build_columns(rs: RuleSet, records: Sequence[Mapping[str, Any]]) -> ColumnTable:
    """Columns of the fields ``rs`` reads, from *normalised, valid* records (as returned by
    ``rs.record_schema.check``). Dates must be valid ISO dates."""
    p = plan(rs)
    fields = rs.record_schema.fields
    columns: dict[str, Column] = {}
    for name in p.fields:
        kind = _kind(fields[name])
        assert kind is not None
        columns[name] = _column(kind, [r.get(name) for r in records])
    lists: dict[str, ListColumn] = {}
    for name, subs in p.lists.items():
        item_type = fields[name].fields or {}
        raw = [r.get(name) for r in records]
        lengths = np.fromiter((len(v) if isinstance(v, list) else 0 for v in raw), np.int64)
        items = [m for v in raw if isinstance(v, list) for m in v]
        sub_cols: dict[str, Column] = {}
        for sub in subs:
            kind = _kind(item_type[sub])
            assert kind is not None
            sub_cols[sub] = _column(kind, [m.get(sub) for m in items])
        present = np.fromiter((isinstance(v, list) for v in raw), np.bool_, len(raw))
        lists[name] = ListColumn.from_items(lengths, sub_cols, None if present.all() else present)
    return ColumnTable(len(records), columns, lists)


# --------------------------------------------------------------------------- values


@attrs.define
class _V:
    """A value during column evaluation: data, the kind, where it is defined, exactness."""

    kind: str  # num bool cat date list item
    data: Any
    ok: Any = True  # bool array or True
    exact: bool = True
    categories: tuple[str, ...] = ()


def _and(a: Any, b: Any) -> Any:
    if a is True:
        return b
    if b is True:
        return a
    return a & b


@attrs.define
class _Frame:
    """Where expressions are evaluated: household level (``seg`` None) or item level."""

    n: int
    env: dict[str, _V]
    table: ColumnTable
    width: int | None = None
    """At item level: the padded width of the list; None at record level."""
    uncertain: Bool | None = None
    cache: dict[Any, Any] = attrs.field(factory=dict)
    memo: dict[str, _V] = attrs.field(factory=dict)

    def valid(self, lst: ListColumn) -> Bool:
        """Which padded slots hold an item (computed once per list)."""
        key = id(lst)
        found = self.cache.get(key)
        if found is None:
            if lst.width == 8:
                # A row's eight slots are one little-endian 64-bit word: look the word up by
                # the length (0x0101..01 for a full list), then read its bytes as booleans.
                mask = _SLOT_WORDS[np.minimum(lst.lengths, 8)].view(np.bool_)
            else:
                slots = np.arange(lst.width, dtype=np.int64)
                mask = (slots[None, :] < lst.lengths[:, None]).reshape(-1)
            found = (mask, lst)  # keep lst alive so its id stays unique
            self.cache[key] = found
        result: Bool = found[0]
        return result

    def flag(self, mask: Any) -> None:
        if mask is False or (isinstance(mask, np.ndarray) and not mask.any()):
            return
        if not isinstance(mask, np.ndarray):
            mask = np.ones(self.n, dtype=np.bool_)
        if self.uncertain is None:
            self.uncertain = mask.copy()
        else:
            self.uncertain |= mask


# --------------------------------------------------------------------------- translation


_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


_KEYS: dict[int, tuple[str, ast.expr]] = {}
"""Each evaluated node's text (``ast.dump``), by ``id``: what the memo of a frame is keyed by.
Computed once per node, not once per block; the node is kept, so its ``id`` stays its own."""


class _Eval:
    def __init__(self, frame: _Frame) -> None:
        self.f = frame

    def run(self, node: ast.expr) -> _V:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ColumnarUnsupported(type(node).__name__)
        if isinstance(node, ast.Constant | ast.Name):
            direct: _V = method(node)
            return direct
        # The same sub-expression (e.g. an age test used by two derived fields) runs once.
        key = _KEYS.get(id(node))
        if key is None:
            if len(_KEYS) > 100_000:
                _KEYS.clear()
            key = _KEYS[id(node)] = (ast.dump(node), node)
        memo = self.f.memo
        found = memo.get(key[0])
        if found is None:
            found = memo[key[0]] = method(node)
        return found

    # -- leaves
    def _Constant(self, node: ast.Constant) -> _V:
        return _constant(node.value)

    def _Name(self, node: ast.Name) -> _V:
        if node.id in {"true", "True"}:
            return _V("bool", True)
        if node.id in {"false", "False"}:
            return _V("bool", False)
        found = self.f.env.get(node.id)
        if found is None:
            raise ColumnarUnsupported(node.id)
        return found

    def _Attribute(self, node: ast.Attribute) -> _V:
        assert isinstance(node.value, ast.Name)
        item = self.run(node.value)
        if item.kind != "item":
            raise ColumnarUnsupported("attribute")
        col = item.data.get(node.attr)
        if col is None:
            raise ColumnarUnsupported(node.attr)
        v = _from_column(col)
        # Reading an absent member field raises in the row evaluator.
        return _V(v.kind, v.data, _and(item.ok, v.ok), v.exact, v.categories)

    # -- boolean logic (short-circuit order of Python)
    def _BoolOp(self, node: ast.BoolOp) -> _V:
        acc = self.run(node.values[0])
        is_and = isinstance(node.op, ast.And)
        for sub in node.values[1:]:
            b = self.run(sub)
            if is_and:
                ok = _and(acc.ok, _or_not(b.ok, acc.data))
                data = (
                    acc.data & b.data
                    if (_is_arr(acc.data) or _is_arr(b.data))
                    else (acc.data and b.data)
                )
            else:
                ok = _and(acc.ok, _or_mask(acc.data, b.ok))
                data = (
                    acc.data | b.data
                    if (_is_arr(acc.data) or _is_arr(b.data))
                    else (acc.data or b.data)
                )
            acc = _V("bool", data, ok)
        return acc

    def _UnaryOp(self, node: ast.UnaryOp) -> _V:
        v = self.run(node.operand)
        if isinstance(node.op, ast.Not):
            return _V("bool", ~v.data if _is_arr(v.data) else not v.data, v.ok)
        if isinstance(node.op, ast.USub):
            return _V("num", -_float(v.data), v.ok, v.exact)
        if isinstance(node.op, ast.UAdd):
            return v
        raise ColumnarUnsupported("unary")

    def _BinOp(self, node: ast.BinOp) -> _V:
        a, b = self.run(node.left), self.run(node.right)
        if a.kind != "num" or b.kind != "num":
            raise ColumnarUnsupported("text +")
        x, y = _float(a.data), _float(b.data)
        ok = _and(a.ok, b.ok)
        exact = a.exact and b.exact
        op = type(node.op)
        with np.errstate(all="ignore"):
            if op is ast.Add:
                r = x + y
            elif op is ast.Sub:
                r = x - y
            elif op is ast.Mult:
                r = x * y
            elif op in (ast.Div, ast.FloorDiv, ast.Mod):
                nz = y != 0
                ok = _and(ok, nz)
                safe = np.where(nz, y, 1.0) if _is_arr(y) else (y if y != 0 else 1.0)
                if op is ast.Div:
                    r, exact = x / safe, False
                elif op is ast.FloorDiv:
                    q = x / safe
                    r, exact = np.floor(q), False
                    self._near(ok, q - np.round(q), 0.0)
                else:
                    q = x / safe
                    r, exact = x - safe * np.floor(q), False
                    self._near(ok, q - np.round(q), 0.0)
            else:  # pragma: no cover - the checker allows no other operators
                raise ColumnarUnsupported("operator")
        if exact:
            self.f.flag(_and(ok, np.abs(r) >= _BIG) if _is_arr(r) else bool(abs(r) >= _BIG))
        return _V("num", r, ok, exact)

    def _near(self, ok: Any, a: Any, b: Any) -> None:
        """Flag rows where ``a`` and ``b`` are within 1e-9 of the larger magnitude of either
        column in this block of rows (a wider, so safer, margin than each row's own
        magnitude)."""
        with np.errstate(all="ignore"):
            scale = max(1.0, _absmax(a), _absmax(b))
            if not math.isfinite(scale) or scale != scale:
                close = np.ones(np.shape(a - b), dtype=np.bool_) if _is_arr(a - b) else True
            else:
                close = np.abs(a - b) <= _TOL * scale
        self.f.flag(_and(ok, close) if _is_arr(close) else (bool(close) and ok))

    def _IfExp(self, node: ast.IfExp) -> _V:
        c, body, orelse = self.run(node.test), self.run(node.body), self.run(node.orelse)
        ok = _and(c.ok, _where(c.data, body.ok, orelse.ok))
        if body.kind in {"cat", "str"} or orelse.kind in {"cat", "str"}:
            cats, bd, od = _unify(body, orelse)
            return _V("cat", _where(c.data, bd, od), ok, True, cats)
        data = _where(
            c.data,
            _float(body.data) if body.kind == "num" else body.data,
            _float(orelse.data) if orelse.kind == "num" else orelse.data,
        )
        return _V(body.kind, data, ok, body.exact and orelse.exact)

    # -- comparisons
    def _Compare(self, node: ast.Compare) -> _V:
        left = self.run(node.left)
        ok: Any = left.ok
        alive: Any = True  # the chain is still being evaluated (all earlier links true)
        result: Any = True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                assert isinstance(right_node, ast.List | ast.Tuple | ast.Set)
                values = [c.value for c in right_node.elts if isinstance(c, ast.Constant)]
                r = self._member(left, values)
                if isinstance(op, ast.NotIn):
                    r = ~r if _is_arr(r) else not r
                result = _and(result, r) if _is_arr(r) or _is_arr(result) else (result and r)
                alive = result
                right = _V("list", None)
                left = right
                continue
            right = self.run(right_node)
            # The right operand is evaluated only while the chain is alive.
            ok = _and(ok, _or_not(right.ok, alive))
            r = self._compare(op, left, right, _and(ok, alive))
            result = result & r if (_is_arr(r) or _is_arr(result)) else (result and r)
            alive = result
            left = right
        return _V("bool", result, ok)

    def _member(self, left: _V, values: list[Any]) -> Any:
        if left.kind == "cat":
            idx = [left.categories.index(v) for v in values if v in left.categories]
            if not idx:
                return np.zeros(len(left.data), dtype=np.bool_)
            if len(idx) <= 8:  # a few comparisons beat a table lookup
                found = left.data == idx[0]
                for i in idx[1:]:
                    found |= left.data == i
                return found
            # The last entry answers for -1 (absent): numpy reads index -1 as the last one.
            lut = np.zeros(len(left.categories) + 1, dtype=np.bool_)
            lut[np.array(idx)] = True
            return lut[left.data]
        if left.kind == "num":
            nums = [
                float(v) for v in values if isinstance(v, int | Decimal) and not isinstance(v, bool)
            ]
            r: Any = np.isin(left.data, nums) if _is_arr(left.data) else left.data in nums
            if not left.exact or not all(
                Decimal(x) == Decimal(v) for x, v in zip(nums, values, strict=False)
            ):
                for x in nums:
                    self._near(left.ok, left.data, x)
            return r
        if left.kind == "bool":
            bools = [v for v in values if isinstance(v, bool)]
            return np.isin(left.data, bools) if _is_arr(left.data) else left.data in bools
        if left.kind == "str":
            return left.data in values
        raise ColumnarUnsupported(f"in over {left.kind}")

    def _compare(self, op: ast.cmpop, a: _V, b: _V, ok: Any) -> Any:
        fn = _CMP.get(type(op))
        if fn is None:
            raise ColumnarUnsupported("is")
        if a.kind == "num" and b.kind == "num":
            x, y = _int_scalar(a.data, b.data), _int_scalar(b.data, a.data)
            if not (a.exact and b.exact):
                self._near(ok, x, y)
            return fn(x, y)
        if a.kind in {"cat", "str"} and b.kind in {"cat", "str"}:
            if type(op) not in (ast.Eq, ast.NotEq):
                raise ColumnarUnsupported("text ordering")
            _cats, x, y = _unify(a, b)
            return fn(x, y)
        if a.kind == "bool" and b.kind == "bool":
            return fn(a.data, b.data)
        if {a.kind, b.kind} <= {"date", "str"}:
            x = a.data if a.kind == "date" else _ymd(a.data)
            y = b.data if b.kind == "date" else _ymd(b.data)
            return fn(x, y)
        raise ColumnarUnsupported(f"compare {a.kind} {b.kind}")

    # -- calls
    def _Call(self, node: ast.Call) -> _V:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if name in {"has", "coalesce"}:
            target = self._presence(node.args[0])
            if name == "has":
                return _V("bool", target.ok)
            default = self.run(node.args[1])
            # The default is evaluated whether or not the field is present (as generated).
            ok = default.ok
            if isinstance(node.args[1], ast.Constant) and (
                (target.kind == "num" and default.kind == "num" and default.data == 0.0)
                or (target.kind == "bool" and default.data is False)
            ):
                # Absent entries of a column hold 0 / False (ColumnTable checks it).
                return _V(target.kind, target.data, ok, target.exact)
            if target.kind in {"cat", "str"} or default.kind in {"cat", "str"}:
                cats, td, dd = _unify(target, default)
                return _V("cat", _where(target.ok, td, dd), ok, True, cats)
            t = _float(target.data) if target.kind == "num" else target.data
            d = _float(default.data) if default.kind == "num" else default.data
            return _V(target.kind, _where(target.ok, t, d), ok, target.exact and default.exact)
        if name in {"count", "any", "all", "sum", "min", "max"}:
            arg = node.args[0]
            assert isinstance(arg, ast.GeneratorExp)
            return self._aggregate(name, arg)
        args = [self.run(a) for a in node.args]
        if name in {"age", "age_at"}:
            on = self.f.env["as_of"] if name == "age" else args[1]
            birth = args[0]
            b = birth.data if birth.kind == "date" else _ymd(birth.data)
            d = on.data if on.kind == "date" else _ymd(on.data)
            # yyyymmdd arithmetic: the whole years between two dates (int32: fast and exact).
            return _V("num", (d - b) // 10000, _and(birth.ok, on.ok), True)
        if name == "year":
            v = args[0]
            return _V("num", (v.data if v.kind == "date" else _ymd(v.data)) // 10000, v.ok, True)
        if name == "len":
            v = args[0]
            if v.kind != "listcol":
                raise ColumnarUnsupported("len")
            col: ListColumn = v.data
            return _V("num", col.lengths, v.ok, True)
        if name == "abs":
            v = args[0]
            return _V("num", np.abs(_float(v.data)), v.ok, v.exact)
        raise ColumnarUnsupported(name)

    def _presence(self, node: ast.expr) -> _V:
        """The value of a field for has()/coalesce(): ``ok`` is "present"."""
        return self.run(node)

    def _aggregate(self, name: str, gen: ast.GeneratorExp) -> _V:
        if self.f.width is not None:
            raise ColumnarUnsupported("nested for")
        comp = gen.generators[0]
        assert isinstance(comp.target, ast.Name)
        src = self.run(comp.iter)
        if src.kind != "listcol":
            raise ColumnarUnsupported("for over a non-list")
        lst: ListColumn = src.data
        n = self.f.n
        w = lst.width
        m = n * w
        valid = self.f.valid(lst)
        env = _ItemEnv(self.f.env, w)
        env[comp.target.id] = _V("item", dict(lst.fields))
        memo = self.f.cache.setdefault(("memo", id(lst), comp.target.id), {})
        inner = _Frame(m, env, self.f.table, w, cache=self.f.cache, memo=memo)
        from .expressions import MAX_LIST_ITEMS

        self.f.flag(lst.lengths > MAX_LIST_ITEMS)
        alive: Any = valid
        okm: Any = True
        for cond in comp.ifs:
            c = ev_run(inner, cond)
            okm = _and(okm, _or_not(c.ok, alive))
            alive = alive & c.data if _is_arr(c.data) else (alive if c.data else ~valid & valid)
        elt = ev_run(inner, gen.elt)
        okm = _and(okm, _or_not(elt.ok, alive))
        if inner.uncertain is not None:
            self.f.flag(_rowany(inner.uncertain & valid, n, w))
        ok_list = src.ok  # the list itself must be present
        bad: Any = False if okm is True else (~okm & valid)
        if name in {"any", "all"}:
            val = elt.data if _is_arr(elt.data) else np.full(m, bool(elt.data))
            hit = alive & (val if name == "any" else ~val)
            if bad is not False:
                hit = hit & okm
            found = _rowany(hit, n, w)
            if bad is not False:
                ok_list = _and(ok_list, ~_before(bad, hit, n, w))
            data = found if name == "any" else ~found
            return _V("bool", data, ok_list)
        ok = ok_list if bad is False else _and(ok_list, ~_rowany(bad, n, w))
        if name == "count":
            counted = alive if elt.kind != "bool" else alive & _full(elt.data, m)
            return _V("num", _rowsum(counted, n, w), ok, True)
        if elt.kind != "num":
            raise ColumnarUnsupported(f"{name} of {elt.kind}")
        vals = _full(_float(elt.data), m).astype(np.float64, copy=False)
        if name == "sum":
            total = np.where(alive, vals, 0.0).reshape(n, w).sum(axis=1)
            if elt.exact:
                self.f.flag(_and(ok, np.abs(total) >= _BIG))
            return _V("num", total, ok, elt.exact)
        fill = np.inf if name == "min" else -np.inf
        masked = np.where(alive, vals, fill).reshape(n, w)
        out = masked.min(axis=1) if name == "min" else masked.max(axis=1)
        nonempty = _rowany(alive, n, w)
        return _V("num", out, _and(ok, nonempty), elt.exact)


_BYTES = np.uint64(0x0101010101010101)
_SLOT_WORDS = np.array([(1 << (8 * k)) - 1 & 0x0101010101010101 for k in range(9)], dtype="<u8")
"""The eight slots of a row of width 8 holding ``k`` items, as one word (see ``_Frame.valid``)."""
_SHIFT = np.uint64(56)


def _words(mask: Bool) -> npt.NDArray[np.uint64]:
    result: npt.NDArray[np.uint64] = np.ascontiguousarray(mask).view(np.uint64)
    return result


def _rowsum(mask: Bool, n: int, w: int) -> npt.NDArray[np.int64]:
    """Per row, how many of its ``w`` slots are True."""
    if w == 8:
        return ((_words(mask) * _BYTES) >> _SHIFT).astype(np.int64)
    result: npt.NDArray[np.int64] = mask.reshape(n, w).sum(axis=1, dtype=np.int64)
    return result


def _rowany(mask: Bool, n: int, w: int) -> Bool:
    if w == 8:
        result: Bool = _words(mask) != 0
        return result
    result2: Bool = np.asarray(mask.reshape(n, w).any(axis=1))
    return result2


def _before(a: Bool, b: Bool, n: int, w: int) -> Bool:
    """Per row: some slot of ``a`` is True before the first True slot of ``b`` (or b has none)."""
    if w == 8:
        x, y = _words(a), _words(b)
        with np.errstate(all="ignore"):
            lx = x & (~x + np.uint64(1))
            ly = y & (~y + np.uint64(1))
        # Little-endian: slot 0 is the lowest byte on every platform numpy supports here.
        found: Bool = (x != 0) & ((y == 0) | (lx < ly))
        return found
    a2, b2 = a.reshape(n, w), b.reshape(n, w)
    fa = np.where(a2.any(axis=1), a2.argmax(axis=1), w)
    fb = np.where(b2.any(axis=1), b2.argmax(axis=1), w)
    before: Bool = fa < fb
    return before


def _absmax(x: Any) -> float:
    if _is_arr(x):
        if x.size == 0:
            return 0.0
        hi, lo = float(np.max(x)), float(np.min(x))
        return max(abs(hi), abs(lo))  # NaN or inf here: every row is flagged by _near
    return abs(float(x))


def _constant(v: Any) -> _V:
    if isinstance(v, bool):
        return _V("bool", v)
    if isinstance(v, int):
        return _V("num", float(v), exact=abs(v) < _BIG)
    if isinstance(v, Decimal):
        x = float(v)
        return _V("num", x, exact=Decimal(x) == v)
    if isinstance(v, str):
        return _V("str", v)
    raise ColumnarUnsupported(repr(v))


def ev_run(frame: _Frame, node: ast.expr) -> _V:
    return _Eval(frame).run(node)


class _ItemEnv(dict[str, _V]):
    """Names at item level: the loop variable, and household values repeated per item."""

    def __init__(self, outer: Mapping[str, _V], width: int) -> None:
        super().__init__()
        self.outer = outer
        self.width = width

    def __missing__(self, key: str) -> _V:
        v = _broadcast(self.outer[key], self.width)
        self[key] = v
        return v

    def get(self, key: str, default: Any = None) -> Any:
        if key in self or key in self.outer:
            return self[key]
        return default


def _broadcast(v: _V, width: int) -> _V:
    data = np.repeat(v.data, width) if _is_arr(v.data) and v.kind != "listcol" else v.data
    ok = np.repeat(v.ok, width) if _is_arr(v.ok) else v.ok
    if v.kind == "listcol":
        return _V("unsupported", None)
    return _V(v.kind, data, ok, v.exact, v.categories)


def _from_column(col: Column) -> _V:
    ok: Any = True if col.present is None else col.present
    if col.kind == "num":
        exact = col.values.dtype.kind in "iu"
        return _V("num", col.values, ok, exact)
    if col.kind == "cat":
        return _V("cat", col.values, ok, True, col.categories)
    return _V(col.kind, col.values, ok, True)


def _is_arr(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _arr(x: Any) -> Any:
    return x


def _int_scalar(x: Any, other: Any) -> Any:
    """``x``, a whole float compared with an integer column, as an int: the same comparison
    without casting the column to floats (ages, counts, months against their bounds)."""
    if (
        type(x) is float
        and _is_arr(other)
        and other.dtype.kind in "iu"
        and x.is_integer()
        and abs(x) < 2**31
    ):
        return int(x)
    return x


def _not(x: Any) -> Any:
    return ~x if _is_arr(x) else (not x)


def _or_not(ok: Any, alive: Any) -> Any:
    """``ok | ~alive``: fine where ``ok`` holds or the value was not needed; the negation is
    computed only when ``ok`` is not already True everywhere."""
    if ok is True:
        return True
    return _or_mask(_not(alive), ok)


def _or_mask(a: Any, b: Any) -> Any:
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    return a | b


def _where(c: Any, a: Any, b: Any) -> Any:
    if not _is_arr(c):
        return a if c else b
    if a is True and b is True:
        return True
    return np.where(c, a, b)


def _full(x: Any, m: int) -> Any:
    if _is_arr(x):
        return x
    return np.full(m, x)


def _float(x: Any) -> Any:
    if _is_arr(x) and x.dtype.kind in "iu":
        return x.astype(np.float64)
    if isinstance(x, int | Decimal) and not isinstance(x, bool):
        return float(x)
    return x


def _unify(a: _V, b: _V) -> tuple[tuple[str, ...], Any, Any]:
    """Two text values as indices into one vocabulary."""
    cats = list(a.categories)
    for c in b.categories:
        if c not in cats:
            cats.append(c)
    for v in (a, b):
        if v.kind == "str" and v.data not in cats:
            cats.append(v.data)

    def conv(v: _V) -> Any:
        if v.kind == "str":
            return cats.index(v.data)
        if v.kind != "cat":
            raise ColumnarUnsupported(f"text and {v.kind}")
        if v.categories == tuple(cats[: len(v.categories)]):
            return v.data
        lut = np.array([-1, *(cats.index(c) for c in v.categories)], dtype=np.int32)
        return lut[v.data + 1]

    return tuple(cats), conv(a), conv(b)


# --------------------------------------------------------------------------- plan


@attrs.frozen(eq=False)
class Plan:
    """What a rule set needs from columns, checked once per rule set."""

    fields: tuple[str, ...]
    lists: Mapping[str, tuple[str, ...]]


def plan(rs: RuleSet) -> Plan:
    """The fields and list fields ``rs`` reads. Raises ColumnarUnsupported if any part of the
    rule set has no column form (per-item criteria, decisions by expression with functions...)."""
    cached = rs._cache.get("columnar.plan")
    if isinstance(cached, Plan):
        return cached
    for c in rs.criteria:
        if getattr(c, "for_each", None) is not None:
            raise ColumnarUnsupported(f"per-item criterion {c.id}")
    schema_fields = rs.record_schema.fields
    top: set[str] = set()
    lists: dict[str, set[str]] = {}
    for expr in _expressions(rs):
        tree = expr._tree
        loops: dict[str, str] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.comprehension)
                and isinstance(node.target, ast.Name)
                and isinstance(node.iter, ast.Name)
                and node.iter.id in schema_fields
            ):
                loops[node.target.id] = node.iter.id
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in schema_fields:
                if schema_fields[node.id].kind == "list":
                    lists.setdefault(node.id, set())
                else:
                    top.add(node.id)
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in loops
            ):
                lists.setdefault(loops[node.value.id], set()).add(node.attr)
    for name in top:
        if _kind(schema_fields[name]) is None:
            raise ColumnarUnsupported(name)
    result = Plan(tuple(sorted(top)), {k: tuple(sorted(v)) for k, v in sorted(lists.items())})
    rs._cache["columnar.plan"] = result
    return result


def _expressions(rs: RuleSet) -> Iterable[Expression]:
    for d in rs.derived:
        yield d.expr
    if rs.applies_if is not None:
        yield rs.applies_if
    for c in rs.criteria:
        if c.applies_if is not None:
            yield c.applies_if
        yield c.test


# --------------------------------------------------------------------------- evaluation


@attrs.frozen(eq=False)
class ColumnarResult:
    """Outcome codes for ``n`` records (see the module docstring for the codes)."""

    criteria: tuple[str, ...]
    outcomes: npt.NDArray[np.int8]
    """Record outcomes, shape (n,)."""
    criterion_outcomes: npt.NDArray[np.int8]
    """Criterion outcomes, shape (n, len(criteria))."""
    uncertain: Bool
    """Records whose column outcome is not trusted (near a decimal boundary ...): evaluate them
    row by row (:func:`evaluate_records` does)."""

    def outcome(self, i: int) -> str:
        """The outcome of record ``i`` as text."""
        return OUTCOMES[int(self.outcomes[i])]

    def criterion_outcome(self, i: int, criterion: str) -> str:
        """The outcome of one criterion on record ``i`` as text."""
        return CRITERION_OUTCOMES[int(self.criterion_outcomes[i, self.criteria.index(criterion)])]


BLOCK_ROWS = 1 << 18
"""Rows evaluated together. A large table is cut into blocks of this many rows at fixed
places, evaluated on a thread pool (numpy releases the GIL inside its loops) and put back in
order; the result never depends on how many threads ran. 2**18 rows keep the temporaries
small enough to be reused by the allocator: on one million households one thread ran ~30%
faster in blocks than whole, and two threads ~2.2x faster (docs/performance.md)."""


def evaluate_columns(
    rs: RuleSet,
    table: ColumnTable,
    *,
    as_of: str | dt.date | None = None,
    threads: int | None = None,
) -> ColumnarResult:
    """Outcomes of ``rs`` for every record of ``table`` (valid, normalised records).

    ``threads``: how many blocks of :data:`BLOCK_ROWS` rows run at once (None: one per
    available CPU; 1: all in the calling thread). The result is the same for any value.
    """
    plan(rs)  # built once, before any thread reads it
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    n = table.n
    if n <= BLOCK_ROWS:
        return _evaluate_block(rs, table, day)
    blocks = [table.rows(start, min(n, start + BLOCK_ROWS)) for start in range(0, n, BLOCK_ROWS)]
    workers = min(len(blocks), available_cpus() if threads is None else max(1, threads))
    if workers == 1:
        parts = [_evaluate_block(rs, block, day) for block in blocks]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="fupin-columnar") as pool:
            parts = list(pool.map(lambda block: _evaluate_block(rs, block, day), blocks))
    codes = np.empty((n, len(rs.criteria)), dtype=np.int8, order="F")
    np.concatenate([p.criterion_outcomes for p in parts], axis=0, out=codes)
    return ColumnarResult(
        parts[0].criteria,
        np.concatenate([p.outcomes for p in parts]),
        codes,
        np.concatenate([p.uncertain for p in parts]),
    )


def _evaluate_block(rs: RuleSet, table: ColumnTable, day: str) -> ColumnarResult:
    n = table.n
    env: dict[str, _V] = {}
    for name, p in rs.parameters.items():
        value = p.at(day)
        if value is None or value.value is None:
            env[name] = _V("num", 0.0, False)
        elif isinstance(value.value, bool):
            env[name] = _V("bool", value.value)
        elif isinstance(value.value, int | Decimal):
            env[name] = _constant(value.value)
        elif isinstance(value.value, str):
            env[name] = _V("str", value.value)
        else:
            raise ColumnarUnsupported(f"parameter {name}")
    env["as_of"] = _V("date", _ymd(day))
    for name, column in table.columns.items():
        env[name] = _from_column(column)
    for name, lst in table.lists.items():
        env[name] = _V("listcol", lst, True if lst.present is None else lst.present)
    frame = _Frame(n, env, table)
    ev = _Eval(frame)
    for d in rs.derived:
        env[d.name] = ev.run(d.expr._tree.body)

    # Column-major, so each criterion's column is contiguous.
    codes = np.zeros((n, len(rs.criteria)), dtype=np.int8, order="F")
    for j, c in enumerate(rs.criteria):
        applies: Any = True
        unknown: Any = False
        if c.applies_if is not None:
            a = ev.run(c.applies_if._tree.body)
            unknown = _not(a.ok)
            applies = _and(_full(a.data, n), a.ok)
        t = ev.run(c.test._tree.body)
        col = codes[:, j]
        np.logical_not(_full(t.data, n), out=col.view(np.bool_))  # pass 0, fail 1
        if applies is not True:
            col[~_full(applies, n)] = 2
        if t.ok is not True:
            col[_full(applies, n) & ~_full(t.ok, n)] = 3
        if unknown is not False:
            col[_full(unknown, n)] = 3
    outcomes = _decide(rs, codes, ev, n)
    if rs.applies_if is not None:
        a = ev.run(rs.applies_if._tree.body)
        outcomes[~_full(a.data, n) & _full(a.ok, n)] = 3
        outcomes[~_full(a.ok, n)] = 2
    uncertain = frame.uncertain if frame.uncertain is not None else np.zeros(n, dtype=np.bool_)
    return ColumnarResult(tuple(c.id for c in rs.criteria), outcomes, codes, uncertain)


def _decide(rs: RuleSet, codes: npt.NDArray[np.int8], ev: _Eval, n: int) -> npt.NDArray[np.int8]:
    severity = [c.severity for c in rs.criteria]
    veto = [j for j, s in enumerate(severity) if s == "veto"]
    gate = [j for j, s in enumerate(severity) if s != "reference"]
    veto_fail = (codes[:, veto] == 1).any(axis=1) if veto else np.zeros(n, np.bool_)
    veto_unknown = (codes[:, veto] == 3).any(axis=1) if veto else np.zeros(n, np.bool_)
    any_unknown = (codes == 3).any(axis=1)
    out = np.zeros(n, dtype=np.int8)
    method = rs.decision.method
    if method == "all":
        unknown = np.zeros(n, np.bool_)
        failed = np.zeros(n, np.bool_)
        for j in gate:
            col = codes[:, j]
            unknown |= col == 3
            failed |= col == 1
        out[unknown] = 2
        out[failed] = 1
    elif method == "points":
        pts = np.array([float(c.points or 0) for c in rs.criteria])
        got = (codes == 0) @ pts
        maybe = (codes == 3) @ pts
        thr = float(rs.decision.threshold)
        out[:] = 2
        out[(got >= thr) & veto_unknown] = 2
        out[(got >= thr) & ~veto_unknown] = 0
        out[(got + maybe < thr)] = 1
        exact = all(Decimal(float(c.points or 0)) == Decimal(c.points or 0) for c in rs.criteria)
        if not exact or Decimal(thr) != Decimal(rs.decision.threshold):
            ev.f.flag(np.ones(n, np.bool_))
    else:
        expr = rs.decision.expression
        assert expr is not None
        env = {c.id: _V("bool", codes[:, j] != 1) for j, c in enumerate(rs.criteria)}
        v = _Eval(_Frame(n, env, ev.f.table)).run(expr._tree.body)
        res = _full(v.data, n)
        out[:] = np.where(res, 0, 1)
        out[res & veto_unknown] = 2
        # Unknown criteria need the row evaluator's enumeration of both answers.
        ev.f.flag(any_unknown)
    out[veto_fail] = 1
    return out


# --------------------------------------------------------------------------- records


def evaluate_records(
    rs: RuleSet,
    records: Sequence[Any],
    *,
    as_of: str | dt.date | None = None,
    threads: int | None = None,
) -> tuple[list[str], ColumnarResult | None, list[Result | None]]:
    """Outcomes of ``rs`` for ``records``, exact: the columns decide where they can, the row
    evaluator decides invalid records and every uncertain one. ``threads`` as for
    :func:`evaluate_columns`.

    Returns the outcome of each record, the column result (None if the rule set has no column
    form), and the row results computed (None where the columns decided).
    """
    rows: list[Result | None] = [None] * len(records)
    try:
        p = plan(rs)
    except ColumnarUnsupported:
        results = [rs.evaluate(r, as_of=as_of) for r in records]
        return [r.outcome for r in results], None, list(results)
    normalised: list[dict[str, Any]] = []
    index: list[int] = []
    for i, r in enumerate(records):
        out, reasons = rs.record_schema.check(r)
        if reasons or not _dates_ok(out, p, rs):
            rows[i] = rs.evaluate(r, as_of=as_of)
        else:
            normalised.append(out)
            index.append(i)
    table = build_columns(rs, normalised)
    col = evaluate_columns(rs, table, as_of=as_of, threads=threads)
    outcomes: list[str] = [""] * len(records)
    for k, i in enumerate(index):
        if col.uncertain[k]:
            rows[i] = rs.evaluate(records[i], as_of=as_of)
        else:
            outcomes[i] = OUTCOMES[int(col.outcomes[k])]
    for i, res in enumerate(rows):
        if res is not None:
            outcomes[i] = res.outcome
    return outcomes, col, rows


def _dates_ok(record: Mapping[str, Any], p: Plan, rs: RuleSet) -> bool:
    fields = rs.record_schema.fields
    for name in p.fields:
        if fields[name].kind == "date" and not _valid_date(record.get(name)):
            return False
    for name, subs in p.lists.items():
        item = fields[name].fields or {}
        dated = [s for s in subs if item[s].kind == "date"]
        value = record.get(name)
        if dated and isinstance(value, list):
            for m in value:
                if isinstance(m, Mapping) and not all(_valid_date(m.get(s)) for s in dated):
                    return False
    return True


def _valid_date(value: Any) -> bool:
    if value is None:
        return True
    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True
