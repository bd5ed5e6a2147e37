"""Broken calendar files: one fixture per failure mode, each problem pinned with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from fupin_rules.calendar import load_calendar
from fupin_rules.errors import RuleFileError

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "invalid_calendars"
ROOT = HERE.parent

TIME_HINT = "写成 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM; 日期须真实存在, 小时 00-23 (或 24:00), 分钟 00-59"

# file -> every problem expected, as (line, code, path, message)
EXPECTED: dict[str, list[tuple[int, str, str, str]]] = {
    "bad_action_name.yaml": [
        (
            15,
            "schema.name",
            "actions.Enter",
            "名称 'Enter' 不合规: 应为英文小写字母开头的 snake_case",
        )
    ],
    "bad_bound_format.yaml": [(22, "schema.pattern", "nodes[0].end", "'2018/11/25' 格式不符")],
    "bad_due.yaml": [
        (
            40,
            "calendar.bad-time",
            "nodes[2].deliverables[0].due",
            "不存在的时间 '2018-11-30T18:60'",
        )
    ],
    "bad_effective.yaml": [
        (
            8,
            "calendar.bad-effective",
            "effective.until",
            "施行结束日 2018-09-01 早于施行日期 2018-09-30",
        )
    ],
    "bad_effective_date.yaml": [
        (7, "schema.format", "effective.from", "'2018-13-01' 不是有效的日期")
    ],
    "bad_hour.yaml": [(34, "calendar.bad-time", "nodes[2].end", "不存在的时间 '2018-11-30T25:00'")],
    "duplicate_deliverable.yaml": [
        (
            41,
            "calendar.duplicate-id",
            "nodes[2].deliverables[1].id",
            "成果编号 'report' 重复 (第一次出现在第 38 行)",
        )
    ],
    "duplicate_key.yaml": [
        (32, "yaml.duplicate-key", "", "重复的键 'label' (第一次出现在第 31 行)")
    ],
    "duplicate_node_id.yaml": [
        (
            30,
            "calendar.duplicate-id",
            "nodes[2].id",
            "节点编号 'collect' 重复 (第一次出现在第 23 行)",
        )
    ],
    "empty_window.yaml": [
        (
            34,
            "calendar.empty-window",
            "nodes[2].end",
            "结束 2018-11-30 10:00 不晚于开始 2018-11-30 10:00: 时段为空",
        )
    ],
    "end_before_start.yaml": [
        (
            34,
            "calendar.empty-window",
            "nodes[2].end",
            "结束 2018-11-11 不晚于开始 2018-11-30: 时段为空",
        )
    ],
    "impossible_date.yaml": [
        (27, "calendar.bad-time", "nodes[1].start", "不存在的时间 '2018-02-30'")
    ],
    "missing_required.yaml": [(2, "schema.required", "", "缺少必填的键 'timezone'")],
    "parent_cycle.yaml": [
        (
            23,
            "calendar.cycle",
            "nodes[0].parent",
            "上级关系形成循环 (stage -> collect -> ... -> stage)",
        ),
        (
            27,
            "calendar.cycle",
            "nodes[1].parent",
            "上级关系形成循环 (collect -> stage -> ... -> collect)",
        ),
    ],
    "self_after.yaml": [
        (36, "calendar.self-reference", "nodes[2].after[0]", "节点不能引用自己 (after)")
    ],
    "several_problems.yaml": [
        (27, "calendar.bad-time", "nodes[1].start", "不存在的时间 '2018-09-31'"),
        (
            30,
            "calendar.duplicate-id",
            "nodes[2].id",
            "节点编号 'stage' 重复 (第一次出现在第 18 行)",
        ),
        (35, "calendar.unknown-action", "nodes[2].opens[0]", "未定义的工作事项 'entry'"),
    ],
    "unknown_action.yaml": [
        (35, "calendar.unknown-action", "nodes[2].opens[0]", "未定义的工作事项 'entry'")
    ],
    "unknown_after.yaml": [
        (36, "calendar.unknown-node", "nodes[2].after[0]", "未定义的节点 'collection'")
    ],
    "unknown_field.yaml": [
        (30, "schema.required", "nodes[2]", "缺少必填的键 'start'"),
        (33, "schema.unknown-key", "nodes[2].starts", "未知的键 'starts'"),
    ],
    "unknown_parent.yaml": [
        (26, "calendar.unknown-node", "nodes[1].parent", "未定义的上级节点 'stages'")
    ],
    "wrong_kind.yaml": [(2, "schema.enum", "kind", "应为 calendar, 实际是 'ruleset'")],
    "wrong_timezone.yaml": [(8, "schema.enum", "timezone", "应为 Asia/Shanghai, 实际是 'UTC'")],
}


def test_every_fixture_is_pinned() -> None:
    """Each broken file has its expected problems here, and each entry has a file."""
    files = {p.name for p in FIXTURES.glob("*.yaml")} - {"lint_findings.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file(name: str) -> None:
    """Loading the file raises RuleFileError with every problem, at file:line."""
    path = FIXTURES / name
    with pytest.raises(RuleFileError) as info:
        load_calendar(path)
    got = [(p.line, p.code, p.path, p.message) for p in info.value.problems]
    assert got == EXPECTED[name]
    for p in info.value.problems:
        assert p.file == str(path)
        assert str(p).startswith(f"{path}:{p.line}:")


def test_hints() -> None:
    """Hints say what is valid, or suggest the name meant."""
    hints = {}
    for name in (
        "unknown_field.yaml",
        "unknown_parent.yaml",
        "bad_hour.yaml",
        "unknown_action.yaml",
    ):
        with pytest.raises(RuleFileError) as info:
            load_calendar(FIXTURES / name)
        hints[name] = [p.hint for p in info.value.problems]
    assert hints == {
        "unknown_field.yaml": [None, "是否要写: start"],
        "unknown_parent.yaml": ["是否要写: stage"],
        "bad_hour.yaml": [TIME_HINT],
        "unknown_action.yaml": ["是否要写: enter"],
    }


def test_schema_is_valid_and_the_plan_validates() -> None:
    """The calendar schema is valid 2020-12 and forbids unknown fields everywhere."""
    schema = json.loads((ROOT / "schemas" / "calendar.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)

    def objects(node: object) -> list[dict[str, object]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for v in node.values():
                found += objects(v)
        elif isinstance(node, list):
            for v in node:
                found += objects(v)
        return found

    for obj in objects(schema):
        assert "additionalProperties" in obj
