"""Applying a rule set to a record: findings with explanations, and the decision.

:func:`evaluate` is a pure function of a loaded :class:`~fupin_rules.model.RuleSet`, a record
and a date: no I/O, no clock, no parsing of rules. It never raises on bad data; the record's
problems end up in the result (``invalid`` with reasons, or ``unknown`` criteria).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from .errors import EvaluationError, UsageError
from .model import Criterion, CriterionOutcome, Finding, Outcome, Result, RuleSet, display

__all__ = ["evaluate", "parse_day", "rejected"]

_NOT_SET = object()


def parse_day(value: str | dt.date | dt.datetime) -> str:
    """An ISO date ``YYYY-MM-DD`` from a date or text. Raises UsageError if it is not one."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    msg = f"日期须为 YYYY-MM-DD 格式的真实日期, 得到 {value!r}"
    raise UsageError(msg)


class _Context:
    """Per-date values of a rule set: parameters in force, which are unconfirmed or missing."""

    __slots__ = ("labels", "missing", "params", "unconfirmed")

    def __init__(self, rs: RuleSet, day: str) -> None:
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
            if t.kind == "code" and t.codelist in schema.codelists:
                self.labels[name] = schema.codelists[t.codelist].codes


def _context(rs: RuleSet, day: str) -> _Context:
    cache = rs._cache
    ctx = cache.get(day)
    if ctx is None:
        ctx = _Context(rs, day)
        cache[day] = ctx
    return ctx  # type: ignore[no-any-return]


def _label(rs: RuleSet, name: str) -> str:
    if name in rs.parameters:
        return rs.parameters[name].label
    for d in rs.derived:
        if d.name == name:
            return d.label
    return rs.record_schema.label(name)


def _why_missing(rs: RuleSet, names: list[str], missing: Mapping[str, str]) -> str:
    parts = []
    for name in names:
        if name in missing:
            parts.append(missing[name])
        else:
            parts.append(f"缺少「{_label(rs, name)}」({name})")
    return "; ".join(parts)


def evaluate(
    rs: RuleSet,
    record: Any,
    *,
    as_of: str | dt.date | None = None,
    source: str | None = None,
) -> Result:
    """Apply ``rs`` to ``record`` on ``as_of`` (default: the rule set's default date, or the
    first day it is in force)."""
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    ctx = _context(rs, day)
    schema = rs.record_schema
    record_id = schema.record_id(record)
    normalised, reasons = schema.check(record)
    if reasons:
        return Result(
            outcome="invalid",
            ruleset=rs.key,
            fingerprint=rs.fingerprint,
            as_of=day,
            record_id=record_id,
            findings=(),
            reasons=reasons,
            conclusion="记录无效",
            source=source,
        )
    env: dict[str, Any] = dict(ctx.params)
    for key, value in normalised.items():
        if value is not None:
            env[key] = value
    env["as_of"] = day
    missing = dict(ctx.missing)
    for derived in rs.derived:
        value, why = _run(derived.expr, env, missing, rs)
        if why is None:
            env[derived.name] = value
        else:
            missing[derived.name] = f"无法计算「{derived.label}」: {why}"

    if rs.applies_if is not None:
        value, why = _run(rs.applies_if, env, missing, rs)
        if why is not None:
            return Result(
                outcome="invalid",
                ruleset=rs.key,
                fingerprint=rs.fingerprint,
                as_of=day,
                record_id=record_id,
                findings=(),
                reasons=(f"无法判断是否适用: {why}",),
                conclusion="无法判定",
                source=source,
            )
        if not value:
            return Result(
                outcome="not_applicable",
                ruleset=rs.key,
                fingerprint=rs.fingerprint,
                as_of=day,
                record_id=record_id,
                findings=(),
                conclusion="不适用",
                source=source,
            )

    findings = tuple(_finding(rs, c, env, missing, ctx) for c in rs.criteria)
    outcome, why = _decide(rs, findings)
    decision = rs.decision
    conclusion = {
        "pass": decision.pass_text or "达标",
        "fail": decision.fail_text or "未达标",
        "invalid": "无法判定",
        "not_applicable": "不适用",
    }[outcome]
    return Result(
        outcome=outcome,
        ruleset=rs.key,
        fingerprint=rs.fingerprint,
        as_of=day,
        record_id=record_id,
        findings=findings,
        reasons=why,
        conclusion=conclusion,
        source=source,
    )


