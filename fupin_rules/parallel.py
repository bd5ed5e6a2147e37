"""Evaluating JSON Lines on several cores (``fupin-rules evaluate --jobs N``).

The main process reads raw lines, in order, and hands them out in chunks; worker processes
parse, evaluate and serialise each chunk; the main process writes the chunks back in input
order. The output bytes are those of one job: the same line reading (UTF-8 with an optional
BOM, blank lines skipped, line numbers counted the same way), the same parser, the same
evaluator and the same serialiser run on every line, only in another process.

Rule sets are not pickled: each worker receives a :class:`RuleSetSpec` (where the rule files
are, which standard, version, date and parameter overrides, and the fingerprint expected) and
resolves it itself: from the copy the parent registered when the worker was forked, or by
loading the files. A worker whose rule set has another fingerprint refuses to run, so all
workers provably use the rules the parent chose.

At most ``2 * jobs`` chunks are in flight, so memory stays flat however long the input.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, TextIO

import attrs

from .errors import UsageError
from .evaluation import rejected
from .io.jsonl import parse_json_record, raw_lines_of, result_line
from .io.parquet import PARQUET_SUFFIXES, read_parquet
from .model import RuleSet

__all__ = ["CHUNK_LINES", "RuleSetSpec", "evaluate_lines", "evaluate_parallel", "raw_lines"]

CHUNK_LINES = 250
"""Lines per chunk handed to a worker (smaller chunks keep both cores busy to the end: on
60,000 households 250 was about 4% faster than 1,000 with two jobs)."""


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
        from .library import load_library

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
    import hashlib
    import tempfile

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


Line = tuple[str, Any, str | None]
"""(source, text, error): a raw JSON line to parse (or, from Parquet, the record itself), or
the reason it could not be read."""


def raw_lines(paths: Sequence[str]) -> Iterator[Line]:
    """The lines of the inputs as :func:`fupin_rules.io.read_jsonl` reads them, unparsed; the
    rows of ``.parquet`` files as :func:`fupin_rules.io.parquet.read_parquet` reads them."""
    if not paths:
        paths = ["-"]
    for p in paths:
        if p != "-" and not Path(p).is_file():
            msg = f"输入文件不存在: {p}"
            raise UsageError(msg)
    for p in paths:
        if p == "-":
            yield from raw_lines_of(sys.stdin, "<stdin>")
        elif Path(p).suffix.lower() in PARQUET_SUFFIXES:
            for item in read_parquet(p):
                yield (item.source, item.record, item.error)
        else:
            with open(p, encoding="utf-8-sig", errors="strict", newline="") as fh:
                yield from raw_lines_of(fh, p)


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


def _work(chunk: list[Line], findings: bool) -> tuple[bytes, Counter[str], int]:
    assert _WORKER_RS is not None
    text, counts, bad = evaluate_lines(_WORKER_RS, chunk, findings=findings)
    # Encoded here, in parallel, so the parent only copies bytes to the output.
    return text.encode("utf-8"), counts, bad


def _chunks(lines: Iterable[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def evaluate_parallel(
    spec: RuleSetSpec,
    inputs: Sequence[str],
    out: TextIO,
    *,
    jobs: int,
    chunk_lines: int = CHUNK_LINES,
    findings: bool = True,
) -> tuple[Counter[str], int]:
    """Evaluate JSON Lines ``inputs`` with ``jobs`` processes (0: one per core), writing the
    results to ``out`` in input order. Returns outcome counts and the unparsable-line count.
    ``findings=False`` writes criterion outcomes instead of findings (``--brief``)."""
    if jobs < 0:
        msg = f"--jobs 须为非负整数, 得到 {jobs}"
        raise UsageError(msg)
    jobs = jobs or os.cpu_count() or 1
    lines = raw_lines(inputs)
    counts: Counter[str] = Counter()
    bad = 0
    if jobs == 1:
        rs = spec.resolve()
        for chunk in _chunks(lines, chunk_lines):
            text, c, b = evaluate_lines(rs, chunk, findings=findings)
            out.write(text)
            counts.update(c)
            bad += b
        return counts, bad
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: deque[AsyncResult[tuple[bytes, Counter[str], int]]] = deque()
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(spec,)) as pool:
        for chunk in _chunks(lines, chunk_lines):
            pending.append(pool.apply_async(_work, (chunk, findings)))
            while len(pending) >= 2 * jobs:
                bad += _drain(pending.popleft(), out, counts)
        while pending:
            bad += _drain(pending.popleft(), out, counts)
    return counts, bad


def _drain(
    job: AsyncResult[tuple[bytes, Counter[str], int]], out: TextIO, counts: Counter[str]
) -> int:
    data, c, b = job.get()
    raw = getattr(out, "buffer", None)
    if raw is not None and (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8":
        out.flush()
        raw.write(data)
    else:
        out.write(data.decode("utf-8"))
    counts.update(c)
    return b


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
