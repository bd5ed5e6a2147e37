"""Dask integration: partitioned JSON Lines in, the command's exact bytes out (issue 6)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.cli import main
from fupin_rules.parallel import _REGISTRY, RuleSetSpec

from .conftest import ROOT

dask = pytest.importorskip("dask", reason="Dask is optional (extra: dask)")

from fupin_rules import distributed  # noqa: E402

sys.path.insert(0, str(ROOT))
from benchmarks.generate import households, to_line  # noqa: E402


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    recs = [to_line(r) for r in households(90, seed=8, missing=0.05)]
    for i in range(3):
        p = tmp_path / f"county-{i}.jsonl"
        lines = recs[i * 30 : (i + 1) * 30]
        if i == 1:
            lines.insert(4, "{broken")
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def test_dask_output_is_the_command_output(parts: list[Path], tmp_path: Path) -> None:
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    spec = distributed.ship(rs, as_of="2018-11-20")
    assert spec.files is not None
    assert any(name.startswith("schemas/records/") for name in spec.files)
    _REGISTRY.clear()  # make the worker load the shipped files, not this process's copy
    bag = distributed.evaluate_jsonl(spec, parts)
    text = "".join(line + "\n" for line in bag.compute(scheduler="synchronous"))
    out = tmp_path / "cli.jsonl"
    args = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20"]
    assert main([*args, *map(str, parts), "-o", str(out)], err=io.StringIO()) == 0
    assert text == out.read_text(encoding="utf-8")
    assert bag.npartitions == 3


def test_to_textfiles_writes_the_command_output(parts: list[Path], tmp_path: Path) -> None:
    """Dask's own writer gives each partition's file exactly what ``evaluate`` writes for
    that input: no blank line after each result (it puts a newline between items)."""
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    bag = distributed.evaluate_files(distributed.ship(rs, as_of="2018-11-20"), parts)
    written = bag.to_textfiles(
        str(tmp_path / "out" / "*.jsonl"), last_endline=True, scheduler="synchronous"
    )
    args = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20"]
    for part, name in zip(parts, sorted(written), strict=True):
        want = tmp_path / f"{part.stem}.cli.jsonl"
        assert main([*args, str(part), "-o", str(want)], err=io.StringIO()) == 0
        got = Path(name).read_bytes()
        assert b"\n\n" not in got
        assert got == want.read_bytes()


def test_shipped_rules_must_match_the_fingerprint() -> None:
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    spec = distributed.ship(rs, as_of="2018-11-20")
    assert spec.files is not None
    files = dict(spec.files)
    # the national-line series (3218 from 2019) is written once, in the 2016 base file
    name = next(n for n in files if n.endswith("gx.household.exit/2016.yaml"))
    files[name] = files[name].replace("value: 3218", "value: 3219", 1)
    forged = RuleSetSpec(
        standard=spec.standard, fingerprint=spec.fingerprint, as_of=spec.as_of, files=files
    )
    _REGISTRY.clear()
    with pytest.raises(RuntimeError, match="fingerprint"):
        forged.resolve()


def test_one_bag_item_per_record_even_with_line_separators(tmp_path: Path) -> None:
    """A result may hold U+2028 (JSON does not escape it); it is still one item of the bag."""
    rs = fr.load_library().get("gx.household.exit", as_of="2018-11-20")
    path = tmp_path / "odd.jsonl"
    path.write_text('{"household_id": "A\u2028B"}\n{"household_id": "C\x85"}\n', encoding="utf-8")
    items = distributed.evaluate_partition([str(path)], RuleSetSpec.of(rs, as_of="2018-11-20"))
    assert len(items) == 2
    assert all("\n" not in item for item in items)
    assert '"record_id":"A\u2028B"' in items[0]
