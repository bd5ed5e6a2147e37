"""What auditors do: find the rules by fingerprint, judge each record on its own date, keep a
decision log, and verify stored results against the rules and the records."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import fupin_rules as fr
from fupin_rules._canonical import dumps
from fupin_rules.dated import DatedEvaluator, out_of_period
from fupin_rules.errors import NotFoundError, UsageError
from fupin_rules.io.decision_log import DecisionLog, read_log
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.verify import verify

from .conftest import ROOT

SAMPLE = [
    json.loads(line, parse_float=Decimal)
    for line in (ROOT / "examples" / "data" / "households.jsonl")
    .read_text("utf-8")
    .splitlines()[:40]
]


def _items(records: list[Any]) -> list[InputRecord]:
    return [InputRecord(source=f"in.jsonl:{i}", record=r) for i, r in enumerate(records, 1)]


def test_a_version_is_found_by_its_fingerprint(bundled: fr.Library) -> None:
    """The full fingerprint or a 12-digit prefix finds the version; an unknown one is an error
    naming it, never another version."""
    rs = bundled.get("gx.household.exit", version="2016")
    assert bundled.by_fingerprint(rs.fingerprint) is rs
    assert bundled.by_fingerprint(rs.fingerprint[7:19]) is rs
    got = bundled.get("gx.household.exit", fingerprint=rs.fingerprint, as_of="2017-11-20")
    assert (got.key, got.default_as_of) == (rs.key, "2017-11-20")
    gone = "sha256:" + "0" * 64
    with pytest.raises(NotFoundError, match=gone):
        bundled.by_fingerprint(gone)
    with pytest.raises(NotFoundError, match="不是所要的"):
        bundled.get("gx.village.exit", fingerprint=rs.fingerprint)
    with pytest.raises(UsageError, match="太短"):
        bundled.by_fingerprint("abc")


def test_each_record_is_judged_on_its_own_date(bundled: fr.Library) -> None:
    """A record dated 2017 is judged by the version in force then; one dated 2018 by the 2018
    version; the result's as_of is the record's date; a date outside every version, a bad
    date and a missing one make the record invalid, with the reason."""
    judge = DatedEvaluator(bundled, "gx.household.exit", "exit_date")
    old = judge.evaluate({**SAMPLE[0], "exit_date": "2017-11-30"})
    new = judge.evaluate({**SAMPLE[0], "exit_date": "2018-11-20T10:00"})
    assert old.as_of == "2017-11-30"
    assert old.ruleset == bundled.get("gx.household.exit", as_of="2017-11-30").key
    assert new.ruleset == bundled.get("gx.household.exit", as_of="2018-11-20").key
    assert old.ruleset != new.ruleset
    early = judge.evaluate({**SAMPLE[0], "exit_date": "2001-01-01"})
    assert early.outcome == "invalid"
    assert "不在任何版本的施行期内" in early.reasons[0]
    bad = judge.evaluate({**SAMPLE[0], "exit_date": "2018-02-30"})
    assert "不是有效日期" in bad.reasons[0]
    # Digits run on after the day: not a date, never read as its first ten characters.
    run_on = judge.evaluate({**SAMPLE[0], "exit_date": "2018-11-2099"})
    assert run_on.outcome == "invalid"
    assert "'2018-11-2099' 不是有效日期" in run_on.reasons[0]
    none = judge.evaluate(SAMPLE[0])
    assert "记录没有评估日期" in none.reasons[0]
    fallback = DatedEvaluator(bundled, "gx.household.exit", "exit_date", default="2018-11-20")
    assert fallback.evaluate(SAMPLE[0]).as_of == "2018-11-20"
    fixed = DatedEvaluator(
        bundled, "gx.household.exit", "exit_date", parameters={"income_line": "3535"}
    )
    assert fixed.evaluate({**SAMPLE[0], "exit_date": "2018-11-20"}).parameters == {
        "income_line": 3535
    }


def test_a_version_outside_its_period_is_said(bundled: fr.Library) -> None:
    """Evaluating a version on a day outside its period gives a warning text; inside, none."""
    rs = bundled.get("gx.household.exit", version="2016")
    assert out_of_period(rs, rs.effective_from) is None
    warning = out_of_period(rs, "2030-01-01")
    assert warning is not None
    assert rs.key in warning


def test_decision_log_lines_are_whole_and_read_back(bundled: fr.Library, tmp_path: Path) -> None:
    """Each decision is one whole line, appended; a second run appends after the first."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    path = tmp_path / "log" / "decisions.jsonl"
    for _ in range(2):
        with DecisionLog(path) as log:
            for record in SAMPLE[:5]:
                log.write(rs.evaluate(record))
    lines = list(read_log(path))
    assert len(lines) == 10
    for line in lines:
        back = fr.Result.from_json(line)
        assert back.fingerprint == rs.fingerprint
        assert back.input_digest is not None
        assert dict(back.outcomes)


