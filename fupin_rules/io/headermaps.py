"""Header maps: which spreadsheet column holds which record field.

A header map is a versioned YAML file (``kind: headermap``) under ``standards/headermaps/``::

    kind: headermap
    id: cn.national.household-export
    version: "2016"
    title: 全国扶贫开发信息系统 贫困户及家庭成员导出表
    subject: household
    sources: [...]
    columns:
      户编号: household_id          # a Chinese header ...
      AAC001: household_id          # ... or the national system's field code
      证件号码: members.id_number    # member fields: one row per member
    text_only: [household_id, members.id_number]
    booleans: {true: [是, 有], false: [否, 无]}

The library loads every header map with the rule files (:func:`load_headermap_document`,
called by :func:`fupin_rules.load_library`), and a broken one stops the load naming
file:line:column, like any rule file. Headers are compared after :func:`normalise_header`
(spaces, line breaks, a BOM and a trailing ``*`` removed; full-width brackets made ASCII).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import attrs

from .._canonical import fingerprint
from .._resources import bundled_schemas_dir
from .._yaml import YamlDocument
from ..errors import RuleFileError
from ..schemas import document_problems
from .derive import DERIVATIONS, Derivation

__all__ = [
    "DEFAULT_FALSE",
    "DEFAULT_SEPARATORS",
    "DEFAULT_TRUE",
    "HeaderMap",
    "load_headermap_document",
    "normalise_header",
]

DEFAULT_TRUE = ("是", "有", "Y", "y", "true", "True", "TRUE", "1", "√")
DEFAULT_FALSE = ("否", "无", "N", "n", "false", "False", "FALSE", "0", "×")
DEFAULT_SEPARATORS = ",，、;；"

_SPACE = re.compile(r"[\s\u3000\ufeff\u200b]+")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "：": ":"})


def normalise_header(text: Any) -> str:
    """A header as compared: no spaces, line breaks, BOM or trailing ``*``; ASCII brackets."""
    if text is None:
        return ""
    value = _SPACE.sub("", str(text)).translate(_BRACKETS)
    return value.rstrip("*").lstrip("*")


@attrs.frozen(eq=False)
class HeaderMap:
    """One version of a header map. Build it with :func:`load_headermap_document`."""

    id: str
    version: str
    title: str
    subject: str
    file: str
    columns: Mapping[str, str] = attrs.field(repr=False)
    """normalised header -> field path (``household_id``, ``members.id_number``)."""
    headers: Mapping[str, str] = attrs.field(repr=False)
    """field path -> the header to write (the first header listed for it)."""
    required: tuple[str, ...]
    text_only: frozenset[str]
    ignore: frozenset[str]
    true_values: frozenset[str]
    false_values: frozenset[str]
    separators: str
    header_search_rows: int
    fingerprint: str
    sources: tuple[Mapping[str, Any], ...] = ()
    aliases: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=False)
    """field path -> {text in the export: value in the record} (``values:`` in the file)."""
    derivations: tuple[Derivation, ...] = ()
    """Fields derived exactly from others (``derive:`` in the file)."""

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def field_for(self, header: Any) -> str | None:
        """The field path a column header maps to, or None."""
        return self.columns.get(normalise_header(header))

    def ignored(self, header: Any) -> bool:
        """Whether a header is known but deliberately not imported."""
        return normalise_header(header) in self.ignore

    def fields(self) -> list[str]:
        """Every field path this map can fill, in file order."""
        return list(self.headers)

    def boolean(self, text: str) -> bool | None:
        """``True``/``False`` for a recognised yes/no text, else None."""
        if text in self.true_values:
            return True
        if text in self.false_values:
            return False
        return None


@cache
def _record_properties(subject: str) -> Mapping[str, Any] | None:
    path = bundled_schemas_dir() / "records" / f"{subject}.schema.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    props = data.get("properties") if isinstance(data, dict) else None
    return props if isinstance(props, dict) else None


def _field_known(props: Mapping[str, Any], path: str) -> bool:
    top, _, sub = path.partition(".")
    prop = props.get(top)
    if not isinstance(prop, dict):
        return False
    if not sub:
        return True
    items = prop.get("items")
    sub_props = items.get("properties") if isinstance(items, dict) else None
    return isinstance(sub_props, dict) and sub in sub_props


def load_headermap_document(doc: YamlDocument) -> HeaderMap:
    """A :class:`HeaderMap` from a YAML document. Raises :class:`RuleFileError` listing
    every problem (schema, unknown field, headers that collide) with file:line:column."""
    problems = document_problems(doc, "headermap.schema.json")
    if problems:
        raise RuleFileError(problems)
    data: Mapping[str, Any] = doc.data
    subject = str(data["subject"])
    props = _record_properties(subject)
    if props is None:
        raise RuleFileError(
            [
                doc.problem(
                    ("subject",),
                    f"没有记录类型 {subject!r} 的结构 (schemas/records/{subject}.schema.json)",
                    code="headermap.subject",
                )
            ]
        )
    columns: dict[str, str] = {}
    headers: dict[str, str] = {}
    first_key: dict[str, str] = {}
    for key, path in data["columns"].items():
        where = ("columns", key)
        norm = normalise_header(key)
        if not norm:
            problems.append(doc.problem(where, "表头不能为空", code="headermap.header"))
            continue
        if not _field_known(props, path):
            problems.append(
                doc.problem(
                    where,
                    f"记录结构 {subject} 中没有字段 {path!r}",
                    hint=f"字段名见 schemas/records/{subject}.schema.json; "
                    "成员字段写成 members.字段",
                    code="headermap.field",
                )
            )
            continue
        if norm in columns:
            problems.append(
                doc.problem(
                    where,
                    f"表头 {key!r} 与 {first_key[norm]!r} 实为同一表头",
                    hint="比较表头时忽略空格、换行和全角括号",
                    code="headermap.duplicate",
                )
            )
            continue
        columns[norm] = path
        first_key[norm] = key
        headers.setdefault(path, key)
    id_field = "household_id" if subject == "household" else None
    required = list(data.get("required") or ([id_field] if id_field else []))
    for i, path in enumerate(required):
        if path not in headers:
            problems.append(
                doc.problem(
                    ("required", i),
                    f"必需字段 {path!r} 没有对应的表头",
                    code="headermap.required",
                )
            )
    for i, path in enumerate(data.get("text_only") or ()):
        if not _field_known(props, path):
            problems.append(
                doc.problem(
                    ("text_only", i), f"记录结构中没有字段 {path!r}", code="headermap.field"
                )
            )
    booleans = data.get("booleans") or {}
    true_values = frozenset(booleans.get("true") or DEFAULT_TRUE)
    false_values = frozenset(booleans.get("false") or DEFAULT_FALSE)
    both = sorted(true_values & false_values)
    if both:
        problems.append(
            doc.problem(
                ("booleans",),
                f"{'、'.join(both)} 既算“是”又算“否”",
                code="headermap.booleans",
            )
        )
    ignore = frozenset(normalise_header(h) for h in data.get("ignore") or ())
    clash = sorted(ignore & set(columns))
    if clash:
        problems.append(
            doc.problem(
                ("ignore",), f"表头 {'、'.join(clash)} 既要导入又要忽略", code="headermap.ignore"
            )
        )
    aliases = _aliases(doc, props, problems)
    derivations = _derivations(doc, props, problems)
    if problems:
        raise RuleFileError(problems)
    return HeaderMap(
        id=str(data["id"]),
        version=str(data["version"]),
        title=str(data["title"]),
        subject=subject,
        file=doc.file,
        columns=columns,
        headers=headers,
        required=tuple(required),
        text_only=frozenset(data.get("text_only") or ()),
        ignore=ignore,
        true_values=true_values,
        false_values=false_values,
        separators=str(data.get("list_separators") or DEFAULT_SEPARATORS),
        header_search_rows=int(data.get("header_search_rows") or 10),
        fingerprint=fingerprint(
            {k: v for k, v in data.items() if k not in {"notes", "description", "sources"}}
        ),
        sources=tuple(data.get("sources") or ()),
        aliases=aliases,
        derivations=derivations,
    )


def _aliases(
    doc: YamlDocument, props: Mapping[str, Any], problems: list[Any]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path, table in (doc.data.get("values") or {}).items():
        if not _field_known(props, path):
            problems.append(
                doc.problem(
                    ("values", path), f"记录结构中没有字段 {path!r}", code="headermap.field"
                )
            )
            continue
        out[path] = {str(text).strip(): value for text, value in table.items()}
    return out


def _derivations(
    doc: YamlDocument, props: Mapping[str, Any], problems: list[Any]
) -> tuple[Derivation, ...]:
    out: list[Derivation] = []
    for i, entry in enumerate(doc.data.get("derive") or ()):
        field, source, by = entry["field"], entry["from"], entry["by"]
        bad = [p for p in (field, source) if not _field_known(props, p)]
        if bad:
            problems.append(
                doc.problem(("derive", i), f"记录结构中没有字段 {bad[0]!r}", code="headermap.field")
            )
            continue
        if field.partition(".")[0] != source.partition(".")[0] or "." not in field:
            problems.append(
                doc.problem(
                    ("derive", i),
                    f"{field} 与 {source} 须是同一列表 (如 members) 中的字段",
                    code="headermap.derive",
                )
            )
            continue
        if by not in DERIVATIONS:  # pragma: no cover - the schema's enum refuses it first
            continue
        out.append(Derivation(field=field, source=source, by=by))
    return tuple(out)
