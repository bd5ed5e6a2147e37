"""Procedures (程序) as versioned YAML: the ordered steps of each kind of event.

A procedure file (``kind: procedure``, schema ``schemas/procedure.schema.json``) holds one
version of the procedure of one or more event types: the calendar action each event and step
falls in, the standard that judges the subject, the status marks the event requires and sets,
and the steps in order with the evidence each needs (signatures, documents, people), the
minimum length of each public notice, and whether two steps may share a day. What the sources
do not give is a parameter or a step marked ``unconfirmed``, never a silent invention.

:func:`load_procedure_document` checks one file and fails closed (:class:`RuleFileError`, every
problem at file:line:column); :func:`link_problems` checks what a file names in other files
(calendar actions, standards, header maps, mark values), which the library does once every
file is loaded; :func:`select_procedure` picks the version in force for an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from .._canonical import fingerprint
from .._frozen import freeze
from .._yaml import YamlDocument, problem_at
from ..errors import NotFoundError, Problem, RuleFileError
from ..model import Citation, Parameter, ParameterValue, Source
from ..schemas import document_problems
from .model import type_label

__all__ = [
    "PROCEDURE_SCHEMA",
    "Document",
    "EventKind",
    "Procedure",
    "ProcedureStep",
    "Requirement",
    "SubjectRule",
    "TableSpec",
    "link_problems",
    "load_procedure_document",
    "mark_values_of",
    "select_procedure",
]

PROCEDURE_SCHEMA = "procedure.schema.json"

Path_ = tuple[str | int, ...]

_BOOLEAN_MARKS = frozenset({"planned_exit", "registered", "poor_village", "deep_poverty_village"})


@attrs.frozen
class Requirement:
    """A status mark an event needs before it happens: the mark and the values allowed."""

    mark: str
    subject: str | None
    """Only for subjects of this kind (None: every kind the event type has)."""
    allowed: tuple[Any, ...]
    message: str | None
    citations: tuple[Citation, ...]
    unconfirmed: bool
    path: Path_
    """Where its values are written in the file (for problems)."""


@attrs.frozen
class SubjectRule:
    """For one kind of subject (户 or 村): the standard that judges its record, and whether a
    record failing it makes the event fail (``blocking``) or is shown only (``reference``)."""

    kind: str
    standard: str | None
    severity: str


@attrs.frozen
class TableSpec:
    """How a form (附件6, 附件7) becomes events: the header map that reads it, the member list
    its rows fill, the change those members are, and the step and document the form is."""

    headermap: str
    rows: str
    change: str
    step: str
    document: str


@attrs.frozen
class EventKind:
    """One event type as a procedure defines it."""

    type: str
    label: str
    action: str
    subjects: Mapping[str, SubjectRule] = attrs.field(converter=freeze)
    record_required: bool
    must_change: tuple[str, ...]
    requires: tuple[Requirement, ...]
    sets: Mapping[str, Any] = attrs.field(converter=freeze)
    tables: TableSpec | None
    citations: tuple[Citation, ...]


@attrs.frozen
class Document:
    """A document (form, list, announcement) a step needs."""

    id: str
    label: str


@attrs.frozen
class ProcedureStep:
    """One step of a procedure."""

    id: str
    label: str
    index: int
    """Position in the procedure, from 0."""
    kind: str
    """``act`` (done at once) or ``notice`` (a public notice: a period)."""
    action: str | None
    within_event_window: bool
    """The step falls in the window of the event's own action (rather than of ``action``)."""
    events: tuple[str, ...]
    """The event types the step is for; empty: every type of the procedure."""
    required: bool
    same_day_as_previous: bool
    min_days: int | str | None
    """The least length of a notice in days: a number, or a parameter's name."""
    signatures: tuple[str, ...]
    documents: tuple[Document, ...]
    min_people: int | None
    citations: tuple[Citation, ...]
    unconfirmed: bool
    note: str | None

    def applies_to(self, event_type: str) -> bool:
        """Whether the step is part of the procedure of ``event_type``."""
        return not self.events or event_type in self.events

    def window_action(self, kind: EventKind) -> str | None:
        """The calendar action whose windows the step must fall in, for events of ``kind``."""
        return kind.action if self.within_event_window else self.action

    def document(self, document_id: str) -> Document | None:
        """The document of this id the step needs, or None."""
        return next((d for d in self.documents if d.id == document_id), None)


def _positions(marks: Mapping[Path_, tuple[int, int]]) -> Mapping[Path_, tuple[int, int]]:
    return freeze({tuple(k): (int(v[0]), int(v[1])) for k, v in marks.items()})


