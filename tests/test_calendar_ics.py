"""iCalendar for real calendar apps: stable UIDs, deterministic stamps, reminders, valid lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules._yaml import read_yaml_text
from fupin_rules.calendar import (
    CST,
    Calendar,
    Deliverable,
    load_calendar,
    load_calendar_document,
    to_ics,
)
from fupin_rules.calendar.render import ALARM_HOUR, escape_text, fold_line, ics_text, uid

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"
CAL = load_calendar(PLAN)

CONTROLS = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
NASTY = "逗号,分号;反斜杠\\换行\n回车\r\n冒号:引号\"'<&>" + CONTROLS + "\ud800\udfff\ufffe"

TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "X-WR-CALNAME", "CATEGORIES", "UID", "RELATED-TO"}
CONTENT_LINE = re.compile(r'^([A-Z][A-Z0-9-]*)((?:;[A-Z0-9-]+=[^;:,"]*)*):(.*)$')
TEXT_VALUE = re.compile(r"^(?:[^\\;,]|\\[\\;,nN])*$")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def assert_valid_ics(text: str) -> list[dict[str, list[str]]]:
    """Check an iCalendar stream against RFC 5545's line and component rules; its VEVENTs.

    Physical lines end in CRLF and fit in 75 octets; no control character but tab anywhere;
    every unfolded line is ``NAME(;PARAM=VALUE)*:VALUE``; TEXT values use only the four escapes
    and no bare comma or semicolon; components nest and close; each VEVENT has one UID, DTSTAMP
    and DTSTART, each VALARM an ACTION, TRIGGER and DESCRIPTION; UIDs are unique.
    """
    raw = text.encode("utf-8")  # raises on an unpaired surrogate
    assert raw.endswith(b"\r\n")
    physical = text.split("\r\n")[:-1]
    lines: list[str] = []
    for line in physical:
        assert "\r" not in line
        assert "\n" not in line
        assert len(line.encode("utf-8")) <= 75, line
        assert not CONTROL.search(line), repr(line)
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[str] = []
    events: list[dict[str, list[str]]] = []
    props: list[dict[str, list[str]]] = []
    for line in lines:
        m = CONTENT_LINE.match(line)
        assert m is not None, line
        name, _, value = m.groups()
        if name == "BEGIN":
            stack.append(value)
            props.append({})
            continue
        if name == "END":
            assert stack.pop() == value
            done = props.pop()
            if value == "VEVENT":
                assert stack == ["VCALENDAR"]
                for key in ("UID", "DTSTAMP", "DTSTART"):
                    assert len(done.get(key, [])) == 1, (key, done)
                events.append(done)
            if value == "VALARM":
                assert stack[-1] == "VEVENT"
                assert {"ACTION", "TRIGGER", "DESCRIPTION"} <= set(done)
                for key, found in done.items():  # kept on the event as VALARM:<name>
                    props[-1].setdefault(f"VALARM:{key}", []).extend(found)
            continue
        assert stack, line
        if name in TEXT_PROPERTIES:
            assert TEXT_VALUE.match(value), (name, value)
        props[-1].setdefault(name, []).append(line)
    assert stack == []
    uids = [e["UID"][0] for e in events]
    assert len(uids) == len(set(uids))
    return events


def unescape(value: str) -> str:
    """A TEXT value as written before escaping."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def value_of(line: str) -> str:
    """The value of an unfolded content line."""
    return line.split(":", 1)[1]


def relabel(cal: Calendar, text: str) -> Calendar:
    """The calendar with every label, section, note and title replaced by ``text`` plus a mark."""

    def deliverable(d: Deliverable) -> Deliverable:
        return attrs.evolve(d, label=text + "成果", note=text)

    nodes = [
        attrs.evolve(
            n,
            label=text + n.id,
            section=text,
            note=text,
            deliverables=[deliverable(d) for d in n.deliverables],
        )
        for n in cal.nodes
    ]
    actions = {k: attrs.evolve(a, label=text + k) for k, a in cal.actions.items()}
    return attrs.evolve(cal, title=text, nodes=nodes, actions=actions)


# --- UIDs, SEQUENCE, DTSTAMP ------------------------------------------------------------------


def test_uids_come_from_the_calendar_id_and_item_ids() -> None:
    """Nodes are node-<id>@<calendar>.fupin-rules, deadlines deadline-<id>@...; no version."""
    events = assert_valid_ics(to_ics(CAL))
    uids = [value_of(e["UID"][0]) for e in events]
    domain = "@town.dynamic-management.fupin-rules"
    assert uids == [
        *(f"node-{n.id}{domain}" for n in CAL.nodes[:19]),
        f"deadline-problem_list{domain}",
        *(f"node-{n.id}{domain}" for n in CAL.nodes[19:]),
        f"deadline-summary_report{domain}",
    ]
    assert all("2018" not in u for u in uids)
    assert uid(CAL, "node", "training") == f"node-training{domain}"


