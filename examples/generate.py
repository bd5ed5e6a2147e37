#!/usr/bin/env python3
"""Deterministic generator of a synthetic Guangxi county's poverty-alleviation records.

Everything here is made up. The county (示例县, code 451099) does not exist; names and ID
numbers are random but well formed (18 characters, Guangxi address code, birth date matching the
member's age, correct GB 11643 check digit unless a record is broken on purpose).

    python examples/generate.py --households 2000 --seed 2018 -o examples/data/households.jsonl
    python examples/generate.py --households 1000000 --seed 1 -o /tmp/big.jsonl \
        --villages-output /tmp/v.jsonl

Households are written as JSON Lines, one per line, streaming (memory does not grow with the
number of households beyond one scenario label each). Villages go to ``--villages-output``
(default: ``villages.jsonl`` beside the household file). The same arguments always give
byte-identical output: only ``random.Random(seed)`` is used, no clock, no hash order.

Scenario quotas are exact (largest remainder), so the counts are the same for every seed; they
are listed in ``examples/README.md`` and printed as a JSON summary on stderr.
Reference date of the data: the 2018 dynamic-management round (as of 2018-11-20).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

COUNTY_CODE = "451099"
COUNTY_NAME = "示例县"
REFERENCE_YEAR = 2018
INCOME_LINE = 2952  # the line the 2018 rule set uses (an unconfirmed floor; see the rule file)

# Household scenarios and their share of all households. Every failing scenario breaks exactly
# one criterion of gx.household.exit (2016, 2017 and 2018 versions alike), except "food_clothing",
# which fails from the 2017 version on, and "multiple", which breaks two.
SCENARIOS: list[tuple[str, int]] = [  # share in thousandths; they add up to 1000
    ("pass", 555),
    ("low_income", 120),
    ("income_at_line", 5),
    ("dangerous_house", 50),
    ("small_house", 30),
    ("uninsured", 40),
    ("dropout", 20),
    ("no_road", 20),
    ("unsafe_water", 30),
    ("no_electricity", 5),
    ("no_tv", 20),
    ("no_income_source", 30),
    ("food_clothing", 30),
    ("multiple", 35),
    ("broken", 10),
]
SINGLE_FAILURES = [
    "low_income", "dangerous_house", "small_house", "uninsured", "dropout", "no_road",
    "unsafe_water", "no_electricity", "no_tv", "no_income_source",
]  # fmt: skip
BROKEN_KINDS = [
    "missing_household_size",  # a field the criteria need is missing -> invalid
    "wrong_type",  # housing_area given as text -> invalid record
    "bad_code",  # household_attribute not in the code list -> invalid record
    "bad_member_code",  # a member's labour skill not in the code list
    "bad_date",  # a birth date that does not exist
]

TOWNSHIPS = ["城厢镇", "龙泉乡", "平安乡", "石门镇", "那洪乡", "坡月镇", "岜独乡", "渠洋镇"]
VILLAGE_SYLLABLES = [
    "那",
    "坡",
    "岜",
    "弄",
    "龙",
    "平",
    "六",
    "板",
    "百",
    "江",
    "达",
    "果",
    "念",
    "布",
    "陇",
    "德",
]
SURNAMES = [
    "韦",
    "黄",
    "覃",
    "蓝",
    "罗",
    "梁",
    "陆",
    "农",
    "李",
    "潘",
    "莫",
    "黎",
    "赵",
    "杨",
    "谭",
    "卢",
]
GIVEN = list("明强英丽军华芳勇秀兰海玲光福春梅成金桂凤志红德珍生妹宝荣文艳")
HEALTH = [("01", 0.86), ("02", 0.08), ("03", 0.03), ("04", 0.03)]
CAUSES = [("1", 0.25), ("2", 0.10), ("3", 0.08), ("4", 0.04), ("5", 0.07), ("6", 0.03), ("7", 0.15),
          ("8", 0.12), ("9", 0.12), ("10", 0.02), ("11", 0.02)]  # fmt: skip

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character."""
    s = sum(int(a) * w for a, w in zip(first17, _WEIGHTS, strict=True))
    return "10X98765432"[s % 11]


