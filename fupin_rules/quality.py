"""Checks across the records of a data set, declared in rule files (``dataset_checks``).

A dataset check names a key that must be unique: a member's ID number across households
(一人多户), a household id across the file. :func:`run_dataset_checks` streams the records once,
keeping only the keys, and returns one :class:`DatasetFinding` per repeated key, naming every
place it occurs, in input order. Records that are invalid for the rule set are skipped here;
per-record evaluation reports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._canonical import plain
from .evaluation import prepare, run_expression
from .io.jsonl import InputRecord
from .model import DatasetCheck, RuleSet, display

__all__ = ["DatasetFinding", "Occurrence", "run_dataset_checks"]


@attrs.frozen
class Occurrence:
    """One place a repeated key occurs."""

    record_id: str | None
    source: str | None
    index: int | None = None
    """Position of the item (member) in its list, for per-item checks."""

    def to_dict(self) -> dict[str, Any]:
        """The occurrence as plain data."""
        return {"record_id": self.record_id, "source": self.source, "index": self.index}


@attrs.frozen
class DatasetFinding:
    """A key that should be unique but occurs more than once."""

    check: str
    label: str
    key: Any
    occurrences: tuple[Occurrence, ...]
    message: str
    severity: str
    sources: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many times the key occurs."""
        return len(self.occurrences)

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data."""
        return {
            "check": self.check,
            "label": self.label,
            "key": plain(self.key),
            "count": self.count,
            "message": self.message,
            "severity": self.severity,
            "sources": list(self.sources),
            "occurrences": [o.to_dict() for o in self.occurrences],
        }


def run_dataset_checks(
    rs: RuleSet,
    records: Iterable[Mapping[str, Any] | InputRecord],
    *,
    as_of: str | dt.date | None = None,
) -> list[DatasetFinding]:
    """Run the rule set's dataset checks over ``records`` (mappings or :class:`InputRecord`)."""
    checks = rs.dataset_checks
    if not checks:
        return []
    seen: list[dict[Any, list[Occurrence]]] = [{} for _ in checks]
    for item in records:
        if isinstance(item, InputRecord):
            if not item.ok:
                continue
            record, source = item.record, item.source
        else:
            record, source = item, None
        prepared = prepare(rs, record, as_of=as_of)
        if prepared.reasons:
            continue
        for check, keys in zip(checks, seen, strict=True):
            _collect(rs, check, prepared.env, prepared.missing, prepared.record_id, source, keys)
    findings: list[DatasetFinding] = []
    for check, keys in zip(checks, seen, strict=True):
        for key, places in keys.items():
            records_involved = {(o.record_id, o.source) for o in places}
            if len(places) < 2 or (check.across_records_only and len(records_involved) < 2):
                continue
            values = {"key": key, "count": len(places)}
            findings.append(
                DatasetFinding(
                    check=check.id,
                    label=check.label,
                    key=key,
                    occurrences=tuple(places),
                    message=check.message.render(values, {}),
                    severity=check.severity,
                    sources=tuple(str(c) for c in check.citations),
                )
            )
    return findings


def _collect(
    rs: RuleSet,
    check: DatasetCheck,
    env: dict[str, Any],
    missing: Mapping[str, str],
    record_id: str | None,
    source: str | None,
    keys: dict[Any, list[Occurrence]],
) -> None:
    def add(index: int | None) -> None:
        if check.where is not None:
            ok, why = run_expression(check.where, env, missing, rs)
            if why is not None or not ok:
                return
        key, why = run_expression(check.key, env, missing, rs)
        if why is not None or key is None or key == "":
            return
        keys.setdefault(_hashable(key), []).append(
            Occurrence(record_id=record_id, source=source, index=index)
        )

    if check.for_each is None:
        add(None)
        return
    list_name, var = check.for_each
    rows = env.get(list_name)
    if not isinstance(rows, list):
        return
    try:
        for index, row in enumerate(rows):
            env[var] = row
            add(index)
    finally:
        env.pop(var, None)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return display(value) if not isinstance(value, str | int) else value
