"""Batches with broken events: every input event yields exactly one result, in order; a
broken one is ``invalid`` with its reasons and its place; the batch goes on."""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.events.check import EVENT_CHECK, EventChecker
from fupin_rules.io.jsonl import InputRecord, read_jsonl

from .conftest import ROOT
from .test_events_support import event, exit_event, record

BROKEN = [
    ("{not json", "不是有效的 JSON: 此处应有用双引号括起的键 (第 2 列)"),
    ("[1, 2]", "事项须是 JSON 对象, 得到 list"),
    (
        '{"event_id": "B1", "subject": {"kind": "household", "id": "H"}, "date": "2018-11-20"}',
        "缺少必填的键 'type'",
    ),
    (
        '{"event_id": "B2", "type": "household_leave", "subject": {"kind": "household", "id": "H"}, "date": "2018-11-20"}',
        "type: 应为 plan_adjustment、new_identification、return_to_poverty、member_increase、member_decrease、household_exit、village_inclusion、village_exit 之一, 实际是 'household_leave' (提示: 是否要写: household_exit)",
    ),
    (
        '{"event_id": "B3", "type": "household_exit", "subject": {"kind": "household", "id": "H"}, "date": "2018-02-30"}',
        "date: 不存在的日期 '2018-02-30'",
    ),
    (
        '{"event_id": "B4", "type": "household_exit", "subject": {"kind": "household", "id": "H"}, "date": "2018-11-20", "steps": [{"step": "assessment"}]}',
        "steps[0]: 须写 date (完成日期), 或 start 和 end (起止日期, 如公示期)",
    ),
    (
        '{"event_id": "B5", "type": "household_exit", "subject": {"kind": "household", "id": "H"}, "date": "2018-11-20", "steps": [{"step": "village_notice", "start": "2018-11-12", "end": "2018-11-06"}]}',
        "steps[0]: 结束 2018-11-06 不晚于开始 2018-11-12",
    ),
    (
        '{"event_id": "B6", "type": "household_exit", "subject": {"kind": "household", "id": "H"}, "date": "2014-11-20"}',
        '2014-11-20 没有施行中的「贫困户脱贫退出 ("双认定")」程序',
    ),
]


def _lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_broken_event_is_one_invalid_result_with_its_place(
    bundled: fr.Library, tmp_path: Path
) -> None:
    good = json.dumps(exit_event("2018-11-20", event_id="G1"), ensure_ascii=False)
    lines = [
        good,
        *(text for text, _ in BROKEN),
        "",
        json.dumps(exit_event("2018-11-20", event_id="G1")),
        good.replace("G1", "G2"),
    ]
    path = _lines(tmp_path, lines)
    results = EventChecker(bundled).check_all(read_jsonl(path))
    assert len(results) == len(lines) - 1  # the blank line is no event
    assert results[0].outcome == "pass"
    for (_, reason), result, number in zip(BROKEN, results[1:], range(2, 20), strict=False):
        assert result.outcome == "invalid"
        assert result.ruleset == EVENT_CHECK
        assert result.source == f"{path}:{number}"
        assert any(reason in r for r in result.reasons), result.reasons
    duplicate = results[-2]
    assert duplicate.outcome == "invalid"
    assert duplicate.reasons == (f"事项编号 G1 重复 (第一次在 {path}:1)",)
    # the same household's second exit finds the first one's mark
    second = results[-1]
    assert (second.record_id, second.outcome) == ("G2", "fail")
    assert second.finding("state").items[0].message == (
        "只有未脱贫 (含预脱贫、返贫) 的户才能脱贫退出: 此前脱贫标志为 已脱贫(享受政策) (据事项 G1)"
    )


def _items(events: list[Any]) -> list[InputRecord]:
    return [InputRecord(source=f"x:{i + 1}", record=e) for i, e in enumerate(events)]


@given(st.lists(st.sampled_from(range(len(BROKEN))), max_size=6), st.randoms(use_true_random=False))
def test_broken_events_anywhere_change_nothing_else(
    bundled: fr.Library, broken: list[int], rnd: Any
) -> None:
    """Broken events injected at random places: one result per item, the broken ones invalid,
    every good one with the result it has alone."""
    good = [
        exit_event("2018-11-20", event_id="G1"),
        event("member_increase", "2018-10-25", event_id="G2", subject="H2"),
        event("village_exit", "2018-11-30", event_id="G3", subject_kind="village", subject="V"),
    ]
    checker = EventChecker(bundled)
    alone = {e["event_id"]: checker.check_all(_items([e]))[0].outcome for e in good}
    batch: list[Any] = list(good)
    for n in broken:
        text = BROKEN[n][0]
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text  # an item the reader could not parse
        batch.insert(rnd.randrange(len(batch) + 1), value)
    items = [
        InputRecord(source=f"x:{i + 1}", error="不是有效的 JSON")
        if isinstance(v, str)
        else InputRecord(source=f"x:{i + 1}", record=v)
        for i, v in enumerate(batch)
    ]
    results = checker.check_all(items)
    assert len(results) == len(items)
    assert [r.source for r in results] == [i.source for i in items]
    outcomes = {r.record_id: r.outcome for r in results if r.record_id in alone}
    assert outcomes == alone
    assert sum(r.outcome == "invalid" for r in results) >= len(broken)


def test_output_is_byte_identical_whatever_the_hash_seed() -> None:
    """The same events give the same bytes here and in another interpreter with another hash
    seed."""
    sample = "examples/events/events-2018.jsonl"
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["events", "check", sample], out=out, err=err) == 0
    finally:
        os.chdir(cwd)
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "4242"
    argv = [sys.executable, "-m", "fupin_rules.cli", "events", "check", sample]
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(argv, capture_output=True, env=env, check=True, cwd=ROOT)
    assert done.stdout.decode("utf-8") == out.getvalue()
    assert out.getvalue().count("\n") == 12


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*path, i))
    return out


@given(st.data())
def test_any_value_anywhere_in_an_event_gives_one_result(
    bundled: fr.Library, data: st.DataObject
) -> None:
    """An event with any JSON value put at any place (the record, a step, a mark, a date)
    gives exactly one result and never an exception."""
    base = exit_event("2018-11-20", event_id="F1")
    base["changes"] = {
        "members_added": [{"name": "某", "increase_reason": "嫁入", "increase_date": "2018-09-01"}],
        "marks": {"planned_exit": True},
    }
    path = data.draw(st.sampled_from([p for p in _paths(base) if p]))
    parent = functools.reduce(lambda value, key: value[key], path[:-1], base)
    parent[path[-1]] = data.draw(_JSON)
    items = [
        InputRecord(source="f:1", record=base),
        InputRecord(source="f:2", record=exit_event("2018-11-21", event_id="F2")),
    ]
    results = EventChecker(bundled).check_all(items)
    assert [r.source for r in results] == ["f:1", "f:2"]
    assert json.loads(results[0].to_json())["source"] == "f:1"


def test_odd_values_in_a_record_are_reported_not_raised(bundled: fr.Library) -> None:
    """A mapping where a mark's text belongs, text where the members belong: the standard says
    the record is invalid; the state check compares without failing."""
    household = record("exits_2018")
    household["exit_status"] = {"code": "0"}
    household["members"] = "杨英光"
    result = EventChecker(bundled).check(exit_event("2018-11-20", record=household))
    assert result.outcome == "fail"
    assert result.finding("standard").outcome == "unknown"
    assert result.finding("state").outcome == "fail"
