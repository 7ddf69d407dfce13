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
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import PROJECT_DIR, START, dbt_command, dbt_env, deliver_day, generated_logs

LOGS = ("impressions", "engagements")
# The nodes whose cost grew with the history when a Spark refresh read every raw file.
HISTORY_GROUPS = (
    "stg_feed__impressions",
    "stg_feed__rejected_rows",
    "plan_refresh_window (on-run-start)",
    "stg_feed__raw_files",
    "reject_reason test on base_feed__impressions",
)
GROUP_TARGET = 1.2
REFRESH_TARGET = 1.1
# The event log uncompressed, in one file (Spark 4 writes zstd-compressed rolling logs
# by default), so that it is plain JSON lines.
EVENT_LOG_CONFS = "--conf spark.eventLog.compress=false --conf spark.eventLog.rolling.enabled=false"
WINDOW_LINE = re.compile(r"feed refresh: (\w+) window, days (\S+) to (.+?)\s*$")
CATALOG_EVENTS = "org.apache.spark.sql.catalyst.catalog."
_SCAN_METRICS = {
    "number of files read": "files_read",
    "size of files read": "bytes_read",
    "number of output rows": "rows",
}


# --- the event log ---------------------------------------------------------------


def _event_files(path: Path) -> list[Path]:
    """The event log files of `path`: a file, or a folder with an application's log
    (plain, or Spark's rolling eventlog_v2_* folder of events_N_* files)."""
    if path.is_file():
        return [path]
    rolling = sorted(path.glob("eventlog_v2_*"))
    if rolling:
        parts = [p for p in rolling[-1].iterdir() if p.name.startswith("events_")]
        return sorted(parts, key=lambda p: int(p.name.split("_")[1]))
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_"))]
    if len(files) != 1:
        raise ValueError(f"expected one Spark event log in {path}, found {len(files)}")
    return files


