"""The 2018 household exit standard (gx.household.exit@2018 as frozen in ``benchmarks/rules``)
written by hand in Python.

The baseline of issue 6: the same nine per-criterion outcomes the engine gives (pass, fail,
not_applicable, unknown), computed the way a programmer would write them for one standard,
without any engine. ``check_agreement`` proves it agrees with the engine on valid records.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

LABOUR = frozenset({"01", "02", "05"})  # 普通劳动力, 技能劳动力, 弱劳动力或半劳动力
STRUCTURES = frozenset({"01", "02", "03", "04", "05"})
WATER = frozenset({"01", "02", "03", "04", "05"})
CRITERIA = (
    "income_source",
    "housing",
    "medical",
    "education",
    "road",
    "drinking_water",
    "electricity",
    "tv",
    "income_above_line",
)


class _Missing(Exception):
    pass


def _get(r: dict[str, Any], key: str) -> Any:
    v = r.get(key)
    if v is None:
        raise _Missing(key)
    return v


def exit_2018(r: dict[str, Any], as_of: str = "2018-11-20", line: Any = 2952) -> tuple[str, ...]:
    """Per-criterion outcomes of one household record (in the order of ``CRITERIA``)."""
    ay, am, ad = int(as_of[:4]), int(as_of[5:7]), int(as_of[8:10])
    size = r.get("household_size")
    members = r.get("members")
    # Derived values; None where they cannot be computed.
    pci: Any = None
    try:
        if r.get("per_capita_net_income") is not None:
            pci = r["per_capita_net_income"]
        else:
            total = (
                _get(r, "wage_income")
                + _get(r, "production_income")
                - _get(r, "production_expense")
                + _get(r, "property_income")
                + _get(r, "transfer_income")
            )
            if not size:
                raise _Missing("household_size")
            pci = Decimal(total) / Decimal(size)
    except _Missing:
        pci = None
    labour = migrant = school_age = dropout = uninsured = None
    member_dibao: bool | None = None
    if isinstance(members, list):
        labour = migrant = school_age = uninsured = 0
        dropout = 0
        member_dibao = False
        try:
            for m in members:
                if m.get("labour_skill") is None:
                    raise _Missing("labour_skill")
                if m["labour_skill"] in LABOUR:
                    labour += 1
        except _Missing:
            labour = None
        for m in members:
            if m.get("dibao"):
                member_dibao = True
                break
        for m in members:
            if (m.get("migrant_work_months") or 0) >= 6:
                migrant += 1
        try:
            for m in members:
                b = _get(m, "birth_date")
                age = ay - int(b[:4]) - ((am, ad) < (int(b[5:7]), int(b[8:10])))
                if 6 <= age <= 15:
                    school_age += 1
                    if _get(m, "school_status") == "01" and not m.get("education_exempt"):
                        dropout += 1
        except _Missing:
            school_age = dropout = None
        try:
            for m in members:
                if not _get(m, "medical_insurance"):
                    uninsured += 1
        except _Missing:
            uninsured = None
    on_dibao = True if r.get("receives_dibao") else member_dibao
    if size:
        farmland: Any = Decimal(r.get("farmland_area") or 0) / size
        forest: Any = Decimal(r.get("forest_area") or 0) / size
        area = r.get("housing_area")
        per_area = None if area is None else Decimal(area) / size
    else:
        farmland = forest = per_area = None
    other = bool(
        r.get("has_asset_income")
        or r.get("has_livestock_income")
        or r.get("has_business_income")
        or r.get("has_other_income")
    )
    out: list[str] = []

    def need(v: Any) -> Any:
        if v is None:
            raise _Missing
        return v

    # 有稳定收入来源且吃穿不愁
    try:
        ok = need(r.get("food_clothing_secure")) and (
            need(on_dibao)
            or (
                need(labour) >= 1
                and (
                    need(farmland) >= Decimal("0.5")
                    or need(forest) >= 1
                    or need(migrant) >= 1
                    or other
                )
            )
        )
        out.append("pass" if ok else "fail")
    except _Missing:
        out.append("unknown")
    # 有住房保障
    try:
        ok = (
            (
                not need(r.get("dangerous_house"))
                and need(r.get("housing_structure")) in STRUCTURES
                and need(per_area) >= 13
            )
            or ((r.get("new_house_progress") or 0) >= 50 and bool(r.get("new_house_finishable")))
            or (bool(r.get("relocated")) and bool(r.get("relocation_housing_allocated")))
        )
        out.append("pass" if ok else "fail")
    except _Missing:
        out.append("unknown")
    # 有基本医疗保障
    out.append("unknown" if uninsured is None else "pass" if uninsured == 0 else "fail")
    # 有义务教育保障
    if school_age is None:
        out.append("unknown")
    elif school_age < 1:
        out.append("not_applicable")
    else:
        out.append("pass" if dropout == 0 else "fail")
    # 有路通
    villages = r.get("natural_village_households")
    if villages is None:
        out.append("unknown")
    elif villages < 20:
        out.append("not_applicable")
    elif r.get("natural_village_road") is None:
        out.append("unknown")
    else:
        out.append("pass" if r["natural_village_road"] else "fail")
    # 有安全饮水, 有电用, 有电视看
    water = r.get("drinking_water_source")
    out.append("unknown" if water is None else "pass" if water in WATER else "fail")
    for key in ("household_electricity", "tv_access"):
        v = r.get(key)
        out.append("unknown" if v is None else "pass" if v else "fail")
    # 家庭年人均纯收入稳定超过国家现行扶贫标准
    out.append("unknown" if pci is None else "pass" if pci > line else "fail")
    return tuple(out)


def check_agreement(rs: Any, records: list[dict[str, Any]]) -> int:
    """How many valid records the hand-written function and the engine disagree on."""
    bad = 0
    for r in records:
        result = rs.evaluate(r)
        if result.outcome == "invalid" and not result.findings:
            continue
        want = tuple(f.outcome for f in result.findings)
        if exit_2018(r, as_of=result.as_of) != want:
            bad += 1
    return bad
