"""The rule language: a small, checked subset of Python expressions.

An expression is parsed once, when its rule file is loaded, and checked against an allow-list
of syntax, the names in scope (record fields, derived fields, parameters) and their types.
The checked tree is then turned into two evaluators with the same semantics:

* :meth:`Expression.evaluate`: a Python function generated from the *checked* tree (never
  from the user's text), used for every record;
* :meth:`Expression.interpret`: the reference interpreter, built on simpleeval, used by the
  test suite to prove the two agree.

Both see only plain read-only data (an environment mapping names to values) and a fixed table of
pure functions. Numbers are exact: decimals in rule files and records are ``Decimal`` and ``/``
is decimal division. The grammar and function table are documented in docs/rule-language.md.

Missing data: the environment holds only values that are present (a null field is absent).
Reading an absent name or member field, dividing by zero or taking ``min``/``max`` of nothing
raises :class:`~fupin_rules.errors.EvaluationError` naming the field, so a criterion that needs
a missing value comes out ``unknown``, while ``has(x)``, ``coalesce(x, d)`` and the untaken
branch of ``a if c else b`` may mention absent fields freely.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import simpleeval

from .codegen import _generate
from .errors import EvaluationError, ExpressionError, Problem
from .functions import (
    EXPLAINED,
    FUNCTIONS,
    MAX_LIST_ITEMS,
    Function,
    _age_at,
    _attr,
    _div,
    _floordiv,
    _mod,
    id_valid,
)

__all__ = [
    "EXPLAINED",
    "FUNCTIONS",
    "MAX_LIST_ITEMS",
    "Expression",
    "Function",
    "Scope",
    "Type",
    "compile_expression",
    "id_valid",
]

MAX_LENGTH = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_STRING = 1000
MAX_INT_DIGITS = 30


# --------------------------------------------------------------------------- types


@attrs.frozen
class Type:
    """The static type of a value in the rule language."""

    kind: str
    """One of number, string, boolean, date, code, list, record; ``any`` stands for a name
    whose own definition is broken (so that one mistake is reported once, not at every use)."""
    codelist: str | None = None
    """For ``code``: the code list the value belongs to."""
    fields: Mapping[str, Type] | None = attrs.field(default=None, eq=False, hash=False)
    """For ``list`` (of records) and ``record``: the fields of one item."""
    label: str | None = attrs.field(default=None, eq=False, hash=False)

    def describe(self) -> str:
        """The type as policy staff read it."""
        names = {
            "number": "数值",
            "string": "文本",
            "boolean": "是/否",
            "date": "日期",
            "code": f"代码({self.codelist})",
            "list": "列表",
            "record": "记录",
        }
        return names.get(self.kind, self.kind)

    @property
    def textual(self) -> bool:
        """Strings, dates and codes compare with each other as text."""
        return self.kind in {"string", "date", "code"}


NUMBER = Type("number")
STRING = Type("string")
BOOLEAN = Type("boolean")
DATE = Type("date")


@attrs.frozen
class Scope:
    """What an expression may name, with types.

    ``codelists`` maps a code-list id to ``{code: label}``; labels written in an expression
    are translated to their codes at load time.
    """

    fields: Mapping[str, Type] = attrs.field(factory=dict)
    derived: Mapping[str, Type] = attrs.field(factory=dict)
    parameters: Mapping[str, Type] = attrs.field(factory=dict)
    criteria: frozenset[str] = frozenset()
    codelists: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    dated: bool = True
    """Whether ``as_of`` (the evaluation date) may be named; not in decision expressions."""
    items: Mapping[str, Type] = attrs.field(factory=dict)
    """Item variables of a per-item criterion (``for_each: {list: members, as: m}``):
    name -> the item's record type; fields are read as ``m.field``."""

    def lookup(self, name: str) -> tuple[str, Type] | None:
        """The kind of name (field, derived, parameter, criterion, context) and its type."""
        if name == "as_of" and self.dated:
            return ("context", DATE)
        if name in self.items:
            return ("item", self.items[name])
        for kind, table in (
            ("field", self.fields),
            ("derived", self.derived),
            ("parameter", self.parameters),
        ):
            if name in table:
                return (kind, table[name])
        if name in self.criteria:
            return ("criterion", BOOLEAN)
        return None

    def names(self) -> list[str]:
        """Every name in scope, for suggestions."""
        names = {*self.fields, *self.derived, *self.parameters, *self.criteria, *self.items}
        return sorted(names | ({"as_of"} if self.dated else set()))


