"""The house: the package's modules import one way, down the layers of docs/architecture.md.

Checked from the source (nothing is imported): no import cycles, no private names taken across
modules, no module past 600 lines of logic, every import going to the same layer or one below,
and no module imported inside a function except the optional parts that need numpy, pyarrow or
dask (so that a plain install works without them) and the few imports listed in DEFERRED (so
that a run imports only what its command uses). ``../shared/tools/house-check.py`` checks
the first three too; this test keeps them in CI, where that tool is not at hand.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "fupin_rules"

LAYERS: tuple[tuple[str, ...], ...] = (
    # 0. foundations: errors, canonical JSON, read-only views, files, YAML with positions
    (
        "errors",
        "days",
        "_version",
        "_canonical",
        "_frozen",
        "_files",
        "_resources",
        "_cpus",
        "_yaml",
        "progress",
        "console",
        "display",
    ),
    # 1. the rule language: its tree, table, checker and backends
    ("language", "language.*"),
    # 2. what rule sets and results are made of; outcomes and decisions; the row plan
    (
        "codelists",
        "record_patterns",
        "record_keywords",
        "record_source",
        "record_checks",
        "record_typed",
        "records",
        "schemas",
        "decision",
        "findings",
        "results",
        "lean",
        "model",
        "plan",
    ),
    # 3. readers of files and documents; calendars as data
    (
        "io",
        "io.files",
        "io.jsonl",
        "io.parquet",
        "io.spreadsheets",
        "io.workbooks",
        "io.headermaps",
        "io.tables",
        "io.assembly",
        "io.derive",
        "io.decision_log",
        "calendar.moments",
        "calendar.parts",
        "calendar.model",
        "calendar.loading",
        "events",
        "events.model",
        "events.procedures",
        "events.year",
    ),
    # 4. applying a rule set to a record; what findings tell beyond outcomes
    ("evaluation", "context", "hints"),
    # 5. rule files to rule sets
    ("loading", "loading.*"),
    # 6. the library of standards
    ("library",),
    # 7. runs over many records, comparisons, examples, calendar outputs, the input layer
    (
        "io.inputs",
        "tally",
        "columnar",
        "arrow",
        "parallel",
        "distributed",
        "compare",
        "dated",
        "verify",
        "explain",
        "quality",
        "testing",
        "properties",
        "cli_options",
        "cli_parser",
        "calendar.lint",
        "calendar.render",
        "events.steps",
        "events.subject",
        "events.check",
        "events.reading",
        "village_figures",
        "frames",
    ),
    # 8. outputs: problem lists, the site of the standards
    (
        "reports",
        "reports.*",
        "events.report",
        "forms",
        "forms.catalog",
        "forms.template",
        "forms.reading",
        "deliverables",
        "deliverables.sheets",
        "deliverables.verdicts",
        "deliverables.adjustment",
        "deliverables.planlist",
        "deliverables.suspects",
        "deliverables.summary",
        "deliverables.writing",
        "site.prose",
        "site.html",
        "site.layout",
        "site.standards",
        "site.changes",
        "site.timeline",
        "site.batches",
        "site.build",
    ),
    # 9. subcommands
    (
        "io.commands",
        "calendar.cli",
        "calendar",
        "events.cli",
        "site.cli",
        "site",
        "audit_commands",
        "compare_commands",
        "rule_commands",
        "collect_commands",
        "forms.cli",
        "deliverables.cli",
        "deliverables.summary_cli",
    ),
    # 10. the command line and the package's public face
    ("cli", ""),
)

OPTIONAL = ("arrow", "columnar", "distributed", "language.columns", "language.column_table")
"""Modules that need numpy, pyarrow or dask: imported inside the functions that use them."""

DEFERRED = {
    "cli": {
        "rule_commands",
        "compare_commands",
        "calendar.cli",
        "io.commands",
        "events.cli",
        "site.cli",
        "audit_commands",
        "forms.cli",
        "deliverables.cli",
        "collect_commands",
        "reports",
        "reports.results_book",
        "explain",
    },
    "library": {"calendar.loading", "io.headermaps", "events.procedures"},
}
"""Imports made where they are used so that a run imports only what its command needs (the
start-up of a short ``evaluate``): the CLI imports the module of the command it runs (and the
spreadsheet, workbook, explanation and decision-log code when asked for), the library the
loaders of calendars, header maps and procedures when it holds such files."""


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        rel = f.relative_to(PACKAGE).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = f
    return out


MODULES = _modules()


def _layer(name: str) -> int:
    for i, patterns in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return i
    msg = f"module fupin_rules.{name} is in no layer of tests/test_house.py"
    raise AssertionError(msg)


def _imports(name: str) -> list[tuple[str, str, int, bool]]:
    """(module imported, name imported, line, inside a function) for each package import."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside.update(id(sub) for sub in ast.walk(node))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        module = ".".join(p for p in (base, node.module or "") if p)
        for alias in node.names:
            target = f"{module}.{alias.name}".lstrip(".")
            target = target if target in MODULES else module
            out.append((target, alias.name, node.lineno, id(node) in inside))
    return out


