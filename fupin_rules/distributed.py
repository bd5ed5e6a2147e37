"""Beyond one machine: evaluating partitioned JSON Lines or Parquet with Dask.

Each partition is one JSON Lines or Parquet file (a province split into county files, say).
The rule set travels to the workers as data: a :class:`~fupin_rules.parallel.RuleSetSpec`
carrying the contents of the rule files and record schemas and the fingerprint they must
produce. Each worker writes the files into a private folder, loads them, and refuses to evaluate
if the fingerprint differs, so every worker provably applies the rules the client chose,
whatever is installed on that machine. Nothing is pickled but plain text.

The bag holds one result line per item, without its newline, as ``Bag.to_textfiles`` expects
(it writes a newline between items, and after the last with ``last_endline=True``). The output
of each JSON Lines partition written so is, byte for byte, what ``fupin-rules evaluate`` writes
for that file (same sources ``file:line``, same order); concatenated in partition order it is
what the command writes for all the files; a Parquet file gives one line per row, with source
``file:row``, as the command does too. Dask itself is optional (``pip install
fupin-rules[dask]``), and so is pyarrow for Parquet (``fupin-rules[parquet]``).

Locally::

    bag = evaluate_files(ship(rs), ["county-1.jsonl", "county-2.jsonl"])
    bag.to_textfiles("results/*.jsonl", last_endline=True)   # one file per partition
    text = "".join(line + "\n" for line in bag.compute())     # or in memory
    bag = evaluate_files(ship(rs), ["county-1.parquet"], findings=False)   # as --brief

On a cluster, create a ``dask.distributed.Client`` first (``Client("scheduler:8786")``); the
same bag runs there. The input paths must be readable by the workers (a shared file system, or
fsspec URLs such as ``s3://`` when the files are first copied locally by the partition task).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._files import rule_files
from ._resources import bundled_schemas_dir, bundled_standards_dir
from .io.inputs import units
from .model import RuleSet
from .parallel import RuleSetSpec, unit_bytes
from .results import FindingsForm

__all__ = ["evaluate_files", "evaluate_jsonl", "evaluate_partition", "ship"]


def ship(
    rs: RuleSet,
    *,
    rules: Sequence[str | Path] | None = None,
    schemas: str | Path | None = None,
    version: str | None = None,
    as_of: str | None = None,
    params: dict[str, str] | None = None,
) -> RuleSetSpec:
    """The spec of ``rs`` with the contents of its rule files and record schemas, for workers
    that do not share the files. ``rules``/``schemas`` are where ``rs`` was loaded from
    (default: the bundled standards and schemas)."""
    files: dict[str, str] = {}
    roots = [Path(r) for r in rules] if rules else [bundled_standards_dir()]
    for i, root in enumerate(roots):
        for file in rule_files(root):
            rel = file.name if root.is_file() else file.relative_to(root).as_posix()
            files[f"rules/{i}/{rel}"] = file.read_text(encoding="utf-8")
    schema_root = Path(schemas) if schemas else bundled_schemas_dir()
    for file in sorted((schema_root / "records").glob("*.json")):
        files[f"schemas/records/{file.name}"] = file.read_text(encoding="utf-8")
    pairs = tuple(sorted((params or {}).items()))
    return RuleSetSpec(
        standard=rs.id,
        fingerprint=rs.fingerprint,
        version=version,
        as_of=as_of or rs.default_as_of,
        params=pairs,
        files=files,
    )


def evaluate_partition(
    paths: Sequence[str], spec: RuleSetSpec, findings: FindingsForm = "lean"
) -> list[str]:
    """Evaluate the JSON Lines files of one partition: one result line per input line, each
    without its newline (``findings`` as for :meth:`fupin_rules.Result.to_json`: lean lines
    by default, as ``evaluate`` writes; ``False``: criterion outcomes only, as ``--brief``)."""
    rs = spec.resolve()
    data = b"".join(unit_bytes(rs, unit, findings=findings)[0] for unit in units(list(paths)))
    # One result per "\n" (a result may hold U+2028 and the like, which splitlines splits at).
    return [line.decode("utf-8") for line in data.split(b"\n")[:-1]]


def evaluate_files(
    spec: RuleSetSpec, paths: Sequence[str | Path], *, findings: FindingsForm = "lean"
) -> Any:
    """A ``dask.bag.Bag`` of result lines (without newlines: ``bag.to_textfiles(path,
    last_endline=True)`` writes what ``evaluate`` writes), one partition per input file (JSON
    Lines, or Parquet by the ``.parquet`` extension), in input order."""
    import dask.bag as db

    names = [str(p) for p in paths]
    if not names:
        msg = "no input files"
        raise ValueError(msg)
    from_sequence: Any = db.from_sequence
    bag = from_sequence(names, npartitions=len(names))
    return bag.map_partitions(evaluate_partition, spec, findings)


evaluate_jsonl = evaluate_files
"""The name of :func:`evaluate_files` from before Parquet was read."""
