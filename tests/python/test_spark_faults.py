"""Faults of a scheduled job on Spark (dbt-spark, session method, local mode): a
first build killed (SIGKILL) while it writes a table is repaired by the next
build, and `dbt retry` after a failed refresh runs what failed; both leave the
tables DuckDB builds from the same logs.

Each Spark run is a `dbt` process of its own, as a scheduler starts it, with its
metastore and warehouse in the test's folder (Derby admits one process at a
time, so the tables are read back by a further process after the runs).
Run by `make spark-test` (marker `spark`; Java 17+).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from dbt_harness import (
    MART_KEYS,
    PROJECT_DIR,
    SPLIT_VARS,
    assert_engines_agree,
    build,
    damage_column,
    dbt_args,
    deliver_day,
    node_statuses,
    read_tables,
)

from feedpipe.generate import generate

pytestmark = pytest.mark.spark

START = dt.date(2026, 1, 5)
DAYS = 9
SCHEMA = "faults"
DBT = Path(sys.executable).parent / "dbt"
KEYS = {
    **MART_KEYS,
    "int_examples_labeled": ["user_id", "tweet_id", "event_date"],
    "stg_feed__rejected_rows": ["source_file", "source_row_number"],
}
# Where the kill lands: the first build's CREATE TABLE AS of the labelled
# examples, a table partitioned by day, while its files are being written.
KILLED_MODEL = "int_examples_labeled"
WRITING = (".spark-staging", "_temporary")

READ_TABLES = """
import pickle, sys
from pyspark.sql import SparkSession

folder, schema, out = sys.argv[1], sys.argv[2], sys.argv[3]
spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.sql.warehouse.dir", folder + "/warehouse")
    .config("spark.hadoop.javax.jdo.option.ConnectionURL",
            "jdbc:derby:;databaseName=" + folder + "/metastore_db;create=true")
    .config("spark.driver.extraJavaOptions",
            "-Duser.timezone=UTC -Dderby.system.home=" + folder)
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.ui.enabled", "false")
    .enableHiveSupport()
    .getOrCreate()
)
names = sys.argv[4:]
frames = {name: spark.table(schema + "." + name).toPandas() for name in names}
with open(out, "wb") as handle:
    pickle.dump(frames, handle)
"""


def _command(args: list[str], raw: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    command = [str(DBT), *dbt_args(args, work, {"raw_path": str(raw), **SPLIT_VARS}, "spark")]
    environment = {
        **os.environ,
        "FEED_SPARK_DIR": str(work / "spark"),
        "FEED_SPARK_SCHEMA": SCHEMA,
        "FEED_THREADS": "1",
    }
    return command, environment


def _spark_dbt(args: list[str], raw: Path, work: Path) -> subprocess.CompletedProcess:
    command, environment = _command(args, raw, work)
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, check=False
    )


def _killed_while_writing(model: str, raw: Path, work: Path) -> bool:
    """Run `dbt build` on Spark and SIGKILL it (its whole process group, the JVM
    included) as soon as the model's table folder holds files being written.
    True when it was killed there."""
    command, environment = _command(["build", "--exclude", "test_type:unit"], raw, work)
    folder = work / "spark" / "warehouse" / f"{SCHEMA}.db" / model
    with (
        (work / "killed.log").open("w") as log,
        subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as process,
    ):
        while process.poll() is None:
            if folder.is_dir() and any(p.name.startswith(WRITING) for p in folder.iterdir()):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.02)
    return False


def _read_spark(work: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    out = work / "tables.pickle"
    subprocess.run(
        [sys.executable, "-c", READ_TABLES, str(work / "spark"), SCHEMA, str(out), *names],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as handle:
        return pickle.load(handle)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("faults_logs")
    generate(
        logs,
        days=DAYS,
        start=START,
        impressions_per_day=2_000,
        users=600,
        tweets=1_200,
        seed=23,
    )
    return logs


def _duckdb_tables(logs: Path, days: int, work: Path) -> dict[str, pd.DataFrame]:
    """What DuckDB builds from the first `days` days of the logs."""
    raw = work / "raw"
    for offset in range(days):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
    database = work / "feed.duckdb"
    build(raw, database, work, dbt_vars=SPLIT_VARS, threads=2)
    return read_tables(database, list(KEYS))


def _assert_equal_to_duckdb(spark: dict[str, pd.DataFrame], duckdb: dict[str, pd.DataFrame]):
    for name, want in duckdb.items():
        assert_engines_agree(spark[name], want, name, keys=KEYS[name])


@pytest.fixture(scope="module")
def spark_work(logs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A Spark warehouse whose first build of all days but the last was killed
    mid-write and then repaired by a second build (the tests below go on from it)."""
    work = tmp_path_factory.mktemp("faults_spark")
    raw = work / "raw"
    for offset in range(DAYS - 1):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
    killed = _killed_while_writing(KILLED_MODEL, raw, work)
    leftovers = sorted(
        path.name
        for path in (work / "spark" / "warehouse" / f"{SCHEMA}.db" / KILLED_MODEL).iterdir()
    )
    repair = _spark_dbt(["build", "--exclude", "test_type:unit"], raw, work)
    return {"work": work, "raw": raw, "killed": killed, "leftovers": leftovers, "repair": repair}


