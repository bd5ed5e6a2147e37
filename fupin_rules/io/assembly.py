"""Households from member rows: every member kept, household columns that disagree reported.

The national information system exports one row per family member with the household's
columns repeated on each row (:mod:`fupin_rules.io.tables` converts the cells). This module
groups the converted rows by the record id (户编号) into one record per household:

* every row that has a record id belongs to its household, and its member columns make one
  member: a row is never dropped because a *household* column differs from another row's;
* where the non-empty values of a household column differ between the rows of one household,
  the household's value is the 户主's row's (the row whose 与户主关系 is 户主, when there is
  exactly one and it has a value), else the value of a strict majority of the rows that have
  one, else none (the field is left empty, so that the criteria needing it are undecidable);
  each such difference is an input problem (:attr:`InputRecord.problems`) naming the field,
  the rows and their values, and the choice made: never a silent "first row wins";
* a household cell that cannot be used (a formula without a value, an ID stored as a number)
  is treated as empty and reported the same way, so the member on that row is still kept.

Rows are rejected only for what is wrong with the row or its member (no record id, a member
cell that cannot be used, a line the file reader refused, a record id that is the note or
signature staff write under a table, such as 制表人：张三 or 合计): each rejected row keeps its
place, its record id and its division code when the row has them
(:attr:`InputRecord.record_id`, :attr:`InputRecord.division`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ..progress import SILENT, Meter
from .jsonl import InputRecord

__all__ = ["HEAD_RELATIONS", "ConvertedRow", "group_rows", "row_span"]

_NOTE = re.compile(
    r"^\s*(?:制表|填表|审核|审批|负责|联系|统计|签字|签名|盖章|日期|单位|备注|说明|注)"
    r"(?:人|者|电话|日期|单位)?\s*(?:[:：]|$)|^\s*(?:合计|总计|小计)|："
)
"""What the record-id cell of a row under a table holds when the row is its note, signature or
total, never a record id (which has no full-width colon either): such a row is rejected as
not data, instead of becoming a household of its own."""

HEAD_RELATIONS = frozenset({"01", "户主"})
"""与户主关系 values that mark the head of household (code 01, or its label before the record
check turns labels into codes)."""


@attrs.frozen
class ConvertedRow:
    """One data row after its cells were converted to field values."""

    number: int
    source: str
    household: dict[str, Any]
    """Household fields of the row (empty cells left out)."""
    items: dict[str, dict[str, Any]]
    """List field (``members``) -> the item this row describes (empty when all its cells are)."""
    household_issues: tuple[str, ...] = ()
    """Household cells that could not be used (treated as empty)."""
    member_issues: tuple[str, ...] = ()
    """Member cells that could not be used: the row is rejected."""
    error: str | None = None
    """Why the file reader refused the row (a bad line), if it did."""


def row_span(prefix: str, numbers: Sequence[int]) -> str:
    """``file:sheet:3-6`` for contiguous rows, ``file:3,5,9`` otherwise."""
    if len(numbers) == 1:
        return f"{prefix}:{numbers[0]}"
    if list(numbers) == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{prefix}:{numbers[0]}-{numbers[-1]}"
    shown = ",".join(str(n) for n in numbers[:6])
    return f"{prefix}:{shown}" + ("…" if len(numbers) > 6 else "")


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_show(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _key(value: Any) -> str:
    """A value as compared between rows (lists by their items, numbers by value)."""
    if isinstance(value, list):
        return "\x1f".join(_key(v) for v in value)
    return f"{type(value).__name__ if isinstance(value, bool) else ''}{value}"


def _rows_text(numbers: Sequence[int]) -> str:
    return "、".join(str(n) for n in numbers)


@attrs.define
class _Household:
    rows: list[ConvertedRow] = attrs.field(factory=list)


def _head_rows(group: Sequence[ConvertedRow], list_field: str, relation: str) -> list[int]:
    return [
        i
        for i, row in enumerate(group)
        if str(row.items.get(list_field, {}).get(relation, "")) in HEAD_RELATIONS
    ]


def _resolve(
    field: str,
    group: Sequence[ConvertedRow],
    heads: Sequence[int],
    label: str,
) -> tuple[Any, str | None]:
    """The household's value of ``field`` and, when its rows disagree, the problem text."""
    by_value: dict[str, list[int]] = {}
    values: dict[str, Any] = {}
    for row in group:
        if field in row.household:
            k = _key(row.household[field])
            by_value.setdefault(k, []).append(row.number)
            values.setdefault(k, row.household[field])
    if not by_value:
        return None, None
    if len(by_value) == 1:
        return next(iter(values.values())), None
    seen = "; ".join(
        f"第 {_rows_text(nums)} 行为 {_show(values[k])}" for k, nums in by_value.items()
    )
    text = f"「{label}」同户各行不一致: {seen}"
    if len(heads) == 1 and field in group[heads[0]].household:
        head = group[heads[0]]
        value = head.household[field]
        return value, f"{text}; 取户主所在第 {head.number} 行的值 {_show(value)}"
    counts = Counter({k: len(nums) for k, nums in by_value.items()})
    (top, n), *rest = counts.most_common()
    if n * 2 > sum(counts.values()) and (not rest or rest[0][1] < n):
        return values[top], f"{text}; 户主行没有此值, 取多数行的值 {_show(values[top])}"
    return None, f"{text}; 无法确定取哪个值, 按未填处理 (须核实后改正)"


