"""The scheduled daily refresh: day-by-day builds on growing logs equal one
full build; re-runs change nothing; late rows inside the re-open horizon flip
labels, later ones land in the audit; missed runs and backfills leave no gap."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import (
    SPLIT_VARS,
    TINY_LOGS,
    assert_same_tables,
    build,
    copy_build,
    deliver_day,
    node_statuses,
    run_dbt,
)

from feedpipe.generate import generate

START = dt.date(2026, 1, 5)
DAYS = 12


def refresh(raw: Path, database: Path, work: Path, **refresh_vars) -> None:
    build(raw, database, work, dbt_vars={**SPLIT_VARS, **refresh_vars}, threads=2)


def full_build(raw: Path, work: Path, **build_vars) -> Path:
    database = work / "full.duckdb"
    build(raw, database, work, dbt_vars={**SPLIT_VARS, **build_vars}, threads=2)
    return database


def last_window(database: Path) -> tuple:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            "select window_mode, window_start, window_end from feed_refresh_runs "
            "order by completed_ts desc limit 1"
        ).fetchone()


def data_tests_failing_on_a_duplicate(
    database: Path, work: Path, table: str, rows: str, params: list, select: str
) -> set[str]:
    """The data tests of `select` that fail once one row of `table` (the first of
    `rows`, a `where` on it under its own name, by key) is there twice; the row
    is removed again after."""
    with duckdb.connect(str(database)) as connection:
        duplicated = connection.execute(
            f"insert into {table} select * from {table} where {rows} order by all limit 1",
            params,
        )
        assert duplicated.fetchone() == (1,)
    run_dbt(
        ["test", "--select", select, "--exclude", "test_type:unit"],
        database,
        work,
        dbt_vars=SPLIT_VARS,
    )
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"delete from {table} where rowid = (select max(rowid) from {table})")
    statuses = node_statuses(work)
    return {node.split(".")[2] for node, status in statuses.items() if status in ("fail", "error")}


def test_the_next_days_refresh_equals_a_full_build(
    tiny_logs: Path, tiny_history: dict, tiny_full_build: Path, tmp_path: Path
):
    """Seven days built, the eighth delivered: the scheduled refresh rewrites the
    new day and the one before it (whose label windows the new day closes), and
    leaves the tables a full build of the eight days gives."""
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    deliver_day(tiny_logs, raw, tiny_history["next_day"])
    refresh(raw, database, tmp_path)
    mode, start, _ = last_window(database)
    assert (mode, start) == ("scheduled", tiny_history["next_day"] - dt.timedelta(days=1))
    assert_same_tables(database, tiny_full_build)
    # Each model's rows are written once: its query is appended through a
    # temporary view, never copied out of a temporary table.
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "create temporary view" in log
    assert "create temporary table" not in log


def test_a_refresh_onto_a_table_whose_columns_changed_stops_naming_it(
    tiny_logs: Path, tiny_history: dict, tmp_path: Path
):
    """on_schema_change: fail holds on the appended query as it did on dbt-duckdb's
    temporary table: a table that no longer has the model's columns stops the
    refresh, naming the model, and keeps its rows (the window's DELETE is undone)."""
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    deliver_day(tiny_logs, raw, tiny_history["next_day"])
    with duckdb.connect(str(database)) as connection:
        connection.execute("alter table int_examples_built add column added_by_hand integer")
        before = connection.execute("select count(*) from int_examples_built").fetchone()
    with pytest.raises(AssertionError, match="int_examples_built"):
        refresh(raw, database, tmp_path)
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "out of sync" in log
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("select count(*) from int_examples_built").fetchone() == before


def test_the_labels_key_test_reads_the_rows_the_refresh_rebuilt(
    tiny_logs: Path, tiny_history: dict, tmp_path: Path
):
    """After a refresh, the labels' key test checks the new day and, on the day
    before, the pairs the new engagements re-opened: a duplicate of such a pair
    fails it; a duplicate of a pair the refresh left alone is not read again
    (the run that built it tested it)."""
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    deliver_day(tiny_logs, raw, tiny_history["next_day"])
    refresh(raw, database, tmp_path)
    day_before = tiny_history["next_day"] - dt.timedelta(days=1)
    reopened = """
        exists (
            select 1 from int_engagements_attributed as engagements
            where engagements.engagement_date >= ?
                and engagements.user_id = int_examples_labeled.user_id
                and engagements.tweet_id = int_examples_labeled.tweet_id)"""

    def failing_tests(duplicated_pair: str) -> set[str]:
        return data_tests_failing_on_a_duplicate(
            database,
            tmp_path / "key_test",
            "int_examples_labeled",
            f"event_date = ? and {duplicated_pair}",
            [day_before, tiny_history["next_day"]],
            "int_examples_labeled",
        )

    (failing,) = failing_tests(reopened)
    assert failing.startswith("unique_combination_int_examples_labeled_")
    assert failing_tests(f"not {reopened}") == set()


def test_the_split_marts_tests_read_the_days_the_refresh_appended(
    tiny_logs: Path, tiny_history: dict, tmp_path: Path
):
    """After a refresh, the split marts' data tests read the days it appended to
    their table: a duplicate on the day that matured fails its mart's key test; a
    duplicate on a day written by an earlier run is not read again."""
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        (held_through,) = connection.execute(
            "select max(event_date) from int_examples_with_features"
        ).fetchone()
    deliver_day(tiny_logs, raw, tiny_history["next_day"])
    refresh(raw, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        first_day, matured = connection.execute(
            "select min(event_date), max(event_date) from int_examples_with_features"
        ).fetchone()
        (appends_from,) = connection.execute(
            "select distinct appends_from from refresh_plan"
        ).fetchone()
    assert matured > held_through
    assert appends_from == held_through + dt.timedelta(days=1)

    def failing_tests(day: dt.date) -> set[str]:
        return data_tests_failing_on_a_duplicate(
            database,
            tmp_path / "mart_tests",
            "int_examples_with_features",
            "event_date = ?",
            [day],
            "marts",
        )

    (failing,) = failing_tests(matured)
    assert failing.startswith("unique_combination_") and "_examples_task__" in failing
    assert failing_tests(first_day) == set()


@pytest.mark.slow
def test_a_refresh_with_new_split_vars_equals_a_full_build_with_them(
    tiny_logs: Path, tiny_history: dict, tmp_path: Path
):
    """The split marts are views over the mature days' examples: a scheduled refresh
    run with other split vars, without --full-refresh, moves the days between them
    as a full build with those vars does."""
    new_split = {"validation_days": 1, "test_days": 3}
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    deliver_day(tiny_logs, raw, tiny_history["next_day"])
    refresh(raw, database, tmp_path, **new_split)
    (tmp_path / "full").mkdir()
    assert_same_tables(database, full_build(tiny_logs, tmp_path / "full", **new_split))
    with duckdb.connect(str(database), read_only=True) as connection:
        days = dict(
            connection.execute(
                "select 'test', count(distinct event_date) from test_examples union all "
                "select 'validation', count(distinct event_date) from validation_examples"
            ).fetchall()
        )
    assert days == {"test": 3, "validation": 1}


@pytest.fixture(scope="module")
def all_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("all_logs")
    generate(logs, days=DAYS, start=START, **TINY_LOGS)
    return logs


@pytest.fixture(scope="module")
def daily(all_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Refresh once per simulated day, except two missed days (7 and 8)."""
    work = tmp_path_factory.mktemp("daily")
    raw, database = work / "raw", work / "daily.duckdb"
    snapshots = {}
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        deliver_day(all_logs, raw, day)
        if offset in (6, 7):  # the scheduler did not run on these two days
            continue
        refresh(raw, database, work)
        if offset == 8:
            snapshots["after_missed_runs"] = work / "after_missed_runs.duckdb"
            shutil.copy(database, snapshots["after_missed_runs"])
    return {"work": work, "raw": raw, "database": database, **snapshots}


@pytest.fixture(scope="module")
def all_days_built(all_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the twelve days (tests only read it)."""
    return full_build(all_logs, tmp_path_factory.mktemp("all_days"))


@pytest.mark.slow
def test_daily_refreshes_equal_one_full_build(daily: dict, all_days_built: Path):
    mode, start, _ = last_window(daily["database"])
    # The last refresh rewrote the new day and the day before it (whose label
    # windows the new day closes), not the history.
    assert mode == "scheduled"
    assert start == START + dt.timedelta(days=DAYS - 2)
    assert_same_tables(daily["database"], all_days_built)


@pytest.mark.slow
def test_a_refresh_reads_the_files_it_planned_and_records_what_staging_kept(daily: dict):
    """The planner writes the files a refresh reads (refresh_plan): the new
    ones, recorded by the ledger in that run, and the ones holding rows of the
    days whose clean rows it rebuilds (from the first day the new rows touch,
    a label window after window_start); the base tables hold exactly the
    planned files' rows."""
    with duckdb.connect(str(daily["database"]), read_only=True) as connection:
        invocation, window_start, start = connection.execute(
            "select invocation_id, min(window_start), min(rows_window_start) from refresh_plan "
            "group by invocation_id"
        ).fetchone()
        assert (
            invocation
            == connection.execute(
                "select invocation_id from feed_refresh_runs order by completed_ts desc limit 1"
            ).fetchone()[0]
        )
        assert start == window_start + dt.timedelta(days=1)
        planned = connection.execute(
            "select source_name, source_file, is_new from refresh_plan "
            "where invocation_id = ? and is_read",
            [invocation],
        ).fetchall()
        recorded = connection.execute(
            "select source_name, source_file, raw_rows, clean_rows, rejected_rows "
            "from raw_file_ledger where first_seen_invocation_id = ?",
            [invocation],
        ).fetchall()
        overlapping = connection.execute(
            "select source_name, source_file from raw_file_ledger "
            "where max_row_date >= ? and first_seen_invocation_id <> ?",
            [start, invocation],
        ).fetchall()
        read = connection.execute(
            "select distinct 'impressions', source_file from base_feed__impressions "
            "union all select distinct 'engagements', source_file from base_feed__engagements"
        ).fetchall()
    new_files = {(log, file) for log, file, is_new in planned if is_new}
    assert new_files == {(log, file) for log, file, *_ in recorded}
    assert {log for log, _ in new_files} == {"impressions", "engagements"}
    assert {(log, file) for log, file, is_new in planned if not is_new} == set(overlapping)
    assert set(read) == {(log, file) for log, file, _ in planned}
    for log, file, raw_rows, clean_rows, rejected_rows in recorded:
        assert clean_rows > 0 and clean_rows + rejected_rows <= raw_rows, (log, file)


@pytest.mark.slow
def test_missed_runs_are_caught_up_by_the_next_refresh(daily: dict, all_logs: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    for offset in range(9):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))
    assert_same_tables(daily["after_missed_runs"], full_build(raw, tmp_path))


@pytest.mark.slow
def test_refreshing_again_changes_nothing(daily: dict, tmp_path: Path):
    database = tmp_path / "again.duckdb"
    shutil.copy(daily["database"], database)
    refresh(daily["raw"], database, daily["work"])
    assert_same_tables(database, daily["database"])
    # The run of one logical date, re-run, changes nothing either.
    last_day = START + dt.timedelta(days=DAYS - 1)
    refresh(daily["raw"], database, daily["work"], refresh_end_date=str(last_day))
    # The window reaches 28 days past the date: the days whose features read it.
    assert last_window(database) == (
        "explicit",
        last_day - dt.timedelta(days=2),
        last_day + dt.timedelta(days=28),
    )
    assert_same_tables(database, daily["database"])


def _example_without_like(database: Path, day: dt.date) -> tuple:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            "select user_id, tweet_id, example_ts from int_examples_labeled "
            "where event_date = ? and label_like = 0 and label_any = 0 "
            "order by user_id, tweet_id limit 1",
            [day],
        ).fetchone()


@pytest.mark.slow
def test_late_engagements_inside_the_horizon_flip_labels_later_ones_are_audited(
    daily: dict, tmp_path: Path
):
    work = tmp_path
    raw = work / "raw"
    shutil.copytree(daily["raw"], raw)
    database = work / "late.duckdb"
    shutil.copy(daily["database"], database)
    last_day = START + dt.timedelta(days=DAYS - 1)
    inside_day = last_day - dt.timedelta(days=2)  # two days late: inside the 48 h horizon
    outside_day = last_day - dt.timedelta(days=6)  # six days late: beyond it
    inside = _example_without_like(database, inside_day)
    outside = _example_without_like(database, outside_day)
    late = pa.table(
        {
            "user_id": pa.array([inside[0], outside[0]], pa.int64()),
            "tweet_id": pa.array([inside[1], outside[1]], pa.int64()),
            "action": ["like", "like"],
            "engagement_ts": pa.array(
                [inside[2] + dt.timedelta(minutes=1), outside[2] + dt.timedelta(minutes=1)],
                pa.timestamp("us"),
            ),
        }
    )
    pq.write_table(late, raw / "engagements" / f"{last_day}-late-delivery.parquet")
    refresh(raw, database, work)

    with duckdb.connect(str(database), read_only=True) as connection:
        labels = connection.execute(
            "select event_date, label_like, label_any from int_examples_labeled "
            "where (user_id, tweet_id, event_date) in ((?, ?, ?), (?, ?, ?)) order by event_date",
            [inside[0], inside[1], inside_day, outside[0], outside[1], outside_day],
        ).fetchall()
        audit = connection.execute(
            "select reject_reason, row_date, raw_user_id from stg_feed__rejected_rows "
            "where source_file like '%late-delivery%'"
        ).fetchall()
    assert labels == [(outside_day, 0, 0), (inside_day, 1, 1)]
    assert audit == [("too_late", outside_day, str(outside[0]))]

    # A backfill over the days before the horizon takes the late row in, and
    # then equals a full build of the same logs.
    refresh(raw, database, work, refresh_start_date=str(START))
    assert last_window(database)[:2] == ("explicit", START)
    assert_same_tables(database, full_build(raw, work))


def _freshness(raw: Path, work: Path, **freshness_vars):
    result = run_dbt(
        ["source", "freshness", "--quiet", "--select", "source:feed"],  # as make freshness
        work / "freshness.duckdb",
        work,
        {"raw_path": str(raw), **freshness_vars},
    )
    statuses = {
        r.node.name: str(r.status) for r in result.result if r.node.resource_type == "source"
    }
    return result.success, statuses


@pytest.mark.slow
def test_source_freshness_stops_a_scheduler_on_stale_logs(all_logs: Path, tmp_path: Path):
    success, statuses = _freshness(all_logs, tmp_path)  # logs of January 2026
    assert not success
    assert statuses == {"impressions": "error", "engagements": "error"}
    # The thresholds are vars: a replay of old logs can widen them.
    success, statuses = _freshness(all_logs, tmp_path, freshness_error_after_hours=10**6)
    assert success
    assert set(statuses.values()) == {"warn"}
    fresh_logs = tmp_path / "fresh"
    generate(fresh_logs, days=2, start=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    success, statuses = _freshness(fresh_logs, tmp_path)
    assert success
    assert set(statuses.values()) == {"pass"}


@pytest.mark.slow
def test_runs_that_did_not_complete_are_redone_by_the_next_refresh(
    daily: dict, all_logs: Path, all_days_built: Path, tmp_path: Path
):
    """Two runs stop after staging (as a crash would leave them): their raw
    files are in the ledger but no run completed. The next refresh must still
    rebuild their days, not only the newest one."""
    raw = tmp_path / "raw"
    for offset in range(9):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))
    database = tmp_path / "interrupted.duckdb"
    shutil.copy(daily["after_missed_runs"], database)
    completed_before = last_window(database)
    # Staging and the file ledger, with the raw views they read (rebuilt here
    # because the views name the raw folder, and this test's is a new one).
    staging_only = ["+raw_file_ledger"]
    for offset in (9, 10):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))
        result = run_dbt(
            ["run", "--quiet", "--select", *staging_only],
            database,
            tmp_path,
            {"raw_path": str(raw), **SPLIT_VARS},
        )
        assert result.success
    assert last_window(database) == completed_before  # neither run was recorded
    deliver_day(all_logs, raw, START + dt.timedelta(days=11))
    refresh(raw, database, tmp_path)
    # The window went back to the first day the interrupted runs brought.
    assert last_window(database)[:2] == ("scheduled", START + dt.timedelta(days=8))
    assert_same_tables(database, all_days_built)  # raw now holds every day


