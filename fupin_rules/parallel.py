"""Evaluating JSON Lines on several cores (``fupin-rules evaluate --jobs N``).

The main process reads the input in blocks of whole lines (finding and counting the lines, in
C) and hands them out: a regular file's by place (:class:`~fupin_rules.io.jsonl.Span`, which
each worker reads and decodes itself), standard input's as decoded text; worker processes
split, parse, evaluate and serialise each block into a file; the main process appends those
files to the output in input order, inside the kernel. One job runs the same blocks through the
same code, so the output bytes are those of one job: the same line reading (UTF-8 with an
optional BOM, blank lines skipped, line numbers counted the same way), the same parser, the
same evaluator and the same serialiser run on every line, only in another process.

Rule sets are not pickled: each worker receives a :class:`RuleSetSpec` (where the rule files
are, which standard, version, date and parameter overrides, and the fingerprint expected) and
resolves it itself: from the copy the parent registered when the worker was forked, or by
loading the files. A worker whose rule set has another fingerprint refuses to run, so all
workers provably use the rules the parent chose.

At most ``2 * jobs`` units are in flight, so memory stays flat however long the input.

Nothing stops a run or loses a line (P1 of the reliability promises): an exception raised
while one record is read, checked, evaluated or written makes that record an ``invalid``
result with the reason (``内部错误: ...``) and the run goes on, the error kept in the run's
:class:`Tally`; a worker that dies (the out-of-memory killer's SIGKILL) loses nothing either:
its unit is run again, alone in a fresh worker, and only if it kills that one too is each of
its records an ``invalid`` result naming the crash. Workers never outlive the run: they stop
when the parent's run ends, however it ends.
"""

from __future__ import annotations

import importlib.util
import io
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from ._cpus import available_cpus
from .dated import DatedEvaluator
from .errors import FileError, UsageError
from .evaluation import rejected
from .io.files import scratch_folder, shielded
from .io.inputs import (
    CHUNK_LINES,
    Rows,
    Unit,
    input_kind,
    lines_in_unit,
    lines_of_unit,
    read_inputs,
    units,
)
from .io.jsonl import BLOCK_BYTES, InputRecord, Line, LineParser, result_bytes
from .io.parquet import parquet_rows
from .library import load_library
from .model import RuleSet
from .progress import SILENT, Meter
from .results import FindingsForm, Result
from .tally import FAILURES_KEPT, Failure, Tally

if TYPE_CHECKING:
    from .io.tables import TableReader

