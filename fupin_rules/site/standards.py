"""The pages of the standards: the index of every standard and version, and a page per version
(its dates, sources, criteria worded in Chinese, parameters by date, derived fields)."""

from __future__ import annotations

from collections.abc import Sequence

from ..decision import OUTCOME_LABELS
from ..display import display
from ..library import Library
from ..model import Criterion, Parameter, RuleSet, Source
from . import layout
from .html import (
    RELIABILITY_LABELS,
    SEVERITY_LABELS,
    citations,
    clause_html,
    esc,
    href,
    mark,
    page,
    pieces_html,
    short_fingerprint,
    source_line,
    table,
)
from .prose import ALWAYS, UNCONFIRMED, Words, describe, formula, unit_text, value_in_period

__all__ = ["Entry", "index_page", "period_text", "subject_label", "version_page"]

Entry = tuple[str, str]
"""A page listed on the index: (title, path from the root)."""


def period_text(start: str, until: str | None) -> str:
    """``2016-08-04 至 2018-09-29``, or ``2018-09-30 起`` for an open end."""
    return f"{start} 至 {until}" if until else f"{start} 起"


def subject_label(rs: RuleSet) -> str:
    """What the rule set judges, from its record schema's title (``建档立卡贫困户``)."""
    title = rs.record_schema.schema.get("title")
    if not isinstance(title, str):
        return rs.subject
    # The record schemas give the Chinese name, then the English one in brackets.
    return title.split(" (")[0]


