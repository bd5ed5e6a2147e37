"""Problem lists (问题清单): findings over a data set, grouped county → township → village.

:func:`check_records` runs rule sets (the data-quality rules ``cn.record.quality`` and any
standard) and their dataset checks over the items a reader produced, and returns a
:class:`ProblemList`: one :class:`ProblemLine` per household or member problem, per rejected
input row, per record the schema refuses, and per place a dataset check found a repeated key.
The 12-digit division code of each record groups the lines: the first 6 digits are the county,
9 the township, 12 the village; names come from a division-name code list where one is given.
Every line has a stable problem id (the same problem gets the same id on the next run), which
the village's returned list is matched by (:mod:`.rectify`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..evaluation import parse_day
from ..io.jsonl import InputRecord
from ..io.spreadsheets import visible
from ..model import Result, RuleSet
from ..quality import run_dataset_checks

__all__ = [
    "COLUMNS",
    "RECTIFICATION",
    "UNKNOWN",
    "ProblemLine",
    "ProblemList",
    "check_records",
    "division_parts",
    "problem_id",
]

UNKNOWN = "(未知)"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("problem_id", "问题编号"),
    ("county", "县(市、区)代码"),
    ("county_name", "县(市、区)"),
    ("township", "乡(镇)代码"),
    ("township_name", "乡(镇)"),
    ("village", "村代码"),
    ("village_name", "村"),
    ("record_id", "户编号"),
    ("head_name", "户主姓名"),
    ("head_id", "户主证件号码"),
    ("member", "成员"),
    ("category", "问题类别"),
    ("label", "问题"),
    ("message", "说明"),
    ("sources", "依据"),
    ("check", "检查规则"),
    ("criterion", "指标编号"),
    ("location", "来源 (文件:行)"),
)
"""(field, Chinese header) of every problem-list column, in order."""

RECTIFICATION: tuple[tuple[str, str], ...] = (
    ("rectified", "整改情况"),
    ("rectifier", "整改人"),
    ("rectified_on", "整改日期"),
)
"""The columns a village fills in before returning its list (empty when the list is made)."""


def division_parts(code: Any) -> tuple[str, str, str]:
    """(county, township, village) codes from a 12-digit division code; unknown parts marked."""
    if isinstance(code, str) and len(code) == 12 and code.isdigit():
        return code[:6], code[:9], code
    return UNKNOWN, UNKNOWN, UNKNOWN


def problem_id(
    check: str, criterion: str, record_id: str | None, member: str | None, where: str
) -> str:
    """A stable id of a problem: the same problem of the same household (or input row) gets
    the same id on every run, whatever else changed (the wording, the values, the row it is
    on), so that a returned list can be matched to the next run. ``check`` is the rule set's
    ``id@version``; its version is left out, so a problem keeps its id under a revision;
    ``criterion`` names what is wrong (a criterion, a check, or the field a reason is about)."""
    standard = check.partition("@")[0]
    key = "\x1f".join((standard, criterion, record_id or where, member or ""))
    return "P" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12].upper()


@attrs.frozen
class ProblemLine:
    """One problem of one household, member, or input row."""

    county: str
    township: str
    village: str
    record_id: str | None
    member: str | None
    """The member named: ``第 2 名 李某 (440524…)``."""
    category: str
    """不达标, 无法判定, 记录无效, 无法导入, 重复."""
    label: str
    message: str
    check: str
    """The rule set (``id@version``) or 导入 for rows that could not be read."""
    criterion: str
    sources: str
    location: str
    order: tuple[int, int, int] = attrs.field(default=(0, 0, 0), repr=False)
    """Rule set, criterion and member position, for a stable order within a household."""
    head_name: str | None = None
    head_id: str | None = None
    """The head of household's name and ID number, for staff to find the household."""
    county_name: str = ""
    township_name: str = ""
    village_name: str = ""
    """Division names, where a division-name list gives them."""
    member_index: int | None = attrs.field(default=None, repr=False)
    """The member's position (from 0), which the problem id uses (its name may change)."""

    subject: str = attrs.field(default="", repr=False)
    """What the problem is about when no criterion names it: the field of an invalid
    record's reason, the reason of a rejected row (for the problem id)."""

    @property
    def problem_id(self) -> str:
        """The stable id of this problem (:func:`problem_id`)."""
        member = None if self.member_index is None else str(self.member_index)
        what = self.criterion or self.subject
        return problem_id(self.check, what, self.record_id, member, self.location)

    def to_dict(self) -> dict[str, Any]:
        """The line as plain data (keys are the column fields)."""
        return {name: getattr(self, name) for name, _ in COLUMNS}

    def sort_key(self) -> tuple[Any, ...]:
        """County, township, village, household, then rule, criterion and member order; a
        place in a file in the order of its rows (``x:9`` before ``x:10``)."""
        return (
            self.county,
            self.township,
            self.village,
            self.record_id or "",
            self.order,
            _natural(self.location),
            self.message,
        )


