"""Reading JSON Lines in blocks: the same lines and numbers as reading line by line (P1).

``blocks_of`` reads a stream in blocks of whole lines for ``evaluate`` (one job or many) and
``read_jsonl``. Whatever the block size, every line must come out exactly as Python's own
universal-newline reader gives it (``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line; a BOM at
the start is skipped; blank lines are counted but not returned), and bytes that are not UTF-8
must be reported at the line that holds them, the rest of the stream read as usual.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.io import jsonl, read_jsonl
from fupin_rules.io.jsonl import block_lines, blocks_of, lines_of, parse_json_record, raw_lines_of


def _reference(data: bytes, label: str) -> list[tuple[str, str]]:
    """Line by line with the standard text reader (valid UTF-8 only)."""
    fh = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    out = []
    for number, line in enumerate(iter(fh.readline, ""), start=1):
        if line.strip():
            out.append((f"{label}:{number}", line))
    return out


def _read(data: bytes, size: int) -> list[tuple[str, str | None, str | None]]:
    return [line for block in blocks_of(io.BytesIO(data), "f", size) for line in lines_of(block)]


_TEXT = st.lists(
    st.sampled_from(['{"a": 1}', " ", "\t", "户", "\u2028", "\x85", "x", '"', "\r", "\n"]),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(_TEXT, max_size=30),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r", ""]), max_size=30),
    bom=st.booleans(),
    size=st.integers(1, 64),
)
def test_blocks_give_the_lines_of_the_line_reader(
    pieces: list[str], ends: list[str], bom: bool, size: int
) -> None:
    text = "".join(p + e for p, e in zip(pieces, ends + [""] * len(pieces), strict=False))
    data = ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")
    got = _read(data, size)
    assert all(error is None for _, _, error in got)
    assert [(src, line) for src, line, _ in got] == _reference(data, "f")
    # the blocks hold the whole text, in order, and count lines as the reader does
    blocks = list(blocks_of(io.BytesIO(data), "f", size))
    assert "".join(b[2] for b in blocks) == text
    for b, c in itertools.pairwise(blocks):
        assert c[1] == b[1] + len(io.StringIO(b[2], newline="").readlines())


_BAD = st.sampled_from(
    [b"\xff", b"\xfe\xff", b"\xe6\x88", b"\xc0\xaf", b"\xed\xa0\x80", b"\xb7\xf1"]
)
"""Bytes that are not UTF-8: invalid, a character cut short, overlong, an encoded
surrogate, GBK."""


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(['{"a": 1}', "", "户户", " ", '{"b": "户"}']),
            st.one_of(st.none(), st.tuples(_BAD, st.integers(0, 12))),
        ),
        max_size=12,
    ),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    last_end=st.booleans(),
    size=st.integers(1, 40),
)
def test_each_line_that_is_not_utf8_is_rejected_alone(
    lines: list[tuple[str, tuple[bytes, int] | None]], end: str, last_end: bool, size: int
) -> None:
    """Every line holding bytes that are not UTF-8 gives one error, at its own number; every
    other line comes as the line reader gives it, before and after; the stream is read to its
    end (a bad byte never ends a file)."""
    data = b""
    expected: list[tuple[str, str | None, bool]] = []
    count = 0  # lines in the stream: an empty last line without an end is none
    for i, (text, bad) in enumerate(lines):
        ending = end if last_end or i < len(lines) - 1 else ""
        raw = text.encode("utf-8")
        if bad is not None:
            at = min(bad[1], len(raw))
            raw = raw[:at] + bad[0] + raw[at:]
            expected.append((f"f:{i + 1}", None, True))
        elif text.strip():
            expected.append((f"f:{i + 1}", text + ending, False))
        data += raw + ending.encode("utf-8")
        count += 1 if raw or ending else 0
    got = _read(data, size)
    assert [(s, t, e is not None) for s, t, e in got] == expected
    assert all("不是 UTF-8 编码: 第 " in e for _, _, e in got if e is not None)
    blocks = list(blocks_of(io.BytesIO(data), "f", size))
    assert sum(block_lines(b) for b in blocks) == count


def test_a_bad_byte_is_named_with_its_column() -> None:
    data = '{"a": 1}\n{"name": "户'.encode() + b"\xff" + b'"}\n{"c": 2}\n'
    assert _read(data, 1 << 18) == [
        ("f:1", '{"a": 1}\n', None),
        (
            "f:2",
            None,
            "不是 UTF-8 编码: 第 14 个字节 (0xFF) 无法按 UTF-8 读取 (文件可能是 GBK 编码, 请另存为 UTF-8)",
        ),
        ("f:3", '{"c": 2}\n', None),
    ]


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(
            ['{"a": 1}', "", "x" * 30, '"' + "户" * 10 + '"', '"yyyyyyy"', "z" * 100, "户" * 20]
        ),
        max_size=8,
    ),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    size=st.integers(1, 16),
)
def test_a_line_too_long_is_refused_without_being_held(
    lines: list[str], end: str, size: int
) -> None:
    """A line over MAX_LINE characters (10 here, its end included) is one error at its number, whatever its
    bytes; the lines after it are read as usual."""
    data = "".join(line + end for line in lines).encode("utf-8")
    got = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jsonl, "MAX_LINE", 10)
        for source, text, error in _read(data, size):
            if error is None and text is not None:
                _, error = parse_json_record(text)
            got.append((source, error))
    expected = []
    for i, line in enumerate(lines):
        if len(line + end) > 10:
            expected.append((f"f:{i + 1}", "行过长"))
        elif line.strip():
            expected.append((f"f:{i + 1}", None))
    assert [(s, e[:3] if e else None) for s, e in got] == expected


def test_text_streams_and_files_read_alike(tmp_path: Path) -> None:
    text = '{"a": 1}\r\n\r\n{"b": 2}\r{"c": "\u2028"}'
    path = tmp_path / "x.jsonl"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    from_file = [(r.source, r.record) for r in read_jsonl(path, "x")]
    from_text = [(r.source, r.record) for r in read_jsonl(io.StringIO(text), "x")]
    assert from_file == from_text
    assert from_file == [("x:1", {"a": 1}), ("x:3", {"b": 2}), ("x:4", {"c": "\u2028"})]
    assert [s for s, _, _ in raw_lines_of(io.BytesIO(text.encode("utf-8")), "x")] == [
        "x:1",
        "x:3",
        "x:4",
    ]


def test_json_syntax_errors_are_explained_in_chinese() -> None:
    """Policy staff read these reasons: the place and what is wrong, in Chinese."""
    cases = {
        "not json at all\n": "不是有效的 JSON: 此处应有一个值 (第 1 列)",
        '{"a" 1}\n': "不是有效的 JSON: 此处应有冒号 (第 6 列)",
        "{'a': 1}\n": "不是有效的 JSON: 此处应有用双引号括起的键 (第 2 列)",
        "[1 2]\n": "不是有效的 JSON: 此处应有逗号 (第 4 列)",
        '{"a": 1} x\n': "不是有效的 JSON: 一个 JSON 值之后还有多余内容 (第 10 列)",
        '{"a": "x\ty"}\n': "不是有效的 JSON: 字符串中有控制字符 (如制表符) (第 9 列)",
        '{"a": "\\q"}\n': "不是有效的 JSON: 无效的转义 (反斜杠) (第 8 列)",
        '{"a": "\\u12"}\n': "不是有效的 JSON: 无效的 \\u 转义 (第 9 列)",
        # a line cut short: the end of the line, not the newline, is what went wrong
        '{"a": "b\r\n': "不是有效的 JSON: 第 8 列之后行就结束了, 引号或括号没有闭合",
        '{"a": 1': "不是有效的 JSON: 第 7 列之后行就结束了, 引号或括号没有闭合",
        " ": "不是有效的 JSON: 空行",
        "[" * 100_000 + "]" * 100_000: "不是有效的 JSON: 嵌套层数过多",
        '{"a": ' + "9" * 5000 + "}": "不是有效的 JSON: 整数位数过多 (超过 4300 位)",
    }
    for text, reason in cases.items():
        assert parse_json_record(text) == (None, reason), text
    assert parse_json_record('{"a": 1}\r\n') == ({"a": 1}, None)
