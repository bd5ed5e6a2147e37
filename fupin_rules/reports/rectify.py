"""Returned problem lists (整改): what the villages wrote in the 整改 columns, matched to the
next run by problem id.

A village receives its problem list, fills in 整改情况, 整改人 and 整改日期, and sends it back.
:func:`read_returned` reads such lists (XLSX with any of the sheets this library writes, or
CSV), keyed by 问题编号; :func:`rectify` compares them with a new run and gives the new list
with a :class:`Rectification`: each problem of the returned lists that the new run no longer
finds is **fixed**, each it still finds is **open** (with what the village wrote), and each
new problem in a village that returned its list is **new**. Problems of villages that
returned nothing are counted apart: no list came back to compare them with.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from .._frozen import freeze
from ..errors import UsageError
from ..io.spreadsheets import RawTable, TableError, read_csv_table
from ..io.workbooks import read_xlsx_tables
from .problems import COLUMNS, RECTIFICATION, ProblemLine, ProblemList

__all__ = [
    "COMPARISON_TITLE",
    "STATUS_LABELS",
    "Rectification",
    "RectificationEntry",
    "Returned",
    "ReturnedLine",
    "Status",
    "read_returned",
    "rectify",
]

Status = Literal["fixed", "open", "new"]
STATUS_LABELS: Mapping[str, str] = freeze({"fixed": "已整改", "open": "仍存在", "new": "新问题"})
"""How staff read each status."""

_ID = re.compile(r"P[0-9A-F]{12}")
_TITLES = {title: field for field, title in (*COLUMNS, *RECTIFICATION)}
_ID_TITLE = dict(COLUMNS)["problem_id"]
COMPARISON_TITLE = "对照结果"
"""The first column of the 整改对照 sheet (:mod:`.writers`), which a list read back skips."""


@attrs.frozen
class ReturnedLine:
    """One problem of a returned list, as the village sent it back."""

    problem_id: str
    village: str
    record_id: str | None
    head_name: str
    label: str
    message: str
    rectified: str
    """整改情况 as the village wrote it (empty if it wrote nothing)."""
    rectifier: str
    rectified_on: str
    source: str
    """Where it is: ``file:sheet:row``."""

    @property
    def claimed(self) -> bool:
        """Whether the village wrote anything in the 整改 columns."""
        return bool(self.rectified or self.rectifier or self.rectified_on)


@attrs.frozen
class Returned:
    """The returned lists, one line per problem id."""

    lines: Mapping[str, ReturnedLine] = attrs.field(converter=freeze)
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    """Rows without a usable problem id, and ids whose copies disagree."""

    @property
    def villages(self) -> frozenset[str]:
        """The village codes the returned lists cover."""
        return frozenset(line.village for line in self.lines.values())


@attrs.frozen
class RectificationEntry:
    """One problem compared: its status, the new run's line and the returned line."""

    status: Status
    problem_id: str
    line: ProblemLine | None
    """The problem in the new run (None for a fixed one)."""
    returned: ReturnedLine | None
    """The problem as returned (None for a new one)."""

    @property
    def status_label(self) -> str:
        """已整改, 仍存在 or 新问题."""
        return STATUS_LABELS[self.status]


@attrs.frozen
class Rectification:
    """What became of the problems of the returned lists on the new run."""

    entries: tuple[RectificationEntry, ...]
    files: tuple[str, ...]
    outside: int
    """Problems of the new run in villages no returned list covers."""
    warnings: tuple[str, ...] = ()
    _index: Mapping[str, RectificationEntry] = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(
            lambda self: freeze({e.problem_id: e for e in self.entries}), takes_self=True
        ),
    )

    def of(self, problem_id: str) -> RectificationEntry | None:
        """The entry of a problem id of the new run or of the returned lists."""
        return self._index.get(problem_id)

    def counts(self) -> dict[str, int]:
        """How many problems are fixed, open and new."""
        found: Counter[str] = Counter(e.status for e in self.entries)
        return {status: found[status] for status in STATUS_LABELS}

    def claimed_open(self) -> int:
        """Open problems the village said it had rectified."""
        return sum(
            1 for e in self.entries if e.status == "open" and e.returned and e.returned.claimed
        )

    def summary(self) -> str:
        """One Chinese line: how many fixed, open (of which claimed) and new."""
        n = self.counts()
        text = (
            f"整改对照: 已整改 {n['fixed']} 条, 仍存在 {n['open']} 条"
            f" (其中已填写整改情况 {self.claimed_open()} 条), 新问题 {n['new']} 条"
        )
        if self.outside:
            text += f"; 另有 {self.outside} 条问题所在的村未返回清单"
        return text


