"""The official JSON Schema Test Suite (draft 2020-12) through the record check path.

Every case of the vendored files (``tests/json_schema_suite/``, see its README) becomes a
record schema and a record: the case's schema is the schema of a field ``v`` beside an id
field, the case's data is that field's value, read as the JSON Lines reader reads it (numbers
with a fraction as exact decimals). Then:

* the record check (:meth:`RecordSchema.check`: the plain check, the normalising path, the
  generated acceptor, the explaining validator) finds the record valid exactly when the suite
  says the data is valid;
* the generated acceptor of the case's schema alone answers exactly the suite's validity, and
  the plain check never vouches for data the suite calls invalid;
* a case whose schema uses what record schemas do not support is refused when it loads, with
  the keyword named: the explicit list ``REFUSED`` says which and why, and every refused case
  is reported as skipped with that reason;
* a case whose data holds a number beyond the record limits (``MAX_MAGNITUDE``) makes the
  record invalid, with ``数值超出范围``: the explicit list ``BEYOND_LIMITS``.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fupin_rules.errors import RuleFileError
from fupin_rules.record_checks import compile_acceptor, compile_plain, normalise
from fupin_rules.records import RecordSchema, load_record_schema

from .conftest import TESTS

SUITE = TESTS / "json_schema_suite" / "draft2020-12"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

_NOT_SUPPORTED = "a keyword record schemas do not support, refused at load"
_NOT_ECMA = "a pattern with no exact Python counterpart, refused at load"
_LIMITS = "a schema number beyond the record limits (1E+24), refused at load"
REFUSED: dict[tuple[str, str], tuple[str, str]] = {
    ("additionalProperties.json", "additionalProperties being false does not allow other properties"): ("patternProperties", _NOT_SUPPORTED),
    ("additionalProperties.json", "non-ASCII pattern with additionalProperties"): ("patternProperties", _NOT_SUPPORTED),
    ("additionalProperties.json", "additionalProperties does not look in applicators"): ("allOf", _NOT_SUPPORTED),
    ("additionalProperties.json", "additionalProperties with propertyNames"): ("propertyNames", _NOT_SUPPORTED),
    ("additionalProperties.json", "dependentSchemas with additionalProperties"): ("dependentSchemas", _NOT_SUPPORTED),
    ("items.json", "items and subitems"): ("prefixItems", _NOT_SUPPORTED),
    ("items.json", "prefixItems with no additional items allowed"): ("prefixItems", _NOT_SUPPORTED),
    ("items.json", "items does not look in applicators, valid case"): ("allOf", _NOT_SUPPORTED),
    ("items.json", "prefixItems validation adjusts the starting index for items"): ("prefixItems", _NOT_SUPPORTED),
    ("items.json", "items with heterogeneous array"): ("prefixItems", _NOT_SUPPORTED),
    ("properties.json", "properties, patternProperties, additionalProperties interaction"): ("patternProperties", _NOT_SUPPORTED),
    ("pattern.json", "pattern with Unicode property escape requires unicode mode"): ("\\p{", _NOT_ECMA),
    ("optional/ecmascript-regex.json", "patterns always use unicode semantics with pattern"): ("\\p{", _NOT_ECMA),
    ("optional/ecmascript-regex.json", "pattern with non-ASCII digits"): ("\\p{", _NOT_ECMA),
    ("optional/ecmascript-regex.json", "patterns always use unicode semantics with patternProperties"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/ecmascript-regex.json", "\\w in patternProperties matches [A-Za-z0-9_], not unicode letters"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/ecmascript-regex.json", "patternProperties with ASCII ranges"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/ecmascript-regex.json", "\\d in patternProperties matches [0-9], not unicode digits"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/ecmascript-regex.json", "patternProperties with non-ASCII digits"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/non-bmp-regex.json", "Proper UTF-16 surrogate pair handling: patternProperties"): ("patternProperties", _NOT_SUPPORTED),
    ("optional/bignum.json", "float comparison with high precision"): ("exclusiveMaximum", _LIMITS),
    ("optional/bignum.json", "float comparison with high precision on negative numbers"): ("exclusiveMinimum", _LIMITS),
    **{
        ("format.json", f"{name} format"): ("format", "a format other than date, refused at load")
        for name in (
            "email", "idn-email", "regex", "ipv4", "ipv6", "idn-hostname", "hostname",
            "date-time", "time", "json-pointer", "relative-json-pointer", "iri",
            "iri-reference", "uri", "uri-reference", "uri-template", "uuid", "duration",
        )
    },
}  # fmt: skip
"""Groups refused at load: (file, group) -> (what the refusal names, why)."""

_DOOR = "the record door refuses numbers of 1E+24 and more, whatever the schema says"
BEYOND_LIMITS: dict[tuple[str, str, str], str] = {
    ("optional/bignum.json", "integer", "a bignum is an integer"): _DOOR,
    ("optional/bignum.json", "integer", "a negative bignum is an integer"): _DOOR,
    ("optional/bignum.json", "number", "a bignum is a number"): _DOOR,
    ("optional/bignum.json", "number", "a negative bignum is a number"): _DOOR,
    ("optional/float-overflow.json", "all integers are multiples of 0.5, if overflow is handled", "valid if optional overflow handling is implemented"): _DOOR,
    ("multipleOf.json", "float division = inf", "always invalid, but naive implementations may raise an overflow error"): _DOOR,
}  # fmt: skip
"""Cases whose data holds a number beyond the record limits: the record is invalid (the
suite's answer where it is "invalid" too; otherwise the case is skipped with the reason)."""

ASSERTED_FORMAT: dict[tuple[str, str, str], str] = {
    ("format.json", "date format", "invalid date string is only an annotation by default"): (
        "record schemas assert format: date (optional/format/date.json), not annotate it"
    ),
}
"""Cases the suite leaves to the format-annotation default, which record schemas do not take."""


def _files() -> list[Path]:
    return sorted(SUITE.rglob("*.json"))


def _cases() -> list[Any]:
    params = []
    for path in _files():
        name = path.relative_to(SUITE).as_posix()
        groups = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        for g, group in enumerate(groups):
            for t, test in enumerate(group["tests"]):
                ident = f"{name}::{group['description']}::{test['description']}"
                params.append(pytest.param(name, g, t, id=ident))
    return params


@functools.cache
def _group(name: str, index: int) -> dict[str, Any]:
    groups = json.loads((SUITE / name).read_text(encoding="utf-8"), parse_float=Decimal)
    group: dict[str, Any] = groups[index]
    return group


_DECIMAL = "@decimal@"


def _schema_text(case: Any) -> str:
    """The record schema of a case as JSON text, the case's numbers written as they are in
    the suite (``2.0`` stays ``2.0``)."""
    if isinstance(case, dict) and case.get("$schema") == DIALECT:
        case = {k: v for k, v in case.items() if k != "$schema"}  # the record schema's own
    wrapper = {
        "$schema": DIALECT,
        "type": "object",
        "x-id-field": "id",
        "properties": {"id": {"type": "string"}, "v": case},
    }
    text = json.dumps(wrapper, default=lambda d: f"{_DECIMAL}{d}")
    return re.sub(rf'"{re.escape(_DECIMAL)}([^"]*)"', r"\1", text)


def _line(record: Any) -> str:
    """``record`` as a JSON line, its numbers written as they are in the suite."""
    text = json.dumps(record, ensure_ascii=False, default=lambda d: f"{_DECIMAL}{d}")
    return re.sub(rf'"{re.escape(_DECIMAL)}([^"]*)"', r"\1", text)


@functools.cache
def _loaded(name: str, index: int, tmp: Path) -> RecordSchema | RuleFileError:
    path = tmp / f"{name.replace('/', '_')}.{index}.schema.json"
    path.write_text(_schema_text(_group(name, index)["schema"]), encoding="utf-8")
    try:
        return load_record_schema(path, "case", {})
    except RuleFileError as exc:
        return exc


@pytest.fixture(scope="module")
def schemas_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("suite")


@pytest.mark.parametrize(("name", "g", "t"), _cases())
def test_suite_case(name: str, g: int, t: int, schemas_dir: Path) -> None:
    group = _group(name, g)
    test = group["tests"][t]
    loaded = _loaded(name, g, schemas_dir)
    refused = REFUSED.get((name, group["description"]))
    if refused is not None:
        keyword, why = refused
        assert isinstance(loaded, RuleFileError), "listed as refused, but it loads"
        assert keyword in str(loaded)
        pytest.skip(f"{why}: {keyword}")
    assert not isinstance(loaded, RuleFileError), str(loaded)
    record = {"id": "case", "v": test["data"]}
    checked, reasons = loaded.check(record)
    # The one pass of evaluate's JSON lines (msgspec) vouches only for what the check accepts,
    # and reads the record the check gives.
    one_pass = loaded.read_line(_line(record))
    if one_pass is not None:
        assert not reasons
        assert dict(one_pass) == checked
    key = (name, group["description"], test["description"])
    if key in BEYOND_LIMITS:
        assert any("数值超出范围" in r for r in reasons), reasons
        if test["valid"]:
            pytest.skip(BEYOND_LIMITS[key])
        return
    if key in ASSERTED_FORMAT:
        assert reasons
        pytest.skip(ASSERTED_FORMAT[key])
    assert (not reasons) == test["valid"], reasons
    # The generated checks on their own: the acceptor is exact here, the plain check sound.
    accept = compile_acceptor(_case_schema(group))
    assert accept is not None
    assert accept(normalise(test["data"])) == test["valid"]
    plain = compile_plain(json.loads(_schema_text(group["schema"]), parse_float=Decimal), {})
    if plain is not None and plain(normalise(record)) is not None:
        assert test["valid"]


def _case_schema(group: dict[str, Any]) -> Any:
    return json.loads(_schema_text(group["schema"]), parse_float=Decimal)["properties"]["v"]


def test_every_listed_case_exists() -> None:
    """The lists of refused and beyond-the-limits cases name cases of the vendored files (a
    renamed case would otherwise leave its entry behind, checking nothing)."""
    groups = {
        (path.relative_to(SUITE).as_posix(), group["description"]): group
        for path in _files()
        for group in json.loads(path.read_text(encoding="utf-8"))
    }
    assert set(REFUSED) <= set(groups)
    for name, group, test in {**BEYOND_LIMITS, **ASSERTED_FORMAT}:
        assert test in {t["description"] for t in groups[(name, group)]["tests"]}


def test_the_suite_is_here_with_its_licence() -> None:
    """The vendored files, their licence and their provenance are in the repository."""
    root = SUITE.parent
    assert (root / "LICENSE").read_text(encoding="utf-8").startswith("Copyright (c) 2012")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for path in _files():
        assert path.relative_to(SUITE).as_posix() in readme
