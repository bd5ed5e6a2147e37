"""Calendar exports (iCalendar, SVG), the command, and hypothesis properties of the queries."""

from __future__ import annotations

import argparse
import io
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.calendar import (
    CST,
    Calendar,
    add_calendar_arguments,
    load_calendar,
    run_calendar_command,
    to_ics,
    to_svg,
)
from fupin_rules.calendar.render import fold_line

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"
CAL = load_calendar(PLAN)
SVG = "{http://www.w3.org/2000/svg}"

moments = st.datetimes(min_value=datetime(2018, 9, 1), max_value=datetime(2019, 1, 31)).map(
    lambda d: d.replace(tzinfo=CST)
)


# --- a small iCalendar reader, for the round trip --------------------------------------------


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar stream, continuation lines joined."""
    assert "\n" not in text.replace("\r\n", "")
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def parse_ics(text: str) -> list[dict[str, str]]:
    """The VEVENTs as {name (with parameters): value}, values unescaped."""
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    depth = 0
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current, depth = {}, 0
            continue
        if line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
            continue
        if current is None:
            continue
        if line.startswith("BEGIN:"):
            depth += 1
        elif line.startswith("END:"):
            depth -= 1
        elif depth == 0:
            name, _, value = line.partition(":")
            current[name] = (
                value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
            ).replace("\\\\", "\\")
    return events


def ics_instant(name: str, value: str, *, end: bool = False) -> datetime:
    """An instant from a DTSTART/DTEND property (all-day dates are 00:00 China time)."""
    if "VALUE=DATE" in name:
        return datetime.strptime(value, "%Y%m%d").replace(tzinfo=CST)
    assert "TZID=Asia/Shanghai" in name
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=CST)


def test_ics_round_trip_keeps_every_node() -> None:
    """Every node comes back with its UID, section, label and exact window."""
    events = parse_ics(to_ics(CAL))
    by_uid = {e["UID"]: e for e in events}
    domain = "town.dynamic-management.fupin-rules"
    for n in CAL.nodes:
        e = by_uid[f"node-{n.id}@{domain}"]
        assert e["SUMMARY"] == f"[{n.section}] {n.label}"
        (start_key,) = (k for k in e if k.startswith("DTSTART"))
        (end_key,) = (k for k in e if k.startswith("DTEND"))
        assert ics_instant(start_key, e[start_key]) == n.start
        assert ics_instant(end_key, e[end_key]) == n.end
        assert e["DTSTAMP"] == "20180930T000000Z"
    summary = by_uid[f"deadline-summary_report@{domain}"]
    assert summary["DTSTART;TZID=Asia/Shanghai"] == "20181212T180000"
    assert len(events) == len(CAL.nodes) + 2  # two deliverables
    cleaning = by_uid[f"node-data_cleaning@{domain}"]
    assert cleaning["DTEND;TZID=Asia/Shanghai"] == "20181215T100000"


def test_ics_lines() -> None:
    """CRLF everywhere, no line over 75 octets, never a character cut in half."""
    text = to_ics(CAL)
    assert text.endswith("END:VCALENDAR\r\n")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    assert text.encode("utf-8").decode("utf-8") == text


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=300))
@settings(max_examples=200, deadline=None)
def test_fold_line_round_trips(text: str) -> None:
    """Folding then unfolding gives the line back; every piece fits in 75 octets."""
    folded = fold_line("X:" + text)
    assert unfold(folded + "\r\n") == ["X:" + text]
    assert all(len(p.encode("utf-8")) <= 75 for p in folded.split("\r\n"))


def test_exports_are_deterministic() -> None:
    """Two loads give byte-identical iCalendar and SVG."""
    other = load_calendar(PLAN)
    assert to_ics(other).encode() == to_ics(CAL).encode()
    assert to_svg(other, today="2018-11-20") == to_svg(CAL, today="2018-11-20")
    assert to_svg(other) == to_svg(CAL)


def test_svg() -> None:
    """The SVG is well-formed, has a bar per node, deadline marks, today, and CJK fonts."""
    svg = to_svg(CAL, today="2018-11-20")
    root = ET.fromstring(svg.encode("utf-8"))
    family = root.get("font-family") or ""
    for font in ("Noto Sans CJK SC", "Microsoft YaHei", "sans-serif"):
        assert font in family
    groups = [g.get("id") for g in root.iter(f"{SVG}g")]
    assert groups == [f"node-{n.id}" for n in CAL.nodes]
    assert len(list(root.iter(f"{SVG}polygon"))) == 2
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "今天 2018-11-20" in texts
    assert '二(二)5(1) 贫困户脱贫摘帽"双认定"' in texts
    assert "今天" not in to_svg(CAL)


# --- hypothesis properties of the queries -----------------------------------------------------


@given(moments)
@settings(max_examples=300, deadline=None)
def test_in_window_iff_between_ends(moment: datetime) -> None:
    """A moment is in a node's window iff start <= moment < end; check agrees with windows."""
    opened = {n.id for n in CAL.open_at(moment).nodes}
    for n in CAL.nodes:
        assert (n.id in opened) == (n.start <= moment < n.end)
    for action in CAL.actions:
        result = CAL.check(action, moment)
        deadline = CAL.deadline_of(action)
        if deadline is not None:  # handing in a deliverable: any time before its due instant
            assert result.ok == (moment < deadline.due)
            assert result.status in {"ok", "late"}
            continue
        inside = any(w.start <= moment < w.end for w in CAL.windows(action))
        assert result.ok == inside
        if result.early:
            assert all(moment < w.start for w in result.windows)
        if result.late:
            assert all(moment >= w.end for w in result.windows)


