"""The meaning of the rule language, stated once: node kinds, operators and functions.

For each node kind, operator and function this table says

* its **type rule** (what its operands must be and what it gives),
* its **evaluation strategy** (:class:`Strategy`): which operands are evaluated, in what order,
  what short-circuits, and how a missing value (or any other failure on the record) makes the
  result *unknown*,
* its **run-time operation** (:mod:`.runtime`): exact decimal arithmetic, dates, ID numbers,
* which **constants** it accepts (:class:`ConstantRule`): a constant argument that would make
  the operation fail on every record (``age('2016-02-30')``, ``round(x, 11)``, ``x / 0``) is
  refused when its file loads, by the operation's own rule.

The checker (:mod:`.check`) applies the type rules; the evaluators translate the strategies and
operations: the generated row code (:mod:`.rows`), the reference interpreter on simpleeval
(:mod:`.reference`) and numpy over whole columns (:mod:`.columns`). None of them decides meaning
on its own: a function added to the language is one :class:`Function` entry here, plus at most
one line in a backend that has its own form of it (columns). The conformance suite
(``tests/conformance/``) runs every case through every backend.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import runtime
from .types import BOOLEAN, DATE, KINDS, NUMBER, STRING, Type

__all__ = [
    "FUNCTIONS",
    "KIND_CONSTANTS",
    "NODES",
    "OPERATORS",
    "ConstantRule",
    "Function",
    "NodeKind",
    "Operator",
    "Strategy",
]


class Strategy(enum.Enum):
    """How an expression is evaluated: what is read, in what order, when it is unknown."""

    STRICT = "strict"
    """Every operand is evaluated, left to right; the result is unknown if any operand is
    (missing, or failed) or if the operation itself fails (division by zero ...)."""
    AND = "and"
    """Left to right, stopping at the first false operand: operands after it are not read."""
    OR = "or"
    """Left to right, stopping at the first true operand: operands after it are not read."""
    BRANCH = "branch"
    """The condition, then only the branch it selects."""
    CHAIN = "chain"
    """Comparisons left to right, each middle operand evaluated once, stopping at the first
    false link: operands after it are not read."""
    PRESENCE = "presence"
    """``has(x)``: whether ``x`` is present. Never unknown; ``x`` itself is not evaluated."""
    DEFAULT = "default"
    """``coalesce(x, d)``: ``x`` if present, else ``d``; ``d`` is evaluated only then, so it is
    unknown only when ``x`` is missing and ``d`` is unknown."""
    ITEMS = "items"
    """An aggregate over every item: per item, the conditions left to right (an item whose
    condition is false is skipped, its later conditions and element not read), then the
    element. Unknown if anything read is unknown, or the list is missing or too long."""
    ITEMS_UNTIL = "items-until"
    """As :attr:`ITEMS`, but stopping at the first item that decides the answer (``any``: an
    element that is true, ``all``: one that is false); items after it are not read."""


@attrs.frozen
class NodeKind:
    """A kind of node of the checked tree (:mod:`.tree`) and how it is evaluated."""

    name: str
    strategy: Strategy
    doc: str


NODES: Mapping[str, NodeKind] = {
    k.name: k
    for k in (
        NodeKind("Const", Strategy.STRICT, "常量: 精确数值、文本、是/否"),
        NodeKind("Name", Strategy.STRICT, "名称: 缺失 (不存在或为空) 时无法判定"),
        NodeKind("Attr", Strategy.STRICT, "成员字段 m.x: 成员缺少该字段时无法判定"),
        NodeKind("Unary", Strategy.STRICT, "not x, -x, +x"),
        NodeKind("Binary", Strategy.STRICT, "算术运算, 见 OPERATORS"),
        NodeKind("Logic", Strategy.AND, "and (Strategy.AND) / or (Strategy.OR)"),
        NodeKind("Compare", Strategy.CHAIN, "比较链 a < b <= c, in, not in"),
        NodeKind("Options", Strategy.STRICT, "in 右边的常量列表"),
        NodeKind("Cond", Strategy.BRANCH, "a if c else b: 只计算选中的分支"),
        NodeKind("Call", Strategy.STRICT, "函数调用, 策略见 FUNCTIONS"),
        NodeKind("Aggregate", Strategy.ITEMS, "count/any/all/sum/min/max, 策略见 FUNCTIONS"),
    )
}
"""Every node kind of :mod:`.tree` (``Logic`` is AND or OR by its operator; ``Call`` and
``Aggregate`` take their function's strategy)."""


@attrs.frozen
class ConstantRule:
    """Which constants an operand or argument accepts: ``check`` is the run-time operation's
    own rule, applied to the constant when its file loads; it raises what the operation would
    raise on every record (:data:`.runtime.EXPLAINED`), and the expression is refused."""

    check: Callable[[Any], object]
    hint: str


_DATE_TEXT = ConstantRule(runtime.date, "日期写成 YYYY-MM-DD, 且须是真实存在的日期")
_ID_HINT = "身份证号码为 18 位: 17 位数字和一位校验码 (数字或 X)"


def _round_digits(digits: Any) -> object:
    """The rule of ``round``'s places: those ``round_`` accepts."""
    return runtime.round_(0, digits)


def _divisor(divisor: Any) -> object:
    """The rule of a divisor: one ``div`` accepts (not zero)."""
    return runtime.div(0, divisor)


KIND_CONSTANTS: Mapping[str, ConstantRule] = {"date": _DATE_TEXT}
"""The rule for a constant where a value of a kind is expected (a text read as a date must be
a real date): for a function's parameter of that one kind, and for either side of a comparison
with a value of that kind (``birth_date < '2016-02-30'``)."""


@attrs.frozen
class Operator:
    """An arithmetic operator: numbers in, a number out (``+`` also joins two texts)."""

    symbol: str
    runtime: Callable[[Any, Any], Any] | None
    """The run-time operation, or None where Python's own operator on ``int``/``Decimal`` is
    already the exact one (``+``, ``-``; such a result is bounded by its operands)."""
    doc: str
    divisor: ConstantRule | None = None
    """The rule a constant right operand must meet (a divisor: not zero)."""


OPERATORS: Mapping[str, Operator] = {
    o.symbol: o
    for o in (
        Operator("+", None, "精确加法; 两个文本相加为连接"),
        Operator("-", None, "精确减法"),
        Operator("*", runtime.mul, "精确乘法; 结果超出范围时无法判定"),
        Operator(
            "/",
            runtime.div,
            "精确小数除法 (28 位有效数字); 除数为零时无法判定",
            ConstantRule(_divisor, "除数不能为 0"),
        ),
        Operator(
            "//",
            runtime.floordiv,
            "精确商向下取整: -7 // 2 == -4",
            ConstantRule(_divisor, "除数不能为 0"),
        ),
        Operator(
            "%",
            runtime.mod,
            "a - b * (a // b), 与 b 同号: -7 % 3 == 2",
            ConstantRule(_divisor, "除数不能为 0"),
        ),
    )
}
"""The arithmetic operators; every one is :attr:`Strategy.STRICT`. Constant ``+``, ``-`` and
``*`` (``1e20 * 1e20``) are computed when their file loads, by these operations in the
language's decimal context (:data:`.limits.DECIMALS`): one that fails (beyond
:data:`.limits.MAX_MAGNITUDE`) is refused. A quotient is not computed (its divisor is checked):
what follows from it is left to evaluation."""

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
"""The operators of a comparison chain."""


ResultRule = Type | int
"""A function's result type: a fixed type, or the index of the argument (for aggregates, 0 is
the element) whose type it has."""


@attrs.frozen
class Function:
    """One function of the rule language."""

    name: str
    params: tuple[frozenset[str], ...]
    """The kinds each argument may have (``date`` also takes text, read as its first 10
    characters; ``name`` is a field or ``m.field`` written directly). For an aggregate: the
    kinds its element may have."""
    result: ResultRule
    strategy: Strategy
    impl: Callable[..., Any]
    """The run-time operation (:mod:`.runtime`): on the argument values (STRICT), on the value
    or None (PRESENCE, DEFAULT), on the elements of the items (ITEMS, ITEMS_UNTIL)."""
    doc: str
    optional: int = 0
    """How many of the last parameters may be left out."""
    dated: bool = False
    """Takes the evaluation date (``as_of``) as a last, implicit argument."""
    decides: bool | None = None
    """For :attr:`Strategy.ITEMS_UNTIL`: the element value at which it stops, and which is
    then its answer (``any``: true, ``all``: false)."""
    constants: tuple[ConstantRule | None, ...] = ()
    """Per parameter, the rule a constant argument must meet where it is not that of the
    parameter's kind (:data:`KIND_CONSTANTS`)."""

    def constant_rule(self, index: int) -> ConstantRule | None:
        """The rule a constant given as argument ``index`` must meet, if any."""
        if index < len(self.constants) and self.constants[index] is not None:
            return self.constants[index]
        kinds = self.params[index] if index < len(self.params) else frozenset()
        return KIND_CONSTANTS.get(next(iter(kinds))) if len(kinds) == 1 else None

    @property
    def aggregate(self) -> bool:
        """Takes one generator (``count(m for m in members if ...)``)."""
        return self.strategy in {Strategy.ITEMS, Strategy.ITEMS_UNTIL}

    @property
    def min_args(self) -> int:
        """The fewest arguments written."""
        return len(self.params) - self.optional if not self.aggregate else 1

    @property
    def max_args(self) -> int:
        """The most arguments written."""
        return len(self.params) if not self.aggregate else 1


_NUM = frozenset({"number"})
_DATE = frozenset({"date"})
_TEXT = frozenset({"string"})
_NAME = frozenset({"name"})
_ANY = frozenset({"number", "string", "boolean", "date", "code"})
_ORDERED = frozenset({"number", "string", "date", "code", "boolean"})
_LIST = frozenset({"list"})
_EVERY = frozenset(KINDS)

FUNCTIONS: Mapping[str, Function] = {
    f.name: f
    for f in (
        Function(
            "count", (frozenset(KINDS),), NUMBER, Strategy.ITEMS, runtime.count, "满足条件的项数"
        ),
        Function(
            "any",
            (frozenset({"boolean"}),),
            BOOLEAN,
            Strategy.ITEMS_UNTIL,
            any,
            "任一项为真",
            decides=True,
        ),
        Function(
            "all",
            (frozenset({"boolean"}),),
            BOOLEAN,
            Strategy.ITEMS_UNTIL,
            all,
            "每一项都为真 (没有项时为真)",
            decides=False,
        ),
        Function("sum", (_NUM,), NUMBER, Strategy.ITEMS, runtime.total, "合计"),
        Function("min", (_ORDERED,), 0, Strategy.ITEMS, runtime.minimum, "最小值"),
        Function("max", (_ORDERED,), 0, Strategy.ITEMS, runtime.maximum, "最大值"),
        Function(
            "len", (frozenset({"list"}),), NUMBER, Strategy.STRICT, runtime.length, "列表长度"
        ),
        Function("abs", (_NUM,), NUMBER, Strategy.STRICT, runtime.abs_, "绝对值"),
        Function(
            "round",
            (_NUM, _NUM),
            NUMBER,
            Strategy.STRICT,
            runtime.round_,
            "四舍五入到 n 位小数",
            optional=1,
            constants=(None, ConstantRule(_round_digits, "位数写 0 到 10 的整数, 如 round(x, 2)")),
        ),
        Function(
            "age", (_DATE,), NUMBER, Strategy.STRICT, runtime.age_at, "评估日期时的周岁", dated=True
        ),
        Function("age_at", (_DATE, _DATE), NUMBER, Strategy.STRICT, runtime.age_at, "某日的周岁"),
        Function("year", (_DATE,), NUMBER, Strategy.STRICT, runtime.year, "日期的年份"),
        Function(
            "days_between",
            (_DATE, _DATE),
            NUMBER,
            Strategy.STRICT,
            runtime.days_between,
            "两个日期相差的天数",
        ),
        Function("has", (_NAME,), BOOLEAN, Strategy.PRESENCE, runtime.has, "字段存在且不为空"),
        Function(
            "coalesce",
            (_NAME, _ANY),
            0,
            Strategy.DEFAULT,
            runtime.coalesce,
            "字段为空时取默认值",
        ),
        Function(
            "id_valid",
            (_TEXT,),
            BOOLEAN,
            Strategy.STRICT,
            runtime.id_valid,
            "身份证号码校验位正确 (GB 11643-1999)",
        ),
        Function(
            "id_birth_date",
            (_TEXT,),
            DATE,
            Strategy.STRICT,
            runtime.id_birth_date,
            "身份证号码中的出生日期",
            constants=(ConstantRule(runtime.id_birth_date, _ID_HINT),),
        ),
        Function(
            "id_sex",
            (_TEXT,),
            STRING,
            Strategy.STRICT,
            runtime.id_sex,
            "身份证号码第 17 位对应的性别",
            constants=(ConstantRule(runtime.id_sex, _ID_HINT),),
        ),
    )
}
"""Every function of the rule language, by name."""