def revised_text() -> str:
    """The 2018 plan as a revised plan: a new version, revision 1, moved dates, new labels."""
    text = PLAN.read_text(encoding="utf-8")
    text = text.replace('version: "2018"', 'version: "2018-r1"', 1)
    text = text.replace(
        "timezone: Asia/Shanghai",
        'timezone: Asia/Shanghai\nrevision:\n  number: 1\n  date: "2018-11-01"',
        1,
    )
    text = text.replace('due: "2018-12-12T18:00"', 'due: "2018-12-14T18:00"')
    return text.replace("label: 系统数据清洗完善\n", "label: 系统数据清洗完善 (修订)\n")


def test_a_revised_plan_updates_the_same_events() -> None:
    """A new version with new dates keeps every UID; SEQUENCE and DTSTAMP move forward."""
    revised = load_calendar_document(read_yaml_text(revised_text(), "revised.yaml"))
    assert (revised.revision, revised.revised) == (1, datetime(2018, 11, 1).date())
    old, new = assert_valid_ics(to_ics(CAL)), assert_valid_ics(to_ics(revised))
    assert [e["UID"] for e in old] == [e["UID"] for e in new]
    assert {value_of(e["SEQUENCE"][0]) for e in old} == {"0"}
    assert {value_of(e["SEQUENCE"][0]) for e in new} == {"1"}
    assert {value_of(e["DTSTAMP"][0]) for e in old} == {"20180930T000000Z"}
    assert {value_of(e["DTSTAMP"][0]) for e in new} == {"20181101T000000Z"}
    summary = next(e for e in new if "deadline-summary_report" in e["UID"][0])
    assert summary["DTSTART"] == ["DTSTART;TZID=Asia/Shanghai:20181214T180000"]


def test_a_deadline_keeps_its_uid_when_it_moves_to_another_node() -> None:
    """The deadline's UID names the deadline only, not the node it is under."""
    text = PLAN.read_text(encoding="utf-8")
    moved = text.replace(
        "    opens: [data_comparison]\n    exclusive: true\n    deliverables:\n"
        "      - id: problem_list\n",
        "    opens: [data_comparison]\n    exclusive: true\n    deliverables:\n"
        "      - id: problem_list_moved_away\n",
    )
    assert moved != text
    cal = load_calendar_document(read_yaml_text(moved, "m.yaml"))
    uids = {value_of(e["UID"][0]) for e in assert_valid_ics(to_ics(cal))}
    assert "deadline-problem_list_moved_away@town.dynamic-management.fupin-rules" in uids


def test_revision_in_the_schema() -> None:
    """``revision`` needs a number and a date; a negative number is refused by the schema."""
    from fupin_rules.errors import RuleFileError

    bad = revised_text().replace("number: 1", "number: -1")
    try:
        load_calendar_document(read_yaml_text(bad, "bad.yaml"))
    except RuleFileError as exc:
        assert [p.path for p in exc.problems] == ["revision.number"]
    else:
        raise AssertionError("a negative revision loaded")
    assert CAL.to_dict()["revision"] == {"number": 0, "date": None}


def test_byte_identical_across_processes() -> None:
    """Two fresh interpreters with different hash seeds write the same bytes (no clock read)."""
    code = (
        "import sys; from fupin_rules.calendar import load_calendar, to_ics; "
        f"sys.stdout.buffer.write(to_ics(load_calendar({str(PLAN)!r})).encode())"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outs[0] == outs[1] == to_ics(CAL).encode("utf-8")


# --- reminders ---------------------------------------------------------------------------------


def trigger_moment(event: dict[str, list[str]]) -> datetime:
    """When the event's reminder fires, in China time (an all-day start is 00:00 China time)."""
    (start_line,) = (v for k, v in event.items() if k.startswith("DTSTART"))
    name, value = start_line[0].split(":", 1)
    if "VALUE=DATE" in name:
        start = datetime.strptime(value, "%Y%m%d").replace(tzinfo=CST)
    else:
        start = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=CST)
    (trigger,) = event["VALARM:TRIGGER"]
    m = re.fullmatch(r"TRIGGER:-PT(\d+)H(?:(\d+)M)?", trigger)
    assert m is not None, trigger
    return start - timedelta(hours=int(m.group(1)), minutes=int(m.group(2) or 0))


def test_reminders_at_nine_the_day_before() -> None:
    """The all-day problem list (due 12-05) reminds at 12-04 09:00; the summary at 12-11 09:00."""
    events = {value_of(e["UID"][0]).split("@")[0]: e for e in assert_valid_ics(to_ics(CAL))}
    problem_list = events["deadline-problem_list"]
    assert problem_list["DTSTART"] == ["DTSTART;VALUE=DATE:20181205"]
    assert problem_list["VALARM:TRIGGER"] == ["TRIGGER:-PT15H"]
    assert trigger_moment(problem_list) == datetime(2018, 12, 4, 9, 0, tzinfo=CST)
    summary = events["deadline-summary_report"]
    assert trigger_moment(summary) == datetime(2018, 12, 11, 9, 0, tzinfo=CST)
    assert ALARM_HOUR == 9
    for name, e in events.items():
        assert ("VALARM:TRIGGER" in e) == name.startswith("deadline-")


