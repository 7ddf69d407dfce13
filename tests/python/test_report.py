"""The report page: built from the default build, opened in headless Chromium,
every figure renders (the page's own self-check, written on `load`), every
embedded image is a real PNG with something drawn, the captions name every
task and the cap, the page loads nothing from outside, and a screenshot is
written next to it. A database without the marts is a clear error; one with
empty tables still renders, each caption saying what is empty. Chromium
missing fails these tests (make chromium), it does not skip them."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import pytest
from matplotlib import image as mpimg

from feedpipe import browser
from feedpipe.report import FIGURE_IDS, MARTS, MissingMarts, main, render, write

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PER_TASK_FIGURES = ("fig-positive-rate", "fig-kept-counts", "fig-sampling-rates")


class _Figures(HTMLParser):
    """Each `<figure id>` of a page: its image sources and caption text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict] = {}
        self.sources: list[str] = []
        self._figure: str | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "src" in attributes:
            self.sources.append(attributes["src"] or "")
        if tag == "figure" and attributes.get("id"):
            self._figure = attributes["id"]
            self.figures[self._figure] = {"images": [], "caption": ""}
        elif tag == "img" and self._figure:
            self.figures[self._figure]["images"].append(attributes.get("src") or "")
        elif tag == "figcaption" and self._figure:
            self._in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._figure:
            self.figures[self._figure]["caption"] += data


def _figures(page: str) -> _Figures:
    parser = _Figures()
    parser.feed(page)
    return parser


def _self_check(dom: str) -> dict:
    match = re.search(r'<pre id="report-check">(.*?)</pre>', dom, re.DOTALL)
    assert match, "no <pre id=report-check> in the dumped DOM"
    text = html.unescape(match.group(1))
    assert text.startswith("{"), f"the page's load script did not run: {text[:200]}"
    return json.loads(text)


def _colours(array: np.ndarray) -> int:
    """How many distinct colours an image read by matplotlib has."""
    pixels = np.round(array.reshape(-1, array.shape[-1]) * 255).astype(np.uint64)
    packed = sum(pixels[:, channel] << np.uint64(8 * channel) for channel in range(pixels.shape[1]))
    return len(np.unique(packed))


