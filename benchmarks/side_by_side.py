"""``evaluate --jobs 1`` as whole processes, side by side in one run.

    python benchmarks/side_by_side.py --old /tmp/old -n 20000 --rounds 5

Each variant is a fresh process over the same synthetic households (``generate.py``, seed 1)
and the frozen rules (``benchmarks/rules``); the variants run interleaved, round after round,
after one untimed round (which leaves the modules' compiled bytecode cached, as an installed
copy has it, in the checkouts' ``__pycache__`` folders), and each process's CPU time (user +
system, from ``wait4``) is kept; the table gives medians and each against the floor: a
process that parses and writes the same lines with orjson.
``--old`` is a checkout of an older fupin-rules (a git worktree) run the same way, for the
before column. Everything is written into a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
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

from benchmarks.generate import households, to_line  # noqa: E402

FLOOR = """
import sys, orjson
with open(sys.argv[1], "rb") as fh, open(sys.argv[2], "wb") as out:
    for line in fh:
        out.write(orjson.dumps(orjson.loads(line)) + b"\\n")
"""


def _cpu(cmd: Sequence[str], env: dict[str, str], cwd: str) -> float:
    """CPU seconds (user + system) of one process run to its end."""
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        msg = f"{cmd!r} failed: {err}"
        raise RuntimeError(msg)
    if proc.stderr:
        proc.stderr.close()
    return usage.ru_utime + usage.ru_stime


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--old", help="a checkout of an older fupin-rules (the before column)")
    p.add_argument("-n", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fupin-side-") as folder:
        tmp = Path(folder)
        data = tmp / "households.jsonl"
        with data.open("w", encoding="utf-8") as fh:
            for rec in households(args.n, seed=1):
                fh.write(to_line(rec) + "\n")
        evaluate = [
            "-m",
            "fupin_rules.cli",
            "evaluate",
            "-s",
            "gx.household.exit",
            "--rules",
            str(ROOT / "benchmarks" / "rules"),
            "--as-of",
            "2018-11-20",
            "--jobs",
            "1",
            str(data),
            "-o",
        ]
        variants: dict[str, tuple[list[str], str]] = {
            "floor: orjson parse + write": (["-c", FLOOR, str(data)], str(ROOT)),
            "new: evaluate (lean)": (evaluate, str(ROOT)),
            "new: evaluate --findings full": (evaluate, str(ROOT)),
            "new: evaluate --brief": (evaluate, str(ROOT)),
        }
        extra = {
            "new: evaluate --findings full": ["--findings", "full"],
            "new: evaluate --brief": ["--brief"],
        }
        if args.old:
            variants["old: evaluate (default form)"] = (evaluate, args.old)
            variants["old: evaluate --brief"] = (evaluate, args.old)
            extra["old: evaluate --brief"] = ["--brief"]
        times: dict[str, list[float]] = {name: [] for name in variants}
        sizes: dict[str, int] = {}
        # Each process as on an installed copy: compiled modules cached (the untimed first
        # round writes them; an environment that forbids writing them would make every
        # process compile the package from source).
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for round_ in range(args.rounds + 1):
            for i, (name, (cmd, path)) in enumerate(variants.items()):
                out = tmp / f"out-{i}.jsonl"
                env = dict(base, PYTHONPATH=path, PYTHONHASHSEED="0")
                full = [sys.executable, *cmd, str(out), *extra.get(name, [])]
                # In the checkout's folder: ``-m`` puts the working folder first on the path.
                cpu = _cpu(full, env, path)
                if round_:
                    times[name].append(cpu)
                sizes[name] = out.stat().st_size
                out.unlink()
        floor = statistics.median(times["floor: orjson parse + write"])
        print(f"{args.n:,} households, {args.rounds} interleaved rounds, CPU seconds (median)")
        print(f"{'variant':<34} {'CPU s':>8} {'µs/line':>8} {'floor/it':>9} {'B/line':>8}")
        for name, values in times.items():
            cpu = statistics.median(values)
            per = cpu / args.n * 1e6
            print(
                f"{name:<34} {cpu:8.2f} {per:8.1f} {floor / cpu:9.3f} {sizes[name] / args.n:8.0f}"
            )
        if args.old:
            new = statistics.median(times["new: evaluate (lean)"])
            old = statistics.median(times["old: evaluate (default form)"])
            new_b = statistics.median(times["new: evaluate --brief"])
            old_b = statistics.median(times["old: evaluate --brief"])
            print(f"full results: old / new CPU = {old / new:.2f}x; brief: {old_b / new_b:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
