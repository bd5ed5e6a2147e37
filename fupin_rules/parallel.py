"""Evaluating JSON Lines on several cores (``fupin-rules evaluate --jobs N``).

The main process reads the input in blocks of whole lines (decoding them as UTF-8 and
counting lines, both in C) and hands the blocks out; worker processes split, parse, evaluate
and serialise each block into a file; the main process appends those files to the output in
input order, inside the kernel. One job runs the same blocks through the same code, so the
output bytes are those of one job: the same line reading (UTF-8 with an optional BOM, blank
lines skipped, line numbers counted the same way), the same parser, the same evaluator and the
same serialiser run on every line, only in another process.

Rule sets are not pickled: each worker receives a :class:`RuleSetSpec` (where the rule files
are, which standard, version, date and parameter overrides, and the fingerprint expected) and
resolves it itself: from the copy the parent registered when the worker was forked, or by
loading the files. A worker whose rule set has another fingerprint refuses to run, so all
workers provably use the rules the parent chose.

At most ``2 * jobs`` units are in flight, so memory stays flat however long the input.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import multiprocessing
import os
import tempfile
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, TextIO

import attrs

from ._cpus import available_cpus
from .errors import UsageError
from .evaluation import rejected
from .io.inputs import CHUNK_LINES, Rows, Unit, input_kind, lines_of_unit, read_inputs, units
from .io.jsonl import BLOCK_BYTES, Line, parse_json_record, result_line
from .io.parquet import parquet_rows
from .io.tables import TableReader
from .library import load_library
from .model import RuleSet

__all__ = [
    "AUTO_JOBS_MAX",
    "AUTO_JOBS_RECORDS",
    "RuleSetSpec",
    "auto_jobs",
    "columns_installed",
    "evaluate_inputs",
    "evaluate_lines",
    "evaluate_parallel",
    "evaluate_unit",
    "register",
    "spec_from_args",
]


@attrs.frozen
class RuleSetSpec:
    """How a worker finds the rule set: by files, selection and fingerprint."""

    standard: str
    fingerprint: str
    rules: tuple[str, ...] | None = None
    """Rule files or folders (None: the bundled standards)."""
    schemas: str | None = None
    version: str | None = None
    as_of: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    files: Mapping[str, str] | None = attrs.field(default=None, eq=False, hash=False)
    """Optionally the rule files' contents (relative path -> text), for workers on other
    machines that do not share the files (see :mod:`fupin_rules.distributed`)."""

    @classmethod
    def of(
        cls,
        rs: RuleSet,
        *,
        rules: Sequence[str | Path] | None = None,
        schemas: str | Path | None = None,
        version: str | None = None,
        as_of: str | None = None,
        params: Mapping[str, str] | Sequence[str] | None = None,
    ) -> RuleSetSpec:
        """The spec of ``rs``, loaded from ``rules`` with these selection arguments."""
        pairs: list[tuple[str, str]] = []
        if isinstance(params, Mapping):
            pairs = [(str(k), str(v)) for k, v in params.items()]
        elif params:
            for item in params:
                name, _, value = item.partition("=")
                pairs.append((name.strip(), value.strip()))
        spec = cls(
            standard=rs.id,
            fingerprint=rs.fingerprint,
            rules=tuple(str(r) for r in rules) if rules else None,
            schemas=str(schemas) if schemas else None,
            version=version,
            as_of=as_of or rs.default_as_of,
            params=tuple(pairs),
        )
        register(spec, rs)
        return spec

    def resolve(self) -> RuleSet:
        """The rule set this spec names; raises RuntimeError if its fingerprint differs."""
        found = _REGISTRY.get(self.key)
        if found is not None:
            return found
        rules: list[str] | None = list(self.rules) if self.rules else None
        schemas = self.schemas
        if self.files is not None:
            root = _materialise(self.files)
            rules = [str(root / "rules")]
            schemas = str(root / "schemas")
        lib = load_library(rules, schemas=schemas)
        rs = lib.get(self.standard, as_of=self.as_of, version=self.version)
        if self.params:
            rs = rs.with_parameters(dict(self.params))
        if rs.fingerprint != self.fingerprint:
            msg = (
                f"worker loaded {rs.key} with fingerprint {rs.fingerprint[:19]}, "
                f"expected {self.fingerprint[:19]}: the rule files differ"
            )
            raise RuntimeError(msg)
        _REGISTRY[self.key] = rs
        return rs

    @property
    def key(self) -> tuple[str, str | None, str]:
        """What identifies the resolved rule set: fingerprint, date and standard."""
        return (self.fingerprint, self.as_of, self.standard)


def _materialise(files: Mapping[str, str]) -> Path:
    """Write shipped rule files into a folder named by their content (once per process)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].encode("utf-8") + b"\0")
    root = Path(tempfile.gettempdir()) / f"fupin-rules-{digest.hexdigest()[:24]}-{os.getpid()}"
    if not root.exists():
        for name, text in files.items():
            target = (root / name).resolve()
            if root.resolve() not in target.parents:
                msg = f"shipped file name outside its folder: {name!r}"
                raise ValueError(msg)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return root


