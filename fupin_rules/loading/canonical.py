"""The canonical form of a resolved rule set (what its fingerprint hashes), and parameters
fixed by the user (``with_parameters``), which change both."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .._canonical import fingerprint, plain
from .._frozen import thaw
from ..errors import UsageError
from ..language import Expression
from ..language import tree as t
from ..language.limits import number_limits
from ..model import (
    Criterion,
    DatasetCheck,
    Decision,
    Derived,
    Parameter,
    ParameterValue,
    RuleSet,
    RuleSetCache,
    Source,
)
from ..records import RecordSchema
from .resolve import Resolved

__all__ = [
    "BEGINNING",
    "TYPE_ZH",
    "canonical",
    "dataset_check_form",
    "expr_text",
    "matches",
    "override_parameters",
    "parameter_form",
    "schema_part",
]

BEGINNING = "0001-01-01"
"""The start of a parameter with one value (``value:`` rather than ``values:``)."""
TYPE_ZH = {"number": "数值", "integer": "整数", "string": "文本", "boolean": "是/否值"}
"""Parameter types as policy staff read them."""


def matches(kind: str, value: Any) -> bool:
    """Whether ``value`` is of parameter type ``kind``."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    return isinstance(value, int | Decimal)


def expr_text(expr: Expression | None) -> str | None:
    """The canonical text of an expression (None for none)."""
    return None if expr is None else expr.text


def parameter_form(p: Parameter) -> dict[str, Any]:
    """A parameter as the canonical form holds it."""
    return {
        "label": p.label,
        "type": p.type,
        "unit": p.unit,
        "values": [
            {
                "from": v.start,
                "value": v.value,
                "unconfirmed": v.unconfirmed,
                "sources": [str(c) for c in v.citations],
            }
            for v in p.values
        ],
    }


def dataset_check_form(c: DatasetCheck) -> dict[str, Any]:
    """A dataset check as the canonical form holds it."""
    return {
        "id": c.id,
        "label": c.label,
        "unique": expr_text(c.key),
        "for_each": list(c.for_each) if c.for_each else None,
        "where": expr_text(c.where),
        "across_records_only": c.across_records_only,
        "message": c.message.text,
        "severity": c.severity,
        "sources": [str(x) for x in c.citations],
    }


SCHEMA_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "x-name-field",
        "x-person-id-field",
    }
)
"""Top-level keys of a record schema that describe it without deciding any result."""


def _fields_read(
    expressions: Sequence[Expression | None], lists: Sequence[str], schema: RecordSchema
) -> list[str]:
    """The record fields the expressions read (top level; a list field counts whole), with
    the id field every result names."""
    names = {schema.id_field, *lists}
    for expr in expressions:
        if expr is not None:
            names.update(
                node.id
                for node in t.walk(expr.tree)
                if isinstance(node, t.Name) and node.role == "field"
            )
    return sorted(n for n in names if n in schema.schema.get("properties", {}))


