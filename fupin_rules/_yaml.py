"""Safe YAML reading with source positions, for files written by people.

The loader is a private subclass of PyYAML's SafeLoader machinery; nothing global is patched.
It reads YAML the way policy staff expect and refuses what would surprise them:

* YAML 1.2 core scalars only: ``true``/``false`` are booleans, ``no``/``on``/``yes`` stay text,
  ``1:20`` stays text, dates stay text (checked later by the schema), numbers with a leading zero
  (``01``) stay text because they are nearly always codes; decimals become exact ``Decimal``.
* Duplicate keys, anchors and aliases (the "billion laughs" bomb), explicit tags (``!!python/...``),
  ``NaN``/``inf``, nesting deeper than :data:`MAX_DEPTH`, keys and values longer than
  :data:`MAX_SCALAR`, numbers written longer than :data:`MAX_NUMBER_TEXT` and files over
  :data:`MAX_BYTES` are refused with a :class:`~fupin_rules.errors.Problem` naming the line and
  column.

These are the reader's own bounds: what it takes to read a file at little cost (a number is
converted only once its text is known to be short, so that ``0x`` and 100,000 digits costs
nothing). The bounds on the numbers themselves (their magnitude, their digits) are the rule
language's (``fupin_rules.language.limits``), checked with each file's schema
(``fupin_rules.schemas.document_problems``), since this foundation cannot import the language.

:func:`read_yaml` returns a :class:`YamlDocument`: the plain data and a map from field paths to
(line, column), used to point every later problem (schema, names, expressions) at its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import yaml
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .errors import Problem, RuleFileError, format_path

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NUMBER_TEXT",
    "MAX_SCALAR",
    "YamlDocument",
    "locate",
    "problem_at",
    "read_yaml",
    "read_yaml_text",
    "walk",
]

MAX_BYTES = 5_000_000
"""Largest rule file accepted, in bytes."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted."""
MAX_SCALAR = 10_000
"""Longest key or value accepted, in characters (the longest text in the bundled standards is
a few hundred); a longer one is refused as it is read, before anything else looks at it."""
MAX_NUMBER_TEXT = 120
"""Longest number text converted, in characters: more than any number within the rule
language's bounds needs (``fupin_rules.language.limits.DIGITS_CEILING`` digits)."""

Path_ = tuple[str | int, ...]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$"
)
_NONFINITE = re.compile(r"^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$")

_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _Resolver(BaseResolver):
    """YAML 1.2 core schema, without timestamps or sexagesimal numbers."""


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789")),
):
    _Resolver.add_implicit_resolver(_tag, _regexp, _first)


class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark: Any) -> None:
        super().__init__("anchors and aliases are not supported")
        self.mark = mark


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: Any) -> None:
        super().__init__("too deep")
        self.mark = mark


