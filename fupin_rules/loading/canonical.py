"""The canonical form of a resolved rule set (what its fingerprint hashes), and parameters
fixed by the user (``with_parameters``), which change both."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .._canonical import fingerprint, plain
from ..errors import UsageError
from ..language import Expression
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
    """The resolved rule set as plain data. Commentary (notes) is not meaning: it is left
    out, here as everywhere."""
    top = r.top.data
    form: dict[str, Any] = plain(
        {
            "id": r.id,
            "version": r.version,
            "title": top["title"],
            "subject": top["subject"],
            "effective": {k: v for k, v in top["effective"].items() if k != "note"},
            "extends": top.get("extends"),
            "record_schema": schema.fingerprint,
            "sources": [
                {k: v for k, v in attrs.asdict(s).items() if k != "note"} for s in sources.values()
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
    return attrs.evolve(
        rs, parameters=params, canonical=form, fingerprint=fingerprint(form), cache=RuleSetCache()
    )
