"""The first evaluation of docs/getting-started.md, run as written: the input it shows, the
summary line and the fields of each result line must be what the command gives today."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from fupin_rules.cli import main

from .conftest import ROOT

GUIDE = ROOT / "docs" / "getting-started.md"


def _block(text: str, after: str, fence: str) -> str:
    """The first fenced block of kind ``fence`` after the text ``after``."""
    start = text.index(f"```{fence}\n", text.index(after)) + len(fence) + 4
    return text[start : text.index("```", start)]


def test_the_first_evaluation_gives_what_the_guide_shows(tmp_path: Path) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    records = _block(guide, "Here is a file `households.jsonl` with five lines:", "json")
    (tmp_path / "households.jsonl").write_text(records, encoding="utf-8")
    console = _block(guide, "Evaluate them under the standard in force", "console").splitlines()
    command, summary = console[0], console[1]
    argv = command.removeprefix("$ fupin-rules ").split()
    shown = _block(guide, "Its first fields, per line:", "text").splitlines()

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(argv, out=out, err=err) == 0
        lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    finally:
        os.chdir(cwd)
    assert err.getvalue().strip() == summary
    got = []
    for line in lines:
        r = json.loads(line)
        fields = (r["record_id"], r["source"], r["outcome"], r["conclusion"], r["reasons"])
        got.append(" ".join(str(f) for f in fields))
    assert got == shown
