"""The DAG of orchestration/airflow run by a real Apache Airflow (its own virtualenv,
`make airflow-venv`; `airflow dags test` on a temporary AIRFLOW_HOME with SQLite) on a
fresh checkout and small generated logs: a normal run; stale logs (nothing built, the
DAG fails); a build killed mid-run (the task fails, its retry builds and records the
run); two runs at once (they take turns). `make airflow-test` runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from checkout import copy_checkout, make_environment
from dbt_harness import PROJECT_DIR, TINY_LOGS, deliver_day

from feedpipe.generate import generate

pytestmark = pytest.mark.airflow

DAG_ID = "feed_training_data"
AIRFLOW = Path(os.environ.get("FEED_AIRFLOW", PROJECT_DIR / ".venv-airflow" / "bin" / "airflow"))


@pytest.fixture(scope="module")
def airflow() -> Path:
    if not AIRFLOW.exists():
        pytest.fail(f"no Airflow at {AIRFLOW}: run `make airflow-venv` (or make airflow-test)")
    return AIRFLOW


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fresh checkout for the module (dbt parses it once); each test has its own
    logs and database."""
    return copy_checkout(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def airflow_database(airflow: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow metadata database (SQLite), migrated once; each run copies it."""
    home = tmp_path_factory.mktemp("airflow_home")
    subprocess.run(
        [str(airflow), "db", "migrate"],
        env=make_environment(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False"),
        capture_output=True,
        check=True,
    )
    return home / "airflow.db"


def logs(raw: Path, newest_days_ago: int, days: int = 2) -> Path:
    """Tiny days of logs, the newest `newest_days_ago` days before today (0: the
    newest rows of today, fresh at any hour of the day)."""
    newest = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=newest_days_ago)
    generate(raw, days=days, start=newest - dt.timedelta(days=days - 1), **TINY_LOGS)
    return raw


def dags_test(
    airflow: Path, airflow_database: Path, checkout: Path, raw: Path, database: Path, home: Path
) -> subprocess.Popen:
    """`airflow dags test` of the DAG (a manual run, its tasks and their retries in
    this one process), on its own AIRFLOW_HOME; started, not waited for."""
    home.mkdir(parents=True)
    shutil.copy(airflow_database, home / "airflow.db")
    environment = make_environment(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(checkout / "orchestration" / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        FEED_RAW_PATH=str(raw),
        FEED_DUCKDB_PATH=str(database),
        FEED_RETRY_DELAY_MINUTES="0.05",
    )
    return subprocess.Popen(
        [str(airflow), "dags", "test", DAG_ID],
        env=environment,
        stdout=open(home / "dags_test.log", "w"),  # the process holds it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finished(process: subprocess.Popen, home: Path) -> dict:
    """Wait for the run; its state and each task's tries, oldest first, from Airflow's
    own database."""
    process.wait(timeout=600)
    with sqlite3.connect(home / "airflow.db") as connection:
        [run_state] = connection.execute("select state from dag_run").fetchall()[0]
        tries: dict[str, list[str]] = {}
        for task, state, _ in connection.execute(
            "select task_id, state, try_number from task_instance_history "
            "union all select task_id, state, try_number from task_instance "
            "order by task_id, try_number"
        ):
            tries.setdefault(task, []).append(state)
    return {"run": run_state, "tries": tries, "log": (home / "dags_test.log").read_text()}


def completed_runs(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            "select runs.window_mode, windows.planned_ts, runs.completed_ts "
            "from feed_refresh_runs as runs inner join feed_refresh_windows as windows "
            "using (invocation_id) order by runs.completed_ts"
        ).fetchall()


def test_the_dag_as_airflow_reads_it(airflow: Path, checkout: Path):
    """One run at a time, no catch-up, a retry delay; every command takes the lock
    and appends the raw logs and the database to the worker's environment. The run
    that fires at 03:15 on 21 January has the logical date 20 January and its data
    interval starts on 20 January (Airflow 3's plain cron schedule would give it 21
    January for both): a backfill run replays that day, any other run passes no
    DATE."""
    script = """
import json, types, pendulum
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import TimeRestriction
from airflow.timetables.trigger import CronTriggerTimetable
from airflow.utils.types import DagRunType
dag = DagBag().dags["feed_training_data"]
after = TimeRestriction(pendulum.datetime(2026, 1, 21, tz="UTC"), None, True)
def first_run(timetable):
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=after)
    return info.run_after, info.logical_date, info.data_interval.start
run = first_run(DagSerialization.from_dict(DagSerialization.to_dict(dag)).timetable)
plain = first_run(CronTriggerTimetable("15 3 * * *", timezone="UTC"))
def command(task, run_type):
    context = {"dag_run": types.SimpleNamespace(run_type=run_type), "data_interval_start": run[2]}
    return dag.get_template_env().from_string(task.bash_command).render(**context)
print(json.dumps({
    "max_active_runs": dag.max_active_runs,
    "catchup": dag.catchup,
    "run": [moment.isoformat() for moment in run],
    "plain_cron": [moment.isoformat() for moment in plain],
    "tasks": {task.task_id: {
        "upstream": sorted(task.upstream_task_ids),
        "retries": task.retries,
        "retry_delay": task.retry_delay.total_seconds(),
        "env": task.env,
        "append_env": task.append_env,
        "cwd": task.cwd,
        "scheduled": command(task, DagRunType.SCHEDULED),
        "manual": command(task, DagRunType.MANUAL),
        "backfill": command(task, DagRunType.BACKFILL_JOB),
    } for task in dag.tasks},
}))
"""
    environment = make_environment(
        AIRFLOW__CORE__DAGS_FOLDER=str(checkout / "orchestration" / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        FEED_RAW_PATH="/data/feed/raw",
        FEED_DUCKDB_PATH="/srv/feed/feed.duckdb",
    )
    python = airflow.parent / "python"
    result = subprocess.run(
        [str(python), "-c", script], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    dag = json.loads(result.stdout.splitlines()[-1])
    assert (dag["max_active_runs"], dag["catchup"]) == (1, False)
    assert dag["run"] == [
        "2026-01-21T03:15:00+00:00",  # fires
        "2026-01-20T03:15:00+00:00",  # logical date ({{ ds }}: 2026-01-20)
        "2026-01-20T03:15:00+00:00",  # data interval start
    ]
    assert dag["plain_cron"] == ["2026-01-21T03:15:00+00:00"] * 3
    tasks = dag["tasks"]
    assert tasks["freshness"]["upstream"] == [] and tasks["refresh"]["upstream"] == ["freshness"]
    lock = "mkdir -p logs && flock logs/refresh.lock "
    for task in tasks.values():
        assert task["env"] == {"RAW": "/data/feed/raw", "FEED_DUCKDB_PATH": "/srv/feed/feed.duckdb"}
        assert task["append_env"] and task["cwd"] == str(checkout)
        assert task["retries"] == 2 and task["retry_delay"] == 30 * 60
        assert task["scheduled"].startswith(lock) and "|" not in task["scheduled"]
    assert tasks["freshness"]["scheduled"] == lock + "make freshness"
    assert tasks["refresh"]["scheduled"] == lock + "make refresh SKIP_FRESHNESS=1"
    assert tasks["refresh"]["manual"] == tasks["refresh"]["scheduled"]
    assert tasks["refresh"]["backfill"] == lock + "make refresh SKIP_FRESHNESS=1 DATE=2026-01-20"


def test_a_normal_run_checks_freshness_then_builds_and_records_the_run(
    airflow: Path, airflow_database: Path, checkout: Path, tmp_path: Path
):
    raw, database = logs(tmp_path / "raw", newest_days_ago=0), tmp_path / "feed.duckdb"
    home = tmp_path / "airflow"
    run = finished(dags_test(airflow, airflow_database, checkout, raw, database, home), home)
    assert run["run"] == "success", run["log"][-3000:]
    assert run["tries"] == {"freshness": ["success"], "refresh": ["success"]}
    assert [mode for mode, *_ in completed_runs(database)] == ["full"]


def test_stale_logs_fail_the_run_and_build_nothing(
    airflow: Path, airflow_database: Path, checkout: Path, tmp_path: Path
):
    """The newest row three days old: freshness errors on each of its three tries,
    the refresh never runs, the run fails and the database holds no model."""
    raw, database = logs(tmp_path / "raw", newest_days_ago=3), tmp_path / "feed.duckdb"
    home = tmp_path / "airflow"
    run = finished(dags_test(airflow, airflow_database, checkout, raw, database, home), home)
    assert run["run"] == "failed"
    assert run["tries"] == {"freshness": ["failed"] * 3, "refresh": ["upstream_failed"]}
    assert "ERROR STALE freshness of feed.impressions" in run["log"]
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = {name for (name,) in connection.execute("show tables").fetchall()}
    assert "train_examples" not in tables


def test_a_build_killed_mid_run_fails_its_task_and_the_retry_records_the_run(
    airflow: Path, airflow_database: Path, checkout: Path, tmp_path: Path
):
    """Two days built, the third delivered; the DAG's refresh is SIGKILLed while dbt
    builds the labelled examples. The task fails (no command turns the failure into a
    success: after a good build, `|| dbt retry` finds nothing to retry and exits 0),
    and its retry runs `make refresh` again, which plans from the run ledger (the
    killed run recorded nothing) and takes the third day in."""
    newest = dt.datetime.now(dt.UTC).date()
    all_logs = logs(tmp_path / "all_logs", newest_days_ago=0, days=3)
    raw, database = tmp_path / "raw", tmp_path / "feed.duckdb"
    for day in (newest - dt.timedelta(days=2), newest - dt.timedelta(days=1)):
        deliver_day(all_logs, raw, day)
    built = subprocess.run(
        ["make", "refresh", "SKIP_FRESHNESS=1", f"RAW={raw}"],
        cwd=checkout,
        env=make_environment(FEED_DUCKDB_PATH=str(database)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    deliver_day(all_logs, raw, newest)

    home = tmp_path / "airflow"
    dbt_log = checkout / "logs" / "dbt.log"
    offset = dbt_log.stat().st_size
    process = dags_test(airflow, airflow_database, checkout, raw, database, home)
    deadline = time.monotonic() + 300
    while not _started(dbt_log, offset, "model main.int_examples_labeled "):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    [dbt] = _dbt_builds(checkout)
    os.kill(dbt, signal.SIGKILL)
    run = finished(process, home)
    assert run["run"] == "success", run["log"][-3000:]
    assert run["tries"] == {"freshness": ["success"], "refresh": ["failed", "success"]}
    assert "Error 137" in run["log"]  # make: the build was killed
    runs = completed_runs(database)
    assert [mode for mode, *_ in runs] == ["full", "scheduled"]
    with duckdb.connect(str(database), read_only=True) as connection:
        [(watermark,)] = connection.execute(
            "select cast(watermark_ts as date) from feed_refresh_runs "
            "order by completed_ts desc limit 1"
        ).fetchall()
    assert watermark == newest


def test_two_runs_at_once_take_turns_on_the_database(
    airflow: Path, airflow_database: Path, checkout: Path, tmp_path: Path
):
    """Two runs started together (a backfill run beside the scheduled one, which
    Airflow limits apart; a run beside a cron run): each command waits for the
    checkout's lock, so both succeed at their first try and the second run plans
    only after the first completed."""
    raw, database = logs(tmp_path / "raw", newest_days_ago=0), tmp_path / "feed.duckdb"
    homes = [tmp_path / "airflow_a", tmp_path / "airflow_b"]
    processes = [
        dags_test(airflow, airflow_database, checkout, raw, database, home) for home in homes
    ]
    for process, home in zip(processes, homes, strict=True):
        run = finished(process, home)
        assert run["run"] == "success", run["log"][-3000:]
        assert run["tries"] == {"freshness": ["success"], "refresh": ["success"]}
    first, second = completed_runs(database)
    assert (first[0], second[0]) == ("full", "scheduled")
    assert second[1] > first[2]  # planned after the first run completed


def _started(dbt_log: Path, offset: int, node: str) -> bool:
    if not dbt_log.exists():
        return False
    with open(dbt_log) as log:
        log.seek(offset)
        return any("START" in line and node in line for line in log)


def _dbt_builds(checkout: Path) -> list[int]:
    """The dbt build processes running in the checkout."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == str(checkout.resolve()) and b".venv/bin/dbt" in command and b"build" in command:
            found.append(int(entry.name))
    return found
