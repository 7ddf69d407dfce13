"""Check, before dbt starts, that the DuckDB database can be opened for writing, and
run dbt under a run lock, so that a second run stops here rather than inside dbt.

dbt-duckdb reports a database it cannot open (a read-only file or folder, a
missing folder, a file another process holds) under several tracebacks; this
says it in one line, naming the path and the variable that sets it. DuckDB
locks the database only once dbt opens it, seconds after dbt starts; the run
lock (`<database>.lock`, held from the check until the command given exits)
covers those seconds too: a second run given a command stops before it starts.

    python -m feedpipe.preflight                # exit 0, or 2 with the reason on stderr
    python -m feedpipe.preflight dbt build ...  # the same, then dbt build under the lock
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

import duckdb


def check_database(path: Path) -> str | None:
    """None when `path` opens as a writable DuckDB database, else why not."""
    if path.parent and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True)
        except OSError as error:
            return f"cannot create its folder {path.parent}: {error.strerror}"
    try:
        with duckdb.connect(str(path)) as connection:
            connection.execute("create temporary table feed_preflight as select 1 as ok")
    except duckdb.Error as error:
        return str(error).splitlines()[0]
    return None


def take_run_lock(lock: Path) -> str | None:
    """None when this process now holds the exclusive lock on `lock`, else why not.
    The lock lasts while its descriptor is open: through exec, until the command exits."""
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create its folder {lock.parent}: {error.strerror}"
    try:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        return f"cannot create its run lock {lock}: {error.strerror}"
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return f"another run holds its run lock {lock}; this run stops before dbt starts"
    os.set_inheritable(descriptor, True)
    return None


def run_lock_path(database: Path) -> Path:
    """The run lock of `database`: `<database>.lock` beside it."""
    return database.with_name(database.name + ".lock")


def main(command: list[str]) -> int:
    path = Path(os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb"))
    # The lock first: a run that holds it is not disturbed by this one opening the database.
    problem = take_run_lock(run_lock_path(path)) if command else None
    problem = problem or check_database(path)
    if problem is not None:
        print(
            f"The DuckDB database {path} (FEED_DUCKDB_PATH) cannot be opened for writing: "
            f"{problem}",
            file=sys.stderr,
        )
        return 2
    if command:
        os.execvp(command[0], command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
