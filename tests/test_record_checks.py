"""Record checks that agree with JSON Schema (issue 20), one regression test per fault found.

* A check that fails (an arithmetic error on a huge ``multipleOf``, a NaN, a number type that
  cannot be compared) makes the record invalid with a reason naming the field; the other
  fields are still explained.
* Patterns mean what JSON Schema (ECMA-262) means: ``$`` is the end of the text, ``\\d``
  ``\\w`` ``\\s`` are ECMA-262's classes; in the generated checks and in the explaining
  validator alike.
* A nullable property whose ``enum`` lacks null refuses null.
* Boolean property schemas: ``false`` (the field must be absent) and ``true`` (anything).
* Numbers at the door: a number no rule can compute with makes the record invalid
  (``数值超出范围``) before anything computes with it.
* The generated plain check and acceptor never accept what the reference rejects, on random
  bundled households with odd values everywhere (a property test).
"""

from __future__ import annotations

import decimal
import functools
import math
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._frozen import thaw
from fupin_rules.io import parse_json_record
from fupin_rules.record_checks import compile_acceptor, compile_plain_value, normalise
from fupin_rules.record_keywords import MAX_DIGITS, number_fits, record_validator
from fupin_rules.records import RecordSchema, load_record_schema

from .conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks.generate import household

