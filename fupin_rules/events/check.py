"""Checking events: each one against its window, the standard on its date, its procedure, and
the state its earlier events left.

:class:`EventChecker` checks a batch (:meth:`EventChecker.check_all`: one result per input,
in input order, whatever the input holds) or one event (:meth:`EventChecker.check`);
:func:`check_event` is the one-event shortcut. A result is a :class:`~fupin_rules.Result`:

* ``outcome`` ``pass`` / ``fail`` / ``invalid``; ``record_id`` the event id, ``source`` its
  place, ``as_of`` its date, ``ruleset`` and ``fingerprint`` the procedure's;
* one finding per check of :data:`~fupin_rules.events.steps.CHECKS`: ``window`` (the calendar
  action's window, by :meth:`Calendar.check`), ``standard`` (the subject's record as the event
  leaves it, under the version in force on the event's date), ``state`` (the status marks
  and members the event found), ``changes`` (member changes with their reasons and dates,
  the marks the event must state), and the six procedure checks of
  :mod:`fupin_rules.events.steps`;
* decided as a rule set with ``method: all`` decides: a failing blocking finding fails the
  event, an undecidable one makes it invalid (with the reasons), reference findings only show.

An event that is not one (bad JSON, a schema problem, a date that does not exist, no
procedure in force on its date, an id used twice) is an ``invalid`` result with its reasons
and its place; the batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .._canonical import fingerprint
from .._frozen import freeze, thaw
from ..calendar.model import Calendar
from ..calendar.moments import Moment, parse_moment
from ..decision import Decision, Outcome, Severity
from ..errors import NotFoundError, UsageError
from ..io.jsonl import InputRecord
from ..library import Library, load_library
from ..model import Result, RuleSet
from ..results import Finding, ItemFinding
from ..schemas import load_schema
from .model import EVENT_SCHEMA, Event, kind_label, read_event
from .procedures import EventKind, Procedure, select_procedure
from .steps import StepContext, cite_all, make_finding, step_findings
from .subject import SubjectChecks
from .year import SubjectState, marks_found, record_after, years_of

__all__ = ["CONCLUSIONS", "EVENT_CHECK", "EventChecker", "check_event"]

EVENT_CHECK = "event.schema"
"""The ``ruleset`` of a result for input that never became an event with a procedure."""

CONCLUSIONS: Mapping[str, str] = {
    "pass": "事项符合时段、标准和程序",
    "fail": "事项不符合要求",
    "invalid": "无法判定",
    "not_applicable": "不适用",
}

_STANDARD_OUTCOMES: Mapping[str, Any] = {
    "pass": "pass",
    "fail": "fail",
    "invalid": "unknown",
    "not_applicable": "not_applicable",
}
"""A standard's record outcome as the ``standard`` finding's outcome."""


class EventChecker:
    """Checks events with one library.

    ``calendar``: ``ID@VERSION`` of the calendar to check every event's windows against
    (default: the event's own ``calendar``, else the calendar its procedure names, the version
    in force on the event's date). ``at``: the check moment (a step whose windows have not
    ended by then is not yet due; default: every step is due). ``parameters``: procedure
    parameters fixed for the run (``--param``), e.g. a notice length the sources do not give.
    """

    def __init__(
        self,
        library: Library | None = None,
        *,
        calendar: str | None = None,
        at: Moment | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.library = library if library is not None else load_library()
        self.calendar = calendar
        self.at = parse_moment(at) if at is not None else None
        self.parameters = freeze(_parameters(self.library, parameters or {}))
        self._standards: dict[tuple[str, str], RuleSet] = {}
        self._invalid_fingerprint = fingerprint(load_schema(EVENT_SCHEMA))
        self._subject = SubjectChecks(self.library.record_schemas)

    # -- batches

    def check_all(self, items: Iterable[InputRecord]) -> list[Result]:
        """One result per input item, in input order: items that are events are checked in
        their subjects' years (each against the state its earlier events left)."""
        entries: list[tuple[InputRecord, Event | None, Procedure | None, tuple[str, ...]]] = []
        first: dict[str, str] = {}
        for item in items:
            if item.error is not None:
                entries.append((item, None, None, (item.error,)))
                continue
            event, reasons = read_event(item.record, source=item.source)
            if event is None:
                entries.append((item, None, None, reasons))
                continue
            earlier = first.get(event.id)
            if earlier is not None:
                entries.append(
                    (item, None, None, (f"事项编号 {event.id} 重复 (第一次在 {earlier})",))
                )
                continue
            first[event.id] = item.source
            procedure, reasons = self._procedure(event)
            entries.append((item, event, procedure, reasons))
        procedures = {id(e): p for _, e, p, _ in entries if e is not None and p is not None}
        valid = [e for _, e, p, _ in entries if e is not None and p is not None]
        years = years_of(valid, sets=lambda e: procedures[id(e)].events[e.type].sets)
        out = []
        for item, event, procedure, reasons in entries:
            if event is None or procedure is None:
                out.append(self._invalid(item.record, item.source, reasons))
                continue
            found = years[(event.subject_kind, event.subject_id)].found(event)
            out.append(self._check(event, procedure, found))
        return out

    # -- one event

    def check(
        self,
        event: Event | Mapping[str, Any],
        *,
        found: SubjectState | None = None,
        source: str | None = None,
    ) -> Result:
        """The result of one event, against the state it ``found`` (default: nothing known
        before it). ``event`` may be plain data (one JSON line's object)."""
        if not isinstance(event, Event):
            data = event
            read, reasons = read_event(data, source=source)
            if read is None:
                return self._invalid(data, source, reasons)
            event = read
        procedure, reasons = self._procedure(event)
        if procedure is None:
            return self._invalid(thaw(event.data), event.source, reasons)
        state = found or SubjectState.empty(event.subject_kind, event.subject_id)
        return self._check(event, procedure, state)

    def _procedure(self, event: Event) -> tuple[Procedure | None, tuple[str, ...]]:
        try:
            procedure = select_procedure(self.library.procedures, event.type, event.day)
        except NotFoundError as exc:
            return None, (str(exc),)
        kind = procedure.events[event.type]
        if event.subject_kind not in kind.subjects:
            wanted = "或".join(kind_label(k) for k in kind.subjects)
            msg = (
                f"「{kind.label}」事项的对象须是{wanted}, 不是{kind_label(event.subject_kind)}"
                f" (subject.kind: {event.subject_kind})"
            )
            return None, (msg,)
        return procedure, ()

    def _invalid(self, data: Any, source: str | None, reasons: tuple[str, ...]) -> Result:
        day = ""
        event_id = None
        if isinstance(data, Mapping):
            event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
            try:
                day = parse_moment(data["date"]).date().isoformat()
            except (KeyError, TypeError, UsageError):
                day = ""
        return Result(
            outcome="invalid",
            ruleset=EVENT_CHECK,
            fingerprint=self._invalid_fingerprint,
            as_of=day,
            record_id=event_id,
            findings=(),
            reasons=reasons,
            conclusion="事项无效",
            source=source,
            checked=data if isinstance(data, Mapping) else None,
        )

    def _check(self, event: Event, procedure: Procedure, found: SubjectState) -> Result:
        kind = procedure.events[event.type]
        calendar, why = self._calendar(event, procedure)
        seen = marks_found(found, event)
        findings: list[Finding] = [
            self._window(event, kind, calendar, why),
            self._standard(event, kind, found),
            self._subject.state(event, kind, seen),
            self._subject.changes(event, kind),
            *step_findings(
                StepContext(
                    event=event,
                    procedure=procedure,
                    kind=kind,
                    calendar=calendar,
                    at=self.at,
                    overrides={
                        k: v for k, v in self.parameters.items() if k in procedure.parameters
                    },
                )
            ),
        ]
        decision = Decision.of("all", [(f.criterion, f.severity, None) for f in findings])
        outcome: Outcome = decision.decide([f.outcome for f in findings])[0]
        reasons: tuple[str, ...] = ()
        if outcome == "invalid":
            reasons = tuple(
                f"「{f.label}」无法判定: {f.message}"
                for f in findings
                if f.outcome == "unknown" and f.severity != "reference"
            )
        return Result(
            outcome=outcome,
            ruleset=procedure.key,
            fingerprint=procedure.fingerprint,
            as_of=event.day,
            record_id=event.id,
            findings=tuple(findings),
            reasons=reasons,
            conclusion=CONCLUSIONS[outcome],
            source=event.source,
            checked=thaw(event.data),
            parameters={k: v for k, v in self.parameters.items() if k in procedure.parameters},
        )

    # -- the window

    def _calendar(self, event: Event, procedure: Procedure) -> tuple[Calendar | None, str]:
        """The calendar of the event's windows, or None and why (its text starts with ! when
        the calendar asked for by name could not be had: then the window is undecidable)."""
        wanted = event.calendar or self.calendar
        try:
            calendar: Calendar = self.library.calendar(
                wanted or procedure.calendar, as_of=event.moment
            )
        except (NotFoundError, UsageError) as exc:
            return None, f"!{exc}" if wanted else str(exc)
        return calendar, ""

    def _window(
        self, event: Event, kind: EventKind, calendar: Calendar | None, why: str
    ) -> Finding:
        if calendar is None:
            if why.startswith("!"):
                return make_finding("window", "unknown", f"无法取得所指定的工作日程: {why[1:]}")
            return make_finding(
                "window",
                "not_applicable",
                f"事项日期 {event.when} 没有施行中的工作日程, 未检查时段 ({why});"
                " 如属某一年度的工作, 可用 calendar (或 --calendar) 指定日程",
            )
        try:
            checked = calendar.check(kind.action, event.moment)
        except NotFoundError as exc:
            return make_finding("window", "unknown", str(exc))
        source = calendar.sources[0] if calendar.sources else None
        return make_finding(
            "window",
            "pass" if checked.ok else "fail",
            checked.message,
            values={
                "calendar": checked.calendar,
                "calendar_fingerprint": checked.fingerprint,
                "action": checked.action,
                "status": checked.status,
                "moment": event.when,
            },
            sources=[source.cite(checked.section)] if source is not None else [],
        )

    # -- the standard

    def _version(self, standard: str, day: str) -> RuleSet:
        found = self._standards.get((standard, day))
        if found is None:
            found = self.library.get(standard, as_of=day)
            self._standards[(standard, day)] = found
        return found

    def _standard(self, event: Event, kind: EventKind, found: SubjectState) -> Finding:
        rule = kind.subjects[event.subject_kind]
        severity: Severity = "reference" if rule.severity == "reference" else "blocking"
        if rule.standard is None:
            return make_finding(
                "standard",
                "not_applicable",
                f"「{kind.label}」不按标准判定",
                sources=cite_all(kind.citations),
                severity=severity,
            )
        record = record_after(event.record if event.record is not None else found.record, event)
        if record is None:
            what = kind_label(event.subject_kind)
            if kind.record_required:
                return make_finding(
                    "standard",
                    "unknown",
                    f"事项没有附该{what}的记录 (record), 此前的事项也没有,"
                    f" 无法按 {rule.standard} 判定",
                    severity=severity,
                )
            return make_finding(
                "standard",
                "not_applicable",
                f"事项没有附该{what}的记录, 未按 {rule.standard} 检查",
                severity=severity,
            )
        try:
            rs = self._version(rule.standard, event.day)
        except NotFoundError as exc:
            return make_finding("standard", "unknown", str(exc), severity=severity)
        result = rs.evaluate(thaw(record), as_of=event.day, source=event.source)
        outcome = _STANDARD_OUTCOMES[result.outcome]
        bad = (
            [f for f in result.findings if f.outcome in {"fail", "unknown"}]
            if result.outcome != "pass"
            else []
        )
        items = [
            ItemFinding(
                index=rs.criteria.index(rs.criterion(f.criterion)),
                item_id=f.criterion,
                outcome=f.outcome,
                message=f"{f.label}: {f.message}",
                values={},
            )
            for f in bad
        ]
        head = f"按 {event.day} 施行的 {rs.key} ({rs.title}): {result.conclusion}"
        if result.outcome == "invalid":
            detail = "; ".join(result.reasons)
        else:
            detail = "; ".join(f"{f.label}: {f.message}" for f in bad if f.outcome == "fail")
        sources = [s for f in bad for s in f.sources] or [f"《{rs.title}》({rs.key})"]
        return make_finding(
            "standard",
            outcome,
            f"{head}" + (f"; {detail}" if detail else ""),
            items=items,
            values={
                "standard": rs.key,
                "standard_fingerprint": rs.fingerprint,
                "as_of": event.day,
                "outcome": result.outcome,
            },
            sources=sources,
            unconfirmed=any(f.unconfirmed for f in bad),
            severity=severity,
        )


