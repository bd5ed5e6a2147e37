"""Whole-column evaluation: a rule set's criteria over whole columns of records at once.

For large batches (a province, a nation) the row evaluator's cost per record is mostly Python
overhead. Here the rule set's checked expressions are evaluated by the rule language's column
backend (:mod:`fupin_rules.language.columns`): one array per record field, and for a list field
such as ``members`` one array per member field. Each criterion's outcome follows from its test
by the one table of :mod:`fupin_rules.decision` (:data:`~fupin_rules.decision.JUDGEMENTS`), and
each record's outcome from its criteria's outcomes by the rule set's own decision, applied once
per distinct pattern of outcomes: exactly the rows' answers, by construction and by test.

* **Exact numbers.** The row evaluator uses ``Decimal``; columns use float64. A record whose
  answer depends on float rounding (a comparison within a relative 1e-9, a value beyond 2**52)
  is marked *uncertain*; :func:`evaluate_records` decides such records by rows.
* **Blocks and threads.** A large table is evaluated in blocks of :data:`BLOCK_ROWS` rows cut
  at fixed places, on a thread pool; a record's result never depends on the number of threads.
* **Anything not translated** (a function or construct without a column form, per-item
  criteria) raises :class:`ColumnarUnsupported` when the plan is built; callers use rows.

Codes (``int8``): criteria by :data:`~fupin_rules.decision.CRITERION_OUTCOMES`, records by
:data:`~fupin_rules.decision.OUTCOMES`. Needs numpy (``pip install fupin-rules[columnar]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ._cpus import available_cpus
from .decision import CRITERION_OUTCOMES, OUTCOMES, judge
from .evaluation import decide, parse_day
from .language import Expression
from .language import tree as t
from .language.column_table import Bool, Column, ColumnTable, ListColumn, column_kind, table_of
from .language.columns import ColumnarUnsupported, Evaluator, Frame, Value, and_, environment, full
from .model import Result, RuleSet

__all__ = [
    "BLOCK_ROWS",
    "CRITERION_OUTCOMES",
    "OUTCOMES",
    "Column",
    "ColumnTable",
    "ColumnarResult",
    "ColumnarUnsupported",
    "ListColumn",
    "Plan",
    "build_columns",
    "evaluate_columns",
    "evaluate_records",
    "plan",
]


# --------------------------------------------------------------------------- plan


@attrs.frozen(eq=False)
class Plan:
    """What a rule set needs from columns, checked once per rule set."""

    fields: tuple[str, ...]
    lists: Mapping[str, tuple[str, ...]]


def plan(rs: RuleSet) -> Plan:
    """The fields and list fields ``rs`` reads. Raises ColumnarUnsupported if the rule set has
    per-item criteria, or anything the column backend does not translate (a field, function
    or construct without a column form): the rule set is tried once on no rows, so the
    answer is the backend's own, not a second list of what it supports."""
    cached = rs.cache.columns
    if isinstance(cached, Plan):
        return cached
    if isinstance(cached, ColumnarUnsupported):
        raise cached
    try:
        result = _plan(rs)
        empty = table_of([], rs.record_schema.fields, result.fields, result.lists)
        _evaluate_block(rs, empty, rs.effective_from)
    except ColumnarUnsupported as exc:
        rs.cache.columns = exc
        raise
    rs.cache.columns = result
    return result


def _plan(rs: RuleSet) -> Plan:
    for c in rs.criteria:
        if c.for_each is not None:
            raise ColumnarUnsupported(f"per-item criterion {c.id}")
    schema_fields = rs.record_schema.fields
    top: set[str] = set()
    lists: dict[str, set[str]] = {}
    for expr in _expressions(rs):
        loops = {
            node.var: node.source.id
            for node in t.walk(expr.tree)
            if isinstance(node, t.Aggregate) and isinstance(node.source, t.Name)
        }
        for node in t.walk(expr.tree):
            if isinstance(node, t.Name) and node.role == "field":
                if schema_fields[node.id].kind == "list":
                    lists.setdefault(node.id, set())
                else:
                    top.add(node.id)
            if isinstance(node, t.Attr) and isinstance(node.target, t.Var):
                lists.setdefault(loops[node.target.id], set()).add(node.field)
    for name in top:
        if column_kind(schema_fields[name]) is None:
            raise ColumnarUnsupported(name)
    return Plan(tuple(sorted(top)), {k: tuple(sorted(v)) for k, v in sorted(lists.items())})


def _expressions(rs: RuleSet) -> Iterable[Expression]:
    for d in rs.derived:
        yield d.expr
    if rs.applies_if is not None:
        yield rs.applies_if
    for c in rs.criteria:
        if c.applies_if is not None:
            yield c.applies_if
        yield c.test


# --------------------------------------------------------------------------- columns


