"""The 2018 household exit standard as a minimal OpenFisca tax-benefit system, for a side run.

OpenFisca (``openfisca-core``) is the microsimulation engine behind several national tax-benefit
models. Like our columnar mode (``fupin_rules.columnar``, the "# ---- columns" section of
``benchmarks/run.py``) it evaluates whole columns at once: every variable is a numpy array over
all households (or all persons), and every formula is a vectorised function of other columns.
It is therefore compared with the columnar mode, not with the per-record peers of ``peers.py``.

The system here has a Household entity with Person members (one role, ``member``), input
variables for the household and member fields the nine criteria need, formulas for the derived
values (age, labour count, per-person areas, net income, ...) and one formula per criterion.
Each criterion is an Enum variable (``pass``, ``fail``, ``not_applicable``; ``unknown`` cannot
occur, as with the other peers the households are the complete ones). Money is held in whole fen
(int32): OpenFisca's float variables are float32, which cannot hold incomes to the fen.

What is timed: for each round a fresh ``Simulation`` is built and all input columns are loaded
with ``set_input`` *before* the clock starts (that building is excluded, every round); the clock
then runs while the simulation calculates the nine criteria (and, through them, every derived
value: nothing is cached from an earlier round). The columns themselves (numpy arrays) are built
once from the generated households, as the columnar benchmark builds its columns once.

Agreement: the decoded outcomes are compared household by household with ``exit_2018`` of
``handwritten.py`` (the reference of all peers).

    python benchmarks/openfisca_peer.py          # 100,000 households
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import households  # noqa: E402
from benchmarks.handwritten import CRITERIA, exit_2018  # noqa: E402
from benchmarks.peers import context  # noqa: E402

AS_OF = "2018-11-20"
PERIOD = "2018"
LINE = 2952  # yuan per person and year, the national poverty line of the 2018 standard
OUTCOMES = ("pass", "fail", "not_applicable")  # the criterion Enum, in index order


# ---- columns


def complete_households(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """The first ``n`` generated households without missing values (as run.py picks peers')."""
    out: list[dict[str, Any]] = []
    # ``households`` is lazy and deterministic in its seed: an unbounded count, cut at ``n``.
    for r in households(sys.maxsize, seed=seed):
        try:
            context(r)
        except (KeyError, TypeError, ZeroDivisionError):
            continue
        if "unknown" in exit_2018(r, as_of=AS_OF):
            continue
        out.append(r)
        if len(out) == n:
            break
    return out


MONEY = (
    "wage_income",
    "production_income",
    "production_expense",
    "property_income",
    "transfer_income",
)
FLAGS = (
    "receives_dibao",
    "food_clothing_secure",
    "dangerous_house",
    "new_house_finishable",
    "relocated",
    "relocation_housing_allocated",
    "natural_village_road",
    "household_electricity",
    "tv_access",
    "has_asset_income",
    "has_livestock_income",
    "has_business_income",
    "has_other_income",
)
# Input variables and their OpenFisca value types; DTYPES gives OpenFisca's column dtypes.
DTYPES: dict[type, Any] = {int: np.int32, float: np.float32, bool: np.bool_, date: "datetime64[D]"}
HOUSEHOLD_INPUTS: dict[str, type] = {
    "household_size": int,
    **dict.fromkeys(MONEY, int),  # fen
    "declared_per_capita_net_income": int,  # fen, meaningful where declared
    "per_capita_net_income_declared": bool,
    "farmland_area": float,  # mu
    "forest_area": float,  # mu
    "housing_area": float,  # square metres
    **dict.fromkeys(FLAGS, bool),
    "new_house_progress": int,  # percent
    "natural_village_households": int,
    "housing_structure": int,  # code "01".."06" as 1..6
    "drinking_water_source": int,  # code "01".."07" as 1..7
}
PERSON_INPUTS: dict[str, type] = {
    "birth_date": date,
    "labour_skill": int,  # code "01".."05" as 1..5
    "school_status": int,  # code "01".."06" as 1..6, 0 if absent
    "migrant_work_months": int,
    "medical_insurance": bool,
    "dibao": bool,
    "education_exempt": bool,
}


@dataclass
class Columns:
    """Input columns of complete households, by OpenFisca variable name."""

    household_ids: np.ndarray
    person_ids: np.ndarray
    person_household: np.ndarray  # index of each person's household
    households: dict[str, np.ndarray]
    persons: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.household_ids.size)


