"""The options every subcommand that reads rule files shares, declared once: ``--rules``
(repeatable: rule files or folders) and ``--schemas`` (the record schemas' folder), and the
library they name."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TextIO

from .io.files import atomic_output
from .library import Library, load_library

__all__ = ["add_output", "add_rules", "library_of", "output_stream"]


def add_rules(p: argparse.ArgumentParser) -> None:
    """Add ``--rules PATH`` (repeatable) and ``--schemas DIR`` to ``p``."""
    p.add_argument(
        "--rules",
        action="append",
        metavar="PATH",
        help="规则文件或目录 (默认: 随库附带的 standards/); 可多次使用",
    )
    p.add_argument("--schemas", metavar="DIR", help="记录结构目录 (默认: 随库附带的 schemas/)")


def add_output(p: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    """Add ``-o/--output PATH`` to ``p`` (written atomically by the command)."""
    p.add_argument("-o", "--output", metavar="OUT", required=required, help=help_text)


def library_of(args: argparse.Namespace) -> Library:
    """The library ``--rules`` and ``--schemas`` name (the bundled one without them)."""
    rules = getattr(args, "rules", None)
    return load_library(rules or None, schemas=getattr(args, "schemas", None))


@contextlib.contextmanager
def output_stream(path: str | None, out: TextIO) -> Iterator[TextIO]:
    """The command's output for ``-o PATH`` (written atomically: the file appears whole, or
    is left as it was), or ``out`` for none or ``-``."""
    if path is None or path == "-":
        yield out
        out.flush()
        return
    with atomic_output(path) as fh:
        yield fh
