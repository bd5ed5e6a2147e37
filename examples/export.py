#!/usr/bin/env python3
"""Write the sample households as the national information system exports them (synthetic).

    python examples/export.py examples/data/households.jsonl -n 300 -o examples/data/export.csv

One row per family member, the household's columns repeated on every member row, Chinese
headers and labels (是/否, 已脱贫, 男/女), as `docs/data-io.md` describes. Only columns that the
domain notes list for the national system's export (§6.1, §6.2 of the research notes) are
written; fields the export does not carry (饮水来源, 吃穿不愁, 所在自然村(屯)户数, 出生日期, the
2017 tables' measurements) are left out, so that evaluating this file shows what an office sees.
Records marked ``_broken`` by the generator are skipped (this file is "all columns present and
sane"). Output is UTF-8 with BOM, CRLF, byte-identical for the same input.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

HOUSEHOLD = [
    ("户编号", "household_id"),
    ("行政区划代码", "division_code"),
    ("自然村编号", "natural_village_id"),
    ("户主姓名", "head_name"),
    ("户主证件号码", "head_id_number"),
    ("家庭人口数", "household_size"),
    ("贫困户属性", "household_attribute"),
    ("识别标准", "identification_standard"),
    ("主要致贫原因", "main_poverty_cause"),
    ("其他致贫原因", "other_poverty_causes"),
    ("脱贫状态", "exit_status"),
    ("脱贫年度", "exit_year"),
    ("工资性收入", "wage_income"),
    ("生产经营性收入", "production_income"),
    ("生产经营性支出", "production_expense"),
    ("财产性收入", "property_income"),
    ("转移性收入", "transfer_income"),
    ("纯收入(元)", "net_income"),
    ("人均纯收入(元)", "per_capita_net_income"),
    ("耕地面积(亩)", "farmland_area"),
    ("林地面积(亩)", "forest_area"),
    ("是否危房户", "dangerous_house"),
    ("住房面积", "housing_area"),
    ("房屋主要结构", "housing_structure"),
    ("是否通生活用电", "household_electricity"),
    ("是否通生产用电", "production_electricity"),
    ("是否通广播电视", "tv_access"),
    ("是否解决安全饮用水", "safe_drinking_water"),
]
MEMBER = [
    ("姓名", "name"),
    ("性别", "sex"),
    ("证件类型", "id_type"),
    ("证件号码", "id_number"),
    ("与户主关系", "relation"),
    ("民族", "ethnicity"),
    ("文化程度", "education"),
    ("在校生状况", "school_status"),
    ("健康状况", "health"),
    ("劳动技能", "labour_skill"),
    ("务工状况", "work_status"),
    ("务工时间(月)", "migrant_work_months"),
    ("是否参加城乡居民基本医疗保险", "medical_insurance"),
    ("是否参加大病保险", "critical_illness_insurance"),
    ("是否享受低保", "dibao"),
]
EXIT_LABELS = {"0": "未脱贫", "1": "已脱贫", "3": "返贫", "4": "已脱贫"}
"""What exports write for 脱贫状态 (AAR010): the plain 已脱贫 of the 2016 ledger list."""
OLD_ATTRIBUTE_LABELS = {"06": "五保户"}
"""Old labels still seen in exports (2014 form: 五保户), written for every other such household."""


def _codes() -> dict[str, dict[str, str]]:
    sys.path.insert(0, str(ROOT))
    import fupin_rules as fr  # the example runs from a checkout

    lib = fr.load_library()
    schema = lib.record_schemas["household"]
    out: dict[str, dict[str, str]] = {}
    props = schema.schema["properties"]
    member_props = props["members"]["items"]["properties"]
    for field, prop in [*props.items(), *member_props.items()]:
        name = prop.get("x-codelist") or (prop.get("items") or {}).get("x-codelist")
        if isinstance(name, str) and name in schema.codelists:
            out[field] = dict(schema.codelists[name].codes)
    return out


def _cell(field: str, value: Any, codes: dict[str, dict[str, str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_cell(field, v, codes) for v in value)
    if field == "exit_status":
        return EXIT_LABELS.get(str(value), str(value))
    if field in codes:
        return codes[field].get(str(value), str(value))
    return str(value)


def rows(records: list[dict[str, Any]]) -> list[list[str]]:
    """The export rows (header first) of ``records``."""
    codes = _codes()
    out = [[h for h, _ in HOUSEHOLD] + [h for h, _ in MEMBER]]
    old = 0
    for record in records:
        head = [_cell(f, record.get(f), codes) for _, f in HOUSEHOLD]
        attribute = record.get("household_attribute")
        if attribute in OLD_ATTRIBUTE_LABELS:
            old += 1
            if old % 2:
                head[6] = OLD_ATTRIBUTE_LABELS[attribute]
        for member in record.get("members") or []:
            out.append(head + [_cell(f, member.get(f), codes) for _, f in MEMBER])
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("households", help="households.jsonl from generate.py")
    parser.add_argument("-n", type=int, default=300, help="first N sane households (300)")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    records = []
    with open(args.households, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if "_broken" in record:
                continue
            records.append(record)
            if len(records) >= args.n:
                break
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows(records))
    Path(args.output).write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    print(f"{len(records)} households, {len(rows(records)) - 1} member rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
