"""Spreadsheets and CSV read within bounds: no file can crash, hang or silently shorten a read.

Every hostile case is a committed fixture (tests/fixtures/hostile/make_tables.py writes them) and
must finish well under a second with its expected error or rejected rows; properties feed the
readers arbitrary bytes and round-trip text tables through ``fupin-rules convert``.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.io import workbooks
from fupin_rules.io.headermaps import HeaderMap
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.io.spreadsheets import (
    MAX_CELL_CHARS,
    TableError,
    csv_cell,
    decode_csv_bytes,
    write_xlsx,
    xlsx_value,
)
from fupin_rules.io.tables import TableReader

HERE = Path(__file__).parent / "fixtures" / "hostile"
TABLES = HERE / "tables"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_tables", HERE / "make_tables.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _load_generator()
SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60
)


@pytest.fixture(scope="module")
def lib() -> fr.Library:
    return fr.load_library()


@pytest.fixture(scope="module")
def hm(lib: fr.Library) -> HeaderMap:
    return lib.headermaps["cn.national.household-export"][-1]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def warm(lib: fr.Library, hm: HeaderMap) -> None:
    """openpyxl's modules loaded once, so that the timings below are the reads alone."""
    list(TableReader(hm, lib.record_schemas["household"]).read([TABLES / "plain.xlsx"]))


def new_reader(lib: fr.Library, hm: HeaderMap, **kw: Any) -> TableReader:
    return TableReader(hm, lib.record_schemas["household"], **kw)


def timed_read(reader: TableReader, path: Path) -> list[InputRecord]:
    start = time.perf_counter()
    try:
        return list(reader.read([path]))
    finally:
        assert time.perf_counter() - start < 1.0, f"{path.name} took too long"


def outcome(items: list[InputRecord]) -> list[tuple[int, str]]:
    """(first row, household id or reason) per item."""
    return [
        (
            int(i.source.rsplit(":", 1)[1].split("-")[0]),
            i.record["household_id"] if i.ok else i.error or "",
        )
        for i in items
    ]


# --------------------------------------------------------------------------- the fixtures


def test_fixtures_are_what_the_generator_writes() -> None:
    assert sorted(p.name for p in TABLES.iterdir()) == sorted(MAKE.FILES)
    for name, make in MAKE.FILES.items():
        data = (TABLES / name).read_bytes()
        assert data == make(), f"{name}: run python tests/fixtures/hostile/make_tables.py"
        assert len(data) < 40_000, f"{name} is not small"


