"""What a program needs around dbt's Python API (`dbtRunner`) on this project: set
environment variables for one invocation, and close the DuckDB database dbt-duckdb
keeps open after a programmatic run (so the next reader or writer can open it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def close_duckdb() -> None:
    """dbt-duckdb keeps its database open after a programmatic run: close it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager._ENV = None


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then restore the previous values."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
