"""Where the time of a JSON line goes, stage by stage, inside one process.

    python benchmarks/stages.py -n 20000 --rounds 5

Over the same synthetic households (``generate.py``, seed 1) and the frozen rules
(``benchmarks/rules``), each stage is timed on its own over all the lines, CPU time
(``time.process_time``), median of the rounds, in µs a line: reading and checking a line
(``RecordSchema.read_line``), evaluating the checked records (findings lazy), the record
digest every result line carries, and evaluating then writing each form of result line
(brief, lean) or building a lean line's parts without writing them. The differences between
rows say what each step adds. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
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
from fupin_rules._canonical import digest  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-n", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    rs = fr.load_library(ROOT / "benchmarks" / "rules").get("gx.household.exit", as_of="2018-11-20")
    schema = rs.record_schema
    lines = [to_line(r) for r in households(args.n, seed=1)]
    read = [schema.read_line(line) for line in lines]
    records = [r for r in read if r is not None]

    def timed(stage: Callable[[], object]) -> float:
        rounds = []
        for _ in range(args.rounds):
            start = time.process_time()
            stage()
            rounds.append(time.process_time() - start)
        return statistics.median(rounds) / len(records) * 1e6

    def each(stage: Callable[[Any], object], items: Sequence[Any]) -> None:
        # Results dropped at once, as evaluate drops them: a list of them would cost the
        # garbage collector more than some stages (benchmarks/kept.py).
        for item in items:
            stage(item)

    def written(form: fr.results.FindingsForm) -> None:
        for record in records:
            rs.evaluate(record).to_bytes(findings=form)

    def parts() -> None:
        for record in records:
            rs.evaluate(record).lean_parts()

    stages: list[tuple[str, Callable[[], object]]] = [
        ("read and check a line (RecordSchema.read_line)", lambda: each(schema.read_line, lines)),
        ("evaluate a checked record (findings lazy)", lambda: each(rs.evaluate, records)),
        ("the record digest", lambda: each(digest, records)),
        ("evaluate + write the brief line", lambda: written(False)),
        ("evaluate + build the lean line's parts", parts),
        ("evaluate + write the lean line", lambda: written("lean")),
    ]
    print(f"{len(records):,} of {len(lines):,} lines read in one pass, {args.rounds} rounds")
    for name, stage in stages:
        print(f"{name:<52} {timed(stage):7.1f} µs a line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
