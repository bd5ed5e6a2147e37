"""What showing the reading of a spreadsheet costs: a generated national export (one row per
member) read into households with the progress line drawn and without, side by side.

    python benchmarks/sheet_progress.py --rows 50000 --rounds 5

The export is written once (``generate.py`` households, seed 2018, laid out by
``records_to_rows`` as ``convert -o .xlsx`` does) in a temporary folder, as XLSX and CSV.
Each round reads every file twice in this process, without a meter and with one drawn on a
terminal that is only a sink in memory (``TableReader(..., progress=Meter(...))``: the rows
counted as they are read and grouped, the line drawn ten times a second), the order swapped
from round to round; the CPU time (``time.process_time``) of each read is measured and the
medians printed, with drawn / silent. The records read are compared: they must be equal.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fupin_rules as fr  # noqa: E402
from benchmarks.generate import households  # noqa: E402
from fupin_rules.io.commands import select_headermap  # noqa: E402
from fupin_rules.io.tables import TableReader, records_to_rows  # noqa: E402
from fupin_rules.progress import SILENT, Meter  # noqa: E402

MEMBERS = 4.0
"""Member rows per generated household, about (59,958 rows for 15,000 households)."""


class Sink(io.StringIO):
    """A terminal that keeps nothing: what the line costs to make, not to show."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


def export(folder: Path, rows: int) -> list[Path]:
    """About ``rows`` member rows of generated households, as XLSX and CSV files."""
    from openpyxl import Workbook

    lib = fr.load_library()
    hm = select_headermap(lib, "household", None)
    headers, table = records_to_rows(
        households(round(rows / MEMBERS)), hm, lib.record_schemas["household"]
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("贫困户信息")
    ws.append(headers)
    for row in table:
        ws.append(row)
    xlsx = folder / "export.xlsx"
    wb.save(xlsx)
    text = folder / "export.csv"
    with text.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in table])
    print(f"{len(table):,} member rows, {len(table) / (round(rows / MEMBERS)):.2f} a household")
    return [xlsx, text]


def read(path: Path, drawn: bool) -> tuple[float, list[Any]]:
    lib = fr.load_library()
    hm = select_headermap(lib, "household", None)
    shown = Meter("读取", Sink()) if drawn else SILENT
    reader = TableReader(hm, lib.record_schemas["household"], progress=shown)
    start = time.process_time()
    items = list(reader.read_file(path))
    cpu = time.process_time() - start
    shown.close()
    return cpu, items


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=50_000, help="member rows, about (50,000)")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    Meter("", Sink()).close()  # tqdm imported: its one-time cost is not the rows'
    with tempfile.TemporaryDirectory() as tmp:
        for path in export(Path(tmp), args.rows):
            times: dict[bool, list[float]] = {False: [], True: []}
            for r in range(args.rounds):
                order = (False, True) if r % 2 == 0 else (True, False)
                got = {}
                for drawn in order:
                    cpu, got[drawn] = read(path, drawn)
                    times[drawn].append(cpu)
                if got[True] != got[False]:
                    msg = f"{path.name}: the records differ with the meter drawn"
                    raise SystemExit(msg)
            silent = statistics.median(times[False])
            drawn_cpu = statistics.median(times[True])
            print(
                f"{path.suffix[1:]}: silent {silent:.2f} s, drawn {drawn_cpu:.2f} s "
                f"(CPU, medians of {args.rounds}), drawn / silent {drawn_cpu / silent:.3f}; "
                f"each round: silent {', '.join(f'{t:.2f}' for t in times[False])}; "
                f"drawn {', '.join(f'{t:.2f}' for t in times[True])}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
