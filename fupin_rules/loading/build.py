"""Building a rule set: names, types and codes checked, every expression and template
compiled once, citations resolved, the canonical form and its fingerprint made."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import attrs

from .._canonical import fingerprint
from ..language import Scope, Type, syntax
from ..language.expression import Expression
from ..model import Criterion, DatasetCheck, Decision, Derived, RuleSet, Source
from .canonical import canonical
from .engine import ENGINE
from .parts import PARAM_TYPES, Parts, item_field
from .resolve import Piece, piece

__all__ = ["Builder", "item_reads"]


@attrs.define
class Builder(Parts):
    """Builds one resolved version into a :class:`~fupin_rules.model.RuleSet`, collecting
    every problem it meets in :attr:`problems`."""

    def build(self) -> RuleSet | None:
        """The rule set, or None (then :attr:`problems` says why)."""
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
        sources = {sid: self.source(p) for sid, p in r.sources.items()}
        parameters = self.parameters(sources)
        taken = set(schema.fields) | {"as_of"}
        for name, p in r.parameters.items():
            if name in taken:
                self.problems.append(
                    p.problem(None, f"参数名 {name!r} 与记录字段重名", code="name.clash")
                )
        param_types = {n: PARAM_TYPES[p.type] for n, p in parameters.items()}
        derived: list[Derived] = []
        derived_types: dict[str, Type] = {}
        # Each derived field is compiled in a scope of the fields, the parameters and the
        # derived fields before it: a read-only view of the table as it grows (a copy per field
        # would cost n^2 for n fields). Nothing keeps the scope beyond each compile.
        earlier = Scope(
            fields=schema.fields,
            derived=MappingProxyType(derived_types),
            parameters=param_types,
            codelists=codelists,
        )
        for name, p in r.derived.items():
            if name in taken or name in param_types:
                self.problems.append(
                    p.problem(None, f"派生字段名 {name!r} 与记录字段或参数重名", code="name.clash")
                )
                continue
            expr = self.compile(p, "expr", earlier, expect=None)
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
            for c in (self.criterion(p, scope, sources) for p in r.criteria.values())
            if c is not None
        ]
        decision = self.decision(r.criteria, criteria)
        dataset_checks = self.dataset_checks(scope, sources)
        applies_if = self.compile(top, "applies_if", scope) if "applies_if" in top.data else None
        examples = self.examples(r, set(r.criteria))
        properties = self.properties(r, scope, schema)
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
        form = canonical(
            r, schema, parameters, derived, criteria, decision, applies_if, sources, dataset_checks
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
            fingerprint=fingerprint(form),
            canonical=form,
            files=tuple(r.files),
            effective_unconfirmed=bool(effective.get("unconfirmed", False)),
            dataset_checks=tuple(dataset_checks),
            properties=tuple(properties),
            engine=ENGINE,
        )

    def criterion(self, p: Piece, scope: Scope, sources: Mapping[str, Source]) -> Criterion | None:
        """One criterion, checked and compiled, or None."""
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
            found = self.item_scope(p, "for_each", scope)
            if found is None:
                return None
            scope, for_each, item_id_field = found
        test = self.compile(p, "test", scope)
        applies_if = self.compile(p, "applies_if", scope) if "applies_if" in d else None
        label = d["label"]
        pass_t = self.template(p, "pass", f"{label}: 达标", scope)
        fail_t = self.template(p, "fail", f"{label}: 未达标", scope)
        na_t = self.template(p, "not_applicable", f"{label}: 不适用", scope)
        citations = self.citations(p, "sources", sources)
        if test is None or len(self.problems) > before:
            return None
        used: list[str] = []
        if for_each is not None:
            var = for_each[1]
            for expr in (applies_if, test):
                if expr is not None:
                    used.extend(n for n in item_reads(expr, var) if n not in used)
        for name in (
            *(applies_if.names if applies_if else ()),
            *test.names,
            *pass_t.names,
            *fail_t.names,
            *na_t.names,
        ):
            if item_field(name, scope):
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

    def item_scope(
        self, p: Piece, key: str, scope: Scope
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

    def dataset_checks(self, scope: Scope, sources: Mapping[str, Source]) -> list[DatasetCheck]:
        """The rule set's checks across a data set."""
        top = self.resolved.top
        if "dataset_checks" not in top.data:
            return []
        doc, path = top.where["dataset_checks"]
        out = []
        seen: set[str] = set()
        for i, spec in enumerate(top.data["dataset_checks"]):
            p = piece(doc, (*path, i), spec)
            if spec["id"] in seen:
                self.problems.append(
                    p.problem("id", f"检查 id {spec['id']!r} 重复", code="dataset.duplicate")
                )
                continue
            seen.add(spec["id"])
            item_scope, for_each = scope, None
            if "for_each" in spec:
                found = self.item_scope(p, "for_each", scope)
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
            citations = self.citations(p, "sources", sources)
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

    def decision(
        self, pieces: Mapping[str, Piece], criteria: Sequence[Criterion]
    ) -> Decision | None:
        """The decision of the rule set over its ``criteria`` (``pieces``: as written)."""
        top = self.resolved.top
        d = top.data.get("decision", {"method": "all"})
        method = d["method"]
        expression = None
        if method == "expression":
            written = Piece(
                d,
                {k: (top.where["decision"][0], (*top.where["decision"][1], k)) for k in d},
                top.where["decision"],
            )
            expression = self.compile(
                written, "expression", Scope(criteria=frozenset(pieces), dated=False)
            )
            if expression is None:
                return None
        if method == "points":
            missing = [
                cid
                for cid, p in pieces.items()
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
        return Decision.of(
            method,
            [(c.id, c.severity, c.points) for c in criteria],
            threshold=d.get("threshold"),
            expression=expression,
            pass_text=d.get("pass"),
            fail_text=d.get("fail"),
        )


def item_reads(expr: Expression, var: str) -> list[str]:
    """The ``var.field`` names an expression reads, in the order Python's tree walk meets
    them."""
    out: list[str] = []
    for node in ast.walk(syntax.to_python(expr.tree)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == var
        ):
            name = f"{var}.{node.attr}"
            if name not in out:
                out.append(name)
    return out
