"""What an event finds in its subject and what it changes: the ``state`` and ``changes``
checks of :mod:`fupin_rules.events.check`.

``state``: the status marks the event's type requires before it (计划脱贫 for a household
exit, 脱贫 for a return to poverty, 深度贫困村 for a village inclusion …), read from the state
its earlier events left, or from the event's own record where no event set them; the members
it adds (not there yet) and removes (there); and the event's own record against what the
earlier events left (members, 家庭人口数, marks an event set). A mark no event and no record
gives is not judged, and the message says so.

``changes``: what the type must state (added or removed members, a mark), and each added or
removed member's reason (in its code list) and date (a real date, not after the event's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from ..evaluation import parse_day
from ..model import Citation
from ..records import RecordSchema
from ..results import Finding, ItemFinding
from .model import Event, mark_label, member_key
from .procedures import EventKind
from .steps import cite_all, make_finding
from .year import SubjectState

__all__ = ["SubjectChecks"]

_CHANGE_LABELS = {
    "members_added": "自然增加的家庭成员",
    "members_removed": "自然减少的家庭成员",
    "household_size": "变化后的家庭人口数",
}


class SubjectChecks:
    """The ``state`` and ``changes`` checks, with the record schemas that say how marks and
    member-change reasons read (``record_schemas``: subject -> RecordSchema)."""

    def __init__(self, record_schemas: Mapping[str, RecordSchema]) -> None:
        self.record_schemas = record_schemas

    def _codes(self, kind: str) -> Any:
        """The code list of a subject kind's ``exit_status`` (None: its values are plain text)."""
        schema = self.record_schemas.get(kind)
        if schema is None:
            return None
        prop = schema.schema.get("properties", {}).get("exit_status", {})
        listed = prop.get("x-codelist") if isinstance(prop, Mapping) else None
        return schema.codelists.get(listed) if isinstance(listed, str) else None

    def _norm(self, kind: str, mark: str, value: Any) -> Any:
        if mark != "exit_status" or not isinstance(value, str):
            return value
        codes = self._codes(kind)
        return (codes.code_for(value) or value) if codes is not None else value

    def _shown(self, kind: str, mark: str, value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        codes = self._codes(kind)
        if mark == "exit_status" and codes is not None and isinstance(value, str):
            return str(codes.label(codes.code_for(value) or value))
        return str(value)

    def state(self, event: Event, kind: EventKind, seen: SubjectState) -> Finding:
        """The ``state`` finding of ``event``, which found ``seen``."""
        subject = event.subject_kind
        items: list[ItemFinding] = []
        judged = 0
        skipped: list[str] = []
        cited: list[Citation] = []
        unconfirmed = False
        for n, r in enumerate(kind.requires):
            if r.subject not in (None, subject):
                continue
            value = seen.marks.get(r.mark)
            label = mark_label(r.mark, subject)
            if value is None:
                skipped.append(label)
                continue
            judged += 1
            allowed = [self._norm(subject, r.mark, a) for a in r.allowed]
            if self._norm(subject, r.mark, value) in allowed:
                continue
            origin = seen.origins.get(r.mark)
            whence = "本事项所附记录" if origin == event.id else f"事项 {origin}"
            want = "、".join(self._shown(subject, r.mark, a) for a in r.allowed)
            why = r.message or f"{label}须为 {want}"
            items.append(
                ItemFinding(
                    index=n,
                    item_id=r.mark,
                    outcome="fail",
                    message=f"{why}: 此前{label}为 {self._shown(subject, r.mark, value)}"
                    f" (据{whence})",
                    values={"mark": r.mark},
                )
            )
            cited.extend(r.citations)
            unconfirmed = unconfirmed or r.unconfirmed
        judged += self._members_found(event, seen, items)
        judged += self._record_against(event, seen, items)
        if items:
            message = "; ".join(i.message for i in items)
        elif judged and seen.events:
            message = f"与此前的状态相符 (此前的事项: {'、'.join(seen.events)})"
        elif judged:
            message = "与所附记录的状态相符"
        elif skipped:
            message = f"此前没有该对象的事项和记录, 未核对{'、'.join(skipped)}"
        else:
            message = "此前没有该对象的事项和记录, 未核对状态"
        if skipped and (items or judged):
            message += f"; 此前状态不明, 未核对: {'、'.join(skipped)}"
        return make_finding(
            "state",
            "fail" if items else ("pass" if judged else "not_applicable"),
            message,
            items=items,
            values={
                "events_before": list(seen.events),
                "marks": {m: self._shown(subject, m, v) for m, v in sorted(seen.marks.items())},
            },
            sources=cite_all(cited or kind.citations),
            unconfirmed=unconfirmed,
        )

    def _members_found(self, event: Event, seen: SubjectState, items: list[ItemFinding]) -> int:
        """Added members must not be, removed ones must be, among the members found."""
        record = event.record if event.record is not None else seen.record
        members = record.get("members") if record is not None else None
        if not isinstance(members, tuple) or not (event.added or event.removed):
            return 0
        keys = {member_key(m) for m in members if isinstance(m, Mapping)}
        for i, m in enumerate(event.added):
            key = member_key(m)
            if key is not None and key in keys:
                items.append(_member_item(i, m, "已在该户成员中", "新增"))
        for i, m in enumerate(event.removed):
            key = member_key(m)
            if key is not None and key not in keys:
                items.append(_member_item(i, m, "不在该户成员中", "减少"))
        return 1

    def _record_against(self, event: Event, seen: SubjectState, items: list[ItemFinding]) -> int:
        """The event's own record against what the earlier events left."""
        before = seen.record
        if event.record is None or before is None or not seen.events:
            return 0
        last = seen.events[-1]
        mine = {member_key(m) for m in event.record.get("members") or () if isinstance(m, Mapping)}
        theirs = {member_key(m) for m in before.get("members") or () if isinstance(m, Mapping)}
        if mine != theirs:
            extra = "、".join(sorted(k for k in mine - theirs if k))
            lost = "、".join(sorted(k for k in theirs - mine if k))
            parts = [
                p for p in (f"多出 {extra}" if extra else "", f"缺少 {lost}" if lost else "") if p
            ]
            items.append(
                ItemFinding(
                    index=0,
                    item_id="members",
                    outcome="fail",
                    message=f"所附记录的成员与此前事项 (至 {last}) 留下的不一致:"
                    f" {'; '.join(parts)}",
                    values={},
                )
            )
        size, earlier = event.record.get("household_size"), before.get("household_size")
        if size is not None and earlier is not None and size != earlier:
            items.append(
                ItemFinding(
                    index=0,
                    item_id="household_size",
                    outcome="fail",
                    message=f"所附记录的家庭人口数 {size} 与此前事项 (至 {last})"
                    f" 留下的 {earlier} 不一致",
                    values={},
                )
            )
        for mark in sorted(set(seen.marks) - set(seen.recorded)):
            shown = event.record.get(mark)
            if shown is None or seen.origins.get(mark) == event.id:
                continue
            kind = event.subject_kind
            if self._norm(kind, mark, shown) != self._norm(kind, mark, seen.marks[mark]):
                label, was = mark_label(mark, kind), self._shown(kind, mark, shown)
                items.append(
                    ItemFinding(
                        index=0,
                        item_id=mark,
                        outcome="fail",
                        message=f"所附记录的{label}为 {was}, 但事项 {seen.origins[mark]} 已使其为"
                        f" {self._shown(kind, mark, seen.marks[mark])}",
                        values={"mark": mark},
                    )
                )
        return 1

    def _reasons_list(self, list_name: str, field: str) -> Any:
        schema = self.record_schemas.get("household")
        if schema is None:
            return None
        prop = schema.schema.get("properties", {}).get(list_name, {})
        listed = prop.get("items", {}).get("properties", {}).get(field, {}).get("x-codelist")
        return schema.codelists.get(listed) if isinstance(listed, str) else None

    def changes(self, event: Event, kind: EventKind) -> Finding:
        """The ``changes`` finding of ``event``."""
        items: list[ItemFinding] = []
        for n, name in enumerate(kind.must_change):
            if name in _CHANGE_LABELS:
                stated = bool(event.changes.get(name)) or (
                    name == "household_size" and "household_size" in event.changes
                )
                label = _CHANGE_LABELS[name]
            else:
                stated = name in event.marks
                label = f"标注「{mark_label(name, event.subject_kind)}」(changes.marks.{name})"
            if not stated:
                items.append(
                    ItemFinding(n, name, "fail", f"「{kind.label}」须写明{label}", values={})
                )
        day = event.day
        checks = (
            (event.added, "members_added", "members", "increase", "新增"),
            (event.removed, "members_removed", "removed_members", "decrease", "减少"),
        )
        for members, _, list_name, prefix, word in checks:
            codes = self._reasons_list(list_name, f"{prefix}_reason")
            for i, m in enumerate(members):
                problems = _member_problems(m, prefix, word, codes, day)
                if problems:
                    items.append(_member_item(i, m, "; ".join(problems), word))
        changed = bool(kind.must_change or event.added or event.removed or event.marks)
        if not changed:
            message = "事项没有也无须写明变化"
        elif items:
            message = "; ".join(i.message for i in items)
        else:
            parts = []
            if event.added:
                parts.append(f"新增成员 {len(event.added)} 名")
            if event.removed:
                parts.append(f"减少成员 {len(event.removed)} 名")
            if parts:
                parts[-1] += ", 原因和日期齐全"
            parts += [
                f"标注{mark_label(m, event.subject_kind)}为 {self._shown(event.subject_kind, m, v)}"
                for m, v in sorted(event.marks.items())
            ]
            message = "; ".join(parts)
        return make_finding(
            "changes",
            "fail" if items else ("pass" if changed else "not_applicable"),
            message,
            items=items,
            values={"added": len(event.added), "removed": len(event.removed)},
            sources=cite_all(kind.citations),
        )


def _member_item(index: int, member: Mapping[str, Any], why: str, word: str = "") -> ItemFinding:
    key = member_key(member)
    name = member.get("name")
    who = f"{name} ({member.get('id_number')})" if name and member.get("id_number") else key
    lead = f"{word}成员 {who or f'第 {index + 1} 名'}"
    return ItemFinding(
        index=index,
        item_id=key,
        outcome="fail",
        message=f"{lead}: {why}",
        values={"member": who or f"第 {index + 1} 名"},
    )


def _member_problems(
    member: Mapping[str, Any], prefix: str, word: str, codes: Any, day: str
) -> list[str]:
    problems = []
    if member_key(member) is None:
        problems.append("没有姓名和证件号码")
    reason = member.get(f"{prefix}_reason")
    if reason is None or reason == "":
        problems.append(f"没有{word}原因")
    elif codes is not None and codes.code_for(str(reason)) is None:
        allowed = "、".join(codes.codes.values())
        problems.append(f"{word}原因 {reason!r} 不在代码表「{codes.title}」中 (可用: {allowed})")
    when = member.get(f"{prefix}_date")
    if when is None or when == "":
        problems.append(f"没有{word}日期")
    else:
        try:
            changed = parse_day(str(when))
        except UsageError:
            problems.append(f"{word}日期 {when!r} 不是有效日期")
        else:
            if changed > day:
                problems.append(f"{word}日期 {changed} 晚于事项日期 {day}")
    return problems
