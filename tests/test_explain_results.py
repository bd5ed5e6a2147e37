"""``fupin-rules explain --results``: stored results explained by the rules their fingerprints
name, without evaluating again; the same text as explaining the records, for lean and long
lines; brief lines listed by criterion; missing rules and lines that are not results said."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.cli import main

from .conftest import ROOT

SAMPLE = (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8").splitlines()[:40]
STANDARD = ["-s", "gx.household.exit", "--as-of", "2018-11-20"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(SAMPLE) + "\n", encoding="utf-8")
    return path


def _evaluated(records: Path, *extra: str) -> Path:
    out = records.with_name("r" + "".join(extra).replace("-", "_") + ".jsonl")
    code, _, err = run("evaluate", *STANDARD, *extra, str(records), "-o", str(out))
    assert code == 0, err
    return out


@pytest.mark.parametrize("form", [(), ("--findings", "full")])
def test_stored_results_read_as_the_records_explained(records: Path, form: tuple[str, ...]) -> None:
    """Lean or long, every stored result explains exactly as its record does, with
    --limit, --id and --only-failed alike."""
    results = _evaluated(records, *form)
    for extra in (["--limit", "40"], ["--limit", "40", "--only-failed"]):
        code, stored, _ = run("explain", "--results", str(results), *extra)
        assert code == 0
        _, fresh, _ = run("explain", *STANDARD, *extra, str(records))
        assert stored == fresh
        assert stored.count("记录 ") == 40
    failed = next(json.loads(x) for x in results.read_text("utf-8").splitlines() if '"fail"' in x)
    code, one, _ = run("explain", "--results", str(results), "--id", failed["record_id"])
    assert code == 0
    assert one.startswith(f"记录 {failed['record_id']}  结论: ")
    assert "未达标或无法判定的指标" in one


def test_brief_results_list_each_criterion_by_its_label(records: Path) -> None:
    results = _evaluated(records, "--brief")
    code, text, _ = run("explain", "--results", str(results), "--limit", "2")
    assert code == 0
    first = json.loads(results.read_text("utf-8").splitlines()[0])
    block = text.split("\n\n")[0]
    assert "只记有各指标的结论" in block
    assert "有住房保障 (housing): " in block
    assert block.index("(income_source)") < block.index("(housing)")  # the rule set's order
    assert block.count("\n  ") == len(first["outcomes"]) + 1  # the note, then one per criterion
    assert "标准 广西贫困户脱贫摘帽标准" in block


def test_missing_rules_and_lines_that_are_not_results_are_said(records: Path) -> None:
    results = _evaluated(records)
    lines = results.read_text("utf-8").splitlines()
    other = json.loads(lines[0])
    other["fingerprint"] = "sha256:" + "0" * 64
    edited = results.with_name("edited.jsonl")
    edited.write_text(
        "\n".join([json.dumps(other, ensure_ascii=False), "不是结果", lines[1]]) + "\n",
        encoding="utf-8",
    )
    code, text, err = run("explain", "--results", str(edited), "--limit", "5")
    assert code == 1
    first, second = text.split("\n\n")
    assert (
        "规则库中没有产生该结果的规则 gx.household.exit@2018 (指纹 sha256:000000000000…)" in first
    )
    assert all(f"{c}: " in first for c in other["outcomes"])
    assert second.startswith(f"记录 {json.loads(lines[1])['record_id']}  结论: ")
    assert f"跳过 {edited} 第 2 行: 不是 fupin-rules 的结果" in err


def test_results_and_records_are_not_explained_together(records: Path) -> None:
    results = _evaluated(records)
    assert run("explain", "--results", str(results), str(records))[0] == 2
    assert run("explain", "--results", str(results), *STANDARD)[0] == 2
    code, _, err = run("explain", str(records))
    assert code == 2
    assert "--standard/-s (或用 --results 说明保存的结果)" in err
    code, _, err = run("explain", "--results", str(results), "--id", "没有这个")
    assert code == 2
    assert "没有编号为 '没有这个' 的结果" in err


def test_stored_results_come_from_standard_input_too(
    records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--results -``: the lines picked out of a results file (grep) explained as they are."""
    results = _evaluated(records)
    lines = results.read_text("utf-8").splitlines()
    picked = "\n".join(lines[3:5]) + "\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(picked.encode("utf-8"))))
    code, text, _ = run("explain", "--results", "-", "--limit", "5")
    assert code == 0
    _, fresh, _ = run("explain", "--results", str(results), "--limit", "5")
    assert text == "\n\n".join(fresh.split("\n\n")[3:5])


def test_a_brief_line_with_an_outcome_that_is_none_is_refused(records: Path) -> None:
    """A stored brief line whose criterion outcome is not one (edited by hand) is no result:
    reading it says so, and explain skips it with that message."""
    results = _evaluated(records, "--brief")
    first = json.loads(results.read_text("utf-8").splitlines()[0])
    first["outcomes"]["housing"] = "maybe"
    with pytest.raises(ValueError, match="not an outcome of 'housing'"):
        fr.Result.from_dict(first)
    edited = results.with_name("edited-brief.jsonl")
    edited.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
    code, text, err = run("explain", "--results", str(edited))
    assert (code, text) == (1, "")
    assert "第 1 行: 不是 fupin-rules 的结果 (not an outcome of 'housing': 'maybe')" in err
