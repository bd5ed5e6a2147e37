"""Reading a JSON line with msgspec (issue 19): exactly the value, or the reason, of the
reference parser (the standard library with exact decimals, no NaN, no repeated keys)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.io import jsonl
from fupin_rules.io.jsonl import parse_json_record

from .conftest import ROOT

pytest.importorskip("msgspec")


def _reference(text: str) -> tuple[Any, str | None]:
    with mock.patch.object(jsonl, "_FAST", None):
        return parse_json_record(text)


def _same(text: str) -> None:
    fast, reference = parse_json_record(text), _reference(text)
    assert fast == reference
    # The same types too: Decimal stays Decimal, True is not 1.
    assert json.dumps(fast, default=repr) == json.dumps(reference, default=repr)


_KEYS = st.sampled_from(["a", "b", ":", ":a", "a:", "户", "", " ", "\u2028"])
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", ":", '":', "\\", "x", "户主", "\ud800", "\t"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.lists(st.tuples(_KEYS, inner), max_size=4),
    max_leaves=12,
)


def _text(value: Any, ascii_only: bool, spaced: bool) -> str:
    """JSON text of ``value``, a list of pairs written as an object (keys may repeat)."""
    sep = ", " if spaced else ","
    colon = " : " if spaced else ":"
    if isinstance(value, list) and value and all(isinstance(p, tuple) for p in value):
        inner = sep.join(
            json.dumps(k, ensure_ascii=ascii_only) + colon + _text(v, ascii_only, spaced)
            for k, v in value
        )
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + sep.join(_text(v, ascii_only, spaced) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.booleans(), st.booleans())
def test_msgspec_reads_what_the_reference_reads(value: Any, ascii_only: bool, spaced: bool) -> None:
    """Generated objects, repeated keys, colons in strings, escapes, exponents: the same."""
    _same(_text(value, ascii_only, spaced))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]":,1.e-x\\ \nNa户', max_size=30))
def test_msgspec_refuses_what_the_reference_refuses(text: str) -> None:
    """Fragments of JSON: the same value or the same reason."""
    _same(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"a":{"b":1,"b":1}}',
        '{"a":1,"b":{"a":":"},"a":":"}',
        '{"a" : 1, "a" : 2}',
        '{"a":"x:","a":"\\u0022:"}',
        '[{"x":1},{"x":2,"x":3}]',
        '{"a":NaN}',
        '{"a":' + "9" * 5000 + "}",
        '{"a":1e999999999999999999}',
        "[" * 70 + "]" * 70,
        '{"a":"\\ud800"}',
        '{"a":1} x',
        "",
    ],
)
def test_lines_only_the_reference_may_judge(text: str) -> None:
    _same(text)


def test_the_sample_households_read_the_same() -> None:
    for line in (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8").splitlines():
        _same(line)
