"""A JSON line parsed and then checked, against read and checked in one pass (msgspec).

    python benchmarks/typed_lines.py -n 20000 --rounds 7

Over the synthetic households (``generate.py``, seed 1) written as lines, three kinds: as
generated; with one unknown key added to each (exports often carry extra columns); with a
code label in place of one code (which the one pass leaves to the reference: after 16 such
lines in a row it is asked no more in that unit of input, taken here as 200 lines). For each line
both ways must give the same record (keys in the same order, values of the same types) and
the same reasons; then the two are timed in one process, in interleaved rounds, CPU time
(``time.process_time``), the garbage collector on as in a run, and the medians are printed
in µs a line.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fupin_rules as fr  # noqa: E402
from benchmarks.generate import households, to_line  # noqa: E402
from fupin_rules.io.jsonl import LineParser, parse_json_record  # noqa: E402

UNIT = 200
"""About the lines of one unit of ``evaluate``'s input (256 KB of these households)."""


def _shape(value: Any) -> Any:
    """``value`` with the type of every leaf and the order of every object's keys."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (type(value), value)


def _lines(n: int, kind: str) -> list[str]:
    out = []
    for record in households(n, seed=1):
        if kind == "extra key":
            record["export_column"] = "导出附加列"
        elif kind == "code label":
            record["household_attribute"] = "一般贫困户"
        out.append(to_line(record))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-n", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args(argv)
    rs = fr.load_library(ROOT / "benchmarks" / "rules").get("gx.household.exit", as_of="2018-11-20")
    schema = rs.record_schema

    def reference(lines: list[str]) -> list[Any]:
        out = []
        for text in lines:
            record, error = parse_json_record(text)
            out.append((None, (error,)) if error is not None else schema.check(record))
        return out

    def one_pass(lines: list[str]) -> list[Any]:
        out = []
        for start in range(0, len(lines), UNIT):  # a parser a unit, as evaluate has
            parse = LineParser(schema.read_line)
            for text in lines[start : start + UNIT]:
                record, error = parse(text)
                out.append((None, (error,)) if error is not None else schema.check(record))
        return out

    ways: dict[str, Callable[[list[str]], list[Any]]] = {
        "parse, then check": reference,
        "one pass": one_pass,
    }
    for kind in ("as generated", "extra key", "code label"):
        lines = _lines(args.n, kind)
        for text, a, b in zip(lines, reference(lines), one_pass(lines), strict=True):
            if _shape(a) != _shape(b):
                print(f"different records: {text}", file=sys.stderr)
                return 1
        read = sum(schema.read_line(text) is not None for text in lines)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, way in ways.items():
                gc.collect()
                start = time.process_time()
                way(lines)
                times[name].append((time.process_time() - start) / len(lines) * 1e6)
        figures = ", ".join(f"{name} {statistics.median(t):.1f}" for name, t in times.items())
        print(f"{kind}: {figures} µs a line; read in one pass: {read} of {len(lines)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
