"""Results explained for people: the text ``fupin-rules explain`` prints."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .decision import CRITERION_LABELS, CRITERION_MARKS, SEVERITY_TAGS
from .display import display
from .evaluation import rejected
from .io.jsonl import InputRecord
from .model import Result, RuleSet

__all__ = ["evaluate_items", "explain_text"]

_ALWAYS = "0001-01-01"
"""The start of a parameter written with one value (no date)."""


def evaluate_items(
    rs: RuleSet, items: Iterable[InputRecord]
) -> Iterator[tuple[InputRecord, Result]]:
    """Each input item with its result: a record evaluated, anything else ``invalid`` with the
    reason it is not a record (one result per item, in order)."""
    for item in items:
        if item.error is not None:
            yield item, rejected(rs, item.error, source=item.source)
        else:
            yield item, rs.evaluate(item.record, source=item.source)


def explain_text(result: Result, rs: RuleSet) -> str:
    """A readable Chinese explanation of one result."""
    lines = []
    who = result.record_id or "(无编号)"
    lines.append(f"记录 {who}  来源 {result.source or '-'}")
    lines.append(f"标准 {rs.title} {result.ruleset}  评估日期 {result.as_of}")
    lines.append(f"指纹 {result.fingerprint}")
    lines.append(f"结论: {result.conclusion} ({result.outcome})")
    for reason in result.reasons:
        lines.append(f"  原因: {reason}")
    for f in result.findings:
        tag = SEVERITY_TAGS[f.severity]
        group = f"[{f.group}] " if f.group else ""
        mark, label = CRITERION_MARKS[f.outcome], CRITERION_LABELS[f.outcome]
        lines.append(f"  {mark} {group}{f.label}{tag}: {label}")
        lines.append(f"      {f.message}")
        for hint in f.hints:
            lines.append(f"      差距: {hint}")
        for s in f.sources:
            lines.append(f"      依据: {s}")
        for p in f.parameters:
            spec = rs.parameters.get(p.name)
            label = spec.label if spec is not None else p.name
            unit = f" {spec.unit}" if spec is not None and spec.unit else ""
            when = [] if p.start == _ALWAYS else [f"自 {p.start} 起"]
            when += ["未经来源确认"] if p.unconfirmed else []
            shown = f" ({', '.join(when)})" if when else ""
            cited = "; ".join(p.sources) or "未注明来源"
            lines.append(f"      参数「{label}」{display(p.value)}{unit}{shown}: {cited}")
    return "\n".join(lines) + "\n"
