"""National-system exports: every member kept, disagreeing household columns reported,
value aliases and derived fields, rejected rows with their place, households without members."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._yaml import read_yaml_text
from fupin_rules.cli import main
from fupin_rules.errors import RuleFileError
from fupin_rules.io.assembly import ConvertedRow, group_rows
from fupin_rules.io.headermaps import HeaderMap, load_headermap_document
from fupin_rules.io.tables import TableReader

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "data" / "export.csv"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gid(body17: str) -> str:
    """``body17`` with its GB 11643 check character."""
    s = sum(int(a) * w for a, w in zip(body17, _WEIGHTS, strict=True))
    return body17 + "10X98765432"[s % 11]


@pytest.fixture(scope="module")
def lib() -> fr.Library:
    return fr.load_library()


@pytest.fixture(scope="module")
def hm(lib: fr.Library) -> HeaderMap:
    return lib.headermaps["cn.national.household-export"][-1]  # type: ignore[no-any-return]


def read_csv_text(lib: fr.Library, hm: HeaderMap, tmp_path: Path, rows: list[list[Any]]) -> Any:
    path = tmp_path / "export.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    reader = TableReader(hm, lib.record_schemas["household"])
    return reader, list(reader.read([path]))


def row(number: int, hid: str | None, relation: str, **household: Any) -> ConvertedRow:
    top = dict(household)
    if hid is not None:
        top["household_id"] = hid
    return ConvertedRow(number, f"t:{number}", top, {"members": {"relation": relation}})


def grouped(rows: list[ConvertedRow]) -> list[Any]:
    return [
        item
        for _, item in group_rows(
            rows,
            prefix="t",
            id_field="household_id",
            id_label="户编号",
            label_of=lambda f: {"housing_area": "住房面积"}.get(f, f),
            division_field="division_code",
        )
    ]


# --------------------------------------------------------------------------- assembly


def test_the_head_rows_value_wins_and_every_member_is_kept() -> None:
    """The first row is wrong, the 户主's row right: the household takes the head's value."""
    (item,) = grouped(
        [
            row(2, "H1", "02", housing_area=8),
            row(3, "H1", "01", housing_area=80),
            row(4, "H1", "03", housing_area=80),
        ]
    )
    assert item.record["housing_area"] == 80
    assert len(item.record["members"]) == 3
    assert item.rows == 3
    assert item.problems == (
        "「住房面积」同户各行不一致: 第 2 行为 8; 第 3、4 行为 80; 取户主所在第 3 行的值 80",
    )


@pytest.mark.parametrize(
    "note",
    ["制表人: 张三", "填表人：", "审核人:李四", "合计", " 备注：户数以系统为准", "张三：签字"],
)
def test_a_note_under_the_table_is_rejected_not_a_household(note: str) -> None:
    """Staff sign and total a table under its last row; such a row is not data. It is
    rejected with its place and the words of its first cell, and the households stay as they
    were; a household number with an ASCII colon or hyphen is still a household."""
    items = grouped([row(2, "H1", "01"), row(3, "H1", "02"), row(4, note, "")])
    assert [i.record["household_id"] for i in items if i.ok] == ["H1"]
    (rejected,) = [i for i in items if not i.ok]
    assert rejected.source == "t:4"
    assert rejected.record_id == note
    assert "不是数据行" in (rejected.error or "")
    assert note in (rejected.error or "")
    assert sum(i.rows for i in items) == 3
    kept = grouped([row(2, "4510-01:7", "01"), row(3, "说明村H2", "01")])
    assert [i.record["household_id"] for i in kept] == ["4510-01:7", "说明村H2"]


def test_majority_when_the_head_row_has_no_value() -> None:
    (item,) = grouped(
        [
            row(2, "H1", "01"),
            row(3, "H1", "02", housing_area=80),
            row(4, "H1", "03", housing_area=80),
            row(5, "H1", "04", housing_area=8),
        ]
    )
    assert item.record["housing_area"] == 80
    assert "取多数行的值 80" in item.problems[0]


def test_a_tie_leaves_the_field_unknown() -> None:
    (item,) = grouped([row(2, "H1", "02", housing_area=80), row(3, "H1", "03", housing_area=8)])
    assert "housing_area" not in item.record
    assert "无法确定取哪个值, 按未填处理" in item.problems[0]
    assert len(item.record["members"]) == 2


def test_a_row_without_id_is_rejected_with_its_division() -> None:
    first, second = grouped([row(2, "H1", "01"), row(3, None, "01", division_code="451025102302")])
    assert first.ok
    assert not second.ok
    assert second.division == "451025102302"
    assert "缺少「户编号」" in (second.error or "")


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["H1", "H2", "H3", None]),
        st.sampled_from(["01", "02", "03"]),
        st.sampled_from([None, 1, 2, 3]),
        st.booleans(),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_nothing_lost_and_deterministic(spec: list[tuple[Any, str, Any, bool]]) -> None:
    """Rows in = member rows kept + rows rejected; every row with an id becomes a member of
    its household; a rejected row keeps its place; the same rows give the same items."""
    rows = []
    for i, (hid, relation, size, bad) in enumerate(spec, start=2):
        household = {} if size is None else {"household_size": size}
        if hid is not None:
            household["household_id"] = hid
        issues = ("「证件号码」坏了",) if bad else ()
        rows.append(
            ConvertedRow(
                i, f"t:{i}", household, {"members": {"relation": relation}}, member_issues=issues
            )
        )
    items = grouped(rows)
    assert sum(i.rows for i in items) == len(rows)
    rejected = [i for i in items if not i.ok]
    assert sorted(int(i.source.split(":")[1]) for i in rejected) == [
        r.number for r in rows if r.member_issues or "household_id" not in r.household
    ]
    for item in items:
        if item.ok:
            assert len(item.record["members"]) == item.rows
        else:
            assert item.rows == 1
    expected = Counter(
        r.household["household_id"]
        for r in rows
        if "household_id" in r.household and not r.member_issues
    )
    assert {i.record["household_id"]: i.rows for i in items if i.ok} == dict(expected)
    assert grouped(rows) == items


# --------------------------------------------------------------------------- header maps


def test_aliases_and_id_derivations(lib: fr.Library, hm: HeaderMap, tmp_path: Path) -> None:
    good = gid("45102519800101002")
    _, (item,) = read_csv_text(
        lib,
        hm,
        tmp_path,
        [
            ["户编号", "脱贫状态", "贫困户属性", "姓名", "证件号码", "出生日期", "性别"],
            ["H1", "已脱贫", "五保户", "甲", good, "", ""],
            ["H1", "已脱贫", "五保户", "乙", "451025198001010011", "", ""],
            ["H1", "已脱贫", "五保户", "丙", good, "1979-01-01", "男"],
        ],
    )
    record = item.record
    assert record["exit_status"] == "1"
    assert record["household_attribute"] == "06"
    first, second, third = record["members"]
    assert first["birth_date"] == "1980-01-01"
    assert first["sex"] == "女"
    assert "birth_date" not in second  # the check character is wrong: nothing derived
    assert third["birth_date"] == "1979-01-01"  # a value written is kept
    assert third["sex"] == "男"
    _, reasons = lib.record_schemas["household"].check(record)
    assert reasons == ()


def test_headermap_values_and_derive_are_checked() -> None:
    text = """
