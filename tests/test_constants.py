"""Constants are checked when their file loads, by the rule of the operation they are given to.

A constant argument (or a constant compared with a date, or a constant divisor) that would make
the expression fail on every record is refused at load, at the constant's place, with the
function's own rule (``language.table.ConstantRule``); constant arithmetic is computed at load
as evaluation would compute it. The properties below hold the load-time answer to the run-time
one: refused at load exactly when evaluation would fail on every record.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_rules.errors import EvaluationError, ExpressionError, Problem
from fupin_rules.language import DATE, NUMBER, STRING, Scope, compile_expression
from fupin_rules.language.check import Hints
from fupin_rules.language.limits import DECIMALS
from fupin_rules.language.table import FUNCTIONS, KIND_CONSTANTS

SCOPE = Scope(fields={"x": NUMBER, "birth": DATE, "idn": STRING})
ENV: dict[str, Any] = {"x": 5, "birth": "2000-01-01", "idn": "11010519491231002X"}
ENV["as_of"] = "2018-11-20"


def _refusal(source: str) -> Problem | None:
    try:
        compile_expression(source, SCOPE, file="r.yaml", line=3, column=11)
    except ExpressionError as exc:
        return exc.problem
    return None


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("age('2016-02-30') > 3", 15, "age() 的第 1 个参数无效: 不是有效日期: '2016-02-30'"),
        ("year('2018-13-01') > 2000", 16, "year() 的第 1 个参数无效: 不是有效日期"),
        ("days_between('x', as_of) > 0", 24, "days_between() 的第 1 个参数无效: 不是有效日期: 'x'"),
        ("age_at(birth, '2018-02-29') > 0", 25, "age_at() 的第 2 个参数无效"),
        (
            "id_birth_date('abc') < '2000-01-01'",
            25,
            "id_birth_date() 的第 1 个参数无效: 身份证号格式不对",
        ),
        ("id_sex('1101051949123100') == '女'", 18, "id_sex() 的第 1 个参数无效"),
        ("round(x, 11) > 0", 20, "round() 的第 2 个参数无效: round() 的位数须为 0 到 10 的整数"),
        ("round(x, 2.5) > 0", 20, "round() 的第 2 个参数无效"),
        ("round(x, -1) > 0", 20, "round() 的第 2 个参数无效"),
        ("birth < '2016-02-30'", 19, "与日期比较的常量无效: 不是有效日期: '2016-02-30'"),
        ("'2016-02-30' <= birth", 11, "与日期比较的常量无效"),
        ("as_of > '2018-13-01'", 19, "与日期比较的常量无效"),
        ("birth in ['2016-01-01', '2016-02-30']", 35, "与日期比较的常量无效"),
        ("coalesce(birth, '2016-13-01') < as_of", 27, "coalesce() 的默认值无效"),
        ("x / 0 > 1", 15, "除数无效: 除数为零"),
        ("x // (2 - 2) > 1", 17, "除数无效: 除数为零"),
        ("x % 0.0 > 1", 15, "除数无效"),
        ("1e20 * 1e20 > 0", 11, "常量运算在每条记录上都会失败: 计算结果超出范围"),
        ("-(9e23 + 9e23) * 1 > 0", 11, "常量运算在每条记录上都会失败"),
    ],
)
def test_constant_that_fails_every_record_is_refused_at_its_place(
    source: str, column: int, message: str
) -> None:
    """Each is refused with ``expr.constant`` at the constant (or the constant operation)."""
    problem = _refusal(source)
    assert problem is not None
    assert (problem.code, problem.line, problem.column) == ("expr.constant", 3, column)
    assert message in problem.message
    assert problem.hint


@pytest.mark.parametrize(
    "source",
    [
        "age('2016-02-29') > 3",
        "round(x, 10) > 0",
        "round(x, 2 + 3) > 0",
        "id_birth_date('11010519491231002X') < '2000-01-01'",
        "id_valid('abc')",
        "birth < '2016-02-29'",
        "x / 2 > 1",
        "x * 1e23 > 0",
        "1e12 * 1e11 > 0",
        "x / (1e-20 * 1e-20) > 0",
        "'a' + 'b' == 'ab'",
    ],
)
def test_constants_the_operations_accept_are_accepted(source: str) -> None:
    """What evaluation can use is not refused."""
    assert _refusal(source) is None


def test_every_date_parameter_takes_the_date_rule() -> None:
    """The rule for a constant date is one entry of the table, taken by every parameter whose
    kind is date and by comparisons with a date."""
    dated = [
        (f.name, i)
        for f in FUNCTIONS.values()
        for i, kinds in enumerate(f.params)
        if kinds == frozenset({"date"})
    ]
    assert dated
    assert all(FUNCTIONS[name].constant_rule(i) is KIND_CONSTANTS["date"] for name, i in dated)


def _fails(source: str, env: dict[str, Any], scope: Scope = SCOPE) -> bool:
    """Whether evaluating ``source`` (which has no constants to check) fails on ``env``, in
    the decimal context every evaluation runs in."""
    expr = compile_expression(source, scope, hints=Hints())
    try:
        with decimal.localcontext(DECIMALS):
            expr.evaluate(env)
    except EvaluationError:
        return True
    return False


_DATE_TEXT = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(str),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.text(alphabet="0123456789-x", max_size=12),
)
_DATED = ["age({}) > 0", "year({}) > 0", "days_between({}, as_of) > 0", "birth < {}"]


@given(_DATE_TEXT, st.sampled_from(_DATED))
def test_a_date_constant_is_refused_at_load_exactly_when_evaluation_would_fail(
    text: str, template: str
) -> None:
    """Property: a date constant is refused at load iff the same text read from the record
    makes the evaluation fail (or, compared with a date, is not a date)."""
    refused = _refusal(template.format(repr(text)))
    assert refused is None or refused.code == "expr.constant"
    scope = Scope(fields={**SCOPE.fields, "d": DATE})
    if template.startswith("birth"):
        with_field = "age(d) >= 0 or true"
    else:
        with_field = template.format("d")
    assert (refused is not None) == _fails(with_field, {**ENV, "d": text}, scope)


@given(st.integers(-20, 20) | st.decimals(-20, 20, places=1, allow_nan=False))
def test_round_places_are_refused_at_load_exactly_when_evaluation_would_fail(digits: Any) -> None:
    """Property: ``round(x, n)`` with a constant ``n`` is refused at load iff ``n`` read from
    the record makes it fail."""
    refused = _refusal(f"round(x, {digits}) > 0")
    scope = Scope(fields={**SCOPE.fields, "n": NUMBER})
    assert (refused is not None) == _fails("round(x, n) > 0", {**ENV, "n": digits}, scope)


_LITERALS = ["0", "1", "2", "3", "0.5", "1e-12", "1e12", "1e23", "9e23", "999999999999999999999999"]


@st.composite
def _arithmetic(draw: st.DrawFn, depth: int = 4) -> tuple[str, str, list[str]]:
    """A constant ``+ - *`` expression: its text, the same with each literal a name, the
    literals in order."""
    if depth == 0 or draw(st.booleans()):
        literal = draw(st.sampled_from(_LITERALS))
        return literal, "{}", [literal]
    op = draw(st.sampled_from(["+", "-", "*"]))
    sign = draw(st.sampled_from(["", "-"]))
    a, a_names, a_lits = draw(_arithmetic(depth - 1))
    b, b_names, b_lits = draw(_arithmetic(depth - 1))
    return f"{sign}({a} {op} {b})", f"{sign}({a_names} {op} {b_names})", a_lits + b_lits


@given(_arithmetic())
def test_constant_arithmetic_is_refused_exactly_when_evaluation_would_fail(
    drawn: tuple[str, str, list[str]],
) -> None:
    """Property: constant arithmetic is refused at load iff the same arithmetic on values
    read from the record fails (a product beyond the bound), in the same decimal context."""
    text, template, literals = drawn
    refused = _refusal(f"{text} > 0")
    assert refused is None or refused.code == "expr.constant"
    names = [f"c{i}" for i in range(len(literals))]
    scope = Scope(fields=dict.fromkeys(names, NUMBER))
    values = {
        n: int(v) if v.isdigit() else Decimal(v) for n, v in zip(names, literals, strict=True)
    }
    with_names = template.format(*names) + " > 0"
    assert (refused is not None) == _fails(with_names, values, scope)
