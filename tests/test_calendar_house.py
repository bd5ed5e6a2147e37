"""The calendar package's house rules: layers that look down only, frozen means frozen."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from types import MappingProxyType

import attrs
import pytest

import fupin_rules.calendar as calendar_pkg
from fupin_rules.calendar import (
    Action,
    Calendar,
    Deliverable,
    Node,
    OpenAt,
    load_calendar,
)

PACKAGE = Path(calendar_pkg.__file__).resolve().parent
ROOT = PACKAGE.parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"

# Each module may import only modules of a lower layer (moments -> parts -> model -> ... -> cli).
LAYERS = {
    "moments": 0,
    "parts": 1,
    "model": 2,
    "loading": 3,
    "lint": 3,
    "render": 3,
    "cli": 4,
    "__init__": 5,
}


def _imports(path: Path) -> list[tuple[ast.ImportFrom | ast.Import, bool]]:
    """Every import statement of a module, and whether it is at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in tree.body:  # imports under ``if TYPE_CHECKING:`` are module level too
        if isinstance(node, ast.If):
            top |= {id(n) for n in node.body}
    return [
        (node, id(node) in top)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def test_every_module_has_a_layer() -> None:
    """The layer table names every module of the package."""
    assert {p.stem for p in PACKAGE.glob("*.py")} == set(LAYERS)


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_imports_look_down_only(module: str) -> None:
    """A module imports siblings of lower layers only, at module level, and no private names."""
    for node, at_top in _imports(PACKAGE / f"{module}.py"):
        assert at_top, f"{module}.py:{node.lineno}: function-level import"
        if not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        sibling = (node.module or "").split(".")[0]
        assert LAYERS[sibling] < LAYERS[module], f"{module} imports {sibling} (not below it)"
        private = [a.name for a in node.names if a.name.startswith("_")]
        assert not private, f"{module}.py:{node.lineno}: takes private {private}"


def test_no_setattr_after_init() -> None:
    """No module of the package sets fields of a frozen object behind attrs' back."""
    for path in PACKAGE.glob("*.py"):
        assert "__setattr__" not in path.read_text(encoding="utf-8"), path.name


def test_public_names_kept() -> None:
    """Every public name the package exported before the restructuring is still exported."""
    before = {
        "CST",
        "Action",
        "Calendar",
        "CheckResult",
        "Deliverable",
        "DueItem",
        "Node",
        "OpenAt",
        "Source",
        "Window",
        "add_calendar_arguments",
        "bundled_calendars",
        "format_duration",
        "load_calendar",
        "load_calendar_document",
        "parse_moment",
        "register_calendar_command",
        "run_calendar_command",
        "select_calendar",
    }
    assert before <= set(calendar_pkg.__all__)
    for name in calendar_pkg.__all__:
        assert getattr(calendar_pkg, name) is not None


def _mutable_values(value: object, seen: set[int] | None = None) -> list[str]:
    """Paths to every list, dict or set reachable through attrs fields, tuples and mappings."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    found: list[str] = []
    if isinstance(value, list | dict | set | bytearray):
        return [type(value).__name__]
    cls = type(value)
    if attrs.has(cls):
        for field in attrs.fields(cls):
            for inner in _mutable_values(getattr(value, field.name), seen):
                found.append(f"{type(value).__name__}.{field.name}: {inner}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            found += [f"[{i}] {inner}" for inner in _mutable_values(item, seen)]
    elif isinstance(value, MappingProxyType):
        for key, item in value.items():
            found += [f"[{key!r}] {inner}" for inner in _mutable_values(item, seen)]
    return found


def test_a_loaded_calendar_holds_nothing_mutable() -> None:
    """Every mapping and sequence a loaded calendar exposes, at any depth, is immutable."""
    cal = load_calendar(PLAN)
    assert _mutable_values(cal) == []
    assert isinstance(cal.actions, MappingProxyType)
    assert isinstance(cal.positions, MappingProxyType)
    with pytest.raises(TypeError):
        cal.actions["x"] = Action("x", "x")  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cal.nodes = ()  # type: ignore[misc]
    assert not hasattr(cal, "document")
    results = [
        cal.check("household_exit_certification", "2018-11-27T10:00"),
        cal.open_at("2018-11-10T12:00"),
        *cal.due_within("2018-12-01", 30),
        *cal.windows("system_entry"),
    ]
    assert _mutable_values(tuple(results)) == []


def test_lists_given_to_constructors_become_tuples() -> None:
    """Built from lists and dicts in code, the objects still expose only tuples and proxies."""
    instant = dt.datetime(2018, 12, 5, tzinfo=calendar_pkg.CST)
    d = Deliverable("d", "成果", instant, "2018-12-05", "n")
    node = Node(
        "n",
        "节点",
        "二(一)",
        instant,
        instant,
        "2018-12-05",
        "2018-12-05",
        0,
        opens=["a"],
        deliverables=[d],
        after=["m"],
    )
    assert (node.opens, node.deliverables, node.after) == (("a",), (d,), ("m",))
    actions = {"a": Action("a", "事项")}
    cal = Calendar(
        id="t.x",
        version="1",
        title="t",
        effective_from=None,
        effective_until=None,
        timezone="Asia/Shanghai",
        sources=[],
        actions=actions,
        nodes=[node],
        fingerprint="sha256:0",
        source_file="t.yaml",
    )
    actions["b"] = Action("b", "后加的")
    assert list(cal.actions) == ["a"]  # a copy, not a view of the caller's dict
    assert _mutable_values(cal) == []
    opened = OpenAt(instant, [node], [actions["a"]])
    assert isinstance(opened.nodes, tuple)
    assert isinstance(opened.actions, tuple)


def test_every_attrs_class_of_the_package_is_frozen() -> None:
    """Each attrs class of the package is declared ``@attrs.frozen``."""
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                assert decorators == ["attrs.frozen"], f"{path.name}: {node.name} {decorators}"
