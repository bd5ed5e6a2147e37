"""Declared properties (``properties:`` in rule files), checked by ``fupin-rules test`` on
records made from the examples: those that hold pass, those that do not are reported with the
smallest record found, and a broken declaration is refused where it is written."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.properties import check_properties

from .conftest import FIXTURES

HOLDS = """
properties:
  - id: more_income_never_fails
    label: 收入越高不会不达标
    kind: monotone
    field: net_income
  - id: small_houses_never_pass
    label: 人均住房不足时不会达标
    kind: never_passes_when
    when: housing_area / household_size < min_area
"""

BREAKS = """
  - id: bigger_family_never_fails
    label: 人口越多不会不达标 (写错的性质)
    kind: monotone
    field: household_size
  - id: income_never_matters
    label: 收入低时也会达标 (写错的性质)
    kind: never_passes_when
    when: net_income > 0
"""


def _library(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "lib", root)
    path = root / "demo.household" / "2016.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("\nexample_base:", extra + "example_base:", 1), encoding="utf-8")
    return root


def _load(root: Path) -> fr.Library:
    return fr.load_library(root, schemas=FIXTURES / "schemas")


def test_properties_that_hold_pass_and_are_inherited(tmp_path: Path) -> None:
    lib = _load(_library(tmp_path, HOLDS))
    old, new = lib.versions("demo.household")
    assert [p.id for p in new.properties] == [p.id for p in old.properties]
    report = check_properties(lib, lib)
    assert report.failures == ()
    assert report.total == 4
    assert len(report.held) == 4


def test_a_broken_property_is_reported_with_the_smallest_record(tmp_path: Path) -> None:
    lib = _load(_library(tmp_path, HOLDS + BREAKS))
    rs = lib.get("demo.household", version="2016")
    report = check_properties(lib, [rs])
    broken = {f.property: f for f in report.failures}
    assert set(broken) == {"bigger_family_never_fails", "income_never_matters"}
    family = broken["bigger_family_never_fails"]
    assert family.file.endswith("2016.yaml")
    assert family.line is not None
    assert "household_size=2 时达标" in family.explanation
    assert "后未达标" in family.explanation
    # Shrunk to no change of the example: the example itself breaks it.
    assert family.changes == ()
    income = broken["income_never_matters"]
    assert income.explanation == "条件 net_income > 0 成立, 结果却是达标"
    assert "性质 'income_never_matters'" in str(income)
    # The same rules give the same report.
    assert check_properties(lib, [rs]) == report


def test_the_command_reports_properties(tmp_path: Path) -> None:
    root = _library(tmp_path, HOLDS + BREAKS)
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", str(root), "--schemas", str(FIXTURES / "schemas")], out=out, err=err)
    text = out.getvalue()
    assert code == 1
    assert "条性质 (每条试" in text
    assert "bigger_family_never_fails" in text
    out = io.StringIO()
    code = main(
        ["test", str(root), "--schemas", str(FIXTURES / "schemas"), "--no-properties"],
        out=out,
        err=err,
    )
    assert code == 0
    assert "性质" not in out.getvalue()


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        ("  - {id: p, label: x, kind: monotone}\n", "monotone 性质须写 field"),
        (
            "  - {id: p, label: x, kind: monotone, field: attribute}\n",
            "'attribute' 不是记录的数值字段",
        ),
        ("  - {id: p, label: x, kind: never_passes_when, when: net_incme > 0}\n", "net_incme"),
        (
            "  - {id: p, label: x, kind: monotone, field: net_income, vary: [nope]}\n",
            "记录结构中没有字段 nope",
        ),
        (
            "  - {id: p, label: x, kind: sometimes}\n",
            "应为 monotone、excludes、never_passes_when 之一",
        ),
    ],
)
def test_a_broken_declaration_is_refused_where_it_is_written(
    tmp_path: Path, declaration: str, expected: str
) -> None:
    root = _library(tmp_path, "\nproperties:\n" + declaration)
    with pytest.raises(fr.RuleFileError) as info:
        _load(root)
    problem = next(p for p in info.value.problems if expected in p.message)
    assert problem.file is not None
    assert problem.file.endswith("2016.yaml")
    assert problem.line is not None


def test_an_excluded_standard_of_another_subject_is_refused(tmp_path: Path) -> None:
    root = _library(
        tmp_path,
        "\nproperties:\n  - {id: p, label: x, kind: excludes, standard: demo.village}\n",
    )
    schemas = tmp_path / "schemas"
    shutil.copytree(FIXTURES / "schemas", schemas)
    (schemas / "records" / "village.schema.json").write_text(
        '{"type": "object", "x-id-field": "village_id",'
        ' "properties": {"village_id": {"type": "string"}}}',
        encoding="utf-8",
    )
    (root / "demo.village.yaml").write_text(
        "kind: ruleset\nid: demo.village\nversion: '2016'\ntitle: 村\nsubject: village\n"
        "effective: {from: 2016-01-01}\nsources: [{id: s, title: 测试}]\n"
        "criteria: [{id: c, label: 有编号, test: has(village_id)}]\n",
        encoding="utf-8",
    )
    with pytest.raises(fr.RuleFileError, match="适用于 village 记录, 不是 household"):
        fr.load_library(root, schemas=schemas)
    # A standard not loaded with it cannot be tried, and the report says so.
    (root / "demo.village.yaml").unlink()
    lib = _load(root)
    report = check_properties(lib, lib)
    assert any("不在所载规则中" in line for line in report.skipped)