def _edges() -> dict[str, set[str]]:
    return {
        name: {target for target, _, _, _ in _imports(name) if target != name} for name in MODULES
    }


def test_every_module_has_a_layer() -> None:
    """The layer table names every module of the package."""
    for name in MODULES:
        _layer(name)


def test_imports_look_down() -> None:
    """Every import goes to a module of the same layer or a lower one (a package's own
    ``__init__``, its facade, is not a target)."""
    upward = []
    for name in MODULES:
        for target, _, line, _ in _imports(name):
            façade = MODULES[target].name == "__init__.py" and (
                name.startswith(target + ".") or target == ""
            )
            if target != name and not façade and _layer(target) > _layer(name):
                upward.append(f"fupin_rules.{name}:{line} imports fupin_rules.{target}")
    assert upward == []


def test_no_import_cycles() -> None:
    """No module reaches itself through its imports (a package facade excepted)."""
    edges = _edges()
    for name, targets in edges.items():
        targets.difference_update(
            t for t in set(targets) if MODULES[t].name == "__init__.py" and name.startswith(t)
        )
    cycles = []
    for start in edges:
        stack = [(start, (start,))]
        seen = set()
        while stack:
            node, path = stack.pop()
            for target in edges.get(node, ()):
                if target == start:
                    cycles.append(" -> ".join((*path, start)))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, (*path, target)))
    assert cycles == []


def test_no_private_names_across_modules() -> None:
    """No module takes another module's ``_private`` name."""
    taken = [
        f"fupin_rules.{name}:{line} takes {imported} from fupin_rules.{target}"
        for name in MODULES
        for target, imported, line, _ in _imports(name)
        if imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert taken == []


def test_no_module_past_600_lines_of_logic() -> None:
    """Each module stays small enough to read whole (blank and comment lines not counted)."""
    large = {}
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        logic = sum(1 for x in lines if x.strip() and not x.strip().startswith("#"))
        if logic > 600:
            large[name] = logic
    assert large == {}


def test_function_level_imports_only_for_optional_parts() -> None:
    """A package module is imported inside a function only where it needs an optional
    dependency (numpy, pyarrow, dask); everything else is imported at the top, where the
    dependency is plain to see."""
    lazy = [
        f"fupin_rules.{name}:{line} imports fupin_rules.{target} inside a function"
        for name in MODULES
        for target, _, line, inside in _imports(name)
        if inside and target not in OPTIONAL and target not in DEFERRED.get(name, ())
    ]
    assert lazy == []


def test_the_architecture_page_lists_the_layers_as_they_are() -> None:
    """docs/architecture.md's layer table names the modules of each layer, as LAYERS does."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {
        int(m.group(1)): set(re.findall(r"`([a-z_.*]+)`", m.group(2)))
        for m in re.finditer(r"^\| (\d+) \| (.*?) \|", text, re.MULTILINE)
    }
    for i, patterns in enumerate(LAYERS):
        named = {p for p in patterns if p}
        assert named <= rows.get(i, set()), (i, sorted(named - rows.get(i, set())))
