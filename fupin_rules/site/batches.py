"""A page per batch of results (what ``fupin-rules evaluate`` wrote): outcomes counted per
village, as a table and as bars, and the criteria that failed most.

A result names its record, not the record's place; the village is the first 12 digits of the
record's id (a household's id begins with its village's division code, as the national system
numbers households; a village's id is its code), split into county, township and village as
the problem lists split them (:func:`fupin_rules.reports.division_parts`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from .._frozen import deep_freeze, freeze
from ..decision import CRITERION_LABELS, OUTCOME_LABELS, OUTCOMES
from ..errors import FupinRulesError, NotFoundError, UsageError
from ..library import Library
from ..model import Result, RuleSet
from ..reports import COLUMNS, division_parts
from . import layout
from .html import esc, href, page, short_fingerprint, table

__all__ = [
    "COLOURS",
    "MAX_VILLAGE_BARS",
    "Batch",
    "Tally",
    "bar_chart",
    "batch_names",
    "batch_page",
    "place_of",
    "read_batch",
]

COLOURS: Mapping[str, str] = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "invalid": "#757575",
    "not_applicable": "#90a4ae",
}
"""The colour of each record outcome in the charts."""

MAX_VILLAGE_BARS = 60
"""More villages than this are charted per township (every village stays in the table)."""

_FONT = (
    "Microsoft YaHei, 微软雅黑, PingFang SC, Noto Sans CJK SC, Noto Sans SC, "
    "WenQuanYi Micro Hei, SimSun, sans-serif"
)
_HEADERS = dict(COLUMNS)
Place = tuple[str, str, str]


def place_of(record_id: str | None) -> Place:
    """(county, township, village) codes of a record from its id's first 12 digits."""
    return division_parts(record_id[:12] if record_id else None)


@attrs.frozen
class Tally:
    """What one rule set said about the records of a batch (read-only)."""

    ruleset: str
    """``id@version``."""
    fingerprints: tuple[str, ...]
    """Every fingerprint the results carry, sorted."""
    dates: tuple[str, ...]
    """Every evaluation date, sorted."""
    places: Mapping[Place, Mapping[str, int]] = attrs.field(converter=deep_freeze)
    """Records per outcome, per (county, township, village)."""
    criteria: Mapping[tuple[str, str], int] = attrs.field(converter=freeze)
    """How many records each (criterion, outcome) has."""
    order: tuple[str, ...]
    """The criteria, in the order the results list them."""
    labels: Mapping[str, str] = attrs.field(converter=freeze)
    """Criterion labels the results carry (full results; brief ones have none)."""

    @property
    def totals(self) -> Counter[str]:
        """Records per outcome."""
        total: Counter[str] = Counter()
        for counts in self.places.values():
            total.update(counts)
        return total


class _Counting:
    """A :class:`Tally` being counted, result by result."""

    def __init__(self, ruleset: str) -> None:
        self.ruleset = ruleset
        self.fingerprints: set[str] = set()
        self.dates: set[str] = set()
        self.places: dict[Place, Counter[str]] = {}
        self.criteria: Counter[tuple[str, str]] = Counter()
        self.order: dict[str, None] = {}
        self.labels: dict[str, str] = {}

    def add(self, result: Result) -> None:
        self.fingerprints.add(result.fingerprint)
        self.dates.add(result.as_of)
        self.places.setdefault(place_of(result.record_id), Counter())[result.outcome] += 1
        for cid, outcome in result.outcomes:
            self.order.setdefault(cid)
            self.criteria[(cid, outcome)] += 1
        if all(cid in self.labels for cid, _ in result.outcomes):
            return  # the labels are the rule set's: built from the first results only
        try:
            findings = result.findings
        except NotFoundError:
            return  # a lean line whose rules are not in the library: criteria named by id
        for f in findings:
            self.labels.setdefault(f.criterion, f.label)

    def done(self) -> Tally:
        return Tally(
            self.ruleset,
            tuple(sorted(self.fingerprints)),
            tuple(sorted(self.dates)),
            {p: dict(c) for p, c in sorted(self.places.items())},
            self.criteria,
            tuple(self.order),
            self.labels,
        )


@attrs.frozen
class Batch:
    """A results file, counted."""

    name: str
    """The page's name (``results/<name>.html``)."""
    file: str
    """The file's name, as the page shows it."""
    lines: int
    tallies: tuple[Tally, ...]
    """One per rule set (``id@version``) the file has results of, sorted."""
    unreadable: tuple[tuple[int, str], ...]
    """(line number, why) for each line that is not a result."""


