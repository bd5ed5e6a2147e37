"""The decision log: every decision appended as one JSON line, for auditors.

A line is the result's brief form (:meth:`fupin_rules.Result.to_json` with
``findings=False``): the record's id, place and digest, the rule set ``id@version`` and its
fingerprint, the evaluation date, the parameters fixed by the user, the outcome and each
criterion's outcome, and the library version. The file is opened for appending only and each
line is written by one ``write`` call of the whole line, so concurrent writers and a killed
run leave whole lines (at most the last one missing), never a line cut into another.
``fupin-rules verify`` reads a log as it reads results.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from ..results import Result

__all__ = ["DecisionLog", "read_log"]


class DecisionLog:
    """An open decision log (a context manager): :meth:`write` appends one result's line."""

    __slots__ = ("_fd", "path")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def write(self, result: Result) -> None:
        """Append ``result``'s line (whole, in one write)."""
        self.write_line(result.to_json(findings=False))

    def write_line(self, line: str) -> None:
        """Append one line already in the log's form (a brief result), whole, in one write."""
        if self._fd is None:
            msg = "the decision log is closed"
            raise ValueError(msg)
        data = (line.rstrip("\n") + "\n").encode("utf-8", "surrogatepass")
        written = os.write(self._fd, data)
        if written != len(data):  # a full disk: say so rather than leave half a line
            msg = f"决策日志 {self.path} 只写入了 {written}/{len(data)} 字节 (磁盘已满?)"
            raise OSError(msg)

    def close(self) -> None:
        """Close the log (its lines are already in the file)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_log(path: str | Path) -> Iterator[str]:
    """The lines of a decision log (or of a results file), in order, blank lines skipped."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            if line.strip():
                yield line
