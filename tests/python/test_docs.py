"""Every model and every column it builds is described; public models enforce contracts;
the README opens with the two commands, the marts and the layout; every relative link in
the README and the pages under docs/ leads to a file (and a heading, when it names one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

MARTS = {
    "train_examples",
    "validation_examples",
    "test_examples",
    "stream_examples",
    "daily_label_stats",
    "sample_definition",
    "daily_monitors",
}
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FIRST_SCREEN_LINES = 40
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
LAYOUT_LINE = re.compile(r"^[\w.-]+/\s")
# The project's top-level folders, which the README's layout block names.
LAYOUT_FOLDERS = {
    "models",
    "macros",
    "seeds",
    "vars",
    "tests",
    "analyses",
    "feedpipe",
    "docs",
    "spark",
}


def _models(manifest: Path) -> dict[str, dict]:
    nodes = json.loads(manifest.read_text())["nodes"]
    return {
        node["name"]: node
        for node in nodes.values()
        if node["resource_type"] in {"model", "seed"}
        and node["package_name"] == "feed_training_data"
    }


def test_every_model_and_built_column_is_described(default_build: Path, default_manifest: Path):
    models = _models(default_manifest)
    assert len(models) >= 15
    with duckdb.connect(str(default_build), read_only=True) as connection:
        built = connection.sql(
            "select table_name, column_name from information_schema.columns"
        ).fetchall()
    columns_built: dict[str, set[str]] = {}
    for table, column in built:
        columns_built.setdefault(table, set()).add(column)
    missing = []
    for name, node in models.items():
        if not node["description"].strip():
            missing.append(f"{name}: no description")
        documented = {
            column: spec["description"].strip() for column, spec in node["columns"].items()
        }
        for column in sorted(columns_built.get(name, set())):
            if not documented.get(column):
                missing.append(f"{name}.{column}: not described")
    assert not missing, missing


def test_public_models_enforce_contracts(parsed_manifest: Path):
    models = _models(parsed_manifest)
    for name in MARTS:
        assert models[name]["config"]["contract"]["enforced"], name
        assert all(spec["data_type"] for spec in models[name]["columns"].values()), name


def _markdown_pages() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def _prose(text: str) -> str:
    """The text outside fenced code blocks, with inline code spans blanked."""
    return INLINE_CODE.sub("code", FENCE.sub("", text))


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown page (duplicates get -1, -2, ...)."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower())
        slug = slug.replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _layout_folders(text: str) -> set[str] | None:
    """The folders named by the first fenced block of `folder/  what it holds` lines."""
    for block in FENCE.finditer(text):
        lines = block.group(0).splitlines()[1:-1]
        folders = {line.split("/")[0] for line in lines if LAYOUT_LINE.match(line)}
        if len(folders) >= 5:
            return folders
    return None


def test_the_marts_listed_here_are_the_marts_folder():
    assert {path.stem for path in (ROOT / "models" / "marts").glob("*.sql")} == MARTS


def test_the_readme_first_screen_has_the_commands_the_marts_and_the_layout():
    text = README.read_text()
    first_screen = "\n".join(text.splitlines()[:FIRST_SCREEN_LINES])
    for command in ("make run", "make test"):
        assert command in first_screen, f"{command!r} is not on the first screen"
    missing = sorted(mart for mart in MARTS if f"`{mart}`" not in first_screen)
    assert not missing, f"marts missing from the first screen: {missing}"

    # The layout block opens and closes on the first screen, names every
    # top-level folder of the project, and only folders that exist.
    folders = _layout_folders(first_screen)
    assert folders is not None, "no layout block on the first screen"
    assert folders >= LAYOUT_FOLDERS, f"the layout misses {sorted(LAYOUT_FOLDERS - folders)}"
    for folder in folders - {"data"}:  # data/ is git-ignored, made by the first run
        assert (ROOT / folder).is_dir(), f"the layout names {folder}/, which does not exist"

    # In this order: the commands, what you get, the layout, the contents, the pipeline.
    headings = ["## What you get", "## Layout", "## Contents", "## Pipeline"]
    positions = [text.index("make run"), *(text.index(f"\n{h}\n") for h in headings)]
    assert positions == sorted(positions), dict(
        zip(["make run", *headings], positions, strict=True)
    )


def test_every_relative_link_leads_to_a_file():
    broken = []
    for page in _markdown_pages():
        for target in LINK.findall(_prose(page.read_text())):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
                continue  # a URL (https:, mailto:), not a file of the project
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            name = f"{page.relative_to(ROOT)}: {target}"
            if not resolved.is_file():
                broken.append(f"{name} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{name} (no such heading)")
    assert not broken, broken
