"""Results explained for people: the text ``fupin-rules explain`` prints."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from .context import UNCONFIRMED
from .decision import CRITERION_LABELS, CRITERION_MARKS, SEVERITY_TAGS
from .display import display
from .evaluation import rejected
from .io.jsonl import InputRecord
from .model import Result, RuleSet
from .results import Finding

__all__ = ["evaluate_items", "explain_stored", "explain_text", "write_chosen"]

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


_FAILING = ("fail", "unknown")
_MARK = " *"
_FOOTNOTE = (
    "* 未经来源确认: 标 * 的指标, 其检验方法或所用参数 (标 * 的参数值) 尚无来源确认, 请核对依据"
)


def explain_text(result: Result, rs: RuleSet, *, only_failed: bool = False) -> str:
    """A readable Chinese explanation of one result: the conclusion first, then the reasons
    and the criteria that failed or could not be judged, then the others (none with
    ``only_failed``), then where the result comes from. The "not confirmed by a source" note
    is a mark ``*`` on the criteria and parameter values it concerns, said once at the end."""
    who = result.record_id or "(无编号)"
    lines = [f"记录 {who}  结论: {result.conclusion} ({result.outcome})"]
    for reason in result.reasons:
        lines.append(f"  原因: {reason}")
    findings = result.findings
    failing = [f for f in findings if f.outcome in _FAILING]
    others = [] if only_failed else [f for f in findings if f.outcome not in _FAILING]
    unconfirmed = False
    rest = "其余指标" if failing else "各项指标"  # "the others" only when some came first
    for heading, group in (("未达标或无法判定的指标", failing), (rest, others)):
        if not group:
            continue
        lines.append(f"{heading} ({len(group)} 项):")
        for f in group:
            unconfirmed |= f.unconfirmed
            lines += _finding_lines(f, rs)
    if only_failed and not failing:
        lines.append("没有未达标或无法判定的指标")
    lines.append(f"来源 {result.source or '-'}  标准 {rs.title} {result.ruleset}")
    lines.append(f"评估日期 {result.as_of}  指纹 {result.fingerprint}")
    if unconfirmed:
        lines.append(_FOOTNOTE)
    return "\n".join(lines) + "\n"


def _finding_lines(f: Finding, rs: RuleSet) -> list[str]:
    tag = SEVERITY_TAGS[f.severity]
    group = f"[{f.group}] " if f.group else ""
    mark, label = CRITERION_MARKS[f.outcome], CRITERION_LABELS[f.outcome]
    note = _MARK if f.unconfirmed else ""
    lines = [f"  {mark} {group}{f.label}{tag}: {label}{note}"]
    lines.append(f"      {f.message.removesuffix(UNCONFIRMED)}")
    for hint in f.hints:
        lines.append(f"      差距: {hint}")
    for src in f.sources:
        lines.append(f"      依据: {src}")
    for p in f.parameters:
        spec = rs.parameters.get(p.name)
        name = spec.label if spec is not None else p.name
        unit = f" {spec.unit}" if spec is not None and spec.unit else ""
        when = f" (自 {p.start} 起)" if p.start != _ALWAYS else ""
        star = _MARK if p.unconfirmed else ""
        cited = "; ".join(p.sources) or "未注明来源"
        lines.append(f"      参数「{name}」{display(p.value)}{unit}{when}{star}: {cited}")
    return lines


def explain_stored(result: Result, rs: RuleSet | None, *, only_failed: bool = False) -> str:
    """:func:`explain_text` of a stored result (read back from a results file), by ``rs``, the
    rules that produced it (None: not in the library). A result stored with criterion
    outcomes only (``--brief``, a decision log) lists them with the criteria's labels; one
    whose rules are not there says so, with what the line itself holds."""
    if rs is not None and (bool(result.findings) or not result.outcomes):
        return explain_text(result, rs, only_failed=only_failed)
    who = result.record_id or "(无编号)"
    lines = [f"记录 {who}  结论: {result.conclusion} ({result.outcome})"]
    lines += [f"  原因: {reason}" for reason in result.reasons]
    if rs is None:
        lines.append(
            f"  规则库中没有产生该结果的规则 {result.ruleset} (指纹 {result.fingerprint[:19]}…),"
            " 无法逐项说明; 请用 --rules 给出该版本的规则文件"
        )
    else:
        lines.append("  该结果只记有各指标的结论 (--brief 或决策日志); 逐项说明须重新评估原记录:")
    known = {} if rs is None else {c.id: c.label for c in rs.criteria}
    listed = [(c, o) for c, o in result.outcomes if not only_failed or o in _FAILING]
    for criterion, outcome in listed:
        label = f"{known[criterion]} ({criterion})" if criterion in known else criterion
        lines.append(f"  {CRITERION_MARKS[outcome]} {label}: {CRITERION_LABELS[outcome]}")
    if only_failed and not listed:
        lines.append("没有未达标或无法判定的指标")
    title = "" if rs is None else f"{rs.title} "
    lines.append(f"来源 {result.source or '-'}  标准 {title}{result.ruleset}")
    lines.append(f"评估日期 {result.as_of}  指纹 {result.fingerprint}")
    return "\n".join(lines) + "\n"


def write_chosen(
    results: Iterable[Result],
    explain: Callable[[Result], str],
    out: TextIO,
    *,
    record_id: str | None,
    limit: int,
) -> int:
    """Write the explanations ``explain`` gives of the results chosen (the one of
    ``record_id``, else the first ``limit``), a blank line between them; how many there were.
    Only those chosen are explained."""
    shown = 0
    for result in results:
        if record_id is not None and result.record_id != record_id:
            continue
        if shown:
            out.write("\n")
        out.write(explain(result))
        shown += 1
        if record_id is None and shown >= limit:
            break
    return shown
