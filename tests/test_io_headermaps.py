"""Header-map files: the bundled map, and one broken file per failure mode (file:line named)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.io.headermaps import HeaderMap, normalise_header

GOOD = """\
kind: headermap
id: test.map
version: "1"
title: 测试表头
subject: household
sources:
  - {id: s1, title: 测试}
columns:
  户编号: household_id
  证件号码: members.id_number
"""


def load(tmp_path: Path, text: str) -> fr.Library:
    folder = tmp_path / "maps"
    folder.mkdir(exist_ok=True)
    (folder / "map.yaml").write_text(text, encoding="utf-8")
    return fr.load_library(folder)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(fr.RuleFileError) as info:
        load(tmp_path, text)
    return [str(p) for p in info.value.problems]


def test_bundled_national_map() -> None:
    lib = fr.load_library()
    (hm,) = lib.headermaps["cn.national.household-export"]
    assert isinstance(hm, HeaderMap)
    assert hm.key == "cn.national.household-export@2016"
    assert hm.field_for("户编号") == "household_id"
    assert hm.field_for("AAC001") == "household_id"
    assert hm.field_for("AAB004") == "members.id_number"
    assert hm.field_for(" 证件\n号码 ") == "members.id_number"
    assert hm.required == ("household_id",)
    assert "members.id_number" in hm.text_only
    assert hm.boolean("是") is True
    assert hm.boolean("否") is False
    assert hm.boolean("也许") is None
    # every household field code of the national form the schema knows is mapped
    schema = lib.record_schemas["household"]
    codes = {p.get("x-code") for p in schema.schema["properties"].values()} - {None, "AB01"}
    codes -= {"AAR041"}  # meaning unclear, deliberately not mapped (see the file's notes)
    assert codes <= set(hm.columns)


def test_good_map_loads(tmp_path: Path) -> None:
    lib = load(tmp_path, GOOD)
    (hm,) = lib.headermaps["test.map"]
    assert hm.headers == {"household_id": "户编号", "members.id_number": "证件号码"}


def test_normalise_header() -> None:
    assert normalise_header("\ufeff户 编号*") == "户编号"
    assert normalise_header("务工时间（月）") == "务工时间(月)"
    assert normalise_header(None) == ""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("  证件号码: members.id_number\n", "  证件号码: members.idnumber\n"), "map.yaml:10:3"),
        (("  证件号码: members.id_number\n", "  证件号码: Members.ID\n"), "map.yaml:10:3"),
        (("subject: household\n", "subject: hamlet\n"), "map.yaml:5:1"),
        (("title: 测试表头\n", "title: 测试表头\ntypo: 1\n"), "未知的键 'typo'"),
        (("columns:\n", "required: [division_code]\ncolumns:\n"), "必需字段 'division_code'"),
        (
            ("columns:\n", "booleans: {true: [是], false: [是]}\ncolumns:\n"),
            "既算“是”又算“否”",
        ),
        (("columns:\n", "ignore: [户编号]\ncolumns:\n"), "既要导入又要忽略"),
        (("  证件号码: members.id_number\n", "  户 编号: household_id\n"), "实为同一表头"),
        (('version: "1"\n', "version: 1\n"), "map.yaml:3:1"),
        (("  户编号: household_id\n", "  户编号: household_id\n  户编号: x\n"), "重复的键"),
    ],
)
def test_broken_maps(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all("map.yaml" in p for p in found)
