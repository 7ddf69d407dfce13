"""Build the dbt project through dbt's Python API on a DuckDB file of its own."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
from dbt.cli.main import dbtRunner, dbtRunnerResult

from feedpipe.dbt_api import close_duckdb, environment

PROJECT_DIR = Path(__file__).resolve().parents[2]
MART_KEYS = {
    "train_examples": ["task", "event_date", "user_id", "tweet_id"],
    "validation_examples": ["task", "event_date", "user_id", "tweet_id"],
    "test_examples": ["task", "event_date", "user_id", "tweet_id"],
    "stream_examples": ["task", "event_date", "user_id", "tweet_id", "label"],
    "daily_label_stats": ["task", "event_date"],
}
# Tiny generated logs for refresh and reliability tests, and splits small
# enough that a dozen days (ten mature) fill all three.
TINY_LOGS = {"impressions_per_day": 3_000, "users": 800, "tweets": 1_500, "seed": 3}
# Splits that fit a few days, and the continuous-training stream drawn (off by default).
SPLIT_VARS = {"validation_days": 2, "test_days": 2, "stream_sampling_rate": 0.5}
# What a refresh must leave equal to a full build of the same logs.
COMPARED = [
    "train_examples",
    "validation_examples",
    "test_examples",
    "stream_examples",
    "daily_label_stats",
    "int_examples_labeled",
    "int_engagements_attributed",
    "stg_feed__rejected_rows",
    "int_log_watermark",
]


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
    command = dbt_args(args, work_dir, dbt_vars, target, threads)
    with environment(FEED_DUCKDB_PATH=str(database)):
        try:
            return dbtRunner().invoke(command)
        finally:
            close_duckdb()


def dbt_args(
    args: list[str],
    work_dir: Path,
    dbt_vars: dict | None = None,
    target: str = "duckdb",
    threads: int = 1,
) -> list[str]:
    """The arguments of a dbt command on this project: its target, dbt's target
    and log folders under `work_dir`, threads and vars."""
    return [
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


def build(
    raw_path: Path,
    database: Path,
    work_dir: Path,
    dbt_vars: dict | None = None,
    threads: int = 1,
    extra_args: list[str] | None = None,
    target: str = "duckdb",
    unit_tests: bool = False,
) -> None:
    """`dbt build` (models, seeds and every data test) on the logs at raw_path; raise
    on failure. dbt's unit tests read fixed inputs, not the logs, so they run only
    where asked (the default build, and `make dbt-test`); other builds leave them
    out, as the scheduled refresh does."""
    all_vars = {"raw_path": str(raw_path), **(dbt_vars or {})}
    selection = list(extra_args or [])
    if not unit_tests and "--exclude" not in selection:
        selection += ["--exclude", "test_type:unit"]
    result = run_dbt(
        ["build", "--quiet", *selection],
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


def normalise(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A table read from either engine in comparable form: the columns in the given
    order, days as dates, timestamps in microseconds, integers as int64, a missing
    split as None."""
    frame = frame[columns].copy()
    for column in frame.columns:
        if column.endswith("_date"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        elif column.endswith("_ts"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
        elif pd.api.types.is_integer_dtype(frame[column]):
            frame[column] = frame[column].astype("int64")
        elif column == "split":
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def assert_engines_agree(
    got: pd.DataFrame, want: pd.DataFrame, name: str, keys: list[str] | None = None
) -> None:
    """A table built on Spark (got) holds the rows and columns of the DuckDB build (want),
    which is not empty; rows compared in the order of the keys (default: MART_KEYS, or
    an example's user, tweet and day)."""
    assert len(want) > 0, name
    assert sorted(got.columns) == sorted(want.columns), name
    columns = list(want.columns)
    keys = keys or MART_KEYS.get(name, ["user_id", "tweet_id", "event_date"])
    got, want = (
        normalise(frame, columns).sort_values(keys).reset_index(drop=True) for frame in (got, want)
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)


def parse(work_dir: Path) -> Path:
    """`dbt parse` of the project (no database, no logs read); the manifest's path."""
    result = run_dbt(["parse", "--quiet"], work_dir / "parse.duckdb", work_dir)
    if not result.success:
        raise AssertionError(f"dbt parse failed: {result.exception}")
    return work_dir / "target" / "manifest.json"


def deliver_day(all_logs: Path, raw: Path, day: dt.date) -> None:
    """Deliver one day's generated files (one per log and day) into a growing raw folder."""
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True, exist_ok=True)
        shutil.copy(all_logs / log / f"{day}.parquet", raw / log / f"{day}.parquet")


def copy_build(raw: Path, database: Path, to: Path) -> tuple[Path, Path]:
    """A private copy of a built database and the raw folder it was built from
    (`to`/raw, `to`/feed.duckdb), for a test that changes either; the ledger keys
    files by their path under raw, so the copy refreshes as the original would."""
    to.mkdir(parents=True, exist_ok=True)
    shutil.copytree(raw, to / "raw")
    shutil.copy(database, to / "feed.duckdb")
    return to / "raw", to / "feed.duckdb"


def assert_same_tables(got: Path, want: Path) -> None:
    """The COMPARED tables of two databases are equal, and none is empty."""
    got_tables, want_tables = read_tables(got, COMPARED), read_tables(want, COMPARED)
    for name in COMPARED:
        assert len(want_tables[name]) > 0, name
        pd.testing.assert_frame_equal(got_tables[name], want_tables[name], obj=name)


def damage_column(path: Path, column: str) -> bytes:
    """Damage the compressed pages of one column of a Parquet file in place, as a
    transfer error would: its footer and every other column still read, that
    column does not. Returns the file's bytes before, to deliver it again."""
    original = path.read_bytes()
    group = pq.ParquetFile(path).metadata.row_group(0)
    [chunk] = [
        group.column(index)
        for index in range(group.num_columns)
        if group.column(index).path_in_schema == column
    ]
    start = chunk.data_page_offset + chunk.total_compressed_size // 2
    damaged = bytearray(original)
    damaged[start : start + 64] = b"\xff" * 64
    path.write_bytes(bytes(damaged))
    return original


def node_statuses(work_dir: Path) -> dict[str, str]:
    """The status of each node of the last invocation (its run_results.json)."""
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    return {result["unique_id"]: result["status"] for result in results}
