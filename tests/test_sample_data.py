"""The sample-data generator is deterministic and produces the documented data set."""

from __future__ import annotations

import collections
import importlib.util
import io
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"

_spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "examples" / "generate.py")
assert _spec is not None
assert _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

# Documented in examples/README.md: exact for every seed (largest-remainder quotas).
DOCUMENTED_2000 = {
    "pass": 1110, "low_income": 240, "income_at_line": 10, "dangerous_house": 100,
    "small_house": 60, "uninsured": 80, "dropout": 40, "no_road": 40, "unsafe_water": 60,
    "no_electricity": 10, "no_tv": 40, "no_income_source": 60, "food_clothing": 60,
    "multiple": 70, "broken": 20,
}  # fmt: skip


def _run(n: int, seed: int) -> tuple[str, str, dict]:
    out, vout = io.StringIO(), io.StringIO()
    summary = gen.generate(n, seed, out, vout)
    return out.getvalue(), vout.getvalue(), summary


def _id_valid(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and gen.check_digit(s[:17]) == s[17]


def test_check_digit_matches_published_examples() -> None:
    for number in ("11010519491231002X", "440524188001010014", "513101198201130014"):
        assert gen.check_digit(number[:17]) == number[17]
    assert gen.check_digit("13040219820729062") == "4"  # the published negative example ends in 2


def test_same_seed_same_bytes() -> None:
    a = _run(300, 7)
    b = _run(300, 7)
    assert a[0] == b[0]
    assert a[1] == b[1]
    assert _run(300, 8)[0] != a[0]


def test_committed_sample_is_the_generators_output() -> None:
    households, villages, summary = _run(2000, 2018)
    assert (DATA / "households.jsonl").read_text(encoding="utf-8") == households
    assert (DATA / "villages.jsonl").read_text(encoding="utf-8") == villages
    divisions = io.StringIO()
    gen.generate(2000, 2018, io.StringIO(), None, divisions)
    assert (DATA / "divisions.csv").read_text(encoding="utf-8") == divisions.getvalue()
    # Every division of the records has its name.
    named = {line.split(",")[0] for line in divisions.getvalue().splitlines()[1:]}
    codes = {json.loads(line)["division_code"] for line in households.splitlines()}
    assert codes <= named
    assert {c[:9] for c in codes} | {c[:6] for c in codes} <= named
    assert summary["scenarios"] == DOCUMENTED_2000
    assert summary["villages"] == 12
    assert summary["townships"] == 4


def test_cli_writes_households_and_villages(tmp_path: Path) -> None:
    out = tmp_path / "h.jsonl"
    assert gen.main(["--households", "50", "--seed", "3", "-o", str(out), "--quiet"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 50
    assert len((tmp_path / "villages.jsonl").read_text(encoding="utf-8").splitlines()) == 12


@pytest.mark.parametrize("n", [1, 7, 2000, 12345])
def test_quotas_are_exact(n: int) -> None:
    counts = dict(gen.quotas(n))
    assert sum(counts.values()) == n
    assert sum(share for _, share in gen.SCENARIOS) == 1000
    for name, share in gen.SCENARIOS:
        assert abs(counts[name] * 1000 - share * n) < 1000


def test_records_are_plausible() -> None:
    lines = (DATA / "households.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2000
    ids = [m["id_number"] for r in records for m in r["members"]]
    assert len(ids) == len(set(ids)), "ID numbers are unique"
    assert all(_id_valid(i) and i.startswith("45") for i in ids)
    for r in records:
        assert len(r["division_code"]) == 12
        assert r["division_code"].startswith("451099")
        assert r["household_id"].startswith(r["division_code"])
        for m in r["members"]:
            if r.get("_broken") != "bad_date" or m is not r["members"][0]:
                assert m["id_number"][6:14] == m["birth_date"].replace("-", "")
            assert int(m["id_number"][16]) % 2 == (1 if m["sex"] == "男" else 0)
        if "household_size" in r:
            assert r["household_size"] == len(r["members"])
    broken = collections.Counter(r.get("_broken") for r in records if r.get("_broken"))
    assert sum(broken.values()) == 20
    assert set(broken) == set(gen.BROKEN_KINDS)
    exited_failing = [
        r
        for r in records
        if r["exit_status"] == "1" and r["_scenario"] not in {"pass", "food_clothing", "broken"}
    ]
    assert exited_failing, "some exited households do not really meet the standard"


def test_sample_outcomes_match_scenarios() -> None:
    """Under both household-exit versions each scenario fails exactly where it is meant to."""
    library = pytest.importorskip("fupin_rules.library")
    lib = library.load_library(ROOT / "standards")
    records = [
        json.loads(line)
        for line in (DATA / "households.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    expected = {
        "low_income": {"income_above_line"}, "income_at_line": {"income_above_line"},
        "dangerous_house": {"housing"}, "small_house": {"housing"}, "uninsured": {"medical"},
        "dropout": {"education"}, "no_road": {"road"}, "unsafe_water": {"drinking_water"},
        "no_electricity": {"electricity"}, "no_tv": {"tv"}, "no_income_source": {"income_source"},
    }  # fmt: skip
    for version in ("2016", "2018"):
        rs = lib.get("gx.household.exit", version=version)
        outcomes = collections.Counter()
        for record, result in zip(
            records, rs.evaluate_many(records, as_of="2018-11-20"), strict=True
        ):
            scenario = record["_scenario"].split(":")[0]
            failing = {f.criterion for f in result.findings if f.outcome == "fail"}
            outcomes[result.outcome] += 1
            if scenario == "broken":
                assert result.outcome == "invalid"
            elif scenario == "pass":
                assert result.outcome == "pass", record["household_id"]
            elif scenario == "food_clothing":
                assert failing == (set() if version == "2016" else {"income_source"})
            elif scenario == "multiple":
                assert len(failing) == 2
            else:
                assert failing == expected[scenario], (record["household_id"], failing)
        assert outcomes["invalid"] == 20
        assert outcomes["pass"] == (1170 if version == "2016" else 1110)


def test_village_sample() -> None:
    library = pytest.importorskip("fupin_rules.library")
    lib = library.load_library(ROOT / "standards")
    villages = [
        json.loads(line)
        for line in (DATA / "villages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(villages) == 12
    by_version = {}
    for version in ("2016", "2018"):
        rs = lib.get("gx.village.exit", version=version)
        by_version[version] = [r.outcome for r in rs.evaluate_many(villages, as_of="2018-11-20")]
    kinds = [v["_scenario"] for v in villages]
    for kind, o16, o18 in zip(kinds, by_version["2016"], by_version["2018"], strict=True):
        if kind == "pass":
            assert o16 == o18 == "pass"
        elif kind == "reference_only":
            assert (o16, o18) == ("fail", "pass")
        else:
            assert o16 == o18 == "fail"
