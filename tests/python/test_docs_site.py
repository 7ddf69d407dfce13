"""`make docs`: dbt's static docs page of the built project renders in a real browser.

The page embeds the manifest as JSON, so its source holds every name whatever the
browser makes of it: the checks read the DOM after dbt's docs app ran (headless
Chromium), element by element, with scripts left out. Chromium missing fails.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from feedpipe.browser import dump_dom, screenshot
from feedpipe.docs_site import DocsPage, generate_static_docs, main

pytestmark = pytest.mark.browser

PROJECT = "feed_training_data"
MODEL = f"model.{PROJECT}.train_examples"
# Long enough for the Angular app to parse the inlined manifest and render.
BUDGET_MS = 15_000
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, predicate) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if predicate(child):
                    found.append(child)
                found.extend(child.find_all(predicate))
        return found


class _TreeBuilder(HTMLParser):
    """The rendered DOM as a tree of elements; script and style text left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        if self.stack[-1].tag not in {"script", "style"}:
            self.stack[-1].children.append(data)


def parse(dom: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(dom)
    builder.close()
    return builder.root


def render(page: Path, fragment: str = "") -> Element:
    return parse(dump_dom(page.resolve().as_uri() + fragment, virtual_time_budget_ms=BUDGET_MS))


def sidebar(root: Element) -> dict[str, str]:
    """Node id -> the name the shown tree of the sidebar (the project tree, by
    default) gives it; dbt splits a name in spans."""
    menus = root.find_all(
        lambda e: e.tag == "div" and "menu" in e.classes and "ng-hide" not in e.classes
    )
    return {
        a.attrs["data-nav-unique-id"]: re.sub(r"\s+", "", a.text)
        for menu in menus
        for a in menu.find_all(lambda e: e.tag == "a" and "data-nav-unique-id" in e.attrs)
    }


def sections(root: Element) -> dict[str, Element]:
    """The sections of a resource page by their anchor (description, columns, ...),
    only those shown."""
    found = {}
    for section in root.find_all(lambda e: e.tag == "section" and "ng-hide" not in e.classes):
        targets = section.find_all(lambda e: "section-target" in e.classes)
        if targets:
            found[targets[0].attrs.get("id", "")] = section
    return found


def linked_ids(element: Element) -> set[str]:
    """Ids of the resources listed in a reference list (Depends On, Referenced By)."""
    lists = element.find_all(lambda e: e.tag == "ul" and "list-unstyled" in e.classes)
    return {
        a.attrs["href"].rsplit("/", 1)[-1]
        for ul in lists
        for a in ul.find_all(lambda e: e.tag == "a" and e.attrs.get("href", "").startswith("#!/"))
    }


def first_sentence(text: str) -> str:
    return re.sub(r"\s+", " ", text).split(". ")[0].strip()


def artifact_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FEED_ARTIFACTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def docs(default_build: Path, default_logs: Path, tmp_path_factory) -> tuple[DocsPage, dict]:
    work = tmp_path_factory.mktemp("docs_site")
    page = generate_static_docs(
        default_build, work / "site" / "index.html", raw_path=default_logs, work_dir=work, threads=1
    )
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    return page, manifest


def test_page_is_one_offline_file(docs):
    page, manifest = docs
    assert page.compiled
    source = page.path.read_text()
    assert '"MANIFEST.JSON INLINE DATA"' not in source, "manifest not inlined"
    assert '"CATALOG.JSON INLINE DATA"' not in source, "catalog not inlined"
    assert f'"{MODEL}"' in source
    # dbt docs loads a tracker only when usage statistics are on.
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    assert len(source) > 1_000_000


def test_sidebar_lists_every_model(docs):
    page, manifest = docs
    root = render(page.path)
    shown = sidebar(root)
    models = {
        unique_id: node["name"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }
    assert len(models) >= 15
    named = ["train_examples", "daily_label_stats", "stg_feed__impressions", "int_examples_labeled"]
    for name in named:
        assert shown.get(f"model.{PROJECT}.{name}") == name, name
    missing = {name for unique_id, name in models.items() if shown.get(unique_id) != name}
    assert not missing, f"models not in the rendered project tree: {sorted(missing)}"
    # Nothing the page loads comes from the network: no remote script, style
    # sheet, image or frame (links to dbt's documentation are only links).
    remote = [
        (element.tag, value)
        for element in root.find_all(lambda e: e.tag != "a")
        for name, value in element.attrs.items()
        if name in {"src", "href"} and re.match(r"(https?:)?//", value)
    ]
    assert not remote, remote


def test_model_page_shows_description_columns_and_lineage(docs, tmp_path):
    page, manifest = docs
    node = manifest["nodes"][MODEL]
    root = render(page.path, f"#!/model/{MODEL}")
    titles = [h1.text for h1 in root.find_all(lambda e: e.tag == "h1")]
    assert any(title.startswith("train_examples") for title in titles), titles
    shown = sections(root)

    description = shown["description"].text
    assert first_sentence(node["description"]) in description
    assert "This is the train split." in description

    rows = {}
    for row in shown["columns"].find_all(lambda e: e.tag == "tr" and "column-row" in e.classes):
        cells = [cell.text for cell in row.find_all(lambda e: e.tag == "td")]
        rows[cells[0]] = cells[1]
    assert set(rows) == set(node["columns"]), sorted(rows)
    # Types come from the catalog, read from the built DuckDB file.
    assert rows["label"] == "INTEGER"
    assert rows["event_date"] == "DATE"

    assert "Depends On" in shown["depends_on"].text
    parents = {p for p in node["depends_on"]["nodes"] if p.startswith("model.")}
    assert f"model.{PROJECT}.int_examples_with_features" in parents
    assert linked_ids(shown["depends_on"]) == parents
    assert "Referenced By" in shown["referenced_by"].text
    children = set(manifest["child_map"][MODEL])
    referenced = linked_ids(shown["referenced_by"])
    assert referenced, "Referenced By lists nothing"
    assert referenced <= children, referenced - children
    unique_test = f"test.{PROJECT}.unique_combination_train_examples"
    assert any(r.startswith(unique_test) for r in referenced), referenced

    # The page's Compiled tab shows the SQL compiled against the raw logs.
    assert "select" in node.get("compiled_code", "").lower()
    assert "{{" not in node["compiled_code"]

    png = artifact_dir(tmp_path) / "docs_site.png"
    screenshot(
        page.path.resolve().as_uri() + f"#!/model/{MODEL}",
        png,
        1280,
        1600,
        virtual_time_budget_ms=BUDGET_MS,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 1600)
    # A blank page compresses to a few kB.
    assert len(data) > 30_000, len(data)


def test_without_raw_logs_the_page_is_built_uncompiled(default_build, tmp_path):
    page = generate_static_docs(
        default_build, tmp_path / "index.html", raw_path=tmp_path / "no_raw", work_dir=tmp_path
    )
    assert not page.compiled
    root = render(page.path, f"#!/model/{MODEL}")
    shown = sections(root)
    assert "This is the train split." in shown["description"].text
    assert "int_mature_days_split" in shown["code"].text  # the Source tab
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert not manifest["nodes"][MODEL].get("compiled_code")


def test_unbuilt_database_says_run_make_build(tmp_path, capsys):
    out = tmp_path / "index.html"
    assert main(["--database", str(tmp_path / "missing.duckdb"), "--out", str(out)]) == 2
    assert "make build" in capsys.readouterr().err
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["--database", str(empty), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "holds no built model" in error
    assert "make build" in error
    assert not out.exists()
