"""Reliability: a run killed at any point is repaired by the next ordinary run; a
raw file whose schema breaks the contract stops the run naming it (or is set aside
whole); a delivered file rewritten in place is noticed; every rejected row leads
back to its file and row; every raw row is accounted for, per file; string vars
reach SQL as literals."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import (
    PROJECT_DIR,
    SPLIT_VARS,
    assert_same_tables,
    build,
    copy_build,
    damage_column,
    deliver_day,
    node_statuses,
    read_tables,
    run_dbt,
)

pytestmark = pytest.mark.slow

START = dt.date(2026, 1, 5)
DAYS = 8
DBT = Path(sys.executable).parent / "dbt"


@pytest.fixture
def logs(tiny_logs: Path) -> Path:
    """Eight generated days (the session's tiny logs; tests only read them)."""
    return tiny_logs


@pytest.fixture
def clean_build(tiny_full_build: Path) -> Path:
    """A full build of the eight days (the session's; tests only read it or copy it)."""
    return tiny_full_build


def _dbt_killed_at(node: str, raw: Path, database: Path, work: Path) -> bool:
    """Run `dbt build` in its own process group and SIGKILL it as soon as it
    starts `node` (a model name, or 'on-run-end'). True when it was killed."""
    command = [
        str(DBT),
        "build",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--threads",
        "1",
        "--vars",
        json.dumps({"raw_path": str(raw), **SPLIT_VARS}),
    ]
    environment = {**os.environ, "FEED_DUCKDB_PATH": str(database)}
    marker = "on-run-end" if node == "on-run-end" else f"model main.{node} "
    with subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        for line in process.stdout:
            if "START" in line and marker in line:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
        process.wait()
    return False


@pytest.mark.kill
@pytest.mark.parametrize(
    "node",
    ["base_feed__engagements", "raw_file_ledger", "int_examples_sampled", "train_examples"],
)
def test_a_first_build_killed_anywhere_is_repaired_by_the_next_build(
    node: str, logs: Path, clean_build: Path, tmp_path: Path
):
    database = tmp_path / "killed.duckdb"
    assert _dbt_killed_at(node, logs, database, tmp_path), f"the build never started {node}"
    build(logs, database, tmp_path, dbt_vars=SPLIT_VARS, threads=2)
    assert_same_tables(database, clean_build)


@pytest.mark.kill
@pytest.mark.parametrize(
    "node",
    [
        "stg_feed__impressions",
        "stg_feed__rejected_rows",
        "raw_file_ledger",
        "int_examples_labeled",
        "on-run-end",
    ],
)
def test_a_refresh_killed_anywhere_is_repaired_by_the_next_refresh(
    node: str, logs: Path, tiny_history: dict, clean_build: Path, tmp_path: Path
):
    # Seven days built (a copy of the session's), then the eighth delivered.
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    deliver_day(logs, raw, START + dt.timedelta(days=DAYS - 1))
    assert _dbt_killed_at(node, raw, database, tmp_path), f"the refresh never started {node}"
    build(raw, database, tmp_path, dbt_vars=SPLIT_VARS, threads=2)
    assert_same_tables(database, clean_build)


def test_dbt_retry_after_a_failed_refresh_runs_what_failed_and_equals_a_clean_build(
    logs: Path, tiny_history: dict, clean_build: Path, tmp_path: Path
):
    """A day delivered with a damaged file (footer intact, one column's pages not)
    fails the refresh at the base model that reads it, naming the file; delivered
    again, `dbt retry` runs exactly the nodes that failed or were skipped, and the
    marts equal a clean build. A retry after a run that succeeded does nothing."""
    raw, database = copy_build(tiny_history["raw"], tiny_history["database"], tmp_path)
    day = START + dt.timedelta(days=DAYS - 1)
    deliver_day(logs, raw, day)
    damaged = raw / "impressions" / f"{day}.parquet"
    good = damage_column(damaged, "tweet_id")
    dbt_vars = {"raw_path": str(raw), **SPLIT_VARS}
    failed = run_dbt(["build", "--exclude", "test_type:unit"], database, tmp_path, dbt_vars)
    assert not failed.success
    statuses = node_statuses(tmp_path)
    errors = {node for node, status in statuses.items() if status in {"error", "fail"}}
    assert errors == {"model.feed_training_data.base_feed__impressions"}
    [error] = [r.message for r in failed.result if r.node.unique_id in errors]
    assert f"{day}.parquet" in str(error)
    redo = {node for node, status in statuses.items() if status in {"error", "fail", "skipped"}}
    assert len(redo) > 10

    damaged.write_bytes(good)
    retried = run_dbt(["retry"], database, tmp_path, dbt_vars)
    assert retried.success, retried.exception
    nodes = {r.node.unique_id for r in retried.result if r.node.resource_type != "operation"}
    assert nodes == redo
    assert_same_tables(database, clean_build)

    again = run_dbt(["retry"], database, tmp_path, dbt_vars)
    assert again.success
    assert [r for r in again.result if r.node.resource_type != "operation"] == []
    # The retry did not build every daily model, so the run ledger does not
    # record its window: the next refresh plans it again, to the same result.
    build(raw, database, tmp_path, dbt_vars=SPLIT_VARS)
    assert_same_tables(database, clean_build)


def _impressions(day: int, rows: int, user_ids: pa.Array | None = None) -> pa.Table:
    shown = [
        dt.datetime(2026, 2, 2, 6) + dt.timedelta(days=day, minutes=7 * i) for i in range(rows)
    ]
    return pa.table(
        {
            "user_id": user_ids
            if user_ids is not None
            else pa.array([1 + i % 5 for i in range(rows)], pa.int64()),
            "tweet_id": pa.array([10 + i % 3 for i in range(rows)], pa.int64()),
            "impression_ts": pa.array(shown, pa.timestamp("us")),
        }
    )


def _engagements(day: int) -> pa.Table:
    at = dt.datetime(2026, 2, 2, 7) + dt.timedelta(days=day)
    return pa.table(
        {
            "user_id": pa.array([1, 2], pa.int64()),
            "tweet_id": pa.array([10, 11], pa.int64()),
            "action": ["like", "reply"],
            "engagement_ts": pa.array([at, at], pa.timestamp("us")),
        }
    )


def _write_days(raw: Path, days: range) -> None:
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True, exist_ok=True)
    for day in days:
        pq.write_table(_impressions(day, 30), raw / "impressions" / f"day{day}.parquet")
        pq.write_table(_engagements(day), raw / "engagements" / f"day{day}.parquet")


