"""Generated checks of records against their JSON Schema, and normalising a record.

The reference that decides and explains is :func:`fupin_rules.record_keywords.record_validator`.
The functions here are faster ways to reach the same answers, generated from the schema with
fixed code shapes (every schema value a named constant of the generated function, never source
text):

* :func:`compile_plain`: one pass that checks a valid, normal record and copies it;
* :func:`compile_acceptor`: vouches only for records the reference accepts;
* :func:`explaining_parts`: the top level and each property apart, so that the reference
  explains an invalid record by walking only the properties the generated checks reject.

None of them computes with a number outside :func:`~fupin_rules.record_keywords.number_fits`,
and the plain check vouches for no record holding one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ._frozen import freeze
from .codelists import CodeList
from .record_keywords import (
    ANNOTATIONS,
    MAX_MAGNITUDE,
    PROJECT_KEYWORDS,
    is_date,
    is_multiple,
    number_fits,
    record_validator,
    reference_schema,
)
from .record_patterns import PatternError, ecma_pattern

__all__ = [
    "Check",
    "Parts",
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


Check = Callable[[Any], bool]


class _Unsupported(Exception):
    pass


# --------------------------------------------------------------------------- explaining


def explaining_parts(schema: Mapping[str, Any]) -> tuple[Check | None, Parts]:
    """The acceptor of an object ``schema`` (as :func:`compile_acceptor`) and the parts that
    explain a record it does not vouch for: the top level as a validator of its own (its
    properties accepting anything, a schema of additional properties left out), each
    property's schema with its fast check, and the additional properties' schema with one
    (None if it is true or false). Validating the parts gives the reference's errors exactly,
    one property at a time. One ``compile`` makes the checks of the properties and the
    acceptor, which calls them (loading stays fast)."""
    props: Mapping[str, Any] = schema.get("properties", {})
    additional = schema.get("additionalProperties", True)
    subs: dict[str | None, Any] = {str(name): sub for name, sub in props.items()}
    if not isinstance(additional, bool):
        subs[None] = additional  # None: the additional properties (no property's name)
    functions = {key: f"_p{i}" for i, key in enumerate(subs)}
    source = _Source()
    lines: list[str] = []
    written = {key: _function(source, subs[key], functions[key], lines) for key in subs}
    whole = False
    if all(written.values()):
        source.calls = functions
        whole = _function(source, schema, "_accept", lines)
        source.calls = None
    namespace = _namespace(lines, source, "record acceptor", _NUM=frozenset({int, float, Decimal}))
    checks = {key: namespace[functions[key]] if written[key] else _never for key in subs}
    parts = {key: (reference_schema(sub), checks[key]) for key, sub in subs.items() if key}
    extra = (reference_schema(additional), checks[None]) if None in subs else None
    top = {k: v for k, v in schema.items() if k not in ("properties", "additionalProperties")}
    top["properties"] = dict.fromkeys(props, True)
    if isinstance(additional, bool):
        top["additionalProperties"] = additional
    accept: Check | None = namespace["_accept"] if whole else None
    return accept, (record_validator(top), freeze(parts), extra)


Parts = tuple[Any, Mapping[str, tuple[Any, Check]], tuple[Any, Check] | None]
"""What explains an invalid record: a validator of the top level, and per property (and for
additional properties) the schema and a fast check (see :func:`explaining_parts`)."""


def _function(source: _Source, schema: Any, name: str, lines: list[str]) -> bool:
    """Append the acceptor function ``name`` of ``schema`` to ``lines``; False if the schema
    is outside what the generated checks cover."""
    try:
        body = source._nested(schema, "v0", 4)
    except _REFUSED:
        return False
    lines.extend([f"def {name}(v0):", *body, "    return True"])
    return True


def _never(value: Any) -> bool:
    return False


# --------------------------------------------------------------------------- generated checks


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
    "number": (int, float, Decimal),
}
_JSON_TYPES = frozenset({str, bool, type(None), list, dict, int, float, Decimal})
_BOUND_OPS = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema's ``enum`` and ``const`` judge it: true is not 1, 1.0 is 1,
    lists and objects by their contents."""
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool or ta is str or tb is str or a is None or b is None:
        return ta is tb and a == b
    if ta is list and tb is list:
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict and tb is dict:
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if ta in _NUMBERS and tb in _NUMBERS:
        return bool(a == b)
    return False


