"""The row backend: checked trees (:mod:`.tree`) into generated Python functions.

Each node kind becomes fixed Python syntax, following the language's table (:mod:`.table`):
names are read from the environment (a missing name raises ``KeyError``), the operators that
need it and every function call go through the table's run-time operation, and each strategy has
one form: ``and``/``or``/``if``-``else`` and chained comparisons are Python's own, which already
evaluate in the table's order; ``has`` and ``coalesce`` read the environment without failing;
aggregates are generator expressions over :func:`.runtime.items`. Constants and names enter the
generated module as named values, never as source text; it runs with empty ``__builtins__``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from . import runtime
from . import tree as t
from .syntax import BINARY_AST, COMPARE_AST, UNARY_AST
from .table import FUNCTIONS, OPERATORS, Strategy
from .types import DATE

__all__ = ["RUNTIME", "Translator", "compile_expression_function", "compile_module"]

_OPERATOR_NAMES = {
    symbol: f"_{spec.runtime.__name__}" for symbol, spec in OPERATORS.items() if spec.runtime
}

RUNTIME: Mapping[str, Any] = {
    "__builtins__": {},
    "_attr": runtime.attr,
    "_absent": runtime.absent,
    "_items": runtime.items,
    "_dict": dict,
    "_type": type,
    "_len": len,
    "_EXPLAINED": runtime.EXPLAINED,
    **{name: OPERATORS[symbol].runtime for symbol, name in _OPERATOR_NAMES.items()},
    **{f"_f_{name}": f.impl for name, f in FUNCTIONS.items()},
}
"""What generated code may call: the table's run-time operations, by fixed names."""


