"""Expressions in plain Chinese (fupin_rules.site.prose): what each construct reads as, where
the words come from, and the canonical text where there are no words."""

from __future__ import annotations

import pytest

import fupin_rules as fr
from fupin_rules.language import FUNCTIONS, NUMBER, Scope, compile_expression
from fupin_rules.language import tree as t
from fupin_rules.loading.parts import PARAM_TYPES
from fupin_rules.site.prose import (
    WORDED_FUNCTIONS,
    Clause,
    Words,
    describe,
    formula,
    plain,
    value_in_period,
)


@pytest.fixture(scope="module")
def exit2016(bundled: fr.Library) -> fr.RuleSet:
    return bundled.get("gx.household.exit", version="2016")


def _scope(rs: fr.RuleSet, lib: fr.Library) -> Scope:
    return Scope(
        fields=rs.record_schema.fields,
        derived={d.name: d.expr.type for d in rs.derived},
        parameters={n: PARAM_TYPES[p.type] for n, p in rs.parameters.items()},
        codelists={k: dict(v.codes) for k, v in lib.codelists.items()},
    )


def _words(rs: fr.RuleSet, lib: fr.Library, text: str, expect: str | None = "boolean") -> str:
    tree = compile_expression(text, _scope(rs, lib), expect=expect).tree
    return plain(formula(tree, Words.of(rs)))


def test_a_threshold_reads_with_the_parameter_value_in_force(
    bundled: fr.Library, exit2016: fr.RuleSet
) -> None:
    got = plain(describe(exit2016.criterion("income_above_line").test.tree, Words.of(exit2016)))
    assert got == "家庭人均纯收入 高于 国家现行扶贫标准 (当年现价) (2952 元/人·年, 2016-01-01 起)"
    exit2017 = bundled.get("gx.household.exit", version="2017")
    got = plain(describe(exit2017.criterion("income_above_line").test.tree, Words.of(exit2017)))
    assert got == (
        "家庭稳定年人均纯收入 高于 国家现行扶贫标准 (当年现价) (2952 元/人·年, 2018-01-01 起,"
        " 未经来源确认; 此前的取值见参数表)"
    )


def test_a_constant_parameter_reads_without_a_date(
    bundled: fr.Library, exit2016: fr.RuleSet
) -> None:
    got = _words(exit2016, bundled, "farmland_per_person >= farmland_per_person_min")
    assert got == "人均耕地 不低于 人均耕地下限 (0.5 亩/人)"


def test_parameter_values_are_those_of_the_period_shown(
    bundled: fr.Library, exit2016: fr.RuleSet
) -> None:
    line = exit2016.parameters["income_line"]
    starts = [v.start for v in value_in_period(line, "2016-08-04", "2016-12-31")]
    assert starts == ["2016-01-01"]
    tree = exit2016.criterion("income_above_line").test.tree
    one_year = Words(exit2016, "2016-08-04", "2016-12-31")
    assert plain(describe(tree, one_year)).endswith("(2952 元/人·年, 2016-01-01 起)")
    later = bundled.get("gx.household.exit", version="2018")
    assert "(3218 元/人·年, 2020-01-01 起, 未经来源确认; " in plain(
        describe(later.criterion("income_above_line").test.tree, Words.of(later))
    )


