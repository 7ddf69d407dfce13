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

The chain is checked as it is read: `CURRENT` names the latest version and the
sha256 of its manifest (`000004 9f86d0...`), and each manifest names the sha256
of its parent's. A manifest whose bytes do not match is refused
(`DamagedExport`, naming the version and the file).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

VERSIONS = "versions"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
# Manifests of this format were written before the chain carried checksums:
# read without one (the only manifests that may be).
UNCHECKED_FORMAT = "feed-training-data export 2"
_POINTER = re.compile(r"(\d+)(?: ([0-9a-f]{64}))?")


class DamagedExport(ValueError):
    """A manifest (or `CURRENT`) that does not match the checksum naming it, or
    that does not say what its place in the chain says it must."""


def version_name(version: int) -> str:
    """The folder name of a version: six digits, 000001 first."""
    return f"{version:06d}"


def manifest_path(version: int) -> str:
    """A version's manifest, relative to the export's folder."""
    return f"{VERSIONS}/{version_name(version)}/{MANIFEST}"


def current_pointer(out: str | Path) -> tuple[int, str | None] | None:
    """What `CURRENT` names: the latest version and the sha256 of its manifest
    (None for a `CURRENT` written before checksums); None before the first."""
    pointer = Path(out) / CURRENT
    if not pointer.exists():
        return None
    text = pointer.read_text().strip()
    found = _POINTER.fullmatch(text)
    if found is None:
        raise DamagedExport(f"{pointer}: not '<version> <sha256>': {text[:100]!r}")
    return int(found[1]), found[2]


def current_version(out: str | Path) -> int | None:
    """The latest published version of the export at `out` (None before the first)."""
    named = current_pointer(out)
    return None if named is None else named[0]


def chain(out: str | Path, until: int | None = None) -> Iterator[dict]:
    """The manifests from the latest version back to `until` (default: as far as
    the chain goes: a first version, or a compacted one whose parents were
    removed), each checked against the sha256 that `CURRENT` or its child names."""
    root = Path(out)
    named = current_pointer(root)
    if named is None:
        raise FileNotFoundError(f"{root}: no export written yet (no {CURRENT})")
    version, expected = named
    named_by = CURRENT
    while True:
        path = manifest_path(version)
        try:
            data = (root / path).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path}: version {version} is not in the export ({named_by} names it)"
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        if expected is not None and digest != expected:
            raise DamagedExport(
                f"{path}: version {version}'s manifest was changed or damaged: its sha256 "
                f"is {digest}, {named_by} names {expected}"
            )
        try:
            found = json.loads(data)
        except ValueError as error:
            raise DamagedExport(
                f"{path}: version {version}'s manifest is not JSON ({error})"
            ) from None
        if not isinstance(found, dict) or found.get("version") != version:
            said = found.get("version") if isinstance(found, dict) else None
            raise DamagedExport(f"{path}: says version {said}, not {version}")
        if expected is None and found.get("format") != UNCHECKED_FORMAT:
            raise DamagedExport(f"{path}: {named_by} names no sha256 for version {version}")
        yield found
        parent = found.get("parent")
        if version == until or parent is None:
            return
        if not isinstance(parent, int) or not 0 < parent < version:
            raise DamagedExport(f"{path}: parent {parent} is not an earlier version")
        if found.get("compacted") and not (root / VERSIONS / version_name(parent)).exists():
            return  # the versions before a compaction were removed
        version, expected, named_by = parent, found.get("parent_sha256"), path


def _manifests(out: str | Path, versions: set[int]) -> dict[int, dict]:
    """The manifests of some versions, read along the chain from the latest."""
    found = {}
    for entry in chain(out, until=min(versions)):
        found[entry["version"]] = entry
    missing = versions - found.keys()
    if missing:
        raise FileNotFoundError(
            f"{out}: version {min(missing)} is not in the export's chain "
            f"(versions {min(found)} to {max(found)})"
        )
    return {version: found[version] for version in versions}


def manifest(out: str | Path, version: int | None = None) -> dict:
    """The manifest of a version (default: the latest), checked along the chain
    from `CURRENT` (DamagedExport when a manifest on the way does not match)."""
    version = current_version(out) if version is None else version
    if version is None:
        raise FileNotFoundError(f"{out}: no export written yet (no {CURRENT})")
    return _manifests(out, {version})[version]


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
    return _partitions(out, manifest(out, version))


def _partitions(out: str | Path, entry: dict) -> list[Partition]:
    root = Path(out)
    return [
        Partition(
            split=partition["split"],
            task=partition["task"],
            event_date=partition["event_date"],
            version=partition["version"],
            files=tuple(root / file["path"] for file in partition["files"]),
            rows=partition["rows"],
            content_hash=partition["content_hash"],
        )
        for partition in entry["partitions"]
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
    manifests = _manifests(out, {since, until})
    old = {(p.task, p.event_date): p for p in _partitions(out, manifests[since])}
    new = {(p.task, p.event_date): p for p in _partitions(out, manifests[until])}

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
