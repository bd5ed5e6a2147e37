"""Reading JSON Lines in blocks: the same lines and numbers as reading line by line (P1).

``blocks_of`` reads a stream in blocks of whole lines for ``evaluate`` (one job or many) and
``read_jsonl``. Whatever the block size, every line must come out exactly as Python's own
universal-newline reader gives it (``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line; a BOM at
the start is skipped; blank lines are counted but not returned), and bytes that are not UTF-8
must be reported at the line that holds them.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.io import read_jsonl
from fupin_rules.io.jsonl import blocks_of, lines_of, parse_json_record, raw_lines_of


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


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.sampled_from(['{"a": 1}', "", "户户", " "]), max_size=8),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
    prefix=st.sampled_from(["", '{"b": "', "户"]),
    size=st.integers(1, 40),
)
def test_bad_utf8_is_reported_at_its_line(
    before: list[str], end: str, prefix: str, size: int
) -> None:
    """The lines before the bad bytes come as usual; then one error for the line holding
    them; nothing after it."""
    good = "".join(line + end for line in before)
    data = good.encode("utf-8") + prefix.encode("utf-8") + b"\xff\xfe" + b'"}\n{"c": 2}\n'
    got = _read(data, size)
    assert [(s, t) for s, t, _ in got[:-1]] == _reference(good.encode("utf-8"), "f")
    source, text, error = got[-1]
    assert text is None
    assert error is not None
    assert "UTF-8" in error
    assert source == f"f:{len(before) + 1}"


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
