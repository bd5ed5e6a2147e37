"""The value objects of fupin-rules: rule sets and their parts, results and findings.

All are frozen attrs classes holding tuples and read-only mappings: a loaded rule set cannot be
changed, and a result is plain data (``to_dict()``) that serialises deterministically.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._canonical import EXACT, decimal_text, dumps, fragment, plain, raw_json, render_number

_CENT = Decimal("0.01")

if TYPE_CHECKING:
    from .expressions import Expression
    from .records import RecordSchema

__all__ = [
    "Citation",
    "Criterion",
    "DatasetCheck",
    "Decision",
    "Derived",
    "Example",
    "Finding",
    "ItemFinding",
    "Parameter",
    "ParameterValue",
    "Result",
    "RuleSet",
    "Source",
    "Template",
]

Outcome = Literal["pass", "fail", "invalid", "not_applicable"]
CriterionOutcome = Literal["pass", "fail", "not_applicable", "unknown"]
Severity = Literal["blocking", "reference", "veto"]


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


@attrs.frozen
class Template:
    """An explanation with ``{name}`` placeholders, checked at load."""

    text: str
    names: tuple[str, ...]
    _pieces: tuple[tuple[str, str | None], ...] | None = attrs.field(
        init=False, repr=False, eq=False
    )
    """``(text, name)`` pairs: the text before each placeholder (None: the text after the
    last). None for a template with escaped braces, which is filled in by replacing."""

    def __attrs_post_init__(self) -> None:
        pieces: tuple[tuple[str, str | None], ...] | None = None
        if "{{" not in self.text and "}}" not in self.text:
            try:
                parsed = list(string.Formatter().parse(self.text))
            except ValueError:
                parsed = []
            if all(f is None or f in self.names for _, f, _, _ in parsed):
                pieces = tuple((literal, f) for literal, f, _, _ in parsed)
        object.__setattr__(self, "_pieces", pieces)

    def render(self, values: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]]) -> str:
        """Fill in the placeholders; codes are shown with their labels."""
        pieces = self._pieces
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


def display(value: Any, codes: Mapping[str, str] | None = None) -> str:
    """A value as people read it: numbers exact up to two decimals (longer ones rounded and
    marked 约, e.g. 约 1.17), 是/否, code labels, （缺失） for missing. Only messages are
    rounded; the values in a finding stay exact."""
    if value is None:
        return "（缺失）"
    t = type(value)
    if t is str:
        return codes.get(value, value) if codes is not None else value
    if t is int:
        return str(value)
    if t is Decimal:
        text = decimal_text(value)
        if text is not None and ("." not in text or len(text) - text.index(".") <= 3):
            return text  # at most two decimals: nothing to round
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.normalize(EXACT).as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            rounded = value.quantize(_CENT, rounding=ROUND_HALF_EVEN, context=EXACT)
            return "约 " + render_number(rounded)
    if isinstance(value, int | Decimal):
        try:
            return render_number(value)
        except ValueError:
            return str(value)
    if codes is not None and isinstance(value, str) and value in codes:
        return codes[value]
    if isinstance(value, list):
        return "、".join(display(v, codes) for v in value)
    return str(value)


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


@attrs.frozen(eq=False)
class Decision:
    """How criterion outcomes combine into the record's outcome."""

    method: Literal["all", "points", "expression"]
    threshold: Any = None
    expression: Expression | None = None
    pass_text: str | None = None
    fail_text: str | None = None


@attrs.frozen
class Example:
    """An embedded example: a record and what the rule set must say about it."""

    name: str
    description: str | None
    as_of: str | None
    record: Mapping[str, Any]
    outcome: str
    failing: frozenset[str] | None
    criteria: Mapping[str, str]
    file: str
    line: int | None


