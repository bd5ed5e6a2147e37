"""Village figures from the village's own households.

The village exit standard (``gx.village.exit``) reads counts that the households of the
village give: 未脱贫贫困户数 and 未脱贫贫困人口数 (the numerator of 贫困发生率), and, over every
household of the administrative village (行政村内 98% 以上农户), the households with secure
housing, safe water, electricity and television, and the residents with medical insurance.
This module counts them per village (the 12-digit division code), each figure naming how it
was counted, from which households, and the households that lacked what it needs.

Two inputs, because the national system's export holds only registered (建档立卡) households
(domain.md §6.1: table AC01):

- ``registered``: the registered households (the national export). They give
  ``poor_households``, ``poor_population`` and ``poor_households_registered``.
- ``all_households`` (optional): every household of the villages, registered or not, in the
  same layout (a village roster). Only these give the shares' counts and denominators
  (``households_total`` and the ``households_*`` / ``residents_*`` counts); without them those
  figures are not made.

A figure is a count or nothing: a village where any household (or an input row placed in the
village, or a row that cannot be placed at all) lacks what the figure needs gets ``None`` for
it, which leaves the village's criterion undecidable, never a guess. Counts per household by
the household exit standard (``household_rules``) count a household whose criterion passes;
``fail`` is not counted; ``unknown``, ``not_applicable`` and an invalid record make the figure
``None``. Results are sorted by division code, so the order of the households does not matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .io.jsonl import InputRecord
from .model import RuleSet
from .records import RecordSchema

__all__ = [
    "Difference",
    "Figure",
    "FilledVillage",
    "VillageFigures",
    "fill_villages",
    "village_figures",
]

NOT_EXITED = ("0", "2", "3")
"""脱贫标志 codes of a household not (yet) out of poverty: 未脱贫, 预脱贫, 返贫 (domain.md
§6.2 and §9.5, codes observed in national-system client code)."""

_SOURCE_STATUS = "domain.md §6.2、§9.5 脱贫标志 (AAR010) 代码: 0 未脱贫, 2 预脱贫, 3 返贫"
_SOURCE_INCIDENCE = (
    "domain.md §3.1 贫困发生率: 全国系统中登记的村内贫困人口 (非广西的说明表, 分母未确认)"
)
_SOURCE_AC01 = "domain.md §6.1: 全国系统户表 AC01 只含建档立卡户"


@attrs.frozen
class Figure:
    """One village figure counted from households."""

    field: str
    """The village record's field (``poor_population``)."""
    value: int | None
    """The count, or None when some household lacks what it needs."""
    method: str
    """How it was counted, in words for staff."""
    source: str
    """Where the definition comes from (domain.md or the standard's source)."""
    unconfirmed: bool
    """Whether the definition is not confirmed by a source."""
    households: int
    """Households looked at."""
    missing: tuple[str, ...] = ()
    """Why the value is None: households (户编号: what is missing) or rows not read."""


@attrs.frozen
class VillageFigures:
    """The figures of one village (division code)."""

    division_code: str
    figures: tuple[Figure, ...]

    def record(self) -> dict[str, Any]:
        """The figures that have a value, as village record fields."""
        return {f.field: f.value for f in self.figures if f.value is not None}

    def figure(self, field: str) -> Figure | None:
        """The figure for ``field``, if counted."""
        return next((f for f in self.figures if f.field == field), None)


@attrs.frozen
class _Count:
    field: str
    method: str
    source: str
    unconfirmed: bool
    count: Callable[[Mapping[str, Any]], int | str]
    """A household's contribution, or the text of what it lacks."""


def _members(record: Mapping[str, Any]) -> list[Any]:
    members = record.get("members")
    return list(members) if isinstance(members, list) else []


def _not_exited(record: Mapping[str, Any]) -> int | str:
    status = record.get("exit_status")
    if status is None:
        return "脱贫标志"
    return 1 if status in NOT_EXITED else 0


def _poor_people(record: Mapping[str, Any]) -> int | str:
    status = _not_exited(record)
    if isinstance(status, str) or status == 0:
        return status
    return len(_members(record)) or "家庭成员"


def _members_with(flag: str, label: str) -> Callable[[Mapping[str, Any]], int | str]:
    def count(record: Mapping[str, Any]) -> int | str:
        members = _members(record)
        if not members:
            return "家庭成员"
        n = 0
        for m in members:
            value = m.get(flag) if isinstance(m, Mapping) else None
            if value is None:
                return label
            n += value is True
        return n

    return count


