"""Check a versioned export (`python -m feedpipe.export verify OUT`): the latest
version and every version it chains back to. Each problem names the file or
version it concerns; an empty list means the export is whole."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from feedpipe.export import content_hash, parquet_sql, row_hash_sql, sha256_of
from feedpipe.export_read import CURRENT, MANIFEST, VERSIONS, current_version, version_name


def _chain(out: Path, problems: list[str]) -> list[dict]:
    """The manifests from the latest version back to a first (or compacted) one."""
    try:
        version = current_version(out)
    except ValueError:
        problems.append(f"{CURRENT}: not a version number")
        return []
    if version is None:
        problems.append(f"{out}: no export ({CURRENT} missing)")
        return []
    chain = []
    while version is not None:
        path = f"{VERSIONS}/{version_name(version)}/{MANIFEST}"
        try:
            manifest = json.loads((out / path).read_text())
        except (OSError, ValueError) as error:
            problems.append(f"{path}: missing or not readable ({error})")
            return chain
        if manifest.get("version") != version:
            problems.append(f"{path}: says version {manifest.get('version')}")
            return chain
        chain.append(manifest)
        parent = manifest.get("parent")
        if parent is not None and parent >= version:
            problems.append(f"{path}: parent {parent} is not an earlier version")
            return chain
        if manifest.get("compacted") and not (out / VERSIONS / version_name(parent)).exists():
            break  # the versions before a compaction were removed
        version = parent
    return chain


def _files(out: Path, chain: list[dict], problems: list[str]) -> None:
    """Every listed file exists with its rows and sha256; no other file in a
    version's folder."""
    checked: set[str] = set()
    for manifest in chain:
        own = f"{VERSIONS}/{version_name(manifest['version'])}"
        listed = {
            file["path"]: file
            for entry in manifest["partitions"]
            for file in entry["files"]
            if entry["version"] == manifest["version"]
        }
        found = {
            path.relative_to(out).as_posix()
            for path in (out / own).rglob("*")
            if path.is_file() and path.name != MANIFEST
        }
        for path in sorted(found - listed.keys()):
            problems.append(f"{path}: in the export, not in the manifest")
        referenced = {file["path"]: file for e in manifest["partitions"] for file in e["files"]}
        for path, file in sorted(referenced.items()):
            if path in checked:
                continue
            checked.add(path)
            problems.extend(_file_problems(out, path, file))


def _file_problems(out: Path, path: str, file: dict) -> list[str]:
    if not (out / path).exists():
        return [f"{path}: in the manifest, missing from the export"]
    try:
        rows = pq.ParquetFile(out / path).metadata.num_rows
    except (OSError, ValueError) as error:
        return [f"{path}: not a readable Parquet file ({error})"]
    problems = []
    if rows != file["rows"]:
        problems.append(f"{path}: {rows} rows, the manifest says {file['rows']}")
    if sha256_of(out / path) != file["sha256"]:
        problems.append(f"{path}: sha256 differs from the manifest")
    return problems


def _contents(out: Path, chain: list[dict], problems: list[str]) -> None:
    """Each partition's content hash and label counts, recomputed from its files."""
    computed: dict[tuple[str, ...], tuple] = {}
    with duckdb.connect() as connection:
        for manifest in chain:
            for entry in manifest["partitions"]:
                paths = tuple(file["path"] for file in entry["files"])
                if paths not in computed:
                    files = parquet_sql([out / path for path in paths])
                    columns = [
                        row[0]
                        for row in connection.execute(f"describe select * from {files}").fetchall()
                    ]
                    rows, positives, row_sum = connection.execute(
                        f"select count(*), count(*) filter (where label = 1), "
                        f"{row_hash_sql(columns)} from {files}"
                    ).fetchone()
                    computed[paths] = (content_hash(rows, row_sum), rows, positives)
                want = (entry["content_hash"], entry["rows"], entry["positives"])
                if computed[paths] != want:
                    where = f"{entry['split']} {entry['task']} {entry['event_date']}"
                    problems.append(
                        f"{paths[0]}: content of {where} (version {manifest['version']}) "
                        "differs from the manifest's hash or counts"
                    )


def verify(out: Path) -> list[str]:
    """What in the export at `out` differs from its manifests (empty when nothing):
    manifests that do not parse or chain, files missing, stray, of other rows or
    sha256, and partitions whose content hash does not recompute. Staging folders
    (`versions/.staging-*`) are not part of the export and are not read."""
    problems: list[str] = []
    chain = _chain(out, problems)
    if problems:
        return problems
    _files(out, chain, problems)
    if problems:
        return problems
    _contents(out, chain, problems)
    return problems
