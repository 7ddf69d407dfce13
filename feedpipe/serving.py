"""Publish the marts for readers: after a successful build, copy the tables
readers query into a DuckDB file of their own and put it in place of the served
file with one rename.

    python -m feedpipe.serving [--database PATH] [--served PATH]   # make publish

The Makefile runs it after every `dbt build` that exits 0 (make build, refresh,
backfill, dataset-build); a failed build publishes nothing, so readers keep the
previous run. Analysts, notebooks and trainers open the served file read-only,
never the build database: DuckDB lets one process write a file only when no
other process holds it, even read-only, so a reader of the build database stops
the next refresh. The publisher never opens the served file. It writes
`<served>.tmp-<pid>` beside it, closes and fsyncs it, and `os.replace`s it onto
the served path: a connection opened before keeps reading the file it opened
(the previous run, whole, until it closes), a connection opened after reads the
new one. Either way a reader sees all of one run's tables. A publish killed
half-way leaves its temporary file, which the next publish removes
(docs/operations.md#readers, decision 0016).
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import os
import sys
import time
from pathlib import Path

import duckdb

from feedpipe.preflight import run_lock_path

DEFAULT_DATABASE = "data/feed.duckdb"
# What readers query, under the names they have in the build database: the six
# marts, and the run ledger (which run this is; the export's manifest names it).
SERVED = (
    "train_examples",
    "validation_examples",
    "test_examples",
    "stream_examples",
    "daily_label_stats",
    "daily_monitors",
    "sample_definition",
    "stg_feed_refresh__runs",
)
STAGING = ".tmp-"


def build_database() -> Path:
    """The database dbt builds: $FEED_DUCKDB_PATH, else data/feed.duckdb."""
    return Path(os.environ.get("FEED_DUCKDB_PATH") or DEFAULT_DATABASE)


def served_path(database: Path | None = None) -> Path:
    """The served file: $FEED_SERVING_PATH, else `<name>_serving` beside the build
    database (data/feed.duckdb -> data/feed_serving.duckdb)."""
    if os.environ.get("FEED_SERVING_PATH"):
        return Path(os.environ["FEED_SERVING_PATH"])
    database = database or build_database()
    return database.with_name(f"{database.stem}_serving{database.suffix}")


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clear_leftovers(served: Path) -> None:
    """Remove the temporary files (and their WAL) of publishes killed half-way."""
    prefix = served.name + STAGING
    for path in served.parent.glob(glob.escape(prefix) + "*"):
        pid = path.name[len(prefix) :].split(".")[0]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _copy(database: Path, staging: Path) -> dict[str, int]:
    """The served tables of `database` into the new file `staging`; rows per table."""
    with duckdb.connect(str(staging)) as connection:
        connection.execute("set preserve_insertion_order = false")
        connection.execute(f"attach {_sql_text(database)} as build (read_only)")
        present = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'build' and table_schema = 'main'"
            ).fetchall()
        }
        missing = [name for name in SERVED if name not in present]
        if missing:
            raise SystemExit(
                f"{database}: no {', '.join(missing)}: build the project first (make build)"
            )
        rows = {}
        for name in SERVED:
            connection.execute(f'create table "{name}" as select * from build.main."{name}"')
            [(rows[name],)] = connection.execute(f'select count(*) from "{name}"').fetchall()
        connection.execute("detach build")
        connection.execute("checkpoint")
    return rows


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish(database: Path, served: Path) -> dict[str, int]:
    """Copy the SERVED tables of the built `database` into a new file and rename it
    onto `served`; return the rows of each table. Nothing is replaced on error."""
    if not database.exists():
        raise SystemExit(f"no database at {database} (FEED_DUCKDB_PATH): build it first")
    if served.resolve() == database.resolve():
        raise SystemExit(
            f"the served file {served} (FEED_SERVING_PATH) is the build database: name another file"
        )
    served.parent.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(served)
    staging = served.with_name(f"{served.name}{STAGING}{os.getpid()}")
    # The build's run lock while the build database is read (waiting for a run that
    # holds it): a run started meanwhile stops at its preflight, not on DuckDB's lock.
    with open(run_lock_path(database), "a") as run_lock:
        fcntl.flock(run_lock, fcntl.LOCK_EX)
        return _publish_locked(database, served, staging)


def _publish_locked(database: Path, served: Path, staging: Path) -> dict[str, int]:
    try:
        rows = _copy(database, staging)
        _fsync(staging)
        os.replace(staging, served)
        _fsync(served.parent)
    finally:
        for path in (staging, Path(f"{staging}.wal")):
            path.unlink(missing_ok=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.serving", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=build_database(),
        help=f"the built database (default: $FEED_DUCKDB_PATH or {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--served",
        type=Path,
        help="the served file (default: $FEED_SERVING_PATH, or <name>_serving beside --database)",
    )
    args = parser.parse_args(argv)
    served = args.served or served_path(args.database)
    started = time.monotonic()
    rows = publish(args.database, served)
    examples = sum(rows[name] for name in SERVED[:3])
    print(
        f"feedpipe.serving: {served} serves the build of {args.database} "
        f"({examples:,} split-mart rows, {len(rows)} tables, "
        f"{time.monotonic() - started:.1f} s); readers open it read-only"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