@given(moments, st.integers(min_value=0, max_value=120))
@settings(max_examples=200, deadline=None)
def test_due_within_sorted_and_not_before_start(moment: datetime, days: int) -> None:
    """due_within is in order, never before the start date, never past start + days."""
    start = moment.date()
    items = CAL.due_within(start, days)
    begin = datetime(start.year, start.month, start.day, tzinfo=CST)
    dues = [i.due for i in items]
    assert dues == sorted(dues)
    assert all(begin < d <= begin + timedelta(days=days) for d in dues)
    every = [n.end for n in CAL.nodes] + [d.due for n in CAL.nodes for d in n.deliverables]
    assert len(items) == sum(begin < d <= begin + timedelta(days=days) for d in every)


@given(moments, st.sampled_from(["UTC", "-05:00", "+05:30", "+09:00"]))
@settings(max_examples=100, deadline=None)
def test_zone_of_the_moment_does_not_matter(moment: datetime, zone: str) -> None:
    """The same instant written in any zone gives the same answer."""
    from datetime import UTC, timezone

    tz = (
        UTC
        if zone == "UTC"
        else timezone(
            (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:]))
        )
    )
    other = moment.astimezone(tz)
    assert CAL.open_at(other) == CAL.open_at(moment)


# --- the command ---------------------------------------------------------------------------------


def run(*argv: str, today: date | None = None) -> tuple[int, str]:
    """Run the calendar command with the given arguments; exit code and output."""
    parser = argparse.ArgumentParser(prog="fupin-rules calendar")
    add_calendar_arguments(parser)
    args = parser.parse_args(argv)
    out = io.StringIO()
    code = run_calendar_command(args, out, today=today)
    return code, out.getvalue()


def test_command_on() -> None:
    """--on lists the open nodes and actions in Chinese."""
    code, text = run("--on", "2018-11-26T09:00")
    assert code == 0
    assert "二(四)2 2018年度脱贫摘帽贫困户和贫困村" in text
    assert "系统中脱贫摘帽标注 (exit_marking)" in text


def test_command_check_exit_codes() -> None:
    """--check exits 0 in the window and 1 outside it, with the explanation."""
    code, text = run("--check", "household_exit_certification", "--at", "2018-11-27T10:00")
    assert code == 1
    assert text.startswith('[逾期] 贫困户脱贫摘帽"双认定"应在 2018-11-05 至 2018-11-25 之间')
    assert "依据: 方案 二(二)5(1)" in text
    code, text = run("--check", "data_cleaning", "--at", "2018-12-15T09:59", "--json")
    assert code == 0
    assert json.loads(text)["status"] == "ok"


def test_command_due_within_without_from_says_so() -> None:
    """Without --from the given today is used, and the output says so."""
    code, text = run("--due-within", "3", today=date(2018, 12, 11))
    assert code == 0
    assert text.splitlines()[0] == "(未给出 --from, 按今天 2018-12-11 计算)"
    assert "2018-12-12 18:00  [成果] 二(六)" in text
    code, text = run("--due-within", "3", "--from", "2018-12-11", "--json")
    assert [i["id"] for i in json.loads(text)][:2] == ["summary_report", "rectification"]


def test_command_lint_and_exports(tmp_path: Path) -> None:
    """--lint exits 1 on the 2018 plan; --ics and --svg write files."""
    code, text = run("--lint", "--calendar", "town.dynamic-management@2018")
    assert code == 1
    assert text.rstrip().endswith("town.dynamic-management@2018: 发现 4 处不一致")
    ics, svg = tmp_path / "plan.ics", tmp_path / "plan.svg"
    assert run("--ics", str(ics), "--file", str(PLAN))[0] == 0
    assert ics.read_bytes() == to_ics(CAL).encode("utf-8")
    assert run("--svg", str(svg), "--today", "2018-11-20")[0] == 0
    assert svg.read_text(encoding="utf-8") == to_svg(CAL, today="2018-11-20")


