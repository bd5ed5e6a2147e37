"""Deadlines as calendar items: the ``action`` a deliverable hands in, its checks, lint, listing."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from fupin_rules._yaml import read_yaml_text
from fupin_rules.calendar import (
    Calendar,
    add_calendar_arguments,
    lint_calendar,
    load_calendar,
    load_calendar_document,
    run_calendar_command,
)
from fupin_rules.errors import RuleFileError

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"

HEAD = """\
kind: calendar
id: test.deadlines
version: "1"
title: 截止时间测试
effective:
  from: "2018-11-01"
timezone: Asia/Shanghai
sources:
  - id: s
    title: 测试方案
actions:
  report:
    label: 上报总结
  collect:
    label: 采集
nodes:
"""


def calendar_text(nodes: str) -> str:
    """A calendar file with the head above and these nodes."""
    return HEAD + nodes


def load(nodes: str) -> Calendar:
    """Load a calendar made of the head above and these nodes."""
    return load_calendar_document(read_yaml_text(calendar_text(nodes), "d.yaml"))


def problems(nodes: str) -> list[tuple[int | None, str, str, str]]:
    """The load problems of such a calendar, as (line, code, path, message)."""
    with pytest.raises(RuleFileError) as info:
        load(nodes)
    return [(p.line, p.code, p.path, p.message) for p in info.value.problems]


REPORT_NODE = """\
  - id: work
    label: 工作
    section: 二(一)
    start: "2018-11-01"
    end: "2018-11-20"
    opens: [collect]
    deliverables:
      - id: summary
        label: 总结
        due: "2018-11-20T18:00"
        action: report
"""


def test_a_deliverable_with_an_action_decides_its_check() -> None:
    """The action is on time before the due instant wherever its windows are."""
    cal = load(
        REPORT_NODE
        + """\
  - id: late_window
    label: 汇报
    section: 二(二)
    start: "2018-11-25"
    end: "2018-11-25"
    opens: [report]
