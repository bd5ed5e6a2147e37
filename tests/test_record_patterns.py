"""ECMA-262 patterns (JSON Schema's ``pattern``) translated into exact Python regexes, and
what has no exact Python counterpart refused with the reason (issue 20)."""

from __future__ import annotations

import pytest

from fupin_rules.record_patterns import PatternError, ecma_pattern, python_source


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        ("^[0-9]{12}$", "^[0-9]{12}\\Z"),
        ("^\\d$", "^[0-9]\\Z"),
        ("\\w", "[0-9A-Z_a-z]"),
        ("^\\cC\\t$", "^\\x03\\x09\\Z"),
        ("a.b", "a[\\x00-\\x09\\x0b-\\x0c\\x0e-\\u2027\\u202a-\\U0010ffff]b"),
        ("^\\ud83d\\udc32$", "^\\U0001f432\\Z"),
        ("[^]", "[\\x00-\\U0010ffff]"),
        ("[]", "(?!)"),
        ("(?<year>\\d{4})-(?:x|y)+?", "(?:[0-9]{4})\\x2d(?:x|y)+?"),
        ("[\\w-]", "[\\x2d0-9A-Z_a-z]"),
    ],
)
def test_patterns_are_translated_exactly(pattern: str, python: str) -> None:
    assert python_source(pattern) == python


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?<=a)b", "后行断言"),
        ("(?<!a)b", "后行断言"),
        ("(a)\\1", "反向引用"),
        ("(?<x>a)\\k<x>", "命名反向引用"),
        ("\\p{Letter}", "Unicode 属性类"),
        ("\\P{Nd}", "Unicode 属性类"),
        ("a{,3}", "单独的 {"),
        ("a**", "前面没有可以重复的内容"),
        ("^*", "断言后面不能跟重复次数"),
        ("[\\d-z]", "不能作范围的端点"),
        ("[z-a]", "终点小于起点"),
        ("\\-", "无效的转义"),
        ("(a", "缺少右括号"),
        ("a)", "多余的右括号"),
        ("(" * 5000 + ")" * 5000, "嵌套过深"),
    ],
)
def test_patterns_without_an_exact_python_meaning_are_refused(pattern: str, why: str) -> None:
    with pytest.raises(PatternError, match=why):
        ecma_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("^abc$", "abc\n", False),  # $ is the end of the text, not before a final newline
        ("^abc$", "abc", True),
        ("^\\d+$", "\u09ea\u09e8", False),  # Bengali digits are not \d
        ("^\\w$", "\u00e9", False),
        ("^\\W$", "\u00e9", True),
        ("^\\s$", "\ufeff", True),  # ECMA-262 white space: the BOM is one
        ("^\\s$", "\x1c", False),  # Python's str.isspace takes it; ECMA-262 does not
        ("^\\S$", "\u2003", False),
        ("^.$", "\r", False),  # a line end
        ("^.$", "\U0001f432", True),  # one code point
        ("\\bcole", "l'ecole", False),
        ("\\bcole", "cole", True),
        ("^[^]$", "\n", True),
        ("a[]", "a", False),
    ],
)
def test_patterns_find_what_ecma_262_finds(pattern: str, text: str, found: bool) -> None:
    assert (ecma_pattern(pattern).search(text) is not None) is found
