"""Structural checks of the bundled standards, code lists and record schemas.

These checks read the files directly (safe YAML reader + JSON Schema), independent of the
engine, so that a policy officer's edit that breaks the contract is caught with a plain message:
every file validates, every criterion of every version has a passing and a failing example,
every source reference resolves, every coded field names an existing code list, example
records only use declared fields, and two versions of one standard are never in force together.
The last test runs the embedded examples through the engine (``fupin-rules test``).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fupin_rules._yaml import read_yaml

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = ROOT / "standards"
SCHEMAS = ROOT / "schemas"
RULESET_DIRS = sorted(p for p in STANDARDS.glob("gx.*") if p.is_dir())
RULESET_FILES = sorted(f for d in RULESET_DIRS for f in d.glob("*.yaml"))
CODELIST_FILES = sorted((STANDARDS / "codes").glob("*.yaml"))
RECORD_SCHEMAS = sorted((SCHEMAS / "records").glob("*.schema.json"))

EXPECTED_STANDARDS = {
    "gx.household.exit": {"2016", "2017", "2018"},
    "gx.village.exit": {"2016", "2017", "2018"},
    "gx.county.exit": {"2016", "2017"},
    "gx.household.identification": {"2017"},
}
EXPECTED_CODELISTS = {
    "household_attribute", "poverty_cause", "exit_status", "relation_to_head", "education",
    "school_status", "health_status", "labour_skill", "work_status", "member_increase_reason",
    "member_decrease_reason", "housing_structure", "water_source",
}  # fmt: skip
DICT_METHODS = set(dir(dict))


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _load(path: Path) -> Any:
    return read_yaml(path).data


RULESETS: dict[tuple[str, str], dict[str, Any]] = {}
for _f in RULESET_FILES:
    _d = _load(_f)
    RULESETS[(_d["id"], _d["version"])] = _d


def _chain(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The file and the files it extends, base first."""
    chain = [doc]
    while "extends" in chain[0]:
        chain.insert(0, RULESETS[(doc["id"], chain[0]["extends"])])
    return chain


def _resolved(doc: dict[str, Any]) -> dict[str, Any]:
    """A simplified extends resolution: enough for structural checks."""
    criteria: dict[str, dict[str, Any]] = {}
    sources: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    subject = None
    for part in _chain(doc):
        subject = part.get("subject", subject)
        for s in part.get("sources", []):
            sources[s["id"]] = s
        params.update(part.get("parameters", {}))
        derived.update(part.get("derived", {}))
        for c in part.get("criteria", []):
            criteria[c["id"]] = {**criteria.get(c["id"], {}), **c}
        remove = part.get("remove", {})
        for cid in remove.get("criteria", []):
            criteria.pop(cid, None)
        for name in remove.get("parameters", []):
            params.pop(name, None)
        for name in remove.get("derived", []):
            derived.pop(name, None)
    return {"criteria": criteria, "sources": sources, "parameters": params,
            "derived": derived, "subject": subject}  # fmt: skip


def _record_schema(subject: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / "records" / f"{subject}.schema.json").read_text(encoding="utf-8"))


def _codelist_ids() -> set[str]:
    return {_load(f)["id"] for f in CODELIST_FILES}


# ---------------------------------------------------------------- files validate


@pytest.mark.parametrize("path", RULESET_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ruleset_file_validates(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../schemas/ruleset.schema.json"
    doc = _load(path)
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in _validator("ruleset.schema.json").iter_errors(doc)
    ]
    assert not errors
    assert doc["id"] == path.parent.name
    assert doc["version"] == path.stem


@pytest.mark.parametrize("path", CODELIST_FILES, ids=lambda p: p.name)
def test_codelist_file_validates(path: Path) -> None:
    doc = _load(path)
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in _validator("codelist.schema.json").iter_errors(doc)
    ]
    assert not errors
    assert doc["id"] == path.stem
    codes = [c["code"] for c in doc["codes"]]
    labels = [c["label"] for c in doc["codes"]]
    assert len(codes) == len(set(codes)), "duplicate code"
    assert len(labels) == len(set(labels)), "duplicate label"
    for s in doc["sources"]:
        if s.get("reliability") == "code":
            assert "not authoritative" in s.get("note", "")


def test_expected_standards_and_codelists_exist() -> None:
    found: dict[str, set[str]] = {}
    for sid, version in RULESETS:
        found.setdefault(sid, set()).add(version)
    assert found == EXPECTED_STANDARDS
    assert _codelist_ids() >= EXPECTED_CODELISTS


