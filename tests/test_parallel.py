"""``fupin-rules evaluate --jobs N``: the same bytes as one job (P3), every line accounted (P1)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules import parallel
from fupin_rules._cpus import available_cpus
from fupin_rules.cli import main
from fupin_rules.io import inputs, read_jsonl

from .conftest import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks.generate import households, to_line


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 households with bad lines, blank lines and a CRLF line scattered through."""
    path = tmp_path_factory.mktemp("par") / "in.jsonl"
    lines = [to_line(r) for r in households(300, seed=5, missing=0.05)]
    lines.insert(3, "not json")
    lines.insert(150, "")
    lines.insert(220, '{"household_id": "X", "household_id": "Y"}')
    lines.insert(221, "[1, 2]")
    lines[200] = lines[200] + "\r"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("jobs", ["2", "0"])
def test_jobs_give_the_bytes_of_one_job(data: Path, tmp_path: Path, jobs: str) -> None:
    base = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(data)]
    one = tmp_path / "one.jsonl"
    many = tmp_path / "many.jsonl"
    code1, _, err1 = _run([*base, "-o", str(one)])
    code2, _, err2 = _run([*base, "-o", str(many), "--jobs", jobs])
    assert code1 == code2 == 0
    assert one.read_bytes() == many.read_bytes()
    assert err1 == err2
    assert "读入 304 行: 评估 301 条记录, 拒收 2 行, 空行 1 行;" in err1
    assert len(one.read_text(encoding="utf-8").splitlines()) == 303  # 304 lines, one blank


def test_small_chunks_keep_order(data: Path) -> None:
    lib = fr.load_library()
    rs = lib.get("gx.household.exit", as_of="2018-11-20")
    spec = parallel.RuleSetSpec.of(rs, as_of="2018-11-20")
    a, b = io.StringIO(), io.StringIO()
    ta = parallel.evaluate_parallel(spec, [str(data)], a, jobs=1)
    tb = parallel.evaluate_parallel(spec, [str(data)], b, jobs=2, block_bytes=3000)
    assert a.getvalue() == b.getvalue()
    assert ta == tb
    assert (ta.results, ta.unreadable, ta.blank, ta.read) == (303, 2, 1, 304)


def test_raw_lines_number_lines_as_the_reader_does(data: Path) -> None:
    """--jobs reads, numbers and skips lines exactly as read_jsonl does (one line reader)."""
    raw = [src for src, _, _ in inputs.raw_lines([str(data)])]
    assert raw == [item.source for item in read_jsonl(data, str(data))]


def test_bad_utf8_is_one_rejected_line(tmp_path: Path) -> None:
    """A line that is not UTF-8 is one invalid result at its number; the lines after it are
    evaluated (it used to end the file there), with one job or two."""
    import json

    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"household_id": "A"}\n\xff\xfe\n{"household_id": "B"}\n')
    base = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(path)]
    code, out, err = _run(base)
    assert (code, out, err) == _run([*base, "-j", "2"])
    results = [json.loads(line) for line in out.splitlines()]
    assert [(r["source"], r["record_id"]) for r in results] == [
        (f"{path}:1", "A"),
        (f"{path}:2", None),
        (f"{path}:3", "B"),
    ]
    assert results[1]["reasons"][0].startswith("不是 UTF-8 编码: 第 1 个字节 (0xFF)")
    assert "读入 3 行: 评估 2 条记录, 拒收 1 行;" in err


def test_worker_refuses_other_rules() -> None:
    """A worker whose files give another fingerprint does not evaluate anything."""
    spec = parallel.RuleSetSpec(
        standard="gx.household.exit", fingerprint="sha256:0", as_of="2018-11-20"
    )
    with pytest.raises(RuntimeError, match="fingerprint"):
        spec.resolve()


def test_spawned_workers_and_hash_seed(data: Path, tmp_path: Path) -> None:
    """A separate process with another hash seed and --jobs 2 writes the same bytes (P3)."""
    base = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(data)]
    one = tmp_path / "one.jsonl"
    _run([*base, "-o", str(one)])
    two = tmp_path / "two.jsonl"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run(
        [sys.executable, "-m", "fupin_rules.cli", *base, "-o", str(two), "-j", "2"],
        check=True,
        env=env,
        capture_output=True,
    )
    assert one.read_bytes() == two.read_bytes()


def test_brief_output_is_the_full_output_without_findings(data: Path, tmp_path: Path) -> None:
    """--brief: one line per input line as before, the same outcome, record, reasons and
    source, and each criterion's outcome in place of its finding; --jobs gives the same bytes."""
    import json

    base = ["evaluate", "-s", "gx.household.exit", "--as-of", "2018-11-20", str(data)]
    full, brief, brief2 = tmp_path / "full.jsonl", tmp_path / "brief.jsonl", tmp_path / "b2.jsonl"
    assert _run([*base, "-o", str(full), "--findings", "full"])[0] == 0
    assert _run([*base, "-o", str(brief), "--brief"])[0] == 0
    assert _run([*base, "-o", str(brief2), "--brief", "-j", "2"])[0] == 0
    assert brief.read_bytes() == brief2.read_bytes()
    assert brief.stat().st_size * 5 < full.stat().st_size
    pairs = zip(
        full.read_text(encoding="utf-8").splitlines(),
        brief.read_text(encoding="utf-8").splitlines(),
        strict=True,
    )
    seen = set()
    for f_line, b_line in pairs:
        f, b = json.loads(f_line), json.loads(b_line)
        findings = f.pop("findings")
        assert b.pop("outcomes") == {x["criterion"]: x["outcome"] for x in findings}
        assert b == f
        seen.add(f["outcome"])
    assert seen == {"pass", "fail", "invalid"}


def test_default_jobs_follow_the_input_size(tmp_path: Path, data: Path) -> None:
    """One process for standard input and small files; one per CPU (at most 8) for inputs of
    about 20,000 records or more; the bytes are the same whichever is chosen."""
    assert parallel.auto_jobs([]) == 1
    assert parallel.auto_jobs(["-"]) == 1
    assert parallel.auto_jobs([str(data)]) == 1
    assert parallel.auto_jobs([str(tmp_path / "missing.jsonl")]) == 1
    big = tmp_path / "big.jsonl"
    with big.open("wb") as fh:
        fh.truncate(parallel.AUTO_JOBS_RECORDS * 1024)
    expected = max(1, min(available_cpus(), parallel.AUTO_JOBS_MAX))
    assert parallel.auto_jobs([str(big)]) == expected
    assert parallel.auto_jobs([str(big), "-"]) == 1


def test_default_jobs_count_parquet_rows(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    small, big = tmp_path / "small.parquet", tmp_path / "big.parquet"
    pq.write_table(pa.table({"household_id": [str(i) for i in range(100)]}), small)
    pq.write_table(pa.table({"household_id": ["H"] * parallel.AUTO_JOBS_RECORDS}), big)
    assert parallel.auto_jobs([str(small)]) == 1
    assert parallel.auto_jobs([str(big)]) == max(1, min(available_cpus(), parallel.AUTO_JOBS_MAX))
    (tmp_path / "bad.parquet").write_text("not parquet", encoding="utf-8")
    assert parallel.auto_jobs([str(tmp_path / "bad.parquet")]) == 1