# --------------------------------------------------------------------------- reading


def _has_id_column(values: Sequence[Any]) -> bool:
    return any(isinstance(v, str) and v.strip() == _ID_TITLE for v in values)


def _tables(path: Path) -> list[RawTable]:
    name = str(path)
    if not path.exists():
        msg = f"{name}: 文件不存在"
        raise UsageError(msg)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return read_xlsx_tables(path, name=name, is_header=_has_id_column)
        if suffix == ".csv":
            return [read_csv_table(path, name=name, is_header=_has_id_column)]
    except TableError as exc:
        msg = f"{exc} (返回的问题清单须有“{_ID_TITLE}”一列)"
        raise UsageError(msg) from exc
    msg = f"{name}: 返回的问题清单须为 .xlsx 或 .csv"
    raise UsageError(msg)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value).strip()


def read_returned(paths: Iterable[str | Path]) -> Returned:
    """The problems of the returned lists, by problem id. Every sheet with a 问题编号 column is
    read (the 全部问题 sheet and the townships' sheets hold the same problems: a problem met
    twice keeps what the village wrote, wherever it wrote it). Raises UsageError naming the
    file if one cannot be read or has no 问题编号 column."""
    lines: dict[str, ReturnedLine] = {}
    warnings: list[str] = []
    files: list[str] = []
    for given in paths:
        path = Path(given)
        files.append(str(path))
        for table in _tables(path):
            if COMPARISON_TITLE in table.headers:
                continue  # the comparison of the list before: not problems to match
            fields = [_TITLES.get(h.strip()) for h in table.headers]
            for row in table.rows:
                if row.error is not None:
                    warnings.append(f"{row.source}: 该行无法读取, 未对照 ({row.error})")
                    continue
                cells = {
                    f: _text(v) for f, v in zip(fields, row.values, strict=False) if f is not None
                }
                pid = cells.get("problem_id", "").upper()
                if not _ID.fullmatch(pid):
                    shown = cells.get("problem_id", "")
                    warnings.append(
                        f"{row.source}: 问题编号 {shown!r} 不是本工具给出的编号, 该行未对照"
                        if shown
                        else f"{row.source}: 没有问题编号, 该行未对照"
                    )
                    continue
                line = ReturnedLine(
                    problem_id=pid,
                    village=cells.get("village", ""),
                    record_id=cells.get("record_id") or None,
                    head_name=cells.get("head_name", ""),
                    label=cells.get("label", ""),
                    message=cells.get("message", ""),
                    rectified=cells.get("rectified", ""),
                    rectifier=cells.get("rectifier", ""),
                    rectified_on=cells.get("rectified_on", ""),
                    source=row.source,
                )
                before = lines.get(pid)
                if before is None or (line.claimed and not before.claimed):
                    lines[pid] = line
                elif line.claimed and _filled(line) != _filled(before):
                    warnings.append(
                        f"{line.source}: 问题 {pid} 的整改情况与 {before.source} 不同,"
                        f" 采用 {before.source}"
                    )
    return Returned(lines=lines, files=tuple(files), warnings=tuple(warnings))


def _filled(line: ReturnedLine) -> tuple[str, str, str]:
    return line.rectified, line.rectifier, line.rectified_on


# --------------------------------------------------------------------------- comparing


def rectify(pl: ProblemList, returned: Returned) -> Rectification:
    """What became of the returned problems on the new run ``pl``: fixed, open or new, sorted
    by village (the division's order), household, then open before new before fixed."""
    now = {ln.problem_id: ln for ln in pl.lines}
    covered = returned.villages
    entries: list[RectificationEntry] = []
    outside = 0
    for pid, ln in now.items():
        back = returned.lines.get(pid)
        if back is not None:
            entries.append(RectificationEntry("open", pid, ln, back))
        elif ln.village in covered:
            entries.append(RectificationEntry("new", pid, ln, None))
        else:
            outside += 1
    entries.extend(
        RectificationEntry("fixed", pid, None, back)
        for pid, back in returned.lines.items()
        if pid not in now
    )
    entries.sort(key=_entry_key)
    return Rectification(
        entries=tuple(entries), files=returned.files, outside=outside, warnings=returned.warnings
    )


_ORDER = {"open": 0, "new": 1, "fixed": 2}


def _entry_key(e: RectificationEntry) -> tuple[str, str, int, str]:
    if e.line is not None:
        village, record = e.line.village, e.line.record_id or ""
    else:
        assert e.returned is not None
        village, record = e.returned.village, e.returned.record_id or ""
    return (village, record, _ORDER[e.status], e.problem_id)
