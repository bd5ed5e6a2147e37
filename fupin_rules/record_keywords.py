"""What the keywords of a record schema mean, and which a record schema may use.

* The keywords: :data:`CHECKED_KEYWORDS` (what the generated record checks cover),
  :data:`ANNOTATIONS`, :data:`PROJECT_KEYWORDS`; :func:`schema_problems` finds every other
  keyword, a ``$ref``, a pattern with no exact Python meaning, a number beyond the limits, a
  project keyword in a place where it means nothing, and (for a user's schema) every break of
  the Draft 2020-12 metaschema, so that a schema loads whole or not at all.
* The numbers a record may hold: :func:`number_fits` (:data:`MAX_DIGITS` and
  :data:`fupin_rules.language.MAX_MAGNITUDE`); a record holding another is invalid before
  anything computes with it.
* The reference, :func:`record_validator`: jsonschema's Draft 2020-12 validator with the format
  checker, given the project's meaning where Python's differs from JSON Schema's: a
  ``pattern`` is ECMA-262 (:mod:`fupin_rules.record_patterns`), ``multipleOf`` is exact, an
  integral decimal is an ``integer``, and a value holding a number outside
  :func:`number_fits` is left to the record check, which has already refused it (so no keyword
  ever computes with ``1E+999999999`` or a NaN). The generated checks
  (:mod:`fupin_rules.record_checks`) are faster ways to its answers.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any

from ._yaml import MAX_DEPTH
from .language import MAX_MAGNITUDE
from .record_patterns import PatternError, ecma_pattern

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "ANNOTATIONS",
    "CHECKED_KEYWORDS",
    "DIALECT",
    "JSON_SCHEMA_KEYWORDS",
    "MAX_DIGITS",
    "MAX_MAGNITUDE",
    "MAX_SCHEMA_DEPTH",
    "OUT_OF_RANGE",
    "PROJECT_KEYWORDS",
    "SchemaProblem",
    "is_date",
    "is_multiple",
    "json_type",
    "meta_errors",
    "number_fits",
    "record_validator",
    "reference_schema",
    "schema_problems",
    "subfields",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

CHECKED_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
    }
)
"""The JSON Schema keywords record schemas may use: the generated checks cover each of them
(``format`` only as ``date``)."""
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "$comment",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$schema",
        "$id",
    }
)
"""Keywords that describe and do not check (``$schema`` and ``$id`` only at the top)."""
PROJECT_KEYWORDS = frozenset(
    {
        "x-id-field",
        "x-division-field",
        "x-name-field",
        "x-person-id-field",
        "x-codelist",
        "x-code",
    }
)
"""The project's own keywords (docs/rule-files.md#record-schemas): every other ``x-`` is refused."""
TOP_LEVEL_KEYWORDS = frozenset({"x-division-field", "x-name-field", "x-person-id-field"})
"""Project keywords that name a field of the whole record (the division code, the name and ID
number of the head of household for problem lists), so only at the top of a schema."""
JSON_SCHEMA_KEYWORDS = CHECKED_KEYWORDS | {
    "$ref",
    "$dynamicRef",
    "$anchor",
    "$dynamicAnchor",
    "$vocabulary",
    "$defs",
    "definitions",
    "$recursiveRef",
    "$recursiveAnchor",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "prefixItems",
    "contains",
    "patternProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "dependentRequired",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
}
"""Every keyword of JSON Schema 2020-12 (and the older names its metaschema still knows): those
not in :data:`CHECKED_KEYWORDS` are refused by name, anything else is an unknown keyword."""

