"""Reading one timed Spark refresh (benchmarks.bench_spark describes the method): Spark's
event log (SQL executions, file scans and their "number of files read"), dbt's
run_results.json per node, the window the run logged, and the raw files it needed."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

LOGS = ("impressions", "engagements")


# The nodes whose cost grew with the history when a Spark refresh read every raw file.
HISTORY_GROUPS = (
    "stg_feed__impressions",
    "stg_feed__rejected_rows",
    "plan_refresh_window (on-run-start)",
    "raw_file_ledger",
    "reject_reason test on base_feed__impressions",
)


WINDOW_LINE = re.compile(r"feed refresh: (\w+) window, days (\S+) to (.+?)\s*$")


CATALOG_EVENTS = "org.apache.spark.sql.catalyst.catalog."


_SCAN_METRICS = {
    "number of files read": "files_read",
    "size of files read": "bytes_read",
    "number of output rows": "rows",
}


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
    raw_file_ledger table folder of the built state, read with pyarrow) plus the
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
