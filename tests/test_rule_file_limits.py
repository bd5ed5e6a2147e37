"""Numbers, constants and size in rule files: every hostile file fails closed at its place.

The hostile files are written by ``tests/fixtures/hostile/make_rules.py`` (committed under
``tests/fixtures/hostile/rules/``, with the problem each must give); the larger cases (a
100,000-digit number, a 4 MB label, a file over 5 MB) are made here, in a temporary folder.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules._yaml import MAX_BYTES, MAX_NUMBER_TEXT, MAX_SCALAR, read_yaml, read_yaml_text
from fupin_rules.cli import main
from fupin_rules.errors import ExpressionError, Problem, RuleFileError, UsageError
from fupin_rules.language import NUMBER, Scope, compile_expression, limits
from fupin_rules.language.limits import NumberLimits, full_digits, number_limits
from fupin_rules.schemas import document_problems, number_problems
from fupin_rules.testing import run_examples

from .conftest import FIXTURES
from .fixtures.hostile import make_rules

HOSTILE = FIXTURES / "hostile" / "rules"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
SCHEMAS = FIXTURES / "schemas"


def _library(tmp_path: Path, text: str) -> Path:
    """A folder holding the fixture code lists and ``text`` as ``r.yaml``."""
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> list[Problem]:
    with pytest.raises(RuleFileError) as info:
        fr.load_library(folder, schemas=SCHEMAS)
    return list(info.value.problems)


@pytest.fixture
def fresh_limits() -> Iterator[None]:
    """The bounds read again from the environment, and forgotten afterwards."""
    number_limits.cache_clear()
    yield
    number_limits.cache_clear()


def test_committed_hostile_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    """The generator is deterministic and its output is committed unchanged."""
    make_rules.main(tmp_path)
    written = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in HOSTILE.iterdir()}
    assert written == committed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_fails_closed_at_its_place(tmp_path: Path, name: str) -> None:
    """Each hostile file gives exactly its problem, at the hostile part, with a path and a
    hint; or it loads and its examples fail as they should, never with an exception."""
    folder = _library(tmp_path, (HOSTILE / f"{name}.yaml").read_text(encoding="utf-8"))
    expected = EXPECTED[name]
    if "failing_examples" in expected:
        report = run_examples(fr.load_library(folder, schemas=SCHEMAS))
        assert len(report.failures) == expected["failing_examples"]
        return
    problems = _problems(folder)
    assert [(p.code, p.line, p.column) for p in problems] == [
        (expected["code"], expected["line"], expected["column"])
    ]
    (problem,) = problems
    assert problem.file == str(folder / "r.yaml")
    if problem.code.startswith(("yaml.number", "yaml.too-long", "expr.")):
        assert problem.path
        assert problem.hint


@pytest.mark.parametrize(
    "name", ["exponent-huge", "literal-exponent", "constant-age", "example-number", "alias"]
)
def test_lint_and_test_print_the_problem_not_a_traceback(tmp_path: Path, name: str) -> None:
    """``lint`` and ``test`` name file, line and column and exit with their codes."""
    folder = _library(tmp_path, (HOSTILE / f"{name}.yaml").read_text(encoding="utf-8"))
    where = f"r.yaml:{EXPECTED[name]['line']}:{EXPECTED[name]['column']}: "
    for command, code in (("lint", 1), ("test", 2)):
        out, err = _run(command, "--schemas", str(SCHEMAS), str(folder))
        assert out[0] == code
        assert where in out[1] + err
        assert "Traceback" not in out[1] + err


def _run(*argv: str) -> tuple[tuple[int, str], str]:
    """Run the command in-process: ((exit code, stdout), stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return (code, out.getvalue()), err.getvalue()


def test_test_reports_an_example_beyond_the_bounds_as_a_failure(tmp_path: Path) -> None:
    """An example whose products leave the bounds is a failing example at its line."""
    folder = _library(tmp_path, (HOSTILE / "chained-products.yaml").read_text(encoding="utf-8"))
    (code, out), err = _run("test", "--schemas", str(SCHEMAS), str(folder))
    assert code == 1
    assert "r.yaml:" in out
    assert "计算结果超出范围" in out
    assert "3 个样例: 2 个通过, 1 个失败" in out
    assert "Traceback" not in out + err


# --------------------------------------------------------------------------- large inputs


def _parameter_file(value: str) -> str:
    return (
        make_rules.HEADER
        + make_rules.PARAMETER.format(value=value)
        + make_rules.CRITERION.format(test="net_income > line")
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0x" + "f" * 100_000, "yaml.too-long"),
        ("0o" + "7" * 5_000, "yaml.number-too-long"),
        ("9" * 5_000, "yaml.number-too-long"),
        ("1." + "5" * 5_000 + "e999999999", "yaml.number-too-long"),
    ],
)
def test_numbers_of_many_digits_are_refused_before_conversion(value: str, code: str) -> None:
    """A number text beyond the reader's bounds is refused unconverted, at its place."""
    with pytest.raises(RuleFileError) as info:
        read_yaml_text(_parameter_file(value), "r.yaml")
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column, problem.path) == (
        code,
        15,
        12,
        "parameters.line.value",
    )
    assert str(MAX_SCALAR if code == "yaml.too-long" else MAX_NUMBER_TEXT) in problem.message