MAX_DIGITS = 40
"""Most digits a number in a record (or a record schema) may be written with, and the lowest
place of its first digit (``1E-40``). With :data:`fupin_rules.language.MAX_MAGNITUDE` (a
magnitude below ``1E+24``) these are the numbers a record may hold; any other number makes the
record invalid before anything computes with it (``数值超出范围``)."""
MAX_SCHEMA_DEPTH = 16
"""Deepest nesting of sub-schemas (a property's, a list's items, additional properties') in a
record schema: far beyond any record of the national system, and within what the generated
checks can be compiled to."""
_TOP_PLACE = MAX_MAGNITUDE.adjusted()
_INT_LIMIT = int(MAX_MAGNITUDE)


def number_fits(value: int | float | Decimal) -> bool:
    """Whether a number is one a record may hold: finite, magnitude below ``MAX_MAGNITUDE``,
    and (unless zero) at least ``1E-40``, written with at most ``MAX_DIGITS`` digits. A float
    is judged as the exact decimal of its ``repr``, which is what normalising makes of it."""
    if isinstance(value, int):
        return -_INT_LIMIT < value < _INT_LIMIT
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return False
        value = Decimal(repr(value))
    if not value.is_finite() or not -MAX_DIGITS <= value.adjusted() < _TOP_PLACE:
        return False
    # No arithmetic here (abs() of 1E+999999999 overflows): the place of the first digit, and
    # the digits as written (the text is a quick bound; the tuple is exact).
    return len(str(value)) <= MAX_DIGITS or len(value.as_tuple().digits) <= MAX_DIGITS


def is_multiple(value: int | float | Decimal, step: int | float | Decimal) -> bool:
    """``multipleOf``, exactly: ``value / step`` is an integer (both numbers within the limits
    of :func:`number_fits`, so the fractions stay small)."""
    if type(value) is int and type(step) is int:
        return value % step == 0
    return Fraction(value) % Fraction(step) == 0


OUT_OF_RANGE = (
    f"数值超出范围 (绝对值须小于 {MAX_MAGNITUDE:.0E}, 不为零时不小于 1E-{MAX_DIGITS},"
    f" 至多 {MAX_DIGITS} 位数字)"
)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DATES_SEEN: set[str] = set()
"""Texts already found to be dates (a population has a few tens of thousands of birth dates)."""


def is_date(value: str) -> bool:
    """``format: date``: ``YYYY-MM-DD`` in ASCII digits, and a real calendar date (as
    jsonschema's format checker judges it)."""
    if value in _DATES_SEEN:
        return True
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    if len(_DATES_SEEN) < 50_000:
        _DATES_SEEN.add(value)
    return True


# --------------------------------------------------------------------------- the reference


def _is_number(instance: Any) -> bool:
    return isinstance(instance, int | float | Decimal) and not isinstance(instance, bool)


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    if isinstance(instance, float):
        return instance.is_integer()
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return False


def _holds_odd_number(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_odd_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_odd_number(v) for v in value)
    return _is_number(value) and not number_fits(value)


def _past_the_door(base: Any) -> Any:
    """jsonschema's own keyword ``base``, but not for a value holding a number outside
    :func:`number_fits` (the record check has refused it, and comparing it could raise or
    take very long)."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if _holds_odd_number(instance):
            return
        yield from base(validator, value, instance, schema)

    return check


def _multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[Any]:
    import jsonschema

    if _is_number(instance) and number_fits(instance) and not is_multiple(instance, step):
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {step}")


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    import jsonschema

    if isinstance(instance, str) and ecma_pattern(pattern).search(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _reference() -> tuple[Any, Any]:
    """The reference's validator class and format checker. Made on first use: jsonschema
    (slow to import) is needed only to explain an invalid record or check a user's schema,
    never to evaluate valid records, which the generated checks accept."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    formats = jsonschema.FormatChecker(formats=())
    formats.checks("date")(lambda instance: not isinstance(instance, str) or is_date(instance))
    cls = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        base,
        validators={
            **{
                k: _past_the_door(base.VALIDATORS[k])
                for k in (
                    "minimum",
                    "maximum",
                    "exclusiveMinimum",
                    "exclusiveMaximum",
                    "enum",
                    "const",
                )
            },
            "multipleOf": _multiple_of,
            "pattern": _pattern,
        },
        type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer),
        format_checker=formats,
    )
    return cls, formats


