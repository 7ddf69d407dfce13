"""Staging reads each raw row once per run: the base tables hold the rows a run read,
the file ledger comes from Parquet footers where they answer exactly, and a base table
left over from an earlier invocation is used only while it holds every file needed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import build, run_dbt

from feedpipe.generate import generate

pytestmark = pytest.mark.slow

START = dt.datetime(2026, 2, 2, 6, 0)


def _impressions(day: int, rows: int, timestamps: pa.Array | None = None) -> pa.Table:
    shown = [START + dt.timedelta(days=day, minutes=17 * i) for i in range(rows)]
    return pa.table(
        {
            "user_id": pa.array([1 + i % 5 for i in range(rows)], pa.int64()),
            "tweet_id": pa.array([10 + i % 3 for i in range(rows)], pa.int64()),
            "impression_ts": timestamps
            if timestamps is not None
            else pa.array(shown, pa.timestamp("us")),
        }
    )


def _engagements(day: int) -> pa.Table:
    return pa.table(
        {
            "user_id": pa.array([1, 2], pa.int64()),
            "tweet_id": pa.array([10, 11], pa.int64()),
            "action": ["like", "reply"],
            "engagement_ts": pa.array(
                [START + dt.timedelta(days=day, hours=1)] * 2, pa.timestamp("us")
            ),
        }
    )


def _expected_ledger(raw: Path) -> set[tuple]:
    """Each file's rows, rows with a day and first and last day, from its rows."""
    expected = set()
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for log, column in (("impressions", "impression_ts"), ("engagements", "engagement_ts")):
            for path in sorted((raw / log).rglob("*.parquet")):
                day = f"cast(cast(try_cast({column} as timestamptz) as timestamp) as date)"
                row = connection.execute(
                    f"select count(*), count({day}), min({day}), max({day}) "
                    f"from read_parquet('{path}')"
                ).fetchall()[0]
                expected.add((log, str(path.relative_to(raw)), *row))
    return expected