def _call(name: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _is_not_none(value: ast.expr) -> ast.Compare:
    return ast.Compare(left=value, ops=[ast.IsNot()], comparators=[ast.Constant(None)])


class Translator:
    """Translates checked trees into Python expressions over the environment ``_e``.

    ``fold``: names whose values are fixed (a day's parameters and ``as_of``), written as
    constants. The constants met are collected in :attr:`constants` (named ``_c<i>``).
    """

    def __init__(self, fold: Mapping[str, Any] | None = None) -> None:
        self.fold = fold or {}
        self.constants: list[Any] = []
        self.temps = 0
        self.in_iter = False

    def namespace(self) -> dict[str, Any]:
        """The generated module's globals: the run-time table and the constants."""
        found = dict(RUNTIME)
        found.update({f"_c{i}": c for i, c in enumerate(self.constants)})
        return found

    def constant(self, value: Any) -> ast.expr:
        """A reference to ``value`` as a named constant of the module."""
        self.constants.append(value)
        return _load(f"_c{len(self.constants) - 1}")

    def _temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps - 1}"

    def expr(self, node: t.Node) -> ast.expr:
        """The Python expression of ``node``."""
        method: Callable[[Any], ast.expr] = getattr(self, f"_{type(node).__name__}")
        return method(node)

    def _Const(self, node: t.Const) -> ast.expr:
        if isinstance(node.value, Decimal):
            return self.constant(node.value)
        return ast.Constant(value=node.value)

    def _Name(self, node: t.Name) -> ast.expr:
        if node.id in self.fold:
            return self.constant(self.fold[node.id])
        return ast.Subscript(value=_load("_e"), slice=ast.Constant(node.id), ctx=ast.Load())

    def _Var(self, node: t.Var) -> ast.expr:
        return _load(f"_v_{node.id}")

    def _Attr(self, node: t.Attr) -> ast.expr:
        item = self.expr(node.target)
        if not isinstance(node.target, t.Var) or self.in_iter:
            return _call("_attr", [item, ast.Constant(node.field)])
        # m.x inline, as _attr(m, "x"):
        # (_tN if type(m) is dict and (_tN := m.get("x")) is not None else _absent("x"))
        temp = self._temp()
        got = ast.Call(
            func=ast.Attribute(value=item, attr="get", ctx=ast.Load()),
            args=[ast.Constant(node.field)],
            keywords=[],
        )
        is_dict = ast.Compare(
            left=_call("_type", [item]), ops=[ast.Is()], comparators=[_load("_dict")]
        )
        present = _is_not_none(ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()), value=got))
        return ast.IfExp(
            test=ast.BoolOp(op=ast.And(), values=[is_dict, present]),
            body=_load(temp),
            orelse=_call("_absent", [ast.Constant(node.field)]),
        )

    def _Unary(self, node: t.Unary) -> ast.expr:
        op: ast.unaryop = UNARY_AST[node.op]()
        return ast.UnaryOp(op=op, operand=self.expr(node.operand))

    def _Binary(self, node: t.Binary) -> ast.expr:
        left, right = self.expr(node.left), self.expr(node.right)
        name = _OPERATOR_NAMES.get(node.op)
        if name is not None:
            return _call(name, [left, right])
        return ast.BinOp(left=left, op=BINARY_AST[node.op](), right=right)

    def _Logic(self, node: t.Logic) -> ast.expr:
        op = ast.And() if node.op == "and" else ast.Or()
        return ast.BoolOp(op=op, values=[self.expr(v) for v in node.operands])

    def _Options(self, node: t.Options) -> ast.expr:
        return self.constant(node.values)

    def _Compare(self, node: t.Compare) -> ast.expr:
        return ast.Compare(
            left=self.expr(node.operands[0]),
            ops=[COMPARE_AST[op]() for op in node.ops],
            comparators=[self.expr(c) for c in node.operands[1:]],
        )

    def _Cond(self, node: t.Cond) -> ast.expr:
        return ast.IfExp(
            test=self.expr(node.test), body=self.expr(node.body), orelse=self.expr(node.orelse)
        )

    def _presence(self, target: t.Node) -> ast.expr:
        """The value of ``target`` or None, read without failing."""
        if isinstance(target, t.Name):
            return ast.Call(
                func=ast.Attribute(value=_load("_e"), attr="get", ctx=ast.Load()),
                args=[ast.Constant(target.id)],
                keywords=[],
            )
        if isinstance(target, t.Attr):
            return ast.Call(
                func=ast.Attribute(value=self.expr(target.target), attr="get", ctx=ast.Load()),
                args=[ast.Constant(target.field)],
                keywords=[],
            )
        return self.expr(target)

    def _Call(self, node: t.Call) -> ast.expr:
        function = FUNCTIONS[node.function]
        if function.strategy is Strategy.PRESENCE:
            return _is_not_none(self._presence(node.args[0]))
        if function.strategy is Strategy.DEFAULT:
            # (_tN if (_tN := value) is not None else default): the default only when needed.
            temp = self._temp()
            value = ast.NamedExpr(
                target=ast.Name(id=temp, ctx=ast.Store()), value=self._presence(node.args[0])
            )
            return ast.IfExp(
                test=_is_not_none(value), body=_load(temp), orelse=self.expr(node.args[1])
            )
        args = [self.expr(a) for a in node.args]
        if function.dated:
            args.append(self.expr(t.Name("as_of", "context", DATE)))
        return _call(f"_f_{node.function}", args)

    def _Aggregate(self, node: t.Aggregate) -> ast.expr:
        # Python forbids := in a comprehension's iterable: no inline forms there.
        saved, self.in_iter = self.in_iter, True
        try:
            source = _call("_items", [self.expr(node.source)])
        finally:
            self.in_iter = saved
        conditions = [self.expr(c) for c in node.conditions]
        element = self.expr(node.element)
        target = ast.Name(id=f"_v_{node.var}", ctx=ast.Store())
        if node.function == "count":
            # count(e for m in xs if c) as one list: len([1 for m in xs if c if e is not
            # False]), the test left out when e is the item itself (never False: an object).
            # (A list comprehension runs faster than a generator summed.)
            if not (isinstance(node.element, t.Var) and node.element.id == node.var):
                conditions.append(
                    ast.Compare(left=element, ops=[ast.IsNot()], comparators=[ast.Constant(False)])
                )
            loop = ast.comprehension(target=target, iter=source, ifs=conditions, is_async=0)
            return _call("_len", [ast.ListComp(elt=ast.Constant(1), generators=[loop])])
        loop = ast.comprehension(target=target, iter=source, ifs=conditions, is_async=0)
        return _call(f"_f_{node.function}", [ast.GeneratorExp(elt=element, generators=[loop])])


def compile_module(
    module: ast.Module, namespace: Mapping[str, Any], name: str, label: str
) -> tuple[Any, str]:
    """Compile generated ``module`` with ``namespace`` as its globals; return its function
    ``name`` and the module's source (for review and debugging)."""
    ast.fix_missing_locations(module)
    code = compile(module, f"<fupin-rules {label}>", "exec")
    scope = dict(namespace)
    exec(code, scope)  # noqa: S102 - generated from a checked, allow-listed tree
    return scope[name], ast.unparse(module)


def compile_expression_function(
    node: t.Node,
) -> tuple[Callable[[Mapping[str, Any]], Any], str]:
    """One expression as ``def _expression(_e): return ...``, and its source."""
    translator = Translator()
    body = translator.expr(node)
    # A function skeleton parsed from fixed text (portable across Python versions); its body
    # is replaced by the generated expression.
    func = ast.parse("def _expression(_e):\n    return None\n").body[0]
    assert isinstance(func, ast.FunctionDef)
    func.body = [ast.Return(value=body)]
    module = ast.Module(body=[func], type_ignores=[])
    fn, python = compile_module(module, translator.namespace(), "_expression", "expression")
    return fn, python
