"""The rule language: what it accepts, what it refuses, and that both evaluators agree."""

from __future__ import annotations

import ast
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_rules.errors import EvaluationError, ExpressionError
from fupin_rules.language import (
    BOOLEAN,
    DATE,
    NUMBER,
    STRING,
    Scope,
    Type,
    compile_expression,
    id_valid,
)
from fupin_rules.language.rows import RUNTIME

MEMBER = {
    "birth_date": DATE,
    "enrolled": BOOLEAN,
    "income": NUMBER,
    "status": Type("code", codelist="school"),
    "id_number": STRING,
}
SCOPE = Scope(
    fields={
        "net_income": NUMBER,
        "size": NUMBER,
        "attr": Type("code", codelist="attr"),
        "members": Type("list", fields=MEMBER),
        "id_number": STRING,
        "note": STRING,
        "flag": BOOLEAN,
        "built": DATE,
    },
    parameters={"line": NUMBER},
    codelists={
        "attr": {"01": "一般贫困户", "04": "低保贫困户"},
        "school": {"1": "非在校生", "2": "小学"},
    },
)
ENV = {
    "net_income": Decimal("10605"),
    "size": 3,
    "line": 3535,
    "attr": "04",
    "as_of": "2018-11-20",
    "flag": True,
    "note": "x",
    "built": "2015-06-01",
    "id_number": "11010519491231002X",
    "members": [
        {
            "birth_date": "2010-01-01",
            "enrolled": True,
            "income": Decimal("1.5"),
            "status": "2",
            "id_number": "a",
        },
        {
            "birth_date": "1980-05-05",
            "enrolled": False,
            "income": 2,
            "status": "1",
            "id_number": "b",
        },
        {
            "birth_date": "2012-11-21",
            "enrolled": False,
            "income": 0,
            "status": "1",
            "id_number": "c",
        },
    ],
}


def run(source: str, env: dict[str, object] | None = None) -> object:
    """Evaluate with both evaluators and insist they agree."""
    expr = compile_expression(source, SCOPE, expect=None)
    env = ENV if env is None else env
    compiled, interpreted = expr.evaluate(env), expr.interpret(env)
    assert compiled == interpreted
    assert type(compiled) is type(interpreted)
    return compiled


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("net_income / size > line", False),  # 10605 / 3 == 3535 exactly: not above
        ("net_income / size >= line", True),
        ("0.1 + 0.2 == 0.3", True),  # exact decimals
        ("attr == '低保贫困户'", True),  # a label is translated to its code at load
        ("attr in ['一般贫困户', '04']", True),
        ("attr not in ['01']", True),
        ("all(m.enrolled for m in members if 6 <= age(m.birth_date) <= 15)", True),
        ("count(m for m in members if age(m.birth_date) >= 16)", 1),
        ("count(m.status == '小学' for m in members)", 1),
        ("sum(m.income for m in members)", Decimal("3.5")),
        ("max(age(m.birth_date) for m in members)", 38),
        ("min(age(m.birth_date) for m in members)", 5),
        ("any(not m.enrolled for m in members)", True),
        ("len(members)", 3),
        ("net_income // 4 + net_income % 4", Decimal("2652")),
        ("'a' if net_income > 1 else 'b'", "a"),
        ("round(net_income / size / 7, 2)", Decimal("505.00")),
        ("abs(0 - line)", 3535),
        ("id_valid(id_number)", True),
        ("id_birth_date(id_number)", "1949-12-31"),
        ("id_sex(id_number)", "女"),
        ("year(built)", 2015),
        ("age_at(built, '2018-06-01')", 3),
        ("days_between(built, as_of)", 1268),
        (
            "has(net_income) and not has(missing_is_unknown_name_but_never_read) if false else true",
            True,
        ),
        ("note + '!'", "x!"),
        ("flag and true", True),
        ("-line < 0", True),
    ],
)
def test_accepted_expressions(source: str, expected: object) -> None:
    """Accepted expressions give the expected value in both evaluators."""
    if "missing_is_unknown" in source:
        with pytest.raises(ExpressionError, match="未知名称"):
            compile_expression(source, SCOPE)
        return
    assert run(source) == expected


