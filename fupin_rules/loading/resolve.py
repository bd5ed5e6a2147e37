"""Resolving revisions: a version that ``extends`` another is merged over it.

Criteria are merged key by key, parameters and derived fields whole, ``remove`` deletes; a
missing or cyclic base is a problem of the file that names it. Each merged piece remembers the
file and path where each of its keys was written, so that a problem in an inherited criterion
points at the file that wrote it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs

from .._yaml import YamlDocument
from ..errors import Problem

__all__ = ["INHERITED", "Piece", "Resolved", "Where", "piece", "resolve"]

Where = tuple[YamlDocument, tuple[str | int, ...]]
"""A document and a field path in it."""


@attrs.define
class Piece:
    """A mapping merged from one or more files, remembering where each key was written."""

    data: dict[str, Any]
    where: dict[str, Where]
    origin: Where

    def problem(
        self, key: str | None, message: str, *, hint: str | None = None, code: str = "error"
    ) -> Problem:
        """A problem placed at ``key`` (or at the piece itself)."""
        doc, path = self.where.get(key, self.origin) if key else self.origin
        return doc.problem(path, message, hint=hint, code=code)

    def value_at(self, key: str) -> tuple[int | None, int | None]:
        """Where the value of ``key`` is written: line and column."""
        doc, path = self.where.get(key, self.origin)
        return doc.locate_value(path)

    def file(self, key: str | None = None) -> str:
        """The file ``key`` (or the piece) was written in."""
        return (self.where.get(key, self.origin) if key else self.origin)[0].file


def piece(doc: YamlDocument, path: tuple[str | int, ...], data: Mapping[str, Any]) -> Piece:
    """The piece of ``data``, written at ``path`` of ``doc``."""
    return Piece(
        data=dict(data),
        where={k: (doc, (*path, k)) for k in data},
        origin=(doc, path),
    )


@attrs.define
class Resolved:
    """One version with its bases merged in: the pieces the builder checks and builds."""

    id: str
    version: str
    top: Piece
    sources: dict[str, Piece]
    parameters: dict[str, Piece]
    derived: dict[str, Piece]
    criteria: dict[str, Piece]
    examples: list[Piece]
    example_base: Piece | None
    notes: list[str]
    files: list[str]
    properties: dict[str, Piece] = attrs.field(factory=dict)
    """Declared properties, by id: inherited as criteria are (a revision overrides by id)."""


INHERITED = ("title", "description", "subject", "decision", "applies_if", "dataset_checks")
"""Top-level keys a revision takes from its base unless it writes them itself."""


def resolve(
    rid: str,
    version: str,
    docs: Mapping[str, YamlDocument],
    problems: list[Problem],
    done: dict[str, Resolved] | None = None,
) -> Resolved | None:
    """Version ``version`` of ``rid`` with its bases merged in (``docs``: the versions by
    name), or None with the problems added to ``problems``.

    ``done`` keeps each version resolved for the next call, so that resolving every version of
    a chain of revisions merges each version once, not once per later version; the chain is
    walked in a loop, so its length is not bounded by Python's recursion limit.
    """
    done = {} if done is None else done
    chain = [version]
    seen = {version}
    while chain[-1] not in done:
        doc = docs[chain[-1]]
        base_version = doc.data.get("extends")
        if base_version is None:
            break
        if base_version in seen:
            cycle = " -> ".join((*chain, base_version))
            problems.append(
                doc.problem(("extends",), f"extends 形成循环: {cycle}", code="extends.cycle")
            )
            return None
        if base_version not in docs:
            known = ", ".join(sorted(docs)) or "无"
            problems.append(
                doc.problem(
                    ("extends",),
                    f"找不到被修订的版本 {rid}@{base_version}",
                    hint=f"已有版本: {known}",
                    code="extends.missing",
                )
            )
            return None
        chain.append(base_version)
        seen.add(base_version)
    base = done[chain.pop()] if chain[-1] in done else None
    for name in reversed(chain):
        base = done[name] = _merge(rid, name, base, docs, problems)
    return base


def _merge(
    rid: str,
    version: str,
    base: Resolved | None,
    docs: Mapping[str, YamlDocument],
    problems: list[Problem],
) -> Resolved:
    """Version ``version`` merged over ``base`` (its resolved base; None for none)."""
    doc = docs[version]
    data = doc.data
    base_version = data.get("extends")
    if base is None:
        resolved = Resolved(
            id=rid,
            version=version,
            top=Piece({}, {}, (doc, ())),
            sources={},
            parameters={},
            derived={},
            criteria={},
            examples=[],
            example_base=None,
            notes=[],
            files=[],
        )
    else:
        resolved = copy.copy(base)
        resolved.version = version
        resolved.top = Piece(
            {k: v for k, v in base.top.data.items() if k in INHERITED},
            {k: v for k, v in base.top.where.items() if k in INHERITED},
            (doc, ()),
        )
        resolved.sources = dict(base.sources)
        resolved.parameters = dict(base.parameters)
        resolved.derived = dict(base.derived)
        resolved.properties = dict(base.properties)
        resolved.criteria = {
            k: Piece(dict(v.data), dict(v.where), v.origin) for k, v in base.criteria.items()
        }
        resolved.examples = []
        resolved.notes = list(base.notes)
        resolved.files = list(base.files)
    resolved.files.append(doc.file)
    for key, value in data.items():
        if key in {
            "sources",
            "parameters",
            "derived",
            "criteria",
            "examples",
            "remove",
            "notes",
            "example_base",
            "extends",
            "kind",
            "properties",
        }:
            continue
        resolved.top.data[key] = value
        resolved.top.where[key] = (doc, (key,))
    resolved.top.data["extends"] = base_version
    for i, src in enumerate(data.get("sources", [])):
        resolved.sources[src["id"]] = piece(doc, ("sources", i), src)
    removals = data.get("remove", {})
    if removals and base_version is None:
        problems.append(
            doc.problem(
                ("remove",),
                "remove 只能用在修订版中 (须同时写 extends)",
                hint="不是修订版时, 直接删掉不要的条目即可",
                code="extends.remove-without-base",
            )
        )
        removals = {}
    for group, table in (
        ("parameters", resolved.parameters),
        ("derived", resolved.derived),
        ("criteria", resolved.criteria),
        ("properties", resolved.properties),
    ):
        for i, name in enumerate(removals.get(group, [])):
            if name not in table:
                problems.append(
                    doc.problem(
                        ("remove", group, i),
                        f"要删除的 {name!r} 在被修订版本中不存在",
                        code="extends.remove-missing",
                    )
                )
            else:
                del table[name]
    for name, spec in data.get("parameters", {}).items():
        resolved.parameters[name] = piece(doc, ("parameters", name), spec)
    for name, spec in data.get("derived", {}).items():
        resolved.derived[name] = piece(doc, ("derived", name), spec)
    for i, spec in enumerate(data.get("criteria", [])):
        cid = spec["id"]
        if (
            cid in resolved.criteria
            and base_version is not None
            and resolved.criteria[cid].origin[0] is not doc
        ):
            merged = resolved.criteria[cid]
            for key, value in spec.items():
                merged.data[key] = value
                merged.where[key] = (doc, ("criteria", i, key))
            merged.origin = (doc, ("criteria", i))
        elif cid in resolved.criteria:
            problems.append(
                doc.problem(
                    ("criteria", i, "id"), f"指标 id {cid!r} 重复", code="criteria.duplicate"
                )
            )
        else:
            resolved.criteria[cid] = piece(doc, ("criteria", i), spec)
    for i, spec in enumerate(data.get("properties", [])):
        resolved.properties[spec["id"]] = piece(doc, ("properties", i), spec)
    resolved.examples = [
        piece(doc, ("examples", i), ex) for i, ex in enumerate(data.get("examples", []))
    ]
    if "example_base" in data:
        resolved.example_base = piece(doc, ("example_base",), data["example_base"])
    resolved.notes.extend(data.get("notes", []))
    return resolved


# --------------------------------------------------------------------------- building