def test_file_ledger_equals_the_rows_of_every_kind_of_file(tmp_path: Path):
    """Footers answer for timestamp columns with statistics (naive, UTC-aware, all
    null); the rows answer for text timestamps and files written without
    statistics. Either way the ledger says what a scan of the rows says."""
    raw = tmp_path / "raw"
    (raw / "impressions").mkdir(parents=True)
    (raw / "engagements").mkdir(parents=True)
    naive = _impressions(0, 40)
    with_nulls = naive.set_column(
        2,
        "impression_ts",
        pa.array(
            [None if i % 4 == 0 else START + dt.timedelta(days=1, hours=i) for i in range(40)],
            pa.timestamp("us"),
        ),
    )
    aware = _impressions(2, 40).cast(
        pa.schema(
            [
                ("user_id", pa.int64()),
                ("tweet_id", pa.int64()),
                ("impression_ts", pa.timestamp("us", tz="UTC")),
            ]
        )
    )
    all_null = _impressions(3, 5, pa.array([None] * 5, pa.timestamp("us")))
    pq.write_table(naive, raw / "impressions" / "a_naive.parquet")
    pq.write_table(with_nulls, raw / "impressions" / "b_nulls.parquet")
    pq.write_table(aware, raw / "impressions" / "c_aware.parquet")
    pq.write_table(all_null, raw / "impressions" / "d_all_null.parquet")
    pq.write_table(
        _impressions(4, 30), raw / "impressions" / "e_no_statistics.parquet", write_statistics=False
    )
    for day in range(5):
        pq.write_table(_engagements(day), raw / "engagements" / f"{day}.parquet")
    database = tmp_path / "ledger.duckdb"
    build(raw, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        ledger = set(
            connection.execute(
                "select source_name, source_file, raw_rows, rows_with_day, "
                "min_row_date, max_row_date from raw_file_ledger"
            ).fetchall()
        )
    assert ledger == _expected_ledger(raw)

    # Text timestamps (with offsets) in a file of their own: counted from the rows.
    text = _impressions(
        5,
        3,
        pa.array(["2026-02-07 23:30:00-02:00", "not a time", "2026-02-07 10:00:00+00:00"]),
    )
    pq.write_table(text, raw / "impressions" / "f_text.parquet")
    database.unlink()
    build(raw, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute(
            "select raw_rows, rows_with_day, min_row_date, max_row_date "
            "from raw_file_ledger where source_file = 'impressions/f_text.parquet'"
        ).fetchall()
    # 23:30 at -02:00 is 01:30 UTC the next day.
    assert row == [(3, 2, dt.date(2026, 2, 7), dt.date(2026, 2, 8))]


def test_a_run_without_the_planner_redoes_the_last_plan_and_misses_no_file(
    tmp_path: Path,
):
    """A run that builds the clean models without the planner (as `dbt retry` after
    a failure in staging, or a selection) reads the last plan's files from the base
    tables built for it: a file that arrived since is not half taken in, and the
    next planned run takes its rows in."""
    all_logs = tmp_path / "all"
    generate(all_logs, days=5, impressions_per_day=3000, users=300, tweets=600, seed=5)
    raw = tmp_path / "raw"
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True)
        for path in sorted((all_logs / log).glob("*.parquet"))[:4]:
            shutil.copy(path, raw / log / path.name)
    database = tmp_path / "retry.duckdb"
    build(raw, database, tmp_path)
    select = ["run", "--select", "stg_feed__impressions", "stg_feed__rejected_rows"]
    dbt_vars = {"raw_path": str(raw)}
    assert run_dbt(select, database, tmp_path, dbt_vars).success

    newest = sorted((all_logs / "impressions").glob("*.parquet"))[4]
    shutil.copy(newest, raw / "impressions" / newest.name)
    count = (
        "select count(*) from stg_feed__impressions "
        f"where source_file = 'impressions/{newest.name}'"
    )
    with duckdb.connect(str(database), read_only=True) as connection:
        before = connection.execute("select count(*) from stg_feed__impressions").fetchall()
    assert run_dbt(select, database, tmp_path, dbt_vars).success
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute(count).fetchall()[0][0] == 0
        after = connection.execute("select count(*) from stg_feed__impressions").fetchall()
        assert after == before
        recorded = connection.execute(
            f"select count(*) from raw_file_ledger where source_file = 'impressions/{newest.name}'"
        ).fetchall()[0][0]
    assert recorded == 0

    build(raw, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        days = connection.execute(
            "select count(distinct impression_date) from stg_feed__impressions "
            f"where source_file = 'impressions/{newest.name}'"
        ).fetchall()[0][0]
    assert days >= 1


@pytest.mark.parametrize("id_type", ["bigint", "varchar"])
def test_ids_stored_as_integers_or_text_give_the_same_clean_rows(tmp_path: Path, id_type: str):
    """The integer fast path and the text path of the ID cast agree: the same logs
    with IDs stored as int64 and as decimal text give the same clean impressions."""
    frames = {}
    for stored in ("int", "text"):
        raw = tmp_path / stored
        (raw / "impressions").mkdir(parents=True)
        (raw / "engagements").mkdir(parents=True)
        impressions = _impressions(0, 60)
        engagements = _engagements(0)
        if stored == "text":
            impressions = impressions.set_column(
                0, "user_id", impressions["user_id"].cast(pa.string())
            ).set_column(1, "tweet_id", impressions["tweet_id"].cast(pa.string()))
            engagements = engagements.set_column(
                0, "user_id", engagements["user_id"].cast(pa.string())
            ).set_column(1, "tweet_id", engagements["tweet_id"].cast(pa.string()))
        pq.write_table(impressions, raw / "impressions" / "0.parquet")
        pq.write_table(engagements, raw / "engagements" / "0.parquet")
        database = tmp_path / f"{stored}.duckdb"
        build(raw, database, tmp_path / f"work_{stored}", dbt_vars={"id_type": id_type})
        with duckdb.connect(str(database), read_only=True) as connection:
            frames[stored] = connection.execute(
                "select cast(user_id as varchar), cast(tweet_id as varchar), impression_ts, "
                "duplicates_removed from stg_feed__impressions order by all"
            ).fetchall()
    assert len(frames["int"]) == 60
    assert frames["int"] == frames["text"]


def test_a_first_build_that_did_not_complete_can_be_run_again(tmp_path: Path):
    """A first build that stops before it completes (here: one daily model left out)
    leaves a file ledger behind; the next build plans a full window again and must
    record each file once, not append the ledger a second time."""
    raw = tmp_path / "raw"
    generate(raw, days=4, impressions_per_day=2000, users=200, tweets=400, seed=9)
    database = tmp_path / "first.duckdb"
    scheduled = ["--exclude", "test_type:unit"]
    build(raw, database, tmp_path, extra_args=[*scheduled, "int_examples_sampled+"])
    with duckdb.connect(str(database), read_only=True) as connection:
        completed = connection.execute("select count(*) from feed_refresh_runs").fetchall()
        first = connection.execute("select count(*) from raw_file_ledger").fetchall()
    assert completed == [(0,)]
    assert first == [(8,)]
    build(raw, database, tmp_path, extra_args=scheduled)  # every test passes, the key too
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("select count(*) from feed_refresh_runs").fetchall() == [(1,)]
        ledger = connection.execute(
            "select count(*), count(distinct source_file) from raw_file_ledger"
        ).fetchall()
    assert ledger == [(8, 8)]


def test_extra_columns_named_like_the_readers_own_are_ignored(tmp_path: Path):
    """Log shippers add columns such as `filename`; the reader's own file name and row
    number never meet them. A full build, then a refresh, of files with extra
    `filename` and `file_row_number` columns: every row is read from its file, and
    each rejected row carries its true row number, not the file's column."""
    raw = tmp_path / "raw"
    (raw / "impressions").mkdir(parents=True)
    (raw / "engagements").mkdir(parents=True)
    database = tmp_path / "feed.duckdb"

    def with_shipper_columns(table: pa.Table) -> pa.Table:
        rows = table.num_rows
        return table.append_column("filename", pa.array(["shipper.log"] * rows)).append_column(
            "file_row_number", pa.array(range(1000, 1000 + rows), pa.int64())
        )

    for day in (0, 1):  # a full build, then a refresh that reads the new file
        impressions = _impressions(day, 40)
        invalid = pa.array([None if i == 3 else 1 + i % 5 for i in range(40)], pa.int64())
        impressions = impressions.set_column(0, "user_id", invalid)
        pq.write_table(with_shipper_columns(impressions), raw / "impressions" / f"{day}.parquet")
        pq.write_table(
            with_shipper_columns(_engagements(day)), raw / "engagements" / f"{day}.parquet"
        )
        build(raw, database, tmp_path)
    with duckdb.connect(str(database), read_only=True) as connection:
        clean = connection.execute(
            "select source_file, count(*) from stg_feed__impressions group by all order by all"
        ).fetchall()
        engaged = connection.execute("select count(*) from stg_feed__engagements").fetchall()
        rejected = connection.execute(
            "select source_name, source_file, source_row_number, reject_reason "
            "from stg_feed__rejected_rows order by all"
        ).fetchall()
    assert clean == [("impressions/0.parquet", 39), ("impressions/1.parquet", 39)]
    assert engaged == [(4,)]
    assert rejected == [
        ("impressions", "impressions/0.parquet", 3, "null_user_id"),
        ("impressions", "impressions/1.parquet", 3, "null_user_id"),
    ]


# Instants with nanoseconds, two of them a nanosecond either side of midnight UTC.
INSTANTS_NS = [
    pd.Timestamp("2026-02-02 23:59:59.999999999", tz="UTC"),
    pd.Timestamp("2026-02-03 00:00:00.000000001", tz="UTC"),
    pd.Timestamp("2026-02-03 11:30:00.123456789", tz="UTC"),
]
# Timestamp units and time zones as writers store them: pandas datetime64[ns, tz]
# (its instants in UTC, the zone in the metadata), pyarrow nanoseconds with and
# without a zone, and seconds (Parquet stores them as milliseconds, which DuckDB
# reads as microsecond timestamps).
TIMESTAMP_KINDS = {
    "pandas_ns_paris": lambda instants: pa.array(pd.Series(instants).dt.tz_convert("Europe/Paris")),
    "ns_utc": lambda instants: pa.array(pd.Series(instants), pa.timestamp("ns", tz="UTC")),
    "ns_naive": lambda instants: pa.array(
        pd.Series(instants).dt.tz_localize(None), pa.timestamp("ns")
    ),
    "s_naive": lambda instants: pa.array(
        pd.Series(instants).dt.floor("s").dt.tz_localize(None), pa.timestamp("s")
    ),
}


@pytest.mark.parametrize(
    ("impression_kind", "engagement_kind"),
    [("pandas_ns_paris", "ns_naive"), ("ns_utc", "s_naive")],
)
def test_every_timestamp_unit_lands_on_the_days_of_its_instants(
    tmp_path: Path, impression_kind: str, engagement_kind: str
):
    """Timestamps of any unit, with or without a time zone, hold UTC instants: their
    clean rows are the instants as microsecond timestamps would store them (cut, not
    rounded: 23:59:59.999999999 stays on its day), on the UTC days of the instants."""
    raw = tmp_path / "raw"
    (raw / "impressions").mkdir(parents=True)
    (raw / "engagements").mkdir(parents=True)
    rows = len(INSTANTS_NS)
    ids = pa.array(range(1, rows + 1), pa.int64())
    impressions = pa.table(
        {
            "user_id": ids,
            "tweet_id": ids,
            "impression_ts": TIMESTAMP_KINDS[impression_kind](INSTANTS_NS),
        }
    )
    engagements = pa.table(
        {
            "user_id": ids,
            "tweet_id": ids,
            "action": ["like"] * rows,
            "engagement_ts": TIMESTAMP_KINDS[engagement_kind](INSTANTS_NS),
        }
    )
    pq.write_table(impressions, raw / "impressions" / "0.parquet")
    pq.write_table(engagements, raw / "engagements" / "0.parquet")
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path)

    def stored_as_microseconds(kind: str) -> list[tuple]:
        """The rows the same instants give when written as microsecond timestamps."""
        written = TIMESTAMP_KINDS[kind](INSTANTS_NS).cast(pa.timestamp("us", tz="UTC"), safe=False)
        return [
            (i + 1, instant.replace(tzinfo=None), instant.date())
            for i, instant in enumerate(written.to_pylist())
        ]

    with duckdb.connect(str(database), read_only=True) as connection:
        clean = {
            log: connection.execute(
                f"select user_id, {log[:-1]}_ts, {log[:-1]}_date from stg_feed__{log} order by all"
            ).fetchall()
            for log in ("impressions", "engagements")
        }
    assert clean["impressions"] == stored_as_microseconds(impression_kind)
    assert clean["engagements"] == stored_as_microseconds(engagement_kind)
