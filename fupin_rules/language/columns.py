"""The column backend: checked trees evaluated as numpy operations over whole columns.

Every value carries an ``ok`` mask: False where the row backend would fail (a missing value, a
division by zero, ``min`` of nothing). Each strategy of the language's table (:mod:`.table`) has
one translation here, so an error on an operand that the rows would not read (an untaken branch,
the rest of an ``and`` after a false, a ``coalesce`` default when the value is present, the items
after the one that decides ``any``) does not count. Functions without a column form here make
:class:`ColumnarUnsupported` rise when the rule set is planned; callers then use rows.

Numbers are float64 (integer columns stay int64 where exact); a comparison of inexact numbers
within a relative 1e-9, or an exact value beyond 2**52, marks the record *uncertain*, so that
the caller decides it by rows with exact decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from . import tree as t
from .column_table import Bool, Column, ColumnTable, ListColumn, ymd
from .limits import MAX_LIST_ITEMS
from .table import FUNCTIONS, Strategy

__all__ = [
    "ColumnarUnsupported",
    "Evaluator",
    "Frame",
    "Value",
    "and_",
    "constant",
    "environment",
    "from_column",
    "full",
    "not_",
]

_TOL = 1e-9
_BIG = float(2**52)


class ColumnarUnsupported(Exception):
    """The rule set uses something without a column form; evaluate it row by row."""


@attrs.define
class Value:
    """A value during column evaluation: data, the kind, where it is defined, exactness."""

    kind: str  # num bool cat str date listcol item
    data: Any
    ok: Any = True  # bool array or True
    exact: bool = True
    categories: tuple[str, ...] = ()


def and_(a: Any, b: Any) -> Any:
    """``a & b`` for masks that may be the scalar True."""
    if a is True:
        return b
    if b is True:
        return a
    return a & b


def not_(x: Any) -> Any:
    """``~x`` for a mask or a scalar."""
    return ~x if _is_arr(x) else (not x)


def full(x: Any, m: int) -> Any:
    """``x`` as an array of ``m`` entries (an array is kept as it is)."""
    if _is_arr(x):
        return x
    return np.full(m, x)


@attrs.define
class Frame:
    """Where expressions are evaluated: household level (``width`` None) or item level."""

    n: int
    env: dict[str, Value]
    table: ColumnTable
    width: int | None = None
    """At item level: the padded width of the list; None at record level."""
    uncertain: Bool | None = None
    cache: dict[Any, Any] = attrs.field(factory=dict)
    memo: dict[t.Node, Value] = attrs.field(factory=dict)

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
        """Mark the rows of ``mask`` uncertain."""
        if mask is False or (isinstance(mask, np.ndarray) and not mask.any()):
            return
        if not isinstance(mask, np.ndarray):
            mask = np.ones(self.n, dtype=np.bool_)
        if self.uncertain is None:
            self.uncertain = mask.copy()
        else:
            self.uncertain |= mask


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


class Evaluator:
    """Evaluates checked trees on a :class:`Frame`; the same sub-expression runs once."""

    def __init__(self, frame: Frame) -> None:
        self.f = frame

    def run(self, node: t.Node) -> Value:
        """The value of ``node`` on every row of the frame."""
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ColumnarUnsupported(type(node).__name__)
        if isinstance(node, t.Const | t.Name | t.Var):
            direct: Value = method(node)
            return direct
        memo = self.f.memo
        found = memo.get(node)
        if found is None:
            found = memo[node] = method(node)
        return found

    # -- leaves
    def _Const(self, node: t.Const) -> Value:
        return constant(node.value)

    def _Name(self, node: t.Name) -> Value:
        found = self.f.env.get(node.id)
        if found is None or node.role == "item":
            raise ColumnarUnsupported(node.id)
        return found

    def _Var(self, node: t.Var) -> Value:
        found = self.f.env.get(node.id)
        if found is None:
            raise ColumnarUnsupported(node.id)
        return found

    def _Attr(self, node: t.Attr) -> Value:
        item = self.run(node.target)
        if item.kind != "item":
            raise ColumnarUnsupported("attribute")
        col = item.data.get(node.field)
        if col is None:
            raise ColumnarUnsupported(node.field)
        v = from_column(col)
        # Reading an absent member field fails in the row evaluator.
        return Value(v.kind, v.data, and_(item.ok, v.ok), v.exact, v.categories)

    # -- boolean logic: Strategy.AND / Strategy.OR
    def _Logic(self, node: t.Logic) -> Value:
        acc = self.run(node.operands[0])
        is_and = node.op == "and"
        for sub in node.operands[1:]:
            b = self.run(sub)
            arrays = _is_arr(acc.data) or _is_arr(b.data)
            if is_and:
                # b is read only where acc is true
                ok = and_(acc.ok, _or_not(b.ok, acc.data))
                data = acc.data & b.data if arrays else (acc.data and b.data)
            else:
                # b is read only where acc is false
                ok = and_(acc.ok, _or_mask(acc.data, b.ok))
                data = acc.data | b.data if arrays else (acc.data or b.data)
            acc = Value("bool", data, ok)
        return acc

    def _Unary(self, node: t.Unary) -> Value:
        v = self.run(node.operand)
        if node.op == "not":
            return Value("bool", not_(v.data), v.ok)
        if node.op == "-":
            return Value("num", -_float(v.data), v.ok, v.exact)
        return v

    def _Binary(self, node: t.Binary) -> Value:
        a, b = self.run(node.left), self.run(node.right)
        if a.kind != "num" or b.kind != "num":
            raise ColumnarUnsupported("text +")
        x, y = _float(a.data), _float(b.data)
        ok = and_(a.ok, b.ok)
        exact = a.exact and b.exact
        op = node.op
        with np.errstate(all="ignore"):
            if op == "+":
                r = x + y
            elif op == "-":
                r = x - y
            elif op == "*":
                r = x * y
            else:
                nz = y != 0
                ok = and_(ok, nz)
                safe = np.where(nz, y, 1.0) if _is_arr(y) else (y if y != 0 else 1.0)
                q = x / safe
                exact = False
                if op == "/":
                    r = q
                elif op == "//":
                    r = np.floor(q)
                    self._near(ok, q - np.round(q), 0.0)
                else:
                    r = x - safe * np.floor(q)
                    self._near(ok, q - np.round(q), 0.0)
        if exact:
            self.f.flag(and_(ok, np.abs(r) >= _BIG) if _is_arr(r) else bool(abs(r) >= _BIG))
        elif op in {"*", "/"}:
            # Beyond the row backend's bound the rows fail; near it, let them decide.
            self.f.flag(and_(ok, np.abs(r) >= 1e23) if _is_arr(r) else bool(abs(r) >= 1e23))
        return Value("num", r, ok, exact)

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
        self.f.flag(and_(ok, close) if _is_arr(close) else (bool(close) and ok))

    # -- Strategy.BRANCH
    def _Cond(self, node: t.Cond) -> Value:
        c, body, orelse = self.run(node.test), self.run(node.body), self.run(node.orelse)
        ok = and_(c.ok, _where(c.data, body.ok, orelse.ok))
        if body.kind in {"cat", "str"} or orelse.kind in {"cat", "str"}:
            cats, bd, od = _unify(body, orelse)
            return Value("cat", _where(c.data, bd, od), ok, True, cats)
        data = _where(
            c.data,
            _float(body.data) if body.kind == "num" else body.data,
            _float(orelse.data) if orelse.kind == "num" else orelse.data,
        )
        return Value(body.kind, data, ok, body.exact and orelse.exact)

    # -- Strategy.CHAIN
    def _Compare(self, node: t.Compare) -> Value:
        left = self.run(node.operands[0])
        ok: Any = left.ok
        alive: Any = True  # the chain is still being evaluated (all earlier links true)
        result: Any = True
        for op, right_node in zip(node.ops, node.operands[1:], strict=True):
            if op in {"in", "not in"}:
                if not isinstance(right_node, t.Options):
                    raise ColumnarUnsupported("in over a list field")
                r = self._member(left, [c.value for c in right_node.items])
                if op == "not in":
                    r = not_(r)
                result = and_(result, r) if _is_arr(r) or _is_arr(result) else (result and r)
                alive = result
                left = Value("list", None)
                continue
            right = self.run(right_node)
            # The right operand is read only while the chain is alive.
            ok = and_(ok, _or_not(right.ok, alive))
            r = self._compare(op, left, right, and_(ok, alive))
            result = result & r if (_is_arr(r) or _is_arr(result)) else (result and r)
            alive = result
            left = right
        return Value("bool", result, ok)

    def _member(self, left: Value, values: list[Any]) -> Any:
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
            numbers = [
                v for v in values if isinstance(v, int | Decimal) and not isinstance(v, bool)
            ]
            nums = [float(v) for v in numbers]
            r: Any = np.isin(left.data, nums) if _is_arr(left.data) else left.data in nums
            if not left.exact or not all(
                Decimal(x) == Decimal(v) for x, v in zip(nums, numbers, strict=True)
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

    def _compare(self, op: str, a: Value, b: Value, ok: Any) -> Any:
        fn = _CMP[op]
        if a.kind == "num" and b.kind == "num":
            x, y = _int_scalar(a.data, b.data), _int_scalar(b.data, a.data)
            if not (a.exact and b.exact):
                self._near(ok, x, y)
            return fn(x, y)
        if a.kind in {"cat", "str"} and b.kind in {"cat", "str"}:
            if op not in {"==", "!="}:
                raise ColumnarUnsupported("text ordering")
            _cats, x, y = _unify(a, b)
            return fn(x, y)
        if a.kind == "bool" and b.kind == "bool":
            return fn(a.data, b.data)
        if {a.kind, b.kind} <= {"date", "str"}:
            x = a.data if a.kind == "date" else ymd(a.data)
            y = b.data if b.kind == "date" else ymd(b.data)
            return fn(x, y)
        raise ColumnarUnsupported(f"compare {a.kind} {b.kind}")

    # -- calls: one translation per strategy, one column form per function
    def _Call(self, node: t.Call) -> Value:
        function = FUNCTIONS[node.function]
        if function.strategy is Strategy.PRESENCE:
            return Value("bool", self.run(node.args[0]).ok)
        if function.strategy is Strategy.DEFAULT:
            return self._default(node)
        form = _FUNCTIONS.get(node.function)
        if form is None:
            raise ColumnarUnsupported(node.function)
        args = [self.run(a) for a in node.args]
        if function.dated:
            args.append(self.f.env["as_of"])
        ok: Any = True
        for a in args:
            ok = and_(ok, a.ok)
        v = form(*args)
        return Value(v.kind, v.data, and_(ok, v.ok), v.exact, v.categories)

    def _default(self, node: t.Call) -> Value:
        """``coalesce(x, d)``: x where present, else d; d's failures count only there."""
        target, default = self.run(node.args[0]), self.run(node.args[1])
        ok = _or_mask(target.ok, default.ok)
        if isinstance(node.args[1], t.Const) and (
            (target.kind == "num" and default.kind == "num" and default.data == 0.0)
            or (target.kind == "bool" and default.data is False)
        ):
            # Absent entries of a column hold 0 / False (ColumnTable checks it).
            return Value(target.kind, target.data, ok, target.exact)
        if target.kind in {"cat", "str"} or default.kind in {"cat", "str"}:
            cats, td, dd = _unify(target, default)
            return Value("cat", _where(target.ok, td, dd), ok, True, cats)
        x = _float(target.data) if target.kind == "num" else target.data
        d = _float(default.data) if default.kind == "num" else default.data
        return Value(target.kind, _where(target.ok, x, d), ok, target.exact and default.exact)

    # -- Strategy.ITEMS and Strategy.ITEMS_UNTIL
    def _Aggregate(self, node: t.Aggregate) -> Value:
        if self.f.width is not None:
            raise ColumnarUnsupported("nested for")
        function = FUNCTIONS[node.function]
        src = self.run(node.source)
        if src.kind != "listcol":
            raise ColumnarUnsupported("for over a non-list")
        lst: ListColumn = src.data
        n, w = self.f.n, lst.width
        m = n * w
        valid = self.f.valid(lst)
        env = _ItemEnv(self.f.env, w)
        env[node.var] = Value("item", dict(lst.fields))
        memo = self.f.cache.setdefault(("memo", id(lst), node.var), {})
        inner = Frame(m, env, self.f.table, w, cache=self.f.cache, memo=memo)
        self.f.flag(lst.lengths > MAX_LIST_ITEMS)
        alive: Any = valid  # items still being read: conditions true so far
        okm: Any = True
        for cond in node.conditions:
            c = Evaluator(inner).run(cond)
            okm = and_(okm, _or_not(c.ok, alive))
            alive = alive & c.data if _is_arr(c.data) else (alive if c.data else ~valid & valid)
        elt = Evaluator(inner).run(node.element)
        okm = and_(okm, _or_not(elt.ok, alive))
        if inner.uncertain is not None:
            self.f.flag(_rowany(inner.uncertain & valid, n, w))
        ok_list = src.ok  # the list itself must be present
        bad: Any = False if okm is True else (~okm & valid)
        if function.strategy is Strategy.ITEMS_UNTIL:
            # Stops at the first item whose element is the deciding value; failures after it
            # are not read.
            val = elt.data if _is_arr(elt.data) else np.full(m, bool(elt.data))
            hit = alive & (val if function.decides else ~val)
            if bad is not False:
                hit = hit & okm
                ok_list = and_(ok_list, ~_before(bad, hit, n, w))
            found = _rowany(hit, n, w)
            return Value("bool", found if function.decides else ~found, ok_list)
        ok = ok_list if bad is False else and_(ok_list, ~_rowany(bad, n, w))
        reduce = _AGGREGATES.get(node.function)
        if reduce is None:
            raise ColumnarUnsupported(node.function)
        v = reduce(self.f, alive, elt, n, w)
        return Value(v.kind, v.data, and_(ok, v.ok), v.exact, v.categories)


