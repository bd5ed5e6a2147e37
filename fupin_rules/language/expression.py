"""Compiling an expression: text in, a checked :class:`Expression` out, or a refusal.

An expression is parsed once, when its rule file is loaded, limited in size
(:mod:`.limits`), checked (:mod:`.check`) and given its canonical text. Its own generated Python
function (:mod:`.rows`) is made when it is first evaluated on its own (records are evaluated by
the rule set's plan, which generates its code from the checked trees): generating it for every
expression of a large file would double the time to check it. :meth:`Expression.interpret` runs
the reference interpreter (:mod:`.reference`) on the same checked tree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import simpleeval

from ..errors import EvaluationError, ExpressionError, Problem
from . import reference, rows, syntax
from . import tree as t
from .check import Checker, Hints, Refused
from .limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES, NumberLimits, number_limits
from .types import Scope, Type

__all__ = ["Expression", "compile_expression"]


@attrs.frozen(eq=False)
class Expression:
    """A checked expression, ready to evaluate. ``names`` are the names of its scope it reads."""

    source: str
    """The text as written (without surrounding blanks)."""
    tree: t.Node
    """The checked tree: what the expression means."""
    type: Type
    names: tuple[str, ...]
    text: str
    """The canonical text (codes for labels, exact literals): what fingerprints hash."""
    _fn: _RowFunction = attrs.field(repr=False, alias="fn")

    @property
    def python(self) -> str:
        """The generated Python source of the row evaluator (for review and debugging)."""
        return self._fn.python

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate on ``env`` (names to values). Raises EvaluationError on bad data."""
        return _explained(self._fn, env)

    def interpret(self, env: Mapping[str, Any]) -> Any:
        """Evaluate with the reference interpreter (simpleeval) on the same checked tree."""
        python = syntax.to_python(self.tree)
        return _explained(lambda e: reference.interpret(python, self.source, e), env)


class _RowFunction:
    """The row evaluator of a checked tree, generated on its first call (or when its source is
    asked for); the same function every time after."""

    __slots__ = ("_fn", "_python", "_tree")

    def __init__(self, tree: t.Node) -> None:
        self._tree = tree
        self._fn: Callable[[Mapping[str, Any]], Any] | None = None
        self._python = ""

    def _generated(self) -> Callable[[Mapping[str, Any]], Any]:
        # Two threads may both generate it: the same function from the same tree, either kept.
        # The source is set first, so that a function seen set has its source beside it.
        fn = self._fn
        if fn is None:
            fn, self._python = rows.compile_expression_function(self._tree)
            self._fn = fn
        return fn

    def __call__(self, env: Mapping[str, Any]) -> Any:
        return (self._fn or self._generated())(env)

    @property
    def python(self) -> str:
        self._generated()
        return self._python


def _explained(run: Callable[[Mapping[str, Any]], Any], env: Mapping[str, Any]) -> Any:
    """``run(env)``, with what an expression may raise on bad data as EvaluationError: a
    missing name (the environment's ``KeyError``, simpleeval's ``NameNotDefined``) naming the
    field, a value of the wrong type, an arithmetic error."""
    try:
        return run(env)
    except EvaluationError:
        raise
    except simpleeval.NameNotDefined as exc:
        msg = f"缺少字段 {exc.name}"
        raise EvaluationError(msg, fields=(exc.name,)) from None
    except KeyError as exc:
        msg = f"缺少字段 {exc.args[0]}"
        raise EvaluationError(msg, fields=(str(exc.args[0]),)) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        msg = f"数据类型不符: {exc}"
        raise EvaluationError(msg) from None


