"""User record schemas fail closed (issue 20): every problem is found when the schema loads,
named by file and JSON path, and nothing of a broken schema is used.

A misspelt keyword, an ``x-`` keyword the project does not have, a JSON Schema keyword the
record checks cannot check, a ``$ref`` (local or remote), a pattern with no exact Python
meaning, a number beyond the record limits, a break of the 2020-12 metaschema: each is a
:class:`RuleFileError` problem. The bundled schemas pass the same checks here (they skip the
metaschema on every load, to keep loading fast).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fupin_rules as fr
import fupin_rules.record_keywords as record_keywords
from fupin_rules.errors import RuleFileError
from fupin_rules.record_keywords import MAX_SCHEMA_DEPTH, PROJECT_KEYWORDS, schema_problems
from fupin_rules.records import load_record_schema

from .conftest import ROOT

BUNDLED = sorted((ROOT / "schemas" / "records").glob("*.schema.json"))


def _schema(**properties: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-id-field": "id",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, **properties},
    }


def _text(schema: Any) -> str:
    """JSON text of ``schema``, its decimals written as numbers (``2.0`` stays ``2.0``)."""
    text = json.dumps(schema, ensure_ascii=False, default=lambda d: f"@decimal@{d}")
    return re.sub(r'"@decimal@([^"]*)"', r"\1", text)


def _refusal(tmp_path: Path, schema: Any, text: str | None = None) -> RuleFileError:
    path = tmp_path / "thing.schema.json"
    path.write_text(text if text is not None else _text(schema), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_record_schema(path, "thing", {})
    assert all(p.file == str(path) for p in caught.value.problems)
    return caught.value


@pytest.mark.parametrize(
    ("prop", "path", "message", "code"),
    [
        (
            {"type": "string", "minLenght": 1},
            "properties.x.minLenght",
            "未知的关键字 'minLenght'",
            "schema.unknown-keyword",
        ),
        (
            {"type": "string", "x-codlist": "sex"},
            "properties.x.x-codlist",
            "未知的关键字 'x-codlist'",
            "schema.unknown-keyword",
        ),
        (
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "properties.x.oneOf",
            "记录结构不支持关键字 oneOf",
            "schema.unsupported",
        ),
        (
            {"$ref": "https://example.org/other.schema.json"},
            "properties.x.$ref",
            "$ref 只能引用本文件内的定义",
            "schema.ref",
        ),
        ({"$ref": "#/$defs/code"}, "properties.x.$ref", "记录检查不能跟随 $ref", "schema.ref"),
        ({"type": "string", "format": "email"}, "properties.x.format", "只支持 format: date", "schema.unsupported"),
        ({"type": "string", "pattern": "(?<=a)b"}, "properties.x.pattern", "后行断言", "schema.pattern"),
        ({"type": "string", "pattern": "^\\p{L}+$"}, "properties.x.pattern", "Unicode 属性类", "schema.pattern"),
        ({"type": "string", "pattern": "a{99999999999}"}, "properties.x.pattern", "Python 无法编译", "schema.pattern"),
        ({"type": "string", "pattern": "^\\a$"}, "properties.x.pattern", "无效的转义 \\a", "schema.pattern"),
        ({"type": "strin"}, "properties.x.type", '"strin" 不是允许的写法 (可用的类型: string、', "schema.metaschema"),
        ({"type": "number", "minimum": "0"}, "properties.x.minimum", '应为数值, 实际是 "0" (JSON Schema 2020-12 不允许这样写)', "schema.metaschema"),
        ({"type": "string", "minLength": -1}, "properties.x.minLength", "不能小于 0, 实际是 -1", "schema.metaschema"),
        ({"type": "number", "multipleOf": 1e-60}, "properties.x.multipleOf", "数值超出范围", "schema.number"),
        ({"type": "number", "maximum": 1e30}, "properties.x.maximum", "数值超出范围", "schema.number"),
        ({"type": "string", "$schema": "https://json-schema.org/draft/2020-12/schema"}, "properties.x.$schema", "只能写在记录结构的顶层", "schema.unsupported"),
        ({"type": "object", "properties": {"y": {"type": "string", "x-codelist": "sex"}}}, "properties.x.properties.y", "x-codelist 只能写在", "schema.x-keyword"),
        ({"type": "string", "x-division-field": "x"}, "properties.x.x-division-field", "只能写在记录结构的顶层", "schema.x-keyword"),
    ],
)  # fmt: skip
def test_a_user_schema_is_refused_with_the_place(
    tmp_path: Path, prop: dict[str, Any], path: str, message: str, code: str
) -> None:
    """Each problem names the file and the JSON path, in Chinese; the schema does not load."""
    refusal = _refusal(tmp_path, _schema(x=prop))
    found = [p for p in refusal.problems if p.path == path]
    assert found, [str(p) for p in refusal.problems]
    assert message in found[0].message
    assert found[0].code == code


def test_a_misspelt_keyword_gets_a_suggestion(tmp_path: Path) -> None:
    refusal = _refusal(tmp_path, _schema(x={"type": "string", "maxLenght": 3}))
    assert refusal.problems[0].hint == "是否要写: maxLength, minLength"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Two bad properties and a bad top-level keyword: three problems, nothing loaded."""
    schema = _schema(a={"type": "string", "patern": "^x$"}, b={"anyOf": []})
    schema["minProperties"] = 1
    paths = {p.path for p in _refusal(tmp_path, schema).problems}
    assert {"properties.a.patern", "properties.b.anyOf", "minProperties"} <= paths


