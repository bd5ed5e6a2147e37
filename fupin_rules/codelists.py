"""Code lists (代码表): the allowed codes of a field and their Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._frozen import deep_freeze, freeze

__all__ = ["CodeList"]


@attrs.frozen
class CodeList:
    """A code list (代码表): codes and their Chinese labels."""

    id: str
    title: str
    codes: Mapping[str, str] = attrs.field(converter=freeze)
    """code -> label, in file order."""
    file: str
    fingerprint: str
    sources: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=deep_freeze)

    def code_for(self, value: str) -> str | None:
        """The code for ``value`` given as a code or as its label; None if neither."""
        if value in self.codes:
            return value
        for code, label in self.codes.items():
            if label == value:
                return code
        return None

    def label(self, code: str) -> str:
        """The label of ``code`` (the code itself if unknown)."""
        return self.codes.get(code, code)