def _codelists_in(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        found = {value["x-codelist"]} if isinstance(value.get("x-codelist"), str) else set()
        for v in value.values():
            found |= _codelists_in(v)
        return found
    if isinstance(value, list | tuple):
        return set().union(*(_codelists_in(v) for v in value)) if value else set()
    return set()


def schema_part(schema: RecordSchema, fields: Sequence[str]) -> dict[str, Any]:
    """The part of ``schema`` that decides results for a version reading ``fields``: the
    fields' own definitions, which of them are required, the schema's structural keywords,
    and the code lists those fields use. Fields the version does not read, and annotations
    (titles, descriptions, the name fields of problem lists), are left out, so adding an
    optional field leaves every fingerprint as it was."""
    whole = thaw(schema.schema)
    props = whole.get("properties", {})
    part = {
        k: v
        for k, v in whole.items()
        if k not in SCHEMA_ANNOTATIONS and k not in {"properties", "required"}
    }
    part["properties"] = {f: props[f] for f in fields}
    part["required"] = sorted(f for f in whole.get("required", ()) if f in fields)
    used = sorted(_codelists_in(part["properties"]))
    return {
        "subject": schema.subject,
        "reads": list(fields),
        "schema": part,
        "codelists": {c: schema.codelists[c].fingerprint for c in used if c in schema.codelists},
    }


def canonical(
    r: Resolved,
    schema: RecordSchema,
    parameters: Mapping[str, Parameter],
    derived: Sequence[Derived],
    criteria: Sequence[Criterion],
    decision: Decision,
    applies_if: Expression | None,
    sources: Mapping[str, Source],
    dataset_checks: Sequence[DatasetCheck],
) -> dict[str, Any]:
    """The resolved rule set as plain data: what decides its results, and nothing else.

    Commentary (notes) is not meaning: it is left out, here as everywhere. So are the
    version's end (it follows from the next version's start, or is written without deciding
    any result on a day the version is in force), the version it was written as a revision
    of (only the resolved content counts, so a version inserted between two others changes
    neither), sources no part of it cites, and the record schema beyond the fields it reads
    (:func:`schema_part`)."""
    top = r.top.data
    expressions: list[Expression | None] = [applies_if, decision.expression]
    expressions.extend(d.expr for d in derived)
    for c in criteria:
        expressions.extend((c.applies_if, c.test))
    for check in dataset_checks:
        expressions.extend((check.key, check.where))
    lists = [c.for_each[0] for c in criteria if c.for_each]
    lists.extend(check.for_each[0] for check in dataset_checks if check.for_each)
    reads = _fields_read(expressions, lists, schema)
    cited = {
        x.source.id
        for x in (
            *(x for c in criteria for x in c.citations),
            *(x for p in parameters.values() for v in p.values for x in v.citations),
            *(x for check in dataset_checks for x in check.citations),
        )
    }
    form: dict[str, Any] = plain(
        {
            "id": r.id,
            "version": r.version,
            "title": top["title"],
            "subject": top["subject"],
            "effective": {"from": top["effective"]["from"]},
            "record_schema": schema_part(schema, reads),
            "sources": [
                {k: v for k, v in attrs.asdict(s).items() if k != "note"}
                for s in sources.values()
                if s.id in cited
            ],
            "applies_if": expr_text(applies_if),
            "parameters": {name: parameter_form(p) for name, p in sorted(parameters.items())},
            "derived": [
                {"name": d.name, "label": d.label, "unit": d.unit, "expr": expr_text(d.expr)}
                for d in derived
            ],
            "criteria": [
                {
                    "id": c.id,
                    "label": c.label,
                    "group": c.group,
                    "severity": c.severity,
                    "applies_if": expr_text(c.applies_if),
                    "test": expr_text(c.test),
                    "pass": c.pass_text.text,
                    "fail": c.fail_text.text,
                    "not_applicable": c.not_applicable_text.text,
                    "sources": [str(x) for x in c.citations],
                    "unconfirmed": c.unconfirmed,
                    "points": c.points,
                    "for_each": list(c.for_each) if c.for_each else None,
                }
                for c in criteria
            ],
            "decision": {
                "method": decision.method,
                "threshold": decision.threshold,
                "expression": expr_text(decision.expression),
                "pass": decision.pass_text,
                "fail": decision.fail_text,
            },
            "dataset_checks": [dataset_check_form(c) for c in dataset_checks],
        }
    )
    return form


def override_parameters(rs: RuleSet, overrides: Mapping[str, Any]) -> RuleSet:
    """``rs`` with the named parameters fixed to the given values (checked for type)."""
    params = dict(rs.parameters)
    for name, value in overrides.items():
        if name not in params:
            close = difflib.get_close_matches(name, list(params), n=2)
            hint = f" (是否要找: {', '.join(close)})" if close else ""
            msg = f"{rs.key} 没有参数 {name!r}{hint}"
            raise UsageError(msg)
        p = params[name]
        text = isinstance(value, str) and p.type in {"number", "integer"}
        if text:
            try:
                value = Decimal(value.replace(",", ""))
            except (ArithmeticError, InvalidOperation):
                msg = f"参数 {name} 须为数值, 得到 {value!r}"
                raise UsageError(msg) from None
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            # Held to the bounds of a number written in a rule file, as the value it replaces.
            breach = number_limits().breach(value)
            if breach is not None:
                msg = f"参数 {name}: {breach.message} ({breach.hint})"
                raise UsageError(msg)
            integral = isinstance(value, Decimal) and value == value.to_integral_value()
            if text and p.type == "integer" and integral:
                value = int(value)
        if not matches(p.type, value):
            msg = f"参数 {name} 须为{p.type}, 得到 {value!r}"
            raise UsageError(msg)
        params[name] = attrs.evolve(
            p, values=(ParameterValue(start=BEGINNING, value=value, note="由使用者指定"),)
        )
    form = rs.to_dict()
    for n in overrides:
        entry = parameter_form(params[n])
        entry["values"][0]["sources"] = ["由使用者指定"]
        form["parameters"][n] = plain(entry)
    fixed = {**rs.overrides, **{n: params[n].values[0].value for n in overrides}}
    return attrs.evolve(
        rs,
        parameters=params,
        canonical=form,
        fingerprint=fingerprint(form),
        cache=RuleSetCache(),
        overrides=fixed,
    )
