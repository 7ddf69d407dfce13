"""Readers and the refresh together: readers open the served file that each
successful build publishes by one rename, so a reader holding it never stops a
refresh and always sees one run's tables whole; a failed build publishes
nothing; a reader of the build database does stop the refresh (the rule the
docs give is needed)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dbt_harness import PROJECT_DIR, TINY_LOGS, damage_column, deliver_day

from feedpipe.export import write
from feedpipe.generate import generate
from feedpipe.preflight import run_lock_path, take_run_lock
from feedpipe.serving import SERVED, publish, served_path
from feedpipe.summary import summarise

START = dt.date(2026, 1, 5)
# Eleven days built (ten mature, enough for the default three validation and
# four test days), the twelfth delivered for the refresh.
DAYS = 12

# What a reader reads: counts from three tables and the run it is.
QUERIES = (
    "select count(*) from train_examples",
    "select count(*) from test_examples",
    "select sum(examples) from daily_label_stats",
    "select cast(max(completed_ts) as varchar) from stg_feed_refresh__runs",
)
# A reader: one read-only connection to the file, the queries in a loop until the
# stop file appears, then closed and opened again. "reconnect" opens a new
# connection before every read. It prints ["read", state] for its first read and
# each read that differs from the one before, then ["reads", how many] and
# ["reconnected", state].
READER = r"""
import json, pathlib, sys, time
import duckdb

path, mode, stop, queries = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), sys.argv[4:]


def state(connection):
    return [connection.execute(query).fetchall()[0][0] for query in queries]


connection = duckdb.connect(path, read_only=True)
last, reads = state(connection), 1
print(json.dumps(["read", last]), flush=True)
while not stop.exists():
    if mode == "reconnect":
        connection.close()
        connection = duckdb.connect(path, read_only=True)
    read, reads = state(connection), reads + 1
    if read != last:
        print(json.dumps(["read", read]), flush=True)
        last = read
    time.sleep(0.05)
connection.close()
connection = duckdb.connect(path, read_only=True)
print(json.dumps(["reads", reads]), flush=True)
print(json.dumps(["reconnected", state(connection)]), flush=True)
"""


def run_state(database: Path) -> list:
    """What the reader reads, from a database nobody holds."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return [connection.execute(query).fetchall()[0][0] for query in QUERIES]