# A day re-sent by an upstream retry: its name sorts before the original's
# ('-' < '.') or after it ('_' > '.'); which file delivered a row first must
# not depend on that.
RETRY_DAY = dt.date(2026, 2, 5)
ORIGINAL = f"day={RETRY_DAY}.parquet"
RETRIES = (f"day={RETRY_DAY}-retry1.parquet", f"day={RETRY_DAY}_retry2.parquet")


def _events(log: str, day: dt.date, numbers: range, user: int = 1) -> pa.Table:
    """Distinct events of one log on one day, numbered (minutes past 06:00)."""
    shown = [dt.datetime.combine(day, dt.time(6)) + dt.timedelta(minutes=i) for i in numbers]
    columns = {
        "user_id": pa.array([user + i % 7 for i in numbers], pa.int64()),
        "tweet_id": pa.array([100 + i % 11 for i in numbers], pa.int64()),
    }
    if log == "engagements":
        columns["action"] = ["like"] * len(numbers)
    columns["impression_ts" if log == "impressions" else "engagement_ts"] = pa.array(
        shown, pa.timestamp("us")
    )
    return pa.table(columns)


def _write(path: Path, table: pa.Table, modified: dt.datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    stamp = modified.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))


def _deliver_retries(raw: Path, modified: tuple[dt.datetime, dt.datetime]) -> dict:
    """The two retries of RETRY_DAY in each log: each repeats some of the
    original's rows and brings rows of its own. Returns the clean rows each
    retry should be credited with: its own rows only."""
    own = {}
    for log, size in (("impressions", 30), ("engagements", 6)):
        for name, repeated, own_rows, stamp in (
            (RETRIES[0], range(0, size // 3), range(1000, 1002), modified[0]),
            (RETRIES[1], range(size // 6, size // 2), range(2000, 2003), modified[1]),
        ):
            table = pa.concat_tables(
                [_events(log, RETRY_DAY, repeated), _events(log, RETRY_DAY, own_rows)]
            )
            _write(raw / log / name, table, stamp)
            own[log, f"{log}/{name}"] = len(own_rows)
    return own


def _deliver_days(raw: Path, modified: dt.datetime) -> dict:
    """Four days, one file per log and day; the clean rows of each file."""
    rows = {}
    for offset in range(4):
        day = RETRY_DAY - dt.timedelta(days=3 - offset)
        for log, size in (("impressions", 30), ("engagements", 6)):
            _write(raw / log / f"day={day}.parquet", _events(log, day, range(size)), modified)
            rows[log, f"{log}/day={day}.parquet"] = size
    return rows


def _credited(database: Path) -> tuple[dict, dict]:
    """Clean rows per (log, file) in staging, and per (log, file) in the
    ledger's current versions."""
    with duckdb.connect(str(database), read_only=True) as connection:
        staged = connection.execute(
            "select 'impressions', source_file, count(*) from stg_feed__impressions "
            "group by all union all "
            "select 'engagements', source_file, count(*) from stg_feed__engagements group by all"
        ).fetchall()
        ledger = connection.execute(
            "select source_name, source_file, clean_rows from raw_file_ledger "
            "qualify row_number() over ("
            "partition by source_name, source_file order by first_seen_ts desc) = 1"
        ).fetchall()
    return {(log, file): n for log, file, n in staged}, {
        (log, file): n for log, file, n in ledger if n
    }


@pytest.mark.slow
@pytest.mark.parametrize("delivered", ["with_the_original", "in_a_later_run"])
def test_a_row_a_retry_repeats_stays_credited_to_the_file_that_delivered_it_first(
    tmp_path: Path, delivered: str
):
    """A retry of a day repeats rows of the original: the clean row stays
    credited to the file that delivered it first, whether the retry's name
    sorts before or after the original's, and the ledger's clean rows add up
    to the clean logs. In one run, the file modified first delivered first;
    across runs, the file an earlier run took in, whatever its modification
    time (the later retry here keeps an older one, as a copy that preserves
    it would). A backfill that reads every file again changes nothing."""
    raw = tmp_path / "raw"
    start = dt.datetime(2026, 2, 6, 1, 0)
    expected = _deliver_days(raw, start)
    if delivered == "with_the_original":
        own = _deliver_retries(raw, (start + dt.timedelta(hours=1), start + dt.timedelta(hours=2)))
        database = full_build(raw, tmp_path)
    else:
        database = full_build(raw, tmp_path)
        # The first retry's file keeps a modification time before the original's.
        own = _deliver_retries(raw, (start - dt.timedelta(hours=1), start + dt.timedelta(hours=2)))
        refresh(raw, database, tmp_path)
        assert last_window(database)[0] == "scheduled"
    expected |= own
    staged, ledger = _credited(database)
    assert staged == expected
    assert ledger == expected
    # Both retries read again beside the original, none of them new.
    refresh(raw, database, tmp_path, refresh_start_date=str(RETRY_DAY - dt.timedelta(days=1)))
    assert _credited(database) == (expected, expected)