_REGISTERED = (
    _Count(
        "poor_households",
        "脱贫标志为未脱贫、预脱贫或返贫的建档立卡户数",
        _SOURCE_STATUS + "; 预脱贫计为未脱贫 (未确认)",
        True,
        _not_exited,
    ),
    _Count(
        "poor_population",
        "脱贫标志为未脱贫、预脱贫或返贫的户的家庭成员人数之和",
        _SOURCE_INCIDENCE + "; " + _SOURCE_STATUS,
        True,
        _poor_people,
    ),
    _Count(
        "poor_households_registered",
        "表中建档立卡户数 (含已脱贫户)",
        "村记录 poor_households_registered: 2017 年认定分析表 全村贫困户__户"
        " (是否含已脱贫户未写明)",
        True,
        lambda record: 1,
    ),
)

_ROSTER = (
    _Count(
        "households_total",
        "全村农户花名册中的户数",
        "gx.village.exit 2016 第2、6、7项, 2017 第2、6、7、9项: 行政村内农户",
        False,
        lambda record: 1,
    ),
    _Count(
        "population_total",
        "全村农户花名册中的家庭成员人数之和",
        "村记录 population_total (总人口)",
        False,
        lambda record: len(_members(record)) or "家庭成员",
    ),
    _Count(
        "registered_rural_population",
        "全村农户花名册中的家庭成员人数之和",
        "gx.village.exit 贫困发生率的分母 (户籍农村人口); " + _SOURCE_INCIDENCE,
        True,
        lambda record: len(_members(record)) or "家庭成员",
    ),
    _Count(
        "residents_medically_insured",
        "全村农户花名册中参加城乡居民基本医疗保险 (新农合) 的成员人数",
        "gx.village.exit 2016 第3项 (domain.md §3.1), 2017 第3项 (domain.md §9.2)",
        False,
        _members_with("medical_insurance", "成员的是否参加城乡居民基本医疗保险"),
    ),
)

_BY_CRITERION = (
    # (household criterion, village field for household version 2016, for later versions)
    ("housing", "households_housing_secured", "households_housing_secured"),
    ("drinking_water", "households_water_solved", "households_safe_water"),
    ("electricity", "households_electricity", "households_electricity"),
    ("tv", "households_tv", "households_tv_or_online"),
)
"""Village counts that are the number of households passing a household criterion: the
village tables restate the household tests (gx.village.exit@2017 notes: 须按 2017 年的户标准
认定, 与贫困户标准 2017 年版本相同; domain.md §3.1 items 2, 6, 7 and §9.2). The 2016 household
water test is the water source (the village's 饮水已解决), later ones the safe-water standard;
the 2016 television test is TV only, later ones TV, computer or smartphone."""

_OUTCOME_WORDS = {"unknown": "无法判定", "not_applicable": "不适用", "fail": "不达标"}


def _criterion_counts(rules: RuleSet) -> list[tuple[_Count, str]]:
    ids = {c.id: c.label for c in rules.criteria}
    out = []
    for criterion, old, new in _BY_CRITERION:
        if criterion not in ids:
            continue
        field = old if rules.version == "2016" else new
        label = ids[criterion]
        count = _Count(
            field,
            f"全村农户花名册中按 {rules.id}@{rules.version} 「{label}」({criterion}) 达标的户数",
            f"{rules.id}@{rules.version} 的 {criterion}; gx.village.exit@2017 注: 按户标准认定",
            False,
            lambda record: 0,
        )
        out.append((count, criterion))
    return out


def _place(item: InputRecord | Mapping[str, Any]) -> tuple[str | None, InputRecord]:
    if not isinstance(item, InputRecord):
        item = InputRecord(source="", record=dict(item))
    if item.error is not None:
        return item.division, item
    code = item.record.get("division_code") if isinstance(item.record, Mapping) else None
    return (code if isinstance(code, str) and code else None), item