def _png(source: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert source.startswith(prefix), source[:60]
    return base64.b64decode(source[len(prefix) :])


@pytest.fixture(scope="module")
def tasks(default_build: Path) -> list[str]:
    with duckdb.connect(str(default_build), read_only=True) as connection:
        rows = connection.execute("select distinct task from daily_label_stats").fetchall()
    return sorted(row[0] for row in rows)


@pytest.fixture(scope="module")
def report(default_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["--database", str(default_build), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def page(report: Path) -> str:
    return report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dom(report: Path) -> str:
    # Chromium missing raises ChromiumNotFound here: an error, never a skip.
    return browser.dump_dom(report, virtual_time_budget_ms=5000)


def test_every_figure_renders_in_chromium(dom: str, page: str):
    check = _self_check(dom)
    assert set(check["figures"]) == set(FIGURE_IDS)
    figures = _figures(page).figures
    for fig_id in FIGURE_IDS:
        rendered = check["figures"][fig_id]
        assert rendered["kind"] == "img", fig_id
        assert rendered["width"] > 0 and rendered["height"] > 0, (fig_id, rendered)
        # The browser decoded the very image embedded: its size is the PNG's.
        array = mpimg.imread(io.BytesIO(_png(figures[fig_id]["images"][0])), format="png")
        assert (rendered["height"], rendered["width"]) == array.shape[:2], fig_id
    assert check["ok"] is True


def test_every_image_is_a_png_with_something_drawn(page: str):
    figures = _figures(page).figures
    assert list(figures) == list(FIGURE_IDS)
    for fig_id, figure in figures.items():
        assert len(figure["images"]) == 1, fig_id
        data = _png(figure["images"][0])
        assert data.startswith(PNG_SIGNATURE), fig_id
        assert len(data) > 5_000, (fig_id, len(data))
        array = mpimg.imread(io.BytesIO(data), format="png")
        assert array.shape[0] >= 100 and array.shape[1] >= 400, (fig_id, array.shape)
        assert _colours(array) > 10, (fig_id, _colours(array))


def test_captions_say_what_each_figure_shows_for_every_task(page: str, tasks: list[str]):
    assert tasks
    figures = _figures(page).figures
    for fig_id, figure in figures.items():
        caption = " ".join(figure["caption"].split())
        assert len(caption) > 60, (fig_id, caption)
        assert "Empty" not in caption, (fig_id, caption)
    for fig_id in PER_TASK_FIGURES:
        caption = figures[fig_id]["caption"]
        for task in tasks:
            assert re.search(rf"\b{re.escape(task)}\b", caption), (fig_id, task, caption)
    assert "stg_feed_refresh__runs" in figures["fig-refresh-runs"]["caption"]
    assert "no day" in figures["fig-rejected-rows"]["caption"]


def test_header_and_cap_come_from_the_build(page: str, default_build: Path, tasks: list[str]):
    with duckdb.connect(str(default_build), read_only=True) as connection:
        rows = connection.execute("select daily_cap from sample_definition").fetchall()
    caps = {row[0] for row in rows}
    caption = _figures(page).figures["fig-kept-counts"]["caption"]
    if caps == {None}:
        assert "no cap" in caption
    else:
        assert all(f"{cap:,}" in caption for cap in caps)
    assert html.escape(str(default_build.resolve())) in page
    header = page.split('<dl class="header">', 1)[1].split("</dl>", 1)[0]
    assert all(task in header for task in tasks)
    assert "built days" in header


def test_the_page_loads_nothing_from_outside(page: str):
    sources = _figures(page).sources
    assert sources and all(source.startswith("data:") for source in sources)
    assert "<link" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "url(" not in page


def test_screenshot_next_to_the_report(report: Path):
    out = browser.screenshot(report, report.with_name("report.png"), width=1100, height=2400)
    assert out == report.with_name("report.png").resolve()
    assert out.stat().st_size > 10_000
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    array = mpimg.imread(str(out))
    assert array.shape[:2] == (2400, 1100)
    assert _colours(array) > 10


def test_a_database_without_the_marts_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    database = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create table stg_feed__impressions (user_id bigint)")
    with pytest.raises(MissingMarts, match=r"daily_label_stats.*make build"):
        render(database)
    out = tmp_path / "report.html"
    assert main(["--database", str(database), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "daily_label_stats" in error and "make build" in error
    assert not out.exists()
    with pytest.raises(MissingMarts, match=r"no database at .*make build"):
        render(tmp_path / "absent.duckdb")


def test_empty_tables_render_and_say_so(default_build: Path, tmp_path: Path):
    """The marts present but empty, the ledger absent: every figure still has
    an image, and its caption says what is empty or missing."""
    database = tmp_path / "empty.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"attach '{default_build}' as built (read_only)")
        for table in (*MARTS, "stg_feed__rejected_rows"):
            connection.execute(f"create table {table} as select * from built.{table} limit 0")
        connection.execute("detach built")
    out = write(database, tmp_path / "report.html")
    figures = _figures(out.read_text(encoding="utf-8")).figures
    assert list(figures) == list(FIGURE_IDS)
    for fig_id, figure in figures.items():
        caption = figure["caption"]
        assert "Empty" in caption or "not in this database" in caption, (fig_id, caption)
        assert _png(figure["images"][0]).startswith(PNG_SIGNATURE)
    runs_caption = figures["fig-refresh-runs"]["caption"]
    assert "stg_feed_refresh__runs is not in this database" in runs_caption
    assert "not recorded" in figures["fig-kept-counts"]["caption"]


def test_missing_chromium_names_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("FEED_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(browser.ChromiumNotFound, match=r"apt-get install chromium.*make chromium"):
        browser.find_chromium()
    monkeypatch.setenv("FEED_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(browser.ChromiumNotFound, match="FEED_CHROMIUM"):
        browser.dump_dom("about:blank")