# ---------------------------------------------------------------- record schemas


@pytest.mark.parametrize("path", RECORD_SCHEMAS, ids=lambda p: p.name)
def test_record_schema(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert schema["x-id-field"] in props
    assert schema["required"] == [schema["x-id-field"]]
    division = props[schema["x-division-field"]]
    assert "[0-9]{12}" in division["pattern"]
    codelists = _codelist_ids()

    def walk(properties: dict[str, Any], where: str) -> None:
        for name, prop in properties.items():
            assert name not in DICT_METHODS, f"{where}{name} is a dict method name"
            assert name == name.lower()
            assert " " not in name
            assert prop.get("title"), f"{where}{name} has no Chinese title"
            if "x-codelist" in prop:
                assert prop["x-codelist"] in codelists, f"{where}{name}: unknown code list"
            if prop.get("format") == "date":
                assert prop.get("pattern")
            items = prop.get("items")
            if isinstance(items, dict):
                if "x-codelist" in items:
                    assert items["x-codelist"] in codelists
                if "properties" in items:
                    walk(items["properties"], f"{where}{name}[].")

    walk(props, "")


# ---------------------------------------------------------------- rule-set contents


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_every_criterion_has_passing_and_failing_examples(key: tuple[str, str]) -> None:
    doc = RULESETS[key]
    criteria = _resolved(doc)["criteria"]
    passing: set[str] = set()
    failing: set[str] = set()
    for ex in doc.get("examples", []):
        expect = ex["expect"]
        failing.update(expect.get("failing", []))
        for cid, outcome in expect.get("criteria", {}).items():
            (passing if outcome == "pass" else failing if outcome == "fail" else set()).add(cid)
    assert not (set(criteria) - passing), (
        f"criteria without a passing example: {set(criteria) - passing}"
    )
    assert not (set(criteria) - failing), (
        f"criteria without a failing example: {set(criteria) - failing}"
    )


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_references_resolve(key: tuple[str, str]) -> None:
    doc = RULESETS[key]
    resolved = _resolved(doc)
    sources = resolved["sources"]
    refs: list[str] = []
    for c in doc.get("criteria", []):
        refs += [r["ref"] for r in c.get("sources", [])]
    for p in doc.get("parameters", {}).values():
        refs += [r["ref"] for r in p.get("sources", [])]
        for v in p.get("values", []):
            refs += [r["ref"] for r in v.get("sources", [])]
    missing = set(refs) - set(sources)
    assert not missing, f"unresolved source refs: {missing}"
    for ex in doc.get("examples", []):
        for cid in list(ex["expect"].get("failing", [])) + list(ex["expect"].get("criteria", {})):
            assert cid in resolved["criteria"], f"example {ex['name']!r} names unknown {cid}"
    if "extends" in doc:
        assert (doc["id"], doc["extends"]) in RULESETS


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_resolved_criteria_are_complete(key: tuple[str, str]) -> None:
    for cid, c in _resolved(RULESETS[key])["criteria"].items():
        for k in ("label", "group", "severity", "test", "pass", "fail", "sources"):
            assert c.get(k), f"{cid} lacks {k}"
        if c.get("applies_if"):
            assert c.get("not_applicable"), f"{cid} has applies_if but no not_applicable text"


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_unconfirmed_items_say_why(key: tuple[str, str]) -> None:
    doc = RULESETS[key]
    for c in doc.get("criteria", []):
        if c.get("unconfirmed"):
            assert c.get("note"), f"criterion {c['id']} is unconfirmed without a note"
    for name, p in doc.get("parameters", {}).items():
        if p.get("unconfirmed"):
            assert p.get("note"), f"parameter {name} is unconfirmed without a note"
        for v in p.get("values", []):
            if v.get("unconfirmed"):
                assert v.get("note"), f"parameter {name} from {v['from']}: no note"
    if doc.get("effective", {}).get("unconfirmed"):
        assert doc["effective"].get("note")
    assert doc.get("notes"), "every rule set lists what is unconfirmed"


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_example_records_use_declared_fields(key: tuple[str, str]) -> None:
    doc = RULESETS[key]
    schema = _record_schema(_resolved(doc)["subject"])
    props = schema["properties"]
    member_props = props.get("members", {}).get("items", {}).get("properties", {})
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    # example_base is inherited from the base version unless this file writes one
    base = next((d["example_base"] for d in reversed(_chain(doc)) if "example_base" in d), {})
    for ex in doc.get("examples", []):
        record = {**base, **ex["record"]}
        unknown = set(record) - set(props)
        assert not unknown, f"example {ex['name']!r}: undeclared fields {unknown}"
        for m in record.get("members") or []:
            assert not (set(m) - set(member_props)), f"example {ex['name']!r}: member fields"
        if ex["expect"]["outcome"] != "invalid":
            errors = [e.message for e in validator.iter_errors(record)]
            assert not errors, f"example {ex['name']!r}: {errors}"


def test_income_line_boundaries_are_examples() -> None:
    """Income exactly at the line fails "超过"; 13.0 m² per person passes."""
    for version in ("2016", "2017", "2018"):
        doc = RULESETS[("gx.household.exit", version)]
        names = [e["name"] for e in doc["examples"]]
        assert any("恰好等于标准" in n for n in names)
        assert any("恰好13平方米" in n for n in names)


def test_versions_never_overlap() -> None:
    by_id: dict[str, list[tuple[str, str]]] = {}
    for (sid, _version), doc in RULESETS.items():
        eff = doc["effective"]
        by_id.setdefault(sid, []).append((eff["from"], eff.get("until", "9999-12-31")))
    for sid, spans in by_id.items():
        spans.sort()
        for (_f1, u1), (f2, _u2) in itertools.pairwise(spans):
            assert u1 < f2, f"{sid}: versions overlap ({u1} >= {f2})"


def test_national_line_by_year() -> None:
    """2011-2016 confirmed; later years marked unconfirmed with a note. The series is written
    once, in the first version; the revisions inherit it."""
    values = RULESETS[("gx.household.exit", "2016")]["parameters"]["income_line"]["values"]
    for version in ("2017", "2018"):
        assert "income_line" not in RULESETS[("gx.household.exit", version)].get("parameters", {})
    by_year = {v["from"][:4]: v for v in values}
    confirmed = {"2011": 2536, "2012": 2625, "2013": 2736, "2014": 2800, "2015": 2855, "2016": 2952}
    for year, amount in confirmed.items():
        assert by_year[year]["value"] == amount
        assert not by_year[year].get("unconfirmed")
    for year in ("2017", "2018", "2019", "2020"):
        assert by_year[year].get("unconfirmed") is True
        assert by_year[year].get("note")


def test_2018_revisions_hold_only_the_delta() -> None:
    for sid in ("gx.household.exit", "gx.village.exit"):
        doc = RULESETS[(sid, "2018")]
        assert doc["extends"] == "2017"
        assert "subject" not in doc
        base_ids = set(_resolved(RULESETS[(sid, "2017")])["criteria"])
        for c in doc.get("criteria", []):
            assert c["id"] in base_ids
            assert "test" not in c or c.get("unconfirmed"), c["id"]


def test_village_2018_reference_split() -> None:
    crit = _resolved(RULESETS[("gx.village.exit", "2018")])["criteria"]
    blocking = {cid for cid, c in crit.items() if c["severity"] == "blocking"}
    assert blocking == {"housing", "medical", "education", "drinking_water", "electricity",
                        "incidence_below"}  # fmt: skip


# ---------------------------------------------------------------- the engine agrees


def test_engine_lints_and_runs_examples() -> None:
    library = pytest.importorskip("fupin_rules.library")
    testing = pytest.importorskip("fupin_rules.testing")
    lib = library.load_library(STANDARDS)
    report = testing.run_examples(lib)
    assert report.total >= 100
    assert not report.failures, "\n".join(str(f) for f in report.failures)


@pytest.mark.parametrize("key", sorted(RULESETS), ids=lambda k: f"{k[0]}@{k[1]}")
def test_every_version_has_a_chinese_doc_page(key: tuple[str, str]) -> None:
    page = ROOT / "docs" / "standards" / f"{key[0]}-{key[1]}.md"
    assert page.exists(), f"missing {page}"
    text = page.read_text(encoding="utf-8")
    for cid in _resolved(RULESETS[key])["criteria"]:
        assert f"`{cid}`" in text, f"{page.name} does not describe {cid}"
    assert "未确认" in text
    assert (ROOT / "docs" / "standards" / "how-to-write-a-revision.md").exists()
