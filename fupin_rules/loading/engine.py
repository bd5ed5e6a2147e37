"""The engine every loaded rule set is built with: evaluation by :mod:`fupin_rules.evaluation`,
parameters fixed by :func:`.canonical.override_parameters`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..evaluation import evaluate, legend
from ..lean import Legend
from ..model import Result, RuleSet
from .canonical import override_parameters

__all__ = ["ENGINE", "Engine"]


class Engine:
    """:class:`fupin_rules.model.Engine`: what ``RuleSet.evaluate`` and
    ``RuleSet.with_parameters`` call."""

    __slots__ = ()

    def evaluate(
        self, rs: RuleSet, record: Any, *, as_of: str | dt.date | None, source: str | None
    ) -> Result:
        """Apply ``rs`` to one record (:func:`fupin_rules.evaluation.evaluate`)."""
        return evaluate(rs, record, as_of=as_of, source=source)

    def with_parameters(self, rs: RuleSet, overrides: Mapping[str, Any]) -> RuleSet:
        """``rs`` with parameters fixed (:func:`.canonical.override_parameters`)."""
        return override_parameters(rs, overrides)

    def legend(self, rs: RuleSet, as_of: str | dt.date | None) -> Legend:
        """What every result of ``rs`` on ``as_of`` shares (:func:`..evaluation.legend`)."""
        return legend(rs, as_of)

    def __reduce__(self) -> str:
        return "ENGINE"


ENGINE = Engine()
"""The one engine (stateless)."""
