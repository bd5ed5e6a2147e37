"""Code generation: checked expression trees into Python functions.

Only the checked, allow-listed trees of :mod:`fupin_rules.expressions` are turned into code:
names become reads of the environment, division is exact, member fields are read by key and
functions come from the fixed table (:data:`fupin_rules.functions.FUNCTIONS`). Constants and
names enter the generated module as named values, never as source text. Two shapes:
:func:`_generate` (one expression) and :func:`compile_plan` (a whole rule set on one day).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .functions import _RUNTIME, EXPLAINED

if TYPE_CHECKING:
    from .expressions import Expression

__all__ = ["Plan", "compile_plan"]


class _Generator(ast.NodeTransformer):
    """Rewrite a checked tree into the evaluator's Python: names read from the environment,
    exact division, checked member access, functions from the fixed table."""

    def __init__(self, locals_: set[str], fold: Mapping[str, Any] | None = None) -> None:
        self.locals = locals_
        self.constants: list[Any] = []
        self.temps = 0
        self.in_iter = False
        self.fold = fold or {}
        """Names whose values are fixed (a day's parameters): written as constants."""

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.locals:
            return ast.Name(id=f"_v_{node.id}", ctx=ast.Load())
        if node.id in self.fold:
            return self._constant(self.fold[node.id])
        if node.id in {"true", "True"}:
            return ast.Constant(value=True)
        if node.id in {"false", "False"}:
            return ast.Constant(value=False)
        return ast.Subscript(
            value=ast.Name(id="_e", ctx=ast.Load()), slice=ast.Constant(node.id), ctx=ast.Load()
        )

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        value: object = node.value
        if isinstance(value, Decimal):
            return self._constant(value)
        return node

    def _constant(self, value: Any) -> ast.expr:
        self.constants.append(value)
        return ast.Name(id=f"_c{len(self.constants) - 1}", ctx=ast.Load())

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        target = node.value
        if not isinstance(target, ast.Name) or target.id not in self.locals or self.in_iter:
            return _call("_attr", [self.visit(target), ast.Constant(node.attr)])
        # m.x inline, as _attr(m, "x"):
        # (_tN if type(m) is dict and (_tN := m.get("x")) is not None else _absent("x"))
        item = self.visit(target)
        temp = self._temp()
        return ast.IfExp(
            test=ast.BoolOp(
                op=ast.And(),
                values=[
                    ast.Compare(
                        left=_call("_type", [item]),
                        ops=[ast.Is()],
                        comparators=[ast.Name(id="_dict", ctx=ast.Load())],
                    ),
                    ast.Compare(
                        left=ast.NamedExpr(
                            target=ast.Name(id=temp, ctx=ast.Store()),
                            value=ast.Call(
                                func=ast.Attribute(value=item, attr="get", ctx=ast.Load()),
                                args=[ast.Constant(node.attr)],
                                keywords=[],
                            ),
                        ),
                        ops=[ast.IsNot()],
                        comparators=[ast.Constant(None)],
                    ),
                ],
            ),
            body=ast.Name(id=temp, ctx=ast.Load()),
            orelse=_call("_absent", [ast.Constant(node.attr)]),
        )

    def _temp(self) -> str:
        temp = f"_t{self.temps}"
        self.temps += 1
        return temp

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        left, right = self.visit(node.left), self.visit(node.right)
        helper = {ast.Div: "_div", ast.FloorDiv: "_floordiv", ast.Mod: "_mod"}.get(type(node.op))
        if helper:
            return _call(helper, [left, right])
        return ast.BinOp(left=left, op=node.op, right=right)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        comparators: list[ast.expr] = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn) and isinstance(
                comp, ast.List | ast.Tuple | ast.Set
            ):
                values = frozenset(c.value for c in comp.elts if isinstance(c, ast.Constant))
                comparators.append(self._constant(values))
            else:
                comparators.append(self.visit(comp))
        return ast.Compare(left=self.visit(node.left), ops=node.ops, comparators=comparators)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if name in {"has", "coalesce"}:
            target = node.args[0]
            if isinstance(target, ast.Name) and target.id not in self.locals:
                value: ast.expr = ast.Call(
                    func=ast.Attribute(
                        value=ast.Name("_e", ast.Load()), attr="get", ctx=ast.Load()
                    ),
                    args=[ast.Constant(target.id)],
                    keywords=[],
                )
            else:
                assert isinstance(target, ast.Attribute)
                value = ast.Call(
                    func=ast.Attribute(value=self.visit(target.value), attr="get", ctx=ast.Load()),
                    args=[ast.Constant(target.attr)],
                    keywords=[],
                )
            if name == "has":
                return ast.Compare(left=value, ops=[ast.IsNot()], comparators=[ast.Constant(None)])
            # The default is evaluated only when the value is absent, as in the interpreter:
            # (_tN if (_tN := value) is not None else default)
            temp = self._temp()
            return ast.IfExp(
                test=ast.Compare(
                    left=ast.NamedExpr(target=ast.Name(id=temp, ctx=ast.Store()), value=value),
                    ops=[ast.IsNot()],
                    comparators=[ast.Constant(None)],
                ),
                body=ast.Name(id=temp, ctx=ast.Load()),
                orelse=self.visit(node.args[1]),
            )
        if name == "count" and isinstance(node.args[0], ast.GeneratorExp):
            # count(e for m in xs if c) as one list: len([1 for m in xs if c if e is not
            # False]), the test left out when e is the item itself (never False: an object).
            # (A list comprehension runs faster than a generator summed.)
            gen = self.visit(node.args[0])
            assert isinstance(gen, ast.GeneratorExp)
            comp = gen.generators[0]
            elt = gen.elt
            item = comp.target
            assert isinstance(item, ast.Name)
            if not (isinstance(elt, ast.Name) and elt.id == item.id):
                comp.ifs.append(
                    ast.Compare(left=elt, ops=[ast.IsNot()], comparators=[ast.Constant(False)])
                )
            return _call("_len", [ast.ListComp(elt=ast.Constant(1), generators=gen.generators)])
        args = [self.visit(a) for a in node.args]
        if name == "age":
            args.append(self.visit(ast.Name(id="as_of", ctx=ast.Load())))
        return _call(f"_f_{name}", args)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> ast.expr:
        gen = node.generators[0]
        assert isinstance(gen.target, ast.Name)
        # Python forbids := in a comprehension's iterable: no inline forms there.
        saved, self.in_iter = self.in_iter, True
        try:
            iterable = _call("_items", [self.visit(gen.iter)])
        finally:
            self.in_iter = saved
        self.locals.add(gen.target.id)
        try:
            new = ast.GeneratorExp(
                elt=self.visit(node.elt),
                generators=[
                    ast.comprehension(
                        target=ast.Name(id=f"_v_{gen.target.id}", ctx=ast.Store()),
                        iter=iterable,
                        ifs=[self.visit(c) for c in gen.ifs],
                        is_async=0,
                    )
                ],
            )
        finally:
            self.locals.discard(gen.target.id)
        return new


