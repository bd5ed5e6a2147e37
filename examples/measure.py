#!/usr/bin/env python3
"""Count outcomes and undecidable criteria in `fupin-rules evaluate` output (JSON Lines).

    fupin-rules evaluate -s gx.household.exit --as-of 2018-11-20 examples/data/export.csv \
        | python examples/measure.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter


def main() -> int:
    """Read results on stdin, print the counts."""
    outcomes: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    undecidable = 0
    for line in sys.stdin:
        result = json.loads(line)
        outcomes[result.get("outcome")] += 1
        findings = result.get("findings") or []
        names = [f["criterion"] for f in findings if f.get("outcome") == "unknown"]
        unknown.update(names)
        undecidable += bool(names)
    total = sum(outcomes.values())
    shown = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items(), key=str))
    print(f"{total} results: {shown}")
    print(f"households with an unknown criterion: {undecidable}")
    for name, n in unknown.most_common():
        print(f"  {name}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