def index_page(lib: Library, calendars: Sequence[Entry], batches: Sequence[Entry]) -> str:
    """The index: every standard with its versions, dates, fingerprints and links."""
    rows = []
    for rid in lib.ids():
        versions = lib.versions(rid)
        for i, rs in enumerate(versions):
            first = ""
            if i == 0:
                first = (
                    f'<td rowspan="{len(versions)}"><code class="id">{esc(rid)}</code><br>'
                    f"{esc(subject_label(rs))}</td>"
                )
            link = f'<a href="{href(layout.version_page(rid, rs.version))}">{esc(rs.title)}</a>'
            change = ""
            if i > 0:
                before = versions[i - 1].version
                target = layout.changes_page(rid, before, rs.version)
                change = f'<a href="{href(target)}">与 {esc(before)} 版相比</a>'
            when = esc(period_text(rs.effective_from, rs.effective_until))
            rows.append(
                f"<tr>{first}<td>{esc(rs.version)}</td><td>{link}</td>"
                f"<td>{when} {mark(rs.effective_unconfirmed)}</td>"
                f'<td><code class="id">{esc(short_fingerprint(rs.fingerprint))}</code></td>'
                f"<td>{change}</td></tr>"
            )
    head = "".join(
        f"<th>{h}</th>" for h in ("标准", "版本", "标题", "施行日期", "指纹", "版本变化")
    )
    body = [
        "<p>规则库中的全部标准和版本。每个版本一页: 施行日期、来源、每项指标的检验 (中文说明)、"
        "参数 (按日期)、派生字段; 相邻两个版本之间的变化另有一页。</p>",
        f'<p class="small">{mark()} 表示该项 (指标、参数取值、来源或施行日期) 未经来源确认:'
        " 依据的是报道、转载或推断, 使用前须核实原文。</p>",
        f'<p class="small muted">规则库指纹 <code>{esc(lib.fingerprint)}</code></p>',
        "<h2>标准与版本</h2>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    body.append("<h2>工作时间节点</h2>")
    body.append(_links(calendars, "规则库中没有工作时间节点。"))
    if batches:
        body.append("<h2>评估结果</h2>")
        body.append(_links(batches, ""))
    return page("精准扶贫动态管理标准", "\n".join(body), depth=0)


def _links(entries: Sequence[Entry], empty: str) -> str:
    if not entries:
        return f'<p class="muted">{esc(empty)}</p>'
    items = "".join(f'<li><a href="{href(path)}">{esc(title)}</a></li>' for title, path in entries)
    return f"<ul>{items}</ul>"


# ----------------------------------------------------------------------------- a version


def version_page(lib: Library, rs: RuleSet) -> str:
    """The page of one version."""
    words = Words.of(rs)
    path = layout.version_page(rs.id, rs.version)
    up = "../" * layout.depth(path)
    body = [_facts(lib, rs, up), _decision(rs, words)]
    body.append(f'<h2 id="criteria">指标 ({len(rs.criteria)} 项)</h2>')
    body.append(_overview(rs))
    body.extend(_criterion(rs, c, words) for c in rs.criteria)
    body.append(_parameters(rs))
    body.append(_derived(rs, words))
    body.append(_dataset_checks(rs, words))
    body.append(_sources(rs.sources))
    if rs.notes:
        notes = "".join(f"<li>{esc(n)}</li>" for n in rs.notes)
        body.append(f'<h2 id="notes">说明与未确认事项</h2><ul>{notes}</ul>')
    crumbs = [(f"{rs.id}@{rs.version}", path)]
    return page(rs.title, "\n".join(x for x in body if x), depth=layout.depth(path), crumbs=crumbs)


def _facts(lib: Library, rs: RuleSet, up: str) -> str:
    versions = lib.versions(rs.id)
    position = [v.version for v in versions].index(rs.version)
    changes = []
    if position > 0:
        before = versions[position - 1].version
        target = up + layout.changes_page(rs.id, before, rs.version)
        changes.append(f'<a href="{href(target)}">与上一版本 ({esc(before)}) 相比的变化</a>')
    if position + 1 < len(versions):
        after = versions[position + 1].version
        target = up + layout.changes_page(rs.id, rs.version, after)
        changes.append(f'<a href="{href(target)}">下一版本 ({esc(after)}) 的变化</a>')
    others = " ".join(
        f'<a href="{href(up + layout.version_page(rs.id, v.version))}">{esc(v.version)}</a>'
        if v.version != rs.version
        else f"<b>{esc(v.version)}</b>"
        for v in versions
    )
    files = "<br>".join(f"<code>{esc(layout.relative_file(f, lib.roots))}</code>" for f in rs.files)
    facts = [
        ("标准编号", f"<code>{esc(rs.id)}</code>"),
        ("版本", f"{esc(rs.version)} (全部版本: {others})"),
        ("适用对象", esc(subject_label(rs))),
        (
            "施行日期",
            f"{esc(period_text(rs.effective_from, rs.effective_until))} "
            + mark(rs.effective_unconfirmed),
        ),
        ("修订自", esc(rs.extends) + " 版" if rs.extends else "—"),
        ("指纹", f"<code>{esc(rs.fingerprint)}</code>"),
        ("规则文件", files),
    ]
    if changes:
        facts.append(("版本变化", "<br>".join(changes)))
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'


def _decision(rs: RuleSet, words: Words) -> str:
    d = rs.decision
    passed, failed = esc(d.conclusion("pass")), esc(d.conclusion("fail"))
    kinds = set(d.severities)
    blocks = []
    if d.veto:
        blocks.append(f"<p>任一「一票否决」指标不达标, 即为「{failed}」。</p>")
    if d.method == "all":
        counted = "「必须达标」和「一票否决」的指标" if "veto" in kinds else "「必须达标」的指标"
        blocks.append(
            f"<p>{counted}全部达标 (或不适用), 即为「{passed}」; 其中任一项不达标, 即为"
            f"「{failed}」。</p>"
        )
    elif d.method == "points":
        blocks.append(
            f"<p>每项达标的指标得其分值, 合计不低于 {esc(display(d.threshold))} 分即为"
            f"「{passed}」, 否则为「{failed}」。</p>"
        )
    elif d.expression is not None:
        test = clause_html(describe(d.expression.tree, words))
        blocks.append(
            f"<p>下列条件成立即为「{passed}」, 否则为「{failed}」:</p>"
            f'<div class="test">{test}</div>'
            f'<p class="expr">表达式: <code>{esc(d.expression.text)}</code></p>'
        )
    if "reference" in kinds and d.method == "all":
        blocks.append("<p>「参考指标」只报告, 不影响结论。</p>")
    blocks.append(
        "<p>有指标因缺少数据无法判定、结论因此不能确定时, 结果为"
        f"「{esc(OUTCOME_LABELS['invalid'])}」(无法判定)。</p>"
    )
    if rs.applies_if is not None:
        scope = clause_html(describe(rs.applies_if.tree, words))
        blocks.insert(
            0,
            f"<p>只评估符合下列条件的记录, 其余为「{esc(OUTCOME_LABELS['not_applicable'])}」:</p>"
            f'<div class="test">{scope}</div>'
            f'<p class="expr">表达式: <code>{esc(rs.applies_if.text)}</code></p>',
        )
    return f'<h2 id="decision">判定</h2>{"".join(blocks)}'


def _overview(rs: RuleSet) -> str:
    """One line per criterion, linking to its section below."""
    rows = [
        [
            f'<a href="#criterion-{href(c.id)}">{esc(c.label)}</a>',
            esc(c.group or ""),
            esc(SEVERITY_LABELS[c.severity]),
            mark(c.unconfirmed),
        ]
        for c in rs.criteria
    ]
    return table(["指标", "分组", "性质", "确认"], rows, cls="compact")


def _criterion(rs: RuleSet, c: Criterion, words: Words) -> str:
    tags = []
    if c.group:
        tags.append(f'<span class="tag">{esc(c.group)}</span>')
    tags.append(f'<span class="tag {esc(c.severity)}">{esc(SEVERITY_LABELS[c.severity])}</span>')
    head = f"<h3>{esc(c.label)} {''.join(tags)} {mark(c.unconfirmed)}</h3>"
    parts = [head, f'<p class="small muted">指标编号 <code>{esc(c.id)}</code></p>']
    if c.for_each is not None:
        listed = esc(rs.record_schema.label(c.for_each[0]))
        parts.append(f"<p>逐项检查「{listed}」中的每一项; 任一项不达标, 本指标即不达标。</p>")
    if c.applies_if is not None:
        cond = clause_html(describe(c.applies_if.tree, words))
        parts.append(
            f'<p><b>适用条件</b> (不满足时本指标不适用):</p><div class="test">{cond}</div>'
            f'<p class="expr">表达式: <code>{esc(c.applies_if.text)}</code></p>'
        )
    test = clause_html(describe(c.test.tree, words))
    parts.append(f'<p><b>检验</b> (满足即达标):</p><div class="test">{test}</div>')
    parts.append(f'<p class="expr">表达式: <code>{esc(c.test.text)}</code></p>')
    if c.points:
        parts.append(f"<p><b>分值</b>: {esc(display(c.points))}</p>")
    parts.append(f"<p><b>依据</b>:<br>{citations(c.citations)}</p>")
    if c.unconfirmed:
        parts.append(f"<p>{mark()} 本指标的检验方法或所用参数未经来源确认。</p>")
    if c.note:
        parts.append(f"<p><b>说明</b>: {esc(c.note)}</p>")
    return f'<section class="criterion" id="criterion-{esc(c.id)}">{"".join(parts)}</section>'


def _parameters(rs: RuleSet) -> str:
    if not rs.parameters:
        return ""
    rows = []
    for name, p in rs.parameters.items():
        label = f'<span id="param-{esc(name)}" class="name">{esc(p.label)}</span>'
        note = esc(p.note) if p.note else ""
        rows.append([f"{label}<br><code>{esc(name)}</code>", _values(rs, p), note])
    head = ["参数", "取值 (按日期) 与依据", "说明"]
    intro = (
        "<p>评估某一天的记录时, 取该天施行的值。本版本施行期间用到的值以粗体显示, "
        "其余 (更早或更晚) 的值供对照。</p>"
    )
    return f'<h2 id="parameters">参数</h2>{intro}{table(head, rows, cls="named")}'


def _values(rs: RuleSet, p: Parameter) -> str:
    used = set(value_in_period(p, rs.effective_from, rs.effective_until))
    unit = esc(unit_text(p.unit))
    items = []
    for v in p.values:
        shown = "无已确认的值" if v.value is None else esc(display(v.value)) + unit
        when = "" if v.start == ALWAYS else f"{esc(v.start)} 起: "
        value = f"<b>{shown}</b>" if v in used else f'<span class="muted">{shown}</span>'
        text = f"{when}{value} {mark(v.unconfirmed)}"
        if v.citations:
            text += f'<br><span class="small">依据: {citations(v.citations)}</span>'
        if v.note and v.note != p.note:  # a constant's one value carries the parameter's note
            text += f'<br><span class="small muted">{esc(v.note)}</span>'
        items.append(f"<li>{text}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _derived(rs: RuleSet, words: Words) -> str:
    if not rs.derived:
        return ""
    rows = []
    for d in rs.derived:
        label = f'<span id="derived-{esc(d.name)}" class="name">{esc(d.label)}</span>'
        unit = f"<br>单位: {esc(d.unit)}" if d.unit else ""
        rows.append(
            [
                f"{label}<br><code>{esc(d.name)}</code>{unit}",
                f'<div class="test">{clause_html(formula(d.expr.tree, words))}</div>'
                f'<span class="expr">表达式: <code>{esc(d.expr.text)}</code></span>',
            ]
        )
    return '<h2 id="derived">派生字段</h2><p>由记录中的数据算出, 供指标使用。</p>' + table(
        ["名称", "计算方法"], rows, cls="named"
    )


def _dataset_checks(rs: RuleSet, words: Words) -> str:
    if not rs.dataset_checks:
        return ""
    rows = []
    for dc in rs.dataset_checks:
        key = pieces_html(formula(dc.key.tree, words).pieces)
        scope = ""
        if dc.for_each is not None:
            scope = f"逐项检查「{esc(rs.record_schema.label(dc.for_each[0]))}」; "
        scope += "只比较不同记录之间" if dc.across_records_only else "记录内外都比较"
        if dc.where is not None:
            scope += "; 只检查: " + clause_html(describe(dc.where.tree, words))
        expression = f'<span class="expr">表达式: <code>{esc(dc.key.text)}</code></span>'
        rows.append(
            [
                f"{esc(dc.label)}<br><code>{esc(dc.id)}</code>",
                f"{key}<br>{expression}",
                scope,
                citations(dc.citations),
            ]
        )
    head = ["检查", "不得重复的值", "范围", "依据"]
    return f'<h2 id="dataset-checks">跨记录检查</h2>{table(head, rows, cls="named")}'


def _sources(sources: Sequence[Source]) -> str:
    if not sources:
        return ""
    rows = []
    for s in sources:
        reliability = RELIABILITY_LABELS.get(s.reliability or "", s.reliability or "未注明")
        link = ""
        if s.url and s.url.startswith(("https://", "http://")):
            link = f'<a href="{esc(s.url)}">{esc(s.url)}</a>'
        elif s.url:
            link = esc(s.url)
        rows.append(
            [
                f'<span id="source-{esc(s.id)}">{source_line(s)}</span>',
                esc(reliability),
                f'<span class="small">{link}</span>',
                esc(s.note or ""),
            ]
        )
    intro = (
        f"<p>可信度: 官方文件最可靠; 新闻报道、第三方转载、译文和推断须核实原文。"
        f"{mark()} 表示文号、日期或内容{UNCONFIRMED}。</p>"
    )
    return f'<h2 id="sources">来源</h2>{intro}{table(["文件", "可信度", "网址", "说明"], rows)}'
