"""The bounds of the rule language: what an expression may be (checked when its file loads)
and what a value may become while a record is evaluated (checked as it is computed).

No expression can take unbounded time or memory: its size is bounded here, it has no loops but
one pass over a bounded list per aggregate, and every number it computes is bounded by
:data:`MAX_MAGNITUDE` (a product beyond it fails that record's evaluation, as a division by
zero does). docs/rule-language.md lists the limits.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_LENGTH",
    "MAX_LIST_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_NODES",
    "MAX_OPTIONS",
    "MAX_STRING",
]

MAX_LENGTH = 2000
"""Longest expression, in characters."""
MAX_NODES = 400
"""Most syntax-tree nodes in one expression."""
MAX_DEPTH = 40
"""Deepest nesting of one expression."""
MAX_STRING = 1000
"""Longest text literal, in characters."""
MAX_INT_DIGITS = 30
"""Most digits of a number literal (a decimal literal may be 10 characters longer)."""
MAX_OPTIONS = 200
"""Most constants in the literal list on the right of ``in``."""
MAX_LIST_ITEMS = 10_000
"""Longest list an aggregate iterates; a longer one fails that record's evaluation."""
MAX_MAGNITUDE = Decimal(10) ** 24
"""Largest magnitude a product or quotient may reach while a record is evaluated (far beyond
any amount of money, area or count in the national system); beyond it the expression fails on
that record, with the reason, instead of growing without bound."""
