"""The library of versions: as-of selection, exact versions, fingerprints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr

from .conftest import FIXTURES


def test_as_of_selects_the_version_in_force(demo_lib: fr.Library) -> None:
    """The version in force on a day is chosen, and evaluates on that day by default."""
    assert demo_lib.get("demo.household", as_of="2017-12-31").version == "2016"
    rs = demo_lib.get("demo.household", as_of="2018-01-01")
    assert (rs.version, rs.default_as_of) == ("2018", "2018-01-01")
    assert [r.version for r in demo_lib.versions("demo.household")] == ["2016", "2018"]


def test_exact_version_for_auditors(demo_lib: fr.Library) -> None:
    """An exact historical version can be chosen, and evaluated on any date."""
    rs = demo_lib.get("demo.household", version="2016", as_of="2018-11-20")
    assert (rs.version, rs.default_as_of) == ("2016", "2018-11-20")


def test_not_found_errors_suggest(demo_lib: fr.Library) -> None:
    """Unknown ids, versions and days without a version give errors with suggestions."""
    with pytest.raises(
        fr.NotFoundError, match=r"没有标准 'demo.houshold' \(是否要找: demo.household\?\)"
    ):
        demo_lib.get("demo.houshold", as_of="2018-01-01")
    with pytest.raises(fr.NotFoundError, match=r"没有版本 '2017' \(是否要找: 2016, 2018\?\)"):
        demo_lib.get("demo.household", version="2017")
    with pytest.raises(fr.NotFoundError, match="在 2015-06-01 没有施行中的版本"):
        demo_lib.get("demo.household", as_of="2015-06-01")
    with pytest.raises(fr.UsageError, match="真实日期"):
        demo_lib.get("demo.household", as_of="2018-02-30")


def _copy_lib(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "lib", tmp_path / "lib")
    return tmp_path / "lib" / "demo.household" / "2016.yaml"


def _fingerprint(root: Path, version: str = "2016") -> str:
    return (
        fr.load_library(root, schemas=FIXTURES / "schemas")
        .get("demo.household", version=version)
        .fingerprint
    )


def test_fingerprint_ignores_comments_order_and_formatting(tmp_path: Path) -> None:
    """Comments, key order, quoting and expression spacing do not change the fingerprint."""
    path = _copy_lib(tmp_path)
    before = _fingerprint(tmp_path / "lib")
    text = path.read_text(encoding="utf-8")
    text = "# 注释\n" + text.replace("title: 测试标准\n", "").replace(
        "kind: ruleset\n", "kind: ruleset\ntitle: '测试标准'\n"
    )
    text = text.replace(
        "test: per_capita_income > income_line", "test: per_capita_income>income_line  # 超过"
    )
    path.write_text(text, encoding="utf-8")
    assert _fingerprint(tmp_path / "lib") == before


@given(st.integers(min_value=1, max_value=100_000).filter(lambda n: n != 13))
def test_fingerprint_changes_with_any_threshold(
    tmp_path_factory: pytest.TempPathFactory, line: int
) -> None:
    """Property: changing a threshold always changes the fingerprint of the resolved rule set
    and of the revision that inherits it."""
    tmp = tmp_path_factory.mktemp("fp")
    path = _copy_lib(tmp)
    base = _FP.setdefault("base", (_fingerprint(tmp / "lib"), _fingerprint(tmp / "lib", "2018")))
    text = path.read_text(encoding="utf-8").replace("    value: 13\n", f"    value: {line}\n")
    assert f"value: {line}\n" in text
    path.write_text(text, encoding="utf-8")
    assert _fingerprint(tmp / "lib") != base[0]
    assert _fingerprint(tmp / "lib", "2018") != base[1]


_FP: dict[str, tuple[str, str]] = {}


def test_fingerprint_format(demo_lib: fr.Library) -> None:
    """Fingerprints are sha256 of the canonical resolved rule set."""
    rs = demo_lib.get("demo.household", version="2018")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", rs.fingerprint)
    assert rs.to_dict()["criteria"][1]["severity"] == "reference"


def test_bundled_library_loads_and_every_version_is_distinct(bundled: fr.Library) -> None:
    """The bundled standards load, and each version has its own fingerprint."""
    prints = [rs.fingerprint for rs in bundled]
    assert len(prints) == len(set(prints)) >= 6
    for rid in (
        "gx.household.exit",
        "gx.village.exit",
        "gx.county.exit",
        "gx.household.identification",
    ):
        assert bundled.versions(rid)


def test_bundled_examples_all_pass(bundled: fr.Library) -> None:
    """Every example embedded in the bundled standards gives its expected outcome."""
    report = fr.run_examples(bundled)
    assert report.total >= 50
    assert [str(f) for f in report.failures] == []


def test_label_in_a_list_of_codes_field_of_the_real_schema(tmp_path: Path) -> None:
    """With the bundled household schema, a label tested against a list-of-codes field is
    translated to its code at load, and a misspelt label is refused."""
    rule = (
        "kind: ruleset\nid: t.causes\nversion: '1'\ntitle: t\nsubject: household\n"
        "effective: {from: 2018-01-01}\nsources: [{id: s, title: s}]\n"
        "criteria:\n  - id: ill\n    label: 因病\n    test: \"'因病' in other_poverty_causes\"\n"
    )
    (tmp_path / "t.yaml").write_text(rule, encoding="utf-8")
    rs = fr.load_library(tmp_path).get("t.causes", version="1")
    code = next(
        c
        for c, label in rs.record_schema.codelists["poverty_cause"].codes.items()
        if label == "因病"
    )
    record = {"household_id": "H", "other_poverty_causes": [code]}
    assert rs.evaluate(record, as_of="2018-11-20").finding("ill").outcome == "pass"
    (tmp_path / "t.yaml").write_text(rule.replace("'因病' in", "'因懒' in"), encoding="utf-8")
    with pytest.raises(fr.RuleFileError, match="'因懒' 不在代码表 poverty_cause 中"):
        fr.load_library(tmp_path)
