"""What evaluating a rule set works out once per day: the parameters in force, which are
unconfirmed or missing, code labels for messages, the compiled plan of the day, and the legend
every result of the day shares (kept in the rule set's cache, ``RuleSet.cache.days``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .days import parse_day
from .decision import CRITERION_OUTCOMES, UNKNOWN
from .hints import parameter_uses
from .lean import Legend, LegendEntry
from .model import Criterion, RuleSet, Template
from .plan import Plan, compile_plan
from .results import ParameterUse

__all__ = ["UNCONFIRMED", "Compiled", "Context", "context_of", "day_of", "legend", "text_of"]

UNCONFIRMED = " (注意: 该指标的检验方法或所用参数未经来源确认)"


_DAYS: dict[str, str] = {}
"""Dates as given (text) to their checked ISO form: a run asks for the same few dates."""


def day_of(rs: RuleSet, as_of: str | dt.date | None) -> str:
    value = as_of or rs.default_as_of or rs.effective_from
    if isinstance(value, str):
        found = _DAYS.get(value)
        if found is None:
            found = parse_day(value)
            if len(_DAYS) < 10_000:
                _DAYS[value] = found
        return found
    return parse_day(value)


class Compiled:
    """A rule set's compiled plan and the fixed parts of its findings, for one day."""

    __slots__ = ("criteria", "derived", "lean", "lean_names", "plan", "python")

    def __init__(self, rs: RuleSet, ctx: Context) -> None:
        self.derived = rs.derived
        plan: Plan
        plan, self.python = compile_plan(
            ((d.name, d.expr) for d in rs.derived),
            ((c.applies_if, c.test if c.for_each is None else None) for c in rs.criteria),
            rs.applies_if,
            ctx.params,
        )
        self.plan = plan
        self.criteria = tuple(
            (
                c,
                tuple(str(x) for x in c.citations),
                c.unconfirmed or any(n in ctx.unconfirmed for n in c.used),
                tuple(text_of(c, outcome) for outcome in CRITERION_OUTCOMES[:UNKNOWN]),
            )
            for c in rs.criteria
        )
        self.lean = tuple(e.record_names for e in ctx.legend(rs).entries)
        """Per criterion, the names whose values a lean line writes."""
        self.lean_names = tuple(dict.fromkeys(n for names in self.lean for n in names))
        """The names whose values a lean line writes, each once, in the criteria's order."""


class Context:
    """Per-date values of a rule set: parameters in force, which are unconfirmed or missing,
    code labels for messages, and the compiled plan of the day (made on first use)."""

    __slots__ = (
        "_fast",
        "_item_labels",
        "_legend",
        "_uses",
        "day",
        "labels",
        "missing",
        "params",
        "unconfirmed",
    )

    def __init__(self, rs: RuleSet, day: str) -> None:
        self.day = day
        self._uses: dict[str, tuple[ParameterUse, ...]] = {}
        self.params: dict[str, Any] = {}
        self.unconfirmed: set[str] = set()
        self.missing: dict[str, str] = {}
        for name, p in rs.parameters.items():
            value = p.at(day)
            if value is None or value.value is None:
                self.missing[name] = f"参数「{p.label}」在 {day} 没有已确认的值"
            else:
                self.params[name] = value.value
            if value is not None and value.unconfirmed:
                self.unconfirmed.add(name)
        self.params["as_of"] = day
        schema = rs.record_schema
        self.labels: dict[str, Mapping[str, str]] = {}
        for name, t in schema.fields.items():
            if t.kind == "code" and t.codelist is not None and t.codelist in schema.codelists:
                self.labels[name] = schema.codelists[t.codelist].codes
        self._item_labels: dict[str, dict[str, Mapping[str, str]]] = {}
        self._fast: list[Compiled | None] = []
        self._legend: Legend | None = None

    def legend(self, rs: RuleSet) -> Legend:
        """What every result of this rule set on this day shares (lean lines reference it)."""
        if self._legend is None:
            derived = {d.name for d in rs.derived}
            entries = []
            for c in rs.criteria:
                names = c.used if c.for_each is None else tuple(n for n in c.used if "." not in n)
                # The environment holds the day's parameters under their names (a record
                # field cannot replace them; a derived field of that name would).
                fixed = {n: self.params[n] for n in names if n in self.params and n not in derived}
                entries.append(
                    LegendEntry(
                        criterion=c.id,
                        label=c.label,
                        group=c.group,
                        severity=c.severity,
                        sources=tuple(str(x) for x in c.citations),
                        unconfirmed=c.unconfirmed or any(n in self.unconfirmed for n in c.used),
                        parameters=self.uses(rs, c),
                        names=names,
                        fixed=MappingProxyType(fixed),
                        per_item=c.for_each is not None,
                        texts=(c.pass_text, c.fail_text, c.not_applicable_text),
                        note=UNCONFIRMED,
                    )
                )
            self._legend = Legend(rs.key, rs.fingerprint, self.day, entries, self.labels)
        return self._legend

    def fast(self, rs: RuleSet) -> Compiled | None:
        """The compiled plan of this rule set on this day (None: use the reference path, as
        when a parameter has no value that day)."""
        if not self._fast:
            self._fast.append(Compiled(rs, self) if not self.missing else None)
        return self._fast[0]

    def uses(self, rs: RuleSet, c: Criterion) -> tuple[ParameterUse, ...]:
        """The parameter values ``c`` applies on this day, with their sources."""
        found = self._uses.get(c.id)
        if found is None:
            found = self._uses[c.id] = parameter_uses(rs, c, self.day)
        return found

    def item_labels(self, rs: RuleSet, c: Criterion) -> Mapping[str, Mapping[str, str]]:
        """Code labels for the names a per-item criterion shows (``m.field`` included)."""
        found = self._item_labels.get(c.id)
        if found is None:
            assert c.for_each is not None
            list_name, var = c.for_each
            found = dict(self.labels)
            list_type = rs.record_schema.fields.get(list_name)
            for field, t in ((list_type.fields or {}) if list_type else {}).items():
                codelist = rs.record_schema.codelists.get(t.codelist or "")
                if t.kind == "code" and codelist is not None:
                    found[f"{var}.{field}"] = codelist.codes
            self._item_labels[c.id] = found
        return found


def context_of(rs: RuleSet, day: str) -> Context:
    days = rs.cache.days
    ctx = days.get(day)
    if ctx is None:
        ctx = days[day] = Context(rs, day)
    result: Context = ctx
    return result


def legend(rs: RuleSet, as_of: str | dt.date | None = None) -> Legend:
    """What every result of ``rs`` on ``as_of`` shares (labels, sources, parameter values,
    fixed texts): what lean result lines reference (:mod:`fupin_rules.lean`)."""
    return context_of(rs, day_of(rs, as_of)).legend(rs)


def text_of(c: Criterion, outcome: str) -> Template:
    if outcome == "pass":
        return c.pass_text
    if outcome == "fail":
        return c.fail_text
    return c.not_applicable_text
