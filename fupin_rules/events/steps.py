"""The procedure checks of one event: its steps against its procedure.

Six checks, each one :class:`~fupin_rules.results.Finding` (one per check, whatever the
procedure; the items are the steps that did not pass):

* ``steps``: every required step is there (a step not yet due at the check moment is not
  missing), and no step is unknown or recorded twice;
* ``order``: each step begins no earlier than the step before it ended;
* ``merged``: two steps in a row are not done on one day, where the procedure forbids merging
  (不得简化、合并步骤) and the later step may not share the day;
* ``durations``: each public notice is a period of at least its minimum days (a minimum the
  sources do not give is not judged: the finding is then shown only, never blocking);
* ``evidence``: the signatures, documents and number of people each step needs;
* ``step_windows``: each step falls in its calendar action's window.

The table of checks (:data:`CHECKS`) and :func:`make_finding` are shared with
:mod:`fupin_rules.events.check`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..calendar.model import Calendar
from ..calendar.moments import format_duration, show_bound
from ..decision import CriterionOutcome, Severity, combine_items
from ..errors import NotFoundError
from ..model import Citation
from ..results import Finding, ItemFinding, ParameterUse
from .model import Event, StepRecord, type_label
from .procedures import EventKind, Procedure, ProcedureStep

__all__ = ["CHECKS", "StepContext", "cite_all", "make_finding", "step_findings"]

CHECKS: Mapping[str, tuple[str, str]] = {
    "window": ("事项时段", "时段"),
    "standard": ("标准", "标准"),
    "state": ("此前状态", "状态"),
    "changes": ("变化及其原因", "变化"),
    "steps": ("步骤齐全", "程序"),
    "order": ("步骤顺序", "程序"),
    "merged": ("不得合并步骤", "程序"),
    "durations": ("公示天数", "程序"),
    "evidence": ("签字和材料", "程序"),
    "step_windows": ("步骤时段", "程序"),
}
"""check id -> (label, group), in the order an event's findings come."""


def make_finding(
    check: str,
    outcome: CriterionOutcome,
    message: str,
    *,
    items: Iterable[ItemFinding] = (),
    values: Mapping[str, Any] | None = None,
    sources: Iterable[str] = (),
    unconfirmed: bool = False,
    severity: Severity = "blocking",
    parameters: Iterable[ParameterUse] = (),
) -> Finding:
    """The finding of one check of :data:`CHECKS` (sources kept once each, in order)."""
    label, group = CHECKS[check]
    return Finding(
        criterion=check,
        label=label,
        group=group,
        severity=severity,
        outcome=outcome,
        message=message,
        values=dict(values or {}),
        sources=tuple(dict.fromkeys(sources)),
        unconfirmed=unconfirmed,
        items=tuple(items),
        parameters=tuple(parameters),
    )


def cite_all(citations: Iterable[Citation]) -> list[str]:
    """Citations as the text findings show (``《title》(number) clause``), each once."""
    return list(dict.fromkeys(str(c) for c in citations))


@attrs.frozen
class StepContext:
    """What the step checks of one event need."""

    event: Event
    procedure: Procedure
    kind: EventKind
    calendar: Calendar | None
    at: dt.datetime | None
    """The check moment: a missing step whose windows have not ended by then is not due."""
    overrides: Mapping[str, Any]
    """Parameter values fixed for the run (``--param``), by name."""


def _item(
    which: ProcedureStep, outcome: CriterionOutcome, message: str, **values: Any
) -> ItemFinding:
    return ItemFinding(
        index=which.index, item_id=which.id, outcome=outcome, message=message, values=values
    )


def _outcome(items: Sequence[ItemFinding], judged: bool) -> CriterionOutcome:
    if not judged:
        return "not_applicable"
    found = combine_items(i.outcome for i in items)
    return "pass" if found == "not_applicable" else found


