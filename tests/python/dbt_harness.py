"""Build the dbt project through dbt's Python API on a DuckDB file of its own."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
from dbt.cli.main import dbtRunner, dbtRunnerResult

from feedpipe.dbt_api import close_duckdb, environment

PROJECT_DIR = Path(__file__).resolve().parents[2]
MART_KEYS = {
    "train_examples": ["task", "event_date", "user_id", "tweet_id"],
    "validation_examples": ["task", "event_date", "user_id", "tweet_id"],
    "test_examples": ["task", "event_date", "user_id", "tweet_id"],
    "daily_label_stats": ["task", "event_date"],
}


def run_dbt(
    args: list[str],
    database: Path,
    work_dir: Path,
    dbt_vars: dict | None = None,
    threads: int = 1,
    target: str = "duckdb",
) -> dbtRunnerResult:
    """Invoke dbt with this project, a DuckDB file (or the spark target) and vars;
    close DuckDB after."""
    command = [
        *args,
        "--target",
        target,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--threads",
        str(threads),
        "--vars",
        json.dumps(dbt_vars or {}),
    ]
    with environment(FEED_DUCKDB_PATH=str(database)):
        try:
            return dbtRunner().invoke(command)
        finally:
            close_duckdb()


def build(
    raw_path: Path,
    database: Path,
    work_dir: Path,
    dbt_vars: dict | None = None,
    threads: int = 1,
    extra_args: list[str] | None = None,
    target: str = "duckdb",
) -> None:
    """`dbt build` (models, seeds and every test) on the logs at raw_path; raise on failure."""
    all_vars = {"raw_path": str(raw_path), **(dbt_vars or {})}
    result = run_dbt(
        ["build", "--quiet", *(extra_args or [])],
        database,
        work_dir,
        all_vars,
        threads,
        target,
    )
    if not result.success:
        failures = []
        if result.result is not None:
            failures = [
                f"{r.node.name}: {r.status} {r.message}"
                for r in result.result
                if str(r.status) not in {"success", "pass"}
            ]
        raise AssertionError(f"dbt build failed: {result.exception} {failures}")


def read_tables(database: Path, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read tables (default: the marts), sorted by their keys, from a closed DuckDB file."""
    names = names or list(MART_KEYS)
    with duckdb.connect(str(database), read_only=True) as connection:
        frames = {name: connection.sql(f"select * from {name}").df() for name in names}
    for name, frame in frames.items():
        keys = MART_KEYS.get(name, list(frame.columns))
        frames[name] = frame.sort_values(keys).reset_index(drop=True)
    return frames
