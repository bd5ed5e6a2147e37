"""The auditors' commands: ``evaluate --as-of-field`` and ``--log``, ``verify``, and the warning
for a version evaluated outside its period."""

from __future__ import annotations

import io
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fupin_rules._canonical import dumps
from fupin_rules.cli import main
from fupin_rules.decision import OUTCOME_LABELS

from .conftest import ROOT

SAMPLE = (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8").splitlines()[:24]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def dated(tmp_path: Path) -> Path:
    """Households certified in 2016, in 2017 and in 2018 (one in four without a date)."""
    days = ["2016-11-20", "2017-11-20", "2018-11-20", None]
    lines = []
    for i, line in enumerate(SAMPLE):
        record: dict[str, Any] = json.loads(line, parse_float=Decimal)
        if days[i % 4] is not None:
            record["exit_date"] = days[i % 4]
        lines.append(dumps(record))
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_each_record_is_judged_under_the_version_of_its_own_date(
    dated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    code, _, err = run(
        "evaluate", "-s", "gx.household.exit", "--as-of-field", "exit_date", str(dated),
        "-o", str(out),
    )  # fmt: skip
    assert code == 0
    results = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert len(results) == len(SAMPLE)
    versions = [(r["ruleset"], r["as_of"]) for r in results[:3]]
    assert versions == [
        ("gx.household.exit@2016", "2016-11-20"),
        ("gx.household.exit@2017", "2017-11-20"),
        ("gx.household.exit@2018", "2018-11-20"),
    ]
    undated = results[3]
    assert undated["outcome"] == "invalid"
    assert undated["reasons"] == ["记录没有评估日期: 字段「脱贫认定日期」(exit_date) 为空"]
    assert undated["record_id"] == json.loads(SAMPLE[3])["household_id"]
    assert undated["input_digest"].startswith("sha256:")
    assert "各记录按「脱贫认定日期」(exit_date) 的日期选用版本和参数" in err
    # With --as-of, records without the date are judged on it.
    code, text, _ = run(
        "evaluate", "-s", "gx.household.exit", "--as-of-field", "exit_date",
        "--as-of", "2018-11-20", "--brief", str(dated),
    )  # fmt: skip
    assert json.loads(text.splitlines()[3])["as_of"] == "2018-11-20"


def test_as_of_field_usage_errors(dated: Path) -> None:
    code, _, err = run(
        "evaluate", "-s", "gx.household.exit", "--as-of-field", "exit_dat", str(dated)
    )  # fmt: skip
    assert code == 2
    assert "没有字段 'exit_dat'" in err
    assert "exit_date" in err
    code, _, err = run(
        "evaluate", "-s", "gx.household.exit", "--as-of-field", "exit_date",
        "--version", "2016", str(dated),
    )  # fmt: skip
    assert code == 2
    assert "不能与 --version 同用" in err


def test_a_version_outside_its_period_is_warned_of(dated: Path) -> None:
    code, _, err = run(
        "evaluate", "-s", "gx.household.exit", "--version", "2016", "--as-of", "2018-11-20",
        "--brief", str(dated),
    )  # fmt: skip
    assert code == 0
    assert "注意: gx.household.exit@2016 的施行期为 2016-08-04 至 2016-12-31" in err
    _, _, quiet = run(
        "evaluate", "-s", "gx.household.exit", "--version", "2016", "--as-of", "2016-11-20",
        "--brief", str(dated),
    )  # fmt: skip
    assert "施行期为" not in quiet


def test_the_decision_log_is_appended_and_verified(dated: Path, tmp_path: Path) -> None:
    log, out = tmp_path / "决策日志.jsonl", tmp_path / "r.jsonl"
    for _ in range(2):
        code, _, err = run(
            "evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(dated),
            "-o", str(out), "--log", str(log),
        )  # fmt: skip
        assert code == 0
        assert f"决策日志: 追加 {len(SAMPLE)} 行" in err
    lines = log.read_text("utf-8").splitlines()
    assert len(lines) == 2 * len(SAMPLE)  # appended, never rewritten
    first = json.loads(lines[0])
    assert set(first) >= {"input_digest", "ruleset", "fingerprint", "as_of", "outcomes"}
    assert "findings" not in first
    half = tmp_path / "one-run.jsonl"
    half.write_text("\n".join(lines[: len(SAMPLE)]) + "\n", encoding="utf-8")
    code, _, err = run("verify", str(half), str(dated))
    assert code == 0
    assert err.strip() == f"核对 {len(SAMPLE)} 条结果: 一致 {len(SAMPLE)}"


def test_a_failed_run_logs_nothing(dated: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    code, _, _ = run(
        "evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(dated),
        str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "r.jsonl"), "--log", str(log),
    )  # fmt: skip
    assert code != 0
    assert not log.exists() or log.read_text("utf-8") == ""


def test_verify_names_what_changed(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run("evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(dated), "-o", str(out))
    code, text, err = run("verify", str(out), str(dated))
    assert (code, text) == (0, "")
    # A tampered result: the outcome of one criterion of the first record.
    results = out.read_text("utf-8").splitlines()
    first = json.loads(results[0], parse_float=Decimal)
    was = first["outcomes"]["income_source"]
    first["outcomes"]["income_source"] = "fail" if was != "fail" else "pass"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(
        "\n".join([dumps(first), *results[1:]]) + "\n",
        encoding="utf-8",
    )
    code, text, err = run("verify", str(tampered), str(dated))
    assert code == 1
    head, detail = text.splitlines()[:2]
    assert head.endswith(
        ": 结果不同: 共 1 处不同; 重新评估判定仍为" + OUTCOME_LABELS[first["outcome"]]
    )
    assert detail == "    outcomes.income_source: 原为 " + (
        json.dumps(first["outcomes"]["income_source"]) + ", 现为 " + json.dumps(was)
    )  # fmt: skip
    # A tampered decision comes first, before the findings it rests on.
    first["outcome"] = "pass" if first["outcome"] != "pass" else "fail"
    tampered.write_text("\n".join([dumps(first), *results[1:]]) + "\n", encoding="utf-8")
    code, text, err = run("verify", str(tampered), str(dated))
    head, detail = text.splitlines()[:2]
    assert "共 2 处不同; 重新评估判定为" in head
    assert detail.startswith("    outcome: 原为 ")
    assert "结果不同 1" in err
    # A changed input record.
    records = dated.read_text("utf-8").splitlines()
    changed = json.loads(records[1])
    changed["housing_area"] = 1
    edited = tmp_path / "edited.jsonl"
    edited.write_text(
        "\n".join([records[0], json.dumps(changed, ensure_ascii=False), *records[2:]]) + "\n",
        encoding="utf-8",
    )
    code, text, _ = run("verify", str(out), str(edited))
    assert code == 1
    assert "输入记录已改变" in text.splitlines()[0]
    code, text, _ = run("verify", "--json", str(out), str(edited))
    verdicts = [json.loads(x) for x in text.splitlines()]
    assert [v["status"] for v in verdicts].count("input_changed") == 1


def test_verify_says_when_the_rules_are_gone(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run("evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(dated), "-o", str(out))
    rules = tmp_path / "standards"
    shutil.copytree(ROOT / "standards", rules)
    path = rules / "gx.household.exit" / "2018.yaml"
    text = path.read_text("utf-8").replace("    label: 有路通\n", "    label: 有路可通\n")
    path.write_text(text, encoding="utf-8")
    code, text, err = run("verify", "--rules", str(rules), str(out), str(dated))
    assert code == 1
    assert "规则已不在规则库中" in text
    assert f"规则已不在规则库中 {len(SAMPLE)}" in err


def test_verify_rejudges_records_on_their_own_dates(dated: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run(
        "evaluate", "-s", "gx.household.exit", "--as-of-field", "exit_date", str(dated),
        "-o", str(out),
    )  # fmt: skip
    code, _, err = run("verify", "--as-of-field", "exit_date", str(out), str(dated))
    assert code == 0, err
    # Without the option the records that had no date are judged on the stored date and differ.
    code, _, err = run("verify", str(out), str(dated))
    assert code == 1
    assert "输入记录已改变" not in err
