"""Export the split marts for trainers as versions: each export writes only the
partitions (task, day) whose rows changed since the last one, and a manifest of
the full state that points every partition at the version holding its files.

    python -m feedpipe.export write OUT      # a new version from the served database
    python -m feedpipe.export verify OUT     # the latest version and its chain
    python -m feedpipe.export changes OUT [--version N]
    python -m feedpipe.export compact OUT [--remove-older]

Layout of OUT (docs/export.md)::

    CURRENT                                   # the latest version and the
                                              # sha256 of its manifest: 000003 9f86d0...
    versions/000001/manifest.json
    versions/000001/task=like/event_date=2026-01-05/data_0.parquet
    versions/000003/...                       # only the partitions 3 changed

Files are laid out by task and day, not by split: a day that rolls from test to
validation to train keeps its files, and the manifest gives its split. The
files hold the other columns of the mart (user_id, tweet_id, label,
sampling_rate, sample_weight, example_ts and the feature columns), sorted by
user and tweet. `feedpipe.export_read` reads the state of a version or the
delta since one.

A version is written into `versions/.staging-<id>-<pid>` and published by one
rename, then `CURRENT` is replaced; nothing published is rewritten. Each
manifest names the sha256 of its parent's (`parent_sha256`) and `CURRENT` that
of the latest, so a manifest changed after it was written is found. Writers
hold `OUT/.lock`. When no partition changed, no version is written.

On Spark the marts are Parquet tables under the warehouse folder: read them
there (`spark.table(...)`); this module reads DuckDB only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pyarrow.parquet as pq
import yaml

from feedpipe.export_read import (
    CURRENT,
    MANIFEST,
    VERSIONS,
    DamagedExport,
    current_version,
    manifest_path,
    version_name,
)
from feedpipe.export_read import manifest as checked_manifest
from feedpipe.serving import served_path

SPLITS = ("train", "validation", "test")
PARTITIONING = ("task", "event_date")
# An example's key within a partition (the marts' key is task, day, user, tweet).
EXAMPLE_KEY = ("user_id", "tweet_id")
PROJECT_DIR = Path(__file__).resolve().parents[1]
FORMAT = "feed-training-data export 3"
LOCK = ".lock"
STAGING_PREFIX = ".staging-"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _records(connection: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value):
    """A JSON value: dates and timestamps as ISO text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def sql_path(path: Path) -> str:
    return "'" + path.as_posix().replace("'", "''") + "'"


def parquet_sql(paths: list[Path]) -> str:
    """SQL reading exported files: their own columns only (the task and day in
    their folder names are not read as columns)."""
    files = ", ".join(sql_path(path) for path in paths)
    return f"read_parquet([{files}], hive_partitioning = false)"


def _producer(connection: duckdb.DuckDBPyConnection, database: Path) -> dict:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    runs = _records(
        connection,
        "select invocation_id, window_mode, completed_ts from stg_feed_refresh__runs "
        "order by completed_ts desc limit 1",
    )
    last_run = runs[0] if runs else {}
    return {
        "project": project["name"],
        "project_version": project["version"],
        "git_commit": _git_commit(),
        "database": database.name,
        "dbt_invocation_id": last_run.get("invocation_id"),
        "dbt_window_mode": last_run.get("window_mode"),
    }


# The columns of sample_definition that differ by task, beside its name and actions
# (sampling_mode fixed_rates: each task's configured rates).
PER_TASK_RATES = ("fixed_positive_rate", "fixed_negative_rate")


def _sample_definition(connection: duckdb.DuckDBPyConnection) -> dict:
    rows = _records(connection, "select * from sample_definition order by task_position")
    if not rows:
        raise SystemExit("sample_definition is empty: build the project first (make run)")
    first = rows[0]
    shared = {
        key: _plain(value)
        for key, value in first.items()
        if key not in {"task", "task_position", "actions", "watermark_ts", *PER_TASK_RATES}
    }
    tasks = [
        {
            "task": row["task"],
            "position": row["task_position"],
            "actions": row["actions"],
            **{key: _plain(row[key]) for key in PER_TASK_RATES if key in row},
        }
        for row in rows
    ]
    return {"tasks": tasks, **shared, "watermark_ts": _plain(first["watermark_ts"])}


