"""fupin-rules: the standards of targeted poverty alleviation (精准扶贫) dynamic management as
versioned, declarative YAML rule sets, and an evaluator that explains every criterion.

>>> import fupin_rules as fr
>>> lib = fr.load_library()                                   # doctest: +SKIP
>>> rs = lib.get("gx.household.exit", as_of="2018-11-20")     # doctest: +SKIP
>>> rs.evaluate(record).outcome                               # doctest: +SKIP
'pass'

The public names are listed in ``__all__``; everything else is internal and may change.
"""

from __future__ import annotations

from ._version import __version__
from .dated import DatedEvaluator
from .errors import (
    EvaluationError,
    ExpressionError,
    FupinRulesError,
    NotFoundError,
    Problem,
    RuleFileError,
    UsageError,
)
from .language import id_valid
from .library import Library, load_library
from .model import Criterion, Finding, Parameter, Result, RuleSet, Source
from .testing import run_examples
from .verify import Verdict, verify

__all__ = [
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