def read_batch(path: str | Path, name: str, library: Library | None = None) -> Batch:
    """Count the results in a JSON Lines file written by ``fupin-rules evaluate``; the
    ``library`` (of the rules that wrote them) names the criteria of lean lines."""
    file = Path(path)
    counting: dict[str, _Counting] = {}
    unreadable: list[tuple[int, str]] = []
    lines = 0
    try:
        fh = file.open(encoding="utf-8-sig")
    except OSError as exc:
        msg = f"无法读取评估结果文件 {file}: {exc.strerror or exc}"
        raise UsageError(msg) from exc
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            lines += 1
            try:
                result = Result.from_json(line, library=library)
            except json.JSONDecodeError:
                unreadable.append((number, "不是 JSON"))
                continue
            except KeyError as exc:
                unreadable.append((number, f"不是评估结果: 缺少 {exc.args[0]}"))
                continue
            except (ValueError, TypeError, FupinRulesError):
                unreadable.append((number, "不是评估结果"))
                continue
            counting.setdefault(result.ruleset, _Counting(result.ruleset)).add(result)
    tallies = tuple(counting[k].done() for k in sorted(counting))
    return Batch(name, file.name, lines, tallies, tuple(unreadable))


# ----------------------------------------------------------------------------- charts


def bar_chart(
    rows: Sequence[tuple[str, str, Mapping[str, int]]],
    keys: Sequence[str],
    names: Mapping[str, str],
    *,
    title: str,
    label_width: int = 130,
) -> str:
    """Horizontal stacked bars as inline SVG: one row per ``(id, label, counts)``, the parts
    in the order of ``keys`` (coloured by :data:`COLOURS`, named by ``names``), scaled to the
    largest total."""
    row_h, top, bar_w = 22, 34, 600
    width = label_width + bar_w + 110
    height = top + row_h * len(rows) + 8
    largest = max([sum(c.get(k, 0) for k in keys) for _, _, c in rows] + [1])
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" font-family="{_FONT}"'
        f' font-size="12"><title>{esc(title)}</title>'
    ]
    x = label_width
    for k in keys:  # the legend
        out.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS.get(k, "#555")}"/>'
            f'<text x="{x + 16}" y="18">{esc(names[k])}</text>'
        )
        x += 24 + 13 * len(names[k])
    for i, (ident, label, counts) in enumerate(rows):
        y = top + i * row_h
        total = sum(counts.get(k, 0) for k in keys)
        out.append(f'<g class="bar" data-id="{esc(ident)}">')
        out.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{esc(label)}</text>'
        )
        x0 = float(label_width)
        for k in keys:
            n = counts.get(k, 0)
            if not n:
                continue
            w = bar_w * n / largest
            out.append(
                f'<rect class="{esc(k)}" x="{x0:.1f}" y="{y + 3}" width="{w:.1f}"'
                f' height="{row_h - 6}" fill="{COLOURS.get(k, "#555")}">'
                f"<title>{esc(label)}: {esc(names[k])} {n}</title></rect>"
            )
            x0 += w
        out.append(f'<text x="{x0 + 6:.1f}" y="{y + 15}" fill="#57606a">{total}</text></g>')
    out.append("</svg>")
    return "".join(out)


# ----------------------------------------------------------------------------- the page


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _ruleset(lib: Library, tally: Tally) -> RuleSet | None:
    """The library's version that produced these results (by fingerprint), if it has it."""
    for fp in tally.fingerprints:
        try:
            return lib.by_fingerprint(fp)
        except FupinRulesError:
            continue
    return None


def _counts_row(counts: Mapping[str, int]) -> list[str]:
    total = sum(counts.values())
    cells = [str(total)] + [str(counts.get(k, 0)) for k in OUTCOMES]
    return [*cells, _share(counts.get("pass", 0), total)]


def _section(lib: Library, tally: Tally, up: str) -> str:
    rs = _ruleset(lib, tally)
    title = rs.title if rs is not None else tally.ruleset
    heading = esc(f"{title} ({tally.ruleset})")
    if rs is not None:
        target = href(up + layout.version_page(rs.id, rs.version))
        heading = f'<a href="{target}">{heading}</a>'
    prints = "、".join(f"<code>{esc(short_fingerprint(f))}</code>" for f in tally.fingerprints)
    found = (
        "规则库中有产生这些结果的版本"
        if rs is not None
        else "本规则库中没有产生这些结果的版本 (规则文件已修改或不在此库中)"
    )
    parts = [
        f"<h2>{heading}</h2>",
        f"<p>评估日期 {esc('、'.join(tally.dates))}; 指纹 {prints}; {esc(found)}。</p>",
    ]
    totals = tally.totals
    head = ["记录数", *(OUTCOME_LABELS[k] for k in OUTCOMES), "达标率"]
    parts.append(table(head, [_counts_row(totals)], numeric=range(len(head)), cls="compact"))
    parts.append(_villages(tally))
    parts.append(_criteria(tally, rs, sum(totals.values())))
    return "\n".join(parts)


