"""The ``pattern`` of a record schema, as JSON Schema means it, in Python's ``re``.

JSON Schema reads a pattern as an ECMA-262 regular expression with the ``u`` flag, searched
anywhere in the text. Python's ``re`` reads the same text differently: ``$`` also matches
before a final newline (so ``"450102001001\\n"`` would pass ``^[0-9]{12}$``), ``\\d``, ``\\w``
and ``\\s`` are Unicode classes (``"٣"`` is a digit), ``.`` matches ``\\r``, ``\\cC`` and
``\\u{1F600}`` are not escapes. :func:`ecma_pattern` parses a pattern once, by the ECMA-262
grammar, and writes the Python expression that accepts exactly the same texts: ``$`` becomes
``\\Z``, each class its explicit code-point ranges, each literal an escape. What has no exact
Python counterpart is refused with the reason (:class:`PatternError`, in Chinese):
lookbehind, backreferences, Unicode property escapes (``\\p{…}``), and anything ECMA-262 itself
rejects in ``u`` mode (a lone ``{``, an unknown escape such as ``\\a``).

The generated record checks and the validator that explains invalid records both use the
compiled result, so the two agree with each other and with JSON Schema.
"""

from __future__ import annotations

import functools
import re

__all__ = ["PatternError", "ecma_pattern", "python_source"]

MAX_CODE_POINT = 0x10FFFF

_DIGITS = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE = (
    (0x09, 0x0D),  # tab, line feed, line tabulation, form feed, carriage return
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),  # the line and paragraph separators (line terminators)
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
"""ECMA-262's WhiteSpace and LineTerminator: the Unicode space separators (Zs) and a few
controls, not Python's ``str.isspace`` (which also takes ``\\x1c``-``\\x1f`` and ``\\x85``)."""
_LINE_TERMINATORS = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
"""The characters ``u``-mode ECMA-262 lets a backslash escape as themselves."""
_CONTROL = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_ASCII_DIGITS = frozenset("0123456789")
_COUNTS = re.compile(r"\{([0-9]+)(,([0-9]*))?\}", re.ASCII)

Ranges = tuple[tuple[int, int], ...]


class PatternError(ValueError):
    """A pattern that cannot be read as ECMA-262, or has no exact Python counterpart. The
    message says why, in Chinese, for the person who wrote the schema."""


def _merged(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in _merged(list(ranges)):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX_CODE_POINT:
        out.append((start, MAX_CODE_POINT))
    return tuple(out)


def _char(cp: int) -> str:
    """One code point as Python regex text that means only that code point, anywhere."""
    ch = chr(cp)
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ch
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _class(ranges: Ranges) -> str:
    """A Python character class of exactly ``ranges`` (a class that never matches if empty)."""
    merged = _merged(list(ranges))
    if not merged:
        return "(?!)"
    if len(merged) == 1 and merged[0][0] == merged[0][1]:
        return _char(merged[0][0])
    body = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in merged)
    return f"[{body}]"


