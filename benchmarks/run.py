"""All of issue 6's benchmarks in one run: a table of figures and ratios, and JSON.

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # seconds; what the test suite's smoke test runs

Peers come from the optional extra ``bench`` (``pip install -e .[bench]``); a peer that is not
installed is listed as such. Figures are medians over rounds, households per second on one core
unless marked. The machine's core count and load average are recorded with the figures: on a
busy machine every figure, and the --jobs speed-up most of all, comes out lower.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import households, to_line  # noqa: E402
from benchmarks.handwritten import check_agreement, exit_2018  # noqa: E402

STANDARD = "gx.household.exit"
AS_OF = "2018-11-20"
RULES = ROOT / "benchmarks" / "rules"
"""The workload: gx.household.exit@2018 as it stood when the benchmarks were written (issue 6),
frozen here so that figures stay comparable across releases and ``handwritten.py`` and the peers
compute the same nine criteria as the engine. The bundled standards change with policy."""


def _median_rate(fn: Callable[[], int], rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def _sub(code: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return out.stdout.strip()


def _wall(cmd: Sequence[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_RSS_CODE = """
import resource, sys
sys.path.insert(0, '.')
import fupin_rules as fr
from benchmarks.generate import households
rs = fr.load_library('benchmarks/rules').get('gx.household.exit', as_of='2018-11-20')
n = 0
for result in rs.evaluate_many(households(int(sys.argv[1]), seed=1)):
    result.to_dict()
    n += 1
# VmHWM (peak RSS of this process image): ru_maxrss survives exec on Linux and would report
# the parent's peak.
try:
    with open('/proc/self/status', encoding='ascii') as fh:
        print(next(int(l.split()[1]) for l in fh if l.startswith('VmHWM:')))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(quick: bool, rss_sizes: tuple[int, int], output: Path | None) -> dict[str, Any]:
    """Every benchmark, in a temporary folder that is removed however the run ends (a full
    run writes about 1.4 GB of inputs and outputs there)."""
    with tempfile.TemporaryDirectory(prefix="fupin-bench-") as folder:
        return _run(quick, rss_sizes, output, Path(folder))


