"""The lines of a file handed out by place (what the parent of ``--jobs`` sends its workers):
read back by the job, they are the lines one job reads, numbered the same, and a file changed
under a run still gives one result per line counted."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.io import jsonl
from fupin_rules.io.inputs import lines_in_unit, lines_of_unit, units
from fupin_rules.io.jsonl import Span

_PIECES = st.sampled_from(
    ['{"a": 1}', "", " ", "户户", '{"b": "户"}', "z" * 40, "\u2028", "\x85", "x"]
)
_BAD = st.sampled_from([b"\xff", b"\xe6\x88", b"\xed\xa0\x80", b"\xb7\xf1"])


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.tuples(_PIECES, st.one_of(st.none(), _BAD), st.sampled_from(["\n", "\r\n", "\r", ""])),
        max_size=20,
    ),
    bom=st.booleans(),
    size=st.integers(1, 64),
    limit=st.sampled_from([30, 10_000]),
)
def test_spans_give_the_lines_of_blocks(
    lines: list[tuple[str, bytes | None, str]], bom: bool, size: int, limit: int
) -> None:
    """Any bytes (line ends of every kind, a BOM, bytes that are not UTF-8, lines too long)
    give the same lines, sources and reasons by spans as by decoded blocks, and the same
    count of lines per unit."""
    data = b"\xef\xbb\xbf" if bom else b""
    for text, bad, end in lines:
        data += text.encode("utf-8") + (bad or b"") + end.encode("utf-8")
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.setattr(jsonl, "MAX_LINE", limit)
        path = Path(folder) / "x.jsonl"
        path.write_bytes(data)
        blocks = list(units([str(path)], block_bytes=size))
        spans = list(units([str(path)], block_bytes=size, spans=True))
        by_block = [line for unit in blocks for line in lines_of_unit(unit)]
        by_span = [line for unit in spans for line in lines_of_unit(unit)]
        assert by_span == by_block
        assert sum(map(lines_in_unit, spans)) == sum(map(lines_in_unit, blocks))
        if limit > len(data):
            assert all(isinstance(u, Span) for u in spans)


def test_a_file_changed_under_the_run_still_gives_every_line(tmp_path: Path) -> None:
    """The lines counted when the file was read each come out, as errors, if the file no
    longer holds them when the job reads them; a file gone is said so too."""
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c": 3}\n', encoding="utf-8")
    (span,) = units([str(path)], spans=True)
    assert isinstance(span, Span)
    assert [(src, text) for src, text, _ in lines_of_unit(span)] == [
        (f"{path}:1", '{"a": 1}\n'),
        (f"{path}:2", '{"b": 2}\n'),
        (f"{path}:3", '{"c": 3}\n'),
    ]
    path.write_text('{"a": 1}\n', encoding="utf-8")
    changed = list(lines_of_unit(span))
    assert [(src, text) for src, text, _ in changed] == [
        (f"{path}:1", None),
        (f"{path}:2", None),
        (f"{path}:3", None),
    ]
    assert all("被改动" in (why or "") for _, _, why in changed)
    path.unlink()
    gone = list(lines_of_unit(span))
    assert len(gone) == 3
    assert all("无法再读取" in (why or "") for _, _, why in gone)


def test_standard_input_is_not_read_by_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input cannot be read twice: its lines go out as text, even with spans."""
    stream = io.TextIOWrapper(io.BytesIO(b'{"a": 1}\n{"b": 2}\n'), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)
    got = list(units(["-"], spans=True))
    assert got
    assert not any(isinstance(u, Span) for u in got)
    assert [line[0] for u in got for line in lines_of_unit(u)] == ["<stdin>:1", "<stdin>:2"]
