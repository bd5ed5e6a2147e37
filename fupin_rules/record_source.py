"""The Python source of the generated record checks (:mod:`fupin_rules.record_checks`),
written from a schema in fixed code shapes: every value taken from the schema is a named
constant of the generated function's namespace, never source text, so a schema cannot inject
code."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .codelists import CodeList
from .record_keywords import ANNOTATIONS, PROJECT_KEYWORDS, number_fits
from .record_patterns import PatternError, ecma_pattern

__all__ = ["JSON_TYPES", "REFUSED", "Source", "Unsupported", "json_equal", "null_passes", "one_of"]


class Unsupported(Exception):
    """A schema outside what the generated checks cover."""


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
    "number": (int, float, Decimal),
}
JSON_TYPES = frozenset({str, bool, type(None), list, dict, int, float, Decimal})
_BOUND_OPS = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema's ``enum`` and ``const`` judge it: true is not 1, 1.0 is 1,
    lists and objects by their contents."""
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool or ta is str or tb is str or a is None or b is None:
        return ta is tb and a == b
    if ta is list and tb is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if ta is dict and tb is dict:
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if ta in _NUMBERS and tb in _NUMBERS:
        return bool(a == b)
    return False


_NUMBERS = frozenset({int, float, Decimal})


def one_of(value: Any, options: tuple[Any, ...]) -> bool:
    return any(json_equal(value, o) for o in options)


def null_passes(schema: Any) -> bool:
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


