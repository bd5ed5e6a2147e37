"""CSV written for Excel and WPS: long digit codes stay text, formulas never run (issue 18)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fupin_rules.cli import main
from fupin_rules.io.spreadsheets import csv_cell

from .conftest import ROOT

HOUSEHOLDS = ROOT / "tests" / "golden" / "households.jsonl"


def _run(*argv: str) -> int:
    return main(list(argv), out=io.StringIO(), err=io.StringIO())


def test_long_digit_codes_get_a_leading_tab() -> None:
    """18-digit IDs, 19-digit 户编号, 12-digit division codes and codes with a leading zero
    are written with a leading tab; short numbers, text and numbers stay as they are."""
    assert csv_cell("4510991022010000001") == "\t4510991022010000001"
    assert csv_cell("451099194908170013") == "\t451099194908170013"
    assert csv_cell("451099102201") == "\t451099102201"
    assert csv_cell("0123") == "\t0123"
    assert csv_cell("45109919490817001X") == "45109919490817001X"
    assert csv_cell("12345678901") == "12345678901"
    assert csv_cell("0") == "0"
    assert csv_cell(4510991022010000001) == "4510991022010000001"
    assert csv_cell("杨英光") == "杨英光"


@given(st.text())
def test_no_cell_starts_like_a_formula(text: str) -> None:
    """Whatever the text, the cell never starts with ``=``, ``+``, ``-`` or ``@``."""
    assert not csv_cell(text).startswith(("=", "+", "-", "@"))


def _rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel and WPS read it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_problem_list_csv_keeps_ids_as_text(tmp_path: Path) -> None:
    """The 户编号 and 证件号码 columns of a CSV problem list carry the leading tab."""
    out = tmp_path / "问题清单.csv"
    assert _run("check", "--as-of", "2018-12-01", str(HOUSEHOLDS), "-o", str(out)) == 1
    rows = _rows(out)
    header = rows[0]
    ids = [r[header.index("户编号")] for r in rows[1:] if r[header.index("户编号")]]
    assert ids
    assert all(v.startswith("\t") and v[1:].isdigit() for v in ids)


def test_convert_csv_round_trips_through_the_tab(tmp_path: Path) -> None:
    """Records written as CSV by ``convert`` and read back give the same ids (the tab is
    stripped on reading)."""
    records = tmp_path / "in.jsonl"
    records.write_text(
        "\n".join(line for line in HOUSEHOLDS.read_text(encoding="utf-8").splitlines()[:3]),
        encoding="utf-8",
    )
    table, back = tmp_path / "导出.csv", tmp_path / "back.jsonl"
    assert _run("convert", str(records), "-o", str(table)) == 0
    rows = _rows(table)
    assert any(v.startswith("\t45109910") for v in rows[1])
    assert _run("convert", str(table), "-o", str(back)) == 0
    before = [json.loads(x)["household_id"] for x in records.read_text().splitlines()]
    after = [json.loads(x)["household_id"] for x in back.read_text().splitlines()]
    assert after == before
    heads = [json.loads(x)["head_id_number"] for x in back.read_text().splitlines()]
    assert all(len(h) == 18 for h in heads)