def test_a_four_megabyte_label_is_refused_as_read() -> None:
    """A 4 MB text value is refused with the limit, not carried into the rule set."""
    text = make_rules.HEADER + "criteria:\n  - id: a\n    label: " + "x" * 4_000_000 + "\n"
    with pytest.raises(RuleFileError) as info:
        read_yaml_text(text, "r.yaml")
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column, problem.path) == (
        "yaml.too-long",
        13,
        12,
        "criteria[0].label",
    )
    assert "4000000 个字符" in problem.message


def test_a_file_over_the_size_limit_says_where_it_reaches_it(tmp_path: Path) -> None:
    """A file over MAX_BYTES is refused at the line where the limit is reached."""
    line = "- " + "说明" * 20 + "\n"
    count = MAX_BYTES // len(line.encode()) + 10
    path = tmp_path / "big.yaml"
    path.write_text(line * count, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        read_yaml(path)
    (problem,) = info.value.problems
    assert problem.code == "yaml.too-large"
    assert problem.line == MAX_BYTES // len(line.encode()) + 1
    assert problem.column is not None
    assert str(MAX_BYTES) in problem.message


@pytest.mark.parametrize("libyaml", [True, False])
def test_reader_refusals_without_a_node_have_a_place_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libyaml: bool
) -> None:
    """Bad bytes and forbidden characters are placed at their line and column, by libyaml's
    parser (which counts bytes) and PyYAML's (which counts characters) alike."""
    if libyaml and not yaml.__with_libyaml__:
        pytest.skip("libyaml is not installed")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    path = tmp_path / "gbk.yaml"
    path.write_bytes("a: 1\nb: 中文\n".encode() + "c: 测试\n".encode("gbk"))
    with pytest.raises(RuleFileError) as info:
        read_yaml(path)
    assert [(p.code, p.line, p.column) for p in info.value.problems] == [("yaml.encoding", 3, 4)]
    with pytest.raises(RuleFileError) as info:
        read_yaml_text("a: 中文说明\nc: 中\x07d\n", "r.yaml")
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column) == ("yaml.character", 2, 5)
    assert "第 13 个字符" in problem.message


# --------------------------------------------------------------------------- the bounds


@pytest.mark.parametrize(
    ("value", "breach"),
    [
        ("999999999999999999999999", None),
        ("-999999999999999999999999", None),
        ("1e24", "too-large"),
        ("-1e24", "too-large"),
        ("1000000000000000000000000", "too-large"),
        ("1e999999999", "too-large"),
        ("0." + "1" * 30, None),
        ("0." + "1" * 31, "digits"),
        ("1e-30", None),
        ("1e-31", "digits"),
        ("1e-999999999", "digits"),
        ("12345678901234567890.1234567890", None),
        ("12345678901234567890.12345678901", "digits"),
        ("3535.00000000000000000000000000000000", None),
        ("0", None),
    ],
)
def test_bounds_on_written_numbers(value: str, breach: str | None) -> None:
    """A number is within the bounds when below 1E+24 with at most 30 digits written out in
    full; the same in YAML and in an expression."""
    number = Decimal(value)
    found = NumberLimits().breach(number)
    assert (found.kind if found else None) == breach
    doc = read_yaml_text(f"a: {value}\n", "r.yaml")
    problems = number_problems(doc, NumberLimits())
    assert [p.code for p in problems] == ([f"yaml.number-{breach}"] if breach else [])
    expression = f"x > {value.lstrip('-')}"
    scope = Scope(fields={"x": NUMBER})
    if breach is None:
        compile_expression(expression, scope, numbers=NumberLimits())
    else:
        with pytest.raises(ExpressionError) as info:
            compile_expression(expression, scope, numbers=NumberLimits())
        assert info.value.problem.code == f"expr.number-{breach}"


@given(
    st.from_regex(r"\A[-+]?[0-9]{1,150}(\.[0-9]{0,150})?([eE][-+]?[0-9]{1,25})?\Z")
    | st.from_regex(r"\A0x[0-9a-f]{1,200}\Z")
    | st.from_regex(r"\A0o[0-7]{1,200}\Z")
)
def test_any_number_text_is_read_or_refused_at_its_place(text: str) -> None:
    """Property: any number in a rule file is read within the bounds or refused at its line
    and column; nothing else happens, whatever its digits or exponent."""
    try:
        doc = read_yaml_text(f"a:\n  b: {text}\n", "r.yaml")
    except RuleFileError as exc:
        assert all((p.line, p.column) == (2, 6) for p in exc.problems)
        return
    problems = number_problems(doc, NumberLimits())
    value = doc.data["a"]["b"]
    if isinstance(value, str):  # a leading zero: a code, kept as text
        return
    assert all((p.line, p.column, p.path) == (2, 6, "a.b") for p in problems)
    if not problems:
        assert abs(value) < limits.MAX_MAGNITUDE
        assert full_digits(value) <= limits.MAX_DIGITS


