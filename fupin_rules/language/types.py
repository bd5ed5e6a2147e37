"""The static types of the rule language and the scope an expression is checked in."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .._frozen import freeze

__all__ = ["ANY", "BOOLEAN", "DATE", "KINDS", "NUMBER", "STRING", "Scope", "Type"]

KINDS = ("number", "string", "boolean", "date", "code", "list", "record", "any")
"""Every kind of value; ``any`` stands for a name whose own definition is broken (so that one
mistake is reported once, not at every use)."""

_DESCRIBED = {
    "number": "数值",
    "string": "文本",
    "boolean": "是/否",
    "date": "日期",
    "list": "列表",
    "record": "记录",
}


def _fields(value: Mapping[str, Type] | None) -> Mapping[str, Type] | None:
    return None if value is None else freeze(value)


@attrs.frozen
class Type:
    """The static type of a value in the rule language."""

    kind: str
    """One of :data:`KINDS`."""
    codelist: str | None = None
    """For ``code`` (and a ``list`` of codes): the code list the values belong to."""
    fields: Mapping[str, Type] | None = attrs.field(
        default=None, eq=False, hash=False, converter=_fields
    )
    """For ``list`` (of records) and ``record``: the fields of one item."""
    label: str | None = attrs.field(default=None, eq=False, hash=False)

    def describe(self) -> str:
        """The type as policy staff read it."""
        if self.kind == "code":
            return f"代码({self.codelist})"
        return _DESCRIBED.get(self.kind, self.kind)

    @property
    def textual(self) -> bool:
        """Strings, dates and codes compare with each other as text."""
        return self.kind in {"string", "date", "code"}


NUMBER = Type("number")
STRING = Type("string")
BOOLEAN = Type("boolean")
DATE = Type("date")
ANY = Type("any")


def _codelists(value: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    return freeze({k: freeze(v) for k, v in value.items()})


@attrs.frozen
class Scope:
    """What an expression may name, with types.

    ``codelists`` maps a code-list id to ``{code: label}``; labels written in an expression
    are translated to their codes at load time.
    """

    fields: Mapping[str, Type] = attrs.field(factory=dict, converter=freeze)
    derived: Mapping[str, Type] = attrs.field(factory=dict, converter=freeze)
    parameters: Mapping[str, Type] = attrs.field(factory=dict, converter=freeze)
    criteria: frozenset[str] = frozenset()
    codelists: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict, converter=_codelists)
    dated: bool = True
    """Whether ``as_of`` (the evaluation date) may be named; not in decision expressions."""
    items: Mapping[str, Type] = attrs.field(factory=dict, converter=freeze)
    """Item variables of a per-item criterion (``for_each: {list: members, as: m}``):
    name -> the item's record type; fields are read as ``m.field``."""

    def lookup(self, name: str) -> tuple[str, Type] | None:
        """The role of a name (context, item, field, derived, parameter, criterion) and its
        type, or None if it is not in scope."""
        if name == "as_of" and self.dated:
            return ("context", DATE)
        if name in self.items:
            return ("item", self.items[name])
        for role, table in (
            ("field", self.fields),
            ("derived", self.derived),
            ("parameter", self.parameters),
        ):
            if name in table:
                return (role, table[name])
        if name in self.criteria:
            return ("criterion", BOOLEAN)
        return None

    def names(self) -> list[str]:
        """Every name in scope, for suggestions."""
        names = {*self.fields, *self.derived, *self.parameters, *self.criteria, *self.items}
        return sorted(names | ({"as_of"} if self.dated else set()))
