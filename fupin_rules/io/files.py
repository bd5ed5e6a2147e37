"""Files: opening inputs, writing outputs atomically, and temporary files and folders that a
killed run cannot leave behind for long.

Temporary files and folders are named so that one left behind by a killed run can be told
from one in use: each is locked (``flock``) by the process that made it for as long as it is in
use, and the lock goes with the process however it ends, SIGKILL included. The next run that
writes the same output (or makes the same kind of folder) removes those nobody holds. They are
made and removed with Ctrl-C and SIGTERM held back (:func:`shielded`), so that an interrupt
never leaves one half made. An error of the system (a full disk, a missing permission) is
raised as :class:`~fupin_rules.errors.FileError`, naming the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

from ..errors import FileError

_fcntl: Any
try:  # POSIX: temporary files are locked while in use (see TEMP_TAG)
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None

__all__ = [
    "TABLE_SUFFIXES",
    "TEMP_TAG",
    "atomic_output",
    "open_input",
    "reading",
    "remove_stale",
    "scratch_folder",
    "shielded",
    "write_atomic",
]

_T = TypeVar("_T")

# Here, not in .tables, so that telling a table by its name needs none of the spreadsheet
# readers (openpyxl) that reading one does.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")
"""The files read as tables (a legacy ``.xls`` is refused with a request to save as .xlsx). A
``.txt`` file may be either; where records are expected it is read as JSON Lines."""


# --------------------------------------------------------------------------- inputs


def open_input(path: str | Path) -> IO[bytes]:
    """``path`` opened for reading bytes; :class:`~fupin_rules.errors.FileError` if it
    cannot be."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise FileError(path, "读取", exc) from exc


def reading(items: Iterator[_T], path: str | Path) -> Iterator[_T]:
    """``items``, read from ``path``: an error of the system while reading it is raised as
    :class:`~fupin_rules.errors.FileError` naming the file."""
    try:
        yield from items
    except OSError as exc:
        raise FileError(path, "读取", exc) from exc


# --------------------------------------------------------------------------- outputs

TEMP_TAG = "fupin-rules"
"""What every temporary file and folder of fupin-rules has in its name:
``.<output name>.fupin-rules-<8 hex>.tmp`` beside an output being written, and
``<temp dir>/fupin-rules-<kind>-<8 hex>`` for working folders (``jobs``: the results of
``--jobs`` workers; ``rules``: rule files shipped to a Dask worker)."""

_STALE_NAME = re.compile(r"[0-9a-f]{8}")


