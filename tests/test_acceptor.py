"""The generated record acceptor: schema content never becomes code."""

from __future__ import annotations

from decimal import Decimal

from fupin_rules.record_checks import compile_acceptor


def test_hostile_property_names_and_values_stay_data() -> None:
    """Property names, enum options, patterns and bounds with quotes, newlines and code in
    them are constants of the generated function, not source text."""
    name = "x'] or __import__('os').system('echo pwned') or r['\n"
    accept = compile_acceptor(
        {
            "type": "object",
            "required": [name],
            "properties": {
                name: {"type": "string", "enum": ["'); import os; ('"], "pattern": "^'\\)"},
                "n": {"type": "number", "maximum": Decimal("1e3")},
            },
            "additionalProperties": False,
        }
    )
    assert accept is not None
    assert accept({name: "'); import os; ('"}) is True  # the enum and the pattern hold
    assert accept({name: "'); import os; ('", "n": 5}) is True
    assert accept({name: "'); import os; ('", "n": 5000}) is False
    assert accept({name: "') import"}) is False  # not in the enum
    assert accept({"n": 5}) is False  # the required hostile name is missing
    assert accept({name: "x", "other": 1}) is False


def test_nested_items_and_additional_schema() -> None:
    """Lists of objects and schema-valued additionalProperties are checked item by item."""
    accept = compile_acceptor(
        {
            "type": "object",
            "properties": {
                "members": {
                    "type": "array",
                    "maxItems": 2,
                    "items": {
                        "type": "object",
                        "properties": {"age": {"type": "integer", "minimum": 0}},
                    },
                }
            },
            "additionalProperties": {"type": ["string", "null"]},
        }
    )
    assert accept is not None
    assert accept({"members": [{"age": 3}, {"age": 0}], "note": "x", "other": None})
    assert not accept({"members": [{"age": -1}]})
    assert not accept({"members": [{}, {}, {}]})
    assert not accept({"members": [], "note": 3})
    assert not accept({"members": [{"age": True}]})
