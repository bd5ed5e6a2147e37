"""What a run over many records did with its input: every line or row counted once (P1).

A :class:`Tally` is what :func:`fupin_rules.parallel.evaluate_inputs` (``fupin-rules
evaluate``) returns and sums over its units of work, in whichever process they ran; a
:class:`Failure` is one internal error it met, with where.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["FAILURES_KEPT", "Failure", "Tally"]

FAILURES_KEPT = 10
"""How many internal errors a :class:`Tally` keeps in detail (all are counted)."""


@attrs.frozen
class Failure:
    """An exception that should not have happened (a bug, or a worker killed under its unit),
    and where: the record's ``file:line`` (or the lines of a unit) and id."""

    source: str
    record_id: str | None
    error: str
    """``ExceptionType: message`` (shortened), or what happened to a worker."""
    trace: str = ""
    """The formatted traceback (for ``--debug``)."""

    @classmethod
    def of(cls, exc: BaseException, source: str, record_id: str | None = None) -> Failure:
        """The failure ``exc`` raised at ``source``."""
        text = f"{type(exc).__name__}: {exc}"
        if len(text) > 300:
            text = text[:300] + " …"
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(source=source, record_id=record_id, error=text, trace=trace)


@attrs.frozen
class Tally:
    """What a run, or one unit of it, did with its input: every line or row counted once.

    ``read`` = ``evaluated`` + ``rejected`` + ``blank``, and there is one result per line or
    row that is not blank (:attr:`results`, ``outcomes`` adds them up by outcome).
    ``rejected`` is ``unreadable`` (not a record: bad UTF-8 or JSON, a line too long, a row
    the table reader refused) + ``failed`` (an internal error while it was evaluated or
    written) + ``crashed`` (its unit killed a worker twice); each is an ``invalid`` result with
    the reason. ``errors`` counts internal errors (a failed record, a crash, a column
    evaluation that had to be redone by rows), the first :data:`FAILURES_KEPT` of them kept in
    ``failures``, in input order.
    """

    outcomes: tuple[tuple[str, int], ...] = ()
    """``(outcome, count)``, sorted."""
    unreadable: int = 0
    failed: int = 0
    crashed: int = 0
    blank: int = 0
    errors: int = 0
    failures: tuple[Failure, ...] = ()

    @classmethod
    def of(cls, counts: Mapping[str, int], **fields: Any) -> Tally:
        """A tally of these outcome ``counts``."""
        return cls(outcomes=tuple(sorted((k, n) for k, n in counts.items() if n)), **fields)

    @property
    def counts(self) -> Counter[str]:
        """Results by outcome."""
        return Counter(dict(self.outcomes))

    @property
    def results(self) -> int:
        """How many results were written: one per line or row that is not blank."""
        return sum(n for _, n in self.outcomes)

    @property
    def rejected(self) -> int:
        """Lines or rows answered ``invalid`` without being evaluated."""
        return self.unreadable + self.failed + self.crashed

    @property
    def evaluated(self) -> int:
        """Records evaluated by the rule set."""
        return self.results - self.rejected

    @property
    def read(self) -> int:
        """Lines or rows read, blank lines included."""
        return self.results + self.blank

    def __add__(self, other: Tally) -> Tally:
        counts = self.counts + other.counts
        return Tally.of(
            counts,
            unreadable=self.unreadable + other.unreadable,
            failed=self.failed + other.failed,
            crashed=self.crashed + other.crashed,
            blank=self.blank + other.blank,
            errors=self.errors + other.errors,
            failures=(self.failures + other.failures)[:FAILURES_KEPT],
        )
