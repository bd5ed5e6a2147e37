"""A JSON line read and checked in one pass (msgspec, the optional extra ``fast``).

:func:`compile_line_reader` turns a record schema into a msgspec decoder of a ``TypedDict``
generated from it at load time, and a plain check (:func:`.record_checks.compile_plain_value`)
of what msgspec cannot say exactly. The reader vouches for a line only where the reference
(:func:`fupin_rules.io.jsonl.parse_json_record`, then :meth:`RecordSchema.check
<fupin_rules.records.RecordSchema.check>`) accepts it and gives the very same record: the same
keys in the same order, the same values of the same types. For any other line it answers None
and the reference reads the line, so values and reasons stay the reference's.

What msgspec checks while it parses: the types (a boolean is not an integer, an integral
decimal is not an integer), text lengths, patterns (the ECMA-262 translation of
:mod:`.record_patterns`, compiled by ``re`` and matched with ``search``, as the reference
does), code lists and text enums (``Literal``: a code label is not a code, the reference
path normalises it), integer bounds (within int64: a larger integer goes to the reference),
array lengths, required keys. What the plain check does after it, with the reference's own
generated code: numbers that may hold a decimal (``number_fits`` and their bounds: msgspec
has no bounds on decimals, and would take ``"1.5"`` as one), ``format: date``
(:func:`.record_keywords.is_date`), and any other keyword.

What the decoder cannot see: it keeps the last of repeated keys and drops keys its type does
not name, where the reference refuses the line and keeps unknown keys. So the line's colons
are counted: in a text without a backslash each colon is a key's or stands inside a string,
and the decoded record's keys are counted at the levels the type has objects. Equal counts
mean no key repeated or dropped and no colon in a string. Otherwise the line is parsed again
untyped and counted the same way (or as :func:`~fupin_rules.io.jsonl.parse_json_record`
counts, when a string holds a colon), and each unknown key's value must be one the plain
check lets by (:func:`.record_checks.plain_value`); the record is then the untyped one.

Without msgspec, or for a schema outside these shapes (an object property, an array of
objects that cannot be typed, ``additionalProperties`` other than true), there is no reader
and every line takes the reference path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, Required, TypedDict

import attrs

from .codelists import CodeList
from .record_checks import compile_plain_value, plain_value
from .record_keywords import ANNOTATIONS, PROJECT_KEYWORDS
from .record_patterns import python_source
from .record_source import REFUSED, Unsupported

__all__ = ["LineReader", "compile_line_reader"]

msgspec: Any
try:
    import msgspec
except ImportError:  # pragma: no cover - exercised where msgspec is not installed
    msgspec = None


@attrs.frozen
class LineReader:
    """The one-pass reader of a schema's JSON lines."""

    read: Callable[[str], dict[str, Any] | None]
    """A line's record, checked (a fresh dict that nothing else holds), or None: "ask the
    reference"."""
    copy: Callable[[dict[str, Any]], dict[str, Any]]
    """A record :attr:`read` gave, copied as the plain check copies (a new dict, new lists
    and item objects; values are immutable)."""


_INT64 = (-(2**63), 2**63 - 1)
"""msgspec bounds integers within int64 only: a larger one is left to the reference."""
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
_BOUNDS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}
_ARRAY_KEYWORDS = frozenset({"type", "items", "minItems", "maxItems"})
_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})
_TYPED_DICT: Any = TypedDict  # made at run time from the schema (mypy wants literal fields)


def compile_line_reader(schema: Any, codelists: Mapping[str, CodeList]) -> LineReader | None:
    """The one-pass reader of JSON lines for the object ``schema`` (see the module's notes),
    or None where msgspec is not installed or the schema is outside what it covers."""
    if msgspec is None or not isinstance(schema, dict):
        return None
    try:
        typed, rest, known = _object(schema, codelists, "Record")
        arrays = tuple(name for name in known if name is not None)
        post = compile_plain_value(rest, codelists, others=False)
        decoder = msgspec.json.Decoder(typed, float_hook=Decimal)  # may refuse the type
    except REFUSED:
        return None
    if post is None:
        return None
    lists = tuple(str(k) for k, sub in schema.get("properties", {}).items() if _lists(sub))
    return LineReader(_reader(decoder, post, known, arrays), _copier(lists, frozenset(arrays)))


def _lists(schema: Any) -> bool:
    """Whether a property's schema may let a list by."""
    return not isinstance(schema, dict) or "type" not in schema or "array" in _kinds(schema)


