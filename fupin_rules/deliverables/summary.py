"""The year-end summary (动态管理工作总结): "既要说清楚有多少人脱了贫, 也要说清楚怎么脱的贫".

:func:`summarise` counts, from household records (and, where given, village records and
events): the households and people that exited in the year, by exit measure (脱贫措施), by
village, township and county, and by month of their exit date; the villages that exited and
how; new identifications, returns and member increases and decreases by reason; and the
suspected wrongful exits found and, where the returned problem lists are given, how many were
rectified (:class:`Rectified`); the villages that entered or left the plan by the year's events
(新纳入, 一微调 调入/调出, 摘帽退出). Every household of the year is in exactly one village and one
month (``日期不详`` where it has no exit date), so each breakdown adds up to the total. The
summary names its inputs with their digests and the rules with their fingerprints, and the
deadline the calendar sets for handing it in (12-12 18:00).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..codelists import CodeList
from ..io.jsonl import InputRecord
from ..reports import Rectification, division_parts
from .verdicts import EXITED

__all__ = ["NO_DATE", "NO_MEASURE", "VILLAGE_CHANGES", "Rectified", "Summary", "summarise"]

VILLAGE_CHANGES: Mapping[str, str] = {
    "village_inclusion": "新纳入贫困村",
    "plan_in": '调入摘帽计划 ("一微调")',
    "plan_out": '调出摘帽计划 ("一微调")',
    "village_exit": "摘帽退出",
}
"""How a village entered or left the plan, by event (``plan_in``/``plan_out``: a
``plan_adjustment`` of a village setting the ``planned_exit`` mark true or false)."""


@attrs.frozen
class Rectified:
    """What became of the suspected wrongful exits of the returned problem lists."""

    returned: int
    """疑似错退 lines in the returned lists."""
    fixed: int
    """Returned lines the new run no longer finds."""
    still_open: int
    claimed_open: int
    """Open lines whose village wrote something in the 整改 columns."""
    new: int
    """Lines of the new run, in villages that returned a list, not in the returned lists."""
    households_fixed: int
    """Households of the returned lists none of whose 疑似错退 lines is left."""
    outside: int
    """Lines of the new run in villages that returned no list."""

    @classmethod
    def of(cls, rect: Rectification, label_prefix: str) -> Rectified:
        """Count the entries of ``rect`` whose problem label starts with ``label_prefix``
        (``疑似错退``: the suspects list's lines of that kind)."""

        def wanted(e: Any) -> bool:
            label = e.line.label if e.line is not None else e.returned.label
            return str(label).startswith(label_prefix)

        entries = [e for e in rect.entries if wanted(e)]
        left = {e.line.record_id for e in entries if e.line is not None}
        back = {e.returned.record_id for e in entries if e.returned is not None}
        return cls(
            returned=sum(1 for e in entries if e.returned is not None),
            fixed=sum(1 for e in entries if e.status == "fixed"),
            still_open=sum(1 for e in entries if e.status == "open"),
            claimed_open=sum(
                1 for e in entries if e.status == "open" and e.returned and e.returned.claimed
            ),
            new=sum(1 for e in entries if e.status == "new"),
            households_fixed=len(back - left),
            outside=rect.outside,
        )


NO_MEASURE = "(未填脱贫措施)"
NO_DATE = "日期不详"
_VILLAGE_EXITED = "已退出"


def _people(record: Mapping[str, Any]) -> int:
    size = record.get("household_size")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    members = record.get("members")
    return len(members) if isinstance(members, list) else 0


@attrs.frozen
class Summary:
    """The year's counts. Every mapping is sorted by key."""

    year: int
    households: int
    people: int
    by_measure: tuple[tuple[str, int, int], ...]
    """(measure label, households, people); a household counts under each of its measures."""
    by_village: tuple[tuple[str, str, str, int, int], ...]
    """(county, township, village, households, people)."""
    by_village_measure: tuple[tuple[str, str, int], ...]
    """(village, measure label, households)."""
    by_month: tuple[tuple[str, int, int], ...]
    """(YYYY-MM or 日期不详, households, people)."""
    villages_exited: tuple[tuple[str, str, str], ...]
    """(village code, name, measures)."""
    village_measures: tuple[tuple[str, int], ...]
    events: tuple[tuple[str, int], ...]
    """(event type label, count)."""
    member_reasons: tuple[tuple[str, str, int], ...]
    """(增加 or 减少, reason label, members)."""
    wrongful: int
    """Exited households of the year with a suspected wrongful exit."""
    wrongful_items: int
    records: int
    rejected_rows: int
    inputs: tuple[tuple[str, str], ...] = ()
    """(file, sha256 digest)."""
    rules: tuple[tuple[str, str], ...] = ()
    deadline: str = ""
    village_changes: tuple[tuple[str, str, str, str], ...] = ()
    """(change label, village code, name, date) of the year's events, by change then date."""
    rectified: Rectified | None = None
    """Rectification of the suspected wrongful exits (None: no returned lists given)."""
    title: str = ""
    """Whose summary it is (a township or county, by name and code); empty for the whole."""

    def townships(self) -> list[tuple[str, int, int]]:
        """(township, households, people), from the villages."""
        return self._group(1)

    def counties(self) -> list[tuple[str, int, int]]:
        """(county, households, people), from the villages."""
        return self._group(0)

    def _group(self, at: int) -> list[tuple[str, int, int]]:
        hh: Counter[str] = Counter()
        pp: Counter[str] = Counter()
        for row in self.by_village:
            key = row[0] if at == 0 else row[1]
            hh[key] += row[3]
            pp[key] += row[4]
        return [(k, hh[k], pp[k]) for k in sorted(hh)]


def _labels(codes: CodeList | None, values: Any) -> list[str]:
    if not isinstance(values, list) or not values:
        return [NO_MEASURE]
    return sorted({codes.label(str(v)) if codes else str(v) for v in values})


def summarise(
    households: Iterable[InputRecord],
    *,
    year: int,
    codelists: Mapping[str, CodeList],
    villages: Iterable[InputRecord] = (),
    events: Iterable[InputRecord] = (),
    event_labels: Mapping[str, str] | None = None,
    wrongful: Iterable[str] = (),
    wrongful_items: int = 0,
    inputs: Sequence[tuple[str, str]] = (),
    rules: Sequence[tuple[str, str]] = (),
    deadline: str = "",
    rectified: Rectified | None = None,
    title: str = "",
) -> Summary:
    """Count the year. ``wrongful``: ids of households with a suspected wrongful exit."""
    villages, events = list(villages), list(events)
    measures = codelists.get("exit_measure")
    total_h = total_p = records = rejected = 0
    by_measure: dict[str, list[int]] = {}
    by_village: dict[tuple[str, str, str], list[int]] = {}
    by_vm: Counter[tuple[str, str]] = Counter()
    by_month: dict[str, list[int]] = {}
    exited_ids: set[str] = set()
    for item in households:
        if item.error is not None:
            rejected += item.rows
            continue
        records += 1
        r = item.record
        if not isinstance(r, Mapping):
            continue  # not an object: no household to count (evaluate says it is invalid)
        if r.get("exit_status") not in EXITED or r.get("exit_year") != year:
            continue
        exited_ids.add(str(r.get("household_id")))
        people = _people(r)
        total_h += 1
        total_p += people
        for label in _labels(measures, r.get("exit_measures")):
            slot = by_measure.setdefault(label, [0, 0])
            slot[0] += 1
            slot[1] += people
            by_vm[(division_parts(r.get("division_code"))[2], label)] += 1
        v = by_village.setdefault(division_parts(r.get("division_code")), [0, 0])
        v[0] += 1
        v[1] += people
        date = r.get("exit_date")
        month = str(date)[:7] if isinstance(date, str) and len(date) >= 7 else NO_DATE
        m = by_month.setdefault(month, [0, 0])
        m[0] += 1
        m[1] += people
    vnames: dict[str, str] = {}
    for item in villages:
        if item.error is None and isinstance(item.record, Mapping):
            vnames[str(item.record.get("village_id"))] = str(item.record.get("village_name") or "")
    vmeasures = codelists.get("village_exit_measure")
    vexited: list[tuple[str, str, str]] = []
    vcount: Counter[str] = Counter()
    for item in villages:
        if item.error is not None or not isinstance(item.record, Mapping):
            continue
        r = item.record
        if r.get("exit_status") != _VILLAGE_EXITED or r.get("exit_year") != year:
            continue
        labels = _labels(vmeasures, r.get("exit_measures"))
        vcount.update(labels)
        vexited.append(
            (str(r.get("village_id")), str(r.get("village_name") or ""), "、".join(labels))
        )
    kinds: Counter[str] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    inc, dec = codelists.get("member_increase_reason"), codelists.get("member_decrease_reason")
    for item in events:
        if item.error is not None or not isinstance(item.record, Mapping):
            continue
        kind = str(item.record.get("type"))
        kinds[(event_labels or {}).get(kind, kind)] += 1
        changes = item.record.get("changes") or {}
        for key, sub, table, word in (
            ("members_added", "increase_reason", inc, "增加"),
            ("members_removed", "decrease_reason", dec, "减少"),
        ):
            for member in changes.get(key) or ():
                code = member.get(sub) if isinstance(member, Mapping) else None
                label = table.label(str(code)) if table and code else "(未填原因)"
                reasons[(word, label)] += 1
    return Summary(
        year=year,
        households=total_h,
        people=total_p,
        by_measure=tuple(sorted((k, v[0], v[1]) for k, v in by_measure.items())),
        by_village=tuple(sorted((*k, v[0], v[1]) for k, v in by_village.items())),
        by_village_measure=tuple(sorted((k[0], k[1], n) for k, n in by_vm.items())),
        by_month=tuple(sorted((k, v[0], v[1]) for k, v in by_month.items())),
        villages_exited=tuple(sorted(vexited)),
        village_measures=tuple(sorted(vcount.items())),
        events=tuple(sorted(kinds.items())),
        member_reasons=tuple(sorted((w, lab, n) for (w, lab), n in reasons.items())),
        wrongful=len(exited_ids & set(wrongful)),
        wrongful_items=wrongful_items,
        records=records,
        rejected_rows=rejected,
        inputs=tuple(inputs),
        rules=tuple(rules),
        deadline=deadline,
        village_changes=tuple(sorted(_village_changes(events, year, vnames), key=_change_key)),
        rectified=rectified,
        title=title,
    )


def _village_changes(
    events: Iterable[InputRecord], year: int, names: Mapping[str, str]
) -> list[tuple[str, str, str, str]]:
    out = []
    for item in events:
        e: Mapping[str, Any] = (
            item.record if item.error is None and isinstance(item.record, Mapping) else {}
        )
        found = e.get("subject")
        subject: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        date = str(e.get("date") or "")
        if subject.get("kind") != "village" or not date.startswith(f"{year:04d}-"):
            continue
        kind = str(e.get("type"))
        if kind == "plan_adjustment":
            mark = ((e.get("changes") or {}).get("marks") or {}).get("planned_exit")
            kind = "plan_in" if mark is True else "plan_out" if mark is False else ""
        if kind in VILLAGE_CHANGES:
            vid = str(subject.get("id"))
            out.append((VILLAGE_CHANGES[kind], vid, names.get(vid, ""), date[:10]))
    return out


def _change_key(row: tuple[str, str, str, str]) -> tuple[int, str, str]:
    order = list(VILLAGE_CHANGES.values())
    return (order.index(row[0]), row[3], row[1])
