"""What every evaluator calls at run time: exact decimal arithmetic, member fields by key,
dates and ages, the ID-number functions, and the errors an expression may raise on bad data.

The row evaluator (:mod:`.rows`) and the reference interpreter (:mod:`.reference`) call these
same functions through the language's table (:mod:`.table`), so both compute the same values.
Each raises :class:`~fupin_rules.errors.EvaluationError` (or one of :data:`EXPLAINED`) for data
it cannot work with; the evaluators turn that into an ``unknown`` criterion.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from .._canonical import EXACT
from ..errors import EvaluationError
from .limits import MAX_LIST_ITEMS, MAX_MAGNITUDE

__all__ = [
    "EXPLAINED",
    "abs_",
    "absent",
    "age_at",
    "attr",
    "coalesce",
    "count",
    "date",
    "days_between",
    "div",
    "floordiv",
    "has",
    "id_birth_date",
    "id_sex",
    "id_valid",
    "items",
    "length",
    "maximum",
    "minimum",
    "mod",
    "mul",
    "number",
    "round_",
    "total",
    "year",
]

EXPLAINED: tuple[type[Exception], ...] = (
    EvaluationError,
    KeyError,
    TypeError,
    ValueError,
    ArithmeticError,
)
"""What an expression may raise on bad data (a missing name is a ``KeyError`` of the
environment). Every evaluator turns these into an unknown outcome; any other exception is a bug
and propagates."""


def number(value: Any) -> Decimal:
    """``value`` as an exact decimal; a non-number fails the evaluation."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"需要数值, 得到 {value!r}"
        raise EvaluationError(msg)
    return Decimal(value)


def _bounded(value: Any) -> Any:
    if abs(value) >= MAX_MAGNITUDE:
        msg = f"计算结果超出范围 (绝对值须小于 {MAX_MAGNITUDE:.0E})"
        raise EvaluationError(msg)
    return value


def mul(a: Any, b: Any) -> Any:
    """``a * b``, exact for integers, bounded by :data:`MAX_MAGNITUDE`."""
    return _bounded(a * b)


def div(a: Any, b: Any) -> Decimal:
    """Exact decimal division (28 significant digits); by zero fails the evaluation."""
    if b == 0:
        msg = "除数为零"
        raise EvaluationError(msg)
    result: Decimal = _bounded(number(a) / number(b))
    return result


def floordiv(a: Any, b: Any) -> Decimal:
    """The floor of the exact quotient: ``-7 // 2 == -4``."""
    return div(a, b).to_integral_value(rounding=ROUND_FLOOR)


def mod(a: Any, b: Any) -> Decimal:
    """``a - b * (a // b)``, with the sign of ``b``: ``-7 % 3 == 2``."""
    return number(a) - number(b) * floordiv(a, b)


def attr(item: Any, name: str) -> Any:
    """Field ``name`` of a list item (a member); missing or null fails the evaluation."""
    value = item.get(name) if isinstance(item, Mapping) else None
    if value is None:
        msg = f"成员缺少字段 {name}"
        raise EvaluationError(msg, fields=(name,))
    return value


def absent(name: str) -> Any:
    """Fail for a missing member field ``name`` (the generated code's inline ``m.field``)."""
    msg = f"成员缺少字段 {name}"
    raise EvaluationError(msg, fields=(name,))


def items(value: Any) -> Iterable[Any]:
    """The items an aggregate iterates: a list of at most :data:`MAX_LIST_ITEMS`."""
    if not isinstance(value, list | tuple):
        msg = "需要列表"
        raise EvaluationError(msg)
    if len(value) > MAX_LIST_ITEMS:
        msg = f"列表过长 ({len(value)} 项)"
        raise EvaluationError(msg)
    return value


def count(values: Iterable[Any]) -> int:
    """How many elements are not ``false``."""
    return sum(1 for v in values if v is not False)


def total(values: Iterable[Any]) -> Decimal | int:
    """The sum of the elements (0 for none)."""
    result: Decimal | int = 0
    for v in values:
        result = result + v
    return result


def minimum(values: Iterable[Any]) -> Any:
    """The least element; none fails the evaluation."""
    return _extreme(min, values)


def maximum(values: Iterable[Any]) -> Any:
    """The greatest element; none fails the evaluation."""
    return _extreme(max, values)


def _extreme(pick: Callable[[list[Any]], Any], values: Iterable[Any]) -> Any:
    found = list(values)
    if not found:
        msg = f"{pick.__name__}() 没有可比较的值"
        raise EvaluationError(msg)
    return pick(found)


_DATES: dict[str, _dt.date] = {}
"""Dates read from text, by text: a population has a few tens of thousands of birth dates."""
_DATES_MAX = 50_000


def date(value: Any) -> _dt.date:
    """A date from its ISO text (the first 10 characters) or a date; else fail."""
    if type(value) is str:
        found = _DATES.get(value)
        if found is not None:
            return found
    elif isinstance(value, _dt.date):
        return value
    try:
        found = _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        msg = f"不是有效日期: {value!r}"
        raise EvaluationError(msg) from None
    if type(value) is str and len(_DATES) < _DATES_MAX:
        _DATES[value] = found
    return found


_AGES: dict[tuple[str, str], int] = {}
"""Ages by (birth date, day) text: the same pairs recur across a population."""


def age_at(birth: Any, on: Any) -> int:
    """Full years from ``birth`` to ``on``."""
    key = (birth, on) if type(birth) is str and type(on) is str else None
    if key is not None:
        found = _AGES.get(key)
        if found is not None:
            return found
    b, d = date(birth), date(on)
    age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    if key is not None and len(_AGES) < _DATES_MAX:
        _AGES[key] = age
    return age


def year(value: Any) -> int:
    """The year of a date."""
    return date(value).year


def days_between(a: Any, b: Any) -> int:
    """``b - a`` in days."""
    return (date(b) - date(a)).days


def round_(value: Any, digits: Any = 0) -> Decimal:
    """Round half away from zero to ``digits`` (0 to 10) decimal places."""
    if not isinstance(digits, int) or not 0 <= digits <= 10:
        msg = "round() 的位数须为 0 到 10 的整数"
        raise EvaluationError(msg)
    return number(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=EXACT)


def abs_(value: Any) -> Any:
    """The absolute value (an integer stays an integer)."""
    return abs(number(value)) if not isinstance(value, int) else abs(value)


def length(value: Any) -> int:
    """How many items a list has (0 for anything else)."""
    return len(value) if isinstance(value, list | tuple | str) else 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9Xx]")
"""Matched whole (``fullmatch``): ``$`` would let a trailing newline through."""


def id_valid(value: Any) -> bool:
    """Whether ``value`` is an 18-character resident ID number with a valid GB 11643 check
    character and a real birth date."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        return False
    weighted = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[weighted % 11] != value[17].upper():
        return False
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return True


def id_birth_date(value: Any) -> str:
    """The birth date in an ID number, as ISO text; a malformed number fails."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        msg = f"身份证号格式不对: {value!r}"
        raise EvaluationError(msg)
    text = f"{value[6:10]}-{value[10:12]}-{value[12:14]}"
    date(text)
    return text


def id_sex(value: Any) -> str:
    """'男' if the 17th digit of an ID number is odd, else '女'; a malformed number fails."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        msg = f"身份证号格式不对: {value!r}"
        raise EvaluationError(msg)
    return "男" if int(value[16]) % 2 else "女"


def has(value: Any) -> bool:
    """Whether a value is present (not null)."""
    return value is not None


def coalesce(value: Any, default: Any) -> Any:
    """``value`` if present, else ``default``."""
    return default if value is None else value