__all__ = [
    "AUTO_JOBS_MAX",
    "AUTO_JOBS_RECORDS",
    "RuleSetSpec",
    "auto_jobs",
    "columns_installed",
    "evaluate_each",
    "evaluate_inputs",
    "evaluate_lines",
    "evaluate_parallel",
    "evaluate_unit",
    "register",
    "spec_from_args",
    "unit_bytes",
    "write_bytes",
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
        if self.files is not None:
            # Shipped files are needed only while they load: their folder goes right after.
            with scratch_folder("rules") as root:
                _materialise(self.files, root)
                lib = load_library([str(root / "rules")], schemas=str(root / "schemas"))
        else:
            lib = load_library(list(self.rules) if self.rules else None, schemas=self.schemas)
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


def _materialise(files: Mapping[str, str], root: Path) -> None:
    """Write shipped rule files into the folder ``root``."""
    for name, text in files.items():
        target = (root / name).resolve()
        if root.resolve() not in target.parents:
            msg = f"shipped file name outside its folder: {name!r}"
            raise ValueError(msg)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


_REGISTRY: dict[tuple[str, str | None, str], RuleSet] = {}
"""Rule sets resolved in this process, by fingerprint (forked workers inherit it)."""


def register(spec: RuleSetSpec, rs: RuleSet) -> None:
    """Remember ``rs`` as the resolution of ``spec`` in this process (and forked children)."""
    if rs.fingerprint != spec.fingerprint:
        msg = "rule set and spec fingerprints differ"
        raise ValueError(msg)
    _REGISTRY[spec.key] = rs


# --------------------------------------------------------------------------- lines


def evaluate_unit(rs: RuleSet, unit: Unit, *, findings: FindingsForm = True) -> tuple[str, Tally]:
    """:func:`evaluate_lines` of a unit of work, its blank lines counted too. Parquet rows
    written without findings (``--brief``) are evaluated by whole columns where numpy is
    installed (:func:`fupin_rules.arrow.evaluate_arrow`: the same results); should that
    raise, the rows are evaluated one by one and the error is kept as an internal error."""
    data, tally = unit_bytes(rs, unit, findings=findings)
    return data.decode("utf-8"), tally


def unit_bytes(rs: RuleSet, unit: Unit, *, findings: FindingsForm = True) -> tuple[bytes, Tally]:
    """:func:`evaluate_unit` as the UTF-8 bytes that are written (what workers and one job
    write, and Dask splits into lines)."""
    if isinstance(unit, Rows) and not findings and columns_installed():
        try:
            data, tally = _by_columns(rs, unit)
        except Exception as exc:  # noqa: BLE001 - a bug of the column path: rows answer instead
            lines = list(lines_of_unit(unit))
            failure = Failure.of(exc, _span(lines))
            data, tally = _lines(rs, lines, findings=False)
            tally = Tally(errors=1, failures=(failure,)) + tally
        return data, tally
    data, tally = _lines(rs, lines_of_unit(unit), findings=findings)
    blank = lines_in_unit(unit) - tally.results
    return data, attrs.evolve(tally, blank=blank) if blank else tally


def _by_columns(rs: RuleSet, unit: Rows) -> tuple[bytes, Tally]:
    # numpy and pyarrow are optional: the column path is imported only when it runs.
    from .arrow import iter_arrow

    parts: list[bytes] = []
    counts: Counter[str] = Counter()
    for result in iter_arrow(rs, unit.batch, label=unit.label, start=unit.start):
        counts[result.outcome] += 1
        parts.append(result_bytes(result, findings=False))
        parts.append(b"\n")
    return b"".join(parts), Tally.of(counts)


def _span(lines: Sequence[Line]) -> str:
    """The sources of ``lines``, first to last."""
    if not lines:
        return ""
    first, last = lines[0][0], lines[-1][0]
    return first if first == last else f"{first} 至 {last}"


def columns_installed() -> bool:
    """Whether numpy is installed (Parquet rows can then be evaluated by whole columns)."""
    return importlib.util.find_spec("numpy") is not None


def evaluate_lines(
    rs: RuleSet, lines: Iterable[Line], *, findings: FindingsForm = True
) -> tuple[str, Tally]:
    """Evaluate raw lines: the output text (one line per input line, which UTF-8 can carry:
    :func:`~fupin_rules.io.jsonl.utf8_json`) and its :class:`Tally` (what one job does for
    each line). ``findings=False``: outcomes only. Whatever goes wrong with one line, it gets
    its result and the next line is read."""
    data, tally = _lines(rs, lines, findings=findings)
    return data.decode("utf-8"), tally


Judge = RuleSet | DatedEvaluator
"""What evaluates each record: one rule set on one date, or each record under the version in
force on its own date (:class:`~fupin_rules.dated.DatedEvaluator`)."""


def _base(judge: Judge) -> RuleSet:
    """The rule set that names lines which never became records."""
    return judge if isinstance(judge, RuleSet) else judge.base


def _lines(rs: Judge, lines: Iterable[Line], *, findings: FindingsForm) -> tuple[bytes, Tally]:
    """:func:`evaluate_lines` as the bytes written: each result written to bytes at once
    (:func:`~fupin_rules.io.jsonl.result_bytes`), lone surrogates escaped."""
    parts: list[bytes] = []
    counts: Counter[str] = Counter()
    unreadable = failed = 0
    failures: list[Failure] = []
    # One rule set: its record schema reads and checks each line in one pass where it can.
    # (Each record's own version, by its date, may have another schema: the reference reads.)
    parse = LineParser(rs.record_schema.read_line if isinstance(rs, RuleSet) else None)
    for source, text, error in lines:
        record = None
        try:
            if error is None:
                if isinstance(text, str):
                    record, error = parse(text)
                else:  # a row read from Parquet, a record assembled from a table
                    record = text
            if error is not None:
                result = rejected(_base(rs), error, source=source)
                if isinstance(text, InputRecord) and text.record_id is not None:
                    result = attrs.evolve(result, record_id=text.record_id)
            else:
                result = rs.evaluate(record, source=source)
            line = result_bytes(result, findings=findings)
            unreadable += error is not None
        except Exception as exc:  # noqa: BLE001 - one record's failure is that record's result
            result, line, failure = _contained(rs, exc, source, record, findings)
            failed += 1
            if len(failures) < FAILURES_KEPT:
                failures.append(failure)
        counts[result.outcome] += 1
        parts.append(line)
        parts.append(b"\n")
    tally = Tally.of(
        counts, unreadable=unreadable, failed=failed, errors=failed, failures=tuple(failures)
    )
    return b"".join(parts), tally


def evaluate_each(
    judge: Judge, items: Iterable[InputRecord], emit: Callable[[InputRecord, Result], None]
) -> Tally:
    """Each item judged in this process and handed to ``emit`` with its result, in input
    order (what ``evaluate`` does for an output other than JSON Lines, such as a workbook):
    an item that is not a record gets its ``invalid`` result, and a bug hit by one record
    makes that record ``invalid`` (``内部错误``) as in :func:`evaluate_lines`."""
    counts: Counter[str] = Counter()
    unreadable = failed = 0
    failures: list[Failure] = []
    for item in items:
        try:
            if item.error is not None:
                result = rejected(_base(judge), item.error, source=item.source)
            else:
                result = judge.evaluate(item.record, source=item.source)
            unreadable += item.error is not None
        except Exception as exc:  # noqa: BLE001 - one record's failure is that record's result
            result, _, failure = _contained(judge, exc, item.source, item.record, False)
            failed += 1
            if len(failures) < FAILURES_KEPT:
                failures.append(failure)
        emit(item, result)
        counts[result.outcome] += 1
    return Tally.of(
        counts, unreadable=unreadable, failed=failed, errors=failed, failures=tuple(failures)
    )


def _contained(
    judge: Judge, exc: Exception, source: str, record: Any, findings: FindingsForm
) -> tuple[Result, bytes, Failure]:
    """The ``invalid`` result of a record whose reading, checking, evaluation or writing
    raised ``exc`` (a bug), its line, and the internal error."""
    rs = _base(judge)
    record_id = _record_id(rs, record)
    failure = Failure.of(exc, source, record_id)
    reason = f"内部错误: {failure.error} (这是 fupin-rules 的缺陷, 不是记录的问题; 请报告)"
    result = attrs.evolve(rejected(rs, reason, source=source), record_id=record_id)
    return result, result_bytes(result, findings=findings), failure


def _record_id(rs: RuleSet, record: Any) -> str | None:
    try:
        return rs.record_schema.record_id(record)
    except Exception:  # noqa: BLE001 - the record is what failed: its id only helps find it
        return None


# --------------------------------------------------------------------------- workers

_WORKER_SPEC: RuleSetSpec | None = None


def _init_worker(spec: RuleSetSpec, parent: int) -> None:
    global _WORKER_SPEC  # one rule set per worker process, resolved by its first unit
    _WORKER_SPEC = spec
    # The parent stops the run (Ctrl-C, SIGTERM) and then its workers, once their units are
    # done; a worker left without its parent (SIGKILLed) stops by itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them back
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _work(unit: Unit, findings: FindingsForm, folder: str) -> tuple[str, Tally]:
    """Evaluate one chunk into a file of ``folder``; return its name and the tally.

    The output goes through a file, not back through the pool's pipe: the parent then moves
    it into the output inside the kernel (``sendfile``) instead of receiving, unpickling and
    writing it again, which cost the parent about a third of a core with two workers.
    """
    assert _WORKER_SPEC is not None
    data, tally = unit_bytes(_WORKER_SPEC.resolve(), unit, findings=findings)
    fd, name = tempfile.mkstemp(suffix=".jsonl", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name, tally


_Pending = tuple[Unit, "Future[tuple[str, Tally]]", ProcessPoolExecutor]


class _Workers:
    """The worker processes of one run, and what is done when one of them dies.

    A dead worker breaks its pool: every unit it had not finished comes back as
    ``BrokenProcessPool``. The run goes on in a new pool, and each lost unit is run again,
    alone, in a worker of its own (so that a unit that kills its worker is told from one that
    was only in the same pool); a unit that kills that worker too is answered in this
    process, each record ``invalid`` with the crash as its reason.
    """

    def __init__(
        self, ctx: Any, jobs: int, spec: RuleSetSpec, findings: FindingsForm, folder: Path
    ) -> None:
        self.ctx, self.jobs, self.spec = ctx, jobs, spec
        self.findings, self.folder = findings, folder
        self.pool = self._start(jobs)
        self.solo: ProcessPoolExecutor | None = None

    # Pools are started, fed and stopped shielded from Ctrl-C and SIGTERM: an interrupt raised
    # inside the executor's own locking would leave it unable to shut down.

    def _start(self, workers: int) -> ProcessPoolExecutor:
        with shielded():
            return ProcessPoolExecutor(
                workers,
                mp_context=self.ctx,
                initializer=_init_worker,
                initargs=(self.spec, os.getpid()),
            )

    def _submit(self, pool: ProcessPoolExecutor, unit: Unit) -> Future[tuple[str, Tally]]:
        with shielded():  # the first submit forks the workers and starts the pool's threads
            return pool.submit(_work, unit, self.findings, str(self.folder))

    def submit(self, unit: Unit) -> _Pending:
        """Hand ``unit`` to a worker."""
        try:
            job = self._submit(self.pool, unit)
        except BrokenProcessPool:
            self._restart()
            job = self._submit(self.pool, unit)
        return unit, job, self.pool

    def take(self, pending: _Pending, out: TextIO) -> Tally:
        """Wait for a unit's results and append them to ``out``."""
        unit, job, pool = pending
        try:
            name, tally = job.result()
        except BrokenProcessPool:
            if pool is self.pool:
                self._restart()
            return self._again(unit, out)
        except OSError as exc:
            raise FileError(self.folder, "写入", exc, _TMPDIR) from exc
        _drain(name, out)
        return tally

    def _restart(self) -> None:
        with shielded():
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._start(self.jobs)

    def _again(self, unit: Unit, out: TextIO) -> Tally:
        """Run a lost unit once more, alone; if it kills that worker too, reject its records."""
        if self.solo is None:
            self.solo = self._start(1)
        try:
            name, tally = self._submit(self.solo, unit).result()
        except BrokenProcessPool:
            with shielded():
                self.solo.shutdown(wait=True)
            self.solo = None
            data, tally = _crashed(self.spec.resolve(), unit, self.findings)
            write_bytes(data, out)
            return tally
        except OSError as exc:
            raise FileError(self.folder, "写入", exc, _TMPDIR) from exc
        _drain(name, out)
        return tally

    def close(self) -> None:
        """Stop the workers (each finishes the unit it is on) and wait for them."""
        with shielded():
            for pool in (self.pool, self.solo):
                if pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)


_TMPDIR = "可设置环境变量 TMPDIR 指向空间足够、可写的目录"


def _crashed(rs: RuleSet, unit: Unit, findings: FindingsForm) -> tuple[bytes, Tally]:
    """The ``invalid`` results of a unit that killed its worker twice."""
    lines = list(lines_of_unit(unit))
    span = _span(lines)
    reason = (
        f"未评估: 评估这一批记录 ({span}) 的工作进程两次异常终止 (可能是内存不足被系统终止);"
        " 请单独评估这一批记录, 查明原因"
    )
    parts = [
        result_bytes(rejected(rs, reason, source=source), findings=findings) + b"\n"
        for source, _, _ in lines
    ]
    failure = Failure(source=span, record_id=None, error="工作进程两次异常终止 (进程被杀死)")
    tally = Tally.of(
        {"invalid": len(lines)},
        crashed=len(lines),
        blank=lines_in_unit(unit) - len(lines),
        errors=1,
        failures=(failure,),
    )
    return b"".join(parts), tally


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
    findings: FindingsForm = True,
    meter: Meter = SILENT,
) -> Tally:
    """Evaluate JSON Lines (or Parquet) ``inputs`` with ``jobs`` processes (0: one per core),
    writing the results to ``out`` in input order; return the run's :class:`Tally`.
    ``findings=False`` writes criterion outcomes instead of findings (``--brief``).
    ``block_bytes`` and ``chunk_lines``: the units of work (see :func:`units`). ``meter``
    is told of each unit once its results are written.
    """
    if jobs < 0:
        msg = f"--jobs 须为非负整数, 得到 {jobs}"
        raise UsageError(msg)
    jobs = jobs or available_cpus()
    # With workers, a regular file's lines go out by place: each worker reads and decodes
    # its own, and the parent only finds and counts them.
    work = units(inputs, block_bytes=block_bytes, chunk_lines=chunk_lines, spans=jobs > 1)
    tally = Tally()
    if jobs == 1:
        rs = spec.resolve()
        for unit in work:
            data, t = unit_bytes(rs, unit, findings=findings)
            write_bytes(data, out)
            tally += t
            meter.done(unit, t.results)
        return tally
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with scratch_folder("jobs") as folder:
        workers = _Workers(ctx, jobs, spec, findings, folder)  # no process yet: none to stop
        try:
            pending: deque[_Pending] = deque()
            for unit in work:
                pending.append(workers.submit(unit))
                while len(pending) >= 2 * jobs:
                    tally += _taken(workers, pending.popleft(), out, meter)
            while pending:
                tally += _taken(workers, pending.popleft(), out, meter)
        finally:
            workers.close()
    return tally


