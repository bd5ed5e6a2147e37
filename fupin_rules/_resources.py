"""Where the bundled standards and schemas are: inside the wheel, or in the source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["bundled_schemas_dir", "bundled_standards_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    msg = f"the bundled {name}/ directory is missing from this installation"
    raise FileNotFoundError(msg)


@cache
def bundled_standards_dir() -> Path:
    """The directory of the standards shipped with the library."""
    return _find("standards")


@cache
def bundled_schemas_dir() -> Path:
    """The directory of the JSON Schemas shipped with the library."""
    return _find("schemas")
