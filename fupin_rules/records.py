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

import json
import math
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from ._canonical import fingerprint, render_number
from ._frozen import deep_freeze, freeze
from ._resources import bundled_schemas_dir
from .codelists import CodeList
from .errors import Problem, RuleFileError, format_path
from .language import Type
from .record_checks import (
    Check,
    compile_acceptor,
    compile_plain,
    explaining_parts,
    normalise,
)

__all__ = ["CodeList", "RecordSchema", "load_record_schema"]


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
    schema: Mapping[str, Any] = attrs.field(repr=False, converter=deep_freeze)
    """The JSON Schema, read-only (:func:`fupin_rules._frozen.thaw` gives a plain copy)."""
    codelists: Mapping[str, CodeList] = attrs.field(repr=False, converter=freeze)
    fingerprint: str
    id_field: str
    division_field: str | None
    fields: Mapping[str, Type] = attrs.field(repr=False, converter=freeze)
    _validator: Any = attrs.field(repr=False, alias="validator")
    _coded: tuple[tuple[str, str | None, str], ...] = attrs.field(repr=False, alias="coded")
    _integers: tuple[tuple[str, str | None], ...] = attrs.field(repr=False, alias="integers")
    _accept: Callable[[Any], bool] | None = attrs.field(default=None, repr=False, alias="accept")
    """A fast check that answers True only for records the JSON Schema validator accepts
    (None if the schema uses a keyword it does not know); see :func:`compile_acceptor`."""
    _plain: Callable[[Any], dict[str, Any] | None] | None = attrs.field(
        default=None, repr=False, alias="plain"
    )
    """The check of an already valid, normal record in one pass; see :func:`compile_plain`."""
    _parts: tuple[Any, Mapping[str, tuple[Any, Check]]] | None = attrs.field(
        default=None, repr=False, alias="parts"
    )
    """For explaining an invalid record quickly: a validator of the top level alone and, per
    property, its schema and fast check (see :func:`.record_checks.explaining_parts`)."""

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
        out = normalise(dict(record))
        if plain is not None:
            # Floats made exact decimals (a record read from Parquet or a spreadsheet): if
            # nothing else needs normalising, the plain check now vouches for it.
            try:
                vouched = plain(out)
            except ArithmeticError:
                vouched = None
            if vouched is not None:
                return vouched, ()
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
    bound = _BOUNDS.get(str(error.validator))
    if bound is not None:
        limit, value = _shown(error.validator_value), _shown(error.instance)
        return f"{where}: {bound} {limit}, 实际是 {value}"
    size = _SIZES.get(str(error.validator))
    if size is not None and isinstance(error.instance, str | list):
        unit = "个字符" if isinstance(error.instance, str) else "项"
        want, got = error.validator_value, len(error.instance)
        return f"{where}: 须{size}有 {want} {unit}, 实际有 {got} {unit}"
    if error.validator == "enum" and isinstance(error.validator_value, list):
        options = "、".join(_shown(v) for v in error.validator_value if v is not None)
        empty = ", 或留空" if None in error.validator_value else ""
        return f"{where}: {_shown(error.instance)} 不是可选值之一 (可选: {options}{empty})"
    if error.validator == "const":
        return f"{where}: 须为 {_shown(error.validator_value)}, 实际是 {_shown(error.instance)}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = "、".join(sorted(str(k) for k in error.instance if k not in known))
        return f"{where}: 有记录结构中没有的字段 {extra}"
    return f"{where}: {error.message}"


_BOUNDS = {
    "minimum": "不能小于",
    "maximum": "不能大于",
    "exclusiveMinimum": "须大于",
    "exclusiveMaximum": "须小于",
}
_SIZES = {"minLength": "至少", "maxLength": "至多", "minItems": "至少", "maxItems": "至多"}


def _shown(value: Any) -> str:
    """A value in a reason: numbers as written (``-1``, not ``Decimal('-1.000')``), flags and
    null as in JSON, texts quoted."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal | int | float):
        try:
            return render_number(value)
        except ValueError:  # NaN or infinite
            return str(value)
    return repr(value)


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
        parts=explaining_parts(schema),
    )


def _subfields(prop: Mapping[str, Any]) -> list[tuple[str | None, Mapping[str, Any]]]:
    out: list[tuple[str | None, Mapping[str, Any]]] = [(None, prop)]
    if _json_type(prop) == "array":
        items = prop.get("items", {})
        if _json_type(items) == "object":
            out = [(None, {k: v for k, v in prop.items() if k != "items"})]
            out.extend((sub, sp) for sub, sp in items.get("properties", {}).items())
    return out