def test_document_problems_checks_numbers_of_every_kind_of_file() -> None:
    """A code list (like every kind of file) has its numbers checked with its schema."""
    doc = read_yaml_text(
        "kind: codelist\nid: x\ntitle: t\nsources: [{id: s, title: t}]\n"
        "codes:\n  - {code: '01', label: a, weight: 1e30}\n",
        "c.yaml",
    )
    codes = [p.code for p in document_problems(doc, "codelist.schema.json")]
    assert "yaml.number-too-large" in codes


def test_parameter_override_is_held_to_the_same_bounds(demo_lib: fr.Library) -> None:
    """--param values (text or numbers) are bounded as the values they replace."""
    rs = demo_lib.get("demo.household", version="2016")
    for value in ("1e30", Decimal("1e999999999"), 10**30, "0." + "1" * 40):
        with pytest.raises(UsageError, match="参数 income_line: 数值"):
            rs.with_parameters({"income_line": value})
    assert rs.with_parameters({"income_line": "999999999999999999999999"}).fingerprint


# --------------------------------------------------------------------------- settings


def test_bounds_are_set_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_limits: None
) -> None:
    """FUPIN_RULES_MAX_MAGNITUDE and FUPIN_RULES_MAX_DIGITS change what a rule file may hold,
    for the command line as for the API."""
    folder = _library(tmp_path, _parameter_file("10000000000000"))
    (code, _), _ = _run("lint", "--schemas", str(SCHEMAS), str(folder))
    assert code == 0
    monkeypatch.setenv(limits.ENV_MAGNITUDE, "1e12")
    number_limits.cache_clear()
    (code, out), _ = _run("lint", "--schemas", str(SCHEMAS), str(folder))
    assert code == 1
    assert (
        "r.yaml:15:12: parameters.line.value: 数值 10000000000000 超出范围: 绝对值须小于 1E+12"
        in out
    )
    monkeypatch.setenv(limits.ENV_MAGNITUDE, "1e40")
    monkeypatch.setenv(limits.ENV_DIGITS, "45")
    number_limits.cache_clear()
    assert number_limits() == NumberLimits(Decimal("1e40"), 45)
    big = _library(tmp_path / "big", _parameter_file("1" * 40))
    assert fr.load_library(big, schemas=SCHEMAS)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (limits.ENV_MAGNITUDE, "lots"),
        (limits.ENV_MAGNITUDE, "-5"),
        (limits.ENV_MAGNITUDE, "1e101"),
        (limits.ENV_DIGITS, "0"),
        (limits.ENV_DIGITS, "101"),
        (limits.ENV_DIGITS, "3.5"),
    ],
)
def test_an_unusable_setting_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_limits: None,
    variable: str,
    value: str,
) -> None:
    """A bad setting stops the command with a message naming it (exit 2), not a traceback."""
    monkeypatch.setenv(variable, value)
    folder = _library(tmp_path, _parameter_file("1"))
    (code, _), err = _run("lint", "--schemas", str(SCHEMAS), str(folder))
    assert code == 2
    assert f"环境变量 {variable}" in err
    with pytest.raises(UsageError):
        number_limits()


def test_the_reader_converts_every_number_the_widest_setting_allows() -> None:
    """MAX_NUMBER_TEXT covers any number of DIGITS_CEILING digits (sign, point and all)."""
    widest = "-" + "9" * (limits.DIGITS_CEILING - 1) + ".9"
    assert len(widest) <= MAX_NUMBER_TEXT
    assert read_yaml_text(f"a: {widest}\n").data == {"a": Decimal(widest)}
    assert sys.get_int_max_str_digits() == 0 or sys.get_int_max_str_digits() > MAX_NUMBER_TEXT


@pytest.mark.parametrize("name", ["chained-products", "literal-at-bound", "parameter-at-bound"])
def test_products_beyond_the_bound_fail_the_record_in_every_backend(
    tmp_path: Path, name: str
) -> None:
    """Products chained through derived fields, or with a parameter or literal at the bound,
    fail the record (unknown, with the reason) in rows, the reference and columns alike."""
    from fupin_rules.evaluation import evaluate_reference

    columnar = pytest.importorskip("fupin_rules.columnar")
    folder = _library(tmp_path, (HOSTILE / f"{name}.yaml").read_text(encoding="utf-8"))
    rs = fr.load_library(folder, schemas=SCHEMAS).get("demo.hostile", version="2016")
    records = [
        {"household_id": f"H{i}", "household_size": 1, "net_income": income}
        for i, income in enumerate([0, 2, 999999, 999999999999, Decimal("999999999999.5")])
    ]
    rows = [rs.evaluate(r) for r in records]
    reference = [evaluate_reference(rs, r) for r in records]
    columns, _, _ = columnar.evaluate_records(rs, records)
    assert [r.outcome for r in rows] == [r.outcome for r in reference] == columns
    beyond = [r for r in rows if r.outcome == "invalid"]
    assert beyond
    assert all("计算结果超出范围" in r.findings[0].message for r in beyond)
