"""What a run of one command imports and declares: only the module of that command, and none
of the heavy dependencies that evaluating records does not use."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from fupin_rules import cli

from .conftest import FIXTURES, ROOT

BUILT_IN = {"list", "evaluate", "explain"}


def commands(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(sub.choices, dict)
    return list(sub.choices)


def test_each_group_declares_the_commands_it_is_listed_with() -> None:
    whole = commands(cli.build_parser())
    listed = [name for names, _ in cli._EXTENSIONS for name in names]
    assert sorted(whole) == sorted(BUILT_IN.union(listed))
    assert len(listed) == len(set(listed))
    for names, _ in cli._EXTENSIONS:
        for name in names:
            assert set(commands(cli.build_parser(only=name))) == BUILT_IN | names, name
    assert set(commands(cli.build_parser(only="evaluate"))) == BUILT_IN


def test_help_lists_the_commands_in_their_order() -> None:
    assert commands(cli.build_parser())[:5] == ["list", "lint", "test", "evaluate", "explain"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["evaluate", "-s", "x"], "evaluate"),
        (["--debug", "-q", "check", "a.xlsx"], "check"),
        (["--quiet", "calendar"], "calendar"),
        (["--help"], None),
        (["-h", "evaluate"], None),
        (["evaluat", "-s", "x"], None),
        (["--", "evaluate"], None),
        ([], None),
    ],
)
def test_command_of(argv: list[str], expected: str | None) -> None:
    assert cli._command_of(argv) == expected


def test_a_misspelt_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["evaluat"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "无效的取值 'evaluat'" in err
    assert "'worklist'" in err


HEAVY = ("jsonschema", "tqdm", "pandas", "pyarrow", "numpy", "openpyxl")


def test_evaluating_imports_no_heavy_dependency() -> None:
    """``evaluate`` of JSON Lines to JSON Lines imports neither the other commands' modules
    nor jsonschema, tqdm, pandas, pyarrow, numpy or openpyxl."""
    script = (
        "import json, sys\n"
        "from fupin_rules.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "mods = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r} or m.startswith(('fupin_rules.calendar', 'fupin_rules.site',"
        " 'fupin_rules.reports', 'fupin_rules.forms', 'fupin_rules.deliverables',"
        " 'fupin_rules.events', 'fupin_rules.io.tables', 'fupin_rules.compare')))\n"
        "print(json.dumps([code, mods]))\n"
    )
    line = FIXTURES / "startup.jsonl"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "evaluate",
            "-s",
            "gx.household.exit",
            "--rules",
            str(ROOT / "benchmarks" / "rules"),
            "--as-of",
            "2018-11-20",
            "--jobs",
            "1",
            "-q",
            str(line),
            "-o",
            "-",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    code, mods = json.loads(run.stdout.splitlines()[-1])
    assert code == 0
    assert mods == []