def _run(quick: bool, rss_sizes: tuple[int, int], output: Path | None, tmp: Path) -> dict[str, Any]:
    import fupin_rules as fr
    from fupin_rules.cli import main as cli_main
    from fupin_rules.io import parse_json_record

    n = 1_000 if quick else 100_000
    peer_n = 300 if quick else 20_000
    slow_n = 100 if quick else 3_000
    rounds = 1 if quick else 3
    figures: dict[str, Any] = {}
    rows: list[tuple[str, str, str]] = []

    def row(name: str, value: float | None, unit: str, ratio: str = "") -> None:
        shown = "not installed" if value is None else f"{value:,.0f} {unit}"
        rows.append((name, shown, ratio))

    lib = fr.load_library(RULES)
    rs = lib.get(STANDARD, as_of=AS_OF)
    data = tmp / "households.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for rec in households(n, seed=1):
            fh.write(to_line(rec) + "\n")
    lines = data.read_text(encoding="utf-8").splitlines()
    records = [parse_json_record(line)[0] for line in lines]
    figures["households"] = n
    figures["agreement_handwritten_vs_engine_disagreements"] = check_agreement(
        rs, records[: min(n, 2_000)]
    )

    # ---- rows: one household at a time, one core
    hand = _median_rate(lambda: sum(1 for r in records if exit_2018(r)), rounds)
    engine = _median_rate(lambda: sum(1 for r in records if rs.evaluate(r)), rounds)
    engine_dict = _median_rate(lambda: sum(1 for r in records if rs.evaluate(r).to_dict()), rounds)
    figures["row"] = {
        "handwritten": hand,
        "engine_full_findings": engine,
        "engine_full_findings_to_dict": engine_dict,
        "engine_time_vs_handwritten": hand / engine,
    }
    row("hand-written Python function", hand, "/s", "1.0")
    row("fupin-rules, full findings (validated)", engine, "/s", f"{hand / engine:.1f}x")
    row("fupin-rules, full findings + to_dict", engine_dict, "/s", f"{hand / engine_dict:.1f}x")

    # the reference path on simpleeval (the same checked trees, interpreted)
    from fupin_rules.evaluation import evaluate_reference
    from fupin_rules.language import Expression

    sub = records[:slow_n]
    original = Expression.evaluate
    Expression.evaluate = Expression.interpret  # type: ignore[method-assign]
    try:
        ref = _median_rate(lambda: sum(1 for r in sub if evaluate_reference(rs, r)), rounds)
    finally:
        Expression.evaluate = original  # type: ignore[method-assign]
    figures["row"]["engine_reference_on_simpleeval"] = ref
    row("fupin-rules reference path (simpleeval)", ref, "/s", f"{hand / ref:.1f}x")

    from benchmarks.peers import PEERS, context

    def _complete(r: dict[str, Any]) -> bool:
        try:
            context(r)
        except (KeyError, TypeError, ZeroDivisionError):
            return False
        return "unknown" not in exit_2018(r)

    complete = [r for r in records if _complete(r)][:peer_n]
    hand_complete = _median_rate(lambda: sum(1 for r in complete if exit_2018(r)), rounds)
    figures["peers"] = {"households": len(complete), "handwritten": hand_complete}
    for name, make in PEERS.items():
        try:
            peer = make()
        except ImportError:
            figures["peers"][name] = None
            row(name, None, "")
            continue
        use = complete[:slow_n] if "re-parsing" in name or "rule-engine" in name else complete
        agree = sum(peer(r) == exit_2018(r) for r in use[:200])
        rate = _median_rate(lambda peer=peer, use=use: sum(1 for r in use if peer(r)), rounds)
        figures["peers"][name] = {"rate": rate, "agree_of_200": agree}
        row(name, rate, "/s", f"{hand_complete / rate:.1f}x")

    # ---- columns
    try:
        import numpy as np

        from fupin_rules import columnar
    except ImportError:
        figures["columnar"] = None
        row("columnar (numpy, prebuilt columns)", None, "")
    else:
        valid = []
        for r in records:
            out, reasons = rs.record_schema.check(r)
            if not reasons:
                valid.append(out)
        table = columnar.build_columns(rs, valid)
        k = max(1, (10_000 if quick else 1_000_000) // max(1, len(valid)))

        def tile(c: Any) -> Any:
            present = None if c.present is None else np.tile(c.present, k)
            return columnar.Column(c.kind, np.tile(c.values, k), present, c.categories)

        big = columnar.ColumnTable(
            table.n * k,
            {name: tile(c) for name, c in table.columns.items()},
            {
                name: columnar.ListColumn(
                    np.tile(lst.lengths, k),
                    lst.width,
                    {s: tile(c) for s, c in lst.fields.items()},
                )
                for name, lst in table.lists.items()
            },
        )
        # The first call in a process pays for fresh memory (page faults on the temporaries);
        # it is reported apart, and the rates are those of the calls after it. Blocks of rows
        # run on one thread per CPU by default; one thread is measured too.
        from fupin_rules.parallel import available_cpus

        threads = available_cpus()
        first = _median_rate(lambda: columnar.evaluate_columns(rs, big).outcomes.size, 1)
        col = _median_rate(lambda: columnar.evaluate_columns(rs, big).outcomes.size, rounds)
        col1 = _median_rate(
            lambda: columnar.evaluate_columns(rs, big, threads=1).outcomes.size, rounds
        )
        res = columnar.evaluate_columns(rs, big)
        figures["columnar"] = {
            "households": big.n,
            "threads": threads,
            "rate": col,
            "rate_one_thread": col1,
            "first_call_rate": first,
            "uncertain_share": float(res.uncertain.mean()),
        }
        row(
            f"columnar, numpy, {big.n:,} prebuilt, {threads} threads",
            col,
            "/s",
            f"{hand / col:.3f}x",
        )
        row("columnar, one thread", col1, "/s", f"{hand / col1:.3f}x")
        row("columnar, first call in the process", first, "/s")

        # OpenFisca, the column-wise peer, on complete households (benchmarks/openfisca_peer.py)
        try:
            from benchmarks.openfisca_peer import measure as openfisca

            of = openfisca(1_000 if quick else 100_000, rounds, check=1_000 if quick else 10_000)
        except ImportError:
            figures["openfisca"] = None
            row("OpenFisca, prebuilt columns", None, "")
        else:
            figures["openfisca"] = of
            row(
                f"OpenFisca, {of['households']:,} prebuilt (agree {of['agree']}/{of['agree_of']})",
                of["rate"],
                "/s",
                f"columnar {col / of['rate']:.1f}x faster ({col1 / of['rate']:.1f}x one thread)",
            )

    # ---- JSON Lines end to end
    def parse_write(loads: Callable[[str], Any], dumps: Callable[[Any], Any]) -> int:
        parts = [dumps(loads(line)) for line in lines]
        return len(parts)

    json_rate = _median_rate(
        lambda: parse_write(json.loads, lambda v: json.dumps(v, ensure_ascii=False)), rounds
    )
    try:
        import orjson

        orjson_rate: float | None = _median_rate(
            lambda: parse_write(orjson.loads, orjson.dumps), rounds
        )
    except ImportError:
        orjson_rate = None
    fastest = max(json_rate, orjson_rate or 0)
    out1 = tmp / "one.jsonl"
    args = ["evaluate", "-s", STANDARD, "--rules", str(RULES), "--as-of", AS_OF, str(data)]

    def cli(out: Path, *extra: str) -> int:
        cli_main([*args, "-o", str(out), *extra], err=io.StringIO())
        return n

    # One process (a large input would otherwise get one per CPU by default).
    e2e = _median_rate(lambda: cli(out1, "--jobs", "1"), rounds)
    brief = _median_rate(lambda: cli(tmp / "brief.jsonl", "--brief", "--jobs", "1"), rounds)
    figures["jsonl"] = {
        "parse_write_json": json_rate,
        "parse_write_orjson": orjson_rate,
        "evaluate_end_to_end": e2e,
        "end_to_end_vs_fastest_parse_write": e2e / fastest,
        "evaluate_brief_end_to_end": brief,
        "brief_vs_fastest_parse_write": brief / fastest,
        "bytes_per_line_full": out1.stat().st_size / n,
        "bytes_per_line_brief": (tmp / "brief.jsonl").stat().st_size / n,
    }
    row("JSON Lines parse + write, json", json_rate, "lines/s")
    row("JSON Lines parse + write, orjson", orjson_rate, "lines/s")
    row("fupin-rules evaluate, end to end", e2e, "lines/s", f"{e2e / fastest:.3f} of fastest")
    row("fupin-rules evaluate --brief", brief, "lines/s", f"{brief / fastest:.3f} of fastest")

    out2 = tmp / "two.jsonl"
    jobs = os.cpu_count() or 1
    par = _median_rate(lambda: cli(out2, "--jobs", str(max(2, jobs))), rounds)
    same = out1.read_bytes() == out2.read_bytes()
    figures["jobs"] = {
        "jobs": max(2, jobs),
        "rate": par,
        "speedup": par / e2e,
        "identical_bytes": same,
    }
    row(
        f"evaluate --jobs {max(2, jobs)}",
        par,
        "lines/s",
        f"{par / e2e:.2f}x one job, bytes {'identical' if same else 'DIFFER'}",
    )

    # ---- Parquet, criterion outcomes (--brief): whole columns vs rows, the same bytes
    try:
        import numpy  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        figures["parquet"] = None
        row("evaluate --brief on Parquet", None, "")
    else:
        from benchmarks.generate import to_arrow
        from fupin_rules.io.inputs import lines_of_unit, units
        from fupin_rules.parallel import evaluate_lines, evaluate_unit

        pq_path = tmp / "households.parquet"
        pq.write_table(to_arrow(records), pq_path)
        outputs: dict[str, str] = {}

        def parquet(columns: bool) -> int:
            parts = [
                evaluate_unit(rs, u, findings=False)[0]
                if columns
                else evaluate_lines(rs, lines_of_unit(u), findings=False)[0]
                for u in units([str(pq_path)])
            ]
            outputs[str(columns)] = "".join(parts)
            return n

        by_columns = _median_rate(lambda: parquet(True), rounds)
        by_rows = _median_rate(lambda: parquet(False), rounds)
        figures["parquet"] = {
            "brief_by_columns": by_columns,
            "brief_by_rows": by_rows,
            "speedup": by_columns / by_rows,
            "identical_bytes": outputs["True"] == outputs["False"],
        }
        row("Parquet --brief, row by row", by_rows, "rows/s")
        row(
            "Parquet --brief, whole columns (rows left to rows)",
            by_columns,
            "rows/s",
            f"{by_columns / by_rows:.2f}x rows, bytes "
            + ("identical" if outputs["True"] == outputs["False"] else "DIFFER"),
        )

    # ---- memory, start-up
    small, large = rss_sizes
    rss_small = int(_sub(_RSS_CODE, str(small)))
    rss_large = int(_sub(_RSS_CODE, str(large)))
    figures["rss_kib"] = {
        str(small): rss_small,
        str(large): rss_large,
        "ratio": rss_large / rss_small,
    }
    rows.append(
        (
            f"peak RSS {small:,} vs {large:,}",
            f"{rss_small:,} / {rss_large:,} KiB",
            f"{rss_large / rss_small:.2f}x",
        )
    )
    load = float(
        _sub(
            "import time, fupin_rules as fr\n"
            "t = time.perf_counter(); fr.load_library(); print(time.perf_counter() - t)"
        )
    )
    imp = float(
        _sub(
            "import time\nt = time.perf_counter()\n"
            "import fupin_rules\nprint(time.perf_counter() - t)"
        )
    )
    exe = Path(sys.executable).with_name("fupin-rules")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "fupin_rules.cli"]
    startup = _wall([*cmd, "--version"], 3)
    list_cmd = _wall([*cmd, "list"], 3)
    bare = _wall([sys.executable, "-c", "pass"], 3)
    figures["startup_s"] = {
        "import_fupin_rules": imp,
        "load_library": load,
        "cli_version": startup,
        "cli_list": list_cmd,
        "python_bare": bare,
    }
    rows.append(("import fupin_rules", f"{imp:.3f} s", ""))
    rows.append(("load the bundled library", f"{load:.3f} s", "target < 0.3 s"))
    rows.append(("fupin-rules --version (wall)", f"{startup:.3f} s", f"python alone {bare:.3f} s"))
    rows.append(("fupin-rules list (wall)", f"{list_cmd:.3f} s", ""))

    figures["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "quick": quick,
    }
    width = max(len(r[0]) for r in rows)
    print(f"{'approach':<{width}}  {'figure':>26}  ratio / note")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>26}  {ratio}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small sizes, one round (smoke test)")
    p.add_argument(
        "--rss",
        default=None,
        help="two household counts for the memory test (default 100000,1000000; quick 500,5000)",
    )
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="where the JSON goes (default: benchmarks/results/latest.json for a full run, "
        "benchmarks/results/quick.json with --quick, so a smoke run never replaces the figures "
        "the docs quote); - for none",
    )
    args = p.parse_args(argv)
    if args.output is None:
        name = "quick.json" if args.quick else "latest.json"
        args.output = str(ROOT / "benchmarks" / "results" / name)
    sizes = args.rss or ("500,5000" if args.quick else "100000,1000000")
    small, large = (int(x) for x in sizes.split(","))
    run(args.quick, (small, large), Path(args.output) if args.output != "-" else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