class _Parser:
    """A recursive-descent reading of ECMA-262 ``Pattern`` (``u`` mode), writing Python."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, why: str) -> PatternError:
        return PatternError(f"{why} (第 {self.at + 1} 个字符处)")

    def peek(self, ahead: int = 0) -> str:
        i = self.at + ahead
        return self.text[i] if i < len(self.text) else ""

    def take(self, expected: str) -> bool:
        if self.text.startswith(expected, self.at):
            self.at += len(expected)
            return True
        return False

    def pattern(self) -> str:
        out = self.disjunction()
        if self.at < len(self.text):  # only an unmatched ")" stops a disjunction early
            raise self.fail("多余的右括号 )")
        return out

    def disjunction(self) -> str:
        alternatives = [self.alternative()]
        while self.take("|"):
            alternatives.append(self.alternative())
        return "|".join(alternatives)

    def alternative(self) -> str:
        terms: list[str] = []
        while self.peek() not in ("", "|", ")"):
            terms.append(self.term())
        return "".join(terms)

    def term(self) -> str:
        c = self.peek()
        if c == "^":
            self.at += 1
            return self.unquantified("^")
        if c == "$":
            self.at += 1
            return self.unquantified("\\Z")  # the end of the text, never before a newline
        if c == "\\" and self.peek(1) in ("b", "B"):
            self.at += 2
            return self.unquantified("\\" + self.text[self.at - 1])
        if self.take("(?="):
            return self.unquantified(f"(?={self.group()})")
        if self.take("(?!"):
            return self.unquantified(f"(?!{self.group()})")
        if self.text.startswith("(?<=", self.at) or self.text.startswith("(?<!", self.at):
            raise self.fail("不支持后行断言 (?<= 或 (?<!, Python 无法精确对应")
        atom = self.atom()
        return atom + self.quantifier()

    def unquantified(self, text: str) -> str:
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.counts() is not None):
            raise self.fail("断言后面不能跟重复次数")
        return text

    def group(self) -> str:
        inner = self.disjunction()
        if not self.take(")"):
            raise self.fail("缺少右括号 )")
        return inner

    def atom(self) -> str:
        c = self.peek()
        if c == "(":
            self.at += 1
            if self.take("?:"):
                pass
            elif self.take("?<"):
                self.group_name()
            elif self.peek() == "?":
                raise self.fail("无效的分组写法 (?")
            return f"(?:{self.group()})"
        if c == ".":
            self.at += 1
            return _class(_complement(_LINE_TERMINATORS))
        if c == "[":
            self.at += 1
            return self.character_class()
        if c == "\\":
            self.at += 1
            return self.atom_escape()
        if c in ("*", "+", "?"):
            raise self.fail(f"{c} 前面没有可以重复的内容")
        if c in ("{", "}", "]"):
            raise self.fail(f"单独的 {c} 须写成 \\{c}")
        self.at += 1
        return _char(ord(c))

    def group_name(self) -> None:
        end = self.text.find(">", self.at)
        name = self.text[self.at : end] if end >= 0 else ""
        if not name or not name.replace("$", "_").isidentifier():
            raise self.fail("无效的分组名称")
        self.at = end + 1

    def counts(self) -> tuple[int, int | None] | None:
        """``{n}``, ``{n,}`` or ``{n,m}`` at the current place (not consumed), or None."""
        m = _COUNTS.match(self.text, self.at)
        if m is None:
            return None
        low = int(m.group(1))
        high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        return low, high

    def quantifier(self) -> str:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.at += 1
            text = c
        elif c == "{":
            found = self.counts()
            if found is None:
                raise self.fail("单独的 { 须写成 \\{")
            low, high = found
            if high is not None and high < low:
                raise self.fail(f"重复次数 {{{low},{high}}} 的上限小于下限")
            self.at = self.text.index("}", self.at) + 1
            text = f"{{{low}}}" if high == low else f"{{{low},{'' if high is None else high}}}"
        else:
            return ""
        if self.take("?"):
            text += "?"
        return text

    def atom_escape(self) -> str:
        c = self.peek()
        if c and c in "123456789":
            raise self.fail("不支持反向引用 (如 \\1), Python 无法精确对应")
        if c == "k":
            raise self.fail("不支持命名反向引用 \\k<…>, Python 无法精确对应")
        found = self.class_escape(in_class=False)
        return _class(found) if isinstance(found, tuple) else _char(found)

    def class_escape(self, *, in_class: bool) -> Ranges | int:
        """After a backslash: a class escape (its ranges) or a character escape (its code point)."""
        start = self.at - 1
        c = self.peek()
        self.at += 1
        classes = {"d": _DIGITS, "w": _WORD, "s": _SPACE}
        if c.lower() in classes:
            ranges = classes[c.lower()]
            return ranges if c.islower() else _complement(ranges)
        if c in ("p", "P"):
            self.at = start
            raise self.fail(f"不支持 Unicode 属性类 \\{c}{{…}}, Python 无法精确对应")
        if c in _CONTROL:
            return _CONTROL[c]
        if c == "c":
            letter = self.peek()
            if not (letter.isascii() and letter.isalpha()):
                raise self.fail("\\c 后须是英文字母")
            self.at += 1
            return ord(letter) % 32
        if c == "0" and self.peek() not in _ASCII_DIGITS:
            return 0
        if c == "x":
            return self.hex_digits(2)
        if c == "u":
            return self.unicode_escape()
        if c in _SYNTAX or (in_class and c == "-"):
            return ord(c)
        if in_class and c == "b":
            return 0x08
        self.at = start
        raise self.fail(f"无效的转义 \\{c or '(结尾)'}")

    def hex_digits(self, count: int) -> int:
        digits = self.text[self.at : self.at + count]
        if len(digits) != count or not all(d in "0123456789abcdefABCDEF" for d in digits):
            raise self.fail(f"转义须有 {count} 位十六进制数字")
        self.at += count
        return int(digits, 16)

    def unicode_escape(self) -> int:
        if self.take("{"):
            end = self.text.find("}", self.at)
            digits = self.text[self.at : end] if end >= 0 else ""
            if not digits or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise self.fail("\\u{…} 中须是十六进制数字")
            self.at = end + 1
            cp = int(digits, 16)
            if cp > MAX_CODE_POINT:
                raise self.fail("\\u{…} 超出 Unicode 范围")
            return cp
        cp = self.hex_digits(4)
        if 0xD800 <= cp <= 0xDBFF and self.text.startswith("\\u", self.at):
            # A surrogate pair written as two escapes is one code point in u mode.
            saved = self.at
            self.at += 2
            try:
                low = self.hex_digits(4)
            except PatternError:
                low = -1
            if 0xDC00 <= low <= 0xDFFF:
                return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            self.at = saved
        return cp

    def character_class(self) -> str:
        negated = self.take("^")
        ranges: list[tuple[int, int]] = []
        while not self.take("]"):
            if not self.peek():
                raise self.fail("缺少右方括号 ]")
            first = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.at += 1
                last = self.class_atom()
                if isinstance(first, tuple) or isinstance(last, tuple):
                    raise self.fail("字符类 (如 \\d) 不能作范围的端点")
                if last < first:
                    raise self.fail("范围的终点小于起点")
                ranges.append((first, last))
            elif isinstance(first, tuple):
                ranges.extend(first)
            else:
                ranges.append((first, first))
        found = _merged(ranges)
        return _class(_complement(found) if negated else found)

    def class_atom(self) -> Ranges | int:
        c = self.peek()
        if c == "\\":
            self.at += 1
            return self.class_escape(in_class=True)
        self.at += 1
        return ord(c)


def python_source(pattern: str) -> str:
    """The Python regular expression (to compile with ``re.ASCII``) that accepts exactly the
    texts the ECMA-262 ``pattern`` accepts. Raises :class:`PatternError`."""
    try:
        return _Parser(pattern).pattern()
    except RecursionError as exc:
        raise PatternError("正则嵌套过深") from exc


@functools.lru_cache(maxsize=4096)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with JSON Schema's meaning: ``ecma_pattern(p).search(text)``
    is a match exactly where ECMA-262 finds one. Raises :class:`PatternError` (in Chinese)
    for a pattern that is not ECMA-262 or cannot be translated exactly."""
    source = python_source(pattern)
    try:
        # re.ASCII: \b and \B see ECMA-262's word characters [A-Za-z0-9_].
        return re.compile(source, re.ASCII)
    except (re.error, OverflowError, RecursionError) as exc:
        why = "重复次数过大" if "repetition" in str(exc) else str(exc)
        raise PatternError(f"Python 无法编译此正则: {why}") from exc
