"""Suspected wrongful exits (疑似错退) and suspected missed households (疑似漏评) as problem
lists (:class:`~fupin_rules.reports.ProblemList`), to hand down county → township → village
and match back by problem id like any other list.

* 疑似错退: an exited household (脱贫标志 已脱贫) whose record fails the exit standard **in force on
  its own exit date** (:class:`~fupin_rules.dated.DatedEvaluator` on ``exit_date``): one line
  per failed criterion, with the criterion, the figures and what it would take. An exited
  household that cannot be judged (a field missing, no exit date) is a 无法判定 line naming
  what to collect; a household not exited is not listed.
* 疑似漏评: a household not registered (given in its own file) that meets the identification
  criteria on the day given: one line, with the criteria it meets and their figures.

Every input row is accounted for: a row that could not be read is a 无法导入 line, and the
totals say how many rows and records were read. A line's problem id is stable across runs
and rule versions (its check names the list, not the version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..dated import DatedEvaluator
from ..days import parse_day
from ..io.jsonl import InputRecord
from ..model import RuleSet
from ..reports import UNKNOWN, ProblemLine, ProblemList
from ..results import Result
from .verdicts import EXITED, division_of, verdict

__all__ = ["MISSED", "WRONGFUL", "Suspects", "missed_households", "suspects", "wrongful_exits"]

WRONGFUL = "疑似错退"
MISSED = "疑似漏评"


@attrs.frozen
class Suspects:
    """The lines of one kind of suspicion and the totals of the run that found them."""

    lines: tuple[ProblemLine, ...]
    rulesets: tuple[tuple[str, str], ...]
    rows_read: int
    records: int
    rejected_rows: int
    invalid_records: int
    checked: int
    """Records checked: exited households (错退) or all the non-registered ones (漏评)."""


def _rejected(item: InputRecord, kind: str) -> ProblemLine:
    return ProblemLine(
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
        record_id=None,
        member=None,
        category="无法导入",
        label="该行无法导入",
        message=item.error or "",
        check=kind,
        criterion="",
        sources="",
        location=item.source,
        subject=(item.error or "").partition(":")[0],
        order=(-2, 0, 0),
    )


def _base(rs: RuleSet, result: Result, record: Mapping[str, Any], kind: str) -> dict[str, Any]:
    place = division_of(rs, record)
    head = record.get("head_name")
    head_id = record.get("head_id_number")
    return {
        "county": place[0],
        "township": place[1],
        "village": place[2],
        "record_id": result.record_id,
        "member": None,
        "check": f"{kind} {result.ruleset}",
        "location": result.source or "",
        "head_name": None if head is None else str(head),
        "head_id": None if head_id is None else str(head_id),
    }


def _undecidable(base: Mapping[str, Any], label: str, result: Result) -> list[ProblemLine]:
    """One line per reason an invalid result gives (placed before the criteria's lines)."""
    return [
        ProblemLine(
            **base,
            category="无法判定",
            label=label,
            message=reason,
            criterion="",
            sources="",
            subject=reason.partition(": ")[0],
            order=(-1, 0, 0),
        )
        for reason in result.reasons
    ]


def _exit_lines(
    rs: RuleSet, result: Result, record: Mapping[str, Any], *, presumed: bool
) -> list[ProblemLine]:
    base = _base(rs, result, record, WRONGFUL)
    day = f"脱贫年度推定的日期 {result.as_of} " if presumed else f"脱贫认定日期 {result.as_of} "
    when = f"按{day}施行的 {result.ruleset} 判定"
    if result.outcome == "invalid":
        return _undecidable(base, "已脱贫户无法复核", result)
    v = verdict(rs, result)
    order = {c.id: i for i, c in enumerate(rs.criteria)}
    lines = [
        ProblemLine(
            **base,
            category=WRONGFUL,
            label=f"{WRONGFUL}: {f.label}",
            message="; ".join((f.message, *f.hints)) + f" ({when})",
            criterion=f.criterion,
            sources="; ".join(f.sources),
            order=(0, order.get(f.criterion, 0), -1),
        )
        for f in v.failed
    ]
    if v.status == "unknown":
        lines += [
            ProblemLine(
                **base,
                category="无法判定",
                label=f"已脱贫户无法复核: {f.label}",
                message=f"需补采: {'、'.join(v.collect) or '见说明'}; {f.message} ({when})",
                criterion=f.criterion,
                sources="; ".join(f.sources),
                order=(0, order.get(f.criterion, 0), -1),
            )
            for f in v.unknown
        ]
    return lines


def _dated_record(record: Mapping[str, Any], field: str, year_day: str | None) -> Any:
    """The record to judge: where its date field is empty and ``year_day`` (``MM-DD``) is
    given, the date of its exit year on that day (the record is otherwise unchanged)."""
    year = record.get("exit_year")
    if year_day is None or record.get(field) not in (None, "") or not isinstance(year, int):
        return record
    return {**record, field: f"{year:04d}-{year_day}"}


def wrongful_exits(
    dated: DatedEvaluator, items: Iterable[InputRecord], *, year_day: str | None = None
) -> Suspects:
    """Exited households of ``items`` that fail the standard in force on their own date
    (``dated``: the exit standard on the exit-date field). ``year_day`` (``MM-DD``): for a
    household without an exit date, judge it on that day of its exit year (脱贫年度), and say
    so in its lines."""
    lines: list[ProblemLine] = []
    rows = rejected = records = invalid = checked = 0
    used: dict[str, str] = {}
    for item in items:
        rows += item.rows
        if item.error is not None:
            rejected += item.rows
            lines.append(_rejected(item, WRONGFUL))
            continue
        records += 1
        record = item.record if isinstance(item.record, Mapping) else {}
        if record.get("exit_status") not in EXITED:
            continue
        checked += 1
        judged = _dated_record(record, dated.field, year_day)
        result = dated.evaluate(judged, source=item.source)
        if result.outcome == "invalid" and not result.findings:
            rs = dated.base
        else:
            rs = dated.library.get(dated.standard, fingerprint=result.fingerprint)
            used[result.ruleset] = result.fingerprint
        invalid += result.outcome == "invalid"
        presumed = judged is not record
        lines.extend(_exit_lines(rs, result, record, presumed=presumed))
    return Suspects(
        lines=tuple(lines),
        rulesets=tuple(sorted(used.items())),
        rows_read=rows,
        records=records,
        rejected_rows=rejected,
        invalid_records=invalid,
        checked=checked,
    )


def missed_households(
    rs: RuleSet, items: Iterable[InputRecord], *, as_of: str | dt.date
) -> Suspects:
    """Households of ``items`` (not registered) that meet the identification criteria ``rs``
    on ``as_of``."""
    day = parse_day(as_of)
    lines: list[ProblemLine] = []
    rows = rejected = records = invalid = 0
    for item in items:
        rows += item.rows
        if item.error is not None:
            rejected += item.rows
            lines.append(_rejected(item, MISSED))
            continue
        records += 1
        record = item.record if isinstance(item.record, Mapping) else {}
        result = rs.evaluate(item.record, as_of=day, source=item.source)
        base = _base(rs, result, record, MISSED)
        if result.outcome == "invalid":
            invalid += 1
            lines += _undecidable(base, "未建档立卡户无法判定", result)
            continue
        if result.outcome != "pass":
            continue
        met = [f for f in result.findings if f.outcome == "pass"]
        unmet = [f for f in result.findings if f.outcome == "fail"]
        parts = [f"{f.label}: {f.message}" for f in met + unmet]
        lines.append(
            ProblemLine(
                **base,
                category=MISSED,
                label=f"{MISSED}: 符合贫困户识别条件, 未建档立卡",
                message=f"{result.conclusion or '符合识别条件'} (按 {result.ruleset} 于 {day}); "
                + "; ".join(parts),
                criterion="identification",
                sources="; ".join(dict.fromkeys(s for f in result.findings for s in f.sources)),
                order=(0, 0, -1),
            )
        )
    return Suspects(
        lines=tuple(lines),
        rulesets=((rs.key, rs.fingerprint),),
        rows_read=rows,
        records=records,
        rejected_rows=rejected,
        invalid_records=invalid,
        checked=records,
    )


def suspects(
    parts: Sequence[Suspects],
    *,
    as_of: str,
    names: Mapping[str, str] | None = None,
    inputs: Sequence[str] = (),
) -> ProblemList:
    """One problem list of the suspicions found (sorted, division names filled in)."""
    names = names or {}
    lines = [
        attrs.evolve(
            ln,
            county_name=names.get(ln.county, ""),
            township_name=names.get(ln.township, ""),
            village_name=names.get(ln.village, ""),
        )
        for part in parts
        for ln in part.lines
    ]
    rulesets: dict[str, str] = {}
    for part in parts:
        rulesets.update(part.rulesets)
    return ProblemList(
        lines=tuple(sorted(lines, key=ProblemLine.sort_key)),
        rulesets=tuple(sorted(rulesets.items())),
        as_of=as_of,
        rows_read=sum(p.rows_read for p in parts),
        records=sum(p.records for p in parts),
        rejected_rows=sum(p.rejected_rows for p in parts),
        invalid_records=sum(p.invalid_records for p in parts),
        inputs=tuple(inputs),
    )