def _tally(
    items: Iterable[InputRecord | Mapping[str, Any]],
    schema: RecordSchema,
    counts: Sequence[_Count],
    by_rules: Sequence[tuple[_Count, str]],
    rules: RuleSet | None,
    as_of: str | None,
    what: str,
) -> dict[str, list[Figure]]:
    sums: dict[str, dict[str, int]] = {}
    lacks: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, int] = {}
    unplaced: list[str] = []
    fields = [c.field for c in counts] + [c.field for c, _ in by_rules]
    for raw in items:
        code, item = _place(raw)
        where = item.source or "?"
        if code is None:
            unplaced.append(f"{where}: 无法确定所在村 ({what})")
            continue
        village_sums = sums.setdefault(code, dict.fromkeys(fields, 0))
        village_lacks = lacks.setdefault(code, {f: [] for f in fields})
        if item.error is not None:
            for f in fields:
                village_lacks[f].append(f"{where}: 无法导入 ({item.error})")
            continue
        seen[code] = seen.get(code, 0) + 1
        record, reasons = schema.check(item.record)
        hid = record.get("household_id") or where
        if reasons:
            for f in fields:
                village_lacks[f].append(f"{hid}: 记录无效")
            continue
        for c in counts:
            got = c.count(record)
            if isinstance(got, str):
                village_lacks[c.field].append(f"{hid}: 缺{got}")
            else:
                village_sums[c.field] += got
        if by_rules and rules is not None:
            outcomes = dict(rules.evaluate(record, as_of=as_of).outcomes)
            for c, criterion in by_rules:
                outcome = outcomes.get(criterion)
                if outcome == "pass":
                    village_sums[c.field] += 1
                elif outcome != "fail":
                    word = _OUTCOME_WORDS.get(str(outcome), "无法判定")
                    village_lacks[c.field].append(f"{hid}: {criterion} {word}")
    out: dict[str, list[Figure]] = {}
    for code in sums:
        figures = []
        for c in [*counts, *(c for c, _ in by_rules)]:
            missing = tuple(lacks[code][c.field]) + tuple(unplaced)
            figures.append(
                Figure(
                    field=c.field,
                    value=None if missing else sums[code][c.field],
                    method=c.method,
                    source=c.source,
                    unconfirmed=c.unconfirmed,
                    households=seen.get(code, 0),
                    missing=missing,
                )
            )
        out[code] = figures
    return out


def village_figures(
    registered: Iterable[InputRecord | Mapping[str, Any]],
    schema: RecordSchema,
    *,
    all_households: Iterable[InputRecord | Mapping[str, Any]] | None = None,
    household_rules: RuleSet | None = None,
    as_of: str | None = None,
) -> tuple[VillageFigures, ...]:
    """Per village (division code, sorted), the figures its households give.

    ``registered`` are the registered households (the national export: records or
    :class:`~fupin_rules.io.jsonl.InputRecord` items, rejected rows included, which empty the
    figures of their village, or of every village when they have no division code).
    ``all_households``, when given, is every household of the villages: the roster gives
    ``households_total``, ``population_total``, ``registered_rural_population`` and
    ``residents_medically_insured``, and with ``household_rules`` (the household exit
    standard, evaluated on ``as_of``) the households passing its housing, water, electricity
    and television criteria. ``schema`` is the household record schema (records are checked
    and normalised with it; an invalid record lacks every figure).
    """
    result: dict[str, list[Figure]] = {}
    tallied = _tally(registered, schema, _REGISTERED, (), None, as_of, "建档立卡户")
    for code, figures in tallied.items():
        result.setdefault(code, []).extend(figures)
    if all_households is not None:
        by_rules = _criterion_counts(household_rules) if household_rules else []
        roster = _tally(all_households, schema, _ROSTER, by_rules, household_rules, as_of, "花名册")
        for code, figures in roster.items():
            result.setdefault(code, []).extend(figures)
    return tuple(
        VillageFigures(division_code=code, figures=tuple(result[code])) for code in sorted(result)
    )


@attrs.frozen
class Difference:
    """A figure the village table already holds with another value (the table's is kept)."""

    field: str
    written: Any
    counted: int


@attrs.frozen
class FilledVillage:
    """A village record with the figures its households give filled in where it had none."""

    record: dict[str, Any]
    filled: tuple[str, ...]
    """Fields filled from the households."""
    differences: tuple[Difference, ...]
    figures: VillageFigures | None


def fill_villages(
    villages: Iterable[Mapping[str, Any]], figures: Sequence[VillageFigures]
) -> list[FilledVillage]:
    """Village records with the counted figures filled in where a field is empty (matched by
    ``division_code``); a field the table fills is kept, and a different count is reported.
    Villages of ``figures`` that are not in ``villages`` are added after them (``village_id``
    = the division code), in division-code order. Every village of ``villages`` is returned,
    in its order."""
    by_code = {v.division_code: v for v in figures}
    used: set[str] = set()
    out: list[FilledVillage] = []
    for village in villages:
        record = dict(village)
        code = record.get("division_code")
        found = by_code.get(code) if isinstance(code, str) else None
        if found is not None:
            used.add(found.division_code)
        out.append(_fill(record, found))
    for v in figures:
        if v.division_code not in used:
            base = {"village_id": v.division_code, "division_code": v.division_code}
            out.append(_fill(base, v))
    return out


def _fill(record: dict[str, Any], found: VillageFigures | None) -> FilledVillage:
    filled: list[str] = []
    differences: list[Difference] = []
    if found is not None:
        for f in found.figures:
            if f.value is None:
                continue
            written = record.get(f.field)
            if written is None or written == "":
                record[f.field] = f.value
                filled.append(f.field)
            elif written != f.value:
                differences.append(Difference(f.field, written, f.value))
    return FilledVillage(record, tuple(filled), tuple(differences), found)
