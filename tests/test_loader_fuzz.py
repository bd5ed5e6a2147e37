"""The loader on mangled rule files: a clear RuleFileError or a loaded library, nothing else.

Hypothesis takes a real rule file and damages it the way editing goes wrong (lines deleted,
duplicated, swapped, re-indented, characters replaced); whatever comes out, loading raises only
the library's own error, with a file and line for every problem, or loads cleanly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr

from .conftest import FIXTURES

BASE = (FIXTURES / "lib" / "demo.household" / "2016.yaml").read_text(encoding="utf-8").splitlines()

_edit = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(BASE) - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, len(BASE) - 1)),
    st.tuples(st.just("swap"), st.integers(0, len(BASE) - 2)),
    st.tuples(st.just("indent"), st.integers(0, len(BASE) - 1), st.integers(-4, 4)),
    st.tuples(
        st.just("replace"),
        st.integers(0, len(BASE) - 1),
        st.integers(0, 80),
        st.sampled_from(
            [
                ":",
                "-",
                "'",
                '"',
                "{",
                "[",
                "&a",
                "*a",
                "!!python/object ",
                "\t",
                "0",
                "nan",
                " ",
                "x",
                "中",
            ]
        ),
    ),
)


def _apply(lines: list[str], edit: tuple) -> list[str]:
    kind, i = edit[0], min(edit[1], len(lines) - 1)
    out = list(lines)
    if not out:
        return out
    if kind == "delete":
        del out[i]
    elif kind == "duplicate":
        out.insert(i, out[i])
    elif kind == "swap" and i + 1 < len(out):
        out[i], out[i + 1] = out[i + 1], out[i]
    elif kind == "indent":
        shift = edit[2]
        out[i] = (" " * shift + out[i]) if shift > 0 else out[i][-shift:]
    elif kind == "replace":
        pos = min(edit[2], len(out[i]))
        out[i] = out[i][:pos] + edit[3] + out[i][pos + 1 :]
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture library to damage."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(FIXTURES / "lib", root / "lib")
    return root / "lib"


@settings(max_examples=80)
@given(edits=st.lists(_edit, min_size=1, max_size=4))
def test_mangled_rule_file_gives_rule_file_error_or_loads(
    workdir: Path, edits: list[tuple]
) -> None:
    """Property: any damage gives RuleFileError (every problem placed in a file) or a library."""
    lines = list(BASE)
    for edit in edits:
        lines = _apply(lines, edit)
    (workdir / "demo.household" / "2016.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        lib = fr.load_library(workdir, schemas=FIXTURES / "schemas")
    except fr.RuleFileError as exc:
        assert exc.problems
        assert all(p.file for p in exc.problems)
    else:
        for rs in lib:
            assert rs.fingerprint.startswith("sha256:")
