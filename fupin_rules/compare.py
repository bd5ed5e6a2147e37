"""Comparing two versions of a standard: what changed in the rules, and what it changes for
records.

:func:`diff` compares the canonical resolved forms of two rule sets (so a revision written as a
delta is compared with everything it inherits): criteria, parameters, derived fields, decision,
identity. :func:`impact` evaluates the same records under both versions on the same date and
counts how outcomes move (e.g. 2016 pass → 2018 fail), listing each record that moved and the
criteria whose outcome differs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from ._canonical import dumps, fingerprint, plain
from .evaluation import parse_day
from .io.inputs import Rows, input_kind, read_inputs, units
from .io.jsonl import InputRecord
from .io.tables import TableReader
from .loading.canonical import BEGINNING
from .model import Result, RuleSet
from .parallel import columns_installed

__all__ = [
    "FIELD_WORDS",
    "GROUPS",
    "Change",
    "ImpactReport",
    "RecordImpact",
    "diff",
    "field_word",
    "group_of",
    "impact",
    "impact_items",
    "impact_of",
    "impact_pairs",
]

_KIND_ZH = {"criterion": "指标", "parameter": "参数", "derived": "派生字段", "ruleset": "规则集"}
FIELD_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "label": "名称",
        "group": "分组",
        "severity": "性质",
        "applies_if": "适用条件",
        "test": "检验",
        "pass": "达标说明",
        "fail": "不达标说明",
        "not_applicable": "不适用说明",
        "sources": "依据",
        "unconfirmed": "「未经来源确认」标记",
        "points": "分值",
        "for_each": "逐项检验",
        "values": "取值",
        "unit": "单位",
        "type": "类型",
        "expr": "计算式",
        "decision": "判定方法",
        "title": "标题",
        "effective": "施行日期",
        "subject": "适用对象",
        "record_schema": "所读字段",
        "dataset_checks": "跨记录检查",
    }
)
"""The Chinese words for the rule fields a change names, in ``diff`` and on the site's
pages of changes alike (:func:`field_word`)."""


def field_word(change: Change) -> str:
    """What ``change`` changed, in words: :data:`FIELD_WORDS`, where a rule set's own
    ``applies_if`` (which households a standard is for) is its 适用范围."""
    field = change.field or ""
    if change.kind == "ruleset" and field == "applies_if":
        return "适用范围"
    return FIELD_WORDS.get(field, field)


@attrs.frozen
class Change:
    """One difference between two versions."""

    kind: str
    """criterion, parameter, derived or ruleset."""
    name: str
    change: str
    """added, removed or changed."""
    field: str | None = None
    """For a change: which key changed."""
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        what = f"{_KIND_ZH[self.kind]} {self.name}"
        if self.change == "added":
            if self.kind == "parameter" and isinstance(self.after, Mapping):
                return f"+ 新增{what}: {_parameter_values(self.after)}"
            return f"+ 新增{what}"
        if self.change == "removed":
            return f"- 删除{what}"
        label = field_word(self)
        if (
            self.field == "values"
            and isinstance(self.before, list)
            and isinstance(self.after, list)
        ):
            return f"~ {what} 的{label}: " + _dated_changes(self.before, self.after)
        return f"~ {what} 的{label}: {_show(self.before)} → {_show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        """The change as plain data."""
        return {
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "field": self.field,
            "before": plain(self.before),
            "after": plain(self.after),
        }


GROUPS: tuple[tuple[str, str], ...] = (
    ("parameters", "阈值与参数"),
    ("criteria", "指标的增加与删除"),
    ("tests", "检验与适用条件"),
    ("severity", "指标性质 (必须达标、参考、一票否决)"),
    ("derived", "派生字段的计算"),
    ("ruleset", "判定方法、适用范围与施行日期"),
    ("wording", "措辞与依据"),
)
"""How changes are grouped for people (``diff``, the site's pages of changes), in order:
every group but the last changes the rules, and so results; the last is wording and sources."""

_RULE_FIELDS = {
    "criterion": {"test": "tests", "applies_if": "tests", "for_each": "tests", "points": "tests"},
    "derived": {"expr": "derived"},
    "parameter": {"type": "parameters"},
}


def _values_differ(before: Any, after: Any) -> bool:
    """Whether dated parameter values differ in a date or a value (not only in sources)."""

    def pairs(values: Any) -> list[tuple[Any, Any]]:
        return [(v.get("from"), v.get("value")) for v in values or ()]

    return pairs(before) != pairs(after)


def _decision_differs(before: Any, after: Any) -> bool:
    """Whether a decision changed in more than its conclusions' wording."""
    keep = ("method", "threshold", "expression")
    return any((before or {}).get(k) != (after or {}).get(k) for k in keep)


def group_of(change: Change) -> str:
    """The group a change belongs to (see :data:`GROUPS`)."""
    if change.change != "changed":
        return {"criterion": "criteria", "parameter": "parameters"}.get(change.kind, "derived")
    field = change.field or ""
    if change.kind == "criterion" and field == "severity":
        return "severity"
    if change.kind == "parameter" and field == "values":
        return "parameters" if _values_differ(change.before, change.after) else "wording"
    if change.kind == "ruleset":
        if field == "title":
            return "wording"
        if field == "decision":
            return "ruleset" if _decision_differs(change.before, change.after) else "wording"
        return "ruleset"
    return _RULE_FIELDS.get(change.kind, {}).get(field, "wording")


def _dated_changes(before: list[Any], after: list[Any]) -> str:
    """Dated parameter values compared date by date: ``自 2019-01-01: (无) → 3218``."""
    old = {v["from"]: v for v in before}
    new = {v["from"]: v for v in after}
    parts = []
    for day in sorted(set(old) | set(new)):
        x, y = old.get(day), new.get(day)
        if x == y:
            continue

        def show(v: Any) -> str:
            if v is None:
                return "(无)"
            if v["value"] is None:
                return "无已确认的值"
            return _show(v["value"]) + (" [未确认]" if v.get("unconfirmed") else "")

        was, now = show(x), show(y)
        # the same value with other sources or notes: say so rather than "0.5 → 0.5"
        parts.append(
            f"自 {day}: {now} (依据或说明改变)" if was == now else f"自 {day}: {was} → {now}"
        )
    return "; ".join(parts) or "(仅依据不同)"


def _parameter_values(param: Mapping[str, Any]) -> str:
    """A parameter's values on one line: ``60 %`` or ``自 2017-01-01: 2; 自 2020-01-01: 5 万元``."""
    parts = []
    for v in param.get("values") or ():
        shown = "无已确认的值" if v["value"] is None else _show(v["value"])
        shown += " [未确认]" if v.get("unconfirmed") else ""
        parts.append(shown if v["from"] == BEGINNING else f"自 {v['from']}: {shown}")
    unit = f" {param['unit']}" if param.get("unit") else ""
    return "; ".join(parts) + unit if parts else "(无)"


def _show(value: Any) -> str:
    if value is None:
        return "(无)"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict) and "from" in value:
        span = f"{value['from']} 至 {value.get('until') or '今'}"
        return span + (" [未确认]" if value.get("unconfirmed") else "")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value) or "(无)"
    if isinstance(value, list | dict):
        return dumps(value)
    return str(value)


