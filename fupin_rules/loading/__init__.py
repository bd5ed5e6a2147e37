"""From rule files to checked, immutable rule sets.

The steps, each reporting every problem it finds with file, line and column:

1. read each YAML file safely (:mod:`fupin_rules._yaml`) and check it against its JSON Schema
   (:mod:`fupin_rules.schemas`);
2. resolve ``extends`` (:mod:`.resolve`): a revision is merged over the version it names;
3. build (:mod:`.build`, :mod:`.parts`): check names and types, compile every expression and
   template once (:mod:`fupin_rules.language`), resolve citations, and fingerprint the
   canonical resolved rule set (:mod:`.canonical`).

If any problem is found nothing is returned: :class:`~fupin_rules.errors.RuleFileError` carries
them all. Evaluation later does no parsing and no lookups by name beyond plain dict reads.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence

from .._canonical import fingerprint
from .._yaml import YamlDocument
from ..codelists import CodeList
from ..errors import Problem
from ..model import RuleSet
from ..records import RecordSchema
from ..schemas import document_problems
from .build import Builder
from .canonical import override_parameters
from .engine import ENGINE
from .resolve import Resolved, resolve

__all__ = ["ENGINE", "build_codelist", "build_rulesets", "override_parameters"]


# --------------------------------------------------------------------------- code lists


def build_codelist(doc: YamlDocument) -> tuple[CodeList | None, list[Problem]]:
    """A code list from its checked document, or the problems that prevent it."""
    problems = document_problems(doc, "codelist.schema.json")
    if problems:
        return None, problems
    data = doc.data
    codes: dict[str, str] = {}
    labels: dict[str, int] = {}
    for i, entry in enumerate(data["codes"]):
        code, label = entry["code"], entry["label"]
        if code in codes:
            problems.append(
                doc.problem(("codes", i, "code"), f"代码 {code!r} 重复", code="codelist.duplicate")
            )
        if label in labels:
            problems.append(
                doc.problem(
                    ("codes", i, "label"),
                    f"名称 {label!r} 与第 {labels[label] + 1} 项重复",
                    code="codelist.duplicate",
                )
            )
        codes[code] = label
        labels[label] = i
    if problems:
        return None, problems
    return (
        CodeList(
            id=data["id"],
            title=data["title"],
            codes=codes,
            file=doc.file,
            fingerprint=fingerprint({"id": data["id"], "codes": codes}),
            sources=tuple(data.get("sources", ())),
        ),
        [],
    )


# --------------------------------------------------------------------------- resolution


def build_rulesets(
    docs: Sequence[YamlDocument],
    schemas: Mapping[str, RecordSchema],
) -> tuple[list[RuleSet], list[Problem]]:
    """Check, resolve and build every rule set in ``docs`` (documents of kind ``ruleset``)."""
    problems: list[Problem] = []
    by_id: dict[str, dict[str, YamlDocument]] = {}
    for doc in docs:
        found = document_problems(doc, "ruleset.schema.json")
        if found:
            problems.extend(found)
            continue
        rid, version = doc.data["id"], doc.data["version"]
        versions = by_id.setdefault(rid, {})
        if version in versions:
            problems.append(
                doc.problem(
                    ("version",),
                    f"{rid}@{version} 已在 {versions[version].file} 中定义",
                    code="version.duplicate",
                )
            )
            continue
        versions[version] = doc
    built: list[RuleSet] = []
    for rid in sorted(by_id):
        versions = by_id[rid]
        done: dict[str, Resolved] = {}
        ruleset_versions = []
        for version in sorted(versions):
            resolved = resolve(rid, version, versions, problems, done)
            if resolved is None:
                continue
            builder = Builder(resolved=resolved, schemas=schemas)
            rs = builder.build()
            problems.extend(builder.problems)
            if rs is not None:
                ruleset_versions.append(rs)
        built.extend(ruleset_versions)
        problems.extend(_overlaps(ruleset_versions, versions))
    problems.extend(_property_standards(built, by_id))
    return _ended(built), _unique(problems)


def _property_standards(
    rulesets: Sequence[RuleSet], docs: Mapping[str, Mapping[str, YamlDocument]]
) -> list[Problem]:
    """An ``excludes`` property names a standard of the same subject. (One not loaded with it
    is not an error: a library may hold a part of the standards; ``test`` says it could not
    try the property.)"""
    subjects: dict[str, str] = {rs.id: rs.subject for rs in rulesets}
    out = []
    for rs in rulesets:
        for prop in rs.properties:
            if prop.kind != "excludes" or prop.standard is None:
                continue
            other = subjects.get(prop.standard)
            if other is None or other == rs.subject:
                continue
            out.append(
                Problem(
                    f"性质 {prop.id!r} 所指的标准 {prop.standard!r} 适用于 {other} 记录,"
                    f" 不是 {rs.subject}",
                    file=prop.file,
                    line=prop.line,
                    path=f"properties.{prop.id}.standard",
                    code="property.standard",
                )
            )
    return out


def _ended(rulesets: Sequence[RuleSet]) -> list[RuleSet]:
    """The rule sets, each version without a written end ending the day before the next
    version of its standard starts. The end is not in the fingerprint, so adding a version
    changes no fingerprint of those before it."""
    out = list(rulesets)
    order = sorted(range(len(out)), key=lambda i: (out[i].id, out[i].effective_from))
    for i, j in itertools.pairwise(order):
        a, b = out[i], out[j]
        if a.id == b.id and a.effective_until is None and a.effective_from < b.effective_from:
            out[i] = a.ended(_day_before(b.effective_from))
    return out


def _unique(problems: Sequence[Problem]) -> list[Problem]:
    """Problems without repeats (a base version's problem is met again by each revision)."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.column, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _overlaps(rulesets: Sequence[RuleSet], docs: Mapping[str, YamlDocument]) -> list[Problem]:
    """Versions of one standard in force on the same day. A version without a written end
    ends where the next one starts (:func:`_ended`); one with an end must end before it."""
    out = []
    ordered = sorted(rulesets, key=lambda r: (r.effective_from, r.version))
    for a, b in itertools.pairwise(ordered):
        doc = docs[b.version]
        if a.effective_from == b.effective_from:
            out.append(
                doc.problem(
                    ("effective", "from"),
                    f"{b.key} 与 {a.key} 同在 {b.effective_from} 起施行: 同一天只能有一个版本",
                    hint="改正其中一个版本的 effective.from",
                    code="version.overlap",
                )
            )
        elif a.effective_until is not None and a.effective_until >= b.effective_from:
            out.append(
                doc.problem(
                    ("effective", "from"),
                    f"{b.key} 自 {b.effective_from} 起施行, 但 {a.key} 在这一天仍然有效"
                    f" (至 {a.effective_until})",
                    hint=f"把 {a.key} 的 effective.until 写为 {_day_before(b.effective_from)},"
                    " 或删去它 (版本止于下一版本施行的前一天)",
                    code="version.overlap",
                )
            )
    return out


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
