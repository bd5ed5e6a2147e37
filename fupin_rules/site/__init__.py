"""A static site of the standards, for staff: ``fupin-rules site -o DIR``.

Plain HTML with one local style sheet, no script, nothing fetched: every standard and version,
each criterion's test worded in Chinese (:mod:`.prose`) with its sources and what is
unconfirmed, parameters by date, what changed between consecutive versions (from
:func:`fupin_rules.compare.diff`), each calendar as a timeline, and a page per batch of results
(outcomes per village, with bars). :func:`build_site` writes it atomically and
deterministically.

The package: :mod:`.prose` (expressions in words), :mod:`.html` (page parts and the style
sheet), :mod:`.layout` (where pages live), :mod:`.standards`, :mod:`.changes`,
:mod:`.timeline` and :mod:`.batches` (the pages), :mod:`.build` and :mod:`.cli`.
"""

from __future__ import annotations

from .build import build_site, site_files
from .cli import register_site_command, run_site_command
from .prose import Clause, Piece, Words, describe, formula, plain

__all__ = [
    "Clause",
    "Piece",
    "Words",
    "build_site",
    "describe",
    "formula",
    "plain",
    "register_site_command",
    "run_site_command",
    "site_files",
]
