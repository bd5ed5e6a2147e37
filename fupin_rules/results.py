"""Results and findings: what a rule set said about one record, as frozen plain data.

A :class:`Result` serialises deterministically (:meth:`Result.to_json`: the same bytes for the
same result). Its findings may be built on first access from data the result holds (the fast
paths decide a record from outcome codes and explain it only when asked); built or not, they
are the same, and the result's value never changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ._canonical import digest, dumps, fragment, plain, raw_json
from ._frozen import freeze, freeze_values, thaw
from ._version import __version__
from .decision import CriterionOutcome, Outcome, Severity

__all__ = ["Finding", "ItemFinding", "ParameterUse", "Result"]


@attrs.frozen
class ParameterUse:
    """A parameter value a criterion applied: the value in force on the evaluation date, from
    which date, whether a source confirms it, and the sources of that value."""

    name: str
    value: Any
    start: str
    """The date the value is in force from (``0001-01-01``: a value without a date)."""
    unconfirmed: bool
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The parameter value as plain data."""
        return {
            "name": self.name,
            "value": plain(self.value),
            "from": self.start,
            "unconfirmed": self.unconfirmed,
            "sources": list(self.sources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParameterUse:
        """The parameter value read back from :meth:`to_dict`'s data."""
        return cls(
            name=data["name"],
            value=_exact(data["value"]),
            start=data["from"],
            unconfirmed=bool(data["unconfirmed"]),
            sources=tuple(data["sources"]),
        )


@attrs.frozen
class ItemFinding:
    """What a per-item criterion said about one item (e.g. one member) that did not pass."""

    index: int
    """Position of the item in its list, from 0."""
    item_id: str | None
    outcome: CriterionOutcome
    message: str
    values: MappingProxyType[str, Any] = attrs.field(converter=freeze_values)

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
            "values": convert(self.values.copy()),
        }

    def __reduce__(self) -> tuple[Any, ...]:
        return (_item_finding, (attrs.asdict(self, recurse=False) | {"values": thaw(self.values)},))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemFinding:
        """The item finding read back from :meth:`to_dict`'s data."""
        return cls(
            index=int(data["index"]),
            item_id=data["item_id"],
            outcome=data["outcome"],
            message=data["message"],
            values={k: _exact(v) for k, v in data["values"].items()},
        )


def _item_finding(fields: dict[str, Any]) -> ItemFinding:
    return ItemFinding(**fields)


@attrs.frozen
class Finding:
    """What one criterion said about one record."""

    criterion: str
    label: str
    group: str | None
    severity: Severity
    outcome: CriterionOutcome
    message: str
    values: MappingProxyType[str, Any] = attrs.field(converter=freeze_values)
    sources: tuple[str, ...] = ()
    unconfirmed: bool = False
    """The criterion's test, or a parameter value it used, is not confirmed by a source."""
    items: tuple[ItemFinding, ...] = ()
    """For a per-item criterion: the items (members ...) that did not pass."""
    parameters: tuple[ParameterUse, ...] = ()
    """The parameter values the criterion applied, with their dates and sources."""
    hints: tuple[str, ...] = ()
    """For a failed numeric test: what it would take to pass (``人均纯收入还差 215 元 …``)."""

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data."""
        return self._raw(plain)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The finding read back from :meth:`to_dict`'s (or the JSON's) data."""
        return cls(
            criterion=data["criterion"],
            label=data["label"],
            group=data["group"],
            severity=data["severity"],
            outcome=data["outcome"],
            message=data["message"],
            values={k: _exact(v) for k, v in data["values"].items()},
            sources=tuple(data["sources"]),
            unconfirmed=bool(data["unconfirmed"]),
            items=tuple(ItemFinding.from_dict(i) for i in data.get("items", ())),
            parameters=tuple(ParameterUse.from_dict(p) for p in data.get("parameters", ())),
            hints=tuple(data.get("hints", ())),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        fields = attrs.asdict(self, recurse=False)
        fields["values"] = thaw(self.values)
        return (_finding, (fields,))

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
            self.parameters,
        )
        parts = _FINDING_JSON.get(key)
        if parts is None:
            head = raw_json({"criterion": self.criterion, "group": self.group})
            label = raw_json(self.label)
            tail: dict[str, Any] = {
                "outcome": self.outcome,
                "severity": self.severity,
                "sources": list(self.sources),
                "unconfirmed": self.unconfirmed,
            }
            if self.parameters:
                tail["parameters"] = [p.to_dict() for p in self.parameters]
            written = raw_json(tail)
            if head is None or label is None or written is None:
                return None
            # Keys in order: criterion group | hints | label | message | outcome parameters
            # severity sources unconfirmed | values
            parts = (
                head[:-1],
                b',"label":' + label + b',"message":',
                b"," + written[1:-1] + b',"values":',
            )
            if len(_FINDING_JSON) < 4096:
                _FINDING_JSON[key] = parts
        message, values = raw_json(self.message), raw_json(self.values.copy())
        hints = raw_json(list(self.hints)) if self.hints else b""
        if message is None or values is None or hints is None:
            return None
        middle = b',"hints":' + hints if self.hints else b""
        return fragment(parts[0] + middle + parts[1] + message + parts[2] + values + b"}")

    def _raw(self, convert: Callable[[Any], Any] = dict) -> dict[str, Any]:
        """The finding as data; ``convert`` as for :meth:`ItemFinding._raw`."""
        data: dict[str, Any] = {
            "criterion": self.criterion,
            "label": self.label,
            "group": self.group,
            "severity": self.severity,
            "outcome": self.outcome,
            "message": self.message,
            "values": convert(self.values.copy()),
            # The writer takes the shared tuple (and writes it once); plain data gets a list.
            "sources": self.sources if convert is dict else list(self.sources),
            "unconfirmed": self.unconfirmed,
        }
        if self.items:
            data["items"] = [i._raw(convert) for i in self.items]
        if self.parameters:
            data["parameters"] = [p.to_dict() for p in self.parameters]
        if self.hints:
            data["hints"] = list(self.hints)
        return data


def _finding(fields: dict[str, Any]) -> Finding:
    return Finding(**fields)


class _Built:
    """What a result has built on first access: its findings and reasons.

    A cache, not state: the result holds everything these are built from, so they come out
    the same whenever they are built.
    """

    __slots__ = ("digest", "findings", "reasons")

    def __init__(self) -> None:
        self.findings: tuple[Finding, ...] | None = None
        self.reasons: tuple[str, ...] | None = None
        self.digest: str | None = None


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
    """None: built on first access (see :attr:`findings`)."""
    _reasons: tuple[str, ...] | None = attrs.field(default=(), alias="reasons")
    """None: built on first access (see :attr:`reasons`)."""
    conclusion: str = ""
    source: str | None = None
    """Where the record came from, e.g. ``households.jsonl:17``."""
    _input_digest: str | None = attrs.field(default=None, alias="input_digest", kw_only=True)
    """The digest, when it is known (a result read back); else see ``checked``."""
    _checked: Any = attrs.field(default=None, alias="checked", kw_only=True, repr=False)
    """The record as checked: :attr:`input_digest` is computed from it on first access."""
    parameters: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True, converter=freeze)
    """Parameters the user fixed (``--param``), by name: part of what ``verify`` re-runs."""
    library: str = attrs.field(default=__version__, kw_only=True)
    """The fupin-rules version that produced the result."""
    _outcomes: tuple[tuple[str, CriterionOutcome], ...] | None = attrs.field(
        default=None, alias="outcomes", kw_only=True, repr=False
    )
    _build: Callable[[], tuple[Finding, ...]] | None = attrs.field(
        default=None, alias="build", kw_only=True, repr=False
    )
    """Builds the findings when ``findings`` is None."""
    _explain: Callable[[tuple[Finding, ...] | None], tuple[str, ...]] | None = attrs.field(
        default=None, alias="explain", kw_only=True, repr=False
    )
    """Builds the reasons when ``reasons`` is None: from the findings if they are built
    (passed in), else from only the findings the reasons need (an undecided record's unknown
    criteria)."""
    _built: _Built = attrs.field(init=False, factory=_Built, repr=False)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per criterion, in the rule set's order (built on first access)."""
        if self._findings is not None:
            return self._findings
        built = self._built
        if built.findings is None:
            built.findings = self._build() if self._build is not None else ()
        return built.findings

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the record is invalid (empty otherwise): what was wrong with it, or which
        criteria could not be judged and why (then built from the findings on first access)."""
        if self._reasons is not None:
            return self._reasons
        built = self._built
        if built.reasons is None:
            assert self._explain is not None
            findings = self._findings if self._findings is not None else built.findings
            built.reasons = self._explain(findings)
        return built.reasons

    @property
    def input_digest(self) -> str | None:
        """``sha256:`` of the canonical JSON of the record as checked (normalised: exact
        decimals, codes for labels), or None for input that never became a record: what
        ``verify`` checks the input against."""
        if self._input_digest is not None or self._checked is None:
            return self._input_digest
        built = self._built
        if built.digest is None:
            built.digest = digest(self._checked)
        return built.digest

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
            "input_digest": self.input_digest,
            "parameters": thaw(self.parameters),
            "library": self.library,
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
        if self.parameters:
            return None  # rare (a run with --param): written by dumps
        key = (
            self.as_of,
            self.conclusion,
            self.fingerprint,
            self.library,
            self.outcome,
            self.ruleset,
        )
        parts = _BRIEF_PARTS.get(key)
        if parts is None:
            pieces: list[bytes] = []
            for value in key:
                piece = raw_json(value)
                if piece is None:
                    return None
                pieces.append(piece)
            as_of, conclusion, fingerprint, library, outcome, ruleset = pieces
            parts = (
                b'{"as_of":'
                + as_of
                + b',"conclusion":'
                + conclusion
                + b',"fingerprint":'
                + fingerprint
                + b',"input_digest":',
                b',"library":' + library + b',"outcome":' + outcome + b',"outcomes":',
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
        digest = raw_json(self.input_digest)
        if why is None or record_id is None or source is None or digest is None:
            return None
        line = (
            parts[0]
            + digest
            + parts[1]
            + pattern
            + b',"reasons":'
            + why
            + b',"record_id":'
            + record_id
            + parts[2]
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
        data: dict[str, Any] = {
            "record_id": self.record_id,
            "source": self.source,
            "outcome": self.outcome,
            "conclusion": self.conclusion,
            "ruleset": self.ruleset,
            "fingerprint": self.fingerprint,
            "as_of": self.as_of,
            "reasons": list(self.reasons),
            "findings": findings,
            "input_digest": self.input_digest,
            "library": self.library,
        }
        if self.parameters:
            data["parameters"] = plain(thaw(self.parameters))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """A result read back from :meth:`to_dict` (or :meth:`to_json`) data, full or brief:
        the same result, which writes the same JSON."""
        findings = data.get("findings")
        outcomes = data.get("outcomes")
        return cls(
            outcome=data["outcome"],
            ruleset=data["ruleset"],
            fingerprint=data["fingerprint"],
            as_of=data["as_of"],
            record_id=data["record_id"],
            findings=tuple(Finding.from_dict(f) for f in findings) if findings is not None else (),
            reasons=tuple(data["reasons"]),
            conclusion=data["conclusion"],
            source=data["source"],
            input_digest=data.get("input_digest"),
            parameters={k: _exact(v) for k, v in data.get("parameters", {}).items()},
            library=data.get("library", __version__),
            outcomes=tuple(outcomes.items()) if outcomes is not None else None,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Result:
        """A result read back from one line of :meth:`to_json` (numbers exact)."""
        data = json.loads(text, parse_float=Decimal)
        if not isinstance(data, Mapping):
            msg = "a result line must be a JSON object"
            raise ValueError(msg)
        return cls.from_dict(data)


_FINDING_JSON: dict[tuple[Any, ...], tuple[bytes, bytes, bytes]] = {}
"""The fixed parts of findings' JSON, by what they are made of (see :meth:`Finding._json`)."""
_OUTCOMES_JSON: dict[tuple[tuple[str, str], ...], bytes] = {}
"""The JSON of criteria's outcomes in brief results, by the outcomes."""
_BRIEF_PARTS: dict[tuple[str | None, ...], tuple[bytes, bytes, bytes]] = {}
"""The fixed parts of brief results' JSON, by what they are made of (see ``_brief_json``)."""


def _result(fields: dict[str, Any]) -> Result:
    return Result(**fields)


def _exact(value: Any) -> Any:
    """A value read back from result data with its numbers exact again (``plain`` writes them
    as float subclasses holding their exact text; JSON read with exact decimals gives them)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list | tuple):
        return [_exact(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _exact(v) for k, v in value.items()}
    return value
