"""Lean full results (line format 3): what every result of a rule set on one day shares is
written once, in the rule set, and each line references it by criterion id.

A lean line holds what is particular to the record, beside the keys every result line has:
``outcomes``, each criterion's outcome by id (as a ``--brief`` line has them); ``values``, the
values the criteria read from the record and its derived fields, each name once (a name two
criteria read is the same value of the same record: which criterion reads which is the rule
set's), without the parameters in force (which the rule set and the date give) or a value the
record does not have (null in the long form); ``messages``, by criterion, where a message says
something the rule set's fixed texts do not (a failed or unknown criterion, a per-item one);
``hints`` and ``items`` by criterion where there are any. A finding's label, group, severity,
sources, whether it is unconfirmed, the parameter values it applied, and the message of a
passed or not applicable criterion (the rule set's text for that outcome, filled in with the
values) are the rule set's: a :class:`Legend` holds them for one rule set and day, and resolves
a lean line into exactly the :class:`~fupin_rules.results.Finding` objects the evaluation
built. The note that ends every passed or failed message of an unconfirmed criterion
(``(注意: …未经来源确认)``) is the rule set's too: a written message leaves it off, and reading
adds it back.

A finding that the legend could not resolve to itself (a hand-made one, a changed message) is
written whole, with every key of the long form, under ``findings`` by criterion. Findings that
are not the rule set's criteria in its order, or whose values disagree on a name, cannot be
referenced at all: their result is written in the long form (format 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from ._frozen import freeze, thaw
from .findings import Finding, ItemFinding, ParameterUse

__all__ = ["FORMAT", "OWN_PARTS", "PARTS", "Legend", "LegendEntry"]

FORMAT = 3
"""The ``format`` of a lean line (a line without ``format`` is a long one, format 1; format 2,
one object per finding, was written only by development builds and is not read)."""

PARTS = ("outcomes", "values", "messages", "hints", "items", "findings")
"""The keys of a lean line that hold what is particular to the record (:meth:`Legend.lean`);
``outcomes`` and ``values`` always, the others where they hold something."""

Render = Callable[[Mapping[str, Any], Mapping[str, Mapping[str, str]]], str]


@attrs.frozen(eq=False)
class LegendEntry:
    """What every finding of one criterion shares on one day."""

    criterion: str
    label: str
    group: str | None
    severity: str
    sources: tuple[str, ...]
    unconfirmed: bool
    parameters: tuple[ParameterUse, ...]
    names: tuple[str, ...]
    """The names a finding's values hold, in order."""
    fixed: Mapping[str, Any] = attrs.field(converter=freeze)
    """Of those, the parameters in force that day (and ``as_of``), with their values: not
    written on the line (nor is a missing value: a name neither written nor fixed is
    null)."""
    per_item: bool
    texts: tuple[Any, Any, Any]
    """The templates of pass, fail and not applicable (:class:`fupin_rules.model.Template`)."""
    note: str
    """Added to the message of a passed or failed unconfirmed criterion."""

    def __reduce__(self) -> tuple[Any, ...]:
        fields = attrs.asdict(self, recurse=False)
        fields["fixed"] = dict(self.fixed)
        return (_entry, (fields,))

    @property
    def record_names(self) -> tuple[str, ...]:
        """The names whose values a lean finding writes."""
        return tuple(n for n in self.names if n not in self.fixed)

    def message(self, outcome: str, values: Mapping[str, Any], labels: Mapping[str, Any]) -> str:
        """The message of a non-per-item criterion that passed, failed or did not apply."""
        index = ("pass", "fail", "not_applicable").index(outcome)
        text: str = self.texts[index].render(values, labels)
        if self.unconfirmed and outcome != "not_applicable":
            text += self.note
        return text


