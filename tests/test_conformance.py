"""The conformance suite (``tests/conformance/*.yaml``): every case through every backend.

Each file becomes a small rule library (a record schema from its ``fields``, one rule set per
case with the case's criterion, and one rule set holding every case's criterion for the
multi-process runner). Every case must come out as it expects by:

* ``rows``: ``RuleSet.evaluate`` (the generated plan, the fast path);
* ``reference``: the reference path with every expression interpreted by simpleeval;
* ``columns``: whole numpy columns (:func:`fupin_rules.columnar.evaluate_columns`), where the
  rule set has a column form and the columns are sure of the answer; and
  :func:`fupin_rules.columnar.evaluate_records`, which decides the rest by rows;
* ``arrow``: an Arrow table of the record (:func:`fupin_rules.arrow.evaluate_arrow`), and the
  same table read back from a Parquet file, where the record can be written as Arrow;
* ``jobs``: ``evaluate_parallel`` over a JSON Lines file of the file's records, two processes.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

import fupin_rules as fr
from fupin_rules._canonical import dumps
from fupin_rules._yaml import read_yaml
from fupin_rules.evaluation import evaluate_reference
from fupin_rules.language import Expression
from fupin_rules.parallel import RuleSetSpec, evaluate_parallel

from .conftest import TESTS

SUITE = sorted((TESTS / "conformance").glob("*.yaml"))
DEFAULT_DAY = "2018-11-20"
OUTCOMES = {"pass", "fail", "unknown", "not_applicable", "invalid"}


@attrs.frozen
class Case:
    """One conformance case."""

    file: str
    id: str
    why: str
    test: str
    applies_if: str | None
    record: Mapping[str, Any]
    expect: str
    as_of: str

    @property
    def name(self) -> str:
        return f"{self.file}:{self.id}"


@attrs.frozen
class Suite:
    """One conformance file."""

    name: str
    fields: Mapping[str, Any]
    parameters: Mapping[str, Any]
    cases: tuple[Case, ...]


def load_suite(path: Path) -> Suite:
    """Read a conformance file (exact decimals, as rule files are read)."""
    data = read_yaml(path).data
    name = path.stem.replace("-", "_")
    cases = []
    for raw in data["cases"]:
        assert raw["expect"] in OUTCOMES, raw
        cases.append(
            Case(
                file=path.name,
                id=raw["id"],
                why=raw["why"],
                test=raw["test"],
                applies_if=raw.get("applies_if"),
                record={"id": raw["id"], **raw["record"]},
                expect=raw["expect"],
                as_of=str(raw.get("as_of", DEFAULT_DAY)),
            )
        )
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate case ids"
    return Suite(name, data.get("fields", {}), data.get("parameters", {}), tuple(cases))


SUITES = {path.name: load_suite(path) for path in SUITE}
CASES = [case for suite in SUITES.values() for case in suite.cases]


def _property(spec: Any) -> dict[str, Any]:
    if isinstance(spec, str) and spec in {"number", "integer", "string", "boolean"}:
        return {"type": [spec, "null"]}
    if spec == "date":
        return {"type": ["string", "null"], "format": "date"}
    if "code" in spec:
        return {"type": ["string", "null"], "x-codelist": spec["code"]}
    if "codes" in spec:
        return {"type": ["array", "null"], "items": {"type": "string", "x-codelist": spec["codes"]}}
    items = {name: _property(sub) for name, sub in spec["items"].items()}
    return {
        "type": ["array", "null"],
        "items": {"type": "object", "additionalProperties": False, "properties": items},
    }


def _record_schema(suite: Suite) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"conformance {suite.name}",
        "type": "object",
        "x-id-field": "id",
        "required": ["id"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "title": "编号"},
            **{name: _property(spec) for name, spec in suite.fields.items()},
        },
    }


def _ruleset(suite: Suite, rid: str, cases: tuple[Case, ...]) -> dict[str, Any]:
    criteria = []
    for case in cases:
        criterion: dict[str, Any] = {
            "id": case.id,
            "label": case.id,
            "test": case.test,
            "sources": [{"ref": "suite"}],
        }
        if case.applies_if is not None:
            criterion["applies_if"] = case.applies_if
        criteria.append(criterion)
    parameters = {
        name: {"label": name, "type": "number", "value": value}
        for name, value in suite.parameters.items()
    }
    return {
        "kind": "ruleset",
        "id": rid,
        "version": "1",
        "title": f"conformance {suite.name}",
        "subject": f"conformance_{suite.name}",
        "effective": {"from": "2000-01-01"},
        "sources": [{"id": "suite", "title": "fupin-rules conformance suite"}],
        "parameters": parameters,
        "criteria": criteria,
    }


def _yaml_text(data: Any) -> str:
    # JSON is YAML (1.2 flow style); dumps writes exact decimals.
    return dumps(data)


@attrs.frozen
class Built:
    """A conformance file as a rule library on disk."""

    lib: fr.Library
    rules: Path
    schemas: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Every conformance file as a library of its own."""
    out = {}
    for name, suite in SUITES.items():
        root = tmp_path_factory.mktemp(suite.name)
        (root / "schemas" / "records").mkdir(parents=True)
        schema = root / "schemas" / "records" / f"conformance_{suite.name}.schema.json"
        schema.write_text(json.dumps(_record_schema(suite), ensure_ascii=False), "utf-8")
        rules = root / "rules"
        rules.mkdir()
        for case in suite.cases:
            rid = f"conformance.{suite.name}.{case.id}"
            text = _yaml_text(_ruleset(suite, rid, (case,)))
            (rules / f"{case.id}.yaml").write_text(text, "utf-8")
        whole = _ruleset(suite, f"conformance.{suite.name}.all", suite.cases)
        (rules / "all.yaml").write_text(_yaml_text(whole), "utf-8")
        lib = fr.load_library(rules, schemas=root / "schemas")
        out[name] = Built(lib, rules, root / "schemas")
    return out


