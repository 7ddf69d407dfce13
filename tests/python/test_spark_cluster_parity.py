"""The same logs built on DuckDB and on Spark as a cluster runs it: dbt-spark's
thrift method against a Thrift server (HiveThriftServer2, default session mode:
one session per connection) whose executors run on a standalone master and two
workers. A full build, then a delivered day's scheduled refresh, give the same
marts and labelled examples on both engines, and both workers ran tasks.

Run by `make spark-cluster-test` (marker `spark_cluster`), which starts the
cluster around pytest (spark/cluster.sh) and sets FEED_SPARK_THRIFT_HOST,
FEED_SPARK_THRIFT_PORT and FEED_SPARK_DRIVER_UI. Spark is read through PyHive,
as any client of the server would, not through a SparkSession.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
import urllib.request

import pandas as pd
import pytest
from dbt_harness import MART_KEYS, SPLIT_VARS, assert_engines_agree, build, deliver_day, read_tables

from feedpipe.generate import generate

pytestmark = pytest.mark.spark_cluster

SCHEMA = "cluster_parity"
START = dt.date(2026, 1, 5)
DAYS = 8
TABLES = [*MART_KEYS, "int_examples_labeled"]
HOST = os.environ.get("FEED_SPARK_THRIFT_HOST", "127.0.0.1")
PORT = int(os.environ.get("FEED_SPARK_THRIFT_PORT", "10001"))


def _spark_tables(names: list[str], schema: str = SCHEMA) -> dict[str, pd.DataFrame]:
    from pyhive import hive

    frames = {}
    with hive.connect(host=HOST, port=PORT, database=schema) as connection:
        cursor = connection.cursor()
        for name in names:
            cursor.execute(f"select * from {schema}.{name}")
            columns = [column[0].rsplit(".", 1)[-1] for column in cursor.description]
            frames[name] = pd.DataFrame(cursor.fetchall(), columns=columns)
    return frames


def _drop_schemas() -> None:
    """A full build: nothing left from an earlier run of this module on the server."""
    from pyhive import hive

    with hive.connect(host=HOST, port=PORT) as connection:
        cursor = connection.cursor()
        for schema in (SCHEMA, f"{SCHEMA}_raw", f"{SCHEMA}_warehouse", f"{SCHEMA}_tables"):
            cursor.execute(f"drop schema if exists {schema} cascade")


def _timed(step: str, timings: dict, *args, **kwargs) -> None:
    began = time.monotonic()
    build(*args, **kwargs)
    timings[step] = round(time.monotonic() - began, 1)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    try:
        socket.create_connection((HOST, PORT), timeout=5).close()
    except OSError as error:
        pytest.fail(f"no Thrift server on {HOST}:{PORT} ({error}): run `make spark-cluster-test`")
    work = tmp_path_factory.mktemp("cluster_parity")
    all_logs, raw = work / "all_logs", work / "raw"
    generate(
        all_logs,
        days=DAYS + 1,
        start=START,
        impressions_per_day=2_000,
        users=600,
        tweets=1_200,
        seed=21,
    )
    for offset in range(DAYS):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))
    os.environ["FEED_SPARK_SCHEMA"] = SCHEMA
    _drop_schemas()
    database, timings = work / "feed.duckdb", {}
    spark = {"target": "spark_thrift", "threads": 2}
    _timed("duckdb build", timings, raw, database, work / "duckdb", SPLIT_VARS, threads=2)
    _timed("spark_thrift build", timings, raw, database, work / "spark", SPLIT_VARS, **spark)
    built = {"full": {"duckdb": read_tables(database, TABLES), "spark": _spark_tables(TABLES)}}
    # One more day's files arrive; the scheduled refresh takes them in.
    deliver_day(all_logs, raw, START + dt.timedelta(days=DAYS))
    _timed("duckdb refresh", timings, raw, database, work / "duckdb", SPLIT_VARS, threads=2)
    _timed("spark_thrift refresh", timings, raw, database, work / "spark", SPLIT_VARS, **spark)
    built["refresh"] = {"duckdb": read_tables(database, TABLES), "spark": _spark_tables(TABLES)}
    print(f"\ncluster parity timings (s): {json.dumps(timings)}")
    built.update({"raw": raw, "work": work, "database": database})
    return built


@pytest.mark.parametrize("run", ["full", "refresh"])
@pytest.mark.parametrize("name", TABLES)
def test_a_thrift_server_and_duckdb_give_identical_tables(builds: dict, run: str, name: str):
    assert_engines_agree(builds[run]["spark"][name], builds[run]["duckdb"][name], name)


def test_the_refresh_took_in_the_delivered_day(builds: dict):
    def days(engine: str) -> set:
        labeled = builds["refresh"][engine]["int_examples_labeled"]
        return set(pd.to_datetime(labeled["event_date"]).dt.date)

    last = START + dt.timedelta(days=DAYS)
    before = set(pd.to_datetime(builds["full"]["spark"]["int_examples_labeled"]["event_date"]))
    assert last not in {day.date() for day in before}
    assert last in days("spark") and last in days("duckdb")


def test_the_same_logs_as_metastore_tables_give_the_same_labels_through_the_server(
    builds: dict,
):
    """The delivered days as Parquet tables of the server's metastore, partitioned by
    load day, one load batch per file (raw_input tables): a build through the Thrift
    server gives the labeled examples DuckDB built from the files."""
    from pyhive import hive

    warehouse = f"{SCHEMA}_warehouse"
    with hive.connect(host=HOST, port=PORT) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create schema if not exists {warehouse}")
        for log in ("impressions", "engagements"):
            day = r"to_date(regexp_extract(_metadata.file_name, '^(.*)\\.parquet$', 1))"
            cursor.execute(
                f"create table {warehouse}.{log} using parquet partitioned by (load_date) as "
                f"select *, to_timestamp({day}) + interval 25 hours as loaded_at, "
                f"date_add({day}, 1) as load_date "
                f"from parquet.`{builds['raw'] / log}`"
            )
    table_vars = {**SPLIT_VARS, "raw_input": "tables", "raw_tables_schema": warehouse}
    os.environ["FEED_SPARK_SCHEMA"] = f"{SCHEMA}_tables"
    try:
        build(
            builds["raw"],
            builds["database"],
            builds["work"] / "spark_tables",
            table_vars,
            target="spark_thrift",
            threads=2,
        )
    finally:
        os.environ["FEED_SPARK_SCHEMA"] = SCHEMA
    got = _spark_tables(["int_examples_labeled"], f"{SCHEMA}_tables")["int_examples_labeled"]
    want = builds["refresh"]["duckdb"]["int_examples_labeled"]
    assert_engines_agree(got, want, "int_examples_labeled")


def test_both_workers_ran_tasks(builds: dict):
    ui = os.environ.get("FEED_SPARK_DRIVER_UI", "http://127.0.0.1:4141")
    with urllib.request.urlopen(f"{ui}/api/v1/applications", timeout=10) as response:
        [application] = json.load(response)
    url = f"{ui}/api/v1/applications/{application['id']}/executors"
    with urllib.request.urlopen(url, timeout=10) as response:
        executors = [e for e in json.load(response) if e["id"] != "driver"]
    # One core per worker and per executor: two live executors are on two workers.
    assert len(executors) == 2, executors
    assert all(e["totalTasks"] > 0 for e in executors), executors
