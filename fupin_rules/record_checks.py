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
    MAX_MAGNITUDE,
    is_date,
    is_multiple,
    number_fits,
    record_validator,
    reference_schema,
)
from .record_source import JSON_TYPES, REFUSED, Source, json_equal, one_of

__all__ = [
    "Check",
    "Parts",
    "compile_acceptor",
    "compile_plain",
    "compile_plain_value",
    "explaining_parts",
    "normalise",
    "plain_value",
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
    source = Source()
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


def _function(source: Source, schema: Any, name: str, lines: list[str]) -> bool:
    """Append the acceptor function ``name`` of ``schema`` to ``lines``; False if the schema
    is outside what the generated checks cover."""
    try:
        body = source._nested(schema, "v0", 4)
    except REFUSED:
        return False
    lines.extend([f"def {name}(v0):", *body, "    return True"])
    return True


def _never(value: Any) -> bool:
    return False


def _scalar(schema: Any) -> bool:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return kinds != [None] and not ({"array", "object"} & set(kinds))


def _copy_lines(schema: Mapping[str, Any], source: Source) -> list[str]:
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


def plain_value(value: Any) -> bool:
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
    "JSON_TYPES": JSON_TYPES,
    "_INT_LOW": -int(MAX_MAGNITUDE),
    "_INT_HIGH": int(MAX_MAGNITUDE),
    "_fits": number_fits,
    "_multiple": is_multiple,
    "json_equal": json_equal,
    "one_of": one_of,
}


def _namespace(lines: list[str], source: Source, label: str, **names: Any) -> dict[str, Any]:
    """Compile the generated functions of ``lines`` with the runtime, ``names`` and the
    schema's values as named constants; return the namespace holding them."""
    namespace: dict[str, Any] = {**_GENERATED_RUNTIME, **names, **source.constants}
    text = "\n".join(lines) + "\n"
    exec(compile(text, f"<fupin-rules {label}>", "exec"), namespace)  # noqa: S102 - fixed shapes, constants passed by name
    return namespace


def _define(name: str, lines: list[str], source: Source, label: str, **names: Any) -> Any:
    """The generated function ``name`` of ``lines`` (see :func:`_namespace`)."""
    return _namespace(lines, source, label, **names)[name]


_PLAIN_RUNTIME: dict[str, Any] = {
    "_NUM": frozenset({int, Decimal}),
    "_plain_value": plain_value,
    "_deep": normalise,
}
"""What the generated plain checks call, besides ``_GENERATED_RUNTIME``."""


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
    source = Source(codelists)
    try:
        source.check(schema, "v0", 4)
    except REFUSED:
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
    schema: Any, codelists: Mapping[str, CodeList], *, others: bool = True
) -> Callable[[Any], bool | None] | None:
    """The plain check of one value against one property's ``schema``: True where the value
    is valid and normal, as :func:`compile_plain` checks it inside a record; None otherwise.
    None if the schema is outside what the plain check covers. (Used to vouch for whole
    columns at once, one distinct value at a time: :mod:`fupin_rules.arrow`.) ``others=False``:
    the keys of an object that its schema's properties do not name are not looked at (another
    check vouches for them: :mod:`fupin_rules.record_typed`)."""
    source = Source(codelists, others=others)
    try:
        source.check(schema, "v0", 4)
    except REFUSED:
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
    source = Source()
    lines: list[str] = []
    if not _function(source, schema, "_accept", lines):
        return None
    accept: Check = _namespace(
        lines, source, "record acceptor", _NUM=frozenset({int, float, Decimal})
    )["_accept"]
    return accept
