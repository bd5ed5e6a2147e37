"""``evaluate --jobs 1`` against ``--jobs 2``, whole processes, side by side: wall time, and
where the CPU went (the parent's, the workers').

    python benchmarks/jobs.py -n 100000 --rounds 5

Each round runs ``fupin-rules evaluate`` as a fresh process with one job and with two, the
order swapped every round, over the same synthetic households (``generate.py``, seed 1) and
the frozen rules (``benchmarks/rules``); each process reports its wall time and its own and
its children's CPU time (``resource.getrusage``), and the medians are printed with the
speed-up (one job's wall over two jobs'). The two outputs are compared byte for byte. A third
variant runs two one-job processes at once, each over half the households: what the machine
gives two processes that share nothing, the ceiling of ``--jobs 2`` here. On two cores, two
workers and the parent share the machine: the rest of the way to that ceiling is what the
parent spends reading blocks and appending the workers' files. Everything is written into a
temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import write_jsonl  # noqa: E402

CODE = """
import io, json, resource, sys, time
from fupin_rules.cli import main
start = time.perf_counter()
code = main(sys.argv[1:], err=io.StringIO())
wall = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "parent": me.ru_utime + me.ru_stime,
                  "workers": kids.ru_utime + kids.ru_stime}))
"""


def _start(data: Path, out: Path, jobs: int) -> subprocess.Popen[str]:
    args = [
        "evaluate", "-q", "-s", "gx.household.exit", "--rules", str(ROOT / "benchmarks" / "rules"),
        "--as-of", "2018-11-20", "--jobs", str(jobs), str(data), "-o", str(out),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.Popen(
        [sys.executable, "-c", CODE, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _figures(process: subprocess.Popen[str]) -> dict[str, float]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(stderr)
    figures: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    if figures["code"] not in (0, 1):
        raise RuntimeError(f"evaluate exited with {figures['code']}")
    return figures


def _run(data: Path, out: Path, jobs: int) -> dict[str, float]:
    return _figures(_start(data, out, jobs))


def _halves(halves: Sequence[Path], tmp: Path) -> dict[str, float]:
    """Two one-job processes at once, each over half the households: what two cores give
    work that shares nothing (the ceiling of ``--jobs 2`` on this machine)."""
    started = [_start(h, tmp / f"{h.stem}.out.jsonl", 1) for h in halves]
    both = [_figures(p) for p in started]
    return {
        "wall": max(f["wall"] for f in both),
        "parent": sum(f["parent"] for f in both),
        "workers": 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-n", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fupin-jobs-") as folder:
        tmp = Path(folder)
        data = tmp / "households.jsonl"
        write_jsonl(str(data), args.n, seed=1)
        lines = data.read_text("utf-8").splitlines(keepends=True)
        halves = [tmp / "first-half.jsonl", tmp / "second-half.jsonl"]
        halves[0].write_text("".join(lines[: len(lines) // 2]), "utf-8")
        halves[1].write_text("".join(lines[len(lines) // 2 :]), "utf-8")
        outs = {1: tmp / "one.jsonl", 2: tmp / "two.jsonl"}
        _run(data, outs[1], 1)  # untimed: compiled modules cached, the file in the page cache
        times: dict[int, list[dict[str, float]]] = {1: [], 2: [], 0: []}
        for i in range(args.rounds):
            for jobs in (1, 2, 0) if i % 2 == 0 else (0, 2, 1):
                run = _halves(halves, tmp) if jobs == 0 else _run(data, outs[jobs], jobs)
                times[jobs].append(run)
        same = outs[1].read_bytes() == outs[2].read_bytes()
    print(f"{args.n:,} households, {args.rounds} interleaved rounds (medians)")
    print(f"{'':10} {'wall s':>8} {'parent CPU s':>13} {'workers CPU s':>14}")
    med: dict[int, dict[str, float]] = {}
    for jobs, runs in times.items():
        keys = ("wall", "parent", "workers")
        med[jobs] = {k: statistics.median(r[k] for r in runs) for k in keys}
        m = med[jobs]
        name = "two halves" if jobs == 0 else f"--jobs {jobs}"
        print(f"{name:<10} {m['wall']:8.2f} {m['parent']:13.2f} {m['workers']:14.2f}")
    speedup = med[1]["wall"] / med[2]["wall"]
    ceiling = med[1]["wall"] / med[0]["wall"]
    bytes_ = "identical" if same else "DIFFER"
    print(f"--jobs 2: {speedup:.2f}x one job's wall time; bytes {bytes_}")
    print(
        f"two one-job processes over halves at once: {ceiling:.2f}x (the machine's ceiling);"
        f" --jobs 2 reaches {speedup / ceiling:.0%} of it"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
