"""Running the examples embedded in rule files (``fupin-rules test``).

Each example is a record with the outcome the rule set must give and, optionally, the exact
set of failing criteria and the outcome of named criteria. A failure names the file, the line
of the example, the example and the criterion that differed.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .library import Library
from .model import Example, Result, RuleSet

__all__ = ["ExampleFailure", "ExampleReport", "check_example", "run_examples"]


@attrs.frozen
class ExampleFailure:
    """An example whose result differs from what it expects."""

    ruleset: str
    example: str
    file: str
    line: int | None
    differences: tuple[str, ...]

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        body = "; ".join(self.differences)
        return f"{where}: {self.ruleset} 样例 {self.example!r}: {body}"


@attrs.frozen
class ExampleReport:
    """What running the examples found."""

    total: int
    failures: tuple[ExampleFailure, ...]
    passed: tuple[str, ...]


def check_example(rs: RuleSet, example: Example) -> tuple[Result, tuple[str, ...]]:
    """Evaluate one example; return the result and the differences from what it expects."""
    result = rs.evaluate(example.plain_record(), as_of=example.as_of or rs.effective_from)
    diffs: list[str] = []
    if result.outcome != example.outcome:
        detail = ""
        if result.reasons:
            detail = " (" + "; ".join(result.reasons[:3]) + ")"
        diffs.append(f"结果应为 {example.outcome}, 实际为 {result.outcome}{detail}")
    outcomes = {f.criterion: f for f in result.findings}
    if example.failing is not None:
        failing = {f.criterion for f in result.findings if f.outcome == "fail"}
        for cid in sorted(example.failing - failing):
            got = outcomes.get(cid)
            diffs.append(
                f"指标 {cid} 应为 fail, 实际为 {got.outcome if got else '无结果'}"
                + (f" ({got.message})" if got else "")
            )
        for cid in sorted(failing - example.failing):
            diffs.append(f"指标 {cid} 不应为 fail ({outcomes[cid].message})")
    for cid, expected in sorted(example.criteria.items()):
        got = outcomes.get(cid)
        actual = got.outcome if got else "无结果"
        if actual != expected:
            diffs.append(
                f"指标 {cid} 应为 {expected}, 实际为 {actual}"
                + (f" ({got.message})" if got else "")
            )
    return result, tuple(diffs)


def run_examples(rulesets: Library | Iterable[RuleSet]) -> ExampleReport:
    """Run every example of every rule set."""
    failures: list[ExampleFailure] = []
    passed: list[str] = []
    total = 0
    for rs in rulesets:
        for example in rs.examples:
            total += 1
            _, diffs = check_example(rs, example)
            if diffs:
                failures.append(
                    ExampleFailure(
                        ruleset=rs.key,
                        example=example.name,
                        file=example.file,
                        line=example.line,
                        differences=diffs,
                    )
                )
            else:
                passed.append(f"{rs.key} {example.name}")
    return ExampleReport(total=total, failures=tuple(failures), passed=tuple(passed))
