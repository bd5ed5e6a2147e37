"""The validator checks rule files against their schemas with local references inlined (for
speed); it must find exactly the errors the schemas as written give, with the same details the
problems are made from (path, keyword, message, description, where in the schema)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_rules._yaml import read_yaml
from fupin_rules.schemas import load_schema, validator_for

from .conftest import ROOT

KINDS = {
    "ruleset.schema.json": sorted((ROOT / "standards").glob("gx.*/*.yaml")),
    "codelist.schema.json": sorted((ROOT / "standards" / "codes").glob("*.yaml")),
    "calendar.schema.json": sorted((ROOT / "standards" / "town.dynamic-management").glob("*.yaml")),
    "headermap.schema.json": sorted((ROOT / "standards" / "headermaps").rglob("*.yaml")),
}
DOCS = [(name, read_yaml(path).data) for name, paths in KINDS.items() for path in paths]


def _written(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(dict(schema), format_checker=cls.FORMAT_CHECKER)


def _errors(validator: jsonschema.protocols.Validator, data: Any) -> list[tuple[Any, ...]]:
    out = []
    for e in validator.iter_errors(data):
        schema = e.schema if isinstance(e.schema, dict) else {}
        out.append(
            (
                tuple(e.absolute_path),
                e.validator,
                e.message,
                schema.get("description"),
                "propertyNames" in e.absolute_schema_path,
            )
        )
    return sorted(out, key=repr)


def test_every_kind_of_file_is_covered() -> None:
    """There is a bundled file of each kind to mutate."""
    assert all(KINDS.values())


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", "x", "2016-02-30", "2016-01-01", "01", "Bad Name", "blocking"]),
    st.lists(st.sampled_from(["x", "01"]), max_size=2),
    st.dictionaries(
        st.sampled_from(["id", "label", "x"]), st.sampled_from(["a", "01"]), max_size=2
    ),
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_paths(v, (*path, i)))
    return out


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _replaced(data[head], rest, value)}
    copy = list(data)
    copy[head] = _replaced(data[head], rest, value)
    return copy


@given(st.sampled_from(DOCS), st.data())
def test_inlined_schemas_find_the_errors_the_written_ones_do(
    doc: tuple[str, Any], data: st.DataObject
) -> None:
    """Property: any bundled file, with values replaced at random places, gives the same
    errors against the validator as against its schema as written."""
    name, content = doc
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from(_paths(content)))
        content = _replaced(content, path, data.draw(_VALUES))
    assert _errors(validator_for(name), content) == _errors(_written(name), content)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_validator_resolves_no_reference(name: str) -> None:
    """Every reference of the bundled schemas is local and inlined (none is recursive)."""
    assert "$ref" in json.dumps(load_schema(name))
    assert "$ref" not in json.dumps(validator_for(name).schema)
