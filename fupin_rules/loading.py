"""From rule files to checked, immutable rule sets.

The steps, each reporting every problem it finds with file, line and column:

1. read each YAML file safely (:mod:`fupin_rules._yaml`) and check it against its JSON Schema
   (:mod:`fupin_rules.schemas`);
2. resolve ``extends``: a revision is merged over the version it names (criteria key by key,
   parameters and derived fields whole, ``remove`` deletes), detecting missing and cyclic bases;
3. build: check names and types, compile every expression and template once
   (:mod:`fupin_rules.expressions`), resolve citations, and fingerprint the canonical resolved
   rule set.

If any problem is found nothing is returned: :class:`~fupin_rules.errors.RuleFileError` carries
them all. Evaluation later does no parsing and no lookups by name beyond plain dict reads.
"""

from __future__ import annotations

import ast
import copy
import itertools
import string
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ._canonical import fingerprint, plain
from ._yaml import YamlDocument
from .errors import ExpressionError, Problem, format_path
from .expressions import BOOLEAN, NUMBER, STRING, Expression, Scope, Type, compile_expression
from .model import (
    Citation,
    Criterion,
    DatasetCheck,
    Decision,
    Derived,
    Example,
    Parameter,
    ParameterValue,
    RuleSet,
    Source,
    Template,
)
from .records import CodeList, RecordSchema
from .schemas import document_problems

__all__ = ["build_codelist", "build_rulesets", "override_parameters"]

Where = tuple[YamlDocument, tuple[str | int, ...]]

_TYPE_ZH = {"number": "数值", "integer": "整数", "string": "文本", "boolean": "是/否值"}
_PARAM_TYPES = {"number": NUMBER, "integer": NUMBER, "string": STRING, "boolean": BOOLEAN}
_BEGINNING = "0001-01-01"


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


@attrs.define
class _Piece:
    """A mapping merged from one or more files, remembering where each key was written."""

    data: dict[str, Any]
    where: dict[str, Where]
    origin: Where

    def problem(
        self, key: str | None, message: str, *, hint: str | None = None, code: str = "error"
    ) -> Problem:
        doc, path = self.where.get(key, self.origin) if key else self.origin
        return doc.problem(path, message, hint=hint, code=code)

    def value_at(self, key: str) -> tuple[int | None, int | None]:
        doc, path = self.where.get(key, self.origin)
        return doc.locate_value(path)

    def file(self, key: str | None = None) -> str:
        return (self.where.get(key, self.origin) if key else self.origin)[0].file


def _piece(doc: YamlDocument, path: tuple[str | int, ...], data: Mapping[str, Any]) -> _Piece:
    return _Piece(
        data=dict(data),
        where={k: (doc, (*path, k)) for k in data},
        origin=(doc, path),
    )


@attrs.define
class _Resolved:
    id: str
    version: str
    top: _Piece
    sources: dict[str, _Piece]
    parameters: dict[str, _Piece]
    derived: dict[str, _Piece]
    criteria: dict[str, _Piece]
    examples: list[_Piece]
    example_base: _Piece | None
    notes: list[str]
    files: list[str]


_INHERITED = ("title", "description", "subject", "decision", "applies_if", "dataset_checks")


