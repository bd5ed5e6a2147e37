"""Golden outputs: the exact bytes a release writes for fixed inputs, kept in the repository.

Auditors rerun historical rule versions and must get the same answer, byte for byte; a rule
set's fingerprint pins its rules, and these files pin what the library writes from them (the
result JSON, the messages, the explanation text). ``tests/test_golden.py`` compares every run
with them, so a change to the output cannot slip in unnoticed.

When a change to the output is intended, regenerate the files and say what changed in
CHANGELOG.md (auditors comparing results across library versions need to know)::

    python -m tests.golden

The inputs (``households.jsonl``, ``villages.jsonl``) are a fixed selection of the sample
data, plus a few lines a real export might hold (a label for a code, a broken line, a blank
line, a duplicate key, an array); they are data of their own, independent of the sample
generator. One case reads the national-system export of ``tests/fixtures/io``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from fupin_rules.cli import main

HERE = Path(__file__).resolve().parent

HOUSEHOLD_EXIT = ("-s", "gx.household.exit")
OLD, NEW = ("--as-of", "2017-11-20"), ("--as-of", "2018-11-20")
V2016 = ("--version", "2016")  # the 2017 versions are in force on 2017-11-20
HOUSEHOLDS, VILLAGES = "households.jsonl", "villages.jsonl"
EXPORT = "../fixtures/io/national_export.xlsx"
PARAM = ("--param", "income_line=3535")
EVENTS = "../fixtures/events/golden-events.jsonl"
PLAN = ("--plan", "plan.jsonl")
ADJUST = ("adjust", "--as-of", "2018-10-31")
YEAR_DAY = ("--year-day", "11-25")

CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("household-exit-2016.jsonl", ("evaluate", *HOUSEHOLD_EXIT, *V2016, *OLD, HOUSEHOLDS)),
    ("household-exit-2017.jsonl", ("evaluate", *HOUSEHOLD_EXIT, *OLD, HOUSEHOLDS)),
    ("household-exit-2018.jsonl", ("evaluate", *HOUSEHOLD_EXIT, *NEW, HOUSEHOLDS)),
    ("household-exit-2018-brief.jsonl", ("evaluate", *HOUSEHOLD_EXIT, *NEW, "--brief", HOUSEHOLDS)),
    (
        "household-exit-2018-full.jsonl",
        ("evaluate", *HOUSEHOLD_EXIT, *NEW, "--findings", "full", HOUSEHOLDS),
    ),
    (
        "household-exit-2016-param.jsonl",
        ("evaluate", *HOUSEHOLD_EXIT, "--version", "2016", *OLD, *PARAM, HOUSEHOLDS),
    ),
    ("household-exit-2018-export.jsonl", ("evaluate", *HOUSEHOLD_EXIT, *NEW, "--brief", EXPORT)),
    (
        "household-identification-2017.jsonl",
        ("evaluate", "-s", "gx.household.identification", *NEW, HOUSEHOLDS),
    ),
    ("village-exit-2016.jsonl", ("evaluate", "-s", "gx.village.exit", *V2016, *OLD, VILLAGES)),
    ("village-exit-2017.jsonl", ("evaluate", "-s", "gx.village.exit", *OLD, VILLAGES)),
    ("village-exit-2018.jsonl", ("evaluate", "-s", "gx.village.exit", *NEW, VILLAGES)),
    ("household-exit-2018-explain.txt", ("explain", *HOUSEHOLD_EXIT, *NEW, HOUSEHOLDS)),
    (
        "household-exit-impact.txt",
        ("impact", *HOUSEHOLD_EXIT, "--from", "2016", "--to", "2018", *NEW, HOUSEHOLDS),
    ),
    ("events-2018.jsonl", ("events", "check", EVENTS)),
    ("events-2018-brief.jsonl", ("events", "check", "--brief", EVENTS)),
    ("events-2018-problems.md", ("events", "check", "--problems", "-", EVENTS)),
    ("adjust-households.jsonl", (*ADJUST, *PLAN, HOUSEHOLDS)),
    ("adjust-households.md", (*ADJUST, *PLAN, "--format", "md", HOUSEHOLDS)),
    ("adjust-villages.md", (*ADJUST, "--format", "md", VILLAGES)),
    ("adjust-villages.jsonl", (*ADJUST, "-s", "gx.village.exit", VILLAGES)),
    ("suspects.md", ("suspects", *YEAR_DAY, HOUSEHOLDS)),
    (
        "summary-2018.md",
        (
            "summary",
            HOUSEHOLDS,
            "--year",
            "2018",
            *YEAR_DAY,
            "--villages",
            VILLAGES,
            "--events",
            EVENTS,
        ),
    ),
)
"""Expected file name (under ``expected/``) and the command that writes it (input paths
relative to this folder)."""

EXIT_CODES = {
    "adjust-households.jsonl": 1,
    "adjust-households.md": 1,
    "adjust-villages.md": 1,
    "adjust-villages.jsonl": 1,
    "suspects.md": 1,
}
"""The cases whose command reports something to act on (exit code 1); the others exit 0."""


def run(argv: tuple[str, ...]) -> tuple[int, str, str]:
    """Run one case's command in-process, with its inputs in this folder; return (exit
    code, stdout, stderr with this folder's path shown as ``golden/``)."""
    args = [str(HERE / a) if a.endswith((".jsonl", ".xlsx")) else a for a in argv]
    out, err = io.StringIO(), io.StringIO()
    code = main(args, out=out, err=err)
    prefix = str(HERE) + "/"
    return code, out.getvalue().replace(prefix, "golden/"), err.getvalue()


def write() -> None:
    """Write every expected file from the current code."""
    (HERE / "expected").mkdir(exist_ok=True)
    for name, argv in CASES:
        code, out, err = run(argv)
        if code not in (0, 1):
            sys.exit(f"{name}: exit code {code}\n{err}")
        (HERE / "expected" / name).write_text(out, encoding="utf-8", newline="\n")
        print(f"wrote expected/{name} ({len(out.encode()):,} bytes, exit code {code})")
