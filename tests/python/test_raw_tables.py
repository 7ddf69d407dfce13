"""Logs held in warehouse tables (var raw_input tables), on DuckDB: a warehouse file
attached as `warehouse` (profiles.yml, FEED_WAREHOUSE_PATH) holds each log as a table
with a load-time column, one value per load batch. The same rows as tables or as files
give the same marts; a refresh takes in the batches loaded since the last run, also
one that becomes visible after a later one; a changed column type stops the run."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt_harness import COMPARED, SPLIT_VARS, build, read_tables, run_dbt

from feedpipe.dbt_api import environment

LOGS = ("impressions", "engagements")
TABLE_VARS = {**SPLIT_VARS, "raw_input": "tables", "raw_tables_database": "warehouse"}
# How a row's origin is named differs (a file's path, or a batch's load time).
ORIGIN_COLUMNS = {"source_file", "source_row_number"}


def load_batch(warehouse: Path, log: str, rows: str, loaded_at: dt.datetime) -> None:
    """Append rows (a query or a Parquet path) to a log's table as one load batch."""
    source = f"read_parquet('{rows}')" if rows.endswith(".parquet") else f"({rows})"
    with duckdb.connect(str(warehouse)) as connection:
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_name = ?", [log]
        ).fetchone()[0]
        select = f"select *, timestamp '{loaded_at}' as loaded_at from {source}"
        if exists:
            connection.execute(f"insert into {log} by name {select}")
        else:
            connection.execute(f"create table {log} as {select}")


def load_day(logs: Path, warehouse: Path, day: dt.date, loaded_at: dt.datetime | None = None):
    """Load one generated day of both logs, each as a batch stamped the next morning."""
    for log in LOGS:
        stamp = loaded_at or dt.datetime.combine(day, dt.time(23)) + dt.timedelta(hours=2)
        load_batch(warehouse, log, str(logs / log / f"{day}.parquet"), stamp)


def build_tables(warehouse: Path, database: Path, work: Path, **more_vars) -> None:
    with environment(FEED_WAREHOUSE_PATH=str(warehouse)):
        build(work / "no_files", database, work, dbt_vars={**TABLE_VARS, **more_vars}, threads=2)


def without_origin(database: Path) -> dict[str, pd.DataFrame]:
    frames = read_tables(database, COMPARED)
    for name, frame in frames.items():
        kept = [column for column in frame.columns if column not in ORIGIN_COLUMNS]
        frames[name] = frame[kept].sort_values(kept).reset_index(drop=True)
    return frames


def assert_same_but_origin(got: Path, want: Path) -> None:
    got_tables, want_tables = without_origin(got), without_origin(want)
    for name in COMPARED:
        assert len(want_tables[name]) > 0, name
        pd.testing.assert_frame_equal(got_tables[name], want_tables[name], obj=name)


def days_of(logs: Path) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(p.stem) for p in (logs / "impressions").glob("*.parquet"))


@pytest.mark.slow
def test_the_same_rows_as_tables_or_files_give_the_same_marts_stats_and_rejected_rows(
    tiny_logs: Path, tiny_full_build: Path, tmp_path: Path
):
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    for day in days_of(tiny_logs):
        load_day(tiny_logs, warehouse, day)
    build_tables(warehouse, database, tmp_path)
    assert_same_but_origin(database, tiny_full_build)
    with duckdb.connect(str(database), read_only=True) as connection:
        batches = connection.execute(
            "select source_name, count(*), sum(raw_rows - clean_rows - rejected_rows) "
            "from raw_file_ledger group by 1 order by 1"
        ).fetchall()
    # One ledger row per log and batch; each batch's rows are clean, rejected or
    # duplicates folded into a clean row (the generated logs repeat some rows).
    assert [(log, count) for log, count, _ in batches] == [("engagements", 8), ("impressions", 8)]
    assert all(duplicates > 0 for *_, duplicates in batches)


