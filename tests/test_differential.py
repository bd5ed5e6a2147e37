"""Every backend agrees on generated expressions and records (a differential test).

Hypothesis writes well-typed boolean expressions over a fixed scope (numbers, yes/no, a code,
a date, a list of members, a parameter), using every construct the language has, and records
with fields missing, null or present; the row backend (generated code), the reference
interpreter (simpleeval) and the column backend (numpy) must give the same outcome on each
record: true, false, or unknown. Columns are compared where they are sure (not uncertain) and
where they translate the expression.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.errors import EvaluationError
from fupin_rules.language import BOOLEAN, DATE, NUMBER, Scope, Type, compile_expression
from fupin_rules.language import tree as t

np = pytest.importorskip("numpy", reason="the column backend needs numpy")

from fupin_rules.language.column_table import table_of  # noqa: E402
from fupin_rules.language.columns import (  # noqa: E402
    ColumnarUnsupported,
    Evaluator,
    Frame,
    environment,
)

MEMBER = {"x": NUMBER, "f": BOOLEAN, "d": DATE}
FIELDS = {
    "a": NUMBER,
    "b": NUMBER,
    "i": NUMBER,
    "p": BOOLEAN,
    "q": BOOLEAN,
    "c": Type("code", codelist="cl"),
    "d": DATE,
    "members": Type("list", fields=MEMBER),
}
SCOPE = Scope(
    fields=FIELDS,
    parameters={"line": NUMBER},
    codelists={"cl": {"01": "一", "02": "二", "03": "三"}},
)
LINE = Decimal("2.5")
DAY = "2018-11-20"

# --------------------------------------------------------------------------- expressions

_LITERALS = st.sampled_from(["0", "1", "2", "3", "0.5", "2.5", "-1", "10"])
_NUMBER_NAMES = st.sampled_from(["a", "b", "i", "line"])
_ARITHMETIC = st.sampled_from(["+", "-", "*", "/", "//", "%"])
_COMPARE = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def _member_boolean() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["m.f", "not m.f", "m.x > 1", "has(m.x)", "m.d < '2010-01-01'", "coalesce(m.x, 0) >= 1"]
    )


def _member_number() -> st.SearchStrategy[str]:
    return st.sampled_from(["m.x", "coalesce(m.x, 1)", "age(m.d)", "m.x * 2"])


def _aggregate_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda c: f"count(m for m in members if {c})", _member_boolean()),
        st.just("count(m.f for m in members)"),
        st.builds(lambda e: f"sum({e} for m in members)", _member_number()),
        st.builds(
            lambda e, c: f"sum({e} for m in members if {c})", _member_number(), _member_boolean()
        ),
        st.builds(
            lambda f, e: f"{f}({e} for m in members)",
            st.sampled_from(["min", "max"]),
            _member_number(),
        ),
        st.just("len(members)"),
    )


def _numbers(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        _LITERALS,
        _NUMBER_NAMES,
        st.builds(lambda n: f"coalesce({n}, 0)", _NUMBER_NAMES),
        st.builds(lambda n, m: f"coalesce({n}, {m})", _NUMBER_NAMES, _NUMBER_NAMES),
        st.just("age(d)"),
        st.just("year(d)"),
        _aggregate_number(),
    )
    if depth <= 0:
        return leaves
    sub = _numbers(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda x, op, y: f"({x} {op} {y})", sub, _ARITHMETIC, sub),
        st.builds(lambda x: f"(-{x})", sub),
        st.builds(lambda x: f"abs({x})", sub),
        st.builds(lambda x, c, y: f"({x} if {c} else {y})", sub, _booleans(depth - 1), sub),
    )


def _booleans(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(["p", "q", "true", "has(a)", "has(p)", "not has(d)"]),
        st.sampled_from(["c == '01'", "c != '02'", "c in ['01', '03']", "c not in ['一']"]),
        st.sampled_from(["d < '2015-01-01'", "d >= as_of", "coalesce(p, false)"]),
        st.builds(lambda c: f"any({c} for m in members)", _member_boolean()),
        st.builds(lambda c: f"all({c} for m in members)", _member_boolean()),
        st.builds(
            lambda c, e: f"all({e} for m in members if {c})", _member_boolean(), _member_boolean()
        ),
    )
    if depth <= 0:
        return leaves
    num = _numbers(depth - 1)
    sub = _booleans(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda x, op, y: f"{x} {op} {y}", num, _COMPARE, num),
        st.builds(lambda x, y, z: f"{x} <= {y} < {z}", num, num, num),
        st.builds(lambda x: f"not ({x})", sub),
        st.builds(lambda x, y: f"({x} and {y})", sub, sub),
        st.builds(lambda x, y: f"({x} or {y})", sub, sub),
        st.builds(lambda x, y, z: f"({x} and {y} or {z})", sub, sub, sub),
        st.builds(lambda c, x, y: f"({x} if {c} else {y})", sub, sub, sub),
    )


# --------------------------------------------------------------------------- records

_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "a": st.sampled_from([0, 1, 2, 3, -1, Decimal("0.5"), Decimal("2.5"), Decimal("7.25"), 1000]),
    "b": st.sampled_from([0, 1, 2, Decimal("1.5"), 4, -3]),
    "i": st.sampled_from([0, 1, 2, 5]),
    "p": st.booleans(),
    "q": st.booleans(),
    "c": st.sampled_from(["01", "02", "03"]),
    "d": st.sampled_from(["2010-01-01", "2014-12-31", "2015-01-01", "2018-11-20", "2000-02-29"]),
}


_ABSENT = object()
"""A field left out of a record (as opposed to one written as null)."""


def _member() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "x": st.sampled_from([0, 1, 2, Decimal("1.5"), None, _ABSENT]),
            "f": st.sampled_from([True, False, True, None, _ABSENT]),
            "d": st.sampled_from(["2001-01-01", "2012-11-21", "2012-11-20", None, _ABSENT]),
        }
    ).map(lambda m: {k: v for k, v in m.items() if v is not _ABSENT})


def _mostly(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value three times in five; else null or absent."""
    return st.one_of(values, values, values, st.none(), st.just(_ABSENT))


