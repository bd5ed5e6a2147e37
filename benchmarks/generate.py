"""Synthetic household records for the benchmarks and the fast-path tests.

Deterministic: the same seed gives the same records. Values are spread around every threshold
of the household exit standards (income line, 13 ㎡ per person, 20-household villages, school
age) so that every criterion passes and fails often, and a share of fields is missing or null.

    python benchmarks/generate.py -n 100000 -o households.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

LABOUR = ["01", "02", "03", "04", "05"]
SCHOOL = ["01", "02", "03", "04", "05", "06"]
WATER = ["01", "02", "03", "04", "05", "06", "07"]
STRUCTURE = ["01", "02", "03", "04", "05", "06"]


def _money(rng: random.Random, hi: int) -> Any:
    # Whole yuan mostly, some with jiao/fen as exact decimals.
    if rng.random() < 0.3:
        return Decimal(rng.randrange(0, hi * 100)) / 100
    return rng.randrange(0, hi)


def _member(rng: random.Random, i: int, n: int) -> dict[str, Any]:
    year = rng.randrange(1935, 2016)
    m: dict[str, Any] = {
        "name": f"成员{n}-{i}",
        "relation": "01" if i == 0 else rng.choice(["02", "03", "04", "05"]),
        "birth_date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "labour_skill": rng.choice(LABOUR),
        "medical_insurance": rng.random() < 0.95,
    }
    if rng.random() < 0.7:
        m["migrant_work_months"] = rng.randrange(0, 13)
    if rng.random() < 0.8:
        m["school_status"] = rng.choice(SCHOOL)
    if rng.random() < 0.05:
        m["dibao"] = True
    if rng.random() < 0.03:
        m["education_exempt"] = True
    return m


def household(rng: random.Random, n: int, *, missing: float = 0.02) -> dict[str, Any]:
    """One synthetic household record (``missing``: chance that each optional field is absent)."""
    size = rng.randrange(1, 8)
    rec: dict[str, Any] = {
        "household_id": f"H{n:09d}",
        "division_code": (
            f"4510{rng.randrange(21, 30):02d}{rng.randrange(100, 110)}{rng.randrange(200, 220)}"
        ),
        "household_size": size,
        "household_attribute": rng.choice(["01", "02", "03"]),
        "exit_status": rng.choice(["0", "1"]),
        "wage_income": _money(rng, 9000 * size),
        "production_income": _money(rng, 4000 * size),
        "production_expense": _money(rng, 1500 * size),
        "property_income": _money(rng, 300),
        "transfer_income": _money(rng, 1200),
        "farmland_area": Decimal(rng.randrange(0, 40)) / 10,
        "forest_area": Decimal(rng.randrange(0, 60)) / 10,
        "receives_dibao": rng.random() < 0.1,
        "food_clothing_secure": rng.random() < 0.95,
        "dangerous_house": rng.random() < 0.08,
        "housing_area": Decimal(rng.randrange(80, 2000)) / 10
        if rng.random() < 0.5
        else rng.randrange(8, 200),
        "housing_structure": rng.choice(STRUCTURE),
        "drinking_water_source": rng.choice(WATER),
        "household_electricity": rng.random() < 0.97,
        "natural_village_households": rng.randrange(5, 60),
        "natural_village_road": rng.random() < 0.9,
        "tv_access": rng.random() < 0.96,
    }
    if rng.random() < 0.2:
        rec["per_capita_net_income"] = _money(rng, 6000)
    if rng.random() < 0.05:
        rec["new_house_progress"] = rng.randrange(0, 101)
        rec["new_house_finishable"] = rng.random() < 0.5
    if rng.random() < 0.05:
        rec["relocated"] = True
        rec["relocation_housing_allocated"] = rng.random() < 0.8
    for flag in (
        "has_asset_income",
        "has_livestock_income",
        "has_business_income",
        "has_other_income",
    ):
        if rng.random() < 0.3:
            rec[flag] = rng.random() < 0.3
    for key in list(rec):
        if key != "household_id" and rng.random() < missing:
            if rng.random() < 0.5:
                del rec[key]
            else:
                rec[key] = None
    if rec.get("drinking_water_source") is not None:
        # 是否解决安全饮用水, which the 2017 tables read; derived, so no random draw moves
        rec["safe_drinking_water"] = rec["drinking_water_source"] in WATER[:5]
    rec["members"] = [_member(rng, i, n) for i in range(size)]
    return rec


def households(count: int, seed: int = 2018, *, missing: float = 0.02) -> Iterator[dict[str, Any]]:
    """``count`` households, deterministic in ``seed``."""
    rng = random.Random(seed)
    for n in range(count):
        yield household(rng, n, missing=missing)


def to_line(record: dict[str, Any]) -> str:
    """One JSON line, decimals written exactly as they are."""
    return _dumps(record)


def to_arrow(records: list[dict[str, Any]]) -> Any:
    """The records as an Arrow table of the kind an export would be: dates as date32, money
    as float64, members as a list of structs (needs pyarrow)."""
    import datetime as dt

    import pyarrow as pa

    rows = []
    for r in records:
        row = dict(r)
        for key in ("wage_income", "production_income", "per_capita_net_income"):
            if isinstance(row.get(key), Decimal):
                row[key] = float(row[key])
        members = []
        for m in row.get("members") or []:
            m = dict(m)
            if isinstance(m.get("birth_date"), str):
                m["birth_date"] = dt.date.fromisoformat(m["birth_date"])
            members.append(m)
        if "members" in row:
            row["members"] = members
        rows.append(row)
    # from_pylist takes its columns from the first row: give every row every key (an absent
    # value and a null are the same to a record).
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows])


def _dumps(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_dumps(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        text = str(value)
        return text if "." in text or "E" in text else text + ".0"
    return json.dumps(value, ensure_ascii=False)


def write_jsonl(path: str, count: int, seed: int = 2018) -> None:
    """Write ``count`` households to ``path`` as JSON Lines."""
    with open(path, "w", encoding="utf-8") as fh:
        for rec in households(count, seed):
            fh.write(to_line(rec))
            fh.write("\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-n", "--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=2018)
    p.add_argument("-o", "--output", default="-")
    args = p.parse_args(argv)
    if args.output == "-":
        for rec in households(args.count, args.seed):
            sys.stdout.write(to_line(rec) + "\n")
    else:
        write_jsonl(args.output, args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
