"""A progress bar on standard error, shown only when standard error is a terminal.

No dependency: one line rewritten with ``\\r``, at most ten times a second. When standard error
is piped or redirected nothing is written, so logs and captured output stay clean.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["progress"]

T = TypeVar("T")

_WIDTH = 30


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def progress(items: Iterable[T], *, total: int | None, label: str, stream: TextIO) -> Iterator[T]:
    """Yield ``items`` unchanged, drawing a bar on ``stream`` if it is a terminal."""
    if not _is_tty(stream):
        yield from items
        return
    last = 0.0
    done = 0
    try:
        for item in items:
            yield item
            done += 1
            now = time.monotonic()
            if now - last >= 0.1:
                last = now
                _draw(stream, label, done, total)
        _draw(stream, label, done, total)
    finally:
        stream.write("\n")
        stream.flush()


def _draw(stream: TextIO, label: str, done: int, total: int | None) -> None:
    if total:
        filled = min(_WIDTH, done * _WIDTH // total)
        bar = "█" * filled + "·" * (_WIDTH - filled)
        stream.write(f"\r{label} [{bar}] {done}/{total}")
    else:
        stream.write(f"\r{label} {done}")
    stream.flush()
