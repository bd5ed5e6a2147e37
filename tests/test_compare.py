"""Comparing versions: diff of the rules, impact on records."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import fupin_rules as fr
from fupin_rules.compare import diff, impact

from .test_cli import DEMO, GOOD, run


def test_diff_lists_every_change_of_the_revision(demo_lib: fr.Library) -> None:
    """The delta of 2018 over 2016 is reported in full: changed, added, removed."""
    a = demo_lib.get("demo.household", version="2016")
    b = demo_lib.get("demo.household", version="2018")
    lines = [str(c) for c in diff(a, b)]
    assert "~ 指标 housing 的性质: blocking → reference" in lines
    assert "~ 指标 housing 的名称: 有住房保障 → 有住房保障 (参考)" in lines
    assert "- 删除指标 attribute_known" in lines
    assert "+ 新增指标 water" in lines
    assert (
        "~ 参数 income_line 的取值: 自 2016-01-01: 2952 → (无); 自 2017-01-01: 3335 [未确认] → (无);"
        " 自 2018-01-01: (无) → 无已确认的值" in lines
    )
    assert diff(a, a) == []


def test_impact_counts_transitions_and_names_changed_records(demo_lib: fr.Library) -> None:
    """Outcomes under both versions on one date: transitions counted, movers listed with the
    criteria that differ."""
    a = demo_lib.get("demo.household", version="2016")
    b = demo_lib.get("demo.household", version="2018").with_parameters({"income_line": 2952})
    records = [
        GOOD,
        {**GOOD, "household_id": "H2", "housing_area": 10},  # housing becomes reference only
        {**GOOD, "household_id": "H3", "net_income": Decimal(100)},
    ]
    report = impact(a, b, records, as_of="2018-11-20")
    assert report.total == 3
    assert report.transitions == {("pass", "pass"): 1, ("fail", "pass"): 1, ("fail", "fail"): 1}
    moved = {r.record_id: r for r in report.changed}
    assert moved["H2"].criteria == (("attribute_known", "pass", "-"), ("water", "-", "pass"))
    assert (moved["H2"].before, moved["H2"].after) == ("fail", "pass")


def test_cli_diff_and_impact(tmp_path: Path) -> None:
    """diff and impact on the command line."""
    code, out, _ = run("diff", "-s", "demo.household", "2016", "2018", *DEMO)
    assert code == 0
    assert out.startswith("demo.household@2016 → demo.household@2018: ")
    assert "  + 新增指标 water\n" in out
    # impact's spelling of the two versions works for diff too
    assert run("diff", "-s", "demo.household", "--from", "2016", "--to", "2018", *DEMO)[1] == out
    for wrong in (["2016"], ["--from", "2016"], ["2016", "2018", "--from", "2016"]):
        code, _, err = run("diff", "-s", "demo.household", *wrong, *DEMO)
        assert code == 2
        assert "请指定两个版本" in err
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n{bad\n", encoding="utf-8")
    code, out, _ = run(
        "impact",
        "-s",
        "demo.household",
        "--from",
        "2016",
        "--to",
        "2018",
        "--as-of",
        "2016-11-20",
        str(src),
        "-o",
        str(tmp_path / "changed.jsonl"),
        *DEMO,
    )
    assert code == 0
    assert "共 2 条记录" in out
    # On 2016-11-20 the 2018 version has no confirmed income line: the record cannot be judged.
    assert "结果 (2016 → 2018):\n  达标 → 无效: 1  *\n  无效 → 无效: 1\n" in out
    assert "  income: pass → unknown  1 条\n" in out
    changed = [
        json.loads(x) for x in (tmp_path / "changed.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [c["source"] for c in changed] == [f"{src}:1"]


def test_impact_moves_are_those_of_the_findings() -> None:
    """Impact compares criterion outcomes without building findings; they are the findings'
    outcomes, record by record (missing values, invalid records and all)."""
    import random
    import sys

    from .conftest import ROOT

    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import household

    lib = fr.load_library()
    a = lib.get("gx.household.exit", version="2016")
    b = lib.get("gx.household.exit", version="2018")
    rng = random.Random(4)
    records = [household(rng, i, missing=0.1) for i in range(150)]
    report = impact(a, b, records, as_of="2018-11-20")
    want = []
    for record in records:
        x = a.evaluate(record, as_of="2018-11-20")
        y = b.evaluate(record, as_of="2018-11-20")
        first = {f.criterion: f.outcome for f in x.findings}
        second = {f.criterion: f.outcome for f in y.findings}
        moves = tuple(
            (n, first.get(n, "-"), second.get(n, "-"))
            for n in [*first, *(n for n in second if n not in first)]
            if first.get(n, "-") != second.get(n, "-")
        )
        if moves or x.outcome != y.outcome:
            want.append((x.record_id, x.outcome, y.outcome, moves))
    got = [(r.record_id, r.before, r.after, r.criteria) for r in report.changed]
    assert got == want
    assert any(r.criteria for r in report.changed)


def test_diff_and_the_site_name_changed_fields_with_one_table_of_words() -> None:
    """A changed field is named by compare.field_word, which ``diff``'s lines and the site's
    page of changes both call: the words of compare.FIELD_WORDS, a standard's own
    ``applies_if`` as its 适用范围 and a criterion's as its 适用条件."""
    from fupin_rules.compare import FIELD_WORDS, Change, field_word

    assert field_word(Change("ruleset", "gx.household.exit", "changed", "applies_if")) == "适用范围"
    assert field_word(Change("criterion", "housing", "changed", "applies_if")) == "适用条件"
    unconfirmed = Change("criterion", "housing", "changed", "unconfirmed", False, True)
    assert str(unconfirmed) == "~ 指标 housing 的「未经来源确认」标记: 否 → 是"
    for field, words in FIELD_WORDS.items():
        assert field_word(Change("derived", "x", "changed", field)) == words
