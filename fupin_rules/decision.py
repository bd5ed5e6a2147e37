"""Outcomes, severities, and how a record's outcome follows from its criteria: stated once.

Every way of evaluating (the generated row plan, the reference path, whole columns, Arrow
batches) takes its outcome codes and its decisions from here:

* :func:`judge`: a criterion's outcome from whether it applies and what its test gave;
* :func:`combine_items`: a per-item criterion's outcome from its items' outcomes;
* :meth:`Decision.decide`: the record's outcome from its criteria's outcomes (veto, then
  ``all``, ``points`` or a decision ``expression``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .errors import EvaluationError
from .language import Expression

__all__ = [
    "CRITERION_LABELS",
    "CRITERION_MARKS",
    "CRITERION_OUTCOMES",
    "FAIL",
    "JUDGEMENTS",
    "NOT_APPLICABLE",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "PASS",
    "PER_ITEM",
    "SEVERITIES",
    "SEVERITY_TAGS",
    "UNKNOWN",
    "CriterionOutcome",
    "Decision",
    "Outcome",
    "Severity",
    "combine_items",
    "judge",
]

Outcome = Literal["pass", "fail", "invalid", "not_applicable"]
"""A record's outcome."""
CriterionOutcome = Literal["pass", "fail", "not_applicable", "unknown"]
"""A criterion's outcome on one record."""
Severity = Literal["blocking", "reference", "veto"]
"""How a criterion counts: it must pass (blocking), it is shown only (reference), or its
failure fails the record whatever the decision method (veto)."""

SEVERITIES: tuple[Severity, ...] = ("blocking", "reference", "veto")

CRITERION_OUTCOMES: tuple[CriterionOutcome, ...] = ("pass", "fail", "not_applicable", "unknown")
"""Criterion outcomes by code (``int8`` in columns, small ints in the row plan)."""
PASS, FAIL, NOT_APPLICABLE, UNKNOWN = range(4)
PER_ITEM = 4
"""The code of a per-item criterion in the row plan: judged item by item by the reference."""
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "invalid", "not_applicable")
"""Record outcomes by code (in columns)."""

OUTCOME_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "pass": "达标",
        "fail": "未达标",
        "invalid": "无效",
        "not_applicable": "不适用",
    }
)
"""Record outcomes as staff read them (counts, summaries)."""
CRITERION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "pass": "达标",
        "fail": "未达标",
        "not_applicable": "不适用",
        "unknown": "无法判定",
    }
)
"""Criterion outcomes as staff read them."""
CRITERION_MARKS: Mapping[str, str] = MappingProxyType(
    {"pass": "✓", "fail": "✗", "not_applicable": "-", "unknown": "?"}
)
"""One-character marks of criterion outcomes (explanations, result workbooks)."""
SEVERITY_TAGS: Mapping[str, str] = MappingProxyType(
    {"blocking": "", "reference": " [参考指标]", "veto": " [一票否决]"}
)
"""How a criterion's severity is shown after its label."""


def judge(applies: bool | None, test: bool | None) -> int:
    """A criterion's outcome code. ``applies``: whether it applies (True when it has no
    ``applies_if``; None when that could not be evaluated). ``test``: its test's value (None
    when it could not be evaluated); not read when the criterion does not apply."""
    if applies is None:
        return UNKNOWN
    if not applies:
        return NOT_APPLICABLE
    if test is None:
        return UNKNOWN
    return PASS if test else FAIL


_STATES: tuple[bool | None, ...] = (False, True, None)
JUDGEMENTS: tuple[tuple[int, ...], ...] = tuple(
    tuple(judge(a, b) for b in _STATES) for a in _STATES
)
""":func:`judge` as a table, ``JUDGEMENTS[applies][test]`` with states 0 false, 1 true,
2 unknown (for whole columns at once)."""


def combine_items(outcomes: Iterable[str]) -> CriterionOutcome:
    """A per-item criterion's outcome: fail if any item fails, else unknown if any is, else
    pass if any passes, else (no items, or none applies) not applicable."""
    seen = set(outcomes)
    for outcome in ("fail", "unknown", "pass"):
        if outcome in seen:
            return outcome
    return "not_applicable"