class _PyEvents(Reader, Scanner, Parser):
    """PyYAML's pure-Python event parser (used when libyaml is not available)."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


def _events(text: str) -> Any:
    """An event parser: libyaml's C parser when present (fast), PyYAML's otherwise."""
    if yaml.__with_libyaml__:
        from yaml import cyaml

        return cyaml.CParser(text)  # type: ignore[attr-defined]
    return _PyEvents(text)


_RESOLVER = _Resolver()


@attrs.frozen
class YamlDocument:
    """Plain data read from one YAML file, with the position of every field."""

    file: str
    data: Any
    marks: Mapping[Path_, tuple[int, int]]
    """Where each field's key is (for a list item or the root: where the value starts)."""
    value_marks: Mapping[Path_, tuple[int, int]] = attrs.field(factory=dict)
    """Where each scalar value starts (used to point inside expressions)."""

    def locate_value(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column where the value at ``path`` starts (falls back to :meth:`locate`)."""
        mark = self.value_marks.get(tuple(path))
        return mark if mark is not None else self.locate(path)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the field at ``path``, or of its nearest parent."""
        return locate(self.marks, path)

    def problem(
        self, path: Path_, message: str, *, hint: str | None = None, code: str = "error"
    ) -> Problem:
        """A :class:`Problem` placed at ``path`` in this document."""
        return problem_at(self.file, self.marks, path, message, hint=hint, code=code)


def locate(
    marks: Mapping[Path_, tuple[int, int]], path: Sequence[str | int]
) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the field at ``path`` by ``marks`` (a document's), or of
    its nearest parent; ``(None, None)`` if not even the root is known."""
    parts = tuple(path)
    while True:
        mark = marks.get(parts)
        if mark is not None:
            return mark
        if not parts:
            return (None, None)
        parts = parts[:-1]


def problem_at(
    file: str,
    marks: Mapping[Path_, tuple[int, int]],
    path: Sequence[str | int],
    message: str,
    *,
    hint: str | None = None,
    code: str = "error",
) -> Problem:
    """A :class:`Problem` placed at ``path`` of ``file``, by its ``marks``."""
    line, column = locate(marks, path)
    return Problem(
        message=message,
        file=file,
        line=line,
        column=column,
        path=format_path(tuple(path)),
        hint=hint,
        code=code,
    )


def read_yaml(path: str | Path, *, display_name: str | None = None) -> YamlDocument:
    """Read a YAML file safely. Raises :class:`RuleFileError` naming file, line and column."""
    name = display_name or str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            # No more than one byte past the limit is read, whatever the file's size.
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RuleFileError(
            [Problem(f"无法读取文件: {exc.strerror or exc}", file=name, code="file.unreadable")]
        ) from exc
    if len(raw) > MAX_BYTES:
        line, column = _byte_position(raw, MAX_BYTES)
        raise RuleFileError([_too_large(name, line, column, max(size, len(raw)))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        raise RuleFileError(
            [
                Problem(
                    f"文件不是 UTF-8 编码 (第 {exc.start} 字节)",
                    file=name,
                    line=line,
                    column=column,
                    hint="请用 UTF-8 保存规则文件",
                    code="yaml.encoding",
                )
            ]
        ) from exc
    return read_yaml_text(text, name)


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based, in characters) of byte ``offset`` of ``raw``."""
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", "ignore")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _text_position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (1-based) of character ``offset`` of ``text``."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _too_large(name: str, line: int, column: int, size: int) -> Problem:
    return Problem(
        f"文件过大 ({size} 字节), 上限 {MAX_BYTES} 字节 (在这里达到上限)",
        file=name,
        line=line,
        column=column,
        hint="把内容拆到几个文件中 (修订版可用 extends), 或删去不需要的部分",
        code="yaml.too-large",
    )


def read_yaml_text(text: str, name: str = "<string>") -> YamlDocument:
    """Read YAML from a string; see :func:`read_yaml`."""
    if len(text) > MAX_BYTES // 4:
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded) > MAX_BYTES:
            limit = len(encoded[:MAX_BYTES].decode("utf-8", "ignore"))
            line, column = _text_position(text, limit)
            raise RuleFileError([_too_large(name, line, column, len(encoded))])
    builder = _Builder(name)
    try:
        data = builder.document(_events(text))
    except _AliasRefused as exc:
        raise RuleFileError(
            [
                _at(
                    name,
                    exc.mark,
                    "不支持 YAML 锚点和别名 (& 与 *)",
                    "请把内容直接写出",
                    "yaml.alias",
                )
            ]
        ) from None
    except _TooDeep as exc:
        raise RuleFileError(
            [_at(name, exc.mark, f"嵌套层数超过 {MAX_DEPTH}", None, "yaml.too-deep")]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML 语法错误: {_explain_syntax(str(exc.problem or exc.context))}"
        raise RuleFileError(
            [_at(name, mark, message, "检查缩进、冒号和引号", "yaml.syntax")]
        ) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        where = ""
        at: tuple[int | None, int | None] = (None, None)
        if isinstance(position, int):
            # libyaml counts the position in bytes of UTF-8, PyYAML's reader in characters.
            if yaml.__with_libyaml__:
                encoded = text.encode("utf-8", "surrogatepass")
                position = len(encoded[:position].decode("utf-8", "ignore"))
            where, at = f" (第 {position + 1} 个字符)", _text_position(text, position)
        raise RuleFileError(
            [
                Problem(
                    f"文件含有 YAML 不允许的字符{where}",
                    file=name,
                    line=at[0],
                    column=at[1],
                    code="yaml.character",
                )
            ]
        ) from None
    if builder.problems:
        raise RuleFileError(builder.problems)
    return YamlDocument(file=name, data=data, marks=builder.marks, value_marks=builder.value_marks)


class _Builder:
    """Builds plain data from parser events, keeping positions and refusing surprises."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.value_marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def document(self, parser: Any) -> Any:
        parser.get_event()  # StreamStartEvent
        event = parser.get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        data = self.node(parser, parser.get_event(), (), 1)
        parser.get_event()  # DocumentEndEvent
        event = parser.get_event()
        if not isinstance(event, yaml.StreamEndEvent):
            self.problems.append(
                _at(
                    self.name,
                    event.start_mark,
                    "一个文件只能有一个 YAML 文档 (---)",
                    None,
                    "yaml.documents",
                )
            )
        return data

    def node(self, parser: Any, event: Any, path: Path_, depth: int) -> Any:
        mark: Any = event.start_mark
        self.marks.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _AliasRefused(mark)
        if depth > MAX_DEPTH:
            raise _TooDeep(mark)
        tag = getattr(event, "tag", None)
        bad_tag = tag not in (None, "!") and tag not in _STD_TAGS
        if bad_tag:
            self.problems.append(
                _at(self.name, mark, f"不支持的 YAML 标签 {tag!r}", None, "yaml.tag")
            )
        if isinstance(event, yaml.MappingStartEvent):
            out: dict[str, Any] = {}
            while True:
                key_event = parser.get_event()
                if isinstance(key_event, yaml.MappingEndEvent):
                    break
                if not isinstance(key_event, yaml.ScalarEvent):
                    self.problems.append(
                        _at(self.name, key_event.start_mark, "键必须是简单文本", None, "yaml.key")
                    )
                    self.node(parser, key_event, (*path, "?"), depth + 1)
                    self.node(parser, parser.get_event(), (*path, "?"), depth + 1)
                    continue
                key = key_event.value
                key_mark: Any = key_event.start_mark
                if key_event.anchor:
                    raise _AliasRefused(key_mark)
                if len(key) > MAX_SCALAR:
                    self.problems.append(_too_long(self.name, key_mark, len(key), path))
                    self.node(parser, parser.get_event(), (*path, "?"), depth + 1)
                    continue
                if key == "<<" and not key_event.style:
                    self.problems.append(
                        _at(self.name, key_mark, "不支持合并键 <<", None, "yaml.merge")
                    )
                    self.node(parser, parser.get_event(), (*path, "?"), depth + 1)
                    continue
                child = (*path, key)
                if key in out:
                    first = self.marks.get(child)
                    where = f" (第一次出现在第 {first[0]} 行)" if first else ""
                    self.problems.append(
                        _at(
                            self.name,
                            key_mark,
                            f"重复的键 {key!r}{where}",
                            "每个键在同一层只能写一次",
                            "yaml.duplicate-key",
                        )
                    )
                    self.node(parser, parser.get_event(), (*path, "?"), depth + 1)
                    continue
                self.marks[child] = (key_mark.line + 1, key_mark.column + 1)
                out[key] = self.node(parser, parser.get_event(), child, depth + 1)
            return None if bad_tag else out
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            while True:
                item_event = parser.get_event()
                if isinstance(item_event, yaml.SequenceEndEvent):
                    break
                items.append(self.node(parser, item_event, (*path, len(items)), depth + 1))
            return None if bad_tag else items
        assert isinstance(event, yaml.ScalarEvent)
        style = event.style or None  # libyaml reports a plain scalar's style as ""
        line, column = mark.line + 1, mark.column + 1
        if style in {"|", ">"}:
            line, column = line + 1, 1
        elif style in {"'", '"'}:
            column += 1
        self.value_marks[path] = (line, column)
        if bad_tag:
            return None
        if len(event.value) > MAX_SCALAR:
            self.problems.append(_too_long(self.name, mark, len(event.value), path))
            return None
        if tag in (None, "!"):
            tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        end: Any = event.end_mark
        node = ScalarNode(tag, event.value, mark, end, style)
        return _scalar(node, self.problems, self.name, path)


_SYNTAX = (
    ("mapping values are not allowed", "这里不能出现冒号 ':'; 含冒号的文字请加引号, 或检查缩进"),
    ("did not find expected key", "缩进没有对齐, 找不到下一个键"),
    ("did not find expected ',' or ']'", "方括号列表没有闭合, 缺少 ',' 或 ']'"),
    ("expected ',' or ']'", "方括号列表没有闭合, 缺少 ',' 或 ']'"),
    ("did not find expected ',' or '}'", "花括号映射没有闭合, 缺少 ',' 或 '}'"),
    ("expected ',' or '}'", "花括号映射没有闭合, 缺少 ',' 或 '}'"),
    ("could not find expected ':'", "缺少冒号 ':'"),
    (
        "found character that cannot start any token",
        "有不能出现在这里的字符 (常见: 制表符 Tab, 请用空格缩进)",
    ),
    ("found unexpected end of stream", "引号没有闭合"),
    ("did not find expected node content", "缺少值"),
    ("expected the node content", "缺少值"),
    ("block sequence entries are not allowed", "这里不能以 '-' 开始列表项, 检查缩进"),
    ("did not find expected '-' indicator", "列表项的缩进没有对齐"),
    ("expected <block end>", "缩进没有对齐"),
)


def _explain_syntax(problem: str) -> str:
    """A libyaml/PyYAML syntax problem in plain Chinese, with the original kept."""
    for english, chinese in _SYNTAX:
        if english in problem:
            return f"{chinese} ({problem})"
    return problem


def _at(
    name: str, mark: Any, message: str, hint: str | None, code: str, path: Path_ = ()
) -> Problem:
    if mark is None:
        return Problem(message, file=name, hint=hint, code=code, path=format_path(path))
    return Problem(
        message,
        file=name,
        line=mark.line + 1,
        column=mark.column + 1,
        path=format_path(path),
        hint=hint,
        code=code,
    )


def _too_long(name: str, mark: Any, length: int, path: Path_) -> Problem:
    return _at(
        name,
        mark,
        f"文字过长 ({length} 个字符), 上限 {MAX_SCALAR} 个字符",
        "长篇的说明请写在文档里, 这里写简短的文字或注明出处",
        "yaml.too-long",
        path,
    )


def _scalar(node: ScalarNode, problems: list[Problem], name: str, path: Path_) -> Any:
    text: str = node.value
    tag = node.tag
    if tag == "tag:yaml.org,2002:str" or node.style is not None:
        if _NONFINITE.match(text) and node.style is None:
            problems.append(
                _at(name, node.start_mark, f"不接受 {text}", "请写一个有限的数", "yaml.nonfinite")
            )
        return text
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag in {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"} and len(text) > MAX_NUMBER_TEXT:
        # Checked before converting: Python converts decimal digits in quadratic time.
        problems.append(
            _at(
                name,
                node.start_mark,
                f"数字写得过长 ({len(text)} 个字符), 上限 {MAX_NUMBER_TEXT} 个字符",
                "检查是否多写了数字",
                "yaml.number-too-long",
                path,
            )
        )
        return None
    if tag == "tag:yaml.org,2002:int":
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    if tag == "tag:yaml.org,2002:float":
        try:
            return Decimal(text)
        except InvalidOperation:
            # The only short float text Decimal cannot read: an exponent beyond its range.
            problems.append(
                _at(
                    name,
                    node.start_mark,
                    f"数值 {text} 的指数过大",
                    "检查指数 (e 后面的数)",
                    "yaml.number-too-large",
                    path,
                )
            )
            return None
    return text


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) pair in plain data, parents before children, in document order."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, (*path, i))
