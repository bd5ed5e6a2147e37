"""What a result says to the clerk who must act on it: the criteria failed (with their figures
and what it would take), what could not be judged and which fields to collect for it.

Shared by the 一微调 list, the suspected wrongful exits and the year-end summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..hints import label_of
from ..model import RuleSet
from ..reports import division_parts
from ..results import Finding, Result

__all__ = ["EXITED", "Verdict", "division_of", "verdict"]

EXITED = frozenset({"1", "4"})
"""脱贫标志 codes of a household that has exited (已脱贫, 享受或不再享受政策)."""


@attrs.frozen
class Verdict:
    """A result read for action."""

    status: str
    """pass, fail, unknown (fails for lack of data only), invalid."""
    failed: tuple[Finding, ...]
    """Blocking or veto criteria that failed."""
    unknown: tuple[Finding, ...]
    """Criteria that could not be judged."""
    collect: tuple[str, ...]
    """Labels of the fields to collect so that the unknown criteria can be judged."""
    reference: tuple[Finding, ...]
    """Reference indicators that failed (they do not block)."""

    def failed_text(self) -> str:
        """The failed criteria's labels, joined."""
        return "、".join(f.label for f in self.failed)

    def messages(self) -> str:
        """Each failed criterion's explanation (what was required, what the record had)."""
        return "\n".join(f"{f.label}: {f.message}" for f in self.failed)

    def hints(self) -> str:
        """What it would take: the numeric gaps of the failed criteria."""
        return "\n".join(h for f in self.failed for h in f.hints)


def _missing(rs: RuleSet, finding: Finding) -> list[str]:
    names = [name for name, value in finding.values.items() if value is None]
    return [label_of(rs, name) for name in names if name not in rs.parameters]


def verdict(rs: RuleSet, result: Result) -> Verdict:
    """Read ``result`` (of rule set ``rs``) for action."""
    if result.outcome == "invalid":
        return Verdict("invalid", (), (), (), ())
    findings = result.findings
    failed = tuple(
        f for f in findings if f.outcome == "fail" and f.severity in {"blocking", "veto"}
    )
    unknown = tuple(f for f in findings if f.outcome == "unknown")
    reference = tuple(f for f in findings if f.outcome == "fail" and f.severity == "reference")
    collect: dict[str, None] = {}
    for f in unknown:
        collect.update(dict.fromkeys(_missing(rs, f)))
    if result.outcome == "pass":
        status = "pass"
    elif failed or not unknown:
        status = "fail"
    else:
        status = "unknown"
    return Verdict(status, failed, unknown, tuple(collect), reference)


def division_of(rs: RuleSet, record: Any) -> tuple[str, str, str]:
    """(county, township, village) codes of a record, from its schema's division field."""
    field = rs.record_schema.division_field
    value = record.get(field) if field and isinstance(record, Mapping) else None
    return division_parts(value)