kind: headermap
id: t.map
version: "1"
title: t
subject: household
sources: [{id: s, title: s}]
columns: {户编号: household_id, 证件号码: members.id_number}
values: {no_such_field: {a: b}}
derive:
  - {field: members.birth_date, from: head_id_number, by: id_birth_date}
"""
    doc = read_yaml_text(text, "t.yaml")
    with pytest.raises(RuleFileError) as info:
        load_headermap_document(doc)
    message = str(info.value)
    assert "no_such_field" in message
    assert "须是同一列表" in message


# --------------------------------------------------------------------------- evaluate


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_evaluate_keeps_the_place_of_rejected_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "户编号,行政区划代码,姓名,证件号码\nH1,451025101201,甲,4.51025E+17\n,451025101201,乙,x\n",
        encoding="utf-8",
    )
    code, out, _ = run("evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(path))
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["record_id"] == "H1"
    assert first["source"].endswith("e.csv:2")
    assert first["outcome"] == "invalid"
    assert second["record_id"] is None
    assert second["source"].endswith("e.csv:3")


def test_a_household_without_members_is_invalid(lib: fr.Library) -> None:
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    line = (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8").splitlines()[0]
    record = json.loads(line)
    assert rs.evaluate(record).outcome == "pass"
    result = rs.evaluate({**record, "members": []})
    assert result.outcome == "invalid"
    assert not any(f.outcome == "pass" for f in result.findings)
    assert any("家庭成员" in reason for reason in result.reasons)


def test_the_sample_export_is_judged(lib: fr.Library, hm: HeaderMap) -> None:
    """The measure in the changelog: on the sample export (300 households), no household is
    invalid for a label, the birth date comes from the ID, water from 是否解决安全饮用水;
    what stays undecidable is 吃穿不愁 and the natural village's size, which the export lacks."""
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    reader = TableReader(hm, lib.record_schemas["household"])
    items = list(reader.read([EXPORT]))
    assert reader.stats.balanced
    assert reader.stats.rows_read == 1162
    outcomes: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for item in items:
        result = rs.evaluate(item.record, source=item.source)
        outcomes[result.outcome] += 1
        assert all("不在代码表" not in r for r in result.reasons)
        unknown.update(f.criterion for f in result.findings if f.outcome == "unknown")
    assert outcomes == {"fail": 99, "invalid": 201}
    assert unknown == {"income_source": 300, "road": 300}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["ok", "nohid", "badid", "blank", "conflict"]), max_size=12))
