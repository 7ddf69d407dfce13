"""The daily refresh of the feed training data, as an Airflow 3 DAG (docs/operations.md).

Two tasks, each one `make` target of the project's checkout: `freshness` (stop when
the raw logs are stale: nothing is built) then `refresh`. A retry re-runs
`make refresh`, which plans its window from the data and the run ledger: a build
that was killed recorded no run, so the retry redoes its window. No command falls
back to another that could turn a failure into a success.

Every command gets the same environment: the worker's own (append_env), plus the
raw logs (`RAW`) and the database (`FEED_DUCKDB_PATH`), and takes the checkout's
lock (`logs/refresh.lock`, the one the documented cron line takes), so a run never
meets another run, a cron run or a hand-run `make` on the DuckDB file: it waits.

Settings, from the environment of the Airflow processes (else the defaults):
FEED_PROJECT_DIR (the checkout; default: the one holding this file, when the
dags folder is or links to orchestration/airflow), FEED_RAW_PATH (default
data/raw), FEED_DUCKDB_PATH (default data/feed.duckdb; relative paths are read
from the checkout) and FEED_RETRY_DELAY_MINUTES (default 30).

Which day a run is about: the run that fires at 03:15 UTC on 21 January has the
data interval 20 January 03:15 to 21 January 03:15, and the logical date 20 January
03:15 (its start, as in Airflow 2; Airflow 3's plain cron schedule, without the
interval, would date it 21 January). The logs it follows are those of 20 January,
the UTC day its data interval starts on. A scheduled or manual run refreshes
whatever the data and the run ledger say (so a late run catches up by itself); a
backfill run (`airflow backfill create ... --max-active-runs 1`) replays its day with
`make refresh DATE=<that day>`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, CronTriggerTimetable

PROJECT_DIR = os.environ.get("FEED_PROJECT_DIR") or str(Path(__file__).resolve().parents[2])
ENV = {
    "RAW": os.environ.get("FEED_RAW_PATH", "data/raw"),
    "FEED_DUCKDB_PATH": os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb"),
}
RETRY_DELAY = dt.timedelta(minutes=float(os.environ.get("FEED_RETRY_DELAY_MINUTES", "30")))
# One run at a time on the database, whoever starts it (cron takes the same lock).
LOCKED = "mkdir -p logs && flock logs/refresh.lock "
# The day of logs a run follows: the UTC day its data interval starts on. (`ds` is
# that day too with this DAG's timetable, but the run's own day under Airflow 3's
# plain cron schedule.)
LOGS_DAY = "{{ data_interval_start | ds }}"

with DAG(
    dag_id="feed_training_data",
    description="Source freshness, then the daily refresh of the feed training data",
    doc_md=__doc__,
    # 03:15 UTC, after the logs of the day before have landed; each run's data
    # interval is the day before it, and its logical date that interval's start.
    schedule=CronTriggerTimetable("15 3 * * *", timezone="UTC", interval=dt.timedelta(days=1)),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    # No catch-up runs after an outage: the next run's window covers every day
    # the missed runs would have (the window comes from the data, not the date).
    catchup=False,
    # One run at a time: a DuckDB file has one writer. (A backfill has a limit of
    # its own: create it with --max-active-runs 1. The lock covers both.)
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": RETRY_DELAY},
    tags=["feed-training-data"],
):
    freshness = BashOperator(
        task_id="freshness",
        bash_command=LOCKED + "make freshness",
        cwd=PROJECT_DIR,
        env=ENV,
        append_env=True,
    )
    refresh = BashOperator(
        task_id="refresh",
        bash_command=LOCKED
        + "make refresh SKIP_FRESHNESS=1"
        + "{% if dag_run.run_type == 'backfill' %} DATE="
        + LOGS_DAY
        + "{% endif %}",
        cwd=PROJECT_DIR,
        env=ENV,
        append_env=True,
    )
    freshness >> refresh
