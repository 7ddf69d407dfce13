"""What the report (feedpipe.report) reads from a built DuckDB file: the marts it needs,
the build's tasks and cap, the daily stats, the days and their splits, the refresh runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

MARTS = (
    "daily_label_stats",
    "sample_definition",
    "train_examples",
    "validation_examples",
    "test_examples",
)


# The views over the refresh's bookkeeping tables (source feed_refresh).
RUN_LEDGER = "stg_feed_refresh__runs"


PLANNED_RUNS = "stg_feed_refresh__windows"


class MissingMarts(RuntimeError):
    """The database lacks the marts: build the project first."""


@dataclass
class Build:
    """What every figure needs to know about the build."""

    connection: duckdb.DuckDBPyConnection
    tables: set[str]
    tasks: list[str]
    definition: pd.DataFrame
    cap_text: str
    cap: float | None


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    ).fetchall()
    return {row[0] for row in rows}


def read_frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return connection.sql(sql).df()


def _check_marts(tables: set[str], database: Path) -> None:
    missing = [mart for mart in MARTS if mart not in tables]
    if missing:
        raise MissingMarts(
            f"{database}: no {', '.join(missing)} table{'s' if len(missing) > 1 else ''}: "
            "build the project first (make build)"
        )


def _cap(definition: pd.DataFrame) -> tuple[str, float | None]:
    """The daily cap as a sentence for captions, and its value (None for no cap
    or not recorded). The `daily_cap` var is recorded in sample_definition."""
    if "daily_cap" not in definition.columns:
        return (
            "the daily cap is not recorded in this database "
            "(sample_definition has no daily_cap column)",
            None,
        )
    caps = sorted({int(value) for value in definition["daily_cap"].dropna()})
    if definition.empty:
        return "the daily cap is not recorded (sample_definition is empty)", None
    if not caps:
        return "no cap (sample_definition.daily_cap is null)", None
    if len(caps) == 1:
        return f"daily cap {caps[0]:,} kept examples per task and day", float(caps[0])
    listed = ", ".join(f"{cap:,}" for cap in caps)
    return f"daily caps {listed} kept examples per task and day (they differ by task)", None


def load_build(connection: duckdb.DuckDBPyConnection, database: Path) -> Build:
    tables = _tables(connection)
    _check_marts(tables, database)
    tasks_frame = read_frame(
        connection,
        "select stats.task, min(definition.task_position) as position "
        "from daily_label_stats as stats "
        "left join sample_definition as definition on definition.task = stats.task "
        "group by stats.task order by position nulls last, stats.task",
    )
    definition = read_frame(connection, "select * from sample_definition order by task_position")
    cap_text, cap = _cap(definition)
    return Build(
        connection=connection,
        tables=tables,
        tasks=[str(task) for task in tasks_frame["task"]],
        definition=definition,
        cap_text=cap_text,
        cap=cap,
    )


def daily_stats(build: Build) -> pd.DataFrame:
    frame = read_frame(
        build.connection, "select * from daily_label_stats order by task, event_date"
    )
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return frame


def split_days(build: Build) -> tuple[pd.DataFrame, list[str]]:
    """One row per day with examples or a split row: its status (train,
    validation, test, gap, immature), and the tables it was read from."""
    sources = [
        f"select distinct event_date from {table}"
        for table in ("int_examples_built", "int_daily_sampling_rates")
        if table in build.tables
    ]
    if "int_mature_days_split" in build.tables:
        split_table = "int_mature_days_split"
        split_sql = "select event_date, split from int_mature_days_split"
    else:
        split_table = "daily_label_stats"
        split_sql = "select distinct event_date, split from daily_label_stats"
    sources.append(f"select event_date from ({split_sql})")
    frame = read_frame(
        build.connection,
        f"""
        with days as ({" union ".join(sources)}),
        splits as ({split_sql})
        select
            days.event_date,
            case
                when splits.event_date is null then 'immature'
                when splits.split is null then 'gap'
                else splits.split
            end as status
        from days
        left join splits on splits.event_date = days.event_date
        where days.event_date is not null
        order by days.event_date
        """,
    )
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    read = [
        table
        for table in ("int_examples_built", "int_daily_sampling_rates")
        if table in build.tables
    ]
    return frame, [split_table, *read]


def refresh_run_rows(build: Build) -> pd.DataFrame:
    """Completed runs from the ledger, plus planned windows that never completed."""
    frames = []
    if RUN_LEDGER in build.tables:
        frames.append(
            read_frame(
                build.connection,
                f"select invocation_id, window_mode, window_start, window_end, watermark_ts, "
                f"completed_ts as ran_at, 'completed' as status from {RUN_LEDGER}",
            )
        )
    if PLANNED_RUNS in build.tables:
        known = f"where invocation_id not in (select invocation_id from {RUN_LEDGER})"
        frames.append(
            read_frame(
                build.connection,
                f"select invocation_id, window_mode, window_start, window_end, "
                f"cast(null as timestamp) as watermark_ts, planned_ts as ran_at, "
                f"'not completed' as status from {PLANNED_RUNS} "
                f"{known if RUN_LEDGER in build.tables else ''}",
            )
        )
    if not frames:
        return pd.DataFrame()
    runs = pd.concat([frame for frame in frames if not frame.empty] or frames, ignore_index=True)
    return runs.sort_values("ran_at", kind="stable").reset_index(drop=True)