def _parameters(library: Library, given: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter overrides checked against the procedures' parameters: known names, numbers."""
    known = {
        name: p
        for versions in library.procedures.values()
        for proc in versions
        for name, p in proc.parameters.items()
    }
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name not in known:
            msg = f"程序中没有参数 {name!r}"
            raise NotFoundError(msg, suggestions=sorted(known))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            msg = f"参数 {name} 的值须是数: 得到 {value!r}"
            raise UsageError(msg) from None
        if not number.is_finite() or number < 0:
            msg = f"参数 {name} 的值须是非负的数: 得到 {value!r}"
            raise UsageError(msg)
        integral = number == number.to_integral_value()
        if known[name].type == "integer" and not integral:
            msg = f"参数 {name} 须是整数: 得到 {value!r}"
            raise UsageError(msg)
        out[name] = int(number) if integral else number
    return out


def check_event(
    event: Event | Mapping[str, Any],
    *,
    library: Library | None = None,
    found: SubjectState | None = None,
    calendar: str | None = None,
    at: Moment | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Result:
    """Check one event (an :class:`Event` or its plain data) against the state it ``found``
    (default: nothing known). ``library``: default the bundled standards. See
    :class:`EventChecker` for the other options."""
    checker = EventChecker(library, calendar=calendar, at=at, parameters=parameters)
    return checker.check(event, found=found)
