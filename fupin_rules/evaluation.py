"""Applying a rule set to a record: findings with explanations, and the decision.

:func:`evaluate` is a pure function of a loaded :class:`~fupin_rules.model.RuleSet`, a record
and a date: no I/O, no clock, no parsing of rules. It never raises on bad data; the record's
problems end up in the result (``invalid`` with reasons, or ``unknown`` criteria). Outcome codes
and decisions come from :mod:`fupin_rules.decision`; expressions run through the rule
language's row backend, one generated plan per rule set and day (:mod:`fupin_rules.plan`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from .context import UNCONFIRMED, Compiled, Context, context_of, day_of, legend, text_of
from .days import parse_day
from .decision import (
    CRITERION_OUTCOMES,
    PER_ITEM,
    UNKNOWN,
    CriterionOutcome,
    Outcome,
    combine_items,
    judge,
)
from .errors import EvaluationError
from .hints import hints, label_of
from .language import Expression
from .language.limits import DECIMALS
from .lean import OWN_PARTS
from .model import Criterion, Derived, Finding, ItemFinding, Result, RuleSet
from .plan import NOT_APPLIES
from .results import Deferred

__all__ = [
    "Prepared",
    "Rebuilt",
    "decide",
    "evaluate",
    "evaluate_reference",
    "legend",
    "parse_day",
    "prepare",
    "refused",
    "rejected",
    "result_of_outcomes",
    "run_expression",
]


def _why_missing(rs: RuleSet, names: list[str], missing: Mapping[str, str]) -> str:
    parts = []
    for name in names:
        if name in missing:
            parts.append(missing[name])
        else:
            parts.append(f"缺少「{label_of(rs, name)}」({name})")
    return "; ".join(parts)


@attrs.define
class Prepared:
    """A record made ready for evaluation on one day: a working environment of values by
    name, which the evaluation extends (derived fields, per-item variables)."""

    day: str
    record_id: str | None
    env: dict[str, Any]
    """Parameters in force, the record's present fields, ``as_of`` and derived fields."""
    missing: dict[str, str]
    """Why a name is absent (parameter without a value, derived field not computable)."""
    reasons: tuple[str, ...]
    """Why the record is invalid (then ``env`` is empty)."""
    checked: Any = None
    """The record as checked (normalised), which its result's digest is of."""


@attrs.frozen
class _Origin:
    """Where a result's record came from: its id, its place, and the record as checked (a
    snapshot, which the result's ``input_digest`` is computed from when first asked)."""

    record_id: str | None
    source: str | None
    checked: Any


def _snapshot(record: Any, normalised: dict[str, Any]) -> Any:
    """The checked record as it is now (the environment will add to it), or None for input
    that is not a record at all."""
    return dict(normalised) if isinstance(record, Mapping) else None


def prepare(rs: RuleSet, record: Any, *, as_of: str | dt.date | None = None) -> Prepared:
    """Check and normalise ``record`` and compute its derived fields, without judging it."""
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    schema = rs.record_schema
    record_id = schema.record_id(record)
    normalised, reasons = schema.check(record)
    checked = _snapshot(record, normalised)
    if reasons:
        return Prepared(day, record_id, {}, {}, reasons, checked)
    ctx = context_of(rs, day)
    env = _environment(normalised, ctx.params)
    missing = dict(ctx.missing)
    for derived in rs.derived:
        value, why = _run(derived.expr, env, missing, rs)
        if why is None:
            env[derived.name] = value
        else:
            missing[derived.name] = f"无法计算「{derived.label}」: {why}"
    return Prepared(day, record_id, env, missing, (), checked)


