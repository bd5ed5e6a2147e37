"""The reference backend: the simpleeval interpreter over a checked tree.

It walks the Python form of the checked tree (:func:`.syntax.to_python`) with operators and
functions taken from the language's table (:mod:`.table`) and the table's strategies for what
simpleeval does not do the table's way (``has``/``coalesce``, and aggregates, which it would
evaluate eagerly). It is slow and simple on purpose: the conformance suite and the property
tests hold the generated row code and the column code to it.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import simpleeval

from . import runtime
from .syntax import BINARY_AST
from .table import FUNCTIONS, OPERATORS, Function, Strategy

__all__ = ["interpret"]

_OWN: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub}


def _operators() -> dict[type, Callable[..., Any]]:
    found: dict[type, Callable[..., Any]] = dict(simpleeval.DEFAULT_OPERATORS)
    for symbol, spec in OPERATORS.items():
        found[BINARY_AST[symbol]] = spec.runtime or _OWN[symbol]
    return found


_OPERATORS = _operators()


class _Interpreter(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval over a checked tree, with the table's operators, functions and strategies."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        functions: dict[str, Callable[..., Any]] = {}
        for name, f in FUNCTIONS.items():
            functions[name] = _dated(f, env) if f.dated else f.impl
        names = {**env, "true": True, "True": True, "false": False, "False": False}
        super().__init__(operators=dict(_OPERATORS), functions=functions, names=names)

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return runtime.attr(self._eval(node.value), node.attr)

    def _eval_constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        function = FUNCTIONS[node.func.id]
        if function.strategy is Strategy.PRESENCE:
            return self._present(node.args[0]) is not None
        if function.strategy is Strategy.DEFAULT:
            value = self._present(node.args[0])
            return self._eval(node.args[1]) if value is None else value
        if function.aggregate:
            generator = node.args[0]
            assert isinstance(generator, ast.GeneratorExp)
            return function.impl(self._elements(generator))
        return super()._eval_call(node)

    def _present(self, node: ast.expr) -> Any:
        """The value of a name or ``m.field``, or None where it is missing."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        assert isinstance(node, ast.Attribute)
        item = self._eval(node.value)
        return item.get(node.attr) if isinstance(item, Mapping) else None

    def _elements(self, generator: ast.GeneratorExp) -> Iterator[Any]:
        """The elements of an aggregate, item by item, as they are asked for: an item's later
        conditions and element are not read once a condition is false, and a consumer that
        stops early (``any``, ``all``) reads no further items."""
        loop = generator.generators[0]
        assert isinstance(loop.target, ast.Name)
        var = loop.target.id
        for item in runtime.items(self._eval(loop.iter)):
            self.names[var] = item
            try:
                if all(self._eval(c) for c in loop.ifs):
                    yield self._eval(generator.elt)
            finally:
                del self.names[var]


def _dated(function: Function, env: Mapping[str, Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return function.impl(*args, env["as_of"])

    return call


def interpret(tree: ast.expr, source: str, env: Mapping[str, Any]) -> Any:
    """Evaluate the Python form ``tree`` of a checked expression on ``env``. Raises what the
    run-time operations raise, and ``simpleeval.NameNotDefined`` for a missing name."""
    return _Interpreter(env).eval(source, previously_parsed=tree)