def _fen(v: Any) -> int:
    return int(Decimal(v or 0) * 100)


def _code(v: Any) -> int:
    return 0 if v is None else int(v)


def build_columns(records: list[dict[str, Any]]) -> Columns:
    """Numpy columns of complete household records (absent optional fields as 0 / False)."""
    h: dict[str, list[Any]] = {name: [] for name in HOUSEHOLD_INPUTS}
    p: dict[str, list[Any]] = {name: [] for name in PERSON_INPUTS}
    sizes: list[int] = []
    for r in records:
        pci = r.get("per_capita_net_income")
        h["household_size"].append(r["household_size"])
        for key in MONEY:
            h[key].append(_fen(r.get(key)))
        h["declared_per_capita_net_income"].append(_fen(pci))
        h["per_capita_net_income_declared"].append(pci is not None)
        for key in ("farmland_area", "forest_area", "housing_area"):
            h[key].append(float(r.get(key) or 0))
        for key in FLAGS:
            h[key].append(bool(r.get(key)))
        for key in ("new_house_progress", "natural_village_households"):
            h[key].append(r.get(key) or 0)
        for key in ("housing_structure", "drinking_water_source"):
            h[key].append(_code(r[key]))
        members = r["members"]
        sizes.append(len(members))
        for m in members:
            p["birth_date"].append(m["birth_date"])
            p["labour_skill"].append(_code(m["labour_skill"]))
            p["school_status"].append(_code(m.get("school_status")))
            p["migrant_work_months"].append(m.get("migrant_work_months") or 0)
            for key in ("medical_insurance", "dibao", "education_exempt"):
                p[key].append(bool(m.get(key)))
    hcols = {name: np.asarray(v, dtype=DTYPES[HOUSEHOLD_INPUTS[name]]) for name, v in h.items()}
    pcols = {name: np.asarray(v, dtype=DTYPES[PERSON_INPUTS[name]]) for name, v in p.items()}
    return Columns(
        household_ids=np.arange(len(records)),
        person_ids=np.arange(sum(sizes)),
        person_household=np.repeat(np.arange(len(records)), sizes),
        households=hcols,
        persons=pcols,
    )


# ---- the tax-benefit system