def row_hash_sql(columns: list[str]) -> str:
    """SQL for an order-free hash of a partition's rows: the sum, as a 128-bit
    integer, of the md5 (lower 64 bits) of each row's text over `columns`. Equal
    multisets of rows give equal sums whatever the order of files or rows."""
    fields = ", ".join(f'"{column}" := "{column}"' for column in columns)
    return f"sum(md5_number_lower(cast(struct_pack({fields}) as varchar))::hugeint)"


def content_hash(rows: int, row_sum: int | None) -> str:
    return f"{rows}:{(row_sum or 0):032x}"


def _exported_columns(connection: duckdb.DuckDBPyConnection) -> list[str]:
    names = [row[0] for row in connection.execute("describe train_examples").fetchall()]
    return [name for name in names if name not in PARTITIONING]


def _current_partitions(connection: duckdb.DuckDBPyConnection, columns: list[str]) -> dict:
    """Per (task, day) of the marts: split, counts, both sampling rates, content hash."""
    union = " union all ".join(
        f"select '{split}' as split, * from {split}_examples" for split in SPLITS
    )
    connection.execute(f"create or replace temp view examples as {union}")
    rows = _records(
        connection,
        f"""
        select
            examples.split,
            examples.task,
            cast(examples.event_date as varchar) as event_date,
            count(*) as rows,
            count(*) filter (where examples.label = 1) as positives,
            count(*) filter (where examples.label = 0) as negatives,
            any_value(stats.positive_sampling_rate) as positive_sampling_rate,
            any_value(stats.negative_sampling_rate) as negative_sampling_rate,
            {row_hash_sql(columns)} as row_sum
        from examples
        left join daily_label_stats as stats
            on examples.task = stats.task and examples.event_date = stats.event_date
        group by all
        order by examples.task, event_date, examples.split
        """,
    )
    partitions: dict = {}
    for row in rows:
        key = (row["task"], row["event_date"])
        if key in partitions:
            raise SystemExit(f"{key[0]} {key[1]}: in two splits ({row['split']} too)")
        row["content_hash"] = content_hash(row["rows"], row.pop("row_sum"))
        partitions[key] = row
    return partitions


def _compare(
    connection: duckdb.DuckDBPyConnection, out: Path, entry: dict, columns: list[str]
) -> dict:
    """Examples added, removed, with a flipped label or other values changed, between
    a partition's rows in the marts and its files in the parent version."""
    files = parquet_sql([out / file["path"] for file in entry["files"]])
    text = "cast(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + ") as varchar)"
    keys = ", ".join(EXAMPLE_KEY)
    on = " and ".join(f"new.{key} = old.{key}" for key in EXAMPLE_KEY)
    [counts] = _records(
        connection,
        f"""
        with
            new as (
                select {keys}, label, {text} as row_text from examples
                where task = ? and cast(event_date as varchar) = ?
            ),
            old as (select {keys}, label, {text} as row_text from {files})
        select
            count(*) filter (where old.label is null) as examples_added,
            count(*) filter (where new.label is null) as examples_removed,
            count(*) filter (where new.label <> old.label) as labels_flipped,
            count(*) filter (
                where new.label = old.label and new.row_text <> old.row_text
            ) as values_changed
        from new full outer join old on {on}
        """,
        [entry["task"], entry["event_date"]],
    )
    return counts