SCHEMA = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "x-id-field": "id",
  "required": ["id"],
  "properties": {
    "id": {"type": "string"},
    "amount": {"type": ["number", "null"], "title": "金额", "minimum": 0},
    "step": {"type": "number", "multipleOf": 1E-9},
    "cents": {"type": "number", "multipleOf": 0.01},
    "size": {"type": ["integer", "null"], "title": "人数", "minimum": 0},
    "code": {"type": "string", "pattern": "^[0-9]{12}$"},
    "digits": {"type": ["string", "null"], "pattern": "^\\\\d{6}$"},
    "word": {"type": "string", "pattern": "^\\\\w+$"},
    "space": {"type": "string", "pattern": "^\\\\s$"},
    "kind": {"type": ["string", "null"], "title": "类别", "enum": ["a", "b"]},
    "gone": false,
    "anything": true,
    "none_of": {"type": "array", "items": false},
    "members": {
      "type": "array",
      "items": {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}
    }
  }
}"""


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> RecordSchema:
    path: Path = tmp_path_factory.mktemp("schemas") / "thing.schema.json"
    path.write_text(SCHEMA, encoding="utf-8")
    return load_record_schema(path, "thing", {})


def _reasons(schema: RecordSchema, **fields: Any) -> tuple[str, ...]:
    return schema.check({"id": "1", **fields})[1]


# --------------------------------------------------------------------------- failing checks


def test_multiple_of_a_large_value_is_exact(schema: RecordSchema) -> None:
    """``multipleOf`` on a 30-digit value: jsonschema's decimal remainder raised and the record
    came out valid; now it is judged exactly."""
    assert _reasons(schema, step=Decimal("12345678901234567890.123456789")) == ()
    assert _reasons(schema, step=Decimal("12345678901234567890.1234567891")) == (
        "「step」: 须为 0.000000001 的整数倍, 实际是 12345678901234567890.1234567891",
    )
    assert _reasons(schema, cents=Decimal("3535.001")) == (
        "「cents」: 须为 0.01 的整数倍, 实际是 3535.001",
    )


def test_a_nan_does_not_hide_the_other_fields(schema: RecordSchema) -> None:
    """A decimal NaN against a bound raised inside jsonschema, and the reasons of the fields
    after it were lost; now the NaN is refused at the door and the rest are explained."""
    assert _reasons(schema, amount=Decimal("NaN"), size=-1) == (
        "「人数」: 不能小于 0, 实际是 -1",
        "「金额」: 须为有限数值, 实际是 Decimal('NaN')",
    )
    assert _reasons(schema, amount=Decimal("sNaN"), size=1)[-1].startswith("「金额」: 须为有限")


class _Uncomparable(Decimal):
    """A number (from the Python API) that cannot be compared: any check of it fails."""

    def __lt__(self, other: object) -> bool:
        raise decimal.InvalidOperation


def test_a_check_that_fails_makes_the_record_invalid(schema: RecordSchema) -> None:
    """Never valid: the field whose check failed has a reason, the others theirs."""
    assert _reasons(schema, amount=_Uncomparable("1"), size=-1) == (
        "「人数」: 不能小于 0, 实际是 -1",
        "「金额」: 检查时出错, 按无效处理 (InvalidOperation)",
    )


# --------------------------------------------------------------------------- patterns


def test_dollar_is_the_end_of_the_text() -> None:
    """``"450102001001\\n"`` passed the bundled division-code pattern ``^[0-9]{12}$``."""
    household_schema = fr.load_library().record_schemas["household"]
    rec = {"household_id": "H1", "division_code": "450102001001\n"}
    assert household_schema.check(rec)[1] == (
        "「行政区划代码 (12位, 到行政村)」: '450102001001\\n' 格式不符",
    )
    assert household_schema.check({**rec, "division_code": "450102001001"})[1] == ()


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("code", "450102001001", "450102001001\n"),
        ("digits", "123456", "١٢٣٤٥٦"),  # Arabic-Indic digits are not \d in ECMA-262
        ("digits", "123456", "12345６"),  # nor a full-width digit
        ("word", "ecole", "école"),
        ("space", "\ufeff", "\x1c"),  # ECMA-262 \s: BOM yes, Python's file separator no
    ],
)
def test_patterns_mean_ecma_262_everywhere(
    schema: RecordSchema, field: str, good: str, bad: str
) -> None:
    """The generated acceptor, the plain check, the explaining validator and the record check
    all take the ECMA-262 meaning."""
    sub = thaw(schema.schema["properties"][field])
    accept, plain, reference = (
        compile_acceptor(sub),
        compile_plain_value(sub, {}),
        record_validator(sub),
    )
    assert accept is not None
    assert plain is not None
    assert (accept(good), plain(good), reference.is_valid(good)) == (True, True, True)
    assert (accept(bad), plain(bad), reference.is_valid(bad)) == (False, None, False)
    assert _reasons(schema, **{field: good}) == ()
    assert _reasons(schema, **{field: bad}) == (f"「{field}」: {bad!r} 格式不符",)


# --------------------------------------------------------------------------- null, true, false


def test_null_is_refused_by_an_enum_without_it(schema: RecordSchema) -> None:
    """``"type": ["string", "null"]`` with ``"enum": ["a", "b"]``: null is not an option
    (jsonschema rejects it; the fast check let it through)."""
    assert _reasons(schema, kind=None) == ("「类别」: null 不是可选值之一 (可选: 'a'、'b')",)
    assert schema._plain is not None
    assert schema._plain({"id": "1", "kind": None}) is None
    assert _reasons(schema, kind="a") == ()


def test_boolean_property_schemas(schema: RecordSchema) -> None:
    """``false``: the field must be absent; ``true``: anything (a load crashed on both)."""
    assert _reasons(schema, gone=1) == ("「gone」: 此处不允许有值, 实际是 1",)
    assert _reasons(schema, gone=None) == ("「gone」: 此处不允许有值, 实际是 null",)
    assert _reasons(schema, anything=[1, {"a": None}], none_of=[]) == ()
    assert _reasons(schema, none_of=["x"]) == ("「none_of」第 1 项: 此处不允许有值, 实际是 'x'",)
    assert "gone" not in schema.fields
    assert "anything" not in schema.fields


# --------------------------------------------------------------------------- numbers at the door

BEYOND = [
    Decimal("1e999999999"),
    Decimal("-1E+999999999"),
    Decimal("1e-999999999"),
    Decimal("0E+30"),
    Decimal("0E-41"),
    10**24,
    -(10**24),
    10**4000,
    Decimal(10**24),
    Decimal("1" * 41 + "E-30"),
    Decimal("1E-41"),
    1e300,
    5e-324,
]
WITHIN = [
    10**24 - 1,
    Decimal("999999999999999999999999.9"),
    Decimal("1E-40"),
    Decimal("0." + "1" * 39),
    Decimal("0.000"),
    Decimal("1E+23"),
    0,
    1e-40,
]


@pytest.mark.parametrize("value", BEYOND, ids=str)
def test_numbers_beyond_the_limits_are_refused_at_the_door(
    schema: RecordSchema, value: Any
) -> None:
    """Invalid, with the field named, in no time (such numbers crashed or hung checks)."""
    started = time.perf_counter()
    reasons = _reasons(schema, amount=value, step=value, size=-1)
    assert time.perf_counter() - started < 1
    assert reasons[0].startswith("「step」: 数值超出范围")
    assert reasons[1].startswith("「人数」: 不能小于 0")
    assert reasons[2].startswith("「金额」: 数值超出范围 (绝对值须小于 1E+24")
    assert len(reasons) == 3


@pytest.mark.parametrize("value", WITHIN, ids=str)
def test_numbers_within_the_limits_pass(schema: RecordSchema, value: Any) -> None:
    assert number_fits(value)
    assert _reasons(schema, amount=abs(value)) == ()


def test_the_door_is_everywhere_in_the_record(schema: RecordSchema) -> None:
    """In a list item, in a field of any schema, in a field the schema does not know."""
    reasons = _reasons(
        schema, members=[{"age": 10**30}], anything=Decimal("1e-50"), extra=[Decimal("1e99")]
    )
    assert [r.split(":")[0] for r in reasons] == [
        "「anything」",
        "「extra」第 1 项",
        "「members」第 1 项「age」",
    ]
    assert all("数值超出范围" in r for r in reasons)


def test_a_number_beyond_the_limits_from_a_json_line_is_never_evaluated() -> None:
    """Read as the JSON Lines reader reads it, the household is invalid before any rule
    computes with ``1e999999999`` (evaluation hung or crashed)."""
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    line = '{"household_id": "H1", "household_size": 2, "wage_income": 1e999999999}'
    result = rs.evaluate(parse_json_record(line)[0])
    assert result.outcome == "invalid"
    assert result.reasons[0].startswith("「工资性收入(元)」: 数值超出范围")


def test_a_record_nested_without_end_is_invalid() -> None:
    """A record nested 900 deep made the record check recurse past Python's limit and stop
    the batch. The JSON Lines reader now refuses such a line itself; a record given through
    the API is invalid with the reason."""
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    line = '{"household_id": "H1", "extra": ' + "[" * 900 + "]" * 900 + "}"
    _, error = parse_json_record(line)
    assert error == "嵌套层数过多 (901 层, 至多 64 层)"
    deep: list[object] = []
    for _ in range(900):
        deep = [deep]
    assert rs.evaluate({"household_id": "H1", "extra": deep}).reasons == (
        "记录: 嵌套层数过多, 无法检查",
    )


def test_the_float_limits_are_the_decimal_ones() -> None:
    """A float fits exactly when the decimal of its repr does (the columns of a Parquet file
    are vouched for with float comparisons against 1E+24 and 1E-40)."""
    for centre in (1e24, 1e-40, -1e24, -1e-40):
        x = centre
        for _ in range(300):
            x = math.nextafter(x, 0.0)
        for _ in range(600):
            by_floats = abs(x) < 1e24 and (x == 0 or abs(x) >= 1e-40)
            assert number_fits(x) == by_floats == number_fits(Decimal(repr(x))), x
            x = math.nextafter(x, math.copysign(math.inf, x))
    assert MAX_DIGITS == 40


def test_parquet_columns_keep_the_door() -> None:
    """A float column beyond the limits is not vouched for by the columns: the row decides
    (invalid), as for a record read from JSON."""
    pytest.importorskip("pyarrow", reason="the Parquet path needs pyarrow")
    pytest.importorskip("numpy", reason="the Parquet path needs numpy")
    import pyarrow as pa

    from fupin_rules.arrow import vouched_rows

    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    batch = pa.RecordBatch.from_pydict(
        {
            "household_id": ["H1", "H2", "H3", "H4"],
            "wage_income": [1.5, 1e300, 5e-324, 0.0],
            "housing_area": pa.array(
                [Decimal("1.5"), Decimal(10**30), Decimal(0), Decimal("2.25")],
                type=pa.decimal256(60, 2),
            ),
        }
    )
    assert vouched_rows(rs, batch).tolist() == [True, False, False, True]
    rows = [rs.record_schema.check(row)[1] for row in batch.to_pylist()]
    assert [bool(r) for r in rows] == [False, True, True, False]


# --------------------------------------------------------------------------- the property


@functools.cache
def _household() -> RecordSchema:
    return fr.load_library().record_schemas["household"]


ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2.5,
    float("nan"),
    float("inf"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("-Infinity"),
    Decimal("1e999999999"),
    Decimal("1E-50"),
    Decimal("2.0"),
    Decimal("0.5"),
    10**24,
    10**24 - 1,
    "",
    "450102001001\n",
    "450102001001",
    "٤٥٠١٠٢٠٠١٠٠١",
    "2018-02-28",
    "2018-02-28\n",
    "2018-02-30",
    "01",
    "一般贫困户",
    "国家标准",
    [],
    ["01", "99"],
    [Decimal("NaN")],
    {},
]
_ODD = (
    st.sampled_from(ODD_VALUES)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.integers()
    | st.text(max_size=6)
)
_MEMBER_FIELDS = ["birth_date", "relation", "sex", "migrant_work_months", "id_number", "extra"]


@functools.cache
def _validators() -> tuple[Any, Any]:
    """The reference and jsonschema's stock validator of the bundled household schema."""
    plain_schema = thaw(_household().schema)
    stock = jsonschema.Draft202012Validator(
        plain_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return record_validator(plain_schema), stock


def _assert_agree(rec: dict[str, Any]) -> None:
    """The plain check and the acceptor may defer, but what they accept jsonschema accepts
    (the stock validator and the reference), and what the plain check accepts is within the
    record limits; and the record check
    finds a record valid exactly when the reference does (and the codes are known)."""
    schema = _household()
    reference, stock = _validators()
    assert schema._plain is not None
    assert schema._accept is not None
    try:
        vouched = schema._plain(rec)
    except ArithmeticError:  # a signalling NaN compared: the record check defers too
        vouched = None
    if vouched is not None:
        assert _fits_everywhere(rec)
        assert reference.is_valid(rec)
        assert stock.is_valid(rec)
    normal = normalise(rec)
    try:
        accepted = schema._accept(normal)
    except ArithmeticError:
        accepted = False
    if accepted:  # the door (number limits) is the record check's, before the acceptor
        assert reference.is_valid(normal)
    out, reasons = schema.check(rec)
    if _fits_everywhere(out) and schema._accept(out):
        # stock jsonschema on the record as checked: integral decimals of integer fields
        # made ints (it takes Decimal("2.0") for no integer, against JSON Schema's meaning)
        assert stock.is_valid(out)
    codes_known = not any("不在代码表" in r for r in reasons)  # code lists: not JSON Schema
    assert (reasons == ()) == (_fits_everywhere(out) and reference.is_valid(out) and codes_known)
    if not reasons:
        assert stock.is_valid(out)


@settings(max_examples=150)
@given(
    seed=st.integers(0, 2**32),
    changes=st.lists(st.tuples(st.booleans(), st.integers(0, 200), _ODD), max_size=6),
)
def test_fast_checks_never_accept_what_the_reference_rejects(
    seed: int, changes: list[tuple[bool, int, Any]]
) -> None:
    """On random bundled households with odd values anywhere (NaN, huge and tiny numbers,
    trailing newlines, non-ASCII digits, nulls), see :func:`_assert_agree`."""
    fields = [*_household().schema["properties"], "extra"]
    rec = household(random.Random(seed), 0, missing=0.1)
    for in_member, pick, value in changes:
        members = rec.get("members")
        if in_member and isinstance(members, list) and members:
            members[pick % len(members)][_MEMBER_FIELDS[pick % len(_MEMBER_FIELDS)]] = value
        else:
            rec[fields[pick % len(fields)]] = value
    _assert_agree(rec)


def test_every_odd_value_in_every_field() -> None:
    """The same agreement for each odd value in each field of a household and of a member
    (every field the property above might miss), and with null in every field."""
    base = household(random.Random(7), 0, missing=0.0)
    base["members"] = base["members"][:1]
    member_fields = [*_household().schema["properties"]["members"]["items"]["properties"]]
    for value in ODD_VALUES:
        for field in [*_household().schema["properties"], "extra"]:
            _assert_agree({**base, field: value})
        for field in member_fields:
            _assert_agree({**base, "members": [{**base["members"][0], field: value}]})
    nulls = dict.fromkeys(_household().schema["properties"])
    _assert_agree({**nulls, "household_id": "H1"})
    _assert_agree({**nulls, "household_id": "H1", "members": [dict.fromkeys(member_fields)]})


def _fits_everywhere(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_fits_everywhere(v) for v in value.values())
    if isinstance(value, list):
        return all(_fits_everywhere(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return True
    return number_fits(value)
