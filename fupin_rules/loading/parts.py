"""The parts of a rule set every builder step shares: compiling expressions and templates at
their place in the file, sources and citations, parameters by date, embedded examples."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._yaml import YamlDocument
from ..errors import ExpressionError, Problem, format_path
from ..language import BOOLEAN, NUMBER, STRING, Expression, Scope, compile_expression
from ..language.check import Hints
from ..language.limits import NumberLimits, number_limits
from ..model import Citation, Example, Parameter, ParameterValue, Property, Source, Template
from ..records import RecordSchema
from .canonical import BEGINNING, TYPE_ZH, matches
from .resolve import Piece, Resolved

__all__ = ["MAX_EXAMPLE_VALUES", "PARAM_TYPES", "Parts", "item_field"]

PARAM_TYPES = {"number": NUMBER, "integer": NUMBER, "string": STRING, "boolean": BOOLEAN}
"""The expression type of each parameter type."""
MAX_EXAMPLE_VALUES = 1_000_000
"""Most values the records of a rule set's examples may hold together, each example with the
``example_base`` merged in (every scalar, list and mapping counts one). A base of m values
shared by n examples makes n × m values to build and evaluate: far more than the file's size
(a 300 KB file can make a hundred million), so it is bounded by itself."""


@attrs.define
class Parts:
    """What the builder of one resolved version shares across its steps."""

    resolved: Resolved
    schemas: Mapping[str, RecordSchema]
    problems: list[Problem] = attrs.field(factory=list)
    resolved_schema: RecordSchema = attrs.field(init=False)
    numbers: NumberLimits = attrs.field(factory=number_limits)
    """The bounds on the number literals of its expressions."""
    hints: Hints = attrs.field(factory=Hints)
    """The one budget for suggesting close names, for every expression and template."""

    def compile(
        self, piece: Piece, key: str, scope: Scope, *, expect: str | None = "boolean"
    ) -> Expression | None:
        """The expression at ``key`` of ``piece``, compiled in ``scope``, or None."""
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
                numbers=self.numbers,
                hints=self.hints,
            )
        except ExpressionError as exc:
            self.problems.append(exc.problem)
            return None

    def template(
        self,
        piece: Piece,
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
            return Template.of(text, ())
        for _literal, field, spec, conversion in parsed:
            if field is None:
                continue
            dotted = item_field(field, scope)
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
                close = self.hints.in_scope(field, scope, n=2)
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
        return Template.of(text, tuple(names))

    def source(self, p: Piece) -> Source:
        """A source of the rule set."""
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

    def citations(self, p: Piece, key: str, sources: Mapping[str, Source]) -> tuple[Citation, ...]:
        """The citations at ``key`` of ``p``."""
        doc, path = p.where.get(key, p.origin)
        return self.cite(doc, path, p.data.get(key, []), sources)

    def cite(
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

    def parameters(self, sources: Mapping[str, Source]) -> dict[str, Parameter]:
        """The parameters, each with its values by date."""
        out: dict[str, Parameter] = {}
        for name, p in self.resolved.parameters.items():
            d = p.data
            kind = d["type"]
            general = self.citations(p, "sources", sources)
            items: list[tuple[Mapping[str, Any], YamlDocument, tuple[str | int, ...]]] = []
            if "value" in d:
                doc, path = p.where.get("value", p.origin)
                items.append(({"from": BEGINNING, "value": d["value"]}, doc, path))
            else:
                doc, path = p.where.get("values", p.origin)
                items.extend((item, doc, (*path, i)) for i, item in enumerate(d["values"]))
            values: list[ParameterValue] = []
            for item, doc, path in items:
                v = item["value"]
                if v is not None and not matches(kind, v):
                    at = (*path, "value") if "values" in d else path
                    self.problems.append(
                        doc.problem(
                            at,
                            f"参数值 {v!r} 不是{TYPE_ZH[kind]}",
                            hint=f"参数 type 为 {kind}",
                            code="parameter.type",
                        )
                    )
                own = self.cite(doc, (*path, "sources"), item.get("sources", []), sources)
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

    def examples(self, r: Resolved, criteria: set[str]) -> list[Example]:
        """The embedded examples, their expectations checked against ``criteria``."""
        out = []
        base = r.example_base.data if r.example_base else {}
        sizes = {k: _size(v) for k, v in base.items()}
        whole = sum(sizes.values())
        total = 0
        for p in r.examples:
            own = p.data["record"]
            total += whole + _size(own) - sum(sizes.get(k, 0) for k in own)
        if total > MAX_EXAMPLE_VALUES:
            message = (
                f"样例的记录合计过大: {len(r.examples)} 个样例 (与 example_base 合并后)"
                f" 共 {total} 个值, 上限 {MAX_EXAMPLE_VALUES}"
            )
            hint = "减小 example_base (如成员列表), 或减少样例"
            doc, _ = r.examples[0].origin
            self.problems.append(
                r.example_base.problem(None, message, hint=hint, code="example.too-large")
                if r.example_base
                else doc.problem(("examples",), message, hint=hint, code="example.too-large")
            )
            return []
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

    def properties(self, r: Resolved, scope: Scope, schema: RecordSchema) -> list[Property]:
        """The declared properties, each checked for what its kind needs: a numeric record
        field (monotone), another standard's id (excludes; that it exists is checked once
        the whole library is built), a condition (never_passes_when)."""
        out = []
        fields = schema.fields
        for p in r.properties.values():
            d = p.data
            kind = d["kind"]
            needs = {"monotone": "field", "excludes": "standard", "never_passes_when": "when"}
            if needs[kind] not in d:
                self.problems.append(
                    p.problem("kind", f"{kind} 性质须写 {needs[kind]}", code="property.incomplete")
                )
                continue
            field = d.get("field")
            if field is not None:
                t = fields.get(field)
                if t is None or t.kind not in {"number", "integer"}:
                    self.problems.append(
                        p.problem(
                            "field",
                            f"{field!r} 不是记录的数值字段",
                            code="property.field",
                        )
                    )
                    continue
            vary = d.get("vary")
            unknown = [f for f in vary or () if f not in fields]
            if unknown:
                self.problems.append(
                    p.problem(
                        "vary", f"记录结构中没有字段 {', '.join(unknown)}", code="property.field"
                    )
                )
                continue
            when = self.compile(p, "when", scope) if "when" in d else None
            if "when" in d and when is None:
                continue
            doc, path = p.origin
            line, _ = doc.locate(path)
            out.append(
                Property(
                    id=d["id"],
                    label=d["label"],
                    kind=kind,
                    field=field,
                    direction=d.get("direction", "up"),
                    standard=d.get("standard"),
                    when=when,
                    vary=tuple(vary) if vary is not None else None,
                    file=doc.file,
                    line=line,
                )
            )
        return out


def _size(value: Any) -> int:
    """How many values ``value`` holds (itself included)."""
    if isinstance(value, dict):
        return 1 + sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v) for v in value)
    return 1


def item_field(name: str, scope: Scope) -> bool:
    """Whether ``name`` is ``var.field`` of an item variable in scope."""
    var, dot, field = name.partition(".")
    item = scope.items.get(var) if dot else None
    return item is not None and item.fields is not None and field in item.fields
