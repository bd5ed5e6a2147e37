"""The site in a real browser: headless Chromium opens the pages from the folder (no server,
no network), and what it shows is checked: the DOM it built (``--dump-dom``), the pixels of
its screenshots (the results chart's bars, one band per village), and a printout.

Skipped where Chromium is not installed (``apt-get install -y chromium`` on Debian). The
screenshots stay in pytest's temporary folder (the test prints where) to be looked at.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import fupin_rules as fr
from fupin_rules.site import build_site
from fupin_rules.site.batches import COLOURS

from ..conftest import ROOT

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install -y chromium): the browser test needs it",
)

WIDTH, HEIGHT = 1366, 900
DAY = "2018-11-20"


@pytest.fixture(scope="module")
def site(bundled: fr.Library, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled standards' site, with a page of the sample households' results."""
    folder = tmp_path_factory.mktemp("browser")
    rs = bundled.get("gx.household.exit", as_of=DAY)
    lines = (ROOT / "examples" / "data" / "households.jsonl").read_text("utf-8").splitlines()
    results = folder / "results.jsonl"
    with results.open("w", encoding="utf-8") as fh:
        for result in rs.evaluate_many(json.loads(x) for x in lines):
            fh.write(result.to_json(findings=False) + "\n")
    out = folder / "site"
    build_site(bundled, out, results=results)
    return out


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WIDTH},{HEIGHT}",
        *args,
    ]
    return subprocess.run(argv, capture_output=True, timeout=120, check=True)


def _open(tmp_path: Path, page: Path, name: str) -> tuple[str, Path]:
    """Open ``page``: the DOM Chromium built from it, and its screenshot (``name``.png)."""
    shot = tmp_path / f"{name}.png"
    done = _chromium(tmp_path, "--dump-dom", f"--screenshot={shot}", page.as_uri())
    print(f"screenshot: {shot}")  # where to look
    return done.stdout.decode("utf-8"), shot


class _Text(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.bars: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "g" and found.get("class") == "bar":
            self.bars.append(found.get("data-id") or "")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def _pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB pixels of an 8-bit RGB or RGBA PNG (as Chromium writes)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour in (2, 6)
    size = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(size, stride):
                line[i] = (line[i] + line[i - size]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                up = previous[i]
                corner = previous[i - size] if i >= size else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + guess) & 0xFF
        previous = line
        rows.append(
            bytes(line) if size == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        )
    return width, height, rows


def _rgb(colour: str) -> bytes:
    return bytes.fromhex(colour.lstrip("#"))


def _hits(row: bytes, colour: str) -> int:
    """How many pixels of ``row`` are exactly ``colour``."""
    wanted = re.escape(_rgb(colour))
    return sum(1 for m in re.finditer(wanted, row) if m.start() % 3 == 0)


def _count(rows: list[bytes], colour: str) -> int:
    return sum(_hits(row, colour) for row in rows)


def _bands(rows: list[bytes], colour: str, least: int = 40) -> int:
    """How many separate horizontal bands of rows hold at least ``least`` pixels of ``colour``."""
    bands, inside = 0, False
    for row in rows:
        hits = _hits(row, colour)
        if hits >= least and not inside:
            bands += 1
        inside = hits >= least
    return bands


def test_the_version_page_shows_the_standard_and_its_tests_in_chinese(
    site: Path, bundled: fr.Library, tmp_path: Path
) -> None:
    rs = bundled.get("gx.household.exit", version="2016")
    dom, shot = _open(tmp_path, site / "standards" / "gx.household.exit" / "2016.html", "version")
    shown = _Text(dom).text
    assert rs.title in shown
    assert "家庭人均纯收入 高于 国家现行扶贫标准 (当年现价) (2952 元/人·年, 2016-01-01 起)" in shown
    assert "房屋主要结构 为 钢筋混凝土、砖混、砖木、土木、木 之一" in shown
    width, height, rows = _pixels(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    assert _count(rows, "#b35900") > 50  # the 未经来源确认 mark by the dates is drawn


def test_the_results_page_draws_a_bar_per_village(site: Path, tmp_path: Path) -> None:
    dom, shot = _open(tmp_path, next((site / "results").glob("*.html")), "results")
    parsed = _Text(dom)
    villages = [b for b in parsed.bars if re.fullmatch(r"\d{12}", b)]
    assert len(villages) == 12
    assert "各村结果" in parsed.text
    assert "未达标最多的指标" in parsed.text
    _, _, rows = _pixels(shot)
    assert _bands(rows, COLOURS["pass"]) == 12  # a green bar for each village, on screen
    assert _bands(rows, COLOURS["fail"]) >= 12


def test_the_calendar_page_and_the_index_open(
    site: Path, bundled: fr.Library, tmp_path: Path
) -> None:
    cal = bundled.calendars["town.dynamic-management"][0]
    page = site / "calendars" / "town.dynamic-management" / "2018.html"
    dom, _ = _open(tmp_path, page, "calendar")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in dom
    shown = _Text(dom).text
    assert cal.title in shown
    assert all(n.label in shown for n in cal.nodes)
    dom, _ = _open(tmp_path, site / "index.html", "index")
    shown = _Text(dom).text
    assert all(rs.title in shown for rs in bundled)


def test_a_version_page_prints(site: Path, tmp_path: Path) -> None:
    page = site / "standards" / "gx.household.exit" / "2018.html"
    pdf = tmp_path / "version-2018.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = max(int(n) for n in re.findall(rb"/Count (\d+)", data))
    assert pages >= 2
