"""Issue 14: the 2017 certification tables as rule sets, and the ID checks they rely on.

The rule files carry their own examples (run by ``fupin-rules test``); these tests pin what the
examples cannot: the order of the versions in time, what ``diff`` shows between them, and the
behaviour of the language's ID functions on text with surrounding whitespace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules._yaml import read_yaml
from fupin_rules.compare import diff
from fupin_rules.language import runtime

STANDARDS = Path(__file__).resolve().parent.parent / "standards"

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize(
    "text",
    [VALID_ID + "\n", VALID_ID + " ", " " + VALID_ID, "\n" + VALID_ID, VALID_ID + "\r\n"],
)
def test_id_functions_refuse_surrounding_whitespace(text: str) -> None:
    """A trailing newline used to pass (``$`` matches before it); no whitespace passes now."""
    assert runtime.id_valid(VALID_ID)
    assert not runtime.id_valid(text)
    with pytest.raises(fr.EvaluationError):
        runtime.id_birth_date(text)
    with pytest.raises(fr.EvaluationError):
        runtime.id_sex(text)


@pytest.fixture(scope="module")
def bundled() -> fr.Library:
    return fr.load_library()


def test_versions_follow_each_other_in_time(bundled: fr.Library) -> None:
    """2016 ends the day before 2017 starts, 2017 the day before 2018; each day picks one."""
    for sid in ("gx.household.exit", "gx.village.exit"):
        assert bundled.get(sid, as_of="2016-12-31").version == "2016"
        assert bundled.get(sid, as_of="2017-01-01").version == "2017"
        assert bundled.get(sid, as_of="2017-11-20").version == "2017"
        assert bundled.get(sid, as_of="2018-09-29").version == "2017"
        assert bundled.get(sid, as_of="2018-09-30").version == "2018"
        assert bundled.get(sid, version="2018").extends == "2017"


def test_village_diff_2016_2017_shows_thresholds_and_amounts(bundled: fr.Library) -> None:
    lines = [
        str(c)
        for c in diff(
            bundled.get("gx.village.exit", version="2016"),
            bundled.get("gx.village.exit", version="2017"),
        )
    ]
    assert "~ 参数 household_share_min 的取值: 自 0001-01-01: 95 → 98" in lines
    assert "~ 参数 resident_share_min 的取值: 自 0001-01-01: 95 → 98" in lines
    income = next(line for line in lines if "新增参数 collective_income_min" in line)
    assert "自 2017-01-01: 2;" in income
    assert "自 2020-01-01: 5 万元" in income
    assert "自 2018-01-01: 2 [未确认]" in income


def _village(**changes: object) -> dict[str, object]:
    """A village meeting every 2017 item, with ``changes`` applied."""
    base = read_yaml(STANDARDS / "gx.village.exit" / "2017.yaml").data["example_base"]
    return {**base, "village_id": "V-97.9", **changes}


def test_village_at_97_9_percent_passes_2016_fails_2017(bundled: fr.Library) -> None:
    village = _village(
        households_total=1000,
        households_housing_secured=979,
        households_water_solved=990,
        households_safe_water=990,
        households_electricity=1000,
        households_tv_or_online=1000,
        health_room=True,
        tv_channels_available=True,
        left_behind_children_care=True,
        committee_assessed_good=True,
    )
    old = bundled.get("gx.village.exit", version="2016").evaluate(village, as_of="2016-11-20")
    new = bundled.get("gx.village.exit", version="2017").evaluate(village, as_of="2017-11-20")
    assert old.outcome == "pass"
    assert old.finding("housing").outcome == "pass"
    assert new.outcome == "fail"
    assert [f.criterion for f in new.findings if f.outcome == "fail"] == ["housing"]
    at_98 = {**village, "households_housing_secured": 980}
    again = bundled.get("gx.village.exit", version="2017").evaluate(at_98, as_of="2017-11-20")
    assert again.outcome == "pass"


def test_2018_keeps_the_2017_tests_and_splits_the_village_items(bundled: fr.Library) -> None:
    """The 2018 versions change names and severities, never a test or a threshold."""
    for sid in ("gx.household.exit", "gx.village.exit"):
        a, b = bundled.get(sid, version="2017"), bundled.get(sid, version="2018")
        fields = {c.field for c in diff(a, b) if c.kind != "ruleset"}
        assert fields <= {"label", "severity", "sources", "unconfirmed", "note", "not_applicable",
                          "pass", "fail"}, fields  # fmt: skip
        assert {c.kind for c in diff(a, b)} <= {"ruleset", "criterion"}


# The made-up "poverty line" series of domain notes §9.6 (2800 × 1.06ⁿ, and a Hubei projection):
# none of their values may stand in any rule file as a parameter value.
MADE_UP_LINES = {2968, 3146, 3335, 3535, 3747, 3072, 3255, 3449, 3655, 3873, 4103}


def test_no_made_up_poverty_line_is_encoded(bundled: fr.Library) -> None:
    for rs in bundled:
        for name, param in rs.parameters.items():
            for value in param.values:
                assert value.value not in MADE_UP_LINES, f"{rs.key} {name} from {value.start}"


def test_every_source_says_what_kind_it_is(bundled: fr.Library) -> None:
    kinds = {"official", "news", "third-party", "translation", "code", "inferred"}
    for rs in bundled:
        for source in rs.sources:
            assert source.reliability in kinds, f"{rs.key} {source.id}"


def test_2017_criteria_cite_the_certification_tables(bundled: fr.Library) -> None:
    """Every criterion of the 2017 household and village versions cites the 2017 table, and none
    cites the machine translation any more."""
    for sid, table in (
        ("gx.household.exit", "pgfp_2017_table"),
        ("gx.village.exit", "pgfp_village_2017"),
    ):
        rs = bundled.get(sid, version="2017")
        for c in rs.criteria:
            ids = [cit.source.id for cit in c.citations]
            assert table in ids, f"{sid} {c.id}"
            assert not any(cit.source.reliability == "translation" for cit in c.citations), c.id


@pytest.mark.parametrize(
    ("number", "as_of", "outcome"),
    [
        ("11010519491231002X", "2018-11-20", "pass"),
        ("440524188001010014", "2018-11-20", "fail"),  # born 1880: before 1900
        ("120223198902021249", "1989-02-02", "pass"),  # born on the evaluation date
        ("120223198902021249", "1989-02-01", "fail"),  # born after the evaluation date
        ("11010519491231002X ", "2018-11-20", "fail"),
        ("110105491231002", "2018-11-20", "fail"),  # 15 digits: to be upgraded
    ],
)
def test_quality_id_check(bundled: fr.Library, number: str, as_of: str, outcome: str) -> None:
    rs = bundled.get("cn.record.quality", version="2014")
    record = {
        "household_id": "H1",
        "division_code": "451025101201",
        "household_size": 1,
        "members": [{"name": "某", "relation": "01", "id_number": number}],
    }
    assert rs.evaluate(record, as_of=as_of).finding("id_number_valid").outcome == outcome
