"""Reading records and writing results: JSON Lines here; spreadsheets and reports beside it.

Every reader yields :class:`InputRecord` items, one per input record or per row that could not
become one, so that a run can account for every line it read (records read = evaluated +
rejected). Every writer writes atomically: a temporary file renamed into place at the end.
"""

from __future__ import annotations

from .jsonl import InputRecord, atomic_output, parse_json_record, read_jsonl, write_jsonl

__all__ = ["InputRecord", "atomic_output", "parse_json_record", "read_jsonl", "write_jsonl"]