def test_age_is_full_years_on_the_evaluation_date() -> None:
    """age() counts full years on as_of: the day before a birthday is still the lower age."""
    assert run("min(age(m.birth_date) for m in members)") == 5  # born 2012-11-21, as_of 11-20
    env = {**ENV, "as_of": "2018-11-21"}
    assert run("min(age(m.birth_date) for m in members)", env) == 6


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("x.__class__", "不允许访问 __class__"),
        ("().__class__.__bases__[0].__subclasses__()", "只能调用规则语言的函数"),
        ("'{0.__class__}'.format(line)", "只能调用规则语言的函数"),
        ("__import__('os').system('id')", "只能调用规则语言的函数"),
        ("__import__('os')", "未知函数 '__import__'"),
        ("open('/etc/passwd')", "未知函数 'open'"),
        ("eval('1')", "未知函数 'eval'"),
        ("rand()", "未知函数 'rand'"),
        ("line ** 2", "不支持运算符 **"),
        ("4000000 ** 4000000", "不支持运算符 **"),
        ("'x' * 100000000", "算术运算需要数值"),
        ("note.ljust(100000000)", "只能调用规则语言的函数"),
        ("members.clear()", "只能调用规则语言的函数"),
        ("members.items", "只能在 for 循环变量上取字段"),
        ("lambda: 1", "不支持 lambda"),
        ("(x := 1)", "不支持赋值"),
        ("[m for m in members]", "列表推导"),
        ("{m: 1 for m in members}", "字典推导"),
        ("f'{line}'", "f 字符串"),
        ("members[0]", "不支持下标"),
        ("net_incme > 1", "是否要找: net_income"),
        ("attr == '五保户'", "不在代码表 attr 中"),
        ("net_income > 'a'", "不能比较数值和文本"),
        ("net_income if 1 else 2", "这里需要是/否"),
        ("net_income", "结果须为是/否"),
        ("a = 1", "比较相等请用 =="),
        ("-" * 100 + "1 > 0", "嵌套超过 40 层"),
        ("(" * 300 + "1" + ")" * 300 + " > 0", "表达式"),
        ("1+" * 450 + "1 > 0", "过于复杂"),
        ("x" * 2001, "超过 2000 字"),
        ("9" * 40 + " > 1", "超出范围: 绝对值须小于 1E+24"),
        ("0." + "1" * 31 + " > 1", "位数过多 (31 位): 整数位与小数位合计最多 30 位"),
        ("sum(members)", "sum() 需要写成 sum(m.字段 for m in members)"),
        ("count(m for m in members for n in members)", "只支持一层 for"),
        ("age(net_income) > 1", "age() 的第 1 个参数须是日期"),
        ("round(1, 2, 3) > 1", "round() 需要 1 到 2 个参数"),
        ("_secret > 1", "下划线开头"),
        ("line is None", "不支持 is"),
        ("attr < '04'", "不能比较"),
        ("1j > 0", "不支持的常量"),
    ],
)
def test_refused_expressions(source: str, fragment: str) -> None:
    """Escapes, resource attacks and mistakes are refused at load, with a plain message."""
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, SCOPE)
    assert fragment in str(info.value)


def test_problem_carries_position() -> None:
    """A refused expression names file, line and the column of the offending part."""
    with pytest.raises(ExpressionError) as info:
        compile_expression(
            "size > 1 and net_incme > 2",
            SCOPE,
            file="r.yaml",
            line=7,
            column=11,
            path="criteria[0].test",
        )
    p = info.value.problem
    assert (p.file, p.line, p.column, p.path, p.code) == (
        "r.yaml",
        7,
        24,
        "criteria[0].test",
        "expr.unknown-name",
    )


def test_generated_code_has_no_builtins_and_only_checked_names() -> None:
    """The generated evaluator reads names from the environment only and calls the fixed table."""
    expr = compile_expression(
        "count(m for m in members if age(m.birth_date) >= 16) > size / 2", SCOPE
    )
    tree = ast.parse(expr.python)
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    # Only the language's run-time table: its operators and functions, by fixed names.
    assert called <= set(RUNTIME) - {"__builtins__"}
    assert {"_div", "_len", "_items", "_f_age"} <= called
    assert "__" not in expr.python


def test_missing_values_raise_evaluation_error_naming_the_field() -> None:
    """Absent names, absent member fields and division by zero are EvaluationErrors."""
    expr = compile_expression("net_income / size > line", SCOPE)
    env = {k: v for k, v in ENV.items() if k != "net_income"}
    for evaluate in (expr.evaluate, expr.interpret):
        with pytest.raises(EvaluationError) as info:
            evaluate(env)
        assert info.value.fields == ("net_income",)
        with pytest.raises(EvaluationError, match="除数为零"):
            evaluate({**ENV, "size": 0})
    member = compile_expression("all(m.enrolled for m in members)", SCOPE)
    for evaluate in (member.evaluate, member.interpret):
        with pytest.raises(EvaluationError) as info:
            evaluate({**ENV, "members": [{"birth_date": "2010-01-01"}]})
        assert info.value.fields == ("enrolled",)
    for name in ("min", "max"):
        extreme = compile_expression(f"{name}(m.income for m in members) > 0", SCOPE)
        for evaluate in (extreme.evaluate, extreme.interpret):
            with pytest.raises(EvaluationError, match=rf"{name}\(\) 没有可比较的值"):
                evaluate({**ENV, "members": []})


def test_has_and_coalesce_and_untaken_branch_tolerate_absence() -> None:
    """has(), coalesce() and the branch not taken may mention absent fields."""
    env = {k: v for k, v in ENV.items() if k != "net_income"}
    for source, expected in [
        ("has(net_income)", False),
        ("coalesce(net_income, 7) == 7", True),
        ("(net_income > 0) if has(net_income) else true", True),
        ("all(coalesce(m.missing_field_is_refused, true) for m in members)", None),
    ]:
        if expected is None:
            with pytest.raises(ExpressionError):
                compile_expression(source, SCOPE)
            continue
        expr = compile_expression(source, SCOPE)
        assert expr.evaluate(env) == expected == expr.interpret(env)