@contextlib.contextmanager
def atomic_output(path: str | Path | None, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write text to ``path`` atomically (or to standard output for None or ``-``).

    The text goes to a temporary file in the same folder (see :data:`TEMP_TAG`), renamed over
    ``path`` only when the block ends without error; an interrupted run leaves the old file (or
    none), never half of one, and the temporary file is removed (a killed run's is removed the
    next time ``path`` is written). A new file gets the mode a plain ``open(path, "w")`` would
    give it (0666 less the umask); a file written over keeps its mode. An error of the system
    while writing (a full disk) is raised as :class:`~fupin_rules.errors.FileError` naming
    ``path``.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with _replacing(Path(path), encoding) as fh:
        yield fh


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, as :func:`atomic_output` writes text."""
    with _replacing(Path(path), None) as fh:
        fh.write(data)


class _Target(io.FileIO):
    """The temporary file of an output: its write errors name the output."""

    def __init__(self, fd: int, target: Path) -> None:
        super().__init__(fd, "w")
        self.target = target

    def write(self, data: Any) -> int:
        try:
            return super().write(data)
        except OSError as exc:
            raise FileError(self.target, "写入", exc, _KEPT) from exc


_KEPT = "原有的文件 (若有) 未改动"


@contextlib.contextmanager
def _replacing(target: Path, encoding: str | None) -> Iterator[Any]:
    fd: int | None = None
    tmp: Path | None = None
    fh: Any = None
    try:
        with shielded():  # made and handed over whole, or not at all
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                remove_stale(target.parent, f".{target.name}.{TEMP_TAG}-", ".tmp")
                fd, tmp = _claim(
                    lambda token: target.parent / f".{target.name}.{TEMP_TAG}-{token}.tmp"
                )
                with contextlib.suppress(FileNotFoundError):  # written over: keep its mode
                    os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))
            except OSError as exc:
                raise FileError(target, "写入", exc, _KEPT) from exc
            fh = io.BufferedWriter(_Target(fd, target))
            if encoding is not None:
                fh = io.TextIOWrapper(fh, encoding=encoding, newline="")
        yield fh
        try:
            fh.flush()
            os.fsync(fd)
            with shielded():  # renamed and counted as done, or neither
                # Renamed while still open (and locked) where the system allows it, so that
                # no other run can take it for a stale file between closing and renaming.
                if os.name == "posix":
                    os.replace(tmp, target)
                fh.close()
                if os.name != "posix":
                    os.replace(tmp, target)
                tmp = None
        except OSError as exc:
            raise FileError(target, "写入", exc, _KEPT) from exc
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        if fh is not None:
            with contextlib.suppress(Exception):  # already failed: closing only frees the file
                fh.close()
        elif fd is not None:
            os.close(fd)


@contextlib.contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A private working folder ``<temp dir>/fupin-rules-<kind>-<8 hex>`` (see
    :data:`TEMP_TAG`), removed with everything in it however the block ends; one a killed run
    left behind is removed the next time a folder of this kind is made."""
    base = Path(tempfile.gettempdir())
    prefix = f"{TEMP_TAG}-{kind}-"
    claimed: tuple[int, Path] | None = None
    try:
        with shielded():
            try:
                remove_stale(base, prefix, "")
                claimed = _claim(lambda token: base / f"{prefix}{token}", folder=True)
            except OSError as exc:
                note = "可设置环境变量 TMPDIR 指向空间足够、可写的目录"
                raise FileError(base, "写入", exc, note) from exc
        yield claimed[1]
    finally:
        if claimed is not None:
            with shielded():
                shutil.rmtree(claimed[1], ignore_errors=True)
                os.close(claimed[0])


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block ends (then they act at once), so that
    what the block makes or takes apart (a temporary file, a pool of workers and its threads)
    is never left half done. Threads started in the block inherit the hold, so the signals go
    to the main thread, where the command's handlers act. Where the system cannot hold
    signals, or off the main thread, the block runs as it is."""
    hold = getattr(signal, "pthread_sigmask", None)
    if hold is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = hold(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        hold(signal.SIG_SETMASK, before)


def _claim(name: Callable[[str], Path], *, folder: bool = False) -> tuple[int, Path]:
    """Make a new file (or folder) named ``name(token)``, locked by this process, and return
    its descriptor and path. A file gets mode 0666 less the umask, as ``open`` gives."""
    while True:
        path = name(os.urandom(4).hex())
        try:
            if folder:
                os.mkdir(path, 0o700)
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            else:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        if _lock(fd, wait=True) and _same(fd, path):
            return fd, path
        os.close(fd)  # removed as stale by another run before we held it: take another name


def remove_stale(folder: Path, prefix: str, suffix: str) -> None:
    """Remove the files and folders of ``folder`` named ``<prefix><8 hex><suffix>`` that this
    user made and no process holds (see :data:`TEMP_TAG`)."""
    if _fcntl is None:
        return  # without locks a stale file cannot be told from one in use
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        token = entry.name[len(prefix) : len(entry.name) - len(suffix)]
        if not entry.name.endswith(suffix) or not _STALE_NAME.fullmatch(token):
            continue
        with contextlib.suppress(OSError):
            is_dir = entry.is_dir(follow_symlinks=False)
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(entry.path, flags | (getattr(os, "O_DIRECTORY", 0) if is_dir else 0))
            try:
                if os.fstat(fd).st_uid != os.getuid() or not _lock(fd, wait=False):
                    continue
                if not _same(fd, Path(entry.path)):
                    continue
                if is_dir:
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            finally:
                os.close(fd)


def _lock(fd: int, *, wait: bool) -> bool:
    """Lock ``fd`` for this process (the lock goes when the process does); False if another
    holds it. Where the system has no locks, only this process's own files count as held."""
    if _fcntl is None:
        return wait
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | (0 if wait else _fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def _same(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        here, there = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
