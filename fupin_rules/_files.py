"""Finding rule files on disk: the one walk of a folder, in a stable order.

Below every loader, so that the library, the calendars and the header maps find their files the
same way without importing one another.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["files_of_kind", "rule_files"]


def rule_files(path: Path) -> list[Path]:
    """The YAML files under ``path`` (or ``path`` itself), in a stable order."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def files_of_kind(root: Path, kind: str) -> list[Path]:
    """The rule files under ``root`` whose top-level ``kind:`` line names ``kind``, found without
    parsing them (so a problem in a file of another kind cannot get in the way)."""
    pattern = re.compile(rf"^kind:\s*['\"]?{re.escape(kind)}['\"]?\s*(#.*)?$", re.MULTILINE)
    out = []
    for file in rule_files(root):
        try:
            text = file.read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        if pattern.search(text):
            out.append(file)
    return out