def group_rows(
    rows: Iterable[ConvertedRow],
    *,
    prefix: str,
    id_field: str,
    id_label: str,
    label_of: Callable[[str], str],
    division_field: str | None = None,
    list_field: str = "members",
    relation_field: str = "relation",
    progress: Meter = SILENT,
) -> list[tuple[int, InputRecord]]:
    """Records and rejected rows of one table, each with its first row number, in row order.

    ``label_of(field)`` names a field in messages; ``division_field`` is read from a rejected
    row so that it can be placed under its village. Each row adds one to the amount done on
    ``progress`` when it is rejected or its household is built (the rows themselves are
    counted where they are converted).
    """
    households: dict[str, _Household] = {}
    out: list[tuple[int, InputRecord]] = []
    for row in rows:
        rid = row.household.get(id_field)
        division = row.household.get(division_field) if division_field else None
        reason = row.error
        if reason is None and row.member_issues:
            reason = "; ".join(row.member_issues)
        if reason is None and rid is None:
            reason = "; ".join((*row.household_issues, f"缺少「{id_label}」, 无法归户"))
        if reason is None and isinstance(rid, str) and _NOTE.search(rid):
            reason = (
                f"该行像是表格下方的说明、落款或合计 (「{id_label}」为「{rid}」), 不是数据行;"
                f" 如确为数据, 请更正「{id_label}」"
            )
        if reason is not None:
            out.append(
                (
                    row.number,
                    InputRecord(
                        source=row.source,
                        error=reason,
                        rows=1,
                        record_id=None if rid is None else str(rid),
                        division=None if division is None else str(division),
                    ),
                )
            )
            progress.advance(0, 1)
            continue
        households.setdefault(str(rid), _Household()).rows.append(row)
    for group in (h.rows for h in households.values()):
        out.append((group[0].number, _record(group, label_of, list_field, relation_field, prefix)))
        progress.advance(0, len(group))
    out.sort(key=lambda pair: pair[0])
    return out


def _record(
    group: Sequence[ConvertedRow],
    label_of: Callable[[str], str],
    list_field: str,
    relation_field: str,
    prefix: str,
) -> InputRecord:
    heads = _head_rows(group, list_field, relation_field)
    record: dict[str, Any] = {}
    problems: list[str] = []
    fields: dict[str, None] = {}
    for row in group:
        fields.update(dict.fromkeys(row.household))
        problems.extend(f"第 {row.number} 行: {issue}" for issue in row.household_issues)
    for field in fields:
        value, problem = _resolve(field, group, heads, label_of(field))
        if value is not None:
            record[field] = value
        if problem is not None:
            problems.append(problem)
    lists: dict[str, list[dict[str, Any]]] = {}
    for row in group:
        for name, item in row.items.items():
            lists.setdefault(name, []).append(item)
    record.update(lists)
    numbers = [row.number for row in group]
    return InputRecord(
        source=row_span(prefix, numbers),
        record=record,
        rows=len(group),
        problems=tuple(problems),
    )
