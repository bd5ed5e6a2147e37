"""Progress on standard error, shown only when standard error is a terminal.

A :class:`Meter` draws one line, rewritten in place at most ten times a second (``tqdm``
does the drawing: the width of the terminal, an ASCII bar where standard error is not UTF-8,
as on a GBK console), with the phase (``读取``, ``评估``, ``写出``), how many records are done
and how many a second, and, where the total is known, the share done and the time left::

    评估  45%|████▌     | [用时 00:07, 剩余 00:09, 12,345 条, 1,580 条/秒]

The amount the share is measured in may differ from records: ``evaluate --jobs N`` counts
input bytes (the size of the files is known before they are read, their records are not), so
the time left is meaningful from the start. Without a total (standard input) the line shows
the count and the rate only.

A phase may hold steps worth seeing on their own (:meth:`Meter.stage`): a spreadsheet's
rows are read, then grouped into households, before its first record comes out, so the line
shows those steps in rows (``读取 … 行``, ``归户 … 行``), each with its own total where one is
known (the sheet's dimension, the rows read), then the phase again::

    读取  38%|███▊      | [用时 00:05, 剩余 00:08, 22,811 行, 4,530 行/秒]

When standard error is piped or redirected, or the command has ``--quiet``, a meter is
:data:`SILENT`: nothing is written and :meth:`Meter.track` hands the items back untouched, so
logs, captured output and the output files stay what they are. A meter is closed by its
``with`` block however it ends (an error, Ctrl-C): the line is cleared, so a message written
after it starts at the beginning of a clean line.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar

__all__ = ["INTERVAL", "SILENT", "Meter", "is_terminal", "meter", "progress"]

T = TypeVar("T")

INTERVAL = 0.1
"""Seconds between two drawings of the line, at least (ten a second at most)."""

# tqdm writes the postfix (the records and their rate) after ", ".
_WITH_TOTAL = "{desc} {percentage:3.0f}%|{bar}| [用时 {elapsed}, 剩余 {remaining}{postfix}]"
_WITHOUT_TOTAL = "{desc} [用时 {elapsed}{postfix}]"


@functools.cache
def _bar_class() -> Any:
    """tqdm drawing only when told (:meth:`Meter.draw`), without its monitor thread. Made on
    first use: most runs show no line (a file, a pipe, ``--quiet``) and need no tqdm."""
    from tqdm import tqdm

    class Bar(tqdm):  # type: ignore[type-arg]
        monitor_interval = 0

    return Bar


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for files, pipes, closed or odd streams)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def _utf8(stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}


class _Line:
    """What tqdm is given to write on: the stream, flushed after each drawing. (Given
    ``sys.stderr`` itself, tqdm treats it as its own and its drawings did not reach a
    pseudo-terminal.)"""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def _width(stream: Any) -> int:
    """The terminal's width in columns, or 80 where it says none (a new pseudo-terminal)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns or 80


