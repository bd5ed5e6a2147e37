"""Parquet results by columns held in a list against streamed (issue 19).

    python benchmarks/streamed.py

``arrow.evaluate_arrow`` (a list of the batch's results) against ``arrow.iter_arrow`` (one
at a time) over one 10,000-row batch of synthetic households (``generate.py``, seed 1) and the
frozen rules, each result written with ``io.jsonl.result_bytes`` as ``evaluate --brief`` does;
the two interleaved, CPU time, medians of five. Nothing is written to disk.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fupin_rules as fr  # noqa: E402
from benchmarks.generate import households, to_arrow  # noqa: E402
from fupin_rules import arrow  # noqa: E402
from fupin_rules.io.jsonl import result_bytes  # noqa: E402


def main() -> int:
    rules = fr.load_library(ROOT / "benchmarks" / "rules")
    rs = rules.get("gx.household.exit", as_of="2018-11-20")
    batch = to_arrow(list(households(10_000, seed=1))).combine_chunks().to_batches()[0]

    def listed() -> bytes:
        results = arrow.evaluate_arrow(rs, batch, label="t")
        return b"".join(result_bytes(r, findings=False) for r in results)

    def streamed() -> bytes:
        results = arrow.iter_arrow(rs, batch, label="t")
        return b"".join(result_bytes(r, findings=False) for r in results)

    assert listed() == streamed()
    variants: dict[str, Callable[[], bytes]] = {"listed": listed, "streamed": streamed}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(5):
        for name, run in variants.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    for name, values in times.items():
        print(f"{name:<9} {statistics.median(values):.3f} s CPU per 10,000 rows (median of 5)")
    ratio = statistics.median(times["listed"]) / statistics.median(times["streamed"])
    print(f"listed / streamed: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
