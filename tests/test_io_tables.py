"""Reading spreadsheets into records: encodings, header maps, grouping, rejected rows, round trips."""

from __future__ import annotations

import codecs
import importlib.util
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import fupin_rules as fr
from fupin_rules.io.headermaps import HeaderMap
from fupin_rules.io.spreadsheets import TableError, detect_encoding, write_xlsx, xlsx_value
from fupin_rules.io.tables import TableReader, records_to_rows

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def _load_fixture_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _load_fixture_module()


@pytest.fixture(scope="module")
def lib() -> fr.Library:
    return fr.load_library()


@pytest.fixture(scope="module")
def hm(lib: fr.Library) -> HeaderMap:
    return lib.headermaps["cn.national.household-export"][-1]  # type: ignore[no-any-return]


def reader(lib: fr.Library, hm: HeaderMap, **kw: Any) -> TableReader:
    return TableReader(hm, lib.record_schemas["household"], **kw)


def write_rows(path: Path, rows: list[list[Any]], *, title: str = "Sheet") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- fixtures


def test_fixtures_are_regenerated_byte_for_byte(tmp_path: Path) -> None:
    MAKE.make_xlsx(tmp_path / "a.xlsx")
    MAKE.make_csv(tmp_path / "a.csv")
    assert (tmp_path / "a.xlsx").read_bytes() == (FIXTURES / "national_export.xlsx").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (
        FIXTURES / "national_export_gb18030.csv"
    ).read_bytes()


def test_national_export_xlsx(lib: fr.Library, hm: HeaderMap) -> None:
    r = reader(lib, hm)
    items = list(r.read([FIXTURES / "national_export.xlsx"]))
    exp = MAKE.EXPECTED
    records = [i for i in items if i.ok]
    rejected = [i for i in items if not i.ok]
    assert [i.record["household_id"] for i in records] == exp["records"]
    assert [int(i.source.rsplit(":", 1)[1]) for i in rejected] == exp["rejected_sheet_rows"]
    assert r.stats.rows_read == exp["rows_read"]
    assert r.stats.blank_rows == exp["blank_rows"]
    assert r.stats.rejected_rows == exp["rejected_rows"]
    assert r.stats.balanced
    assert sum(i.rows for i in items) == r.stats.rows_read
    reasons = [i.error or "" for i in rejected]
    assert "以数字形式存储" in reasons[0]
    assert "证件号码" in reasons[0]
    assert rejected[0].record_id == "H005"
    assert rejected[0].division == "451025102302"
    assert "缺少「户编号」" in reasons[1]
    assert rejected[1].record_id is None
    assert rejected[1].division == "451025102302"
    by_id = {i.record["household_id"]: i for i in records}
    for rid, texts in exp["problems"].items():
        problems = by_id[rid].problems
        assert len(problems) == len(texts)
        for problem, text in zip(problems, texts, strict=True):
            assert problem.startswith(text), problem
    assert "公式但没有计算结果" in by_id["H004"].problems[0]
    assert "household_size" not in by_id["H004"].record
    assert len(by_id["H004"].record["members"]) == 1
    # every member of H006 kept, the head's row's value
    h006 = by_id["H006"].record
    assert [m["name"] for m in h006["members"]] == ["韦某军", "陆小"]
    assert h006["household_size"] == 1
    assert [i.problems for i in records if i.record["household_id"] in {"H001", "H002"}] == [
        (),
        (),
    ]
    # the merged 户编号 cell groups H002's two rows; 䶮 survives
    h002 = records[1]
    assert h002.source.endswith(":6-7")
    assert [m["name"] for m in h002.record["members"]] == ["蓝某", "䶮某"]
    assert h002.record["exit_year"] == 2017
    assert h002.record["per_capita_net_income"] == 4000
    # hostile text is kept as text
    h003 = records[2]
    assert h003.record["head_name"].startswith("=HYPERLINK")
    assert h003.record["members"][1]["name"] == "-2+3"
    # unknown column reported once, the notes sheet skipped
    warnings = " ".join(r.stats.warnings)
    assert warnings.count("联系人备注") == 1
    assert "填表说明" in warnings


