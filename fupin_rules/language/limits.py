"""The bounds of the rule language: what an expression may be (checked when its file loads),
what a number written in a rule file may be, and what a value may become while a record is
evaluated (checked as it is computed).

No expression can take unbounded time or memory: its size is bounded here, it has no loops but
one pass over a bounded list per aggregate, and every number it computes is bounded by
:data:`MAX_MAGNITUDE` (a product beyond it fails that record's evaluation, as a division by
zero does). docs/rule-language.md#limits lists the limits.

Every number written in a rule file (a YAML number anywhere in the file, an expression literal,
a value given with ``--param``) is held to one :class:`NumberLimits`: by default
:data:`MAX_MAGNITUDE` and :data:`MAX_DIGITS`. A user who needs other bounds sets them with the
environment variables :data:`ENV_MAGNITUDE` and :data:`ENV_DIGITS`, read once per process by
:func:`number_limits`: the same for the command line, the API and the worker processes, which
inherit the environment. They decide only which rule files load; evaluation does not read them.
"""

from __future__ import annotations

import decimal
import functools
import os
import re
from decimal import Decimal, InvalidOperation

import attrs

from ..errors import UsageError

__all__ = [
    "DECIMALS",
    "DIGITS_CEILING",
    "ENV_DIGITS",
    "ENV_MAGNITUDE",
    "MAGNITUDE_CEILING",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_HINT_COMPARISONS",
    "MAX_LENGTH",
    "MAX_LIST_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_NODES",
    "MAX_OPTIONS",
    "MAX_STRING",
    "NumberBreach",
    "NumberLimits",
    "full_digits",
    "number_limits",
]

MAX_LENGTH = 2000
"""Longest expression, in characters."""
MAX_NODES = 400
"""Most syntax-tree nodes in one expression."""
MAX_DEPTH = 40
"""Deepest nesting of one expression."""
MAX_STRING = 1000
"""Longest text literal, in characters."""
MAX_OPTIONS = 200
"""Most constants in the literal list on the right of ``in``."""
MAX_LIST_ITEMS = 10_000
"""Longest list an aggregate iterates; a longer one fails that record's evaluation."""
MAX_HINT_COMPARISONS = 200_000
"""Most comparisons of an unknown name with the names in scope, in search of close names to
suggest, for one rule set (a fraction of a second); beyond, unknown names are reported
without suggestions, so that a file of thousands of mistakes is still checked quickly."""
MAX_MAGNITUDE = Decimal(10) ** 24
"""Largest magnitude a product or quotient may reach while a record is evaluated (far beyond
any amount of money, area or count in the national system); beyond it the expression fails on
that record, with the reason, instead of growing without bound. Also the default bound on the
magnitude of a number written in a rule file (which must be smaller)."""
DECIMALS = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
"""The decimal arithmetic of the language: 28 significant digits, rounded half to even. Every
evaluation runs in this context, and the checker computes constant arithmetic in it, so that a
constant operation is refused when its file loads exactly when it would fail when evaluated."""
MAX_DIGITS = 30
"""Most digits a number written in a rule file may have when written out in full, without an
exponent: its integer digits and its decimal places (``123.45`` has 5, ``0.001`` has 3,
``1E+20`` has 21, ``1E-40`` has 40). Trailing zeros of decimal places are not counted."""

ENV_MAGNITUDE = "FUPIN_RULES_MAX_MAGNITUDE"
"""Environment variable that replaces :data:`MAX_MAGNITUDE` as the bound on written numbers
(a positive number, at most :data:`MAGNITUDE_CEILING`, e.g. ``1e12``)."""
ENV_DIGITS = "FUPIN_RULES_MAX_DIGITS"
"""Environment variable that replaces :data:`MAX_DIGITS` (an integer from 1 to
:data:`DIGITS_CEILING`)."""
DIGITS_CEILING = 100
"""The most :data:`ENV_DIGITS` may allow. The YAML reader converts number texts of at most
``fupin_rules._yaml.MAX_NUMBER_TEXT`` characters, enough for any number of this many digits."""
MAGNITUDE_CEILING = Decimal(10) ** DIGITS_CEILING
"""The most :data:`ENV_MAGNITUDE` may allow."""


