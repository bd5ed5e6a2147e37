"""Applying a rule set: outcomes, findings, explanations, missing data, determinism."""

from __future__ import annotations

import copy
import functools
import json
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._canonical import dumps


@pytest.fixture
def rs2016(demo_lib: fr.Library) -> fr.RuleSet:
    """The demo standard of 2016, evaluated on 2016-11-20."""
    return demo_lib.get("demo.household", as_of="2016-11-20")


def test_passing_household_has_one_finding_per_criterion(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A household meeting every criterion passes, with a finding for each criterion in order."""
    result = rs2016.evaluate(demo_record)
    assert result.outcome == "pass"
    assert [f.criterion for f in result.findings] == [c.id for c in rs2016.criteria]
    assert result.ruleset == "demo.household@2016"
    assert result.fingerprint == rs2016.fingerprint
    assert result.as_of == "2016-11-20"
    assert result.record_id == "H1"
    income = result.finding("income")
    assert income.outcome == "pass"
    assert income.message == "人均纯收入 4000 元, 超过标准 2952 元"
    assert income.values == {"per_capita_income": Decimal(4000), "income_line": 2952}
    assert income.sources == ("《测试通知》(测发〔2016〕1号) 第一条",)


def test_income_exactly_at_the_line_fails(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """'超过' is strictly above: income exactly at the line fails, one fen above passes."""
    at_line = rs2016.evaluate({**demo_record, "net_income": 5904})
    assert at_line.outcome == "fail"
    assert at_line.finding("income").message == "人均纯收入 2952 元, 未超过标准 2952 元"
    above = rs2016.evaluate({**demo_record, "net_income": Decimal("5904.02")})
    assert above.finding("income").outcome == "pass"


def test_a_record_cannot_replace_a_parameter_or_the_date(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """Extra keys named like a parameter or ``as_of`` are the record's own business: the
    rule set's values stand, on the fast and the reference path alike."""
    from fupin_rules.evaluation import evaluate_reference

    at_line = {**demo_record, "net_income": 5904}
    hostile = {**at_line, "income_line": 0, "as_of": "1999-01-01"}
    for evaluate in (rs2016.evaluate, functools.partial(evaluate_reference, rs2016)):
        result = evaluate(hostile)
        assert result.finding("income").outcome == "fail"
        assert result.finding("income").values["income_line"] == 2952
        plain = evaluate(at_line)
        assert result.input_digest != plain.input_digest  # the inputs differ
        same = {"input_digest": None, "checked": None}
        assert attrs.evolve(result, **same).to_json() == attrs.evolve(plain, **same).to_json()


def test_parameter_by_date(demo_lib: fr.Library, demo_record: dict) -> None:
    """The income line is chosen by the evaluation date, and an unconfirmed value is flagged."""
    rs = demo_lib.get("demo.household", version="2016")
    result = rs.evaluate({**demo_record, "net_income": 6200}, as_of="2017-06-01")
    finding = result.finding("income")
    assert finding.values["income_line"] == 3335
    assert finding.outcome == "fail"
    assert finding.unconfirmed
    assert finding.message.endswith("(注意: 该指标的检验方法或所用参数未经来源确认)")


def test_veto_fails_the_record_and_reference_does_not(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A veto hit fails the record; a failed reference indicator is reported but never blocks."""
    veto = rs2016.evaluate({**demo_record, "owns_vehicle": True})
    assert veto.outcome == "fail"
    assert [f.criterion for f in veto.failed] == ["no_vehicle"]
    reference = rs2016.evaluate({**demo_record, "attribute": "01"})
    assert reference.outcome == "pass"
    assert reference.finding("attribute_known").outcome == "fail"


def test_code_labels_in_records_are_accepted(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """A coded field written as its label is read as the code; an unknown code is invalid."""
    assert (
        rs2016.evaluate({**demo_record, "attribute": "低保贫困户"})
        .finding("attribute_known")
        .outcome
        == "pass"
    )
    bad = rs2016.evaluate({**demo_record, "attribute": "五保户"})
    assert bad.outcome == "invalid"
    assert bad.reasons == (
        "「贫困户属性」: '五保户' 不在代码表「贫困户属性」中 (可选: 01 一般贫困户、04 低保贫困户)",
    )


def test_missing_field_makes_criterion_unknown_and_record_invalid(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A missing field needed by a blocking criterion: that criterion is unknown, naming the
    field; the record is invalid with the reason; other criteria are still judged."""
    record = {k: v for k, v in demo_record.items() if k != "net_income"}
    result = rs2016.evaluate(record)
    assert result.outcome == "invalid"
    income = result.finding("income")
    assert income.outcome == "unknown"
    assert income.message == "无法判定: 无法计算「人均纯收入」: 缺少「家庭纯收入」(net_income)"
    assert result.finding("housing").outcome == "pass"
    assert result.reasons == (
        "「人均纯收入超过标准」无法判定: 无法计算「人均纯收入」: 缺少「家庭纯收入」(net_income)",
    )


def test_null_counts_as_missing_and_fail_beats_unknown(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A null value is missing; when another blocking criterion fails, the record fails."""
    result = rs2016.evaluate({**demo_record, "net_income": None, "housing_area": 10})
    assert result.finding("income").outcome == "unknown"
    assert result.outcome == "fail"


def test_wrong_type_makes_record_invalid_with_field_named(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A value of the wrong type: the record is invalid and the reason names the field."""
    result = rs2016.evaluate({**demo_record, "household_size": "两口"})
    assert result.outcome == "invalid"
    assert result.findings == ()
    assert result.reasons == ("「家庭人口数」: 应为整数, 实际是 '两口'",)


def test_not_a_mapping_is_invalid(rs2016: fr.RuleSet) -> None:
    """A record that is not an object is invalid, not an exception."""
    for record in ([1, 2], "x", None, 3):
        result = rs2016.evaluate(record)
        assert result.outcome == "invalid"
        assert result.record_id is None


def test_per_member_criterion_names_the_member(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """A for_each criterion reports the members that did not pass, with their ids."""
    record = copy.deepcopy(demo_record)
    record["members"][1]["enrolled"] = False
    result = rs2016.evaluate(record)
    edu = result.finding("education")
    assert edu.outcome == "fail"
    assert result.outcome == "fail"
    assert [(i.index, i.item_id, i.outcome) for i in edu.items] == [
        (0, "11010519491231002X", "not_applicable"),
        (1, "440524188001010014", "fail"),
    ]
    assert edu.message == "第 2 项(440524188001010014): 440524188001010014 适龄未入学"
    assert edu.items[1].values == {
        "as_of": "2016-11-20",
        "m.birth_date": "2010-01-01",
        "m.enrolled": False,
        "m.id_number": "440524188001010014",
    }


def test_revision_resolves_delta(demo_lib: fr.Library, demo_record: dict) -> None:
    """The 2018 revision merges criteria key by key, adds and removes criteria, and a null
    parameter value makes the income criterion unknown rather than inventing a line."""
    rs = demo_lib.get("demo.household", as_of="2018-11-20")
    assert rs.version == "2018"
    assert [c.id for c in rs.criteria] == ["income", "housing", "education", "no_vehicle", "water"]
    housing = rs.criterion("housing")
    assert (housing.severity, housing.label, housing.test.source) == (
        "reference",
        "有住房保障 (参考)",
        "housing_area / household_size >= min_area",
    )
    result = rs.evaluate(demo_record)
    assert (
        result.finding("income").message == "无法判定: 参数「收入标准」在 2018-11-20 没有已确认的值"
    )
    assert result.outcome == "invalid"
    supplied = rs.with_parameters({"income_line": "3535"})
    assert supplied.fingerprint != rs.fingerprint
    assert supplied.evaluate(demo_record).outcome == "pass"


def test_result_to_dict_is_plain_json(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """to_dict gives JSON-ready data with exact numbers."""
    data = rs2016.evaluate({**demo_record, "net_income": Decimal("8000.50")}).to_dict()
    text = dumps(data)
    assert json.loads(text)["findings"][0]["values"]["per_capita_income"] == 4000.25
    assert '"per_capita_income":4000.25' in text


def test_evaluate_many_streams_one_result_per_input(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """evaluate_many yields exactly one result per input, in order, including bad inputs."""
    inputs = [demo_record, "not a record", {**demo_record, "household_id": "H2", "net_income": 1}]
    results = list(rs2016.evaluate_many(iter(inputs)))
    assert [r.outcome for r in results] == ["pass", "invalid", "fail"]
    assert [r.record_id for r in results] == ["H1", None, "H2"]


def test_evaluation_does_not_change_the_record(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """Isolation: the record is the same before and after evaluation."""
    before = copy.deepcopy(demo_record)
    rs2016.evaluate(demo_record)
    assert demo_record == before


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
    ),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)
_records = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "household_id",
                "household_size",
                "net_income",
                "housing_area",
                "attribute",
                "owns_vehicle",
                "members",
                "division_code",
            ]
        ),
        _values,
    ),
    _values,
)


@given(st.lists(_records, max_size=8))
def test_any_input_gives_one_result_each_and_is_deterministic(records: list) -> None:
    """Property: every input yields exactly one result, never an exception, and evaluating
    again gives byte-identical JSON (determinism)."""
    from .conftest import FIXTURES

    rs = _cached_rs(FIXTURES)
    first = [dumps(r.to_dict()) for r in rs.evaluate_many(records)]
    second = [dumps(r.to_dict()) for r in rs.evaluate_many(copy.deepcopy(records))]
    assert len(first) == len(records)
    assert first == second


_RS: dict[str, fr.RuleSet] = {}


def _cached_rs(fixtures) -> fr.RuleSet:
    if "rs" not in _RS:
        _RS["rs"] = fr.load_library(fixtures / "lib", schemas=fixtures / "schemas").get(
            "demo.household", as_of="2016-11-20"
        )
    return _RS["rs"]


def test_per_member_criterion_without_a_list_is_not_applicable(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A per-item criterion over an absent list has nothing to check: not applicable."""
    record = {k: v for k, v in demo_record.items() if k != "members"}
    assert rs2016.evaluate(record).finding("education").outcome == "not_applicable"


def test_to_json_is_exact_and_canonical(rs2016: fr.RuleSet, demo_record: dict) -> None:
    """Result.to_json writes exact decimals with sorted keys, the bytes the CLI writes."""
    text = rs2016.evaluate({**demo_record, "net_income": Decimal("12345678901234567.25")}).to_json()
    assert '"per_capita_income":6172839450617283.625' in text
    assert json.loads(text)["record_id"] == "H1"


def test_messages_round_long_decimals_but_values_stay_exact() -> None:
    """A non-terminating per-capita figure is shown as 约 x.xx; the finding's value is exact."""
    from fupin_rules.model import display

    assert display(Decimal(7) / 3) == "约 2.33"
    assert display(Decimal("3534.999")) == "约 3535"
    assert display(Decimal("1.25")) == "1.25"
    assert display(Decimal("2.00")) == "2"


def test_results_do_not_depend_on_the_callers_decimal_context(
    rs2016: fr.RuleSet, demo_record: dict
) -> None:
    """A caller who lowers decimal precision gets the same result bytes (reproducibility)."""
    import decimal

    record = {**demo_record, "net_income": Decimal("5904.0000001")}
    expected = rs2016.evaluate(record).to_json()
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        assert rs2016.evaluate(record).to_json() == expected
        from fupin_rules.evaluation import evaluate_reference

        assert evaluate_reference(rs2016, record).to_json() == expected
