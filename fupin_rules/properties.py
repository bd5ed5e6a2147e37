"""Checking the properties rule files declare (``properties:``) on generated records.

A property says something a standard must never do, whatever the record: raising income never
turns a pass into a fail (``monotone``); a household that passes the exit standard does not meet
the identification criteria on the same day (``excludes``); a village never passes while a
household share is below its threshold (``never_passes_when``). ``fupin-rules test`` searches
for a record that breaks each one with hypothesis: records are made from the rule set's own
examples, a few of the simple fields it reads given other values of their types, and
hypothesis shrinks what it finds to the fewest, simplest changes. The search is derandomised
(the same rules give the same report) and bounded (:data:`TRIES` records a property).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ._canonical import dumps
from .decision import OUTCOME_LABELS
from .errors import EvaluationError
from .evaluation import prepare
from .library import Library
from .model import Example, Property, Result, RuleSet

__all__ = ["TRIES", "PropertyFailure", "PropertyReport", "check_properties"]

TRIES = 200
"""How many generated records a property is tried on before it is taken to hold."""


@attrs.frozen
class PropertyFailure:
    """A property a rule set does not have, with the smallest record found that breaks it."""

    ruleset: str
    property: str
    label: str
    file: str
    line: int | None
    example: str
    """The example the record was made from."""
    changes: tuple[tuple[str, Any], ...]
    """The fields changed from the example, and their values."""
    explanation: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        changed = ", ".join(f"{k}={dumps(v)}" for k, v in self.changes) or "不改动"
        return (
            f"{where}: {self.ruleset} 性质 {self.property!r} ({self.label}) 不成立:"
            f" 以样例 {self.example!r} 为底, {changed}: {self.explanation}"
        )


@attrs.frozen
class PropertyReport:
    """What checking the properties found."""

    total: int
    failures: tuple[PropertyFailure, ...]
    held: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    """Properties that could not be tried (no example to make records from), with why."""


Case = tuple[int, Mapping[str, Any], Decimal]
"""A generated case: which example, the fields changed, and (monotone) the step."""


def check_properties(library: Library, rulesets: Iterable[RuleSet]) -> PropertyReport:
    """Try every declared property of ``rulesets`` (``library`` gives the standards that
    ``excludes`` properties name)."""
    failures: list[PropertyFailure] = []
    held: list[str] = []
    skipped: list[str] = []
    total = 0
    for rs in rulesets:
        for prop in rs.properties:
            total += 1
            name = f"{rs.key} {prop.id}"
            if not rs.examples:
                skipped.append(f"{name}: 没有样例, 无法生成记录")
                continue
            if prop.standard is not None and prop.standard not in library.rulesets:
                skipped.append(f"{name}: 所指的标准 {prop.standard} 不在所载规则中")
                continue
            failure = _check(library, rs, prop)
            if failure is None:
                held.append(name)
            else:
                failures.append(failure)
    return PropertyReport(total, tuple(failures), tuple(held), tuple(skipped))


def _check(library: Library, rs: RuleSet, prop: Property) -> PropertyFailure | None:
    # hypothesis is imported here, when properties are checked: no other command needs it.
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import NoSuchExample

    broken = _breaks(library, rs, prop)
    try:
        found: Case = find(
            _cases(rs, prop),
            lambda case: broken(case) is not None,
            settings=settings(
                max_examples=TRIES,
                database=None,
                derandomize=True,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except NoSuchExample:
        return None
    explanation = broken(found) or ""
    index, changes, _ = found
    return PropertyFailure(
        ruleset=rs.key,
        property=prop.id,
        label=prop.label,
        file=prop.file,
        line=prop.line,
        example=rs.examples[index].name,
        changes=tuple(sorted(changes.items())),
        explanation=explanation,
    )


# --------------------------------------------------------------------------- generation


def _fields(rs: RuleSet, prop: Property) -> list[str]:
    """The simple record fields generated records change."""
    schema = rs.record_schema
    if prop.vary is not None:
        names: Sequence[str] = prop.vary
    else:
        names = rs.canonical["record_schema"]["reads"]
    return [
        n
        for n in names
        if n != schema.id_field and n in schema.fields and schema.fields[n].kind != "list"
    ]


def _values(rs: RuleSet, field: str) -> Any:
    """A strategy of values of ``field``'s type (None: the field empty)."""
    from hypothesis import strategies as st

    t = rs.record_schema.fields[field]
    codes = rs.record_schema.codelists.get(t.codelist) if t.codelist else None
    if codes is not None:
        return st.one_of(st.none(), st.sampled_from(sorted(codes.codes)))
    values: Any
    if t.kind == "integer":
        values = st.integers(min_value=0, max_value=200)
    elif t.kind == "number":
        values = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
    elif t.kind == "boolean":
        values = st.booleans()
    elif t.kind == "date":
        values = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
    else:
        values = st.text(alphabet="0123456789", min_size=1, max_size=4)
    return st.one_of(st.none(), values)