def _compare_items(
    kind: str, before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> Iterator[Change]:
    for name in before:
        if name not in after:
            yield Change(kind, name, "removed")
    for name, new in after.items():
        old = before.get(name)
        if old is None:
            # an added parameter carries its values, which the line shows
            yield Change(kind, name, "added", after=new if kind == "parameter" else None)
            continue
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                yield Change(kind, name, "changed", key, old.get(key), new.get(key))


def _view(rs: RuleSet) -> dict[str, Any]:
    """The canonical form as a diff shows it: with the version's end (not in the fingerprint,
    but a change staff want to see), and the record schema as a digest per field read."""
    form = rs.to_dict()
    form["effective"] = {"from": rs.effective_from, "until": rs.effective_until}
    part = form["record_schema"]
    form["record_schema"] = {
        "fields": {f: fingerprint(part["schema"]["properties"][f]) for f in part["reads"]},
        "rest": fingerprint({k: v for k, v in part.items() if k not in {"reads", "schema"}})
        + fingerprint({k: v for k, v in part["schema"].items() if k != "properties"}),
    }
    return form


def _schema_sides(a: RuleSet, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, str]:
    """The fields read before and after that differ, by label: those no longer read or
    defined otherwise, and those newly read or defined otherwise."""
    label = a.record_schema.label
    before, after = old["fields"], new["fields"]
    changed = sorted(f for f in set(before) & set(after) if before[f] != after[f])
    gone = [f"{label(f)} ({f})" for f in sorted(set(before) - set(after))]
    came = [f"{label(f)} ({f})" for f in sorted(set(after) - set(before))]
    redefined = [f"{label(f)} ({f}) 的定义" for f in changed]
    if old["rest"] != new["rest"]:
        redefined.append("记录结构的其余部分")
    return "、".join(gone + redefined) or "(无)", "、".join(came + redefined) or "(无)"


def diff(a: RuleSet, b: RuleSet) -> list[Change]:
    """What differs from rule set ``a`` to rule set ``b`` (usually two versions of one standard)."""
    ca, cb = _view(a), _view(b)
    changes: list[Change] = []
    for key in ("title", "subject", "effective", "record_schema", "decision", "applies_if"):
        if ca.get(key) != cb.get(key):
            before, after = ca.get(key), cb.get(key)
            if key == "record_schema":
                before, after = _schema_sides(a, ca[key], cb[key])
            changes.append(Change("ruleset", f"{b.id}", "changed", key, before, after))
    changes.extend(
        _compare_items(
            "criterion",
            {c["id"]: c for c in ca["criteria"]},
            {c["id"]: c for c in cb["criteria"]},
        )
    )
    changes.extend(_compare_items("parameter", ca["parameters"], cb["parameters"]))
    changes.extend(
        _compare_items(
            "derived",
            {d["name"]: d for d in ca["derived"]},
            {d["name"]: d for d in cb["derived"]},
        )
    )
    if ca.get("dataset_checks") != cb.get("dataset_checks"):
        changes.append(
            Change(
                "ruleset",
                b.id,
                "changed",
                "dataset_checks",
                ca.get("dataset_checks"),
                cb.get("dataset_checks"),
            )
        )
    return changes


@attrs.frozen
class RecordImpact:
    """One record whose outcome (or criteria) differ between the two versions."""

    record_id: str | None
    source: str | None
    before: str
    after: str
    criteria: tuple[tuple[str, str, str], ...]
    """(criterion id, outcome before, outcome after) for each criterion that differs;
    a criterion only one version has shows ``-`` on the other side."""

    def to_dict(self) -> dict[str, Any]:
        """The record's impact as plain data."""
        return {
            "record_id": self.record_id,
            "source": self.source,
            "before": self.before,
            "after": self.after,
            "criteria": [{"criterion": c, "before": x, "after": y} for c, x, y in self.criteria],
        }


@attrs.frozen
class ImpactReport:
    """How outcomes move from one version to another over a set of records."""

    before: str
    after: str
    as_of: str
    transitions: Mapping[tuple[str, str], int]
    """(outcome before, outcome after) -> number of records."""
    changed: tuple[RecordImpact, ...]

    @property
    def total(self) -> int:
        """Records compared."""
        return sum(self.transitions.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return {
            "before": self.before,
            "after": self.after,
            "as_of": self.as_of,
            "total": self.total,
            "transitions": [
                {"before": a, "after": b, "count": n}
                for (a, b), n in sorted(self.transitions.items())
            ],
            "changed": [r.to_dict() for r in self.changed],
        }


def _criteria_moves(x: Result, y: Result) -> tuple[tuple[str, str, str], ...]:
    # Outcomes, not findings: a result of the fast path has them without building messages.
    first = dict(x.outcomes)
    second = dict(y.outcomes)
    names = list(first) + [n for n in second if n not in first]
    return tuple(
        (n, first.get(n, "-"), second.get(n, "-"))
        for n in names
        if first.get(n, "-") != second.get(n, "-")
    )


def impact(
    a: RuleSet,
    b: RuleSet,
    records: Iterable[Any],
    *,
    as_of: str | dt.date,
    sources: Iterable[str | None] | None = None,
) -> ImpactReport:
    """Evaluate ``records`` under ``a`` and ``b`` on the same date and compare the outcomes."""
    day = parse_day(as_of)
    source_iter = iter(sources) if sources is not None else None

    def pairs() -> Iterator[tuple[Result, Result]]:
        for record in records:
            source = next(source_iter, None) if source_iter is not None else None
            yield (
                a.evaluate(record, as_of=day, source=source),
                b.evaluate(record, as_of=day, source=source),
            )

    return impact_of(a, b, pairs(), as_of=day)


def impact_of(
    a: RuleSet, b: RuleSet, pairs: Iterable[tuple[Result, Result]], *, as_of: str
) -> ImpactReport:
    """The report of each record's results under ``a`` and ``b`` (in that order), evaluated
    on ``as_of`` however they were (row by row, or by columns for Parquet)."""
    transitions: Counter[tuple[str, str]] = Counter()
    changed: list[RecordImpact] = []
    for x, y in pairs:
        transitions[(x.outcome, y.outcome)] += 1
        moves = _criteria_moves(x, y)
        if x.outcome != y.outcome or moves:
            changed.append(
                RecordImpact(
                    record_id=x.record_id,
                    source=x.source,
                    before=x.outcome,
                    after=y.outcome,
                    criteria=moves,
                )
            )
    return ImpactReport(
        before=a.key,
        after=b.key,
        as_of=as_of,
        transitions=dict(transitions),
        changed=tuple(changed),
    )


def impact_pairs(
    a: RuleSet,
    b: RuleSet,
    inputs: Sequence[str],
    *,
    as_of: str,
    tables: TableReader | None = None,
) -> Iterator[tuple[Result, Result]]:
    """Each input record's results under ``a`` and ``b`` on ``as_of``, one record held at a
    time (what :func:`impact_of` takes): Parquet by whole columns where numpy is installed
    (the same results), everything else row by row; a line or row that is not a record gives
    two ``invalid`` results."""
    for path in list(inputs) or ["-"]:
        if input_kind(path) == "parquet" and columns_installed():
            # numpy and pyarrow are optional: the column path is imported only when it runs.
            from .arrow import iter_arrow

            for unit in units([path]):  # the batches `evaluate` reads
                assert isinstance(unit, Rows)
                start, label = unit.start, unit.label
                yield from zip(
                    iter_arrow(a, unit.batch, label=label, start=start, as_of=as_of),
                    iter_arrow(b, unit.batch, label=label, start=start, as_of=as_of),
                    strict=True,
                )
            continue
        for _, x, y in impact_items(a, b, [path], as_of=as_of, tables=tables):
            yield x, y


def impact_items(
    a: RuleSet,
    b: RuleSet,
    inputs: Sequence[str],
    *,
    as_of: str,
    tables: TableReader | None = None,
) -> Iterator[tuple[InputRecord, Result, Result]]:
    """Each input item (a record, or a line or row that is not one) with its results under
    ``a`` and ``b`` on ``as_of``, row by row (what a workbook of the impact shows: the record
    gives the household's name and village)."""
    for item in read_inputs(list(inputs) or ["-"], tables=tables):
        record = item.record if item.ok else None
        yield (
            item,
            a.evaluate(record, as_of=as_of, source=item.source),
            b.evaluate(record, as_of=as_of, source=item.source),
        )