_RECORD = st.fixed_dictionaries(
    {
        **{k: _mostly(v) for k, v in _VALUES.items()},
        "members": _mostly(st.lists(_member(), max_size=5)),
    }
).map(lambda r: {k: v for k, v in r.items() if v is not _ABSENT})


def _row(expr: Any, env: dict[str, Any], interpret: bool) -> int:
    try:
        value = expr.interpret(env) if interpret else expr.evaluate(env)
    except EvaluationError:
        return 2
    return 1 if value else 0


def _env(record: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in record.items() if v is not None}
    if isinstance(env.get("members"), list):
        env["members"] = [{k: v for k, v in m.items() if v is not None} for m in env["members"]]
    env["line"] = LINE
    env["as_of"] = DAY
    return env


def _reads(expr: Any) -> tuple[list[str], dict[str, list[str]]]:
    top = sorted(
        {n.id for n in t.walk(expr.tree) if isinstance(n, t.Name) and n.role == "field"}
        - {"members"}
    )
    subs = sorted({n.field for n in t.walk(expr.tree) if isinstance(n, t.Attr)})
    return top, {"members": subs}


@settings(max_examples=400, deadline=None)
@given(source=_booleans(3), records=st.lists(_RECORD, min_size=1, max_size=12))
def test_rows_reference_and_columns_agree(source: str, records: list[dict[str, Any]]) -> None:
    """The three backends give the same outcome (true, false, unknown) on every record."""
    expr = compile_expression(source, SCOPE)
    envs = [_env(r) for r in records]
    rows = [_row(expr, e, interpret=False) for e in envs]
    reference = [_row(expr, e, interpret=True) for e in envs]
    assert rows == reference, source
    top, lists = _reads(expr)
    normalised = [_env(r) for r in records]
    for r in normalised:
        r.pop("line"), r.pop("as_of")
    table = table_of(normalised, FIELDS, top, lists)
    frame = Frame(len(records), environment(table, {"line": LINE}, DAY), table)
    try:
        value = Evaluator(frame).run(expr.tree)
    except ColumnarUnsupported:
        return
    data = np.broadcast_to(np.asarray(value.data, dtype=np.bool_), (len(records),))
    ok = np.broadcast_to(np.asarray(value.ok, dtype=np.bool_), (len(records),))
    uncertain = frame.uncertain if frame.uncertain is not None else np.zeros(len(records), bool)
    for k, want in enumerate(rows):
        if uncertain[k]:
            continue
        got = 2 if not ok[k] else int(bool(data[k]))
        assert got == want, (source, records[k])
