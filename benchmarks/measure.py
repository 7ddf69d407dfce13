"""For the benchmarks: their generated logs and deliveries, the dbt command lines they
time, and the wall time and peak memory of a command's whole process tree."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from feedpipe.generate import generate

PROJECT_DIR = Path(__file__).resolve().parents[1]
# What the scheduled run builds (`make refresh`): every model and data test.
SCHEDULED = ("--exclude", "test_type:unit")
# A full build of the models alone, as a user times the work itself.
MODELS_ONLY = ("--exclude", "resource_type:test", "resource_type:unit_test")

START = dt.date(2026, 1, 5)


def generated_logs(out: Path, days: int, impressions_per_day: int, seed: int) -> Path:
    """Synthetic logs from START, users and tweets scaling with the impressions; kept in
    `out` and reused by later runs once complete."""
    marker = out / ".complete"
    if not marker.exists():
        shutil.rmtree(out, ignore_errors=True)
        generate(
            out,
            days=days,
            start=START,
            impressions_per_day=impressions_per_day,
            users=max(1000, impressions_per_day // 5),
            tweets=max(2000, impressions_per_day // 2),
            seed=seed,
        )
        marker.touch()
    return out


def deliver_day(all_logs: Path, raw: Path, day: dt.date) -> None:
    """Deliver one day's generated files into a growing raw folder."""
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True, exist_ok=True)
        shutil.copy(all_logs / log / f"{day}.parquet", raw / log / f"{day}.parquet")


def dbt_command(
    raw: Path,
    work: Path,
    selection: tuple[str, ...] = SCHEDULED,
    target: str = "duckdb",
    verb: str = "build",
) -> list[str]:
    """`dbt <verb>` of this project on the logs at `raw`, target and logs under `work`."""
    return [
        str(Path(sys.executable).with_name("dbt")),
        verb,
        "--target",
        target,
        *selection,
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps({"raw_path": str(raw)}),
        "--quiet",
    ]


def dbt_env(database: Path, **extra: str) -> dict[str, str]:
    """The environment of such a command: its DuckDB file, the project's profiles."""
    return {
        **os.environ,
        "FEED_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra,
    }


@dataclass(frozen=True)
class Measured:
    """One run of a command."""

    wall_s: float
    peak_rss_bytes: int

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (0 once it is gone)."""
    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measure(
    command: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval_s: float = 0.02,
) -> Measured:
    """Run `command`, raise if it fails; return its wall time and the peak of its process
    tree's summed RSS, sampled every `interval_s` (psutil). (Not the kernel's ru_maxrss:
    a forked child starts with its parent's resident pages counted, so a harness holding
    data would inflate every figure.)"""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd)
    peak_bytes = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_bytes
        while not done.is_set():
            peak_bytes = max(peak_bytes, _tree_rss_bytes(process.pid))
            time.sleep(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status = os.waitpid(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return Measured(wall, peak_bytes)


def slowest_nodes(work: Path, count: int | None = 8) -> list[dict]:
    """The nodes of the dbt run whose target folder is under ``work``, slowest first
    (all of them when ``count`` is None), with their time from run_results.json."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    results.sort(key=lambda result: -result["execution_time"])
    # unique_id is "<type>.<project>.<name>[.<hash>]": the name is the third part.
    return [
        {"node": result["unique_id"].split(".")[2], "seconds": result["execution_time"]}
        for result in results[:count]
    ]
