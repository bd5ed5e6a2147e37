"""Errors raised by fupin-rules, and the :class:`Problem` they carry.

Every error of the library derives from one root, so that ``except FupinRulesError``
catches all of them::

    FupinRulesError
    ├── RuleFileError        a rule, calendar, code-list or header-map file is broken
    │                        (carries every Problem of the file, each with file:line:column)
    ├── ExpressionError      an expression is refused (syntax, unknown name, unsafe, too big)
    ├── NotFoundError        an unknown standard id, version, or no version in force that day
    ├── UsageError           a caller passed something unusable (bad date, bad option)
    ├── FileError            a file could not be read or written (disk full, no permission);
    │                        names the file, keeps the OSError as its cause
    └── EvaluationError      an expression failed on one record (caught per record, never
                             escapes evaluate_many: the record's result says what went wrong)

Problems are data: :class:`Problem` has the file, line, column, field path, message and hint,
and ``str(problem)`` renders them as ``file:line:column: path: message (hint)``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "EvaluationError",
    "ExpressionError",
    "FileError",
    "FupinRulesError",
    "NotFoundError",
    "Problem",
    "RuleFileError",
    "UsageError",
    "format_path",
]


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path as policy staff read it: ``criteria[2].test``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@attrs.frozen(order=False)
class Problem:
    """One thing wrong in a file or an expression, with where it is and how to fix it."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None
    code: str = "error"
    """A stable machine-readable kind, e.g. ``yaml.duplicate-key`` or ``expr.unknown-name``."""

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" (提示: {self.hint})"
        return text

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order problems by file, line, column, then text, for stable reports."""
        return (self.file or "", self.line or 0, self.column or 0, self.path, self.message)

    def to_dict(self) -> dict[str, object]:
        """The problem as plain JSON-ready data."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
            "code": self.code,
        }


class FupinRulesError(Exception):
    """The root of every error fupin-rules raises."""


class RuleFileError(FupinRulesError):
    """One or more files of rules are broken; nothing of them was loaded.

    ``problems`` holds every problem found, sorted by file and line.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        if not self.problems:
            msg = "RuleFileError needs at least one problem"
            raise ValueError(msg)
        super().__init__(self._render())

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its problems (what the constructor takes), so that it crosses process
        # boundaries: a worker that fails to load rules reports them to its parent.
        return (type(self), (self.problems,))

    def _render(self) -> str:
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"共 {len(lines)} 个问题:\n" + "\n".join(lines)


class ExpressionError(FupinRulesError):
    """An expression was refused when it was checked. ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class NotFoundError(FupinRulesError, LookupError):
    """An unknown standard, version or calendar, or none in force on the date asked."""

    def __init__(self, message: str, *, suggestions: Sequence[str] = ()) -> None:
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            message += " (是否要找: " + ", ".join(self.suggestions) + "?)"
        super().__init__(message)


class UsageError(FupinRulesError, ValueError):
    """A caller passed an argument that cannot be used (a malformed date, a bad option)."""


class EvaluationError(FupinRulesError):
    """An expression could not be evaluated on a record: a missing or ill-typed value.

    Raised inside evaluation and caught per criterion; it never escapes ``evaluate_many``.
    """

    def __init__(self, message: str, *, fields: Sequence[str] = ()) -> None:
        self.fields = tuple(fields)
        super().__init__(message)


_WHY = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "超出了磁盘配额",
    errno.EFBIG: "文件超出了允许的大小",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "所在的文件系统只读",
    errno.ENOENT: "文件或所在目录不存在",
    errno.ENOTDIR: "路径中有一部分不是目录",
    errno.EISDIR: "这是一个目录, 不是文件",
    errno.EIO: "磁盘或设备读写出错",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENAMETOOLONG: "文件名过长",
}
"""What an operating-system error means, as policy staff read it (others: the system's words)."""


class FileError(FupinRulesError):
    """A file could not be read or written: a full disk, a missing permission, a device error.

    ``path`` is the file (or folder) concerned, ``errno`` the system's error number (None if
    unknown); the :class:`OSError` is the ``__cause__``. The message names the file and the
    reason in Chinese, e.g. ``无法写入 out.jsonl: 磁盘空间已满 (ENOSPC)``.
    """

    def __init__(self, path: str | os.PathLike[str], action: str, error: OSError, note: str = ""):
        self.path = os.fspath(path)
        self.errno = error.errno
        self.action = action
        """``读取`` (reading) or ``写入`` (writing)."""
        code = errno.errorcode.get(error.errno or 0)
        why = _WHY.get(error.errno or 0) or error.strerror or str(error) or type(error).__name__
        text = f"无法{action} {self.path}: {why}" + (f" ({code})" if code else "")
        if action == "写入" and _locked(error):
            text += f"; {_LOCKED_HINT}"
        super().__init__(text + (f"; {note}" if note else ""))


_LOCKED_HINT = "文件可能正在被 Excel 或 WPS 打开, 请关闭后重试"
"""Said of a file that could not be written for want of permission: on Windows that is what a
file open in Excel or WPS gives (a sharing violation, or access denied on replacing it)."""

_SHARING_VIOLATIONS = frozenset({32, 33})
"""Windows' ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION."""


def _locked(error: OSError) -> bool:
    """Whether ``error`` is what a file held open by another program gives."""
    if getattr(error, "winerror", None) in _SHARING_VIOLATIONS:
        return True
    return isinstance(error, PermissionError)
