"""JSON Schema checks of rule files, with every error placed at its file, line and column.

The schemas in ``schemas/`` describe each kind of file (rule sets, code lists, calendars,
header maps). :func:`document_problems` validates a :class:`~fupin_rules._yaml.YamlDocument`
against one of them and turns each JSON Schema error into a plain-language
:class:`~fupin_rules.errors.Problem`, pointing at the offending key where there is one. It also
holds every number in the file to the rule language's bounds on written numbers
(:class:`~fupin_rules.language.limits.NumberLimits`): every file of every kind passes here
before any of its content is used.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import attrs
import jsonschema

from ._resources import bundled_schemas_dir
from ._yaml import YamlDocument, walk
from .errors import Problem, format_path
from .language.limits import NumberLimits, number_limits

__all__ = ["document_problems", "load_schema", "number_problems", "validator_for"]

_TYPE_NAMES = {
    "string": "文本",
    "number": "数值",
    "integer": "整数",
    "boolean": "是/否 (true/false)",
    "array": "列表",
    "object": "映射 (键: 值)",
    "null": "空",
}


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """A bundled schema by file name, e.g. ``ruleset.schema.json``."""
    path = bundled_schemas_dir() / name
    data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def validator_for(name: str) -> jsonschema.protocols.Validator:
    """A validator (with date and other formats checked) for a bundled schema."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    # The bundled schemas are checked against their metaschema by the test suite
    # (tests/test_schemas.py), not on every load.
    return cls(_inlined(schema, schema.get("$defs", {})), format_checker=cls.FORMAT_CHECKER)


_ANNOTATIONS = frozenset({"description", "title", "$comment", "default", "examples"})