# --------------------------------------------------------------------------- compiled form


@attrs.frozen(eq=False)
class Expression:
    """A checked expression, ready to evaluate. ``names`` are the names it reads."""

    source: str
    type: Type
    names: tuple[str, ...]
    _tree: ast.Expression = attrs.field(repr=False, alias="tree")
    _fn: Callable[[Mapping[str, Any]], Any] = attrs.field(repr=False, alias="fn")
    python: str = attrs.field(repr=False)
    """The generated Python source of the evaluator (for review and debugging)."""

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate on ``env`` (names to values). Raises EvaluationError on bad data."""
        try:
            return self._fn(env)
        except EvaluationError:
            raise
        except KeyError as exc:
            msg = f"缺少字段 {exc.args[0]}"
            raise EvaluationError(msg, fields=(str(exc.args[0]),)) from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            msg = f"数据类型不符: {exc}"
            raise EvaluationError(msg) from None

    def interpret(self, env: Mapping[str, Any]) -> Any:
        """Evaluate with the reference interpreter (simpleeval) on the same checked tree."""
        evaluator = _Interpreter(env)
        try:
            return evaluator.eval(self.source, previously_parsed=self._tree.body)
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


class _Interpreter(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval over a checked tree: exact division, member fields by key, fixed functions."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        operators = dict(simpleeval.DEFAULT_OPERATORS)
        operators[ast.Div] = _div
        operators[ast.FloorDiv] = _floordiv
        operators[ast.Mod] = _mod
        functions = {name: f.impl for name, f in FUNCTIONS.items()}
        functions["age"] = lambda birth: _age_at(birth, env["as_of"])
        names = {**env, "true": True, "True": True, "false": False, "False": False}
        super().__init__(operators=operators, functions=functions, names=names)

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return _attr(self._eval(node.value), node.attr)

    def _eval_constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id == "has":
            return _eval_presence(self, node.args[0], present=True)
        if isinstance(node.func, ast.Name) and node.func.id == "coalesce":
            value = _eval_presence(self, node.args[0], present=False)
            return self._eval(node.args[1]) if value is None else value
        return super()._eval_call(node)


def _eval_presence(evaluator: _Interpreter, node: ast.expr, *, present: bool) -> Any:
    if isinstance(node, ast.Name):
        value = evaluator.names.get(node.id)
    else:
        assert isinstance(node, ast.Attribute)
        item = evaluator._eval(node.value)
        value = item.get(node.attr) if isinstance(item, Mapping) else None
    return (value is not None) if present else value


# --------------------------------------------------------------------------- checking


class _Refused(Exception):
    def __init__(
        self,
        node: ast.AST | None,
        message: str,
        hint: str | None = None,
        code: str = "expr.refused",
    ) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint
        self.code = code


@attrs.define
class _Checker:
    scope: Scope
    source: str
    locals: dict[str, Type] = attrs.field(factory=dict)
    names: list[str] = attrs.field(factory=list)

    # -- entry
    def check(self, node: ast.expr) -> Type:
        method = getattr(self, f"_check_{type(node).__name__}", None)
        if method is None:
            raise _Refused(node, f"不支持的写法: {_describe(node)}", code="expr.syntax")
        result: Type = method(node)
        return result

    # -- leaves
    def _check_Constant(self, node: ast.Constant) -> Type:
        value = node.value
        if isinstance(value, bool):
            return BOOLEAN
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                raise _Refused(node, "数字位数过多", code="expr.limit")
            return NUMBER
        if isinstance(value, float):
            text = ast.get_source_segment(self.source, node) or repr(value)
            try:
                exact = Decimal(text.replace("_", ""))
            except InvalidOperation:
                raise _Refused(node, f"无法识别的数字 {text}") from None
            if not exact.is_finite() or len(text) > MAX_INT_DIGITS + 10:
                raise _Refused(node, "数字过大或不是有限数", code="expr.limit")
            node.value = exact  # type: ignore[assignment] # exact decimal replaces the float
            return NUMBER
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise _Refused(node, f"文本常量超过 {MAX_STRING} 字", code="expr.limit")
            return STRING
        raise _Refused(node, f"不支持的常量 {value!r}", code="expr.syntax")

    def _check_Name(self, node: ast.Name) -> Type:
        name = node.id
        if name.startswith("_"):
            raise _Refused(node, f"名称不能以下划线开头: {name}", code="expr.unsafe")
        if name in self.locals:
            return self.locals[name]
        if name in {"true", "True", "false", "False"}:
            return BOOLEAN
        found = self.scope.lookup(name)
        if found is None:
            candidates = [*self.scope.names(), *self.locals]
            close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
            hint = "是否要找: " + ", ".join(close) if close else None
            if name in FUNCTIONS:
                hint = f"{name} 是函数, 请写成 {name}(...)"
            elif self.scope.criteria and not self.scope.dated:
                hint = "判定表达式只能使用指标 id: " + ", ".join(sorted(self.scope.criteria))
            raise _Refused(node, f"未知名称 {name!r}", hint, "expr.unknown-name")
        if name not in self.names:
            self.names.append(name)
        return found[1]

    def _check_Attribute(self, node: ast.Attribute) -> Type:
        if node.attr.startswith("_"):
            raise _Refused(node, f"不允许访问 {node.attr}", code="expr.unsafe")
        if not isinstance(node.value, ast.Name) or (
            node.value.id not in self.locals and node.value.id not in self.scope.items
        ):
            raise _Refused(
                node,
                "只能在 for 循环变量上取字段, 如 m.age (m 来自 for m in members)",
                code="expr.unsafe",
            )
        item = self.locals.get(node.value.id) or self.scope.items[node.value.id]
        if node.value.id not in self.names and node.value.id in self.scope.items:
            self.names.append(node.value.id)
        assert item.fields is not None
        if node.attr not in item.fields:
            close = difflib.get_close_matches(node.attr, list(item.fields), n=3, cutoff=0.6)
            hint = "是否要找: " + ", ".join(close) if close else None
            raise _Refused(node, f"成员没有字段 {node.attr!r}", hint, "expr.unknown-name")
        return item.fields[node.attr]

    # -- operators
    def _check_BoolOp(self, node: ast.BoolOp) -> Type:
        for value in node.values:
            self._expect_bool(value)
        return BOOLEAN

    def _check_UnaryOp(self, node: ast.UnaryOp) -> Type:
        if isinstance(node.op, ast.Not):
            self._expect_bool(node.operand)
            return BOOLEAN
        if isinstance(node.op, ast.USub | ast.UAdd):
            t = self.check(node.operand)
            if t.kind != "number":
                raise _Refused(node, f"负号只能用于数值, 这里是{t.describe()}", code="expr.type")
            return NUMBER
        raise _Refused(node, "不支持按位取反 ~", code="expr.syntax")

    def _check_BinOp(self, node: ast.BinOp) -> Type:
        allowed = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
        if not isinstance(node.op, allowed):
            symbol = {
                ast.Pow: "**",
                ast.LShift: "<<",
                ast.RShift: ">>",
                ast.BitAnd: "&",
                ast.BitOr: "|",
                ast.BitXor: "^",
                ast.MatMult: "@",
            }.get(type(node.op), "?")
            raise _Refused(node, f"不支持运算符 {symbol}", code="expr.syntax")
        left, right = self.check(node.left), self.check(node.right)
        if isinstance(node.op, ast.Add) and left.textual and right.textual:
            return STRING
        if left.kind not in {"number", "any"} or right.kind not in {"number", "any"}:
            raise _Refused(
                node,
                f"算术运算需要数值, 这里是{left.describe()}和{right.describe()}",
                code="expr.type",
            )
        return NUMBER

    def _check_Compare(self, node: ast.Compare) -> Type:
        left_node = node.left
        left = self.check(left_node)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                self._check_membership(left_node, left, right_node)
                left_node, left = right_node, Type("list")
                continue
            if isinstance(op, ast.Is | ast.IsNot):
                raise _Refused(node, "不支持 is / is not, 请用 == 或 has()", code="expr.syntax")
            right = self._check_operand(right_node, left)
            self._translate_code(left_node, left, right_node, right)
            self._translate_code(right_node, right, left_node, left)
            ordering = not isinstance(op, ast.Eq | ast.NotEq)
            if not _comparable(left, right, ordering=ordering):
                raise _Refused(
                    node,
                    f"不能比较{left.describe()}和{right.describe()}",
                    code="expr.type",
                )
            left_node, left = right_node, right
        return BOOLEAN

    def _check_operand(self, node: ast.expr, other: Type) -> Type:
        return self.check(node)

    def _check_membership(self, left_node: ast.expr, left: Type, right_node: ast.expr) -> None:
        if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
            right = self.check(right_node)
            if right.kind == "list" and right.fields is None:
                # A list-of-values field, e.g. other_poverty_causes: '因病' in other_poverty_causes
                item = Type("code", codelist=right.codelist) if right.codelist else STRING
                self._translate_code(right_node, item, left_node, left)
                if not _comparable(left, item, ordering=False):
                    raise _Refused(
                        left_node, f"不能比较{left.describe()}和{item.describe()}", code="expr.type"
                    )
                return
            raise _Refused(
                right_node,
                "in 的右边须是方括号列表 (如 ['01', '04']) 或取值列表字段",
                code="expr.syntax",
            )
        if len(right_node.elts) > 200:
            raise _Refused(right_node, "列表项过多", code="expr.limit")
        for elt in right_node.elts:
            if not isinstance(elt, ast.Constant):
                raise _Refused(elt, "列表中只能写常量", code="expr.syntax")
            t = self.check(elt)
            self._translate_code(left_node, left, elt, t)
            if not _comparable(left, t, ordering=False):
                raise _Refused(elt, f"不能比较{left.describe()}和{t.describe()}", code="expr.type")

    def _translate_code(
        self, code_node: ast.expr, code_type: Type, literal: ast.expr, literal_type: Type
    ) -> None:
        """A literal compared with a coded field must be a code or a label of its list."""
        if code_type.kind != "code" or not isinstance(literal, ast.Constant):
            return
        if not isinstance(literal.value, str):
            return
        table = self.scope.codelists.get(code_type.codelist or "")
        if table is None:
            return
        if literal.value in table:
            return
        by_label = {label: code for code, label in table.items()}
        if literal.value in by_label:
            literal.value = by_label[literal.value]
            return
        options = [f"{c} {lab}" for c, lab in list(table.items())[:12]]
        raise _Refused(
            literal,
            f"{literal.value!r} 不在代码表 {code_type.codelist} 中",
            "可用: " + ", ".join(options),
            "expr.unknown-code",
        )

    def _check_IfExp(self, node: ast.IfExp) -> Type:
        self._expect_bool(node.test)
        body, orelse = self.check(node.body), self.check(node.orelse)
        if body.kind != orelse.kind and not (body.textual and orelse.textual):
            if "any" in {body.kind, orelse.kind}:  # a broken derived field, reported already
                return orelse if body.kind == "any" else body
            raise _Refused(
                node,
                f"条件表达式两个分支类型不同: {body.describe()}和{orelse.describe()}",
                code="expr.type",
            )
        return body

    def _check_Call(self, node: ast.Call) -> Type:
        if not isinstance(node.func, ast.Name):
            raise _Refused(node, "只能调用规则语言的函数", code="expr.unsafe")
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=3, cutoff=0.6)
            hint = "是否要找: " + ", ".join(close) if close else "可用函数见 docs/rule-language.md"
            raise _Refused(node, f"未知函数 {name!r}", hint, "expr.unknown-function")
        if node.keywords:
            raise _Refused(node, f"{name}() 不接受关键字参数", code="expr.syntax")
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise _Refused(node, "不支持 *参数", code="expr.syntax")
        if not function.min_args <= len(args) <= function.max_args:
            expected = (
                str(function.min_args)
                if function.min_args == function.max_args
                else f"{function.min_args} 到 {function.max_args}"
            )
            raise _Refused(
                node, f"{name}() 需要 {expected} 个参数, 给了 {len(args)} 个", code="expr.arity"
            )
        if function.aggregate:
            return self._check_aggregate(name, args[0])
        if name in {"has", "coalesce"}:
            return self._check_presence(name, args)
        types = [self.check(a) for a in args]
        return self._function_type(node, name, types)

    def _check_presence(self, name: str, args: list[ast.expr]) -> Type:
        target = args[0]
        if not isinstance(target, ast.Name | ast.Attribute):
            raise _Refused(target, f"{name}() 的第一个参数须是字段名", code="expr.syntax")
        t = self.check(target)
        if name == "has":
            return BOOLEAN
        default = self.check(args[1])
        if default.kind != t.kind and not (default.textual and t.textual):
            raise _Refused(args[1], f"默认值类型须与字段相同 ({t.describe()})", code="expr.type")
        return t

    def _check_aggregate(self, name: str, arg: ast.expr) -> Type:
        if not isinstance(arg, ast.GeneratorExp):
            if name in {"min", "max", "sum", "any", "all", "count"} and isinstance(arg, ast.Name):
                raise _Refused(
                    arg,
                    f"{name}() 需要写成 {name}(m.字段 for m in {arg.id})",
                    code="expr.syntax",
                )
            raise _Refused(arg, f"{name}() 的参数须是 for 表达式", code="expr.syntax")
        if len(arg.generators) != 1:
            raise _Refused(arg, "只支持一层 for", code="expr.syntax")
        gen = arg.generators[0]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise _Refused(arg, "for 后须是一个变量名", code="expr.syntax")
        var = gen.target.id
        if var.startswith("_") or var in self.locals or self.scope.lookup(var) is not None:
            raise _Refused(gen.target, f"循环变量名 {var!r} 已被占用, 请换一个", code="expr.syntax")
        iterable = self.check(gen.iter)
        if iterable.kind != "list" or iterable.fields is None:
            raise _Refused(gen.iter, "for ... in 后须是成员列表字段, 如 members", code="expr.type")
        self.locals[var] = Type("record", fields=iterable.fields)
        try:
            for cond in gen.ifs:
                self._expect_bool(cond)
            element = self.check(arg.elt)
        finally:
            del self.locals[var]
        if name in {"any", "all"}:
            if element.kind != "boolean":
                raise _Refused(arg.elt, f"{name}() 中每项须为是/否", code="expr.type")
            return BOOLEAN
        if name == "count":
            return NUMBER
        if name == "sum" and element.kind != "number":
            raise _Refused(arg.elt, "sum() 只能合计数值", code="expr.type")
        return element

    def _function_type(self, node: ast.Call, name: str, types: list[Type]) -> Type:
        def need(i: int, *kinds: str) -> None:
            t = types[i]
            ok = t.kind in kinds or t.kind == "any" or ("date" in kinds and t.kind == "string")
            if not ok:
                raise _Refused(
                    node.args[i],
                    f"{name}() 的第 {i + 1} 个参数须是"
                    f"{'或'.join(Type(k).describe() for k in kinds)}, 这里是{t.describe()}",
                    code="expr.type",
                )

        if name == "len":
            need(0, "list")
            return NUMBER
        if name in {"abs", "round"}:
            need(0, "number")
            if len(types) == 2:
                need(1, "number")
            return NUMBER
        if name in {"age", "year"}:
            need(0, "date")
            if name == "age":
                self._use_as_of()
            return NUMBER
        if name in {"age_at", "days_between"}:
            need(0, "date")
            need(1, "date")
            return NUMBER
        if name == "id_valid":
            need(0, "string")
            return BOOLEAN
        if name == "id_birth_date":
            need(0, "string")
            return DATE
        if name == "id_sex":
            need(0, "string")
            return STRING
        raise _Refused(node, f"函数 {name} 无类型规则")  # pragma: no cover - table is closed

    def _use_as_of(self) -> None:
        if "as_of" not in self.names:
            self.names.append("as_of")

    def _expect_bool(self, node: ast.expr) -> None:
        t = self.check(node)
        if t.kind not in {"boolean", "any"}:
            raise _Refused(
                node,
                f"这里需要是/否 (条件), 得到{t.describe()}",
                "例如写成 x > 0 或 has(x)",
                "expr.type",
            )

    # -- refused constructs with specific messages
    def _check_Subscript(self, node: ast.Subscript) -> Type:
        raise _Refused(node, "不支持下标 [...]", code="expr.syntax")

    def _check_Lambda(self, node: ast.Lambda) -> Type:
        raise _Refused(node, "不支持 lambda", code="expr.unsafe")

    def _check_NamedExpr(self, node: ast.NamedExpr) -> Type:
        raise _Refused(node, "不支持赋值 :=", code="expr.unsafe")


def _comparable(a: Type, b: Type, *, ordering: bool) -> bool:
    if "any" in {a.kind, b.kind}:
        return True
    if a.kind == "number" and b.kind == "number":
        return True
    if a.textual and b.textual:
        return not (ordering and "code" in {a.kind, b.kind})
    if a.kind == "boolean" and b.kind == "boolean":
        return not ordering
    return False


def _describe(node: ast.AST) -> str:
    names = {
        "ListComp": "列表推导",
        "DictComp": "字典推导",
        "SetComp": "集合推导",
        "GeneratorExp": "for 表达式 (只能作为 count/any/all/sum/min/max 的参数)",
        "Dict": "字典",
        "List": "列表 (只能用在 in 的右边)",
        "Tuple": "元组 (只能用在 in 的右边)",
        "Set": "集合",
        "JoinedStr": "f 字符串",
        "Await": "await",
        "Yield": "yield",
        "YieldFrom": "yield",
        "Starred": "*",
        "Slice": "切片",
    }
    return names.get(type(node).__name__, type(node).__name__)


# --------------------------------------------------------------------------- entry point


def compile_expression(
    source: str,
    scope: Scope,
    *,
    expect: str | None = "boolean",
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    path: str = "",
) -> Expression:
    """Parse and check ``source`` in ``scope``; return an :class:`Expression`.

    ``expect`` is the type the result must have (``boolean`` for tests and conditions,
    ``number`` or ``None`` for derived fields). ``file``, ``line``, ``column`` and ``path``
    locate the expression in its rule file; problems are reported there.
    Raises :class:`ExpressionError` for anything refused.
    """

    def refuse(node: ast.AST | None, message: str, hint: str | None, code: str) -> ExpressionError:
        col = column
        ln = line
        if node is not None and hasattr(node, "col_offset") and line is not None:
            ln, col = _position(
                line, column, getattr(node, "lineno", 1), node.col_offset, text, wrapped=True
            )
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

    text = source.strip() if isinstance(source, str) else ""
    if not text:
        raise refuse(None, "表达式为空", None, "expr.empty")
    if len(source) > MAX_LENGTH:
        raise refuse(None, f"表达式超过 {MAX_LENGTH} 字", "请拆成派生字段", "expr.limit")
    try:
        # Parsed inside parentheses so that an expression may run over several lines (as YAML
        # block scalars do) with string literals and positions kept as written.
        tree = ast.parse(_wrap(text), mode="eval")
    except SyntaxError as exc:
        hint = None
        if "=" in text and "==" not in text:
            hint = "比较相等请用 =="
        message = f"表达式语法错误: {exc.msg}"
        ln, col = _position(
            line, column, exc.lineno or 1, (exc.offset or 2) - 1, text, wrapped=True
        )
        raise ExpressionError(
            Problem(
                message, file=file, line=ln, column=col, path=path, hint=hint, code="expr.syntax"
            )
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise refuse(None, "表达式嵌套过深或过大", None, "expr.limit") from None
    for count, _node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise refuse(
                None, f"表达式过于复杂 (超过 {MAX_NODES} 个节点)", "请拆成派生字段", "expr.limit"
            )
    if _depth(tree) > MAX_DEPTH:
        raise refuse(None, f"表达式嵌套超过 {MAX_DEPTH} 层", "请拆成派生字段", "expr.limit")
    checker = _Checker(scope=scope, source=_wrap(text))
    try:
        result_type = checker.check(tree.body)
        if expect == "boolean" and result_type.kind not in {"boolean", "any"}:
            raise _Refused(
                tree.body,
                f"结果须为是/否 (条件), 这里是{result_type.describe()}",
                "例如写成 x > 0",
                "expr.type",
            )
        if expect == "number" and result_type.kind != "number":
            raise _Refused(
                tree.body, f"结果须为数值, 这里是{result_type.describe()}", None, "expr.type"
            )
    except _Refused as exc:
        raise refuse(exc.node, exc.message, exc.hint, exc.code) from None
    except RecursionError:
        raise refuse(None, "表达式嵌套过深", None, "expr.limit") from None
    fn, python = _generate(tree)
    return Expression(
        source=text,
        type=result_type,
        names=tuple(checker.names),
        tree=tree,
        fn=fn,
        python=python,
    )


def _wrap(text: str) -> str:
    return f"({text}\n)"


def _position(
    line: int | None, column: int | None, lineno: int, byte_offset: int, text: str, *, wrapped: bool
) -> tuple[int | None, int | None]:
    """Where a parser position (1-based line, UTF-8 byte offset) of ``text`` is in the file,
    given that ``text`` starts at ``line``:``column``. ``wrapped``: parsed as ``(text)``."""
    if line is None:
        return None, None
    lines = text.split("\n")
    index = min(max(lineno, 1), len(lines)) - 1
    source_line = ("(" + lines[0]) if wrapped and index == 0 else lines[index]
    chars = len(source_line.encode("utf-8")[:byte_offset].decode("utf-8", "ignore"))
    if wrapped and index == 0:
        chars -= 1
    if index == 0:
        return line, (column or 1) + max(chars, 0)
    return line + index, 1 + max(chars, 0)


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    deepest = level
    for child in ast.iter_child_nodes(node):
        deepest = max(deepest, _depth(child, level + 1))
    return deepest