@attrs.frozen(eq=False)
class Decision:
    """How criterion outcomes combine into the record's outcome. Build with :meth:`of`."""

    method: Literal["all", "points", "expression"]
    threshold: Any = None
    expression: Expression | None = None
    pass_text: str | None = None
    fail_text: str | None = None
    criteria: tuple[str, ...] = ()
    """The criteria's ids, in the rule set's order (the order of the outcomes decided)."""
    severities: tuple[Severity, ...] = ()
    points: tuple[Any, ...] = ()
    """Each criterion's points (0 when it has none), for ``points``."""
    veto: tuple[int, ...] = ()
    """Positions of the veto criteria."""
    gate: tuple[bool, ...] = ()
    """Per criterion: whether it counts for ``all`` (every severity but ``reference``)."""

    @classmethod
    def of(
        cls,
        method: Literal["all", "points", "expression"],
        criteria: Sequence[tuple[str, Severity, Any]],
        *,
        threshold: Any = None,
        expression: Expression | None = None,
        pass_text: str | None = None,
        fail_text: str | None = None,
    ) -> Decision:
        """The decision of ``method`` over ``criteria``: ``(id, severity, points)`` each."""
        severities = tuple(s for _, s, _ in criteria)
        return cls(
            method=method,
            threshold=threshold,
            expression=expression,
            pass_text=pass_text,
            fail_text=fail_text,
            criteria=tuple(c for c, _, _ in criteria),
            severities=severities,
            points=tuple(p or 0 for _, _, p in criteria),
            veto=tuple(i for i, s in enumerate(severities) if s == "veto"),
            gate=tuple(s != "reference" for s in severities),
        )

    def conclusion(self, outcome: Outcome) -> str:
        """The record's conclusion as staff read it."""
        if outcome == "pass":
            return self.pass_text or "达标"
        if outcome == "fail":
            return self.fail_text or "未达标"
        return "无法判定" if outcome == "invalid" else "不适用"

    def decide(self, outcomes: Sequence[str]) -> tuple[Outcome, tuple[str, ...] | None]:
        """The record's outcome from its criteria's outcomes (in the rule set's order), and
        None, or for a record that cannot be decided, the reasons to add to those of its
        unknown criteria."""
        if len(outcomes) != len(self.gate):
            msg = f"{len(outcomes)} outcomes for {len(self.gate)} criteria"
            raise ValueError(msg)
        if any(outcomes[i] == "fail" for i in self.veto):
            return "fail", None
        if self.method == "all":
            gated = [o for o, g in zip(outcomes, self.gate, strict=True) if g]
            if "fail" in gated:
                return "fail", None
            if "unknown" in gated:
                return "invalid", ()
            return "pass", None
        vetoes_unknown = any(outcomes[i] == "unknown" for i in self.veto)
        if self.method == "points":
            got = sum(p for p, o in zip(self.points, outcomes, strict=True) if o == "pass")
            maybe = sum(p for p, o in zip(self.points, outcomes, strict=True) if o == "unknown")
            if got >= self.threshold:
                return ("invalid", ()) if vetoes_unknown else ("pass", None)
            if got + maybe < self.threshold:
                return "fail", None
            return "invalid", ()
        return self._by_expression(outcomes, vetoes_unknown)

    def _by_expression(
        self, outcomes: Sequence[str], vetoes_unknown: bool
    ) -> tuple[Outcome, tuple[str, ...] | None]:
        assert self.expression is not None
        base: dict[str, Any] = {}
        unknown: list[str] = []
        for cid, o in zip(self.criteria, outcomes, strict=True):
            if o == "unknown":
                unknown.append(cid)
            else:
                base[cid] = o != "fail"
        if len(unknown) > 12:
            return "invalid", ()
        answers = set()
        # Kleene logic by enumeration: the outcome is decided only if every way the unknown
        # criteria could come out gives the same answer.
        for combo in itertools.product((True, False), repeat=len(unknown)):
            env = dict(base)
            env.update(zip(unknown, combo, strict=True))
            try:
                answers.add(bool(self.expression.evaluate(env)))
            except EvaluationError:
                return "invalid", ("判定表达式无法计算",)
            if len(answers) > 1:
                break
        if len(answers) != 1:
            return "invalid", ()
        if answers.pop():
            return ("invalid", ()) if vetoes_unknown else ("pass", None)
        return "fail", None