def build_columns(rs: RuleSet, records: Sequence[Mapping[str, Any]]) -> ColumnTable:
    """Columns of the fields ``rs`` reads, from *normalised, valid* records (as returned by
    ``rs.record_schema.check``)."""
    p = plan(rs)
    return table_of(records, rs.record_schema.fields, p.fields, p.lists)


# --------------------------------------------------------------------------- evaluation


@attrs.frozen(eq=False)
class ColumnarResult:
    """Outcome codes for ``n`` records (see the module docstring for the codes)."""

    criteria: tuple[str, ...]
    outcomes: npt.NDArray[np.int8]
    """Record outcomes, shape (n,)."""
    criterion_outcomes: npt.NDArray[np.int8]
    """Criterion outcomes, shape (n, len(criteria))."""
    uncertain: Bool
    """Records whose column outcome is not trusted (near a decimal boundary ...): evaluate them
    row by row (:func:`evaluate_records` does)."""

    def outcome(self, i: int) -> str:
        """The outcome of record ``i`` as text."""
        return OUTCOMES[int(self.outcomes[i])]

    def criterion_outcome(self, i: int, criterion: str) -> str:
        """The outcome of one criterion on record ``i`` as text."""
        return CRITERION_OUTCOMES[int(self.criterion_outcomes[i, self.criteria.index(criterion)])]


BLOCK_ROWS = 1 << 18
"""Rows evaluated together. A large table is cut into blocks of this many rows at fixed
places, evaluated on a thread pool (numpy releases the GIL inside its loops) and put back in
order; the result never depends on how many threads ran. 2**18 rows keep the temporaries
small enough to be reused by the allocator: on one million households one thread ran ~30%
faster in blocks than whole, and two threads ~2.2x faster (docs/performance.md)."""


def evaluate_columns(
    rs: RuleSet,
    table: ColumnTable,
    *,
    as_of: str | dt.date | None = None,
    threads: int | None = None,
) -> ColumnarResult:
    """Outcomes of ``rs`` for every record of ``table`` (valid, normalised records).

    ``threads``: how many blocks of :data:`BLOCK_ROWS` rows run at once (None: one per
    available CPU; 1: all in the calling thread). The result is the same for any value.
    """
    plan(rs)  # built once, before any thread reads it
    day = parse_day(as_of or rs.default_as_of or rs.effective_from)
    n = table.n
    if n <= BLOCK_ROWS:
        return _evaluate_block(rs, table, day)
    blocks = [table.rows(start, min(n, start + BLOCK_ROWS)) for start in range(0, n, BLOCK_ROWS)]
    workers = min(len(blocks), available_cpus() if threads is None else max(1, threads))
    if workers == 1:
        parts = [_evaluate_block(rs, block, day) for block in blocks]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="fupin-columnar") as pool:
            parts = list(pool.map(lambda block: _evaluate_block(rs, block, day), blocks))
    codes = np.empty((n, len(rs.criteria)), dtype=np.int8, order="F")
    np.concatenate([p.criterion_outcomes for p in parts], axis=0, out=codes)
    return ColumnarResult(
        parts[0].criteria,
        np.concatenate([p.outcomes for p in parts]),
        codes,
        np.concatenate([p.uncertain for p in parts]),
    )


_PASS, _FAIL = judge(True, True), judge(True, False)
_TEST_UNKNOWN, _NOT_APPLIES, _APPLIES_UNKNOWN = (
    judge(True, None),
    judge(False, None),
    judge(None, None),
)
_INVALID, _NOT_APPLICABLE = OUTCOMES.index("invalid"), OUTCOMES.index("not_applicable")


def _judge(codes: Any, applies: Value | None, test: Value, n: int) -> None:
    """Fill one criterion's column of outcome codes as :func:`fupin_rules.decision.judge`
    gives them: the test's value where it applies, unknown where the test or ``applies_if``
    could not be evaluated, not applicable where it does not apply."""
    value = full(test.data, n)
    if (_PASS, _FAIL) == (0, 1):
        np.logical_not(value, out=codes.view(np.bool_))
    else:  # pragma: no cover - the codes are 0 and 1 today; kept correct if they change
        codes[:] = np.where(value, _PASS, _FAIL)
    if applies is None:
        if test.ok is not True:
            codes[~full(test.ok, n)] = _TEST_UNKNOWN
        return
    applied = and_(full(applies.data, n), applies.ok)
    if test.ok is not True:
        codes[full(applied, n) & ~full(test.ok, n)] = _TEST_UNKNOWN
    codes[~full(applied, n)] = _NOT_APPLIES
    if applies.ok is not True:
        codes[~full(applies.ok, n)] = _APPLIES_UNKNOWN


