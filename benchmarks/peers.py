"""The same 2018 household exit criteria in other rule engines, for a side-by-side run.

Each peer gets a flat context per household (derived values computed by hand, as each engine
would need them) and evaluates eleven boolean tests: the nine criteria plus the two
"applies" conditions (school-age children, villages of 20 households or more). Peers are
optional (``pip install fupin-rules[bench]``); a missing one is reported as not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .handwritten import CRITERIA, LABOUR

TESTS: dict[str, str] = {
    "income_source": "food and (on_dibao or (labour_count >= 1 and (farmland_pp >= 0.5 "
    "or forest_pp >= 1 or migrant_count >= 1 or other)))",
    "housing": "(not dangerous and structure in ['01', '02', '03', '04', '05'] and area_pp >= 13)"
    " or (progress >= 50 and finishable) or (relocated and allocated)",
    "medical": "uninsured == 0",
    "education_applies": "school_age >= 1",
    "education": "dropout == 0",
    "road_applies": "villages >= 20",
    "road": "road",
    "drinking_water": "water in ['01', '02', '03', '04', '05']",
    "electricity": "elec",
    "tv": "tv",
    "income_above_line": "pci > line",
}


def context(r: dict[str, Any], as_of: str = "2018-11-20", line: float = 2952) -> dict[str, Any]:
    """The flat context of a complete household (floats, as JSON engines take them)."""
    ay, am, ad = int(as_of[:4]), int(as_of[5:7]), int(as_of[8:10])
    size = r["household_size"]
    members = r["members"]
    pci = r.get("per_capita_net_income")
    if pci is None:
        pci = (
            r["wage_income"]
            + r["production_income"]
            - r["production_expense"]
            + r["property_income"]
            + r["transfer_income"]
        ) / Decimal(size)
    school_age = dropout = 0
    for m in members:
        b = m["birth_date"]
        age = ay - int(b[:4]) - ((am, ad) < (int(b[5:7]), int(b[8:10])))
        if 6 <= age <= 15:
            school_age += 1
            if m["school_status"] == "01" and not m.get("education_exempt"):
                dropout += 1
    return {
        "food": bool(r["food_clothing_secure"]),
        "on_dibao": bool(r.get("receives_dibao") or any(m.get("dibao") for m in members)),
        "labour_count": sum(1 for m in members if m["labour_skill"] in LABOUR),
        "farmland_pp": float(r.get("farmland_area") or 0) / size,
        "forest_pp": float(r.get("forest_area") or 0) / size,
        "migrant_count": sum(1 for m in members if (m.get("migrant_work_months") or 0) >= 6),
        "other": bool(
            r.get("has_asset_income")
            or r.get("has_livestock_income")
            or r.get("has_business_income")
            or r.get("has_other_income")
        ),
        "dangerous": bool(r["dangerous_house"]),
        "structure": r["housing_structure"],
        "area_pp": float(r["housing_area"]) / size,
        "progress": r.get("new_house_progress") or 0,
        "finishable": bool(r.get("new_house_finishable")),
        "relocated": bool(r.get("relocated")),
        "allocated": bool(r.get("relocation_housing_allocated")),
        "uninsured": sum(1 for m in members if not m["medical_insurance"]),
        "school_age": school_age,
        "dropout": dropout,
        "villages": r["natural_village_households"],
        "road": bool(r["natural_village_road"]),
        "water": r["drinking_water_source"],
        "elec": bool(r["household_electricity"]),
        "tv": bool(r["tv_access"]),
        "pci": float(pci),
        "line": float(line),
    }


def outcomes(values: list[Any]) -> tuple[str, ...]:
    """Eleven booleans (in TESTS order) as the nine per-criterion outcomes."""
    v = dict(zip(TESTS, values, strict=True))
    out = []
    for name in CRITERIA:
        applies = v.get(f"{name}_applies", True)
        out.append("not_applicable" if not applies else "pass" if v[name] else "fail")
    return tuple(out)


Peer = Callable[[dict[str, Any]], tuple[str, ...]]


def simpleeval_parsed_once() -> Peer:
    import simpleeval

    evaluator = simpleeval.EvalWithCompoundTypes()
    parsed = [(text, evaluator.parse(text)) for text in TESTS.values()]

    def run(r: dict[str, Any]) -> tuple[str, ...]:
        evaluator.names = context(r)
        return outcomes([evaluator.eval(t, previously_parsed=p) for t, p in parsed])

    return run


def simpleeval_reparsing() -> Peer:
    import simpleeval

    texts = list(TESTS.values())

    def run(r: dict[str, Any]) -> tuple[str, ...]:
        names = context(r)
        return outcomes([simpleeval.EvalWithCompoundTypes(names=names).eval(t) for t in texts])

    return run


def rule_engine_compiled() -> Peer:
    import rule_engine

    rules = [rule_engine.Rule(t.replace("not dangerous", "not dangerous")) for t in TESTS.values()]

    def run(r: dict[str, Any]) -> tuple[str, ...]:
        ctx = context(r)
        return outcomes([rule.matches(ctx) for rule in rules])

    return run


def zen_one_expression() -> Peer:
    import zen

    expr = zen.compile_expression("[" + ", ".join(f"({t})" for t in TESTS.values()) + "]")

    def run(r: dict[str, Any]) -> tuple[str, ...]:
        return outcomes(expr.evaluate(context(r)))

    return run


def _var(name: str) -> dict[str, Any]:
    return {"var": name}


JSON_LOGIC: list[Any] = [
    {
        "and": [
            _var("food"),
            {
                "or": [
                    _var("on_dibao"),
                    {
                        "and": [
                            {">=": [_var("labour_count"), 1]},
                            {
                                "or": [
                                    {">=": [_var("farmland_pp"), 0.5]},
                                    {">=": [_var("forest_pp"), 1]},
                                    {">=": [_var("migrant_count"), 1]},
                                    _var("other"),
                                ]
                            },
                        ]
                    },
                ]
            },
        ]
    },
    {
        "or": [
            {
                "and": [
                    {"!": _var("dangerous")},
                    {"in": [_var("structure"), ["01", "02", "03", "04", "05"]]},
                    {">=": [_var("area_pp"), 13]},
                ]
            },
            {"and": [{">=": [_var("progress"), 50]}, _var("finishable")]},
            {"and": [_var("relocated"), _var("allocated")]},
        ]
    },
    {"==": [_var("uninsured"), 0]},
    {">=": [_var("school_age"), 1]},
    {"==": [_var("dropout"), 0]},
    {">=": [_var("villages"), 20]},
    {"!!": _var("road")},
    {"in": [_var("water"), ["01", "02", "03", "04", "05"]]},
    {"!!": _var("elec")},
    {"!!": _var("tv")},
    {">": [_var("pci"), _var("line")]},
]


def datalogic_one_rule() -> Peer:
    import datalogic_py

    rule = datalogic_py.Engine().compile(JSON_LOGIC)

    def run(r: dict[str, Any]) -> tuple[str, ...]:
        return outcomes(rule.evaluate(context(r)))

    return run


PEERS: dict[str, Callable[[], Peer]] = {
    "simpleeval, re-parsing per call": simpleeval_reparsing,
    "simpleeval, parsed once": simpleeval_parsed_once,
    "rule-engine, rules compiled once": rule_engine_compiled,
    "zen-engine, all criteria in one expression": zen_one_expression,
    "datalogic-py (JSON Logic in Rust), one rule": datalogic_one_rule,
}