def _build_result(raw: Path, database: Path, work: Path, **dbt_vars):
    return run_dbt(["build", "--quiet"], database, work, {"raw_path": str(raw), **dbt_vars})


def _failure_text(result) -> str:
    """The error of a failed dbt invocation: its exception and failed nodes' messages."""
    messages = [str(r.message) for r in (result.result or []) if str(r.status) in {"error", "fail"}]
    return " ".join([str(result.exception), *messages])


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


BAD_FILES = {
    "a float ID": (
        lambda: _impressions(3, 30, pa.array([1.0 + i % 5 for i in range(30)], pa.float64())),
        ["column user_id is double, expected an integer or a string"],
    ),
    "a renamed ID column": (
        lambda: _impressions(3, 30).rename_columns(["uid", "tweet_id", "impression_ts"]),
        ["required column user_id is missing"],
    ),
    "an integer timestamp": (
        lambda: _impressions(3, 30).set_column(2, "impression_ts", pa.array(range(30), pa.int64())),
        ["column impression_ts is bigint, expected a timestamp"],
    ),
}


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three hand-written days built: tests copy them before they add a file."""
    work = tmp_path_factory.mktemp("three_days")
    raw, database = work / "raw", work / "feed.duckdb"
    _write_days(raw, range(3))
    build(raw, database, work)
    return raw, database


def test_a_file_without_a_listed_context_column_stops_the_build_naming_both(tmp_path: Path):
    """impression_context_columns makes each listed column part of the
    impressions' contract: a file without it is named, and one whose column
    cannot hold the type too."""
    raw, database = tmp_path / "raw", tmp_path / "feed.duckdb"
    _write_days(raw, range(3))
    with_position = _impressions(0, 30).append_column("position", pa.array(range(30), pa.int32()))
    pq.write_table(with_position, raw / "impressions" / "day0.parquet")
    surface_as_number = _impressions(1, 30).append_column(
        "position", pa.array(range(30), pa.int32())
    )
    pq.write_table(
        surface_as_number.append_column("surface", pa.array(range(30), pa.int64())),
        raw / "impressions" / "day1.parquet",
    )
    context = {"position": "integer", "surface": "string"}
    result = _build_result(raw, database, tmp_path, impression_context_columns=context)
    assert not result.success
    message = _failure_text(result)
    for phrase in [
        "impressions/day2.parquet: required column position is missing (expected an integer)",
        "impressions/day0.parquet: required column surface is missing (expected a string)",
        "impressions/day1.parquet: column surface is bigint, expected a string",
    ]:
        assert phrase in message


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_file_that_breaks_the_schema_stops_the_refresh_naming_it(
    case: str, three_days: tuple[Path, Path], tmp_path: Path
):
    raw, database = copy_build(*three_days, tmp_path)
    make_table, phrases = BAD_FILES[case]
    pq.write_table(make_table(), raw / "impressions" / "day3.parquet")
    result = _build_result(raw, database, tmp_path)
    assert not result.success
    message = _failure_text(result)
    for phrase in ["impressions/day3.parquet", *phrases]:
        assert phrase in message
    # Nothing ran: the clean rows of the earlier days are untouched.
    assert _query(database, "select count(*) from stg_feed__rejected_rows") == [(0,)]


def test_a_full_build_stops_on_a_float_id_file_before_reading_any_row(tmp_path: Path):
    raw, database = tmp_path / "raw", tmp_path / "feed.duckdb"
    _write_days(raw, range(2))
    pq.write_table(BAD_FILES["a float ID"][0](), raw / "impressions" / "day3.parquet")
    result = _build_result(raw, database, tmp_path)
    assert not result.success
    assert "impressions/day3.parquet: column user_id is double" in _failure_text(result)


def test_quarantine_sets_a_bad_file_aside_and_reads_the_others_as_if_alone(
    three_days: tuple[Path, Path], tmp_path: Path
):
    """The float-ID file sits beside well-typed files of the same and earlier
    days: the others' rows are read exactly as without it (no type promotion),
    and the ledger records it with the reason and its row count."""
    alone = three_days[1]  # the three days built without it
    raw, _ = copy_build(*three_days, tmp_path / "copy")
    database = tmp_path / "feed.duckdb"
    floats = pa.array([7.0 + i % 5 for i in range(25)], pa.float64())
    pq.write_table(_impressions(2, 25, floats), raw / "impressions" / "day2_floats.parquet")
    build(raw, database, tmp_path, dbt_vars={"raw_schema_errors": "quarantine"})
    compared = ["stg_feed__impressions", "stg_feed__rejected_rows", "train_examples"]
    for name, frame in read_tables(database, compared).items():
        assert frame.equals(read_tables(alone, compared)[name]), name
    assert _query(
        database,
        "select raw_rows, rows_with_day, quarantine_reason from raw_file_ledger "
        "where source_file = 'impressions/day2_floats.parquet'",
    ) == [(25, 0, "schema: column user_id is double, expected an integer or a string")]
    # Fixed in place, the file is new: the next refresh takes it in.
    pq.write_table(_impressions(2, 25), raw / "impressions" / "day2_floats.parquet")
    build(raw, database, tmp_path, dbt_vars={"raw_schema_errors": "quarantine"})
    assert _query(
        database,
        "select count(*) from stg_feed__rejected_rows where source_file like '%floats%'",
    ) == [(0,)]
    assert _query(
        database,
        "select sum(duplicates_removed) + count(*) from stg_feed__impressions "
        "where impression_date = '2026-02-04'",
    ) == [(55,)]


def test_a_rewritten_file_stops_the_refresh_and_its_backfill_takes_it_in(
    logs: Path, clean_build: Path, tmp_path: Path
):
    # The eight days delivered and built: a copy of the session's full build.
    raw, database = copy_build(logs, clean_build, tmp_path)
    # Copied or touched, a file is the same file.
    for path in (raw / "impressions").rglob("*.parquet"):
        os.utime(path)
    build(raw, database, tmp_path, dbt_vars=SPLIT_VARS, threads=2)
    # 300 more valid rows appended in place to the file of the second day.
    day = START + dt.timedelta(days=1)
    [path] = [p for p in (raw / "impressions").rglob("*.parquet") if str(day) in p.name]
    table = pq.read_table(path)
    extra = table.slice(0, 300)
    extra = extra.set_column(
        extra.schema.get_field_index("tweet_id"),
        "tweet_id",
        pa.array([10**9 + i for i in range(300)], table.schema.field("tweet_id").type),
    )
    pq.write_table(pa.concat_tables([table, extra]), path)
    result = run_dbt(["build", "--quiet"], database, tmp_path, {"raw_path": str(raw), **SPLIT_VARS})
    assert not result.success
    message = _failure_text(result)
    assert str(path.relative_to(raw)) in message
    assert f"make backfill START={START}" in message or f"make backfill START={day}" in message
    start = message.split("make backfill START=")[1][:10]
    build(raw, database, tmp_path, dbt_vars={**SPLIT_VARS, "refresh_start_date": start})
    assert_same_tables(database, _full_build(raw, tmp_path))
    # The ledger keeps both versions; the new one counts the 300 rows.
    versions = _query(
        database,
        "select raw_rows from raw_file_ledger "
        f"where source_file = '{path.relative_to(raw)}' order by first_seen_ts",
    )
    assert [rows for (rows,) in versions] == [table.num_rows, table.num_rows + 300]


def _full_build(raw: Path, work: Path) -> Path:
    database = work / "full.duckdb"
    build(raw, database, work, dbt_vars=SPLIT_VARS, threads=2)
    return database


def test_every_rejected_row_leads_back_to_its_file_and_row(logs: Path, clean_build: Path):
    rejected = _query(
        clean_build,
        "select source_name, source_file, source_row_number, raw_user_id, raw_tweet_id, "
        "raw_event_ts, reject_reason from stg_feed__rejected_rows",
    )
    assert len(rejected) > 100
    columns = {"impressions": "impression_ts", "engagements": "engagement_ts"}
    with duckdb.connect() as connection:
        for log, file, row_number, user_id, tweet_id, event_ts, reason in rejected:
            raw_row = connection.execute(
                f"select cast(user_id as varchar), cast(tweet_id as varchar), "
                f"cast({columns[log]} as varchar) "
                f"from read_parquet(?, file_row_number = true) where file_row_number = ?",
                [str(logs / file), row_number],
            ).fetchall()
            assert raw_row == [(user_id, tweet_id, event_ts)], (file, row_number, reason)


def test_a_raw_row_that_went_nowhere_fails_a_test_naming_its_file(
    clean_build: Path, tmp_path: Path, logs: Path
):
    database = tmp_path / "lost.duckdb"
    shutil.copy(clean_build, database)
    with duckdb.connect(str(database)) as connection:
        [(file, user_id, tweet_id)] = connection.execute(
            "select source_file, raw_user_id, raw_tweet_id from stg_feed__rejected_rows "
            "where source_name = 'impressions' and row_date is not null "
            "order by row_date desc, source_row_number limit 1"
        ).fetchall()
        connection.execute(
            "delete from stg_feed__rejected_rows where source_file = ? and raw_user_id "
            "is not distinct from ? and raw_tweet_id is not distinct from ?",
            [file, user_id, tweet_id],
        )
    failing = _rows_failing_the_accounting(database, tmp_path, logs)
    assert len(failing) >= 1
    # The failing rows name the file.
    assert file in {row[0] for row in failing}


@pytest.mark.parametrize(
    ("lost_from", "which"),
    [
        # The reader: rows of a file missing from what the run read (its footer
        # counts them).
        ("base_feed__impressions", "reject_reason is null"),
        # Staging: valid rows that became neither a clean row nor a removed duplicate.
        ("stg_feed__impressions", "duplicates_removed = 0"),
    ],
)
def test_rows_a_file_loses_on_the_way_fail_the_accounting_naming_the_file(
    clean_build: Path, tmp_path: Path, logs: Path, lost_from: str, which: str
):
    """Counted, not read again: the footer's rows against the rows read, and the
    valid rows of each day against the clean rows and removed duplicates."""
    database = tmp_path / "lost.duckdb"
    shutil.copy(clean_build, database)
    with duckdb.connect(str(database)) as connection:
        [(file,)] = connection.execute(
            f"select min(source_file) from {lost_from} where source_file like 'impressions/%'"
        ).fetchall()
        connection.execute(
            f"delete from {lost_from} where rowid in (select rowid from {lost_from} "
            f"where source_file = ? and {which} limit 3)",
            [file],
        )
    failing = _rows_failing_the_accounting(database, tmp_path, logs)
    assert (file, 3) in {(row[0], row[2]) for row in failing}, failing


def _rows_failing_the_accounting(database: Path, work: Path, logs: Path) -> list[tuple]:
    """Run the impressions' accounting test, which must fail; return its failing rows
    (file, day, rows unaccounted, problem)."""
    result = run_dbt(
        ["test", "--select", "source:feed.impressions,test_name:accounts_for_every_raw_row"],
        database,
        work,
        {"raw_path": str(logs), **SPLIT_VARS},
    )
    assert not result.success
    [failed] = [r for r in result.result if str(r.status) == "fail"]
    return _query(database, failed.node.compiled_code)


INJECTION = "x'; drop table stg_feed__impressions; --"


def test_a_raw_path_with_quotes_and_spaces_reaches_sql_as_a_literal(logs: Path, tmp_path: Path):
    raw = tmp_path / "raw o'q $HOME"
    shutil.copytree(logs, raw)
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, dbt_vars=SPLIT_VARS, threads=2)
    assert _query(database, "select count(*) from raw_file_ledger") == [(2 * DAYS,)]


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("sampling_salt", INJECTION, None),
        ("id_type", INJECTION, "id_type"),
        ("raw_schema_errors", INJECTION, "raw_schema_errors"),
        ("refresh_start_date", INJECTION, "refresh_start_date"),
        ("refresh_end_date", INJECTION, "refresh_end_date"),
        ("validation_start_date", INJECTION, "validation_start_date"),
        ("test_start_date", INJECTION, "test_start_date"),
        ("test_end_date", INJECTION, "test_end_date"),
        ("tasks", {INJECTION: ["like"]}, "task"),
        ("tasks", {"like": [INJECTION]}, "action"),
    ],
)
def test_an_injection_in_a_string_var_stays_literal_or_stops_naming_the_var(
    name: str, value, named: str | None, clean_build: Path, tmp_path: Path, logs: Path
):
    database = tmp_path / "feed.duckdb"
    shutil.copy(clean_build, database)
    result = run_dbt(["build", "--quiet"], database, tmp_path, {"raw_path": str(logs), name: value})
    if named is None:
        assert result.success, result.exception
    else:
        assert not result.success
        assert named in _failure_text(result)
    tables = {
        row[0] for row in _query(database, "select table_name from information_schema.tables")
    }
    assert "stg_feed__impressions" in tables


def _preflight(database: Path, *command: str) -> subprocess.CompletedProcess:
    """`python -m feedpipe.preflight [command]` (what the Makefile runs dbt through) on
    `database`."""
    return subprocess.run(
        [sys.executable, "-m", "feedpipe.preflight", *command],
        cwd=PROJECT_DIR,
        env={**os.environ, "FEED_DUCKDB_PATH": str(database)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_database_that_cannot_be_written_is_named_in_one_line(tmp_path: Path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    database = blocker / "feed.duckdb"
    result = _preflight(database)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert str(database) in line and "FEED_DUCKDB_PATH" in line
    assert "Traceback" not in result.stderr
    assert _preflight(tmp_path / "feed.duckdb").returncode == 0


def test_a_missing_folder_or_a_truncated_file_stops_the_run_naming_it(tmp_path: Path):
    missing = tmp_path / "no_such_folder"
    result = _build_result(missing, tmp_path / "missing.duckdb", tmp_path)
    assert not result.success
    assert f"no raw impressions files: nothing matches {missing}/impressions" in _failure_text(
        result
    )
    raw = tmp_path / "raw"
    _write_days(raw, range(2))
    whole = (raw / "impressions" / "day1.parquet").read_bytes()
    (raw / "impressions" / "day2.parquet").write_bytes(whole[: len(whole) // 2])
    result = _build_result(raw, tmp_path / "truncated.duckdb", tmp_path)
    assert not result.success
    assert str(raw / "impressions" / "day2.parquet") in _failure_text(result)


def test_a_second_run_while_another_holds_the_database_is_named_in_one_line(tmp_path: Path):
    database = tmp_path / "feed.duckdb"
    with duckdb.connect(str(database)) as running:
        running.execute("create table running as select 1 as one")
        result = _preflight(database)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert str(database) in line and "lock" in line


def test_a_second_run_before_the_first_opens_the_database_stops_before_dbt(tmp_path: Path):
    """The Makefile runs dbt through the preflight, which holds a run lock until dbt
    exits. DuckDB locks the database only once dbt opens it, seconds after dbt starts;
    the run lock covers those seconds: a second run stops before its command starts,
    in one line naming the lock, and a run after the first ends (even killed) goes on."""
    database = tmp_path / "feed.duckdb"
    started, second_ran = tmp_path / "first_started", tmp_path / "second_ran"
    # The first run's command stands for dbt in its first seconds: the database unopened.
    waits = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(120)"
    first = subprocess.Popen(
        [sys.executable, "-m", "feedpipe.preflight", sys.executable, "-c", waits],
        cwd=PROJECT_DIR,
        env={**os.environ, "FEED_DUCKDB_PATH": str(database)},
    )
    try:
        for _ in range(600):
            if started.exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert started.exists(), "the first run's command did not start"
        second = _preflight(database, "touch", str(second_ran))
        assert second.returncode == 2
        [line] = second.stderr.splitlines()
        assert str(database) in line and f"{database}.lock" in line
        assert "stops before dbt starts" in line
        assert not second_ran.exists()
    finally:
        first.kill()
        first.wait()
    assert _preflight(database, "touch", str(second_ran)).returncode == 0
    assert second_ran.exists()


def test_a_removed_file_stops_the_refresh_and_comes_back_as_a_new_file(tmp_path: Path):
    raw, database = tmp_path / "raw", tmp_path / "feed.duckdb"
    _write_days(raw, range(4))
    build(raw, database, tmp_path)
    kept = tmp_path / "day3.parquet"
    shutil.move(raw / "impressions" / "day3.parquet", kept)
    result = _build_result(raw, database, tmp_path)
    assert not result.success
    message = _failure_text(result)
    assert "impressions/day3.parquet" in message and "now removed" in message
    assert "make backfill START=2026-02-05" in message
    build(raw, database, tmp_path, dbt_vars={"refresh_start_date": "2026-02-05"})
    day_rows = "select count(*) from stg_feed__impressions where impression_date = '2026-02-05'"
    assert _query(database, day_rows) == [(0,)]
    # Delivered again as it was, it is a new file: the next refresh takes it in.
    shutil.move(kept, raw / "impressions" / "day3.parquet")
    build(raw, database, tmp_path)
    assert _query(database, day_rows) == [(30,)]


def test_a_few_rows_from_a_clock_far_ahead_do_not_make_days_mature(
    logs: Path, clean_build: Path, tmp_path: Path
):
    """A historical load with one impression and one engagement from a device
    whose clock is ten months ahead of the data (still before the run, so not
    future_timestamp): the logs' reach, the mature days and the marts are the
    clean load's; the two rows stay in the clean logs, counted as outlying, and
    the run's log names their file, day and count."""
    raw = tmp_path / "raw"
    shutil.copytree(logs, raw)
    ahead = dt.datetime(2026, 11, 2, 12, 0)
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array([1], pa.int64()),
                "tweet_id": pa.array([1], pa.int64()),
                "impression_ts": pa.array([ahead], pa.timestamp("us")),
            }
        ),
        raw / "impressions" / "clock_ahead.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array([1], pa.int64()),
                "tweet_id": pa.array([1], pa.int64()),
                "action": ["like"],
                "engagement_ts": pa.array([ahead + dt.timedelta(hours=1)], pa.timestamp("us")),
            }
        ),
        raw / "engagements" / "clock_ahead.parquet",
    )
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, dbt_vars=SPLIT_VARS, threads=2)

    # The marts and stats are the clean load's (the rows' own example is on a
    # day that is not mature, so it is in no mart), and so is the watermark.
    marts = ["train_examples", "validation_examples", "test_examples", "daily_label_stats"]
    got, want = read_tables(database, marts), read_tables(clean_build, marts)
    for name in marts:
        assert len(want[name]) > 0, name
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)

    def reach(built: Path) -> tuple:
        with duckdb.connect(str(built), read_only=True) as connection:
            return connection.execute(
                "select impressions_max_ts, engagements_max_ts, last_mature_date "
                "from int_log_watermark"
            ).fetchone()

    assert reach(database) == reach(clean_build)
    assert reach(database)[2] < ahead.date()
    with duckdb.connect(str(database), read_only=True) as connection:
        outlying = connection.execute(
            "select impressions_outlying_events, engagements_outlying_events from int_log_watermark"
        ).fetchone()
        kept = connection.execute(
            "select count(*) from stg_feed__impressions where impression_ts = ?", [ahead]
        ).fetchone()
    assert outlying == (1, 1)
    assert kept == (1,)  # in the clean log, not rejected
    log = (tmp_path / "logs" / "dbt.log").read_text()
    for line in (
        "log_name=impressions, source_file=impressions/clock_ahead.parquet, "
        "activity_date=2026-11-02, events=1",
        "log_name=engagements, source_file=engagements/clock_ahead.parquet, "
        "activity_date=2026-11-02, events=1",
    ):
        assert f"feed finding: log_reach_outliers: {line}" in log