class _Deferred:
    """A reference validator made the first time it is asked anything (see
    :func:`_reference`); until then, only the schema it is for."""

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_schema", "_made"):
            raise AttributeError(name)  # copy and pickle probe for these before __init__
        if self._made is None:
            cls, formats = _reference()
            self._made = cls(self._schema, format_checker=formats)
        return getattr(self._made, name)


def record_validator(schema: Any) -> Any:
    """The reference validator of a record schema (or of one of its sub-schemas)."""
    return _Deferred(reference_schema(schema))


def reference_schema(schema: Any) -> Any:
    """``schema`` as the reference validates it, meaning the same: without ``$schema``
    (checked when the schema loaded; left in, jsonschema would take the validator class
    registered for it wherever it re-reads the root), and each ``false`` of a property or of
    ``items`` written ``{"not": {}}``, whose errors jsonschema places at their field (those of
    a ``false`` schema come without it)."""
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, Mapping):
        return schema
    out = {k: v for k, v in schema.items() if k != "$schema"}
    if isinstance(out.get("properties"), Mapping):
        out["properties"] = {k: reference_schema(v) for k, v in out["properties"].items()}
    if "items" in out:
        out["items"] = reference_schema(out["items"])
    if isinstance(out.get("additionalProperties"), Mapping):
        out["additionalProperties"] = reference_schema(out["additionalProperties"])
    return out


def meta_errors(schema: Any) -> Iterator[jsonschema.ValidationError]:
    """Where ``schema`` breaks the Draft 2020-12 metaschema (formats such as ``regex`` not
    asserted: patterns are checked apart, as ECMA-262), an integral decimal counting as an
    integer (``"minLength": 2.0``), as JSON Schema means it."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    yield from base(base.META_SCHEMA).iter_errors(_integers_as_int(schema))


def _integers_as_int(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _integers_as_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers_as_int(v) for v in value]
    if isinstance(value, Decimal) and number_fits(value) and value == value.to_integral_value():
        return int(value)
    return value


def json_type(prop: Any) -> str | None:
    if not isinstance(prop, Mapping):
        return None  # a boolean schema: true (anything) or false (nothing) has no one type
    t = prop.get("type")
    if isinstance(t, list):
        kinds = [k for k in t if k != "null"]
        return kinds[0] if kinds else None
    return t if isinstance(t, str) else None


def subfields(prop: Any) -> list[tuple[str | None, Any]]:
    """The places of a top-level property where a code list or an integer type applies: the
    property itself and, for a list of objects, each of the items' properties."""
    out: list[tuple[str | None, Any]] = [(None, prop)]
    if json_type(prop) == "array":
        items = prop.get("items", {})
        if json_type(items) == "object":
            out = [(None, {k: v for k, v in prop.items() if k != "items"})]
            out.extend((sub, sp) for sub, sp in items.get("properties", {}).items())
    return out


# --------------------------------------------------------------------------- schema problems

Where = tuple[str | int, ...]
"""A place in a schema, as JSON keys and indexes."""
SchemaProblem = tuple[Where, str, str, str | None]
"""A problem of a record schema: its JSON path, message, code and hint."""