def quotas(n: int) -> list[tuple[str, int]]:
    """Exact scenario counts for n households (largest remainder, ties by list order)."""
    counts = {name: share * n // 1000 for name, share in SCENARIOS}
    rest = n - sum(counts.values())
    order = sorted(range(len(SCENARIOS)), key=lambda i: (-(SCENARIOS[i][1] * n % 1000), i))
    for i in order[:rest]:
        counts[SCENARIOS[i][0]] += 1
    return [(name, counts[name]) for name, _ in SCENARIOS]


def _pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    x = rng.random()
    acc = 0.0
    for value, weight in table:
        acc += weight
        if x < acc:
            return value
    return table[-1][0]


class County:
    """Townships, villages and natural villages; fixed before any household is made."""

    def __init__(self, rng: random.Random, n_villages: int) -> None:
        n_townships = max(4, min(len(TOWNSHIPS), n_villages // 3))
        self.villages: list[dict[str, Any]] = []
        for v in range(n_villages):
            t = v % n_townships
            township_code = f"{100 + t + 1:03d}"
            village_code = f"{200 + v // n_townships + 1:03d}"
            name = rng.choice(VILLAGE_SYLLABLES) + rng.choice(VILLAGE_SYLLABLES) + "村"
            division = f"{COUNTY_CODE}{township_code}{village_code}"
            naturals = []
            for k in range(rng.randint(5, 9)):
                if k == 0:  # a big hamlet without a proper road: the no_road households live here
                    households, road = rng.randint(22, 60), False
                elif k == 1:  # a small hamlet without a road: the road criterion does not apply
                    households, road = rng.randint(6, 19), False
                else:
                    households, road = rng.randint(15, 80), True
                naturals.append(
                    {
                        "natural_village_id": f"{division}{k + 1:02d}",
                        "name": rng.choice(VILLAGE_SYLLABLES)
                        + rng.choice(VILLAGE_SYLLABLES)
                        + "屯",
                        "households": households,
                        "road_access": road,
                    }
                )
            self.villages.append(
                {
                    "division_code": f"{COUNTY_CODE}{township_code}{village_code}",
                    "township_name": TOWNSHIPS[t],
                    "village_name": name,
                    "naturals": naturals,
                }
            )


class People:
    """Names and unique, valid ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sequence: Counter[tuple[str, str]] = Counter()

    def name(self, surname: str | None = None) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return (surname or rng.choice(SURNAMES)) + given

    def birth_date(self, age: int) -> str:
        """A birth date giving exactly ``age`` full years on any day from 2018-09-01 to 2018-12-31.

        Birthdays fall in January to August so that the school-age boundaries (6 and 15) do not
        move between the autumn dates the 2018 round is evaluated on.
        """
        month = self.rng.randint(1, 8)
        day = self.rng.randint(1, 28)
        return f"{REFERENCE_YEAR - age:04d}-{month:02d}-{day:02d}"

    def id_number(self, birth: str, sex: str) -> str:
        key = (birth, sex)
        self.sequence[key] += 1
        n = self.sequence[key]
        seq = 2 * n - 1 if sex == "男" else 2 * n  # odd for men, even for women
        first17 = f"{COUNTY_CODE}{birth.replace('-', '')}{seq % 1000:03d}"
        return first17 + check_digit(first17)


def _school(age: int, rng: random.Random) -> tuple[str, str]:
    """(school_status, education) codes for an age on the reference date."""
    if age < 3:
        return "01", "06"
    if age < 6:
        return "02", "06"
    if age <= 11:
        return "03", "02"
    if age <= 14:
        return ("04", "05", "06")[age - 12], "02"
    if age == 15:
        return rng.choice(["06", "07", "10"]), "03"
    if age <= 18:
        if rng.random() < 0.7:
            return rng.choice(["07", "08", "09", "10", "11", "12"]), "03"
        return "01", "03"
    if age <= 22 and rng.random() < 0.25:
        return "16", "04"
    return "01", rng.choice(["01", "02", "03", "03", "03", "04"])


def make_members(
    rng: random.Random, people: People, size: int, need_child: bool
) -> list[dict[str, Any]]:
    surname = rng.choice(SURNAMES)
    head_age = rng.randint(28, 72)
    ages: list[tuple[int, str, str]] = [(head_age, "01", "男" if rng.random() < 0.8 else "女")]
    if size >= 2:
        ages.append(
            (max(20, head_age + rng.randint(-6, 3)), "02", "女" if ages[0][2] == "男" else "男")
        )
    while len(ages) < size:
        if len(ages) >= 4 and head_age < 55 and rng.random() < 0.4:
            ages.append(
                (head_age + rng.randint(22, 30), rng.choice(["12", "13"]), rng.choice(["男", "女"]))
            )
            continue
        child_age = max(0, min(head_age - 18, rng.randint(0, 24)))
        if need_child and not any(6 <= a <= 15 for a, r, _ in ages if r in {"03", "04"}):
            child_age = rng.randint(7, 14)
        sex = rng.choice(["男", "女"])
        ages.append((child_age, "03" if sex == "男" else "04", sex))
    members = []
    for age, relation, sex in ages:
        birth = people.birth_date(age)
        school, education = _school(age, rng)
        if 16 <= age <= 60:
            labour = _pick(rng, [("01", 0.72), ("02", 0.18), ("05", 0.06), ("03", 0.04)])
        elif age > 60:
            labour = _pick(rng, [("01", 0.2), ("03", 0.4), ("04", 0.4)])
        else:
            labour = "04"
        months = 0
        work = "00"
        if labour in {"01", "02"} and relation not in {"12", "13"} and rng.random() < 0.45:
            months = rng.randint(3, 12)
            work = _pick(rng, [("01", 0.15), ("02", 0.2), ("03", 0.3), ("04", 0.35)])
        members.append(
            {
                "name": people.name(surname if relation in {"01", "03", "04"} else None),
                "sex": sex,
                "id_type": "居民身份证(户口簿)",
                "id_number": people.id_number(birth, sex),
                "birth_date": birth,
                "relation": relation,
                "ethnicity": rng.choice(["壮族", "壮族", "壮族", "汉族", "瑶族"]),
                "education": education,
                "school_status": school,
                "health": _pick(rng, HEALTH),
                "labour_skill": labour,
                "work_status": work,
                "migrant_work_months": months,
                "medical_insurance": True,
                "pension_insurance": age >= 16 and rng.random() < 0.8,
                "critical_illness_insurance": True,
                "dibao": False,
                "tekun": False,
                "state_salaried": False,
            }
        )
    return members


def make_household(
    rng: random.Random, people: People, county: County, seq: int, scenario: str
) -> dict[str, Any]:
    failures: set[str] = set()
    if scenario in SINGLE_FAILURES or scenario == "food_clothing":
        failures.add(scenario)
    elif scenario == "multiple":
        pair = rng.sample(SINGLE_FAILURES, 2)
        while set(pair) == {"dangerous_house", "small_house"}:  # both break the housing criterion
            pair = rng.sample(SINGLE_FAILURES, 2)
        failures.update(pair)
    village = county.villages[seq % len(county.villages)]
    size = _pick(
        rng,
        [("1", 0.08), ("2", 0.14), ("3", 0.2), ("4", 0.26), ("5", 0.18), ("6", 0.1), ("7", 0.04)],
    )
    n = int(size)
    if "dropout" in failures and n < 3:
        n = 3
    members = make_members(rng, people, n, need_child="dropout" in failures)
    labour = [m for m in members if m["labour_skill"] in {"01", "02", "05"}]

    # where the household lives
    if "no_road" in failures:
        natural = village["naturals"][0]
    else:
        natural = rng.choice(village["naturals"][1:])

    # income: choose the per-capita figure, then split it into components that add up exactly
    if "low_income" in failures:
        per_capita = rng.randint(1500, INCOME_LINE - 1)
    elif scenario == "income_at_line":
        per_capita = INCOME_LINE
    else:
        per_capita = rng.randint(INCOME_LINE + 200, 9000)
    net = per_capita * n
    transfer = rng.randint(0, min(3000, net // 4))
    prop = rng.randint(0, min(800, net // 10))
    expense = rng.randint(500, 3000)
    production = rng.randint(expense, expense + (net - transfer - prop) // 2)
    wage = net - transfer - prop - (production - expense)

    farmland = round(n * rng.uniform(0.6, 2.0), 1)
    forest = round(n * rng.uniform(0.0, 3.0), 1)
    flags = {
        "has_asset_income": rng.random() < 0.05,
        "has_livestock_income": rng.random() < 0.4,
        "has_business_income": rng.random() < 0.05,
        "has_other_income": rng.random() < 0.1,
    }
    dibao = not labour or rng.random() < 0.1
    if not labour:
        for m in members:
            m["dibao"] = True
    if "no_income_source" in failures:
        dibao = False
        for m in members:
            m["dibao"] = False
            m["migrant_work_months"] = min(m["migrant_work_months"], 5)
        if not labour:
            members[0]["labour_skill"] = "01"
        farmland = round(n * rng.uniform(0.0, 0.45), 1)
        forest = round(n * rng.uniform(0.0, 0.9), 1)
        flags = dict.fromkeys(flags, False)
    elif dibao:
        members[0]["dibao"] = True

    structure = _pick(rng, [("01", 0.2), ("02", 0.5), ("03", 0.2), ("04", 0.08), ("05", 0.02)])
    area_pp = rng.uniform(13.5, 45.0)
    if "small_house" in failures:
        area_pp = rng.uniform(8.0, 12.9)
    housing_area = round(area_pp * n, 1)
    if "small_house" in failures and housing_area / n >= 13:
        housing_area = round(12.5 * n, 1)

    if "uninsured" in failures:
        rng.choice(members)["medical_insurance"] = False
    if "dropout" in failures:
        for m in members:
            age = REFERENCE_YEAR - int(m["birth_date"][:4])
            if m["relation"] in {"03", "04"} and 6 <= age <= 15:
                m["school_status"] = "01"
                break

    attribute = "04" if dibao else _pick(rng, [("01", 0.9), ("06", 0.1)])
    if attribute == "06" and any(
        m["labour_skill"] in {"01", "02"} and 16 <= REFERENCE_YEAR - int(m["birth_date"][:4]) <= 65
        for m in members
    ):
        attribute = "01"  # 特困供养 (五保) households have no working-age member able to work
    if (scenario == "pass" and rng.random() < 0.5) or (scenario != "pass" and rng.random() < 0.15):
        # exited: either rightly, or (for failing scenarios) a suspected wrongful exit
        exit_status = "1"
        exit_year = rng.choice([2016, 2017, 2018])
        attribute = {"04": "02", "06": "03"}.get(attribute, "05")
    else:
        exit_status = "0"
        exit_year = None

    cause = _pick(rng, CAUSES)
    head = members[0]
    record: dict[str, Any] = {
        "household_id": f"{village['division_code']}{seq:07d}",
        "division_code": village["division_code"],
        "natural_village_id": natural["natural_village_id"],
        "natural_village_name": natural["name"],
        "head_name": head["name"],
        "head_id_number": head["id_number"],
        "household_size": n,
        "household_attribute": attribute,
        "identification_standard": "国家标准",
        # identified before (or in) the year of exit
        "identification_year": rng.choice(
            [y for y in (2014, 2014, 2015, 2015, 2016, 2017) if exit_year is None or y <= exit_year]
        ),
        "main_poverty_cause": cause,
        "other_poverty_causes": sorted({_pick(rng, CAUSES)} - {cause}),
        "exit_status": exit_status,
        "exit_year": exit_year,
        "wage_income": wage,
        "production_income": production,
        "production_expense": expense,
        "property_income": prop,
        "transfer_income": transfer,
        "net_income": net,
        "per_capita_net_income": per_capita,
        "farmland_area": farmland,
        "forest_area": forest,
        **flags,
        "receives_dibao": dibao,
        # 2017 on, only A/B-class 低保 counts as a stable income: households without labour get
        # class A; the few with labour and 低保 get C (they have an income source of their own)
        **({"dibao_class": "A" if not labour else "C"} if dibao else {}),
        "receives_tekun": False,
        "food_clothing_secure": "food_clothing" not in failures,
        "dangerous_house": "dangerous_house" in failures,
        "housing_area": housing_area,
        "housing_structure": structure,
        "housing_build_year": rng.randint(1975, 2018),
        "relocated": False,
        "drinking_water_source": rng.choice(["06", "07"])
        if "unsafe_water" in failures
        else _pick(rng, [("01", 0.55), ("02", 0.15), ("03", 0.1), ("04", 0.05), ("05", 0.15)]),
        "safe_drinking_water": "unsafe_water" not in failures,
        "household_electricity": "no_electricity" not in failures,
        "production_electricity": rng.random() < 0.3,
        "natural_village_households": natural["households"],
        "natural_village_road": natural["road_access"],
        "tv_access": "no_tv" not in failures,
        "owns_vehicle": False,
        "owns_town_property": False,
        "purchased_land": False,
        "runs_company": False,
        "bad_habit_hardship": False,
        "members": members,
    }
    if scenario == "broken":
        kind = BROKEN_KINDS[seq % len(BROKEN_KINDS)]
        if kind == "missing_household_size":
            del record["household_size"]
        elif kind == "wrong_type":
            record["housing_area"] = "约" + str(int(housing_area)) + "平方米"
        elif kind == "bad_code":
            record["household_attribute"] = "09"
        elif kind == "bad_member_code":
            members[-1]["labour_skill"] = "9"
        elif kind == "bad_date":
            members[0]["birth_date"] = members[0]["birth_date"][:5] + "02-30"
        record["_broken"] = kind
    record["_scenario"] = (
        scenario if scenario != "multiple" else "multiple:" + "+".join(sorted(failures))
    )
    return record


def make_village(
    rng: random.Random, index: int, v: dict[str, Any], poor_households: int, poor_people: int
) -> dict[str, Any]:
    """A village record. Counts are plausible, not aggregated from the household file."""
    households = rng.randint(320, 720)
    population = households * rng.randint(36, 44) // 10
    # shares above the 98% the 2017 tables require (95% in 2016) unless the kind breaks one
    share = {"housing": 0.985, "water": 0.985, "electricity": 0.995, "insured": 0.985}
    kind = ("pass", "pass", "reference_only", "incidence", "housing", "pass", "water", "pass",
            "reference_only", "incidence_at_3", "pass", "medical")[index % 12]  # fmt: skip
    if kind == "housing":
        share["housing"] = 0.93
    if kind == "water":
        share["water"] = 0.94
    if kind == "medical":
        share["insured"] = 0.92
    remaining = rng.randint(int(population * 0.005), int(population * 0.028))
    if kind == "incidence":
        remaining = int(population * 0.06)
    if kind == "incidence_at_3":
        population -= population % 100
        remaining = population * 3 // 100
    ref_fail = kind == "reference_only"
    large = [nv for nv in v["naturals"] if nv["households"] >= 20]
    water_solved = int(households * share["water"])
    poor_total = poor_households + poor_households // 2  # with those already exited
    return {
        "village_id": v["division_code"],
        "division_code": v["division_code"],
        "county_name": COUNTY_NAME,
        "township_name": v["township_name"],
        "village_name": v["village_name"],
        "poor_village": True,
        "deep_poverty_village": index % 5 == 0,
        "exit_status": "计划退出",
        "exit_year": None,
        "households_total": households,
        "population_total": population,
        "registered_rural_population": population,
        "poor_households": min(poor_households, remaining),
        "poor_population": remaining,
        "featured_industry_count": 0 if ref_fail and index % 2 == 0 else rng.randint(1, 4),
        "featured_industries": "砂糖橘、桑蚕、林下养鸡",
        "poor_households_without_industry": 0,
        "poor_households_registered": poor_total,
        "poor_households_with_industry": 0 if ref_fail else poor_total - poor_total // 10,
        "poor_households_no_labour_or_away": poor_total // 20,
        "industry_cooperative_or_base": not ref_fail,
        "households_housing_secured": int(households * share["housing"]),
        "residents_medically_insured": int(population * share["insured"]),
        "dropouts_due_to_poverty": 0,
        "left_behind_children_care": True,
        "road_connected": True,
        "road_hardened": True,
        "road_roadbed_width": 4.5,
        "road_pavement_width": rng.choice([3.0, 3.5, 3.5, 4.0]),
        # the big hamlet without a road (natural village 1) is one of them
        "large_natural_villages": len(large),
        "large_natural_villages_road_ok": sum(1 for nv in large if nv["road_access"]),
        "households_water_solved": water_solved,
        "households_safe_water": water_solved,
        "households_electricity": int(households * share["electricity"]),
        "committee_office": True,
        "notice_board": True,
        "health_room": (health_room := rng.random() < 0.85),
        "health_care_within_5km": True,
        "standard_health_room": health_room,
        "township_seat_village": index % 4 == 0,
        "basketball_court": True,
        "culture_room_or_stage": True,
        "broadband": True,
        "pension_insured_rate": 92.5,
        "pension_60plus_paid_rate": 100,
        "poor_households_dibao_eligible": poor_households // 3,
        "poor_households_dibao_enrolled": poor_households // 3,
        "tv_channels_available": not ref_fail,
        "households_tv": (tv := households - rng.randint(0, 15)),
        "households_tv_or_online": households if not ref_fail else tv,
        "collective_income": 0 if ref_fail else round(rng.uniform(1.0, 8.0), 1),
        "village_cooperative": not ref_fail,
        "committee_assessed_good": True,
        "committee_performs_duties": True,
        "weak_party_org_situations": 0,
        "natural_villages": [
            {
                "natural_village_id": nv["natural_village_id"],
                "name": nv["name"],
                "households": nv["households"],
                "road_access": nv["road_access"],
                "road_type": "水泥" if nv["road_access"] else "土路",
            }
            for nv in v["naturals"]
        ],
        "_scenario": kind,
    }


def division_lines(county: County) -> list[str]:
    """The division-name table of the county (代码,名称: the county, its townships, its
    villages), as CSV lines for ``check --divisions``."""
    names = {COUNTY_CODE: COUNTY_NAME}
    for v in county.villages:
        code = v["division_code"]
        names[code[:9]] = v["township_name"]
        names[code] = v["village_name"]
    return ["代码,名称"] + [f"{code},{names[code]}" for code in sorted(names)]


def generate(
    n_households: int,
    seed: int,
    out: TextIO,
    villages_out: TextIO | None,
    divisions_out: TextIO | None = None,
) -> dict[str, Any]:
    rng = random.Random(seed)
    n_villages = max(12, n_households // 170)
    county = County(rng, n_villages)
    if divisions_out is not None:
        divisions_out.write("".join(line + "\n" for line in division_lines(county)))
    people = People(rng)
    plan = [name for name, count in quotas(n_households) for _ in range(count)]
    rng.shuffle(plan)
    per_village: list[list[int]] = [[0, 0] for _ in county.villages]
    summary: Counter[str] = Counter()
    for seq, scenario in enumerate(plan, start=1):
        record = make_household(rng, people, county, seq, scenario)
        summary[scenario] += 1
        if record["exit_status"] == "1":
            summary["exited"] += 1
            if scenario not in {"pass", "food_clothing", "broken"}:
                summary["exited_not_meeting_2016"] += 1
        v = per_village[seq % len(county.villages)]
        if record["exit_status"] == "0":
            v[0] += 1
            v[1] += len(record["members"])
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    if villages_out is not None:
        vrng = random.Random(seed * 7919 + 1)
        for i, v in enumerate(county.villages):
            record = make_village(vrng, i, v, *per_village[i])
            villages_out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return {
        "households": n_households,
        "villages": n_villages,
        "townships": len({v["township_name"] for v in county.villages}),
        "scenarios": {name: summary[name] for name, _ in SCENARIOS},
        "exited": summary["exited"],
        "exited_not_meeting_2016": summary["exited_not_meeting_2016"],
    }


def _open(path: str) -> TextIO:
    if path == "-":
        return sys.stdout
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p.open("w", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成确定性的示例县扶贫数据 (合成数据)。")
    parser.add_argument("--households", type=int, default=2000, help="户数 (默认 2000)")
    parser.add_argument("--seed", type=int, default=2018, help="随机种子 (默认 2018)")
    parser.add_argument("-o", "--output", default="-", help="户记录 JSON Lines 文件, - 为标准输出")
    parser.add_argument(
        "--villages-output", help="村记录文件 (默认: 与户记录同目录的 villages.jsonl)"
    )
    parser.add_argument("--no-villages", action="store_true", help="不生成村记录和区划名称表")
    parser.add_argument("--quiet", action="store_true", help="不在标准错误输出打印统计")
    args = parser.parse_args(argv)
    if args.households < 1:
        parser.error("--households 须为正整数")
    villages_path = None
    if not args.no_villages:
        villages_path = args.villages_output or (
            str(Path(args.output).with_name("villages.jsonl")) if args.output != "-" else None
        )
    divisions_path = (
        str(Path(villages_path).with_name("divisions.csv"))
        if villages_path and villages_path != "-"
        else None
    )
    out = _open(args.output)
    vout = _open(villages_path) if villages_path else None
    dout = _open(divisions_path) if divisions_path else None
    try:
        summary = generate(args.households, args.seed, out, vout, dout)
    finally:
        for stream in (out, vout, dout):
            if stream is not None and stream is not sys.stdout:
                stream.close()
    if not args.quiet:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True), file=sys.stderr)
    return 0


def iter_households(n_households: int, seed: int) -> Iterator[dict[str, Any]]:
    """The same households as the CLI writes, as dicts (for tests and benchmarks)."""
    import io

    buf = io.StringIO()
    generate(n_households, seed, buf, None)
    for line in buf.getvalue().splitlines():
        yield json.loads(line)


if __name__ == "__main__":
    raise SystemExit(main())