def test_a_spark_build_killed_while_writing_a_table_is_repaired_by_the_next_build(
    spark_work: dict, logs: Path, tmp_path: Path
):
    """Killed in the CREATE TABLE AS of a day-partitioned table, the build leaves
    the table's folder with its files half written and, in the tables it had
    built, rows without a day (rejected rows with no timestamp). The next build
    creates the table again in that folder and rewrites the rejected rows
    without duplicating them: every data test passes and the tables equal
    DuckDB's."""
    assert spark_work["killed"], f"the build never wrote {KILLED_MODEL}"
    assert any(name.startswith(WRITING) for name in spark_work["leftovers"])
    repair = spark_work["repair"]
    assert repair.returncode == 0, repair.stdout[-3000:]
    statuses = node_statuses(spark_work["work"])
    assert statuses and set(statuses.values()) <= {"success", "pass"}, statuses
    spark = _read_spark(spark_work["work"], list(KEYS))
    duckdb = _duckdb_tables(logs, DAYS - 1, tmp_path)
    assert duckdb["stg_feed__rejected_rows"]["row_date"].isna().any()
    _assert_equal_to_duckdb(spark, duckdb)


def test_dbt_retry_after_a_failed_spark_refresh_runs_what_failed(
    spark_work: dict, logs: Path, tmp_path: Path
):
    """The last day delivered with a damaged impressions file fails the refresh at
    the base model that reads it; delivered again, `dbt retry` runs exactly the
    nodes that failed or were skipped, and the tables equal DuckDB's build of
    every day. A retry after that does nothing."""
    work, raw = spark_work["work"], spark_work["raw"]
    assert spark_work["repair"].returncode == 0
    day = START + dt.timedelta(days=DAYS - 1)
    deliver_day(logs, raw, day)
    damaged = raw / "impressions" / f"{day}.parquet"
    good = damage_column(damaged, "tweet_id")
    failed = _spark_dbt(["build", "--exclude", "test_type:unit"], raw, work)
    assert failed.returncode == 1
    statuses = node_statuses(work)
    errors = {node for node, status in statuses.items() if status in {"error", "fail"}}
    assert errors == {"model.feed_training_data.base_feed__impressions"}, failed.stdout[-3000:]
    redo = {node for node, status in statuses.items() if status in {"error", "fail", "skipped"}}

    damaged.write_bytes(good)
    retried = _spark_dbt(["retry"], raw, work)
    assert retried.returncode == 0, retried.stdout[-3000:]
    retried_nodes = {node for node in node_statuses(work) if not node.startswith("operation.")}
    assert retried_nodes == redo
    again = _spark_dbt(["retry"], raw, work)
    assert again.returncode == 0
    assert [node for node in node_statuses(work) if not node.startswith("operation.")] == []
    spark = _read_spark(work, list(KEYS))
    _assert_equal_to_duckdb(spark, _duckdb_tables(logs, DAYS, tmp_path))
