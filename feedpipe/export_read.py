"""Read a versioned export (written by `feedpipe.export`): the full state as of
a version, and what changed after a version a trainer has already read.

    from feedpipe.export_read import delta, read, state

    partitions = state("data/export")              # the latest version's state
    train = read([p for p in partitions if p.split == "train"]).to_pandas()

    change = delta("data/export", since=3)          # what versions 4.. changed
    # drop the rows of change.drop (by split, task and day), then add read(change.add)

A partition is one task's examples of one day, in one split. Its files live in
the version that wrote its current content (`versions/000003/task=like/
event_date=2026-01-05/data_0.parquet`); the manifest of each version says which
split every partition belongs to. Readers follow `CURRENT` and read only
published versions; `.staging-*` folders are an export in progress (or one that
was killed) and are never read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

VERSIONS = "versions"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"


def version_name(version: int) -> str:
    """The folder name of a version: six digits, 000001 first."""
    return f"{version:06d}"


def current_version(out: str | Path) -> int | None:
    """The latest published version of the export at `out` (None before the first)."""
    pointer = Path(out) / CURRENT
    if not pointer.exists():
        return None
    return int(pointer.read_text().strip())


def manifest(out: str | Path, version: int | None = None) -> dict:
    """The manifest of a version (default: the latest)."""
    version = current_version(out) if version is None else version
    if version is None:
        raise FileNotFoundError(f"{out}: no export written yet (no {CURRENT})")
    return json.loads((Path(out) / VERSIONS / version_name(version) / MANIFEST).read_text())


@dataclass(frozen=True)
class Partition:
    """One (split, task, day) of a version's state and the files holding its rows."""

    split: str
    task: str
    event_date: str
    version: int
    files: tuple[Path, ...]
    rows: int
    content_hash: str


def state(out: str | Path, version: int | None = None) -> list[Partition]:
    """Every partition of the full state as of `version` (default: the latest),
    each with the files of the version that holds its content."""
    root = Path(out)
    return [
        Partition(
            split=entry["split"],
            task=entry["task"],
            event_date=entry["event_date"],
            version=entry["version"],
            files=tuple(root / file["path"] for file in entry["files"]),
            rows=entry["rows"],
            content_hash=entry["content_hash"],
        )
        for entry in manifest(root, version)["partitions"]
    ]


@dataclass(frozen=True)
class Delta:
    """What a trainer holding the state of `since` does to hold that of `until`:
    drop the rows of the `drop` partitions (of the old state: partitions that left,
    or whose content or split changed), then add the rows of the `add` ones."""

    since: int
    until: int
    add: list[Partition]
    drop: list[Partition]


def delta(out: str | Path, since: int) -> Delta:
    """The partitions that changed after version `since`, up to the latest. A
    partition whose content and split are unchanged is in neither list, even
    when a compaction rewrote its files."""
    until = current_version(out)
    if until is None:
        raise FileNotFoundError(f"{out}: no export written yet (no {CURRENT})")
    old = {(p.task, p.event_date): p for p in state(out, since)}
    new = {(p.task, p.event_date): p for p in state(out, until)}

    def same(a: Partition, b: Partition) -> bool:
        return (a.split, a.content_hash) == (b.split, b.content_hash)

    add = [p for key, p in new.items() if key not in old or not same(old[key], p)]
    drop = [p for key, p in old.items() if key not in new or not same(new[key], p)]
    return Delta(since=since, until=until, add=add, drop=drop)


def read(partitions: list[Partition], columns: list[str] | None = None) -> pa.Table:
    """The rows of some partitions as one Arrow table, with their split, task and
    event_date as columns."""
    tables = []
    for partition in partitions:
        table = pq.read_table(list(partition.files), columns=columns, partitioning=None)
        rows = table.num_rows
        table = table.append_column("split", pa.array([partition.split] * rows, pa.string()))
        table = table.append_column("task", pa.array([partition.task] * rows, pa.string()))
        day = dt.date.fromisoformat(partition.event_date)
        table = table.append_column("event_date", pa.array([day] * rows, pa.date32()))
        tables.append(table)
    if not tables:
        return pa.table({"split": pa.array([], pa.string())})
    return pa.concat_tables(tables, promote_options="default")