def start_reader(
    path: Path, mode: str, stop: Path, queries: tuple[str, ...] = QUERIES
) -> subprocess.Popen:
    """A READER process on `path`, once it has read."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), mode, str(stop), *queries],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader.first = reader.stdout.readline()
    assert reader.first, reader.stderr.read()
    return reader


def stop_readers(readers: list[subprocess.Popen], stop: Path) -> list[dict]:
    """Each reader's distinct reads in order, its number of reads and its read
    after reconnecting, once the stop file appears."""
    stop.touch()
    found = []
    for reader in readers:
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        lines = [json.loads(line) for line in [reader.first, *out.splitlines()]]
        found.append(
            {
                "states": [value for kind, value in lines if kind == "read"],
                **{kind: value for kind, value in lines if kind != "read"},
            }
        )
    return found


def make(target: str, work: Path, raw: Path, *args: str) -> subprocess.CompletedProcess:
    """`make <target>` on the database work/feed.duckdb and the logs in raw; dbt's
    target and log folders under work."""
    environment = {
        **os.environ,
        "FEED_DUCKDB_PATH": str(work / "feed.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    environment.pop("FEED_SERVING_PATH", None)
    return subprocess.run(
        ["make", "--no-print-directory", target, f"RAW={raw}", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def fake_build(path: Path, value: int) -> Path:
    """A database holding every served table (one column, `value` rows) and one more."""
    with duckdb.connect(str(path)) as connection:
        for name in (*SERVED, "stg_feed__impressions"):
            connection.execute(f"create table {name} as select range as n from range({value})")
    return path


def rows_of(path: Path, table: str = "train_examples") -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(f"select count(*) from {table}").fetchall()[0][0]


# Fast: the publish on hand-made databases, without dbt.


def test_the_served_file_is_named_beside_the_build_database_or_by_its_variable(monkeypatch):
    monkeypatch.delenv("FEED_SERVING_PATH", raising=False)
    monkeypatch.delenv("FEED_DUCKDB_PATH", raising=False)
    assert served_path() == Path("data/feed_serving.duckdb")
    monkeypatch.setenv("FEED_DUCKDB_PATH", "/srv/feed/mind.duckdb")
    assert served_path() == Path("/srv/feed/mind_serving.duckdb")
    monkeypatch.setenv("FEED_SERVING_PATH", "/srv/readers/marts.duckdb")
    assert served_path() == Path("/srv/readers/marts.duckdb")


def test_the_served_tables_are_every_mart_and_the_run_ledger(parsed_manifest: Path):
    nodes = json.loads(parsed_manifest.read_text())["nodes"].values()
    marts = {
        node["name"]
        for node in nodes
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
    }
    assert set(SERVED) == marts | {"stg_feed_refresh__runs"}


def test_a_reader_keeps_its_run_while_a_publish_replaces_the_file(tmp_path: Path):
    """The publish renames a new file onto the one a reader holds (read-only, in
    another process): the reader goes on reading its run, a new connection reads
    the new one, and only the served tables are copied."""
    served = tmp_path / "feed_serving.duckdb"
    publish(fake_build(tmp_path / "first.duckdb", 3), served)
    stop = tmp_path / "stop"
    reader = start_reader(served, "hold", stop, ("select count(*) from train_examples",))
    rows = publish(fake_build(tmp_path / "second.duckdb", 5), served)
    assert rows == dict.fromkeys(SERVED, 5)
    assert rows_of(served) == 5
    [found] = stop_readers([reader], stop)
    assert found["states"] == [[3]] and found["reconnected"] == [5]
    with duckdb.connect(str(served), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("show tables").fetchall()}
    assert tables == set(SERVED)
    assert sorted(path.name for path in tmp_path.glob("feed_serving*")) == ["feed_serving.duckdb"]


def test_a_run_started_while_a_publish_reads_the_build_stops_at_its_preflight(
    tmp_path: Path, monkeypatch
):
    """The publish holds the build's run lock while it reads the build database, so a
    second run started then stops before dbt (not on DuckDB's lock inside dbt)."""
    import feedpipe.serving as serving

    database = fake_build(tmp_path / "feed.duckdb", 3)
    seen = []
    copy = serving._copy

    def copy_and_try_a_second_run(*args):
        seen.append(take_run_lock(run_lock_path(database)))
        return copy(*args)

    monkeypatch.setattr(serving, "_copy", copy_and_try_a_second_run)
    publish(database, tmp_path / "served.duckdb")
    [problem] = seen
    assert problem is not None and "another run holds its run lock" in problem
    assert take_run_lock(run_lock_path(database)) is None  # released after the publish
    assert rows_of(tmp_path / "served.duckdb") == 3


def test_a_publish_that_fails_or_was_killed_leaves_the_served_file(tmp_path: Path):
    """A build without a served table publishes nothing (the error names it) and
    leaves no temporary file; a killed publish's temporary file is removed by the
    next publish, a running one's is not; the build database is never the served file."""
    served = tmp_path / "feed_serving.duckdb"
    publish(fake_build(tmp_path / "first.duckdb", 3), served)
    broken = fake_build(tmp_path / "broken.duckdb", 4)
    with duckdb.connect(str(broken)) as connection:
        connection.execute("drop table daily_monitors")
    with pytest.raises(SystemExit, match=r"broken\.duckdb: no daily_monitors"):
        publish(broken, served)
    assert rows_of(served) == 3
    assert sorted(path.name for path in tmp_path.glob("feed_serving*")) == ["feed_serving.duckdb"]

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = tmp_path / f"feed_serving.duckdb.tmp-{dead.pid}"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    running = tmp_path / f"feed_serving.duckdb.tmp-{live.pid}"
    try:
        for path in (killed, Path(f"{killed}.wal"), running):
            path.write_bytes(b"half written")
        publish(fake_build(tmp_path / "second.duckdb", 5), served)
        assert rows_of(served) == 5
        assert not killed.exists() and not Path(f"{killed}.wal").exists()
        assert running.exists()
    finally:
        live.kill()
        live.wait()
    with pytest.raises(SystemExit, match="is the build database"):
        publish(served, served)


# Slow: real builds and refreshes through the Makefile.


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Eleven days delivered and built by `make build`, which published them."""
    logs = tmp_path_factory.mktemp("serving_logs")
    generate(logs, days=DAYS, start=START, **TINY_LOGS)
    work = tmp_path_factory.mktemp("serving_first")
    raw = work / "raw"
    for offset in range(DAYS - 1):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
    result = make("build", work, raw)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "feedpipe.serving:" in result.stdout
    state = run_state(work / "feed.duckdb")
    assert run_state(work / "feed_serving.duckdb") == state
    return {"logs": logs, "work": work, "state": state}


def copy_run(first_run: dict, to: Path) -> tuple[Path, Path]:
    """A private copy of the first run: its logs (one more day delivered), build
    database and served file. The ledger keys files by their path under raw."""
    shutil.copytree(first_run["work"] / "raw", to / "raw")
    for name in ("feed.duckdb", "feed_serving.duckdb"):
        shutil.copy(first_run["work"] / name, to / name)
    deliver_day(first_run["logs"], to / "raw", START + dt.timedelta(days=DAYS - 1))
    return to / "raw", to / "feed_serving.duckdb"


@pytest.mark.slow
def test_readers_holding_the_served_file_through_a_refresh(first_run: dict, tmp_path: Path):
    """Two readers in their own processes, one holding its connection, one opening
    a new connection for every read, through `make refresh` of a delivered day:
    the refresh succeeds; every read is all of the first run or all of the
    refresh, never a mix; the held connection reads the first run to the end, the
    other moves to the refresh once and stays; opened again, both read the refresh.
    The summary and the export read the served file."""
    raw, served = copy_run(first_run, tmp_path)
    stop = tmp_path / "stop"
    readers = [start_reader(served, mode, stop) for mode in ("hold", "reconnect")]
    result = make("refresh", tmp_path, raw, "SKIP_FRESHNESS=1")
    time.sleep(1)
    held, reconnecting = stop_readers(readers, stop)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    before, after = first_run["state"], run_state(tmp_path / "feed.duckdb")
    assert all(old != new for old, new in zip(before, after, strict=True)), (before, after)
    assert run_state(served) == after

    assert held["states"] == [before] and held["reads"] > 20
    assert reconnecting["states"] == [before, after] and reconnecting["reads"] > 20
    assert held["reconnected"] == reconnecting["reconnected"] == after

    assert "train" in summarise(str(served))
    manifest = write(served, tmp_path / "export")
    assert manifest["producer"]["database"] == "feed_serving.duckdb"
    assert manifest["splits"]["train"]["rows"] == after[0]


@pytest.mark.slow
def test_a_failed_refresh_publishes_nothing(first_run: dict, tmp_path: Path):
    """The delivered day's impressions damaged in transit: the refresh fails at the
    model that reads them, and the served file is the first run's, untouched."""
    raw, served = copy_run(first_run, tmp_path)
    day = START + dt.timedelta(days=DAYS - 1)
    damage_column(raw / "impressions" / f"{day}.parquet", "user_id")
    inode = served.stat().st_ino
    result = make("refresh", tmp_path, raw, "SKIP_FRESHNESS=1")
    assert result.returncode != 0
    assert "feedpipe.serving" not in result.stdout
    assert served.stat().st_ino == inode
    assert run_state(served) == first_run["state"]
    assert sorted(path.name for path in tmp_path.glob("feed_serving*")) == ["feed_serving.duckdb"]


@pytest.mark.slow
def test_a_reader_of_the_build_database_stops_the_refresh(first_run: dict, tmp_path: Path):
    """Why readers must not open the build database: one read-only connection to it
    in another process, and `make refresh` stops before dbt, naming the lock."""
    raw, served = copy_run(first_run, tmp_path)
    stop = tmp_path / "stop"
    reader = start_reader(tmp_path / "feed.duckdb", "hold", stop)
    result = make("refresh", tmp_path, raw, "SKIP_FRESHNESS=1")
    stop_readers([reader], stop)
    assert result.returncode == 2
    assert "cannot be opened for writing" in result.stderr
    assert "Could not set lock" in result.stderr
    assert run_state(served) == first_run["state"]
