"""The scheduled daily refresh on Spark (`python -m benchmarks.bench spark-refresh`): its
cost with H days of history built, for each H, and the raw files Spark actually read.

For each history H a raw folder gets H days of generated logs, a full Spark build
(`dbt build --target spark`, the command line of the other benchmarks) is run once
into FEED_SPARK_DIR = <work>/spark_H, day H+1 is delivered, and the built state is
copied aside (spark_H.built). Each timed run restores that copy to spark_H first and
runs the scheduled refresh, `dbt build --exclude test_type:unit --target spark`, with
Spark's event log on (FEED_SPARK_EVENT_LOG_DIR) into a folder of its own. Runs are
interleaved (H1, H2, H1, H2, ...).

Why restore to the same path rather than run on a copy elsewhere: the Derby metastore
records each table's and partition's location as an absolute URI
(file:<FEED_SPARK_DIR>/warehouse/feed.db/<table>), so a copied metastore at another
path would read and write the original's warehouse.

Per run: the wall time; each node's execution time from that run's run_results.json
(--target-path per run), the on-run-start hooks included (`operation.*` nodes); and,
from the event log, every file scan of a raw folder with Spark's "number of files
read". A scan's metrics are found by accumulator ID in the plans of
SparkListenerSQLExecutionStart and SparkListenerSQLAdaptiveExecutionUpdate; their
values in SparkListenerDriverAccumUpdates (driver-side metrics such as the files
read) and in the tasks' accumulables. Each SQL execution is attributed to the dbt
node running when it started (one dbt thread: FEED_THREADS=1). The files the refresh
needed (new since the last run, plus those holding rows of the window's days) are
recomputed from the built state's file ledger and the window the run logged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from importlib import metadata
from pathlib import Path

from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import PROJECT_DIR, START, dbt_command, dbt_env, deliver_day, generated_logs
from benchmarks.spark_events import analyse_run
from benchmarks.spark_page import render, summarise

# The event log uncompressed, in one file (Spark 4 writes zstd-compressed rolling logs
# by default), so that it is plain JSON lines.
EVENT_LOG_CONFS = "--conf spark.eventLog.compress=false --conf spark.eventLog.rolling.enabled=false"


def _env(spark_dir: Path, events: Path | None = None) -> dict[str, str]:
    extra = {"FEED_SPARK_DIR": str(spark_dir), "FEED_THREADS": "1"}
    if events is not None:
        submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
        extra["FEED_SPARK_EVENT_LOG_DIR"] = str(events)
        extra["PYSPARK_SUBMIT_ARGS"] = f"{EVENT_LOG_CONFS} {submit}"
    env = dbt_env(spark_dir.parent / "unused.duckdb", **extra)
    if events is None:
        env.pop("FEED_SPARK_EVENT_LOG_DIR", None)
    return env


def _run(raw: Path, out: Path, env: dict[str, str]) -> float:
    """The scheduled command on Spark (target and logs under `out`); wall seconds."""
    command = dbt_command(raw, out, target="spark")
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=PROJECT_DIR)
    return time.perf_counter() - started


def _spark_versions() -> dict[str, str]:
    versions = {}
    for package in ("pyspark", "dbt-spark"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _restore(built: Path, spark_dir: Path) -> None:
    shutil.rmtree(spark_dir, ignore_errors=True)
    shutil.copytree(built, spark_dir, symlinks=True)


def build_history(
    work: Path, all_logs: Path, history: int, impressions_per_day: int, reuse: bool
) -> dict:
    """Raw folder with `history` days, a full Spark build of them, the next day
    delivered; the built state kept in spark_<history>.built."""
    raw, spark_dir = work / f"raw_{history}", work / f"spark_{history}"
    built = work / f"spark_{history}.built"
    marker = built / "bench.json"
    facts = {"history": history, "impressions_per_day": impressions_per_day}
    if reuse and marker.exists():
        saved = json.loads(marker.read_text())
        if {k: saved.get(k) for k in facts} == facts:
            return {"raw": raw, "spark_dir": spark_dir, "built": built, **saved}
    for path in (raw, spark_dir, built, work / f"build_{history}"):
        shutil.rmtree(path, ignore_errors=True)
    for offset in range(history):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))
    build_s = _run(raw, work / f"build_{history}", _env(spark_dir))
    deliver_day(all_logs, raw, START + dt.timedelta(days=history))  # the new day
    shutil.copytree(spark_dir, built, symlinks=True)
    facts["full_build_s"] = build_s
    marker.write_text(json.dumps(facts) + "\n")
    return {"raw": raw, "spark_dir": spark_dir, "built": built, **facts}


def bench_spark_refresh(
    work: Path,
    impressions_per_day: int,
    repeats: int,
    histories: list[int],
    reuse_built: bool = False,
) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    days = max(histories) + 1
    all_logs = generated_logs(
        work / f"logs_{impressions_per_day}_{days}d", days, impressions_per_day, seed=1
    )
    schema = os.environ.get("FEED_SPARK_SCHEMA", "feed")
    states = {}
    for history in histories:
        states[history] = build_history(work, all_logs, history, impressions_per_day, reuse_built)
    runs = []
    for repeat in range(repeats):
        for history in histories:
            state = states[history]
            run_dir = work / "runs" / f"h{history}_r{repeat}"
            shutil.rmtree(run_dir, ignore_errors=True)
            (run_dir / "events").mkdir(parents=True)
            _restore(state["built"], state["spark_dir"])
            wall = _run(state["raw"], run_dir, _env(state["spark_dir"], run_dir / "events"))
            ledger = state["built"] / "warehouse" / f"{schema}.db" / "raw_file_ledger"
            run = analyse_run(run_dir, state["raw"], ledger, wall, history, repeat)
            runs.append(run)
            print(
                f"H={history} run {repeat + 1}/{repeats}: {wall:.1f} s, "
                f"{run['raw_parquet_files_read']} raw Parquet files read in "
                f"{len(run['raw_parquet_scans'])} scans, {len(run['over_reads'])} over-reads",
                flush=True,
            )
    return summarise(
        runs,
        histories,
        {
            "machine": machine_facts(),
            "spark_versions": _spark_versions(),
            "impressions_per_day": impressions_per_day,
            "repeats": repeats,
            "full_build_s": {str(h): states[h].get("full_build_s") for h in histories},
        },
    )


def main(
    work: Path,
    out: Path,
    impressions_per_day: int,
    repeats: int,
    histories: list[int],
    page: Path,
    render_only: bool = False,
    reuse_built: bool = False,
) -> dict:
    saved = out / "spark_refresh.json"
    if render_only:
        result = json.loads(saved.read_text())
    else:
        result = bench_spark_refresh(work, impressions_per_day, repeats, histories, reuse_built)
        saved.write_text(json.dumps(result, indent=2, default=str) + "\n")
    write_section(page, "spark_refresh", render(result))
    return result