def _environment(record: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The names an evaluation reads: the record's present values, then the parameters in
    force and ``as_of``, which a key of the record cannot replace. ``record`` is the checked
    copy (:meth:`RecordSchema.check` always returns a new dict), taken over, not copied."""
    if None in record.values():
        record = {key: value for key, value in record.items() if value is not None}
    record.update(params)
    return record


def evaluate(
    rs: RuleSet,
    record: Any,
    *,
    as_of: str | dt.date | None = None,
    source: str | None = None,
) -> Result:
    """Apply ``rs`` to ``record`` on ``as_of`` (default: the rule set's default date, or the
    first day it is in force).

    Fast path: the record's derived fields and criteria run as one pass of the day's compiled
    plan. Where one of them cannot be evaluated (missing data, a division by zero ...), that
    derived field or criterion is explained by the reference code; so the result is always
    exactly :func:`evaluate_reference`'s.

    Decimal arithmetic always runs in the standard context (28 digits, half-even), whatever
    the caller's thread context says: results depend only on rules, record and date.
    """
    current = decimal.getcontext()
    if current.prec != 28 or current.rounding != decimal.ROUND_HALF_EVEN:
        with decimal.localcontext(DECIMALS):
            return evaluate(rs, record, as_of=as_of, source=source)
    day = day_of(rs, as_of)
    ctx = context_of(rs, day)
    fast = ctx.fast(rs)
    if fast is None:
        return evaluate_reference(rs, record, as_of=day, source=source)
    schema = rs.record_schema
    normalised, reasons = schema.check(record)
    origin = _Origin(schema.record_id(record), source, _snapshot(record, normalised))
    if reasons:
        return _bare(rs, day, origin, "invalid", reasons)
    env = _environment(normalised, ctx.params)
    failed_at, codes = fast.plan(env)
    failed = [fast.derived[i] for i in failed_at] if failed_at else None
    if type(codes) is int:
        if codes == NOT_APPLIES:
            return _bare(rs, day, origin, "not_applicable")
        missing = _missing(rs, ctx, env, failed)
        prepared = Prepared(day, origin.record_id, env, missing, (), origin.checked)
        return _judge_prepared(rs, prepared, source)
    assert isinstance(codes, list)
    if PER_ITEM in codes:
        findings = _Judged(rs, ctx, fast, env, codes, failed).findings()
        return _conclude(rs, day, origin, findings)
    # Every criterion was judged by the plan: the outcome is known now; the findings
    # (messages, values) and the reasons are built only if someone asks for them.
    return result_of_outcomes(
        rs,
        day,
        origin.record_id,
        source,
        tuple([CRITERION_OUTCOMES[code] for code in codes]),
        _Judged(rs, ctx, fast, env, codes, failed),
        checked=origin.checked,
    )


class _Judged:
    """A record the plan judged whole, and what its findings are built from on first access
    (:class:`~fupin_rules.results.Deferred`): one object per result, where closures would
    be several for the garbage collector to scan in every result kept in memory."""

    __slots__ = ("codes", "ctx", "env", "failed", "fast", "rs", "unknown_built")

    def __init__(
        self,
        rs: RuleSet,
        ctx: Context,
        fast: Compiled,
        env: dict[str, Any],
        codes: list[int],
        failed: list[Derived] | None,
    ) -> None:
        self.rs, self.ctx, self.fast = rs, ctx, fast
        self.env, self.codes, self.failed = env, codes, failed
        self.unknown_built: tuple[Finding, ...] | None = None
        """:meth:`unknown`, once built: an undecided record's reasons and its lean line
        both need them."""

    def findings(self) -> tuple[Finding, ...]:
        return self._findings(only_unknown=False)

    def unknown(self) -> tuple[Finding, ...]:
        if self.unknown_built is None:
            self.unknown_built = self._findings(only_unknown=True)
        return self.unknown_built

    def _findings(self, *, only_unknown: bool) -> tuple[Finding, ...]:
        """The findings (pass, fail and not applicable written here; unknown and per-item
        explained by the reference code). ``only_unknown``: only those that can be unknown."""
        rs, ctx, env = self.rs, self.ctx, self.env
        labels = ctx.labels
        findings: list[Finding] = []
        missing: dict[str, str] | None = None
        for (c, sources, unconfirmed, texts), code in zip(
            self.fast.criteria, self.codes, strict=True
        ):
            if code >= UNKNOWN:  # unknown, or judged item by item: the reference code explains
                if missing is None:
                    missing = _missing(rs, ctx, env, self.failed)
                findings.append(_finding(rs, c, env, missing, ctx))
                continue
            if only_unknown:
                continue
            outcome = CRITERION_OUTCOMES[code]
            # A fresh dict no one else holds: the finding keeps it behind a read-only view.
            used = {n: env.get(n) for n in c.used}
            values = MappingProxyType(used)
            message = texts[code].render(used, labels)
            if unconfirmed and outcome != "not_applicable":
                message += UNCONFIRMED
            findings.append(
                Finding(
                    criterion=c.id,
                    label=c.label,
                    group=c.group,
                    severity=c.severity,
                    outcome=outcome,
                    message=message,
                    values=values,
                    sources=sources,
                    unconfirmed=unconfirmed,
                    parameters=ctx.uses(rs, c),
                    hints=hints(rs, c, env) if outcome == "fail" else (),
                )
            )
        return tuple(findings)

    def lean(self) -> dict[str, Any] | None:
        """The lean line's parts (:meth:`Legend.lean` of :meth:`findings`'s) written straight
        from the record's environment: messages only of failed criteria, nothing built for
        one that passed or did not apply. With an unknown or per-item criterion, explained by
        the reference code, the parts of each criterion go through :meth:`Legend.merge`
        (None if it cannot merge them: the findings are then built)."""
        rs, ctx, env, fast, codes = self.rs, self.ctx, self.env, self.fast, self.codes
        if max(codes, default=0) >= UNKNOWN:
            return ctx.legend(rs).merge(self._parts())
        get = env.get
        data: dict[str, Any] = {
            "outcomes": {
                c.id: CRITERION_OUTCOMES[code]
                for (c, _, _, _), code in zip(fast.criteria, codes, strict=True)
            },
            "values": {n: v for n in fast.lean_names if (v := get(n)) is not None},
        }
        if _FAIL in codes:
            for (c, _, _, texts), code in zip(fast.criteria, codes, strict=True):
                if code == _FAIL:
                    for key, value in self._failed(c, texts).items():
                        data.setdefault(OWN_PARTS[key], {})[c.id] = value
        return data

    def _parts(self) -> list[dict[str, Any]]:
        """One :meth:`Legend.part` per criterion: from the environment where the plan judged
        it, from the reference code's finding where it could not."""
        legend, get = self.ctx.legend(self.rs), self.env.get
        parts: list[dict[str, Any]] = []
        unknown: Iterator[Finding] | None = None
        for (c, _, _, texts), names, code in zip(
            self.fast.criteria, self.fast.lean, self.codes, strict=True
        ):
            if code >= UNKNOWN:
                if unknown is None:
                    unknown = iter(self.unknown())
                parts.append(legend.part(next(unknown)))
                continue
            part = {
                "criterion": c.id,
                "outcome": CRITERION_OUTCOMES[code],
                "values": {n: v for n in names if (v := get(n)) is not None},
            }
            if code == _FAIL:
                part.update(self._failed(c, texts))
            parts.append(part)
        return parts

    def _failed(self, c: Criterion, texts: tuple[Any, ...]) -> dict[str, Any]:
        """A failed criterion's own parts: its message, without the unconfirmed note (the
        legend's, :meth:`Legend.part`), and its hints if it has any."""
        env = self.env
        message = texts[_FAIL].render({n: env.get(n) for n in c.used}, self.ctx.labels)
        given = hints(self.rs, c, env)
        return {"message": message, "hints": list(given)} if given else {"message": message}


