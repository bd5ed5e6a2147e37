"""The library: every standard, version, code list, record schema and calendar in a folder.

``load_library()`` reads the bundled ``standards/`` (or folders you give), checks every file,
and fails closed: one broken file stops the load with every problem listed, and nothing is
half-loaded. Then ``lib.get(id, as_of=...)`` picks the version in force on a day, and
``lib.get(id, version=...)`` an exact version, as auditors need.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._canonical import fingerprint
from ._files import files_of_kind, rule_files
from ._frozen import freeze
from ._resources import bundled_schemas_dir, bundled_standards_dir
from ._yaml import YamlDocument, read_yaml
from .errors import NotFoundError, Problem, RuleFileError, UsageError
from .evaluation import parse_day
from .lean import Legend
from .loading import build_codelist, build_rulesets
from .model import Result, RuleSet
from .records import CodeList, RecordSchema, load_record_schema

__all__ = ["KINDS", "Library", "files_of_kind", "load_library", "rule_files"]

KINDS = ("ruleset", "codelist", "calendar", "headermap", "procedure")
"""The kinds of file a library holds (the ``kind:`` key of each YAML file)."""


@attrs.frozen(eq=False)
class Library:
    """Loaded, checked rule files. Build with :func:`load_library`."""

    rulesets: Mapping[str, tuple[RuleSet, ...]] = attrs.field(converter=freeze)
    """id -> versions, oldest first."""
    codelists: Mapping[str, CodeList] = attrs.field(converter=freeze)
    record_schemas: Mapping[str, RecordSchema] = attrs.field(converter=freeze)
    calendars: Mapping[str, tuple[Any, ...]] = attrs.field(converter=freeze)
    """id -> calendar versions (see :mod:`fupin_rules.calendar`)."""
    headermaps: Mapping[str, tuple[Any, ...]] = attrs.field(converter=freeze)
    """id -> header-map versions (see :mod:`fupin_rules.io`)."""
    roots: tuple[str, ...]
    procedures: Mapping[str, tuple[Any, ...]] = attrs.field(factory=dict, converter=freeze)
    """id -> procedure versions (see :mod:`fupin_rules.events`)."""

    def ids(self) -> list[str]:
        """The ids of all standards, sorted."""
        return sorted(self.rulesets)

    def __iter__(self) -> Iterator[RuleSet]:
        for rid in self.ids():
            yield from self.rulesets[rid]

    def versions(self, rid: str) -> tuple[RuleSet, ...]:
        """Every version of a standard, oldest first."""
        return self._versions(rid)

    def _versions(self, rid: str) -> tuple[RuleSet, ...]:
        found = self.rulesets.get(rid)
        if found is None:
            close = difflib.get_close_matches(rid, list(self.rulesets), n=3, cutoff=0.5)
            msg = f"没有标准 {rid!r}"
            raise NotFoundError(msg, suggestions=close or self.ids())
        return found

    def get(
        self,
        rid: str,
        *,
        as_of: str | dt.date | None = None,
        version: str | None = None,
        fingerprint: str | None = None,
    ) -> RuleSet:
        """A version of a standard: the one in force ``as_of`` a date, an exact ``version``,
        or the one with this ``fingerprint`` (what an auditor holds from a stored result).

        With a version (or fingerprint) and a date, that version evaluated on that date (to
        compare versions on the same records). With neither, the newest version. A
        fingerprint no version has is an error naming it, never another version in its place.
        """
        versions = self._versions(rid)
        day = parse_day(as_of) if as_of is not None else None
        if fingerprint is not None:
            rs = self.by_fingerprint(fingerprint)
            if rs.id != rid or (version is not None and rs.version != version):
                msg = f"指纹 {fingerprint} 属于 {rs.key}, 不是所要的 {rid}" + (
                    f"@{version}" if version else ""
                )
                raise NotFoundError(msg)
            return rs.with_as_of(day) if day else rs
        if version is not None:
            for rs in versions:
                if rs.version == version:
                    return rs.with_as_of(day) if day else rs
            msg = f"标准 {rid} 没有版本 {version!r}"
            raise NotFoundError(msg, suggestions=[rs.version for rs in versions])
        if day is None:
            return versions[-1]
        for rs in versions:
            if rs.in_force(day):
                return rs.with_as_of(day)
        spans = "; ".join(
            f"{rs.version}: {rs.effective_from} 至 {rs.effective_until or '今'}" for rs in versions
        )
        msg = (
            f"标准 {rid} 在 {day} 没有施行中的版本 (已有: {spans});"
            " 审计历史记录时可用 version 指定版本"
        )
        raise NotFoundError(msg)

    def by_fingerprint(self, fingerprint: str) -> RuleSet:
        """The version whose fingerprint is ``fingerprint`` (the full ``sha256:…`` or a prefix
        of at least 12 hexadecimal digits, as ``list`` shows). Raises NotFoundError naming the
        fingerprint when no version of the library has it: the rules that produced a result
        are no longer here."""
        wanted = fingerprint if fingerprint.startswith("sha256:") else f"sha256:{fingerprint}"
        if len(wanted) < len("sha256:") + 12:
            msg = f"指纹 {fingerprint} 太短: 至少写出 12 位十六进制数字"
            raise UsageError(msg)
        found = [rs for rs in self if rs.fingerprint.startswith(wanted)]
        if len(found) > 1:
            keys = "、".join(rs.key for rs in found)
            msg = f"指纹 {fingerprint} 不唯一 ({keys}), 请写得更长"
            raise NotFoundError(msg)
        if not found:
            msg = (
                f"本规则库中没有指纹为 {fingerprint} 的版本: 产生该结果的规则已不在此"
                " (规则文件已修改或删除; 用 --param 指定参数的结果, 其指纹由所依据的版本加参数得出)"
            )
            raise NotFoundError(msg)
        return found[0]

    def rules_of(self, result: Result) -> RuleSet | None:
        """The rule set that produced ``result``: the version it names (``id@version``), with
        the parameters it records fixed, if that gives the fingerprint it records; else None
        (the rules are no longer here, and no other version stands in for them)."""
        rid, _, version = result.ruleset.partition("@")
        try:
            rs = self.get(rid, version=version)
            if result.parameters:
                rs = rs.with_parameters(result.parameters)
        except NotFoundError:
            return None
        return rs if rs.fingerprint == result.fingerprint else None

    def legend_of(self, result: Result) -> Legend | None:
        """What every result of ``result``'s rules on its date shares (it resolves a lean
        result's findings: :meth:`Result.from_json` with ``library=``), or None if those
        rules are not here."""
        rs = self.rules_of(result)
        return None if rs is None else rs.legend(result.as_of)

    def calendar(
        self, cid: str, *, as_of: str | dt.date | None = None, version: str | None = None
    ) -> Any:
        """A calendar version: in force ``as_of`` a date, an exact ``version``, or the only one.

        The same selection as ``fupin-rules calendar``
        (:func:`fupin_rules.calendar.select_calendar`).
        """
        pool = [c for cals in self.calendars.values() for c in cals]
        from .calendar.loading import select_calendar

        return select_calendar(pool, calendar_id=cid, version=version, as_of=as_of)

    @property
    def fingerprint(self) -> str:
        """A fingerprint of everything loaded."""
        return fingerprint(
            {
                "rulesets": {rs.key: rs.fingerprint for rs in self},
                "codelists": {k: v.fingerprint for k, v in sorted(self.codelists.items())},
                "calendars": {
                    f"{k}@{c.version}": c.fingerprint
                    for k, cs in sorted(self.calendars.items())
                    for c in cs
                },
                "headermaps": {
                    f"{k}@{h.version}": getattr(h, "fingerprint", None)
                    for k, hs in sorted(self.headermaps.items())
                    for h in hs
                },
            }
        )


def load_library(
    path: str | Path | Sequence[str | Path] | None = None,
    *,
    schemas: str | Path | None = None,
) -> Library:
    """Load and check every rule file under ``path`` (default: the bundled standards).

    ``path`` may be a folder, a file, or a list of them. Code lists not found there are taken
    from the bundled standards. Record schemas are read from ``schemas`` (default: the bundled
    ``schemas/``), from its ``records/`` folder. Raises :class:`RuleFileError` with every
    problem of every file if anything is wrong; nothing is half-loaded.
    """
    if path is None:
        roots = [bundled_standards_dir()]
    elif isinstance(path, str | Path):
        roots = [Path(path)]
    else:
        roots = [Path(p) for p in path]
    problems: list[Problem] = []
    docs: dict[str, list[YamlDocument]] = {kind: [] for kind in KINDS}
    seen: set[Path] = set()
    for root in roots:
        if not root.exists():
            problems.append(Problem(f"路径不存在: {root}", file=str(root), code="file.missing"))
            continue
        for file in rule_files(root):
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            _read_into(file, docs, problems)
    bundled = bundled_standards_dir().resolve()
    if not any(r.resolve() == bundled for r in roots if r.exists()):
        # Code lists the given folders do not define come from the bundled standards; only
        # code-list files are read there, so a problem elsewhere in them cannot stop this load.
        for file in files_of_kind(bundled, "codelist"):
            if file.resolve() not in seen:
                _read_into(file, docs, problems)
    codelists: dict[str, CodeList] = {}
    for doc in docs["codelist"]:
        cl, found = build_codelist(doc)
        problems.extend(found)
        if cl is not None and cl.id not in codelists:
            codelists[cl.id] = cl
    record_schemas: dict[str, RecordSchema] = {}
    schema_dir = Path(schemas) if schemas is not None else bundled_schemas_dir()
    for file in sorted((schema_dir / "records").glob("*.schema.json")):
        subject = file.name.removesuffix(".schema.json")
        try:
            record_schemas[subject] = load_record_schema(file, subject, codelists)
        except RuleFileError as exc:
            problems.extend(exc.problems)
    rulesets, found = build_rulesets(docs["ruleset"], record_schemas)
    problems.extend(found)
    calendars = _load_calendars(docs["calendar"], problems)
    headermaps = _load_headermaps(docs["headermap"], problems)
    procedures = _load_procedures(
        docs["procedure"],
        problems,
        calendars=calendars,
        standards={rs.id: rs.subject for rs in rulesets},
        headermaps=headermaps,
        record_schemas=record_schemas,
    )
    if problems:
        raise RuleFileError(problems)
    grouped: dict[str, list[RuleSet]] = {}
    for rs in rulesets:
        grouped.setdefault(rs.id, []).append(rs)
    return Library(
        rulesets={
            rid: tuple(sorted(v, key=lambda r: (r.effective_from, r.version)))
            for rid, v in sorted(grouped.items())
        },
        codelists=codelists,
        record_schemas=record_schemas,
        calendars=calendars,
        headermaps=headermaps,
        roots=tuple(str(r) for r in roots),
        procedures=procedures,
    )


def _read_into(file: Path, docs: dict[str, list[YamlDocument]], problems: list[Problem]) -> None:
    try:
        doc = read_yaml(file)
    except RuleFileError as exc:
        problems.extend(exc.problems)
        return
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    if kind not in KINDS:
        problems.append(
            doc.problem(
                ("kind",),
                f"kind 应为 {'、'.join(KINDS)} 之一, 实际是 {kind!r}",
                hint="每个规则文件的第一项写 kind: ruleset (或 codelist、calendar、headermap)",
                code="kind.unknown",
            )
        )
        return
    docs[kind].append(doc)


def _load_kind(
    docs: Sequence[YamlDocument],
    problems: list[Problem],
    load: Callable[[YamlDocument], Any],
) -> dict[str, tuple[Any, ...]]:
    """Load documents of one kind with ``load`` (which raises RuleFileError), grouped by id,
    versions ordered by effective date then version; problems collected."""
    out: dict[str, list[Any]] = {}
    for doc in docs:
        try:
            item = load(doc)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        out.setdefault(item.id, []).append(item)
    return {
        k: tuple(sorted(v, key=lambda x: (str(getattr(x, "effective_from", "")), x.version)))
        for k, v in sorted(out.items())
    }


def _load_calendars(
    docs: Sequence[YamlDocument], problems: list[Problem]
) -> dict[str, tuple[Any, ...]]:
    if not docs:
        return {}
    # Calendars, header maps and procedures are loaded by modules of their own, imported
    # only for a library that holds such files (most runs read only rule sets).
    from .calendar.loading import load_calendar_document

    return _load_kind(docs, problems, load_calendar_document)


def _load_headermaps(
    docs: Sequence[YamlDocument], problems: list[Problem]
) -> dict[str, tuple[Any, ...]]:
    if not docs:
        return {}
    from .io.headermaps import load_headermap_document

    return _load_kind(docs, problems, load_headermap_document)


def _load_procedures(
    docs: Sequence[YamlDocument],
    problems: list[Problem],
    *,
    calendars: Mapping[str, tuple[Any, ...]],
    standards: Mapping[str, str],
    headermaps: Mapping[str, tuple[Any, ...]],
    record_schemas: Mapping[str, RecordSchema],
) -> dict[str, tuple[Any, ...]]:
    if not docs:
        return {}
    from .events.procedures import link_problems, load_procedure_document, mark_values_of

    procedures = _load_kind(docs, problems, load_procedure_document)
    problems.extend(
        link_problems(
            procedures,
            calendar_actions={
                k: frozenset(a for c in cs for a in c.actions) for k, cs in calendars.items()
            },
            standards=standards,
            headermaps=headermaps,
            mark_values=mark_values_of(record_schemas),
        )
    )
    return procedures