@pytest.fixture
def stored(bundled: fr.Library) -> list[str]:
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    return [rs.evaluate(r, source=f"in.jsonl:{i}").to_json() for i, r in enumerate(SAMPLE, 1)]


def test_verify_says_identical_for_results_made_now(bundled: fr.Library, stored: list[str]) -> None:
    """Results produced now, full or brief, verify as identical against their input."""
    verdicts = list(verify(bundled, stored, _items(SAMPLE)))
    assert [v.status for v in verdicts] == ["identical"] * len(SAMPLE)
    brief = [fr.Result.from_json(s).to_json(findings=False) for s in stored]
    assert all(v.ok for v in verify(bundled, brief, _items(SAMPLE)))


def test_verify_names_each_tampered_part(bundled: fr.Library, stored: list[str]) -> None:
    """A changed outcome, a changed message, a changed input and a dropped line are each
    named where they are."""
    lines = list(stored)
    data = json.loads(lines[0], parse_float=Decimal)
    data["outcome"] = "pass" if data["outcome"] != "pass" else "fail"
    lines[0] = dumps(data)
    data = json.loads(lines[1], parse_float=Decimal)
    data["findings"][8]["message"] = "改过的说明"
    lines[1] = dumps(data)
    records = [dict(r) for r in SAMPLE]
    records[2]["household_size"] = records[2]["household_size"] + 1
    verdicts = list(verify(bundled, lines, _items(records)))
    assert verdicts[0].status == "differs"
    assert [d.path for d in verdicts[0].differences] == ["outcome"]
    assert verdicts[1].status == "differs"
    assert [d.path for d in verdicts[1].differences] == ["findings[8].message"]
    assert "改过的说明" in str(verdicts[1].differences[0])
    assert verdicts[2].status == "input_changed"
    assert all(v.ok for v in verdicts[3:])
    short = list(verify(bundled, lines[:-1], _items(records)))
    assert short[-1].status == "unpaired"
    garbled = list(verify(bundled, ["{not json"], _items(records[:1])))
    assert garbled[0].status == "unreadable"


def test_verify_says_when_the_rules_are_gone(
    bundled: fr.Library, stored: list[str], tmp_path: Path
) -> None:
    """After a rule file changes, its fingerprint is no longer in the library: verify says
    the rules are missing, and does not judge by the changed version."""
    src = ROOT / "standards"
    copy = tmp_path / "standards"
    shutil.copytree(src, copy)
    target = copy / "gx.household.exit" / "2018.yaml"
    text = target.read_text("utf-8")
    assert "label:" in text
    target.write_text(text.replace("label: ", "label: 改 ", 1), "utf-8")
    changed = fr.load_library(copy)
    verdicts = list(verify(changed, stored[:3], _items(SAMPLE[:3])))
    assert [v.status for v in verdicts] == ["rules_missing"] * 3
    assert "已不在规则库中" in verdicts[0].message