def test_command_needs_at() -> None:
    """--check without --at is a usage error."""
    from fupin_rules.errors import UsageError

    with pytest.raises(UsageError, match="--at"):
        run("--check", "training")


def test_calendar_type() -> None:
    """The module-level calendar is a Calendar (guards the fixtures above)."""
    assert isinstance(CAL, Calendar)


def test_wired_into_the_cli() -> None:
    """``fupin-rules calendar`` runs through the main command, exit 1 when out of window."""
    from fupin_rules.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = ["calendar", "--check", "exit_marking", "--at", "2018-12-01T00:00"]
    assert main(argv, out=out, err=err) == 1
    assert out.getvalue().startswith("[逾期] 系统中脱贫摘帽标注应在 2018-11-26 至 2018-11-30 24:00")
    out = io.StringIO()
    assert main(["calendar", "--on", "2019-06-01"], out=out, err=err) == 2
    assert "2019-06-01 没有施行中的日历" in err.getvalue()
    # The rule directory is --rules, as for every other command (--standards: the old name).
    shown = []
    for option in ("--rules", "--standards"):
        out = io.StringIO()
        argv = ["calendar", option, str(ROOT / "standards"), "--on", "2018-11-20T09:00"]
        assert main(argv, out=out, err=err) == 0
        shown.append(out.getvalue())
    assert shown[0] == shown[1]
    assert "开放的节点" in shown[0]
    out = io.StringIO()
    argv = [
        "calendar",
        "--rules",
        str(ROOT / "standards" / "gx.household.exit"),
        "--on",
        "2018-11-20",
    ]
    assert main(argv, out=out, err=err) == 2


# --- random calendars ----------------------------------------------------------------------------

labels = st.text(
    alphabet=st.sampled_from(list('扶贫动态管理村户,;:\\ab 12(一)“”"')), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t.strip() != "")


@st.composite
def random_calendars(draw: st.DrawFn) -> str:
    """YAML text of a valid calendar with random windows, some with hours, and odd labels."""
    count = draw(st.integers(min_value=1, max_value=6))
    nodes = []
    for i in range(count):
        day = date(2018, 9, 1) + timedelta(days=draw(st.integers(0, 100)))
        length = draw(st.integers(0, 30))
        start = day.isoformat()
        if draw(st.booleans()):
            start += f"T{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
        end_day = day + timedelta(days=length)
        end = end_day.isoformat()
        kind = draw(st.sampled_from(["date", "24", "hour"]))
        if kind == "24":
            end += "T24:00"
        elif kind == "hour":
            end = (end_day + timedelta(days=1)).isoformat() + f"T{draw(st.integers(0, 23)):02d}:00"
        label = draw(labels)
        nodes.append(
            f"  - id: n{i}\n    label: {json.dumps(label, ensure_ascii=False)}\n"
            f"    section: 二({'一二三四五六'[i]})\n"
            f'    start: "{start}"\n    end: "{end}"\n    opens: [work]\n'
        )
    return (
        'kind: calendar\nid: test.random\nversion: "1"\ntitle: 随机\n'
        'effective:\n  from: "2018-09-01"\ntimezone: Asia/Shanghai\n'
        "sources:\n  - id: s\n    title: 测试\nactions:\n  work:\n    label: 工作\nnodes:\n"
        + "".join(nodes)
    )


@given(random_calendars(), moments)
@settings(max_examples=120, deadline=None)
def test_random_calendar_round_trip(text: str, moment: datetime) -> None:
    """For any calendar: the iCalendar export keeps every node and window, and check agrees."""
    from fupin_rules._yaml import read_yaml_text
    from fupin_rules.calendar import load_calendar_document

    cal = load_calendar_document(read_yaml_text(text, "random.yaml"))
    events = {e["UID"]: e for e in parse_ics(to_ics(cal))}
    assert len(events) == len(cal.nodes)
    for n in cal.nodes:
        e = events[f"node-{n.id}@test.random.fupin-rules"]
        assert e["SUMMARY"] == f"[{n.section}] {n.label}"
        (start_key,) = (k for k in e if k.startswith("DTSTART"))
        (end_key,) = (k for k in e if k.startswith("DTEND"))
        assert ics_instant(start_key, e[start_key]) == n.start
        assert ics_instant(end_key, e[end_key]) == n.end
    inside = any(n.start <= moment < n.end for n in cal.nodes)
    assert cal.check("work", moment).ok == inside
    assert to_ics(cal) == to_ics(cal)
    ET.fromstring(to_svg(cal, today=moment).encode("utf-8"))