@attrs.frozen(eq=False)
class Procedure:
    """One loaded, checked version of a procedure. Build it with :func:`load_procedure_document`."""

    id: str
    version: str
    title: str
    effective_from: str
    effective_until: str | None
    effective_unconfirmed: bool
    calendar: str
    unconfirmed: bool
    sources: tuple[Source, ...]
    parameters: Mapping[str, Parameter] = attrs.field(converter=freeze)
    no_merging: tuple[Citation, ...] | None
    """Citations of the rule that steps may not be merged on one day; None: no such rule."""
    events: Mapping[str, EventKind] = attrs.field(converter=freeze)
    steps: tuple[ProcedureStep, ...]
    fingerprint: str
    file: str
    positions: Mapping[Path_, tuple[int, int]] = attrs.field(
        factory=dict, repr=False, converter=_positions
    )

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def in_force(self, day: str | dt.date) -> bool:
        """Whether this version is in force on ``day`` (both effective dates included)."""
        text = day.isoformat() if isinstance(day, dt.date) else day
        return self.effective_from <= text and (
            self.effective_until is None or text <= self.effective_until
        )

    def steps_for(self, event_type: str) -> tuple[ProcedureStep, ...]:
        """The steps of ``event_type``'s procedure, in order."""
        return tuple(s for s in self.steps if s.applies_to(event_type))

    def step(self, step_id: str) -> ProcedureStep | None:
        """The step of this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)

    def problem(
        self, path: Path_, message: str, *, hint: str | None = None, code: str = "error"
    ) -> Problem:
        """A problem placed at ``path`` of this procedure's file."""
        return problem_at(self.file, self.positions, path, message, hint=hint, code=code)


# --------------------------------------------------------------------------- loading


def load_procedure_document(doc: YamlDocument) -> Procedure:
    """A :class:`Procedure` from a YAML document. Raises :class:`RuleFileError` with every
    problem (shape first, then meaning), each at file:line:column; nothing is half-built."""
    problems = document_problems(doc, PROCEDURE_SCHEMA)
    if problems:
        raise RuleFileError(problems)
    return _Builder(doc).build()


