"""Record schemas and code lists: what a household or village record may hold, and checking one.

A record schema is a JSON Schema file ``schemas/records/<subject>.schema.json`` with a few
extension keywords: ``x-id-field`` (the record's id), ``x-division-field`` (the 12-digit
administrative-division code used to group results), and per property ``x-codelist`` (the code
list its values come from) and ``x-code`` (the national information system's field code).
:func:`load_record_schema` refuses a schema using anything the record checks do not cover
(:func:`fupin_rules.record_keywords.schema_problems`), naming the file and the JSON path.

:meth:`RecordSchema.check` normalises one record (decimals made exact, integral numbers of
integer fields made ``int``, code labels such as ``"低保贫困户"`` turned into their codes) and
returns it with the reasons it is invalid, if any: first any number beyond the record limits
(before anything computes with it), then what the reference validator finds. It never raises
on bad data, and a check that fails on a value makes the record invalid, never valid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._canonical import fingerprint, render_number
from ._frozen import deep_freeze, freeze
from ._resources import bundled_schemas_dir
from .codelists import CodeList
from .errors import Problem, RuleFileError, format_path
from .language import Type
from .record_checks import Check, Parts, compile_plain, explaining_parts, normalise
from .record_keywords import (
    OUT_OF_RANGE,
    json_type,
    number_fits,
    record_validator,
    schema_problems,
    subfields,
)
from .record_typed import LineReader, compile_line_reader

if TYPE_CHECKING:
    import jsonschema

__all__ = ["CodeList", "RecordSchema", "load_record_schema"]


class _CheckedLine(dict[str, Any]):
    """A record read from one JSON line and checked in the same pass
    (:meth:`RecordSchema.read_line`): :meth:`RecordSchema.check` of the schema that read it
    gives a copy at once. It is the record the reference would have read and checked (a
    plain dict in every other respect); it is vouched for as read, so it must not be changed
    before it is checked (the evaluation of ``fupin-rules evaluate`` reads, judges and drops
    it)."""

    __slots__ = ("schema",)

    schema: RecordSchema


def _field_type(prop: Any) -> Type | None:
    kind = json_type(prop)
    if kind is None:
        return None
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
        if json_type(items) == "object":
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
    """A fast check that answers True only for records the reference validator accepts;
    see :func:`.record_checks.compile_acceptor` (None: ask the reference every time)."""
    _plain: Callable[[Any], dict[str, Any] | None] | None = attrs.field(
        default=None, repr=False, alias="plain"
    )
    """The check of an already valid, normal record in one pass; see :func:`compile_plain`."""
    _lines: LineReader | None = attrs.field(default=None, repr=False, alias="lines")
    """Reads and checks a JSON line in one pass (msgspec, :mod:`.record_typed`); None: not
    installed, or a schema it does not cover."""
    _parts: Parts | None = attrs.field(default=None, repr=False, alias="parts")
    """For explaining an invalid record quickly: a validator of the top level alone, per
    property its schema and fast check, and the same for additional properties (see
    :func:`.record_checks.explaining_parts`); None: the whole record at once."""

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

    def read_line(self, text: str) -> dict[str, Any] | None:
        """The record of one JSON line (a JSON text), read and checked in one pass, where it
        is valid and normal: exactly what :func:`~fupin_rules.io.jsonl.parse_json_record`
        and then :meth:`check` would give. None for any other line (invalid, to be normalised,
        with a repeated key or an escape ...), and always when msgspec is not installed: the
        reference path then reads it and gives its reasons."""
        lines = self._lines
        if lines is None:
            return None
        record = lines.read(text)
        if record is None:
            return None
        checked = _CheckedLine(record)
        checked.schema = self
        return checked

    def check(self, record: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Normalise ``record``; return it and the reasons it is invalid (empty if valid)."""
        try:
            return self._check(record)
        except RecursionError:  # a record from the Python API nested beyond any schema
            return {}, ("记录: 嵌套层数过多, 无法检查",)

    def _check(self, record: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        if type(record) is _CheckedLine and record.schema is self and self._lines is not None:
            return self._lines.copy(record), ()
        plain = self._plain
        if plain is not None:
            out = _vouched(plain, record)
            if out is not None:
                return out, ()
        if not isinstance(record, Mapping):
            return {}, (f"记录须是 JSON 对象, 得到 {type(record).__name__}",)
        out = normalise(dict(record))
        if plain is not None:
            # Floats made exact decimals (a record read from Parquet or a spreadsheet): if
            # nothing else needs normalising, the plain check now vouches for it.
            vouched = _vouched(plain, out)
            if vouched is not None:
                return vouched, ()
        # Numbers at the door, before anything computes with them.
        reasons = [f"{_where(p, self)}: {why}" for p, why in _odd_numbers(out, [])]
        odd = bool(reasons)
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
        if odd or not _accepted(self._accept, out):
            # Only a record the fast check cannot vouch for meets the reference, which explains.
            reasons.extend(self._explain(out))
        return out, tuple(sorted(set(reasons)))

    def _explain(self, record: dict[str, Any]) -> list[str]:
        """The reference's reasons for ``record``: those of the top level, then of each
        property the fast checks cannot vouch for (the same errors as validating the whole
        record, without walking the properties that are fine). A check that fails on a value
        makes that field's reason, and the other fields are still explained."""
        parts = self._parts
        if parts is None:
            return self._guarded([], self._validator.iter_errors(record))
        top, properties, extra = parts
        reasons = self._guarded([], top.iter_errors(record))
        for name, value in record.items():
            part = properties.get(name) if isinstance(name, str) else None
            if part is None and extra is None:
                continue
            schema, accept = part if part is not None else extra  # type: ignore[misc]
            if not _accepted(accept, value):
                errors = self._validator.descend(value, schema, path=name)
                reasons.extend(self._guarded([name], errors))
        return reasons

    def _guarded(
        self, path: list[str | int], errors: Iterable[jsonschema.ValidationError]
    ) -> list[str]:
        out: list[str] = []
        try:
            for error in errors:
                out.append(_reason(error, self))
        except _CHECK_FAILURES as exc:
            out.append(f"{_where(path, self)}: 检查时出错, 按无效处理 ({type(exc).__name__})")
        return out

    def _check_codes(
        self, record: dict[str, Any], field: str, sub: str | None, codelist: str, reasons: list[str]
    ) -> None:
        table = self.codelists[codelist]
        rows: list[tuple[dict[str, Any], str, str]] = []
        if sub is None:
            rows.append((record, field, _where([field], self)))
        else:
            items = record.get(field)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    if isinstance(item, dict):
                        rows.append((item, sub, _where([field, i, sub], self)))
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
                    reasons.append(f"{where}: {v!r} 不在代码表「{table.title}」中{_options(table)}")
                    fixed.append(v)
                else:
                    fixed.append(code)
            holder[key] = fixed if isinstance(value, list) else fixed[0]


def _options(table: CodeList) -> str:
    """The codes of a short code list, for staff to pick the right one."""
    if len(table.codes) > 12:
        return ""
    return " (可选: " + "、".join(f"{c} {label}" for c, label in table.codes.items()) + ")"


_CHECK_FAILURES = (ArithmeticError, ValueError, TypeError, RecursionError)
"""What a check may raise on a value it cannot judge (a decimal NaN, an unusual number type):
the record is then invalid, never valid."""


def _vouched(plain: Callable[[Any], dict[str, Any] | None], record: Any) -> dict[str, Any] | None:
    try:
        return plain(record)
    except _CHECK_FAILURES:  # a value it cannot judge: the full path explains
        return None


def _accepted(accept: Check | None, value: Any) -> bool:
    if accept is None:
        return False
    try:
        return accept(value)
    except _CHECK_FAILURES:
        return False


def _odd_numbers(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    """Where a number no rule can judge hides in ``value`` (NaN, infinite, or outside
    :func:`.record_keywords.number_fits`), and why."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            yield from _odd_numbers(v, [*path, k])
    elif t is list:
        for i, v in enumerate(value):
            yield from _odd_numbers(v, [*path, i])
    elif t is str or t is bool or value is None:
        return
    elif (isinstance(value, Decimal) and not value.is_finite()) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        yield path, f"须为有限数值, 实际是 {value!r}"
    elif isinstance(value, int | float | Decimal) and not number_fits(value):
        text = str(value)
        if len(text) > 32:
            text = f"{text[:24]}…(共 {len(text)} 个字符)"
        yield path, f"{OUT_OF_RANGE}, 实际是 {text}"


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
        if isinstance(v, Decimal) and number_fits(v) and v == v.to_integral_value():
            holder[key] = int(v)


def _where(path: Sequence[str | int], schema: RecordSchema) -> str:
    """A value's place in a record as staff read it: fields by their Chinese labels, items of
    a list counted from 1 (``「家庭成员」第 4 项「劳动技能」``); a field without a label by its
    name."""
    if not path:
        return "记录"
    parts: list[str] = []
    fields: Mapping[str, Type] | None = schema.fields
    for step in path:
        if isinstance(step, int):
            parts.append(f"第 {step + 1} 项")
            continue
        t = fields.get(step) if fields is not None else None
        parts.append(f"「{t.label if t is not None and t.label else step}」")
        fields = t.fields if t is not None else None
    return "".join(parts)


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
    if error.validator == "multipleOf":
        step, value = _shown(error.validator_value), _shown(error.instance)
        return f"{where}: 须为 {step} 的整数倍, 实际是 {value}"
    if error.validator == "not" and error.validator_value == {}:  # a false schema
        return f"{where}: 此处不允许有值, 实际是 {_shown(error.instance)}"
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
    """Read ``schemas/records/<subject>.schema.json``. Raises RuleFileError, naming the file
    and the JSON path of every problem, if it is broken or uses anything the record checks do
    not cover (see docs/rule-files.md#record-schemas); nothing of it is then loaded."""
    name = str(path)
    try:
        schema = json.loads(
            path.read_text(encoding="utf-8"),
            parse_float=Decimal,
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates,
        )
    except (OSError, ValueError, RecursionError) as exc:
        raise RuleFileError(
            [Problem(f"无法读取记录结构: {exc}", file=name, code="schema.read")]
        ) from exc
    # A user's schema is checked against the metaschema; the bundled ones are checked by the
    # test suite (tests/test_record_schemas_load.py) rather than on every load.
    bundled = path.resolve().is_relative_to(bundled_schemas_dir().resolve())
    problems = [
        Problem(message, file=name, path=format_path(where), hint=hint, code=code)
        for where, message, code, hint in schema_problems(schema, metaschema=not bundled)
    ]
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problems.append(Problem("记录结构的 type 须为 object", file=name, code="schema.record"))
        raise RuleFileError(problems)
    props: dict[str, Any] = schema.get("properties", {})
    if not isinstance(props, dict):
        raise RuleFileError(problems)
    id_field = schema.get("x-id-field")
    if not isinstance(id_field, str) or id_field not in props:
        problems.append(
            Problem("缺少 x-id-field, 或它不在 properties 中", file=name, code="schema.record")
        )
    division = schema.get("x-division-field")
    if division is not None and division not in props:
        problems.append(
            Problem(
                f"x-division-field {division!r} 不在 properties 中",
                file=name,
                path="x-division-field",
                code="schema.record",
            )
        )
    coded: list[tuple[str, str | None, str]] = []
    integers: list[tuple[str, str | None]] = []
    for field, prop in props.items():
        for sub, sprop in subfields(prop):
            target = sprop.get("items", sprop) if json_type(sprop) == "array" else sprop
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
            if json_type(sprop) == "integer":
                integers.append((field, sub))
    if problems:
        raise RuleFileError(problems)
    used = sorted({c for _, _, c in coded})
    accept, parts = explaining_parts(schema)
    plain = compile_plain(schema, {c: codelists[c] for c in used})
    lines = compile_line_reader(schema, {c: codelists[c] for c in used})
    if accept is None:  # every keyword was checked above: this would be a gap in the checks
        raise RuleFileError(
            [Problem("记录结构无法生成记录检查", file=name, code="schema.unsupported")]
        )
    fields = {f: t for f, p in props.items() if (t := _field_type(p)) is not None}
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
        validator=record_validator(schema),
        coded=tuple(coded),
        integers=tuple(integers),
        accept=accept,
        plain=plain,
        lines=lines,
        parts=parts,
    )


def _no_constant(name: str) -> Any:
    msg = f"不接受 {name}"
    raise ValueError(msg)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                msg = f"重复的键 {key!r}"
                raise ValueError(msg)
            seen.add(key)
    return out
