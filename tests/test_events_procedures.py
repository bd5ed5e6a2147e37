"""Procedure files: the bundled ones load, select by date, and cite their sources; a broken
one fails the load closed, naming file:line:column (one case per failure mode, pinned)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules._resources import bundled_standards_dir
from fupin_rules._yaml import read_yaml
from fupin_rules.errors import NotFoundError
from fupin_rules.events import event_types, load_procedure_document, select_procedure

from .test_frozen import _mutable

BASE = """\
kind: procedure
id: test.procedure.broken
version: "2010"
title: 测试用程序
effective:
  from: "2010-01-01"
  until: "2010-12-31"
calendar: town.dynamic-management
sources:
  - id: test
    title: 测试用来源
parameters:
  days:
    label: 公示天数
    type: integer
    value: 5
events:
  village_inclusion:
    label: 测试用贫困村新纳入
    action: village_inclusion
    subjects:
      village: {}
    requires:
      - mark: poor_village
        equals: false
steps:
  - id: proposal
    label: 提出
    sources: [{ref: test}]
  - id: notice
    label: 公示
    kind: notice
    min_days: days
"""

CASES: dict[str, tuple[tuple[str, str], list[str]]] = {
    "yaml-syntax": (
        ("  - id: proposal\n    label: 提出", "  - id: proposal\n    label: 提出: 又提出"),
        [
            "p.yaml:28:14: YAML 语法错误: 这里不能出现冒号 ':'; 含冒号的文字请加引号, 或检查缩进 ({original}) (提示: 检查缩进、冒号和引号)"
        ],
    ),
    "unknown-key": (
        ("    label: 提出\n", "    lable: 提出\n"),
        [
            "p.yaml:27:5: steps[0]: 缺少必填的键 'label'",
            "p.yaml:28:5: steps[0].lable: 未知的键 'lable' (提示: 是否要写: label)",
        ],
    ),
    "duplicate-step": (
        ("  - id: notice\n", "  - id: proposal\n"),
        ["p.yaml:30:5: steps[1].id: 步骤编号 'proposal' 重复 (第一次出现在第 27 行)"],
    ),
    "unknown-source": (
        ("[{ref: test}]", "[{ref: tset}]"),
        ["p.yaml:29:16: steps[0].sources[0].ref: 未知的来源 'tset' (提示: 可用的来源: test)"],
    ),
    "unknown-parameter": (
        ("    min_days: days\n", "    min_days: dayz\n"),
        ["p.yaml:33:5: steps[1].min_days: 没有参数 'dayz' (提示: 参数写在 parameters 中: days)"],
    ),
    "min-days-on-an-act": (
        ("    kind: notice\n", ""),
        ["p.yaml:32:5: steps[1].min_days: min_days 只用于公示步骤 (kind: notice)"],
    ),
    "not-an-integer": (
        ("    value: 5\n", "    value: 5.5\n"),
        ["p.yaml:16:5: parameters.days.value: 参数值 5.5 不是整数"],
    ),
    "step-for-an-unknown-type": (
        ("    label: 提出\n", "    label: 提出\n    events: [village_exit]\n"),
        [
            "p.yaml:29:14: steps[0].events[0]: 本程序没有事项类型 'village_exit' (提示: 可用的事项类型: village_inclusion)"
        ],
    ),
    "same-day-on-the-first-step": (
        ("    label: 提出\n", "    label: 提出\n    same_day_as_previous: true\n"),
        ["p.yaml:29:5: steps[0].same_day_as_previous: 第一个步骤没有上一步骤"],
    ),
    "action-and-event-window": (
        (
            "    label: 提出\n",
            "    label: 提出\n    action: system_entry\n    within_event_window: true\n",
        ),
        ["p.yaml:30:5: steps[0].within_event_window: action 和 within_event_window 只能写一个"],
    ),
    "requirement-without-values": (
        ("        equals: false\n", ""),
        ["p.yaml:24:9: events.village_inclusion.requires[0]: 须写 equals 或 in 二者之一"],
    ),
    "mark-value": (
        ("        equals: false\n", "        equals: 否\n"),
        [
            "p.yaml:25:9: events.village_inclusion.requires[0].equals: 标注 poor_village 的取值应为 true 或 false, 实际为 '否'"
        ],
    ),
    "bad-effective": (
        ('  until: "2010-12-31"', '  until: "2009-12-31"'),
        ["p.yaml:7:3: effective.until: 废止日期 2009-12-31 早于施行日期 2010-01-01"],
    ),
    "unknown-calendar": (
        ("calendar: town.dynamic-management", "calendar: town.dynamic-managment"),
        [
            "p.yaml:8:1: calendar: 没有工作日程 'town.dynamic-managment' (提示: 可用的日程: town.dynamic-management)"
        ],
    ),
    "unknown-action": (
        ("    action: village_inclusion", "    action: village_include"),
        [
            "p.yaml:20:5: events.village_inclusion.action: 日程 town.dynamic-management 中没有工作事项 'village_include' (提示: 可用的工作事项: data_cleaning, data_comparison, exit_marking, household_exit_certification, household_new_identification, household_return_to_poverty, information_collection, member_change, plan_adjustment, planned_exit_marking, rectification, return_marking, summary_report, system_entry, training, village_exit_certification, village_inclusion)"
        ],
    ),
    "unknown-standard": (
        ("      village: {}", "      village: {standard: gx.village.exits}"),
        [
            "p.yaml:22:17: events.village_inclusion.subjects.village.standard: 没有标准 'gx.village.exits'"
        ],
    ),
    "standard-of-another-subject": (
        ("      village: {}", "      village: {standard: gx.household.exit}"),
        [
            "p.yaml:22:17: events.village_inclusion.subjects.village.standard: 标准 gx.household.exit 适用于 household 记录, 不是 village"
        ],
    ),
    "exit-status-not-in-the-records": (
        (
            "      - mark: poor_village\n        equals: false",
            "      - mark: exit_status\n        equals: 未脱贫",
        ),
        [
            "p.yaml:25:9: events.village_inclusion.requires[0].equals: village 记录的脱贫标志 (退出状态) 没有取值 '未脱贫' (提示: 可用的取值: 已退出、未退出、计划退出)"
        ],
    ),
    "overlap": (
        (
            '  from: "2010-01-01"\n  until: "2010-12-31"',
            '  from: "2018-10-01"\n  until: "2018-12-31"',
        ),
        [
            "p.yaml:6:3: effective.from: 与 gx.procedure.village-inclusion@2018 同时施行, 都适用于事项类型 village_inclusion (提示: 同一天只能有一个版本适用于一种事项; 请给前一版本写 until)"
        ],
    ),
}


_NEEDED = (
    "town.dynamic-management/2018.yaml",
    "gx.household.exit/2016.yaml",
    "procedures/gx.procedure.village-inclusion/2018.yaml",
)
"""What the cases name from other files (a calendar, a household standard, the bundled
procedure a case overlaps), copied so that each load is quick."""


@pytest.fixture(scope="module")
def others(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("others")
    for rel in _NEEDED:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundled_standards_dir() / rel, target)
    return folder


LINKED = {
    "unknown-calendar",
    "unknown-action",
    "unknown-standard",
    "standard-of-another-subject",
    "exit-status-not-in-the-records",
    "overlap",
}
"""The cases found only with the other files loaded (the library's checks); the others are
found in the file alone (:func:`load_procedure_document`), which the library calls."""


def _problems(tmp_path: Path, text: str, others: Path, *, linked: bool = True) -> list[str]:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")

    def load() -> object:
        if linked:
            return fr.load_library([others, tmp_path])
        return load_procedure_document(read_yaml(tmp_path / "p.yaml"))

    with pytest.raises(fr.RuleFileError) as caught:
        load()
    shown = [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]
    return [p for p in shown if p.startswith("p.yaml")]


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_procedure_fails_the_load_closed(tmp_path: Path, others: Path, case: str) -> None:
    """Each failure mode gives exactly the pinned problems at file:line:column; the load
    raises, so nothing of any file is returned."""
    (old, new), expected = CASES[case]
    assert old in BASE
    got = _problems(tmp_path, BASE.replace(old, new, 1), others, linked=case in LINKED)
    # The parser's own words (libyaml or PyYAML) are kept in parentheses after ours.
    got = [
        re.sub(r" \((mapping values|did not find|expected) [^)]*\)", " ({original})", g)
        for g in got
    ]
    assert got == expected


def test_a_file_broken_in_itself_stops_the_library_load(tmp_path: Path, others: Path) -> None:
    """Nothing is half-loaded: the library refuses the whole load, naming the file."""
    (old, new), expected = CASES["duplicate-step"]
    assert _problems(tmp_path, BASE.replace(old, new, 1), others) == expected


def test_the_base_of_the_cases_loads(tmp_path: Path, others: Path) -> None:
    (tmp_path / "p.yaml").write_text(BASE, encoding="utf-8")
    lib = fr.load_library([others, tmp_path])
    assert [p.key for p in lib.procedures["test.procedure.broken"]] == [
        "test.procedure.broken@2010"
    ]


def test_an_event_type_without_steps(tmp_path: Path, others: Path) -> None:
    text = BASE.replace("    label: 提出\n", "    label: 提出\n    events: [village_inclusion]\n")
    text = text.replace(
        "  village_inclusion:\n    label: 测试用贫困村新纳入",
        "  village_exit:\n    label: 测试\n    action: village_exit_certification\n"
        "    subjects:\n      village: {}\n  village_inclusion:\n    label: 测试用贫困村新纳入",
    )
    text = text.replace("    kind: notice\n", "    kind: notice\n    events: [village_inclusion]\n")
    assert _problems(tmp_path, text, others) == [
        "p.yaml:18:3: events.village_exit: 事项类型 village_exit 没有任何步骤"
    ]


def test_the_bundled_procedures(bundled: fr.Library) -> None:
    """Every event type has a procedure; each cites its sources; nothing in them can change."""
    covered = {t for versions in bundled.procedures.values() for p in versions for t in p.events}
    assert covered == set(event_types())
    for versions in bundled.procedures.values():
        for p in versions:
            assert p.sources
            assert all(s.citations or s.unconfirmed or p.unconfirmed for s in p.steps), p.key
    assert _mutable({"procedures": bundled.procedures}) == []


@pytest.mark.parametrize(
    ("event_type", "day", "key"),
    [
        ("household_exit", "2017-11-20", "gx.procedure.household-exit@2016"),
        ("household_exit", "2018-09-29", "gx.procedure.household-exit@2016"),
        ("household_exit", "2018-09-30", "gx.procedure.household-exit@2018"),
        ("new_identification", "2018-10-10", "gx.procedure.identification@2017"),
        ("return_to_poverty", "2018-10-10", "gx.procedure.identification@2017"),
        ("member_increase", "2018-10-10", "gx.procedure.member-change@2018"),
        ("member_decrease", "2018-10-10", "gx.procedure.member-change@2018"),
        ("plan_adjustment", "2018-10-10", "gx.procedure.plan-adjustment@2018"),
        ("village_inclusion", "2018-10-10", "gx.procedure.village-inclusion@2018"),
        ("village_exit", "2018-11-20", "gx.procedure.village-exit@2018"),
    ],
)
def test_the_procedure_in_force_on_a_day(
    bundled: fr.Library, event_type: str, day: str, key: str
) -> None:
    assert select_procedure(bundled.procedures, event_type, day).key == key


def test_no_procedure_before_the_first(bundled: fr.Library) -> None:
    with pytest.raises(NotFoundError, match="2016-03-31 没有施行中的"):
        select_procedure(bundled.procedures, "household_exit", "2016-03-31")


def test_what_the_sources_do_not_give_is_marked(bundled: fr.Library) -> None:
    """Notice lengths have no value and are unconfirmed; the 二上二下 step is optional and
    unconfirmed; no step is invented silently."""
    for versions in bundled.procedures.values():
        for p in versions:
            for name, param in p.parameters.items():
                value = param.values[0]
                assert value.value is None, (p.key, name)
                assert value.unconfirmed, (p.key, name)
                assert value.note, (p.key, name)
    plan = select_procedure(bundled.procedures, "plan_adjustment", "2018-10-10")
    step = plan.step("two_up_two_down")
    assert step is not None
    assert (step.required, step.unconfirmed) == (False, True)
    assert step.note
    assert "来源未给出" in step.note
