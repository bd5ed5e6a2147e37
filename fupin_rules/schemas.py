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

import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from ._resources import bundled_schemas_dir
from ._yaml import YamlDocument, walk
from .errors import Problem, format_path
from .language.limits import NumberLimits, number_limits

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "document_problems",
    "inlined_schema",
    "load_schema",
    "number_problems",
    "surely_valid",
    "validator_for",
]

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
def inlined_schema(name: str) -> Any:
    """A bundled schema with its local references inlined (see :func:`_inlined`)."""
    schema = load_schema(name)
    return _inlined(schema, schema.get("$defs", {}))


@cache
def validator_for(name: str) -> jsonschema.protocols.Validator:
    """A validator (with date and other formats checked) for a bundled schema."""
    import jsonschema

    cls = jsonschema.validators.validator_for(load_schema(name))
    # The bundled schemas are checked against their metaschema by the test suite
    # (tests/test_schemas.py), not on every load.
    return cls(inlined_schema(name), format_checker=cls.FORMAT_CHECKER)


# --------------------------------------------------------------------------- a quick check
#
# jsonschema takes a tenth of a second of CPU to import and some more to validate, on every
# run. Most documents are valid; for them this check answers alone. It judges the keywords the
# bundled schemas use exactly as jsonschema (Draft 2020-12 with its format checker) does, and
# gives up (_Unsure) on anything else: then jsonschema decides and words the errors.


class _Unsure(Exception):
    """The quick check does not know; jsonschema is asked."""


_SKIPPED = frozenset({"$schema", "$id", "$defs"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_type(value: Any, name: str) -> bool:
    simple = _TYPES.get(name)
    if simple is not None:
        return isinstance(value, simple)
    if name == "null":
        return value is None
    if name == "number":
        return isinstance(value, int | Decimal) and not isinstance(value, bool)
    if name == "integer" and not isinstance(value, Decimal):
        return isinstance(value, int) and not isinstance(value, bool)
    raise _Unsure  # an integral decimal, or a type of another name


_TYPES: Mapping[str, Any] = {"string": str, "object": dict, "array": list, "boolean": bool}


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _valid(schema: Any, value: Any) -> bool:
    """Whether ``value`` is valid against ``schema``, exactly as jsonschema judges it; raises
    _Unsure where this check cannot tell."""
    if schema is True or schema is False:
        return schema
    if not isinstance(schema, dict):
        raise _Unsure
    if not isinstance(value, str | dict | list | bool | int | Decimal) and value is not None:
        raise _Unsure
    for key, want in schema.items():
        if key in _ANNOTATIONS or key in _SKIPPED:
            continue
        if not _keyword(key, want, schema, value):
            return False
    return True


def _keyword(key: str, want: Any, schema: Mapping[str, Any], value: Any) -> bool:
    if key == "type":
        names = [want] if isinstance(want, str) else want
        return any(_is_type(value, n) for n in names)
    if key == "const":
        if not isinstance(want, str):
            raise _Unsure
        return isinstance(value, str) and value == want
    if key == "enum":
        if not _strings(want):
            raise _Unsure
        return isinstance(value, str) and value in want
    if key in ("allOf", "anyOf", "oneOf"):
        found = [_valid(sub, value) for sub in want]
        return all(found) if key == "allOf" else any(found) if key == "anyOf" else sum(found) == 1
    if key == "not":
        return not _valid(want, value)
    if key == "if":
        branch = "then" if _valid(want, value) else "else"
        return _valid(schema.get(branch, True), value)
    if key in ("then", "else"):
        return True  # judged with "if" (alone they mean nothing)
    if isinstance(value, str):
        if key == "minLength":
            return bool(len(value) >= want)
        if key == "maxLength":
            return bool(len(value) <= want)
        if key == "pattern":
            return re.search(want, value) is not None
        if key == "format":
            if want == "date" and _DATE.fullmatch(value):
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise _Unsure from None
                return True
            raise _Unsure
    if isinstance(value, dict):
        if key == "required":
            return all(k in value for k in want)
        if key == "properties":
            return all(_valid(want[k], v) for k, v in value.items() if k in want)
        if key == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsure
            known = schema.get("properties", {})
            return all(_valid(want, v) for k, v in value.items() if k not in known)
        if key == "propertyNames":
            return all(_valid(want, k) for k in value)
    if isinstance(value, list):
        if key == "items":
            if "prefixItems" in schema:
                raise _Unsure
            return all(_valid(want, v) for v in value)
        if key == "minItems":
            return bool(len(value) >= want)
        if key == "maxItems":
            return bool(len(value) <= want)
        if key == "uniqueItems":
            if not want:
                return True
            if not _strings(value):
                raise _Unsure
            return len(set(value)) == len(value)
    kind = _APPLIES_TO.get(key)
    if kind is not None and not isinstance(value, kind):
        return True  # a keyword of another type is no check of this value
    raise _Unsure


_APPLIES_TO: Mapping[str, Any] = {
    **dict.fromkeys(("minLength", "maxLength", "pattern", "format"), str),
    **dict.fromkeys(("required", "properties", "additionalProperties", "propertyNames"), dict),
    **dict.fromkeys(("items", "minItems", "maxItems", "uniqueItems"), list),
}


def surely_valid(schema_name: str, data: Any) -> bool:
    """True if ``data`` is valid against the bundled schema ``schema_name`` (as jsonschema would
    judge it); False if it is not, or if this quick check cannot tell."""
    try:
        return _valid(inlined_schema(schema_name), data)
    except (_Unsure, RecursionError, TypeError):
        return False


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
    problems = number_problems(doc, numbers)
    if not surely_valid(schema_name, doc.data):
        validator = validator_for(schema_name)
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
