"""Numbers as text: the quick way through a decimal's own text gives exactly the general way.

``render_number`` (JSON numbers, values in findings) and ``display`` (numbers in messages)
read most decimals from ``str(value)``; these tests hold them to the general algorithm, kept
here as the reference, on any decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

from hypothesis import example, given
from hypothesis import strategies as st

from fupin_rules._canonical import EXACT, PLAIN_DIGITS, _Number, dumps, plain, render_number
from fupin_rules.model import display


def _reference_number(value: Decimal) -> str:
    if abs(value.adjusted()) > PLAIN_DIGITS:
        return format(value.normalize(EXACT), "E")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(EXACT), "f")


def _reference_display(value: Decimal) -> str:
    exponent = value.normalize(EXACT).as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN, context=EXACT)
        return "约 " + _reference_number(rounded)
    return _reference_number(value)


_DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.builds(
        lambda digits, exponent, sign: Decimal((sign, digits, exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=30).map(tuple),
        st.integers(-12, 12),
        st.integers(0, 1),
    ),
)


@given(_DECIMALS)
@example(Decimal("-0.00"))
@example(Decimal("-0"))
@example(Decimal("1E+2"))
@example(Decimal("100.00"))
@example(Decimal("0.000001"))
@example(Decimal("0.0000001"))
@example(Decimal("2952.330"))
@example(Decimal("1.005"))
def test_quick_number_text_is_the_general_one(value: Decimal) -> None:
    assert render_number(value) == _reference_number(value)
    assert display(value) == _reference_display(value)


@given(
    st.builds(
        lambda digits, exponent, sign: Decimal((sign, digits, exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=30).map(tuple),
        st.one_of(
            st.integers(-(10**18), -PLAIN_DIGITS - 31), st.integers(PLAIN_DIGITS + 1, 10**18)
        ),
        st.integers(0, 1),
    )
)
@example(Decimal("1E+999999999999999999"))
@example(Decimal("-1.50E-999999999999999999"))
def test_a_number_too_large_to_write_out_keeps_its_exponent(value: Decimal) -> None:
    """Written out, such a number would not fit in memory: its text keeps the exponent, stays
    short and reads back as the same number (JSON allows the exponent)."""
    text = render_number(value)
    assert len(text) < 70
    assert Decimal(text) == value
    assert dumps([value]) == f"[{text}]"


class _Text(str):
    """A str subclass: such values take plain's general way, not its exact-type look-up."""


def _reference_plain(value: object) -> object:
    """What ``plain`` means, by ``isinstance`` alone (its quick way looks at exact types)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal | float):
        return _Number(render_number(value))
    if isinstance(value, Mapping):
        return {str(k): _reference_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reference_plain(v) for v in value]
    raise TypeError(type(value).__name__)


def _typed(value: object) -> object:
    """``value`` with the types of its parts spelled out, so that ``True`` and ``1`` (or a
    number and its text-backed float) do not compare equal by accident."""
    if isinstance(value, dict):
        return ("dict", [(type(k), k, _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, _Number):
        return ("number", value.text)
    return (type(value), value)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.text(max_size=5).map(_Text),
    st.floats(allow_nan=False, allow_infinity=False),
    _DECIMALS,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=4),
        st.dictionaries(st.text(max_size=3), inner, max_size=4).map(MappingProxyType),
    ),
    max_leaves=12,
)


@given(_VALUES)
@example({"a": Decimal("-0.00"), 1: (True, 0, Decimal("1E+2"))})
def test_plain_by_exact_type_is_plain_by_isinstance(value: object) -> None:
    assert _typed(plain(value)) == _typed(_reference_plain(value))
