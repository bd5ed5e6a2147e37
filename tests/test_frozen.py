"""Frozen means frozen: nothing a rule set, a result or a finding exposes can be changed.

Every attribute reachable from the bundled library's rule sets, code lists, record schemas and
from results and findings is walked; each mapping must refuse assignment and deletion, and no
list, dict or set may be reachable at all (a tuple, frozenset or read-only view instead). A
changed parameter would otherwise change results under the same fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import pytest

import fupin_rules as fr
from fupin_rules.language import NUMBER, tree

_LEAVES = (str, int, float, bool, Decimal, type(None), bytes)
_SKIP = {
    "_engine",
    "_cache",
    "_built",
    "_fn",
    "_build",
    "_explain",
    "_validator",
    "_parts",
    "_checked",
}
"""Private machinery, not data: the evaluator a rule set is built with, caches (documented as
caches), generated functions, the jsonschema validator, and the private snapshot of a checked
record a result computes its digest from (never exposed; the digest is)."""


def _reachable(value: Any, path: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
    plain_callable = callable(value) and not attrs.has(type(value))
    if isinstance(value, _LEAVES) or id(value) in seen or plain_callable:
        return
    seen.add(id(value))
    yield path, value
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            if field.name in _SKIP:
                continue
            yield from _reachable(getattr(value, field.name), f"{path}.{field.name}", seen)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _reachable(item, f"{path}[{key!r}]", seen)
    elif isinstance(value, tuple | frozenset | list | set):
        for i, item in enumerate(value):
            yield from _reachable(item, f"{path}[{i}]", seen)


def _mutable(objects: dict[str, Any]) -> list[str]:
    """Every place under ``objects`` where data could be changed."""
    found = []
    seen: set[int] = set()
    for name, obj in objects.items():
        for path, value in _reachable(obj, name, seen):
            writable = isinstance(value, list | dict | set | bytearray) or (
                isinstance(value, Mapping) and not isinstance(value, MappingProxyType)
            )
            if writable:
                found.append(f"{path}: {type(value).__name__}")
    return found


def test_rule_sets_expose_nothing_mutable(bundled: fr.Library) -> None:
    """No mapping or sequence reachable from any bundled rule set can be changed."""
    objects = {rs.key: rs for rs in bundled}
    assert _mutable(objects) == []


def test_library_parts_expose_nothing_mutable(bundled: fr.Library) -> None:
    """The library's own mappings, its code lists and record schemas are read-only too."""
    objects = {
        "codelists": bundled.codelists,
        "record_schemas": bundled.record_schemas,
        "rulesets": bundled.rulesets,
        "calendars": bundled.calendars,
    }
    assert _mutable(objects) == []


def test_results_and_findings_expose_nothing_mutable(bundled: fr.Library) -> None:
    """Results, findings and per-item findings are frozen all the way down."""
    objects: dict[str, Any] = {}
    for rs in bundled:
        for k, example in enumerate(rs.examples):
            result = rs.evaluate(example.plain_record(), as_of=example.as_of)
            objects[f"{rs.key}#{k}"] = result
            objects[f"{rs.key}#{k}.findings"] = result.findings
            objects[f"{rs.key}#{k}.reasons"] = result.reasons
            objects[f"{rs.key}#{k}.outcomes"] = result.outcomes
    assert any(f.items for r in objects.values() if isinstance(r, fr.Result) for f in r.findings)
    assert _mutable(objects) == []


def test_changing_a_parameter_is_refused(bundled: fr.Library) -> None:
    """The issue's example: a caller cannot change a parameter and get another result under
    the same fingerprint."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    with pytest.raises(TypeError):
        rs.parameters["income_line"] = rs.parameters["income_line"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del rs.parameters["income_line"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        rs.parameters.clear()  # type: ignore[attr-defined]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rs.fingerprint = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rs.canonical["parameters"] = {}  # type: ignore[index]


def test_finding_values_and_example_records_are_read_only(bundled: fr.Library) -> None:
    """A finding's values and an example's record refuse changes; a copy can be changed."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    example = rs.examples[0]
    result = rs.evaluate(example.plain_record())
    finding = result.findings[0]
    with pytest.raises(TypeError):
        finding.values["x"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        example.record["household_id"] = "x"  # type: ignore[index]
    copy = example.plain_record()
    copy["household_id"] = "x"
    assert example.record["household_id"] != "x"


def test_expression_trees_are_frozen() -> None:
    """Nodes of the checked tree cannot be changed, and compare by structure."""
    a = tree.Const(1, NUMBER)
    b = tree.Const(1, NUMBER)
    assert a == b
    assert hash(a) == hash(b)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.value = 2  # type: ignore[misc]
