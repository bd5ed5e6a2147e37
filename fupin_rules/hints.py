"""What a finding tells beyond its outcome: the parameter values it applied, with their dates
and sources, and for a failed numeric test what it would take to pass.

Both are worked out from the rule set itself (its checked expressions, parameters, labels and
units), not written per criterion: a new criterion gets them for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .display import display
from .language import tree as t
from .language.gaps import Gap, Shortfall, gaps
from .model import Criterion, RuleSet
from .results import ParameterUse

__all__ = ["hints", "label_of", "parameter_uses", "unit_of"]


def label_of(rs: RuleSet, name: str) -> str:
    """The Chinese label of a parameter, derived field or record field of ``rs``."""
    if name in rs.parameters:
        return rs.parameters[name].label
    for d in rs.derived:
        if d.name == name:
            return d.label
    return rs.record_schema.label(name)


def unit_of(rs: RuleSet, name: str) -> str | None:
    """The unit of a parameter or derived field of ``rs`` (record fields have none)."""
    if name in rs.parameters:
        return rs.parameters[name].unit
    for d in rs.derived:
        if d.name == name:
            return d.unit
    return None


def parameter_uses(rs: RuleSet, c: Criterion, day: str) -> tuple[ParameterUse, ...]:
    """The values of the parameters ``c`` reads that are in force on ``day``, with their
    sources (the value's own, then the parameter's)."""
    uses = []
    for name in c.used:
        p = rs.parameters.get(name)
        value = p.at(day) if p is not None else None
        if value is None or value.value is None:
            continue
        uses.append(
            ParameterUse(
                name=name,
                value=value.value,
                start=value.start,
                unconfirmed=value.unconfirmed,
                sources=tuple(str(x) for x in value.citations),
            )
        )
    return tuple(uses)


def _gaps(rs: RuleSet, c: Criterion) -> tuple[Gap, ...]:
    found = rs.cache.gaps.get(c.id)
    if found is None:
        found = rs.cache.gaps[c.id] = gaps(c.test.tree) if c.for_each is None else ()
    result: tuple[Gap, ...] = found
    return result


def hints(rs: RuleSet, c: Criterion, env: Mapping[str, Any]) -> tuple[str, ...]:
    """For a criterion that failed on the record ``env``: how far each of its numeric
    comparisons is from holding (``「家庭人均纯收入」还差 215 元 (标准: 高于 2952 元)``)."""
    found = []
    for gap in _gaps(rs, c):
        short = gap.shortfall(env)
        if short is not None and isinstance(gap.subject, t.Name):
            found.append(_hint(rs, gap, short))
    return tuple(found)


def _hint(rs: RuleSet, gap: Gap, short: Shortfall) -> str:
    assert isinstance(gap.subject, t.Name)
    name = gap.subject.id
    label = label_of(rs, name)
    bound_name = gap.bound.id if isinstance(gap.bound, t.Name) else None
    unit = unit_of(rs, name) or (unit_of(rs, bound_name) if bound_name else None) or ""
    if unit and unit != "%":
        unit = " " + unit
    amount, bound = display(short.amount) + unit, display(short.bound) + unit
    if short.op in {">", "<"} and short.amount == 0:
        wanted = "高于" if short.op == ">" else "低于"
        return f"「{label}」恰为 {bound}, 须{wanted}此标准"
    standard = {">": "高于", ">=": "不低于", "<": "低于", "<=": "不高于"}[short.op]
    move = "还差" if short.op in {">", ">="} else "超出"
    return f"「{label}」{move} {amount} (标准: {standard} {bound})"
