"""The planned-exit adjustment (脱贫计划"一微调", 附件1-1): from the planned-exit list and the
current data, who meets the exit standard now, who does not and why, who cannot be judged yet
and what to collect; grouped by village, ready to mark 计划脱贫 in the national system.

The plan adjusts both "贫困人口脱贫和贫困村摘帽计划" against "八有一超" and "十一有一低于": the
subject is the rule set's (``household`` for ``gx.household.exit``, ``village`` for
``gx.village.exit``); the decisions are the same, their wording and the list's columns follow
the subject (:data:`WORDING`, :func:`columns`).

Every planned household gets one line, with or without a record (a planned id that no record
has is a line of its own, 无记录); every input item gets at most one line (a row that could not
be read is a line; a household outside the plan is listed only when it meets the standard now
and has not exited: a candidate to add to the plan). :func:`adjust` is deterministic: lines in
village, then household order.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..days import parse_day
from ..io.jsonl import InputRecord
from ..model import RuleSet
from ..reports import UNKNOWN
from .verdicts import EXITED, division_of, verdict

__all__ = [
    "DECISIONS",
    "VILLAGE_DECISIONS",
    "VILLAGE_PLANNED",
    "WORDING",
    "Adjustment",
    "AdjustmentLine",
    "adjust",
    "columns",
    "decisions",
    "division_order",
]

DECISIONS: Mapping[str, tuple[str, str]] = {
    "keep": ("达标", '保留计划脱贫 (系统中标注"计划脱贫")'),
    "remove": ("未达标", '调出计划 (取消"计划脱贫"标注), 按差距继续帮扶'),
    "collect": ("无法判定", '补采信息后再定 (暂保留"计划脱贫"标注)'),
    "invalid": ("记录无效", "核实更正记录后再定"),
    "missing": ("无记录", "计划名单中的户在数据中没有记录: 核实户编号或补录"),
    "unreadable": ("无法导入", "该行无法导入: 更正后重新核定"),
    "add": ("达标 (计划外)", '可调入计划 (经"二上二下"程序核定后标注"计划脱贫")'),
}
"""decision -> (result as staff read it, what to do in the national system)."""

VILLAGE_DECISIONS: Mapping[str, tuple[str, str]] = {
    "keep": ("达标", "保留摘帽计划"),
    "remove": ("未达标", "调出摘帽计划, 按差距继续建设"),
    "collect": ("无法判定", "补采信息后再定 (暂保留摘帽计划)"),
    "invalid": ("记录无效", "核实更正记录后再定"),
    "missing": ("无记录", "计划名单中的村在数据中没有记录: 核实村代码或补录"),
    "unreadable": ("无法导入", "该行无法导入: 更正后重新核定"),
    "add": ("达标 (计划外)", '可调入摘帽计划 (经"二上二下"程序核定)'),
}
"""The same decisions for a village. The plan names no system mark for a village at 一微调
(摘帽标注 comes at 11-26 to 11-30), so the action names none."""

VILLAGE_PLANNED = "计划退出"
"""The village record's 贫困村退出状态 of a village in this year's exit plan (the record
schema's ``exit_status`` enum); without a planned-exit list, these villages are the plan."""

WORDING: Mapping[str, Mapping[str, str]] = {
    "household": {
        "unit": "户",
        "plan": "计划脱贫",
        "title": '脱贫计划"一微调"',
        "outside": "计划外达标可调入",
    },
    "village": {
        "unit": "个村",
        "plan": "计划摘帽",
        "title": '贫困村摘帽计划"一微调"',
        "outside": "计划外达标可调入",
    },
}
"""Words of the list that follow the subject: its unit, what the plan is called, the title."""

COLUMNS: tuple[tuple[str, str], ...] = (
    ("county", "县(市、区)代码"),
    ("township", "乡(镇)代码"),
    ("village", "村代码"),
    ("village_name", "村"),
    ("record_id", "户编号"),
    ("head_name", "户主姓名"),
    ("head_id", "户主证件号码"),
    ("household_size", "家庭人口数"),
    ("planned", "原计划脱贫"),
    ("result", "核定结果"),
    ("action", "系统标注"),
    ("failed", "未达标指标"),
    ("reasons", "未达标原因"),
    ("gaps", "差距 (还需达到)"),
    ("collect", "需补采的信息"),
    ("reference", "参考指标未达标"),
    ("ruleset", "核定标准"),
    ("location", "来源 (文件:行)"),
)
"""(field, Chinese header) of every column of a household list, in order."""

VILLAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("county", "县(市、区)代码"),
    ("township", "乡(镇)代码"),
    ("record_id", "村代码"),
    ("village_name", "村"),
    ("planned", "原计划摘帽"),
    ("result", "核定结果"),
    ("action", "处理"),
    ("failed", "未达标指标"),
    ("reasons", "未达标原因"),
    ("gaps", "差距 (还需达到)"),
    ("collect", "需补采的信息"),
    ("reference", "参考指标未达标 (须整改)"),
    ("ruleset", "核定标准"),
    ("location", "来源 (文件:行)"),
)
"""(field, Chinese header) of every column of a village list, in order."""


