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
from typing import Any, Literal, Protocol

import attrs

from ._canonical import digest, dumps, escape_lone_surrogates, exact_json, plain, raw_json
from ._frozen import freeze, thaw
from ._version import __version__
from .decision import CriterionOutcome, Outcome
from .errors import NotFoundError
from .findings import Finding, ItemFinding, ParameterUse, exact
from .lean import FORMAT, PARTS

__all__ = ["Finding", "FindingsForm", "ItemFinding", "Legends", "ParameterUse", "Result"]

FindingsForm = bool | Literal["full", "lean"]
"""How a result line gives its findings: ``True`` or ``"full"`` every finding whole (the long
form, line format 1); ``"lean"`` what is particular to the record, the rest referenced
(format 3, :mod:`fupin_rules.lean`); ``False`` criterion outcomes only (``--brief``)."""


class Deferred(Protocol):
    """What the fast paths hand a result to build its findings from on first access."""

    def findings(self) -> tuple[Finding, ...]:
        """Every finding, in the rule set's order."""

    def unknown(self) -> tuple[Finding, ...]:
        """Only the findings of the criteria that may be unknown (an undecided record's
        reasons are built from them)."""

    def lean(self) -> dict[str, Any] | None:
        """The lean line's parts (:meth:`fupin_rules.lean.Legend.lean`) written without
        building the findings (None: build them)."""


class Legends(Protocol):
    """What resolves lean results: the legend of the rule set and day a result names
    (:meth:`fupin_rules.Library.legend_of`)."""

    def legend_of(self, result: Result) -> Any:
        """The :class:`fupin_rules.lean.Legend` of ``result``'s rules and date, or None if
        those rules are not known."""