def step_findings(ctx: StepContext) -> list[Finding]:
    """The six procedure findings of ``ctx.event``, in the order of :data:`CHECKS`."""
    steps = ctx.procedure.steps_for(ctx.event.type)
    present, listing = _present(ctx, steps)
    pairs = list(itertools.pairwise(present))
    return [
        _steps(ctx, steps, present, listing),
        _order(pairs),
        _merged(ctx, steps, pairs),
        _durations(ctx, present),
        _evidence(present),
        _step_windows(ctx, present),
    ]


Present = list[tuple[ProcedureStep, StepRecord]]


def _present(ctx: StepContext, steps: Sequence[ProcedureStep]) -> tuple[Present, list[ItemFinding]]:
    """The steps the event records, in procedure order, and the items for records that name
    no step of this procedure or repeat one."""
    known = {s.id: s for s in steps}
    found: dict[str, StepRecord] = {}
    problems: list[ItemFinding] = []
    label = type_label(ctx.event.type)
    for record in ctx.event.steps:
        step = known.get(record.step)
        if step is None:
            close = difflib.get_close_matches(record.step, list(known), n=2, cutoff=0.6)
            hint = f" (是否要写: {'、'.join(close)})" if close else ""
            problems.append(
                ItemFinding(
                    index=record.index,
                    item_id=record.step,
                    outcome="fail",
                    message=f"第 {record.index + 1} 项步骤 {record.step!r}: "
                    f"{ctx.procedure.key} 的「{label}」程序没有这一步骤{hint}",
                    values={"step": record.step},
                )
            )
            continue
        if step.id in found:
            first = found[step.id].index + 1
            problems.append(
                _item(
                    step,
                    "fail",
                    f"「{step.label}」记了两次 (第 {first} 项和第 {record.index + 1} 项)",
                    step=step.id,
                )
            )
            continue
        found[step.id] = record
    return [(s, found[s.id]) for s in steps if s.id in found], problems


def _due(ctx: StepContext, step: ProcedureStep) -> tuple[dt.datetime, str] | None:
    """When ``step`` is due: the end of its action's last window, as an instant and as the
    plan writes it (None: no calendar, or the action has no window in it)."""
    action = step.window_action(ctx.kind) or ctx.kind.action
    if ctx.calendar is None:
        return None
    try:
        windows = ctx.calendar.windows(action)
    except NotFoundError:
        return None
    last = max(windows, key=lambda w: w.end, default=None)
    return None if last is None else (last.end, show_bound(last.end_text))


def _steps(
    ctx: StepContext,
    steps: Sequence[ProcedureStep],
    present: Present,
    listing: list[ItemFinding],
) -> Finding:
    done = {s.id for s, _ in present}
    items = list(listing)
    pending: list[str] = []
    cited: list[Citation] = []
    for step in steps:
        if step.id in done or not step.required:
            continue
        due = _due(ctx, step)
        if ctx.at is not None and due is not None and ctx.at < due[0]:
            pending.append(f"{step.label} (至 {due[1]})")
            continue
        when = f" (应在 {due[1]} 前完成)" if due is not None else ""
        items.append(_item(step, "fail", f"缺少步骤「{step.label}」{when}", step=step.id))
        cited.extend(step.citations)
    failing = [i for i in items if i.outcome == "fail"]
    shown = f"; 尚未到期: {'、'.join(pending)}" if pending else ""
    if failing:
        message = "; ".join(i.message for i in failing) + shown
    else:
        message = f"{ctx.procedure.title}: 已有 {len(present)} 个步骤, 必需的步骤齐全{shown}"
    unconfirmed = ctx.procedure.unconfirmed or any(
        s.unconfirmed for s in steps if s.id in {i.item_id for i in failing}
    )
    return make_finding(
        "steps",
        "fail" if failing else "pass",
        message,
        items=items,
        values={
            "procedure": ctx.procedure.key,
            "present": [s.id for s, _ in present],
            "pending": pending,
        },
        sources=cite_all(cited or ctx.kind.citations),
        unconfirmed=unconfirmed,
    )


def _out_of_order(earlier: StepRecord, later: StepRecord) -> bool:
    """Whether ``later`` begins before ``earlier`` ended: to the minute when both times are
    written to the minute, else by days."""
    if earlier.timed_finish and later.timed_begin:
        return later.begin < earlier.finish
    return later.first_day < earlier.last_day


