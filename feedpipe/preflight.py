"""Check, before dbt starts, that the DuckDB database can be opened for writing.

dbt-duckdb reports a database it cannot open (a read-only file or folder, a
missing folder, a file another process holds) under several tracebacks; this
says it in one line, naming the path and the variable that sets it.

    python -m feedpipe.preflight   # exit 0, or 2 with the reason on stderr
"""

from __future__ import annotations

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


def main() -> int:
    path = Path(os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb"))
    problem = check_database(path)
    if problem is None:
        return 0
    print(
        f"The DuckDB database {path} (FEED_DUCKDB_PATH) cannot be opened for writing: {problem}",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
