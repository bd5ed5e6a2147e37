"""Every bundled JSON Schema is itself a valid schema (checked here, not on every load)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from .conftest import ROOT

SCHEMAS = sorted((ROOT / "schemas").rglob("*.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_schema_is_valid(path: Path) -> None:
    """The schema passes its metaschema (Draft 2020-12)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_there_are_schemas_for_every_kind() -> None:
    """Rule sets, code lists, calendars, header maps and the three record subjects."""
    names = {p.name for p in SCHEMAS}
    assert {
        "ruleset.schema.json",
        "codelist.schema.json",
        "calendar.schema.json",
        "headermap.schema.json",
        "household.schema.json",
        "village.schema.json",
        "county.schema.json",
    } <= names