class Legend:
    """What every result of one rule set on one day shares: per criterion, its fixed parts
    (:class:`LegendEntry`), and the code labels messages show. Built by the evaluation
    (:meth:`fupin_rules.model.RuleSet.legend`); read-only, picklable."""

    __slots__ = ("_by_id", "as_of", "entries", "fingerprint", "labels", "ruleset")

    def __init__(
        self,
        ruleset: str,
        fingerprint: str,
        as_of: str,
        entries: Iterable[LegendEntry],
        labels: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.ruleset = ruleset
        self.fingerprint = fingerprint
        self.as_of = as_of
        self.entries = tuple(entries)
        self.labels: Mapping[str, Mapping[str, str]] = MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in labels.items()}
        )
        self._by_id = MappingProxyType({e.criterion: e for e in self.entries})

    def __reduce__(self) -> tuple[Any, ...]:
        labels = {k: dict(v) for k, v in self.labels.items()}
        return (Legend, (self.ruleset, self.fingerprint, self.as_of, self.entries, labels))

    def entry(self, criterion: str) -> LegendEntry | None:
        """The fixed parts of ``criterion`` (None: not a criterion of the rule set)."""
        return self._by_id.get(criterion)

    # ------------------------------------------------------------------ writing

    @property
    def criteria(self) -> tuple[str, ...]:
        """The criterion ids, in the rule set's order."""
        return tuple(self._by_id)

    def lean(self, findings: Sequence[Finding]) -> dict[str, Any] | None:
        """What a lean line holds of these findings (the :data:`PARTS`), or None if they
        cannot be referenced (not the rule set's criteria in its order, values that disagree):
        then the result is written long. No findings (a record refused before evaluation) have
        empty parts."""
        if not findings:
            return {"outcomes": {}, "values": {}}
        if tuple(f.criterion for f in findings) != self.criteria:
            return None
        return self.merge([self.part(f) for f in findings])

    def merge(self, parts: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
        """The lean line's :data:`PARTS` from one :meth:`part` per criterion, in the rule set's
        order; None if they are not that, or if two criteria's values disagree on a name
        (one has a value the other lacks or holds differently), which one ``values`` cannot
        say."""
        if len(parts) != len(self.entries):
            return None
        outcomes: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        extra: dict[str, dict[str, Any]] = {}
        for e, part in zip(self.entries, parts, strict=True):
            c = e.criterion
            if part["criterion"] != c:
                return None
            outcomes[c] = part["outcome"]
            if "label" in part:
                extra.setdefault("findings", {})[c] = part
                continue
            written = part["values"]
            for n in e.record_names:
                value = written.get(n, _ABSENT)
                was = seen.setdefault(n, value)
                if was is not value and not _same(was, value):
                    return None
            for key, plural in OWN_PARTS.items():
                if key in part:
                    extra.setdefault(plural, {})[c] = part[key]
        data: dict[str, Any] = {
            "outcomes": outcomes,
            "values": {n: v for n, v in seen.items() if v is not _ABSENT},
        }
        data.update(extra)
        return data

    def part(self, finding: Finding) -> dict[str, Any]:
        """One finding as :meth:`merge` takes it: its criterion, outcome, the values it read
        (not the fixed ones, nor a missing one), and the message, hints and items a lean line
        writes; numbers still ``Decimal``. Whole (every key of the long form) if the legend
        cannot give back exactly this finding from the lean form."""
        e = self._by_id.get(finding.criterion)
        if e is None or not self._shared(e, finding):
            return whole(finding)
        values = finding.values
        fixed = e.fixed
        data: dict[str, Any] = {
            "criterion": finding.criterion,
            "outcome": finding.outcome,
            "values": {n: thaw(v) for n, v in values.items() if v is not None and n not in fixed},
        }
        outcome = finding.outcome
        if outcome in {"fail", "unknown"} or e.per_item:
            message = finding.message
            if e.unconfirmed and outcome in _NOTED:
                # The note every message of an unconfirmed criterion ends with is the rule
                # set's: left off the line, added back when it is read.
                if not message.endswith(e.note):
                    return whole(finding)
                message = message[: len(message) - len(e.note)]
            data["message"] = message
        elif finding.message != e.message(outcome, values, self.labels):
            return whole(finding)
        if finding.hints:
            data["hints"] = list(finding.hints)
        if finding.items:
            data["items"] = [_item(i) for i in finding.items]
        return data

    def _shared(self, e: LegendEntry, f: Finding) -> bool:
        """Whether ``f`` has exactly the criterion's fixed parts and values of these names,
        the parameters among them holding the day's values."""
        if (
            f.label != e.label
            or f.group != e.group
            or f.severity != e.severity
            or f.sources != e.sources
            or f.unconfirmed != e.unconfirmed
            or f.parameters != e.parameters
            or tuple(f.values) != e.names
            or (f.items and not e.per_item)
        ):
            return False
        values = f.values
        return all(_same(values[n], v) for n, v in e.fixed.items())

    # ------------------------------------------------------------------ reading

    def check(self, data: Mapping[str, Any]) -> None:
        """Raise ValueError unless the lean line's parts name exactly this rule set's
        criteria (or none: a record refused before evaluation). Their shape is checked where
        a line is read (:meth:`fupin_rules.results.Result.from_dict`)."""
        outcomes = data["outcomes"]
        if outcomes and set(outcomes) != set(self._by_id):
            unknown = sorted(set(outcomes) - set(self._by_id))
            lacking = sorted(set(self._by_id) - set(outcomes))
            msg = f"精简结果的指标与规则 {self.ruleset} 不符"
            if unknown:
                msg += f": 规则中没有 {', '.join(unknown)}"
            if lacking:
                msg += f": 缺少 {', '.join(lacking)}"
            raise ValueError(msg)

    def resolve(self, data: Mapping[str, Any]) -> tuple[Finding, ...]:
        """The findings of a lean line's :data:`PARTS` (numbers exact), in the rule set's
        order, built whole from its fixed parts. Raises ValueError for parts that do not name
        this rule set's criteria."""
        self.check(data)
        outcomes = data["outcomes"]
        if not outcomes:
            return ()
        flat = data["values"]
        messages = data.get("messages", {})
        hints = data.get("hints", {})
        items = data.get("items", {})
        whole = data.get("findings", {})
        found = []
        for e in self.entries:
            c = e.criterion
            if c in whole:
                found.append(Finding.from_dict(whole[c]))
                continue
            fixed = e.fixed
            values = {n: fixed[n] if n in fixed else flat.get(n) for n in e.names}
            outcome = outcomes[c]
            message = messages.get(c)
            if message is None:
                message = e.message(outcome, values, self.labels)
            elif e.unconfirmed and outcome in _NOTED:
                message += e.note
            found.append(
                Finding(
                    criterion=c,
                    label=e.label,
                    group=e.group,
                    severity=e.severity,  # type: ignore[arg-type]
                    outcome=outcome,
                    message=message,
                    values=values,
                    sources=e.sources,
                    unconfirmed=e.unconfirmed,
                    items=tuple(ItemFinding.from_dict(i) for i in items.get(c, ())),
                    parameters=e.parameters,
                    hints=tuple(hints.get(c, ())),
                )
            )
        return tuple(found)


_ABSENT = object()
"""A value a finding does not have (null in the long form), in :meth:`Legend.merge`."""

OWN_PARTS = MappingProxyType({"message": "messages", "hints": "hints", "items": "items"})
"""A finding's own parts (the keys of :meth:`Legend.part`) and where a lean line keeps each,
by criterion."""

_NOTED = frozenset({"pass", "fail"})
"""The outcomes whose message an unconfirmed criterion's note ends (:attr:`LegendEntry.note`)."""


def _entry(fields: dict[str, Any]) -> LegendEntry:
    return LegendEntry(**fields)


def whole(finding: Finding) -> dict[str, Any]:
    """A finding with every key of the long form (numbers still ``Decimal``)."""
    data: dict[str, Any] = {
        "criterion": finding.criterion,
        "label": finding.label,
        "group": finding.group,
        "severity": finding.severity,
        "outcome": finding.outcome,
        "message": finding.message,
        "values": thaw(finding.values),
        "sources": list(finding.sources),
        "unconfirmed": finding.unconfirmed,
    }
    if finding.items:
        data["items"] = [_item(i) for i in finding.items]
    if finding.parameters:
        data["parameters"] = [
            {
                "name": p.name,
                "value": p.value,
                "from": p.start,
                "unconfirmed": p.unconfirmed,
                "sources": list(p.sources),
            }
            for p in finding.parameters
        ]
    if finding.hints:
        data["hints"] = list(finding.hints)
    return data


def _item(item: ItemFinding) -> dict[str, Any]:
    return {
        "index": item.index,
        "item_id": item.item_id,
        "outcome": item.outcome,
        "message": item.message,
        "values": thaw(item.values),
    }


def _same(a: Any, b: Any) -> bool:
    """Whether two values are written the same (``True`` is not ``1``)."""
    return a is b or (type(a) is type(b) and a == b)