def test_gb18030_csv_with_field_codes(lib: fr.Library, hm: HeaderMap) -> None:
    path = FIXTURES / "national_export_gb18030.csv"
    assert detect_encoding(path.read_bytes()) == "gb18030"
    r = reader(lib, hm)
    items = list(r.read([path]))
    ok = [i for i in items if i.ok]
    assert [i.record["household_id"] for i in ok] == ["G001", "G003"]
    g001 = ok[0].record
    assert g001["members"][0]["name"] == "䶮某"
    assert g001["members"][0]["birth_date"] == "1980-01-01"
    assert g001["members"][1]["critical_illness_insurance"] is False
    assert ok[1].record["members"][0]["birth_date"] == "1949-12-31"
    (bad,) = [i for i in items if not i.ok]
    assert bad.source.endswith(":4")
    assert "4.50102E+17" in (bad.error or "")
    assert r.stats.balanced
    assert r.stats.rows_read == 4


@pytest.mark.parametrize("forced", ["gbk", "GB2312", "gb18030"])
def test_forced_gbk_reads_as_gb18030(
    lib: fr.Library, hm: HeaderMap, forced: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("户编号,姓名,证件号码\r\nH1,䶮某,11010519491231002X\r\n".encode("gb18030"))
    (item,) = reader(lib, hm, encoding=forced).read([path])
    assert item.record["members"][0]["name"] == "䶮某"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE)],
)
def test_utf_encodings_and_bom_stripped(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path, encoding: str, bom: bytes
) -> None:
    path = tmp_path / "x.csv"
    text = "户编号,姓名\r\nH1,韦某\r\n"
    path.write_bytes(bom + text.encode(encoding))
    r = reader(lib, hm)
    (item,) = r.read([path])
    assert item.record == {"household_id": "H1", "members": [{"name": "韦某"}]}
    assert not r.stats.warnings


