"""Problem lists: fupin-rules check, grouping, safe and deterministic outputs."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.io.jsonl import InputRecord, read_jsonl
from fupin_rules.reports import (
    COLUMNS,
    RECTIFICATION,
    ProblemList,
    check_records,
    division_names,
    division_parts,
    problem_id,
    read_division_names,
    read_returned,
    rectify,
)

FIXTURES = Path(__file__).parent / "fixtures" / "io"
XLSX = FIXTURES / "national_export.xlsx"
CSV = FIXTURES / "national_export_gb18030.csv"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def lib() -> fr.Library:
    return fr.load_library()


def test_division_parts() -> None:
    assert division_parts("451025101201") == ("451025", "451025101", "451025101201")
    assert division_parts("4510") == ("(未知)", "(未知)", "(未知)")
    assert division_parts(None)[0] == "(未知)"


def test_check_writes_jsonl_and_accounts_for_every_row(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    code, _, err = run("check", "--as-of", "2018-12-01", str(XLSX), str(CSV), "-o", str(out))
    assert code == 1  # problems found
    last = err.strip().splitlines()[-1]
    # every member row kept: only rows with a bad member cell or no 户编号 are rejected
    assert last.startswith("读入 16 行: 组成 7 户, 拒收 3 行; 评估 7 户: 无效 0 户")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert set(lines[0]) == {name for name, _ in COLUMNS}
    by_kind = {(ln["category"], ln["criterion"], ln["record_id"]) for ln in lines}
    assert ("不达标", "primary_school_age", "H001") in by_kind
    assert ("不达标", "id_number_valid", "H003") in by_kind
    assert ("不达标", "id_sex", "H003") in by_kind
    assert ("重复", "person_in_two_households", "H001") in by_kind
    assert ("重复", "person_in_two_households", "H006") in by_kind
    rejected = [ln for ln in lines if ln["category"] == "无法导入"]
    assert len(rejected) == 3
    assert all(ln["location"] for ln in rejected)
    # a rejected row keeps its household id and village when the row has them
    assert {(ln["record_id"], ln["village"]) for ln in rejected} == {
        ("G002", "451025103401"),
        ("H005", "451025102302"),
        (None, "451025102302"),
    }
    (conflict,) = [ln for ln in lines if ln["category"] == "户信息不一致"]
    assert conflict["record_id"] == "H006"
    assert "第 13 行为 1; 第 14 行为 5" in conflict["message"]
    (cell,) = [ln for ln in lines if ln["category"] == "单元格无法使用"]
    assert cell["record_id"] == "H004"
    assert "公式" in cell["message"]
    member = next(ln for ln in lines if ln["criterion"] == "id_sex")
    assert member["member"].startswith("第 2 名 -2+3 (")
    assert member["village"] == "451025102301"
    assert member["township"] == "451025102"
    assert member["county"] == "451025"
    assert "GB 11643" in member["sources"]


def test_xlsx_problem_list_is_safe_and_shaped(tmp_path: Path) -> None:
    out = tmp_path / "问题清单.xlsx"
    code, _, _ = run("check", "--as-of", "2018-12-01", str(XLSX), str(CSV), "-o", str(out))
    assert code == 1
    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "运行情况", "全部问题"]
    assert "乡镇451025101" in wb.sheetnames
    assert "乡镇451025102" in wb.sheetnames
    assert "乡镇(未知)" not in wb.sheetnames  # rejected rows are placed by their own row
    assert "乡镇451025103" in wb.sheetnames
    texts = []
    for ws in wb:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell)
    headers = [c.value for c in wb["全部问题"][1]]
    assert headers == [title for _, title in (*COLUMNS, *RECTIFICATION)]
    risky = [c for c in texts if c.value.startswith(("=", "+", "-", "@"))]
    assert any(c.value.startswith("=HYPERLINK") for c in risky)
    assert any(c.value.startswith("第 2 名 -2+3") or c.value.startswith("-2+3") for c in texts)
    for cell in risky:
        assert cell.data_type == "s"
        assert cell.quotePrefix
    # ID numbers stay text
    ids = [c for c in texts if "451025197003050032" in c.value]
    assert ids
    summary = {(r[2], r[4]): r[5] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary[("451025101201", "一人多户")] == 1


def test_outputs_are_deterministic(tmp_path: Path) -> None:
    for fmt in ("xlsx", "csv", "jsonl", "md"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        run("check", "--as-of", "2018-12-01", str(XLSX), str(CSV), "-o", str(a))
        run("check", "--as-of", "2018-12-01", str(XLSX), str(CSV), "-o", str(b))
        assert a.read_bytes() == b.read_bytes(), fmt


def test_deterministic_across_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "12345"):
        out = tmp_path / f"s{seed}.xlsx"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "fupin_rules.cli", "check", "--as-of", "2018-12-01",
             str(XLSX), str(CSV), "-o", str(out)],
            env=env, check=False, capture_output=True,
        )  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_csv_has_bom_and_neutralised_cells(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    run("check", "--as-of", "2018-12-01", str(XLSX), "-o", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=" not in text
    assert '"=' not in text


def test_markdown_summary_to_stdout() -> None:
    code, out, err = run("check", "--as-of", "2018-12-01", str(XLSX))
    assert code == 1
    assert out.startswith("# 问题清单汇总")
    assert "| 451025 | 451025101 | 451025101201 | 一人多户 | 1 | 1 |" in out
    assert "读入 12 行" in err


def test_clean_data_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    record = {
        "household_id": "H1",
        "division_code": "451025101201",
        "household_size": 1,
        "members": [
            {
                "name": "王某",
                "sex": "女",
                "relation": "01",
                "id_number": "11010519491231002X",
                "birth_date": "1949-12-31",
            }
        ],
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run("check", "--as-of", "2018-12-01", str(path), "--format", "jsonl")
    assert code == 0
    assert out == ""
    assert "问题 0 条" in err


def test_standards_can_be_combined(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    code, _, err = run(
        "check",
        "--as-of",
        "2018-12-01",
        "--standards",
        "cn.record.quality,gx.household.exit@2016",
        str(XLSX),
        "-o",
        str(out),
    )
    assert code == 1, err
    checks = {json.loads(x)["check"] for x in out.read_text(encoding="utf-8").splitlines()}
    assert "gx.household.exit@2016" in checks
    assert "cn.record.quality@2014" in checks


def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = run("check", str(XLSX))
    assert code == 2
    assert "--as-of" in err
    code, _, err = run("check", "--as-of", "2018-12-01", str(XLSX), "--format", "xlsx")
    assert code == 2
    assert "-o" in err
    code, _, err = run("check", "--as-of", "2018-12-01", "--standards", "nope", str(XLSX))
    assert code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,证件号码\n王某,1\n", encoding="utf-8")
    code, _, err = run("check", "--as-of", "2018-12-01", str(bad))
    assert code == 2
    assert "户编号" in err
    assert "--standards" in run_help()


def run_help() -> str:
    from fupin_rules.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return str(sub.choices["check"].format_help())


def test_invalid_record_listed_once_per_reason(lib: fr.Library) -> None:
    rs = [
        lib.get("cn.record.quality", as_of="2018-12-01"),
        lib.get("gx.household.exit", version="2016"),
    ]
    items = [
        InputRecord(source="a:1", record={"household_id": "H1", "household_size": "x"}),
        InputRecord(source="a:2", error="坏行"),
    ]
    pl = check_records(rs, items, as_of="2018-12-01")
    assert isinstance(pl, ProblemList)
    invalid = [ln for ln in pl.lines if ln.category == "记录无效"]
    assert len(invalid) == 1
    assert pl.invalid_records == 1
    assert pl.rejected_rows == 1
    assert pl.rows_read == 2


def test_interrupted_xlsx_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fupin_rules.io.files as writer  # every atomic write goes through it

    def boom(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer.os, "fsync", boom)
    out = tmp_path / "p.xlsx"
    code, _, err = run("check", "--as-of", "2018-12-01", str(XLSX), "-o", str(out))
    assert code == 130
    assert err.endswith("已中断 (Ctrl-C); 结果文件未写出, 原有的文件 (若有) 未改动\n")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_convert_round_trip(tmp_path: Path) -> None:
    jsonl = tmp_path / "h.jsonl"
    code, _, err = run("convert", str(XLSX), "-o", str(jsonl))
    assert code == 0
    assert "拒收" in err
    xlsx = tmp_path / "h.xlsx"
    assert run("convert", str(jsonl), "-o", str(xlsx))[0] == 0
    back = tmp_path / "back.jsonl"
    assert run("convert", str(xlsx), "-o", str(back))[0] == 0
    assert back.read_text(encoding="utf-8") == jsonl.read_text(encoding="utf-8")


def test_progress_bar_only_on_a_terminal() -> None:
    from fupin_rules.progress import progress

    buffer = io.StringIO()
    assert list(progress(range(3), total=3, label="x", stream=buffer)) == [0, 1, 2]
    assert buffer.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    assert list(progress(range(3), total=3, label="检查", stream=tty)) == [0, 1, 2]
    assert "检查" in tty.getvalue()
    assert tty.getvalue().endswith("\r")  # the line is cleared at the end


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        '=HYPERLINK("http://x","y")',
        "普通文字",
        "\x07响铃\x00",
        "孤\ud800",
        "䶮\u202e\u200b😀",
        "长" * 40_000,
    ],
)
def test_hostile_cells_round_trip_as_text(tmp_path: Path, text: str) -> None:
    from openpyxl import Workbook

    from fupin_rules.io.spreadsheets import (
        MAX_CELL_CHARS,
        csv_cell,
        dangerous,
        safe_text,
        visible,
        write_xlsx,
        xlsx_value,
    )

    wb = Workbook()
    xlsx_value(wb.active.cell(row=1, column=1), text)
    write_xlsx(wb, tmp_path / "h.xlsx")
    cell = load_workbook(tmp_path / "h.xlsx").active["A1"]
    assert cell.data_type == "s"
    assert cell.value == safe_text(text)
    assert len(cell.value) <= MAX_CELL_CHARS
    assert bool(cell.quotePrefix) == dangerous(text)
    csv_text = csv_cell(text)
    assert not dangerous(csv_text)
    assert csv_text.removeprefix("'") == visible(text)


def test_lone_surrogates_do_not_break_writers(lib: fr.Library, tmp_path: Path) -> None:
    from fupin_rules.reports import write_problem_list

    rs = [lib.get("cn.record.quality", as_of="2018-12-01")]
    record = {
        "household_id": "H\ud800",
        "division_code": "451025101201",
        "household_size": 1,
        "members": [{"name": "孤\udc00", "relation": "01", "id_number": "1"}],
    }
    pl = check_records(rs, [InputRecord(source="a:1", record=record)], as_of="2018-12-01")
    assert pl.lines
    for fmt in ("xlsx", "csv", "jsonl", "md"):
        out = tmp_path / f"p.{fmt}"
        write_problem_list(pl, out, fmt)  # type: ignore[arg-type]
        assert out.stat().st_size > 0
    assert "\\ud800" in (tmp_path / "p.jsonl").read_text(encoding="utf-8")


def test_header_map_from_a_file_and_from_other_rule_folders(tmp_path: Path) -> None:
    hm_file = tmp_path / "county.yaml"
    hm_file.write_text(
        "kind: headermap\nid: county.form\nversion: '1'\ntitle: 县表\nsubject: household\n"
        "sources: [{id: s, title: 县表}]\ncolumns: {家庭编号: household_id, 成员姓名: members.name}\n",
        encoding="utf-8",
    )
    data = tmp_path / "d.csv"
    data.write_text("家庭编号,成员姓名\nA1,王某\n", encoding="utf-8")
    code, _, err = run(
        "convert", "--header-map", str(hm_file), str(data), "-o", str(tmp_path / "o.jsonl")
    )
    assert code == 0, err
    assert '"household_id":"A1"' in (tmp_path / "o.jsonl").read_text(encoding="utf-8")
    # a library loaded from another folder still finds the bundled national map
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copytree(
        Path(fr.__file__).parent.parent / "standards" / "cn.record.quality", rules / "q"
    )
    code, _, err = run(
        "check", "--as-of", "2018-12-01", "--rules", str(rules), str(XLSX), "--format", "jsonl"
    )
    assert code == 1, err


def test_problem_lists_are_laid_out_to_hand_out(tmp_path: Path) -> None:
    """Each problem sheet prints landscape on A4, fits the page width, repeats its header row
    on every page, wraps long texts, sizes columns from their content, and leaves the 整改
    columns empty for the village to fill in."""
    out = tmp_path / "问题清单.xlsx"
    run("check", "--as-of", "2018-12-01", str(XLSX), str(CSV), "-o", str(out))
    wb = load_workbook(out)
    ws = wb["全部问题"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1"
    headers = [c.value for c in ws[1]]
    message = headers.index("说明") + 1
    letter = ws.cell(row=1, column=message).column_letter
    assert ws.column_dimensions[letter].width > 30
    assert ws.cell(row=2, column=message).alignment.wrap_text
    wrapped = {"说明", "问题", "依据", "成员"}
    for col, header in enumerate(headers, start=1):
        if header in wrapped:
            continue
        letter = ws.cell(row=1, column=col).column_letter
        longest = max(
            sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(ws.cell(row=r, column=col).value or ""))
            for r in range(1, ws.max_row + 1)
        )
        # nothing cut off in a column that does not wrap (up to the widest a column gets)
        assert ws.column_dimensions[letter].width >= min(longest, 30), header
    # nothing cut off in a column that wraps: a row is as tall as its longest wrapped text
    # needs (a spreadsheet program does not measure rows on opening); one line: the default
    from fupin_rules.reports.sheets import LINE_HEIGHT, cell_width

    tall = 0
    for r in range(2, ws.max_row + 1):
        need = 1
        for col, header in enumerate(headers, start=1):
            if header in wrapped:
                text = str(ws.cell(row=r, column=col).value or "")
                room = ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width - 1
                need = max(need, -(-cell_width(text) // int(room)))
        height = ws.row_dimensions[r].height
        assert (height or LINE_HEIGHT) >= need * LINE_HEIGHT, r
        tall += height is not None
    assert tall
    summary = wb["汇总"]
    label = [c.value for c in summary[1]].index("问题") + 1
    assert summary.cell(row=2, column=label).alignment.wrap_text
    for title in ("整改情况", "整改人", "整改日期"):
        col = headers.index(title) + 1
        assert all(ws.cell(row=r, column=col).value is None for r in range(2, ws.max_row + 1))
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert all(isinstance(i, str) and i.startswith("P") for i in ids)
    assert len(set(ids)) == len(ids)  # one id per problem


def test_problem_ids_are_stable_and_names_shown(lib: fr.Library) -> None:
    """The same problem keeps its id when its wording, its values or its row change, and
    differs for another household, criterion or member; division names and the head of the
    household are shown where known."""
    a = problem_id("cn.record.quality@2014", "id_sex", "H1", "2", "x.csv:3")
    assert a == problem_id("cn.record.quality@2019", "id_sex", "H1", "2", "y.csv:9")
    assert a != problem_id("cn.record.quality@2014", "id_sex", "H2", "2", "x.csv:3")
    assert a != problem_id("cn.record.quality@2014", "id_sex", "H1", "3", "x.csv:3")
    rs = lib.get("cn.record.quality", as_of="2018-12-01")
    record = json.loads(
        (Path(__file__).parent.parent / "examples" / "data" / "households.jsonl")
        .read_text("utf-8")
        .splitlines()[0]
    )
    record["household_size"] = 99
    village = record["division_code"]
    names = {village[:6]: "示例县", village[:9]: "示例镇", village: "示例村"}
    pl = check_records(
        [rs], [InputRecord(source="h.jsonl:1", record=record)], as_of="2018-12-01", names=names
    )
    assert pl.lines
    line = pl.lines[0]
    assert (line.county_name, line.township_name, line.village_name) == (
        "示例县",
        "示例镇",
        "示例村",
    )
    assert line.head_name == record["head_name"]
    assert line.head_id == record["head_id_number"]


def test_import_problems_and_rejected_rows_name_the_head(lib: fr.Library) -> None:
    """Staff find a household by its head: the lines of what was wrong in its rows (a cell
    that could not be used, a row that could not be read) name the head as its other lines
    do; a rejected row whose number two households share names no one."""
    rs = lib.get("cn.record.quality", as_of="2018-12-01")
    record = json.loads(
        (Path(__file__).parent.parent / "examples" / "data" / "households.jsonl")
        .read_text("utf-8")
        .splitlines()[0]
    )
    rid = record["household_id"]
    items = [
        InputRecord(source="x.csv:3", error="证件号码无法使用", record_id=rid),
        InputRecord(source="x.csv:2,4", record=record, rows=2, problems=("第 2 行: 坏单元格",)),
        InputRecord(source="x.csv:5", error="行无法读取", record_id="另一户"),
    ]
    lines = check_records([rs], items, as_of="2018-12-01").lines
    heads = {ln.location: (ln.head_name, ln.head_id) for ln in lines if ln.check == "导入"}
    named = (record["head_name"], record["head_id_number"])
    assert heads == {"x.csv:3": named, "x.csv:2,4": named, "x.csv:5": (None, None)}
    twice = [*items, InputRecord(source="y.csv:2", record=record)]
    lines = check_records([rs], twice, as_of="2018-12-01").lines
    rejected = [ln for ln in lines if ln.location == "x.csv:3"]
    assert [(ln.head_name, ln.head_id) for ln in rejected] == [(None, None)]


def test_rows_of_a_file_sort_in_row_order() -> None:
    """Places in a file sort by their row numbers, not as text (x:9 before x:10)."""
    from fupin_rules.reports import ProblemLine

    def line(location: str) -> ProblemLine:
        return ProblemLine(
            "(未知)", "(未知)", "(未知)", None, None, "无法导入", "l", "m", "导入", "", "", location
        )

    ordered = sorted(
        [line("a.csv:10"), line("a.csv:9"), line("a.csv:100")], key=ProblemLine.sort_key
    )
    assert [ln.location for ln in ordered] == ["a.csv:9", "a.csv:10", "a.csv:100"]


# --------------------------------------------------------------------------- returned lists

SAMPLE = Path(__file__).parent.parent / "examples" / "data"


def _sample_lines(n: int = 400) -> list[str]:
    return (SAMPLE / "households.jsonl").read_text("utf-8").splitlines()[:n]


def _problem_records(lines: list[str]) -> list[int]:
    """Indexes of the sample lines with a household size that disagrees with its members
    (a problem the quality rules list), after making three such."""
    return [i for i, line in enumerate(lines) if json.loads(line)["household_size"] == 99]


def _fill(path: Path, sheet: str, rows: range, text: str) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    col = headers.index("整改情况") + 1
    for r in rows:
        ws.cell(row=r, column=col).value = text or None
        ws.cell(row=r, column=col + 1).value = "张三" if text else None
        ws.cell(row=r, column=col + 2).value = "2019-01-10" if text else None
    wb.save(path)


def test_a_returned_list_is_matched_by_problem_id(tmp_path: Path) -> None:
    """What the villages wrote comes back: a problem gone on the next run is fixed, one still
    there is open (with what the village wrote, also in the new list's 整改 columns), one new
    in a village that returned its list is new; villages that returned nothing are apart."""
    lines = _sample_lines()
    for i in (3, 40, 77):
        record = json.loads(lines[i])
        record["household_size"] = 99
        lines[i] = json.dumps(record, ensure_ascii=False)
    first = tmp_path / "h1.jsonl"
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    listed = tmp_path / "问题清单.xlsx"
    code, _, _ = run("check", "--as-of", "2018-12-01", str(first), "-o", str(listed))
    assert code == 1

    wb = load_workbook(listed)
    ws = wb["全部问题"]
    headers = [c.value for c in ws[1]]
    before = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=headers.index("户编号") + 1).value
        for r in range(2, ws.max_row + 1)
    }
    villages_before = {
        ws.cell(row=r, column=headers.index("村代码") + 1).value for r in range(2, ws.max_row + 1)
    }
    first = ws.cell(row=2, column=1).value
    fixed_household = before[first]
    other = next(pid for pid, household in before.items() if household != fixed_household)
    first_two = [first, other]
    _fill(listed, "全部问题", range(2, 3), "已入户核实, 系统中已改")
    row_of_other = list(before).index(other) + 2
    _fill(listed, "全部问题", range(row_of_other, row_of_other + 1), "已入户核实, 系统中已改")
    # The next run: the first listed household is corrected, a new problem appears in a
    # village of the list, and another in a village the list did not cover.
    second = []
    new_in_covered = new_elsewhere = None
    for line in lines:
        record = json.loads(line)
        if record["household_id"] == fixed_household:
            record["household_size"] = len(record["members"])
        elif (
            new_in_covered is None
            and record["division_code"] in villages_before
            and (record["household_id"] not in before.values())
        ):
            record["household_size"] = 98
            new_in_covered = record["household_id"]
        elif new_elsewhere is None and record["division_code"] not in villages_before:
            record["household_size"] = 98
            new_elsewhere = record["household_id"]
        second.append(json.dumps(record, ensure_ascii=False))
    assert new_in_covered
    assert new_elsewhere
    again = tmp_path / "h2.jsonl"
    again.write_text("\n".join(second) + "\n", encoding="utf-8")

    returned = read_returned([listed])
    assert set(returned.lines) == set(before)  # 全部问题 and the townships' sheets, once each
    assert returned.lines[first_two[0]].rectified == "已入户核实, 系统中已改"
    pl = check_records(
        [fr.load_library().get("cn.record.quality", as_of="2019-01-15")],
        read_jsonl(again),
        as_of="2019-01-15",
    )
    r = rectify(pl, returned)
    status = {e.problem_id: e.status for e in r.entries}
    assert status[first_two[0]] == "fixed"
    assert status[first_two[1]] == "open"
    assert r.of(first_two[1]).returned.claimed
    new = [e for e in r.entries if e.status == "new"]
    assert {e.line.record_id for e in new} == {new_in_covered}
    elsewhere = [ln for ln in pl.lines if ln.record_id == new_elsewhere]
    assert elsewhere
    assert r.outside == len(elsewhere)
    gone = sum(1 for household in before.values() if household == fixed_household)
    assert r.counts() == {"fixed": gone, "open": len(before) - gone, "new": len(new)}
    assert r.claimed_open() == 1
    assert r.summary().startswith(f"整改对照: 已整改 {gone} 条, 仍存在")

    # The command: the new list carries what the village wrote, and a 整改对照 sheet.
    out = tmp_path / "新清单.xlsx"
    code, _, err = run(
        "check", "--as-of", "2019-01-15", str(again), "--rectified", str(listed), "-o", str(out)
    )
    assert code == 1
    assert r.summary() in err
    wb = load_workbook(out)
    assert wb.sheetnames[:2] == ["汇总", "整改对照"]
    ws = wb["全部问题"]
    headers = [c.value for c in ws[1]]
    rows = {
        ws.cell(row=r, column=1).value: [c.value for c in ws[r]] for r in range(2, ws.max_row + 1)
    }
    kept = rows[first_two[1]]
    assert kept[headers.index("对照上次")] == "仍存在"
    assert kept[headers.index("整改情况")] == "已入户核实, 系统中已改"
    assert kept[headers.index("整改人")] == "张三"
    compared = {row[1]: row for row in wb["整改对照"].iter_rows(min_row=2, values_only=True)}
    assert compared[first][0] == "已整改"
    assert compared[first][-1].endswith("全部问题:2")
    assert compared[other][0] == "仍存在"
    assert [row[0] for row in compared.values()].count("新问题") == len(new)
    # A list returned again reads back its own 对照上次 column as nothing to match.
    assert set(read_returned([out]).lines) == set(rows)


def test_returned_lists_say_what_they_could_not_match(tmp_path: Path) -> None:
    path = tmp_path / "返回.csv"
    path.write_text(
        "\ufeff问题编号,村代码,问题,整改情况\r\n"
        "PAAAAAAAAAAAA,451099101201,x,已改\r\n"
        ",451099101201,y,已改\r\n"
        "123,451099101201,z,\r\n"
        "paaaaaaaaaaaa,451099101201,x,另一种说法\r\n",
        encoding="utf-8",
    )
    returned = read_returned([path])
    assert list(returned.lines) == ["PAAAAAAAAAAAA"]
    assert returned.lines["PAAAAAAAAAAAA"].rectified == "已改"
    assert any(":3: 没有问题编号" in w for w in returned.warnings)
    assert any("'123' 不是本工具给出的编号" in w for w in returned.warnings)
    assert any("整改情况与" in w and ":2" in w for w in returned.warnings)
    bad = tmp_path / "别的表.csv"
    bad.write_text("户编号,姓名\r\nH1,张三\r\n", encoding="utf-8")
    with pytest.raises(fr.UsageError, match="问题编号"):
        read_returned([bad])
    with pytest.raises(fr.UsageError, match="不存在"):
        read_returned([tmp_path / "没有.xlsx"])
    (tmp_path / "返回.txt").write_text("x", encoding="utf-8")
    with pytest.raises(fr.UsageError, match=r"\.xlsx 或 \.csv"):
        read_returned([tmp_path / "返回.txt"])


def test_division_names_from_tables_and_code_lists(tmp_path: Path) -> None:
    """Names are data: the sample's table, a code list in the rules folder, or both (later
    files override); a bad row is named."""
    names = read_division_names(SAMPLE / "divisions.csv")
    assert names["451099"] == "示例县"
    assert names["451099101"] == "城厢镇"
    codes = tmp_path / "divisions.yaml"
    codes.write_text(
        "kind: codelist\nid: divisions\ntitle: 区划名称\nsources:\n  - id: s\n    title: 测试\n"
        'codes:\n  - code: "451099101"\n    label: 城厢镇(改)\n',
        encoding="utf-8",
    )
    assert read_division_names(codes) == {"451099101": "城厢镇(改)"}
    both = division_names({}, [SAMPLE / "divisions.csv", codes])
    assert both["451099101"] == "城厢镇(改)"
    assert both["451099"] == "示例县"
    bad = tmp_path / "区划.csv"
    bad.write_text("代码,名称\r\n451099,示例县\r\n4510,太短\r\n", encoding="utf-8")
    with pytest.raises(fr.UsageError, match=r"区划\.csv:3: 区划代码须为 6、9 或 12 位数字"):
        read_division_names(bad)
    code, out, _ = run(
        "check",
        "--as-of",
        "2018-12-01",
        str(SAMPLE / "households.jsonl"),
        "--divisions",
        str(SAMPLE / "divisions.csv"),
        "--format",
        "md",
    )
    assert code == 1
    assert "城厢镇 (451099101)" in out
