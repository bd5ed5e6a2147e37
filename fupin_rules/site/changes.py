"""The page of what changed between two consecutive versions of a standard.

The changes are :func:`fupin_rules.compare.diff`'s; this page only sorts them for people:
first what changes the rules (thresholds and parameter values, criteria added or removed,
tests and conditions, severities, derived fields, the decision and the dates), then the edits
to wording and sources, which change no result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._canonical import dumps
from ..compare import GROUPS, Change, diff, field_word, group_of
from ..display import display
from ..model import RuleSet
from . import layout
from .html import SEVERITY_LABELS, clause_html, esc, href, mark, page, table
from .prose import ALWAYS, Words, describe, formula, unit_text
from .standards import period_text

__all__ = ["GROUPS", "changes_page", "group_of"]

_KIND_WORDS = {"criterion": "指标", "parameter": "参数", "derived": "派生字段", "ruleset": "版本"}


def _label(change: Change, a: RuleSet, b: RuleSet) -> str:
    rs = a if change.change == "removed" else b
    label = change.name
    if change.kind == "criterion":
        label = next((c.label for c in rs.criteria if c.id == change.name), change.name)
    elif change.kind == "parameter" and change.name in rs.parameters:
        label = rs.parameters[change.name].label
    elif change.kind == "derived":
        label = next((d.label for d in rs.derived if d.name == change.name), change.name)
    elif change.kind == "ruleset":
        return "本标准"
    return f"{_KIND_WORDS[change.kind]}「{esc(label)}」<br><code>{esc(change.name)}</code>"


def _plain(value: Any) -> str:
    if value is None:
        return '<span class="muted">(无)</span>'
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return esc(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "<br>".join(esc(v) for v in value) or '<span class="muted">(无)</span>'
    return f"<code>{esc(dumps(value))}</code>"


def _dated(values: Any, other: Any, unit: str) -> str:
    """Dated parameter values, the dates whose value differs from ``other``'s highlighted."""
    theirs = {v.get("from"): v for v in other or ()}
    items = []
    for v in values or ():
        mine = v.get("from")
        shown = "无已确认的值" if v.get("value") is None else esc(display(v["value"])) + unit
        text = f"{esc(mine)} 起: <b>{shown}</b> {mark(bool(v.get('unconfirmed')))}"
        differs = theirs.get(mine) != v
        items.append(f'<li class="{"changed" if differs else "muted"}">{text}</li>')
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="muted">(无)</span>'


def _expression(rs: RuleSet, text: Any, node: Any) -> str:
    if node is None:
        return _plain(text)
    words = clause_html(formula(node, Words.of(rs)), _anchor_base(rs))
    return f'{words}<br><span class="expr">表达式: <code>{esc(text)}</code></span>'


def _anchor_base(rs: RuleSet) -> str:
    """How a changes page links to the anchors of a version's page (a sibling file)."""
    return layout.version_page(rs.id, rs.version).rsplit("/", 1)[1]


def _tree(rs: RuleSet, change: Change) -> Any:
    """The checked tree of the changed expression in ``rs`` (None if it has none)."""
    if change.kind == "criterion":
        c = next((c for c in rs.criteria if c.id == change.name), None)
        expr = None if c is None else (c.test if change.field == "test" else c.applies_if)
        return None if expr is None else expr.tree
    if change.kind == "derived":
        d = next((d for d in rs.derived if d.name == change.name), None)
        return None if d is None else d.expr.tree
    if change.kind == "ruleset" and change.field == "applies_if":
        return None if rs.applies_if is None else rs.applies_if.tree
    return None


def _sides(change: Change, a: RuleSet, b: RuleSet) -> tuple[str, str]:
    """The before and after cells of a change."""
    field = change.field
    if change.change == "added":
        return '<span class="muted">(无)</span>', _whole(change, b)
    if change.change == "removed":
        return _whole(change, a), '<span class="muted">(无)</span>'
    if field in {"test", "applies_if", "expr"}:
        return (
            _expression(a, change.before, _tree(a, change)),
            _expression(b, change.after, _tree(b, change)),
        )
    if field == "unconfirmed":
        return _unconfirmed(change.before), _unconfirmed(change.after)
    if field == "severity":
        return SEVERITY_LABELS.get(change.before, ""), SEVERITY_LABELS.get(change.after, "")
    if field == "values":
        p = b.parameters.get(change.name) or a.parameters.get(change.name)
        unit = esc(unit_text(p.unit if p is not None else None))
        return _dated(change.before, change.after, unit), _dated(change.after, change.before, unit)
    if field == "effective":
        return _period(change.before), _period(change.after)
    if isinstance(change.before, Mapping) and isinstance(change.after, Mapping):
        keys = sorted(
            k
            for k in set(change.before) | set(change.after)
            if change.before.get(k) != change.after.get(k)
        )
        return (
            "<br>".join(f"{esc(k)}: {_plain(change.before.get(k))}" for k in keys),
            "<br>".join(f"{esc(k)}: {_plain(change.after.get(k))}" for k in keys),
        )
    return _plain(change.before), _plain(change.after)