REFUSED = {
    "zip_bomb.xlsx": r"压缩包中的 xl/worksheets/sheet1\.xml 解压后是压缩时的 \d+ 倍, 超过上限 100 倍 .*恶意文件",
    "billion_laughs.xlsx": (
        r"压缩包中的 xl/worksheets/sheet1\.xml 含有 DTD \(<!DOCTYPE>\), XLSX 文件不应含有; "
        r"为安全起见不予读取, 可能已损坏或是恶意文件$"
    ),
    "external_entity.xlsx": r"压缩包中的 xl/worksheets/sheet1\.xml 含有 DTD",
    "dtd_content_types.xlsx": r"压缩包中的 \[Content_Types\]\.xml 含有 DTD",
    "whole_sheet_merge.xlsx": r":Sheet1: 合并单元格 \(到 A1:XFD1048576 为止\) 共 17179869184 格, 超过上限 10000000 格",
    "many_shared_strings.xlsx": r"压缩包中的 xl/sharedStrings\.xml 解压后是压缩时的 \d+ 倍",
    "corrupt_zip.xlsx": r"不是可读的 XLSX 文件: 压缩包中的 xl/worksheets/sheet1\.xml 已损坏或不完整",
    "truncated_zip.xlsx": r"不是可读的 XLSX 文件: 不是 zip 压缩包, 或文件不完整",
    "lying_size.xlsx": r"压缩包中的 xl/worksheets/sheet1\.xml 解压后有 4294967280 字节, 超过上限 1000000000 字节, 可能已损坏或是恶意文件",
    "overlapping.xlsx": r"压缩包中的文件互相重叠 \(压缩数据共 \d+ 字节, 文件只有 \d+ 字节\)",
    "beyond_xfd.xlsx": r":Sheet1:3: 单元格在第 18278 列, 超过上限 16384 列",
    "not_xml.xlsx": r"压缩包中的 xl/worksheets/sheet1\.xml 不是格式正确的 XML \(第 2 行第 \d+ 列\)",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_workbook_is_refused_naming_the_file(
    lib: fr.Library, hm: HeaderMap, warm: None, name: str
) -> None:
    path = TABLES / name
    with pytest.raises(TableError, match=re.escape(str(path)) + ".*" + REFUSED[name]):
        timed_read(new_reader(lib, hm), path)


def test_hostile_workbook_is_a_usage_error_in_the_commands(tmp_path: Path) -> None:
    path = str(TABLES / "zip_bomb.xlsx")
    out, err = io.StringIO(), io.StringIO()
    code = main(["convert", path, "-o", str(tmp_path / "a.jsonl")], out=out, err=err)
    assert code == 2
    assert "zip 炸弹" in err.getvalue()
    assert not (tmp_path / "a.jsonl").exists()


def test_long_cell_text_rejects_its_row(lib: fr.Library, hm: HeaderMap, warm: None) -> None:
    r = new_reader(lib, hm)
    items = timed_read(r, TABLES / "long_text.xlsx")
    assert outcome(items) == [
        (2, "H1"),
        (3, f"「姓名」单元格有 33000 个字符, 超过上限 {MAX_CELL_CHARS}"),
        (4, f"「姓名」单元格有 33000 个字符, 超过上限 {MAX_CELL_CHARS}"),
        (5, "H4"),
    ]
    assert r.stats.balanced


def test_rows_padded_to_xfd_count_against_the_cell_cap(
    lib: fr.Library, hm: HeaderMap, warm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = TABLES / "wide_rows.xlsx"
    r = new_reader(lib, hm)
    items = timed_read(r, path)  # 163,840 cells: within the cap, each row lacking 户编号
    assert len(items) == 11
    assert all("缺少「户编号」" in (i.error or "") for i in items[1:])
    monkeypatch.setattr(workbooks, "MAX_CELLS", 100_000)
    with pytest.raises(TableError, match=r"wide_rows\.xlsx:Sheet1: 单元格 .* 超过上限 100000 个"):
        timed_read(new_reader(lib, hm), path)


def test_shared_strings_are_capped(
    lib: fr.Library, hm: HeaderMap, warm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the million shared strings fit in 9 KB only by a ratio the zip check refuses first
    monkeypatch.setattr(workbooks, "MAX_COMPRESSION_RATIO", 10_000)
    monkeypatch.setattr(workbooks, "MAX_SHARED_STRINGS", 1_000)
    with pytest.raises(TableError, match=r"xl/sharedStrings\.xml 的共享字符串超过上限 1000 个"):
        timed_read(new_reader(lib, hm), TABLES / "many_shared_strings.xlsx")


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        ("MAX_ZIP_MEMBERS", 4, r"压缩包中有 5 个文件, 超过上限 4 个"),
        ("MAX_UNCOMPRESSED_BYTES", 1_000, r"压缩包解压后共 \d+ 字节, 超过上限 1000 字节"),
        (
            "MAX_MEMBER_BYTES",
            500,
            r"压缩包中的 \[Content_Types\]\.xml 解压后有 558 字节, 超过上限 500 字节",
        ),
        (
            "MAX_PART_BYTES",
            300,
            r"压缩包中的 \[Content_Types\]\.xml 解压后有 558 字节, 超过上限 300 字节",
        ),
        (
            "MAX_ROWS",
            1,
            r"plain\.xlsx:Sheet1: 行数 \(各工作表合计, 含合并单元格所占的行\) 超过上限 1",
        ),
        ("MAX_ROW_ELEMENTS", 5, r"plain\.xlsx:Sheet1: 一行中的 XML 元素超过 5 个"),
        ("MAX_XLSX_BYTES", 1_000, r"plain\.xlsx: 文件过大 \(\d+ 字节, 上限 1000 字节\)"),
    ],
)
def test_each_limit_is_enforced_and_named(
    lib: fr.Library,
    hm: HeaderMap,
    warm: None,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    message: str,
) -> None:
    assert len(list(new_reader(lib, hm).read([TABLES / "plain.xlsx"]))) == 1
    monkeypatch.setattr(workbooks, limit, value)
    with pytest.raises(TableError, match=message):
        timed_read(new_reader(lib, hm), TABLES / "plain.xlsx")


def test_streamed_parts_are_not_held_to_the_whole_part_limit(
    lib: fr.Library, hm: HeaderMap, warm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # long_text.xlsx: a sheet and shared strings of over 33,000 bytes, the other parts under 1,000
    monkeypatch.setattr(workbooks, "MAX_PART_BYTES", 1_000)
    assert len(timed_read(new_reader(lib, hm), TABLES / "long_text.xlsx")) == 4


def test_merged_cells_are_filled_within_the_row_cap(
    lib: fr.Library, hm: HeaderMap, warm: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 户编号 merged over rows 2-4; row 4 has no cell of its own
    sheet = MAKE.sheet_xml(
        '<row r="3"><c r="B3" t="inlineStr"><is><t>黄某</t></is></c></row>',
        after='<mergeCells><mergeCell ref="A2:A4"/></mergeCells>',
    )
    path = tmp_path / "m.xlsx"
    path.write_bytes(MAKE.zipped(MAKE.package(sheet)))
    r = new_reader(lib, hm)
    (item,) = timed_read(r, path)
    assert item.source.endswith(":2-4")
    assert [m["name"] for m in item.record["members"]] == ["韦某", "黄某"]
    monkeypatch.setattr(workbooks, "MAX_ROWS", 3)
    with pytest.raises(
        TableError, match=r"Sheet1: 行数 \(各工作表合计, 含合并单元格所占的行\) 超过上限 3"
    ):
        timed_read(new_reader(lib, hm), path)


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B3" t="s"><v>7</v></c>',  # no shared string 7
        '<c r="B3"><v>twelve</v></c>',  # not a number
        '<c r="3B" t="inlineStr"><is><t>x</t></is></c>',  # not a cell reference
    ],
)
def test_broken_cell_xml_names_the_part(
    lib: fr.Library, hm: HeaderMap, warm: None, tmp_path: Path, cell: str
) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(MAKE.zipped(MAKE.package(MAKE.sheet_xml(f'<row r="3">{cell}</row>'))))
    with pytest.raises(
        TableError,
        match=r"不是可读的 XLSX 文件: 压缩包中的 xl/worksheets/sheet1\.xml 的内容不符合 XLSX 格式",
    ):
        timed_read(new_reader(lib, hm), path)


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        ("MAX_ROWS", 5, r"Sheet3: 行数 \(各工作表合计"),
        ("MAX_CELLS", 16, r"Sheet3: 单元格 \(各工作表合计"),
    ],
)
def test_the_limits_hold_for_all_sheets_together(
    lib: fr.Library,
    hm: HeaderMap,
    warm: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    message: str,
) -> None:
    # three sheets of two rows and six cells each: within either limit one by one
    path = tmp_path / "three.xlsx"
    path.write_bytes(MAKE.zipped(MAKE.more_sheets(MAKE.package(MAKE.sheet_xml()), 3)))
    assert len(timed_read(new_reader(lib, hm), path)) == 3
    monkeypatch.setattr(workbooks, limit, value)
    with pytest.raises(TableError, match=message):
        timed_read(new_reader(lib, hm), path)