def test_undecodable_csv_lines_are_rejected_rows(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("户编号,姓名\r\n".encode() + b"H1,\xff\xfe\xff\r\n" + "H2,韦某\r\n".encode())
    for forced in (None, "utf-8"):
        r = reader(lib, hm, encoding=forced)
        bad, good = r.read([path])
        assert bad.source.endswith(":2")
        assert "第 2 行不是 utf-8 编码 (第 21 字节起)" in (bad.error or "")
        assert good.record == {"household_id": "H2", "members": [{"name": "韦某"}]}
        assert r.stats.balanced
    path.write_bytes(b"\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7,\xff\r\nH1,x\r\n")
    with pytest.raises(TableError, match="表头行不能使用: 第 1 行不是 utf-8 编码"):
        list(reader(lib, hm).read([path]))


# --------------------------------------------------------------------------- headers


def test_duplicate_mapped_header_is_an_error(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "d.xlsx", [["户编号", "姓名", "姓名 "], ["H1", "a", "b"]])
    with pytest.raises(TableError, match=r"表头重复.*姓名.*第 B 列和第 C 列"):
        list(reader(lib, hm).read([path]))


def test_two_headers_for_one_field_is_an_error(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "d.xlsx", [["户编号", "AAC001"], ["H1", "H1"]])
    with pytest.raises(TableError, match=r"「户编号」和「AAC001」.*household_id"):
        list(reader(lib, hm).read([path]))


def test_duplicate_unknown_header_is_a_warning(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "d.xlsx", [["户编号", "杂项", "杂项"], ["H1", "a", "b"]])
    r = reader(lib, hm)
    (item,) = r.read([path])
    assert item.ok
    assert any("表头重复" in w for w in r.stats.warnings)


def test_missing_household_id_column_names_it(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "m.xlsx", [["姓名", "证件号码"], ["a", "11010519491231002X"]])
    with pytest.raises(TableError, match="户编号"):
        list(reader(lib, hm).read([path]))


def test_header_spaces_line_breaks_and_title_rows(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(
        tmp_path / "h.xlsx",
        [["某村贫困户花名册"], [], ["户 编号", "姓\n名", "家庭人口数*"], ["H1", "韦某", 1]],
    )
    (item,) = reader(lib, hm).read([path])
    assert item.record == {"household_id": "H1", "household_size": 1, "members": [{"name": "韦某"}]}
    assert item.source.endswith(":4")


def test_unsupported_files(lib: fr.Library, hm: HeaderMap, tmp_path: Path) -> None:
    (tmp_path / "a.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(TableError, match=r"\.xls"):
        list(reader(lib, hm).read([tmp_path / "a.xls"]))
    with pytest.raises(TableError, match="不存在"):
        list(reader(lib, hm).read([tmp_path / "none.xlsx"]))
    (tmp_path / "b.xlsx").write_bytes(b"not a zip")
    with pytest.raises(TableError, match="不是可读的 XLSX"):
        list(reader(lib, hm).read([tmp_path / "b.xlsx"]))


# --------------------------------------------------------------------------- values


def test_value_conversions(lib: fr.Library, hm: HeaderMap, tmp_path: Path) -> None:
    import datetime as dt

    path = write_rows(
        tmp_path / "v.xlsx",
        [
            ["户编号", "贫困户属性", "脱贫标志", "其他致贫原因", "人均纯收入(元)", "出生日期",
             "是否参加大病保险", "行政区划代码", "证件号码", "家庭人口数"],
            [10001, 4, 1, "因病、因学", 3535.5, dt.datetime(1980, 1, 2), "否",
             451025101201, "'=cmd", "1,200"],
        ],
    )  # fmt: skip
    (item,) = reader(lib, hm).read([path])
    rec = item.record
    assert rec["household_id"] == "10001"
    assert rec["household_attribute"] == "04"  # zero-padded to the code list's width
    assert rec["exit_status"] == "1"
    assert rec["other_poverty_causes"] == ["因病", "因学"]
    assert rec["per_capita_net_income"] == Decimal("3535.5")
    assert rec["division_code"] == "451025101201"
    m = rec["members"][0]
    assert m == {
        "birth_date": "1980-01-02",
        "critical_illness_insurance": False,
        "id_number": "=cmd",
    }
    # a wrong value is kept, so the schema names it
    assert rec["household_size"] == "1,200"
    schema = lib.record_schemas["household"]
    normalised, reasons = schema.check(rec)
    assert normalised["household_attribute"] == "04"
    assert any("「家庭人口数」" in r for r in reasons)


def test_long_numbers_in_text_columns_are_rejected(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "n.xlsx", [["户编号", "姓名"], [4510251012010001, "a"]])
    (item,) = reader(lib, hm).read([path])
    assert not item.ok
    assert "16 位" in (item.error or "")


def test_error_cells_in_household_columns_keep_the_member(
    lib: fr.Library, hm: HeaderMap, tmp_path: Path
) -> None:
    """An error value in a household column leaves that field empty and is a problem of the
    household; the row's member is kept. In a member column it rejects the row."""
    path = write_rows(
        tmp_path / "e.xlsx",
        [
            ["户编号", "家庭人口数", "姓名", "证件号码"],
            ["H1", "#N/A", "甲", "x"],
            ["H2", 1, "乙", "#N/A"],
        ],
    )
    # openpyxl writes "#N/A" as an error cell
    first, second = reader(lib, hm).read([path])
    assert first.ok
    assert first.record["members"] == [{"name": "甲", "id_number": "x"}]
    assert "household_size" not in first.record
    assert first.problems == ("第 2 行: 「家庭人口数」单元格是错误值 #N/A",)
    assert not second.ok
    assert "错误值" in (second.error or "")
    assert second.record_id == "H2"


# --------------------------------------------------------------------------- round trip


def _households(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        size = rng.randint(1, 4)
        members = [
            {
                "name": f"成员{i}-{j}",
                "sex": rng.choice(["男", "女"]),
                "id_number": MAKE.gid(f"19{rng.randint(40, 99)}0101", i * 10 + j, "男"),
                "birth_date": f"19{rng.randint(40, 99)}-01-01",
                "relation": "01" if j == 0 else rng.choice(["02", "03", "04"]),
                "critical_illness_insurance": rng.choice([True, False]),
            }
            for j in range(size)
        ]
        out.append(
            {
                "household_id": f"H{i:04d}",
                "division_code": f"451025{rng.randint(101, 103)}{rng.randint(201, 205)}",
                "household_size": size,
                "household_attribute": rng.choice(["01", "04", "06"]),
                "per_capita_net_income": Decimal(rng.randint(1000, 9000)) / 2,
                "other_poverty_causes": rng.sample(["1", "2", "3"], k=2),
                "members": members,
            }
        )
    return out


def test_records_to_xlsx_to_records(lib: fr.Library, hm: HeaderMap, tmp_path: Path) -> None:
    schema = lib.record_schemas["household"]
    records = _households(25, seed=5)
    headers, rows = records_to_rows(records, hm, schema)
    wb = Workbook()
    ws = wb.active
    for c, h in enumerate(headers, start=1):
        xlsx_value(ws.cell(row=1, column=c), h)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            xlsx_value(ws.cell(row=r, column=c), value)
    write_xlsx(wb, tmp_path / "rt.xlsx")
    items = list(reader(lib, hm).read([tmp_path / "rt.xlsx"]))
    assert all(i.ok for i in items)
    back = [schema.check(i.record)[0] for i in items]
    assert back == [schema.check(r)[0] for r in records]


# --------------------------------------------------------------------------- nothing lost

_GOOD = ["H{h}", "451025101201", "{size}", "一般贫困户", "成员{h}", "11010519491231002X"]
_HEADER = ["户编号", "行政区划代码", "家庭人口数", "贫困户属性", "姓名", "证件号码"]
_BAD_ROWS = {
    "no_id": ["", "451025101201", "1", "01", "x", "11010519491231002X"],
    "conflict": ["H{h}", "451025101201", "99", "01", "x", "11010519491231002X"],
    "scientific_id": ["H{h}", "451025101201", "", "01", "x", "1.10105E+17"],
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    households=st.lists(st.integers(min_value=1, max_value=3), min_size=0, max_size=12),
    bad=st.lists(
        st.tuples(st.sampled_from(sorted(_BAD_ROWS)), st.integers(min_value=0, max_value=60)),
        max_size=10,
    ),
    blank=st.lists(st.integers(min_value=0, max_value=60), max_size=3),
    shuffle=st.randoms(use_true_random=False),
)
def test_nothing_lost(
    lib: fr.Library,
    hm: HeaderMap,
    tmp_path: Path,
    households: list[int],
    bad: list[tuple[str, int]],
    blank: list[int],
    shuffle: random.Random,
) -> None:
    rows: list[list[str]] = []
    for h, size in enumerate(households):
        for _ in range(size):
            rows.append([cell.format(h=h, size=size) for cell in _GOOD])
    shuffle.shuffle(rows)
    for kind, pos in bad:
        h = pos % max(len(households), 1)
        row = [cell.format(h=h, size=1) for cell in _BAD_ROWS[kind]]
        # a conflicting row for a household that does not exist starts a new one
        if kind == "conflict" and not households:
            row[0] = ""
        rows.insert(min(pos, len(rows)), row)
    data_rows = len(rows)
    for pos in blank:
        rows.insert(min(pos, len(rows)), [""] * len(_HEADER))
    path = tmp_path / "p.csv"
    text = "\r\n".join(",".join(r) for r in [_HEADER, *rows]) + "\r\n"
    path.write_bytes(text.encode("gb18030"))
    r = reader(lib, hm)
    items = list(r.read([path]))
    assert r.stats.rows_read == data_rows
    assert sum(i.rows for i in items) == data_rows
    assert r.stats.rows_in_records + r.stats.rejected_rows == data_rows
    assert r.stats.balanced
    # every injected row is rejected (a conflict row may meet its household first or not:
    # when it comes first it is the household's first row and the good rows conflict instead)
    assert r.stats.rejected_rows >= sum(1 for k, _ in bad if k != "conflict")
    assert r.stats.records == len({i.record["household_id"] for i in items if i.ok})
    sources = [i.source for i in items if not i.ok]
    assert len(sources) == len(set(sources))