class Rebuilt:
    """Findings built on first access by ``build`` (a whole evaluation), with no lean form
    of their own: what the columns hand a result they decided
    (:class:`~fupin_rules.results.Deferred`)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], tuple[Finding, ...]]) -> None:
        self.build = build

    def findings(self) -> tuple[Finding, ...]:
        return self.build()

    def unknown(self) -> tuple[Finding, ...]:
        return self.build()

    def lean(self) -> None:
        return None


def result_of_outcomes(
    rs: RuleSet,
    day: str,
    record_id: str | None,
    source: str | None,
    outcomes: tuple[CriterionOutcome, ...],
    deferred: Deferred,
    *,
    checked: Any = None,
) -> Result:
    """The result of a valid record of ``rs`` whose criteria (in the rule set's order) had
    these ``outcomes``: decided now, its findings built by ``deferred`` on first access, and
    the reasons of an undecided record from the findings, or if they are not built, from
    only the findings of the criteria not judged. The one way both the row fast path and the
    columns (:mod:`fupin_rules.arrow`) make such a result."""
    decided, extra, conclusion, pairs = _decided(rs, outcomes)
    return _result(
        rs,
        day,
        _Origin(record_id, source, checked),
        decided,
        conclusion,
        findings=None,
        outcomes=pairs,
        deferred=deferred,
        reasons=() if extra is None else None,
        explain=(
            None if extra is None else functools.partial(_explain_unknown, extra, deferred.unknown)
        ),
    )


def decide(rs: RuleSet, outcomes: tuple[str, ...]) -> tuple[Outcome, tuple[str, ...] | None, str]:
    """``rs.decision.decide(outcomes)`` and the conclusion, remembered by outcome pattern (a
    population has a few hundred)."""
    decided, extra, conclusion, _ = _decided(rs, outcomes)
    return decided, extra, conclusion


def _decided(
    rs: RuleSet, outcomes: tuple[str, ...]
) -> tuple[Outcome, tuple[str, ...] | None, str, tuple[tuple[str, CriterionOutcome], ...]]:
    """:func:`decide`, and the outcomes paired with the criteria's ids: one tuple that every
    result of the pattern shares."""
    memo = rs.cache.decisions
    found: Any = memo.get(outcomes)
    if found is None:
        decided, extra = rs.decision.decide(outcomes)
        pairs = tuple(zip((c.id for c in rs.criteria), outcomes, strict=True))
        found = (decided, extra, rs.decision.conclusion(decided), pairs)
        if len(memo) < 4096:
            memo[outcomes] = found
    result: tuple[
        Outcome, tuple[str, ...] | None, str, tuple[tuple[str, CriterionOutcome], ...]
    ] = found
    return result


def _explain_unknown(
    extra: tuple[str, ...],
    build_unknown: Callable[[], tuple[Finding, ...]],
    findings: tuple[Finding, ...] | None,
) -> tuple[str, ...]:
    """The reasons of an undecided record, from its findings if they are built."""
    return _with_unknown(extra, findings if findings is not None else build_unknown())


def _missing(
    rs: RuleSet, ctx: Context, env: dict[str, Any], failed: list[Derived] | None
) -> dict[str, str]:
    """Why names are absent: parameters without a value, derived fields that failed."""
    missing = dict(ctx.missing)
    for derived in failed or ():
        # A derived field reads only fields, parameters and the derived fields before it,
        # so it fails now as it failed then; the reference code says why.
        _, why = _run(derived.expr, env, missing, rs)
        missing[derived.name] = f"无法计算「{derived.label}」: {why}"
    return missing


_FAIL = CRITERION_OUTCOMES.index("fail")


def _conclude(rs: RuleSet, day: str, origin: _Origin, findings: tuple[Finding, ...]) -> Result:
    outcome, extra, conclusion = decide(rs, tuple(f.outcome for f in findings))
    reasons = () if extra is None else _with_unknown(extra, findings)
    return _result(rs, day, origin, outcome, conclusion, findings=findings, reasons=reasons)


def _result(
    rs: RuleSet, day: str, origin: _Origin, outcome: Outcome, conclusion: str, **rest: Any
) -> Result:
    """A result of ``rs`` on ``day``; ``rest``: findings, reasons and how to build them."""
    return Result(
        outcome=outcome,
        legend=context_of(rs, day).legend(rs),
        ruleset=rs.key,
        fingerprint=rs.fingerprint,
        as_of=day,
        record_id=origin.record_id,
        conclusion=conclusion,
        source=origin.source,
        checked=origin.checked,
        parameters=rs.overrides,
        **rest,
    )


def evaluate_reference(
    rs: RuleSet,
    record: Any,
    *,
    as_of: str | dt.date | None = None,
    source: str | None = None,
) -> Result:
    """:func:`evaluate` by the reference path: every expression through
    :meth:`~fupin_rules.language.Expression.evaluate`, one at a time, explaining each error.
    The fast path must give exactly this result; the test suite checks that it does."""
    with decimal.localcontext(DECIMALS):
        return _judge_prepared(rs, prepare(rs, record, as_of=as_of), source)


def _judge_prepared(rs: RuleSet, prepared: Prepared, source: str | None) -> Result:
    day, origin = prepared.day, _Origin(prepared.record_id, source, prepared.checked)
    if prepared.reasons:
        return _bare(rs, day, origin, "invalid", prepared.reasons)
    ctx = context_of(rs, day)
    env, missing = prepared.env, prepared.missing
    if rs.applies_if is not None:
        value, why = _run(rs.applies_if, env, missing, rs)
        if why is not None:
            reasons = (f"无法判断是否适用: {why}",)
            return _bare(rs, day, origin, "invalid", reasons, "无法判定")
        if not value:
            return _bare(rs, day, origin, "not_applicable")
    findings = tuple(_finding(rs, c, env, missing, ctx) for c in rs.criteria)
    return _conclude(rs, day, origin, findings)


def run_expression(
    expr: Expression,
    env: Mapping[str, Any],
    missing: Mapping[str, str],
    rs: RuleSet,
) -> tuple[Any, str | None]:
    """Evaluate ``expr``; return (value, None), or (None, why it could not be evaluated)."""
    return _run(expr, env, missing, rs)


def _run(
    expr: Expression,
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


def _judge(
    rs: RuleSet,
    c: Criterion,
    env: Mapping[str, Any],
    values: Mapping[str, Any],
    missing: Mapping[str, str],
    labels: Mapping[str, Mapping[str, str]],
) -> tuple[CriterionOutcome, str]:
    """A criterion's outcome (by :func:`~fupin_rules.decision.judge`) and its message."""
    applies: bool | None = True
    why: str | None = None
    if c.applies_if is not None:
        value, why = _run(c.applies_if, env, missing, rs)
        applies = None if why is not None else bool(value)
    test: bool | None = None
    if applies:
        result, why = _run(c.test, env, missing, rs)
        test = None if why is not None else bool(result)
    outcome = CRITERION_OUTCOMES[judge(applies, test)]
    if outcome == "unknown":
        return outcome, f"无法判定: {why}"
    return outcome, text_of(c, outcome).render(values, labels)


def _finding(
    rs: RuleSet,
    c: Criterion,
    env: dict[str, Any],
    missing: Mapping[str, str],
    ctx: Context,
) -> Finding:
    items: tuple[ItemFinding, ...] = ()
    if c.for_each is None:
        values = {n: env.get(n) for n in c.used}
        outcome, message = _judge(rs, c, env, values, missing, ctx.labels)
    else:
        values = {n: env.get(n) for n in c.used if "." not in n}
        outcome, message, items = _per_item(rs, c, env, missing, ctx)
    unconfirmed = c.unconfirmed or any(n in ctx.unconfirmed for n in c.used)
    if unconfirmed and outcome in {"pass", "fail"}:
        message += UNCONFIRMED
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
        items=items,
        parameters=ctx.uses(rs, c),
        hints=hints(rs, c, env) if outcome == "fail" else (),
    )