def _evaluate_block(rs: RuleSet, table: ColumnTable, day: str) -> ColumnarResult:
    n = table.n
    parameters: dict[str, Any] = {}
    for name, p in rs.parameters.items():
        value = p.at(day)
        parameters[name] = None if value is None else value.value
    env = environment(table, parameters, day)
    frame = Frame(n, env, table)
    ev = Evaluator(frame)
    for d in rs.derived:
        env[d.name] = ev.run(d.expr.tree)

    # Column-major, so each criterion's column is contiguous.
    codes = np.zeros((n, len(rs.criteria)), dtype=np.int8, order="F")
    for j, c in enumerate(rs.criteria):
        applies = None if c.applies_if is None else ev.run(c.applies_if.tree)
        _judge(codes[:, j], applies, ev.run(c.test.tree), n)
    outcomes = _decide(rs, codes)
    if rs.applies_if is not None:
        a = ev.run(rs.applies_if.tree)
        outcomes[~full(a.data, n) & full(a.ok, n)] = _NOT_APPLICABLE
        outcomes[~full(a.ok, n)] = _INVALID
    uncertain = frame.uncertain if frame.uncertain is not None else np.zeros(n, dtype=np.bool_)
    return ColumnarResult(tuple(c.id for c in rs.criteria), outcomes, codes, uncertain)


def _decide(rs: RuleSet, codes: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    """Each row's outcome by the rule set's decision (:func:`fupin_rules.evaluation.decide`),
    decided once per distinct pattern of criterion outcomes: a pattern is a number (two bits
    per criterion) and its outcome is looked up, new patterns decided as they are met."""
    n, k = codes.shape
    keys: npt.NDArray[Any] = np.zeros(n, dtype=np.int64 if k > 15 else np.int32)
    for j in range(k):
        np.bitwise_or(keys, codes[:, j].astype(keys.dtype) << (2 * j), out=keys)
    if k <= 10:
        patterns = _patterns(rs, k)
        seen = np.zeros(len(patterns.decided), dtype=np.bool_)
        seen[keys] = True
        new = np.flatnonzero(seen & ~patterns.known)
        for key in new.tolist():
            patterns.decided[key] = _outcome(rs, key, k)
            patterns.known[key] = True
        result: npt.NDArray[np.int8] = patterns.decided[keys]
        return result
    unique, index = np.unique(keys, return_inverse=True)
    lookup = np.array([_outcome(rs, int(key), k) for key in unique.tolist()], dtype=np.int8)
    found: npt.NDArray[np.int8] = lookup[index]
    return found


@attrs.define
class _Patterns:
    """The outcome of each pattern of criterion outcomes decided so far (for at most ten
    criteria: a table of 4**k entries)."""

    decided: npt.NDArray[np.int8]
    known: Bool


def _patterns(rs: RuleSet, k: int) -> _Patterns:
    found = rs.cache.patterns
    if not isinstance(found, _Patterns):
        size = 1 << (2 * k)
        found = _Patterns(np.zeros(size, dtype=np.int8), np.zeros(size, dtype=np.bool_))
        rs.cache.patterns = found
    return found


def _outcome(rs: RuleSet, key: int, k: int) -> int:
    pattern = tuple(CRITERION_OUTCOMES[(key >> (2 * j)) & 3] for j in range(k))
    return OUTCOMES.index(decide(rs, pattern)[0])


# --------------------------------------------------------------------------- records


def evaluate_records(
    rs: RuleSet,
    records: Sequence[Any],
    *,
    as_of: str | dt.date | None = None,
    threads: int | None = None,
) -> tuple[list[str], ColumnarResult | None, list[Result | None]]:
    """Outcomes of ``rs`` for ``records``, exact: the columns decide where they can, the row
    evaluator decides invalid records and every uncertain one. ``threads`` as for
    :func:`evaluate_columns`.

    Returns the outcome of each record, the column result (None if the rule set has no column
    form), and the row results computed (None where the columns decided).
    """
    rows: list[Result | None] = [None] * len(records)
    try:
        plan(rs)
    except ColumnarUnsupported:
        results = [rs.evaluate(r, as_of=as_of) for r in records]
        return [r.outcome for r in results], None, list(results)
    normalised: list[dict[str, Any]] = []
    index: list[int] = []
    for i, r in enumerate(records):
        out, reasons = rs.record_schema.check(r)
        if reasons:
            rows[i] = rs.evaluate(r, as_of=as_of)
        else:
            normalised.append(out)
            index.append(i)
    table = build_columns(rs, normalised)
    col = evaluate_columns(rs, table, as_of=as_of, threads=threads)
    outcomes: list[str] = [""] * len(records)
    for k, i in enumerate(index):
        if col.uncertain[k]:
            rows[i] = rs.evaluate(records[i], as_of=as_of)
        else:
            outcomes[i] = OUTCOMES[int(col.outcomes[k])]
    for i, res in enumerate(rows):
        if res is not None:
            outcomes[i] = res.outcome
    return outcomes, col, rows
