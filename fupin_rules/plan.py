"""One generated function per rule set and day: the row evaluator's pass over a record.

The skeleton is fixed text: each derived field is computed into the environment, then whether
the rule set applies, then each criterion's outcome code, with the codes :func:`judge
<fupin_rules.decision.judge>` gives for each case (so the outcome follows from the test exactly
as on every other path). The expressions enter the skeleton as checked trees translated by the
row backend (:mod:`fupin_rules.language.rows`), the day's parameters as constants.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .decision import PER_ITEM, judge
from .language import Expression
from .language.rows import Translator, compile_module

__all__ = ["Plan", "compile_plan"]

Plan = Callable[[dict[str, Any]], tuple[list[int], list[int] | int]]
"""A rule set's compiled pass over one environment: see :func:`compile_plan`."""

NOT_APPLIES, APPLIES_UNKNOWN = 0, 1
"""What a plan returns instead of codes when the rule set does not apply, or when that could
not be told."""


class _Slots(ast.NodeTransformer):
    """Put generated expressions into a fixed skeleton, in place of ``_X<n>`` names."""

    def __init__(self, exprs: list[ast.expr]) -> None:
        self.exprs = exprs

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id.startswith("_X"):
            return self.exprs[int(node.id[2:])]
        return node


def compile_plan(
    derived: Iterable[tuple[str, Expression]],
    criteria: Iterable[tuple[Expression | None, Expression | None]],
    applies_if: Expression | None,
    fold: Mapping[str, Any],
) -> tuple[Plan, str]:
    """One generated function for a whole rule set on one day: derived fields, then whether
    it applies, then each criterion (``(applies_if, test)``; a test of None: a per-item
    criterion), with ``fold`` (the day's parameters and ``as_of``) as constants.

    ``plan(env)`` stores each derived field in ``env`` and returns ``(failed, codes)``: the
    indexes of the derived fields that could not be computed, and one outcome code per
    criterion (:mod:`fupin_rules.decision`; :data:`~fupin_rules.decision.PER_ITEM` for a
    per-item criterion), or instead of codes :data:`NOT_APPLIES` or :data:`APPLIES_UNKNOWN`.
    An expression that raises what :data:`~fupin_rules.language.EXPLAINED` lists counts as
    not computable; every other exception propagates.
    """
    translator = Translator(fold)
    exprs: list[ast.expr] = []
    names: list[str] = []

    def slot(expr: Expression) -> str:
        exprs.append(translator.expr(expr.tree))
        return f"_X{len(exprs) - 1}"

    not_applicable = judge(False, None)
    unknown = judge(None, None)
    passed, failed = judge(True, True), judge(True, False)
    lines = ["def _plan(_e):", "    _failed = []", "    _k = []"]
    for i, (name, expr) in enumerate(derived):
        names.append(name)
        lines += [
            "    try:",
            f"        _e[_n{i}] = {slot(expr)}",
            "    except _EXPLAINED:",
            f"        _failed.append({i})",
        ]
    if applies_if is not None:
        lines += [
            "    try:",
            f"        if not {slot(applies_if)}: return _failed, {NOT_APPLIES}",
            "    except _EXPLAINED:",
            f"        return _failed, {APPLIES_UNKNOWN}",
        ]
    for applies, test in criteria:
        if test is None:
            lines.append(f"    _k.append({PER_ITEM})")
            continue
        lines.append("    try:")
        if applies is not None:
            lines.append(f"        if not {slot(applies)}: _k.append({not_applicable})")
            lines.append(f"        else: _k.append({passed} if {slot(test)} else {failed})")
        else:
            lines.append(f"        _k.append({passed} if {slot(test)} else {failed})")
        lines += ["    except _EXPLAINED:", f"        _k.append({unknown})"]
    lines.append("    return _failed, _k")
    module = _Slots(exprs).visit(ast.parse("\n".join(lines)))
    namespace = translator.namespace()
    namespace.update({f"_n{i}": n for i, n in enumerate(names)})
    plan, python = compile_module(module, namespace, "_plan", "rule set plan")
    return plan, python