def _natural(text: str) -> tuple[Any, ...]:
    """``text`` with its numbers compared as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


@attrs.frozen
class ProblemList:
    """The problems of a data set and the totals of the run that found them."""

    lines: tuple[ProblemLine, ...]
    rulesets: tuple[tuple[str, str], ...]
    """(``id@version``, fingerprint) of each rule set run."""
    as_of: str
    rows_read: int
    records: int
    rejected_rows: int
    invalid_records: int
    headermap: str | None = None
    inputs: tuple[str, ...] = ()

    @property
    def households_with_problems(self) -> int:
        """How many distinct records have at least one line."""
        return len({(ln.record_id, ln.village) for ln in self.lines if ln.record_id})

    def counts(self) -> list[tuple[str, str, str, str, str, int, int]]:
        """(county, township, village, check, problem, lines, households) per problem per
        village, sorted."""
        lines: Counter[tuple[str, str, str, str, str]] = Counter()
        households: dict[tuple[str, str, str, str, str], set[str]] = {}
        for ln in self.lines:
            key = (ln.county, ln.township, ln.village, ln.check, ln.label)
            lines[key] += 1
            households.setdefault(key, set()).add(ln.record_id or ln.location)
        return [(*k, lines[k], len(households[k])) for k in sorted(lines)]

    def townships(self) -> list[str]:
        """The township codes that have lines, sorted."""
        return sorted({ln.township for ln in self.lines})

    def summary(self) -> str:
        """One Chinese line with the totals (read, built, evaluated, invalid, problems)."""
        return (
            f"读入 {self.rows_read} 行: 组成 {self.records} 户, 拒收 {self.rejected_rows} 行; "
            f"评估 {self.records} 户: 无效 {self.invalid_records} 户, "
            f"有问题 {self.households_with_problems} 户; 问题 {len(self.lines)} 条"
        )


# --------------------------------------------------------------------------- building


def _member_text(record: Mapping[str, Any], list_name: str, index: int, item_id: str | None) -> str:
    items = record.get(list_name)
    name = None
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], Mapping):
        item = items[index]
        name = item.get("name")
        item_id = item_id or (str(item["id_number"]) if item.get("id_number") else None)
    text = f"第 {index + 1} 名"
    if name:
        text += f" {name}"
    if item_id:
        text += f" ({item_id})"
    return text


Who = tuple[str | None, str | None]


def _who(rs: RuleSet, record: Mapping[str, Any]) -> Who:
    """The head of household's name and ID number, from the fields the record schema names
    (``x-name-field``, ``x-person-id-field``), for staff to find the household."""
    schema = rs.record_schema.schema
    found: list[str | None] = []
    for keyword in ("x-name-field", "x-person-id-field"):
        name = schema.get(keyword)
        value = record.get(name) if isinstance(name, str) else None
        found.append(None if value is None else str(value))
    return found[0], found[1]


def _result_lines(
    result: Result,
    rs: RuleSet,
    rs_order: int,
    record: Mapping[str, Any],
    place: tuple[str, str, str],
    location: str,
) -> list[ProblemLine]:
    out: list[ProblemLine] = []
    rid = result.record_id
    who = _who(rs, record)
    if result.outcome == "invalid" and not result.findings:
        return [
            ProblemLine(
                *place,
                record_id=rid,
                member=None,
                category="记录无效",
                label="记录不符合记录结构",
                message=reason,
                check="记录结构",
                criterion="",
                sources="",
                location=location,
                order=(-1, 0, 0),
                subject=reason.partition(": ")[0],
                head_name=who[0],
                head_id=who[1],
            )
            for reason in result.reasons
        ]
    order = {c.id: i for i, c in enumerate(rs.criteria)}
    lists = {c.id: c.for_each[0] for c in rs.criteria if c.for_each is not None}
    for f in result.findings:
        if f.outcome not in {"fail", "unknown"}:
            continue
        category = "不达标" if f.outcome == "fail" else "无法判定"
        if f.severity == "reference" and f.outcome == "fail":
            category = "不达标 (参考指标)"
        sources = "; ".join(f.sources)
        c_order = order.get(f.criterion, len(order))
        items = [i for i in f.items if i.outcome == f.outcome]
        if items and f.criterion in lists:
            list_name = lists[f.criterion]
            out.extend(
                ProblemLine(
                    *place,
                    record_id=rid,
                    member=_member_text(record, list_name, item.index, item.item_id),
                    category=category,
                    label=f.label,
                    message=item.message,
                    check=result.ruleset,
                    criterion=f.criterion,
                    sources=sources,
                    location=location,
                    order=(rs_order, c_order, item.index),
                    member_index=item.index,
                    head_name=who[0],
                    head_id=who[1],
                )
                for item in items
            )
            continue
        out.append(
            ProblemLine(
                *place,
                record_id=rid,
                member=None,
                category=category,
                label=f.label,
                message=f.message,
                check=result.ruleset,
                criterion=f.criterion,
                sources=sources,
                location=location,
                order=(rs_order, c_order, -1),
                head_name=who[0],
                head_id=who[1],
            )
        )
    return out


def _input_lines(
    item: InputRecord, place: tuple[str, str, str], rid: str | None, who: Who
) -> list[ProblemLine]:
    """One line per problem found while reading a record that was kept (household columns
    whose rows disagree, household cells that could not be used)."""
    return [
        ProblemLine(
            *place,
            record_id=rid,
            member=None,
            category="户信息不一致" if "同户各行不一致" in text else "单元格无法使用",
            label="同户各行的户信息不一致" if "同户各行不一致" in text else "单元格无法使用",
            message=text,
            check="导入",
            criterion="",
            sources="",
            subject=text.partition(":")[0],
            location=item.source,
            order=(-2, 0, i),
            head_name=who[0],
            head_id=who[1],
        )
        for i, text in enumerate(item.problems)
    ]


def _rejected_line(item: InputRecord) -> ProblemLine:
    return ProblemLine(
        *division_parts(item.division),
        record_id=item.record_id,
        member=None,
        category="无法导入",
        label="该行无法导入",
        message=item.error or "",
        check="导入",
        criterion="",
        sources="",
        subject=(item.error or "").partition(":")[0],
        location=item.source,
        order=(-2, 0, 0),
    )


def _rejected_with_heads(
    lines: list[ProblemLine], places: Mapping[tuple[str | None, str], tuple[Any, Any, Who]]
) -> list[ProblemLine]:
    """A rejected row of a household that was read from its other rows names that
    household's head, as its other lines do (only where one household has its number)."""
    heads: dict[str | None, Who | None] = {}
    for (rid, _), (_, _, who) in places.items():
        if rid is not None:
            heads[rid] = who if rid not in heads else None
    return [
        attrs.evolve(ln, head_name=head[0], head_id=head[1])
        if ln.category == "无法导入" and (head := heads.get(ln.record_id)) is not None
        else ln
        for ln in lines
    ]