def test_codes_read_as_their_labels(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    assert (
        _words(exit2016, bundled, "housing_structure in ['01', '02']")
        == "房屋主要结构 为 钢筋混凝土、砖混 之一"
    )
    assert _words(exit2016, bundled, "housing_structure in ['砖混']") == "房屋主要结构 为 砖混"
    assert (
        _words(exit2016, bundled, "housing_structure not in ['01', '02']")
        == "房屋主要结构 不为 钢筋混凝土、砖混 中任一项"
    )
    assert (
        _words(exit2016, bundled, "'因病' in other_poverty_causes")
        == "其他致贫原因 (最多2项) 包含 因病"
    )
    assert _words(exit2016, bundled, "main_poverty_cause != '1'") == "主要致贫原因 不为 因病"


def test_and_or_become_nested_lists(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    tree = compile_expression(
        "dangerous_house or (household_electricity and (tv_access or relocated))",
        _scope(exit2016, bundled),
    ).tree
    clause = describe(tree, Words.of(exit2016))
    assert clause.join == "any"
    assert [c.join for c in clause.items] == [None, "all"]
    assert [c.join for c in clause.items[1].items] == [None, "any"]
    assert plain(clause.items[0]) == "是否危房户 为 是"
    negated = describe(
        compile_expression("not (tv_access and relocated)", _scope(exit2016, bundled)).tree,
        Words.of(exit2016),
    )
    assert negated.join == "not_all"
    assert plain(negated) == (
        "以下各条不同时满足: (1) 是否通广播电视 (能看电视) 为 是; (2) 是否易地扶贫搬迁户 为 是"
    )


def test_inside_a_sentence_or_is_bracketed(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    got = _words(
        exit2016,
        bundled,
        "count(m for m in members if m.dibao or m.tekun) >= 1",
    )
    assert got == (
        "家庭成员中 （是否享受农村居民最低生活保障 为 是 或 是否特困供养人员 为 是） 的项数 不低于 1"
    )


def test_has_coalesce_and_negations(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    assert _words(exit2016, bundled, "has(exit_year)") == "已填写 脱贫年度"
    assert _words(exit2016, bundled, "not has(exit_year)") == "未填写 脱贫年度"
    assert _words(exit2016, bundled, "not coalesce(owns_vehicle, False)") == (
        "家庭成员名下有车 (比对) 为 否 (未填写按 否 计)"
    )
    assert _words(exit2016, bundled, "coalesce(farmland_area, 0) > 2") == (
        "耕地面积(亩) (未填写按 0 计) 高于 2"
    )
    assert _words(exit2016, bundled, "not (household_size > 3)") == "家庭人口数 不高于 3"
    assert _words(exit2016, bundled, "not tv_access") == "是否通广播电视 (能看电视) 为 否"


def test_aggregates(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    assert _words(exit2016, bundled, "any(m.dibao for m in members)") == (
        "家庭成员中 至少有一项: 是否享受农村居民最低生活保障 为 是"
    )
    assert _words(exit2016, bundled, "not any(m.dibao for m in members)") == (
        "家庭成员中 没有一项: 是否享受农村居民最低生活保障 为 是"
    )
    assert _words(
        exit2016, bundled, "all(m.medical_insurance for m in members if m.relation == '01')"
    ) == ("家庭成员中 凡 与户主关系 为 户主 的, 都: 是否参加城乡居民基本医疗保险(新农合) 为 是")
    assert _words(
        exit2016, bundled, "sum(m.migrant_work_months for m in members if m.dibao)", None
    ) == ("家庭成员中 是否享受农村居民最低生活保障 为 是 的各项 务工时间(月) 之和")
    assert _words(exit2016, bundled, "max(m.migrant_work_months for m in members)", None) == (
        "家庭成员 各项 务工时间(月) 的最大值"
    )
    assert _words(exit2016, bundled, "count(m for m in members)", None) == "家庭成员 的项数"


def test_chains_dates_and_functions(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    assert _words(exit2016, bundled, "all(6 <= age(m.birth_date) <= 15 for m in members)") == (
        "家庭成员 每一项都: 出生日期 至评估日期的周岁 不低于 6 且 不高于 15"
    )
    assert (
        _words(exit2016, bundled, "all(m.birth_date < '2000-01-01' for m in members)")
        == "家庭成员 每一项都: 出生日期 早于 “2000-01-01”"
    )
    assert _words(exit2016, bundled, "exit_year <= year(as_of)") == (
        "脱贫年度 不高于 评估日期 的年份"
    )
    assert _words(exit2016, bundled, "id_valid(head_id_number)") == (
        "户主证件号码 是有效的 18 位身份证号码"
    )
    assert _words(exit2016, bundled, "round(abs(net_income - wage_income), 1)", None) == (
        "（家庭纯收入(元) − 工资性收入(元)） 的绝对值 四舍五入保留 1 位小数"
    )


def test_arithmetic_brackets_only_where_needed(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    assert _words(exit2016, bundled, "(wage_income + net_income) / household_size", None) == (
        "（工资性收入(元) ＋ 家庭纯收入(元)） ÷ 家庭人口数"
    )
    assert _words(exit2016, bundled, "wage_income * 2 + net_income", None) == (
        "工资性收入(元) × 2 ＋ 家庭纯收入(元)"
    )
    assert _words(exit2016, bundled, "wage_income - (net_income - 1)", None) == (
        "工资性收入(元) − （家庭纯收入(元) − 1）"
    )
    assert _words(exit2016, bundled, "household_size % 2", None) == "家庭人口数 除以 2 的余数"


def test_if_else(bundled: fr.Library, exit2016: fr.RuleSet) -> None:
    derived = next(d for d in exit2016.derived if d.name == "per_capita_income")
    assert plain(formula(derived.expr.tree, Words.of(exit2016))) == (
        "若 已填写 家庭人均纯收入(元), 取 家庭人均纯收入(元); 否则取 （工资性收入(元) ＋"
        " 生产经营性收入(元) − 生产经营性支出(元) ＋ 财产性收入(元) ＋ 转移性收入(元)） ÷ 家庭人口数"
    )
    assert _words(exit2016, bundled, "tv_access if relocated else household_electricity") == (
        "若 是否易地扶贫搬迁户 为 是, 则须 是否通广播电视 (能看电视) 为 是;"
        " 否则须 是否通生活用电 为 是"
    )


def test_a_number_compared_with_a_derived_field_takes_its_unit(
    exit2016: fr.RuleSet,
) -> None:
    medical = exit2016.criterion("medical").test.tree
    assert plain(describe(medical, Words.of(exit2016))) == "未参加基本医疗保险的成员数 等于 0 人"


def test_decision_expressions_name_criteria(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.identification")
    assert rs.decision.expression is not None
    clause = describe(rs.decision.expression.tree, Words.of(rs))
    assert plain(clause.items[0]) == "家庭人均纯收入低于识别标准 达标或不适用"
    assert clause.items[0].pieces[0].link == "criterion-income_below_line"
    assert clause.items[1].join == "not_all"


def test_what_has_no_words_reads_as_its_canonical_text(exit2016: fr.RuleSet) -> None:
    size = t.Name("household_size", "field", NUMBER)
    unknown = t.Call("future_function", (size,), NUMBER)
    node = t.Compare((unknown, t.Const(1, NUMBER)), (">",))
    clause = describe(node, Words.of(exit2016))
    assert clause.pieces[0].kind == "code"
    assert plain(clause) == "future_function(household_size) 高于 1"
    counted = t.Aggregate(
        "count",
        "m",
        t.Name("members", "field", exit2016.record_schema.fields["members"]),
        (),
        t.Const(1, NUMBER),
        NUMBER,
    )
    assert [p.kind for p in formula(counted, Words.of(exit2016)).pieces] == ["code"]


def test_every_function_of_the_language_has_words() -> None:
    assert set(FUNCTIONS) <= WORDED_FUNCTIONS


def test_every_bundled_expression_is_worded(bundled: fr.Library) -> None:
    """No expression of the bundled standards falls back to its canonical text."""
    unworded = []
    for rs in bundled:
        words = Words.of(rs)
        expressions = [d.expr for d in rs.derived]
        expressions += [e for c in rs.criteria for e in (c.test, c.applies_if) if e is not None]
        expressions += [dc.key for dc in rs.dataset_checks]
        if rs.decision.expression is not None:
            expressions.append(rs.decision.expression)
        for e in expressions:
            if _has_code(formula(e.tree, words)):
                unworded.append(f"{rs.key}: {e.text}")
    assert unworded == []


def _has_code(clause: Clause) -> bool:
    return any(p.kind == "code" for p in clause.pieces) or any(_has_code(c) for c in clause.items)


def test_derived_fields_and_parameters_link_to_their_rows(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.exit", version="2017")
    clause = describe(rs.criterion("income_above_line").test.tree, Words.of(rs))
    links = [p.link for p in clause.pieces if p.link]
    assert links == ["derived-per_capita_income", "param-income_line"]
    marks = [p.text for p in clause.pieces if p.kind == "mark"]
    assert marks == ["未经来源确认"]