"""
    )
    assert cal.deadline_of("report") is cal.deliverable("summary")
    assert cal.deadline_of("collect") is None
    assert cal.check("report", "2018-11-20T17:59").ok
    assert cal.check("report", "2018-11-20T18:00").late
    assert cal.check("report", "2018-11-25T10:00").late  # inside its window, after the deadline
    found = [(p.code, p.path) for p in lint_calendar(cal)]
    assert found == [("calendar.deadline-before-window", "nodes[0].deliverables[0].action")]
    (finding,) = lint_calendar(cal)
    assert finding.message == (
        "总结 须在 2018-11-20 18:00 前完成, 但提交它的工作事项 上报总结 在 二(二) 汇报 的时段"
        " (2018-11-25) 才开放 (截止后 4 天 6 小时 才开始)"
    )
    assert finding.line == 27


def test_deliverable_action_must_be_defined() -> None:
    """An unknown action on a deliverable is a load problem at that key, with a suggestion."""
    text = REPORT_NODE.replace("action: report", "action: reprt")
    assert problems(text) == [
        (
            27,
            "calendar.unknown-action",
            "nodes[0].deliverables[0].action",
            "未定义的工作事项 'reprt'",
        )
    ]


def test_one_deadline_per_action() -> None:
    """Two deliverables that hand in the same action are refused, naming the first."""
    text = REPORT_NODE + (
        "      - id: summary_again\n"
        "        label: 再次总结\n"
        '        due: "2018-11-19"\n'
        "        action: report\n"
    )
    assert problems(text) == [
        (
            31,
            "calendar.duplicate-deadline",
            "nodes[0].deliverables[1].action",
            "工作事项 'report' 已有截止时间 (第 27 行的成果 'summary'); 一项工作只能有一个截止时间",
        )
    ]


def test_a_deliverable_named_as_another_action_is_ambiguous() -> None:
    """``check(name)`` takes action ids and deliverable ids: one name must mean one thing."""
    text = REPORT_NODE.replace("- id: summary", "- id: collect")
    assert problems(text) == [
        (
            24,
            "calendar.ambiguous-name",
            "nodes[0].deliverables[0].id",
            "成果编号 'collect' 与工作事项同名, 但不是提交该事项的成果",
        )
    ]
    same = REPORT_NODE.replace("- id: summary", "- id: report")
    assert load(same).check("report", "2018-11-20T17:00").ok  # named as the action it hands in


def test_schema_describes_the_action_key() -> None:
    """The schema accepts ``action`` on a deliverable (a snake_case name) and says what it means."""
    schema = json.loads((ROOT / "schemas" / "calendar.schema.json").read_text(encoding="utf-8"))
    action = schema["$defs"]["deliverable"]["properties"]["action"]
    assert action["$ref"] == "#/$defs/name"
    assert "截止时间为准" in action["description"]
    bad = REPORT_NODE.replace("action: report", "action: Report")
    assert [p[1] for p in problems(bad)] == ["schema.pattern"]


def test_the_bundled_summary_hands_in_the_summary_action() -> None:
    """In the 2018 plan, reporting the summary is governed by 12-12 18:00; lint still objects."""
    cal = load_calendar(PLAN)
    d = cal.deliverable("summary_report")
    assert (d.action, d.due_text, d.node_id) == ("summary_report", "2018-12-12T18:00", "summary")
    assert [d.id for d in cal.deliverables] == ["problem_list", "summary_report"]
    node = cal.to_dict()["nodes"][21]
    assert node["deliverables"][0]["action"] == "summary_report"
    codes = [p.code for p in lint_calendar(cal)]
    assert codes.count("calendar.deliverable-outside-node") == 1  # due before its node's date
    assert codes.count("calendar.deliverable-before-work") == 1
    assert "calendar.deadline-before-window" not in codes  # its own node: reported above


def test_due_within_lists_the_deadline_with_its_action() -> None:
    """Deadlines due are listed with the action they hand in and whether they are confirmed."""
    cal = load_calendar(PLAN)
    items = {i.id: i for i in cal.due_within("2018-12-01", 14)}
    assert items["summary_report"].kind == "deliverable"
    assert items["summary_report"].action == "summary_report"
    assert items["summary_report"].unconfirmed is False
    assert items["problem_list"].action is None
    assert items["problem_list"].unconfirmed is True
    assert items["summary_report"].to_dict()["action"] == "summary_report"


def run(*argv: str) -> tuple[int, str]:
    """Run ``fupin-rules calendar`` with these arguments; exit code and output."""
    parser = argparse.ArgumentParser(prog="fupin-rules calendar")
    add_calendar_arguments(parser)
    out = io.StringIO()
    code = run_calendar_command(parser.parse_args(argv), out)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("moment", "code", "mark"),
    [
        ("2018-12-12T17:59", 0, "[按时]"),
        ("2018-12-12T18:00", 1, "[逾期]"),
        ("2018-12-12T18:01", 1, "[逾期]"),
    ],
)
def test_command_checks_the_summary_deadline(moment: str, code: int, mark: str) -> None:
    """``calendar --check summary_report --at ...``: the deadline decides the exit code."""
    got, text = run("--check", "summary_report", "--at", moment)
    assert got == code
    lines = text.splitlines()
    assert lines[0].startswith(f"{mark} 动态管理工作总结须在 2018-12-12 18:00 前完成 (二(六))")
    assert lines[1] == "依据: 方案 二(六)"
    assert lines[-1] == (
        "注意: 方案 二(六) 标注的时段为 2018-12-15 当天; 是否按时以截止时间 2018-12-12 18:00 为准"
    )


def test_command_checks_a_deliverable_by_id() -> None:
    """``--check`` takes a deliverable id too; ``--json`` carries the deadline."""
    code, text = run("--check", "problem_list", "--at", "2018-12-05T12:00", "--json")
    assert code == 0
    data = json.loads(text)
    assert data["status"] == "ok"
    assert data["deadline"]["id"] == "problem_list"
    assert data["window"] is None