def _copier(
    lists: tuple[str, ...], objects: frozenset[str]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def copy(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        for name in lists:
            items = out.get(name)
            if type(items) is list:
                out[name] = [dict(i) for i in items] if name in objects else items[:]
        return out

    return copy


def _object(
    schema: Any, codelists: Mapping[str, CodeList], name: str, *, top: bool = True
) -> tuple[Any, dict[str, Any], dict[str | None, frozenset[str]]]:
    """An object schema as (its ``TypedDict``, the schema left to the plain check, the names
    of the properties at each object level: None the top, else the array property whose
    items are objects)."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise Unsupported("object")
    if not _only(schema, _OBJECT_KEYWORDS) or schema.get("additionalProperties", True) is not True:
        raise Unsupported("object keywords")
    props = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if not isinstance(props, dict) or not required <= set(props):
        raise Unsupported("properties")
    fields: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    known: dict[str | None, frozenset[str]] = {None: frozenset(map(str, props))}
    for key, sub in props.items():
        if not isinstance(sub, dict):
            raise Unsupported("property")
        kind, left = _property(sub, codelists, f"{name}_{len(fields)}", top=top)
        if kind is _OBJECTS:
            kind, left, items_known = left
            known[str(key)] = items_known
        fields[str(key)] = Required[kind] if key in required else kind
        if left is not None:
            rest[str(key)] = left
    typed = _TYPED_DICT(name, fields, total=False)
    return typed, {"type": "object", "properties": rest}, known


_OBJECTS = object()
"""Marks an array of objects in :func:`_property`'s answer."""


def _property(
    sub: dict[str, Any], codelists: Mapping[str, CodeList], name: str, *, top: bool
) -> tuple[Any, Any]:
    """A property as (its msgspec type, the schema the plain check still applies or None); an
    array of objects as (``_OBJECTS``, (type, the schema left, the items' property names))."""
    kinds = sub.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds]
    items = sub.get("items")
    if isinstance(items, dict) and "object" in _kinds(items):
        # Objects are typed or not read here: the plain check after msgspec does not look at
        # keys its properties do not name, so only a typed object has them counted.
        if not top or not _only(sub, _ARRAY_KEYWORDS) or set(listed) - {"array", "null"}:
            raise Unsupported("array of objects")
        meta = _meta(sub, {"minItems": "min_length", "maxItems": "max_length"})
        item, left, known = _object(items, codelists, name, top=False)
        kind = _nullable(_annotated(list[item], meta), listed)  # type: ignore[valid-type]
        rest = {"type": kinds, "items": left} if left["properties"] else None
        return _OBJECTS, (kind, rest, known[None])
    if _objects(sub):
        raise Unsupported("object property")
    if "array" in listed:
        if not _only(sub, _ARRAY_KEYWORDS) or set(listed) - {"array", "null"}:
            return Any, sub
        meta = _meta(sub, {"minItems": "min_length", "maxItems": "max_length"})
        scalar = _scalar(items, codelists) if isinstance(items, dict) else None
        if scalar is None:
            return Any, sub
        return _nullable(_annotated(list[scalar], meta), listed), None  # type: ignore[valid-type]
    scalar = _scalar(sub, codelists)
    return (Any, sub) if scalar is None else (scalar, None)


def _kinds(schema: Mapping[str, Any]) -> list[Any]:
    kinds = schema.get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def _objects(schema: Any) -> bool:
    """Whether ``schema`` lets an object by anywhere in it (or might: a schema without a type,
    below the top of a property, is left to the plain check only where it holds no object)."""
    if isinstance(schema, list):
        return any(_objects(s) for s in schema)
    if not isinstance(schema, dict):
        return False
    if "object" in _kinds(schema) or "properties" in schema or "additionalProperties" in schema:
        return True
    return any(_objects(v) for k, v in schema.items() if k not in ANNOTATIONS and k != "enum")


def _scalar(schema: dict[str, Any], codelists: Mapping[str, CodeList]) -> Any:
    """The msgspec type that accepts exactly what the plain check accepts of a scalar
    ``schema`` (text, an integer, a boolean, null), or None to leave it to the plain check."""
    kinds = schema.get("type")
    listed = kinds if isinstance(kinds, list) else [kinds]
    if not listed or not set(listed) <= {"null", "boolean", "string", "integer"}:
        return None
    asks = {k for k in schema if k not in ANNOTATIONS and k not in PROJECT_KEYWORDS}
    asks.discard("type")
    codelist = schema.get("x-codelist")
    if codelist is not None or "enum" in schema:
        # Only text is among the options: the type may add null, nothing else.
        if asks - {"enum"} or set(listed) - {"string", "null"}:
            return None
        if codelist is not None:
            if "enum" in schema or codelist not in codelists:
                return None
            options = sorted(codelists[codelist].codes)
            if not all(type(code) is str for code in options):
                return None
            nullable = "null" in listed
        else:
            enum = schema["enum"]
            if not isinstance(enum, list) or not all(type(e) is str or e is None for e in enum):
                return None
            options = sorted({e for e in enum if e is not None})
            nullable = "null" in listed and None in enum
        if not options:
            return type(None) if nullable else None
        coded: Any = Literal.__getitem__(tuple(options))
        return coded | None if nullable else coded
    if asks - _STRING_KEYWORDS - set(_BOUNDS):
        return None  # format, multipleOf, const ...: the plain check
    alternatives: list[Any] = []
    for kind in listed:
        if kind == "null":
            alternatives.append(type(None))
        elif kind == "boolean":
            alternatives.append(bool)
        elif kind == "string":
            text = {"minLength": "min_length", "maxLength": "max_length"}
            meta = _meta(schema, text)
            if "pattern" in schema:
                meta["pattern"] = "(?a)" + python_source(schema["pattern"])
            alternatives.append(_annotated(str, meta))
        else:
            bounds = _int_bounds(schema)
            if bounds is None:
                return None
            alternatives.append(Annotated[int, msgspec.Meta(**bounds)])
    union: Any = alternatives[0]
    for other in alternatives[1:]:
        union = union | other
    return union


def _int_bounds(schema: Mapping[str, Any]) -> dict[str, int] | None:
    """msgspec's bounds of an integer: the schema's, or int64's where the schema's lie beyond
    them (stricter: a larger integer is left to the reference); None: a bound that is not an
    integer, or more than one on a side (left to the plain check)."""
    lower = [
        (name, schema[key]) for key, name in _BOUNDS.items() if key in schema and name[0] == "g"
    ]
    upper = [
        (name, schema[key]) for key, name in _BOUNDS.items() if key in schema and name[0] == "l"
    ]
    if len(lower) > 1 or len(upper) > 1 or any(type(v) is not int for _, v in lower + upper):
        return None
    out = {"ge": _INT64[0], "le": _INT64[1]}
    if lower and lower[0][1] >= _INT64[0]:
        del out["ge"]
        out[lower[0][0]] = lower[0][1]
    if upper and upper[0][1] <= _INT64[1]:
        del out["le"]
        out[upper[0][0]] = upper[0][1]
    return out


def _meta(schema: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name in names.items():
        if key in schema:
            if type(schema[key]) is not int:
                raise Unsupported(key)
            out[name] = schema[key]
    return out


def _annotated(kind: Any, meta: dict[str, Any]) -> Any:
    return Annotated[kind, msgspec.Meta(**meta)] if meta else kind


def _nullable(kind: Any, listed: list[Any]) -> Any:
    return kind | None if "null" in listed else kind


def _only(schema: Mapping[str, Any], allowed: frozenset[str]) -> bool:
    return all(
        k in allowed or k in ANNOTATIONS or (k in PROJECT_KEYWORDS and k != "x-codelist")
        for k in schema
    )


def _reader(
    decoder: Any,
    post: Callable[[Any], bool | None],
    known: Mapping[str | None, frozenset[str]],
    arrays: tuple[str, ...],
) -> Callable[[str], dict[str, Any] | None]:
    untyped = msgspec.json.Decoder(float_hook=Decimal)
    encode = msgspec.json.Encoder().encode
    top = known[None]

    def keys(record: dict[str, Any]) -> int:
        n = len(record)
        for name in arrays:
            items = record.get(name)
            if type(items) is list:
                for item in items:
                    if type(item) is dict:
                        n += len(item)
        return n

    def others(text: str, typed: dict[str, Any], colons: int) -> dict[str, Any] | None:
        try:
            record = untyped.decode(text)
        except Exception:  # noqa: BLE001 - the reference parser gives the reason
            return None
        if type(record) is not dict:
            return None
        if colons != keys(record) and colons != encode(record).count(b":"):
            return None  # a repeated key (or an object the typed decoder has not counted)
        # No key repeats: the typed record holds each known key the line has, the same value.
        if len(record) != len(typed):
            for key in record.keys() - top:
                if not plain_value(record[key]):
                    return None
        for name in arrays:
            items = record.get(name)
            if type(items) is list:
                names = known[name]
                for item, checked in zip(items, typed[name], strict=True):
                    if len(item) != len(checked):
                        for key in item.keys() - names:
                            if not plain_value(item[key]):
                                return None
        return record

    def read(text: str) -> dict[str, Any] | None:
        if "\\" in text:
            return None  # an escape: the colon count does not hold; the reference reads it
        try:
            record: dict[str, Any] = decoder.decode(text)
        except Exception:  # noqa: BLE001 - the reference gives the value or the reasons
            return None
        colons = text.count(":")
        if colons != keys(record):
            found = others(text, record, colons)
            if found is None:
                return None
            record = found
        return record if post(record) else None

    return read
