"""The fupin-rules command: every subcommand on real files, exit codes, and messages."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fupin_rules.cli import build_parser, main

from .conftest import FIXTURES, ROOT

DEMO = ["--rules", str(FIXTURES / "lib"), "--schemas", str(FIXTURES / "schemas")]
GOOD = {
    "household_id": "H1",
    "division_code": "450101001001",
    "household_size": 2,
    "net_income": 8000,
    "housing_area": 30,
    "attribute": "04",
    "members": [],
}


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the command in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv), out=out, err=err)
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """--help works for every subcommand and shows examples."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"list", "lint", "test", "evaluate", "explain", "calendar"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        assert "示例" in capsys.readouterr().out, name


def test_list_shows_versions_and_fingerprints() -> None:
    """list names each version with its effective dates and fingerprint."""
    code, out, _ = run("list", *DEMO)
    assert code == 0
    assert (
        "demo.household@2016  测试标准\n    施行 2016-01-01 至 2017-12-31  5 项指标  指纹 sha256:"
        in out
    )
    assert "demo.household@2018" in out
    assert "修订自 2016" in out
    code, out, _ = run("list", "--json", *DEMO)
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["version"] for r in rows if r["id"] == "demo.household"} == {"2016", "2018"}


def test_lint_clean_and_broken(tmp_path: Path) -> None:
    """lint exits 0 on good files; on a broken file it prints file:line:column and exits 1."""
    code, out, _ = run("lint", str(FIXTURES / "lib"), "--schemas", str(FIXTURES / "schemas"))
    assert (code, out.startswith("没有发现问题")) == (0, True)
    shutil.copytree(FIXTURES / "lib", tmp_path / "lib")
    path = tmp_path / "lib" / "demo.household" / "2016.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "per_capita_income > income_line", "per_capita_incme > income_line"
        ),
        encoding="utf-8",
    )
    code, out, err = run("lint", str(path), "--schemas", str(FIXTURES / "schemas"))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:35:11: criteria[0].test: 未知名称 'per_capita_incme'"
        " (提示: 是否要找: per_capita_income, net_income)"
    ]
    assert err == "发现 1 个问题\n"


def test_test_command_reports_the_differing_criterion(tmp_path: Path) -> None:
    """test passes on good examples; a wrong expectation names file, line, example, criterion."""
    code, out, _ = run("test", str(FIXTURES / "lib"), "--schemas", str(FIXTURES / "schemas"))
    assert code == 0
    assert out.endswith("4 个样例: 4 个通过, 0 个失败\n")
    shutil.copytree(FIXTURES / "lib", tmp_path / "lib")
    path = tmp_path / "lib" / "demo.household" / "2016.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("failing: [no_vehicle]", "failing: [housing]"),
        encoding="utf-8",
    )
    code, out, _ = run("test", str(tmp_path / "lib"), "--schemas", str(FIXTURES / "schemas"))
    assert code == 1
    line = next(x for x in out.splitlines() if "有车一票否决" in x)
    assert line.startswith(f"{path}:")
    assert "指标 housing 应为 fail, 实际为 pass" in line
    assert "指标 no_vehicle 不应为 fail" in line