def _inlined(schema: Any, defs: Mapping[str, Any], expanding: frozenset[str] = frozenset()) -> Any:
    """``schema`` with each local ``{"$ref": "#/$defs/x"}`` replaced by the definition itself,
    so that validating a large file does not resolve a reference at every criterion (a third
    of the time to check it). The same errors come out: a failing keyword is met in the same
    definition, whose description gives the hints; annotations written beside the reference
    (a ``description`` for editors) are left out. A reference with other keywords beside it, one
    that is not local, or one to a definition being expanded (recursion) is kept."""
    if isinstance(schema, list):
        return [_inlined(s, defs, expanding) for s in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
    beside = set(schema) - {"$ref"}
    if name in defs and name not in expanding and beside <= _ANNOTATIONS:
        return _inlined(defs[name], defs, expanding | {name})
    return {k: _inlined(v, defs, expanding) for k, v in schema.items()}


def _typename(value: Any) -> str:
    if isinstance(value, bool):
        return "是/否值"
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return "数值"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    if value is None:
        return "空"
    return type(value).__name__


def _problems(doc: YamlDocument, error: jsonschema.ValidationError) -> list[Problem]:
    """The problems one JSON Schema error stands for (one per unknown or missing key)."""
    path = tuple(error.absolute_path)
    kind = error.validator
    instance = error.instance
    schema: Any = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        out = []
        for key in (k for k in instance if k not in allowed):
            close = difflib.get_close_matches(str(key), allowed, n=2, cutoff=0.6)
            hint = ("是否要写: " + ", ".join(close)) if close else "可用的键: " + ", ".join(allowed)
            out.append(
                doc.problem((*path, key), f"未知的键 {key!r}", hint=hint, code="schema.unknown-key")
            )
        return out
    if kind == "required" and isinstance(instance, dict):
        required: Any = error.validator_value
        return [
            doc.problem(path, f"缺少必填的键 {name!r}", code="schema.required")
            for name in required
            if name not in instance
        ]
    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        return [
            doc.problem(
                (*path, instance),
                f"名称 {instance!r} 不合规: 应为英文小写字母开头的 snake_case",
                code="schema.name",
            )
        ]
    problem = _problem(doc, error, path, schema)
    # Where the field's description says what is expected (a pattern, a format), it is the hint.
    described = kind in {"pattern", "format", "minItems", "minLength"}
    if described and problem.hint is None and schema.get("description"):
        problem = attrs.evolve(problem, hint=schema["description"])
    return [problem]


def _problem(
    doc: YamlDocument,
    error: jsonschema.ValidationError,
    path: tuple[str | int, ...],
    schema: Any,
) -> Problem:
    kind = error.validator
    instance = error.instance
    expected: Any = error.validator_value
    if kind == "type":
        want = expected
        wants = want if isinstance(want, list) else [want]
        text = "或".join(_TYPE_NAMES.get(str(w), str(w)) for w in wants)
        hint = None
        if "boolean" in wants and str(instance).lower() in {"yes", "no", "on", "off", "y", "n"}:
            hint = "是/否请写 true 或 false"
        elif "string" in wants and isinstance(instance, bool):
            hint = "YAML 把 true/false 当作是/否; 如要文本请加引号"
        elif "string" in wants and not isinstance(instance, str | list | dict):
            hint = f'如要文本请加引号: "{instance}"'
        shown = ("true" if instance else "false") if isinstance(instance, bool) else repr(instance)
        return doc.problem(
            path,
            f"应为{text}, 实际为{_typename(instance)} {shown}",
            hint=hint,
            code="schema.type",
        )
    if kind == "const" or (kind == "enum" and isinstance(expected, list) and len(expected) == 1):
        only = expected if kind == "const" else expected[0]
        return doc.problem(path, f"应为 {only}, 实际是 {instance!r}", code="schema.enum")
    if kind == "enum":
        options = expected
        close = difflib.get_close_matches(str(instance), [str(o) for o in options], n=1, cutoff=0.5)
        suggestion = f"是否要写: {close[0]}" if close else None
        return doc.problem(
            path,
            f"应为 {'、'.join(str(o) for o in options)} 之一, 实际是 {instance!r}",
            hint=suggestion,
            code="schema.enum",
        )
    if kind == "format":
        return doc.problem(
            path,
            f"{instance!r} 不是有效的" + ("日期" if expected == "date" else str(expected)),
            hint="日期写成 YYYY-MM-DD, 且须是真实存在的日期",
            code="schema.format",
        )
    if kind == "pattern":
        return doc.problem(path, f"{instance!r} 格式不符", code="schema.pattern")
    if (
        kind == "oneOf"
        and isinstance(instance, dict)
        and "value" in schema.get("oneOf", [{}])[0].get("required", [])
    ):
        return doc.problem(path, "参数须写 value 或 values 二者之一", code="schema.parameter-value")
    if kind in {"oneOf", "anyOf"}:
        return doc.problem(
            path, f"值 {instance!r} 不符合要求 ({_typename(instance)})", code="schema.value"
        )
    if kind == "minItems":
        return doc.problem(path, f"至少要有 {expected} 项", code="schema.min-items")
    if kind == "minLength":
        return doc.problem(path, "不能为空", code="schema.min-length")
    if kind == "maxLength":
        return doc.problem(path, f"超过 {expected} 字", code="schema.max-length")
    if kind == "uniqueItems":
        return doc.problem(path, "列表中有重复项", code="schema.unique")
    return doc.problem(path, error.message, code=f"schema.{kind}")


def number_problems(doc: YamlDocument, numbers: NumberLimits | None = None) -> list[Problem]:
    """A problem at each number of ``doc`` beyond ``numbers`` (default:
    :func:`~fupin_rules.language.limits.number_limits`), placed where the number is written."""
    limits = numbers if numbers is not None else number_limits()
    out = []
    for path, value in walk(doc.data):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            continue
        breach = limits.breach(value)
        if breach is not None:
            line, column = doc.locate_value(path)
            out.append(
                Problem(
                    breach.message,
                    file=doc.file,
                    line=line,
                    column=column,
                    path=format_path(path),
                    hint=breach.hint,
                    code=f"yaml.number-{breach.kind}",
                )
            )
    return out


def document_problems(
    doc: YamlDocument, schema_name: str, *, numbers: NumberLimits | None = None
) -> list[Problem]:
    """Every schema problem of ``doc`` against the bundled schema ``schema_name``, and every
    number beyond ``numbers`` (:func:`number_problems`)."""
    validator = validator_for(schema_name)
    problems = number_problems(doc, numbers)
    problems += [p for e in validator.iter_errors(doc.data) for p in _problems(doc, e)]
    # A bad date fails both "format" and "pattern": say it once.
    dated = {(p.line, p.column, p.path) for p in problems if p.code == "schema.format"}
    problems = [
        p for p in problems if p.code != "schema.pattern" or (p.line, p.column, p.path) not in dated
    ]
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in sorted(problems, key=Problem.sort_key):
        key = (p.line, p.column, p.path, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