def schema_problems(schema: Any, *, metaschema: bool = True) -> list[SchemaProblem]:
    """Every problem of a record schema, before any of it is used: where it breaks the Draft
    2020-12 metaschema (if ``metaschema``), and every keyword the record checks do not cover
    (unknown, misspelt, or a JSON Schema keyword they cannot check, a ``$ref``), every pattern
    that is not exact ECMA-262 in Python, every number outside the limits of a record's
    numbers, every project keyword in a place where it means nothing, and a schema nested
    too deep (JSON deeper than :data:`fupin_rules._yaml.MAX_DEPTH`, as a rule file may not be;
    sub-schemas deeper than :data:`MAX_SCHEMA_DEPTH`)."""
    if _json_depth(schema) > MAX_DEPTH:
        return [((), f"记录结构嵌套超过 {MAX_DEPTH} 层", "schema.too-deep", None)]
    found: list[SchemaProblem] = []
    if metaschema:
        for error in meta_errors(schema):
            where = tuple(error.absolute_path)
            found.append((where, _meta_message(error), "schema.metaschema", None))
    _walk(schema, (), found)
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        places = _codelist_places(schema["properties"])
        for where in _codelist_uses(schema, ()):
            if where not in places:
                message = "x-codelist 只能写在字段、列表字段的 items 或列表项的字段上"
                found.append((where, message, "schema.x-keyword", None))
    unique: dict[tuple[Any, ...], SchemaProblem] = {}
    for problem in found:
        unique.setdefault((problem[0], problem[1]), problem)
    return list(unique.values())


_SUBSCHEMA_KEYWORDS = ("additionalProperties", "items")
_KNOWN = sorted(CHECKED_KEYWORDS | ANNOTATIONS | PROJECT_KEYWORDS)


def _json_depth(value: Any) -> int:
    """How deep JSON data nests (counted without recursion, whatever the depth)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _walk(schema: Any, where: Where, found: list[SchemaProblem], depth: int = 0) -> None:
    if isinstance(schema, bool) or not isinstance(schema, dict):
        if not isinstance(schema, bool):
            found.append((where, "须是 JSON 对象或 true/false", "schema.metaschema", None))
        return
    if depth > MAX_SCHEMA_DEPTH:
        message = f"子结构 (properties、items、additionalProperties) 嵌套超过 {MAX_SCHEMA_DEPTH} 层"
        found.append((where, message, "schema.too-deep", None))
        return
    top = not where
    for key, value in schema.items():
        at = (*where, key)
        if key in CHECKED_KEYWORDS:
            _value_problems(key, value, at, found)
        elif key in ("$schema", "$id"):
            if not top:
                found.append((at, f"{key} 只能写在记录结构的顶层", "schema.unsupported", None))
            elif key == "$schema" and value != DIALECT:
                message = f"记录结构须按 JSON Schema 2020-12 书写 ($schema 应为 {DIALECT})"
                found.append((at, message, "schema.unsupported", None))
        elif key in ANNOTATIONS:
            pass
        elif key in PROJECT_KEYWORDS:
            _project_keyword(key, value, at, found)
        elif key == "$ref":
            local = isinstance(value, str) and value.startswith("#")
            message = (
                "记录检查不能跟随 $ref, 请把所引用的结构直接写在此处"
                if local
                else "$ref 只能引用本文件内的定义 (以 # 开头); 记录检查不读取其他文件或网址"
            )
            found.append((at, message, "schema.ref", None))
        elif key in JSON_SCHEMA_KEYWORDS:
            message = f"记录结构不支持关键字 {key}"
            hint = "可用的关键字: " + ", ".join(sorted(CHECKED_KEYWORDS))
            found.append((at, message, "schema.unsupported", hint))
        else:
            close = difflib.get_close_matches(str(key), _KNOWN, n=2, cutoff=0.6)
            guess = "是否要写: " + ", ".join(close) if close else None
            found.append((at, f"未知的关键字 {key!r}", "schema.unknown-keyword", guess))
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            _walk(sub, (*where, "properties", name), found, depth + 1)
    for key in _SUBSCHEMA_KEYWORDS:
        if key in schema:
            _walk(schema[key], (*where, key), found, depth + 1)


def _value_problems(key: str, value: Any, at: Where, found: list[SchemaProblem]) -> None:
    if key == "format" and value != "date":
        message = f"记录结构只支持 format: date, 不支持 {value!r}"
        found.append((at, message, "schema.unsupported", None))
    elif key == "pattern" and isinstance(value, str):
        try:
            ecma_pattern(value)
        except PatternError as exc:
            found.append((at, f"正则 {value!r} 不能使用: {exc}", "schema.pattern", None))
    elif key in _NUMBERED:
        _number_problems(value, at, found)


_NUMBERED = frozenset(
    {"enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    | {"minLength", "maxLength", "minItems", "maxItems"}
)
"""The keywords whose values hold numbers."""


def _number_problems(value: Any, at: Where, found: list[SchemaProblem]) -> None:
    """A number in a schema obeys the limits of a number in a record (so that no check ever
    computes with ``1E-999999999``)."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            _number_problems(v, (*at, i), found)
    elif isinstance(value, dict):
        for k, v in value.items():
            _number_problems(v, (*at, k), found)
    elif (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and not number_fits(value)
    ):
        found.append((at, f"{OUT_OF_RANGE}, 实际是 {value}", "schema.number", None))


