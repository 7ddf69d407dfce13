"""The scheduled runs as an operator meets them: scheduled targets install nothing;
dates are days of the calendar; how many missed deliveries the freshness gate lets
pass; the cron line of docs/operations.md, run as cron runs it on a fresh checkout;
a run stopped by SIGTERM stops dbt and says so in its log."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from checkout import make_environment
from dbt_harness import PROJECT_DIR, TINY_LOGS, run_dbt

from feedpipe.generate import generate

OPERATIONS = PROJECT_DIR / "docs" / "operations.md"


def make(*args: str, cwd: Path = PROJECT_DIR, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=make_environment(**environment),
        capture_output=True,
        text=True,
        check=False,
    )


def own_lines(stderr: str) -> list[str]:
    """What a recipe said, without make's own closing lines (`make: *** [...] Error 2`,
    `make[1]: *** ...` from the freshness gate's make)."""
    return [line for line in stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]


def tiny_logs(raw: Path, newest_days_ago: int = 0) -> Path:
    """Two tiny days of logs, the newest `newest_days_ago` days before today (0: the
    newest rows of today, fresh at any hour of the day)."""
    newest = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=newest_days_ago)
    generate(raw, days=2, start=newest - dt.timedelta(days=1), **TINY_LOGS)
    return raw