class _Builder:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.data: Mapping[str, Any] = doc.data
        self.problems: list[Problem] = []
        self.sources: dict[str, Source] = {}

    def problem(self, path: Path_, message: str, code: str, hint: str | None = None) -> None:
        self.problems.append(self.doc.problem(path, message, hint=hint, code=code))

    def build(self) -> Procedure:
        data = self.data
        self._sources()
        parameters = self._parameters()
        effective = data["effective"]
        until = effective.get("until")
        if until is not None and until < effective["from"]:
            self.problem(
                ("effective", "until"),
                f"废止日期 {until} 早于施行日期 {effective['from']}",
                "procedure.bad-effective",
            )
        events = {t: self._event(t, spec) for t, spec in data["events"].items()}
        steps = self._steps(events, parameters)
        for t, kind in events.items():
            if not any(s.applies_to(t) for s in steps):
                self.problem(("events", t), f"事项类型 {t} 没有任何步骤", "procedure.no-steps")
            if kind.tables is not None:
                self._tables(t, kind.tables, steps)
        merging = data.get("no_merging")
        if self.problems:
            raise RuleFileError(self.problems)
        return Procedure(
            id=str(data["id"]),
            version=str(data["version"]),
            title=str(data["title"]),
            effective_from=str(effective["from"]),
            effective_until=None if until is None else str(until),
            effective_unconfirmed=bool(effective.get("unconfirmed", False)),
            calendar=str(data["calendar"]),
            unconfirmed=bool(data.get("unconfirmed", False)),
            sources=tuple(self.sources.values()),
            parameters=parameters,
            no_merging=None
            if merging is None
            else self._cites(merging["sources"], ("no_merging", "sources")),
            events=events,
            steps=steps,
            fingerprint=fingerprint(data),
            file=self.doc.file,
            positions=self.doc.marks,
        )

    def _sources(self) -> None:
        for i, s in enumerate(self.data["sources"]):
            if s["id"] in self.sources:
                self.problem(("sources", i, "id"), f"来源名称 {s['id']!r} 重复", "source.duplicate")
                continue
            self.sources[s["id"]] = Source(
                id=s["id"],
                title=s["title"],
                number=s.get("number"),
                issuer=s.get("issuer"),
                date=s.get("date"),
                url=s.get("url"),
                reliability=s.get("reliability"),
                unconfirmed=bool(s.get("unconfirmed", False)),
                note=s.get("note"),
            )

    def _cites(self, items: Iterable[Mapping[str, Any]], path: Path_) -> tuple[Citation, ...]:
        out = []
        for i, c in enumerate(items):
            source = self.sources.get(c["ref"])
            if source is None:
                self.problem(
                    (*path, i, "ref"),
                    f"未知的来源 {c['ref']!r}",
                    "source.unknown",
                    hint="可用的来源: " + ", ".join(self.sources),
                )
                continue
            out.append(Citation(source, c.get("clause")))
        return tuple(out)

    def _parameters(self) -> dict[str, Parameter]:
        out = {}
        for name, p in (self.data.get("parameters") or {}).items():
            path = ("parameters", name)
            value = p["value"]
            if p["type"] == "integer" and value is not None and value != int(value):
                self.problem((*path, "value"), f"参数值 {value} 不是整数", "parameter.type")
            cites = self._cites(p.get("sources") or (), (*path, "sources"))
            out[name] = Parameter(
                name=name,
                label=p["label"],
                type=p["type"],
                unit=p.get("unit"),
                values=(
                    ParameterValue(
                        start="0001-01-01",
                        value=_number(value),
                        unconfirmed=bool(p.get("unconfirmed", False)),
                        note=p.get("note"),
                        citations=cites,
                    ),
                ),
                note=p.get("note"),
            )
        return out

    def _event(self, event_type: str, spec: Mapping[str, Any]) -> EventKind:
        path: Path_ = ("events", event_type)
        requires = []
        for i, r in enumerate(spec.get("requires") or ()):
            where = (*path, "requires", i)
            if r.get("subject") is not None and r["subject"] not in spec["subjects"]:
                self.problem(
                    (*where, "subject"),
                    f"事项类型 {event_type} 不适用于 {r['subject']}",
                    "procedure.requirement",
                )
            if ("equals" in r) == ("in" in r):
                self.problem(where, "须写 equals 或 in 二者之一", "procedure.requirement")
                continue
            allowed = (r["equals"],) if "equals" in r else tuple(r["in"])
            values_at = (*where, "equals" if "equals" in r else "in")
            for value in allowed:
                self._mark_value(r["mark"], value, values_at)
            requires.append(
                Requirement(
                    mark=r["mark"],
                    subject=r.get("subject"),
                    allowed=allowed,
                    message=r.get("message"),
                    citations=self._cites(r.get("sources") or (), (*where, "sources")),
                    unconfirmed=bool(r.get("unconfirmed", False)),
                    path=values_at,
                )
            )
        sets = dict(spec.get("sets") or {})
        for mark, value in sets.items():
            self._mark_value(mark, value, (*path, "sets", mark))
        tables = spec.get("tables")
        return EventKind(
            type=event_type,
            label=spec["label"],
            action=spec["action"],
            subjects={
                k: SubjectRule(k, s.get("standard"), s.get("severity", "blocking"))
                for k, s in spec["subjects"].items()
            },
            record_required=spec.get("record", "optional") == "required",
            must_change=tuple(spec.get("must_change") or ()),
            requires=tuple(requires),
            sets=sets,
            tables=None if tables is None else TableSpec(**tables),
            citations=self._cites(spec.get("sources") or (), (*path, "sources")),
        )

    def _mark_value(self, mark: str, value: Any, path: Path_) -> None:
        if (mark in _BOOLEAN_MARKS) != isinstance(value, bool):
            want = "true 或 false" if mark in _BOOLEAN_MARKS else "文本 (如 未脱贫)"
            self.problem(
                path, f"标注 {mark} 的取值应为 {want}, 实际为 {value!r}", "procedure.mark-value"
            )

    def _steps(
        self, events: Mapping[str, EventKind], parameters: Mapping[str, Parameter]
    ) -> tuple[ProcedureStep, ...]:
        out: list[ProcedureStep] = []
        first: dict[str, int] = {}
        for i, s in enumerate(self.data["steps"]):
            path: Path_ = ("steps", i)
            if s["id"] in first:
                line = self.doc.locate(("steps", first[s["id"]]))[0]
                self.problem(
                    (*path, "id"),
                    f"步骤编号 {s['id']!r} 重复 (第一次出现在第 {line} 行)",
                    "procedure.duplicate-step",
                )
                continue
            first[s["id"]] = i
            for j, t in enumerate(s.get("events") or ()):
                if t not in events:
                    self.problem(
                        (*path, "events", j),
                        f"本程序没有事项类型 {t!r}",
                        "procedure.unknown-event",
                        hint="可用的事项类型: " + ", ".join(events),
                    )
            kind = s.get("kind", "act")
            min_days = s.get("min_days")
            if min_days is not None and kind != "notice":
                self.problem(
                    (*path, "min_days"),
                    "min_days 只用于公示步骤 (kind: notice)",
                    "procedure.min-days",
                )
            if isinstance(min_days, str) and min_days not in parameters:
                self.problem(
                    (*path, "min_days"),
                    f"没有参数 {min_days!r}",
                    "procedure.unknown-parameter",
                    hint="参数写在 parameters 中"
                    + (": " + ", ".join(parameters) if parameters else ""),
                )
            if s.get("within_event_window") and "action" in s:
                self.problem(
                    (*path, "within_event_window"),
                    "action 和 within_event_window 只能写一个",
                    "procedure.step-window",
                )
            if s.get("same_day_as_previous") and not out:
                self.problem(
                    (*path, "same_day_as_previous"),
                    "第一个步骤没有上一步骤",
                    "procedure.same-day",
                )
            documents = tuple(Document(d["id"], d["label"]) for d in s.get("documents") or ())
            out.append(
                ProcedureStep(
                    id=s["id"],
                    label=s["label"],
                    index=len(out),
                    kind=kind,
                    action=s.get("action"),
                    within_event_window=bool(s.get("within_event_window", False)),
                    events=tuple(s.get("events") or ()),
                    required=bool(s.get("required", True)),
                    same_day_as_previous=bool(s.get("same_day_as_previous", False)),
                    min_days=min_days,
                    signatures=tuple(s.get("signatures") or ()),
                    documents=documents,
                    min_people=s.get("min_people"),
                    citations=self._cites(s.get("sources") or (), (*path, "sources")),
                    unconfirmed=bool(s.get("unconfirmed", False)),
                    note=s.get("note"),
                )
            )
        return tuple(out)

    def _tables(self, event_type: str, spec: TableSpec, steps: Sequence[ProcedureStep]) -> None:
        path: Path_ = ("events", event_type, "tables")
        step = next((s for s in steps if s.id == spec.step), None)
        if step is None or not step.applies_to(event_type):
            self.problem(
                (*path, "step"),
                f"事项类型 {event_type} 没有步骤 {spec.step!r}",
                "procedure.tables-step",
            )
        elif step.document(spec.document) is None:
            self.problem(
                (*path, "document"),
                f"步骤 {spec.step} 的材料中没有 {spec.document!r}",
                "procedure.tables-document",
            )