def _cases(rs: RuleSet, prop: Property) -> Any:
    from hypothesis import strategies as st

    fields = _fields(rs, prop)
    # A few fields changed at a time (drawing every field of every record would cost more
    # than evaluating it); shrinking moves towards fewer changes, and towards the example.
    pairs = st.one_of(*(st.tuples(st.just(f), _values(rs, f)) for f in fields))
    changes = st.lists(pairs, max_size=6).map(dict) if fields else st.just({})
    whole = prop.field is not None and rs.record_schema.fields[prop.field].kind == "integer"
    step = (
        st.integers(min_value=1, max_value=1000).map(Decimal)
        if whole
        else st.decimals(min_value=Decimal("0.01"), max_value=10_000, places=2, allow_nan=False)
    )
    return st.tuples(st.integers(0, len(rs.examples) - 1), changes, step)


def _record(example: Example, changes: Mapping[str, Any]) -> dict[str, Any]:
    record = example.plain_record()
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


# --------------------------------------------------------------------------- checks


def _breaks(library: Library, rs: RuleSet, prop: Property) -> Callable[[Case], str | None]:
    """The check of ``prop``: what is wrong with a case (None: the case keeps the property)."""

    def day(example: Example) -> str:
        return example.as_of or rs.effective_from

    def outcome(result: Result) -> str:
        return OUTCOME_LABELS[result.outcome]

    if prop.kind == "monotone":
        assert prop.field is not None
        field = prop.field
        sign = 1 if prop.direction == "up" else -1

        def monotone(case: Case) -> str | None:
            index, changes, step = case
            example = rs.examples[index]
            record = _record(example, changes)
            value = record.get(field)
            if not isinstance(value, int | Decimal) or isinstance(value, bool):
                return None
            before = rs.evaluate(record, as_of=day(example))
            if before.outcome != "pass":
                return None
            moved = {**record, field: value + sign * step}
            if isinstance(value, int):  # an integer field stays an integer
                moved[field] = int(moved[field])
            after = rs.evaluate(moved, as_of=day(example))
            if after.outcome != "fail":
                return None
            turned = [
                f.label
                for f, g in zip(before.findings, after.findings, strict=False)
                if f.outcome == "pass" and g.outcome == "fail"
            ]
            return (
                f"{field}={dumps(value)} 时{outcome(before)},"
                f" {'增加' if sign > 0 else '减少'} {dumps(step)} 到"
                f" {dumps(moved[field])} 后{outcome(after)}"
                + (f" (变为不达标: {'、'.join(turned)})" if turned else "")
            )

        return monotone
    if prop.kind == "excludes":
        assert prop.standard is not None
        standard = prop.standard

        def excludes(case: Case) -> str | None:
            index, changes, _ = case
            example = rs.examples[index]
            record = _record(example, changes)
            mine = rs.evaluate(record, as_of=day(example))
            if mine.outcome != "pass":
                return None
            other = library.get(standard, as_of=day(example)).evaluate(record)
            if other.outcome != "pass":
                return None
            return f"达到本标准, 同一天 ({day(example)}) 也达到 {other.ruleset}"

        return excludes

    when = prop.when
    assert when is not None

    def never_passes_when(case: Case) -> str | None:
        index, changes, _ = case
        example = rs.examples[index]
        record = _record(example, changes)
        result = rs.evaluate(record, as_of=day(example))
        if result.outcome != "pass":
            return None
        prepared = prepare(rs, record, as_of=day(example))
        try:
            holds = when.evaluate(prepared.env)
        except EvaluationError:
            return None  # the condition cannot be judged on this record: nothing to say
        if holds is not True:
            return None
        return f"条件 {when.source} 成立, 结果却是{outcome(result)}"

    return never_passes_when