def _change(connection, out: Path, new: dict | None, old: dict | None, columns) -> dict | None:
    """The change of one (task, day) from the parent's state, None when none."""
    if new is None:
        return {**_where(old), "reasons": ["left"], "rows": old["rows"], "detail": {}}
    if old is None:
        return {**_where(new), "reasons": ["new_day"], "rows": new["rows"], "detail": {}}
    reasons, detail = [], {}
    if new["split"] != old["split"]:
        reasons.append("moved")
        detail.update({"from": old["split"], "to": new["split"]})
    if new["content_hash"] != old["content_hash"]:
        counts = _compare(connection, out, old, columns)
        found = [reason for reason, count in counts.items() if count]
        reasons += found or ["values_changed"]
        detail.update({reason: counts[reason] for reason in found})
    rates = ("positive_sampling_rate", "negative_sampling_rate")
    if any(new[rate] != old[rate] for rate in rates):
        reasons.append("sampling_rate_changed")
        detail.update({rate: [old[rate], new[rate]] for rate in rates if new[rate] != old[rate]})
    if not reasons:
        return None
    return {**_where(new), "reasons": reasons, "rows": new["rows"], "detail": detail}


def _where(entry: dict) -> dict:
    return {key: entry[key] for key in ("split", "task", "event_date")}


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold OUT/.lock: one writer (write, compact) at a time."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clear_leftovers(out: Path) -> None:
    """Under the lock: remove the staging folders and pointer files of killed
    exports; a version a killed export published but did not yet name in CURRENT
    is complete (its manifest is written before the rename), so CURRENT is
    pointed at it."""
    versions = out / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    for folder in versions.iterdir():
        if folder.name.startswith(STAGING_PREFIX):
            shutil.rmtree(folder)
    for pointer in out.glob(f".{CURRENT}.*"):
        pointer.unlink()
    published = [int(f.name) for f in versions.iterdir() if f.name.isdigit()]
    if published and max(published) > (current_version(out) or 0):
        _adopt(out, max(published))


def _latest(out: Path) -> tuple[dict | None, str | None]:
    """The latest manifest, checked against CURRENT, and its sha256 (None, None
    before the first version)."""
    version = current_version(out)
    if version is None:
        return None, None
    return checked_manifest(out, version), sha256_of(out / manifest_path(version))


def _adopt(out: Path, version: int) -> None:
    """Name in CURRENT a version published after the latest: only when it was
    written on the latest (its parent, with that manifest's sha256)."""
    latest, latest_sha256 = _latest(out)
    path = out / manifest_path(version)
    data = path.read_bytes()
    try:
        found = json.loads(data)
    except ValueError:
        found = {}
    parent = latest["version"] if latest else None
    if (found.get("version"), found.get("parent"), found.get("parent_sha256")) != (
        (parent or 0) + 1,
        parent,
        latest_sha256,
    ):
        raise SystemExit(
            f"{manifest_path(version)}: published after version {parent} ({CURRENT}) but not "
            f"written on it: inspect {VERSIONS}/{version_name(version)}, or remove it"
        )
    _point(out, version, hashlib.sha256(data).hexdigest())


def _point(out: Path, version: int, manifest_sha256: str) -> None:
    """Name `version` and the sha256 of its manifest in CURRENT: a temporary file
    replaced in one step."""
    pointer = out / f".{CURRENT}.{os.getpid()}"
    pointer.write_text(f"{version_name(version)} {manifest_sha256}\n")
    os.replace(pointer, out / CURRENT)


def _publish(out: Path, staging: Path, version: int, manifest: dict) -> None:
    """Write the manifest, rename the staging folder to its version and name it
    (with its manifest's sha256) in CURRENT."""
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (staging / MANIFEST).write_bytes(data)
    os.rename(staging, out / VERSIONS / version_name(version))
    _point(out, version, hashlib.sha256(data).hexdigest())


def _files_by_partition(out: Path, staging: Path, version: int) -> dict:
    """The files written into staging, keyed by (task, day), as they will be
    listed once published."""
    found: dict = {}
    for path in sorted(staging.rglob("*.parquet")):
        relative = path.relative_to(staging)
        task, day = (unquote(part.split("=", 1)[1]) for part in relative.parts[:2])
        found.setdefault((task, day), []).append(
            {
                "path": f"{VERSIONS}/{version_name(version)}/{relative.as_posix()}",
                "rows": pq.ParquetFile(path).metadata.num_rows,
                "sha256": sha256_of(path),
            }
        )
    return found


