"""Lean full results (line format 2): what every result of a rule set on one day shares is
written once, in the rule set, and each line references it by criterion id.

A finding of a lean line holds what is particular to the record: the criterion's id, its
outcome, the values it read from the record and its derived fields (not the parameters in
force, which the rule set and the date give; nor a value the record does not have, null in
the long form), and the message where it says something the
rule set's fixed texts do not (a failed or unknown criterion, a per-item one), with any hints
and item findings. Its label, group, severity, sources, whether it is unconfirmed, the
parameter values it applied, and the message of a passed or not applicable criterion (the
rule set's text for that outcome, filled in with the values) are the rule set's: a
:class:`Legend` holds them for one rule set and day, and resolves a lean finding into exactly
the :class:`~fupin_rules.results.Finding` the evaluation built. The note that ends every
passed or failed message of an unconfirmed criterion (``(注意: …未经来源确认)``) is the rule
set's too: a written message leaves it off, and reading adds it back.

A finding that the legend could not resolve to itself (a hand-made one, another criterion's) is
written whole, with every key of the long form; reading takes a finding with ``label`` as
whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from ._frozen import freeze, thaw
from .findings import Finding, ItemFinding, ParameterUse

__all__ = ["FORMAT", "Legend", "LegendEntry"]

FORMAT = 2
"""The ``format`` of a lean line (a line without ``format`` is a long one, format 1)."""

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

    def lean(self, finding: Finding) -> dict[str, Any]:
        """The finding as it stands in a lean line: numbers still ``Decimal`` (for
        :func:`fupin_rules._canonical.exact_json`). Whole if the legend cannot give back
        exactly this finding from the lean form."""
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

    def resolve(self, lean: Sequence[Mapping[str, Any]]) -> tuple[Finding, ...]:
        """The findings of a lean line (numbers exact), built whole from the rule set's fixed
        parts. Raises ValueError for a finding the rule set cannot resolve."""
        return tuple(self.finding(data) for data in lean)

    def finding(self, data: Mapping[str, Any]) -> Finding:
        """One finding of a lean line, resolved (see :meth:`resolve`)."""
        if "label" in data:
            return Finding.from_dict(data)
        criterion = data["criterion"]
        e = self._by_id.get(criterion)
        if e is None:
            msg = f"精简结果中的指标 {criterion} 不在规则 {self.ruleset} 中"
            raise ValueError(msg)
        written = data.get("values", {})
        values: dict[str, Any] = {}
        fixed = e.fixed
        for name in e.names:
            values[name] = written[name] if name in written else fixed.get(name)
        for name, value in written.items():
            values.setdefault(name, value)
        outcome = data["outcome"]
        message = data.get("message")
        if message is None:
            message = e.message(outcome, values, self.labels)
        elif e.unconfirmed and outcome in _NOTED:
            message += e.note
        return Finding(
            criterion=criterion,
            label=e.label,
            group=e.group,
            severity=e.severity,  # type: ignore[arg-type]
            outcome=outcome,
            message=message,
            values=values,
            sources=e.sources,
            unconfirmed=e.unconfirmed,
            items=tuple(ItemFinding.from_dict(i) for i in data.get("items", ())),
            parameters=e.parameters,
            hints=tuple(data.get("hints", ())),
        )


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
