"""cn.record.quality: ID numbers (GB 11643 examples), per-member findings, dataset checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.quality import run_dataset_checks

# The published examples of domain notes §8: valid, and the one negative example.
VALID = [
    "11010519491231002X",
    "440524188001010014",
    "34052419800101001X",
    "370101190102039973",
    "513101198201130014",
    "120223198902021249",
    "130132199210293822",
]
INVALID = [
    "130402198207290622",  # published negative example: the check character should be 4
    "130402198207290624"[:-1] + "5",
    "11010519491231002",  # 17 characters
    "11010519491231002X0",  # 19 characters
    "110105194902300021",  # 1949-02-30 does not exist (check character recomputed below)
    "11010519491231002x".replace("x", "Y"),
    "",
]


@pytest.fixture(scope="module")
def rs() -> fr.RuleSet:
    return fr.load_library().get("cn.record.quality", as_of="2018-12-01")


def household(members: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "household_id": extra.pop("household_id", "H1"),
        "division_code": "451025101201",
        "household_size": len(members),
        **extra,
        "members": members,
    }


def head(id_number: str, **extra: Any) -> dict[str, Any]:
    return {"name": "某", "relation": "01", "id_number": id_number, **extra}


@pytest.mark.parametrize("number", VALID)
def test_published_valid_numbers(rs: fr.RuleSet, number: str) -> None:
    assert fr.id_valid(number)
    result = rs.evaluate(household([head(number)]))
    # the quality check also refuses birth dates before 1900 (440524188001010014: 1880)
    expected = "pass" if number[6:10] >= "1900" else "fail"
    assert result.finding("id_number_valid").outcome == expected


@pytest.mark.parametrize("number", INVALID)
def test_invalid_numbers(rs: fr.RuleSet, number: str) -> None:
    assert not fr.id_valid(number)
    if number:
        f = rs.evaluate(household([head(number)])).finding("id_number_valid")
        assert f.outcome == "fail"
        assert f.items[0].index == 0
        assert number in f.items[0].message


def test_check_digit_worked_examples() -> None:
    # domain notes §8: S = 167, Y = 2 -> X; S = 184, Y = 8 -> 4
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    s1 = sum(int(c) * w for c, w in zip("11010519491231002", weights, strict=True))
    s2 = sum(int(c) * w for c, w in zip("51310119820113001", weights, strict=True))
    assert (s1, s1 % 11) == (167, 2)
    assert (s2, s2 % 11) == (184, 8)


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_exactly_one_check_character_is_valid(number: str) -> None:
    body = number[:17]
    valid = [c for c in "0123456789X" if fr.id_valid(body + c)]
    assert len(valid) <= 1  # none when the birth date is not a real date


def test_birth_date_and_sex_from_the_id(rs: fr.RuleSet) -> None:
    members = [
        head("11010519491231002X", sex="女", birth_date="1949-12-31"),
        {"name": "甲", "relation": "02", "id_number": "440524188001010014", "sex": "女"},
        {
            "name": "乙",
            "relation": "03",
            "id_number": "513101198201130014",
            "birth_date": "1982-01-14",
        },
    ]
    result = rs.evaluate(household(members))
    sex = result.finding("id_sex")
    assert sex.outcome == "fail"
    assert [i.index for i in sex.items if i.outcome == "fail"] == [1]
    birth = result.finding("id_birth_date")
    assert [i.index for i in birth.items if i.outcome == "fail"] == [2]
    assert "1982-01-14" in birth.items[-1].message


def test_primary_school_age(rs: fr.RuleSet) -> None:
    members = [
        head("11010519491231002X"),
        {"name": "小", "relation": "03", "birth_date": "2013-01-01", "school_status": "小学"},
        {"name": "中", "relation": "03", "birth_date": "2004-01-01", "school_status": "小学"},
        {"name": "大", "relation": "03", "birth_date": "2003-12-01", "school_status": "小学"},
    ]
    f = rs.evaluate(household(members)).finding("primary_school_age")
    # on 2018-12-01: 5 (too young), 14 (fine), 15 (too old)
    assert [i.index for i in f.items if i.outcome == "fail"] == [1, 3]


def test_size_income_and_exit(rs: fr.RuleSet) -> None:
    record = household(
        [head("11010519491231002X")],
        household_size=2,
        net_income=9000,
        per_capita_net_income=4500,
        exit_status="已脱贫(享受政策)",
    )
    result = rs.evaluate(record)
    assert result.finding("household_size").outcome == "fail"
    assert result.finding("per_capita_income").outcome == "pass"
    assert result.finding("exited_has_year").outcome == "fail"
    record["per_capita_net_income"] = 4502
    assert rs.evaluate(record).finding("per_capita_income").outcome == "fail"


def test_dataset_checks(rs: fr.RuleSet) -> None:
    a = household([head("11010519491231002X")], household_id="H1")
    b = household(
        [head("440524188001010014"), {"name": "x", "id_number": "11010519491231002X"}],
        household_id="H2",
    )
    c = household([head("34052419800101001X")], household_id="H2")
    items = [
        InputRecord(source="f:1", record=a),
        InputRecord(source="f:2-3", record=b),
        InputRecord(source="f:4", record=c),
        InputRecord(source="f:5", error="bad"),
    ]
    found = {f.check: f for f in run_dataset_checks(rs, items)}
    two = found["person_in_two_households"]
    assert two.key == "11010519491231002X"
    assert [(o.record_id, o.index) for o in two.occurrences] == [("H1", 0), ("H2", 1)]
    dup = found["duplicate_household_id"]
    assert [o.source for o in dup.occurrences] == ["f:2-3", "f:4"]
    assert "duplicate_id_in_household" not in found


def test_same_id_twice_in_one_household(rs: fr.RuleSet) -> None:
    rec = household([head("11010519491231002X"), {"name": "y", "id_number": "11010519491231002X"}])
    found = {f.check for f in run_dataset_checks(rs, [rec])}
    assert "duplicate_id_in_household" in found
    assert "person_in_two_households" not in found


def test_examples_of_the_rule_set_pass(rs: fr.RuleSet) -> None:
    from fupin_rules.testing import run_examples

    lib = fr.load_library()
    report = run_examples([lib.get("cn.record.quality", version="2014")])
    assert not report.failures, report.failures
    assert report.total >= 8