def _project_keyword(key: str, value: Any, at: Where, found: list[SchemaProblem]) -> None:
    where = at[:-1]
    if not isinstance(value, str):
        found.append((at, f"{key} 的值须是文本", "schema.x-keyword", None))
    if key in TOP_LEVEL_KEYWORDS and where:
        found.append((at, f"{key} 只能写在记录结构的顶层", "schema.x-keyword", None))
    member_items = len(where) == 3 and where[0] == "properties" and where[2] == "items"
    if key == "x-id-field" and where and not member_items:
        message = f"{key} 只能写在记录结构的顶层或列表字段的 items 上"
        found.append((at, message, "schema.x-keyword", None))


def _codelist_places(props: Mapping[str, Any]) -> set[Where]:
    """Where an ``x-codelist`` is applied (the places of :func:`_subfields`)."""
    places: set[Where] = set()
    for field, prop in props.items():
        for sub, sprop in subfields(prop):
            at: Where = ("properties", field)
            if sub is not None:
                at = (*at, "items", "properties", sub)
            places.add(at)
            if json_type(sprop) == "array":
                places.add((*at, "items"))
    return places


def _codelist_uses(schema: Any, where: Where) -> Iterator[Where]:
    if not isinstance(schema, dict):
        return
    if "x-codelist" in schema:
        yield where
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            yield from _codelist_uses(sub, (*where, "properties", name))
    for key in _SUBSCHEMA_KEYWORDS:
        if key in schema:
            yield from _codelist_uses(schema[key], (*where, key))


_TYPE_NAMES = {
    "string": "文本",
    "number": "数值",
    "integer": "整数",
    "boolean": "true 或 false",
    "array": "列表",
    "object": "对象",
    "null": "null",
}


def _meta_message(error: jsonschema.ValidationError) -> str:
    """A metaschema error in plain words: what the value should be, and what it is."""
    shown = json.dumps(error.instance, ensure_ascii=False, default=str)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    kind, want = error.validator, error.validator_value
    if kind == "type":
        wants = want if isinstance(want, list) else [want]
        detail = f"应为{'或'.join(_TYPE_NAMES.get(str(w), str(w)) for w in wants)}, 实际是 {shown}"
    elif kind in ("anyOf", "oneOf", "enum"):
        detail = f"{shown} 不是允许的写法"
        if error.absolute_path and error.absolute_path[-1] == "type":
            detail += " (可用的类型: " + "、".join(_TYPE_NAMES) + ")"
    elif kind == "minimum":
        detail = f"不能小于 {want}, 实际是 {shown}"
    elif kind == "exclusiveMinimum":
        detail = f"须大于 {want}, 实际是 {shown}"
    elif kind == "uniqueItems":
        detail = f"列表中有重复项: {shown}"
    elif kind == "minItems":
        detail = f"至少要有 {want} 项"
    else:
        detail = f"{shown} 不符合要求 ({kind})"
    return f"{detail} (JSON Schema 2020-12 不允许这样写)"