def test_logs_in_which_every_row_is_rejected_stop_the_run_saying_so(tmp_path: Path):
    """A day whose impressions have no user_id and whose engagements have no tweet_id:
    no valid row remains in either log, so nothing can be built. The run stops with
    one error that says so per log, with the count per reason and the files, and the
    models after the watermark are not built."""
    raw = tmp_path / "raw"
    _write_days(raw, range(1))
    pq.write_table(
        _impressions(0, 30, pa.array([None] * 30, pa.int64())),
        raw / "impressions" / "day0.parquet",
    )
    engagements = _engagements(0)
    pq.write_table(
        engagements.set_column(1, "tweet_id", pa.array([None, None], pa.int64())),
        raw / "engagements" / "day0.parquet",
    )
    result = _build_result(raw, tmp_path / "feed.duckdb", tmp_path)
    assert not result.success
    message = _failure_text(result)
    assert (
        "no valid impression row remains: 30 rows rejected (null_user_id: 30) "
        "in files impressions/day0.parquet" in message
    )
    assert (
        "no valid engagement row remains: 2 rows rejected (null_tweet_id: 2) "
        "in files engagements/day0.parquet" in message
    )
    statuses = node_statuses(tmp_path)
    failed = [node for node, status in statuses.items() if status in {"error", "fail"}]
    assert failed == ["test.feed_training_data.each_log_has_valid_rows"]
    assert statuses["model.feed_training_data.train_examples"] == "skipped"