class _Built:
    """What a result has built on first access: its findings and reasons.

    A cache, not state: the result holds everything these are built from, so they come out
    the same whenever they are built.
    """

    __slots__ = ("digest", "findings", "lean", "reasons")

    def __init__(self) -> None:
        self.findings: tuple[Finding, ...] | None = None
        self.reasons: tuple[str, ...] | None = None
        self.digest: str | None = None
        self.lean: dict[str, Any] | None = None


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
    _deferred: Deferred | None = attrs.field(
        default=None, alias="deferred", kw_only=True, repr=False
    )
    """Builds the findings when ``findings`` is None, and the lean findings without them:
    one object, so that results kept in memory hold few for the garbage collector to scan."""
    _explain: Callable[[tuple[Finding, ...] | None], tuple[str, ...]] | None = attrs.field(
        default=None, alias="explain", kw_only=True, repr=False
    )
    """Builds the reasons when ``reasons`` is None: from the findings if they are built
    (passed in), else from only the findings the reasons need (an undecided record's unknown
    criteria)."""
    _legend: Any = attrs.field(default=None, alias="legend", kw_only=True, repr=False)
    """What every result of the rule set on that day shares (:class:`fupin_rules.lean.Legend`):
    it writes the lean line and resolves lean findings. None: a result that cannot be written
    lean (one made by hand, read without its rules)."""
    _lean: dict[str, Any] | None = attrs.field(default=None, alias="lean", kw_only=True, repr=False)
    """The parts of a lean line it was read from (:data:`fupin_rules.lean.PARTS`)."""
    _built: _Built = attrs.field(init=False, factory=_Built, repr=False)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per criterion, in the rule set's order (built on first access)."""
        if self._findings is not None:
            return self._findings
        built = self._built
        if built.findings is None:
            if self._deferred is not None:
                built.findings = self._deferred.findings()
            elif self._lean is not None:
                if self._legend is None:
                    msg = (
                        f"该结果为精简格式 (format 3), 其指标说明须由产生它的规则 {self.ruleset}"
                        f" (指纹 {self.fingerprint[:19]}…) 补全: 读取时请给出规则库"
                        " (Result.from_json(line, library=...)), 且规则库中须有该版本"
                    )
                    raise NotFoundError(msg)
                built.findings = self._legend.resolve(self._lean)
            else:
                built.findings = ()
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
        # Results are equal when their long forms are; one read from a lean line without its
        # rules has no long form, and is compared by its lean line.
        if not isinstance(other, Result):
            return NotImplemented
        if self._unresolved() or other._unresolved():
            return self.to_json(findings="lean") == other.to_json(findings="lean")
        return self.to_dict() == other.to_dict()

    def _unresolved(self) -> bool:
        return self._lean is not None and self._legend is None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its findings built, so a result can cross process boundaries; a lean
        # result read without its rules keeps its lean findings.
        unresolved = self._unresolved()
        fields = {
            "outcome": self.outcome,
            "ruleset": self.ruleset,
            "fingerprint": self.fingerprint,
            "as_of": self.as_of,
            "record_id": self.record_id,
            "findings": None if unresolved else self.findings,
            "reasons": self.reasons,
            "conclusion": self.conclusion,
            "source": self.source,
            "input_digest": self.input_digest,
            "parameters": thaw(self.parameters),
            "library": self.library,
            "outcomes": self.outcomes,
            "legend": self._legend,
            "lean": self._lean if unresolved else None,
        }
        return (_result, (fields,))

    def __hash__(self) -> int:
        # The brief line: the same for results equal either way (it is part of both forms).
        return hash(self.to_json(findings=False))

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

    def to_json(self, *, findings: FindingsForm = True) -> str:
        """The result as one line of canonical JSON: keys sorted, numbers exact, the same bytes
        for the same result.

        ``findings=True`` (or ``"full"``) writes every finding whole (the long form, what
        ``fupin-rules evaluate --findings full`` writes); ``"lean"`` the lean line (format 3,
        what ``fupin-rules evaluate`` writes: see :mod:`fupin_rules.lean`), or the long form
        for a result that has no legend of its rules to reference (made by hand, read back
        without its rules); ``False`` ``"outcomes": {criterion: outcome}`` instead of the
        findings (``evaluate --brief``): no messages, values or sources, so nothing is built
        for them. The text may hold a lone surrogate from the record (see :meth:`to_bytes`).
        """
        if findings == "lean":
            return self._lean_json()
        if not findings:
            line = self._brief_json()
            return line if line is not None else dumps(self._brief())
        built = [f.json_fragment() for f in self.findings]
        if any(f is None for f in built):
            return dumps(self._raw())
        try:
            return dumps(self._raw(findings=built))
        except TypeError:
            # orjson refused a piece outside the findings (a lone surrogate in the record
            # id): the standard library's encoder writes the whole from plain data.
            return dumps(self._raw())

    def to_bytes(self, *, findings: FindingsForm = True) -> bytes:
        """:meth:`to_json` as the UTF-8 bytes a file holds (what ``evaluate`` writes, without
        the newline), a lone surrogate of the record written as its JSON escape."""
        if findings == "lean":
            raw = self._lean_raw()
            if raw is not None:
                return raw
        text = self.to_json(findings=findings)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return escape_lone_surrogates(text).encode("utf-8")

    def to_dict(self, *, findings: FindingsForm = True) -> dict[str, Any]:
        """The result as plain, JSON-ready data (numbers as exact ``float`` subclasses; use
        :meth:`to_json` for exact text); ``findings`` as for :meth:`to_json`."""
        if findings == "lean":
            lean = self._lean_data()
            return self._raw(plain) if lean is None else plain(lean)
        return self._raw(plain) if findings else self._brief()

    @property
    def lean_line(self) -> bool:
        """Whether the result was read from a lean line (format 3)."""
        return self._lean is not None

    def lean_parts(self) -> dict[str, Any] | None:
        """What a lean line holds that is particular to the record (numbers exact):
        ``outcomes``, ``values`` and, where there are any, ``messages``, ``hints``, ``items``
        and whole ``findings`` (:mod:`fupin_rules.lean`); or None if the result has no legend
        of its rules to reference or its findings cannot be referenced (then it is written in
        the long form)."""
        built = self._built
        if built.lean is not None:
            return built.lean
        lean = self._lean
        deferred = self._deferred
        if lean is not None:
            found: dict[str, Any] | None = lean
        elif (
            deferred is not None
            and self._findings is None
            and built.findings is None
            and (written := deferred.lean()) is not None
        ):
            found = written
        elif self._legend is not None:
            found = self._legend.lean(self.findings)
        else:
            found = None
        built.lean = found
        return found

    def _lean_data(self) -> dict[str, Any] | None:
        lean = self.lean_parts()
        if lean is None:
            return None
        data = self._raw(findings=[])
        del data["findings"]
        data.update(lean)
        data["format"] = FORMAT
        return data

    def _lean_raw(self) -> bytes | None:
        """The lean line's bytes by orjson, or None (no legend, or orjson refused)."""
        data = self._lean_data()
        return None if data is None else exact_json(data)

    def _lean_json(self) -> str:
        data = self._lean_data()
        if data is None:
            return self.to_json()
        raw = exact_json(data)
        return raw.decode("utf-8") if raw is not None else dumps(data)

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
            findings = [f.as_data(convert) for f in self.findings]
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
    def from_dict(cls, data: Mapping[str, Any], *, library: Legends | None = None) -> Result:
        """A result read back from :meth:`to_dict` (or :meth:`to_json`) data, long, lean or
        brief: the same result, which writes the same JSON.

        A lean line's findings are resolved from its rules: give the ``library`` (a
        :class:`fupin_rules.Library`) that holds them. Without it, or if the library does not
        hold those rules, the result has its outcomes, reasons and lean findings
        (:meth:`lean_parts`) and writes the same lean line, but its :attr:`findings` raise
        :class:`~fupin_rules.errors.NotFoundError`."""
        findings = data.get("findings")
        outcomes = data.get("outcomes")
        version = data.get("format", 1)
        lean = None
        if version == FORMAT:
            lean = _lean_parts(data)
            outcomes = lean["outcomes"]
            built = None
        elif version == 1:
            built = tuple(Finding.from_dict(f) for f in findings) if findings is not None else ()
            if outcomes is not None:  # a brief line
                _check_outcomes(outcomes)
        else:
            msg = f"unknown result line format: {version!r}"
            if version == 2:
                msg += " (the lean form of development builds: evaluate the records again)"
            raise ValueError(msg)
        result = cls(
            outcome=data["outcome"],
            ruleset=data["ruleset"],
            fingerprint=data["fingerprint"],
            as_of=data["as_of"],
            record_id=data["record_id"],
            findings=built,
            reasons=tuple(data["reasons"]),
            conclusion=data["conclusion"],
            source=data["source"],
            input_digest=data.get("input_digest"),
            parameters={k: exact(v) for k, v in data.get("parameters", {}).items()},
            library=data.get("library", __version__),
            outcomes=tuple(outcomes.items()) if outcomes is not None else None,
            lean=lean,
        )
        if library is None:
            return result
        legend = library.legend_of(result)
        if legend is None:
            return result
        if lean is not None:
            legend.check(lean)
            written = lean["outcomes"]
        elif built == () and outcomes and set(outcomes) == set(legend.criteria):
            written = outcomes  # a brief line
        else:
            return attrs.evolve(result, legend=legend)
        # In the rule set's order, as the evaluation gives them (the line sorts its keys).
        ordered = tuple((c, written[c]) for c in legend.criteria if c in written)
        return attrs.evolve(result, legend=legend, outcomes=ordered)

    @classmethod
    def from_json(cls, text: str | bytes, *, library: Legends | None = None) -> Result:
        """A result read back from one line of :meth:`to_json` (numbers exact), long, lean or
        brief; ``library`` resolves a lean line's findings (see :meth:`from_dict`)."""
        data = json.loads(text, parse_float=Decimal)
        if not isinstance(data, Mapping):
            msg = "a result line must be a JSON object"
            raise ValueError(msg)
        return cls.from_dict(data, library=library)