def _call(name: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])


def _generate(tree: ast.Expression) -> tuple[Callable[[Mapping[str, Any]], Any], str]:
    gen = _Generator(set())
    body = gen.visit(_copy_tree(tree.body))
    # A function skeleton parsed from fixed text (portable across Python versions); its body
    # is replaced by the generated expression.
    func = ast.parse("def _expression(_e):\n    return None\n").body[0]
    assert isinstance(func, ast.FunctionDef)
    func.body = [ast.Return(value=body)]
    module = ast.Module(body=[func], type_ignores=[])
    ast.fix_missing_locations(module)
    python = ast.unparse(module)
    namespace: dict[str, Any] = {"__builtins__": {}, **_RUNTIME}
    namespace.update({f"_c{i}": c for i, c in enumerate(gen.constants)})
    code = compile(module, "<fupin-rules expression>", "exec")
    exec(code, namespace)  # noqa: S102 - generated from a checked, allow-listed tree
    fn: Callable[[Mapping[str, Any]], Any] = namespace["_expression"]
    return fn, python


Plan = Callable[[dict[str, Any]], tuple[list[int], list[int] | int]]
"""A rule set's compiled pass over one environment: see :func:`compile_plan`."""


class _Slots(ast.NodeTransformer):
    """Put generated expressions into a fixed skeleton, in place of ``_X<n>`` names."""

    def __init__(self, exprs: list[ast.expr]) -> None:
        self.exprs = exprs

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id.startswith("_X"):
            return self.exprs[int(node.id[2:])]
        return node


