"""explain and diff written for people (issue 18): conclusion and failures first, the
"not confirmed" note folded into one footnote, rule changes before wording."""

from __future__ import annotations

import io

from fupin_rules.cli import main

from .conftest import ROOT

HOUSEHOLDS = str(ROOT / "tests" / "golden" / "households.jsonl")
EXPLAIN = ["explain", "-s", "gx.household.exit", "--as-of", "2018-11-20", HOUSEHOLDS]


def _out(*argv: str) -> str:
    out = io.StringIO()
    assert main(list(argv), out=out, err=io.StringIO()) == 0
    return out.getvalue()


def test_conclusion_then_failing_criteria_first() -> None:
    """The first line holds the conclusion; failing criteria come before passing ones."""
    text = _out(*EXPLAIN, "--id", "4510991032010000002")
    lines = text.splitlines()
    assert lines[0] == '记录 4510991032010000002  结论: 未达到"八有一超"脱贫标准 (fail)'
    assert lines[1] == "未达标或无法判定的指标 (1 项):"
    assert lines[2].startswith("  ✗ ")
    assert text.index("✗") < text.index("✓")
    assert text.index("其余指标") > text.index("未达标或无法判定的指标")


def test_unconfirmed_note_is_one_footnote() -> None:
    """The note is not repeated under each criterion; a ``*`` marks them and one footnote
    at the end says what it means."""
    text = _out(*EXPLAIN)
    assert "未经来源确认" in text
    assert text.count("未经来源确认") == 1
    assert text.rstrip("\n").splitlines()[-1].startswith("* 未经来源确认")
    assert "注意: 该指标的检验方法或所用参数未经来源确认" not in text
    assert ": 达标 *" in text


def test_only_failed() -> None:
    """``--only-failed`` leaves out the criteria that passed or do not apply."""
    text = _out(*EXPLAIN, "--limit", "2", "--only-failed")
    assert "✓" not in text
    assert "其余指标" not in text
    assert "没有未达标或无法判定的指标" in text
    assert "  ✗ [八有] 有稳定收入来源且吃穿不愁: 未达标" in text


def test_diff_puts_rule_changes_before_wording() -> None:
    """diff shows the groups of rule changes first and wording and sources last, with the
    counts of each in its first line."""
    text = _out("diff", "-s", "gx.household.exit", "2016", "2018")
    first = text.splitlines()[0]
    assert "规则的变化" in first
    assert "措辞与依据的变化" in first
    heads = [line for line in text.splitlines() if not line.startswith("  ")][1:]
    assert heads[0].startswith("阈值与参数")
    assert heads[-1].startswith("措辞与依据的变化 (不改变评估结果)")
    threshold = text.index("阈值与参数")
    assert text.index("的依据:") > text.index("措辞与依据的变化 (不改变评估结果)") > threshold


def test_a_record_with_nothing_failing_lists_all_criteria_not_the_others() -> None:
    """With no failing criterion first, the criteria are not "the others" (其余)."""
    text = _out(*EXPLAIN, "--id", "4510991022010000001")
    assert text.splitlines()[1].startswith("各项指标 (")
    assert "其余指标" not in text