def tax_benefit_system() -> Any:
    """A minimal OpenFisca system of the 2018 exit standard (raises ImportError without it)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.indexed_enums import Enum
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    from benchmarks.handwritten import LABOUR, STRUCTURES, WATER

    person = build_entity("person", "persons", "A household member", is_person=True)
    household = build_entity(
        "household",
        "households",
        "A registered poor household",
        roles=[{"key": "member", "plural": "members", "label": "Member"}],
    )

    class Outcome(Enum):
        passed = "pass"
        failed = "fail"
        not_applicable = "not_applicable"

    pass_, fail, na = (np.int16(i) for i in range(3))
    labour = np.array(sorted(int(c) for c in LABOUR))
    structures = np.array(sorted(int(c) for c in STRUCTURES))
    water = np.array(sorted(int(c) for c in WATER))
    ay, am, ad = (int(x) for x in AS_OF.split("-"))
    birthdays = np.array([date(ay - k, am, ad) for k in range(150, -1, -1)], "datetime64[D]")

    def input_variable(name: str, entity: Any, value_type: type) -> type:
        attrs = {
            "value_type": value_type,
            "entity": entity,
            "definition_period": DateUnit.YEAR,
            "label": name.replace("_", " "),
        }
        return type(name, (Variable,), attrs)

    def derived(name: str, entity: Any, value_type: Any, formula: Any) -> type:
        attrs = {
            "value_type": value_type,
            "entity": entity,
            "definition_period": DateUnit.YEAR,
            "label": name.replace("_", " "),
            "formula": formula,
        }
        if value_type is Enum:
            attrs["possible_values"] = Outcome
            attrs["default_value"] = Outcome.not_applicable
        return type(name, (Variable,), attrs)

    def outcome(ok: np.ndarray, applies: np.ndarray | None = None) -> Any:
        codes = np.where(ok, pass_, fail)
        if applies is not None:
            codes = np.where(applies, codes, na)
        return Outcome.encode(codes)

    # Derived person values.
    def age(p: Any, period: Any) -> np.ndarray:
        # Whole years at AS_OF: how many of its anniversaries (AS_OF - k years, k = 0..150,
        # ascending in ``birthdays``) fall on or after the birth date. A binary search per
        # person; datetime64 -> year/month/day conversions cost about twice as much.
        birth = p("birth_date", period)
        return birthdays.size - 1 - np.searchsorted(birthdays, birth, side="left")

    def is_labour(p: Any, period: Any) -> np.ndarray:
        return np.isin(p("labour_skill", period), labour)

    def is_migrant(p: Any, period: Any) -> np.ndarray:
        return p("migrant_work_months", period) >= 6

    def is_school_age(p: Any, period: Any) -> np.ndarray:
        a = p("age", period)
        return (a >= 6) & (a <= 15)

    def is_dropout(p: Any, period: Any) -> np.ndarray:
        return (
            p("is_school_age", period)
            & (p("school_status", period) == 1)
            & ~p("education_exempt", period)
        )

    # Derived household values.
    def counter(person_variable: str) -> Any:
        def count(h: Any, period: Any) -> np.ndarray:
            return h.sum(h.members(person_variable, period))

        return count

    def uninsured_count(h: Any, period: Any) -> np.ndarray:
        return h.sum(~h.members("medical_insurance", period))

    def on_dibao(h: Any, period: Any) -> np.ndarray:
        return h("receives_dibao", period) | h.any(h.members("dibao", period))

    def per_person(area: str) -> Any:
        # float32, as OpenFisca keeps floats; exact at the thresholds (0.5, 1, 13 per person):
        # areas are in tenths, so a share equal to a threshold is a small exact binary fraction.
        def share(h: Any, period: Any) -> np.ndarray:
            return h(area, period) / h("household_size", period)

        return share

    def other_income(h: Any, period: Any) -> np.ndarray:
        return (
            h("has_asset_income", period)
            | h("has_livestock_income", period)
            | h("has_business_income", period)
            | h("has_other_income", period)
        )

    def net_income(h: Any, period: Any) -> np.ndarray:
        return (
            h("wage_income", period)
            + h("production_income", period)
            - h("production_expense", period)
            + h("property_income", period)
            + h("transfer_income", period)
        )

    # The nine criteria.
    def income_source(h: Any, period: Any) -> Any:
        works = (h("labour_count", period) >= 1) & (
            (h("farmland_per_person", period) >= 0.5)
            | (h("forest_per_person", period) >= 1)
            | (h("migrant_count", period) >= 1)
            | h("other_income", period)
        )
        return outcome(h("food_clothing_secure", period) & (h("on_dibao", period) | works))

    def housing(h: Any, period: Any) -> Any:
        safe = (
            ~h("dangerous_house", period)
            & np.isin(h("housing_structure", period), structures)
            & (h("housing_area_per_person", period) >= 13)
        )
        building = (h("new_house_progress", period) >= 50) & h("new_house_finishable", period)
        relocated = h("relocated", period) & h("relocation_housing_allocated", period)
        return outcome(safe | building | relocated)

    def medical(h: Any, period: Any) -> Any:
        return outcome(h("uninsured_count", period) == 0)

    def education(h: Any, period: Any) -> Any:
        return outcome(h("dropout_count", period) == 0, h("school_age_count", period) >= 1)

    def road(h: Any, period: Any) -> Any:
        return outcome(
            h("natural_village_road", period), h("natural_village_households", period) >= 20
        )

    def drinking_water(h: Any, period: Any) -> Any:
        return outcome(np.isin(h("drinking_water_source", period), water))

    def electricity(h: Any, period: Any) -> Any:
        return outcome(h("household_electricity", period))

    def tv(h: Any, period: Any) -> Any:
        return outcome(h("tv_access", period))

    def income_above_line(h: Any, period: Any, parameters: Any) -> Any:
        line = parameters(period).poverty_line * 100  # fen
        declared = h("per_capita_net_income_declared", period)
        # Compared in whole fen without dividing: total > line * size is pci > line, exactly.
        above = np.where(
            declared,
            h("declared_per_capita_net_income", period) > line,
            h("net_income", period) > line * h("household_size", period),
        )
        return outcome(above)

    variables: list[type] = [
        *(input_variable(n, household, t) for n, t in HOUSEHOLD_INPUTS.items()),
        *(input_variable(n, person, t) for n, t in PERSON_INPUTS.items()),
        derived("age", person, int, age),
        derived("is_labour", person, bool, is_labour),
        derived("is_migrant", person, bool, is_migrant),
        derived("is_school_age", person, bool, is_school_age),
        derived("is_dropout", person, bool, is_dropout),
        derived("labour_count", household, int, counter("is_labour")),
        derived("migrant_count", household, int, counter("is_migrant")),
        derived("school_age_count", household, int, counter("is_school_age")),
        derived("dropout_count", household, int, counter("is_dropout")),
        derived("uninsured_count", household, int, uninsured_count),
        derived("on_dibao", household, bool, on_dibao),
        derived("farmland_per_person", household, float, per_person("farmland_area")),
        derived("forest_per_person", household, float, per_person("forest_area")),
        derived("housing_area_per_person", household, float, per_person("housing_area")),
        derived("other_income", household, bool, other_income),
        derived("net_income", household, int, net_income),
        derived("income_source", household, Enum, income_source),
        derived("housing", household, Enum, housing),
        derived("medical", household, Enum, medical),
        derived("education", household, Enum, education),
        derived("road", household, Enum, road),
        derived("drinking_water", household, Enum, drinking_water),
        derived("electricity", household, Enum, electricity),
        derived("tv", household, Enum, tv),
        derived("income_above_line", household, Enum, income_above_line),
    ]
    system = TaxBenefitSystem([person, household])
    system.parameters = ParameterNode(
        "", data={"poverty_line": {"values": {"2018-01-01": {"value": LINE}}}}
    )
    system.add_variables(*variables)
    return system


def simulation(system: Any, cols: Columns) -> Any:
    """A fresh Simulation with every input column loaded (nothing calculated yet)."""
    from openfisca_core.simulations import SimulationBuilder

    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", cols.person_ids)
    group = builder.declare_entity("household", cols.household_ids)
    builder.join_with_persons(group, cols.person_household, np.zeros(cols.person_ids.size, int))
    sim = builder.build(system)
    for name, values in cols.households.items():
        sim.set_input(name, PERIOD, values)
    for name, values in cols.persons.items():
        sim.set_input(name, PERIOD, values)
    return sim


def criteria(sim: Any) -> np.ndarray:
    """The nine criteria as an (households, 9) array of Enum indices (0 pass, 1 fail, 2 n/a)."""
    return np.stack([np.asarray(sim.calculate(name, PERIOD)) for name in CRITERIA], axis=1)


# ---- measure


def measure(n: int, rounds: int = 3, check: int = 10_000) -> dict[str, Any]:
    """OpenFisca on ``n`` complete households: households per second and agreement.

    ``rate``: median over ``rounds`` of ``n`` / the time ``Simulation.calculate`` takes for the
    nine criteria (and all derived values under them). A fresh Simulation per round, built and
    loaded with every input column before the clock starts (excluded every round; its median
    time is given as ``load_seconds``). ``agree``: of the first ``agree_of`` households
    (``check``, at least 2,000, at most ``n``), how many give exactly ``exit_2018``'s nine
    outcomes (``OUTCOMES`` decodes the Enum indices).
    Raises ImportError if openfisca-core is not installed.
    """
    system = tax_benefit_system()
    records = complete_households(n)
    cols = build_columns(records)
    rates: list[float] = []
    loads: list[float] = []
    result = np.empty((0, len(CRITERIA)), np.int16)
    for _ in range(rounds):
        t = time.perf_counter()
        sim = simulation(system, cols)
        loads.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = criteria(sim)
        rates.append(n / (time.perf_counter() - t))
    compared = records[: min(n, max(check, 2_000))]
    agree = sum(
        tuple(OUTCOMES[int(i)] for i in row) == exit_2018(r, as_of=AS_OF)
        for r, row in zip(compared, result.tolist(), strict=False)
    )
    return {
        "households": n,
        "persons": int(cols.person_ids.size),
        "rate": statistics.median(rates),
        "load_seconds": statistics.median(loads),
        "agree_of": len(compared),
        "agree": agree,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-n", "--households", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    print(measure(args.households, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
