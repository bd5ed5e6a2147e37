"""The public surface of the package is exactly what ``__all__`` lists."""

from __future__ import annotations

import fupin_rules as fr


def test_all_is_pinned() -> None:
    """``__all__`` is the curated list; adding or removing a name is a deliberate change."""
    assert sorted(fr.__all__) == [
        "Criterion",
        "DatedEvaluator",
        "EvaluationError",
        "ExpressionError",
        "Finding",
        "FupinRulesError",
        "Library",
        "NotFoundError",
        "Parameter",
        "Problem",
        "Result",
        "RuleFileError",
        "RuleSet",
        "Source",
        "UsageError",
        "Verdict",
        "__version__",
        "id_valid",
        "load_library",
        "run_examples",
        "verify",
    ]


def test_every_public_name_exists() -> None:
    """Every name in ``__all__`` is importable from the package root."""
    for name in fr.__all__:
        assert getattr(fr, name) is not None


def test_one_root_exception() -> None:
    """Every library error derives from FupinRulesError."""
    for name in (
        "EvaluationError",
        "ExpressionError",
        "NotFoundError",
        "RuleFileError",
        "UsageError",
    ):
        assert issubclass(getattr(fr, name), fr.FupinRulesError)


def test_typed_marker_is_shipped() -> None:
    """The package carries py.typed so type checkers use its annotations."""
    from pathlib import Path

    assert (Path(fr.__file__).parent / "py.typed").is_file()