def completed_runs(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("select count(*) from feed_refresh_runs").fetchone()[0]


# Scheduled targets install nothing.


@pytest.mark.parametrize("target", ["refresh", "backfill START=2026-01-05", "freshness"])
@pytest.mark.parametrize("state", ["missing", "stale"])
def test_a_scheduled_target_without_its_environment_names_make_venv_and_installs_nothing(
    target: str, state: str, tmp_path: Path
):
    """A cron or Airflow run whose environment is missing, or older than
    pyproject.toml (a `git pull`), stops in one line naming `make venv`; it never
    runs `python3 -m venv` (PYTHON=false would fail if it tried)."""
    venv = tmp_path / "venv"
    if state == "stale":
        venv.mkdir()
        (venv / ".installed").touch()
        stamp = (PROJECT_DIR / "pyproject.toml").stat().st_mtime - 3600
        os.utime(venv / ".installed", (stamp, stamp))
    before = sorted(tmp_path.rglob("*"))
    result = make(*target.split(), f"VENV={venv}", "PYTHON=false")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "run `make venv`" in line and str(venv) in line
    assert ("older than pyproject.toml" in line) == (state == "stale")
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before


# Dates are checked against the calendar before dbt starts.


@pytest.mark.parametrize(
    ("args", "name", "value"),
    [
        (["refresh", "DATE=2026-11-31"], "DATE", "2026-11-31"),
        (["backfill", "START=2026-02-29"], "START", "2026-02-29"),
        (["backfill", "START=2026-01-05", "END=2026-13-01"], "END", "2026-13-01"),
        (["refresh", "DATE=26-01-05"], "DATE", "26-01-05"),
    ],
)
def test_a_date_off_the_calendar_is_refused_in_one_line_before_dbt(
    args: list[str], name: str, value: str, tmp_path: Path
):
    database = tmp_path / "feed.duckdb"
    result = make(*args, FEED_DUCKDB_PATH=str(database))
    assert result.returncode == 2
    assert own_lines(result.stderr) == [
        f"{name} must be a day of the calendar written YYYY-MM-DD, got: {value}"
    ]
    assert "preflight" not in result.stdout and "dbt" not in result.stdout
    assert not database.exists()


def test_a_day_of_the_calendar_passes_the_date_check(tmp_path: Path):
    """29 February of a leap year passes, and the run goes on to its next check
    (here the database, which cannot be created under a file)."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = make("refresh", "DATE=2028-02-29", FEED_DUCKDB_PATH=str(blocker / "feed.duckdb"))
    assert result.returncode == 2
    [line] = own_lines(result.stderr)
    assert "cannot be opened for writing" in line and "FEED_DUCKDB_PATH" in line


# Freshness: how many missed deliveries a daily run lets pass.


def _newest_rows(raw: Path, ages: dict[str, float], now: dt.datetime) -> None:
    """One row per log, as old as `ages` says (hours before `now`)."""
    for log, hours in ages.items():
        at = pa.array([now - dt.timedelta(hours=hours)], pa.timestamp("us", tz="UTC"))
        ids = pa.array([1], pa.int64())
        columns = {"user_id": ids, "tweet_id": ids}
        if log == "engagements":
            columns |= {"action": pa.array(["like"]), "engagement_ts": at}
        else:
            columns |= {"impression_ts": at}
        (raw / log).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), raw / log / "newest.parquet")


# A daily run at 03:15 UTC; a day's logs reach its last minute (23:59). The newest
# row the run finds after k missed deliveries is 3 h 16 min + k days old; a day
# delivered only up to its noon is 12 hours older. docs/operations.md, "Freshness".
RUN = 3 + 16 / 60
FOUND = {
    "the day before": RUN,
    "the day before up to its noon only": RUN + 12,
    "one missed delivery": RUN + 24,
    "two missed deliveries": RUN + 48,
}
EXPECTED = {
    # (defaults: warn 12 h, error 24 h) and (error after 48 h)
    "the day before": ("pass", "pass"),
    "the day before up to its noon only": ("warn", "warn"),
    "one missed delivery": ("error", "warn"),
    "two missed deliveries": ("error", "error"),
}


@pytest.mark.slow
@pytest.mark.parametrize("error_after", [None, 48], ids=["defaults", "error_after_48"])
def test_freshness_errors_on_the_missed_deliveries_the_docs_say(
    error_after: int | None, tmp_path: Path
):
    """Each case of the docs' table, two at a time (one per log), through
    `dbt source freshness --select source:feed` as `make freshness` runs it."""
    column = 0 if error_after is None else 1
    cases = list(FOUND)
    freshness_vars = {} if error_after is None else {"freshness_error_after_hours": error_after}
    for pair in (cases[:2], cases[2:]):
        raw = tmp_path / "_".join(pair).replace(" ", "_")
        _newest_rows(raw, {"impressions": FOUND[pair[0]], "engagements": FOUND[pair[1]]}, now())
        result = run_dbt(
            ["source", "freshness", "--select", "source:feed"],
            tmp_path / "freshness.duckdb",
            tmp_path,
            {"raw_path": str(raw), **freshness_vars},
        )
        statuses = {r.node.name: str(r.status) for r in result.result}
        expected = [EXPECTED[case][column] for case in pair]
        assert [statuses["impressions"], statuses["engagements"]] == expected, pair
        assert result.success == ("error" not in expected)  # a warning exits 0


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The documented cron line, run as cron runs it on a fresh checkout.


def documented_cron_line() -> str:
    """The one line of the cron block in docs/operations.md."""
    [block] = re.findall(r"```cron\n(.*?)```", OPERATIONS.read_text(), re.DOTALL)
    [line] = block.strip().splitlines()
    return line


def as_cron_runs(command: str, home: Path) -> subprocess.CompletedProcess:
    """`command` as cron runs it: /bin/sh, an environment of HOME, LOGNAME, SHELL
    and PATH=/usr/bin:/bin only."""
    cron = ["env", "-i", f"HOME={home}", "LOGNAME=root", "SHELL=/bin/sh", "PATH=/usr/bin:/bin"]
    return subprocess.run(
        [*cron, "/bin/sh", "-c", command],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_the_documented_cron_line_runs_from_a_fresh_checkout(checkout: Path, tmp_path: Path):
    """The cron line of the docs on a checkout without logs/ (a fresh clone): it
    makes the folder, writes its log there, builds (the freshness gate, then one
    plan: one `feed refresh:` line) and records the run. On logs three days old it
    exits 2 and builds nothing; while another run holds the lock it starts nothing
    and its log says so."""
    line = documented_cron_line()
    schedule, command = line.split()[:5], " ".join(line.split()[5:])
    assert schedule == ["15", "3", "*", "*", "*"]
    assert "%" not in command  # cron would turn it into a newline
    assert "/srv/feed-training-data" in command and "/data/feed/raw" in command
    assert "flock --nonblock --verbose logs/refresh.lock make refresh" in command
    command = command.replace("/srv/feed-training-data", str(checkout))
    documented_raw = "/data/feed/raw"
    assert not (checkout / "logs").exists()
    log_file, database = checkout / "logs" / "refresh.log", checkout / "data" / "feed.duckdb"

    raw = tiny_logs(tmp_path / "raw")
    result = as_cron_runs(command.replace(documented_raw, str(raw)), tmp_path)
    assert result.returncode == 0, result.stderr + log_file.read_text()
    log = log_file.read_text()
    assert "flock: executing make" in log
    assert "freshness of feed.impressions" in log and "ERROR STALE" not in log
    assert len(re.findall(r"feed refresh: \w+ window", log)) == 1
    assert completed_runs(database) == 1

    stale = tiny_logs(tmp_path / "stale", newest_days_ago=3)
    result = as_cron_runs(command.replace(documented_raw, str(stale)), tmp_path)
    assert result.returncode == 2
    log = log_file.read_text()[len(log) :]
    assert "ERROR STALE freshness of feed.impressions" in log
    assert "feed refresh:" not in log and completed_runs(database) == 1

    with open(checkout / "logs" / "refresh.lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = as_cron_runs(command.replace(documented_raw, str(raw)), tmp_path)
    assert result.returncode == 1
    assert log_file.read_text().rstrip().endswith("flock: failed to get lock")
    assert completed_runs(database) == 1


# The DAG shown in the docs.


def test_the_dag_shown_in_the_docs_is_the_one_shipped():
    """The DAG block of docs/operations.md is the DAG file's, word for word."""
    [shown] = [
        block
        for block in re.findall(r"```python\n(.*?)```", OPERATIONS.read_text(), re.DOTALL)
        if block.startswith("with DAG(")
    ]
    shipped = (PROJECT_DIR / "orchestration" / "airflow" / "feed_refresh.py").read_text()
    assert shown in shipped and shown.startswith("with DAG(")


# A run stopped by a signal.


@pytest.mark.slow
def test_a_refresh_stopped_by_sigterm_stops_dbt_and_says_so_in_its_log(
    checkout: Path, tmp_path: Path
):
    """SIGTERM to make (as `kill <pid>` or a scheduler's timeout sends it) while dbt
    builds: dbt stops with it (no process is left), the log names the signal, and no
    run is recorded as completed."""
    raw = tiny_logs(tmp_path / "raw")
    database = tmp_path / "feed.duckdb"
    log = tmp_path / "refresh.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["make", "refresh", "SKIP_FRESHNESS=1", f"RAW={raw}"],
            cwd=checkout,
            env=make_environment(FEED_DUCKDB_PATH=str(database)),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while "START sql" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == -signal.SIGTERM
    deadline = time.monotonic() + 10
    while _group_alive(process.pid):
        assert time.monotonic() < deadline, "dbt went on after make was stopped"
        time.sleep(0.2)
    text = log.read_text()
    assert (
        "make refresh: stopped by SIGTERM before it finished; nothing was recorded as "
        "completed, and make refresh again redoes it"
    ) in text
    assert "Completed successfully" not in text
    assert completed_runs(database) == 0


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