def _order(pairs: Sequence[tuple[tuple[ProcedureStep, StepRecord], ...]]) -> Finding:
    items = []
    cited: list[Citation] = []
    for (a, ra), (b, rb) in pairs:
        if _out_of_order(ra, rb):
            verb = "结束" if ra.period else ""
            items.append(
                _item(
                    b,
                    "fail",
                    f"「{b.label}」({rb.when}) 早于上一步骤「{a.label}」({ra.when}){verb}",
                    step=b.id,
                    previous=a.id,
                )
            )
            cited.extend(b.citations)
    if not pairs:
        message = "不足两个步骤, 无所谓先后"
    elif items:
        message = "; ".join(i.message for i in items)
    else:
        message = f"{len(pairs) + 1} 个步骤先后有序"
    return make_finding(
        "order",
        _outcome(items, bool(pairs)),
        message,
        items=items,
        sources=cite_all(cited),
    )


def _merged(
    ctx: StepContext,
    steps: Sequence[ProcedureStep],
    pairs: Sequence[tuple[tuple[ProcedureStep, StepRecord], ...]],
) -> Finding:
    rule = ctx.procedure.no_merging
    if rule is None:
        return make_finding("merged", "not_applicable", "本程序没有不得合并步骤的规定")
    items = []
    for (a, ra), (b, rb) in pairs:
        previous = steps[steps.index(b) - 1] if steps.index(b) > 0 else None
        allowed = b.same_day_as_previous and previous is a
        if rb.first_day == ra.last_day and not allowed and not _out_of_order(ra, rb):
            items.append(
                _item(
                    b,
                    "fail",
                    f"「{b.label}」与上一步骤「{a.label}」在同一天 ({rb.first_day.isoformat()})"
                    " 完成, 不得合并步骤",
                    step=b.id,
                    previous=a.id,
                    day=rb.first_day.isoformat(),
                )
            )
    if not pairs:
        message = "不足两个步骤"
    elif items:
        message = "; ".join(i.message for i in items)
    else:
        message = "相邻步骤都在不同日期完成 (允许同日的除外)"
    return make_finding(
        "merged", _outcome(items, bool(pairs)), message, items=items, sources=cite_all(rule)
    )


def _minimum(ctx: StepContext, step: ProcedureStep) -> tuple[Any, ParameterUse | None, str | None]:
    """The least days of a notice, the parameter it came from, and its label."""
    if not isinstance(step.min_days, str):
        return step.min_days, None, None
    name = step.min_days
    param = ctx.procedure.parameters[name]
    if name in ctx.overrides:
        value = ctx.overrides[name]
        use = ParameterUse(name, value, "0001-01-01", False, ())
        return value, use, param.label
    found = param.at(ctx.event.day)
    value = None if found is None else found.value
    use = ParameterUse(
        name=name,
        value=value,
        start="0001-01-01",
        unconfirmed=bool(found is None or found.unconfirmed),
        sources=tuple(cite_all(found.citations if found is not None else ())),
    )
    return value, use, param.label


