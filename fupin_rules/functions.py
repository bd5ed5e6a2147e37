"""The functions of the rule language and the helpers every evaluator calls.

Shared by the generated code (:mod:`fupin_rules.codegen`) and the reference interpreter
(:meth:`fupin_rules.expressions.Expression.interpret`), so that both compute the same values:
exact decimal arithmetic, member fields by key, dates and ages, the ID-number functions, and
the errors an expression may raise on bad data (:data:`EXPLAINED`).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from ._canonical import EXACT
from .errors import EvaluationError

__all__ = ["EXPLAINED", "FUNCTIONS", "MAX_LIST_ITEMS", "Function", "id_valid"]

MAX_LIST_ITEMS = 10_000
"""Longest list an aggregate iterates; records with longer lists are invalid."""


def _num(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"需要数值, 得到 {value!r}"
        raise EvaluationError(msg)
    return Decimal(value)


def _div(a: Any, b: Any) -> Decimal:
    if b == 0:
        msg = "除数为零"
        raise EvaluationError(msg)
    return _num(a) / _num(b)


def _floordiv(a: Any, b: Any) -> Decimal:
    return _div(a, b).to_integral_value(rounding=ROUND_FLOOR)


def _mod(a: Any, b: Any) -> Decimal:
    return _num(a) - _num(b) * _floordiv(a, b)


def _attr(item: Any, name: str) -> Any:
    value = item.get(name) if isinstance(item, Mapping) else None
    if value is None:
        msg = f"成员缺少字段 {name}"
        raise EvaluationError(msg, fields=(name,))
    return value


def _absent(name: str) -> Any:
    msg = f"成员缺少字段 {name}"
    raise EvaluationError(msg, fields=(name,))


def _items(value: Any) -> Iterable[Any]:
    if not isinstance(value, list | tuple):
        msg = "需要列表"
        raise EvaluationError(msg)
    if len(value) > MAX_LIST_ITEMS:
        msg = f"列表过长 ({len(value)} 项)"
        raise EvaluationError(msg)
    return value


def _count(values: Iterable[Any]) -> int:
    return sum(1 for v in values if v is not False)


def _sum(values: Iterable[Any]) -> Decimal | int:
    total: Decimal | int = 0
    for v in values:
        total = total + v
    return total


def _min(values: Iterable[Any]) -> Any:
    return _extreme(min, values)


def _max(values: Iterable[Any]) -> Any:
    return _extreme(max, values)


def _extreme(pick: Callable[[list[Any]], Any], values: Iterable[Any]) -> Any:
    """``min`` or ``max`` of ``values``; explained when there is nothing to compare."""
    items = list(values)
    if not items:
        msg = f"{pick.__name__}() 没有可比较的值"
        raise EvaluationError(msg)
    return pick(items)


_DATES: dict[str, _dt.date] = {}
"""Dates read from text, by text: a population has a few tens of thousands of birth dates."""
_DATES_MAX = 50_000


def _date(value: Any) -> _dt.date:
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


def _age_at(birth: Any, on: Any) -> int:
    key = (birth, on) if type(birth) is str and type(on) is str else None
    if key is not None:
        found = _AGES.get(key)
        if found is not None:
            return found
    b, d = _date(birth), _date(on)
    age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    if key is not None and len(_AGES) < _DATES_MAX:
        _AGES[key] = age
    return age


def _year(value: Any) -> int:
    return _date(value).year


def _days_between(a: Any, b: Any) -> int:
    return (_date(b) - _date(a)).days


def _round(value: Any, digits: Any = 0) -> Decimal:
    if not isinstance(digits, int) or not 0 <= digits <= 10:
        msg = "round() 的位数须为 0 到 10 的整数"
        raise EvaluationError(msg)
    return _num(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=EXACT)


def _abs(value: Any) -> Any:
    return abs(_num(value)) if not isinstance(value, int) else abs(value)


def _len(value: Any) -> int:
    return len(value) if isinstance(value, list | tuple | str) else 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")


def id_valid(value: Any) -> bool:
    """Whether ``value`` is an 18-character resident ID number with a valid GB 11643 check
    character and a real birth date."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17].upper():
        return False
    try:
        _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return True


def _id_birth_date(value: Any) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        msg = f"身份证号格式不对: {value!r}"
        raise EvaluationError(msg)
    text = f"{value[6:10]}-{value[10:12]}-{value[12:14]}"
    _date(text)
    return text


def _id_sex(value: Any) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        msg = f"身份证号格式不对: {value!r}"
        raise EvaluationError(msg)
    return "男" if int(value[16]) % 2 else "女"


def _has(value: Any) -> bool:
    return value is not None


def _coalesce(value: Any, default: Any) -> Any:
    return default if value is None else value


@attrs.frozen
class Function:
    """One function of the rule language."""

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int
    aggregate: bool = False
    """Takes one generator expression (``count(m for m in members if ...)``)."""
    doc: str = ""


FUNCTIONS: Mapping[str, Function] = {
    f.name: f
    for f in (
        Function("count", _count, 1, 1, aggregate=True, doc="满足条件的项数"),
        Function("any", any, 1, 1, aggregate=True, doc="任一项为真"),
        Function("all", all, 1, 1, aggregate=True, doc="每一项都为真 (没有项时为真)"),
        Function("sum", _sum, 1, 1, aggregate=True, doc="合计"),
        Function("min", _min, 1, 1, aggregate=True, doc="最小值"),
        Function("max", _max, 1, 1, aggregate=True, doc="最大值"),
        Function("len", _len, 1, 1, doc="列表长度"),
        Function("abs", _abs, 1, 1, doc="绝对值"),
        Function("round", _round, 1, 2, doc="四舍五入到 n 位小数"),
        Function("age", _age_at, 1, 1, doc="评估日期时的周岁"),
        Function("age_at", _age_at, 2, 2, doc="某日的周岁"),
        Function("year", _year, 1, 1, doc="日期的年份"),
        Function("days_between", _days_between, 2, 2, doc="两个日期相差的天数"),
        Function("has", _has, 1, 1, doc="字段存在且不为空"),
        Function("coalesce", _coalesce, 2, 2, doc="字段为空时取默认值"),
        Function("id_valid", id_valid, 1, 1, doc="身份证号码校验位正确 (GB 11643-1999)"),
        Function("id_birth_date", _id_birth_date, 1, 1, doc="身份证号码中的出生日期"),
        Function("id_sex", _id_sex, 1, 1, doc="身份证号码第 17 位对应的性别"),
    )
}

_RUNTIME: dict[str, Any] = {
    "_div": _div,
    "_floordiv": _floordiv,
    "_mod": _mod,
    "_attr": _attr,
    "_absent": _absent,
    "_items": _items,
    "_dict": dict,
    "_type": type,
    "_len": len,
    **{f"_f_{name}": f.impl for name, f in FUNCTIONS.items()},
}


EXPLAINED: tuple[type[Exception], ...] = (
    EvaluationError,
    KeyError,
    TypeError,
    ValueError,
    ArithmeticError,
)
"""What an expression may raise on bad data: :meth:`Expression.evaluate` turns each into an
:class:`EvaluationError` (any other exception is a bug and propagates)."""
