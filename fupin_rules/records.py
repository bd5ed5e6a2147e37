"""Record schemas and code lists: what a household or village record may hold, and checking one.

A record schema is a JSON Schema file ``schemas/records/<subject>.schema.json`` with a few
extension keywords: ``x-id-field`` (the record's id), ``x-division-field`` (the 12-digit
administrative-division code used to group results), and per property ``x-codelist`` (the code
list its values come from) and ``x-code`` (the national information system's field code).

:meth:`RecordSchema.check` normalises one record (decimals made exact, integral numbers of
integer fields made ``int``, code labels such as ``"低保贫困户"`` turned into their codes) and
returns it with the reasons it is invalid, if any. It never raises on bad data.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from ._canonical import fingerprint
from ._resources import bundled_schemas_dir
from .errors import Problem, RuleFileError, format_path
from .expressions import Type

__all__ = ["CodeList", "RecordSchema", "load_record_schema"]


@attrs.frozen
class CodeList:
    """A code list (代码表): codes and their Chinese labels."""

    id: str
    title: str
    codes: Mapping[str, str]
    """code -> label, in file order."""
    file: str
    fingerprint: str
    sources: tuple[Mapping[str, Any], ...] = ()

    def code_for(self, value: str) -> str | None:
        """The code for ``value`` given as a code or as its label; None if neither."""
        if value in self.codes:
            return value
        for code, label in self.codes.items():
            if label == value:
                return code
        return None

    def label(self, code: str) -> str:
        """The label of ``code`` (the code itself if unknown)."""
        return self.codes.get(code, code)


def _json_type(prop: Mapping[str, Any]) -> str | None:
    t = prop.get("type")
    if isinstance(t, list):
        kinds = [k for k in t if k != "null"]
        return kinds[0] if kinds else None
    return t if isinstance(t, str) else None


def _field_type(prop: Mapping[str, Any]) -> Type | None:
    kind = _json_type(prop)
    label = prop.get("title")
    if kind in {"number", "integer"}:
        return Type("number", label=label)
    if kind == "boolean":
        return Type("boolean", label=label)
    if kind == "string":
        if "x-codelist" in prop:
            return Type("code", codelist=prop["x-codelist"], label=label)
        if prop.get("format") == "date":
            return Type("date", label=label)
        return Type("string", label=label)
    if kind == "array":
        items = prop.get("items", {})
        if _json_type(items) == "object":
            fields = {
                name: t
                for name, sub in items.get("properties", {}).items()
                if (t := _field_type(sub)) is not None
            }
            return Type("list", fields=fields, label=label)
        codelist = items.get("x-codelist") if isinstance(items, Mapping) else None
        return Type("list", codelist=codelist, label=label)
    return None


@attrs.frozen(eq=False)
class RecordSchema:
    """The schema of one subject's records (household, village, county ...)."""

    subject: str
    file: str
    schema: Mapping[str, Any] = attrs.field(repr=False)
    codelists: Mapping[str, CodeList] = attrs.field(repr=False)
    fingerprint: str
    id_field: str
    division_field: str | None
    fields: Mapping[str, Type] = attrs.field(repr=False)
    _validator: Any = attrs.field(repr=False, alias="validator")
    _coded: tuple[tuple[str, str | None, str], ...] = attrs.field(repr=False, alias="coded")
    _integers: tuple[tuple[str, str | None], ...] = attrs.field(repr=False, alias="integers")
    _accept: Callable[[Any], bool] | None = attrs.field(default=None, repr=False, alias="accept")
    """A fast check that answers True only for records the JSON Schema validator accepts
    (None if the schema uses a keyword it does not know); see :func:`compile_acceptor`."""
    _plain: Callable[[Any], dict[str, Any] | None] | None = attrs.field(
        default=None, repr=False, alias="plain"
    )
    _parts: tuple[Any, Mapping[str, tuple[Any, Check]]] | None = attrs.field(
        default=None, repr=False, alias="parts"
    )
    """For explaining an invalid record quickly (see :func:`_explaining_parts`): a validator
    of the top level alone and, per property, its schema and fast check."""
    """The check of an already valid, normal record in one pass; see :func:`compile_plain`."""

    def label(self, name: str) -> str:
        """The Chinese label of a top-level field (the name itself if it has none)."""
        t = self.fields.get(name)
        return (t.label if t is not None else None) or name

    def record_id(self, record: Any) -> str | None:
        """The record's id as text, or None if it has none."""
        if isinstance(record, Mapping):
            value = record.get(self.id_field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
        return None

    def check(self, record: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Normalise ``record``; return it and the reasons it is invalid (empty if valid)."""
        plain = self._plain
        if plain is not None:
            try:
                out = plain(record)
            except ArithmeticError:  # e.g. a decimal NaN against a bound: the full path says
                out = None
            if out is not None:
                return out, ()
        if not isinstance(record, Mapping):
            return {}, (f"记录须是 JSON 对象, 得到 {type(record).__name__}",)
        out = _normalise(dict(record))
        reasons: list[str] = []
        codelists = self.codelists
        for field, sub, codelist in self._coded:
            # Fast skip: the value is absent or already a code of its list.
            codes = codelists[codelist].codes
            if sub is None:
                v = out.get(field)
                if v is None or (type(v) is str and v in codes):
                    continue
            else:
                items = out.get(field)
                if type(items) is list and all(
                    type(i) is dict
                    and ((v := i.get(sub)) is None or (type(v) is str and v in codes))
                    for i in items
                ):
                    continue
            self._check_codes(out, field, sub, codelist, reasons)
        for field, sub in self._integers:
            _integral(out, field, sub)
        odd = list(_non_finite(out, []))
        reasons.extend(f"{_where(p, self)}: 须为有限数值, 实际是 {v!r}" for p, v in odd)
        accept = self._accept
        try:
            if odd or accept is None or not accept(out):
                # Only a record the fast check cannot vouch for meets jsonschema, which explains.
                reasons.extend(_reason(e, self) for e in self._errors(out))
        except ArithmeticError:  # a NaN decimal against a bound, reported above
            pass
        return out, tuple(sorted(set(reasons)))

    def _errors(self, record: dict[str, Any]) -> Iterator[jsonschema.ValidationError]:
        """jsonschema's errors for ``record``: those of the top level, then of each property
        the fast checks cannot vouch for (the same errors as validating the whole record,
        without walking the properties that are fine)."""
        parts = self._parts
        if parts is None:
            yield from self._validator.iter_errors(record)
            return
        top, properties = parts
        yield from top.iter_errors(record)
        for name, (schema, accept) in properties.items():
            if name in record and not accept(record[name]):
                yield from self._validator.descend(record[name], schema, path=name)

    def _check_codes(
        self, record: dict[str, Any], field: str, sub: str | None, codelist: str, reasons: list[str]
    ) -> None:
        table = self.codelists[codelist]
        rows: list[tuple[dict[str, Any], str, str]] = []
        if sub is None:
            rows.append((record, field, field))
        else:
            items = record.get(field)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    if isinstance(item, dict):
                        rows.append((item, sub, f"{field}[{i}].{sub}"))
        for holder, key, where in rows:
            value = holder.get(key)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            fixed: list[Any] = []
            for v in values:
                if isinstance(v, int) and not isinstance(v, bool):
                    v = str(v)
                code = table.code_for(v) if isinstance(v, str) else None
                if code is None:
                    reasons.append(f"{where}: {v!r} 不在代码表 {table.title}({table.id}) 中")
                    fixed.append(v)
                else:
                    fixed.append(code)
            holder[key] = fixed if isinstance(value, list) else fixed[0]


_PLAIN = frozenset({str, int, bool, type(None), Decimal})


def _normalise(value: Any) -> Any:
    """A deep copy with floats made exact decimals (the caller's record is never changed)."""
    t = type(value)
    if t is dict:
        return {k: v if type(v) in _PLAIN else _normalise(v) for k, v in value.items()}
    if t is list:
        return [v if type(v) in _PLAIN else _normalise(v) for v in value]
    return _normalise_any(value)


def _normalise_any(value: Any) -> Any:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _non_finite(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    """Where a NaN or infinite number hides in ``value``: no rule can judge one."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            yield from _non_finite(v, [*path, k])
    elif t is list:
        for i, v in enumerate(value):
            yield from _non_finite(v, [*path, i])
    elif (isinstance(value, Decimal) and not value.is_finite()) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        yield path, value


def _integral(record: dict[str, Any], field: str, sub: str | None) -> None:
    holders: list[dict[str, Any]] = []
    key = field
    if sub is None:
        holders.append(record)
    else:
        key = sub
        items = record.get(field)
        if isinstance(items, list):
            holders.extend(i for i in items if isinstance(i, dict))
    for holder in holders:
        v = holder.get(key)
        if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
            holder[key] = int(v)


def _where(path: list[str | int], schema: RecordSchema) -> str:
    """A value's place in a record with its field's label: ``household_size(家庭人口数)``."""
    text = format_path(path) or "(记录)"
    top = path[0] if path else None
    label = schema.label(top) if isinstance(top, str) else None
    return f"{text}({label})" if label and label != text else text


def _reason(error: jsonschema.ValidationError, schema: RecordSchema) -> str:
    where = _where(list(error.absolute_path), schema)
    if error.validator == "type":
        expected = {
            "number": "数值",
            "integer": "整数",
            "string": "文本",
            "boolean": "是/否 (true/false)",
            "array": "列表",
            "object": "对象",
            "null": "空",
        }
        want = error.validator_value
        wants = want if isinstance(want, list) else [want]
        text = "或".join(expected.get(str(w), str(w)) for w in wants if w != "null")
        return f"{where}: 应为{text}, 实际是 {error.instance!r}"
    if error.validator == "required":
        return f"{where}: {error.message.replace(' is a required property', '')} 必填"
    if error.validator == "format":
        kind = "日期" if error.validator_value == "date" else str(error.validator_value)
        return f"{where}: {error.instance!r} 不是有效的{kind}"
    if error.validator == "pattern":
        return f"{where}: {error.instance!r} 格式不符"
    return f"{where}: {error.message}"


def load_record_schema(path: Path, subject: str, codelists: Mapping[str, CodeList]) -> RecordSchema:
    """Read ``schemas/records/<subject>.schema.json``. Raises RuleFileError if it is broken."""
    name = str(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise RuleFileError(
            [Problem(f"无法读取记录结构: {exc}", file=name, code="schema.read")]
        ) from exc
    problems: list[Problem] = []
    try:
        # A user's schema is checked against the metaschema; the bundled ones are checked by
        # the test suite (tests/test_schemas.py) rather than on every load.
        if not path.resolve().is_relative_to(bundled_schemas_dir().resolve()):
            jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        problems.append(
            Problem(
                f"不是有效的 JSON Schema: {exc.message}",
                file=name,
                path=format_path(list(exc.absolute_path)),
            )
        )
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problems.append(Problem("记录结构的 type 须为 object", file=name, code="schema.record"))
        raise RuleFileError(problems)
    props: dict[str, Any] = schema.get("properties", {})
    id_field = schema.get("x-id-field")
    if not isinstance(id_field, str) or id_field not in props:
        problems.append(
            Problem("缺少 x-id-field, 或它不在 properties 中", file=name, code="schema.record")
        )
    division = schema.get("x-division-field")
    coded: list[tuple[str, str | None, str]] = []
    integers: list[tuple[str, str | None]] = []
    for field, prop in props.items():
        for sub, sprop in _subfields(prop):
            target = sprop.get("items", sprop) if _json_type(sprop) == "array" else sprop
            listname = target.get("x-codelist") if isinstance(target, dict) else None
            if listname is not None:
                if listname not in codelists:
                    problems.append(
                        Problem(
                            f"代码表 {listname!r} 不存在",
                            file=name,
                            path=f"properties.{field}"
                            + (f".items.properties.{sub}" if sub else ""),
                            code="schema.codelist",
                        )
                    )
                else:
                    coded.append((field, sub, listname))
            if _json_type(sprop) == "integer":
                integers.append((field, sub))
    if problems:
        raise RuleFileError(problems)
    fields = {f: t for f, p in props.items() if (t := _field_type(p)) is not None}
    used = sorted({c for _, _, c in coded})
    digest = fingerprint(
        {"schema": schema, "codelists": {c: codelists[c].fingerprint for c in used}}
    )
    return RecordSchema(
        subject=subject,
        file=name,
        schema=schema,
        codelists={c: codelists[c] for c in used},
        fingerprint=digest,
        id_field=str(id_field),
        division_field=division if isinstance(division, str) else None,
        fields=fields,
        validator=jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ),
        coded=tuple(coded),
        integers=tuple(integers),
        accept=compile_acceptor(schema),
        plain=compile_plain(schema, {c: codelists[c] for c in used}),
        parts=_explaining_parts(schema),
    )


_TOP_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties"})


def _explaining_parts(schema: Mapping[str, Any]) -> tuple[Any, dict[str, tuple[Any, Check]]] | None:
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


def _subfields(prop: Mapping[str, Any]) -> list[tuple[str | None, Mapping[str, Any]]]:
    out: list[tuple[str | None, Mapping[str, Any]]] = [(None, prop)]
    if _json_type(prop) == "array":
        items = prop.get("items", {})
        if _json_type(items) == "object":
            out = [(None, {k: v for k, v in prop.items() if k != "items"})]
            out.extend((sub, sp) for sub, sp in items.get("properties", {}).items())
    return out


# --------------------------------------------------------------------------- fast acceptance

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


_PLAIN_TYPES = frozenset({str, int, bool, type(None), Decimal})


def _plain_value(value: Any) -> bool:
    """An immutable value normalising leaves as it is (a finite decimal, text, ...)."""
    t = type(value)
    return t in _PLAIN_TYPES and (t is not Decimal or value.is_finite())


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
        "_plain",
        lines,
        source,
        "plain record check",
        _NUM=frozenset({int, Decimal}),
        _plain_value=_plain_value,
        _deep=_normalise,
        _Decimal=Decimal,
    )
    return plain


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
