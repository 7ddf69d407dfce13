"""The scheduled refresh of one new day from warehouse tables beside the same refresh
from files (`python -m benchmarks.bench tables`, part of `make bench`).

The same generated logs, a week of history built once each way: as Parquet files
under a raw folder, and as two tables of a DuckDB warehouse file (attached by the
`duckdb` target as `warehouse`, FEED_WAREHOUSE_PATH), one load batch per log and
day. The eighth day is then delivered (a file per log) or loaded (a batch per log),
and the timed command is the scheduled run, `dbt build` without unit tests, on a
copy of the built database; the two refreshes alternate. The refreshed marts, stats
and rejected rows are asserted equal but for how a row's origin is named."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.benchpage import machine_facts
from benchmarks.measure import PROJECT_DIR, START, dbt_command, dbt_env, generated_logs

HISTORY_DAYS = 7
# Splits small enough that a week fills all three marts.
SPLIT_VARS = {"validation_days": 2, "test_days": 2}
TABLE_VARS = {**SPLIT_VARS, "raw_input": "tables", "raw_tables_database": "warehouse"}
COMPARED = {
    "train_examples": ["task", "event_date", "user_id", "tweet_id"],
    "validation_examples": ["task", "event_date", "user_id", "tweet_id"],
    "test_examples": ["task", "event_date", "user_id", "tweet_id"],
    "daily_label_stats": ["task", "event_date"],
    "stg_feed__rejected_rows": None,
}
ORIGIN_COLUMNS = {"source_file", "source_row_number"}


def _load_day(all_logs: Path, warehouse: Path, day: dt.date) -> None:
    """Append one day of both logs to the warehouse tables, one batch each."""
    stamp = dt.datetime.combine(day, dt.time(23)) + dt.timedelta(hours=2)
    with duckdb.connect(str(warehouse)) as connection:
        for log in ("impressions", "engagements"):
            rows = (
                f"select *, timestamp '{stamp}' as loaded_at "
                f"from read_parquet('{all_logs / log / f'{day}.parquet'}')"
            )
            if connection.execute(
                "select count(*) from information_schema.tables where table_name = ?", [log]
            ).fetchone()[0]:
                connection.execute(f"insert into {log} by name {rows}")
            else:
                connection.execute(f"create table {log} as {rows}")


def _deliver_day(all_logs: Path, raw: Path, day: dt.date) -> None:
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True, exist_ok=True)
        shutil.copy(all_logs / log / f"{day}.parquet", raw / log / f"{day}.parquet")


def _build(database: Path, raw: Path, work: Path, warehouse: Path | None) -> float:
    command = dbt_command(raw, work)
    dbt_vars = {"raw_path": str(raw), **(SPLIT_VARS if warehouse is None else TABLE_VARS)}
    command[command.index("--vars") + 1] = json.dumps(dbt_vars)
    extra = {} if warehouse is None else {"FEED_WAREHOUSE_PATH": str(warehouse)}
    started = time.perf_counter()
    subprocess.run(command, env=dbt_env(database, **extra), check=True, cwd=PROJECT_DIR)
    return time.perf_counter() - started


def _marts(database: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as connection:
        frames = {name: connection.sql(f"select * from {name}").df() for name in COMPARED}
    for name, frame in frames.items():
        kept = [column for column in frame.columns if column not in ORIGIN_COLUMNS]
        frames[name] = frame[kept].sort_values(kept).reset_index(drop=True)
    return frames


def bench_tables(work: Path, impressions_per_day: int, repeats: int) -> dict:
    all_logs = generated_logs(work / "all_logs", HISTORY_DAYS + 1, impressions_per_day, seed=4)
    days = [START + dt.timedelta(days=offset) for offset in range(HISTORY_DAYS + 1)]
    raw, warehouse = work / "raw", work / "warehouse.duckdb"
    shutil.rmtree(raw, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    for day in days[:-1]:
        _deliver_day(all_logs, raw, day)
        _load_day(all_logs, warehouse, day)
    built = {"files": work / "files.duckdb", "tables": work / "tables.duckdb"}
    for kind, database in built.items():
        database.unlink(missing_ok=True)
        _build(database, raw, work, warehouse if kind == "tables" else None)
    _deliver_day(all_logs, raw, days[-1])
    _load_day(all_logs, warehouse, days[-1])
    timings: dict[str, list[float]] = {"files": [], "tables": []}
    for _ in range(repeats):
        for kind, database in built.items():
            run = work / f"run_{kind}.duckdb"
            shutil.copy(database, run)
            timings[kind].append(_build(run, raw, work, warehouse if kind == "tables" else None))
    got, want = _marts(work / "run_tables.duckdb"), _marts(work / "run_files.duckdb")
    for name in COMPARED:
        assert len(want[name]) > 0, name
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    return {
        "machine": machine_facts(),
        "impressions_per_day": impressions_per_day,
        "repeats": repeats,
        "timings_s": timings,
        "medians_s": medians,
        "tables_over_files": medians["tables"] / medians["files"],
    }


def render_tables(result: dict) -> str:
    medians, timings = result["medians_s"], result["timings_s"]
    ratio = result["tables_over_files"]
    lines = [
        "## Refresh from warehouse tables beside files",
        "",
        f"`python -m benchmarks.bench tables` (part of `make bench`): "
        f"{result['impressions_per_day']:,} impressions a day, a week of history built",
        "once from Parquet files and once from two tables of an attached DuckDB warehouse",
        "file (one load batch per log and day); then the next day is delivered as files or",
        "loaded as batches, and the timed command is the scheduled `dbt build` (no unit",
        f"tests) on a copy of each built database, alternated, {result['repeats']} runs each.",
        "The refreshed marts, stats and rejected rows are asserted equal but for how a",
        "row's origin is named.",
        "",
        f"Run of {result['machine']['date']}: {result['machine']['description']}.",
        "",
        "| refresh of one day | runs (s) | median (s) |",
        "|---|---|---|",
    ]
    for kind in ("files", "tables"):
        runs = ", ".join(f"{value:.2f}" for value in timings[kind])
        lines.append(f"| from {kind} | {runs} | **{medians[kind]:.2f}** |")
    lines += [
        "",
        f"- from tables / from files: **{ratio:.2f}** (target: at most 1.2, "
        f"{'met' if ratio <= 1.2 else 'missed'}).",
        "",
        "From tables a run lists the batches by `count(*)` grouped by load time, over the",
        "batches stamped since the latest one taken in less the lag (the load-time column",
        "only), where from files it lists the folders; it then reads the window's batches",
        "with a row number per batch (a sort by the row's values), where a file gives its",
        "row numbers as it is read.",
    ]
    return "\n".join(lines) + "\n"
