"""Export the split marts for trainers: Parquet datasets partitioned by task and
day, with a manifest that says what they hold, and a check of an export against
its manifest.

    python -m feedpipe.export write OUT     # from $FEED_DUCKDB_PATH (data/feed.duckdb)
    python -m feedpipe.export verify OUT    # exit 0, or 1 naming what differs

Layout of OUT::

    manifest.json
    train/task=like/event_date=2026-01-05/data_0.parquet
    validation/...
    test/...

Hive-style folders: pyarrow, pandas, polars, DuckDB and Spark read each split as
one dataset, with `task` and `event_date` from the folder names. The files hold
the other columns of the mart (user_id, tweet_id, label, sampling_rate,
sample_weight, example_ts, and any feature columns), sorted by task, day, user
and tweet. The manifest records what produced the export (project version, git
commit, the dbt invocation of the last completed build), the sample's
definition (the `sample_definition` mart: tasks, salt, negatives per positive,
daily cap, label window, split settings), the watermark, per split, task and day
the rows, positives, negatives and both sampling rates, and every file with its
rows and sha256. Written from one DuckDB thread in a fixed order, an export of
the same build is byte-identical, manifest included but for `created_at`.

On Spark the marts are Parquet tables under the warehouse folder: read them
there (`spark.table(...)`) or write them with `df.write.partitionBy("task",
"event_date").parquet(...)`; this module reads DuckDB only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml

SPLITS = ("train", "validation", "test")
PARTITIONING = ("task", "event_date")
PROJECT_DIR = Path(__file__).resolve().parents[1]
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
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


def _records(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _plain(value):
    """A JSON value: dates and timestamps as ISO text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


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


def _sample_definition(connection: duckdb.DuckDBPyConnection) -> dict:
    rows = _records(connection, "select * from sample_definition order by task_position")
    if not rows:
        raise SystemExit("sample_definition is empty: build the project first (make run)")
    first = rows[0]
    shared = {
        key: _plain(value)
        for key, value in first.items()
        if key not in {"task", "task_position", "actions", "watermark_ts"}
    }
    tasks = [
        {"task": row["task"], "position": row["task_position"], "actions": row["actions"]}
        for row in rows
    ]
    return {"tasks": tasks, **shared, "watermark_ts": _plain(first["watermark_ts"])}


def _day_counts(connection: duckdb.DuckDBPyConnection, split: str) -> list[dict]:
    rows = _records(
        connection,
        f"""
        select
            examples.task,
            examples.event_date,
            count(*) as rows,
            count(*) filter (where examples.label = 1) as positives,
            count(*) filter (where examples.label = 0) as negatives,
            any_value(stats.positive_sampling_rate) as positive_sampling_rate,
            any_value(stats.negative_sampling_rate) as negative_sampling_rate
        from {split}_examples as examples
        left join daily_label_stats as stats
            on examples.task = stats.task and examples.event_date = stats.event_date
        group by examples.task, examples.event_date
        order by examples.task, examples.event_date
        """,
    )
    return [{key: _plain(value) for key, value in row.items()} for row in rows]


def _files(out: Path) -> list[dict]:
    files = []
    for path in sorted(p for p in out.rglob("*.parquet")):
        files.append(
            {
                "path": path.relative_to(out).as_posix(),
                "rows": pq.ParquetFile(path).metadata.num_rows,
                "sha256": _sha256(path),
            }
        )
    return files


def write(database: Path, out: Path) -> dict:
    """Export the three split marts of `database` to `out` (replaced whole) and
    return the manifest written beside them."""
    if not database.exists():
        raise SystemExit(f"no database at {database} (FEED_DUCKDB_PATH): build it first")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            # One thread and a fixed order: the same build exports the same bytes.
            connection.execute("set threads = 1")
            connection.execute("set preserve_insertion_order = true")
            connection.execute("set TimeZone = 'UTC'")
            splits = {}
            for split in SPLITS:
                folder = staging / split
                connection.execute(
                    f"""
                    copy (
                        select * from {split}_examples
                        order by task, event_date, user_id, tweet_id
                    ) to '{folder.as_posix().replace("'", "''")}' (
                        format parquet,
                        partition_by ({", ".join(PARTITIONING)}),
                        compression zstd
                    )
                    """
                )
                days = _day_counts(connection, split)
                splits[split] = {
                    "path": split,
                    "partitioning": list(PARTITIONING),
                    "rows": sum(day["rows"] for day in days),
                    "days": days,
                }
            manifest = {
                "format": "feed-training-data export 1",
                "producer": _producer(connection, database),
                "sample_definition": _sample_definition(connection),
                "splits": splits,
            }
        manifest["files"] = _files(staging)
        manifest["created_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return manifest


def verify(out: Path) -> list[str]:
    """What in the export at `out` differs from its manifest (empty when nothing):
    files missing, extra, of other rows or sha256, and split counts per task and
    day read back from the Parquet files."""
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        return [f"{manifest_path}: no manifest"]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    listed = {file["path"]: file for file in manifest["files"]}
    found = {path.relative_to(out).as_posix() for path in out.rglob("*.parquet")}
    for path in sorted(listed.keys() - found):
        problems.append(f"{path}: in the manifest, missing from the export")
    for path in sorted(found - listed.keys()):
        problems.append(f"{path}: in the export, not in the manifest")
    for path in sorted(listed.keys() & found):
        file = out / path
        try:
            rows = pq.ParquetFile(file).metadata.num_rows
        except (OSError, ValueError) as error:
            problems.append(f"{path}: not a readable Parquet file ({error})")
            continue
        if rows != listed[path]["rows"]:
            problems.append(f"{path}: {rows} rows, the manifest says {listed[path]['rows']}")
        if _sha256(file) != listed[path]["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest")
    if problems:
        return problems
    for split, expected in manifest["splits"].items():
        dataset = ds.dataset(out / expected["path"], format="parquet", partitioning="hive")
        table = dataset.to_table(columns=["task", "event_date", "label"])
        with duckdb.connect() as connection:
            connection.register("exported", table)
            counts = _records(
                connection,
                "select task, cast(event_date as varchar) as event_date, count(*) as rows, "
                "count(*) filter (where label = 1) as positives, "
                "count(*) filter (where label = 0) as negatives "
                "from exported group by all order by all",
            )
        want = [
            {key: day[key] for key in ("task", "event_date", "rows", "positives", "negatives")}
            for day in expected["days"]
        ]
        if counts != want:
            problems.append(f"{split}: rows per task and day differ from the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.export", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["write", "verify"])
    parser.add_argument("out", type=Path, help="the export folder")
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb")),
        help="the DuckDB database (default: $FEED_DUCKDB_PATH or data/feed.duckdb)",
    )
    args = parser.parse_args(argv)
    if args.command == "write":
        manifest = write(args.database, args.out)
        rows = sum(split["rows"] for split in manifest["splits"].values())
        print(f"feedpipe.export: {rows:,} rows in {len(manifest['files'])} files -> {args.out}")
        return 0
    problems = verify(args.out)
    for problem in problems:
        print(f"feedpipe.export: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"feedpipe.export: {args.out} matches its manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
