"""How far a record is from passing a numeric test: the gaps a failed comparison leaves.

A criterion such as ``per_capita_income > income_line`` fails by an amount that can be told to
staff ("人均纯收入还差 215 元"). The amount is computed from the checked tree, not written per
criterion: every comparison of numbers that the test requires (the test itself, or a part of an
``and``), with a side that varies per record and a side fixed by the rules (literals,
parameters, ``as_of``), is a :class:`Gap`; its two sides are compiled once by the row backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from . import tree as t
from .rows import compile_expression_function
from .runtime import EXPLAINED

__all__ = ["Gap", "Shortfall", "gaps"]

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@attrs.frozen(eq=False)
class Shortfall:
    """One gap on one record: the value, the bound, the comparison, and how far apart."""

    subject: t.Node
    op: str
    """``>``, ``>=``, ``<`` or ``<=``: what ``subject op bound`` requires."""
    value: Any
    bound: Any
    amount: Any
    """How much the value must rise (for ``>``/``>=``) or fall (for ``<``/``<=``) to reach the
    bound (0 for a strict comparison the value meets exactly)."""


@attrs.frozen(eq=False)
class Gap:
    """A comparison a test requires: ``subject op bound``, ``bound`` fixed by the rules."""

    subject: t.Node
    op: str
    bound: t.Node
    _subject: Callable[[Mapping[str, Any]], Any] = attrs.field(repr=False, alias="subject_fn")
    _bound: Callable[[Mapping[str, Any]], Any] = attrs.field(repr=False, alias="bound_fn")

    def shortfall(self, env: Mapping[str, Any]) -> Shortfall | None:
        """The shortfall on the record ``env``, or None where the comparison holds or a side
        cannot be computed."""
        try:
            value, bound = self._subject(env), self._bound(env)
        except EXPLAINED:  # a side that cannot be computed on this record: no gap to tell
            return None
        if not _number(value) or not _number(bound):
            return None
        if self.op in {">", ">="}:
            amount = bound - value
            met = value > bound if self.op == ">" else value >= bound
        else:
            amount = value - bound
            met = value < bound if self.op == "<" else value <= bound
        if met:
            return None
        return Shortfall(self.subject, self.op, value, bound, amount)


def _number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _fixed(node: t.Node) -> bool:
    """Whether ``node`` is the same for every record (literals, parameters, the date)."""
    for sub in t.walk(node):
        if isinstance(sub, t.Var | t.Attr | t.Aggregate):
            return False
        if isinstance(sub, t.Name) and sub.role not in {"parameter", "context"}:
            return False
    return True


def _required(node: t.Node) -> list[t.Compare]:
    """The comparisons ``node`` requires to hold (itself, or the parts of an ``and``)."""
    if isinstance(node, t.Logic) and node.op == "and":
        return [c for part in node.operands for c in _required(part)]
    if isinstance(node, t.Compare):
        return [node]
    return []


def gaps(test: t.Node) -> tuple[Gap, ...]:
    """Every measurable comparison the test ``test`` requires, in order."""
    found: list[Gap] = []
    for compare in _required(test):
        operands = compare.operands
        for i, op in enumerate(compare.ops):
            if op not in _FLIPPED:
                continue
            left, right = operands[i], operands[i + 1]
            if left.type.kind != "number" or right.type.kind != "number":
                continue
            if _fixed(right) and not _fixed(left):
                subject, bound, wanted = left, right, op
            elif _fixed(left) and not _fixed(right):
                subject, bound, wanted = right, left, _FLIPPED[op]
            else:
                continue
            subject_fn, _ = compile_expression_function(subject)
            bound_fn, _ = compile_expression_function(bound)
            found.append(Gap(subject, wanted, bound, subject_fn=subject_fn, bound_fn=bound_fn))
    return tuple(found)