def columns(subject: str) -> tuple[tuple[str, str], ...]:
    """The list's columns for records of ``subject``."""
    return VILLAGE_COLUMNS if subject == "village" else COLUMNS


def decisions(subject: str) -> Mapping[str, tuple[str, str]]:
    """decision -> (result, action) for records of ``subject``."""
    return VILLAGE_DECISIONS if subject == "village" else DECISIONS


def division_order(code: str) -> tuple[bool, str]:
    """A division code as lists are sorted: by code, the unknown division last."""
    return (code == UNKNOWN, code)


@attrs.frozen
class AdjustmentLine:
    """One household of the adjusted plan."""

    decision: str
    """keep, remove, collect, invalid, missing, unreadable, add (:data:`DECISIONS`)."""
    county: str
    township: str
    village: str
    record_id: str | None
    planned: bool
    head_name: str | None = None
    head_id: str | None = None
    household_size: Any = None
    failed: str = ""
    reasons: str = ""
    gaps: str = ""
    collect: str = ""
    reference: str = ""
    ruleset: str = ""
    location: str = ""
    village_name: str = ""
    subject: str = "household"

    @property
    def result(self) -> str:
        """The result as staff read it."""
        return decisions(self.subject)[self.decision][0]

    @property
    def action(self) -> str:
        """What to do (for a household, in the national system)."""
        return decisions(self.subject)[self.decision][1]

    def row(self) -> tuple[Any, ...]:
        """The line's cells, in :func:`columns` order."""
        return tuple(
            ("是" if self.planned else "否") if name == "planned" else getattr(self, name)
            for name, _ in columns(self.subject)
        )

    def to_dict(self) -> dict[str, Any]:
        """The line as plain data (keys are the column fields, plus ``decision``)."""
        data = {name: getattr(self, name) for name, _ in columns(self.subject)}
        data["decision"] = self.decision
        return data

    def sort_key(self) -> tuple[Any, ...]:
        """Village, then planned before candidates, then household."""
        places = tuple(division_order(x) for x in (self.county, self.township, self.village))
        return (*places, not self.planned, self.record_id or "")


