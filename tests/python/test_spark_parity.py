"""The same logs and vars built on DuckDB and on Spark (dbt-spark, session
method, local mode) give identical marts: same rows, labels, rates and weights.

Run by `make spark-test` (marker `spark`): it needs Java 17+, which the
Makefile checks first.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import MART_KEYS, assert_engines_agree, build, normalise, read_tables, run_dbt

from feedpipe.generate import generate

pytestmark = pytest.mark.spark

# The draw at fixed per-task rates (the balanced draw is the cluster parity's),
# the per-user cap after it (a window over each user's drawn rows), the stream
# and the impressions' context columns too.
PARITY_VARS = {
    "validation_days": 2,
    "test_days": 2,
    "stream_sampling_rate": 0.5,
    "sampling_mode": "fixed_rates",
    "fixed_sampling_rates": {
        "like": {"positive": 0.8387, "negative": 0.05},
        "reply": {"positive": 1.0, "negative": 0.05},
        "retweet": {"positive": 0.9, "negative": 0.05},
        "quote": {"positive": 1.0, "negative": 0.1},
        "any": {"positive": 0.8, "negative": 0.05},
    },
    "per_user_daily_cap": 1,
    "impression_context_columns": {"position": "integer", "surface": "string"},
}
START = dt.date(2026, 1, 5)
EMPTIED_DAY = START + dt.timedelta(days=8)
TABLES = [*MART_KEYS, "int_examples_labeled"]


def _spark_tables(schema: str, names: list[str]) -> dict[str, pd.DataFrame]:
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # dbt-spark's in-process session
    frames = {}
    for name in names:
        frames[name] = spark.table(f"{schema}.{name}").toPandas()
    return frames


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("parity")
    raw = work / "raw"
    generate(
        raw,
        days=9,
        start=START,
        impressions_per_day=2_000,
        users=600,
        tweets=1_200,
        seed=21,
    )
    duckdb_database = work / "feed.duckdb"
    build(raw, duckdb_database, work / "duckdb", dbt_vars=PARITY_VARS, threads=2)
    # One Spark JVM per test process: its state lives in this folder.
    os.environ.setdefault("FEED_SPARK_DIR", str(work / "spark"))
    os.environ["FEED_SPARK_SCHEMA"] = "parity"
    # The first Spark build runs dbt's unit tests too: on Spark's SQL.
    build(
        raw,
        duckdb_database,
        work / "spark",
        dbt_vars=PARITY_VARS,
        target="spark",
        unit_tests=True,
    )
    # A second Spark build runs the incremental path (a scheduled refresh).
    build(raw, duckdb_database, work / "spark", dbt_vars=PARITY_VARS, target="spark")
    built = {
        "duckdb": read_tables(duckdb_database, TABLES),
        "spark": _spark_tables("parity", TABLES),
    }
    # The last day's files are withdrawn and that day backfilled: on both
    # engines the day must become empty (Spark's dynamic partition overwrite
    # alone would keep the old rows).
    for log in ("impressions", "engagements"):
        (raw / log / f"{EMPTIED_DAY}.parquet").unlink()
    backfill = {**PARITY_VARS, "refresh_start_date": str(EMPTIED_DAY)}
    build(raw, duckdb_database, work / "duckdb", dbt_vars=backfill, threads=2)
    build(raw, duckdb_database, work / "spark", dbt_vars=backfill, target="spark")
    built["after_backfill"] = {
        "duckdb": read_tables(duckdb_database, ["int_examples_labeled"])["int_examples_labeled"],
        "spark": _spark_tables("parity", ["int_examples_labeled"])["int_examples_labeled"],
    }
    built.update({"raw": raw, "work": work, "duckdb_database": duckdb_database})
    return built


@pytest.mark.parametrize("name", TABLES)
def test_spark_and_duckdb_give_identical_tables(builds: dict, name: str):
    assert_engines_agree(builds["spark"][name], builds["duckdb"][name], name)


def test_a_day_that_became_empty_is_emptied_on_both_engines(builds: dict):
    labeled = builds["after_backfill"]
    before = builds["duckdb"]["int_examples_labeled"]
    assert (pd.to_datetime(before["event_date"]).dt.date == EMPTIED_DAY).any()
    for engine in ("duckdb", "spark"):
        days = set(pd.to_datetime(labeled[engine]["event_date"]).dt.date)
        assert EMPTIED_DAY not in days, engine
        assert EMPTIED_DAY - dt.timedelta(days=1) in days, engine
    columns = list(labeled["duckdb"].columns)
    keys = ["user_id", "tweet_id", "event_date"]
    got, want = (
        normalise(labeled[engine], columns).sort_values(keys).reset_index(drop=True)
        for engine in ("spark", "duckdb")
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_the_same_logs_as_a_metastore_table_give_the_same_marts_on_spark(builds: dict):
    """The logs (without the day the backfill withdrew) as Parquet tables of the
    metastore, partitioned by load day, one load batch per file: a Spark build
    from them (raw_input tables) gives the labeled examples of a DuckDB build of
    the same files, and a second build, which finds no new batch, changes nothing."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.getOrCreate()
    spark.sql("create schema if not exists parity_warehouse")
    for log in ("impressions", "engagements"):
        day = F.to_date(F.regexp_extract(F.col("_metadata.file_name"), r"^(.*)\.parquet$", 1))
        loaded = (
            spark.read.parquet(str(builds["raw"] / log))
            .select("*", (F.to_timestamp(day) + F.expr("interval 25 hours")).alias("loaded_at"))
            .withColumn("load_date", F.to_date("loaded_at"))
        )
        loaded.write.mode("overwrite").format("parquet").partitionBy("load_date").saveAsTable(
            f"parity_warehouse.{log}"
        )
    table_vars = {**PARITY_VARS, "raw_input": "tables", "raw_tables_schema": "parity_warehouse"}
    os.environ["FEED_SPARK_SCHEMA"] = "parity_tables"
    try:
        work = builds["work"] / "spark_tables"
        build(builds["raw"], builds["duckdb_database"], work, dbt_vars=table_vars, target="spark")
        first = _spark_tables("parity_tables", ["int_examples_labeled"])["int_examples_labeled"]
        build(builds["raw"], builds["duckdb_database"], work, dbt_vars=table_vars, target="spark")
        again = _spark_tables("parity_tables", ["int_examples_labeled"])["int_examples_labeled"]
    finally:
        os.environ["FEED_SPARK_SCHEMA"] = "parity"
    duckdb_database = builds["work"] / "tables_reference.duckdb"
    build(builds["raw"], duckdb_database, builds["work"] / "duckdb_reference", PARITY_VARS)
    want = read_tables(duckdb_database, ["int_examples_labeled"])["int_examples_labeled"]
    for got in (first, again):
        assert_engines_agree(got, want, "int_examples_labeled")