def test_evaluate_one_line_out_per_line_in(tmp_path: Path) -> None:
    """evaluate answers every line in order: bad JSON and bad records become invalid results
    naming the line; the run goes on and exits 0."""
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "household_id": "H3", "household_size": "x"}),
        "",
        json.dumps({**GOOD, "household_id": "H4", "net_income": 100}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out_file = tmp_path / "out.jsonl"
    code, _, err = run(
        "evaluate",
        "-s",
        "demo.household",
        "--as-of",
        "2016-11-20",
        str(src),
        "-o",
        str(out_file),
        *DEMO,
    )
    assert code == 0
    results = [json.loads(x) for x in out_file.read_text(encoding="utf-8").splitlines()]
    assert [(r["source"], r["outcome"]) for r in results] == [
        (f"{src}:1", "pass"),
        (f"{src}:2", "invalid"),
        (f"{src}:3", "invalid"),
        (f"{src}:5", "fail"),
    ]
    assert results[1]["reasons"][0].startswith("不是有效的 JSON")
    assert (
        "读入 5 行: 评估 3 条记录, 拒收 1 行, 空行 1 行; 结果: 达标 1、未达标 1、不适用 0、无效 2"
        in err
    )


def test_evaluate_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    """Determinism: the same rules and input give the same bytes."""
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "household_id": "H2"}) + "\n",
        encoding="utf-8",
    )
    outputs = []
    for n in range(2):
        target = tmp_path / f"out{n}.jsonl"
        run(
            "evaluate",
            "-s",
            "demo.household",
            "--as-of",
            "2016-11-20",
            str(src),
            "-o",
            str(target),
            *DEMO,
        )
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]


def test_evaluate_from_stdin_and_param_override() -> None:
    """Records can come on standard input; --param supplies a value and changes the fingerprint."""
    code, out, _ = run(
        "evaluate",
        "-s",
        "demo.household",
        "--as-of",
        "2018-11-20",
        "-",
        *DEMO,
        stdin=json.dumps(GOOD) + "\n",
    )
    first = json.loads(out)
    assert (code, first["outcome"]) == (0, "invalid")
    code, out, _ = run(
        "evaluate",
        "-s",
        "demo.household",
        "--as-of",
        "2018-11-20",
        "--param",
        "income_line=3535",
        *DEMO,
        stdin=json.dumps(GOOD) + "\n",
    )
    second = json.loads(out)
    assert second["outcome"] == "pass"
    assert second["fingerprint"] != first["fingerprint"]


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    """Unknown standards, missing dates and files, and bad options give exit 2 and a plain message."""
    code, _, err = run("evaluate", "-s", "demo.houshold", "--as-of", "2016-11-20", *DEMO, stdin="")
    assert code == 2
    assert "是否要找: demo.household" in err
    code, _, err = run("evaluate", "-s", "demo.household", *DEMO, stdin="")
    assert code == 2
    assert "--as-of" in err
    code, _, err = run("evaluate", "-s", "demo.household", "--as-of", "2016-13-01", *DEMO, stdin="")
    assert code == 2
    assert "真实日期" in err
    code, _, err = run(
        "evaluate",
        "-s",
        "demo.household",
        "--as-of",
        "2016-11-20",
        str(tmp_path / "none.jsonl"),
        *DEMO,
    )
    assert code == 2
    assert "输入文件不存在" in err
    code, _, err = run(
        "evaluate", "-s", "demo.household", "--as-of", "2016-11-20", "--param", "x", *DEMO, stdin=""
    )
    assert code == 2
    assert "名称=值" in err


def test_broken_rules_stop_before_any_evaluation(tmp_path: Path) -> None:
    """A rule-file error exits 2 and writes no output file."""
    shutil.copytree(FIXTURES / "lib", tmp_path / "lib")
    (tmp_path / "lib" / "bad.yaml").write_text("kind: ruleset\nid: x\n", encoding="utf-8")
    out_file = tmp_path / "out.jsonl"
    code, _, err = run(
        "evaluate",
        "-s",
        "demo.household",
        "--as-of",
        "2016-11-20",
        "-o",
        str(out_file),
        "--rules",
        str(tmp_path / "lib"),
        "--schemas",
        str(FIXTURES / "schemas"),
        stdin=json.dumps(GOOD),
    )
    assert code == 2
    assert err.startswith("规则文件有误, 未做任何评估:\n")
    assert not out_file.exists()