def read_events(path: Path) -> Iterator[dict]:
    """The events of a Spark event log (file or folder), in order; a zstd-compressed
    log is read through the zstd command."""
    for part in _event_files(path):
        if part.suffix in (".lz4", ".lzf", ".snappy"):
            raise ValueError(f"{part}: compressed event log; set spark.eventLog.compress=false")
        if part.suffix == ".zstd":
            text = subprocess.run(
                ["zstd", "-dc", str(part)], check=True, capture_output=True, text=True
            ).stdout
            lines: Iterator[str] = iter(text.splitlines())
        else:
            lines = iter(part.read_text().splitlines())
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _number(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _location_paths(location: str) -> list[str]:
    """The paths of a scan's Location metadata, `InMemoryFileIndex(1 paths)[file:/a, ...]`,
    as local paths (a long list is cut short by Spark: the first path is whole)."""
    inside = location[location.find("[") + 1 : location.rfind("]")] if "[" in location else ""
    paths = []
    for item in inside.split(", "):
        item = item.strip()
        if item.startswith("file:"):
            item = "/" + item[len("file:") :].lstrip("/")
        if item and not item.endswith("..."):
            paths.append(item)
    return paths


def parse_event_log(path: Path) -> list[dict]:
    """Every SQL execution of a Spark event log, in order of id: its id, start and end
    (epoch ms) and its file scans, each with the node name, format, location, paths
    and the metrics files_read, bytes_read and rows (None when never reported)."""
    executions: dict[int, dict] = {}
    owner: dict[int, tuple[int, tuple[int, ...], str]] = {}  # accumulator -> scan, metric
    driver: dict[int, int] = {}  # accumulator -> last value the driver posted
    tasks: dict[int, int] = {}  # accumulator -> sum of task updates
    latest: int | None = None

    def register(execution_id: int, plan: dict) -> None:
        metadata = plan.get("metadata") or {}
        metrics = {m["name"]: m["accumulatorId"] for m in plan.get("metrics", [])}
        if "Location" in metadata and "number of files read" in metrics:
            key = tuple(sorted(metrics.values()))
            scans = executions[execution_id]["scans"]
            if key not in scans:
                scans[key] = {
                    "node": plan["nodeName"].strip(),
                    "format": metadata.get("Format", ""),
                    "location": metadata["Location"],
                    "paths": _location_paths(metadata["Location"]),
                    "accumulators": {
                        field: metrics[name]
                        for name, field in _SCAN_METRICS.items()
                        if name in metrics
                    },
                }
                for field, accumulator in scans[key]["accumulators"].items():
                    owner[accumulator] = (execution_id, key, field)
        for child in plan.get("children", []):
            register(execution_id, child)

    for event in read_events(path):
        kind = event["Event"].rsplit(".", 1)[-1]
        if kind == "SparkListenerSQLExecutionStart":
            executions[event["executionId"]] = {
                "id": event["executionId"],
                "root_id": event.get("rootExecutionId", event["executionId"]),
                "start_ms": event["time"],
                "end_ms": None,
                "error": None,
                "scans": {},
                "catalog_events": {},
            }
            latest = event["executionId"]
            register(event["executionId"], event["sparkPlanInfo"])
        elif kind == "SparkListenerSQLAdaptiveExecutionUpdate":
            if event["executionId"] in executions:
                register(event["executionId"], event["sparkPlanInfo"])
        elif kind == "SparkListenerSQLExecutionEnd":
            if event["executionId"] in executions:
                executions[event["executionId"]]["end_ms"] = event["time"]
                executions[event["executionId"]]["error"] = event.get("errorMessage") or None
        elif kind == "SparkListenerDriverAccumUpdates":
            for accumulator, value in event["accumUpdates"]:
                driver[accumulator] = _number(value)
        elif event["Event"].startswith(CATALOG_EVENTS) and not kind.endswith("PreEvent"):
            # Metastore operations (create, alter, drop tables and partitions), counted
            # with the SQL execution started last.
            if latest is not None:
                counts = executions[latest]["catalog_events"]
                counts[kind] = counts.get(kind, 0) + 1
        elif kind == "SparkListenerTaskEnd":
            for accumulable in (event.get("Task Info") or {}).get("Accumulables", []):
                update = _number(accumulable.get("Update"))
                if accumulable.get("ID") in owner and update is not None:
                    tasks[accumulable["ID"]] = tasks.get(accumulable["ID"], 0) + update

    result = []
    for execution_id in sorted(executions):
        execution = executions[execution_id]
        scans = []
        for scan in execution["scans"].values():
            values = {}
            for field, accumulator in scan.pop("accumulators").items():
                values[field] = driver.get(accumulator, tasks.get(accumulator))
            scans.append({**scan, **values})
        result.append({**execution, "scans": scans})
    return result


def raw_log_of(scan: dict, raw: Path) -> str | None:
    """The log (impressions, engagements) whose raw folder a scan reads, else None (a
    warehouse table)."""
    root = str(raw.resolve()).rstrip("/") + "/"
    for path in scan["paths"]:
        if (path.rstrip("/") + "/").startswith(root):
            return path[len(root) :].split("/", 1)[0] or None
    return None


# --- dbt's side of a run --------------------------------------------------------


def _epoch_ms(timestamp: str) -> float:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000


def node_label(node: dict) -> str:
    """A short readable name of a manifest node: the hook's macro for a hook."""
    if node["resource_type"] == "operation":
        called = re.search(r"(\w+)\(", node.get("raw_code") or "")
        hook = node["name"].split("-", 1)[-1] if "-" in node["name"] else node["name"]
        return f"{hook} {called.group(1) if called else ''}".strip()
    return node["name"]


def history_group(node: dict) -> str | None:
    """Which of HISTORY_GROUPS a manifest node is in, if any."""
    if node["resource_type"] == "model" and node["name"] in HISTORY_GROUPS:
        return node["name"]
    if node["resource_type"] == "operation" and "plan_refresh_window" in (
        node.get("raw_code") or ""
    ):
        return "plan_refresh_window (on-run-start)"
    # The test of the reject reasons on the base table: accepted_values until the
    # reasons became a seed, relationships_where to it since.
    if (
        node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name")
        in {"accepted_values", "relationships_where"}
        and (node.get("attached_node") or "").endswith(".base_feed__impressions")
        and node.get("column_name") == "reject_reason"
    ):
        return "reject_reason test on base_feed__impressions"
    return None


def run_nodes(target: Path) -> list[dict]:
    """The nodes of a run (run_results.json beside manifest.json), in order, each with
    label, unique_id, resource_type, seconds, start and end (epoch ms), group."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    nodes = []
    for result in results:
        node = manifest.get(
            result["unique_id"], {"name": result["unique_id"], "resource_type": "?"}
        )
        timing = result.get("timing") or []
        nodes.append(
            {
                "label": node_label(node),
                "unique_id": result["unique_id"],
                "resource_type": node["resource_type"],
                "seconds": result["execution_time"],
                "status": result["status"],
                "start_ms": min((_epoch_ms(t["started_at"]) for t in timing), default=None),
                "end_ms": max((_epoch_ms(t["completed_at"]) for t in timing), default=None),
                "group": history_group(node),
            }
        )
    return nodes


def attribute(executions: list[dict], nodes: list[dict]) -> dict[int, str]:
    """Execution id -> label of the node whose run (compile and execute) it started in;
    `(between nodes)` for the rest."""
    spans = sorted(
        (n["start_ms"], n["end_ms"], n["label"]) for n in nodes if n["start_ms"] is not None
    )
    owners = {}
    for execution in executions:
        owners[execution["id"]] = next(
            (label for start, end, label in spans if start <= execution["start_ms"] <= end),
            "(between nodes)",
        )
    return owners


def refresh_window(dbt_log: Path) -> dict:
    """The window the run planned, from its `feed refresh: ...` log line."""
    found = None
    for line in dbt_log.read_text(errors="replace").splitlines():
        match = WINDOW_LINE.search(line)
        if match:
            found = match
    if found is None:
        raise ValueError(f"no 'feed refresh:' line in {dbt_log}")
    mode, start, end = found.groups()
    return {
        "mode": mode,
        "start": None if start == "all" else start,
        "end": None if end == "the end of the logs" else end,
    }


def needed_raw_files(ledger: Path, raw: Path, window: dict) -> dict[str, list[str]]:
    """Per log, the raw files a refresh needs: those not in the file ledger (the
    stg_feed__raw_files table folder of the built state, read with pyarrow) plus the
    ledger's files holding rows of the window's days (not quarantined, still there)."""
    import pyarrow.dataset as ds

    table = ds.dataset(ledger, format="parquet").to_table().to_pylist()
    current: dict[tuple[str, str], dict] = {}
    for row in sorted(table, key=lambda r: r["first_seen_ts"]):
        current[(row["source_name"], row["source_file"])] = row
    start = dt.date.fromisoformat(window["start"]) if window["start"] else None
    end = dt.date.fromisoformat(window["end"]) if window["end"] else None
    needed = {}
    for log in LOGS:
        present = sorted(
            p.relative_to(raw).as_posix() for p in (raw / log).rglob("*.parquet") if p.is_file()
        )
        files = []
        for source_file in present:
            row = current.get((log, source_file))
            new = row is None or row["file_size"] < 0
            in_window = (
                row is not None
                and row["quarantine_reason"] is None
                and row["max_row_date"] is not None
                and (start is None or row["max_row_date"] >= start)
                and (end is None or row["min_row_date"] <= end)
            )
            if new or in_window:
                files.append(source_file)
        needed[log] = files
    return needed


def analyse_run(
    run_dir: Path, raw: Path, ledger: Path, wall_s: float, history: int, repeat: int
) -> dict:
    """What one timed run did: node times, the window, the raw files read."""
    nodes = run_nodes(run_dir / "target")
    window = refresh_window(run_dir / "logs" / "dbt.log")
    needed = needed_raw_files(ledger, raw, window)
    executions = parse_event_log(run_dir / "events")
    owners = attribute(executions, nodes)
    raw_scans, per_node = [], {}
    for execution in executions:
        label = owners[execution["id"]]
        spark = per_node.setdefault(
            label,
            {
                "executions": 0,
                "spark_s": 0.0,
                "raw_listings": 0,
                "parquet_files_read": 0,
                "parquet_rows_read": 0,
                "parquet_bytes_read": 0,
                "catalog_events": {},
            },
        )
        spark["executions"] += 1
        if execution["end_ms"] is not None:
            spark["spark_s"] += (execution["end_ms"] - execution["start_ms"]) / 1000
        for kind, count in execution["catalog_events"].items():
            spark["catalog_events"][kind] = spark["catalog_events"].get(kind, 0) + count
        for scan in execution["scans"]:
            # What the node read of any Parquet table, raw or built: work that does not
            # depend on the machine's load, unlike its time.
            if scan["format"].lower() == "parquet" and scan["files_read"] is not None:
                spark["parquet_files_read"] += scan["files_read"]
                spark["parquet_rows_read"] += scan["rows"] or 0
                spark["parquet_bytes_read"] += scan["bytes_read"] or 0
            log = raw_log_of(scan, raw)
            if log is None:
                continue
            if scan["format"].lower() != "parquet" and scan["files_read"] is not None:
                spark["raw_listings"] += 1
            raw_scans.append(
                {
                    "execution_id": execution["id"],
                    "dbt_node": label,
                    "log": log,
                    "format": scan["format"].lower(),
                    "scan": scan["node"],
                    "files_read": scan["files_read"],
                    "bytes_read": scan["bytes_read"],
                    "rows": scan["rows"],
                }
            )
    # A scan whose metrics were never reported did not run (a plan AQE replaced, an
    # exchange reused): not counted.
    ran = [s for s in raw_scans if s["files_read"] is not None]
    parquet = [s for s in ran if s["format"] == "parquet"]
    listing = [s for s in ran if s["format"] != "parquet"]
    over = [s for s in parquet if s["files_read"] > len(needed.get(s["log"], []))]
    groups = {group: 0.0 for group in HISTORY_GROUPS}
    for node in nodes:
        if node["group"]:
            groups[node["group"]] += node["seconds"]
    return {
        "history": history,
        "repeat": repeat,
        "wall_s": wall_s,
        "window": window,
        "node_s": {node["label"]: node["seconds"] for node in nodes},
        "node_types": {node["label"]: node["resource_type"] for node in nodes},
        "node_groups": {node["label"]: node["group"] for node in nodes if node["group"]},
        "on_run_start_s": sum(
            node["seconds"] for node in nodes if "on-run-start" in node["unique_id"]
        ),
        "history_groups_s": groups,
        "history_nodes_s": sum(groups.values()),
        "raw_files_present": {
            log: sum(1 for p in (raw / log).rglob("*.parquet") if p.is_file()) for log in LOGS
        },
        "needed_raw_files": needed,
        "sql_executions": len(executions),
        # Per dbt node: its SQL executions, their summed duration, its listings of a
        # raw folder, its metastore operations.
        "spark_per_node": per_node,
        "raw_parquet_scans": parquet,
        "raw_parquet_files_read": sum(s["files_read"] for s in parquet),
        "raw_scans_not_run": len(raw_scans) - len(ran),
        "raw_listing_scans": len(listing),
        "raw_files_listed": sum(s["files_read"] for s in listing),
        "over_reads": over,
    }


# --- the benchmark --------------------------------------------------------------


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
            ledger = state["built"] / "warehouse" / f"{schema}.db" / "stg_feed__raw_files"
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


def summarise(runs: list[dict], histories: list[int], facts: dict) -> dict:
    """Medians per history, the two ratios, the slowest nodes, the nodes whose time
    and whose reads grew most."""
    low, high = str(min(histories)), str(max(histories))
    by_history = {str(h): [r for r in runs if r["history"] == h] for h in histories}
    medians: dict[str, dict] = {}
    for history, group in by_history.items():
        labels = {label for run in group for label in run["node_s"]}
        medians[history] = {
            "wall_s": statistics.median(r["wall_s"] for r in group),
            "on_run_start_s": statistics.median(r["on_run_start_s"] for r in group),
            "history_nodes_s": statistics.median(r["history_nodes_s"] for r in group),
            "history_groups_s": {
                g: statistics.median(r["history_groups_s"][g] for r in group)
                for g in HISTORY_GROUPS
            },
            "node_s": {
                label: statistics.median(r["node_s"].get(label, 0.0) for r in group)
                for label in labels
            },
            "raw_parquet_files_read": statistics.median(r["raw_parquet_files_read"] for r in group),
        }
    node_types = {label: t for run in runs for label, t in run["node_types"].items()}
    times_low, times_high = medians[low]["node_s"], medians[high]["node_s"]
    top = sorted(times_high, key=lambda n: -times_high[n])[:10]
    growth = sorted(times_high, key=lambda n: -(times_high[n] - times_low.get(n, 0.0)))[:10]
    # What Spark read per node does not depend on the machine's load: the same in
    # every run of a history, so the first run's.
    reads_low, reads_high = (
        by_history[h][0]["spark_per_node"] if by_history[h] else {} for h in (low, high)
    )

    def rows(reads: dict, label: str) -> int:
        return reads.get(label, {}).get("parquet_rows_read", 0)

    def files(reads: dict, label: str) -> int:
        return reads.get(label, {}).get("parquet_files_read", 0)

    read_growth = sorted(
        (n for n in reads_high if rows(reads_high, n) > rows(reads_low, n)),
        key=lambda n: -(rows(reads_high, n) - rows(reads_low, n)),
    )[:15]
    # A node that opens a file per day of history but keeps about the same rows: a
    # filter Spark cannot prune the day partitions with (not on the partition column).
    file_growth = sorted(
        (
            n
            for n in reads_high
            if files(reads_high, n) - files(reads_low, n) >= (int(high) - int(low)) / 2
            and rows(reads_high, n) <= 1.1 * rows(reads_low, n)
        ),
        key=lambda n: -(files(reads_high, n) - files(reads_low, n)),
    )[:10]
    return {
        **facts,
        "histories": histories,
        "runs": runs,
        "medians": medians,
        "node_types": node_types,
        "top_nodes": top,
        "largest_growth_nodes": growth,
        "largest_read_growth_nodes": read_growth,
        "file_growth_nodes": file_growth,
        "history_nodes_ratio": medians[high]["history_nodes_s"] / medians[low]["history_nodes_s"],
        "refresh_ratio": medians[high]["wall_s"] / medians[low]["wall_s"],
    }


# --- the page -------------------------------------------------------------------


def _short(label: str, width: int = 60) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render(result: dict) -> str:
    """The `## Spark daily refresh` section of the benchmarks page."""
    histories = result["histories"]
    keys = [str(h) for h in histories]
    low, high = keys[0], keys[-1]
    medians = result["medians"]
    first = {k: next(r for r in result["runs"] if str(r["history"]) == k) for k in keys}
    cols = [f"H={h}" for h in histories]

    def per_history(cell: Callable[[str], str]) -> list[str]:
        return [cell(k) for k in keys]

    lines = [
        "## Spark daily refresh",
        "",
        f"`python -m benchmarks.bench spark-refresh`: {result['impressions_per_day']:,} "
        f"impressions a day, histories of {', '.join(keys)} days, {result['repeats']} "
        "run(s) each, interleaved.",
        "For each history H, H days of synthetic logs are built once on local Spark",
        "(`dbt build --target spark`: dbt-spark session mode, `local[2]`, one dbt thread),",
        "day H+1 is delivered, and the timed command is the scheduled refresh, `dbt build",
        "--exclude test_type:unit --target spark`: a new dbt process and JVM each time.",
        "Each run starts from a copy of the same built state, restored to the same path",
        "(the Derby metastore holds absolute table locations), with Spark's event log on",
        "(FEED_SPARK_EVENT_LOG_DIR). Files read are Spark's own scan metric `number of",
        "files read`; times are medians, node times from `run_results.json`.",
        "",
        f"Run of {result['machine']['date']}: {result['machine']['description']}"
        + "".join(f", {name} {v}" for name, v in (result.get("spark_versions") or {}).items())
        + ".",
        "",
    ]
    spark_rows = [
        ["refresh, wall (s)", *per_history(lambda k: f"**{medians[k]['wall_s']:.1f}**")],
        [
            "full build of the history, once (s)",
            *per_history(lambda k: f"{(result.get('full_build_s') or {}).get(k) or 0:.1f}"),
        ],
        ["on-run-start hooks (s)", *per_history(lambda k: f"{medians[k]['on_run_start_s']:.1f}")],
    ]
    for group in HISTORY_GROUPS:
        spark_rows.append(
            [
                f"{group} (s)",
                *per_history(lambda k, g=group: f"{medians[k]['history_groups_s'][g]:.2f}"),
            ]
        )
    spark_rows += [
        [
            "these five, sum (s)",
            *per_history(lambda k: f"**{medians[k]['history_nodes_s']:.2f}**"),
        ],
        [
            "raw files present",
            *per_history(lambda k: str(sum(first[k]["raw_files_present"].values()))),
        ],
        [
            "raw files the refresh needs (new + window's days)",
            *per_history(lambda k: str(sum(len(v) for v in first[k]["needed_raw_files"].values()))),
        ],
        [
            "raw Parquet scans / files they read, summed",
            *per_history(
                lambda k: (
                    f"{len(first[k]['raw_parquet_scans'])} / {first[k]['raw_parquet_files_read']}"
                )
            ),
        ],
        [
            "most files one raw Parquet scan read",
            *per_history(
                lambda k: str(
                    max((s["files_read"] for s in first[k]["raw_parquet_scans"]), default=0)
                )
            ),
        ],
        [
            "raw scans that read more files than needed",
            *per_history(lambda k: str(len(first[k]["over_reads"]))),
        ],
        [
            "listings of a raw folder (binaryFile) / files listed, summed",
            *per_history(
                lambda k: f"{first[k]['raw_listing_scans']} / {first[k]['raw_files_listed']}"
            ),
        ],
        ["Spark SQL executions", *per_history(lambda k: str(first[k]["sql_executions"]))],
    ]
    lines += _table(["", *cols], spark_rows)
    group_ratio, refresh_ratio = result["history_nodes_ratio"], result["refresh_ratio"]
    lines += [
        "",
        f"- the five nodes above, sum at {high} days / at {low} days: **{group_ratio:.2f}** "
        f"(target: at most {GROUP_TARGET}, "
        f"{'met' if group_ratio <= GROUP_TARGET else 'missed'});",
        f"- whole refresh at {high} days / at {low} days: **{refresh_ratio:.2f}** "
        f"(target: at most {REFRESH_TARGET}, "
        f"{'met' if refresh_ratio <= REFRESH_TARGET else 'missed'}).",
        "",
        f"The 10 slowest nodes at {high} days, then the others among the 10 that grew most "
        f"from {low} days (median seconds):",
        "",
    ]
    shown = list(dict.fromkeys(result["top_nodes"] + result["largest_growth_nodes"]))
    lines += _table(
        ["node", "type", *cols],
        [
            [
                _short(label),
                result["node_types"].get(label, ""),
                *per_history(lambda k, n=label: f"{medians[k]['node_s'].get(n, 0.0):.2f}"),
            ]
            for label in shown
        ],
    )

    def reads(k: str, label: str) -> str:
        spark = first[k]["spark_per_node"].get(label)
        if spark is None:
            return "-"
        return f"{spark['parquet_rows_read']:,} / {spark['parquet_files_read']}"

    lines += [
        "",
        "Nodes whose Spark scans read more at "
        f"{high} days than at {low} (rows / files of any Parquet table, raw or built;",
        "the same in every run):",
        "",
    ]
    lines += _table(
        ["node", "type", *cols],
        [
            [
                _short(label),
                result["node_types"].get(label, ""),
                *per_history(lambda k, n=label: reads(k, n)),
            ]
            for label in result.get("largest_read_growth_nodes", [])
        ],
    )

    if result.get("file_growth_nodes"):
        lines += [
            "",
            "Nodes that open more files at "
            f"{high} days (one a day of history or so) for about the same rows: a",
            "filter on a column other than the table's day partition, so Spark reads every",
            "partition (rows / files):",
            "",
        ]
        lines += _table(
            ["node", "type", *cols],
            [
                [
                    _short(label),
                    result["node_types"].get(label, ""),
                    *per_history(lambda k, n=label: reads(k, n)),
                ]
                for label in result["file_growth_nodes"]
            ],
        )

    def spark_side(k: str, label: str) -> str:
        spark = first[k]["spark_per_node"].get(label)
        if spark is None:
            return "-"
        return (
            f"{spark['executions']} / {spark['spark_s']:.1f} / {spark['raw_listings']} / "
            f"{sum(spark['catalog_events'].values())} / {spark['parquet_rows_read']:,}"
        )

    grouped = [
        label
        for group in HISTORY_GROUPS
        for label, in_group in first[high]["node_groups"].items()
        if in_group == group
    ]
    lines += [
        "",
        "Spark's side of the five nodes: SQL executions / their summed time (s) / listings",
        "of a raw folder / metastore operations / rows read:",
        "",
    ]
    lines += _table(
        ["node", *cols],
        [[_short(label), *per_history(lambda k, n=label: spark_side(k, n))] for label in grouped],
    )
    per_node: dict[str, dict[str, list[str]]] = {}
    for k in keys:
        for scan in first[k]["raw_parquet_scans"]:
            per_node.setdefault(scan["dbt_node"], {}).setdefault(k, []).append(
                f"{scan['log'][:3]} {scan['files_read']}"
            )
    lines += ["", "Raw Parquet scans by node (files each read):", ""]
    lines += _table(
        ["node", *cols],
        [
            [_short(label), *per_history(lambda k, s=scans: ", ".join(s.get(k, [])) or "-")]
            for label, scans in per_node.items()
        ],
    )
    return "\n".join(lines) + "\n"


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