def _villages(tally: Tally) -> str:
    places = sorted(tally.places)
    names = OUTCOME_LABELS
    if len(places) <= MAX_VILLAGE_BARS:
        bars = [(p[2], p[2], tally.places[p]) for p in places]
        note = "每村一条, 长度为记录数。"
    else:
        townships: dict[str, Counter[str]] = {}
        for p in places:
            townships.setdefault(p[1], Counter()).update(tally.places[p])
        bars = [(t, t, c) for t, c in sorted(townships.items())]
        note = f"村数较多 ({len(places)} 个), 图按乡(镇)汇总, 每乡(镇)一条; 各村数字见下表。"
    chart = bar_chart(bars, OUTCOMES, names, title=f"各村评估结果 ({tally.ruleset})")
    head = [_HEADERS["county"], _HEADERS["township"], _HEADERS["village"]]
    head += ["记录数", *(names[k] for k in OUTCOMES), "达标率"]
    rows = [[esc(p[0]), esc(p[1]), esc(p[2]), *_counts_row(tally.places[p])] for p in places]
    return f'<h3>各村结果</h3><p class="small muted">{esc(note)}</p>{chart}' + table(
        head, rows, numeric=range(3, len(head))
    )


def _criteria(tally: Tally, rs: RuleSet | None, records: int) -> str:
    labels = dict(tally.labels)
    order = {cid: i for i, cid in enumerate(tally.order)}
    if rs is not None:
        for i, c in enumerate(rs.criteria):
            labels.setdefault(c.id, c.label)
            order[c.id] = i

    def count(cid: str, outcome: str) -> int:
        return tally.criteria.get((cid, outcome), 0)

    failed = sorted(
        (cid for cid in order if count(cid, "fail")),
        key=lambda cid: (-count(cid, "fail"), order[cid]),
    )
    if not failed:
        return "<h3>未达标最多的指标</h3><p>没有指标未达标。</p>"
    fail, unknown = CRITERION_LABELS["fail"], CRITERION_LABELS["unknown"]
    bars = [(cid, _short(labels.get(cid, cid)), {"fail": count(cid, "fail")}) for cid in failed]
    chart = bar_chart(
        bars, ("fail",), {"fail": fail}, title=f"未达标的指标 ({tally.ruleset})", label_width=300
    )
    rows = [
        [
            f"{esc(labels.get(cid, cid))}<br><code>{esc(cid)}</code>",
            str(count(cid, "fail")),
            _share(count(cid, "fail"), records),
            str(count(cid, "unknown")),
        ]
        for cid in failed
    ]
    head = ["指标", f"{fail}的记录数", "占全部记录", f"{unknown}的记录数"]
    return (
        "<h3>未达标最多的指标</h3>"
        f'<p class="small muted">按{esc(fail)}的记录数从多到少; 一条记录可有多项{esc(fail)}。</p>'
        f"{chart}{table(head, rows, numeric=(1, 2, 3))}"
    )


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def batch_page(lib: Library, batch: Batch) -> str:
    """The page of one batch of results."""
    path = layout.results_page(batch.name)
    up = "../" * layout.depth(path)
    intro = f"<p>文件 <code>{esc(batch.file)}</code>: 共 {batch.lines} 行"
    if batch.unreadable:
        intro += f", 其中 {len(batch.unreadable)} 行不是评估结果, 未计入"
    body = [intro + "。按记录编号的前 12 位 (村代码) 分村统计。</p>"]
    if batch.unreadable:
        shown = "".join(f"<li>第 {n} 行: {esc(why)}</li>" for n, why in batch.unreadable[:20])
        more = len(batch.unreadable) - 20
        body.append(f"<ul>{shown}</ul>" + (f"<p>另有 {more} 行未列出。</p>" if more > 0 else ""))
    if not batch.tallies:
        body.append("<p>文件中没有评估结果。</p>")
    body.extend(_section(lib, t, up) for t in batch.tallies)
    crumbs = [(batch.file, path)]
    title = f"评估结果: {batch.file}"
    return page(title, "\n".join(body), depth=layout.depth(path), crumbs=crumbs)


def batch_names(paths: Iterable[str | Path]) -> list[str]:
    """A page name per results file: its stem, made safe for a file name, numbered when two
    files share one."""
    names: list[str] = []
    for p in paths:
        stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(p).stem)
        name, n = stem or "results", 2
        while name in names:
            name, n = f"{stem}-{n}", n + 1
        names.append(name)
    return names