def test_explain_prints_each_criterion_in_chinese(tmp_path: Path) -> None:
    """explain shows the conclusion and each criterion with its message and source."""
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({**GOOD, "household_id": "H9", "net_income": 5904}) + "\n", encoding="utf-8"
    )
    code, out, _ = run(
        "explain", "-s", "demo.household", "--as-of", "2016-11-20", "--id", "H9", str(src), *DEMO
    )
    assert code == 0
    assert "结论: 未达标 (fail)" in out
    assert (
        "  ✗ [一超] 人均纯收入超过标准: 未达标\n      人均纯收入 2952 元, 未超过标准 2952 元\n"
        "      差距: 「人均纯收入」恰为 2952 元, 须高于此标准\n"
        "      依据: 《测试通知》(测发〔2016〕1号) 第一条\n"
        "      参数「收入标准」2952 元 (自 2016-01-01 起): 未注明来源" in out
    )
    assert "  ✓ 名下无车 [一票否决]: 达标" in out
    assert "  ✗ 属性为低保贫困户 [参考指标]: 未达标" not in out
    code, _, err = run(
        "explain", "-s", "demo.household", "--as-of", "2016-11-20", "--id", "nope", str(src), *DEMO
    )
    assert code == 2
    assert "没有编号为 'nope' 的记录" in err


def test_installed_command_runs_from_any_directory(tmp_path: Path) -> None:
    """The console script works outside the checkout, with the bundled standards."""
    exe = shutil.which("fupin-rules")
    if exe is None:
        pytest.skip("the fupin-rules console script is not on PATH (package not installed)")
    proc = subprocess.run([exe, "list"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "gx.household.exit@2018" in proc.stdout
    assert (ROOT / "pyproject.toml").is_file()


def test_spreadsheets_are_read_by_the_record_commands(tmp_path: Path) -> None:
    """evaluate, explain and impact read a national-system export as check does: households
    assembled from member rows through the header map, each rejected row an invalid result
    with its reason; every row accounted for."""
    import attrs

    import fupin_rules as fr
    from fupin_rules.evaluation import rejected
    from fupin_rules.io.commands import select_headermap
    from fupin_rules.io.tables import TableReader
    from fupin_rules.parallel import RuleSetSpec, evaluate_parallel

    table = str(FIXTURES / "io" / "national_export.xlsx")
    day = ["--as-of", "2018-11-20"]
    lib = fr.load_library()
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    reader = TableReader(select_headermap(lib, "household", None), rs.record_schema)
    items = list(reader.read([table]))
    want = [
        (
            attrs.evolve(rejected(rs, i.error, source=i.source), record_id=i.record_id)
            if i.error
            else rs.evaluate(i.record, source=i.source)
        ).to_json(findings="lean")
        for i in items
    ]
    assert any(i.error and i.record_id for i in items)  # a rejected row keeps its 户编号
    assert reader.stats.rejected_rows > 0
    assert reader.stats.records > 0
    code, out, err = run("evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", table)
    assert code == 0
    assert out.splitlines() == want
    assert reader.stats.summary() in err
    assert f"评估 {reader.stats.records} 条记录, 拒收 {reader.stats.rejected_rows} 行;" in err
    code, again, err = run("evaluate", "-s", "gx.household.exit", "-j", "2", *day, table)
    assert again == out
    assert "--jobs 不起作用" in err

    code, out, _ = run("explain", "-s", "gx.household.exit", "--as-of", "2018-11-20", table)
    assert code == 0
    assert out.startswith(f"记录 {items[0].record['household_id']}  结论: ")
    assert f"\n来源 {items[0].source}  标准 " in out
    versions = ["--from", "2016", "--to", "2018"]
    code, out, _ = run("impact", "-s", "gx.household.exit", *versions, *day, table)
    assert code == 0
    assert f"共 {len(items)} 条记录" in out

    old = tmp_path / "old.xls"
    old.write_bytes(Path(table).read_bytes())
    code, _, err = run("evaluate", "-s", "gx.household.exit", *day, str(old))
    assert code == 2
    assert "另存为 .xlsx" in err
    # The library's runner reads records only, and says how to convert a spreadsheet.
    with pytest.raises(fr.UsageError, match="fupin-rules convert"):
        evaluate_parallel(RuleSetSpec.of(rs, as_of="2018-11-20"), [table], io.StringIO(), jobs=1)
