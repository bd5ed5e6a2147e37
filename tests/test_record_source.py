"""The generated plain check of the common scalar shapes, exactly (a property test).

The plain check writes one branch per type for a scalar with a code list, an enum, a pattern,
a date, lengths, bounds (``record_source``). Here, on random schemas of those shapes and odd
values (booleans beside ints, subclasses of int, str and Decimal, decimal NaN and infinities,
ints at the limits of int64 and of ``MAX_MAGNITUDE``, floats, containers):

* the plain check of one value vouches exactly for the values the reference accepts that
  normalising leaves as they are (plain types, numbers within the limits, a code of the list);
* the acceptor agrees with the reference on every value within the limits;
* the plain check of a record of such properties returns exactly a fresh copy of the record
  when it is valid and normal, and None otherwise (the record's extra keys, nulls, subclasses
  of dict and list included).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.codelists import CodeList
from fupin_rules.io import parse_json_record
from fupin_rules.record_checks import (
    compile_acceptor,
    compile_plain,
    compile_plain_value,
    normalise,
)
from fupin_rules.record_keywords import MAX_MAGNITUDE, number_fits, record_validator

LIMIT = int(MAX_MAGNITUDE)
CODES = {"c": CodeList(id="c", title="c", codes={"01": "一", "02": "二"}, file="", fingerprint="")}


class _Int(int):
    pass


class _Str(str):
    pass


class _Decimal(Decimal):
    pass


class _Dict(dict[str, Any]):
    pass


class _List(list[Any]):
    pass


EDGES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    5,
    6,
    15,
    16,
    LIMIT,
    LIMIT - 1,
    -LIMIT,
    1 - LIMIT,
    LIMIT + 1,
    2**63,
    2**63 - 1,
    -(2**63),
    10**40,
    0.5,
    6.0,
    -0.0,
    float("nan"),
    float("inf"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1e999999999"),
    Decimal("1E-41"),
    Decimal("1E-40"),
    Decimal("0.5"),
    Decimal("6"),
    Decimal("6.0"),
    Decimal("15.5"),
    Decimal(LIMIT),
    Decimal(LIMIT - 1),
    Decimal("-0"),
    _Int(6),
    _Str("01"),
    _Decimal("6"),
    "",
    "01",
    "02",
    "一",
    "a",
    "abcd",
    "2018-02-28",
    "2018-02-30",
    "2018-02-28\n",
    "٢٠١٨-٠٢-٢٨",
    "123456",
    "12345６",
    [],
    ["01"],
    {},
    _List(),
    _Dict(),
]
BOUNDS: list[Any] = [0, 1, -1, 6, 15, Decimal("0.5"), Decimal("15.5"), 0.5, LIMIT - 1, 1 - LIMIT]
KINDS = ["string", "boolean", "null", "number", "integer"]


@st.composite
def scalar_schemas(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True))
    schema: dict[str, Any] = {"type": kinds if len(kinds) > 1 else kinds[0], "title": "t"}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if draw(st.booleans()) and draw(st.booleans()):
            schema[key] = draw(st.sampled_from(BOUNDS))
    choice = draw(st.sampled_from(["none", "enum", "codelist", "text"]))
    if choice == "enum":
        schema["enum"] = draw(st.lists(st.sampled_from(["01", "a", "", None]), max_size=3))
    elif choice == "codelist":
        schema["x-codelist"] = "c"
    elif choice == "text":
        if draw(st.booleans()):
            schema["pattern"] = draw(
                st.sampled_from(["^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "^\\d{6}$", "^a", "b"])
            )
        if draw(st.booleans()):
            schema["format"] = "date"
        for key in ("minLength", "maxLength"):
            if draw(st.booleans()):
                schema[key] = draw(st.integers(0, 3))
    return schema


VALUES = (
    st.sampled_from(EDGES)
    | st.integers()
    | st.integers(-LIMIT - 2, -LIMIT + 2)
    | st.integers(LIMIT - 2, LIMIT + 2)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.floats()
    | st.text(max_size=4)
)


def _kinds(schema: dict[str, Any]) -> list[str]:
    kinds = schema["type"]
    return kinds if isinstance(kinds, list) else [kinds]


def _normal(value: Any, schema: dict[str, Any]) -> bool:
    """Whether normalising leaves ``value`` as it is in a field of ``schema``."""
    t = type(value)
    if t is int or t is Decimal:
        if not number_fits(value):
            return False
        if t is Decimal and "number" not in _kinds(schema):
            return False  # an integral decimal of an integer field is made an int
    elif t not in (str, bool, type(None)):
        return False
    if "x-codelist" in schema:
        return value is None or (t is str and value in CODES["c"].codes)
    return True


def _valid(value: Any, schema: dict[str, Any]) -> bool:
    try:
        return bool(record_validator(schema).is_valid(value))
    except ArithmeticError:
        return False


@settings(max_examples=300, deadline=None)
@given(schema=scalar_schemas(), values=st.lists(VALUES, min_size=1, max_size=8))
def test_the_plain_check_of_a_scalar_is_exact(schema: dict[str, Any], values: list[Any]) -> None:
    plain = compile_plain_value(schema, CODES)
    accept = compile_acceptor(schema)
    assert plain is not None
    assert accept is not None
    for value in [*values, *EDGES]:
        expected = _normal(value, schema) and _valid(value, schema)
        assert (plain(value) is True) == expected, value
        assert plain(value) in (True, None)
        if type(value) in (str, bool, type(None)) or (
            type(value) in (int, float, Decimal) and number_fits(value)
        ):
            assert accept(normalise(value)) == _valid(normalise(value), schema), value


@settings(max_examples=200, deadline=None)
@given(
    props=st.lists(scalar_schemas(), min_size=1, max_size=4),
    nullable=st.booleans(),
    required=st.booleans(),
    rows=st.lists(
        st.dictionaries(st.sampled_from(["p0", "p1", "p2", "p3", "x"]), VALUES, max_size=5),
        min_size=1,
        max_size=6,
    ),
)
def test_the_plain_check_of_a_record_is_exact(
    props: list[dict[str, Any]], nullable: bool, required: bool, rows: list[dict[str, Any]]
) -> None:
    """A record of scalars and a list of objects of the same scalars: a fresh copy exactly
    when the record is valid and normal, None otherwise."""
    item = {f"p{i}": p for i, p in enumerate(props)}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            **item,
            "items": {
                "type": ["array", "null"] if nullable else "array",
                "items": {"type": "object", "properties": item},
            },
        },
    }
    if required:
        schema["required"] = ["p0"]
    check = compile_plain(schema, CODES)
    assert check is not None
    for i, row in enumerate(rows):
        record: dict[str, Any] = {**row, "items": [*rows[:i], row]}
        if i % 3 == 1:
            record["items"] = [_Dict(row)]
        elif i % 3 == 2:
            record["items"] = _List(record["items"])
        expected = _record_normal(record, schema) and _valid(record, schema)
        out = check(record)
        assert (out is not None) == expected, record
        assert check(_Dict(record)) is None  # a subclass of dict takes the full path
        if out is not None:
            assert out == record
            assert out is not record
            assert out["items"] is not record["items"]
            assert all(a is not b for a, b in zip(out["items"], record["items"], strict=True))


def _record_normal(record: dict[str, Any], schema: dict[str, Any]) -> bool:
    props = schema["properties"]
    items = record.get("items")
    if items is not None and type(items) is not list:
        return False
    for obj in [record, *(items or [])]:
        if type(obj) is not dict:
            return False
        for key, value in obj.items():
            if key in props and key != "items":
                if not _normal(value, props[key]):
                    return False
            elif key != "items" and not (
                type(value) in (str, bool, type(None))
                or (type(value) in (int, Decimal) and number_fits(value))
            ):
                return False  # another key holds a plain value only
    return True


def test_the_plain_check_vouches_for_valid_normal_households() -> None:
    """On generated households (the benchmark's), the plain check returns what the record
    check returns, and vouches for every valid one that normalising leaves as it is."""
    import random
    import sys

    import fupin_rules as fr

    from .conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import household, to_line

    for root in (None, str(ROOT / "benchmarks" / "rules")):
        schema = (fr.load_library(root) if root else fr.load_library()).record_schemas["household"]
        assert schema._plain is not None
        rng = random.Random(3)
        seen = 0
        for i in range(300):
            made = household(random.Random(rng.randint(0, 2**32)), i, missing=i % 4 / 10)
            record = parse_json_record(to_line(made))[0]  # as the JSON Lines reader reads it
            vouched = schema._plain(record)
            out, reasons = schema.check(record)
            if vouched is not None:
                assert (vouched, reasons) == (out, ())
                seen += 1
            else:
                assert reasons or not _same(normalise(record), record), record
        assert seen > 250


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types throughout (1 is not 1.0 here)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
