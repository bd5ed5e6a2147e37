"""Where each page of the site lives, relative to its root (``/``-separated), stated once."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "INDEX",
    "STYLE_SHEET",
    "calendar_page",
    "calendar_svg",
    "changes_page",
    "depth",
    "relative_file",
    "results_page",
    "version_page",
]

INDEX = "index.html"
STYLE_SHEET = "style.css"


def version_page(rid: str, version: str) -> str:
    """The page of one version of a standard."""
    return f"standards/{rid}/{version}.html"


def changes_page(rid: str, before: str, after: str) -> str:
    """The page of what changed from one version of a standard to the next."""
    return f"standards/{rid}/changes-{before}-{after}.html"


def calendar_page(cid: str, version: str) -> str:
    """The page of one calendar version."""
    return f"calendars/{cid}/{version}.html"


def calendar_svg(cid: str, version: str) -> str:
    """The calendar's timeline as an SVG file beside its page."""
    return f"calendars/{cid}/{version}.svg"


def results_page(name: str) -> str:
    """The page of one batch of results."""
    return f"results/{name}.html"


def depth(path: str) -> int:
    """How many folders below the root a page is."""
    return path.count("/")


def relative_file(file: str, roots: tuple[str, ...]) -> str:
    """A rule file's path as shown on a page: relative to the library folder it was found
    in (so that the site does not depend on where the library sits), else its name."""
    path = Path(file)
    for root in roots:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return path.name