@pytest.mark.slow
def test_loads_day_by_day_with_a_missed_and_a_repeated_run_equal_one_full_build(
    tiny_logs: Path, tiny_full_build: Path, tmp_path: Path
):
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    for offset, day in enumerate(days_of(tiny_logs)):
        load_day(tiny_logs, warehouse, day)
        if offset == 5:  # the scheduler did not run that day
            continue
        build_tables(warehouse, database, tmp_path)
        if offset == 6:  # nor did it know it had run: it runs again
            build_tables(warehouse, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        modes = connection.execute(
            "select window_mode, count(*) from feed_refresh_runs group by 1 order by 1"
        ).fetchall()
    assert modes == [("full", 1), ("scheduled", 7)]
    assert_same_but_origin(database, tiny_full_build)


@pytest.fixture
def loaded_history(tiny_logs: Path, tmp_path: Path) -> dict:
    """The eight days loaded and built from tables, a private copy per test."""
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    for day in days_of(tiny_logs):
        load_day(tiny_logs, warehouse, day)
    build_tables(warehouse, database, tmp_path)
    last_day = days_of(tiny_logs)[-1]
    return {"warehouse": warehouse, "database": database, "last_day": last_day}


def _query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.mark.slow
def test_a_late_like_within_the_horizon_flips_its_label_and_one_beyond_is_too_late(
    loaded_history: dict, tmp_path: Path
):
    warehouse, database = loaded_history["warehouse"], loaded_history["database"]
    day_before = loaded_history["last_day"] - dt.timedelta(days=1)
    user, tweet, example_ts = _query(
        database,
        "select user_id, tweet_id, example_ts from int_examples_labeled "
        "where event_date = ? and label_like = 0 order by user_id, tweet_id limit 1",
        [day_before],
    )[0]
    old_user, old_tweet, old_ts = _query(
        database,
        "select user_id, tweet_id, example_ts from int_examples_labeled "
        "where event_date = ? order by user_id, tweet_id limit 1",
        [day_before - dt.timedelta(days=4)],
    )[0]
    late = (
        f"select cast({user} as bigint) as user_id, cast({tweet} as bigint) as tweet_id, "
        f"'like' as action, timestamp '{example_ts + dt.timedelta(hours=1)}' as engagement_ts "
        "union all "
        f"select cast({old_user} as bigint), cast({old_tweet} as bigint), 'like', "
        f"timestamp '{old_ts + dt.timedelta(hours=1)}'"
    )
    stamp = dt.datetime.combine(loaded_history["last_day"], dt.time(23)) + dt.timedelta(hours=5)
    load_batch(warehouse, "engagements", late, stamp)
    build_tables(warehouse, database, tmp_path)
    [(label,)] = _query(
        database,
        "select label_like from int_examples_labeled "
        "where user_id = ? and tweet_id = ? and event_date = ?",
        [user, tweet, day_before],
    )
    assert label == 1
    rejected = _query(
        database,
        "select reject_reason, source_file from stg_feed__rejected_rows "
        "where source_name = 'engagements' and raw_user_id = ?",
        [str(old_user)],
    )
    assert ("too_late", f"engagements/loaded_at={stamp}") in rejected


@pytest.mark.slow
def test_a_batch_visible_after_a_later_one_is_taken_in_once_and_a_reloaded_batch_changes_nothing(
    tiny_logs: Path, tiny_full_build: Path, tmp_path: Path
):
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    days = days_of(tiny_logs)
    for day in days[:6]:
        load_day(tiny_logs, warehouse, day)
    build_tables(warehouse, database, tmp_path)
    # Day 8's batch is committed (stamped) first; day 7's, stamped an hour
    # earlier, becomes visible only after a run has taken day 8's in.
    stamp = dt.datetime.combine(days[7], dt.time(23))
    load_day(tiny_logs, warehouse, days[7], loaded_at=stamp)
    build_tables(warehouse, database, tmp_path)
    load_day(tiny_logs, warehouse, days[6], loaded_at=stamp - dt.timedelta(hours=1))
    build_tables(warehouse, database, tmp_path)
    assert_same_but_origin(database, tiny_full_build)
    # Taken in once: a run that finds nothing new changes nothing, and the
    # ledger records each batch once.
    build_tables(warehouse, database, tmp_path)
    assert_same_but_origin(database, tiny_full_build)
    ledger = _query(
        database,
        "select source_name, source_file, count(*) from raw_file_ledger group by 1, 2 "
        "having count(*) > 1",
    )
    assert ledger == []
    # The same rows loaded again, as a new batch: its rows are duplicates of
    # rows taken in, folded into them; the marts do not change.
    load_day(tiny_logs, warehouse, days[6], loaded_at=stamp + dt.timedelta(hours=2))
    build_tables(warehouse, database, tmp_path)
    marts = ["train_examples", "validation_examples", "test_examples", "daily_label_stats"]
    got, want = without_origin(database), without_origin(tiny_full_build)
    for name in marts:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    [(reloaded, clean)] = _query(
        database,
        "select raw_rows, clean_rows from raw_file_ledger where source_file = ?",
        [f"impressions/loaded_at={stamp + dt.timedelta(hours=2)}"],
    )
    assert reloaded > 0 and clean == 0


def test_a_changed_column_type_in_a_table_stops_the_run_naming_it(tmp_path: Path):
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    stamp = dt.datetime(2026, 1, 6, 1)
    load_batch(
        warehouse,
        "impressions",
        "select 1.5 as user_id, cast(2 as bigint) as tweet_id, "
        "timestamp '2026-01-05 10:00:00' as impression_ts",
        stamp,
    )
    load_batch(
        warehouse,
        "engagements",
        "select cast(1 as bigint) as user_id, cast(2 as bigint) as tweet_id, "
        "'like' as action, timestamp '2026-01-05 10:30:00' as engagement_ts",
        stamp,
    )
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table engagements drop column action")
    with environment(FEED_WAREHOUSE_PATH=str(warehouse)):
        result = run_dbt(["build", "--exclude", "test_type:unit"], database, tmp_path, TABLE_VARS)
    assert not result.success
    message = " ".join(str(r.message) for r in result.result or []) + str(result.exception or "")
    assert '"warehouse"."main"."impressions": column user_id is decimal(2,1)' in message
    assert "expected an integer or a string" in message
    assert '"warehouse"."main"."engagements": column action is missing' in message
    shutil.rmtree(tmp_path / "target", ignore_errors=True)


def test_a_batch_that_changed_after_it_was_taken_in_stops_the_run_naming_it(tmp_path: Path):
    warehouse, database = tmp_path / "warehouse.duckdb", tmp_path / "tables.duckdb"
    stamp = dt.datetime(2026, 1, 6, 1)
    impressions = (
        "select cast(range as bigint) as user_id, cast(7 as bigint) as tweet_id, "
        "timestamp '2026-01-05 10:00:00' + to_minutes(range) as impression_ts from range(3)"
    )
    load_batch(warehouse, "impressions", impressions, stamp)
    load_batch(
        warehouse,
        "engagements",
        "select cast(1 as bigint) as user_id, cast(7 as bigint) as tweet_id, "
        "'like' as action, timestamp '2026-01-05 10:30:00' as engagement_ts",
        stamp,
    )
    build_tables(warehouse, database, tmp_path)
    # Rows committed later under the load time of a batch already taken in.
    load_batch(warehouse, "impressions", impressions.replace("range(3)", "range(3, 5)"), stamp)
    with environment(FEED_WAREHOUSE_PATH=str(warehouse)):
        result = run_dbt(["build", "--exclude", "test_type:unit"], database, tmp_path, TABLE_VARS)
    assert not result.success
    message = " ".join(str(r.message) for r in result.result or []) + str(result.exception or "")
    assert (
        f"impressions/loaded_at={stamp}: 3 rows loaded {stamp} when taken in, "
        f"now 5 rows loaded {stamp}"
    ) in message


def test_freshness_reads_the_tables_load_time(tmp_path: Path):
    """`make freshness` selects both sources; with raw_input tables only the tables
    are enabled, and their age is that of the newest load (error after 24 hours)."""
    select = ["source", "freshness", "--select", "source:feed", "source:feed_tables"]
    results = {}
    for age_hours in (1, 48):
        warehouse = tmp_path / f"warehouse_{age_hours}.duckdb"
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=age_hours)
        for log, columns in (
            ("impressions", "timestamp '2020-01-05 10:00:00' as impression_ts"),
            ("engagements", "'like' as action, timestamp '2020-01-05 10:30:00' as engagement_ts"),
        ):
            ids = "cast(1 as bigint) as user_id, cast(2 as bigint) as tweet_id"
            load_batch(warehouse, log, f"select {ids}, {columns}", loaded_at)
        with environment(FEED_WAREHOUSE_PATH=str(warehouse)):
            results[age_hours] = run_dbt(select, tmp_path / "fresh.duckdb", tmp_path, TABLE_VARS)
    statuses = {
        age: sorted(
            (r.node.unique_id.split(".", 2)[2], str(r.status))
            for r in result.result
            if r.node.resource_type == "source"
        )
        for age, result in results.items()
    }
    assert statuses[1] == [("feed_tables.engagements", "pass"), ("feed_tables.impressions", "pass")]
    assert statuses[48] == [
        ("feed_tables.engagements", "error"),
        ("feed_tables.impressions", "error"),
    ]