def test_json_the_loader_cannot_trust_is_refused(tmp_path: Path) -> None:
    """Duplicate keys (the last would win silently) and NaN are refused when read."""
    duplicate = '{"type": "object", "type": "array", "x-id-field": "id", "properties": {}}'
    assert "重复的键 'type'" in str(_refusal(tmp_path, None, duplicate))
    nan = '{"type": "object", "x-id-field": "id", "properties": {"id": {"maximum": NaN}}}'
    assert "不接受 NaN" in str(_refusal(tmp_path, None, nan))


def test_the_division_field_must_be_a_property(tmp_path: Path) -> None:
    schema = _schema()
    schema["x-division-field"] = "division_code"
    refusal = _refusal(tmp_path, schema)
    assert refusal.problems[0].path == "x-division-field"


def test_load_library_refuses_a_broken_user_schema(tmp_path: Path) -> None:
    """Through ``load_library(schemas=...)`` (the CLI's ``--schemas``), before any record."""
    records = tmp_path / "schemas" / "records"
    records.mkdir(parents=True)
    schema = _schema(x={"type": "string", "minLenght": 1, "$ref": "https://x.org/s.json"})
    (records / "thing.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "rules").mkdir()
    with pytest.raises(RuleFileError) as caught:
        fr.load_library(tmp_path / "rules", schemas=tmp_path / "schemas")
    text = str(caught.value)
    assert "thing.schema.json: properties.x.minLenght: 未知的关键字 'minLenght'" in text
    assert "thing.schema.json: properties.x.$ref: $ref 只能引用本文件内的定义" in text


def test_a_good_user_schema_loads(tmp_path: Path) -> None:
    """Every supported keyword, annotations and the project's keywords, an integral decimal
    as a length (2.0), boolean property schemas: it loads, checked against the metaschema."""
    schema = _schema(
        n={"type": ["number", "null"], "minimum": 0, "multipleOf": Decimal("0.01")},
        s={"type": "string", "minLength": Decimal("2.0"), "pattern": "^\\d+$", "x-code": "A1"},
        d={"type": "string", "format": "date", "description": "日期", "default": "2018-01-01"},
        k={"enum": [1, "a", None, [True]], "deprecated": False, "$comment": "c"},
        c={"const": {"a": 1}},
        none=False,
        anything=True,
        items={"type": "array", "items": {"type": "object", "properties": {"m": True}}},
    )
    schema["properties"]["items"]["items"]["x-id-field"] = "m"
    path = tmp_path / "thing.schema.json"
    path.write_text(_text(schema), encoding="utf-8")
    loaded = load_record_schema(path, "thing", {})
    assert loaded.check({"id": "1", "n": Decimal("1.25"), "s": "42", "k": [True]})[1] == ()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_schemas_pass_the_same_checks(path: Path) -> None:
    """The checks a user schema meets on every load, metaschema included, find nothing in
    the bundled schemas (which skip the metaschema when the library loads)."""
    schema = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    assert schema_problems(schema, metaschema=True) == []
    used = {k for k in _keys(schema) if k.startswith("x-")}
    assert used <= PROJECT_KEYWORDS  # docs/rule-files.md lists them


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_bundled_schemas_skip_the_metaschema_on_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the library does not check the bundled schemas against the metaschema (the
    test above does), so that it stays fast; a user's schema is checked every time."""

    def refuse(schema: Any) -> Any:
        raise AssertionError("the metaschema was checked")

    monkeypatch.setattr(record_keywords, "meta_errors", refuse)
    assert fr.load_library().record_schemas["household"].id_field == "household_id"


def _nested(levels: int) -> Any:
    """A schema whose sub-schemas nest ``levels`` deep, the deepest way the generated checks
    write them (additional properties holding lists of objects)."""
    inner: Any = {"type": "string"}
    for i in range(levels - 1):
        inner = {"type": "array", "items": inner} if i % 2 else {"additionalProperties": inner}
    return inner


def test_the_deepest_schema_allowed_loads_and_checks(tmp_path: Path) -> None:
    """Sub-schemas nested as deep as allowed compile and check a record; one level more is
    refused at load, as is JSON nested deeper than a rule file may be (the generated checks
    failed to compile, the loaders recursed without end)."""
    path = tmp_path / "deep.schema.json"
    path.write_text(_text(_schema(x=_nested(MAX_SCHEMA_DEPTH))), encoding="utf-8")
    deep = load_record_schema(path, "deep", {})
    assert deep.check({"id": "1", "x": {"a": [{"b": [{}]}]}})[1] == ()
    assert deep.check({"id": "1", "x": {"a": 1}})[1] == ("「x」「a」: 应为列表, 实际是 1",)
    refusal = _refusal(tmp_path, _schema(x=_nested(MAX_SCHEMA_DEPTH + 1)))
    assert refusal.problems[0].code == "schema.too-deep"
    assert "嵌套超过 16 层" in refusal.problems[0].message
    deeper: Any = {"type": "object"}
    for _ in range(70):
        deeper = {"enum": [deeper]}
    assert str(_refusal(tmp_path, _schema(x=deeper))).endswith("记录结构嵌套超过 64 层")
