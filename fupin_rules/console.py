"""Writing to a console whose encoding is not UTF-8 (Chinese Windows: GBK), decided once.

``explain … > file.txt`` on Chinese Windows writes in the console's code page, GBK, which has
no ``✓`` or ``✗``; Python's default there is to raise ``UnicodeEncodeError`` and lose the
output. :func:`prepare` sets a stream that is not UTF-8 to the ``fupin-rules-console`` error
handler: characters the encoding lacks are written as the nearest it has (``✓`` → ``√``,
``✗`` → ``×``, ``█`` → ``#``), anything else as ``?``. UTF-8 streams, and files the commands
write with ``-o`` (always UTF-8), are left alone.
"""

from __future__ import annotations

import codecs
from typing import TextIO

__all__ = ["ERRORS", "FALLBACKS", "prepare"]

ERRORS = "fupin-rules-console"
"""The name of the error handler :func:`prepare` sets."""

FALLBACKS = {
    "✓": "√",
    "✗": "×",
    "█": "#",
    "·": ".",
    "→": "->",
    "…": "...",
    "≥": ">=",
    "≤": "<=",
    "㎡": "m2",
}
"""Characters outside some encodings and what is written instead, tried in order: the
replacement itself must be in the encoding, else ``?``."""


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        instead = FALLBACKS.get(char, "?")
        try:
            instead.encode(error.encoding)
        except (UnicodeEncodeError, LookupError):
            instead = "?"
        out.append(instead)
    return "".join(out), error.end


codecs.register_error(ERRORS, _replace)


def _utf8(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}


def prepare(stream: TextIO) -> TextIO:
    """``stream``, set to write what its encoding lacks as near equivalents rather than fail
    (nothing changes for a UTF-8 stream, or one that cannot be reconfigured)."""
    if _utf8(getattr(stream, "encoding", None)):
        return stream
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure):
        reconfigure(errors=ERRORS)
    return stream
