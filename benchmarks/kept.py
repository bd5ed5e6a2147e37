"""What keeping results in memory costs: ``[rs.evaluate(r) for r in records]`` against the
same evaluations whose results are dropped at once, as whole processes, side by side.

    python benchmarks/kept.py --old /tmp/old -n 20000 --rounds 5

A list of results is what a library user builds first; every result kept holds containers
the garbage collector scans again at each full collection, so its cost grows with what a
result holds. Each variant is a fresh process over the same synthetic households
(``generate.py``, seed 1) and the frozen rules (``benchmarks/rules``), run interleaved, round
after round; the CPU time (user + system) of the evaluations alone is measured inside the
process and the medians are printed, with kept / dropped. ``--old`` is a checkout of an older
fupin-rules, run the same way, for the before rows. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CODE = """
import sys, time
sys.path.append({root!r})  # for benchmarks.generate; the checkout comes first
import fupin_rules as fr
from benchmarks.generate import households
rs = fr.load_library({rules!r}).get("gx.household.exit", as_of="2018-11-20")
records = list(households({n}, seed=1))
rs.evaluate(records[0])
start = time.process_time()
if {kept}:
    results = [rs.evaluate(r) for r in records]
else:
    for r in records:
        rs.evaluate(r)
print(time.process_time() - start)
"""


def _cpu(checkout: str, n: int, kept: bool) -> float:
    code = CODE.format(root=str(ROOT), rules=str(ROOT / "benchmarks" / "rules"), n=n, kept=kept)
    env = dict(os.environ, PYTHONPATH=checkout, PYTHONHASHSEED="0")
    # The checkout's package first: ``-c`` puts the working folder (the checkout) first.
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=checkout, capture_output=True, text=True
    )
    if out.returncode != 0:
        msg = f"{checkout}: {out.stderr}"
        raise RuntimeError(msg)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--old", help="a checkout of an older fupin-rules (the before rows)")
    p.add_argument("-n", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    checkouts = {"new": str(ROOT)}
    if args.old:
        checkouts["old"] = args.old
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.rounds):
        for name, path in checkouts.items():
            for kept in (False, True):
                times.setdefault((name, kept), []).append(_cpu(path, args.n, kept))
    print(f"{args.n:,} households, {args.rounds} interleaved rounds, CPU µs a record (median)")
    print(f"{'variant':<10} {'dropped':>9} {'kept':>9} {'kept/dropped':>13}")
    for name in checkouts:
        dropped = statistics.median(times[(name, False)]) / args.n * 1e6
        kept_us = statistics.median(times[(name, True)]) / args.n * 1e6
        print(f"{name:<10} {dropped:9.1f} {kept_us:9.1f} {kept_us / dropped:13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