@attrs.frozen
class ItemFinding:
    """What a per-item criterion said about one item (e.g. one member) that did not pass."""

    index: int
    """Position of the item in its list, from 0."""
    item_id: str | None
    outcome: CriterionOutcome
    message: str
    values: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The item finding as plain data."""
        return self._raw(plain)

    def _raw(self, convert: Callable[[Any], Any] = dict) -> dict[str, Any]:
        """The item finding as data; ``convert`` turns its values into what the caller needs
        (``plain`` for JSON-ready data; a copy, numbers still ``Decimal``, for the writer)."""
        return {
            "index": self.index,
            "item_id": self.item_id,
            "outcome": self.outcome,
            "message": self.message,
            "values": convert(dict(self.values)),
        }


@attrs.frozen
class Finding:
    """What one criterion said about one record."""

    criterion: str
    label: str
    group: str | None
    severity: Severity
    outcome: CriterionOutcome
    message: str
    values: Mapping[str, Any]
    sources: tuple[str, ...]
    unconfirmed: bool = False
    """The criterion's test, or a parameter value it used, is not confirmed by a source."""
    items: tuple[ItemFinding, ...] = ()
    """For a per-item criterion: the items (members ...) that did not pass."""

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data."""
        return self._raw(plain)

    def _json(self) -> Any:
        """The finding as a JSON fragment for :meth:`Result.to_json`, or None (then the
        finding is written from :meth:`_raw`). The fixed parts, shared by every finding of a
        criterion with the same outcome, are written once; the bytes are the same."""
        if self.items:
            return None
        key = (
            self.criterion,
            self.label,
            self.group,
            self.severity,
            self.outcome,
            self.sources,
            self.unconfirmed,
        )
        parts = _FINDING_JSON.get(key)
        if parts is None:
            head = raw_json({"criterion": self.criterion, "group": self.group, "label": self.label})
            tail = raw_json(
                {
                    "outcome": self.outcome,
                    "severity": self.severity,
                    "sources": list(self.sources),
                    "unconfirmed": self.unconfirmed,
                }
            )
            if head is None or tail is None:
                return None
            # Keys in order: criterion group label | message | outcome ... unconfirmed | values
            parts = (head[:-1] + b',"message":', b"," + tail[1:-1] + b',"values":')
            if len(_FINDING_JSON) < 4096:
                _FINDING_JSON[key] = parts
        message, values = raw_json(self.message), raw_json(dict(self.values))
        if message is None or values is None:
            return None
        return fragment(parts[0] + message + parts[1] + values + b"}")

    def _raw(self, convert: Callable[[Any], Any] = dict) -> dict[str, Any]:
        """The finding as data; ``convert`` as for :meth:`ItemFinding._raw`."""
        data: dict[str, Any] = {
            "criterion": self.criterion,
            "label": self.label,
            "group": self.group,
            "severity": self.severity,
            "outcome": self.outcome,
            "message": self.message,
            "values": convert(dict(self.values)),
            # The writer takes the shared tuple (and writes it once); plain data gets a list.
            "sources": self.sources if convert is dict else list(self.sources),
            "unconfirmed": self.unconfirmed,
        }
        if self.items:
            data["items"] = [i._raw(convert) for i in self.items]
        return data


@attrs.frozen(eq=False)
class Result:
    """What a rule set said about one record.

    ``outcome`` and :attr:`outcomes` are known when the result is made; the :attr:`findings`
    (messages, values, sources) may be built on first access, from data the result holds.
    Either way they are the same: the test suite compares both ways byte for byte.
    """

    outcome: Outcome
    ruleset: str
    """``id@version``."""
    fingerprint: str
    as_of: str
    record_id: str | None
    _findings: tuple[Finding, ...] | None = attrs.field(default=None, alias="findings")
    _reasons: tuple[str, ...] | None = attrs.field(default=(), alias="reasons")
    """None: to be built from the findings (see :attr:`reasons`)."""
    conclusion: str = ""
    source: str | None = None
    """Where the record came from, e.g. ``households.jsonl:17``."""
    _outcomes: tuple[tuple[str, CriterionOutcome], ...] | None = attrs.field(
        default=None, alias="outcomes", kw_only=True, repr=False
    )
    _build: Callable[[], tuple[Finding, ...]] | None = attrs.field(
        default=None, alias="build", kw_only=True, repr=False
    )
    _explain: Callable[[tuple[Finding, ...] | None], tuple[str, ...]] | None = attrs.field(
        default=None, alias="explain", kw_only=True, repr=False
    )
    """Builds the reasons: from the findings if they are built (passed in), else from only
    the findings the reasons need (an undecided record's unknown criteria)."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per criterion, in the rule set's order (built on first access)."""
        found = self._findings
        if found is None:
            found = self._build() if self._build is not None else ()
            object.__setattr__(self, "_findings", found)
            object.__setattr__(self, "_build", None)
        return found

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the record is invalid (empty otherwise): what was wrong with it, or which
        criteria could not be judged and why (then built from the findings on first access)."""
        found = self._reasons
        if found is None:
            assert self._explain is not None
            found = self._explain(self._findings)
            object.__setattr__(self, "_reasons", found)
        return found

    @property
    def outcomes(self) -> tuple[tuple[str, CriterionOutcome], ...]:
        """``(criterion id, outcome)`` for each criterion, without building the findings."""
        if self._outcomes is not None:
            return self._outcomes
        return tuple((f.criterion, f.outcome) for f in self.findings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its findings built, so a result can cross process boundaries.
        fields = {
            "outcome": self.outcome,
            "ruleset": self.ruleset,
            "fingerprint": self.fingerprint,
            "as_of": self.as_of,
            "record_id": self.record_id,
            "findings": self.findings,
            "reasons": self.reasons,
            "conclusion": self.conclusion,
            "source": self.source,
        }
        return (_result, (fields,))

    def __hash__(self) -> int:
        return hash(self.to_json())

    @property
    def failed(self) -> tuple[Finding, ...]:
        """The findings that failed."""
        return tuple(f for f in self.findings if f.outcome == "fail")

    def finding(self, criterion: str) -> Finding:
        """The finding of one criterion. Raises KeyError if the rule set has no such criterion."""
        for f in self.findings:
            if f.criterion == criterion:
                return f
        raise KeyError(criterion)

    def to_json(self, *, findings: bool = True) -> str:
        """The result as one line of canonical JSON: keys sorted, numbers exact, the same bytes
        for the same result (what ``fupin-rules evaluate`` writes).

        ``findings=False`` writes ``"outcomes": {criterion: outcome}`` instead of the findings
        (``evaluate --brief``): no messages, values or sources, so nothing is built for them.
        """
        if not findings:
            line = self._brief_json()
            return line if line is not None else dumps(self._brief())
        built = [f._json() for f in self.findings]
        if any(f is None for f in built):
            return dumps(self._raw())
        return dumps(self._raw(findings=built))

    def to_dict(self, *, findings: bool = True) -> dict[str, Any]:
        """The result as plain, JSON-ready data (numbers as exact ``float`` subclasses; use
        :meth:`to_json` for exact text). ``findings=False`` as for :meth:`to_json`."""
        return self._raw(plain) if findings else self._brief()

    def _brief_json(self) -> str | None:
        """``dumps(self._brief())``, written from pieces: its keys are fixed (and written in
        sorted order here), and the parts shared by many results (the rule set, the date, an
        outcome with its conclusion, a pattern of criterion outcomes) are written once. None
        if orjson is not installed or refuses a piece; then :func:`dumps` writes the whole."""
        key = (self.as_of, self.conclusion, self.fingerprint, self.outcome, self.ruleset)
        parts = _BRIEF_PARTS.get(key)
        if parts is None:
            pieces: list[bytes] = []
            for value in key:
                piece = raw_json(value)
                if piece is None:
                    return None
                pieces.append(piece)
            as_of, conclusion, fingerprint, outcome, ruleset = pieces
            parts = (
                b'{"as_of":'
                + as_of
                + b',"conclusion":'
                + conclusion
                + b',"fingerprint":'
                + fingerprint
                + b',"outcome":'
                + outcome
                + b',"outcomes":',
                b',"ruleset":' + ruleset + b',"source":',
            )
            if len(_BRIEF_PARTS) < 4096:
                _BRIEF_PARTS[key] = parts
        outcomes = self.outcomes
        pattern = _OUTCOMES_JSON.get(outcomes)
        if pattern is None:
            pattern = raw_json(dict(outcomes))
            if pattern is None:
                return None
            if len(_OUTCOMES_JSON) < 4096:
                _OUTCOMES_JSON[outcomes] = pattern
        reasons = self.reasons
        why = raw_json(list(reasons)) if reasons else b"[]"
        record_id, source = raw_json(self.record_id), raw_json(self.source)
        if why is None or record_id is None or source is None:
            return None
        line = (
            parts[0]
            + pattern
            + b',"reasons":'
            + why
            + b',"record_id":'
            + record_id
            + parts[1]
            + source
            + b"}"
        )
        return line.decode("utf-8")

    def _brief(self) -> dict[str, Any]:
        data = self._raw(findings=[])
        del data["findings"]
        data["outcomes"] = dict(self.outcomes)
        return data

    def _raw(
        self, convert: Callable[[Any], Any] = dict, findings: list[Any] | None = None
    ) -> dict[str, Any]:
        if findings is None:  # the findings first: the reasons may then be read from them
            findings = [f._raw(convert) for f in self.findings]
        return {
            "record_id": self.record_id,
            "source": self.source,
            "outcome": self.outcome,
            "conclusion": self.conclusion,
            "ruleset": self.ruleset,
            "fingerprint": self.fingerprint,
            "as_of": self.as_of,
            "reasons": list(self.reasons),
            "findings": findings,
        }


_FINDING_JSON: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
"""The fixed parts of findings' JSON, by what they are made of (see :meth:`Finding._json`)."""
_OUTCOMES_JSON: dict[tuple[tuple[str, str], ...], bytes] = {}
"""The JSON of criteria's outcomes in brief results, by the outcomes."""
_BRIEF_PARTS: dict[tuple[str | None, ...], tuple[bytes, bytes]] = {}
"""The fixed parts of brief results' JSON, by what they are made of (see ``_brief_json``)."""


@functools.cache
def _evaluate() -> Callable[..., Result]:
    """The evaluator (its module imports this one, so it is looked up once, when first used)."""
    from .evaluation import evaluate

    return evaluate


def _result(fields: dict[str, Any]) -> Result:
    return Result(**fields)


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
    parameters: Mapping[str, Parameter]
    derived: tuple[Derived, ...]
    criteria: tuple[Criterion, ...]
    decision: Decision
    applies_if: Expression | None
    examples: tuple[Example, ...]
    notes: tuple[str, ...]
    record_schema: RecordSchema = attrs.field(repr=False)
    dataset_checks: tuple[DatasetCheck, ...] = attrs.field(kw_only=True, default=())
    fingerprint: str
    canonical: Mapping[str, Any] = attrs.field(repr=False)
    """The resolved rule set as plain data: what the fingerprint hashes."""
    files: tuple[str, ...]
    """The files this version was resolved from, base first."""
    effective_unconfirmed: bool = False
    default_as_of: str | None = None
    """The date :meth:`evaluate` uses when none is given (set by ``Library.get(as_of=...)``)."""
    _cache: dict[str, Any] = attrs.field(factory=dict, repr=False, alias="cache")

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

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
        return _evaluate()(self, record, as_of=as_of, source=source)

    def evaluate_many(
        self, records: Iterable[Any], *, as_of: str | dt.date | None = None
    ) -> Iterator[Result]:
        """Apply this rule set to each record in turn: one result per record, in order,
        streaming in constant memory."""
        evaluate = _evaluate()

        for record in records:
            yield evaluate(self, record, as_of=as_of)

    def with_as_of(self, as_of: str) -> RuleSet:
        """The same rule set, evaluating on ``as_of`` by default."""
        return attrs.evolve(self, default_as_of=as_of, cache=self._cache)

    def with_parameters(self, overrides: Mapping[str, Any]) -> RuleSet:
        """The same rule set with some parameters fixed to given values (a new fingerprint).

        For users who must supply a value the sources do not confirm, such as a year's line.
        """
        from .loading import override_parameters

        return override_parameters(self, overrides)

    def to_dict(self) -> dict[str, Any]:
        """The resolved rule set as plain data."""
        return dict(self.canonical)