def _outcome(result: fr.Result, case: Case) -> str:
    """The case's criterion outcome in ``result``, or ``invalid`` for an invalid record."""
    outcomes = dict(result.outcomes)
    if case.id in outcomes:
        return outcomes[case.id]
    assert result.outcome == "invalid", result
    return "invalid"


@contextlib.contextmanager
def _interpreted() -> Iterator[None]:
    """Every expression evaluated by the reference interpreter (simpleeval)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(Expression, "evaluate", Expression.interpret)
    try:
        yield
    finally:
        mp.undo()


def _backends(rs: fr.RuleSet, case: Case) -> dict[str, str | None]:
    """The case's outcome by every backend (None: that backend does not answer for this case:
    the columns are not sure of it or have no form for it, or Arrow cannot hold the record)."""
    record = dict(case.record)
    got: dict[str, str | None] = {}
    got["rows"] = _outcome(rs.evaluate(record, as_of=case.as_of), case)
    with _interpreted():
        got["reference"] = _outcome(evaluate_reference(rs, record, as_of=case.as_of), case)
    got.update(_columns(rs, case))
    got.update(_arrow(rs, case))
    return got


def _columns(rs: fr.RuleSet, case: Case) -> dict[str, str | None]:
    columnar = pytest.importorskip("fupin_rules.columnar")
    outcomes, _col, _rows = columnar.evaluate_records(rs, [dict(case.record)], as_of=case.as_of)
    got: dict[str, str | None] = {"columns (records)": None}
    # evaluate_records gives record outcomes; the criterion's own outcome is compared below.
    normalised, reasons = rs.record_schema.check(dict(case.record))
    if reasons:
        got["columns (records)"] = "invalid" if outcomes[0] == "invalid" else outcomes[0]
        return got
    try:
        table = columnar.build_columns(rs, [normalised])
        col = columnar.evaluate_columns(rs, table, as_of=case.as_of)
    except columnar.ColumnarUnsupported:
        got["columns"] = None
        got["columns (records)"] = _record_view(outcomes[0], case)
        return got
    got["columns"] = None if col.uncertain[0] else col.criterion_outcome(0, case.id)
    got["columns (records)"] = _record_view(outcomes[0], case)
    return got


def _record_view(outcome: str, case: Case) -> str | None:
    """What a record outcome says of the case's one criterion (decision ``all``): pass and
    fail are the criterion's; invalid means unknown; not applicable cannot be told apart from
    pass (a criterion that does not apply does not block)."""
    return {"pass": None, "fail": "fail", "invalid": "unknown"}.get(outcome)


def _arrow(rs: fr.RuleSet, case: Case) -> dict[str, str | None]:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    arrow = pytest.importorskip("fupin_rules.arrow")
    try:
        table = pa.Table.from_pylist([dict(case.record)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return {"arrow": None, "parquet": None}  # not representable as an Arrow table
    got: dict[str, str | None] = {}
    (result,) = arrow.evaluate_arrow(rs, table, label="t", as_of=case.as_of)
    got["arrow"] = _outcome(result, case)
    buffer = io.BytesIO()
    try:
        pq.write_table(table, buffer)
    except pa.ArrowNotImplementedError:  # e.g. members with no fields at all
        return got
    read = pq.read_table(io.BytesIO(buffer.getvalue()))
    (result,) = arrow.evaluate_arrow(rs, read, label="t", as_of=case.as_of)
    got["parquet"] = _outcome(result, case)
    return got


def _check(case: Case, got: Mapping[str, str | None]) -> None:
    expected = case.expect
    wrong = {
        backend: outcome
        for backend, outcome in got.items()
        if outcome is not None
        and outcome != expected
        and not (backend == "columns (records)" and expected == "not_applicable")
    }
    assert not wrong, f"{case.name}: expected {expected} ({case.why}); got {wrong}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_through_every_backend(case: Case, built: dict[str, Built]) -> None:
    """Rows, the reference interpreter, columns and Arrow all give the case's outcome."""
    lib = built[case.file].lib
    rs = lib.get(f"conformance.{SUITES[case.file].name}.{case.id}", version="1")
    got = _backends(rs, case)
    assert got["rows"] is not None
    assert got["reference"] is not None
    _check(case, got)