@attrs.frozen
class NumberBreach:
    """Why a written number is refused: ``kind`` (``too-large`` or ``digits``, the end of
    its problem code), the message and the hint, in the words policy staff read."""

    kind: str
    message: str
    hint: str


@attrs.frozen
class NumberLimits:
    """The bounds on a number written in a rule file."""

    magnitude: Decimal = MAX_MAGNITUDE
    """Every written number's absolute value must be smaller."""
    digits: int = MAX_DIGITS
    """Most digits written out in full (see :data:`MAX_DIGITS`)."""

    def breach(self, value: int | Decimal) -> NumberBreach | None:
        """Why ``value`` is out of bounds, or None. Cheap whatever the value: a number like
        ``1E+999999999`` is judged from its exponent, never written out."""
        if isinstance(value, Decimal) and not value.is_finite():
            return NumberBreach("too-large", "不接受非有限的数", "请写一个有限的数")
        size = value.copy_abs() if isinstance(value, Decimal) else abs(value)
        if size >= self.magnitude:
            return NumberBreach(
                "too-large",
                f"数值 {_shown(value)} 超出范围: 绝对值须小于 {self.magnitude:.0E}",
                "检查是否多写了 0, 或指数 (e 后面的数) 写错了",
            )
        count = full_digits(value)
        if count > self.digits:
            return NumberBreach(
                "digits",
                f"数值 {_shown(value)} 位数过多 ({count} 位):"
                f" 整数位与小数位合计最多 {self.digits} 位",
                "减少小数位数",
            )
        return None


def full_digits(value: int | Decimal) -> int:
    """How many digits ``value`` has written out in full (see :data:`MAX_DIGITS`), computed
    from its exponent and coefficient, never by writing it out."""
    if isinstance(value, int):
        return len(str(abs(value))) if value else 1
    _, coefficient, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller
    significant = len(coefficient)
    while significant > 1 and coefficient[significant - 1] == 0:
        significant -= 1
        exponent += 1
    if significant == 1 and coefficient[0] == 0:
        return 1
    return max(significant + exponent, 0) + max(-exponent, 0)


def _shown(value: int | Decimal) -> str:
    """The number as written for a message: its first digits when it is long."""
    text = str(value)
    return text if len(text) <= 32 else text[:24] + "…"


@functools.cache
def number_limits() -> NumberLimits:
    """The bounds on written numbers for this process: the defaults, or what
    :data:`ENV_MAGNITUDE` and :data:`ENV_DIGITS` say (read on the first call). Raises
    :class:`~fupin_rules.errors.UsageError` for a value that cannot be used."""
    limits = NumberLimits()
    magnitude = os.environ.get(ENV_MAGNITUDE, "").strip()
    if magnitude:
        try:
            bound = Decimal(magnitude)
        except InvalidOperation:
            bound = Decimal(-1)
        if not bound.is_finite() or not 0 < bound <= MAGNITUDE_CEILING:
            msg = f"环境变量 {ENV_MAGNITUDE} 须为正数, 至多 1E+{DIGITS_CEILING}, 得到 {magnitude!r}"
            raise UsageError(msg)
        limits = attrs.evolve(limits, magnitude=bound)
    digits = os.environ.get(ENV_DIGITS, "").strip()
    if digits:
        if not re.fullmatch(r"[0-9]{1,3}", digits) or not 1 <= int(digits) <= DIGITS_CEILING:
            msg = f"环境变量 {ENV_DIGITS} 须为 1 到 {DIGITS_CEILING} 的整数, 得到 {digits!r}"
            raise UsageError(msg)
        limits = attrs.evolve(limits, digits=int(digits))
    return limits
