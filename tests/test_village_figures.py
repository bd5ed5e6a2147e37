"""Village figures counted from their households (fupin_rules.village_figures) and the
``villages`` command."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.io.jsonl import InputRecord
from fupin_rules.village_figures import NOT_EXITED, fill_villages, village_figures

from .conftest import ROOT

EXPORT = ROOT / "examples" / "data" / "export.csv"
V1, V2 = "451099101201", "451099101202"


def _member(insured: bool | None = True) -> dict[str, Any]:
    return {"name": "甲", "relation": "01", "medical_insurance": insured}


def _home(hid: str, code: str, status: str | None, members: int = 2, **extra: Any) -> dict:
    record: dict[str, Any] = {
        "household_id": hid,
        "division_code": code,
        "members": [_member() for _ in range(members)],
        **extra,
    }
    if status is not None:
        record["exit_status"] = status
    return record


def _by_code(figures: Any) -> dict[str, dict[str, Any]]:
    return {v.division_code: v.record() for v in figures}


def test_poor_households_and_population(bundled: fr.Library) -> None:
    schema = bundled.record_schemas["household"]
    homes = [
        _home("H1", V1, "0", 3),
        _home("H2", V1, "1", 4),
        _home("H3", V1, "3", 2),
        _home("H4", V2, "2", 5),
        _home("H5", V2, "4", 1),
    ]
    got = _by_code(village_figures(homes, schema))
    assert got[V1] == {"poor_households": 2, "poor_population": 5, "poor_households_registered": 3}
    assert got[V2] == {"poor_households": 1, "poor_population": 5, "poor_households_registered": 2}


def test_a_household_without_status_leaves_the_figure_empty(bundled: fr.Library) -> None:
    schema = bundled.record_schemas["household"]
    homes = [_home("H1", V1, "0"), _home("H2", V1, None), _home("H3", V2, "0")]
    figures = {v.division_code: v for v in village_figures(homes, schema)}
    poor = figures[V1].figure("poor_households")
    assert poor is not None
    assert poor.value is None
    assert poor.missing == ("H2: 缺脱贫标志",)
    assert figures[V1].record() == {"poor_households_registered": 2}
    assert figures[V2].record()["poor_households"] == 1  # the other village is not touched


def test_a_rejected_row_empties_its_village_and_an_unplaced_row_every_village(
    bundled: fr.Library,
) -> None:
    schema = bundled.record_schemas["household"]
    homes: list[Any] = [
        InputRecord("a.csv:2", _home("H1", V1, "0")),
        InputRecord("a.csv:3", _home("H2", V2, "0")),
        InputRecord("a.csv:4", error="证件号码无法使用", division=V1, record_id="H3"),
    ]
    got = _by_code(village_figures(homes, schema))
    assert got[V1] == {}
    assert got[V2]["poor_households"] == 1
    homes.append(InputRecord("a.csv:5", error="没有户编号"))
    assert _by_code(village_figures(homes, schema)) == {V1: {}, V2: {}}


def test_roster_counts_households_by_the_household_standard(bundled: fr.Library) -> None:
    schema = bundled.record_schemas["household"]
    rules = bundled.get("gx.household.exit", as_of="2018-11-20")
    ok = {"household_electricity": True, "tv_access": True}
    roster = [
        _home("R1", V1, None, 2, **ok),
        _home("R2", V1, None, 3, household_electricity=False, tv_access=True),
        _home("R3", V1, None, 1, household_electricity=True, tv_access=False),
    ]
    roster[1]["members"][0]["medical_insurance"] = False
    figures = village_figures(
        [], schema, all_households=roster, household_rules=rules, as_of="2018-11-20"
    )
    got = _by_code(figures)[V1]
    assert got["households_total"] == 3
    assert got["population_total"] == got["registered_rural_population"] == 6
    assert got["residents_medically_insured"] == 5
    assert got["households_electricity"] == 2
    assert got["households_tv_or_online"] == 2
    # no housing or water data: undecidable, so no count is made up
    assert "households_housing_secured" not in got
    assert "households_safe_water" not in got
    water = figures[0].figure("households_safe_water")
    assert water is not None
    assert water.missing
    assert "drinking_water" in water.missing[0]
    # the 2016 household standard tests the water source and TV only
    old = bundled.get("gx.household.exit", version="2016")
    fields = {
        f.field
        for f in village_figures(
            [], schema, all_households=roster, household_rules=old, as_of="2016-11-20"
        )[0].figures
    }
    assert {"households_water_solved", "households_tv"} <= fields
    assert "households_safe_water" not in fields


def test_fill_keeps_what_the_village_table_holds(bundled: fr.Library) -> None:
    schema = bundled.record_schemas["household"]
    figures = village_figures([_home("H1", V1, "0", 3), _home("H2", V2, "0", 1)], schema)
    table = [{"village_id": "甲村", "division_code": V1, "poor_population": 4}]
    filled = fill_villages(table, figures)
    assert [v.record["village_id"] for v in filled] == ["甲村", V2]
    first = filled[0]
    assert first.record["poor_population"] == 4  # the table's value is kept
    assert [(d.field, d.written, d.counted) for d in first.differences] == [
        ("poor_population", 4, 3)
    ]
    assert "poor_households" in first.filled
    assert "poor_population" not in first.filled


_homes = st.lists(
    st.tuples(
        st.sampled_from([V1, V2, "451099102201"]),
        st.sampled_from(["0", "1", "2", "3", "4"]),
        st.integers(min_value=1, max_value=6),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(_homes, st.randoms(use_true_random=False))
def test_counts_add_up_and_order_does_not_matter(
    bundled: fr.Library, spec: list[tuple[str, str, int]], rnd: random.Random
) -> None:
    schema = bundled.record_schemas["household"]
    homes = [_home(f"H{i}", code, status, n) for i, (code, status, n) in enumerate(spec)]
    got = village_figures(homes, schema)
    by_code = _by_code(got)
    assert sum(v["poor_households_registered"] for v in by_code.values()) == len(homes)
    for code, record in by_code.items():
        mine = [(s, n) for c, s, n in spec if c == code]
        assert record["poor_households"] == sum(1 for s, _ in mine if s in NOT_EXITED)
        assert record["poor_population"] == sum(n for s, n in mine if s in NOT_EXITED)
        assert record["poor_households"] <= record["poor_households_registered"]
    shuffled = list(homes)
    rnd.shuffle(shuffled)
    assert village_figures(shuffled, schema) == got
    assert [v.division_code for v in got] == sorted(by_code)


def test_villages_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "villages.jsonl"
    figs = tmp_path / "口径.csv"
    args = ["villages", "--as-of", "2018-11-20", str(EXPORT), "-o", str(out)]
    args += ["--all-households", str(EXPORT), "--figures", str(figs)]
    assert main(args) == 0
    first = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == first  # deterministic bytes
    villages = [json.loads(line) for line in first.decode().splitlines()]
    assert len(villages) == 12
    assert sum(v["poor_households_registered"] for v in villages) == 300
    assert sum(v["population_total"] for v in villages) == 1162  # every member row
    text = figs.read_text(encoding="utf-8-sig")
    assert "脱贫标志为未脱贫、预脱贫或返贫的建档立卡户数" in text
    assert "gx.household.exit@2018" in text
    evaluated = tmp_path / "results.jsonl"
    run = ["evaluate", "-s", "gx.village.exit", "--as-of", "2018-11-20", str(out)]
    code = main([*run, "-o", str(evaluated)])
    assert code in (0, 1)
    results = [json.loads(line) for line in evaluated.read_text().splitlines()]
    assert len(results) == 12
    assert all(r["outcome"] != "invalid" for r in results)
