"""A JSON line read and checked in one pass (msgspec, :mod:`fupin_rules.record_typed`).

The one pass may only say what the reference says: for every line, reading it this way and
then checking gives exactly what :func:`parse_json_record` and :meth:`RecordSchema.check`
give (the same record, keys in the same order, values of the same types, the same reasons),
and where it vouches for a line the reference finds it valid and normal. The properties run
random households with odd values anywhere, repeated keys, unknown keys and odd spacing;
the cases below them each break one constraint the typed decoder or the check after it must
see (remove that constraint and its case fails).
"""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._frozen import thaw
from fupin_rules.io.jsonl import MISSES, LineParser, parse_json_record
from fupin_rules.parallel import evaluate_lines
from fupin_rules.records import RecordSchema, _CheckedLine, load_record_schema

from .conftest import ROOT
from .test_record_checks import ODD_VALUES

sys.path.insert(0, str(ROOT))
from benchmarks.generate import household, households

pytest.importorskip("msgspec")


@functools.cache
def _household() -> RecordSchema:
    return fr.load_library().record_schemas["household"]


def _text(value: Any, *, spaced: bool = False) -> str:
    """JSON text of ``value``, decimals as written (NaN and infinities as no JSON reads)."""
    colon, comma = (" : ", " , ") if spaced else (":", ",")
    if isinstance(value, dict):
        pairs = [f"{json.dumps(k, ensure_ascii=False)}{colon}{_text(v)}" for k, v in value.items()]
        return "{" + comma.join(pairs) + "}"
    if isinstance(value, list):
        return "[" + comma.join(_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _repeated(text: str, pair: str, at: int) -> str:
    """``text`` with the object member ``pair`` (``"key":value``) written again after the
    ``at``-th opening brace (a repeated key where that object has the key already)."""
    starts = [i for i, c in enumerate(text) if c == "{"]
    i = starts[at % len(starts)] + 1
    return text[:i] + pair + "," + text[i:]


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (type(value), value)


def _reference(schema: RecordSchema, text: str) -> Any:
    record, error = parse_json_record(text)
    return (None, (error,)) if error is not None else schema.check(record)


def _assert_same(schema: RecordSchema, text: str) -> _CheckedLine | None:
    """Both ways give the same; what the one pass vouches for the reference finds valid."""
    reference = _reference(schema, text)
    record, error = LineParser(schema.read_line)(text)
    one_pass = (None, (error,)) if error is not None else schema.check(record)
    assert _shape(one_pass) == _shape(reference)
    checked = schema.read_line(text)
    if checked is not None:
        assert type(checked) is _CheckedLine
        assert reference[1] == ()
        assert _shape(dict(checked)) == _shape(reference[0])
    return checked


_FIELDS = [*_household().schema["properties"], "extra", "extra:2"]
_MEMBER_FIELDS = [*_household().schema["properties"]["members"]["items"]["properties"], "extra"]
_ODD = (
    st.sampled_from(ODD_VALUES)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.integers()
    | st.text(max_size=6)
    | st.sampled_from([3.0, -0.0, 1e400, "1.5", Decimal("-0.5"), "a:b", {"a": 1}, [[]]])
)


@settings(max_examples=200)
@given(
    seed=st.integers(0, 2**32),
    changes=st.lists(st.tuples(st.booleans(), st.integers(0, 200), _ODD), max_size=5),
    repeat=st.none() | st.tuples(st.integers(0, 200), st.integers(0, 8)),
    spaced=st.booleans(),
)
def test_one_pass_gives_what_the_reference_gives(
    seed: int,
    changes: list[tuple[bool, int, Any]],
    repeat: tuple[int, int] | None,
    spaced: bool,
) -> None:
    """Random households with odd values in any field of the household or a member (floats,
    integral decimals, code labels, text as numbers, huge numbers, bad dates, objects),
    unknown keys, a repeated key, and spaces around colons."""
    schema = _household()
    rec = household(random.Random(seed), 0, missing=0.1)
    for in_member, pick, value in changes:
        members = rec.get("members")
        if in_member and isinstance(members, list) and members:
            members[pick % len(members)][_MEMBER_FIELDS[pick % len(_MEMBER_FIELDS)]] = value
        else:
            rec[_FIELDS[pick % len(_FIELDS)]] = value
    text = _text(rec, spaced=spaced)
    if repeat is not None:
        field = _FIELDS[repeat[0] % len(_FIELDS)]
        text = _repeated(text, f'"{field}":null', repeat[1])
    _assert_same(schema, text)


def test_every_odd_value_in_every_field() -> None:
    """Each odd value in each field of a household and of a member, and each field repeated,
    at the top and in a member."""
    schema = _household()
    base = household(random.Random(7), 0, missing=0.0)
    base["members"] = base["members"][:2]
    for value in [*ODD_VALUES, 3.0, "1.5", "a:b", {"a": 1}]:
        for field in _FIELDS:
            _assert_same(schema, _text({**base, field: value}))
        for field in _MEMBER_FIELDS:
            member = {**base["members"][0], field: value}
            _assert_same(schema, _text({**base, "members": [member, base["members"][1]]}))
    line = _text(base)
    for field in _FIELDS:
        _assert_same(schema, _repeated(line, f'"{field}":null', 0))
    for field in _MEMBER_FIELDS:
        _assert_same(schema, _repeated(line, f'"{field}":null', 2))


def test_the_sample_households_are_read_in_one_pass() -> None:
    """The synthetic households, as generated and with an unknown key each, are nearly all
    read in one pass (so the properties above are not met by deferring everything)."""
    schema = _household()
    records = list(households(300, seed=1))
    for extra in (False, True):
        read = 0
        for rec in records:
            if extra:
                rec = {**rec, "export_column": "导出附加列"}
            read += _assert_same(schema, _text(rec)) is not None
        assert read >= 290


# --------------------------------------------------------------------------- one constraint each

_BASE = {
    "household_id": "H1",
    "division_code": "450102001001",
    "household_size": 2,
    "household_attribute": "01",
    "wage_income": Decimal("1200.50"),
    "exit_date": "2018-06-30",
    "other_poverty_causes": ["1"],
    "members": [
        {"name": "甲", "birth_date": "1960-02-29", "relation": "01", "migrant_work_months": 3},
        {"name": "乙", "sex": "女", "migrant_work_months": Decimal("2.5")},
    ],
}

_CASES: dict[str, str] = {
    "pattern": '"division_code":"45010200100"',
    "pattern, text that looks like digits": '"division_code":"٤٥٠١٠٢٠٠١٠٠١"',
    "minLength": '"household_id":""',
    "required": None,  # household_id left out
    "type: text where null is not allowed": '"division_code":null',
    "type: a boolean for an integer": '"household_size":true',
    "type: an integral decimal for an integer": '"household_size":2.0',
    "type: text as a number": '"wage_income":"1200.5"',
    "type: a boolean for text": '"head_name":true',
    "minimum of an integer": '"household_size":-1',
    "minimum of a decimal": '"farmland_area":-0.5',
    "maximum of a decimal": '"new_house_progress":100.5',
    "maximum of an integer": '"new_house_progress":101',
    "integer beyond the record limits": '"household_size":1000000000000000000000000',
    "decimal beyond the record limits": '"wage_income":1E+400',
    "code label": '"household_attribute":"一般贫困户"',
    "code not in the list": '"household_attribute":"99"',
    "enum": '"identification_standard":"县定标准"',
    "format date": '"exit_date":"2018-02-29"',
    "maxItems": '"other_poverty_causes":["1","2","3"]',
    "code in an array": '"other_poverty_causes":["一般"]',
    "minItems": '"members":[]',
    "member date": '"members":[{"birth_date":"1961-02-29"}]',
    "member decimal beyond maximum": '"members":[{"migrant_work_months":12.5}]',
    "member code label": '"members":[{"relation":"户主"}]',
    "unknown key holding a number beyond the limits": '"extra":1.0E+400',
}


def _case(change: str | None) -> str:
    base = _text(_BASE)
    if change is None:
        return base.replace('"household_id":"H1",', "")
    key = change.split(":", 1)[0]
    replaced = {**_BASE, json.loads(key): None}
    return _text(replaced).replace(f"{key}:null", change)


@pytest.mark.parametrize("name", list(_CASES))
def test_a_broken_constraint_goes_to_the_reference(name: str) -> None:
    """The reference finds the line invalid or changes it, and the one pass leaves it to the
    reference."""
    schema = _household()
    text = _case(_CASES[name])
    parsed, error = parse_json_record(text)
    out, reasons = _reference(schema, text)
    assert error is not None or reasons or _shape(out) != _shape(parsed)
    assert _assert_same(schema, text) is None


@pytest.mark.parametrize(
    "change", ['"extra":{"a":1}', '"extra":[1]', '"members":[{"extra":{"a":[]}}]']
)
def test_unknown_keys_holding_containers_go_to_the_reference(change: str) -> None:
    """Valid, but the one pass, like the plain check, vouches only for unknown values that
    need no copy: containers take the reference path (which copies them)."""
    schema = _household()
    text = _case(change)
    assert _reference(schema, text)[1] == ()
    assert _assert_same(schema, text) is None


@pytest.mark.parametrize(
    "text",
    [
        _text(_BASE),
        _text(_BASE, spaced=True),
        _text({**_BASE, "export_column": "导出附加列", "note": None, "count": 3}),
        _text({**_BASE, "members": [{**_BASE["members"][0], "extra": "x"}]}),
        _text({**_BASE, "head_name": "a:b"}),  # a colon in a string
        _text({**_BASE, "head_name": "a:b", "extra": Decimal("1.5")}),
    ],
)
def test_valid_lines_are_read_in_one_pass(text: str) -> None:
    """Valid, normal lines, with unknown keys (kept, in their place) and colons in strings."""
    assert _assert_same(_household(), text) is not None


@pytest.mark.parametrize(
    ("pair", "base"),
    [
        ('"household_size":2', _text(_BASE)),
        ('"name":"丙"', _text(_BASE)),
        # An escaped colon is one more colon once decoded: counted again, it would stand for
        # the repeated key's.
        ('"household_size":2', _text({**_BASE, "head_name": "a:b"}).replace("a:b", "a\\u003ab")),
    ],
)
def test_a_repeated_key_goes_to_the_reference(pair: str, base: str) -> None:
    """msgspec keeps the last of repeated keys; the reference refuses the line."""
    text = _repeated(base, pair, 0 if "household" in pair else 1)
    assert parse_json_record(text)[1] is not None
    assert _assert_same(_household(), text) is None


def test_a_record_read_in_one_pass_is_copied_by_the_check() -> None:
    """The check of a record read in one pass gives new containers, as it does for any
    record; a record read by another schema is checked as any record."""
    schema = _household()
    checked = schema.read_line(_text(_BASE))
    assert checked is not None
    out, reasons = schema.check(checked)
    assert reasons == ()
    assert type(out) is dict
    assert out == checked
    assert out["members"] is not checked["members"]
    assert out["members"][0] is not checked["members"][0]
    assert out["other_poverty_causes"] is not checked["other_poverty_causes"]
    other = fr.load_library().record_schemas["household"]
    assert other is not schema
    checked["household_size"] = True  # changed: a schema that did not read it checks it
    assert other.check(checked)[1] != ()


# --------------------------------------------------------------------------- from the schema

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "x-id-field": "id",
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "maxLength": 3},
        "low": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 9},
        "wide": {"type": ["integer", "null"], "minimum": -(10**20), "maximum": 10**20},
        "step": {"type": ["number", "null"], "multipleOf": 0.5},
        "either": {"type": ["integer", "string", "boolean"]},
        "word": {"type": "string", "pattern": "^\\w+$"},
        "inside": {"type": "string", "pattern": "a\\B"},  # ECMA: é is no word character
        "kind": {"type": ["string", "null"], "enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        "any": {},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["n"],
                "properties": {
                    "n": {"type": "integer", "minimum": 0},
                    "d": {"type": "string", "format": "date"},
                },
            },
        },
    },
}
_SMALL_VALUES: list[Any] = [
    *[None, True, 0, 5, 6, 9, -1, 10**19, 10**20, 10**21, 1.5, 2.0, Decimal("1.5")],
    *["", "ab", "abcd", "a b", "é", "aé", "c", [], ["x"], [""], {"a": 1}, Decimal("1.25")],
    *[[{"n": 1}], [{"n": -1}], [{}], [{"n": 1, "d": "2020-1-1"}]],
    *[[{"n": 0, "d": "2020-01-01", "x": 1}], [{"n": 0, "d": "2020-01-01", "x": [1]}]],
]
_VALUES = st.sampled_from(_SMALL_VALUES)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> RecordSchema:
    path: Path = tmp_path_factory.mktemp("schemas") / "thing.schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return load_record_schema(path, "thing", {})