def test_verify_reruns_with_the_recorded_parameters(bundled: fr.Library) -> None:
    """A result made with a parameter fixed by the user verifies: the parameter is recorded."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20").with_parameters(
        {"income_line": "3535"}
    )
    lines = [rs.evaluate(r, source="x").to_json() for r in SAMPLE[:5]]
    assert all(v.ok for v in verify(bundled, lines, _items(SAMPLE[:5])))


# --------------------------------------------------------------------------- lasting fingerprints


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    standards, schemas = tmp_path / "standards", tmp_path / "schemas"
    shutil.copytree(ROOT / "standards", standards)
    shutil.copytree(ROOT / "schemas", schemas)
    return standards, schemas


def _fingerprints(standards: Path, schemas: Path) -> dict[str, str]:
    return {rs.key: rs.fingerprint for rs in fr.load_library(standards, schemas=schemas)}


def test_a_later_version_changes_no_fingerprint_and_ends_the_one_before(tmp_path: Path) -> None:
    standards, schemas = _copy(tmp_path)
    before = _fingerprints(standards, schemas)
    (standards / "gx.household.exit" / "2019.yaml").write_text(
        (ROOT / "standards" / "gx.household.exit" / "2018.yaml")
        .read_text("utf-8")
        .replace('version: "2018"', 'version: "2019"')
        .replace('extends: "2016"', 'extends: "2018"')
        .replace('from: "2018-09-30"', 'from: "2019-07-01"'),
        encoding="utf-8",
    )
    lib = fr.load_library(standards, schemas=schemas)
    after = {rs.key: rs.fingerprint for rs in lib}
    assert {k: after[k] for k in before} == before
    old = lib.get("gx.household.exit", version="2018")
    assert old.effective_until == "2019-06-30"
    assert lib.get("gx.household.exit", as_of="2019-06-30").version == "2018"
    assert lib.get("gx.household.exit", as_of="2019-07-01").version == "2019"
    assert lib.get("gx.household.exit", fingerprint=before["gx.household.exit@2018"]) == old


def test_a_version_inserted_between_two_leaves_both_as_they_were(tmp_path: Path) -> None:
    standards, schemas = _copy(tmp_path)
    before = _fingerprints(standards, schemas)
    folder = standards / "gx.household.exit"
    # A revision that changes nothing, between 2017 and 2018; 2018 now revises it, and 2017
    # ends where it starts.
    (folder / "2018a.yaml").write_text(
        'kind: ruleset\nid: gx.household.exit\nversion: "2018a"\nextends: "2017"\n'
        'title: 插入的版本\neffective:\n  from: "2018-03-01"\n'
        "sources:\n  - id: inserted\n    title: 未被任何指标引用的文件\n",
        encoding="utf-8",
    )
    text17 = (folder / "2017.yaml").read_text("utf-8").replace('  until: "2018-09-29"\n', "")
    (folder / "2017.yaml").write_text(text17, encoding="utf-8")
    text18 = (
        (folder / "2018.yaml").read_text("utf-8").replace('extends: "2017"', 'extends: "2018a"')
    )
    (folder / "2018.yaml").write_text(text18, encoding="utf-8")
    lib = fr.load_library(standards, schemas=schemas)
    after = {rs.key: rs.fingerprint for rs in lib}
    assert {k: after[k] for k in before} == before
    assert after["gx.household.exit@2018a"] not in before.values()
    assert lib.get("gx.household.exit", version="2017").effective_until == "2018-02-28"
    assert lib.get("gx.household.exit", version="2018a").effective_until == "2018-09-29"


def test_only_the_schema_fields_a_version_reads_are_in_its_fingerprint(tmp_path: Path) -> None:
    standards, schemas = _copy(tmp_path)
    before = _fingerprints(standards, schemas)
    path = schemas / "records" / "household.schema.json"
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"]["phone_number"] = {"type": "string", "title": "联系电话"}
    schema["title"] = "另一个标题"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    assert _fingerprints(standards, schemas) == before
    # A field 2018 reads, bounded differently: its fingerprint changes, and so does that of
    # every version reading the field; versions of other subjects stay.
    schema["properties"]["housing_area"]["maximum"] = 5000
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    after = _fingerprints(standards, schemas)
    readers = {
        rs.key
        for rs in fr.load_library(standards, schemas=schemas)
        if "housing_area" in rs.canonical["record_schema"]["reads"]
    }
    assert "gx.household.exit@2018" in readers
    for key, value in before.items():
        assert (after[key] != value) == (key in readers), key


def test_the_fingerprint_states_the_fields_it_reads(bundled: fr.Library) -> None:
    rs = bundled.get("gx.household.exit", version="2018")
    part = rs.canonical["record_schema"]
    assert part["subject"] == "household"
    assert "per_capita_net_income" in part["reads"]
    assert "household_id" in part["reads"]
    assert "head_name" not in part["reads"]
    assert set(part["schema"]["properties"]) == set(part["reads"])
    assert "effective" in rs.canonical
    assert set(rs.canonical["effective"]) == {"from"}
    assert "extends" not in rs.canonical
