"""The site of the standards (fupin_rules.site): what each page shows, that every link
resolves and nothing is fetched, escaping, determinism, and atomic writing."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest

import fupin_rules as fr
from fupin_rules.calendar import to_svg
from fupin_rules.cli import main
from fupin_rules.compare import Change, diff
from fupin_rules.errors import UsageError
from fupin_rules.site import batches, build_site, site_files
from fupin_rules.site.changes import group_of
from fupin_rules.site.html import RELIABILITY_LABELS, SEVERITY_LABELS
from fupin_rules.site.prose import Words, describe, plain

from .conftest import FIXTURES, ROOT

SAMPLE = ROOT / "examples" / "data"
DAY = "2018-11-20"


class _Page(HTMLParser):
    """The tags, links, ids and text of one page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if "id" in found:
            self.ids.add(found["id"])

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join("".join(self.text).split())


def _write_results(path: Path, results: list[fr.Result], *, brief: bool = False) -> None:
    """The lines as ``evaluate`` writes them: lean (format 3), or brief."""
    lines = [r.to_json(findings=False if brief else "lean") for r in results]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def results(bundled: fr.Library, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Household results as `evaluate` writes them, lean (300 records and a line that is not
    a result), and village results in brief."""
    folder = tmp_path_factory.mktemp("results")
    rs = bundled.get("gx.household.exit", as_of=DAY)
    lines = (SAMPLE / "households.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    households = folder / "households-results.jsonl"
    _write_results(households, list(rs.evaluate_many(json.loads(x) for x in lines)))
    with households.open("a", encoding="utf-8") as fh:
        fh.write("\n{not a result\n")
    villages = folder / "villages-results.jsonl"
    vrs = bundled.get("gx.village.exit", as_of=DAY)
    records = [json.loads(x) for x in (SAMPLE / "villages.jsonl").read_text("utf-8").splitlines()]
    _write_results(villages, list(vrs.evaluate_many(records)), brief=True)
    return households, villages


@pytest.fixture(scope="module")
def files(bundled: fr.Library, results: tuple[Path, Path]) -> dict[str, bytes]:
    return site_files(bundled, list(results))


def _text(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


# ----------------------------------------------------------------------------- pages


def test_the_index_lists_every_standard_and_version(
    bundled: fr.Library, files: dict[str, bytes]
) -> None:
    index = _text(files, "index.html")
    for rs in bundled:
        assert f'href="standards/{rs.id}/{rs.version}.html"' in index
        assert html.escape(rs.title) in index
        assert rs.fingerprint[:19] in index
    assert 'href="standards/gx.household.exit/changes-2016-2017.html"' in index
    assert 'href="standards/gx.household.exit/changes-2017-2018.html"' in index
    assert 'href="calendars/town.dynamic-management/2018.html"' in index
    assert 'href="results/households-results.html"' in index
    assert "2016-08-04 至 2016-12-31" in index
    assert "2017-01-01 至 2018-09-29" in index


def test_every_link_resolves_and_nothing_is_fetched(files: dict[str, bytes]) -> None:
    pages = {p: _Page(_text(files, p)) for p in files if p.endswith(".html")}
    broken = []
    for path, parsed in pages.items():
        for tag, attrs in parsed.tags:
            assert tag not in {"script", "img", "iframe", "object", "embed", "base"}, path
            if tag == "link":
                assert attrs["rel"] == "stylesheet"
                assert attrs["href"].endswith("style.css")
            assert "src" not in attrs, (path, tag)
            target = attrs.get("href")
            if target is None or (tag != "a" and tag != "link"):
                continue
            if target.startswith(("http://", "https://")):
                assert tag == "a", path  # a link to a source document, followed only by hand
                continue
            parts = urlsplit(target)
            assert not parts.scheme, (path, target)
            resolved = str(PurePosixPath(path).parent / unquote(parts.path)) if parts.path else path
            resolved = os.path.normpath(resolved).replace(os.sep, "/")
            if resolved not in files:
                broken.append(f"{path}: {target}")
            elif parts.fragment and parts.fragment not in pages[resolved].ids:
                broken.append(f"{path}: {target} (no such anchor)")
    assert broken == []
    style = _text(files, "style.css")
    assert "url(" not in style
    assert "@import" not in style


_VOID = {"br", "meta", "link", "rect", "polygon", "line", "path", "circle"}
_BLOCKS = {"div", "ul", "ol", "li", "table", "section", "p", "h1", "h2", "h3", "dl", "svg"}


class _Nesting(HTMLParser):
    """Every element closed in order, and no block inside a paragraph."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []
        self.feed(text)
        self.close()
        if self.open:
            self.problems.append(f"left open: {self.open}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS and "p" in self.open:
            self.problems.append(f"<{tag}> inside <p> at line {self.getpos()[0]}")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closed element (``<rect .../>``) opens nothing."""

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]} at line {self.getpos()[0]}")
            return
        self.open.pop()


def test_pages_are_well_formed(files: dict[str, bytes]) -> None:
    problems = {
        path: found
        for path in files
        if path.endswith((".html", ".svg")) and (found := _Nesting(_text(files, path)).problems)
    }
    assert problems == {}


def test_a_version_page_words_each_criterion(bundled: fr.Library, files: dict[str, bytes]) -> None:
    rs = bundled.get("gx.household.exit", version="2017")
    page = _text(files, "standards/gx.household.exit/2017.html")
    parsed = _Page(page)
    for c in rs.criteria:
        assert f'id="criterion-{c.id}"' in page
        assert html.escape(c.label) in page
        assert html.escape(c.test.text) in page
    worded = plain(describe(rs.criterion("income_above_line").test.tree, Words.of(rs)))
    assert worded in parsed.plain
    assert "房屋主要结构 为 钢筋混凝土、砖混、砖木、土木、木 之一" in parsed.plain
    for reliability in ("news", "third-party", "translation", "official"):
        assert RELIABILITY_LABELS[reliability] in parsed.plain
    assert SEVERITY_LABELS["blocking"] == "必须达标"
    assert '2018-01-01 起: <b>2952 元/人·年</b> <span class="mark">未经来源确认</span>' in page
    assert 'id="param-income_line"' in page
    assert 'id="derived-per_capita_income"' in page
    assert "此前的取值见参数表" in parsed.plain


def test_unconfirmed_criteria_and_dates_are_marked(
    bundled: fr.Library, demo_lib: fr.Library, files: dict[str, bytes]
) -> None:
    page = _text(files, "standards/gx.household.exit/2018.html")
    headings = dict(
        re.findall(r'<section class="criterion" id="criterion-(\w+)"><h3>(.*?)</h3>', page)
    )
    assert "未经来源确认" in headings["road"]
    assert "未经来源确认" not in headings["medical"]
    assert re.search(r"<dt>施行日期</dt><dd>2018-09-30 起 <span class=\"mark\">", page)
    demo = site_files(demo_lib)
    demo_page = _text(demo, "standards/demo.household/2016.html")
    assert re.search(r"<dt>施行日期</dt><dd>2016-01-01 至 2017-12-31 </dd>", demo_page)
    assert "规则库中没有工作时间节点" in _text(demo, "index.html")


def test_the_changes_page_puts_rule_changes_before_wording(files: dict[str, bytes]) -> None:
    page = _text(files, "standards/gx.household.exit/changes-2016-2017.html")
    order = [
        page.find(x)
        for x in (
            '<h2 id="rules">',
            '<h3 id="parameters">',
            '<h3 id="tests">',
            "吃穿不愁</span> 为 是",
            '<h2 id="wording">',
            '<div class="before">有收入来源</div>',
        )
    ]
    assert -1 not in order
    assert order == sorted(order)
    village = _text(files, "standards/gx.village.exit/changes-2017-2018.html")
    assert "指标性质 (必须达标、参考、一票否决) (6 处)" in village
    severity = '<div class="before">必须达标</div></td><td><div class="after">参考指标</div>'
    assert village.count(severity) == 6
    assert village.rindex(severity) < village.index('<h2 id="wording">')


def _values(*pairs: tuple[str, int, str]) -> list[dict[str, object]]:
    return [{"from": d, "value": v, "unconfirmed": False, "sources": [s]} for d, v, s in pairs]


def test_changes_are_grouped_by_what_they_change() -> None:
    same = Change(
        "parameter",
        "line",
        "changed",
        "values",
        _values(("2016-01-01", 1, "a")),
        _values(("2016-01-01", 1, "b")),
    )
    assert group_of(same) == "wording"
    moved = Change(
        "parameter",
        "line",
        "changed",
        "values",
        _values(("2016-01-01", 1, "a")),
        _values(("2016-01-01", 2, "a")),
    )
    assert group_of(moved) == "parameters"
    conclusion = {"method": "all", "threshold": None, "expression": None, "pass": "甲"}
    worded = Change("ruleset", "x", "changed", "decision", conclusion, {**conclusion, "pass": "乙"})
    assert group_of(worded) == "wording"
    method = Change(
        "ruleset", "x", "changed", "decision", conclusion, {**conclusion, "method": "points"}
    )
    assert group_of(method) == "ruleset"
    assert group_of(Change("criterion", "c", "added")) == "criteria"
    assert (
        group_of(Change("criterion", "c", "changed", "severity", "blocking", "veto")) == "severity"
    )
    assert group_of(Change("criterion", "c", "changed", "test", "a", "b")) == "tests"
    assert group_of(Change("criterion", "c", "changed", "label", "a", "b")) == "wording"
    assert group_of(Change("derived", "d", "changed", "expr", "a", "b")) == "derived"
    assert group_of(Change("ruleset", "x", "changed", "effective", {}, {})) == "ruleset"


def test_the_changes_page_lists_every_change_of_diff(
    bundled: fr.Library, files: dict[str, bytes]
) -> None:
    a, b = bundled.versions("gx.county.exit")
    page = _text(files, "standards/gx.county.exit/changes-2016-2017.html")
    rows = page.count("<tr><td>")
    assert rows == len(diff(a, b))
    for name in ("composite_incidence_below", "approval_min", "wrongful_exit_rate"):
        assert f"<code>{name}</code>" in page


def test_the_calendar_page_shows_its_timeline_nodes_and_deadlines(
    bundled: fr.Library, files: dict[str, bytes]
) -> None:
    cal = bundled.calendars["town.dynamic-management"][0]
    page = _text(files, "calendars/town.dynamic-management/2018.html")
    assert "<?xml" not in page
    assert '<div class="timeline"><svg xmlns="http://www.w3.org/2000/svg"' in page
    assert files["calendars/town.dynamic-management/2018.svg"] == to_svg(cal).encode()
    parsed = _Page(page).plain
    for node in cal.nodes:
        assert html.unescape(html.escape(node.label)) in parsed
    deadlines = page[page.index('id="deadlines"') :]
    assert deadlines.index("2018-12-05") < deadlines.index("2018-12-12 18:00")


# ----------------------------------------------------------------------------- results


def _expected_counts(path: Path) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        counts.setdefault(data["record_id"][:12], Counter())[data["outcome"]] += 1
    return counts


def test_the_results_page_counts_outcomes_per_village(
    files: dict[str, bytes], results: tuple[Path, Path]
) -> None:
    page = _text(files, "results/households-results.html")
    expected = _expected_counts(results[0])
    bars = re.findall(r'<g class="bar" data-id="(\d+)">', page)
    assert bars[: len(expected)] == sorted(expected)
    for village, counts in expected.items():
        row = (
            f"<td>{village[:6]}</td><td>{village[:9]}</td><td>{village}</td>"
            f'<td class="num">{sum(counts.values())}</td>'
            + "".join(f'<td class="num">{counts[k]}</td>' for k in fr.decision.OUTCOMES)
        )
        assert row in page
    assert "共 301 行, 其中 1 行不是评估结果, 未计入" in page
    assert "第 302 行: 不是 JSON" in page


def test_the_results_page_lists_the_criteria_that_failed_most(
    files: dict[str, bytes], results: tuple[Path, Path]
) -> None:
    fails: Counter[str] = Counter()
    for line in results[0].read_text(encoding="utf-8").splitlines():
        if line.startswith('{"as_of"'):
            for criterion, outcome in json.loads(line)["outcomes"].items():
                fails[criterion] += outcome == "fail"
    page = _text(files, "results/households-results.html")
    section = page[page.index("未达标最多的指标") :]
    listed = re.findall(r"<br><code>(\w+)</code></td><td class=\"num\">(\d+)</td>", section)
    assert [int(n) for _, n in listed] == sorted((n for n in fails.values() if n), reverse=True)
    assert {c: int(n) for c, n in listed} == {c: n for c, n in fails.items() if n}


def test_brief_results_take_their_labels_from_the_library(
    bundled: fr.Library, files: dict[str, bytes]
) -> None:
    page = _text(files, "results/villages-results.html")
    rs = bundled.get("gx.village.exit", version="2018")
    assert f'href="../standards/gx.village.exit/2018.html">{html.escape(rs.title)}' in page
    section = page[page.index("未达标最多的指标") :]
    failing = re.findall(r"<tr><td>(.*?)<br><code>(\w+)</code>", section)
    assert failing
    assert all(label == html.escape(rs.criterion(c).label) for label, c in failing)


def test_results_of_rules_not_in_the_library_say_so(
    bundled: fr.Library, tmp_path: Path, results: tuple[Path, Path]
) -> None:
    first = json.loads(results[0].read_text(encoding="utf-8").splitlines()[0])
    first["fingerprint"] = "sha256:" + "0" * 64
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(first, ensure_ascii=False) + "\n", encoding="utf-8")
    page = site_files(bundled, path)["results/old.html"].decode()
    assert "本规则库中没有产生这些结果的版本" in page
    # a lean line whose rules are missing is still counted; its criteria go by their ids
    assert first["format"] == 3
    assert "共 1 行" in page


def test_lines_that_are_not_results_say_why(bundled: fr.Library, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text('{"household_id": "4510991022010000001"}\n[1, 2]\n', encoding="utf-8")
    page = site_files(bundled, path)["results/records.html"].decode()
    assert "第 1 行: 不是评估结果: 缺少 outcome" in page
    assert "第 2 行: 不是评估结果" in page
    assert "文件中没有评估结果" in page


def test_many_villages_are_charted_by_township(
    bundled: fr.Library, results: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "MAX_VILLAGE_BARS", 3)
    page = site_files(bundled, results[0])["results/households-results.html"].decode()
    villages = sorted(_expected_counts(results[0]))
    chart = page[page.index("各村结果") : page.index("<table", page.index("各村结果"))]
    assert re.findall(r'data-id="(\d+)"', chart) == sorted({v[:9] for v in villages})
    assert all(f"<td>{v}</td>" in page for v in villages)


def test_a_record_is_placed_by_the_first_twelve_digits_of_its_id() -> None:
    assert batches.place_of("4510991022010000001") == ("451099", "451099102", "451099102201")
    assert batches.place_of("451099102201") == ("451099", "451099102", "451099102201")
    assert batches.place_of("H1") == ("(未知)", "(未知)", "(未知)")
    assert batches.place_of(None) == ("(未知)", "(未知)", "(未知)")


def test_results_files_get_a_page_each(bundled: fr.Library, results: tuple[Path, Path]) -> None:
    got = site_files(bundled, [results[0], results[0]])
    assert "results/households-results.html" in got
    assert "results/households-results-2.html" in got


# ----------------------------------------------------------------------------- safety


_HOSTILE = """\
kind: ruleset
id: demo.hostile
version: "1"
title: "<script>alert('t')</script> & 标题"
subject: household
effective: {from: 2016-01-01}
sources:
  - {id: s, title: "<b>来源</b>", url: "javascript:alert(1)", note: "<td class=evil>"}
parameters:
  line: {label: "<i>标准</i>", type: number, value: 1, sources: [{ref: s, clause: "<u>"}]}
criteria:
  - id: c
    label: "<img src=x onerror=alert(1)>"
    group: "<em>"
    test: net_income > line
    sources: [{ref: s}]
    note: "<!-- -->"
"""


def test_every_text_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "hostile.yaml").write_text(_HOSTILE, encoding="utf-8")
    for codes in (FIXTURES / "lib" / "codes").iterdir():
        (tmp_path / codes.name).write_bytes(codes.read_bytes())
    lib = fr.load_library(tmp_path, schemas=FIXTURES / "schemas")
    got = site_files(lib)
    for path, data in got.items():
        text = data.decode()
        for raw in (
            "<script",
            "<img",
            "<b>来源",
            "<i>",
            "<u>",
            "<em>",
            "<!-- -->",
            "<td class=evil",
        ):
            assert raw not in text, (path, raw)
        assert 'href="javascript:' not in text
    page = got["standards/demo.hostile/1.html"].decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "javascript:alert(1)" in page  # shown as text, not a link


def test_pages_name_no_folder_of_this_machine(files: dict[str, bytes]) -> None:
    for path, data in files.items():
        assert str(ROOT).encode() not in data, path


# ----------------------------------------------------------------------------- writing


def test_the_same_library_gives_the_same_bytes(
    bundled: fr.Library, files: dict[str, bytes], results: tuple[Path, Path]
) -> None:
    assert site_files(bundled, list(results)) == files


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_site_is_the_same_whatever_the_hash_seed(
    tmp_path: Path, results: tuple[Path, Path]
) -> None:
    digests = []
    for seed in ("1", "2"):
        out = tmp_path / f"site-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        argv = [sys.executable, "-m", "fupin_rules.cli", "site", "-o", str(out)]
        argv += ["--results", str(results[0]), "--results", str(results[1])]
        subprocess.run(argv, check=True, env=env, capture_output=True)
        digests.append(_digest(out))
    assert digests[0] == digests[1]


def test_build_site_writes_every_file_in_place(demo_lib: fr.Library, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = build_site(demo_lib, out)
    expected = site_files(demo_lib)
    assert list(written) == [out / p for p in expected]
    assert all(p.read_bytes() == expected[p.relative_to(out).as_posix()] for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left


def test_an_old_site_is_replaced_whole(demo_lib: fr.Library, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(demo_lib, out)
    (out / "standards" / "stale.html").write_text("old", encoding="utf-8")
    build_site(demo_lib, out)
    assert not (out / "standards" / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_empty_folder_is_used(demo_lib: fr.Library, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    build_site(demo_lib, out)
    assert (out / "index.html").is_file()


def test_a_folder_holding_other_files_is_never_replaced(
    demo_lib: fr.Library, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="不是 fupin-rules 生成的网站"):
        build_site(demo_lib, out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="不是文件夹"):
        build_site(demo_lib, target)


def test_a_failed_build_leaves_the_old_site(demo_lib: fr.Library, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(demo_lib, out)
    before = _digest(out)
    with pytest.raises(UsageError, match="无法读取评估结果文件"):
        build_site(demo_lib, out, results=tmp_path / "missing.jsonl")
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_the_command(tmp_path: Path, results: tuple[Path, Path]) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "网站"
    files = [str(results[1]), str(results[0])]
    code = main(["site", "-o", str(target), "--results", *files], out=out, err=err)
    assert code == 0
    assert out.getvalue().startswith(f"网站已写入 {target}: ")
    assert (target / "results" / "villages-results.html").is_file()
    assert (target / "results" / "households-results.html").is_file()
    code = main(
        ["site", "-o", str(target), "--results", str(tmp_path / "no.jsonl")], out=out, err=err
    )
    assert code == 2
    assert "无法读取评估结果文件" in err.getvalue()
