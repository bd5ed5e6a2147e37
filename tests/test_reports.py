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
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.reports import COLUMNS, ProblemList, check_records, division_parts

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
    assert last.startswith("读入 16 行: 组成 6 户, 拒收 5 行; 评估 6 户: 无效 0 户")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert set(lines[0]) == {name for name, _ in COLUMNS}
    by_kind = {(ln["category"], ln["criterion"], ln["record_id"]) for ln in lines}
    assert ("不达标", "primary_school_age", "H001") in by_kind
    assert ("不达标", "id_number_valid", "H003") in by_kind
    assert ("不达标", "id_sex", "H003") in by_kind
    assert ("重复", "person_in_two_households", "H001") in by_kind
    assert ("重复", "person_in_two_households", "H006") in by_kind
    rejected = [ln for ln in lines if ln["category"] == "无法导入"]
    assert len(rejected) == 5
    assert all(ln["location"] for ln in rejected)
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
    assert "乡镇(未知)" in wb.sheetnames
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
    assert headers == [title for _, title in COLUMNS]
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
    assert "3/3" in tty.getvalue()


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