# --- text of any kind ---------------------------------------------------------------------------


def test_escape_text() -> None:
    """Backslash, semicolon, comma and every newline escaped; controls dropped; surrogates replaced."""
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert escape_text("x\x00\x01\x0b\x1f\x7f\x85y\tz") == "xy\tz"
    assert escape_text("\ud800半\udfff") == "\ufffd半\ufffd"
    assert ics_text("a\r\nb") == "a\nb"


def test_nasty_labels_give_valid_ics() -> None:
    """Every control character, surrogates, commas, semicolons, backslashes: still valid, and the
    labels come back (cleaned) when the values are unescaped."""
    cal = relabel(CAL, NASTY)
    events = assert_valid_ics(to_ics(cal))
    clean = ics_text(NASTY)
    nodes = [e for e in events if value_of(e["UID"][0]).startswith("node-")]
    for n, e in zip(cal.nodes, nodes, strict=True):
        assert unescape(value_of(e["SUMMARY"][0])) == f"[{clean}] {clean}{n.id}"
        assert unescape(value_of(e["CATEGORIES"][0])) == clean


def test_odd_ids_give_valid_uids() -> None:
    """Ids built in code (not through the schema) are escaped in UIDs and RELATED-TO too."""
    node = attrs.evolve(CAL.nodes[0], id="a,b;c\\d\n", parent=None)
    cal = attrs.evolve(CAL, id="x;y,z", nodes=[node])
    (event,) = assert_valid_ics(to_ics(cal))
    assert unescape(value_of(event["UID"][0])) == "node-a,b;c\\d\n@x;y,z.fupin-rules"


label_text = st.text(max_size=80)  # any code point, surrogates and controls included


@given(label_text)
@settings(max_examples=150, deadline=None)
def test_any_label_gives_valid_ics(text: str) -> None:
    """Whatever the labels hold, the stream is valid RFC 5545 and the labels round-trip cleaned."""
    cal = relabel(CAL, text)
    events = assert_valid_ics(to_ics(cal))
    assert len(events) == len(CAL.nodes) + len(CAL.deliverables)
    first = events[0]
    assert unescape(value_of(first["SUMMARY"][0])) == ics_text(f"[{text}] {text}training")


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_fold_line_never_splits_a_character(text: str) -> None:
    """Folding any escaped text gives pieces of at most 75 octets that join back to the line."""
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold_line(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert pieces[0] + "".join(p[1:] for p in pieces[1:]) == line
    assert all(p.startswith(" ") for p in pieces[1:])


def test_alarm_hour_for_any_due() -> None:
    """For due times at every hour, the reminder is 09:00 China time of the day before the last
    day to hand in: the due's day, or for a due at 24:00 (00:00) the day that ends then."""
    for hour in [*range(1, 24), 24]:
        due = f"2018-12-12T{hour:02d}:00"
        text = PLAN.read_text(encoding="utf-8").replace('due: "2018-12-12T18:00"', f'due: "{due}"')
        cal = load_calendar_document(read_yaml_text(text, "h.yaml"))
        events = {value_of(e["UID"][0]): e for e in assert_valid_ics(to_ics(cal))}
        e = events["deadline-summary_report@town.dynamic-management.fupin-rules"]
        day = datetime(2018, 12, 12).date()
        expected = datetime.combine(day - timedelta(days=1), time(9), CST)
        assert trigger_moment(e) == expected, due
    midnight = PLAN.read_text(encoding="utf-8").replace(
        'due: "2018-12-12T18:00"', 'due: "2018-12-12T00:00"'
    )
    cal = load_calendar_document(read_yaml_text(midnight, "h.yaml"))
    events = {value_of(e["UID"][0]): e for e in assert_valid_ics(to_ics(cal))}
    e = events["deadline-summary_report@town.dynamic-management.fupin-rules"]
    assert e["DTSTART"] == ["DTSTART;VALUE=DATE:20181211"]  # 12-12 00:00: the end of 12-11
    assert trigger_moment(e) == datetime(2018, 12, 10, 9, 0, tzinfo=CST)


def test_a_deadline_naming_an_unknown_action_built_in_code_still_exports() -> None:
    """Objects built in code skip the file checks; the export and the check do not crash."""
    node = CAL.node("data_comparison")
    (d,) = node.deliverables
    odd = attrs.evolve(node, deliverables=[attrs.evolve(d, action="no_such_action")])
    cal = attrs.evolve(CAL, nodes=[odd if n.id == odd.id else n for n in CAL.nodes])
    events = assert_valid_ics(to_ics(cal))
    assert any("no_such_action" in unescape("".join(e["DESCRIPTION"])) for e in events)
    assert cal.check("problem_list", "2018-12-05T12:00").windows == ()
