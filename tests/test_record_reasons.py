"""Why a record is invalid, in Chinese: every JSON Schema keyword a record schema uses gets a
reason policy staff can read, with the field's label and the values as written."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fupin_rules.records import RecordSchema, load_record_schema

SCHEMA = {
    "type": "object",
    "x-id-field": "id",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "title": "编号", "minLength": 2, "maxLength": 4},
        "size": {"type": "integer", "title": "人数", "minimum": 1, "maximum": 20},
        "share": {"type": "number", "title": "比例", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "kind": {"type": ["string", "null"], "title": "类别", "enum": ["甲", "乙", None]},
        "flag": {"type": "boolean", "const": True, "title": "标记"},
        "causes": {"type": "array", "title": "原因", "items": {"type": "string"}, "maxItems": 2},
    },
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> RecordSchema:
    path: Path = tmp_path_factory.mktemp("schemas") / "thing.schema.json"
    path.write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
    return load_record_schema(path, "thing", {})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "1"}, "「编号」: 须至少有 2 个字符, 实际有 1 个字符"),
        ({"id": "12345"}, "「编号」: 须至多有 4 个字符, 实际有 5 个字符"),
        ({"size": 0}, "「人数」: 不能小于 1, 实际是 0"),
        ({"size": 21}, "「人数」: 不能大于 20, 实际是 21"),
        ({"share": Decimal("0.00")}, "「比例」: 须大于 0, 实际是 0"),
        ({"share": Decimal("1.50")}, "「比例」: 须小于 1, 实际是 1.5"),
        ({"kind": "丙"}, "「类别」: '丙' 不是可选值之一 (可选: '甲'、'乙', 或留空)"),
        ({"flag": False}, "「标记」: 须为 true, 实际是 false"),
        ({"causes": ["a", "b", "c"]}, "「原因」: 须至多有 2 项, 实际有 3 项"),
        ({"note": "x", "extra": 1}, "记录: 有记录结构中没有的字段 extra、note"),
    ],
)
def test_reasons_are_chinese(schema: RecordSchema, change: dict, reason: str) -> None:
    assert schema.check({"id": "ab", **change})[1] == (reason,)