def _number(value: Any) -> Any:
    """A parameter value as the engine holds numbers: integers as int, others as Decimal."""
    if value is None or isinstance(value, int):
        return value
    exact = Decimal(str(value))
    return int(exact) if exact == exact.to_integral_value() else exact


# --------------------------------------------------------------------------- linking


def link_problems(
    procedures: Mapping[str, Sequence[Procedure]],
    *,
    calendar_actions: Mapping[str, frozenset[str]],
    standards: Mapping[str, str],
    headermaps: Iterable[str],
    mark_values: Mapping[tuple[str, str], frozenset[str]],
) -> list[Problem]:
    """What procedures name in other files, checked once everything is loaded.

    ``calendar_actions``: calendar id -> the action ids of its versions; ``standards``:
    standard id -> its subject; ``headermaps``: header-map ids; ``mark_values``: (subject
    kind, mark) -> the values the subject's records allow for that mark (codes and labels).
    Also: two versions of one procedure, or two procedures of one event type, in force on the
    same day (the version for an event's date would be ambiguous)."""
    known_maps = set(headermaps)
    problems: list[Problem] = []
    everything = [p for versions in procedures.values() for p in versions]
    for p in everything:
        actions = calendar_actions.get(p.calendar)
        if actions is None:
            problems.append(
                p.problem(
                    ("calendar",),
                    f"没有工作日程 {p.calendar!r}",
                    hint="可用的日程: " + ", ".join(sorted(calendar_actions)),
                    code="procedure.unknown-calendar",
                )
            )
        named: list[tuple[Path_, str]] = [
            (("events", t, "action"), kind.action) for t, kind in p.events.items()
        ]
        named += [(("steps", s.index, "action"), s.action) for s in p.steps if s.action]
        for path, action in named:
            if actions is not None and action not in actions:
                problems.append(
                    p.problem(
                        path,
                        f"日程 {p.calendar} 中没有工作事项 {action!r}",
                        hint="可用的工作事项: " + ", ".join(sorted(actions)),
                        code="procedure.unknown-action",
                    )
                )
        for t, kind in p.events.items():
            where: Path_ = ("events", t)
            problems.extend(_subject_problems(p, t, kind, standards, mark_values))
            if kind.tables is not None and kind.tables.headermap not in known_maps:
                problems.append(
                    p.problem(
                        (*where, "tables", "headermap"),
                        f"没有表头对照 {kind.tables.headermap!r}",
                        code="procedure.unknown-headermap",
                    )
                )
    problems.extend(_overlaps(everything))
    return sorted(set(problems), key=Problem.sort_key)


