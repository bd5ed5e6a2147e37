"""The bytes the library writes for fixed inputs are the bytes it wrote before.

Auditors compare results across library versions; an unintended change to the result JSON,
a message or the explanation text must fail here. If the change is intended, regenerate the
files with ``python -m tests.golden`` and describe the change in CHANGELOG.md.
"""

from __future__ import annotations

import difflib

import pytest

from .golden import CASES, EXIT_CODES, HERE, run


@pytest.mark.parametrize(("name", "argv"), CASES, ids=[name for name, _ in CASES])
def test_output_is_the_golden_file(name: str, argv: tuple[str, ...]) -> None:
    code, out, err = run(argv)
    assert code == EXIT_CODES.get(name, 0), err
    want = (HERE / "expected" / name).read_text(encoding="utf-8")
    if out != want:
        diff = "".join(
            list(
                difflib.unified_diff(
                    want.splitlines(keepends=True),
                    out.splitlines(keepends=True),
                    f"expected/{name}",
                    "now",
                    n=0,
                )
            )[:12]
        )
        pytest.fail(
            f"{name} differs from the golden output (first lines of the diff below). If the "
            "change is intended, run `python -m tests.golden` and note it in CHANGELOG.md.\n"
            + diff[:4000]
        )


def test_every_golden_file_has_a_case() -> None:
    """No stale expected file is left behind when a case is renamed or dropped."""
    assert sorted(p.name for p in (HERE / "expected").iterdir()) == sorted(n for n, _ in CASES)
