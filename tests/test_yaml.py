"""The YAML reader refuses what would surprise policy staff and keeps positions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_rules._yaml import read_yaml, read_yaml_text
from fupin_rules.errors import RuleFileError


def _problem(text: str) -> str:
    with pytest.raises(RuleFileError) as info:
        read_yaml_text(text, "f.yaml")
    return str(info.value)


def test_yaml_11_surprises_stay_text() -> None:
    """no/on/yes, 1:20, bare dates and leading-zero numbers stay text; decimals are exact."""
    doc = read_yaml_text("a: no\nb: on\nc: 1:20\nd: 2016-08-04\ne: 0755\nf: 0.1\ng: true\nh: 12\n")
    assert doc.data == {
        "a": "no",
        "b": "on",
        "c": "1:20",
        "d": "2016-08-04",
        "e": "0755",
        "f": Decimal("0.1"),
        "g": True,
        "h": 12,
    }


def test_positions_of_keys_and_values() -> None:
    """Each field's key and value positions are kept (1-based line and column)."""
    doc = read_yaml_text("top:\n  test: x > 1\n  list:\n    - 'a'\n")
    assert doc.locate(("top", "test")) == (2, 3)
    assert doc.locate_value(("top", "test")) == (2, 9)
    assert doc.locate(("top", "list", 0)) == (4, 7)
    assert doc.locate(("top", "missing")) == (1, 1)


def test_duplicate_key_is_refused_with_both_lines() -> None:
    """A duplicate key names the line of the repeat and of the first occurrence."""
    assert _problem("a: 1\nb: 2\na: 3\n") == (
        "f.yaml:3:1: 重复的键 'a' (第一次出现在第 1 行) (提示: 每个键在同一层只能写一次)"
    )


def test_alias_bomb_is_refused_before_expansion() -> None:
    """Anchors and aliases (the billion-laughs bomb) are refused at the first alias."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert "yaml.alias" not in _problem(bomb)
    assert "不支持 YAML 锚点和别名" in _problem(bomb)


def test_python_tags_are_refused() -> None:
    """Explicit tags such as !!python/object never construct anything."""
    assert "不支持的 YAML 标签" in _problem("a: !!python/object/apply:os.system ['echo hi']\n")


def test_deep_nesting_is_refused() -> None:
    """Nesting beyond the limit is a problem, not a RecursionError."""
    assert "嵌套层数超过" in _problem("[" * 500 + "]" * 500)


def test_nonfinite_numbers_are_refused() -> None:
    """.nan and .inf are not numbers a threshold can have."""
    assert "不接受 .nan" in _problem("a: .nan\n")
    assert read_yaml_text("a: '.nan'\n").data == {"a": ".nan"}


def test_syntax_error_names_line() -> None:
    """A syntax error points at its line."""
    assert _problem("a: [1, 2\nb: 3\n").startswith("f.yaml:2:")


def test_not_utf8_and_missing_file(tmp_path) -> None:
    """A GBK file and a missing file give plain problems naming the file."""
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("标题: 测试\n".encode("gbk"))
    with pytest.raises(RuleFileError, match="不是 UTF-8 编码"):
        read_yaml(bad)
    with pytest.raises(RuleFileError, match="无法读取文件"):
        read_yaml(tmp_path / "nope.yaml")


@given(st.text(max_size=300))
def test_any_text_gives_data_or_rule_file_error(text: str) -> None:
    """Arbitrary text either loads or raises RuleFileError; nothing else escapes."""
    try:
        read_yaml_text(text)
    except RuleFileError as exc:
        assert exc.problems
