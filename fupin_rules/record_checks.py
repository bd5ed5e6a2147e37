"""Generated checks of records against their JSON Schema, and normalising a record.

jsonschema is the reference: it decides and explains. The functions here are faster ways to
reach the same answers for the common cases, generated from the schema with fixed code shapes
(every schema value a named constant of the generated function, never source text):

* :func:`compile_plain`: one pass that checks a valid, normal record and copies it;
* :func:`compile_acceptor`: vouches only for records jsonschema would accept;
* :func:`explaining_parts`: the top level and each property apart, so that jsonschema explains
  an invalid record by walking only the properties the generated checks reject.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import jsonschema

from .codelists import CodeList

__all__ = [
    "Check",
    "compile_acceptor",
    "compile_plain",
    "compile_plain_value",
    "explaining_parts",
    "normalise",
]


_PLAIN = frozenset({str, int, bool, type(None), Decimal})


def normalise(value: Any) -> Any:
    """A deep copy with floats made exact decimals (the caller's record is never changed)."""
    t = type(value)
    if t is dict:
        return {k: v if type(v) in _PLAIN else normalise(v) for k, v in value.items()}
    if t is list:
        return [v if type(v) in _PLAIN else normalise(v) for v in value]
    return _normalise_any(value)


def _normalise_any(value: Any) -> Any:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


_TOP_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties"})


def explaining_parts(schema: Mapping[str, Any]) -> tuple[Any, dict[str, tuple[Any, Check]]] | None:
    """The top level of ``schema`` (its properties accepting anything) as a validator of its
    own, and each property's schema with a fast check; None where that split would not give
    jsonschema's errors exactly (other top-level keywords, a property without a fast check)."""
    keywords = {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-")}
    props = schema.get("properties")
    if not keywords <= _TOP_KEYWORDS or not isinstance(props, dict):
        return None
    parts: dict[str, tuple[Any, Check]] = {}
    for name, sub in props.items():
        accept = compile_acceptor(sub)
        if accept is None:
            return None
        parts[str(name)] = (sub, accept)
    top = {**schema, "properties": dict.fromkeys(props, True)}
    validator = jsonschema.Draft202012Validator(
        top, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return validator, parts


_ANNOTATIONS = frozenset(
    {"title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated"}
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
Check = Callable[[Any], bool]


class _Unsupported(Exception):
    pass


_DATES_SEEN: set[str] = set()
"""Texts already found to be dates (a population has a few tens of thousands of birth dates)."""


def _is_date(value: str) -> bool:
    # As jsonschema's "date" format checker: the pattern, then a real calendar date.
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


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
    "number": (int, float, Decimal),
}


class _Source:
    """Python source of an acceptor, generated from a schema of the covered keywords.

    Only fixed code shapes are written; every value taken from the schema (property names,
    bounds, enum options, patterns, type sets) is passed in as a constant of the function's
    namespace, never written into the source, so a schema cannot inject code.
    """

    def __init__(self, codelists: Mapping[str, CodeList] | None = None) -> None:
        self.constants: dict[str, Any] = {}
        self.lines: list[str] = []
        self.names = 0
        self.codelists = codelists
        """Set for a *plain* checker: one that also refuses whatever normalising would change
        (floats, code labels, integral decimals, containers it cannot copy) and returns a copy."""
        self.fail = "return False" if codelists is None else "return None"
        self.copies: list[str] = []

    def const(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def check(self, schema: Any, var: str, indent: int) -> None:
        """Lines that ``return False`` where ``var`` breaks ``schema``."""
        pad = " " * indent
        plain = self.codelists is not None
        if schema is True or schema == {}:
            if plain:  # anything goes, but a plain record holds only plain values here
                self.lines.append(f"{pad}if not _plain_value({var}): {self.fail}")
            return
        if not isinstance(schema, dict):
            raise _Unsupported("schema")
        if plain:
            self._plain_shape(schema)
        for key, value in schema.items():
            if key == "x-codelist" and self.codelists is not None:
                if value not in self.codelists:
                    raise _Unsupported(key)
                codes = self.const(frozenset(self.codelists[value].codes))
                self.lines.append(
                    f"{pad}if type({var}) is str and {var} not in {codes}: {self.fail}"
                )
                continue
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "type":
                self._type(value if isinstance(value, list) else [value], var, pad)
            elif key in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
                if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                    raise _Unsupported(key)
                op = {
                    "minimum": "<",
                    "maximum": ">",
                    "exclusiveMinimum": "<=",
                    "exclusiveMaximum": ">=",
                }[key]
                limit = self.const(value)
                self.lines.append(
                    f"{pad}if type({var}) in _NUM and {var} {op} {limit}: {self.fail}"
                )
            elif key in {"minLength", "maxLength", "minItems", "maxItems"}:
                kind = "str" if key.endswith("Length") else "list"
                op = "<" if key.startswith("min") else ">"
                n = self.const(int(value))
                self.lines.append(
                    f"{pad}if type({var}) is {kind} and len({var}) {op} {n}: {self.fail}"
                )
            elif key == "pattern":
                rx = self.const(re.compile(value))
                self.lines.append(
                    f"{pad}if type({var}) is str and {rx}.search({var}) is None: {self.fail}"
                )
            elif key == "format":
                if value != "date":
                    raise _Unsupported(value)
                self.lines.append(
                    f"{pad}if type({var}) is str and not _is_date({var}): {self.fail}"
                )
            elif key == "enum":
                if not isinstance(value, list) or not all(
                    isinstance(e, str) or e is None for e in value
                ):
                    raise _Unsupported("enum")
                options = self.const(frozenset(e for e in value if e is not None))
                nullable = None in value
                self.lines.append(
                    f"{pad}if not (({var} is None and {nullable}) or"
                    f" (type({var}) is str and {var} in {options})): {self.fail}"
                )
            elif key == "required":
                for name in value:
                    k = self.const(str(name))
                    self.lines.append(
                        f"{pad}if type({var}) is dict and {k} not in {var}: {self.fail}"
                    )
            elif key == "items":
                item = self.var()
                body = self._nested(value, item, indent + 8)
                if body:
                    self.lines.append(f"{pad}if type({var}) is list:")
                    self.lines.append(f"{pad}    for {item} in {var}:")
                    self.lines.extend(body)
            elif key == "properties":
                self._properties(value, schema.get("additionalProperties", True), var, indent)
            elif key == "additionalProperties":
                if "properties" not in schema and value is not True:
                    raise _Unsupported(key)
            else:
                raise _Unsupported(key)

    def _plain_shape(self, schema: Mapping[str, Any]) -> None:
        # A plain checker vouches for every value it lets through: each needs a type, and a
        # container needs a schema for its contents.
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if schema.get("type") is None:
            raise _Unsupported("untyped")
        if "array" in kinds and "items" not in schema:
            raise _Unsupported("array without items")
        if "object" in kinds and "properties" not in schema:
            raise _Unsupported("object without properties")
        additional = schema.get("additionalProperties", True)
        if not isinstance(additional, bool):
            raise _Unsupported("additionalProperties")

    def _nested(self, schema: Any, var: str, indent: int) -> list[str]:
        saved, self.lines = self.lines, []
        try:
            self.check(schema, var, indent)
            return self.lines
        finally:
            self.lines = saved

    def _type(self, kinds: list[str], var: str, pad: str) -> None:
        # The draft 2020-12 type semantics of jsonschema's default type checker, on exact
        # types (an unusual subclass is not vouched for and goes to jsonschema).
        exact: set[type] = set()
        integer = False
        for kind in kinds:
            if kind == "integer":
                integer = True
            elif kind in _PY_TYPES:
                exact.update(_PY_TYPES[kind])
            else:
                raise _Unsupported(kind)
        if self.codelists is not None:
            # Plain: a float would be made a decimal, an integral decimal of an integer
            # field an int; such records take the normalising path.
            exact.discard(float)
            if integer:
                exact.add(int)
            allowed = self.const(frozenset(exact))
            self.lines.append(f"{pad}if type({var}) not in {allowed}: {self.fail}")
        elif integer and float not in exact:
            allowed = self.const(frozenset(exact | {int}))
            self.lines.append(
                f"{pad}if not (type({var}) in {allowed} or"
                f" (type({var}) is float and {var}.is_integer())): {self.fail}"
            )
        else:
            allowed = self.const(frozenset(exact))
            self.lines.append(f"{pad}if type({var}) not in {allowed}: {self.fail}")
        if Decimal in exact:
            # A NaN or infinite decimal is not vouched for (nor compared with a bound, which
            # would raise): the full path reports it.
            self.lines.append(
                f"{pad}if type({var}) is _Decimal and not {var}.is_finite(): {self.fail}"
            )

    def _properties(self, props: Mapping[str, Any], additional: Any, var: str, indent: int) -> None:
        pad = " " * indent
        block: list[str] = []
        for name, sub in props.items():
            value = self.var()
            body = self._nested(sub, value, indent + 8)
            if body:
                k = self.const(str(name))
                if _nullable(sub):
                    # Every check passes None, so absent and null are skipped alike.
                    block.append(f"{pad}    {value} = {var}.get({k})")
                    block.append(f"{pad}    if {value} is not None:")
                else:
                    block.append(f"{pad}    if {k} in {var}:")
                    block.append(f"{pad}        {value} = {var}[{k}]")
                block.extend(body)
        if additional is True and self.codelists is not None:
            known = self.const(frozenset(str(n) for n in props))
            key = self.var()
            block.append(f"{pad}    if not ({var}.keys() <= {known}):")
            block.append(f"{pad}        for {key} in {var}.keys() - {known}:")
            block.append(f"{pad}            if not _plain_value({var}[{key}]): {self.fail}")
        if additional is not True:
            known = self.const(frozenset(str(n) for n in props))
            key, value = self.var(), self.var()
            block.append(f"{pad}    for {key}, {value} in {var}.items():")
            if additional is False:
                block.append(f"{pad}        if {key} not in {known}: {self.fail}")
            else:
                body = self._nested(additional, value, indent + 12)
                if body:
                    block.append(f"{pad}        if {key} not in {known}:")
                    block.extend(body)
        if block:
            self.lines.append(f"{pad}if isinstance({var}, dict):")
            self.lines.extend(block)


def _nullable(schema: Any) -> bool:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    return isinstance(kinds, list) and "null" in kinds


def _scalar(schema: Any) -> bool:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return kinds != [None] and not ({"array", "object"} & set(kinds))


def _copy_lines(schema: Mapping[str, Any], source: _Source) -> list[str]:
    """Lines that copy a plain record into ``out``: a fresh top-level dict, fresh containers
    (plain values are immutable), so the caller's record is never shared or changed."""
    lines = ["    out = dict(v0)"]
    for name, sub in schema.get("properties", {}).items():
        if _scalar(sub):
            continue
        k = source.const(str(name))
        items = sub.get("items") if isinstance(sub, dict) else None
        kinds = sub.get("type") if isinstance(sub, dict) else None
        kinds = set(kinds if isinstance(kinds, list) else [kinds]) - {"null"}
        if kinds == {"array"} and _scalar(items):
            copy = "x[:]"
        elif (
            kinds == {"array"}
            and isinstance(items, dict)
            and items.get("type") == "object"
            and all(_scalar(p) for p in items.get("properties", {}).values())
        ):
            copy = "[dict(i) for i in x]"
        else:
            copy = "_deep(x)"
        lines.append(f"    x = v0.get({k})")
        lines.append(f"    if x is not None: out[{k}] = {copy}")
    lines.append("    return out")
    return lines


def _plain_value(value: Any) -> bool:
    """An immutable value normalising leaves as it is (a finite decimal, text, ...)."""
    t = type(value)
    return t in _PLAIN and (t is not Decimal or value.is_finite())


_GENERATED_RUNTIME: dict[str, Any] = {
    "__builtins__": {},
    "type": type,
    "len": len,
    "isinstance": isinstance,
    "dict": dict,
    "list": list,
    "str": str,
    "float": float,
    "_is_date": _is_date,
}


def _define(name: str, lines: list[str], source: _Source, label: str, **names: Any) -> Any:
    """Compile the generated function ``name`` of ``lines`` with the runtime, ``names`` and
    the schema's values as named constants; return it."""
    namespace: dict[str, Any] = {**_GENERATED_RUNTIME, **names, **source.constants}
    text = "\n".join(lines) + "\n"
    exec(compile(text, f"<fupin-rules {label}>", "exec"), namespace)  # noqa: S102 - fixed shapes, constants passed by name
    return namespace[name]


def _compile(schema: Any) -> Check:
    source = _Source()
    source.check(schema, "v0", 4)
    lines = ["def _accept(v0):", *source.lines, "    return True"]
    accept: Check = _define(
        "_accept",
        lines,
        source,
        "record acceptor",
        _NUM=frozenset({int, float, Decimal}),
        _Decimal=Decimal,
    )
    return accept


_PLAIN_RUNTIME: dict[str, Any] = {
    "_NUM": frozenset({int, Decimal}),
    "_plain_value": _plain_value,
    "_deep": normalise,
    "_Decimal": Decimal,
}
"""What the generated plain checks call, besides ``_GENERATED_RUNTIME``."""


def compile_plain(
    schema: Any, codelists: Mapping[str, CodeList]
) -> Callable[[Any], dict[str, Any] | None] | None:
    """A checker for the common case, a record that is already valid and normal: it returns a
    copy of the record, exactly what :meth:`RecordSchema.check` would return, or None for "take
    the full path" (a float, a code label, an integral decimal in an integer field, a record
    jsonschema might reject). None if the schema is outside what it covers."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    source = _Source(codelists)
    try:
        source.check(schema, "v0", 4)
    except (_Unsupported, re.error, TypeError, ValueError):
        return None
    lines = [
        "def _plain(v0):",
        "    if type(v0) is not dict: return None",
        *source.lines,
        *_copy_lines(schema, source),
    ]
    plain: Callable[[Any], dict[str, Any] | None] = _define(
        "_plain", lines, source, "plain record check", **_PLAIN_RUNTIME
    )
    return plain


def compile_plain_value(
    schema: Any, codelists: Mapping[str, CodeList]
) -> Callable[[Any], bool | None] | None:
    """The plain check of one value against one property's ``schema``: True where the value
    is valid and normal, as :func:`compile_plain` checks it inside a record; None otherwise.
    None if the schema is outside what the plain check covers. (Used to vouch for whole
    columns at once, one distinct value at a time: :mod:`fupin_rules.arrow`.)"""
    source = _Source(codelists)
    try:
        source.check(schema, "v0", 4)
    except (_Unsupported, re.error, TypeError, ValueError):
        return None
    lines = ["def _plain_value_check(v0):", *source.lines, "    return True"]
    check: Callable[[Any], bool | None] = _define(
        "_plain_value_check", lines, source, "plain value check", **_PLAIN_RUNTIME
    )
    return check


def compile_acceptor(schema: Any) -> Callable[[Any], bool] | None:
    """A fast, sound check of ``schema``: True means jsonschema finds no error; False means
    "ask jsonschema" (which then explains). None if the schema uses keywords it does not cover.

    Covers the keywords of the record schemas (type, bounds, lengths, pattern, the ``date``
    format, string enums, required, properties, additionalProperties, items); annotations and
    ``x-`` extensions are ignored, as jsonschema ignores them.
    """
    try:
        return _compile(schema)
    except (_Unsupported, re.error, TypeError, ValueError):
        return None