def test_a_float_id_file_stops_a_spark_run_or_is_quarantined(builds: dict):
    """Last in the module: it adds a file to the shared logs. Spark checks the
    new file's schema from its footer and stops naming it; quarantined, the
    file is recorded in the ledger and Spark prunes it unread (reading it
    under the declared bigint would fail)."""
    raw, work = builds["raw"], builds["work"] / "spark"
    day = START + dt.timedelta(days=7)
    table = pq.read_table(raw / "impressions" / f"{day}.parquet")
    floats = table.set_column(
        table.schema.get_field_index("user_id"),
        "user_id",
        pa.compute.cast(table.column("user_id"), pa.float64()),
    )
    pq.write_table(floats, raw / "impressions" / "floats.parquet")
    spark_vars = {"raw_path": str(raw), **PARITY_VARS}
    result = run_dbt(["build"], builds["duckdb_database"], work, spark_vars, target="spark")
    assert not result.success
    messages = str(result.exception) + " ".join(str(r.message) for r in result.result or [])
    assert "impressions/floats.parquet: column user_id is double" in messages
    build(
        raw,
        builds["duckdb_database"],
        work,
        dbt_vars={**PARITY_VARS, "raw_schema_errors": "quarantine"},
        target="spark",
    )
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    [row] = spark.sql(
        "select raw_rows, quarantine_reason from parity.raw_file_ledger "
        "where source_file = 'impressions/floats.parquet'"
    ).collect()
    assert row.raw_rows == table.num_rows
    assert row.quarantine_reason.startswith("schema: column user_id is double")
