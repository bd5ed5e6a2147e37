"""Checking stored results against the rules and records that should have produced them.

An auditor holds results (or a decision log) and the input they came from. :func:`verify`
re-evaluates each input record with the rule set the stored result names (``id@version``, its
fingerprint, the date and the parameters it records) and says, per record, whether the stored
result is identical to what the rules give now, which of its parts differ, whether the input
record changed (the stored digest of the record), or whether the rules that produced it are
no longer in the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from ._canonical import dumps
from ._frozen import freeze
from .dated import DatedEvaluator
from .decision import OUTCOME_LABELS
from .evaluation import rejected
from .io.jsonl import InputRecord
from .library import Library
from .model import Result, RuleSet
from .results import FindingsForm

__all__ = ["STATUS_LABELS", "Difference", "Verdict", "verify"]

Status = Literal["identical", "differs", "input_changed", "rules_missing", "unreadable", "unpaired"]

STATUS_LABELS: Mapping[str, str] = freeze(
    {
        "identical": "一致",
        "differs": "结果不同",
        "input_changed": "输入记录已改变",
        "rules_missing": "规则已不在规则库中",
        "unreadable": "结果无法读取",
        "unpaired": "结果与输入条数不符",
    }
)


@attrs.frozen
class Difference:
    """One place where the stored result and the result now differ."""

    path: str
    """Where, e.g. ``outcomes.income_source`` (a lean line) or ``findings[8].outcome``."""
    stored: Any
    now: Any

    def __str__(self) -> str:
        return f"{self.path}: 原为 {_show(self.stored)}, 现为 {_show(self.now)}"


@attrs.frozen
class Verdict:
    """What verifying one stored result found."""

    index: int
    """The stored result's position, from 1."""
    source: str | None
    """Where the stored result's record came from (``file:line``)."""
    record_id: str | None
    status: Status
    message: str
    differences: tuple[Difference, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the stored result is exactly what the rules give now."""
        return self.status == "identical"

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain data."""
        return {
            "index": self.index,
            "source": self.source,
            "record_id": self.record_id,
            "status": self.status,
            "message": self.message,
            "differences": [
                {"path": d.path, "stored": d.stored, "now": d.now} for d in self.differences
            ],
        }


def verify(
    library: Library,
    stored: Iterable[str],
    inputs: Iterable[InputRecord],
    *,
    dated: DatedEvaluator | None = None,
) -> Iterator[Verdict]:
    """One verdict per stored result line (full results, brief results or a decision log, in
    the order they were written) against the input items in the same order. A stored line
    or an input item without its partner is reported too.

    ``dated``: the results were made with each record judged on its own date (``evaluate
    --as-of-field``): each record is judged so again, and its version, fingerprint and date
    must come out as recorded."""
    rules: dict[tuple[str, str], RuleSet] = {}
    lines, items = iter(stored), iter(inputs)
    index = 0
    while True:
        line = next(lines, None)
        item = next(items, None)
        if line is None and item is None:
            return
        index += 1
        if line is None or item is None:
            where = item.source if item is not None else None
            what = "输入多出一条记录" if line is None else "结果多出一行, 没有对应的输入记录"
            yield Verdict(index, where, None, "unpaired", what)
            continue
        yield _verify_one(library, rules, index, line, item, dated)


def _verify_one(
    library: Library,
    rules: dict[tuple[str, str], RuleSet],
    index: int,
    line: str,
    item: InputRecord,
    dated: DatedEvaluator | None = None,
) -> Verdict:
    try:
        before = Result.from_json(line)
    except (ValueError, KeyError, TypeError) as exc:
        return Verdict(index, item.source, None, "unreadable", f"第 {index} 行结果无法读取: {exc}")
    who = (before.source, before.record_id)
    rs = _rules(library, rules, before)
    if rs is None:
        message = (
            f"产生该结果的规则 {before.ruleset} (指纹 {before.fingerprint[:19]}…) 已不在规则库中"
        )
        return Verdict(index, *who, "rules_missing", message)
    if item.ok and dated is not None:
        after = dated.evaluate(item.record, source=before.source)
    elif item.ok:
        after = rs.evaluate(item.record, as_of=before.as_of, source=before.source)
    else:
        after = rejected(rs, item.error or "", source=before.source, as_of=before.as_of)
    form = _form(before)
    differences = tuple(
        sorted(
            _differences("", before.to_dict(findings=form), after.to_dict(findings=form)),
            key=_weight,
        )
    )
    if before.input_digest != after.input_digest:
        message = "输入记录与产生该结果时的记录不同 (记录摘要不符); " + _outcome_change(
            before, after, "按现在的记录"
        )
        return Verdict(index, *who, "input_changed", message, differences)
    if differences:
        message = f"共 {len(differences)} 处不同; " + _outcome_change(before, after, "重新评估")
        return Verdict(index, *who, "differs", message, differences)
    return Verdict(index, *who, "identical", "一致")


def _form(stored: Result) -> FindingsForm:
    """The form the stored line was written in, to compare the result now in: lean (format
    2), long (with findings) or brief (outcomes only, or a result without findings)."""
    if stored.lean_line:
        return "lean"
    return bool(stored.findings)


def _outcome_change(before: Result, after: Result, how: str) -> str:
    was, now = OUTCOME_LABELS[before.outcome], OUTCOME_LABELS[after.outcome]
    if was == now:
        return f"{how}判定仍为{now}"
    return f"{how}判定为{now} (原为{was})"


# The decision first, then what it rests on, then the details of findings.
_FIRST = ("outcome", "conclusion", "outcomes", "reasons", "input_digest")


def _weight(difference: Difference) -> tuple[int, str]:
    head = difference.path.split(".", 1)[0].split("[", 1)[0]
    rank = _FIRST.index(head) if head in _FIRST else len(_FIRST)
    return rank, difference.path


def _rules(
    library: Library, rules: dict[tuple[str, str], RuleSet], result: Result
) -> RuleSet | None:
    """The rule set that produced ``result`` (:meth:`Library.rules_of`), remembered."""
    key = (result.ruleset, result.fingerprint)
    if key not in rules:
        found = library.rules_of(result)
        if found is None:
            return None
        rules[key] = found
    return rules[key]


def _differences(path: str, a: Any, b: Any) -> Iterator[Difference]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b)):
            here = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                yield Difference(here, a.get(key), b.get(key))
            else:
                yield from _differences(here, a[key], b[key])
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(f"{path}[{i}]", x, y)
        return
    if _show(a) != _show(b):
        yield Difference(path, a, b)


def _show(value: Any) -> str:
    """A value as it is written in a result (exact numbers, JSON text)."""
    return dumps(value)