def _manifest(
    version: int, parent: dict | None, parent_sha256: str | None, producer: dict, definition: dict
) -> dict:
    return {
        "format": FORMAT,
        "version": version,
        "parent": parent["version"] if parent else None,
        "parent_sha256": parent_sha256,
        "producer": producer,
        "sample_definition": definition,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _splits(partitions: list[dict]) -> dict:
    return {
        split: {"rows": sum(p["rows"] for p in partitions if p["split"] == split)}
        for split in SPLITS
    }


def write(database: Path, out: Path) -> dict | None:
    """Export the split marts of `database` as the next version of `out`; return
    its manifest, or None when no partition changed (no version is written)."""
    if not database.exists():
        raise SystemExit(f"no database at {database}: build it first (make build publishes it)")
    with locked(out):
        _clear_leftovers(out)
        parent, parent_sha256 = _latest(out)
        version = (parent["version"] if parent else 0) + 1
        staging = out / VERSIONS / f"{STAGING_PREFIX}{version_name(version)}-{os.getpid()}"
        try:
            manifest = _write_version(database, out, staging, version, parent, parent_sha256)
            if manifest is not None:
                _publish(out, staging, version, manifest)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    return manifest


def _write_version(
    database: Path,
    out: Path,
    staging: Path,
    version: int,
    parent: dict | None,
    parent_sha256: str | None,
) -> dict | None:
    with duckdb.connect(str(database), read_only=True) as connection:
        # One thread and a fixed order: the same build exports the same bytes.
        connection.execute("set threads = 1")
        connection.execute("set preserve_insertion_order = true")
        connection.execute("set TimeZone = 'UTC'")
        columns = _exported_columns(connection)
        current = _current_partitions(connection, columns)
        before = {(p["task"], p["event_date"]): p for p in (parent or {}).get("partitions", [])}
        changes = []
        for key in sorted(current.keys() | before.keys()):
            change = _change(connection, out, current.get(key), before.get(key), columns)
            if change is not None and parent is None:
                change.update(reasons=["first_export"], detail={})
            if change is not None:
                changes.append(change)
        if parent is not None and not changes:
            return None
        rewritten = sorted(
            key
            for key, entry in current.items()
            if key not in before or before[key]["content_hash"] != entry["content_hash"]
        )
        staging.mkdir(parents=True)
        if rewritten:
            connection.execute("create or replace temp table rewritten (task varchar, day varchar)")
            connection.executemany("insert into rewritten values (?, ?)", rewritten)
            connection.execute(
                f"""
                copy (
                    select * exclude (split) from examples
                    where (task, cast(event_date as varchar)) in (select * from rewritten)
                    order by task, event_date, {", ".join(EXAMPLE_KEY)}
                ) to {sql_path(staging)} (
                    format parquet,
                    partition_by ({", ".join(PARTITIONING)}),
                    compression zstd
                )
                """
            )
        manifest = _manifest(
            version,
            parent,
            parent_sha256,
            _producer(connection, database),
            _sample_definition(connection),
        )
    files = _files_by_partition(out, staging, version)
    partitions = []
    for key, entry in sorted(current.items()):
        if key in files:
            held_by, held_files = version, files[key]
        else:
            held_by, held_files = before[key]["version"], before[key]["files"]
        partitions.append({**entry, "version": held_by, "files": held_files})
    manifest.update(partitions=partitions, splits=_splits(partitions), changes=changes)
    return manifest


def compact(out: Path, remove_older: bool = False) -> dict | None:
    """Fold the chain into one new version holding a copy of every partition's
    files (same bytes, same hashes); with `remove_older`, delete the older version
    folders once it is published. None when the latest version already holds
    every file (then only the removal is done)."""
    with locked(out):
        _clear_leftovers(out)
        parent, parent_sha256 = _latest(out)
        if parent is None:
            raise SystemExit(f"{out}: no version to compact")
        latest = parent["version"]
        manifest = None
        if any(entry["version"] != latest for entry in parent["partitions"]):
            version = latest + 1
            staging = out / VERSIONS / f"{STAGING_PREFIX}{version_name(version)}-{os.getpid()}"
            try:
                manifest = _compacted(out, staging, version, parent, parent_sha256)
                _publish(out, staging, version, manifest)
            finally:
                if staging.exists():
                    shutil.rmtree(staging)
            latest = version
        if remove_older:
            for folder in sorted((out / VERSIONS).iterdir()):
                if folder.name.isdigit() and int(folder.name) < latest:
                    shutil.rmtree(folder)
    return manifest


def _compacted(
    out: Path, staging: Path, version: int, parent: dict, parent_sha256: str | None
) -> dict:
    manifest = {
        **parent,
        "format": FORMAT,
        "version": version,
        "parent": parent["version"],
        "parent_sha256": parent_sha256,
        "compacted": True,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "changes": [],
    }
    partitions = []
    for entry in parent["partitions"]:
        files = []
        for file in entry["files"]:
            holder = Path(VERSIONS) / version_name(entry["version"])
            relative = Path(file["path"]).relative_to(holder)
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / file["path"], staging / relative)
            path = f"{VERSIONS}/{version_name(version)}/{relative.as_posix()}"
            files.append({**file, "path": path})
        partitions.append({**entry, "version": version, "files": files})
    manifest["partitions"] = partitions
    return manifest