def test_two_sheets_on_one_part_are_refused(
    lib: fr.Library, hm: HeaderMap, warm: None, tmp_path: Path
) -> None:
    # else a part of a few KB listed a thousand times would be parsed a thousand times
    path = tmp_path / "same.xlsx"
    parts = MAKE.more_sheets(MAKE.package(MAKE.sheet_xml()), 3, same_part=True)
    path.write_bytes(MAKE.zipped(parts))
    with pytest.raises(
        TableError, match=r"工作表「Sheet1」和「Sheet2」是同一内容 xl/worksheets/sheet1\.xml"
    ):
        timed_read(new_reader(lib, hm), path)


def test_a_sheet_whose_part_is_missing_is_not_skipped(
    lib: fr.Library, hm: HeaderMap, warm: None, tmp_path: Path
) -> None:
    parts = MAKE.package(MAKE.sheet_xml())
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "sheet1.xml", "sheet2.xml"
    )
    path = tmp_path / "s.xlsx"
    path.write_bytes(MAKE.zipped(parts))
    with pytest.raises(TableError, match=r"不是可读的 XLSX 文件: 找不到工作表「Sheet1」的内容"):
        timed_read(new_reader(lib, hm), path)


# --------------------------------------------------------------------------- CSV

CSV_EXPECTED: dict[str, list[tuple[int, str]]] = {
    "ragged.csv": [
        (2, "H1"),
        (3, "第 3 行有 1 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (4, "第 4 行有 4 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (5, "H4"),
        (6, "第 6 行有 2 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (7, "第 7 行有 2 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (8, "H6"),
    ],
    "oversized_cell.csv": [
        (2, "H1"),
        (3, f"第 3 行第 B 列有 33000 个字符, 超过单元格上限 {MAX_CELL_CHARS}"),
        (4, "H3"),
    ],
    "nul.csv": [(2, "H1"), (3, "第 3 行含有空字符 (NUL), 文件可能已损坏"), (4, "H3")],
    "mixed_line_endings.csv": [
        (2, "H1"),
        (3, "H2"),
        (4, "第 4 行有 2 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (5, "第 5 行有 2 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
        (6, "H4"),
        (8, "H5"),
    ],
    "bom_mid_file.csv": [
        (2, "H1"),
        (3, "第 3 行以字节顺序标记 (BOM, U+FEFF) 开头, 可能是两个文件拼接而成"),
        (4, "H2"),
    ],
    "undecodable_utf8.csv": [(2, "H1"), (3, "第 3 行不是 utf-8 编码 (第 64 字节起)"), (4, "H3")],
    "undecodable_gb18030.csv": [
        (2, "H1"),
        (3, "第 3 行不是 gb18030 编码 (第 53 字节起)"),
        (4, "H3"),
        (5, "H4"),
    ],
    "runaway_quote.csv": [
        (2, "H1"),
        (3, "第 3-5 行有 2 个单元格, 而表头有 3 列 (内容中的逗号、引号或换行可能没有加引号)"),
    ],
}


@pytest.mark.parametrize("name", sorted(CSV_EXPECTED))
def test_broken_csv_rows_are_rejected_and_the_rest_read(
    lib: fr.Library, hm: HeaderMap, name: str
) -> None:
    r = new_reader(lib, hm)
    items = timed_read(r, TABLES / name)
    assert outcome(items) == CSV_EXPECTED[name]
    assert r.stats.balanced
    assert r.stats.rows_read == len(CSV_EXPECTED[name])


def test_names_survive_the_gb18030_file_with_a_bad_line(lib: fr.Library, hm: HeaderMap) -> None:
    first, *_ = new_reader(lib, hm).read([TABLES / "undecodable_gb18030.csv"])
    assert first.record["members"][0]["name"] == "䶮某"


def test_a_cell_past_the_csv_modules_own_limit(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "户编号,姓名\r\nH1,韦某\r\nH2," + "x" * 140_000 + "\r\nH3,黄某\r\n", encoding="utf-8"
    )
    items = timed_read(new_reader(lib, hm), path)
    assert outcome(items) == [
        (2, "H1"),
        (3, "第 3 行有超过 131072 个字符的单元格 (可能是引号没有闭合)"),
        (4, "H3"),
    ]


def test_utf16_that_does_not_decode_is_refused_naming_the_line(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes("户编号,姓名\r\nH1,韦某\r\n".encode("utf-16") + b"\x00\xd8")
    with pytest.raises(TableError, match=r"u\.csv: 第 3 行不是 utf-16 编码"):
        list(new_reader(lib, hm).read([path]))


@pytest.mark.parametrize(
    ("forced", "message"),
    [
        ("rot13", r"未知的编码 'rot13'"),  # a codec, not a text encoding
        ("zlib", r"未知的编码 'zlib'"),
        ("idna", r"x\.csv: 无法按 idna 编码读取"),  # fails otherwise than at a byte
    ],
)
def test_forced_encodings_that_are_no_text_encodings(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path, forced: str, message: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("户编号,姓名\r\nH1,\xff\r\n".encode() + b"\xff")
    with pytest.raises(TableError, match=message):
        list(new_reader(lib, hm, encoding=forced).read([path]))


def test_decode_csv_bytes_stays_strict() -> None:
    assert decode_csv_bytes("\ufeff户编号\r\n".encode(), "a.csv") == ("户编号\r\n", "utf-8-sig")
    with pytest.raises(TableError, match=r"a\.csv: 第 2 行不是 utf-8 编码 \(第 4 字节\)"):
        decode_csv_bytes(b"a\r\nb\xff\r\n", "a.csv", "utf-8")


# --------------------------------------------------------------------------- properties

_PIECES = [
    b",", b'"', b"\r\n", b"\n", b"\r", b"\t", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\x81",
    "韦某".encode(), "黄某".encode("gb18030"), b"H1", b"H2", b"450102198001011234", b"x" * 40,
]  # fmt: skip
_HEADER = "户编号,姓名,证件号码\r\n".encode()


def _lines_after_header(data: bytes, table_header: int) -> int:
    return len(data.splitlines()) - table_header


@SETTINGS
@given(
    header=st.booleans(),
    body=st.one_of(
        st.binary(max_size=300), st.lists(st.sampled_from(_PIECES), max_size=60).map(b"".join)
    ),
)
def test_any_bytes_as_csv(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path, header: bool, body: bytes
) -> None:
    data = (_HEADER if header else b"") + body
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    r = new_reader(lib, hm)
    try:
        tables = r.tables(path)
        items = [item for table in tables for item in r.assemble(table)]
    except TableError:
        return
    (table,) = tables
    assert r.stats.balanced
    assert sum(i.rows for i in items) == r.stats.rows_read
    numbers = [row.number for row in table.rows]
    assert numbers == sorted(set(numbers))
    assert all(table.header_row < n <= max(len(data.splitlines()), 1) for n in numbers)
    if b'"' not in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # without quotes each line is one row: every line after the header is accounted for
        assert r.stats.rows_read + r.stats.blank_rows == _lines_after_header(data, table.header_row)


def _parts_with(part: str, content: bytes) -> bytes:
    parts = MAKE.package(MAKE.sheet_xml(), strings="<si><t>H9</t></si>")
    raw = {name: text.encode() for name, text in parts.items()}
    raw[part] = content
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in raw.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


_PARTS = [
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
]
_XML_PIECES = [
    "<row>", "</row>", '<row r="3">', '<c r="A3" t="s">', '<c t="inlineStr">', "<c>", "</c>",
    "<v>0</v>", "<v>1e400</v>", "<v>-1</v>", "<is><t>x</t></is>", '<mergeCell ref="A1:B9"/>',
    "<mergeCells>", "</mergeCells>", "<sheetData>", "</sheetData>", "<si>", "</si>", "<t>",
    "</t>", "&amp;", "&lt;", "<!-- -->", "<!DOCTYPE x>", '<?xml version="1.0"?>', "户编号", "\x00",
]  # fmt: skip


_VALUES = [
    "", "<v>0</v>", "<v>1</v>", "<v>-1</v>", "<v>1e400</v>", "<v>abc</v>", "<v>#N/A</v>",
    "<v>2018-01-01</v>", "<is><t>x</t></is>", "<f>1+1</f>", "<f>1+1</f><v>2</v>",
]  # fmt: skip
_CELL = st.builds(
    "<c{}{}{}>{}</c>".format,
    st.sampled_from(["", ' r="A3"', ' r="B3"', ' r="XFD3"', ' r="ZZZ3"', ' r="3B"', ' r="A0"']),
    st.sampled_from(["", ' t="s"', ' t="inlineStr"', ' t="b"', ' t="e"', ' t="str"', ' t="d"']),
    st.sampled_from(["", ' s="1"', ' s="x"']),
    st.sampled_from(_VALUES),
)
_ROW = st.builds(
    "<row{}>{}</row>".format,
    st.sampled_from(["", ' r="3"', ' r="x"', ' r="1e3"', ' r="-1"', ' ht="20" customHeight="1"']),
    st.lists(_CELL, max_size=4).map("".join),
)
_MERGES = [
    "",
    '<mergeCells><mergeCell ref="A2:A5"/></mergeCells>',
    '<mergeCells><mergeCell ref="A:A"/></mergeCells>',
    '<mergeCells><mergeCell ref="B1:A1"/></mergeCells>',
    "<mergeCells><mergeCell/></mergeCells>",
]


@SETTINGS
@given(
    part=st.sampled_from(_PARTS),
    content=st.one_of(
        st.binary(max_size=200),
        st.lists(st.sampled_from(_XML_PIECES), max_size=40).map(
            lambda p: (
                '<worksheet xmlns="' + MAKE.MAIN + '">' + "".join(p) + "</worksheet>"
            ).encode()
        ),
        # the header and a household, then rows of odd cells
        st.tuples(st.lists(_ROW, max_size=4), st.sampled_from(_MERGES)).map(
            lambda rows_merge: MAKE.sheet_xml("".join(rows_merge[0]), after=rows_merge[1]).encode()
        ),
    ),
    whole=st.binary(max_size=200),
)
def test_any_bytes_as_xlsx(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path, part: str, content: bytes, whole: bytes
) -> None:
    for i, data in enumerate([whole, _parts_with(part, content)]):
        path = tmp_path / f"any{i}.xlsx"
        path.write_bytes(data)
        r = new_reader(lib, hm)
        try:
            items = list(r.read([path]))
        except TableError:
            continue
        assert r.stats.balanced
        assert sum(i.rows for i in items) == r.stats.rows_read


# text that round-trips through convert today: no control characters or lone surrogates,
# nothing convert strips (spaces at either end, a quote before = + - @)
_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn")),
    min_size=1,
    max_size=12,
).filter(lambda t: t == t.strip(" \t\r\n\u3000\ufeff\u200b") and not t.startswith("'"))


def _convert(rules: Path, *argv: str) -> None:
    # an empty rules folder: only the bundled code lists, record schemas and header maps load
    out, err = io.StringIO(), io.StringIO()
    code = main(["convert", "--rules", str(rules), *argv], out=out, err=err)
    assert code == 0, err.getvalue()


def _cells(path: Path, headers: list[str]) -> list[list[Any]]:
    """The cells under ``headers`` of a table file, row by row, as stored."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    at = [rows[0].index(h) for h in headers]
    return [[row[i] for i in at] for row in rows]


@settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=10
)
@given(
    rows=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=5),
    kind=st.sampled_from(["xlsx", "csv"]),
)
def test_text_tables_round_trip_through_convert(
    tmp_path: Path, rows: list[tuple[str, str]], kind: str
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    headers = ["户编号", "户主姓名", "姓名"]
    table = [[f"H{i}", head, name] for i, (head, name) in enumerate(rows)]
    first, back = tmp_path / f"in.{kind}", tmp_path / f"back.{kind}"
    if kind == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for r, values in enumerate([headers, *table], start=1):
            for c, value in enumerate(values, start=1):
                xlsx_value(ws.cell(row=r, column=c), value)
        write_xlsx(wb, first)
    else:
        with first.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows(
                [csv_cell(v) for v in row] for row in [headers, *table]
            )
    _convert(rules, str(first), "-o", str(tmp_path / "a.jsonl"))
    records = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text("utf-8").splitlines()]
    assert [[r["household_id"], r["head_name"], r["members"][0]["name"]] for r in records] == table
    _convert(rules, str(tmp_path / "a.jsonl"), "-o", str(back))
    assert _cells(back, headers) == _cells(first, headers)
