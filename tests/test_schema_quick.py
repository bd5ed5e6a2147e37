"""The quick check of rule documents (schemas.surely_valid) never says valid where jsonschema
finds an error: on every rule file the project holds, and on many broken variants of them."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_rules._yaml import read_yaml
from fupin_rules.schemas import surely_valid, validator_for

from .conftest import ROOT

KINDS = ("ruleset", "codelist", "calendar", "headermap", "procedure")


def _documents() -> list[tuple[str, Any]]:
    out = []
    for folder in ("standards", "examples", "benchmarks", "tests/fixtures"):
        for path in sorted((ROOT / folder).rglob("*.y*ml")):
            try:
                data = read_yaml(path).data
            except Exception:  # noqa: BLE001 - broken on purpose: not a document to check
                continue
            kind = data.get("kind") if isinstance(data, dict) else None
            if kind in KINDS:
                out.append((f"{kind}.schema.json", data))
    return out


DOCUMENTS = _documents()


def _agrees(schema: str, data: Any) -> None:
    if surely_valid(schema, data):
        assert list(validator_for(schema).iter_errors(data)) == []


def test_it_answers_for_each_valid_rule_set_and_code_list_and_passes_no_broken_file() -> None:
    assert len(DOCUMENTS) > 20
    for schema, data in DOCUMENTS:
        found = list(validator_for(schema).iter_errors(data))
        quick = surely_valid(schema, data)
        assert found == [] or not quick, (schema, data.get("id"))
        if schema in ("ruleset.schema.json", "codelist.schema.json"):
            assert quick == (found == []), (schema, data.get("id"))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([Decimal("1.5"), Decimal("2"), "", "x", "2018-02-30", "2018-1-1", "a.b"]),
    st.sampled_from(["ruleset", "2018-01-01", "pass", "fail", "household", "gx.x", "A b"]),
    # fresh containers each time: a variant is changed in place after a draw
    st.builds(list),
    st.builds(dict),
    st.builds(lambda: ["x", "x"]),
    st.builds(lambda: {"unknown_key": 1}),
)


@pytest.mark.parametrize("index", range(0, len(DOCUMENTS), max(1, len(DOCUMENTS) // 12)))
@given(data=st.data())
def test_a_broken_variant_is_never_passed_that_jsonschema_refuses(
    index: int, data: st.DataObject
) -> None:
    schema, doc = DOCUMENTS[index]
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "id", "when", "Bad-Name"]))] = data.draw(
                REPLACEMENTS
            )
        else:
            parent[path[-1]] = data.draw(REPLACEMENTS)
    _agrees(schema, doc)


def test_what_it_cannot_tell_is_left_to_jsonschema() -> None:
    """An integral decimal where an integer is wanted, a date that is no day: not "valid"."""
    assert not surely_valid("codelist.schema.json", {"kind": "codelist", "id": 1})
    assert not surely_valid("ruleset.schema.json", [])