def _taken(workers: _Workers, pending: _Pending, out: TextIO, meter: Meter) -> Tally:
    tally = workers.take(pending, out)
    meter.done(pending[0], tally.results)
    return tally


def _drain(name: str, out: TextIO) -> None:
    try:
        _append(name, out)
    finally:
        os.unlink(name)


def _append(name: str, out: TextIO) -> None:
    """Append the UTF-8 file ``name`` to ``out``: by ``sendfile`` where ``out`` is a UTF-8
    text stream over a file descriptor, else by reading and writing."""
    raw = _raw(out)
    with open(name, "rb") as src:
        if raw is None:
            out.write(src.read().decode("utf-8"))
            return
        out.flush()
        sent = _sendfile(src, raw)
        src.seek(sent)
        rest = src.read()
        if rest:
            raw.write(rest)
            raw.flush()


def write_bytes(data: bytes, out: TextIO) -> None:
    """Write the UTF-8 ``data`` to the text stream ``out`` (to the bytes under it where it
    is a UTF-8 stream over bytes, so that they are not decoded to be encoded again)."""
    raw = _raw(out)
    if raw is None:
        out.write(data.decode("utf-8"))
        return
    out.flush()
    raw.write(data)


def _raw(out: TextIO) -> Any:
    """The byte stream under ``out`` if ``out`` writes UTF-8 to one, else None."""
    utf8 = (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8"
    return getattr(out, "buffer", None) if utf8 else None


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
    findings: FindingsForm = True,
    tables: TableReader | None = None,
    dated: DatedEvaluator | None = None,
    meter: Meter = SILENT,
) -> Tally:
    """What ``fupin-rules evaluate`` does: every input (none: standard input) evaluated, one
    result line per record or rejected line or row, in input order, written to ``out``.
    Returns the run's :class:`Tally`.

    Tables (read by ``tables``: households assembled from member rows across a whole file)
    are read and evaluated in this process, and so is every record when ``dated`` judges each
    on its own date (``evaluate --as-of-field``); otherwise JSON Lines and Parquet go through
    :func:`evaluate_parallel` with ``jobs`` processes (None: :func:`auto_jobs`). The bytes are
    the same for any ``jobs``. ``meter`` shows the progress (:mod:`fupin_rules.progress`).
    """
    if tables is not None or dated is not None:
        items = meter.track(read_inputs(inputs, tables=tables))
        judge: Judge = dated if dated is not None else spec.resolve()
        data, tally = _lines(
            judge, ((i.source, i.record if i.ok else i, i.error) for i in items), findings=findings
        )
        write_bytes(data, out)
        return tally
    chosen = auto_jobs(inputs) if jobs is None else jobs
    return evaluate_parallel(spec, inputs, out, jobs=chosen, findings=findings, meter=meter)


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