def _unconfirmed(value: Any) -> str:
    return mark() if value else '<span class="muted">无此标记</span>'


def _period(value: Any) -> str:
    if not isinstance(value, Mapping):
        return _plain(value)
    text = esc(period_text(str(value.get("from")), value.get("until")))
    return f"{text} {mark(bool(value.get('unconfirmed')))}"


def _whole(change: Change, rs: RuleSet) -> str:
    """A criterion, parameter or derived field added or removed, as the version has it."""
    words = Words.of(rs)
    base = _anchor_base(rs)
    if change.kind == "criterion":
        c = next(c for c in rs.criteria if c.id == change.name)
        return f"{esc(SEVERITY_LABELS[c.severity])}; 检验: " + clause_html(
            describe(c.test.tree, words), base
        )
    if change.kind == "derived":
        d = next(d for d in rs.derived if d.name == change.name)
        return clause_html(formula(d.expr.tree, words), base)
    if change.kind == "parameter":
        p = rs.parameters[change.name]
        unit = esc(unit_text(p.unit))
        return "<br>".join(
            ("" if v.start == ALWAYS else f"{esc(v.start)} 起: ")
            + ("无已确认的值" if v.value is None else esc(display(v.value)) + unit)
            + " "
            + mark(v.unconfirmed)
            for v in p.values
        )
    return _plain(change.after if change.change == "added" else change.before)


def changes_page(a: RuleSet, b: RuleSet) -> str:
    """What changed from version ``a`` to version ``b`` of one standard."""
    changes = diff(a, b)
    grouped: dict[str, list[Change]] = {key: [] for key, _ in GROUPS}
    for change in changes:
        grouped[group_of(change)].append(change)
    path = layout.changes_page(b.id, a.version, b.version)
    up = "../" * layout.depth(path)
    link_a = href(up + layout.version_page(a.id, a.version))
    link_b = href(up + layout.version_page(b.id, b.version))
    rules = sum(len(v) for k, v in grouped.items() if k != "wording")
    body = [
        f'<p>从 <a href="{link_a}">{esc(a.version)} 版</a> ({esc(a.title)}) 到 '
        f'<a href="{link_b}">{esc(b.version)} 版</a> ({esc(b.title)}):'
        f" 规则的变化 {rules} 处, 措辞与依据的变化 {len(grouped['wording'])} 处。"
        " 规则的变化会改变评估结果; 措辞与依据的变化不改变结果。</p>"
    ]
    if not changes:
        body.append("<p>两个版本的规则完全相同。</p>")
    body.append('<h2 id="rules">规则的变化</h2>')
    if not rules:
        body.append('<p class="muted">没有规则的变化。</p>')
    for key, title in GROUPS:
        if key == "wording":
            body.append('<h2 id="wording">措辞与依据的变化</h2>')
        items = grouped[key]
        if not items:
            if key == "wording":
                body.append('<p class="muted">没有措辞与依据的变化。</p>')
            continue
        if key != "wording":
            body.append(f'<h3 id="{key}">{esc(title)} ({len(items)} 处)</h3>')
        body.append(_rows(items, a, b))
    title = f"{b.id}: {a.version} 版 → {b.version} 版的变化"
    crumbs = [(f"{a.id}@{a.version}", layout.version_page(a.id, a.version))]
    return page(title, "\n".join(body), depth=layout.depth(path), crumbs=crumbs)


def _rows(items: Sequence[Change], a: RuleSet, b: RuleSet) -> str:
    rows = []
    for change in items:
        what = {"added": "新增", "removed": "删除"}.get(change.change)
        if what is None:
            what = "修改" + field_word(change)
        before, after = _sides(change, a, b)
        rows.append(
            [
                _label(change, a, b),
                esc(what),
                before if change.change == "added" else f'<div class="before">{before}</div>',
                after if change.change == "removed" else f'<div class="after">{after}</div>',
            ]
        )
    head = ["项目", "变化", f"原 ({esc(a.version)} 版)", f"新 ({esc(b.version)} 版)"]
    return table(head, rows, cls="changes")