class Source:
    """Python source of an acceptor, generated from a schema of the covered keywords.

    Only fixed code shapes are written; every value taken from the schema (property names,
    bounds, enum options, patterns, type sets) is passed in as a constant of the function's
    namespace, never written into the source, so a schema cannot inject code.
    """

    def __init__(
        self,
        codelists: Mapping[str, CodeList] | None = None,
        calls: Mapping[str | None, str] | None = None,
        *,
        others: bool = True,
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
        self.others = others
        """Whether a plain checker looks at the keys of an object its properties do not name
        (False: something else has vouched for them, see :mod:`fupin_rules.record_typed`)."""

    def const(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def check(self, schema: Any, var: str, indent: int, *, known: bool = False) -> None:
        """Lines that fail where ``var`` breaks ``schema`` (``known``: ``var`` is not None)."""
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
            raise Unsupported("schema")
        if plain:
            self._plain_shape(schema)
            if self._plain_scalar(schema, var, pad, known=known):
                return
        # The value's type, once: every check below asks it, of exact types.
        t = _type_of(var)
        self.lines.append(f"{pad}{t} = type({var})")
        kinds = schema.get("type")
        listed = kinds if isinstance(kinds, list) else [kinds]
        if kinds is None:
            # No type to hold the value to JSON's exact types: an unusual one (a subclass, a
            # tuple) goes to the reference, which the checks below might judge differently.
            self.lines.append(f"{pad}if {t} not in JSON_TYPES: {self.fail}")
        if kinds is None or {"number", "integer"} & set(listed):
            # Numbers at the door: none outside number_fits is vouched for, or compared (the
            # plain check, on the hot path, compares an int inline).
            if plain:
                self.lines.append(f"{pad}if {t} is int:")
                self.lines.append(f"{pad}    if not _INT_LOW < {var} < _INT_HIGH: {self.fail}")
                self.lines.append(f"{pad}elif {t} in _NUM and not _fits({var}): {self.fail}")
            else:
                self.lines.append(f"{pad}if {t} in _NUM and not _fits({var}): {self.fail}")
        if kinds is not None:
            self._type([str(k) for k in listed], var, pad)
        for key, value in schema.items():
            self._keyword(schema, key, value, var, indent)

    def _keyword(
        self, schema: Mapping[str, Any], key: str, value: Any, var: str, indent: int
    ) -> None:
        pad = " " * indent
        t = _type_of(var)
        if key == "x-codelist" and self.codelists is not None:
            if value not in self.codelists:
                raise Unsupported(key)
            codes = self.const(frozenset(self.codelists[value].codes))
            self.lines.append(
                f"{pad}if {var} is not None and not ({t} is str and {var} in {codes}): {self.fail}"
            )
        elif key in ANNOTATIONS or key in PROJECT_KEYWORDS or key == "type":
            pass
        elif key in _BOUND_OPS:
            if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                raise Unsupported(key)
            limit = self.const(value)
            op = _BOUND_OPS[key]
            self.lines.append(f"{pad}if {t} in _NUM and {var} {op} {limit}: {self.fail}")
        elif key == "multipleOf":
            if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
                raise Unsupported(key)
            step = self.const(value)
            self.lines.append(f"{pad}if {t} in _NUM and not _multiple({var}, {step}): {self.fail}")
        elif key in {"minLength", "maxLength", "minItems", "maxItems"}:
            kind = "str" if key.endswith("Length") else "list"
            op = "<" if key.startswith("min") else ">"
            n = self.const(int(value))
            self.lines.append(f"{pad}if {t} is {kind} and len({var}) {op} {n}: {self.fail}")
        elif key == "pattern":
            rx = self.const(ecma_pattern(value))
            self.lines.append(f"{pad}if {t} is str and {rx}.search({var}) is None: {self.fail}")
        elif key == "format":
            if value != "date":
                raise Unsupported(value)
            self.lines.append(f"{pad}if {t} is str and not _is_date({var}): {self.fail}")
        elif key == "enum":
            self._enum(value, var, pad)
        elif key == "const":
            option = self.const(value)
            self.lines.append(f"{pad}if not json_equal({var}, {option}): {self.fail}")
        elif key == "required":
            for name in value:
                k = self.const(str(name))
                self.lines.append(f"{pad}if {t} is dict and {k} not in {var}: {self.fail}")
        elif key == "items":
            item = self.var()
            body = self._nested(value, item, indent + 8)
            if body:
                self.lines.append(f"{pad}if {t} is list:")
                self.lines.append(f"{pad}    for {item} in {var}:")
                self.lines.extend(body)
        elif key == "properties":
            self._properties(value, schema.get("additionalProperties", True), var, indent)
        elif key == "additionalProperties":
            if "properties" not in schema:
                self._properties({}, value, var, indent)
        else:
            raise Unsupported(key)

    def _enum(self, value: Any, var: str, pad: str) -> None:
        t = _type_of(var)
        if not isinstance(value, list):
            raise Unsupported("enum")
        if all(isinstance(e, str) or e is None for e in value):
            options = self.const(frozenset(e for e in value if e is not None))
            nullable = None in value
            self.lines.append(
                f"{pad}if not (({var} is None and {nullable}) or"
                f" ({t} is str and {var} in {options})): {self.fail}"
            )
        else:
            options = self.const(tuple(value))
            self.lines.append(f"{pad}if not one_of({var}, {options}): {self.fail}")

    def _plain_scalar(self, schema: Mapping[str, Any], var: str, pad: str, *, known: bool) -> bool:
        """The plain check of a scalar of the common shapes (text with a code list, an enum, a
        pattern, a date, lengths; a number with bounds; a boolean) as one branch per type it
        may have, each asking only what applies to that type: the same verdicts as the
        general lines. False (nothing written) for any other schema."""
        kinds = schema.get("type")
        listed = kinds if isinstance(kinds, list) else [kinds]
        if not listed or not all(isinstance(k, str) and k in _SCALAR_TYPES for k in listed):
            return False
        if not all(self._scalar_keyword(key, value) for key, value in schema.items()):
            return False
        allowed = {t for k in listed for t in _SCALAR_TYPES[str(k)]}
        if known:
            allowed.discard(type(None))
        text: list[str] = []  # what fails a text
        lower: list[tuple[str, str]] = []  # an int passes (bound, op, int)
        upper: list[tuple[str, str]] = []  # an int passes (int, op, bound)
        decimal = [f"not _fits({var})"]  # what fails a decimal: the door first
        for key, value in schema.items():
            if key == "x-codelist" or key == "enum":
                if key == "x-codelist":
                    options = frozenset(self.codelists[value].codes)  # type: ignore[index]
                else:
                    options = frozenset(e for e in value if e is not None)
                    if None not in value:
                        allowed.discard(type(None))
                text.append(f"{var} not in {self.const(options)}")
                allowed -= {int, Decimal, bool}  # only text (or null) is among the options
            elif key in _LOWER:
                limit = self.const(value)
                lower.append((limit, _LOWER[key]))
                decimal.append(f"{var} {_BOUND_OPS[key]} {limit}")
            elif key in _UPPER:
                limit = self.const(value)
                upper.append((_UPPER[key], limit))
                decimal.append(f"{var} {_BOUND_OPS[key]} {limit}")
            elif key == "pattern":
                if schema.get("format") == "date" and value in _IMPLIED_BY_DATE:
                    continue  # every date (YYYY-MM-DD in ASCII digits) matches it
                text.append(f"{self.const(ecma_pattern(value))}.search({var}) is None")
            elif key == "format":
                text.append(f"not _is_date({var})")
            elif key in ("minLength", "maxLength"):
                op = "<" if key == "minLength" else ">"
                text.append(f"len({var}) {op} {self.const(value)}")
        # An int: the bounds, each within the door's limits, stand for the door.
        lows = [f"{b} {op}" for b, op in lower] or ["_INT_LOW <"]
        highs = [f"{op} {b}" for op, b in upper] or ["< _INT_HIGH"]
        terms = [f"{lows[0]} {var} {highs[0]}"]
        terms += [f"{low} {var}" for low in lows[1:]] + [f"{var} {high}" for high in highs[1:]]
        fails: dict[type, str] = {
            str: " or ".join(text),
            int: f"not {terms[0]}" if len(terms) == 1 else f"not ({' and '.join(terms)})",
            Decimal: " or ".join(decimal),
            bool: "",
            type(None): "",
        }
        self._branches([t for t in fails if t in allowed], fails, var, pad)
        return True

    def _scalar_keyword(self, key: str, value: Any) -> bool:
        if key == "type" or key in ANNOTATIONS:
            return True
        if key == "x-codelist":
            return isinstance(value, str) and value in self.codelists  # type: ignore[operator]
        if key in PROJECT_KEYWORDS:
            return True
        if key in _LOWER or key in _UPPER:
            return type(value) in (int, float, Decimal) and number_fits(value)
        if key == "enum":
            return isinstance(value, list) and all(type(e) is str or e is None for e in value)
        if key in ("minLength", "maxLength"):
            return type(value) is int
        return (key == "pattern" and isinstance(value, str)) or (
            key == "format" and value == "date"
        )

    def _branches(self, types: list[type], fails: Mapping[type, str], var: str, pad: str) -> None:
        """One branch per type that has checks of its own; the others pass as they are."""
        asked = [t for t in types if fails[t]]
        free = [t for t in types if not fails[t]]
        named = sum(t is not bool and t is not type(None) for t in types)
        t = _type_of(var) if named > 1 else f"type({var})"
        if named > 1:
            self.lines.append(f"{pad}{t} = type({var})")
        other = " and ".join(_is_not(x, var, t) for x in free)
        if not asked:
            self.lines.append(f"{pad}if {other or 'True'}: {self.fail}")
            return
        if len(asked) == 1 and not free:
            self.lines.append(
                f"{pad}if {_is_not(asked[0], var, t)} or {fails[asked[0]]}: {self.fail}"
            )
            return
        for i, x in enumerate(asked):
            self.lines.append(f"{pad}{'elif' if i else 'if'} {_is(x, var, t)}:")
            self.lines.append(f"{pad}    if {fails[x]}: {self.fail}")
        self.lines.append(f"{pad}elif {other}: {self.fail}" if other else f"{pad}else: {self.fail}")

    def _plain_shape(self, schema: Mapping[str, Any]) -> None:
        # A plain checker vouches for every value it lets through: each needs a type, and a
        # container needs a schema for its contents.
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if schema.get("type") is None:
            raise Unsupported("untyped")
        if "array" in kinds and "items" not in schema:
            raise Unsupported("array without items")
        if "object" in kinds and "properties" not in schema:
            raise Unsupported("object without properties")
        additional = schema.get("additionalProperties", True)
        if not isinstance(additional, bool):
            raise Unsupported("additionalProperties")

    def _nested(self, schema: Any, var: str, indent: int, *, known: bool = False) -> list[str]:
        saved, self.lines = self.lines, []
        try:
            self.check(schema, var, indent, known=known)
            return self.lines
        finally:
            self.lines = saved

    def _type(self, kinds: list[str], var: str, pad: str) -> None:
        # The draft 2020-12 type semantics of the reference, on exact types (an unusual
        # subclass is not vouched for and goes to the reference).
        t = _type_of(var)
        exact: set[type] = set()
        integer = False
        for kind in kinds:
            if kind == "integer":
                integer = True
            elif kind in _PY_TYPES:
                exact.update(_PY_TYPES[kind])
            else:
                raise Unsupported(kind)
        if self.codelists is not None:
            # Plain: a float would be made a decimal, an integral decimal of an integer
            # field an int; such records take the normalising path.
            exact.discard(float)
            if integer:
                exact.add(int)
            self._exact_type(exact, t, pad)
        elif integer and Decimal not in exact:
            allowed = self.const(frozenset(exact | {int}))
            self.lines.append(
                f"{pad}if not ({t} in {allowed} or"
                f" ({t} is float and {var}.is_integer()) or"
                f" ({t} is _Decimal and {var} == {var}.to_integral_value())):"
                f" {self.fail}"
            )
        else:
            self._exact_type(exact, t, pad)

    def _exact_type(self, exact: set[type], t: str, pad: str) -> None:
        if len(exact) == 1:  # one type (an object, a list): the type itself, not a set of one
            self.lines.append(f"{pad}if {t} is not {self.const(next(iter(exact)))}: {self.fail}")
        else:
            self.lines.append(f"{pad}if {t} not in {self.const(frozenset(exact))}: {self.fail}")

    def _properties(self, props: Mapping[str, Any], additional: Any, var: str, indent: int) -> None:
        pad = " " * indent
        block: list[str] = []
        calls, self.calls = self.calls, None  # only the top level's properties have them
        # A plain check counts the properties it walks: when they are all the record's keys,
        # there is no other key to look at.
        counted = additional is True and self.codelists is not None and self.others
        count = f"n{var[1:]}"
        if counted:
            block.append(f"{pad}    {count} = 0")
        for name, sub in props.items():
            value = self.var()
            skips_null = null_passes(sub)
            if calls is not None and str(name) in calls:
                body = [f"{pad}        if not {calls[str(name)]}({value}): {self.fail}"]
            else:
                body = self._nested(sub, value, indent + 8, known=skips_null)
            if body:
                k = self.const(str(name))
                if skips_null:
                    # The schema lets null by, so absent and null are skipped alike.
                    block.append(f"{pad}    {value} = {var}.get({k})")
                    block.append(f"{pad}    if {value} is not None:")
                else:
                    block.append(f"{pad}    if {k} in {var}:")
                    block.append(f"{pad}        {value} = {var}[{k}]")
                if counted:
                    block.append(f"{pad}        {count} += 1")
                block.extend(body)
        if counted:
            known = self.const(frozenset(str(n) for n in props))
            key = self.var()
            block.append(f"{pad}    if {count} != len({var}) and not ({var}.keys() <= {known}):")
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
            self.lines.append(f"{pad}if {_type_of(var)} is dict:")
            self.lines.extend(block)


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "number": (int, Decimal),  # a float takes the normalising path (it becomes a decimal)
    "integer": (int,),
}
"""The exact types a plain scalar of each JSON type may have."""
_LOWER = {"minimum": "<=", "exclusiveMinimum": "<"}
_UPPER = {"maximum": "<=", "exclusiveMaximum": "<"}
_IMPLIED_BY_DATE = frozenset({"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "^\\d{4}-\\d{2}-\\d{2}$"})
"""Patterns every ``format: date`` value matches."""
_TYPE_NAMES = {str: "str", int: "int", Decimal: "_Decimal", bool: "bool"}


def _is(kind: type, var: str, t: str) -> str:
    if kind is type(None):
        return f"{var} is None"
    return f"{t} is {_TYPE_NAMES[kind]}"


def _is_not(kind: type, var: str, t: str) -> str:
    if kind is type(None):
        return f"{var} is not None"
    if kind is bool:  # the two booleans, faster than asking the type
        return f"{var} is not True and {var} is not False"
    return f"{t} is not {_TYPE_NAMES[kind]}"


def _type_of(var: str) -> str:
    """The name of the local holding the type of the generated variable ``var``."""
    return f"t{var[1:]}"


def _asks(schema: Mapping[str, Any]) -> bool:
    """Whether a schema object checks anything (annotations and notes do not)."""
    return any(k not in ANNOTATIONS and k not in PROJECT_KEYWORDS for k in schema) or (
        "x-codelist" in schema
    )


REFUSED = (Unsupported, PatternError, TypeError, ValueError, SyntaxError, RecursionError)
"""A schema outside what the generated checks cover (a load refuses such a schema first)."""
