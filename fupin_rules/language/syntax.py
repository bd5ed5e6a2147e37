"""A checked tree written back as Python syntax: the canonical text of an expression (what a
fingerprint hashes and ``diff`` shows) and the tree the reference interpreter walks.

The text has codes in place of the labels written, exact decimal literals and Python's own
spacing and parentheses (``ast.unparse``), so that two spellings of the same rule read alike.
"""

from __future__ import annotations

import ast

from . import tree as t

__all__ = ["BINARY_AST", "COMPARE_AST", "UNARY_AST", "canonical_text", "to_python"]

BINARY_AST: dict[str, type[ast.operator]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "/": ast.Div,
    "//": ast.FloorDiv,
    "%": ast.Mod,
}
UNARY_AST: dict[str, type[ast.unaryop]] = {"not": ast.Not, "-": ast.USub, "+": ast.UAdd}
COMPARE_AST: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "in": ast.In,
    "not in": ast.NotIn,
}
"""Each operator of the language and the Python syntax that writes it (the row backend and
the checker read the same tables)."""


def _name(identifier: str) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Load())


def to_python(node: t.Node) -> ast.expr:
    """``node`` as a Python expression tree (constants exact, codes translated)."""
    if isinstance(node, t.Const):
        if node.written is not None:
            return _name(node.written)
        return ast.Constant(value=node.value)
    if isinstance(node, t.Name | t.Var):
        return _name(node.id)
    if isinstance(node, t.Attr):
        return ast.Attribute(value=to_python(node.target), attr=node.field, ctx=ast.Load())
    if isinstance(node, t.Unary):
        return ast.UnaryOp(op=UNARY_AST[node.op](), operand=to_python(node.operand))
    if isinstance(node, t.Binary):
        return ast.BinOp(
            left=to_python(node.left), op=BINARY_AST[node.op](), right=to_python(node.right)
        )
    if isinstance(node, t.Logic):
        op = ast.And() if node.op == "and" else ast.Or()
        return ast.BoolOp(op=op, values=[to_python(v) for v in node.operands])
    if isinstance(node, t.Options):
        elts: list[ast.expr] = [to_python(c) for c in node.items]
        if node.bracket == "tuple":
            return ast.Tuple(elts=elts, ctx=ast.Load())
        if node.bracket == "set":
            return ast.Set(elts=elts)
        return ast.List(elts=elts, ctx=ast.Load())
    if isinstance(node, t.Compare):
        return ast.Compare(
            left=to_python(node.operands[0]),
            ops=[COMPARE_AST[op]() for op in node.ops],
            comparators=[to_python(c) for c in node.operands[1:]],
        )
    if isinstance(node, t.Cond):
        return ast.IfExp(
            test=to_python(node.test), body=to_python(node.body), orelse=to_python(node.orelse)
        )
    if isinstance(node, t.Call):
        return ast.Call(
            func=_name(node.function), args=[to_python(a) for a in node.args], keywords=[]
        )
    if isinstance(node, t.Aggregate):
        generator = ast.GeneratorExp(
            elt=to_python(node.element),
            generators=[
                ast.comprehension(
                    target=ast.Name(id=node.var, ctx=ast.Store()),
                    iter=to_python(node.source),
                    ifs=[to_python(c) for c in node.conditions],
                    is_async=0,
                )
            ],
        )
        return ast.Call(func=_name(node.function), args=[generator], keywords=[])
    msg = f"no Python form for {type(node).__name__}"  # pragma: no cover - the tree is closed
    raise TypeError(msg)


def canonical_text(node: t.Node) -> str:
    """The canonical text of an expression (Python's unparsing of :func:`to_python`)."""
    return ast.unparse(ast.fix_missing_locations(ast.Expression(body=to_python(node))))
