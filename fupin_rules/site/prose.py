"""Expressions in plain Chinese: the checked tree of a test, a condition or a derived field's
formula, worded for staff.

``per_capita_income > income_line`` reads ``家庭人均纯收入 高于 国家现行扶贫标准 (当年现价)
(2952 元/人·年, 2018-01-01 起)``; ``housing_structure in ['01', '02']`` reads ``房屋主要结构 为
钢筋混凝土、砖混 之一``. Every word comes from the rule set: field labels from the record schema,
the labels of derived fields and parameters, code labels from the code lists, the parameter
values in force during the version's period. What this module cannot word (a function added to
the language after it, a count of values that are not yes/no) is shown as its canonical text,
never guessed.

A test or condition is a :class:`Clause`: a sentence of :class:`Piece` s, or a list of clauses
all (or any) of which must hold, so that ``a and (b or c)`` reads as a list with a sub-list.
Inside a sentence, ``and``/``or`` read ``且``/``或`` with full-width brackets for grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from ..display import display
from ..hints import label_of, unit_of
from ..language import tree as t
from ..language.syntax import canonical_text
from ..model import Parameter, ParameterValue, RuleSet

__all__ = [
    "ALWAYS",
    "JOIN_LEADS",
    "UNCONFIRMED",
    "WORDED_FUNCTIONS",
    "Clause",
    "Piece",
    "Words",
    "describe",
    "formula",
    "plain",
    "unit_text",
    "value_in_period",
]

ALWAYS = "0001-01-01"
"""The start of a parameter written with one value (no date): shown without a date."""

UNCONFIRMED = "未经来源确认"
"""The mark shown wherever a criterion, a parameter value, a source or a date is unconfirmed."""

Kind = Literal["text", "name", "value", "mark", "code"]
Join = Literal["all", "any", "not_all", "none"]

JOIN_LEADS: dict[str, str] = {
    "all": "同时满足以下各条:",
    "any": "满足以下任一条:",
    "not_all": "以下各条不同时满足:",
    "none": "以下各条都不满足:",
}
"""How a list of clauses is introduced."""


@attrs.frozen
class Piece:
    """A run of text in a worded expression."""

    text: str
    kind: Kind = "text"
    """``name`` (a label), ``value`` (a constant or a parameter's value), ``mark``
    (:data:`UNCONFIRMED`), ``code`` (canonical text where there are no words), or ``text``."""
    link: str | None = None
    """The anchor, on the version's page, of the derived field, parameter or criterion named."""


@attrs.frozen
class Clause:
    """A sentence (``pieces``), or a list of ``items`` joined by ``join``."""

    pieces: tuple[Piece, ...] = ()
    join: Join | None = None
    items: tuple[Clause, ...] = ()


def plain(clause: Clause | Sequence[Piece]) -> str:
    """The worded expression as one line of text (lists numbered (1), (2) ...)."""
    if not isinstance(clause, Clause):
        return "".join(p.text for p in clause)
    if clause.join is None:
        return plain(clause.pieces)
    items = "; ".join(f"({i}) {plain(c)}" for i, c in enumerate(clause.items, 1))
    return f"{JOIN_LEADS[clause.join]} {items}"


def unit_text(unit: str | None) -> str:
    """A unit as written after a number: ``" 元"``, but ``"%"`` close up, nothing for none."""
    return "" if not unit else unit if unit == "%" else " " + unit


def value_in_period(p: Parameter, start: str, until: str | None) -> tuple[ParameterValue, ...]:
    """The values of ``p`` in force at some time from ``start`` to ``until`` (None: open)."""
    found = []
    for i, v in enumerate(p.values):
        nxt = p.values[i + 1].start if i + 1 < len(p.values) else None
        if (until is None or v.start <= until) and (nxt is None or nxt > start):
            found.append(v)
    return tuple(found)


@attrs.frozen(eq=False)
class Words:
    """What the words come from: a rule set, and the period whose parameter values are shown
    (by default the version's own)."""

    rs: RuleSet
    start: str
    until: str | None

    @classmethod
    def of(cls, rs: RuleSet) -> Words:
        """The words of ``rs``, showing the parameter values of its effective period."""
        return cls(rs, rs.effective_from, rs.effective_until)

    def code_label(self, codelist: str | None, code: object) -> str | None:
        """The label of ``code`` in ``codelist``, or None when there is none."""
        lists = self.rs.record_schema.codelists
        if codelist is None or codelist not in lists or not isinstance(code, str):
            return None
        return lists[codelist].codes.get(code)

    def unit(self, name: str) -> str:
        """The unit of a derived field or parameter as written after a number (``" 元"``)."""
        return unit_text(unit_of(self.rs, name))

    def parameter(self, name: str) -> list[Piece]:
        """A parameter's label and the value in force (the latest in the period, with its
        date and mark): ``国家现行扶贫标准 (当年现价) (2952 元/人·年, 2018-01-01 起)``."""
        pieces = [Piece(label_of(self.rs, name), "name", f"param-{name}")]
        p = self.rs.parameters.get(name)
        if p is None:
            return pieces
        values = value_in_period(p, self.start, self.until)
        if not values:
            return [*pieces, Piece(" (本版本施行期间没有取值)")]
        last = values[-1]
        shown = "无已确认的值" if last.value is None else display(last.value) + self.unit(name)
        pieces += [Piece(" ("), Piece(shown, "value")]
        if last.start != ALWAYS:
            pieces.append(Piece(f", {last.start} 起"))
        if last.unconfirmed:
            pieces += [Piece(", "), Piece(UNCONFIRMED, "mark")]
        if len(values) > 1:
            pieces.append(Piece("; 此前的取值见参数表"))
        pieces.append(Piece(")"))
        return pieces


# ----------------------------------------------------------------------------- clauses


def describe(node: t.Node, words: Words) -> Clause:
    """A yes/no expression (a test, a condition) in words: lists for ``and``/``or``."""
    if isinstance(node, t.Logic):
        return Clause(join=_join(node.op), items=tuple(describe(x, words) for x in _flat(node)))
    if isinstance(node, t.Unary) and node.op == "not" and isinstance(node.operand, t.Logic):
        inner = node.operand
        join: Join = "not_all" if inner.op == "and" else "none"
        return Clause(join=join, items=tuple(describe(x, words) for x in _flat(inner)))
    return Clause(pieces=tuple(_condition(node, words)))


def formula(node: t.Node, words: Words) -> Clause:
    """An expression of any type in words: a yes/no one as :func:`describe`, a value as one
    sentence (``(工资性收入(元) ＋ …) ÷ 家庭人口数``)."""
    if node.type.kind == "boolean":
        return describe(node, words)
    return Clause(pieces=tuple(_value(node, words)))


def _join(op: str) -> Join:
    return "all" if op == "and" else "any"


def _flat(node: t.Logic) -> list[t.Node]:
    """The operands of ``a and (b and c)`` as ``a, b, c``."""
    out: list[t.Node] = []
    for x in node.operands:
        out.extend(_flat(x) if isinstance(x, t.Logic) and x.op == node.op else [x])
    return out


# ----------------------------------------------------------------------------- conditions

_ORDER_WORDS = {"<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
_DATE_WORDS = {"<": "早于", "<=": "不晚于", ">": "晚于", ">=": "不早于"}
_EQUAL_WORDS = {"==": "等于", "!=": "不等于"}
_IS_WORDS = {"==": "为", "!=": "不为"}
_NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "in": "not in",
    "not in": "in",
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _text(s: str) -> Piece:
    return Piece(s)


def _code(node: t.Node) -> list[Piece]:
    return [Piece(canonical_text(node), "code")]


def _bracketed(node: t.Node, words: Words) -> list[Piece]:
    """A condition inside a sentence, in brackets where it would otherwise run on."""
    inner = _condition(node, words)
    grouped = isinstance(node, t.Logic | t.Cond) or (
        isinstance(node, t.Aggregate) and node.function in {"any", "all"}
    )
    return [_text("（"), *inner, _text("）")] if grouped else inner


def _condition(node: t.Node, words: Words) -> list[Piece]:
    """A yes/no expression as one sentence."""
    if isinstance(node, t.Logic):
        glue = " 且 " if node.op == "and" else " 或 "
        out: list[Piece] = []
        for i, x in enumerate(_flat(node)):
            out += ([_text(glue)] if i else []) + _bracketed(x, words)
        return out
    if isinstance(node, t.Unary) and node.op == "not":
        return _negated(node.operand, words)
    if isinstance(node, t.Compare):
        return _comparison(node.operands, node.ops, words)
    if isinstance(node, t.Const):
        return [_text("总是成立" if node.value else "总不成立")]
    if isinstance(node, t.Name) and node.role == "criterion":
        return [
            Piece(_criterion_label(words, node.id), "name", f"criterion-{node.id}"),
            _text(" 达标或不适用"),
        ]
    if isinstance(node, t.Call) and node.function == "has":
        return [_text("已填写 "), *_value(node.args[0], words)]
    if isinstance(node, t.Call) and node.function == "coalesce":
        return [*_value(node.args[0], words), _text(" 为 是"), *_default(node, words)]
    if isinstance(node, t.Call) and node.function == "id_valid":
        return [*_value(node.args[0], words), _text(" 是有效的 18 位身份证号码")]
    if isinstance(node, t.Aggregate) and node.function in {"any", "all"}:
        return _any_all(node, words, negated=False)
    if isinstance(node, t.Cond):
        return [
            _text("若 "),
            *_condition(node.test, words),
            _text(", 则须 "),
            *_condition(node.body, words),
            _text("; 否则须 "),
            *_condition(node.orelse, words),
        ]
    if isinstance(node, t.Name | t.Attr):  # a yes/no field, derived field or item field
        return [*_value(node, words), _text(" 为 是")]
    return _value(node, words)


def _negated(node: t.Node, words: Words) -> list[Piece]:
    """``not node`` as one sentence."""
    if isinstance(node, t.Unary) and node.op == "not":
        return _condition(node.operand, words)
    if isinstance(node, t.Name) and node.role == "criterion":
        return [
            Piece(_criterion_label(words, node.id), "name", f"criterion-{node.id}"),
            _text(" 不达标"),
        ]
    if isinstance(node, t.Name | t.Attr) and node.type.kind == "boolean":
        return [*_value(node, words), _text(" 为 否")]
    if isinstance(node, t.Call) and node.function == "has":
        return [_text("未填写 "), *_value(node.args[0], words)]
    if isinstance(node, t.Call) and node.function == "coalesce":
        return [*_value(node.args[0], words), _text(" 为 否"), *_default(node, words)]
    if isinstance(node, t.Compare) and len(node.ops) == 1:
        return _comparison(node.operands, (_NEGATED[node.ops[0]],), words)
    if isinstance(node, t.Aggregate) and node.function == "any":
        return _any_all(node, words, negated=True)
    return [_text("并非 "), *_bracketed(node, words)]


def _default(node: t.Call, words: Words) -> list[Piece]:
    """``(未填写按 0 计)``: what ``coalesce`` takes when its first argument is missing."""
    return [_text(" (未填写按 "), *_value(node.args[1], words), _text(" 计)")]


def _criterion_label(words: Words, cid: str) -> str:
    for c in words.rs.criteria:
        if c.id == cid:
            return c.label
    return cid


def _codelist(operands: Iterable[t.Node]) -> str | None:
    """The code list of the first coded operand (a constant compared with it is a code)."""
    for x in operands:
        if x.type.codelist is not None and x.type.kind in {"code", "list"}:
            return x.type.codelist
    return None


def _unit_of(node: t.Node, words: Words) -> str:
    if isinstance(node, t.Name) and node.role in {"derived", "parameter"}:
        return words.unit(node.id)
    return ""


def _operand(node: t.Node, neighbours: Sequence[t.Node], words: Words) -> list[Piece]:
    """An operand of a comparison: a constant gets the code label or the unit of what it is
    compared with."""
    if isinstance(node, t.Const) and not isinstance(node.value, bool):
        label = words.code_label(_codelist(neighbours), node.value)
        if label is not None:
            return [Piece(label, "value")]
        if node.type.kind == "number":
            unit = next((u for x in neighbours if (u := _unit_of(x, words))), "")
            return [Piece(display(node.value) + unit, "value")]
    return _value(node, words)


def _relation(op: str, left: t.Node, right: t.Node) -> str:
    kinds = {left.type.kind, right.type.kind}
    if op in _ORDER_WORDS:
        return (_DATE_WORDS if "date" in kinds else _ORDER_WORDS)[op]
    textual = kinds & {"string", "date", "code", "boolean"}
    return (_IS_WORDS if textual else _EQUAL_WORDS)[op]


def _options(node: t.Options, codelist: str | None, words: Words) -> list[Piece]:
    out: list[Piece] = []
    for i, c in enumerate(node.items):
        label = words.code_label(codelist, c.value)
        shown = label if label is not None else _constant_text(c)
        out += ([_text("、")] if i else []) + [Piece(shown, "value")]
    return out


def _comparison(operands: Sequence[t.Node], ops: Sequence[str], words: Words) -> list[Piece]:
    if len(ops) == 2 and all(op in _ORDER_WORDS for op in ops):
        low, middle, high = operands
        if (ops[0] in {"<", "<="}) == (ops[1] in {"<", "<="}):
            # a <= x <= b: the middle operand is the subject, said once
            return [
                *_operand(middle, operands, words),
                _text(" " + _relation(_FLIP[ops[0]], middle, low) + " "),
                *_operand(low, operands, words),
                _text(" 且 " + _relation(ops[1], middle, high) + " "),
                *_operand(high, operands, words),
            ]
    out: list[Piece] = []
    for i, op in enumerate(ops):
        left, right = operands[i], operands[i + 1]
        out += [_text(" 且 ")] if i else []
        out += _link(op, left, right, operands, words)
    return out


def _link(
    op: str, left: t.Node, right: t.Node, operands: Sequence[t.Node], words: Words
) -> list[Piece]:
    if op in {"in", "not in"}:
        if isinstance(right, t.Options):
            subject = _operand(left, operands, words)
            listed = _options(right, _codelist([left]), words)
            if op == "not in":
                return [*subject, _text(" 不为 "), *listed, _text(" 中任一项")]
            tail = [_text(" 之一")] if len(right.items) > 1 else []
            return [*subject, _text(" 为 "), *listed, *tail]
        verb = " 包含 " if op == "in" else " 不包含 "
        return [*_value(right, words), _text(verb), *_operand(left, [right], words)]
    return [
        *_operand(left, operands, words),
        _text(" " + _relation(op, left, right) + " "),
        *_operand(right, operands, words),
    ]


def _any_all(node: t.Aggregate, words: Words, *, negated: bool) -> list[Piece]:
    """``any``/``all`` over a list: ``家庭成员中 至少有一项: …``."""
    source = _value(node.source, words)
    if node.function == "any":
        lead = " 没有一项: " if negated else " 至少有一项: "
        return [*source, _text("中" + lead), *_joined((*node.conditions, node.element), words)]
    element = _joined((node.element,), words)
    if node.conditions:
        conditions = _joined(node.conditions, words)
        return [*source, _text("中 凡 "), *conditions, _text(" 的, 都: "), *element]
    return [*source, _text(" 每一项都: "), *element]


def _joined(conditions: Sequence[t.Node], words: Words) -> list[Piece]:
    """Conditions that must all hold, joined by 且 (an ``and`` among them needs no brackets)."""
    flat: list[t.Node] = []
    for c in conditions:
        flat.extend(_flat(c) if isinstance(c, t.Logic) and c.op == "and" else [c])
    out: list[Piece] = []
    for i, c in enumerate(flat):
        out += ([_text(" 且 ")] if i else []) + _bracketed(c, words)
    return out


# ----------------------------------------------------------------------------- values

_SYMBOLS = {"+": " ＋ ", "-": " − ", "*": " × ", "/": " ÷ ", "//": " 整除 "}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}


def _constant_text(node: t.Const) -> str:
    if isinstance(node.value, bool):
        return "是" if node.value else "否"
    if isinstance(node.value, str):
        return f"“{node.value}”"
    return display(node.value)


def _arithmetic_operand(node: t.Node, parent: str, right: bool, words: Words) -> list[Piece]:
    inner = _value(node, words)
    if isinstance(node, t.Binary) and node.type.kind == "number":
        mine, theirs = _PRECEDENCE[node.op], _PRECEDENCE[parent]
        if mine < theirs or (right and mine == theirs and parent in {"-", "/", "//", "%"}):
            return [_text("（"), *inner, _text("）")]
    if isinstance(node, t.Cond):
        return [_text("（"), *inner, _text("）")]
    return inner


def _value(node: t.Node, words: Words) -> list[Piece]:
    """An expression's value as a phrase."""
    if isinstance(node, t.Const):
        return [Piece(_constant_text(node), "value")]
    if isinstance(node, t.Name):
        return _name(node, words)
    if isinstance(node, t.Var):
        return [_text("该项")]
    if isinstance(node, t.Attr):
        return [Piece(node.type.label or node.field, "name")]
    if isinstance(node, t.Unary):
        if node.op == "not":
            return _negated(node.operand, words)
        sign = "−" if node.op == "-" else "＋"
        return [_text(sign), *_arithmetic_operand(node.operand, "*", False, words)]
    if isinstance(node, t.Binary):
        return _binary(node, words)
    if isinstance(node, t.Cond):
        return [
            _text("若 "),
            *_condition(node.test, words),
            _text(", 取 "),
            *_value(node.body, words),
            _text("; 否则取 "),
            *_value(node.orelse, words),
        ]
    if isinstance(node, t.Call):
        return _call(node, words)
    if isinstance(node, t.Aggregate):
        return _aggregate(node, words)
    if isinstance(node, t.Logic | t.Compare):
        return _condition(node, words)
    return _code(node)


def _name(node: t.Name, words: Words) -> list[Piece]:
    if node.role == "parameter":
        return words.parameter(node.id)
    if node.role == "derived":
        return [Piece(label_of(words.rs, node.id), "name", f"derived-{node.id}")]
    if node.role == "field":
        return [Piece(label_of(words.rs, node.id), "name")]
    if node.role == "context":
        return [Piece("评估日期", "name")]
    if node.role == "criterion":
        return [Piece(_criterion_label(words, node.id), "name", f"criterion-{node.id}")]
    return [_text("该项")]


def _binary(node: t.Binary, words: Words) -> list[Piece]:
    left = _arithmetic_operand(node.left, node.op, False, words)
    right = _arithmetic_operand(node.right, node.op, True, words)
    if node.type.kind != "number":
        return [*left, _text(" 后接 "), *right]
    if node.op == "%":
        return [*left, _text(" 除以 "), *right, _text(" 的余数")]
    return [*left, _text(_SYMBOLS[node.op]), *right]


_CALLS: dict[str, tuple[str, ...]] = {
    "len": ("", " 的项数"),
    "abs": ("", " 的绝对值"),
    "age": ("", " 至评估日期的周岁"),
    "age_at": ("", " 至 ", " 的周岁"),
    "year": ("", " 的年份"),
    "days_between": ("从 ", " 到 ", " 的天数"),
    "id_birth_date": ("", " 中的出生日期"),
    "id_sex": ("", " 所示的性别"),
}
"""Functions worded as text around their arguments: before the first, between, after the last."""

WORDED_FUNCTIONS = frozenset(
    {*_CALLS, "round", "has", "coalesce", "id_valid", "count", "sum", "min", "max", "any", "all"}
)
"""Every function this module has words for (a test holds it to the language's table)."""


def _call(node: t.Call, words: Words) -> list[Piece]:
    name, args = node.function, node.args
    if name in {"has", "id_valid"}:
        return _condition(node, words)
    if name == "coalesce":
        return [*_value(args[0], words), *_default(node, words)]
    if name == "round":
        first = _argument(args[0], words)
        if len(args) == 1:
            return [*first, _text(" 四舍五入取整")]
        return [*first, _text(" 四舍五入保留 "), *_value(args[1], words), _text(" 位小数")]
    around = _CALLS.get(name)
    if around is None or len(around) != len(args) + 1:
        return _code(node)
    out = [_text(around[0])] if around[0] else []
    for i, a in enumerate(args):
        out += [*_argument(a, words), _text(around[i + 1])]
    return out


def _argument(node: t.Node, words: Words) -> list[Piece]:
    """A function's argument, in brackets when it is a formula of its own."""
    inner = _value(node, words)
    grouped = isinstance(node, t.Binary | t.Cond) or (
        isinstance(node, t.Unary) and node.op != "not"
    )
    return [_text("（"), *inner, _text("）")] if grouped else inner


_AGGREGATE_WORDS = {"sum": " 之和", "min": " 的最小值", "max": " 的最大值"}


def _aggregate(node: t.Aggregate, words: Words) -> list[Piece]:
    if node.function in {"any", "all"}:
        return _any_all(node, words, negated=False)
    source = _value(node.source, words)
    conditions = _joined(node.conditions, words)
    if node.function == "count":
        element = node.element
        if not (isinstance(element, t.Var) and element.id == node.var):
            if element.type.kind != "boolean":
                return _code(node)
            conditions = _joined((*node.conditions, element), words)
        if not conditions:
            return [*source, _text(" 的项数")]
        return [*source, _text("中 "), *conditions, _text(" 的项数")]
    tail = _AGGREGATE_WORDS.get(node.function)
    if tail is None:
        return _code(node)
    element_words = _value(node.element, words)
    if conditions:
        return [*source, _text("中 "), *conditions, _text(" 的各项 "), *element_words, _text(tail)]
    return [*source, _text(" 各项 "), *element_words, _text(tail)]
