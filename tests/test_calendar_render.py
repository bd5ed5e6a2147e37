"""The Gantt picture reads well: month labels never overlap."""

from __future__ import annotations

import itertools
import re

import fupin_rules as fr
from fupin_rules.calendar import to_svg


def test_month_labels_do_not_overlap() -> None:
    """A plan starting on the last day of a month labels the next month only."""
    cal = fr.load_library().calendar("town.dynamic-management", version="2018")
    svg = to_svg(cal, today="2018-11-20")
    labels = [
        (float(x), text)
        for x, text in re.findall(r'<text x="([0-9.]+)"[^>]*>(\d{4}年\d{1,2}月)</text>', svg)
    ]
    assert [t for _, t in labels] == ["2018年10月", "2018年11月", "2018年12月"]
    xs = [x for x, _ in labels]
    assert all(b - a > 80 for a, b in itertools.pairwise(xs))
