"""Reading calendar files: shape (JSON Schema), then meaning; finding the bundled ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._canonical import fingerprint
from .._files import files_of_kind
from .._resources import bundled_standards_dir
from .._yaml import YamlDocument, read_yaml
from ..errors import NotFoundError, Problem, RuleFileError, UsageError
from ..model import Source
from ..schemas import document_problems
from .model import Action, Calendar, Deliverable, Node, similar
from .moments import parse_bound, parse_moment, show_bound

__all__ = ["bundled_calendars", "load_calendar", "load_calendar_document", "select_calendar"]

# ---------------------------------------------------------------------------------------------
# Loading


def load_calendar(path: str | Path) -> Calendar:
    """Read, check and load a calendar file. Raises :class:`RuleFileError` with every problem."""
    return load_calendar_document(read_yaml(path))


def load_calendar_document(doc: YamlDocument) -> Calendar:
    """Check and load a calendar from an already read YAML document.

    Problems of shape (JSON Schema) are reported first, all together; if the shape is right,
    every problem of meaning (impossible times, empty windows, unknown or duplicate ids,
    parent cycles) is reported together. Nothing is half-loaded.
    """
    problems = document_problems(doc, "calendar.schema.json")
    if problems:
        raise RuleFileError(problems)
    problems = _semantic_problems(doc)
    if problems:
        raise RuleFileError(problems)
    return _build(doc)


def _build(doc: YamlDocument) -> Calendar:
    data: dict[str, Any] = doc.data
    actions = {
        k: Action(id=k, label=v["label"], description=v.get("description"))
        for k, v in data["actions"].items()
    }
    nodes = []
    for i, raw in enumerate(data["nodes"]):
        start = parse_bound(raw["start"], end=False)
        end = parse_bound(raw["end"], end=True)
        assert start is not None  # checked by _semantic_problems
        assert end is not None
        deliverables = []
        for d in raw.get("deliverables", []):
            due = parse_bound(d["due"], end=True)
            assert due is not None
            deliverables.append(
                Deliverable(
                    id=d["id"],
                    label=d["label"],
                    due=due,
                    due_text=d["due"],
                    node_id=raw["id"],
                    unconfirmed=d.get("unconfirmed", False),
                    note=d.get("note"),
                    action=d.get("action"),
                )
            )
        nodes.append(
            Node(
                id=raw["id"],
                label=raw["label"],
                section=raw["section"],
                start=start,
                end=end,
                start_text=raw["start"],
                end_text=raw["end"],
                index=i,
                parent=raw.get("parent"),
                opens=tuple(raw.get("opens", ())),
                deliverables=tuple(deliverables),
                after=tuple(raw.get("after", ())),
                reports_on=tuple(raw.get("reports_on", ())),
                exclusive=raw.get("exclusive", False),
                no_overlap_with=tuple(raw.get("no_overlap_with", ())),
                unconfirmed=raw.get("unconfirmed", False),
                note=raw.get("note"),
            )
        )
    effective = data["effective"]
    revision = data.get("revision", {})
    sources = tuple(
        Source(
            id=s["id"],
            title=s["title"],
            number=s.get("number"),
            issuer=s.get("issuer"),
            date=s.get("date"),
            reliability=s.get("reliability"),
            unconfirmed=s.get("unconfirmed", False),
            note=s.get("note"),
        )
        for s in data["sources"]
    )
    return Calendar(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        effective_from=date.fromisoformat(effective["from"]),
        effective_until=(date.fromisoformat(effective["until"]) if "until" in effective else None),
        timezone=data["timezone"],
        sources=sources,
        actions=MappingProxyType(actions),
        nodes=tuple(nodes),
        fingerprint=fingerprint(data),
        source_file=doc.file,
        positions=doc.marks,
        revision=revision.get("number", 0),
        revised=date.fromisoformat(revision["date"]) if "date" in revision else None,
    )


# ---------------------------------------------------------------------------------------------
# Checking a file: shape (JSON Schema), then meaning


_TYPE_CN = {
    "object": "映射 (键: 值)",
    "array": "列表",
    "string": "文本",
    "boolean": "true 或 false",
    "integer": "整数",
    "number": "数字",
    "null": "空值",
}


_BAD_TIME_HINT = (
    "写成 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM; 日期须真实存在, 小时 00-23 (或 24:00), 分钟 00-59"
)


def _semantic_problems(doc: YamlDocument) -> list[Problem]:
    """Problems of meaning in a calendar whose shape is right; every one of them."""
    data: dict[str, Any] = doc.data
    out: list[Problem] = []
    eff = data["effective"]
    if "until" in eff and eff["until"] < eff["from"]:
        out.append(
            doc.problem(
                ("effective", "until"),
                f"施行结束日 {eff['until']} 早于施行日期 {eff['from']}",
                code="calendar.bad-effective",
            )
        )
    nodes: list[dict[str, Any]] = data["nodes"]
    ids: dict[str, int] = {}
    deliverable_ids: dict[str, tuple[int, int]] = {}
    for i, raw in enumerate(nodes):
        if raw["id"] in ids:
            first = doc.locate(("nodes", ids[raw["id"]], "id"))[0]
            out.append(
                doc.problem(
                    ("nodes", i, "id"),
                    f"节点编号 {raw['id']!r} 重复 (第一次出现在第 {first} 行)",
                    code="calendar.duplicate-id",
                )
            )
        else:
            ids[raw["id"]] = i
        start = parse_bound(raw["start"], end=False)
        end = parse_bound(raw["end"], end=True)
        for key, value in (("start", start), ("end", end)):
            if value is None:
                out.append(
                    doc.problem(
                        ("nodes", i, key),
                        f"不存在的时间 {raw[key]!r}",
                        hint=_BAD_TIME_HINT,
                        code="calendar.bad-time",
                    )
                )
        if start is not None and end is not None and start >= end:
            out.append(
                doc.problem(
                    ("nodes", i, "end"),
                    f"结束 {show_bound(raw['end'])} 不晚于开始"
                    f" {show_bound(raw['start'])}: 时段为空",
                    hint="只写日期的结束表示该日 24 时; 带时刻的结束表示到该时刻为止",
                    code="calendar.empty-window",
                )
            )
        for k, d in enumerate(raw.get("deliverables", [])):
            if parse_bound(d["due"], end=True) is None:
                out.append(
                    doc.problem(
                        ("nodes", i, "deliverables", k, "due"),
                        f"不存在的时间 {d['due']!r}",
                        hint=_BAD_TIME_HINT,
                        code="calendar.bad-time",
                    )
                )
            if d["id"] in deliverable_ids:
                fi, fk = deliverable_ids[d["id"]]
                first = doc.locate(("nodes", fi, "deliverables", fk, "id"))[0]
                out.append(
                    doc.problem(
                        ("nodes", i, "deliverables", k, "id"),
                        f"成果编号 {d['id']!r} 重复 (第一次出现在第 {first} 行)",
                        code="calendar.duplicate-id",
                    )
                )
            else:
                deliverable_ids[d["id"]] = (i, k)
    actions = list(data["actions"])
    known = list(ids)
    out += _deadline_problems(doc, nodes, actions)
    for i, raw in enumerate(nodes):
        parent = raw.get("parent")
        if parent is not None:
            if parent == raw["id"]:
                out.append(
                    doc.problem(
                        ("nodes", i, "parent"), "节点不能以自己为上级", code="calendar.cycle"
                    )
                )
            elif parent not in ids:
                out.append(_unknown(doc, ("nodes", i, "parent"), parent, known, "上级节点"))
            elif _parent_cycle(nodes, ids, i):
                out.append(
                    doc.problem(
                        ("nodes", i, "parent"),
                        f"上级关系形成循环 ({raw['id']} -> {parent} -> ... -> {raw['id']})",
                        code="calendar.cycle",
                    )
                )
        for field in ("after", "reports_on", "no_overlap_with"):
            for j, ref in enumerate(raw.get(field, [])):
                if ref == raw["id"]:
                    out.append(
                        doc.problem(
                            ("nodes", i, field, j),
                            f"节点不能引用自己 ({field})",
                            code="calendar.self-reference",
                        )
                    )
                elif ref not in ids:
                    out.append(_unknown(doc, ("nodes", i, field, j), ref, known, "节点"))
        for j, act in enumerate(raw.get("opens", [])):
            if act not in data["actions"]:
                close = similar(act, actions)
                out.append(
                    doc.problem(
                        ("nodes", i, "opens", j),
                        f"未定义的工作事项 {act!r}",
                        hint=("是否要写: " + ", ".join(close))
                        if close
                        else "请先在 actions 中定义",
                        code="calendar.unknown-action",
                    )
                )
    return sorted(out, key=Problem.sort_key)


def _deadline_problems(
    doc: YamlDocument, nodes: list[dict[str, Any]], actions: list[str]
) -> list[Problem]:
    """A deliverable's ``action`` names a known action, at most one deliverable per action, and
    no deliverable shares its id with an action it does not hand in (``check`` takes both)."""
    out: list[Problem] = []
    handed_in: dict[str, tuple[int, int]] = {}
    for i, raw in enumerate(nodes):
        for k, d in enumerate(raw.get("deliverables", [])):
            act = d.get("action")
            path = ("nodes", i, "deliverables", k)
            if act is not None and act not in actions:
                close = similar(act, actions)
                out.append(
                    doc.problem(
                        (*path, "action"),
                        f"未定义的工作事项 {act!r}",
                        hint=("是否要写: " + ", ".join(close))
                        if close
                        else "请先在 actions 中定义",
                        code="calendar.unknown-action",
                    )
                )
            elif act is not None and act in handed_in:
                fi, fk = handed_in[act]
                first = doc.locate(("nodes", fi, "deliverables", fk, "action"))[0]
                out.append(
                    doc.problem(
                        (*path, "action"),
                        f"工作事项 {act!r} 已有截止时间 (第 {first} 行的成果"
                        f" {nodes[fi]['deliverables'][fk]['id']!r}); 一项工作只能有一个截止时间",
                        hint="分两次上报的, 请定义两个工作事项",
                        code="calendar.duplicate-deadline",
                    )
                )
            elif act is not None:
                handed_in[act] = (i, k)
            if d["id"] in actions and act != d["id"]:
                out.append(
                    doc.problem(
                        (*path, "id"),
                        f"成果编号 {d['id']!r} 与工作事项同名, 但不是提交该事项的成果",
                        hint=f"写 action: {d['id']}, 或给成果改名",
                        code="calendar.ambiguous-name",
                    )
                )
    return out


def _unknown(
    doc: YamlDocument, path: tuple[str | int, ...], ref: str, known: list[str], what: str
) -> Problem:
    close = similar(ref, known)
    return doc.problem(
        path,
        f"未定义的{what} {ref!r}",
        hint=("是否要写: " + ", ".join(close)) if close else None,
        code="calendar.unknown-node",
    )


def _parent_cycle(nodes: list[dict[str, Any]], ids: dict[str, int], i: int) -> bool:
    seen = {i}
    current = nodes[i].get("parent")
    while current is not None and current in ids:
        j = ids[current]
        if j == i:
            return True
        if j in seen:
            return False
        seen.add(j)
        current = nodes[j].get("parent")
    return False


# ---------------------------------------------------------------------------------------------
# Finding bundled calendars


def bundled_calendars(root: str | Path | None = None) -> tuple[Calendar, ...]:
    """Every calendar file (``kind: calendar``) under ``root`` (default: the bundled standards).

    Files are found by a top-level ``kind: calendar`` line, so other rule files are not parsed
    here; a calendar file that is broken raises :class:`RuleFileError` (fail closed). Ordered by
    id, then effective date, then version.
    """
    base = Path(root) if root is not None else bundled_standards_dir()
    found = [load_calendar(path) for path in files_of_kind(base, "calendar")]
    found.sort(key=lambda c: (c.id, c.effective_from or date.min, c.version))
    return tuple(found)


def select_calendar(
    calendars: Sequence[Calendar],
    *,
    calendar_id: str | None = None,
    version: str | None = None,
    as_of: date | datetime | str | None = None,
) -> Calendar:
    """Pick one calendar: by id and version, or the one in force on ``as_of``.

    ``calendar_id`` may be written ``ID@VERSION``. Without a version, the calendar of that id in
    force on ``as_of`` is chosen (or the only one of that id). Without an id, the only calendar
    in force on ``as_of``. Raises :class:`NotFoundError` or :class:`UsageError` when that is not
    exactly one calendar.
    """
    if calendar_id and "@" in calendar_id:
        calendar_id, version = calendar_id.split("@", 1)
    day = None if as_of is None else parse_moment(as_of).date()
    pool = list(calendars)
    if calendar_id:
        pool = [c for c in pool if c.id == calendar_id]
        if not pool:
            raise NotFoundError(
                f"没有日历 {calendar_id!r}",
                suggestions=similar(calendar_id, sorted({c.id for c in calendars})),
            )
    if version:
        pool = [c for c in pool if c.version == version]
        if not pool:
            msg = f"日历 {calendar_id or ''} 没有版本 {version!r}"
            raise NotFoundError(msg)
    if len(pool) > 1 and day is not None:
        pool = [c for c in pool if c.in_force(day)]
        if not pool:
            msg = f"{day.isoformat()} 没有施行中的日历"
            raise NotFoundError(msg)
    elif len(pool) == 1 and day is not None and not version and not pool[0].in_force(day):
        c = pool[0]
        msg = f"{day.isoformat()} 没有施行中的日历 ({c.id}@{c.version} 的有效期为 {_span(c)})"
        raise NotFoundError(msg)
    if not pool:
        msg = "没有找到任何日历"
        raise NotFoundError(msg)
    if len(pool) > 1:
        names = ", ".join(f"{c.id}@{c.version}" for c in pool)
        msg = f"有多个日历可选 ({names}); 请用 --calendar ID@版本 指定"
        raise UsageError(msg)
    return pool[0]


def _span(c: Calendar) -> str:
    start = c.effective_from.isoformat() if c.effective_from else "…"
    end = c.effective_until.isoformat() if c.effective_until else "至今"
    return f"{start} 至 {end}"
