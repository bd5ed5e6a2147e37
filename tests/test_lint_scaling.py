"""Checking rule files takes work in proportion to their size.

No timings: the work is counted (Python function calls, under ``sys.setprofile``), and doubling
a file's size must not much more than double it. Linear work gives increments in the ratio 2
(from n to 2n, then from 2n to 4n); work growing with the square of the size gives 4.
"""

from __future__ import annotations

import difflib
import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fupin_rules as fr
from fupin_rules._yaml import read_yaml_text
from fupin_rules.cli import main
from fupin_rules.language import rows
from fupin_rules.language.limits import MAX_HINT_COMPARISONS
from fupin_rules.loading.resolve import Resolved, resolve

from .conftest import FIXTURES
from .fixtures.hostile.make_rules import HEADER, large_ruleset

SCHEMAS = FIXTURES / "schemas"


def _criteria_with_unknown_names(n: int) -> dict[str, str]:
    body = "".join(
        f"  - id: c{i}\n    label: 指标{i}\n    test: net_incme{i} > 0\n    fail: '{{net_incom{i}}}'\n"
        for i in range(n)
    )
    return {"r.yaml": HEADER + "criteria:\n" + body}


def _long_list(n: int) -> dict[str, str]:
    items = "".join(f"      - {{ref: notice, clause: 第{i}条}}\n" for i in range(n))
    return {"r.yaml": large_ruleset(1) + "    sources:\n" + items}


def _examples(n: int) -> dict[str, str]:
    items = "".join(
        f"  - name: e{i}\n    record: {{household_id: h{i}, net_income: {i + 1}}}\n"
        "    expect: {outcome: pass, failing: [c0]}\n"
        for i in range(n)
    )
    return {"r.yaml": large_ruleset(1) + "examples:\n" + items}


def _schema_problems(n: int) -> dict[str, str]:
    body = "".join(f"  - id: c{i}\n    label: 指标{i}\n    tset: x\n" for i in range(n))
    return {"r.yaml": HEADER + "criteria:\n" + body}


def _revisions(n: int) -> dict[str, str]:
    files = {}
    for i in range(n):
        year, month = 2000 + i // 12, i % 12 + 1
        dates = f"from: {year}-{month:02d}-01\n  until: {year}-{month:02d}-28"
        text = HEADER.replace('"2016"', f'"v{i:04d}"').replace("from: 2016-01-01", dates)
        if i:
            text += f'extends: "v{i - 1:04d}"\n'
        if not i:
            text += "criteria:\n  - id: c\n    label: 收入\n    test: net_income > 0\n"
        files[f"v{i:04d}.yaml"] = text
    return files


SHAPES: dict[str, Callable[[int], dict[str, str]]] = {
    "criteria": lambda n: {"r.yaml": large_ruleset(n)},
    "derived fields": lambda n: {"r.yaml": large_ruleset(1, derived=n)},
    "unknown names": _criteria_with_unknown_names,
    "one long list": _long_list,
    "examples": _examples,
    "schema problems": _schema_problems,
    "revisions": _revisions,
}


def _calls(folder: Path, files: dict[str, str]) -> int:
    """Python calls made loading ``files`` (written into ``folder`` beside the code lists)."""
    shutil.copytree(FIXTURES / "lib" / "codes", folder / "codes")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    count = 0

    def profile(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fr.load_library(folder, schemas=SCHEMAS)
    except fr.RuleFileError:
        pass
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_checking_work_grows_in_proportion_to_the_file(tmp_path: Path, shape: str) -> None:
    """Doubling the criteria, derived fields, mistakes, list items, examples or revisions of a
    rule library doubles the work of checking it (not four times)."""
    make = SHAPES[shape]
    fr.load_library(FIXTURES / "lib", schemas=SCHEMAS)  # the code itself, imported and warm
    small, medium, large = (_calls(tmp_path / str(n), make(n)) for n in (30, 60, 120))
    assert (large - medium) / (medium - small) < 2.5


def test_a_megabyte_rule_file_lints(tmp_path: Path) -> None:
    """``lint`` checks a generated 1 MB file (3,600 criteria) and finds nothing wrong."""
    text = large_ruleset(3600)
    assert len(text.encode()) > 1_000_000
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["lint", "--schemas", str(SCHEMAS), str(tmp_path)], out=out, err=err) == 0
    assert "没有发现问题: 1 个规则集" in out.getvalue()


def test_close_names_are_looked_for_within_a_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of unknown names among thousands of names: every one is reported, close
    names are suggested for the first, and no more comparisons are made than the budget."""
    compared = 0
    close_matches = difflib.get_close_matches

    def counting(word: str, candidates: list[str], *args: Any, **kwargs: Any) -> list[str]:
        nonlocal compared
        compared += len(candidates)
        return close_matches(word, candidates, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    n = 1500
    derived = "".join(
        f"  d{i}:\n    label: 派生{i}\n    expr: {f'dx{i - 1}' if i else 'net_income'} + 1\n"
        for i in range(n)
    )
    criterion = "criteria:\n  - id: c\n    label: 收入\n    test: net_income > 0\n"
    text = HEADER + "derived:\n" + derived + criterion
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(fr.RuleFileError) as info:
        fr.load_library(tmp_path, schemas=SCHEMAS)
    problems = [p for p in info.value.problems if p.code == "expr.unknown-name"]
    assert len(problems) == n - 1
    assert problems[0].hint is not None
    assert problems[0].hint.startswith("是否要找: d0")
    assert problems[-1].hint is None
    assert 0 < compared <= MAX_HINT_COMPARISONS


def test_a_chain_of_revisions_longer_than_the_recursion_limit_resolves() -> None:
    """Each version of a chain of revisions is merged once, by a loop: 1,500 versions resolve
    (past Python's recursion limit), and resolving each of them again merges nothing more."""
    n = 1500
    assert n > sys.getrecursionlimit()
    docs = {}
    for i in range(n):
        extends = f'extends: "v{i - 1}"\n' if i else ""
        docs[f"v{i}"] = read_yaml_text(f'id: x\nversion: "v{i}"\n{extends}', f"v{i}.yaml")
    problems: list[fr.Problem] = []
    done: dict[str, Resolved] = {}
    last = resolve("x", f"v{n - 1}", docs, problems, done)
    assert last is not None
    assert problems == []
    assert len(last.files) == n
    assert len(done) == n
    assert all(resolve("x", v, docs, problems, done) is done[v] for v in docs)


def test_an_expression_generates_its_own_function_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading compiles no expression's own row function (records are evaluated by the plan);
    evaluating an expression on its own generates it once."""
    generated = []
    original = rows.compile_expression_function

    def counting(node: Any) -> Any:
        generated.append(node)
        return original(node)

    monkeypatch.setattr(rows, "compile_expression_function", counting)
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    (tmp_path / "r.yaml").write_text(large_ruleset(50), encoding="utf-8")
    rs = fr.load_library(tmp_path, schemas=SCHEMAS).get("demo.hostile", version="2016")
    assert generated == []
    record = {"household_id": "H", "household_size": 1, "net_income": 100, "housing_area": 20}
    assert rs.evaluate(record).outcome == "pass"
    test = rs.criteria[0].test
    env = {"net_income": 100, "line": 1, "housing_area": 20, "household_size": 1}
    assert test.evaluate(env) is True
    assert test.evaluate(env) is True
    assert "def _expression(_e)" in test.python
    assert generated == [test.tree]