def _per_item(
    rs: RuleSet,
    c: Criterion,
    env: dict[str, Any],
    missing: Mapping[str, str],
    ctx: Context,
) -> tuple[CriterionOutcome, str, tuple[ItemFinding, ...]]:
    assert c.for_each is not None
    list_name, var = c.for_each
    # An absent list has no items to check (e.g. no removed members): not applicable.
    rows = env.get(list_name, [])
    if not isinstance(rows, list):
        why = _why_missing(rs, [list_name], missing)
        return "unknown", f"无法判定: {why}", ()
    labels = ctx.item_labels(rs, c)
    prefix = var + "."
    found: list[ItemFinding] = []
    outcomes: list[str] = []
    try:
        for index, item in enumerate(rows):
            env[var] = item
            values = {
                n: (item.get(n[len(prefix) :]) if n.startswith(prefix) else env.get(n))
                for n in c.used
            }
            outcome, message = _judge(rs, c, env, values, missing, labels)
            outcomes.append(outcome)
            if outcome != "pass":
                item_id = item.get(c.item_id_field) if c.item_id_field else None
                found.append(
                    ItemFinding(
                        index=index,
                        item_id=None if item_id is None else str(item_id),
                        outcome=outcome,
                        message=message,
                        values=values,
                    )
                )
    finally:
        env.pop(var, None)
    outcome = combine_items(outcomes)
    shown = [f for f in found if f.outcome == outcome] if outcome != "pass" else []
    if outcome == "pass":
        message = f"{c.label}: 全部 {len(rows)} 项达标"
    elif outcome == "not_applicable":
        message = c.not_applicable_text.render({}, labels) if not rows else f"{c.label}: 不适用"
    else:
        parts = [
            f"第 {f.index + 1} 项" + (f"({f.item_id})" if f.item_id else "") + f": {f.message}"
            for f in shown[:5]
        ]
        more = f" 等 {len(shown)} 项" if len(shown) > 5 else ""
        message = "; ".join(parts) + more
    return outcome, message, tuple(found)