def _run(
    expr: Any,
    env: Mapping[str, Any],
    missing: Mapping[str, str],
    rs: RuleSet,
) -> tuple[Any, str | None]:
    try:
        return expr.evaluate(env), None
    except EvaluationError as exc:
        known = [f for f in exc.fields if f in missing or _is_top_level(rs, f)]
        if known and len(known) == len(exc.fields):
            return None, _why_missing(rs, known, missing)
        return None, str(exc)


def _is_top_level(rs: RuleSet, name: str) -> bool:
    return (
        name in rs.record_schema.fields
        or name in rs.parameters
        or name == "as_of"
        or any(d.name == name for d in rs.derived)
    )


def _finding(
    rs: RuleSet,
    c: Criterion,
    env: Mapping[str, Any],
    missing: Mapping[str, str],
    ctx: _Context,
) -> Finding:
    values = {n: env.get(n) for n in c.used}
    outcome: CriterionOutcome
    message: str
    why: str | None = None
    applies = True
    if c.applies_if is not None:
        applies_value, why = _run(c.applies_if, env, missing, rs)
        applies = bool(applies_value) if why is None else True
    if why is not None:
        outcome, message = "unknown", f"无法判定: {why}"
    elif not applies:
        outcome = "not_applicable"
        message = c.not_applicable_text.render(values, ctx.labels)
    else:
        result, why = _run(c.test, env, missing, rs)
        if why is not None:
            outcome, message = "unknown", f"无法判定: {why}"
        elif result:
            outcome, message = "pass", c.pass_text.render(values, ctx.labels)
        else:
            outcome, message = "fail", c.fail_text.render(values, ctx.labels)
    unconfirmed = c.unconfirmed or any(n in ctx.unconfirmed for n in c.used)
    if unconfirmed and outcome in {"pass", "fail"}:
        message += " (注意: 该指标的检验方法或所用参数未经来源确认)"
    return Finding(
        criterion=c.id,
        label=c.label,
        group=c.group,
        severity=c.severity,
        outcome=outcome,
        message=message,
        values=values,
        sources=tuple(str(x) for x in c.citations),
        unconfirmed=unconfirmed,
    )


def _decide(rs: RuleSet, findings: tuple[Finding, ...]) -> tuple[Outcome, tuple[str, ...]]:
    decision = rs.decision
    vetoes = [f for f in findings if f.severity == "veto"]
    if any(f.outcome == "fail" for f in vetoes):
        return "fail", ()
    unknown_reasons = tuple(
        f"「{f.label}」{f.message}"
        for f in findings
        if f.outcome == "unknown" and f.severity != "reference"
    )
    if decision.method == "all":
        gate = [f for f in findings if f.severity != "reference"]
        if any(f.outcome == "fail" for f in gate):
            return "fail", ()
        if any(f.outcome == "unknown" for f in gate):
            return "invalid", unknown_reasons
        return "pass", ()
    if decision.method == "points":
        points = {c.id: c.points or 0 for c in rs.criteria}
        got = sum(points[f.criterion] for f in findings if f.outcome == "pass")
        maybe = sum(points[f.criterion] for f in findings if f.outcome == "unknown")
        if got >= decision.threshold:
            return (
                ("invalid", unknown_reasons)
                if any(f.outcome == "unknown" for f in vetoes)
                else ("pass", ())
            )
        if got + maybe < decision.threshold:
            return "fail", ()
        return "invalid", unknown_reasons
    assert decision.expression is not None
    base: dict[str, Any] = {}
    unknown: list[str] = []
    for f in findings:
        if f.outcome == "unknown":
            unknown.append(f.criterion)
        else:
            base[f.criterion] = f.outcome != "fail"
    answers = set()
    for combo in itertools.product((True, False), repeat=min(len(unknown), 12)):
        env = dict(base)
        env.update(zip(unknown, combo, strict=False))
        answers.add(bool(decision.expression.evaluate(env)))
        if len(answers) > 1:
            break
    if len(answers) != 1 or len(unknown) > 12:
        return "invalid", unknown_reasons
    if answers.pop():
        if any(f.outcome == "unknown" for f in vetoes):
            return "invalid", unknown_reasons
        return "pass", ()
    return "fail", ()


def describe_value(value: Any) -> str:
    """A value as shown in explanations (re-exported for reports)."""
    return display(value)


def rejected(
    rs: RuleSet, reason: str, *, source: str | None = None, as_of: str | dt.date | None = None
) -> Result:
    """The ``invalid`` result for input that never became a record (e.g. a line of bad JSON)."""
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    return Result(
        outcome="invalid",
        ruleset=rs.key,
        fingerprint=rs.fingerprint,
        as_of=day,
        record_id=None,
        findings=(),
        reasons=(reason,),
        conclusion="记录无效",
        source=source,
    )
