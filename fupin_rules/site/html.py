"""The pieces every page of the site is made of: escaping, the page frame, the style sheet,
worded expressions, marks, citations and tables.

Every text that goes into a page passes through :func:`esc`; every page links one local style
sheet (``style.css``) and nothing else, so the site opens from a folder with no network.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from .._version import __version__
from ..decision import SEVERITIES, SEVERITY_TAGS
from ..model import Citation, Source
from .prose import JOIN_LEADS, UNCONFIRMED, Clause, Piece

__all__ = [
    "GENERATOR",
    "RELIABILITY_LABELS",
    "SEVERITY_LABELS",
    "STYLE",
    "citations",
    "clause_html",
    "esc",
    "href",
    "mark",
    "page",
    "pieces_html",
    "short_fingerprint",
    "source_line",
    "table",
]

GENERATOR = "fupin-rules site"
"""The ``<meta name="generator">`` of every page: how a folder is known to hold a site."""

RELIABILITY_LABELS: dict[str, str] = {
    "official": "官方文件",
    "news": "新闻报道",
    "third-party": "第三方转载",
    "translation": "译文",
    "code": "程序代码",
    "inferred": "推断",
}
"""How reliable a source is, as the rule-set schema describes ``reliability``."""

SEVERITY_LABELS: dict[str, str] = {
    s: SEVERITY_TAGS[s].strip(" []") or "必须达标" for s in SEVERITIES
}
"""A criterion's severity as a word: the tag results show after a label (a blocking criterion
has none, so it is named here)."""

STYLE = """\
:root {
  --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
  --pass: #2e7d32; --fail: #c62828; --invalid: #757575; --na: #90a4ae; --mark: #b35900;
}
html { font-size: 15px; }
body {
  margin: 0; color: var(--ink); background: #fff; line-height: 1.6;
  font-family: "Microsoft YaHei", "微软雅黑", "PingFang SC", "Noto Sans CJK SC",
    "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", SimSun, "宋体", sans-serif;
}
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { border-bottom: 1px solid var(--line); padding-top: 12px; padding-bottom: 8px; }
nav { font-size: 0.93rem; color: var(--muted); }
nav a { margin-right: 0.4em; }
h1 { font-size: 1.6rem; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.25rem; margin: 1.6em 0 0.5em; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.08rem; margin: 1.2em 0 0.3em; }
a { color: #0b5cad; }
p, ul, ol, dl { margin: 0.4em 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 0.93rem; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
table.named td:first-child { width: 15em; }
table.compact { width: auto; min-width: 40em; }
code.id { white-space: nowrap; }
table.changes { table-layout: fixed; }
table.changes th:nth-child(1) { width: 14em; }
table.changes th:nth-child(2) { width: 7em; }
li.changed { font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code, .code {
  font-family: Consolas, "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace;
  font-size: 0.88em; background: var(--soft); padding: 0 3px; border-radius: 3px;
  overflow-wrap: anywhere;
}
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.mark {
  display: inline-block; color: var(--mark); border: 1px solid var(--mark);
  border-radius: 3px; padding: 0 4px; font-size: 0.82em; line-height: 1.4; white-space: nowrap;
}
.tag {
  display: inline-block; background: var(--soft); border: 1px solid var(--line);
  border-radius: 3px; padding: 0 5px; font-size: 0.82em; margin-left: 4px;
}
.tag.veto { border-color: var(--fail); color: var(--fail); }
.tag.reference { color: var(--muted); }
.muted { color: var(--muted); }
.small { font-size: 0.88rem; }
.name { font-weight: 600; }
a.name { text-decoration: none; border-bottom: 1px dotted #0b5cad; }
.value { color: #0a3069; font-weight: 600; }
section.criterion { border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px 10px;
  margin: 12px 0; break-inside: avoid; }
section.criterion h3 { margin-top: 0.4em; }
.test { background: #fbfdff; border-left: 3px solid #0b5cad; padding: 4px 10px; margin: 6px 0; }
.test ul { padding-left: 1.4em; margin: 2px 0; }
.test .lead { color: var(--muted); }
.expr { color: var(--muted); font-size: 0.85rem; }
.chart { max-width: 100%; height: auto; }
.timeline { border: 1px solid var(--line); overflow-x: auto;
  width: calc(100vw - 40px); margin-left: calc(50% - 50vw + 20px); }
.timeline svg { display: block; max-width: 100%; height: auto; }
.legend span { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px;
  margin-right: 4px; }
.before { background: #ffebe9; }
.after { background: #e6ffec; }
footer { color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line);
  margin-top: 32px; padding-top: 8px; padding-bottom: 24px; }
@media print {
  html { font-size: 11pt; }
  header, main, footer { max-width: none; padding: 0; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  a.name { border-bottom: none; }
  h2, h3 { break-after: avoid; }
  tr, section.criterion, .chart { break-inside: avoid; }
  .timeline { overflow: visible; border: none; width: auto; margin-left: 0; }
}
"""
"""The site's one style sheet: a Chinese font stack found on Windows (Microsoft YaHei,
SimSun) and Linux (Noto Sans CJK), nothing downloaded; readable at 1366 pixels and printable."""


def esc(text: object) -> str:
    """``text`` escaped for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def href(path: str) -> str:
    """A relative link to ``path`` (``/``-separated), percent-encoded and escaped."""
    return esc(quote(path, safe="/#-._~"))


def mark(on: bool = True) -> str:
    """The 未经来源确认 mark (nothing when ``on`` is false)."""
    return f'<span class="mark">{UNCONFIRMED}</span>' if on else ""


def short_fingerprint(fingerprint: str) -> str:
    """``sha256:`` and the first 12 hexadecimal digits (what ``fupin-rules list`` shows)."""
    return fingerprint[: len("sha256:") + 12]


def pieces_html(pieces: Iterable[Piece], base: str = "") -> str:
    """A worded expression's pieces as inline HTML; links go to ``base`` + ``#anchor``."""
    out = []
    for p in pieces:
        text = esc(p.text)
        if p.kind == "mark":
            out.append(mark())
        elif p.kind == "code":
            out.append(f"<code>{text}</code>")
        elif p.kind == "name" and p.link is not None:
            out.append(f'<a class="name" href="{href(base + "#" + p.link)}">{text}</a>')
        elif p.kind in {"name", "value"}:
            out.append(f'<span class="{p.kind}">{text}</span>')
        else:
            out.append(text)
    return "".join(out)


def clause_html(clause: Clause, base: str = "") -> str:
    """A worded test: a sentence, or a lead-in and a list (lists nest)."""
    if clause.join is None:
        return pieces_html(clause.pieces, base)
    items = "".join(f"<li>{clause_html(c, base)}</li>" for c in clause.items)
    return f'<span class="lead">{esc(JOIN_LEADS[clause.join])}</span><ul>{items}</ul>'


def source_line(s: Source) -> str:
    """A source as a line: 《title》(number), issuer, date, reliability, mark."""
    parts = [f"《{esc(s.title.strip('《》'))}》"]
    if s.number:
        parts.append(f"({esc(s.number)})")
    extra = [x for x in (s.issuer, s.date) if x]
    if extra:
        parts.append(" " + esc(", ".join(extra)))
    return "".join(parts) + (" " + mark() if s.unconfirmed else "")


def citations(items: Sequence[Citation], base: str = "") -> str:
    """Citations as links to the sources on the version's page, with the clause cited."""
    if not items:
        return '<span class="muted">未注明来源</span>'
    out = []
    for c in items:
        text = f"《{esc(c.source.title.strip('《》'))}》"
        if c.source.number:
            text += f"({esc(c.source.number)})"
        link = f'<a href="{href(base + "#source-" + c.source.id)}">{text}</a>'
        clause = f" {esc(c.clause)}" if c.clause else ""
        out.append(link + clause + (" " + mark() if c.source.unconfirmed else ""))
    return "<br>".join(out)


def table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Iterable[int] = (),
    cls: str = "",
) -> str:
    """A table of already escaped cells; columns in ``numeric`` right-aligned; ``cls`` the
    table's class (``named``: a wide first column of names)."""
    right = set(numeric)

    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="num"' if i in right else ""
        return f"<{tag}{cls}>{text}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows
    )
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, *, depth: int, crumbs: Sequence[tuple[str, str]] = ()) -> str:
    """A whole page: ``title``, the trail of links back to the index (``(label, path)`` from
    the site's root), and ``body``. ``depth`` is how many folders below the root it is."""
    up = "../" * depth
    trail = [f'<a href="{href(up + "index.html")}">首页</a>'] if depth else []
    trail += [f'<a href="{href(up + path)}">{esc(label)}</a>' for label, path in crumbs]
    nav = f"<nav>{' › '.join(trail)}</nav>" if trail else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{href(up + "style.css")}">\n'
        "</head>\n<body>\n"
        f"<header>{nav}<h1>{esc(title)}</h1></header>\n"
        f"<main>\n{body}\n</main>\n"
        f"<footer>由 fupin-rules {esc(__version__)} 根据规则文件生成。"
        "本页不需要网络, 可直接打印。</footer>\n"
        "</body>\n</html>\n"
    )
