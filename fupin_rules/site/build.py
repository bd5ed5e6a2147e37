"""Building the site: every page from the library (and batches of results), written into a
temporary folder beside the target and then renamed into place.

The same library and results give the same bytes: pages are made in sorted order, read no
clock and name files relative to the library's folders. A folder that holds something other
than a site this command wrote is never replaced.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from ..library import Library
from . import layout
from .batches import batch_names, batch_page, read_batch
from .changes import changes_page
from .html import GENERATOR, STYLE
from .standards import index_page, version_page
from .timeline import calendar_page, calendar_svg

__all__ = ["build_site", "site_files"]

Results = str | Path | Sequence[str | Path] | None


def _result_paths(results: Results) -> list[str | Path]:
    if results is None:
        return []
    if isinstance(results, str | Path):
        return [results]
    return list(results)


def site_files(lib: Library, results: Results = None) -> dict[str, bytes]:
    """Every file of the site, by its path from the site's root (sorted)."""
    pages: dict[str, str] = {layout.STYLE_SHEET: STYLE}
    for rid in lib.ids():
        versions = lib.versions(rid)
        for rs in versions:
            pages[layout.version_page(rid, rs.version)] = version_page(lib, rs)
        for a, b in itertools.pairwise(versions):
            pages[layout.changes_page(rid, a.version, b.version)] = changes_page(a, b)
    calendars = []
    for cid in sorted(lib.calendars):
        for cal in lib.calendars[cid]:
            path = layout.calendar_page(cid, cal.version)
            pages[path] = calendar_page(cal, lib.roots)
            pages[layout.calendar_svg(cid, cal.version)] = calendar_svg(cal)
            calendars.append((f"{cal.title} ({cid}@{cal.version})", path))
    batches = []
    paths = _result_paths(results)
    for file, name in zip(paths, batch_names(paths), strict=True):
        batch = read_batch(file, name, lib)
        path = layout.results_page(name)
        pages[path] = batch_page(lib, batch)
        batches.append((batch.file, path))
    pages[layout.INDEX] = index_page(lib, calendars, batches)
    return {path: pages[path].encode("utf-8") for path in sorted(pages)}


def _is_site(folder: Path) -> bool:
    """Whether ``folder`` holds a site this command wrote (its index names the generator)."""
    index = folder / layout.INDEX
    try:
        with index.open("rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">'.encode() in head


def build_site(lib: Library, out_dir: str | Path, results: Results = None) -> tuple[Path, ...]:
    """Write the site of ``lib`` (and a page per results file in ``results``) into
    ``out_dir``; return the files written, sorted.

    The whole site is written into a temporary folder beside ``out_dir`` and renamed into
    place, so that ``out_dir`` holds either the old site or the new one, never a mix. An
    ``out_dir`` that exists must be empty or hold a site written by this function; anything
    else is refused (UsageError) rather than replaced.
    """
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            msg = f"输出位置 {out} 已存在, 且不是文件夹"
            raise UsageError(msg)
        if any(out.iterdir()) and not _is_site(out):
            msg = (
                f"输出文件夹 {out} 中已有其他文件, 不是 fupin-rules 生成的网站;"
                " 为免覆盖, 请换一个文件夹或先清空它"
            )
            raise UsageError(msg)
    files = site_files(lib, results)
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    fresh = _new_folder(parent, f".{out.name}.new")
    try:
        for rel, data in files.items():
            target = fresh.joinpath(*rel.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap(fresh, out.absolute())
    finally:
        if fresh.exists():
            shutil.rmtree(fresh)
    return tuple(out / Path(*rel.split("/")) for rel in files)


def _new_folder(parent: Path, stem: str) -> Path:
    """A new, empty folder in ``parent`` named after ``stem`` (made with the user's umask,
    as the site's other folders are; ``tempfile.mkdtemp`` would make it private)."""
    while True:
        folder = parent / f"{stem}-{secrets.token_hex(4)}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder


def _swap(fresh: Path, out: Path) -> None:
    """Put ``fresh`` at ``out``; an existing ``out`` is moved aside first and removed after."""
    if not out.exists():
        os.replace(fresh, out)
        return
    aside = _new_folder(out.parent, f".{out.name}.old")
    try:
        old = aside / "site"
        os.replace(out, old)
        try:
            os.replace(fresh, out)
        except OSError:
            os.replace(old, out)
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
