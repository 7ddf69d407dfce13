"""Check a versioned export (`python -m feedpipe.export verify OUT`): the latest
version and every version it chains back to. Each problem names the file or
version it concerns; an empty list means the export is whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from feedpipe.export import SPLITS, content_hash, parquet_sql, row_hash_sql, sha256_of
from feedpipe.export_read import (
    MANIFEST,
    VERSIONS,
    DamagedExport,
    chain,
    manifest_path,
    version_name,
)

COUNTS = ("content_hash", "rows", "positives", "negatives")


def _chain(out: Path, problems: list[str]) -> list[dict]:
    """The manifests from the latest version back to a first (or compacted) one,
    each matching the sha256 that CURRENT or its child names."""
    try:
        return list(chain(out))
    except (DamagedExport, OSError) as error:
        problems.append(str(error))
        return []


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
    """Each partition's content hash and label counts, and each split's rows,
    recomputed from the files."""
    computed: dict[tuple[str, ...], dict] = {}
    with duckdb.connect() as connection:
        for manifest in chain:
            path = manifest_path(manifest["version"])
            for entry in manifest["partitions"]:
                paths = tuple(file["path"] for file in entry["files"])
                if paths not in computed:
                    computed[paths] = _counts(connection, [out / path for path in paths])
                where = f"{entry['split']} {entry['task']} {entry['event_date']}"
                for name in COUNTS:
                    if computed[paths][name] != entry.get(name):
                        problems.append(
                            f"{path}: {where}: {name} {computed[paths][name]} in its files "
                            f"({paths[0]}), the manifest says {entry.get(name)}"
                        )
            for split in SPLITS:
                rows = sum(e["rows"] for e in manifest["partitions"] if e["split"] == split)
                said = manifest.get("splits", {}).get(split, {}).get("rows")
                if rows != said:
                    problems.append(
                        f"{path}: {split} holds {rows} rows in its partitions, "
                        f"the manifest's splits say {said}"
                    )


def _counts(connection: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict:
    files = parquet_sql(paths)
    columns = [row[0] for row in connection.execute(f"describe select * from {files}").fetchall()]
    rows, positives, negatives, row_sum = connection.execute(
        f"select count(*), count(*) filter (where label = 1), count(*) filter (where label = 0), "
        f"{row_hash_sql(columns)} from {files}"
    ).fetchone()
    return {
        "content_hash": content_hash(rows, row_sum),
        "rows": rows,
        "positives": positives,
        "negatives": negatives,
    }


def verify(out: Path) -> list[str]:
    """What in the export at `out` differs from its manifests (empty when nothing):
    manifests that do not parse, chain or match the sha256 that CURRENT or their
    child names, files missing, stray, of other rows or sha256, partitions whose
    content hash, rows, positives or negatives do not recompute from their files,
    and split totals that do not add up. Staging folders (`versions/.staging-*`)
    are not part of the export and are not read."""
    problems: list[str] = []
    chain = _chain(out, problems)
    if problems:
        return problems
    _files(out, chain, problems)
    if problems:
        return problems
    _contents(out, chain, problems)
    return problems