_REGISTRY: dict[tuple[str, str | None, str], RuleSet] = {}
"""Rule sets resolved in this process, by fingerprint (forked workers inherit it)."""


def register(spec: RuleSetSpec, rs: RuleSet) -> None:
    """Remember ``rs`` as the resolution of ``spec`` in this process (and forked children)."""
    if rs.fingerprint != spec.fingerprint:
        msg = "rule set and spec fingerprints differ"
        raise ValueError(msg)
    _REGISTRY[spec.key] = rs


# --------------------------------------------------------------------------- lines


def evaluate_unit(
    rs: RuleSet, unit: Unit, *, findings: bool = True
) -> tuple[str, Counter[str], int]:
    """:func:`evaluate_lines` of a unit of work. Parquet rows written without findings
    (``--brief``) are evaluated by whole columns where numpy is installed
    (:func:`fupin_rules.arrow.evaluate_arrow`: the same results)."""
    if isinstance(unit, Rows) and not findings and columns_installed():
        # numpy and pyarrow are optional: the column path is imported only when it runs.
        from .arrow import evaluate_arrow

        parts: list[str] = []
        counts: Counter[str] = Counter()
        for result in evaluate_arrow(rs, unit.batch, label=unit.label, start=unit.start):
            counts[result.outcome] += 1
            parts.append(result_line(result, findings=False))
            parts.append("\n")
        return "".join(parts), counts, 0
    return evaluate_lines(rs, lines_of_unit(unit), findings=findings)


def columns_installed() -> bool:
    """Whether numpy is installed (Parquet rows can then be evaluated by whole columns)."""
    return importlib.util.find_spec("numpy") is not None


def evaluate_lines(
    rs: RuleSet, lines: Iterable[Line], *, findings: bool = True
) -> tuple[str, Counter[str], int]:
    """Evaluate raw lines: the output text, outcome counts and the number of lines that were
    not records (what one job does for each line). ``findings=False``: outcomes only."""
    parts: list[str] = []
    counts: Counter[str] = Counter()
    bad = 0
    for source, text, error in lines:
        record = None
        if error is None:
            if isinstance(text, str):
                record, error = parse_json_record(text)
            else:  # a row read from Parquet
                record = text
        if error is not None:
            bad += 1
            result = rejected(rs, error, source=source)
        else:
            result = rs.evaluate(record, source=source)
        counts[result.outcome] += 1
        parts.append(result_line(result, findings=findings))
        parts.append("\n")
    return "".join(parts), counts, bad


# --------------------------------------------------------------------------- workers

_WORKER_RS: RuleSet | None = None


def _init_worker(spec: RuleSetSpec) -> None:
    global _WORKER_RS  # one rule set per worker process
    _WORKER_RS = spec.resolve()