@pytest.mark.parametrize("name", sorted(SUITES))
def test_file_through_the_parallel_runner(
    name: str, built: dict[str, Built], tmp_path: Path
) -> None:
    """Two worker processes over a JSON Lines file of the file's records give every case's
    outcome (one run per evaluation date)."""
    suite, b = SUITES[name], built[name]
    rs_all = b.lib.get(f"conformance.{suite.name}.all", version="1")
    for day in sorted({c.as_of for c in suite.cases}):
        cases = [c for c in suite.cases if c.as_of == day]
        path = tmp_path / f"{day}.jsonl"
        path.write_text("".join(dumps(dict(c.record)) + "\n" for c in cases), "utf-8")
        rs = rs_all.with_as_of(day)
        spec = RuleSetSpec.of(rs, rules=[b.rules], schemas=b.schemas, version="1", as_of=day)
        out = io.StringIO()
        evaluate_parallel(spec, [str(path)], out, jobs=2, findings=False, block_bytes=64)
        lines = out.getvalue().splitlines()
        assert len(lines) == len(cases)
        for case, line in zip(cases, lines, strict=True):
            data = json.loads(line)
            got = data["outcomes"].get(case.id, "invalid" if not data["outcomes"] else None)
            assert got == case.expect, f"{case.name}: expected {case.expect}, jobs gave {got}"


def test_the_suite_covers_the_language() -> None:
    """Every node kind, operator, function and strategy of the language's table is used by
    some case, and every outcome is expected by some case."""
    from fupin_rules.language import FUNCTIONS, OPERATORS
    from fupin_rules.language.table import NODES

    text = "\n".join(f"{c.test} {c.applies_if or ''}" for c in CASES)
    missing_functions = [name for name in FUNCTIONS if f"{name}(" not in text]
    assert not missing_functions, missing_functions
    missing_operators = [op for op in OPERATORS if f" {op} " not in text]
    assert not missing_operators, missing_operators
    assert {c.expect for c in CASES} == OUTCOMES
    assert set(NODES) == {
        "Const",
        "Name",
        "Attr",
        "Unary",
        "Binary",
        "Logic",
        "Compare",
        "Options",
        "Cond",
        "Call",
        "Aggregate",
    }