class Meter:
    """One phase's progress line (see the module). Made by :func:`meter`; used as a context
    manager, or closed with :meth:`close`.

    ``total`` is in the unit of ``amount`` (records unless ``measure`` says otherwise):
    :meth:`advance` adds records and, optionally, the amount they stand for. ``unit`` is what
    the count is shown in (条, records; 行 in the steps of reading a table).
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None,
        *,
        total: int | None = None,
        measure: Callable[[Any], int] | None = None,
        unit: str = "条",
    ) -> None:
        self.label = label
        self.total = total or None
        self.measure = measure
        self.unit = unit
        self.records = 0
        self.amount = 0
        self._last = 0.0
        self._bound = True
        """Whether ``total`` is known (False: expected, as a sheet's dimension says)."""
        self._bar: Any = None
        self._start = 0.0
        if stream is not None:
            self._stream = stream
            self._start = time.monotonic()
            self._bar = _bar_class()(
                total=self.total,
                desc=label,
                file=_Line(stream),
                ascii=not _utf8(stream),
                leave=False,
                ncols=_width(stream),
                mininterval=INTERVAL,
                bar_format=_WITH_TOTAL if self.total else _WITHOUT_TOTAL,
            )
            self.draw()

    @property
    def shown(self) -> bool:
        """Whether this meter writes anything (a terminal, not ``--quiet``)."""
        return self._bar is not None

    def advance(self, records: int = 1, amount: int | None = None) -> None:
        """``records`` more done (and ``amount`` more of the total, records if not given);
        the line is drawn again if the last drawing is :data:`INTERVAL` old."""
        if self._bar is None:
            return
        self.records += records
        self.amount += records if amount is None else amount
        if time.monotonic() - self._last >= INTERVAL:
            self.draw()

    def done(self, unit: Any, records: int) -> None:
        """A unit of work is done: its ``records``, and its amount by ``measure``."""
        if self._bar is not None:
            self.advance(records, self.measure(unit) if self.measure else None)

    def track(self, items: Iterable[T]) -> Iterable[T]:
        """``items``, each counted as one record as it is taken (``items`` itself when
        nothing is shown, so that a silent meter costs nothing)."""
        if self._bar is None:
            return items
        return self._tracked(items)

    def _tracked(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.advance()

    @contextlib.contextmanager
    def stage(self, label: str, *, total: int | None = None, unit: str = "行") -> Iterator[Meter]:
        """A step of this meter's phase shown on its line while the ``with`` block runs (the
        rows of a sheet being read, inside 读取 or 评估): ``label``, a count in ``unit`` from
        zero, its own time and rate, and ``total`` as expected (when more than ``total`` is
        done, as where a sheet's dimension was written wrong, the line goes on without a
        total). Then the phase's own label, counts, total and time are shown again, its time
        and rate without the step's. A silent meter does nothing (one call per step, nothing
        per row)."""
        bar = self._bar
        if bar is None:
            yield self
            return
        kept = (self.label, self.unit, self.total, self._bound, self.records, self.amount)
        started = (self._start, bar.start_t)
        self._show(label, total or None, unit, bound=False)
        self.records = self.amount = 0
        self._start, bar.start_t = time.monotonic(), time.time()  # tqdm times with time.time
        self.draw()
        try:
            yield self
        finally:
            if self._bar is not None:  # not closed in the step (an error, Ctrl-C)
                label, unit, total, bound, self.records, self.amount = kept
                self._show(label, total, unit, bound=bound)
                self._start = started[0] + (time.monotonic() - self._start)
                bar.start_t = started[1] + (time.time() - bar.start_t)
                self.draw()

    def _show(self, label: str, total: int | None, unit: str, *, bound: bool) -> None:
        self.label, self.total, self.unit, self._bound = label, total, unit, bound
        bar = self._bar
        bar.set_description_str(label, refresh=False)
        bar.total = total
        bar.bar_format = _WITH_TOTAL if total else _WITHOUT_TOTAL

    def draw(self) -> None:
        """Draw the line now."""
        bar = self._bar
        if bar is None:
            return
        self._last = now = time.monotonic()
        if self.total and self.amount > self.total and not self._bound:
            self._show(self.label, None, self.unit, bound=True)  # more than expected
        bar.n = min(self.amount, self.total) if self.total else self.amount
        rate = self.records / (now - self._start) if now > self._start else 0.0
        unit = self.unit
        bar.set_postfix_str(f"{self.records:,} {unit}, {rate:,.0f} {unit}/秒", refresh=False)
        bar.ncols = _width(self._stream)  # the terminal may have been resized
        bar.refresh()

    def close(self) -> None:
        """Clear the line (nothing is left of it on the terminal); no more drawing."""
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()

    def __enter__(self) -> Meter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SILENT = Meter("", None)
"""A meter that shows nothing (its methods do nothing; :meth:`Meter.track` hands back)."""


def meter(
    label: str,
    stream: TextIO,
    *,
    total: int | None = None,
    measure: Callable[[Any], int] | None = None,
    quiet: bool = False,
) -> Meter:
    """A :class:`Meter` for ``label`` on ``stream``, or :data:`SILENT` when ``quiet`` or
    ``stream`` is not a terminal."""
    if quiet or not is_terminal(stream):
        return SILENT
    return Meter(label, stream, total=total, measure=measure)


def progress(items: Iterable[T], *, total: int | None, label: str, stream: TextIO) -> Iterator[T]:
    """Yield ``items`` unchanged, with a :class:`Meter` of ``total`` records on ``stream``
    if it is a terminal (closed when the items end, are abandoned or raise)."""
    with meter(label, stream, total=total) as shown:
        yield from shown.track(items)
