"""The value objects of a rule set: the rule set itself and its parts.

All are frozen attrs classes holding tuples and read-only mappings (:mod:`._frozen`): a loaded
rule set cannot be changed, not even through a mapping it exposes, so a fingerprint always
describes the rules that decide. Results and findings are in :mod:`.results`, outcomes and
decisions in :mod:`.decision`; both are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ._frozen import deep_freeze, freeze, thaw
from .decision import CriterionOutcome, Decision, Outcome, Severity
from .display import display
from .language import Expression
from .results import Finding, ItemFinding, Result

if TYPE_CHECKING:
    from .lean import Legend
    from .records import RecordSchema

__all__ = [
    "Citation",
    "Criterion",
    "CriterionOutcome",
    "DatasetCheck",
    "Decision",
    "Derived",
    "Engine",
    "Example",
    "Finding",
    "ItemFinding",
    "Outcome",
    "Parameter",
    "ParameterValue",
    "Property",
    "Result",
    "RuleSet",
    "RuleSetCache",
    "Severity",
    "Source",
    "Template",
    "display",
]


@attrs.frozen
class Source:
    """A document a rule set relies on."""

    id: str
    title: str
    number: str | None = None
    issuer: str | None = None
    date: str | None = None
    url: str | None = None
    reliability: str | None = None
    unconfirmed: bool = False
    note: str | None = None

    def cite(self, clause: str | None = None) -> str:
        """The document as a short Chinese citation: 《标题》(文号) 条款."""
        text = f"《{self.title}》" if not self.title.startswith("《") else self.title
        if self.number:
            text += f"({self.number})"
        if clause:
            text += f" {clause}"
        if self.unconfirmed:
            text += " [未确认]"
        return text


@attrs.frozen
class Citation:
    """A source with the clause cited."""

    source: Source
    clause: str | None = None

    def __str__(self) -> str:
        return self.source.cite(self.clause)


@attrs.frozen
class ParameterValue:
    """The value of a parameter from a date on."""

    start: str
    value: Any
    unconfirmed: bool = False
    note: str | None = None
    citations: tuple[Citation, ...] = ()


@attrs.frozen
class Parameter:
    """A named value used by criteria, possibly varying by date."""

    name: str
    label: str
    type: str
    unit: str | None
    values: tuple[ParameterValue, ...]
    """Sorted by start date; a constant parameter has one value starting at 0001-01-01."""
    note: str | None = None

    def at(self, on: str) -> ParameterValue | None:
        """The value in force on ``on`` (ISO date), or None if none has started."""
        found = None
        for value in self.values:
            if value.start <= on:
                found = value
            else:
                break
        return found


Piece = tuple[str, str | None]


@attrs.frozen
class Template:
    """An explanation with ``{name}`` placeholders, checked at load. Make one with :meth:`of`."""

    text: str
    names: tuple[str, ...]
    pieces: tuple[Piece, ...] | None = attrs.field(default=None, repr=False, eq=False)
    """``(text, name)`` pairs: the text before each placeholder (None: the text after the
    last). None for a template with escaped braces, which is filled in by replacing."""

    @classmethod
    def of(cls, text: str, names: tuple[str, ...]) -> Template:
        """The template of ``text`` with placeholders ``names``, split once into pieces."""
        pieces: tuple[Piece, ...] | None = None
        if "{{" not in text and "}}" not in text:
            try:
                parsed = list(string.Formatter().parse(text))
            except ValueError:
                parsed = []
            if all(f is None or f in names for _, f, _, _ in parsed):
                pieces = tuple((literal, f) for literal, f, _, _ in parsed)
        return cls(text, names, pieces)

    def render(self, values: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]]) -> str:
        """Fill in the placeholders; codes are shown with their labels."""
        pieces = self.pieces
        if pieces is not None:
            return "".join(
                [
                    literal
                    if name is None
                    else literal + display(values.get(name), labels.get(name))
                    for literal, name in pieces
                ]
            )
        out = self.text
        for name in self.names:
            out = out.replace("{" + name + "}", display(values.get(name), labels.get(name)))
        return out.replace("{{", "{").replace("}}", "}")


@attrs.frozen(eq=False)
class Derived:
    """A value computed once per record from other values."""

    name: str
    label: str
    unit: str | None
    expr: Expression


@attrs.frozen(eq=False)
class Criterion:
    """One test of a rule set (指标)."""

    id: str
    label: str
    group: str | None
    severity: Severity
    test: Expression
    applies_if: Expression | None
    pass_text: Template
    fail_text: Template
    not_applicable_text: Template
    citations: tuple[Citation, ...]
    unconfirmed: bool
    note: str | None
    points: Any
    used: tuple[str, ...]
    """Names whose values the finding reports (fields, derived fields, parameters, and for a
    per-item criterion ``m.field`` names of the item)."""
    for_each: tuple[str, str] | None = None
    """``(list field, item name)`` for a criterion checked once per item (e.g. per member)."""
    item_id_field: str | None = None
    """The field that names an item in messages (e.g. the member's ID number)."""


@attrs.frozen(eq=False)
class DatasetCheck:
    """A check across the records of a data set: a key that must be unique (一人多户 ...)."""

    id: str
    label: str
    key: Expression
    for_each: tuple[str, str] | None
    where: Expression | None
    across_records_only: bool
    message: Template
    severity: Severity
    citations: tuple[Citation, ...]


@attrs.frozen
class Example:
    """An embedded example: a record and what the rule set must say about it."""

    name: str
    description: str | None
    as_of: str | None
    record: Mapping[str, Any] = attrs.field(converter=deep_freeze)
    """Read-only; :meth:`plain_record` gives a copy to evaluate."""
    outcome: str
    failing: frozenset[str] | None
    criteria: Mapping[str, str] = attrs.field(converter=freeze)
    file: str
    line: int | None

    def plain_record(self) -> dict[str, Any]:
        """The example's record as ordinary (mutable, JSON-like) data."""
        record: dict[str, Any] = thaw(self.record)
        return record


@attrs.frozen(eq=False)
class Property:
    """A property the rule set must have, checked by ``fupin-rules test`` on generated records
    (:mod:`fupin_rules.properties`). Not part of the fingerprint: it tests the rules, as the
    examples do."""

    id: str
    label: str
    kind: str
    """``monotone``, ``excludes`` or ``never_passes_when``."""
    field: str | None
    """monotone: the numeric record field changed."""
    direction: str
    """monotone: ``up`` (raising the field never turns pass into fail) or ``down``."""
    standard: str | None
    """excludes: the other standard a passing record must not pass on the same day."""
    when: Expression | None
    """never_passes_when: the condition under which the record never passes."""
    vary: tuple[str, ...] | None
    """The record fields generated records change (None: every simple field read)."""
    file: str
    line: int | None


class Engine(Protocol):
    """What evaluates a rule set: given to it when it is built (by the loader), so that the
    value objects here need not know the evaluator."""

    def evaluate(
        self, rs: RuleSet, record: Any, *, as_of: str | dt.date | None, source: str | None
    ) -> Result:
        """Apply ``rs`` to one record."""

    def with_parameters(self, rs: RuleSet, overrides: Mapping[str, Any]) -> RuleSet:
        """``rs`` with some parameters fixed to given values."""

    def legend(self, rs: RuleSet, as_of: str | dt.date | None) -> Legend:
        """What every result of ``rs`` on ``as_of`` shares."""


class RuleSetCache:
    """What evaluation works out once per rule set and keeps: per day, the parameters in
    force and the compiled plan; decisions by outcome pattern (also as a table for columns);
    each criterion's measurable comparisons (hints); the column plan and the Arrow checks.
    A cache, not state: everything in it follows from the rule set (and the day)."""

    __slots__ = ("arrow", "columns", "days", "decisions", "gaps", "patterns")

    def __init__(self) -> None:
        self.days: dict[str, Any] = {}
        self.gaps: dict[str, Any] = {}
        self.decisions: dict[tuple[str, ...], Any] = {}
        self.columns: Any = None
        self.patterns: Any = None
        self.arrow: Any = None


@attrs.frozen(eq=False)
class RuleSet:
    """One resolved, checked version of a standard. Build it with the loader, not by hand."""

    id: str
    version: str
    title: str
    subject: str
    effective_from: str
    effective_until: str | None
    extends: str | None
    sources: tuple[Source, ...]
    parameters: Mapping[str, Parameter] = attrs.field(converter=freeze)
    derived: tuple[Derived, ...]
    criteria: tuple[Criterion, ...]
    decision: Decision
    applies_if: Expression | None
    examples: tuple[Example, ...]
    notes: tuple[str, ...]
    record_schema: RecordSchema = attrs.field(repr=False)
    dataset_checks: tuple[DatasetCheck, ...] = attrs.field(kw_only=True, default=())
    properties: tuple[Property, ...] = attrs.field(kw_only=True, default=())
    fingerprint: str
    canonical: Mapping[str, Any] = attrs.field(repr=False, converter=deep_freeze)
    """The resolved rule set as plain data: what the fingerprint hashes (read-only;
    :meth:`to_dict` gives a copy)."""
    files: tuple[str, ...]
    """The files this version was resolved from, base first."""
    effective_unconfirmed: bool = False
    default_as_of: str | None = None
    """The date :meth:`evaluate` uses when none is given (set by ``Library.get(as_of=...)``)."""
    overrides: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze, kw_only=True)
    """Parameters the user fixed (:meth:`with_parameters`), by name; results carry them."""
    _engine: Engine = attrs.field(kw_only=True, repr=False, alias="engine")
    _cache: RuleSetCache = attrs.field(factory=RuleSetCache, repr=False, alias="cache")

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    @property
    def cache(self) -> RuleSetCache:
        """What evaluation keeps for this rule set (see :class:`RuleSetCache`)."""
        return self._cache

    def in_force(self, on: str | dt.date) -> bool:
        """Whether this version is in force on ``on``."""
        day = on.isoformat() if isinstance(on, dt.date) else on
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )

    def criterion(self, criterion_id: str) -> Criterion:
        """One criterion by id. Raises KeyError if there is none."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def evaluate(
        self, record: Any, *, as_of: str | dt.date | None = None, source: str | None = None
    ) -> Result:
        """Apply this rule set to one record (a JSON-like mapping). Never raises on bad data:
        a broken record gives an ``invalid`` result with its reasons."""
        return self._engine.evaluate(self, record, as_of=as_of, source=source)

    def evaluate_many(
        self, records: Iterable[Any], *, as_of: str | dt.date | None = None
    ) -> Iterator[Result]:
        """Apply this rule set to each record in turn: one result per record, in order,
        streaming in constant memory."""
        engine = self._engine
        for record in records:
            yield engine.evaluate(self, record, as_of=as_of, source=None)

    def with_as_of(self, as_of: str) -> RuleSet:
        """The same rule set, evaluating on ``as_of`` by default."""
        return attrs.evolve(self, default_as_of=as_of, cache=self._cache)

    def ended(self, until: str) -> RuleSet:
        """The same rule set ending on ``until`` (the day before the next version starts):
        the end is not in the fingerprint, which stays as it is."""
        return attrs.evolve(self, effective_until=until, cache=self._cache)

    def with_parameters(self, overrides: Mapping[str, Any]) -> RuleSet:
        """The same rule set with some parameters fixed to given values (a new fingerprint).

        For users who must supply a value the sources do not confirm, such as a year's line.
        """
        return self._engine.with_parameters(self, overrides)

    def legend(self, as_of: str | dt.date | None = None) -> Legend:
        """What every result of this rule set on ``as_of`` shares: labels, sources, parameter
        values and fixed texts per criterion, which lean result lines reference
        (:class:`fupin_rules.lean.Legend`; it resolves their findings)."""
        return self._engine.legend(self, as_of)

    def to_dict(self) -> dict[str, Any]:
        """The resolved rule set as plain data."""
        data: dict[str, Any] = thaw(self.canonical)
        return data
