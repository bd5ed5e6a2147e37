"""Values as people read them in messages: exact numbers, 是/否, code labels, （缺失）."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ._canonical import EXACT, decimal_text, render_number

__all__ = ["display"]

_CENT = Decimal("0.01")


def display(value: Any, codes: Mapping[str, str] | None = None) -> str:
    """A value as people read it: numbers exact up to two decimals (longer ones rounded and
    marked 约, e.g. 约 1.17), 是/否, code labels, （缺失） for missing. Only messages are
    rounded; the values in a finding stay exact."""
    if value is None:
        return "（缺失）"
    t = type(value)
    if t is str:
        return codes.get(value, value) if codes is not None else value
    if t is int:
        return str(value)
    if t is Decimal:
        text = decimal_text(value)
        if text is not None and ("." not in text or len(text) - text.index(".") <= 3):
            return text  # at most two decimals: nothing to round
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.normalize(EXACT).as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            rounded = value.quantize(_CENT, rounding=ROUND_HALF_EVEN, context=EXACT)
            return "约 " + render_number(rounded)
    if isinstance(value, int | Decimal):
        try:
            return render_number(value)
        except ValueError:
            return str(value)
    if codes is not None and isinstance(value, str) and value in codes:
        return codes[value]
    if isinstance(value, list | tuple):
        return "、".join(display(v, codes) for v in value)
    return str(value)