@attrs.frozen
class Adjustment:
    """The adjusted plan and the totals of the run."""

    lines: tuple[AdjustmentLine, ...]
    ruleset: str
    fingerprint: str
    as_of: str
    planned: int
    """Distinct households in the planned-exit list."""
    rows_read: int
    records: int
    rejected_rows: int
    inputs: tuple[str, ...] = ()
    subject: str = "household"

    @property
    def words(self) -> Mapping[str, str]:
        """The words that follow the subject (:data:`WORDING`)."""
        return WORDING.get(self.subject, WORDING["household"])

    def counts(self) -> Counter[str]:
        """Lines per decision."""
        return Counter(ln.decision for ln in self.lines)

    def villages(self) -> list[tuple[str, str, str, str, Counter[str]]]:
        """(county, township, village, village name, lines per decision) per village, sorted."""
        per: dict[tuple[str, str, str, str], Counter[str]] = {}
        for ln in self.lines:
            key = (ln.county, ln.township, ln.village, ln.village_name)
            per.setdefault(key, Counter())[ln.decision] += 1
        return [(*k, per[k]) for k in sorted(per, key=lambda k: tuple(map(division_order, k)))]

    def summary(self) -> str:
        """One Chinese line with the totals."""
        c, w = self.counts(), self.words
        made = f"组成 {self.records} 户" if self.subject == "household" else f"{self.records} 个村"
        return (
            f"{w['plan']} {self.planned} {w['unit']}: 达标 {c['keep']}, 未达标 {c['remove']}, "
            f"无法判定 {c['collect']}, 记录无效 {c['invalid']}, 无记录 {c['missing']}; "
            f"{w['outside']} {c['add']} {w['unit']}; 读入 {self.rows_read} 行, {made},"
            f" 拒收 {self.rejected_rows} 行"
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _candidate(subject: str, record: Mapping[str, Any]) -> bool:
    """Whether a record outside the plan may be added to it when it meets the standard: a
    household that has not exited; a 贫困村 that has not exited."""
    if subject == "village":
        return record.get("poor_village") is True and record.get("exit_status") != "已退出"
    return record.get("exit_status") not in EXITED


def _line(
    rs: RuleSet, item: InputRecord, planned: bool, names: Mapping[str, str], day: str
) -> AdjustmentLine | None:
    record = item.record if isinstance(item.record, Mapping) else {}
    result = rs.evaluate(item.record, as_of=day, source=item.source)
    v = verdict(rs, result)
    county, township, village = division_of(rs, record)
    subject = rs.subject
    own_name = _text(record.get("village_name")) if subject == "village" else None
    common: dict[str, Any] = {
        "county": county,
        "township": township,
        "village": village,
        "village_name": names.get(village, "") or own_name or "",
        "record_id": result.record_id,
        "planned": planned,
        "head_name": _text(record.get("head_name")),
        "head_id": _text(record.get("head_id_number")),
        "household_size": record.get("household_size"),
        "ruleset": f"{result.ruleset} ({result.fingerprint[:19]})",
        "location": item.source,
        "subject": subject,
    }
    if not planned:
        wanted = v.status == "pass" and _candidate(subject, record)
        return AdjustmentLine("add", **common) if wanted else None
    if v.status == "invalid":
        return AdjustmentLine("invalid", reasons="\n".join(result.reasons), **common)
    decision = {"pass": "keep", "fail": "remove", "unknown": "collect"}[v.status]
    return AdjustmentLine(
        decision,
        failed=v.failed_text(),
        reasons=v.messages(),
        gaps=v.hints(),
        collect="、".join(v.collect),
        reference="、".join(f.label for f in v.reference),
        **common,
    )


def adjust(
    rs: RuleSet,
    items: Iterable[InputRecord],
    planned: Iterable[str] | None,
    *,
    as_of: str | dt.date,
    names: Mapping[str, str] | None = None,
    inputs: Sequence[str] = (),
) -> Adjustment:
    """The adjusted plan: each record of ``items`` judged by ``rs`` on ``as_of``, the ids in
    ``planned`` the planned-exit list. ``names``: division code -> name.

    ``planned`` None (villages only): the plan is the villages whose record says 计划退出
    (:data:`VILLAGE_PLANNED`). Raises ValueError for a household rule set without a plan."""
    day = parse_day(as_of)
    subject = rs.subject
    items = list(items)
    if planned is None:
        if subject != "village":
            msg = "a planned-exit list is needed for households"
            raise ValueError(msg)
        planned = _planned_villages(rs, items)
    wanted = {str(p).strip() for p in planned if str(p).strip()}
    names = names or {}
    id_field = rs.record_schema.id_field
    lines: list[AdjustmentLine] = []
    seen: set[str] = set()
    rows = rejected = records = 0
    for item in items:
        rows += item.rows
        if item.error is not None:
            rejected += item.rows
            lines.append(
                AdjustmentLine(
                    "unreadable",
                    UNKNOWN,
                    UNKNOWN,
                    UNKNOWN,
                    record_id=None,
                    planned=False,
                    reasons=item.error,
                    location=item.source,
                    subject=subject,
                )
            )
            continue
        records += 1
        record = item.record if isinstance(item.record, Mapping) else {}
        rid = record.get(id_field)
        key = None if rid is None else str(rid)
        planned_here = key in wanted and key not in seen
        if key in wanted:
            seen.add(key)  # a household listed twice in the data is judged once as planned
        line = _line(rs, item, planned_here, names, day)
        if line is not None:
            lines.append(line)
    for rid in sorted(wanted - seen):
        lines.append(
            AdjustmentLine(
                "missing",
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                record_id=rid,
                planned=True,
                subject=subject,
            )
        )
    return Adjustment(
        lines=tuple(sorted(lines, key=AdjustmentLine.sort_key)),
        ruleset=rs.key,
        fingerprint=rs.fingerprint,
        as_of=day,
        planned=len(wanted),
        rows_read=rows,
        records=records,
        rejected_rows=rejected,
        inputs=tuple(inputs),
        subject=subject,
    )


def _planned_villages(rs: RuleSet, items: Sequence[InputRecord]) -> list[str]:
    id_field = rs.record_schema.id_field
    return [
        str(item.record.get(id_field))
        for item in items
        if item.error is None
        and isinstance(item.record, Mapping)
        and item.record.get("exit_status") == VILLAGE_PLANNED
        and item.record.get(id_field) is not None
    ]
