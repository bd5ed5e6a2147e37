"""One broken rule file per failure mode: the problem's file, line, column and message are pinned.

Each case is a complete small rule file (or two, for ``extends`` and overlaps). The messages
are what policy staff read, so their wording is part of the interface.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import fupin_rules as fr

from .conftest import FIXTURES

HEADER = """kind: ruleset
id: demo.household
version: "2016"
title: 测试标准
subject: household
effective:
  from: 2016-01-01
sources:
  - id: notice
    title: 测试通知
"""

GOOD_CRITERION = """criteria:
  - id: income
    label: 收入
    test: net_income > 0
"""


def load_problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    """Write the files beside the fixture code lists, load them, and return the problems as
    text (paths made relative)."""
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with pytest.raises(fr.RuleFileError) as info:
        fr.load_library(tmp_path, schemas=FIXTURES / "schemas")
    return [str(p).replace(str(tmp_path) + "/", "") for p in info.value.problems]


CASES = {
    "yaml-syntax": (
        {"r.yaml": HEADER + "criteria:\n  - id: income\n    label: [收入\n"},
        [
            "r.yaml:14:1: YAML 语法错误: 方括号列表没有闭合, 缺少 ',' 或 ']' ({original}) (提示: 检查缩进、冒号和引号)"
        ],
    ),
    "duplicate-key": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    test: net_income > 1\n"},
        ["r.yaml:15:5: 重复的键 'test' (第一次出现在第 14 行) (提示: 每个键在同一层只能写一次)"],
    ),
    "unknown-key": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    tset: x\n"},
        [
            "r.yaml:15:5: criteria[0].tset: 未知的键 'tset' (提示: 是否要写: test)",
        ],
    ),
    "missing-required": (
        {"r.yaml": HEADER.replace("title: 测试标准\n", "") + GOOD_CRITERION},
        ["r.yaml:1:1: 缺少必填的键 'title'"],
    ),
    "version-not-quoted": (
        {"r.yaml": HEADER.replace('version: "2016"', "version: 2016") + GOOD_CRITERION},
        ['r.yaml:3:1: version: 应为文本, 实际为数值 2016 (提示: 如要文本请加引号: "2016")'],
    ),
    "yes-as-boolean": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    unconfirmed: yes\n"},
        [
            "r.yaml:15:5: criteria[0].unconfirmed: 应为是/否 (true/false), 实际为文本 'yes' (提示: 是/否请写 true 或 false)"
        ],
    ),
    "impossible-date": (
        {"r.yaml": HEADER.replace("from: 2016-01-01", "from: 2016-02-30") + GOOD_CRITERION},
        [
            "r.yaml:7:3: effective.from: '2016-02-30' 不是有效的日期 (提示: 日期写成 YYYY-MM-DD, 且须是真实存在的日期)"
        ],
    ),
    "bad-severity": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    severity: blockin\n"},
        [
            "r.yaml:15:5: criteria[0].severity: 应为 blocking、reference、veto 之一, 实际是 'blockin' (提示: 是否要写: blocking)"
        ],
    ),
    "unknown-name": (
        {
            "r.yaml": HEADER
            + "criteria:\n  - id: income\n    label: 收入\n    test: net_incme > 0\n"
        },
        ["r.yaml:14:11: criteria[0].test: 未知名称 'net_incme' (提示: 是否要找: net_income)"],
    ),
    "type-mismatch": (
        {
            "r.yaml": HEADER
            + "criteria:\n  - id: income\n    label: 收入\n    test: net_income > '3000'\n"
        },
        ["r.yaml:14:11: criteria[0].test: 不能比较数值和文本"],
    ),
    "unknown-code": (
        {
            "r.yaml": HEADER
            + "criteria:\n  - id: attr\n    label: 属性\n    test: attribute == '五保户'\n"
        },
        [
            "r.yaml:14:24: criteria[0].test: '五保户' 不在代码表 attr 中 ['五保户'] (提示: 可用: 01 一般贫困户, 04 低保贫困户)"
        ],
    ),
    "unsafe-expression": (
        {"r.yaml": HEADER + "criteria:\n  - id: x\n    label: x\n    test: ().__class__ == 1\n"},
        ["r.yaml:14:11: criteria[0].test: 不允许访问 __class__ [().__class__]"],
    ),
    "template-unknown-name": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    fail: 收入 {net_incom} 元\n"},
        [
            "r.yaml:15:5: criteria[0].fail: 说明模板中的未知名称 {net_incom} (提示: 是否要找: net_income)"
        ],
    ),
    "template-format-traversal": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    fail: '{net_income.__class__}'\n"},
        ["r.yaml:15:5: criteria[0].fail: 说明模板中只能写 {名称}, 不能写 {net_income.__class__}"],
    ),
    "unknown-source": (
        {"r.yaml": HEADER + GOOD_CRITERION + "    sources: [{ref: notise}]\n"},
        [
            "r.yaml:15:16: criteria[0].sources[0].ref: 引用的来源 'notise' 不在 sources 中 (提示: 已有: notice)"
        ],
    ),
    "parameter-type": (
        {
            "r.yaml": HEADER
            + "parameters:\n  line:\n    label: 标准\n    type: number\n    value: '2952'\n"
            + GOOD_CRITERION
        },
        ["r.yaml:15:5: parameters.line.value: 参数值 '2952' 不是数值 (提示: 参数 type 为 number)"],
    ),
    "parameter-order": (
        {
            "r.yaml": HEADER
            + "parameters:\n  line:\n    label: 标准\n    type: number\n    values:\n"
            + "      - {from: 2017-01-01, value: 1}\n      - {from: 2016-01-01, value: 2}\n"
            + GOOD_CRITERION
        },
        ["r.yaml:15:5: parameters.line.values: values 须按 from 日期从早到晚排列, 且日期不重复"],
    ),
    "unknown-subject": (
        {"r.yaml": HEADER.replace("subject: household", "subject: houshold") + GOOD_CRITERION},
        [
            "r.yaml:5:1: subject: 没有适用对象 'houshold' 的记录结构 (提示: 已有: household (schemas/records/<subject>.schema.json))"
        ],
    ),
    "wrong-kind": (
        {"r.yaml": HEADER.replace("kind: ruleset", "kind: rulest") + GOOD_CRITERION},
        [
            "r.yaml:1:1: kind: kind 应为 ruleset、codelist、calendar、headermap、procedure 之一, 实际是 'rulest' (提示: 每个规则文件的第一项写 kind: ruleset (或 codelist、calendar、headermap))"
        ],
    ),
    "extends-missing": (
        {
            "r2018.yaml": HEADER.replace('"2016"', '"2018"').replace("2016-01-01", "2018-01-01")
            + 'extends: "2017"\n'
        },
        ["r2018.yaml:11:1: extends: 找不到被修订的版本 demo.household@2017 (提示: 已有版本: 2018)"],
    ),
    "extends-cycle": (
        {
            "a.yaml": HEADER.replace('"2016"', '"a"') + 'extends: "b"\n',
            "b.yaml": HEADER.replace('"2016"', '"b"') + 'extends: "a"\n',
        },
        [
            "a.yaml:11:1: extends: extends 形成循环: b -> a -> b",
            "b.yaml:11:1: extends: extends 形成循环: a -> b -> a",
        ],
    ),
    "overlapping-versions": (
        {
            "a.yaml": HEADER.replace("from: 2016-01-01", "from: 2016-01-01\n  until: 2018-06-30")
            + GOOD_CRITERION,
            "b.yaml": HEADER.replace('"2016"', '"2018"').replace("2016-01-01", "2018-01-01")
            + GOOD_CRITERION,
        },
        [
            "b.yaml:7:3: effective.from: demo.household@2018 自 2018-01-01 起施行, 但 demo.household@2016 在这一天仍然有效 (至 2018-06-30) (提示: 把 demo.household@2016 的 effective.until 写为 2017-12-31, 或删去它 (版本止于下一版本施行的前一天))"
        ],
    ),
    "same-start": (
        {
            "a.yaml": HEADER + GOOD_CRITERION,
            "b.yaml": HEADER.replace('"2016"', '"2018"') + GOOD_CRITERION,
        },
        [
            "b.yaml:7:3: effective.from: demo.household@2018 与 demo.household@2016 同在 2016-01-01 起施行: 同一天只能有一个版本 (提示: 改正其中一个版本的 effective.from)"
        ],
    ),
    "duplicate-version": (
        {"a.yaml": HEADER + GOOD_CRITERION, "b.yaml": HEADER + GOOD_CRITERION},
        ["b.yaml:3:1: version: demo.household@2016 已在 a.yaml 中定义"],
    ),
    "new-criterion-incomplete": (
        {
            "a.yaml": HEADER.replace("from: 2016-01-01", "from: 2016-01-01\n  until: 2017-12-31")
            + GOOD_CRITERION,
            "b.yaml": HEADER.replace('"2016"', '"2018"').replace("2016-01-01", "2018-01-01")
            + 'extends: "2016"\ncriteria:\n  - id: water\n    label: 饮水\n',
        },
        [
            "b.yaml:13:5: criteria[0].id: 指标 'water' 缺少 test (提示: 新增指标须写全 label 和 test)"
        ],
    ),
    "remove-missing": (
        {
            "a.yaml": HEADER.replace("from: 2016-01-01", "from: 2016-01-01\n  until: 2017-12-31")
            + GOOD_CRITERION,
            "b.yaml": HEADER.replace('"2016"', '"2018"').replace("2016-01-01", "2018-01-01")
            + 'extends: "2016"\nremove:\n  criteria: [incom]\n',
        },
        ["b.yaml:13:14: remove.criteria[0]: 要删除的 'incom' 在被修订版本中不存在"],
    ),
    "remove-without-extends": (
        {"r.yaml": HEADER + GOOD_CRITERION + "remove:\n  criteria: [income]\n"},
        [
            "r.yaml:15:1: remove: remove 只能用在修订版中 (须同时写 extends) (提示: 不是修订版时, 直接删掉不要的条目即可)"
        ],
    ),
    "parameter-source-unknown": (
        {
            "r.yaml": HEADER
            + "parameters:\n  line:\n    label: 标准\n    type: number\n    values:\n"
            + "      - {from: 2016-01-01, value: 1, sources: [{ref: notise}]}\n"
            + "    sources: [{ref: nope}]\n"
            + GOOD_CRITERION
        },
        [
            "r.yaml:16:49: parameters.line.values[0].sources[0].ref: 引用的来源 'notise' 不在 sources 中 (提示: 已有: notice)",
            "r.yaml:17:16: parameters.line.sources[0].ref: 引用的来源 'nope' 不在 sources 中 (提示: 已有: notice)",
        ],
    ),
    "decision-uses-date": (
        {
            "r.yaml": HEADER
            + GOOD_CRITERION
            + "decision:\n  method: expression\n  expression: income and as_of > '2016-06-01'\n"
        },
        [
            "r.yaml:17:26: decision.expression: 未知名称 'as_of' (提示: 判定表达式只能使用指标 id: income)"
        ],
    ),
    "for-each-not-a-list": (
        {
            "r.yaml": HEADER
            + "criteria:\n  - id: edu\n    label: 教育\n    for_each: {list: household_size, as: m}\n    test: m.enrolled\n"
        },
        [
            "r.yaml:14:16: criteria[0].for_each.list: 'household_size' 不是记录中的列表字段 (提示: 可用: members)"
        ],
    ),
    "example-unknown-criterion": (
        {
            "r.yaml": HEADER
            + GOOD_CRITERION
            + "examples:\n  - name: e\n    record: {household_id: x}\n    expect: {outcome: pass, failing: [incom]}\n"
        },
        ["r.yaml:18:39: examples[0].expect.failing[0]: 没有指标 'incom'"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_rule_file(tmp_path: Path, case: str) -> None:
    """Each failure mode gives exactly the pinned problems, and nothing is loaded."""
    files, expected = CASES[case]
    problems = load_problems(tmp_path, files)
    # The parser's own words (libyaml or PyYAML) are kept in parentheses after ours.
    problems = [re.sub(r" \((did not find|expected) [^)]*\)", " ({original})", p) for p in problems]
    assert problems == expected


def test_all_problems_of_a_file_in_one_run(tmp_path: Path) -> None:
    """Several mistakes in one file are all reported at once, in line order."""
    text = (
        HEADER
        + "criteria:\n"
        + "  - id: a\n    label: a\n    test: net_incme > 0\n"
        + "  - id: b\n    label: b\n    test: household_size > 'x'\n"
        + "  - id: c\n    label: c\n    test: \"true\"\n    fail: '{nope}'\n"
    )
    problems = load_problems(tmp_path, {"r.yaml": text})
    assert [p.split(": ")[0] for p in problems] == ["r.yaml:14:11", "r.yaml:17:11", "r.yaml:21:5"]


def test_a_broken_file_stops_the_whole_library(tmp_path: Path) -> None:
    """One bad file among good ones: the load fails closed (nothing half-loaded)."""
    good = (FIXTURES / "lib" / "demo.household" / "2016.yaml").read_text(encoding="utf-8")
    shutil.copytree(FIXTURES / "lib" / "codes", tmp_path / "codes")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "2016.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("kind: ruleset\nid: [\n", encoding="utf-8")
    with pytest.raises(fr.RuleFileError) as info:
        fr.load_library(tmp_path, schemas=FIXTURES / "schemas")
    assert len(info.value.problems) == 1
    assert info.value.problems[0].file.endswith("bad.yaml")


def test_a_broken_derived_field_is_reported_once(tmp_path: Path) -> None:
    """A derived field that does not compile is one problem, not one more at every use."""
    text = (
        HEADER
        + "derived:\n  per_capita:\n    label: 人均\n    expr: net_incme / household_size\n"
        + "criteria:\n"
        + "  - id: a\n    label: a\n    test: per_capita > 1\n"
        + "  - id: b\n    label: b\n    test: per_capita < 100000\n"
        + "examples:\n  - name: e\n    record: {household_id: x}\n    expect: {outcome: pass, failing: [a]}\n"
    )
    problems = load_problems(tmp_path, {"r.yaml": text})
    assert problems == [
        "r.yaml:14:11: derived.per_capita.expr: 未知名称 'net_incme' (提示: 是否要找: net_income)"
    ]
