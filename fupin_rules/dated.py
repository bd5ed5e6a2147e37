"""Each record judged on its own date: the version and parameters in force on a date the
record holds (its exit date, say), not one date for the whole batch.

A household that exited in 2017, in a batch checked on 2018-11-20, is judged under the
standard in force on its exit date; a record whose date falls outside every version is
``invalid`` with that reason. The date used is the result's ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._frozen import freeze
from .errors import NotFoundError, UsageError
from .evaluation import parse_day, refused
from .library import Library
from .model import Result, RuleSet

__all__ = ["DatedEvaluator", "out_of_period"]


def out_of_period(rs: RuleSet, day: str) -> str | None:
    """A warning for evaluating ``rs`` on ``day`` outside its own period, or None."""
    if rs.in_force(day):
        return None
    span = f"{rs.effective_from} 至 {rs.effective_until or '今'}"
    return f"注意: {rs.key} 的施行期为 {span}, 评估日期 {day} 不在其中"


class DatedEvaluator:
    """Evaluates records of one standard, each on the date in its field ``field`` (a
    ``YYYY-MM-DD`` date, or date and time of which the date is used), or on ``default`` where
    the field is empty. ``parameters``: values fixed for every version (``--param``)."""

    __slots__ = ("_versions", "default", "field", "library", "parameters", "standard")

    def __init__(
        self,
        library: Library,
        standard: str,
        field: str,
        *,
        default: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        library.versions(standard)  # an unknown standard is refused at once
        self.library = library
        self.standard = standard
        self.field = field
        self.default = parse_day(default) if default is not None else None
        self.parameters = freeze(parameters)
        self._versions: dict[str, RuleSet] = {}
        """Each version with the fixed parameters, made when first needed (a cache)."""

    def evaluate(self, record: Any, *, source: str | None = None) -> Result:
        """The record's result under the version in force on its own date."""
        versions = self.library.versions(self.standard)
        newest = self._version(versions[-1])
        value = record.get(self.field) if isinstance(record, Mapping) else None
        if value is None or value == "":
            if self.default is None:
                label = newest.record_schema.label(self.field)
                reason = f"记录没有评估日期: 字段「{label}」({self.field}) 为空"
                return refused(newest, record, reason, source=source)
            value = self.default
        text = str(value)
        # A date, or a date and time (the day is what selects a version).
        if not isinstance(value, dt.date) and len(text) > 10 and text[10] not in "T ":
            text = "?"
        try:
            day = parse_day(value if isinstance(value, dt.date) else text[:10])
        except UsageError:
            label = newest.record_schema.label(self.field)
            reason = (
                f"评估日期「{label}」({self.field}) 的值 {value!r} 不是有效日期 (应为 YYYY-MM-DD)"
            )
            return refused(newest, record, reason, source=source)
        # The versions in force on the day, looked up directly (a record at a time: no new
        # rule set object per record); the library says why when none is.
        found = next((rs for rs in versions if rs.in_force(day)), None)
        if found is None:
            try:
                found = self.library.get(self.standard, as_of=day)
            except NotFoundError as exc:
                reason = f"评估日期不在任何版本的施行期内: {exc}"
                return refused(newest, record, reason, source=source)
        return self._version(found).evaluate(record, as_of=day, source=source)

    @property
    def base(self) -> RuleSet:
        """The newest version (with the fixed parameters): what names a line that never
        became a record, which has no date of its own."""
        return self._version(self.library.versions(self.standard)[-1])

    def evaluate_many(self, records: Iterable[Any]) -> Iterator[Result]:
        """One result per record, in order, each on its own date."""
        for record in records:
            yield self.evaluate(record)

    def _version(self, rs: RuleSet) -> RuleSet:
        found = self._versions.get(rs.key)
        if found is None:
            found = rs.with_parameters(self.parameters) if self.parameters else rs
            self._versions[rs.key] = found
        return found
