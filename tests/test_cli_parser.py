"""The command's help and usage errors are in Chinese, exit code 2, for every subcommand;
argparse itself, and any other parser of the process, keeps its own words."""

from __future__ import annotations

import argparse

import pytest

from fupin_rules import cli
from fupin_rules.cli_parser import Parser, chinese_error


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法: fupin-rules")
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["evaluate", "x.jsonl"], "fupin-rules evaluate: 错误: 缺少必需的参数: --standard/-s"),
        (["evaluate", "-s", "a", "--jobs", "abc"], "参数 --jobs/-j: 'abc' 不是有效的整数"),
        (["evaluate", "-s"], "参数 --standard/-s 后须跟一个值"),
        (["evaluate", "-s", "a", "--bogus"], "无法识别的参数: --bogus (用 --help 查看可用的参数)"),
        (["check", "--format", "docx", "a.csv"], "参数 --format: 无效的取值 'docx' (可选: 'xlsx'"),
        (["evaluat"], "参数 COMMAND: 无效的取值 'evaluat'"),
    ],
)
def test_usage_errors_are_chinese(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    line = _usage_error(capsys, argv)
    assert said in line
    assert "错误: " in line
    assert not any(word in line for word in ("argument", "required", "invalid", "expected"))


def test_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["evaluate", "--help"], ["calendar", "--help"]):
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("用法: fupin-rules")
        assert "选项:" in out
        assert "-h, --help" in out
        assert "显示本帮助并退出" in out
        for english in ("usage:", "options:", "positional arguments", "show this help"):
            assert english not in out


def test_an_unknown_message_is_shown_as_it_is() -> None:
    assert chinese_error("something new happened") == "something new happened"
    assert chinese_error("argument --x: invalid float value: 'y'") == "参数 --x: 'y' 不是有效的数"
    assert chinese_error("argument --x: invalid _day value: 'y'") == "参数 --x: 'y' 不是有效的值"


def test_other_parsers_keep_their_words(capsys: pytest.CaptureFixture[str]) -> None:
    cli.build_parser()
    plain = argparse.ArgumentParser(prog="other")
    plain.add_argument("--n", type=int, required=True)
    with pytest.raises(SystemExit):
        plain.parse_args([])
    assert "the following arguments are required: --n" in capsys.readouterr().err
    ours = Parser(prog="ours")
    assert ours.format_help().startswith("用法: ours")