def _shown(value) -> str:
    """A change's detail value: a count or split as is, a rate's change as old -> new."""
    if isinstance(value, list):
        return " -> ".join(f"{rate:.4g}" if rate is not None else "none" for rate in value)
    return str(value)


def changes_table(manifest: dict) -> str:
    """A version's changes as a table: split, task, day, reasons, rows, detail."""
    header = ("split", "task", "event_date", "reason", "rows", "detail")
    lines = [header]
    for change in manifest["changes"]:
        detail = ", ".join(f"{key} {_shown(value)}" for key, value in change["detail"].items())
        lines.append(
            (
                change["split"],
                change["task"],
                change["event_date"],
                "+".join(change["reasons"]),
                f"{change['rows']:,}",
                detail,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    title = f"version {manifest['version']} (parent {manifest['parent']}): "
    title += f"{len(manifest['changes'])} partitions changed"
    return "\n".join([title, *text])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.export", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["write", "verify", "changes", "compact"])
    parser.add_argument("out", type=Path, help="the export folder")
    parser.add_argument(
        "--database",
        type=Path,
        default=served_path(),
        help="write: the DuckDB database to read (default: the served database, "
        "$FEED_SERVING_PATH or <name>_serving beside $FEED_DUCKDB_PATH)",
    )
    parser.add_argument("--version", type=int, help="changes: this version (default: latest)")
    parser.add_argument(
        "--remove-older",
        action="store_true",
        help="compact: delete the older versions' folders after publishing",
    )
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (DamagedExport, FileNotFoundError) as error:
        print(f"feedpipe.export: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from feedpipe.export_verify import verify

    out = args.out
    if args.command == "write":
        manifest = write(args.database, out)
        if manifest is None:
            print(f"feedpipe.export: no changes since version {current_version(out)}")
            return 0
        written = sum(
            len(entry["files"])
            for entry in manifest["partitions"]
            if entry["version"] == manifest["version"]
        )
        rows = sum(entry["rows"] for entry in manifest["partitions"])
        print(
            f"feedpipe.export: version {manifest['version']}: {rows:,} rows in "
            f"{len(manifest['partitions'])} partitions, {len(manifest['changes'])} changed, "
            f"{written} files written -> {out}"
        )
        return 0
    if args.command == "changes":
        version = args.version or current_version(out)
        if version is None:
            print(f"feedpipe.export: {out}: no version written yet", file=sys.stderr)
            return 1
        print(changes_table(checked_manifest(out, version)))
        return 0
    if args.command == "compact":
        manifest = compact(out, args.remove_older)
        state = f"version {manifest['version']}" if manifest else "already compact"
        print(f"feedpipe.export: {state} at {out}")
        return 0
    problems = verify(out)
    for problem in problems:
        print(f"feedpipe.export: {problem}", file=sys.stderr)
    if problems:
        return 1
    latest = current_version(out)
    print(f"feedpipe.export: {out} version {latest} and its chain match their manifests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
