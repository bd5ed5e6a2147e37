"""``fupin-rules events check``: outputs and exit codes as ``evaluate``; problem lists; the
附件6 (by household) and 附件7 (by village) forms read through their header maps."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from fupin_rules.cli import main

from .conftest import ROOT

SAMPLE = ROOT / "examples" / "events" / "events-2018.jsonl"

FORM_6 = """\
户编号,行政区划代码,户主姓名,变更后家庭人口数,新增成员姓名,性别,证件号码,出生日期,与户主关系,新增原因,新增日期
4510991022010000001,451099102201,杨英光,6,杨小宝,男,'451099201809030018,2018-09-03,之孙子,新生儿,2018-09-03
4510991032010000002,451099103201,黎某,5,韦某,女,'451099199001010025,1990-01-01,之儿媳,嫁入,2018-05-01
4510991032010000002,451099103201,黎某,5,黎小宝,男,,2018-08-08,之孙子,,2018-08-08
,451099103201,无户号,,某人,男,,,,新生儿,2018-01-01
"""

FORM_7 = """\
户编号,行政区划代码,户主姓名,减少成员姓名,证件号码,减少原因,减少日期
4510991022010000001,451099102201,杨英光,杨某,'451099194908170013,死亡,2018-07-01
4510991022010000049,451099102201,李某,李某某,,嫁出,2018-06-01
"""


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_the_sample_events(tmp_path: Path) -> None:
    """What the README shows: one line per event, a summary, exit code 0 whatever the
    outcomes (as evaluate)."""
    code, out, err = _run("events", "check", str(SAMPLE))
    assert code == 0
    results = _lines(out)
    assert len(results) == 12
    assert [r["outcome"] for r in results].count("pass") == 6
    assert err.strip().endswith("检查事项 12 条: 符合要求 6、不符合要求 5、无法判定 1")
    brief_code, brief, _ = _run(
        "events", "check", "--brief", str(SAMPLE), "-o", str(tmp_path / "r.jsonl")
    )
    assert (brief_code, brief) == (0, "")
    written = _lines((tmp_path / "r.jsonl").read_text(encoding="utf-8"))
    assert all("outcomes" in r and "findings" not in r for r in written)
    assert [r["record_id"] for r in written] == [r["record_id"] for r in results]


@pytest.mark.parametrize("suffix", ["jsonl", "xlsx"])
def test_problem_lists_grouped_by_county_township_village(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"问题清单.{suffix}"
    code, out, _ = _run("events", "check", str(SAMPLE), "--problems", str(target))
    assert code == 0
    assert len(_lines(out)) == 12  # the results still go to standard output
    assert target.is_file()
    if suffix == "jsonl":
        lines = _lines(target.read_text(encoding="utf-8"))
        places = [(ln["county"], ln["township"], ln["village"]) for ln in lines]
        assert places == sorted(places)
        assert {ln["check"] for ln in lines} >= {"gx.procedure.household-exit@2018", "event.schema"}
        late = [ln for ln in lines if ln["criterion"] == "window"]
        assert {ln["record_id"] for ln in late} == {"4510991032010000002", "4510991022030000021"}


def test_a_problem_list_on_standard_output(tmp_path: Path) -> None:
    code, out, _ = _run(
        "events", "check", str(SAMPLE), "--problems", "-", "-o", str(tmp_path / "r.jsonl")
    )
    assert code == 0
    assert out.startswith("# 问题清单汇总")
    assert "| 451099 | 451099103 | 451099103201 | 事项时段 | 1 | 1 |" in out
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 12


def test_parameters_for_the_run() -> None:
    code, out, _ = _run(
        "events",
        "check",
        str(SAMPLE),
        "--brief",
        "--param",
        "village_notice_days=7",
        "--param",
        "township_notice_days=7",
    )
    assert code == 0
    results = {r["record_id"]: r for r in _lines(out)}
    assert results["E-2018-003"]["outcomes"]["durations"] == "pass"
    assert results["E-2018-003"]["parameters"] == {
        "township_notice_days": 7,
        "village_notice_days": 7,
    }
    # a 5-day township notice (11-17 to 11-21) is short of 7 days
    code, out, _ = _run(
        "events", "check", str(SAMPLE), "--brief", "--param", "township_notice_days=7"
    )
    assert {r["record_id"]: r for r in _lines(out)}["E-2018-010"]["outcomes"]["durations"] == "fail"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "notice=7"], "程序中没有参数 'notice'"),
        (["--param", "village_notice_days=七"], "参数 village_notice_days 的值须是数"),
        (["--param", "village_notice_days=7.5"], "参数 village_notice_days 须是整数"),
        (["--param", "village_notice_days"], "--param 须写成 名称=值"),
        (["--date", "2018-10-32"], "不存在的日期"),
        (["--problems", "x.pdf"], "无法从扩展名 .pdf 判断问题清单的格式"),
        (["--type", "member_change"], "没有事项类型 'member_change'"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    inputs = [str(SAMPLE)] if "--type" not in argv else [str(SAMPLE).replace(".jsonl", ".csv")]
    code, out, err = _run("events", "check", *inputs, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_events_without_a_subcommand_exits_2() -> None:
    code, _, err = _run("events")
    assert code == 2
    assert "请给出子命令" in err


def test_a_broken_procedure_file_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: procedure\nid: x.y\n", encoding="utf-8")
    code, out, err = _run(
        "events", "check", str(SAMPLE), "--rules", str(ROOT / "standards"), "--rules", str(tmp_path)
    )
    assert (code, out) == (2, "")
    assert "规则文件有误, 未做任何评估" in err
    assert f"{tmp_path}/bad.yaml:1:1: 缺少必填的键 'version'" in err


def test_events_from_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    text = SAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    code, out, _ = _run("events", "check", "-")
    assert code == 0
    assert _lines(out)[0]["source"] == "<stdin>:1"


# --------------------------------------------------------------------------- forms


def _form(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_form_6_by_household(tmp_path: Path) -> None:
    """One event per household of 附件6, its rows the added members, the form the evidence of
    its collection step; a row without 户编号 is refused with its row; nothing is lost."""
    path = _form(tmp_path, "附件6.csv", FORM_6)
    code, out, err = _run(
        "events", "check", str(path), "--date", "2018-10-20", "--at", "2018-10-21"
    )
    assert code == 0
    results = _lines(out)
    assert [(r["record_id"], r["source"], r["outcome"]) for r in results] == [
        ("member_increase:4510991022010000001", f"{path}:2", "pass"),
        ("member_increase:4510991032010000002", f"{path}:3-4", "fail"),
        (None, f"{path}:5", "invalid"),
    ]
    changes = {f["criterion"]: f for f in results[1]["findings"]}["changes"]
    assert changes["message"] == "新增成员 黎小宝: 没有新增原因"
    assert results[2]["reasons"] == ["缺少「户编号」, 无法归户"]
    assert "gx.form.member-increase: 读入 4 行: 组成 2 条记录 (含 3 行), 拒收 1 行" in err


def test_form_6_without_its_date(tmp_path: Path) -> None:
    path = _form(tmp_path, "附件6.csv", FORM_6)
    code, out, _ = _run("events", "check", str(path), "--brief")
    results = _lines(out)
    assert code == 0
    assert [r["outcome"] for r in results] == ["invalid", "invalid", "invalid"]
    assert results[0]["record_id"] == "member_increase:4510991022010000001"
    assert results[0]["reasons"] == ["表格中的事项没有日期: 请用 --date 给出填表日期 (事项日期)"]


def test_form_7_by_village(tmp_path: Path) -> None:
    """附件7 lists the removed members of a whole village: one event per household."""
    path = _form(tmp_path, "附件7.csv", FORM_7)
    code, out, _ = _run(
        "events",
        "check",
        str(path),
        "--date",
        "2018-11-02",
        "--at",
        "2018-11-03",
        "--type",
        "member_decrease",
    )
    assert code == 0
    results = _lines(out)
    assert [r["record_id"] for r in results] == [
        "member_decrease:4510991022010000001",
        "member_decrease:4510991022010000049",
    ]
    assert all(r["ruleset"] == "gx.procedure.member-change@2018" for r in results)
    assert all(r["outcome"] == "pass" for r in results), out


def test_a_table_that_is_no_form(tmp_path: Path) -> None:
    path = _form(tmp_path, "other.csv", "户编号,姓名\n1,张三\n")
    code, out, err = _run("events", "check", str(path), "--date", "2018-10-20")
    assert (code, out) == (2, "")
    assert "不是可读的事项表格" in err
    assert "gx.form.member-increase" in err
    assert "gx.form.member-decrease" in err


def test_a_form_and_json_lines_together(tmp_path: Path) -> None:
    """Inputs are read in order, whatever their kinds; the form's household and the JSON
    event of the same household are in one year."""
    form = _form(
        tmp_path, "附件6.csv", FORM_6.splitlines()[0] + "\n" + FORM_6.splitlines()[1] + "\n"
    )
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, _ = _run(
            "events", "check", str(SAMPLE), form.name, "--date", "2018-10-20", "--brief"
        )
    finally:
        os.chdir(cwd)
    assert code == 0
    results = _lines(out)
    assert len(results) == 13
    assert results[-1]["source"] == "附件6.csv:2"