_OUTCOMES_JSON: dict[tuple[tuple[str, str], ...], bytes] = {}
"""The JSON of criteria's outcomes in brief results, by the outcomes."""
_BRIEF_PARTS: dict[tuple[str | None, ...], tuple[bytes, bytes, bytes]] = {}
"""The fixed parts of brief results' JSON, by what they are made of (see ``_brief_json``)."""


def _result(fields: dict[str, Any]) -> Result:
    return Result(**fields)


def _lean_parts(data: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a lean line particular to the record (:data:`fupin_rules.lean.PARTS`),
    checked for their shape, numbers exact; whole findings checked by reading them."""
    parts: dict[str, Any] = {}
    for key in PARTS:
        if key not in data:
            if key in PARTS[:2]:
                msg = f"a lean result line (format {FORMAT}) must hold {key!r}"
                raise ValueError(msg)
            continue
        value = data[key]
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            msg = f"a lean result line's {key!r} must be a JSON object"
            raise TypeError(msg)
        parts[key] = {k: exact(v) for k, v in value.items()}
    _check_outcomes(parts["outcomes"])
    outcomes = parts["outcomes"]
    for key in PARTS[2:]:
        for criterion, value in parts.get(key, {}).items():
            try:
                ok = criterion in outcomes and _part_ok(key, criterion, value)
            except KeyError:  # an item or whole finding without a key it must have
                ok = False
            if not ok:
                msg = f"a lean result line's {key!r} of {criterion!r} is not what it must be"
                raise ValueError(msg)
    return parts


def _check_outcomes(outcomes: Any) -> None:
    """Raise unless ``outcomes`` maps criterion ids to criterion outcomes."""
    if not isinstance(outcomes, Mapping):
        msg = "a result line's 'outcomes' must be a JSON object"
        raise TypeError(msg)
    for criterion, outcome in outcomes.items():
        if not isinstance(criterion, str) or outcome not in _CRITERION_OUTCOMES:
            msg = f"not an outcome of {criterion!r}: {outcome!r}"
            raise ValueError(msg)


def _part_ok(key: str, criterion: str, value: Any) -> bool:
    """Whether one criterion's part of a lean line has its shape (item and whole findings
    are read, which raises for a bad one)."""
    if key == "messages":
        return isinstance(value, str)
    if key == "findings":
        return Finding.from_dict(value).criterion == criterion
    if not isinstance(value, list):
        return False
    if key == "hints":
        return all(isinstance(h, str) for h in value)
    for item in value:
        ItemFinding.from_dict(item)
    return True


_CRITERION_OUTCOMES = frozenset({"pass", "fail", "not_applicable", "unknown"})
