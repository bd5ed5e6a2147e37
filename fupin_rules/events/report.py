"""Problem lists (问题清单) of events, grouped county → township → village.

The same :class:`~fupin_rules.reports.ProblemList` that ``fupin-rules check`` writes, with the
same columns, grouping and writers: one line per failing or undecidable finding of an event
(per failing item, where a finding has items: a step, a member, a mark), one per reason of an
invalid event, one per line or row that could not be read. The 户编号 column holds the event's
subject (household or village id), the 检查规则 column its procedure, the 来源 column its place.
A finding shown only (a reference finding: a standard's conclusion on a planned-exit
adjustment, a notice length no source gives) gives a line only when it fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..io.jsonl import InputRecord
from ..io.spreadsheets import visible
from ..model import Result
from ..reports import UNKNOWN, ProblemLine, ProblemList, division_parts
from .steps import CHECKS

__all__ = ["event_problem_list"]

_ORDER = {check: i for i, check in enumerate(CHECKS)}


def _shown(text: str | None) -> str | None:
    """Text from the input as a file can hold it (lone surrogates as escapes)."""
    return None if text is None else visible(text)


def _subject(data: Any) -> str | None:
    subject = data.get("subject") if isinstance(data, Mapping) else None
    sid = subject.get("id") if isinstance(subject, Mapping) else None
    return sid if isinstance(sid, str) else None


def _division(data: Any) -> Any:
    """An event's division code as read: its own, else its record's."""
    if not isinstance(data, Mapping):
        return None
    record = data.get("record")
    code = data.get("division_code")
    if code is None and isinstance(record, Mapping):
        code = record.get("division_code")
    return code


def _divisions(items: Sequence[InputRecord]) -> dict[str, Any]:
    """subject id -> the first division code an event of that subject gives: the place of
    the subject's events that give none (a planned-exit adjustment without its record)."""
    out: dict[str, Any] = {}
    for item in items:
        sid, code = _subject(item.record), _division(item.record)
        if sid is not None and division_parts(code)[0] != UNKNOWN:
            out.setdefault(sid, code)
    return out


def _lines(item: InputRecord, result: Result, divisions: Mapping[str, Any]) -> list[ProblemLine]:
    sid = _subject(item.record)
    code = _division(item.record)
    if division_parts(code)[0] == UNKNOWN and sid is not None:
        code = divisions.get(sid)
    place, subject = division_parts(code), _shown(sid)
    location = visible(result.source or item.source)
    if result.outcome == "invalid" and not result.findings:
        category, label = (
            ("无法导入", "该行无法导入") if item.error is not None else ("记录无效", "事项无效")
        )
        return [
            ProblemLine(
                *place,
                record_id=subject,
                member=None,
                category=category,
                label=label,
                message=visible(reason),
                check=result.ruleset,
                criterion="",
                sources="",
                location=location,
                order=(-1, 0, n),
            )
            for n, reason in enumerate(result.reasons)
        ]
    out: list[ProblemLine] = []
    for f in result.findings:
        if f.outcome not in {"fail", "unknown"}:
            continue
        if f.severity == "reference" and f.outcome != "fail":
            continue
        category = "不达标" if f.outcome == "fail" else "无法判定"
        if f.severity == "reference":
            category = "不达标 (参考指标)"
        sources = "; ".join(f.sources)
        order = _ORDER.get(f.criterion, len(_ORDER))
        items = [i for i in f.items if i.outcome == f.outcome]
        pieces = [(i.message, i.values.get("member"), i.index) for i in items] or [
            (f.message, None, -1)
        ]
        out.extend(
            ProblemLine(
                *place,
                record_id=subject,
                member=_shown(member),
                category=category,
                label=f.label,
                message=visible(message),
                check=result.ruleset,
                criterion=f.criterion,
                sources=sources,
                location=location,
                order=(0, order, index),
            )
            for message, member, index in pieces
        )
    return out


def event_problem_list(
    items: Sequence[InputRecord],
    results: Sequence[Result],
    *,
    as_of: str = "各事项的日期",
    inputs: Sequence[str] = (),
) -> ProblemList:
    """The problem list of events: ``results[i]`` is the result of ``items[i]``."""
    if len(items) != len(results):
        msg = f"{len(items)} items but {len(results)} results"
        raise ValueError(msg)
    divisions = _divisions(items)
    lines = [
        ln
        for item, result in zip(items, results, strict=True)
        for ln in _lines(item, result, divisions)
    ]
    read = [item for item in items if item.error is None]
    invalid = sum(
        1
        for item, result in zip(items, results, strict=True)
        if item.error is None and result.outcome == "invalid"
    )
    rulesets = sorted({(r.ruleset, r.fingerprint) for r in results if r.findings})
    return ProblemList(
        lines=tuple(sorted(lines, key=ProblemLine.sort_key)),
        rulesets=tuple(rulesets),
        as_of=as_of,
        rows_read=sum(item.rows for item in items),
        records=len(read),
        rejected_rows=sum(item.rows for item in items if item.error is not None),
        invalid_records=invalid,
        inputs=tuple(inputs),
    )