def _work(unit: Unit, findings: bool, folder: str) -> tuple[str, Counter[str], int]:
    """Evaluate one chunk into a file of ``folder``; return its name and the counts.

    The output goes through a file, not back through the pool's pipe: the parent then moves
    it into the output inside the kernel (``sendfile``) instead of receiving, unpickling and
    writing it again, which cost the parent about a third of a core with two workers.
    """
    assert _WORKER_RS is not None
    text, counts, bad = evaluate_unit(_WORKER_RS, unit, findings=findings)
    fd, name = tempfile.mkstemp(suffix=".jsonl", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8"))
    return name, counts, bad


AUTO_JOBS_RECORDS = 20_000
"""Inputs of at least this many records (estimated) get one process per CPU by default."""

AUTO_JOBS_MAX = 8
"""At most this many processes by default (each holds the library)."""


def auto_jobs(paths: Sequence[str]) -> int:
    """The default number of processes for ``paths``: 1 for standard input and small inputs
    (starting workers costs about 0.15 s), else one per available CPU up to
    :data:`AUTO_JOBS_MAX`. The output is the same bytes either way."""
    if not paths or "-" in paths:
        return 1
    records = 0.0
    for p in paths:
        path = Path(p)
        if not path.is_file():
            return 1  # the run reports the missing file
        if input_kind(path) == "parquet":
            records += parquet_rows(path)
        else:
            records += path.stat().st_size / 1024  # a household line is about 1 KB
    if records < AUTO_JOBS_RECORDS:
        return 1
    return max(1, min(available_cpus(), AUTO_JOBS_MAX))


def evaluate_parallel(
    spec: RuleSetSpec,
    inputs: Sequence[str],
    out: TextIO,
    *,
    jobs: int,
    block_bytes: int = BLOCK_BYTES,
    chunk_lines: int = CHUNK_LINES,
    findings: bool = True,
) -> tuple[Counter[str], int]:
    """Evaluate JSON Lines (or Parquet) ``inputs`` with ``jobs`` processes (0: one per core),
    writing the results to ``out`` in input order. Returns outcome counts and the
    unparsable-line count. ``findings=False`` writes criterion outcomes instead of findings
    (``--brief``). ``block_bytes`` and ``chunk_lines``: the units of work (see :func:`units`).
    """
    if jobs < 0:
        msg = f"--jobs 须为非负整数, 得到 {jobs}"
        raise UsageError(msg)
    jobs = jobs or available_cpus()
    work = units(inputs, block_bytes=block_bytes, chunk_lines=chunk_lines)
    counts: Counter[str] = Counter()
    bad = 0
    if jobs == 1:
        rs = spec.resolve()
        for unit in work:
            text, c, b = evaluate_unit(rs, unit, findings=findings)
            out.write(text)
            counts.update(c)
            bad += b
        return counts, bad
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: deque[AsyncResult[tuple[str, Counter[str], int]]] = deque()
    with (
        tempfile.TemporaryDirectory(prefix="fupin-rules-jobs-") as folder,
        ctx.Pool(jobs, initializer=_init_worker, initargs=(spec,)) as pool,
    ):
        for unit in work:
            pending.append(pool.apply_async(_work, (unit, findings, folder)))
            while len(pending) >= 2 * jobs:
                bad += _drain(pending.popleft(), out, counts)
        while pending:
            bad += _drain(pending.popleft(), out, counts)
    return counts, bad


def _drain(
    job: AsyncResult[tuple[str, Counter[str], int]], out: TextIO, counts: Counter[str]
) -> int:
    name, c, b = job.get()
    try:
        _append(name, out)
    finally:
        os.unlink(name)
    counts.update(c)
    return b


def _append(name: str, out: TextIO) -> None:
    """Append the UTF-8 file ``name`` to ``out``: by ``sendfile`` where ``out`` is a UTF-8
    text stream over a file descriptor, else by reading and writing."""
    raw = getattr(out, "buffer", None)
    utf8 = (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8"
    with open(name, "rb") as src:
        if raw is None or not utf8:
            out.write(src.read().decode("utf-8"))
            return
        out.flush()
        sent = _sendfile(src, raw)
        src.seek(sent)
        rest = src.read()
        if rest:
            raw.write(rest)
            raw.flush()


def _sendfile(src: Any, raw: Any) -> int:
    """Copy ``src`` to the descriptor under ``raw`` inside the kernel; the bytes copied (fewer
    than all, even none, where the platform or stream does not allow it)."""
    sent = 0
    try:
        target, source = raw.fileno(), src.fileno()
        size = os.fstat(source).st_size
        while sent < size:
            step = os.sendfile(target, source, sent, size - sent)
            if step == 0:  # pragma: no cover - the file shrank underneath
                break
            sent += step
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass  # an in-memory stream, or no sendfile between these two: the caller copies
    return sent


def evaluate_inputs(
    spec: RuleSetSpec,
    inputs: Sequence[str],
    out: TextIO,
    *,
    jobs: int | None = None,
    findings: bool = True,
    tables: TableReader | None = None,
) -> tuple[Counter[str], int]:
    """What ``fupin-rules evaluate`` does: every input (none: standard input) evaluated, one
    result line per record or rejected line or row, in input order, written to ``out``.
    Returns outcome counts and how many lines or rows were rejected before evaluation.

    Tables (read by ``tables``: households assembled from member rows across a whole file)
    are read and evaluated in this process; JSON Lines and Parquet by :func:`evaluate_parallel`
    with ``jobs`` processes (None: :func:`auto_jobs`). The bytes are the same for any ``jobs``.
    """
    if tables is not None:
        items = read_inputs(inputs, tables=tables)
        text, counts, rejected_lines = evaluate_lines(
            spec.resolve(), ((i.source, i.record, i.error) for i in items), findings=findings
        )
        out.write(text)
        return counts, rejected_lines
    chosen = auto_jobs(inputs) if jobs is None else jobs
    return evaluate_parallel(spec, inputs, out, jobs=chosen, findings=findings)


def spec_from_args(args: Any, rs: RuleSet) -> RuleSetSpec:
    """The spec of the rule set the command line selected (``--rules``, ``--schemas``,
    ``-s``, ``--version``, ``--as-of``, ``--param``)."""
    return RuleSetSpec.of(
        rs,
        rules=getattr(args, "rules", None),
        schemas=getattr(args, "schemas", None),
        version=getattr(args, "version", None),
        as_of=getattr(args, "as_of", None),
        params=getattr(args, "param", None),
    )