_NUMBERS = frozenset({int, float, Decimal})


def _one_of(value: Any, options: tuple[Any, ...]) -> bool:
    return any(_json_equal(value, o) for o in options)


def _null_passes(schema: Any) -> bool:
    """Whether null passes ``schema`` (every keyword but type, enum and const lets it by)."""
    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    kinds = schema.get("type", "null")
    if "null" not in (kinds if isinstance(kinds, list) else [kinds]):
        return False
    if "enum" in schema and not any(o is None for o in schema["enum"]):
        return False
    return "const" not in schema or schema["const"] is None


class _Source:
    """Python source of an acceptor, generated from a schema of the covered keywords.

    Only fixed code shapes are written; every value taken from the schema (property names,
    bounds, enum options, patterns, type sets) is passed in as a constant of the function's
    namespace, never written into the source, so a schema cannot inject code.
    """

    def __init__(
        self,
        codelists: Mapping[str, CodeList] | None = None,
        calls: Mapping[str | None, str] | None = None,
    ) -> None:
        self.calls = calls
        """Functions already written for the top-level properties, by property name (None:
        the additional properties): the top level calls them instead of repeating them."""
        self.constants: dict[str, Any] = {}
        self.lines: list[str] = []
        self.names = 0
        self.codelists = codelists
        """Set for a *plain* checker: one that also refuses whatever normalising would change
        (floats, code labels, integral decimals, containers it cannot copy) and returns a copy."""
        self.fail = "return False" if codelists is None else "return None"

    def const(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def check(self, schema: Any, var: str, indent: int) -> None:
        """Lines that fail where ``var`` breaks ``schema``."""
        pad = " " * indent
        plain = self.codelists is not None
        if schema is True or (isinstance(schema, dict) and not _asks(schema)):
            if plain:  # anything goes, but a plain record holds only plain values here
                self.lines.append(f"{pad}if not _plain_value({var}): {self.fail}")
            return
        if schema is False:
            self.lines.append(f"{pad}{self.fail}")
            return
        if not isinstance(schema, dict):
            raise _Unsupported("schema")
        if plain:
            self._plain_shape(schema)
        kinds = schema.get("type")
        listed = kinds if isinstance(kinds, list) else [kinds]
        if kinds is None:
            # No type to hold the value to JSON's exact types: an unusual one (a subclass, a
            # tuple) goes to the reference, which the checks below might judge differently.
            self.lines.append(f"{pad}if type({var}) not in _JSON_TYPES: {self.fail}")
        if kinds is None or {"number", "integer"} & set(listed):
            # Numbers at the door: none outside number_fits is vouched for, or compared (the
            # plain check, on the hot path, compares an int inline).
            if plain:
                self.lines.append(f"{pad}if type({var}) is int:")
                self.lines.append(f"{pad}    if not _INT_LOW < {var} < _INT_HIGH: {self.fail}")
                self.lines.append(
                    f"{pad}elif type({var}) in _NUM and not _fits({var}): {self.fail}"
                )
            else:
                self.lines.append(f"{pad}if type({var}) in _NUM and not _fits({var}): {self.fail}")
        if kinds is not None:
            self._type([str(k) for k in listed], var, pad)
        for key, value in schema.items():
            self._keyword(schema, key, value, var, indent)

    def _keyword(
        self, schema: Mapping[str, Any], key: str, value: Any, var: str, indent: int
    ) -> None:
        pad = " " * indent
        if key == "x-codelist" and self.codelists is not None:
            if value not in self.codelists:
                raise _Unsupported(key)
            codes = self.const(frozenset(self.codelists[value].codes))
            self.lines.append(
                f"{pad}if {var} is not None and not (type({var}) is str and {var} in {codes}):"
                f" {self.fail}"
            )
        elif key in ANNOTATIONS or key in PROJECT_KEYWORDS or key == "type":
            pass
        elif key in _BOUND_OPS:
            if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                raise _Unsupported(key)
            limit = self.const(value)
            op = _BOUND_OPS[key]
            self.lines.append(f"{pad}if type({var}) in _NUM and {var} {op} {limit}: {self.fail}")
        elif key == "multipleOf":
            if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                raise _Unsupported(key)
            step = self.const(value)
            self.lines.append(
                f"{pad}if type({var}) in _NUM and not _multiple({var}, {step}): {self.fail}"
            )
        elif key in {"minLength", "maxLength", "minItems", "maxItems"}:
            kind = "str" if key.endswith("Length") else "list"
            op = "<" if key.startswith("min") else ">"
            n = self.const(int(value))
            self.lines.append(f"{pad}if type({var}) is {kind} and len({var}) {op} {n}: {self.fail}")
        elif key == "pattern":
            rx = self.const(ecma_pattern(value))
            self.lines.append(
                f"{pad}if type({var}) is str and {rx}.search({var}) is None: {self.fail}"
            )
        elif key == "format":
            if value != "date":
                raise _Unsupported(value)
            self.lines.append(f"{pad}if type({var}) is str and not _is_date({var}): {self.fail}")
        elif key == "enum":
            self._enum(value, var, pad)
        elif key == "const":
            option = self.const(value)
            self.lines.append(f"{pad}if not _json_equal({var}, {option}): {self.fail}")
        elif key == "required":
            for name in value:
                k = self.const(str(name))
                self.lines.append(f"{pad}if type({var}) is dict and {k} not in {var}: {self.fail}")
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
            if "properties" not in schema:
                self._properties({}, value, var, indent)
        else:
            raise _Unsupported(key)

    def _enum(self, value: Any, var: str, pad: str) -> None:
        if not isinstance(value, list):
            raise _Unsupported("enum")
        if all(isinstance(e, str) or e is None for e in value):
            options = self.const(frozenset(e for e in value if e is not None))
            nullable = None in value
            self.lines.append(
                f"{pad}if not (({var} is None and {nullable}) or"
                f" (type({var}) is str and {var} in {options})): {self.fail}"
            )
        else:
            options = self.const(tuple(value))
            self.lines.append(f"{pad}if not _one_of({var}, {options}): {self.fail}")

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
        # The draft 2020-12 type semantics of the reference, on exact types (an unusual
        # subclass is not vouched for and goes to the reference).
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
        elif integer and Decimal not in exact:
            allowed = self.const(frozenset(exact | {int}))
            self.lines.append(
                f"{pad}if not (type({var}) in {allowed} or"
                f" (type({var}) is float and {var}.is_integer()) or"
                f" (type({var}) is _Decimal and {var} == {var}.to_integral_value())):"
                f" {self.fail}"
            )
        else:
            allowed = self.const(frozenset(exact))
            self.lines.append(f"{pad}if type({var}) not in {allowed}: {self.fail}")

    def _properties(self, props: Mapping[str, Any], additional: Any, var: str, indent: int) -> None:
        pad = " " * indent
        block: list[str] = []
        calls, self.calls = self.calls, None  # only the top level's properties have them
        for name, sub in props.items():
            value = self.var()
            if calls is not None and str(name) in calls:
                body = [f"{pad}        if not {calls[str(name)]}({value}): {self.fail}"]
            else:
                body = self._nested(sub, value, indent + 8)
            if body:
                k = self.const(str(name))
                if _null_passes(sub):
                    # The schema lets null by, so absent and null are skipped alike.
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
                if calls is not None and None in calls:
                    body = [f"{pad}            if not {calls[None]}({value}): {self.fail}"]
                else:
                    body = self._nested(additional, value, indent + 12)
                if body:
                    block.append(f"{pad}        if {key} not in {known}:")
                    block.extend(body)
        if block:
            self.lines.append(f"{pad}if isinstance({var}, dict):")
            self.lines.extend(block)


def _asks(schema: Mapping[str, Any]) -> bool:
    """Whether a schema object checks anything (annotations and notes do not)."""
    return any(k not in ANNOTATIONS and k not in PROJECT_KEYWORDS for k in schema) or (
        "x-codelist" in schema
    )


def _scalar(schema: Any) -> bool:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return kinds != [None] and not ({"array", "object"} & set(kinds))


def _copy_lines(schema: Mapping[str, Any], source: _Source) -> list[str]:
    """Lines that copy a plain record into ``out``: a fresh top-level dict, fresh containers
    (plain values are immutable), so the caller's record is never shared or changed."""
    lines = ["    out = dict(v0)"]
    for name, sub in schema.get("properties", {}).items():
        if not isinstance(sub, dict) or _scalar(sub):
            continue  # true lets by plain values only; false lets nothing by
        k = source.const(str(name))
        items = sub.get("items")
        kinds = sub.get("type")
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
    """An immutable value normalising leaves as it is (a number within the limits, text ...)."""
    t = type(value)
    return t in _PLAIN and (t not in (int, Decimal) or number_fits(value))


_GENERATED_RUNTIME: dict[str, Any] = {
    "__builtins__": {},
    "type": type,
    "len": len,
    "isinstance": isinstance,
    "dict": dict,
    "list": list,
    "str": str,
    "float": float,
    "int": int,
    "_is_date": is_date,
    "_Decimal": Decimal,
    "_JSON_TYPES": _JSON_TYPES,
    "_INT_LOW": -int(MAX_MAGNITUDE),
    "_INT_HIGH": int(MAX_MAGNITUDE),
    "_fits": number_fits,
    "_multiple": is_multiple,
    "_json_equal": _json_equal,
    "_one_of": _one_of,
}


def _namespace(lines: list[str], source: _Source, label: str, **names: Any) -> dict[str, Any]:
    """Compile the generated functions of ``lines`` with the runtime, ``names`` and the
    schema's values as named constants; return the namespace holding them."""
    namespace: dict[str, Any] = {**_GENERATED_RUNTIME, **names, **source.constants}
    text = "\n".join(lines) + "\n"
    exec(compile(text, f"<fupin-rules {label}>", "exec"), namespace)  # noqa: S102 - fixed shapes, constants passed by name
    return namespace


def _define(name: str, lines: list[str], source: _Source, label: str, **names: Any) -> Any:
    """The generated function ``name`` of ``lines`` (see :func:`_namespace`)."""
    return _namespace(lines, source, label, **names)[name]


_PLAIN_RUNTIME: dict[str, Any] = {
    "_NUM": frozenset({int, Decimal}),
    "_plain_value": _plain_value,
    "_deep": normalise,
}
"""What the generated plain checks call, besides ``_GENERATED_RUNTIME``."""
_REFUSED = (_Unsupported, PatternError, TypeError, ValueError, SyntaxError, RecursionError)
"""A schema outside what the generated checks cover (a load refuses such a schema first)."""


def compile_plain(
    schema: Any, codelists: Mapping[str, CodeList]
) -> Callable[[Any], dict[str, Any] | None] | None:
    """A checker for the common case, a record that is already valid and normal: it returns a
    copy of the record, exactly what :meth:`RecordSchema.check` would return, or None for "take
    the full path" (a float, a code label, an integral decimal in an integer field, a number
    outside :func:`number_fits`, a record the reference might reject). None if the schema is
    outside what it covers."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    source = _Source(codelists)
    try:
        source.check(schema, "v0", 4)
    except _REFUSED:
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
    except _REFUSED:
        return None
    lines = ["def _plain_value_check(v0):", *source.lines, "    return True"]
    check: Callable[[Any], bool | None] = _define(
        "_plain_value_check", lines, source, "plain value check", **_PLAIN_RUNTIME
    )
    return check


def compile_acceptor(schema: Any) -> Callable[[Any], bool] | None:
    """A fast, sound check of ``schema``: True means the reference (:func:`record_validator`)
    finds no error; False means "ask the reference" (which then explains). None if the schema
    uses keywords it does not cover.

    Covers :data:`~fupin_rules.record_keywords.CHECKED_KEYWORDS`; annotations and the
    project's keywords are ignored, as the reference ignores them. It never compares a number
    outside :func:`~fupin_rules.record_keywords.number_fits` (it defers instead); refusing
    such numbers wherever they are is the record check's first step, not the acceptor's.
    """
    source = _Source()
    lines: list[str] = []
    if not _function(source, schema, "_accept", lines):
        return None
    accept: Check = _namespace(
        lines, source, "record acceptor", _NUM=frozenset({int, float, Decimal})
    )["_accept"]
    return accept