def compile_expression(
    source: str,
    scope: Scope,
    *,
    expect: str | None = "boolean",
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    path: str = "",
    numbers: NumberLimits | None = None,
    hints: Hints | None = None,
) -> Expression:
    """Parse and check ``source`` in ``scope``; return an :class:`Expression`.

    ``expect`` is the type the result must have (``boolean`` for tests and conditions,
    ``number`` or ``None`` for derived fields). ``file``, ``line``, ``column`` and ``path``
    locate the expression in its rule file; problems are reported there. ``numbers`` bounds
    its number literals (default: :func:`.limits.number_limits`); ``hints`` is the budget for
    suggesting close names, shared by the expressions of one rule set (default: its own).
    Raises :class:`ExpressionError` for anything refused.
    """
    text = source.strip() if isinstance(source, str) else ""

    def refuse(node: ast.AST | None, message: str, hint: str | None, code: str) -> ExpressionError:
        col = column
        ln = line
        if node is not None and hasattr(node, "col_offset") and line is not None:
            ln, col = _position(line, column, getattr(node, "lineno", 1), node.col_offset, text)
        detail = ""
        if node is not None and hasattr(node, "col_offset") and not isinstance(node, ast.Name):
            seg = ast.get_source_segment(_wrap(text), node)
            if seg and seg != text:
                detail = f" [{seg[:60]}]"
        return ExpressionError(
            Problem(
                message=f"{message}{detail}",
                file=file,
                line=ln,
                column=col,
                path=path,
                hint=hint,
                code=code,
            )
        )

    if not text:
        raise refuse(None, "表达式为空", None, "expr.empty")
    if len(source) > MAX_LENGTH:
        raise refuse(None, f"表达式超过 {MAX_LENGTH} 字", "请拆成派生字段", "expr.limit")
    try:
        # Parsed inside parentheses so that an expression may run over several lines (as YAML
        # block scalars do) with string literals and positions kept as written.
        parsed = ast.parse(_wrap(text), mode="eval")
    except SyntaxError as exc:
        hint = None
        if "=" in text and "==" not in text:
            hint = "比较相等请用 =="
        ln, col = _position(line, column, exc.lineno or 1, (exc.offset or 2) - 1, text)
        raise ExpressionError(
            Problem(
                f"表达式语法错误: {exc.msg}",
                file=file,
                line=ln,
                column=col,
                path=path,
                hint=hint,
                code="expr.syntax",
            )
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise refuse(None, "表达式嵌套过深或过大", None, "expr.limit") from None
    for count, _node in enumerate(ast.walk(parsed), start=1):
        if count > MAX_NODES:
            raise refuse(
                None, f"表达式过于复杂 (超过 {MAX_NODES} 个节点)", "请拆成派生字段", "expr.limit"
            )
    if _depth(parsed) > MAX_DEPTH:
        raise refuse(None, f"表达式嵌套超过 {MAX_DEPTH} 层", "请拆成派生字段", "expr.limit")
    checker = Checker(
        scope=scope,
        source=_wrap(text),
        numbers=numbers if numbers is not None else number_limits(),
        hints=hints if hints is not None else Hints(),
    )
    try:
        checked = checker.check(parsed.body)
        kind = checked.type.kind
        if expect == "boolean" and kind not in {"boolean", "any"}:
            raise Refused(
                parsed.body,
                f"结果须为是/否 (条件), 这里是{checked.type.describe()}",
                "例如写成 x > 0",
                "expr.type",
            )
        if expect == "number" and kind != "number":
            raise Refused(
                parsed.body, f"结果须为数值, 这里是{checked.type.describe()}", None, "expr.type"
            )
    except Refused as exc:
        raise refuse(exc.node, exc.message, exc.hint, exc.code) from None
    except RecursionError:
        raise refuse(None, "表达式嵌套过深", None, "expr.limit") from None
    return Expression(
        source=text,
        tree=checked,
        type=checked.type,
        names=tuple(checker.names),
        text=syntax.canonical_text(checked),
        fn=_RowFunction(checked),
    )


def _wrap(text: str) -> str:
    return f"({text}\n)"


def _position(
    line: int | None, column: int | None, lineno: int, byte_offset: int, text: str
) -> tuple[int | None, int | None]:
    """Where a parser position (1-based line, UTF-8 byte offset) of ``text`` is in the file,
    given that ``text`` starts at ``line``:``column`` and was parsed as ``(text)``."""
    if line is None:
        return None, None
    lines = text.split("\n")
    index = min(max(lineno, 1), len(lines)) - 1
    source_line = ("(" + lines[0]) if index == 0 else lines[index]
    chars = len(source_line.encode("utf-8")[:byte_offset].decode("utf-8", "ignore"))
    if index == 0:
        chars -= 1
        return line, (column or 1) + max(chars, 0)
    return line + index, 1 + max(chars, 0)


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    deepest = level
    for child in ast.iter_child_nodes(node):
        deepest = max(deepest, _depth(child, level + 1))
    return deepest
