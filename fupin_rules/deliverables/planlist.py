"""The planned-exit list (计划脱贫名单, 计划摘帽村名单) an office starts 一微调 from: household or
village ids, read from a table with a 户编号 (村代码) column (.xlsx or .csv), JSON Lines
(objects with ``household_id`` (``village_id``), or plain strings), or a text file with one id
a line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..io.headermaps import normalise_header
from ..io.spreadsheets import read_csv_table
from ..io.workbooks import read_xlsx_tables

__all__ = ["ID_HEADERS", "VILLAGE_ID_HEADERS", "read_plan_ids"]

ID_HEADERS = ("户编号", "household_id", "AAC001")
"""Headers of the id column of a planned-exit table of households."""
VILLAGE_ID_HEADERS = ("村代码", "行政村编号", "行政区划代码", "village_id")
"""Headers of the id column of a planned-exit table of villages (this project's; the plan does
not give 附件1-1's columns)."""


def _cell(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "" if value is None else str(value).strip()


def read_plan_ids(path: str | Path, subject: str = "household") -> list[str]:
    """The household (``subject`` ``village``: village) ids of a planned-exit list, in file
    order (blank entries skipped)."""
    headers = VILLAGE_ID_HEADERS if subject == "village" else ID_HEADERS
    key = "village_id" if subject == "village" else "household_id"

    def _is_header(values: Sequence[Any]) -> bool:
        return any(normalise_header(v) in headers for v in values)

    p = Path(path)
    if not p.is_file():
        msg = f"计划脱贫名单不存在: {path}"
        raise UsageError(msg)
    suffix = p.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".csv"}:
        tables = (
            read_xlsx_tables(p, is_header=_is_header)
            if suffix != ".csv"
            else [read_csv_table(p, is_header=_is_header)]
        )
        ids: list[str] = []
        for table in tables:
            at = next(i for i, h in enumerate(table.headers) if normalise_header(h) in headers)
            for row in table.rows:
                if row.error is not None:
                    msg = f"{row.source}: 该行无法读取: {row.error}"
                    raise UsageError(msg)
                value = _cell(row.values[at] if at < len(row.values) else None)
                if value:
                    ids.append(value)
        return ids
    out: list[str] = []
    for n, line in enumerate(p.read_text(encoding="utf-8-sig").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        if suffix == ".jsonl":
            try:
                value = json.loads(text)
            except ValueError as exc:
                msg = f"{path}:{n}: 不是 JSON: {exc}"
                raise UsageError(msg) from exc
            found: Any = value.get(key) if isinstance(value, dict) else value
            if isinstance(found, bool) or not isinstance(found, str | int):
                msg = f"{path}:{n}: 没有{headers[0]} ({key})"
                raise UsageError(msg)
            out.append(str(found))
        else:
            out.append(text)
    return out