@settings(max_examples=300)
@given(fields=st.dictionaries(st.sampled_from([*SCHEMA["properties"], "other"]), _VALUES))
def test_a_reader_follows_its_schema(small: RecordSchema, fields: dict[str, Any]) -> None:
    """The reader is made from the schema: exclusive bounds, integers past int64, several
    types, ``\\w`` and ``\\B`` (ECMA's), enums, arrays of text and of objects, required keys
    of items."""
    assert small.read_line('{"id":"a"}') is not None
    _assert_same(small, _text({"id": "a", **fields}))


def test_every_value_in_every_field_of_a_schema(small: RecordSchema) -> None:
    """The same with each value in each field alone (every bound, type and length met)."""
    vouched = 0
    for field in [*SCHEMA["properties"], "other"]:
        for value in _SMALL_VALUES:
            vouched += _assert_same(small, _text({"id": "a", field: value})) is not None
    assert vouched > 80


def test_a_type_msgspec_refuses_makes_no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should msgspec refuse the type made from a schema, the schema has no reader (every
    line takes the reference path) and still loads."""
    import msgspec

    from fupin_rules.record_typed import compile_line_reader

    real = msgspec.json.Decoder

    def refusing(*args: Any, **kwargs: Any) -> Any:
        if args:
            raise TypeError("not a type msgspec supports")
        return real(**kwargs)

    monkeypatch.setattr(msgspec.json, "Decoder", refusing)
    schema = _household()
    assert compile_line_reader(thaw(schema.schema), schema.codelists) is None


# --------------------------------------------------------------------------- whole runs


def _lines() -> list[tuple[str, str, None]]:
    texts = [_text(r) for r in households(150, seed=3)]
    texts += [_case(change) for change in _CASES.values()]
    texts += [_text({**_BASE, "export_column": "x"}), _repeated(_text(_BASE), '"x":1,"x":2', 0)]
    return [(f"t.jsonl:{i + 1}", t + "\n", None) for i, t in enumerate(texts)]


def test_evaluate_writes_the_same_bytes_without_the_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``evaluate``'s lines are the same bytes whether the one pass reads them or not."""
    rs = fr.load_library(ROOT / "benchmarks" / "rules").get("gx.household.exit", as_of="2018-11-20")
    with_it = evaluate_lines(rs, _lines())
    monkeypatch.setattr(RecordSchema, "read_line", lambda self, text: None)
    without = evaluate_lines(rs, _lines())
    assert with_it == without


def test_lines_it_cannot_read_stop_the_one_pass() -> None:
    """After MISSES lines in a row left to the reference, the one pass is asked no more in
    that unit (a line it reads resets the count); the records are the reference's."""
    asked: list[str] = []
    schema = _household()

    def read(text: str) -> dict[str, Any] | None:
        asked.append(text)
        return schema.read_line(text)

    good, label = _text(_BASE), _case(_CASES["code label"])
    parse = LineParser(read)
    lines = [label] * (MISSES - 1) + [good] + [label] * (MISSES + 5) + [good]
    records = [parse(text) for text in lines]
    assert len(asked) == 2 * MISSES
    assert _shape(records) == _shape([parse_json_record(text) for text in lines])


_WITHOUT_MSGSPEC = """
import sys
sys.modules["msgspec"] = None  # the import fails, as where the extra is not installed
import fupin_rules as fr
schema = fr.load_library().record_schemas["household"]
assert schema.read_line('{"household_id":"H1"}') is None
print(schema.check({"household_id": "H1"}))
"""


def test_without_msgspec_every_line_takes_the_reference_path() -> None:
    """Where msgspec is not installed there is no reader, and records are checked as before."""
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MSGSPEC],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "({'household_id': 'H1'}, ())"