def _durations(ctx: StepContext, present: Present) -> Finding:
    items = []
    uses: list[ParameterUse] = []
    judged = False
    unconfirmed = False
    cited: list[Citation] = []
    for step, record in present:
        if step.kind != "notice":
            continue
        judged = True
        if not record.period:
            items.append(
                _item(
                    step,
                    "fail",
                    f"「{step.label}」只写了一天 ({record.when}); 公示须写起止日期 (start 和 end)",
                    step=step.id,
                )
            )
            cited.extend(step.citations)
            continue
        length = record.finish - record.begin
        least, use, label = _minimum(ctx, step)
        if use is not None:
            uses.append(use)
            unconfirmed = unconfirmed or use.unconfirmed
        if step.min_days is None:
            continue
        shown = f"「{step.label}」{record.when}, 共 {format_duration(length)}"
        if least is None:
            items.append(
                _item(
                    step,
                    "unknown",
                    f"{shown}; 最少天数「{label}」来源未给出 (参数 {step.min_days} 没有值),"
                    f" 未判定 (可用 --param {step.min_days}=天数 指定)",
                    step=step.id,
                )
            )
            continue
        if Decimal(length.total_seconds()) < Decimal(least) * 86400:
            items.append(
                _item(step, "fail", f"{shown}, 少于 {least} 天", step=step.id, least=least)
            )
            cited.extend(step.citations)
    outcome = _outcome(items, judged)
    failing = [i for i in items if i.outcome != "pass"]
    if not judged:
        message = "没有公示步骤"
    elif failing:
        message = "; ".join(i.message for i in failing)
    else:
        message = "公示天数符合要求"
    # A minimum no source gives cannot decide anything: shown only, never blocking.
    severity: Severity = "reference" if outcome == "unknown" else "blocking"
    return make_finding(
        "durations",
        outcome,
        message,
        items=items,
        sources=cite_all(cited),
        unconfirmed=unconfirmed,
        severity=severity,
        parameters=uses,
    )


def _evidence(present: Present) -> Finding:
    items = []
    judged = False
    cited: list[Citation] = []
    for step, record in present:
        if not (step.signatures or step.documents or step.min_people):
            continue
        judged = True
        lacking = [
            f"缺少{role}签字"
            for role in step.signatures
            if not any(p.role == role and p.signed for p in record.signatures)
        ]
        lacking += [f"缺少材料{d.label}" for d in step.documents if d.id not in record.documents]
        people = {p.name.strip() for p in record.by if p.signed and p.name}
        count = len(people) if people else len(record.by)
        if step.min_people and count < step.min_people:
            lacking.append(f"经办人员 {count} 人, 少于 {step.min_people} 人")
        if lacking:
            items.append(
                _item(step, "fail", f"「{step.label}」" + "、".join(lacking), step=step.id)
            )
            cited.extend(step.citations)
    if not judged:
        message = "已有的步骤没有签字或材料的要求"
    elif items:
        message = "; ".join(i.message for i in items)
    else:
        message = "各步骤的签字、材料和经办人员齐全"
    unconfirmed = any(s.unconfirmed for s, _ in present if s.id in {i.item_id for i in items})
    return make_finding(
        "evidence",
        _outcome(items, judged),
        message,
        items=items,
        sources=cite_all(cited),
        unconfirmed=unconfirmed,
    )


def _step_windows(ctx: StepContext, present: Present) -> Finding:
    timed = [(s, r, s.window_action(ctx.kind)) for s, r in present if s.window_action(ctx.kind)]
    if ctx.calendar is None or not timed:
        why = "没有施行中的工作日程" if ctx.calendar is None else "已有的步骤没有规定时段"
        return make_finding("step_windows", "not_applicable", why)
    cal = ctx.calendar
    items = []
    sections: list[str] = []
    for step, record, action in timed:
        assert action is not None
        moments = [record.begin]
        if record.period:
            moments.append(record.finish - dt.timedelta(minutes=1))
        try:
            checks = [cal.check(action, m) for m in moments]
        except NotFoundError as exc:
            items.append(_item(step, "unknown", f"「{step.label}」: {exc}", step=step.id))
            continue
        sections.extend(c.section for c in checks if c.section)
        missed = next((c for c in checks if not c.ok), None)
        if missed is not None:
            items.append(
                _item(
                    step,
                    "fail",
                    f"「{step.label}」: {missed.message}",
                    step=step.id,
                    action=action,
                    status=missed.status,
                )
            )
    message = "; ".join(i.message for i in items) if items else "各步骤都在规定时段内"
    source = cal.sources[0] if cal.sources else None
    cites = [source.cite(s) for s in dict.fromkeys(sections)] if source is not None else []
    return make_finding(
        "step_windows",
        _outcome(items, True),
        message,
        items=items,
        values={"calendar": f"{cal.id}@{cal.version}", "calendar_fingerprint": cal.fingerprint},
        sources=cites,
    )