def _subject_problems(
    p: Procedure,
    event_type: str,
    kind: EventKind,
    standards: Mapping[str, str],
    mark_values: Mapping[tuple[str, str], frozenset[str]],
) -> list[Problem]:
    out = []
    where: Path_ = ("events", event_type)
    for subject, rule in kind.subjects.items():
        if rule.standard is not None:
            found = standards.get(rule.standard)
            if found is None:
                out.append(
                    p.problem(
                        (*where, "subjects", subject, "standard"),
                        f"没有标准 {rule.standard!r}",
                        code="procedure.unknown-standard",
                    )
                )
            elif found != subject:
                out.append(
                    p.problem(
                        (*where, "subjects", subject, "standard"),
                        f"标准 {rule.standard} 适用于 {found} 记录, 不是 {subject}",
                        code="procedure.standard-subject",
                    )
                )
        values = [
            (r.path, v)
            for r in kind.requires
            if r.mark == "exit_status" and r.subject in (None, subject)
            for v in r.allowed
        ]
        if "exit_status" in kind.sets:
            values.append(((*where, "sets", "exit_status"), kind.sets["exit_status"]))
        allowed = mark_values.get((subject, "exit_status"), frozenset())
        for path, value in values:
            if value not in allowed:
                out.append(
                    p.problem(
                        path,
                        f"{subject} 记录的脱贫标志 (退出状态) 没有取值 {value!r}",
                        hint="可用的取值: " + "、".join(sorted(allowed)),
                        code="procedure.mark-value",
                    )
                )
    return out


def _overlaps(procedures: Sequence[Procedure]) -> list[Problem]:
    out = []
    ordered = sorted(procedures, key=lambda p: (p.effective_from, p.id, p.version))
    for i, later in enumerate(ordered):
        for earlier in ordered[:i]:
            if (
                earlier.effective_until is not None
                and earlier.effective_until < later.effective_from
            ):
                continue
            shared = sorted(set(earlier.events) & set(later.events))
            if earlier.id == later.id:
                message = f"与版本 {earlier.version} 的施行期重叠"
            elif shared:
                names = "、".join(shared)
                message = f"与 {earlier.key} 同时施行, 都适用于事项类型 {names}"
            else:
                continue
            out.append(
                later.problem(
                    ("effective", "from"),
                    message,
                    hint="同一天只能有一个版本适用于一种事项; 请给前一版本写 until",
                    code="procedure.overlap",
                )
            )
    return out


# --------------------------------------------------------------------------- selection


def select_procedure(
    procedures: Mapping[str, Sequence[Procedure]], event_type: str, day: str
) -> Procedure:
    """The procedure in force on ``day`` for ``event_type``. :class:`NotFoundError` saying
    which versions there are when none is."""
    candidates = [p for versions in procedures.values() for p in versions if event_type in p.events]
    for p in candidates:
        if p.in_force(day):
            return p
    label = type_label(event_type)
    if not candidates:
        msg = f"没有适用于事项类型「{label}」({event_type}) 的程序"
        raise NotFoundError(msg)
    spans = "; ".join(
        f"{p.key}: {p.effective_from} 至 {p.effective_until or '今'}" for p in candidates
    )
    msg = f"{day} 没有施行中的「{label}」程序 (已有: {spans})"
    raise NotFoundError(msg)


def mark_values_of(record_schemas: Mapping[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """(subject, mark) -> the values the subject's records allow for a mark that is also a
    record field with a code list or a list of values (``exit_status``): codes and labels.
    ``record_schemas``: subject -> :class:`~fupin_rules.records.RecordSchema`."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for subject, schema in record_schemas.items():
        props = schema.schema.get("properties", {})
        prop = props.get("exit_status")
        if not isinstance(prop, Mapping):
            continue
        listed = prop.get("x-codelist")
        if isinstance(listed, str) and listed in schema.codelists:
            codes = schema.codelists[listed].codes
            out[(subject, "exit_status")] = frozenset(codes) | frozenset(codes.values())
        elif prop.get("enum"):
            out[(subject, "exit_status")] = frozenset(v for v in prop["enum"] if v is not None)
    return out