def compile_plan(
    derived: Iterable[tuple[str, Expression]],
    criteria: Iterable[tuple[Expression | None, Expression | None]],
    applies_if: Expression | None,
    fold: Mapping[str, Any],
) -> tuple[Plan, str]:
    """One generated function for a whole rule set on one day: derived fields, then whether
    it applies, then each criterion, with ``fold`` (the day's parameters) as constants.

    ``plan(env)`` stores each derived field in ``env`` and returns ``(failed, codes)``:
    the indexes of the derived fields that could not be computed, and one code per
    criterion (0 pass, 1 fail, 2 not applicable, 3 unknown, 4 no test: a per-item criterion),
    or instead of codes 0 (the rule set does not apply) or 1 (that could not be told).
    An expression that raises what :data:`EXPLAINED` lists counts as not computable; every
    other exception propagates. The skeleton is fixed text; names and expressions enter it
    as constants and checked trees, as in :func:`_generate`.
    """
    gen = _Generator(set(), fold)
    exprs: list[ast.expr] = []
    names: list[str] = []

    def slot(expr: Expression) -> str:
        exprs.append(gen.visit(_copy_tree(expr._tree.body)))
        return f"_X{len(exprs) - 1}"

    lines = ["def _plan(_e):", "    _failed = []", "    _k = []"]
    for i, (name, expr) in enumerate(derived):
        names.append(name)
        lines += [
            "    try:",
            f"        _e[_n{i}] = {slot(expr)}",
            "    except _EXPLAINED:",
            f"        _failed.append({i})",
        ]
    if applies_if is not None:
        lines += [
            "    try:",
            f"        if not {slot(applies_if)}: return _failed, 0",
            "    except _EXPLAINED:",
            "        return _failed, 1",
        ]
    for applies, test in criteria:
        if test is None:
            lines.append("    _k.append(4)")
            continue
        lines.append("    try:")
        if applies is not None:
            lines.append(f"        if not {slot(applies)}: _k.append(2)")
            lines.append(f"        else: _k.append(0 if {slot(test)} else 1)")
        else:
            lines.append(f"        _k.append(0 if {slot(test)} else 1)")
        lines += ["    except _EXPLAINED:", "        _k.append(3)"]
    lines.append("    return _failed, _k")
    module = _Slots(exprs).visit(ast.parse("\n".join(lines)))
    ast.fix_missing_locations(module)
    namespace: dict[str, Any] = {"__builtins__": {}, **_RUNTIME, "_EXPLAINED": EXPLAINED}
    namespace.update({f"_c{i}": c for i, c in enumerate(gen.constants)})
    namespace.update({f"_n{i}": n for i, n in enumerate(names)})
    code = compile(module, "<fupin-rules rule set plan>", "exec")
    exec(code, namespace)  # noqa: S102 - a fixed skeleton around checked, allow-listed trees
    plan: Plan = namespace["_plan"]
    return plan, ast.unparse(module)


def _copy_tree(node: ast.expr) -> ast.expr:
    return copy.deepcopy(node)
