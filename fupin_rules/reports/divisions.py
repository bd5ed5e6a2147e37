"""Names of administrative divisions (行政区划名称) for problem lists: code → name.

Names are data, not code. They come from a code list with the id :data:`DIVISIONS` among the
rule files (a ``kind: codelist`` file the user adds to their rules folder), and from the
files given with ``check --divisions``: such a code list as YAML, or a table staff keep in
Excel (``.xlsx`` or ``.csv``) with a 代码 column and a 名称 column. Later files add to and
override earlier ones. A 6-digit code names a county, 9 digits a township, 12 a village.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..io.spreadsheets import RawTable, TableError, read_csv_table
from ..io.workbooks import read_xlsx_tables
from ..library import load_library

__all__ = ["DIVISIONS", "division_names", "read_division_names"]

DIVISIONS = "divisions"
"""The id of the division-name code list among the rule files."""

_CODE_TITLES = ("代码", "区划代码", "行政区划代码", "编码", "code")
_NAME_TITLES = ("名称", "区划名称", "行政区划名称", "名字", "name")


def _column(headers: Sequence[str], titles: Sequence[str]) -> int | None:
    cleaned = [h.strip().lower() for h in headers]
    for title in titles:
        if title in cleaned:
            return cleaned.index(title)
    return None


def _is_header(values: Sequence[Any]) -> bool:
    texts = [v for v in values if isinstance(v, str)]
    return _column(texts, _CODE_TITLES) is not None and _column(texts, _NAME_TITLES) is not None


def _digits(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "" if value is None else str(value).strip()


def _from_table(table: RawTable) -> dict[str, str]:
    code_at = _column(table.headers, _CODE_TITLES)
    name_at = _column(table.headers, _NAME_TITLES)
    assert code_at is not None
    assert name_at is not None
    found: dict[str, str] = {}
    for row in table.rows:
        if row.error is not None:
            msg = f"{row.source}: 该行无法读取: {row.error}"
            raise UsageError(msg)
        values = list(row.values) + [None] * (max(code_at, name_at) + 1 - len(row.values))
        code, name = _digits(values[code_at]), _digits(values[name_at])
        if code.isdigit() and len(code) in {6, 9, 12} and name:
            found[code] = name
        else:
            msg = f"{row.source}: 区划代码须为 6、9 或 12 位数字且名称不空, 得到 {code!r} {name!r}"
            raise UsageError(msg)
    return found


def read_division_names(path: str | Path) -> dict[str, str]:
    """Code → name from one file: a code list (``.yaml``), or a table (``.xlsx``, ``.csv``)
    with 代码 and 名称 columns. Raises UsageError naming the file (and row) if it cannot be
    read, or RuleFileError for a broken code list."""
    p = Path(path)
    name = str(p)
    if not p.exists():
        msg = f"{name}: 文件不存在"
        raise UsageError(msg)
    suffix = p.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        # Read as any rule file is: every problem placed at file:line.
        lists = load_library(p).codelists
        ids = [cid for cid, cl in lists.items() if Path(cl.file).resolve() == p.resolve()]
        if len(ids) != 1:
            msg = f"{name}: 须是一个代码表文件 (kind: codelist)"
            raise UsageError(msg)
        return dict(lists[ids[0]].codes)
    try:
        if suffix == ".xlsx":
            tables = read_xlsx_tables(p, name=name, is_header=_is_header)
        elif suffix == ".csv":
            tables = [read_csv_table(p, name=name, is_header=_is_header)]
        else:
            msg = f"{name}: 区划名称须为 .yaml、.xlsx 或 .csv 文件"
            raise UsageError(msg)
    except TableError as exc:
        msg = f"{exc} (区划名称表须有“代码”和“名称”两列)"
        raise UsageError(msg) from exc
    found: dict[str, str] = {}
    for table in tables:
        found.update(_from_table(table))
    return found


def division_names(
    codelists: Mapping[str, Any], files: Iterable[str | Path] = ()
) -> dict[str, str]:
    """The names of the rule files' :data:`DIVISIONS` code list, then of each file in turn."""
    names: dict[str, str] = {}
    bundled = codelists.get(DIVISIONS)
    if bundled is not None:
        names.update(bundled.codes)
    for path in files:
        names.update(read_division_names(path))
    return names