def _with_unknown(extra: tuple[str, ...], findings: tuple[Finding, ...]) -> tuple[str, ...]:
    """The reasons of a record that could not be decided: its unknown criteria, and more."""
    unknown = tuple(
        f"「{f.label}」{f.message}"
        for f in findings
        if f.outcome == "unknown" and f.severity != "reference"
    )
    return (*unknown, *extra)


def refused(
    rs: RuleSet,
    record: Any,
    reason: str,
    *,
    source: str | None = None,
    as_of: str | dt.date | None = None,
) -> Result:
    """The ``invalid`` result of a record that cannot be judged for a reason outside its
    schema (it holds no date to judge it on, say): with its id and the digest of the record
    as checked, so that a verifier can tell whether the record changed."""
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    schema = rs.record_schema
    normalised, reasons = schema.check(record)
    origin = _Origin(schema.record_id(record), source, _snapshot(record, normalised))
    return _bare(rs, day, origin, "invalid", (reason, *reasons))


def rejected(
    rs: RuleSet, reason: str, *, source: str | None = None, as_of: str | dt.date | None = None
) -> Result:
    """The ``invalid`` result for input that never became a record (e.g. a line of bad JSON)."""
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    return _bare(rs, day, _Origin(None, source, None), "invalid", (reason,))


def _bare(
    rs: RuleSet,
    day: str,
    origin: _Origin,
    outcome: Outcome,
    reasons: tuple[str, ...] = (),
    conclusion: str | None = None,
) -> Result:
    """A result without findings: an invalid record, or a rule set that does not apply."""
    if conclusion is None:
        conclusion = "记录无效" if outcome == "invalid" else rs.decision.conclusion(outcome)
    return _result(rs, day, origin, outcome, conclusion, findings=(), reasons=reasons)
