"""Read-only views of plain data, so that frozen value objects are frozen all the way down.

A frozen attrs class that exposes a plain ``dict`` or ``list`` can still be changed through it,
and a rule set changed that way would give other results under the same fingerprint. Every
mapping a value object exposes is a :class:`types.MappingProxyType` over a private copy, and
every sequence a tuple. ``thaw`` gives back ordinary containers for code (jsonschema, the
record check, JSON writers) that needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["EMPTY", "deep_freeze", "freeze", "freeze_values", "thaw"]

EMPTY: Mapping[Any, Any] = MappingProxyType({})
"""The empty read-only mapping (a shared default)."""


def freeze(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    """A read-only view of a copy of ``mapping`` (one level; values are kept as they are).

    Used as an attrs converter: a mapping that is already read-only is kept.
    """
    if mapping is None:
        return EMPTY
    if type(mapping) is MappingProxyType:
        return mapping
    return MappingProxyType(dict(mapping))


def freeze_values(values: Mapping[str, Any]) -> MappingProxyType[str, Any]:
    """A read-only view of a copy of the values a finding reports (scalars, or lists of
    scalars, which become tuples). Faster than :func:`deep_freeze` for this one shape."""
    if type(values) is MappingProxyType:
        return values
    return MappingProxyType({k: tuple(v) if type(v) is list else v for k, v in values.items()})


def deep_freeze(value: Any) -> Any:
    """``value`` with every mapping made a read-only view and every list a tuple, at any depth."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: deep_freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(deep_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Ordinary containers again: mappings as new dicts, tuples as new lists, at any depth."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value
