"""Results whose findings are built on first access equal the reference results exactly."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.evaluation import evaluate_reference

from .conftest import FIXTURES, ROOT


def test_lazy_results_match_reference_on_the_sample(bundled: fr.Library) -> None:
    """On the sample households, outcome, outcomes and findings equal the reference path's."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    lines = (
        (ROOT / "examples" / "data" / "households.jsonl").read_text(encoding="utf-8").splitlines()
    )
    for line in lines[:300]:
        record = json.loads(line)
        fast = rs.evaluate(record)
        outcomes = fast.outcomes  # known before the findings are built
        reference = evaluate_reference(rs, record)
        assert fast.to_json() == reference.to_json()
        assert outcomes == tuple((f.criterion, f.outcome) for f in reference.findings)


def test_result_pickles_with_its_findings(bundled: fr.Library) -> None:
    """A lazily built result pickles (for process pools) and comes back equal."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    record = json.loads(
        (ROOT / "examples" / "data" / "households.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()[0]
    )
    result = rs.evaluate(record)
    again = pickle.loads(pickle.dumps(result))
    assert again == result
    assert again.to_json() == result.to_json()


def test_reasons_of_an_undecided_record_are_built_on_access(bundled: fr.Library) -> None:
    """A household with a criterion that cannot be judged is ``invalid`` at once; why (its
    unknown criteria and their explanations) is built on first access, and equals the
    reference path's."""
    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    lines = (
        (ROOT / "examples" / "data" / "households.jsonl").read_text(encoding="utf-8").splitlines()
    )
    record = json.loads(lines[0])
    for key in ("tv_access", "household_electricity", "drinking_water_source"):
        record[key] = True if key != "drinking_water_source" else "01"
    del record["tv_access"]
    result = rs.evaluate(record)
    assert result.outcome in {"invalid", "fail"}
    assert dict(result.outcomes)["tv"] == "unknown"
    reference = evaluate_reference(rs, record)
    if result.outcome == "invalid":
        assert result._reasons is None  # not built yet
        assert result.reasons == reference.reasons
        assert any("有电视看" in r or "tv_access" in r for r in result.reasons)
    assert result.to_json() == reference.to_json()


def test_json_with_shared_parts_is_the_plain_encoders_bytes(
    bundled: fr.Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """to_json writes the fixed parts of findings once and reuses them; the bytes equal the
    standard library encoder's over the plain data (what is written without orjson)."""
    from fupin_rules import _canonical

    lines = (
        (ROOT / "examples" / "data" / "households.jsonl").read_text(encoding="utf-8").splitlines()
    )
    results = []
    for rs in (bundled.get("gx.household.exit", version=v) for v in ("2016", "2018")):
        for line in lines[:150]:
            record = json.loads(line)
            results.append(rs.evaluate(record))
            record["members"] = (record.get("members") or [])[:1]
            results.append(rs.evaluate(record))
    fast = [r.to_json() for r in results]
    monkeypatch.setattr(_canonical, "_FRAGMENT", None)
    slow = [r.to_json() for r in results]
    assert fast == slow
    assert len({r.to_json() for r in results}) > 100


def _variant_library(tmp_path: Path, method: str) -> fr.Library:
    """The fixture library plus ``demo.variant``: the demo standard with another decision
    method and a rule-set ``applies_if``, which no bundled standard has."""
    import shutil

    import yaml

    lib = tmp_path / "lib"
    shutil.copytree(FIXTURES / "lib", lib)
    doc = yaml.safe_load((lib / "demo.household" / "2016.yaml").read_text(encoding="utf-8"))
    doc["id"] = "demo.variant"
    doc["applies_if"] = "coalesce(attribute, '01') != '01'"
    for key in ("examples", "example_base", "dataset_checks"):
        doc.pop(key, None)
    # No per-item criterion: every record can take the lazy path.
    doc["criteria"] = [c for c in doc["criteria"] if "for_each" not in c]
    if method == "points":
        for i, c in enumerate(doc["criteria"]):
            c["points"] = i + 1
        doc["decision"] = {"method": "points", "threshold": 6}
    else:
        doc["decision"] = {
            "method": "expression",
            "expression": "income or (housing and attribute_known)",
        }
    (lib / "demo.variant").mkdir()
    (lib / "demo.variant" / "2016.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return fr.load_library(lib, schemas=FIXTURES / "schemas")


@pytest.mark.parametrize("method", ["points", "expression"])
def test_fast_path_is_the_reference_for_every_decision_method(
    tmp_path: Path, demo_record: dict, method: str
) -> None:
    """Points and expression decisions, a rule-set applies_if and missing values: the fast
    path's results (outcomes first, findings and reasons on access) are the reference path's."""
    import random

    rs = _variant_library(tmp_path, method).get("demo.variant", as_of="2016-11-20")
    rng = random.Random(7)
    seen = set()
    lazy = 0
    for i in range(300):
        record = json.loads(json.dumps(demo_record))
        record["household_id"] = f"H{i}"
        choices = {
            "net_income": [None, 0, 5904, 5905, 9000],
            "housing_area": [None, 10, 26, 30],
            "household_size": [None, 0, 1, 2],
            "owns_vehicle": [None, True, False],
            "attribute": [None, "01", "02", "04", 3],
        }
        for key in rng.sample(sorted(choices), 3):
            record[key] = rng.choice(choices[key])
        fast = rs.evaluate(record)
        lazy += fast._findings is None
        reference = evaluate_reference(rs, record)
        assert fast.outcome == reference.outcome
        assert fast.reasons == reference.reasons
        assert fast.to_json() == reference.to_json()
        seen.add(fast.outcome)
    assert seen == {"pass", "fail", "invalid", "not_applicable"}
    assert lazy > 40  # the rest: not applicable, or invalid records


def test_reasons_alone_build_only_the_unknown_findings(bundled: fr.Library) -> None:
    """``--brief`` needs an undecided record's reasons, not its findings: they are built from
    the unknown criteria only, and equal the reference path's, with findings read first or
    not at all, on records with one to several criteria not judged."""
    import random
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import household

    rs = bundled.get("gx.household.exit", as_of="2018-11-20")
    rng = random.Random(9)
    undecided = 0
    for i in range(300):
        record = household(rng, i, missing=0.15)
        reference = evaluate_reference(rs, record)
        brief = rs.evaluate(record)
        if brief._reasons is None:
            undecided += 1
            assert brief.reasons == reference.reasons
            assert brief._findings is None  # no finding built for the reasons
            assert brief.to_json(findings=False) == reference.to_json(findings=False)
        full = rs.evaluate(record)
        full.findings  # noqa: B018 - findings first, then the reasons from them
        assert full.reasons == reference.reasons
        assert full.to_json() == reference.to_json()
        assert rs.evaluate(record).to_dict() == reference.to_dict()
    assert undecided > 30