def check_records(
    rulesets: Sequence[RuleSet],
    items: Iterable[InputRecord],
    *,
    as_of: str | dt.date,
    headermap: str | None = None,
    inputs: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> ProblemList:
    """Run each rule set (and its dataset checks) over the items; collect the problems.

    Every item is accounted for: a rejected row gives a 无法导入 line, a record the schema refuses
    a 记录无效 line (once, whichever rule sets ran), every failing or undecidable criterion a
    line (one per member for per-member criteria). ``names``: division code → name (a
    division-name code list), for the county, township and village columns."""

    day = parse_day(as_of)
    kept: list[InputRecord] = []
    lines: list[ProblemLine] = []
    rows_read = rejected = invalid = 0
    places: dict[tuple[str | None, str], tuple[tuple[str, str, str], Mapping[str, Any], Who]] = {}
    for item in items:
        rows_read += item.rows
        if item.error is not None:
            rejected += item.rows
            lines.append(_rejected_line(item))
            continue
        kept.append(item)
        record = item.record if isinstance(item.record, Mapping) else {}
        is_invalid = False
        seen_invalid: set[str] = set()
        for rs_order, rs in enumerate(rulesets):
            result = rs.evaluate(item.record, as_of=day, source=item.source)
            division_field = rs.record_schema.division_field
            place = division_parts(record.get(division_field) if division_field else None)
            who = _who(rs, record)
            places[(result.record_id, item.source)] = (place, record, who)
            if rs_order == 0:
                lines.extend(_input_lines(item, place, result.record_id, who))
            for ln in _result_lines(result, rs, rs_order, record, place, item.source):
                if ln.category == "记录无效":
                    is_invalid = True
                    if ln.message in seen_invalid:
                        continue
                    seen_invalid.add(ln.message)
                lines.append(ln)
        invalid += is_invalid
    for rs_order, rs in enumerate(rulesets):
        lists = {c.id: c.for_each[0] for c in rs.dataset_checks if c.for_each is not None}
        for d_order, finding in enumerate(run_dataset_checks(rs, kept, as_of=day)):
            for occ in finding.occurrences:
                place, record, who = places.get(
                    (occ.record_id, occ.source or ""),
                    ((UNKNOWN, UNKNOWN, UNKNOWN), {}, (None, None)),
                )
                member = None
                if occ.index is not None and finding.check in lists:
                    member = _member_text(record, lists[finding.check], occ.index, None)
                lines.append(
                    ProblemLine(
                        *place,
                        record_id=occ.record_id,
                        member=member,
                        category="重复",
                        label=finding.label,
                        message=finding.message,
                        check=rs.key,
                        criterion=finding.check,
                        sources="; ".join(finding.sources),
                        location=occ.source or "",
                        order=(rs_order, 10_000 + d_order, occ.index or 0),
                        member_index=occ.index,
                        head_name=who[0],
                        head_id=who[1],
                    )
                )
    lines = _rejected_with_heads(lines, places)
    named = [_named(ln, names) for ln in lines] if names else lines
    return ProblemList(
        lines=tuple(sorted((_visible_line(ln) for ln in named), key=ProblemLine.sort_key)),
        rulesets=tuple((rs.key, rs.fingerprint) for rs in rulesets),
        as_of=day,
        rows_read=rows_read,
        records=len(kept),
        rejected_rows=rejected,
        invalid_records=invalid,
        headermap=headermap,
        inputs=tuple(inputs),
    )


def _named(line: ProblemLine, names: Mapping[str, str]) -> ProblemLine:
    """``line`` with the names of its county, township and village."""
    return attrs.evolve(
        line,
        county_name=names.get(line.county, ""),
        township_name=names.get(line.township, ""),
        village_name=names.get(line.village, ""),
    )


def _visible_line(line: ProblemLine) -> ProblemLine:
    changes: dict[str, Any] = {
        name: visible(value)
        for name, value in attrs.asdict(line, recurse=False).items()
        if isinstance(value, str) and visible(value) != value
    }
    return attrs.evolve(line, **changes) if changes else line
