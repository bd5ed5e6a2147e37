"""The soak run: a million mixed valid, invalid and hostile lines through the command line with
several jobs, outside the test suite. It reports throughput, peak memory, and checks that the
totals are conserved exactly: every non-blank line got one result, in order, and the summary's
parts add up to the lines written.

    python benchmarks/soak.py                  # 1,000,000 lines, --jobs 2
    python benchmarks/soak.py -n 50000 -j 4    # a shorter run

Lines are made deterministically (seed 2018) from the bundled sample households: most are
valid households with their own ids; the rest are the hostile kinds of docs/security.md, each
in a known number: not JSON, not UTF-8, duplicate keys, NaN, numbers past the record limits or
past what a decimal holds, nesting past the limit, lone surrogates, a wrong type in a field, a
JSON value that is not an object, and blank lines. Everything is written in a temporary folder
that is removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "data" / "households.jsonl"

# (kind, share of the lines, whether its line must come out invalid)
KINDS: tuple[tuple[str, float, bool], ...] = (
    ("valid", 0.80, False),
    ("wrong_type", 0.03, True),
    ("not_json", 0.02, True),
    ("not_utf8", 0.02, True),
    ("duplicate_key", 0.02, True),
    ("nan", 0.01, True),
    ("huge_number", 0.02, True),
    ("past_decimal", 0.01, True),
    ("deep", 0.01, True),
    ("surrogate", 0.02, False),
    ("not_object", 0.02, True),
    ("blank", 0.02, False),
)


def _hostile(kind: str, base: dict[str, object], rng: random.Random) -> bytes:
    text = json.dumps(base, ensure_ascii=False)
    if kind == "valid":
        return text.encode()
    if kind == "wrong_type":
        return json.dumps({**base, "household_size": "三"}, ensure_ascii=False).encode()
    if kind == "not_json":
        return text[: rng.randrange(1, len(text) - 1)].encode()
    if kind == "not_utf8":
        data = text.encode()
        cut = rng.randrange(1, len(data) - 1)
        return data[:cut] + b"\xff\xfe" + data[cut:]
    if kind == "duplicate_key":
        return b'{"household_id": "x", ' + text[1:].encode()
    if kind == "nan":
        return text[:-1].encode() + b', "wage_income": NaN}'
    if kind == "huge_number":
        return text[:-1].encode() + b', "wage_income": 1e30}'
    if kind == "past_decimal":
        return text[:-1].encode() + b', "wage_income": 1e999999999999999999999999}'
    if kind == "deep":
        return text[:-1].encode() + b', "x": ' + b"[" * 100 + b"]" * 100 + b"}"
    if kind == "surrogate":
        return text[:-1].encode() + b', "head_name": "\\ud800"}'
    if kind == "not_object":
        return b"[1, 2, 3]"
    return b"   "  # blank


def make_input(path: Path, n: int) -> Counter[str]:
    """Write ``n`` lines to ``path``; return how many of each kind."""
    rng = random.Random(2018)
    bases = [json.loads(line) for line in SAMPLE.read_text("utf-8").splitlines() if line]
    names = [k for k, _, _ in KINDS]
    weights = [w for _, w, _ in KINDS]
    counts: Counter[str] = Counter()
    with path.open("wb") as fh:
        for i in range(n):
            kind = rng.choices(names, weights)[0]
            base = dict(bases[i % len(bases)])
            base["household_id"] = f"S{i:09d}"
            fh.write(_hostile(kind, base, rng) + b"\n")
            counts[kind] += 1
    return counts


_SUMMARY = re.compile(
    r"读入 (\d+) 行: 评估 (\d+) 条记录, 拒收 (\d+) 行(?: \([^)]*\))?(?:, 空行 (\d+) 行)?"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="lines (default 1,000,000)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fupin-rules-soak-"))
    try:
        return _soak(folder, args.n, args.jobs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _soak(folder: Path, n: int, jobs: int) -> int:
    source, target = folder / "in.jsonl", folder / "out.jsonl"
    counts = make_input(source, n)
    command = [
        sys.executable, "-c", "import sys; from fupin_rules.cli import main; sys.exit(main())",
        "evaluate", "-s", "gx.household.exit",
        "--as-of", "2018-11-20", "--brief", "--jobs", str(jobs), str(source), "-o", str(target),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    problems: list[str] = []
    if done.returncode != 0:
        problems.append(f"exit code {done.returncode}: {done.stderr.strip()[-500:]}")
    blank = counts["blank"]
    answered = n - blank
    outcomes: Counter[str] = Counter()
    lines = 0
    previous = 0
    if not target.exists():
        print("PROBLEM: no output written:", done.stderr.strip()[-500:])
        return 1
    with target.open("rb") as fh:
        for raw in fh:
            lines += 1
            result = json.loads(raw)
            outcomes[result["outcome"]] += 1
            number = int(result["source"].rsplit(":", 1)[1])
            if number <= previous:
                problems.append(f"out of order at output line {lines}")
                break
            previous = number
    if lines != answered:
        problems.append(f"{lines} results for {answered} non-blank lines")
    must_fail = sum(counts[k] for k, _, bad in KINDS if bad)
    if outcomes["invalid"] < must_fail:
        problems.append(f"{outcomes['invalid']} invalid, fewer than the {must_fail} hostile lines")
    found = _SUMMARY.search(done.stderr)
    if found is None:
        problems.append("no summary on standard error")
    else:
        read, evaluated, rejected, blanks = (int(x or 0) for x in found.groups())
        if read != n or evaluated + rejected != lines or blanks != blank:
            problems.append(f"summary {found.group(0)!r} does not add up to {n} lines")
    peak_mb = after.ru_maxrss / 1024  # kilobytes on Linux: the largest child, worker or main
    print(f"lines {n:,} ({', '.join(f'{k} {counts[k]:,}' for k, _, _ in KINDS)})")
    print(f"results {lines:,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    print(
        f"--jobs {jobs}: wall {wall:.1f} s, CPU {cpu:.1f} s, {n / wall:,.0f} lines/s, "
        f"peak memory of one process {peak_mb:,.0f} MB, "
        f"output {target.stat().st_size / 1e6:,.0f} MB"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for problem in problems:
        print("PROBLEM:", problem)
    print("conservation: " + ("exact" if not problems else "BROKEN"))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
