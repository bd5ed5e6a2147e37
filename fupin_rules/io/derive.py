"""Values a header map reads beyond the cell: value aliases and fields derived exactly.

A header map (:mod:`fupin_rules.io.headermaps`) may declare, as data:

* ``values``: per field, the texts an export writes and the value the record takes
  (``exit_status: {已脱贫: "1"}``, old labels such as ``五保户``); applied to a cell's text
  before codes are matched (:func:`alias`);
* ``derive``: fields computed from another field where the source is exact: the birth date and
  the sex of a member from a valid 18-digit resident ID number (GB 11643: check character and
  date both valid). A derived field is filled only where the export left it empty; a value
  that is there is kept, and the data-quality rules report it if it contradicts the ID
  (:func:`derive_item`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..language.runtime import id_birth_date, id_sex, id_valid

__all__ = ["DERIVATIONS", "Derivation", "alias", "derive_item"]


def _birth_date(value: Any) -> Any:
    return id_birth_date(value) if id_valid(value) else None


def _sex(value: Any) -> Any:
    return id_sex(value) if id_valid(value) else None


DERIVATIONS: Mapping[str, Callable[[Any], Any]] = {
    "id_birth_date": _birth_date,
    "id_sex": _sex,
}
"""The derivations a header map may name (``by:``), each exact or nothing (None)."""


@attrs.frozen
class Derivation:
    """``field`` computed from ``source`` by the derivation named ``by``."""

    field: str
    source: str
    by: str


def alias(headermap: Any, field: str, text: str) -> Any:
    """The value ``text`` stands for in ``field`` (itself when the map declares no alias)."""
    table = headermap.aliases.get(field)
    if table is None:
        return text
    return table.get(text, text)


def derive_item(headermap: Any, list_field: str, item: dict[str, Any]) -> None:
    """Fill the derived fields of one list item (a member) in place, where they are empty."""
    prefix = f"{list_field}."
    for d in headermap.derivations:
        if not d.field.startswith(prefix) or not d.source.startswith(prefix):
            continue
        target = d.field[len(prefix) :]
        if item.get(target) is not None:
            continue
        value = DERIVATIONS[d.by](item.get(d.source[len(prefix) :]))
        if value is not None:
            item[target] = value