def test_evaluation_cannot_change_the_record() -> None:
    """Evaluating any expression leaves the environment exactly as it was (isolation)."""
    import copy

    env = copy.deepcopy(ENV)
    for source in ("sum(m.income for m in members) > 0", "attr == '04'", "len(members) == 3"):
        compile_expression(source, SCOPE).evaluate(env)
    assert env == ENV


def test_id_valid_on_published_examples() -> None:
    """GB 11643 check digits: the published valid numbers pass, the negative example fails."""
    for number in [
        "11010519491231002X",
        "440524188001010014",
        "34052419800101001X",
        "370101190102039973",
        "513101198201130014",
        "120223198902021249",
        "130132199210293822",
    ]:
        assert id_valid(number), number
    assert not id_valid("130402198207290622")
    assert id_valid("130402198207290624")
    assert not id_valid("11010519491231002")  # 17 characters
    assert not id_valid("110105194902300026")  # 1949-02-30 is not a date
    assert not id_valid(11010519491231002)


_numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.decimals(
        min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False
    ),
)


@given(a=_numbers, b=_numbers, c=_numbers)
def test_compiled_and_interpreted_agree_on_arithmetic(a: object, b: object, c: object) -> None:
    """Property: both evaluators give the same value or the same error on random numbers."""
    env = {**ENV, "net_income": a, "size": b, "line": c}
    for source in (
        "net_income / size > line",
        "net_income // size + net_income % size",
        "(net_income - line) * size",
        "round(net_income / size, 2) if size != 0 else line",
        "net_income > line > size or not (size <= line)",
    ):
        expr = compile_expression(source, SCOPE, expect=None)
        outcomes = []
        for evaluate in (expr.evaluate, expr.interpret):
            try:
                outcomes.append(("value", evaluate(env)))
            except EvaluationError as exc:
                outcomes.append(("error", str(exc)))
        assert outcomes[0] == outcomes[1]


@given(st.text(max_size=120))
def test_any_text_is_compiled_or_refused(source: str) -> None:
    """Property: arbitrary text compiles or raises ExpressionError; nothing else escapes."""
    try:
        compile_expression(source, SCOPE, expect=None)
    except ExpressionError as exc:
        assert exc.problem.message


def test_membership_in_a_list_of_codes_field() -> None:
    """`x in field` works for a list-of-codes field; a label literal becomes its code."""
    scope = Scope(
        fields={"causes": Type("list", codelist="cause")},
        codelists={"cause": {"1": "因病", "2": "因残"}},
    )
    expr = compile_expression("'因病' in causes", scope)
    assert expr.evaluate({"causes": ["1"]}) is True
    assert expr.interpret({"causes": ["2"]}) is False
    with pytest.raises(ExpressionError, match="'因学' 不在代码表 cause 中"):
        compile_expression("'因学' in causes", scope)


def test_multi_line_expression_keeps_literals_and_positions() -> None:
    """An expression over several lines (a YAML block) keeps its string literals as written
    and its problems point at the right line and column."""
    expr = compile_expression("note == 'a  b' and\n  size > 1", SCOPE)
    assert expr.evaluate({**ENV, "note": "a  b"}) is True
    with pytest.raises(ExpressionError) as info:
        compile_expression("size > 1 and\n  net_incme > 2", SCOPE, file="f.yaml", line=10, column=5)
    assert (info.value.problem.line, info.value.problem.column) == (11, 3)


def test_decision_scope_has_no_date() -> None:
    """Decision expressions combine criterion outcomes only: as_of is not in their scope."""
    scope = Scope(criteria=frozenset({"a", "b"}), dated=False)
    assert compile_expression("a and not b", scope).evaluate({"a": True, "b": False}) is True
    with pytest.raises(ExpressionError, match="未知名称 'as_of'"):
        compile_expression("a and as_of > '2018-01-01'", scope)


def test_coalesce_evaluates_its_default_only_when_needed() -> None:
    """coalesce(x, d): d is not evaluated when x is present, in both evaluators (so a division
    by zero in an unused default does not make the criterion unknown)."""
    expr = compile_expression("coalesce(net_income, line / size) > 0", SCOPE)
    env = {**ENV, "size": 0}
    assert expr.evaluate(env) is True
    assert expr.interpret(env) is True
    absent = {k: v for k, v in env.items() if k != "net_income"}
    for evaluate in (expr.evaluate, expr.interpret):
        with pytest.raises(EvaluationError, match="除数为零"):
            evaluate(absent)


def test_a_name_of_any_type_is_accepted_everywhere() -> None:
    """A broken derived field (type any) does not cause further problems where it is used:
    in arithmetic, comparisons, conditions and either branch of a conditional."""
    scope = Scope(fields=SCOPE.fields, derived={"broken": Type("any")})
    for source in (
        "broken > 1",
        "broken + 1 > size",
        "broken and size > 1",
        "(broken if size > 1 else 2) > 0",
        "(2 if size > 1 else broken) > 0",
        "age(broken) > 3",
    ):
        compile_expression(source, scope)