def _resolve(
    rid: str,
    version: str,
    docs: Mapping[str, YamlDocument],
    stack: tuple[str, ...],
    problems: list[Problem],
) -> _Resolved | None:
    doc = docs[version]
    data = doc.data
    base_version = data.get("extends")
    if base_version is None:
        resolved = _Resolved(
            id=rid,
            version=version,
            top=_Piece({}, {}, (doc, ())),
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
        if base_version in (*stack, version):
            chain = " -> ".join((*stack, version, base_version))
            problems.append(
                doc.problem(("extends",), f"extends 形成循环: {chain}", code="extends.cycle")
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
        base = _resolve(rid, base_version, docs, (*stack, version), problems)
        if base is None:
            return None
        resolved = copy.copy(base)
        resolved.version = version
        resolved.top = _Piece(
            {k: v for k, v in base.top.data.items() if k in _INHERITED},
            {k: v for k, v in base.top.where.items() if k in _INHERITED},
            (doc, ()),
        )
        resolved.sources = dict(base.sources)
        resolved.parameters = dict(base.parameters)
        resolved.derived = dict(base.derived)
        resolved.criteria = {
            k: _Piece(dict(v.data), dict(v.where), v.origin) for k, v in base.criteria.items()
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
        }:
            continue
        resolved.top.data[key] = value
        resolved.top.where[key] = (doc, (key,))
    resolved.top.data["extends"] = base_version
    for i, src in enumerate(data.get("sources", [])):
        resolved.sources[src["id"]] = _piece(doc, ("sources", i), src)
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
        resolved.parameters[name] = _piece(doc, ("parameters", name), spec)
    for name, spec in data.get("derived", {}).items():
        resolved.derived[name] = _piece(doc, ("derived", name), spec)
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
            resolved.criteria[cid] = _piece(doc, ("criteria", i), spec)
    resolved.examples = [
        _piece(doc, ("examples", i), ex) for i, ex in enumerate(data.get("examples", []))
    ]
    if "example_base" in data:
        resolved.example_base = _piece(doc, ("example_base",), data["example_base"])
    resolved.notes.extend(data.get("notes", []))
    return resolved


# --------------------------------------------------------------------------- building


@attrs.define
class _Builder:
    resolved: _Resolved
    schemas: Mapping[str, RecordSchema]
    problems: list[Problem] = attrs.field(factory=list)
    resolved_schema: RecordSchema = attrs.field(init=False)

    def compile(
        self, piece: _Piece, key: str, scope: Scope, *, expect: str | None = "boolean"
    ) -> Expression | None:
        doc, path = piece.where.get(key, piece.origin)
        line, column = doc.locate_value(path)
        try:
            return compile_expression(
                piece.data[key],
                scope,
                expect=expect,
                file=doc.file,
                line=line,
                column=column,
                path=format_path(path),
            )
        except ExpressionError as exc:
            self.problems.append(exc.problem)
            return None

    def template(
        self,
        piece: _Piece,
        key: str,
        default: str,
        scope: Scope,
        extra: frozenset[str] = frozenset(),
    ) -> Template:
        """Check a message template; ``extra`` are names allowed besides the scope's."""
        text = piece.data.get(key, default)
        names: list[str] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            self.problems.append(
                piece.problem(
                    key,
                    f"说明模板有误: {exc}",
                    hint="花括号须成对, 如 {per_capita_income}; 要写花括号本身请写 {{ }}",
                    code="template.syntax",
                )
            )
            return Template(text, ())
        for _literal, field, spec, conversion in parsed:
            if field is None:
                continue
            dotted = _item_field(field, scope)
            if (not field.isidentifier() and not dotted) or spec or conversion:
                self.problems.append(
                    piece.problem(
                        key,
                        "说明模板中只能写 {名称}, 不能写 {"
                        + field
                        + (f"!{conversion}" if conversion else "")
                        + (f":{spec}" if spec else "")
                        + "}",
                        code="template.syntax",
                    )
                )
                continue
            if scope.lookup(field) is None and not dotted and field not in extra:
                import difflib

                close = difflib.get_close_matches(field, scope.names(), n=2, cutoff=0.6)
                self.problems.append(
                    piece.problem(
                        key,
                        f"说明模板中的未知名称 {{{field}}}",
                        hint=("是否要找: " + ", ".join(close)) if close else None,
                        code="template.unknown-name",
                    )
                )
                continue
            if field not in names:
                names.append(field)
        return Template(text, tuple(names))

    def build(self) -> RuleSet | None:
        r = self.resolved
        top = r.top
        for key in ("title", "subject", "effective"):
            if key not in top.data:
                self.problems.append(
                    top.problem(
                        None,
                        f"缺少 {key}"
                        + ("(被修订版本中也没有)" if r.top.data.get("extends") else ""),
                        code="schema.required",
                    )
                )
        if self.problems:
            return None
        subject = top.data["subject"]
        schema = self.schemas.get(subject)
        if schema is None:
            self.problems.append(
                top.problem(
                    "subject",
                    f"没有适用对象 {subject!r} 的记录结构",
                    hint=f"已有: {', '.join(sorted(self.schemas)) or '无'}"
                    " (schemas/records/<subject>.schema.json)",
                    code="subject.unknown",
                )
            )
            return None
        self.resolved_schema = schema
        codelists = {cid: cl.codes for cid, cl in schema.codelists.items()}
        sources = {sid: self._source(p) for sid, p in r.sources.items()}
        parameters = self._parameters(sources)
        taken = set(schema.fields) | {"as_of"}
        for name, p in r.parameters.items():
            if name in taken:
                self.problems.append(
                    p.problem(None, f"参数名 {name!r} 与记录字段重名", code="name.clash")
                )
        param_types = {n: _PARAM_TYPES[p.type] for n, p in parameters.items()}
        derived: list[Derived] = []
        derived_types: dict[str, Type] = {}
        for name, p in r.derived.items():
            if name in taken or name in param_types:
                self.problems.append(
                    p.problem(None, f"派生字段名 {name!r} 与记录字段或参数重名", code="name.clash")
                )
                continue
            scope = Scope(
                fields=schema.fields,
                derived=dict(derived_types),
                parameters=param_types,
                codelists=codelists,
            )
            expr = self.compile(p, "expr", scope, expect=None)
            if expr is None:
                # Reported once here; its uses are checked as if it had any type.
                derived_types[name] = Type("any", label=p.data["label"])
                continue
            if expr.type.kind in {"list", "record"}:
                self.problems.append(
                    p.problem("expr", "派生字段须是数值、文本、日期或是/否", code="expr.type")
                )
                continue
            derived_types[name] = attrs.evolve(expr.type, label=p.data["label"])
            derived.append(
                Derived(name=name, label=p.data["label"], unit=p.data.get("unit"), expr=expr)
            )
        scope = Scope(
            fields=schema.fields, derived=derived_types, parameters=param_types, codelists=codelists
        )
        criteria = [
            c
            for c in (self._criterion(p, scope, sources) for p in r.criteria.values())
            if c is not None
        ]
        decision = self._decision(r.criteria, scope)
        dataset_checks = self._dataset_checks(scope, sources)
        applies_if = self.compile(top, "applies_if", scope) if "applies_if" in top.data else None
        examples = self._examples(r, set(r.criteria))
        effective = top.data["effective"]
        start, until = effective["from"], effective.get("until")
        if until is not None and until < start:
            self.problems.append(
                top.problem(
                    "effective", f"施行止日 {until} 早于起日 {start}", code="effective.order"
                )
            )
        if self.problems or decision is None:
            return None
        canonical = _canonical(
            r, schema, parameters, derived, criteria, decision, applies_if, sources
        )
        canonical["dataset_checks"] = plain(
            [
                {
                    "id": c.id,
                    "label": c.label,
                    "unique": _expr_text(c.key),
                    "for_each": list(c.for_each) if c.for_each else None,
                    "where": _expr_text(c.where),
                    "across_records_only": c.across_records_only,
                    "message": c.message.text,
                    "severity": c.severity,
                    "sources": [str(x) for x in c.citations],
                }
                for c in dataset_checks
            ]
        )
        return RuleSet(
            id=r.id,
            version=r.version,
            title=top.data["title"],
            subject=subject,
            effective_from=start,
            effective_until=until,
            extends=top.data.get("extends"),
            sources=tuple(sources.values()),
            parameters=parameters,
            derived=tuple(derived),
            criteria=tuple(criteria),
            decision=decision,
            applies_if=applies_if,
            examples=tuple(examples),
            notes=tuple(r.notes),
            record_schema=schema,
            fingerprint=fingerprint(canonical),
            canonical=canonical,
            files=tuple(r.files),
            effective_unconfirmed=bool(effective.get("unconfirmed", False)),
            dataset_checks=tuple(dataset_checks),
        )

    def _source(self, p: _Piece) -> Source:
        d = p.data
        return Source(
            id=d["id"],
            title=d["title"],
            number=d.get("number"),
            issuer=d.get("issuer"),
            date=d.get("date"),
            url=d.get("url"),
            reliability=d.get("reliability"),
            unconfirmed=bool(d.get("unconfirmed", False)),
            note=d.get("note"),
        )

    def _citations(
        self, p: _Piece, key: str, sources: Mapping[str, Source]
    ) -> tuple[Citation, ...]:
        doc, path = p.where.get(key, p.origin)
        return self._cite(doc, path, p.data.get(key, []), sources)

    def _cite(
        self,
        doc: YamlDocument,
        path: tuple[str | int, ...],
        items: Sequence[Mapping[str, Any]],
        sources: Mapping[str, Source],
    ) -> tuple[Citation, ...]:
        """Citations of the ``sources`` list at ``path``; an unknown ``ref`` is a problem."""
        out = []
        for i, c in enumerate(items):
            src = sources.get(c["ref"])
            if src is None:
                self.problems.append(
                    doc.problem(
                        (*path, i, "ref"),
                        f"引用的来源 {c['ref']!r} 不在 sources 中",
                        hint="已有: " + ", ".join(sorted(sources)),
                        code="source.unknown",
                    )
                )
                continue
            out.append(Citation(source=src, clause=c.get("clause")))
        return tuple(out)

    def _parameters(self, sources: Mapping[str, Source]) -> dict[str, Parameter]:
        out: dict[str, Parameter] = {}
        for name, p in self.resolved.parameters.items():
            d = p.data
            kind = d["type"]
            general = self._citations(p, "sources", sources)
            items: list[tuple[Mapping[str, Any], YamlDocument, tuple[str | int, ...]]] = []
            if "value" in d:
                doc, path = p.where.get("value", p.origin)
                items.append(({"from": _BEGINNING, "value": d["value"]}, doc, path))
            else:
                doc, path = p.where.get("values", p.origin)
                items.extend((item, doc, (*path, i)) for i, item in enumerate(d["values"]))
            values: list[ParameterValue] = []
            for item, doc, path in items:
                v = item["value"]
                if v is not None and not _matches(kind, v):
                    at = (*path, "value") if "values" in d else path
                    self.problems.append(
                        doc.problem(
                            at,
                            f"参数值 {v!r} 不是{_TYPE_ZH[kind]}",
                            hint=f"参数 type 为 {kind}",
                            code="parameter.type",
                        )
                    )
                own = self._cite(doc, (*path, "sources"), item.get("sources", []), sources)
                values.append(
                    ParameterValue(
                        start=item["from"],
                        value=v,
                        unconfirmed=bool(item.get("unconfirmed", False))
                        or bool(d.get("unconfirmed", False)),
                        note=item.get("note", d.get("note") if "value" in d else None),
                        citations=own + general,
                    )
                )
            starts = [v.start for v in values]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                self.problems.append(
                    p.problem(
                        "values",
                        "values 须按 from 日期从早到晚排列, 且日期不重复",
                        code="parameter.order",
                    )
                )
            out[name] = Parameter(
                name=name,
                label=d["label"],
                type=kind,
                unit=d.get("unit"),
                values=tuple(values),
                note=d.get("note"),
            )
        return out

    def _criterion(
        self, p: _Piece, scope: Scope, sources: Mapping[str, Source]
    ) -> Criterion | None:
        d = p.data
        before = len(self.problems)
        for key in ("label", "test"):
            if key not in d:
                self.problems.append(
                    p.problem(
                        "id",
                        f"指标 {d['id']!r} 缺少 {key}",
                        hint="新增指标须写全 label 和 test",
                        code="criteria.incomplete",
                    )
                )
        if len(self.problems) > before:
            return None
        for_each = None
        item_id_field = None
        if "for_each" in d:
            found = self._item_scope(p, "for_each", scope)
            if found is None:
                return None
            scope, for_each, item_id_field = found
        test = self.compile(p, "test", scope)
        applies_if = self.compile(p, "applies_if", scope) if "applies_if" in d else None
        label = d["label"]
        pass_t = self.template(p, "pass", f"{label}: 达标", scope)
        fail_t = self.template(p, "fail", f"{label}: 未达标", scope)
        na_t = self.template(p, "not_applicable", f"{label}: 不适用", scope)
        citations = self._citations(p, "sources", sources)
        if test is None or len(self.problems) > before:
            return None
        used: list[str] = []
        if for_each is not None:
            var = for_each[1]
            for expr in (applies_if, test):
                if expr is not None:
                    used.extend(n for n in _item_reads(expr, var) if n not in used)
        for name in (
            *(applies_if.names if applies_if else ()),
            *test.names,
            *pass_t.names,
            *fail_t.names,
            *na_t.names,
        ):
            if _item_field(name, scope):
                if name not in used:
                    used.append(name)
                continue
            kind = scope.lookup(name)
            if kind is None or kind[1].kind in {"list", "record"} or name in used:
                continue
            used.append(name)
        return Criterion(
            id=d["id"],
            label=label,
            group=d.get("group"),
            severity=d.get("severity", "blocking"),
            test=test,
            applies_if=applies_if,
            pass_text=pass_t,
            fail_text=fail_t,
            not_applicable_text=na_t,
            citations=citations,
            unconfirmed=bool(d.get("unconfirmed", False)),
            note=d.get("note"),
            points=d.get("points"),
            used=tuple(used),
            for_each=for_each,
            item_id_field=item_id_field,
        )

    def _item_scope(
        self, p: _Piece, key: str, scope: Scope
    ) -> tuple[Scope, tuple[str, str], str | None] | None:
        """The scope of a per-item criterion or check: the item named by ``for_each.as``."""
        spec = p.data[key]
        doc, path = p.where.get(key, p.origin)
        list_name, var = spec["list"], spec["as"]
        list_type = scope.fields.get(list_name)
        if list_type is None or list_type.kind != "list" or list_type.fields is None:
            lists = [n for n, t in scope.fields.items() if t.kind == "list" and t.fields]
            self.problems.append(
                doc.problem(
                    (*path, "list"),
                    f"{list_name!r} 不是记录中的列表字段",
                    hint="可用: " + (", ".join(lists) or "无"),
                    code="for-each.list",
                )
            )
            return None
        if scope.lookup(var) is not None:
            self.problems.append(
                doc.problem((*path, "as"), f"名称 {var!r} 已被占用, 请换一个", code="for-each.name")
            )
            return None
        items_schema = self.resolved_schema.schema.get("properties", {}).get(list_name, {})
        id_field = items_schema.get("items", {}).get("x-id-field")
        new_scope = attrs.evolve(scope, items={var: Type("record", fields=list_type.fields)})
        return new_scope, (list_name, var), id_field if isinstance(id_field, str) else None

    def _dataset_checks(self, scope: Scope, sources: Mapping[str, Source]) -> list[DatasetCheck]:
        top = self.resolved.top
        if "dataset_checks" not in top.data:
            return []
        doc, path = top.where["dataset_checks"]
        out = []
        seen: set[str] = set()
        for i, spec in enumerate(top.data["dataset_checks"]):
            p = _piece(doc, (*path, i), spec)
            if spec["id"] in seen:
                self.problems.append(
                    p.problem("id", f"检查 id {spec['id']!r} 重复", code="dataset.duplicate")
                )
                continue
            seen.add(spec["id"])
            item_scope, for_each = scope, None
            if "for_each" in spec:
                found = self._item_scope(p, "for_each", scope)
                if found is None:
                    continue
                item_scope, for_each, _ = found
            before = len(self.problems)
            key = self.compile(p, "unique", item_scope, expect=None)
            where = self.compile(p, "where", item_scope) if "where" in spec else None
            message = self.template(
                p,
                "message",
                f"{spec['label']}: {{key}} 出现 {{count}} 次",
                item_scope,
                frozenset({"key", "count"}),
            )
            citations = self._citations(p, "sources", sources)
            if key is None or len(self.problems) > before:
                continue
            if key.type.kind in {"list", "record", "boolean"}:
                self.problems.append(
                    p.problem("unique", "唯一键须是文本、数值或日期", code="expr.type")
                )
                continue
            out.append(
                DatasetCheck(
                    id=spec["id"],
                    label=spec["label"],
                    key=key,
                    for_each=for_each,
                    where=where,
                    across_records_only=bool(spec.get("across_records_only", False)),
                    message=message,
                    severity=spec.get("severity", "blocking"),
                    citations=citations,
                )
            )
        return out

    def _decision(self, criteria: Mapping[str, _Piece], scope: Scope) -> Decision | None:
        top = self.resolved.top
        d = top.data.get("decision", {"method": "all"})
        method = d["method"]
        expression = None
        if method == "expression":
            piece = _Piece(
                d,
                {k: (top.where["decision"][0], (*top.where["decision"][1], k)) for k in d},
                top.where["decision"],
            )
            expression = self.compile(
                piece, "expression", Scope(criteria=frozenset(criteria), dated=False)
            )
            if expression is None:
                return None
        if method == "points":
            missing = [
                cid
                for cid, p in criteria.items()
                if "points" not in p.data and p.data.get("severity") != "veto"
            ]
            if missing:
                self.problems.append(
                    top.problem(
                        "decision",
                        f"计分法中这些指标没有 points: {', '.join(missing)}",
                        code="decision.points",
                    )
                )
        return Decision(
            method=method,
            threshold=d.get("threshold"),
            expression=expression,
            pass_text=d.get("pass"),
            fail_text=d.get("fail"),
        )

    def _examples(self, r: _Resolved, criteria: set[str]) -> list[Example]:
        out = []
        base = r.example_base.data if r.example_base else {}
        for p in r.examples:
            d = p.data
            expect = d["expect"]
            doc, path = p.origin
            for i, cid in enumerate(expect.get("failing", [])):
                if cid not in criteria:
                    self.problems.append(
                        doc.problem(
                            (*path, "expect", "failing", i),
                            f"没有指标 {cid!r}",
                            code="example.criterion",
                        )
                    )
            for cid in expect.get("criteria", {}):
                if cid not in criteria:
                    self.problems.append(
                        doc.problem(
                            (*path, "expect", "criteria", cid),
                            f"没有指标 {cid!r}",
                            code="example.criterion",
                        )
                    )
            record = {**base, **d["record"]}
            line, _ = doc.locate(path)
            out.append(
                Example(
                    name=d["name"],
                    description=d.get("description"),
                    as_of=d.get("as_of"),
                    record=record,
                    outcome=expect["outcome"],
                    failing=frozenset(expect["failing"]) if "failing" in expect else None,
                    criteria=dict(expect.get("criteria", {})),
                    file=doc.file,
                    line=line,
                )
            )
        return out


def _matches(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    return isinstance(value, int | Decimal)


def _expr_text(expr: Expression | None) -> str | None:
    if expr is None:
        return None
    return ast.unparse(expr._tree)


def _canonical(
    r: _Resolved,
    schema: RecordSchema,
    parameters: Mapping[str, Parameter],
    derived: Sequence[Derived],
    criteria: Sequence[Criterion],
    decision: Decision,
    applies_if: Expression | None,
    sources: Mapping[str, Source],
) -> dict[str, Any]:
    top = r.top.data
    canonical: dict[str, Any] = plain(
        {
            "id": r.id,
            "version": r.version,
            "title": top["title"],
            "subject": top["subject"],
            "effective": {k: v for k, v in top["effective"].items() if k != "note"},
            "extends": top.get("extends"),
            "record_schema": schema.fingerprint,
            # Commentary (notes) is not meaning: it is left out, here as everywhere.
            "sources": [
                {k: v for k, v in attrs.asdict(s).items() if k != "note"} for s in sources.values()
            ],
            "applies_if": _expr_text(applies_if),
            "parameters": {
                name: {
                    "label": p.label,
                    "type": p.type,
                    "unit": p.unit,
                    "values": [
                        {
                            "from": v.start,
                            "value": v.value,
                            "unconfirmed": v.unconfirmed,
                            "sources": [str(c) for c in v.citations],
                        }
                        for v in p.values
                    ],
                }
                for name, p in sorted(parameters.items())
            },
            "derived": [
                {"name": d.name, "label": d.label, "unit": d.unit, "expr": _expr_text(d.expr)}
                for d in derived
            ],
            "criteria": [
                {
                    "id": c.id,
                    "label": c.label,
                    "group": c.group,
                    "severity": c.severity,
                    "applies_if": _expr_text(c.applies_if),
                    "test": _expr_text(c.test),
                    "pass": c.pass_text.text,
                    "fail": c.fail_text.text,
                    "not_applicable": c.not_applicable_text.text,
                    "sources": [str(x) for x in c.citations],
                    "unconfirmed": c.unconfirmed,
                    "points": c.points,
                    "for_each": list(c.for_each) if c.for_each else None,
                }
                for c in criteria
            ],
            "decision": {
                "method": decision.method,
                "threshold": decision.threshold,
                "expression": _expr_text(decision.expression),
                "pass": decision.pass_text,
                "fail": decision.fail_text,
            },
        }
    )
    return canonical


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
        for version in sorted(versions):
            resolved = _resolve(rid, version, versions, (), problems)
            if resolved is None:
                continue
            builder = _Builder(resolved=resolved, schemas=schemas)
            rs = builder.build()
            problems.extend(builder.problems)
            if rs is not None:
                built.append(rs)
        problems.extend(_overlaps([b for b in built if b.id == rid], versions))
    return built, _unique(problems)


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
    out = []
    ordered = sorted(rulesets, key=lambda r: (r.effective_from, r.version))
    for a, b in itertools.pairwise(ordered):
        if a.effective_until is None or a.effective_until >= b.effective_from:
            doc = docs[b.version]
            out.append(
                doc.problem(
                    ("effective", "from"),
                    f"{b.key} 自 {b.effective_from} 起施行, 但 {a.key} 在这一天仍然有效"
                    f" (至 {a.effective_until or '今'})",
                    hint=f"把 {a.key} 的 effective.until 写为 {_day_before(b.effective_from)}",
                    code="version.overlap",
                )
            )
    return out


def _day_before(day: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


def override_parameters(rs: RuleSet, overrides: Mapping[str, Any]) -> RuleSet:
    """``rs`` with the named parameters fixed to the given values (checked for type)."""
    from .errors import UsageError

    params = dict(rs.parameters)
    for name, value in overrides.items():
        if name not in params:
            import difflib

            close = difflib.get_close_matches(name, list(params), n=2)
            hint = f" (是否要找: {', '.join(close)})" if close else ""
            msg = f"{rs.key} 没有参数 {name!r}{hint}"
            raise UsageError(msg)
        p = params[name]
        if isinstance(value, str) and p.type in {"number", "integer"}:
            try:
                value = Decimal(value.replace(",", ""))
            except ArithmeticError:
                msg = f"参数 {name} 须为数值, 得到 {value!r}"
                raise UsageError(msg) from None
            if p.type == "integer" and value == value.to_integral_value():
                value = int(value)
        if not _matches(p.type, value):
            msg = f"参数 {name} 须为{p.type}, 得到 {value!r}"
            raise UsageError(msg)
        params[name] = attrs.evolve(
            p, values=(ParameterValue(start=_BEGINNING, value=value, note="由使用者指定"),)
        )
    canonical = dict(rs.canonical)
    canonical["parameters"] = plain(
        {
            **canonical["parameters"],
            **{
                n: {
                    "label": params[n].label,
                    "type": params[n].type,
                    "unit": params[n].unit,
                    "values": [
                        {
                            "from": _BEGINNING,
                            "value": params[n].values[0].value,
                            "unconfirmed": False,
                            "sources": ["由使用者指定"],
                        }
                    ],
                }
                for n in overrides
            },
        }
    )
    return attrs.evolve(
        rs, parameters=params, canonical=canonical, fingerprint=fingerprint(canonical), cache={}
    )


def _item_field(name: str, scope: Scope) -> bool:
    """Whether ``name`` is ``var.field`` of an item variable in scope."""
    var, dot, field = name.partition(".")
    item = scope.items.get(var) if dot else None
    return item is not None and item.fields is not None and field in item.fields


def _item_reads(expr: Expression, var: str) -> list[str]:
    """The ``var.field`` names an expression reads, in order."""
    out: list[str] = []
    for node in ast.walk(expr._tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == var
        ):
            name = f"{var}.{node.attr}"
            if name not in out:
                out.append(name)
    return out
