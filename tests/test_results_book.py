"""Results as workbooks: ``evaluate -o results.xlsx`` and ``impact -o F.xlsx`` (issue 18)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fupin_rules.cli import main
from fupin_rules.cli_options import RESULT_KINDS, output_kind
from fupin_rules.decision import CRITERION_MARKS
from fupin_rules.errors import UsageError

from .conftest import ROOT

HOUSEHOLDS = ROOT / "tests" / "golden" / "households.jsonl"
DIVISIONS = ROOT / "examples" / "data" / "divisions.csv"
SELECT = ["-s", "gx.household.exit", "--as-of", "2018-11-20"]


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _jsonl(tmp_path: Path, source: Path) -> list[dict[str, object]]:
    target = tmp_path / "r.jsonl"
    # The long form: each finding with its label, to find the workbook's column by it.
    code, _, err = _run("evaluate", *SELECT, str(source), "-o", str(target), "--findings", "full")
    assert code == 0, err
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The golden households, one head of household named like a formula."""
    lines = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["head_name"] = '=HYPERLINK("http://x","点")'
    lines[0] = json.dumps(first, ensure_ascii=False)
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_evaluate_writes_a_workbook_one_row_per_result(tmp_path: Path, hostile: Path) -> None:
    """Each result is one row: id, head's name, village by name, conclusion, a mark per
    criterion equal to the JSON result's outcome, and the failing criteria in Chinese."""
    results = _jsonl(tmp_path, hostile)
    book = tmp_path / "results.xlsx"
    code, _, err = _run(
        "evaluate", *SELECT, str(hostile), "-o", str(book), "--divisions", str(DIVISIONS)
    )
    assert code == 0, err
    assert "评估" in err
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["评估结果", "按村统计", "运行情况"]
    ws = wb["评估结果"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["户编号", "户主姓名", "村", "结果", "结论"]
    assert "有住房保障" in header
    assert header[-2:] == ["未达标或无法判定的原因", "来源 (文件:行)"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(results)
    labels = {}
    for r in results:
        for f in r.get("findings", []):
            labels[f["criterion"]] = f["label"]
    column = {label: header.index(label) for label in labels.values()}
    for row, result in zip(rows, results, strict=True):
        assert row[0] == result["record_id"]
        assert row[4] == result["conclusion"]
        for f in result.get("findings", []):
            assert row[column[f["label"]]] == CRITERION_MARKS[f["outcome"]]
        if result["outcome"] == "fail":
            failed = [f for f in result["findings"] if f["outcome"] == "fail"]
            assert all(f"{f['label']}: {f['message']}" in row[-2] for f in failed)
        elif result["outcome"] == "pass":
            assert row[-2] is None
    assert rows[0][1] == '=HYPERLINK("http://x","点")'
    assert rows[0][2].endswith("(451099102201)")
    assert "村" in rows[0][2]
    for sheet in wb:
        for line in sheet.iter_rows():
            assert all(c.data_type != "f" for c in line), sheet.title
    assert ws.cell(row=2, column=2).quotePrefix
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"


def test_village_sheet_adds_up_and_has_a_chart(tmp_path: Path) -> None:
    """The per-village counts add up to the results, and the sheet carries a bar chart."""
    results = _jsonl(tmp_path, HOUSEHOLDS)
    book = tmp_path / "r.xlsx"
    assert _run("evaluate", *SELECT, str(HOUSEHOLDS), "-o", str(book))[0] == 0
    ws = openpyxl.load_workbook(book)["按村统计"]
    header = [c.value for c in ws[1]]
    assert header[3:] == ["达标", "未达标", "不适用", "无效", "合计"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert sum(r[-1] for r in rows) == len(results)
    passed = sum(1 for r in results if r["outcome"] == "pass")
    assert sum(r[3] for r in rows) == passed
    with zipfile.ZipFile(book) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts
        chart = z.read(charts[0]).decode("utf-8")
    assert "barChart" in chart
    assert "按村统计" in chart


def test_workbook_bytes_are_the_same_on_every_run(tmp_path: Path) -> None:
    """The same results give the same workbook, byte for byte."""
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for target in (a, b):
        assert _run("evaluate", *SELECT, str(HOUSEHOLDS), "-o", str(target))[0] == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("name", ["r.xls", "r.txt", "r.csv", "r.xlsm"])
def test_unknown_output_extension_is_refused(tmp_path: Path, name: str) -> None:
    """An extension that is neither JSON Lines nor .xlsx stops evaluate with exit 2 and a
    Chinese message naming what works; nothing is written."""
    code, _, err = _run("evaluate", *SELECT, str(HOUSEHOLDS), "-o", str(tmp_path / name))
    assert code == 2
    assert "不能写出扩展名为" in err
    assert ".xlsx (Excel 工作簿)" in err
    assert not any(tmp_path.iterdir())
    if name.endswith(".xls"):
        assert "请改用 .xlsx" in err


def test_output_kind_is_chosen_by_extension() -> None:
    """JSON Lines for none, ``-``, .jsonl, .json or no extension; .xlsx in any case."""
    for path in (None, "-", "r.jsonl", "r.json", "results", "R.JSONL"):
        assert output_kind(path) == "jsonl"
    assert output_kind("结果.XLSX") == "xlsx"
    assert set(RESULT_KINDS.values()) == {"jsonl", "xlsx"}
    with pytest.raises(UsageError, match=r"\.txt"):
        output_kind("r.txt")


def test_impact_writes_a_workbook_of_moved_records(tmp_path: Path) -> None:
    """``impact -o F.xlsx`` has one row per record whose results moved (as many as the JSON
    Lines output), both conclusions, ``✓→✗`` where a criterion moved, and counts per village
    under both versions."""
    args = ["impact", "-s", "gx.household.exit", "--from", "2016", "--to", "2018"]
    args += ["--as-of", "2018-11-20", str(HOUSEHOLDS)]
    jsonl, book = tmp_path / "F.jsonl", tmp_path / "F.xlsx"
    assert _run(*args, "-o", str(jsonl))[0] == 0
    code, out, err = _run(*args, "-o", str(book))
    assert code == 0, err
    assert "结果改变" in out
    moved = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    wb = openpyxl.load_workbook(book)
    ws = wb["结果改变的记录"]
    header = [c.value for c in ws[1]]
    assert header[3:7] == ["2016 版结果", "2018 版结果", "2016 版结论", "2018 版结论"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [m["record_id"] for m in moved]
    arrows = {v for r in rows for v in r if isinstance(v, str) and "→" in v}
    assert arrows
    assert arrows <= {f"{x}→{y}" for x in "✓✗?-" for y in "✓✗?-"} | {
        f"(无)→{y}" for y in "✓✗?-"
    } | {f"{x}→(无)" for x in "✓✗?-"}
    villages = list(wb["按村统计"].iter_rows(min_row=2, values_only=True))
    assert sum(r[-2] for r in villages) == len(moved)
    total = sum(1 for line in HOUSEHOLDS.read_text(encoding="utf-8").splitlines() if line.strip())
    assert sum(r[-1] for r in villages) == total