def test_every_row_yields_one_result_or_a_rejected_row(tmp_path: Path, kinds: list[str]) -> None:
    """Every export row is in exactly one result line: households' ``source`` spans and
    rejected rows' places cover each data row once."""
    lines = ["户编号,家庭人口数,姓名,证件号码"]
    for i, kind in enumerate(kinds):
        hid = f"H{i % 3}"
        lines.append(
            {
                "ok": f"{hid},2,甲{i},x{i}",
                "nohid": f",2,乙{i},y{i}",
                "badid": f"{hid},2,丙{i},4.5E+17",
                "blank": ",,,",
                "conflict": f"{hid},{i + 3},丁{i},z{i}",
            }[kind]
        )
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run("evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(path))
    assert code == 0
    covered: list[int] = []
    for text in out.splitlines():
        source = json.loads(text)["source"].rsplit(":", 1)[1]
        for part in source.split(","):
            a, _, b = part.partition("-")
            covered.extend(range(int(a), int(b or a) + 1))
    data_rows = [n for n, kind in enumerate(kinds, start=2) if kind != "blank"]
    assert sorted(covered) == data_rows


# --------------------------------------------------------------------------- villages


def test_village_table_evaluates_like_its_records(tmp_path: Path) -> None:
    """The village records written as a table (gx.village-table) and read back give the same
    outcomes under gx.village.exit as the JSON Lines records."""
    villages = ROOT / "examples" / "data" / "villages.jsonl"
    table = tmp_path / "villages.csv"
    code, _, _ = run("convert", "--subject", "village", str(villages), "-o", str(table))
    assert code == 0
    args = ("evaluate", "-s", "gx.village.exit", "--as-of", "2018-11-20")
    code, from_table, err = run(*args, str(table))
    assert code == 0, err
    code, from_records, _ = run(*args, str(villages))
    assert code == 0

    def outcomes(text: str) -> list[tuple[str, str, dict[str, str]]]:
        out = []
        for line in text.splitlines():
            r = json.loads(line)
            out.append((r["record_id"], r["outcome"], r["outcomes"]))
        return out

    assert outcomes(from_table) == outcomes(from_records)
    assert len(outcomes(from_table)) == 12


def test_county_table_has_a_default_header_map(lib: fr.Library) -> None:
    for subject, key in [("village", "gx.village-table"), ("county", "gx.county-table")]:
        (hm,) = lib.headermaps[key]
        assert hm.subject == subject
        assert hm.required == (lib.record_schemas[subject].id_field,)