# --------------------------------------------------------------------------- forms


def _age_at(birth: Value, on: Value) -> Value:
    b = birth.data if birth.kind == "date" else ymd(birth.data)
    d = on.data if on.kind == "date" else ymd(on.data)
    # yyyymmdd arithmetic: the whole years between two dates (int32: fast and exact).
    return Value("num", (d - b) // 10000)


def _year(v: Value) -> Value:
    return Value("num", (v.data if v.kind == "date" else ymd(v.data)) // 10000)


def _len(v: Value) -> Value:
    if v.kind != "listcol":
        raise ColumnarUnsupported("len")
    return Value("num", v.data.lengths)


def _abs(v: Value) -> Value:
    return Value("num", np.abs(_float(v.data)), True, v.exact)


_FUNCTIONS: Mapping[str, Callable[..., Value]] = {
    "age": _age_at,
    "age_at": _age_at,
    "year": _year,
    "len": _len,
    "abs": _abs,
}
"""The column form of each STRICT function that has one (given its arguments' values, the
evaluation date last for a dated one); the arguments' failures are added by the caller."""


def _count(f: Frame, alive: Any, elt: Value, n: int, w: int) -> Value:
    counted = alive if elt.kind != "bool" else alive & full(elt.data, n * w)
    return Value("num", _rowsum(counted, n, w))


def _sum(f: Frame, alive: Any, elt: Value, n: int, w: int) -> Value:
    if elt.kind != "num":
        raise ColumnarUnsupported(f"sum of {elt.kind}")
    vals = full(_float(elt.data), n * w).astype(np.float64, copy=False)
    totals = np.where(alive, vals, 0.0).reshape(n, w).sum(axis=1)
    if elt.exact:
        f.flag(np.abs(totals) >= _BIG)
    return Value("num", totals, True, elt.exact)


def _extreme(pick: str) -> Callable[[Frame, Any, Value, int, int], Value]:
    def reduce(f: Frame, alive: Any, elt: Value, n: int, w: int) -> Value:
        if elt.kind != "num":
            raise ColumnarUnsupported(f"{pick} of {elt.kind}")
        vals = full(_float(elt.data), n * w).astype(np.float64, copy=False)
        fill = np.inf if pick == "min" else -np.inf
        masked = np.where(alive, vals, fill).reshape(n, w)
        out = masked.min(axis=1) if pick == "min" else masked.max(axis=1)
        return Value("num", out, _rowany(alive, n, w), elt.exact)  # none: min() of nothing

    return reduce


_AGGREGATES: Mapping[str, Callable[[Frame, Any, Value, int, int], Value]] = {
    "count": _count,
    "sum": _sum,
    "min": _extreme("min"),
    "max": _extreme("max"),
}
"""The column form of each ITEMS aggregate: from which item slots are counted (``alive``) and
the element's values, per row."""


# --------------------------------------------------------------------------- masks

_BYTES = np.uint64(0x0101010101010101)
_SLOT_WORDS = np.array([(1 << (8 * k)) - 1 & 0x0101010101010101 for k in range(9)], dtype="<u8")
"""The eight slots of a row of width 8 holding ``k`` items, as one word (see ``Frame.valid``)."""
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


def constant(v: Any) -> Value:
    """A literal (or a parameter's value) as a column value."""
    if isinstance(v, bool):
        return Value("bool", v)
    if isinstance(v, int):
        return Value("num", float(v), exact=abs(v) < _BIG)
    if isinstance(v, Decimal):
        x = float(v)
        return Value("num", x, exact=Decimal(x) == v)
    if isinstance(v, str):
        return Value("str", v)
    raise ColumnarUnsupported(repr(v))


def environment(table: ColumnTable, parameters: Mapping[str, Any], as_of: str) -> dict[str, Value]:
    """The names a rule set's expressions read over ``table``: the parameters of the day (a
    None value: no value that day, so reading it fails), ``as_of``, and the table's columns."""
    env: dict[str, Value] = {}
    for name, value in parameters.items():
        env[name] = Value("num", 0.0, False) if value is None else constant(value)
    env["as_of"] = Value("date", ymd(as_of))
    for name, column in table.columns.items():
        env[name] = from_column(column)
    for name, lst in table.lists.items():
        env[name] = Value("listcol", lst, True if lst.present is None else lst.present)
    return env


class _ItemEnv(dict[str, Value]):
    """Names at item level: the loop variable, and household values repeated per item."""

    def __init__(self, outer: Mapping[str, Value], width: int) -> None:
        super().__init__()
        self.outer = outer
        self.width = width

    def __missing__(self, key: str) -> Value:
        v = _broadcast(self.outer[key], self.width)
        self[key] = v
        return v

    def get(self, key: str, default: Any = None) -> Any:
        if key in self or key in self.outer:
            return self[key]
        return default


def _broadcast(v: Value, width: int) -> Value:
    if v.kind == "listcol":
        return Value("unsupported", None)
    data = np.repeat(v.data, width) if _is_arr(v.data) else v.data
    ok = np.repeat(v.ok, width) if _is_arr(v.ok) else v.ok
    return Value(v.kind, data, ok, v.exact, v.categories)


def from_column(col: Column) -> Value:
    """A field's column as a value (``ok`` where present)."""
    ok: Any = True if col.present is None else col.present
    if col.kind == "num":
        exact = col.values.dtype.kind in "iu"
        return Value("num", col.values, ok, exact)
    if col.kind == "cat":
        return Value("cat", col.values, ok, True, col.categories)
    return Value(col.kind, col.values, ok, True)


def _is_arr(x: Any) -> bool:
    return isinstance(x, np.ndarray)


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


def _or_not(ok: Any, alive: Any) -> Any:
    """``ok | ~alive``: fine where ``ok`` holds or the value was not needed; the negation is
    computed only when ``ok`` is not already True everywhere."""
    if ok is True:
        return True
    return _or_mask(not_(alive), ok)


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


def _float(x: Any) -> Any:
    if _is_arr(x) and x.dtype.kind in "iu":
        return x.astype(np.float64)
    if isinstance(x, int | Decimal) and not isinstance(x, bool):
        return float(x)
    return x


def _unify(a: Value, b: Value) -> tuple[tuple[str, ...], Any, Any]:
    """Two text values as indices into one vocabulary."""
    cats = list(a.categories)
    for c in b.categories:
        if c not in cats:
            cats.append(c)
    for v in (a, b):
        if v.kind == "str" and v.data not in cats:
            cats.append(v.data)

    def conv(v: Value) -> Any:
        if v.kind == "str":
            return cats.index(v.data)
        if v.kind != "cat":
            raise ColumnarUnsupported(f"text and {v.kind}")
        if v.categories == tuple(cats[: len(v.categories)]):
            return v.data
        lut = np.array([-1, *(cats.index(c) for c in v.categories)], dtype=np.int32)
        return lut[v.data + 1]

    return tuple(cats), conv(a), conv(b)
