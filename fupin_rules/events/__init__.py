"""Dynamic-management events (动态管理事项) and their procedures.

An event (``schemas/event.schema.json``) is one thing done to one household or village in the
year's work: a new identification, a return to poverty, a member added or removed, a
planned-exit adjustment, an exit certified by 双认定, a village included or taken out. A
procedure (``kind: procedure`` YAML, ``schemas/procedure.schema.json``) says the steps each
kind of event must go through. Each event is checked against the calendar window of its
action, the standard in force on its date, its procedure's steps, and the state its earlier
events left (see ``docs/events.md``).

This package facade holds what the library itself needs and what sits below it:
:mod:`.model` (events), :mod:`.procedures` (procedure files) and :mod:`.year` (a subject's
year). The checks are in :mod:`fupin_rules.events.check` (``check_event``, ``EventChecker``),
the readers in :mod:`fupin_rules.events.reading`, problem lists in
:mod:`fupin_rules.events.report` and the command in :mod:`fupin_rules.events.cli`: they need
the library, which imports this package, so this facade does not import them.
"""

from __future__ import annotations

from .model import (
    EVENT_SCHEMA,
    MARKS,
    Event,
    Person,
    StepRecord,
    event_types,
    kind_label,
    mark_label,
    member_key,
    read_event,
    type_label,
)
from .procedures import (
    PROCEDURE_SCHEMA,
    Document,
    EventKind,
    Procedure,
    ProcedureStep,
    Requirement,
    SubjectRule,
    TableSpec,
    link_problems,
    load_procedure_document,
    select_procedure,
)
from .year import SubjectState, SubjectYear, apply_event, marks_found, record_after, years_of

__all__ = [
    "EVENT_SCHEMA",
    "MARKS",
    "PROCEDURE_SCHEMA",
    "Document",
    "Event",
    "EventKind",
    "Person",
    "Procedure",
    "ProcedureStep",
    "Requirement",
    "StepRecord",
    "SubjectRule",
    "SubjectState",
    "SubjectYear",
    "TableSpec",
    "apply_event",
    "event_types",
    "kind_label",
    "link_problems",
    "load_procedure_document",
    "mark_label",
    "marks_found",
    "member_key",
    "read_event",
    "record_after",
    "select_procedure",
    "type_label",
    "years_of",
]
