"""Findings: what one criterion said about one record, as frozen plain data
(re-exported by :mod:`fupin_rules.results` and :mod:`fupin_rules.model`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ._canonical import fragment, plain, raw_json
from ._frozen import freeze_values, thaw
from .decision import CriterionOutcome, Severity

__all__ = ["Finding", "ItemFinding", "ParameterUse", "exact"]


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
            value=exact(data["value"]),
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
        return self.as_data(plain)

    def as_data(self, convert: Callable[[Any], Any] = dict) -> dict[str, Any]:
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
            values={k: exact(v) for k, v in data["values"].items()},
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
        return self.as_data(plain)

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
            values={k: exact(v) for k, v in data["values"].items()},
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

    def json_fragment(self) -> Any:
        """The finding as a JSON fragment for :meth:`Result.to_json`, or None (then the
        finding is written from :meth:`as_data`). The fixed parts, shared by every finding of a
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

    def as_data(self, convert: Callable[[Any], Any] = dict) -> dict[str, Any]:
        """The finding as data; ``convert`` as for :meth:`ItemFinding.as_data`."""
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
            data["items"] = [i.as_data(convert) for i in self.items]
        if self.parameters:
            data["parameters"] = [p.to_dict() for p in self.parameters]
        if self.hints:
            data["hints"] = list(self.hints)
        return data


def _finding(fields: dict[str, Any]) -> Finding:
    return Finding(**fields)


_FINDING_JSON: dict[tuple[Any, ...], tuple[bytes, bytes, bytes]] = {}
"""The fixed parts of findings' JSON, by what they are made of (see :meth:`Finding._json`)."""


def exact(value: Any) -> Any:
    """A value read back from result data with its numbers exact again (``plain`` writes them
    as float subclasses holding their exact text; JSON read with exact decimals gives them)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list | tuple):
        return [exact(v) for v in value]
    if isinstance(value, Mapping):
        return {k: exact(v) for k, v in value.items()}
    return value
