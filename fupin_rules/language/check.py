"""The checker: parsed text into a checked tree (:mod:`.tree`), or a refusal saying why.

It accepts an allow-list of Python expression syntax, resolves every name in its scope, applies
the type rules of the language's table (:mod:`.table`), and translates code labels written in
an expression into their codes. It holds every number literal to the bounds on written numbers
(:class:`.limits.NumberLimits`), and every constant to the rule of the operation it is given to
(:class:`.table.ConstantRule`): a constant that would make the expression fail on every record
is refused now. Everything else is refused with a message for policy staff and the node it
concerns, so that the caller can place it at file, line and column.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from . import runtime
from . import tree as t
from .limits import DECIMALS, MAX_HINT_COMPARISONS, MAX_OPTIONS, MAX_STRING, NumberLimits
from .syntax import BINARY_AST, COMPARE_AST
from .table import FUNCTIONS, KIND_CONSTANTS, OPERATORS, ConstantRule, Function, Strategy
from .types import BOOLEAN, NUMBER, STRING, Scope, Type

__all__ = ["Checker", "Hints", "Refused"]


class Refused(Exception):
    """An expression (or a part of it, ``node``) is not allowed, with the reason."""

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


_BOOLEAN_NAMES = {"true": True, "True": True, "false": False, "False": False}
_BINARY = {node: symbol for symbol, node in BINARY_AST.items()}
_REFUSED_BINARY = {
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.MatMult: "@",
}
_COMPARE = {node: symbol for symbol, node in COMPARE_AST.items()}
_BRACKETS = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}
_PYTHON_OPS: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub}
"""The operators the table leaves to Python (``Operator.runtime`` None), for constants."""
_FOLDED = {"+", "-", "*"}
"""The operators whose constant results are computed at load, as evaluation computes them."""
_NOT_CONSTANT = object()


@attrs.define
class Hints:
    """Close names offered for an unknown name (``是否要找: ...``), within a budget.

    Finding close names compares the unknown name with every name in scope, so thousands of
    unknown names in a scope of thousands of names would take minutes. One budget is shared by
    every expression and template of a rule set (the loader passes it); once ``budget``
    comparisons are spent, unknown names are still reported, without close names.
    """

    budget: int = MAX_HINT_COMPARISONS

    def close(
        self, word: str, size: int, candidates: Callable[[], Sequence[str]], n: int = 3
    ) -> list[str]:
        """Up to ``n`` names of ``candidates`` (``size`` of them, counted before they are
        listed) close to ``word``, or none once the budget is spent."""
        if size > self.budget:
            return []
        self.budget -= size
        return difflib.get_close_matches(word, candidates(), n=n, cutoff=0.6)

    def in_scope(self, word: str, scope: Scope, extra: Sequence[str] = (), n: int = 3) -> list[str]:
        """Up to ``n`` names of ``scope`` (and ``extra``) close to ``word``."""
        tables = (scope.fields, scope.derived, scope.parameters, scope.criteria, scope.items)
        size = sum(map(len, tables)) + len(extra) + 1
        return self.close(word, size, lambda: [*scope.names(), *extra], n)


@attrs.define
class Checker:
    """Checks one expression in ``scope``; ``source`` is its text as parsed (for literals)."""

    scope: Scope
    source: str
    locals: dict[str, Type] = attrs.field(factory=dict)
    names: list[str] = attrs.field(factory=list)
    """The names of the scope the expression reads, in the order first met."""
    numbers: NumberLimits = attrs.field(factory=NumberLimits)
    """The bounds on number literals."""
    hints: Hints = attrs.field(factory=Hints)
    values: dict[t.Node, Any] = attrs.field(factory=dict)
    """The value of each constant arithmetic node checked so far (see :meth:`_constant`)."""

    def check(self, node: ast.expr) -> t.Node:
        """The checked tree of ``node``. Raises :class:`Refused`."""
        method = getattr(self, f"_check_{type(node).__name__}", None)
        if method is None:
            raise Refused(node, f"不支持的写法: {_describe(node)}", code="expr.syntax")
        result: t.Node = method(node)
        return result

    # -- leaves
    def _check_Constant(self, node: ast.Constant) -> t.Node:
        value = node.value
        if isinstance(value, bool):
            return t.Const(value, BOOLEAN)
        if isinstance(value, int):
            # Python has converted the literal already, at little cost: an expression is at
            # most MAX_LENGTH characters.
            self._bounded(node, value)
            return t.Const(value, NUMBER)
        if isinstance(value, float):
            text = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
            try:
                exact = Decimal(text)
            except InvalidOperation:
                # The only float literal Decimal cannot read: an exponent beyond its range.
                raise Refused(
                    node,
                    f"数值 {text[:32]} 的指数过大",
                    "检查指数 (e 后面的数)",
                    "expr.number-too-large",
                ) from None
            self._bounded(node, exact)
            return t.Const(exact, NUMBER)
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise Refused(node, f"文本常量超过 {MAX_STRING} 字", code="expr.limit")
            return t.Const(value, STRING)
        raise Refused(node, f"不支持的常量 {value!r}", code="expr.syntax")

    def _check_Name(self, node: ast.Name) -> t.Node:
        name = node.id
        if name.startswith("_"):
            raise Refused(node, f"名称不能以下划线开头: {name}", code="expr.unsafe")
        if name in self.locals:
            return t.Var(name, self.locals[name])
        if name in _BOOLEAN_NAMES:
            return t.Const(_BOOLEAN_NAMES[name], BOOLEAN, written=name)
        found = self.scope.lookup(name)
        if found is None:
            close = self.hints.in_scope(name, self.scope, list(self.locals))
            hint = "是否要找: " + ", ".join(close) if close else None
            if name in FUNCTIONS:
                hint = f"{name} 是函数, 请写成 {name}(...)"
            elif self.scope.criteria and not self.scope.dated:
                hint = "判定表达式只能使用指标 id: " + ", ".join(sorted(self.scope.criteria))
            raise Refused(node, f"未知名称 {name!r}", hint, "expr.unknown-name")
        self._read(name)
        role, type_ = found
        return t.Name(name, role, type_)

    def _read(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def _check_Attribute(self, node: ast.Attribute) -> t.Node:
        if node.attr.startswith("_"):
            raise Refused(node, f"不允许访问 {node.attr}", code="expr.unsafe")
        base = node.value
        if not isinstance(base, ast.Name) or (
            base.id not in self.locals and base.id not in self.scope.items
        ):
            raise Refused(
                node,
                "只能在 for 循环变量上取字段, 如 m.age (m 来自 for m in members)",
                code="expr.unsafe",
            )
        target: t.Name | t.Var
        if base.id in self.locals:
            item = self.locals[base.id]
            target = t.Var(base.id, item)
        else:
            item = self.scope.items[base.id]
            self._read(base.id)
            target = t.Name(base.id, "item", item)
        fields = item.fields or {}
        if node.attr not in fields:
            close = self.hints.close(node.attr, len(fields), lambda: list(fields))
            hint = "是否要找: " + ", ".join(close) if close else None
            raise Refused(node, f"成员没有字段 {node.attr!r}", hint, "expr.unknown-name")
        return t.Attr(target, node.attr, fields[node.attr])

    # -- operators
    def _check_BoolOp(self, node: ast.BoolOp) -> t.Node:
        operands = tuple(self._boolean(v) for v in node.values)
        return t.Logic("and" if isinstance(node.op, ast.And) else "or", operands)

    def _check_UnaryOp(self, node: ast.UnaryOp) -> t.Node:
        if isinstance(node.op, ast.Not):
            return t.Unary("not", self._boolean(node.operand), BOOLEAN)
        if isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.check(node.operand)
            if operand.type.kind != "number":
                raise Refused(
                    node, f"负号只能用于数值, 这里是{operand.type.describe()}", code="expr.type"
                )
            negative = isinstance(node.op, ast.USub)
            result = t.Unary("-" if negative else "+", operand, NUMBER)
            value = self._constant(operand)
            if value is not _NOT_CONSTANT:
                with decimal.localcontext(DECIMALS):
                    self.values[result] = -value if negative else value
            return result
        raise Refused(node, "不支持按位取反 ~", code="expr.syntax")

    def _check_BinOp(self, node: ast.BinOp) -> t.Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            symbol = _REFUSED_BINARY.get(type(node.op), "?")
            raise Refused(node, f"不支持运算符 {symbol}", code="expr.syntax")
        left, right = self.check(node.left), self.check(node.right)
        if op == "+" and left.type.textual and right.type.textual:
            return t.Binary(op, left, right, STRING)
        if left.type.kind not in {"number", "any"} or right.type.kind not in {"number", "any"}:
            raise Refused(
                node,
                f"算术运算需要数值, 这里是{left.type.describe()}和{right.type.describe()}",
                code="expr.type",
            )
        result = t.Binary(op, left, right, NUMBER)
        spec = OPERATORS[op]
        a, b = self._constant(left), self._constant(right)
        if spec.divisor is not None and b is not _NOT_CONSTANT:
            self._meets(node.right, spec.divisor, b, "除数无效")
        if op in _FOLDED and a is not _NOT_CONSTANT and b is not _NOT_CONSTANT:
            run = spec.runtime or _PYTHON_OPS[op]
            try:
                with decimal.localcontext(DECIMALS):
                    self.values[result] = run(a, b)
            except runtime.EXPLAINED as exc:
                raise Refused(
                    node,
                    f"常量运算在每条记录上都会失败: {exc}",
                    "检查数字是否写错",
                    "expr.constant",
                ) from None
        return result

    def _constant(self, node: t.Node) -> Any:
        """The value of ``node`` if it is a constant: a literal, or ``+``, ``-``, ``*`` and
        signs of constant numbers (computed when checked); else a marker that it is not."""
        if isinstance(node, t.Const):
            return node.value
        return self.values.get(node, _NOT_CONSTANT)

    def _meets(self, node: ast.expr, rule: ConstantRule, value: Any, what: str) -> None:
        """Refuse the constant ``value`` (written at ``node``) if ``rule`` does."""
        try:
            rule.check(value)
        except runtime.EXPLAINED as exc:
            raise Refused(node, f"{what}: {exc}", rule.hint, "expr.constant") from None

    def _kind_constant(self, other: t.Node, node: ast.expr, checked: t.Node) -> None:
        """A constant compared with ``other`` meets the rule of ``other``'s kind (a text
        compared with a date is a real date)."""
        rule = KIND_CONSTANTS.get(other.type.kind)
        value = self._constant(checked)
        if rule is not None and value is not _NOT_CONSTANT:
            self._meets(node, rule, value, f"与{other.type.describe()}比较的常量无效")

    def _bounded(self, node: ast.expr, value: int | Decimal) -> None:
        breach = self.numbers.breach(value)
        if breach is not None:
            raise Refused(node, breach.message, breach.hint, f"expr.number-{breach.kind}")

    def _check_Compare(self, node: ast.Compare) -> t.Node:
        operands: list[t.Node] = [self.check(node.left)]
        ops: list[str] = []
        sources: list[ast.expr] = [node.left]
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                raise Refused(node, "不支持 is / is not, 请用 == 或 has()", code="expr.syntax")
            symbol = _COMPARE[type(op)]
            left_node, left = sources[-1], operands[-1]
            if symbol in {"in", "not in"}:
                operands[-1], right = self._membership(left_node, left, right_node)
            else:
                right = self.check(right_node)
                right = self._translate(left.type, right_node, right)
                operands[-1] = left = self._translate(right.type, left_node, left)
                ordering = symbol not in {"==", "!="}
                if not _comparable(left.type, right.type, ordering=ordering):
                    raise Refused(
                        node,
                        f"不能比较{left.type.describe()}和{right.type.describe()}",
                        code="expr.type",
                    )
                self._kind_constant(left, right_node, right)
                self._kind_constant(right, left_node, left)
            operands.append(right)
            ops.append(symbol)
            sources.append(right_node)
        return t.Compare(tuple(operands), tuple(ops))

    def _membership(
        self, left_node: ast.expr, left: t.Node, right_node: ast.expr
    ) -> tuple[t.Node, t.Node]:
        """The left side (a literal translated for the right's code list) and the right side
        of ``left in right``."""
        bracket = _BRACKETS.get(type(right_node))
        if bracket is None:
            right = self.check(right_node)
            if right.type.kind == "list" and right.type.fields is None:
                # A list-of-values field, e.g. other_poverty_causes: '1' in other_poverty_causes
                codelist = right.type.codelist
                item = Type("code", codelist=codelist) if codelist else STRING
                left = self._translate(item, left_node, left)
                if not _comparable(left.type, item, ordering=False):
                    raise Refused(
                        left_node,
                        f"不能比较{left.type.describe()}和{item.describe()}",
                        code="expr.type",
                    )
                return left, right
            raise Refused(
                right_node,
                "in 的右边须是方括号列表 (如 ['01', '04']) 或取值列表字段",
                code="expr.syntax",
            )
        assert isinstance(right_node, ast.List | ast.Tuple | ast.Set)
        if len(right_node.elts) > MAX_OPTIONS:
            raise Refused(right_node, "列表项过多", code="expr.limit")
        items: list[t.Const] = []
        for elt in right_node.elts:
            if not isinstance(elt, ast.Constant):
                raise Refused(elt, "列表中只能写常量", code="expr.syntax")
            const = self.check(elt)
            const = self._translate(left.type, elt, const)
            if not _comparable(left.type, const.type, ordering=False):
                raise Refused(
                    elt,
                    f"不能比较{left.type.describe()}和{const.type.describe()}",
                    code="expr.type",
                )
            assert isinstance(const, t.Const)
            self._kind_constant(left, elt, const)
            items.append(const)
        return left, t.Options.of(tuple(items), bracket, Type("list"))

    def _translate(self, code_type: Type, literal_node: ast.expr, literal: t.Node) -> t.Node:
        """A text literal compared with a coded value: the code it names (a code or a label of
        the list), or a refusal."""
        if code_type.kind != "code" or not isinstance(literal, t.Const):
            return literal
        if not isinstance(literal.value, str):
            return literal
        table = self.scope.codelists.get(code_type.codelist or "")
        if table is None or literal.value in table:
            return literal
        by_label = {label: code for code, label in table.items()}
        if literal.value in by_label:
            return t.Const(by_label[literal.value], literal.type)
        options = [f"{c} {lab}" for c, lab in list(table.items())[:12]]
        raise Refused(
            literal_node,
            f"{literal.value!r} 不在代码表 {code_type.codelist} 中",
            "可用: " + ", ".join(options),
            "expr.unknown-code",
        )

    def _check_IfExp(self, node: ast.IfExp) -> t.Node:
        test = self._boolean(node.test)
        body, orelse = self.check(node.body), self.check(node.orelse)
        a, b = body.type, orelse.type
        result = a
        if a.kind != b.kind and not (a.textual and b.textual):
            if "any" not in {a.kind, b.kind}:
                raise Refused(
                    node,
                    f"条件表达式两个分支类型不同: {a.describe()}和{b.describe()}",
                    code="expr.type",
                )
            result = b if a.kind == "any" else a  # a broken derived field, reported already
        return t.Cond(test, body, orelse, result)

    def _check_Call(self, node: ast.Call) -> t.Node:
        if not isinstance(node.func, ast.Name):
            raise Refused(node, "只能调用规则语言的函数", code="expr.unsafe")
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            close = self.hints.close(name, len(FUNCTIONS), lambda: list(FUNCTIONS))
            hint = "是否要找: " + ", ".join(close) if close else "可用函数见 docs/rule-language.md"
            raise Refused(node, f"未知函数 {name!r}", hint, "expr.unknown-function")
        if node.keywords:
            raise Refused(node, f"{name}() 不接受关键字参数", code="expr.syntax")
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise Refused(node, "不支持 *参数", code="expr.syntax")
        if not function.min_args <= len(args) <= function.max_args:
            expected = (
                str(function.min_args)
                if function.min_args == function.max_args
                else f"{function.min_args} 到 {function.max_args}"
            )
            raise Refused(
                node, f"{name}() 需要 {expected} 个参数, 给了 {len(args)} 个", code="expr.arity"
            )
        if function.aggregate:
            return self._aggregate(function, args[0])
        if function.strategy in {Strategy.PRESENCE, Strategy.DEFAULT}:
            return self._presence(function, args)
        checked = tuple(self.check(a) for a in args)
        for i, (arg, kinds) in enumerate(zip(checked, function.params, strict=False)):
            if not _accepts(kinds, arg.type):
                raise Refused(
                    args[i],
                    f"{name}() 的第 {i + 1} 个参数须是{_kinds(kinds)}, 这里是{arg.type.describe()}",
                    code="expr.type",
                )
            rule = function.constant_rule(i)
            value = self._constant(arg)
            if rule is not None and value is not _NOT_CONSTANT:
                self._meets(args[i], rule, value, f"{name}() 的第 {i + 1} 个参数无效")
        if function.dated:
            self._read("as_of")
        return t.Call(name, checked, _result(function, checked))

    def _presence(self, function: Function, args: list[ast.expr]) -> t.Node:
        target_node = args[0]
        if not isinstance(target_node, ast.Name | ast.Attribute):
            raise Refused(
                target_node, f"{function.name}() 的第一个参数须是字段名", code="expr.syntax"
            )
        target = self.check(target_node)
        if function.strategy is Strategy.PRESENCE:
            return t.Call(function.name, (target,), BOOLEAN)
        default = self.check(args[1])
        a, b = target.type, default.type
        if b.kind != a.kind and not (b.textual and a.textual):
            raise Refused(args[1], f"默认值类型须与字段相同 ({a.describe()})", code="expr.type")
        rule = KIND_CONSTANTS.get(a.kind)
        value = self._constant(default)
        if rule is not None and value is not _NOT_CONSTANT:
            self._meets(args[1], rule, value, f"{function.name}() 的默认值无效")
        return t.Call(function.name, (target, default), a)

    def _aggregate(self, function: Function, arg: ast.expr) -> t.Node:
        name = function.name
        if not isinstance(arg, ast.GeneratorExp):
            if isinstance(arg, ast.Name):
                raise Refused(
                    arg,
                    f"{name}() 需要写成 {name}(m.字段 for m in {arg.id})",
                    code="expr.syntax",
                )
            raise Refused(arg, f"{name}() 的参数须是 for 表达式", code="expr.syntax")
        if len(arg.generators) != 1:
            raise Refused(arg, "只支持一层 for", code="expr.syntax")
        gen = arg.generators[0]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise Refused(arg, "for 后须是一个变量名", code="expr.syntax")
        var = gen.target.id
        if var.startswith("_") or var in self.locals or self.scope.lookup(var) is not None:
            raise Refused(gen.target, f"循环变量名 {var!r} 已被占用, 请换一个", code="expr.syntax")
        source = self.check(gen.iter)
        if source.type.kind != "list" or source.type.fields is None:
            raise Refused(gen.iter, "for ... in 后须是成员列表字段, 如 members", code="expr.type")
        self.locals[var] = Type("record", fields=source.type.fields)
        try:
            conditions = tuple(self._boolean(c) for c in gen.ifs)
            element = self.check(arg.elt)
        finally:
            del self.locals[var]
        kinds = function.params[0]
        if not _accepts(kinds, element.type):
            if kinds == {"boolean"}:
                message = f"{name}() 中每项须为是/否"
            elif name == "sum":
                message = "sum() 只能合计数值"
            else:
                message = f"{name}() 的每项须是{_kinds(kinds)}, 这里是{element.type.describe()}"
            raise Refused(arg.elt, message, code="expr.type")
        type_ = element.type if function.result == 0 else _result(function, (element,))
        return t.Aggregate(name, var, source, conditions, element, type_)

    def _boolean(self, node: ast.expr) -> t.Node:
        checked = self.check(node)
        if checked.type.kind not in {"boolean", "any"}:
            raise Refused(
                node,
                f"这里需要是/否 (条件), 得到{checked.type.describe()}",
                "例如写成 x > 0 或 has(x)",
                "expr.type",
            )
        return checked

    # -- refused constructs with specific messages
    def _check_Subscript(self, node: ast.Subscript) -> t.Node:
        raise Refused(node, "不支持下标 [...]", code="expr.syntax")

    def _check_Lambda(self, node: ast.Lambda) -> t.Node:
        raise Refused(node, "不支持 lambda", code="expr.unsafe")

    def _check_NamedExpr(self, node: ast.NamedExpr) -> t.Node:
        raise Refused(node, "不支持赋值 :=", code="expr.unsafe")


def _accepts(kinds: frozenset[str], type_: Type) -> bool:
    """Whether a value of ``type_`` may stand where ``kinds`` are expected."""
    kind = type_.kind
    return kind in kinds or kind == "any" or ("date" in kinds and kind == "string")


def _kinds(kinds: frozenset[str]) -> str:
    return "或".join(Type(k).describe() for k in sorted(kinds))


def _result(function: Function, args: tuple[t.Node, ...]) -> Type:
    rule = function.result
    if isinstance(rule, int):
        return args[rule].type
    return rule


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
