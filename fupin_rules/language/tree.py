"""The checked expression tree: what an expression means, as frozen values.

The checker (:mod:`.check`) turns the parsed text into these nodes once, when a rule file is
loaded: every name resolved to its role, every type known, code labels already translated into
codes, decimal literals exact. The evaluators (:mod:`.rows`, :mod:`.reference`,
:mod:`.columns`) translate these nodes; none of them reads the user's text.

Nodes compare and hash by structure, so the same sub-expression met twice is recognised as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from .types import BOOLEAN, Type

__all__ = [
    "Aggregate",
    "Attr",
    "Binary",
    "Call",
    "Compare",
    "Cond",
    "Const",
    "Logic",
    "Name",
    "Node",
    "Options",
    "Unary",
    "Var",
    "children",
    "walk",
]


class Node:
    """A node of a checked expression tree (every node has a ``type``)."""

    __slots__ = ()
    type: Type


@attrs.frozen(cache_hash=True)
class Const(Node):
    """A literal: an exact number (``int`` or ``Decimal``), a text, ``True``/``False``."""

    value: Any
    type: Type
    written: str | None = None
    """How a yes/no constant was spelled (``true``, ``True`` ...), kept for the canonical
    text; None for other literals."""


@attrs.frozen(cache_hash=True)
class Name(Node):
    """A name read from the environment: a record field, a derived field, a parameter,
    ``as_of``, the item of a per-item criterion, or (in a decision) a criterion."""

    id: str
    role: str
    """``field``, ``derived``, ``parameter``, ``context``, ``item`` or ``criterion``."""
    type: Type


@attrs.frozen(cache_hash=True)
class Var(Node):
    """The loop variable of an aggregate (``m`` in ``count(m for m in members)``)."""

    id: str
    type: Type


@attrs.frozen(cache_hash=True)
class Attr(Node):
    """A field of a list item: ``m.birth_date``."""

    target: Name | Var
    field: str
    type: Type


@attrs.frozen(cache_hash=True)
class Unary(Node):
    """``not x``, ``-x`` or ``+x``."""

    op: str
    operand: Node
    type: Type


@attrs.frozen(cache_hash=True)
class Binary(Node):
    """An arithmetic operator (``+ - * / // %``), or ``+`` of two texts (concatenation)."""

    op: str
    left: Node
    right: Node
    type: Type


@attrs.frozen(cache_hash=True)
class Logic(Node):
    """``a and b and ...`` or ``a or b or ...``."""

    op: str
    operands: tuple[Node, ...]
    type: Type = BOOLEAN


@attrs.frozen(cache_hash=True)
class Options(Node):
    """The literal list on the right of ``in``: ``['01', '04']``."""

    items: tuple[Const, ...]
    values: frozenset[Any]
    bracket: str
    """``list``, ``tuple`` or ``set``: how it was written (for the canonical text)."""
    type: Type

    @classmethod
    def of(cls, items: tuple[Const, ...], bracket: str, type: Type) -> Options:
        """The options of these constants."""
        return cls(items, frozenset(c.value for c in items), bracket, type)


@attrs.frozen(cache_hash=True)
class Compare(Node):
    """A chain of comparisons: ``operands[0] ops[0] operands[1] ops[1] ...``. An operator is
    one of ``== != < <= > >= in`` and ``not in``; the right side of ``in`` is
    :class:`Options` or a list-of-values field."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    type: Type = BOOLEAN


@attrs.frozen(cache_hash=True)
class Cond(Node):
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node
    type: Type


@attrs.frozen(cache_hash=True)
class Call(Node):
    """A function of the language's table applied to arguments (not an aggregate)."""

    function: str
    args: tuple[Node, ...]
    type: Type


@attrs.frozen(cache_hash=True)
class Aggregate(Node):
    """``function(element for var in source if conditions...)``."""

    function: str
    var: str
    source: Node
    conditions: tuple[Node, ...]
    element: Node
    type: Type


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in evaluation order."""
    if isinstance(node, Attr):
        return (node.target,)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Logic):
        return node.operands
    if isinstance(node, Options):
        return node.items
    if isinstance(node, Compare):
        return node.operands
    if isinstance(node, Cond):
        return (node.test, node.body, node.orelse)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Aggregate):
        return (node.source, *node.conditions, node.element)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, parents first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
