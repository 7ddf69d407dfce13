"""The Spark refresh benchmark's reading of a Spark event log and of a run's dbt
artifacts (benchmarks.spark_events) and its page (benchmarks.spark_page), on a small
hand-written event log: no Spark."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.spark_events import analyse_run, attribute, parse_event_log, raw_log_of
from benchmarks.spark_page import render, summarise

SQL = "org.apache.spark.sql.execution.ui."
CATALOG = "org.apache.spark.sql.catalyst.catalog."
T0 = dt.datetime(2026, 1, 9, 6, 0, tzinfo=dt.UTC)


def _ms(seconds: float) -> int:
    return int((T0 + dt.timedelta(seconds=seconds)).timestamp() * 1000)


def _iso(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _scan(name: str, location: str, first_id: int, file_format: str = "Parquet") -> dict:
    return {
        "nodeName": name,
        "simpleString": f"FileScan {name} Location: {location}",
        "children": [],
        "metadata": {"Format": file_format, "Location": location, "PushedFilters": "[]"},
        "metrics": [
            {"name": "number of output rows", "accumulatorId": first_id, "metricType": "sum"},
            {"name": "number of files read", "accumulatorId": first_id + 1, "metricType": "sum"},
            {"name": "size of files read", "accumulatorId": first_id + 2, "metricType": "size"},
            {"name": "metadata time", "accumulatorId": first_id + 3, "metricType": "timing"},
        ],
    }


def _plan(*scans: dict) -> dict:
    return {
        "nodeName": "Execute InsertIntoHadoopFsRelationCommand",
        "simpleString": "Execute InsertIntoHadoopFsRelationCommand",
        "metadata": {},
        "metrics": [{"name": "number of written files", "accumulatorId": 1, "metricType": "sum"}],
        "children": [
            {
                "nodeName": "WholeStageCodegen (1)",
                "simpleString": "WholeStageCodegen (1)",
                "metadata": {},
                "metrics": [],
                "children": list(scans),
            }
        ],
    }


def _write_event_log(folder: Path, raw: Path, warehouse: Path) -> None:
    impressions = _scan(
        "Scan parquet spark_catalog.feed_raw.impressions",
        f"InMemoryFileIndex(1 paths)[file:{raw}/impressions]",
        10,
    )
    ledger = _scan(
        "Scan parquet spark_catalog.feed.raw_file_ledger",
        f"InMemoryFileIndex(1 paths)[file:{warehouse}/feed.db/raw_file_ledger]",
        20,
    )
    engagements = _scan(
        "Scan parquet spark_catalog.feed_raw.engagements",
        f"InMemoryFileIndex(1 paths)[file:{raw}/engagements]",
        30,
    )
    listing = _scan(
        "Scan binaryFile", f"InMemoryFileIndex(1 paths)[file:{raw}/impressions]", 40, "BINARYFILE"
    )
    never_run = _scan(
        "Scan parquet spark_catalog.feed_raw.impressions",
        f"InMemoryFileIndex(1 paths)[file:{raw}/impressions]",
        50,
    )
    task = "SparkListenerTaskEnd"
    events = [
        {"Event": "SparkListenerLogStart", "Spark Version": "4.3.0"},
        # During the hook (seconds 0 to 10): a listing of the raw folder.
        {
            "Event": SQL + "SparkListenerSQLExecutionStart",
            "executionId": 0,
            "rootExecutionId": 0,
            "time": _ms(2),
            "sparkPlanInfo": _plan(listing),
        },
        {
            "Event": SQL + "SparkListenerDriverAccumUpdates",
            "executionId": 0,
            "accumUpdates": [[41, 9]],
        },
        {"Event": SQL + "SparkListenerSQLExecutionEnd", "executionId": 0, "time": _ms(3)},
        # During the model (seconds 10 to 20): the raw impressions and the ledger; AQE
        # adds a scan of the raw engagements.
        {
            "Event": SQL + "SparkListenerSQLExecutionStart",
            "executionId": 1,
            "rootExecutionId": 1,
            "time": _ms(11),
            "sparkPlanInfo": _plan(impressions, ledger),
        },
        {
            "Event": SQL + "SparkListenerSQLAdaptiveExecutionUpdate",
            "executionId": 1,
            "sparkPlanInfo": _plan(impressions, ledger, engagements),
        },
        {
            "Event": SQL + "SparkListenerDriverAccumUpdates",
            "executionId": 1,
            "accumUpdates": [[11, 1], [21, 1], [31, 5]],
        },
        # A driver metric is posted as its value so far: the last one counts.
        {
            "Event": SQL + "SparkListenerDriverAccumUpdates",
            "executionId": 1,
            "accumUpdates": [[11, 2]],
        },
        {
            "Event": task,
            "Task Info": {"Accumulables": [{"ID": 10, "Update": "100", "Value": "100"}]},
        },
        {
            "Event": task,
            "Task Info": {"Accumulables": [{"ID": 10, "Update": "50", "Value": "150"}]},
        },
        {"Event": CATALOG + "CreatePartitionsPreEvent", "database": "feed", "name": "t"},
        {"Event": CATALOG + "CreatePartitionsEvent", "database": "feed", "name": "t"},
        {"Event": SQL + "SparkListenerSQLExecutionEnd", "executionId": 1, "time": _ms(15)},
        # Between nodes: a plan whose scan never ran.
        {
            "Event": SQL + "SparkListenerSQLExecutionStart",
            "executionId": 2,
            "rootExecutionId": 2,
            "time": _ms(25),
            "sparkPlanInfo": _plan(never_run),
        },
        {"Event": SQL + "SparkListenerSQLExecutionEnd", "executionId": 2, "time": _ms(26)},
        {"Event": "SparkListenerApplicationEnd", "Timestamp": _ms(30)},
    ]
    folder.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(json.dumps(event) for event in events) + "\n"
    (folder / "local-1795959612983").write_text(lines)


def _write_dbt_artifacts(run_dir: Path) -> None:
    target = run_dir / "target"
    target.mkdir(parents=True)
    hook = "operation.feed_training_data.feed_training_data-on-run-start-3"
    model = "model.feed_training_data.base_feed__impressions"
    test = "test.feed_training_data.accepted_values_base_feed__impressions_reject_reason.82dc"
    manifest = {
        "nodes": {
            hook: {
                "name": "feed_training_data-on-run-start-3",
                "resource_type": "operation",
                "raw_code": "{{ plan_refresh_window() }}",
            },
            model: {"name": "base_feed__impressions", "resource_type": "model"},
            test: {
                "name": "accepted_values_base_feed__impressions_reject_reason",
                "resource_type": "test",
                "test_metadata": {"name": "accepted_values"},
                "attached_node": model,
                "column_name": "reject_reason",
            },
        }
    }
    results = []
    for unique_id, start, end in ((hook, 0, 10), (model, 10, 20), (test, 27, 28)):
        results.append(
            {
                "unique_id": unique_id,
                "status": "success",
                "execution_time": end - start,
                "timing": [
                    {"name": "compile", "started_at": _iso(start), "completed_at": _iso(start)},
                    {"name": "execute", "started_at": _iso(start), "completed_at": _iso(end)},
                ],
            }
        )
    (target / "manifest.json").write_text(json.dumps(manifest))
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (run_dir / "logs").mkdir()
    (run_dir / "logs" / "dbt.log").write_text(
        "06:00:09.1 [info ] [MainThread]: feed refresh: scheduled window, days 2026-01-07 "
        "to the end of the logs\n"
    )


def _write_ledger(ledger: Path) -> None:
    """The file ledger of a built state: days 01-05 to 01-07 of both logs."""
    rows = []
    for log in ("impressions", "engagements"):
        for day in (5, 6, 7):
            date = dt.date(2026, 1, day)
            rows.append(
                {
                    "source_name": log,
                    "source_file": f"{log}/{date}.parquet",
                    "file_size": 100,
                    "quarantine_reason": None,
                    "min_row_date": date,
                    "max_row_date": date,
                    "first_seen_ts": dt.datetime(2026, 1, 8, 6, 0),
                }
            )
    ledger.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), ledger / "part-00000.parquet")


def test_scans_metrics_and_raw_folders_are_read_from_the_event_log(tmp_path: Path):
    raw, warehouse = tmp_path / "raw", tmp_path / "spark" / "warehouse"
    _write_event_log(tmp_path / "events", raw, warehouse)
    executions = parse_event_log(tmp_path / "events")
    assert [e["id"] for e in executions] == [0, 1, 2]
    assert executions[1]["start_ms"] == _ms(11) and executions[1]["end_ms"] == _ms(15)
    scans = {(s["node"], raw_log_of(s, raw)): s for s in executions[1]["scans"]}
    assert len(executions[1]["scans"]) == 3  # the AQE update adds one, repeats none
    raw_impressions = scans[("Scan parquet spark_catalog.feed_raw.impressions", "impressions")]
    assert raw_impressions["files_read"] == 2  # the driver's last value
    assert raw_impressions["rows"] == 150  # summed over the tasks
    assert (
        scans[("Scan parquet spark_catalog.feed_raw.engagements", "engagements")]["files_read"] == 5
    )
    ledger_scan = scans[("Scan parquet spark_catalog.feed.raw_file_ledger", None)]
    assert ledger_scan["files_read"] == 1
    assert executions[0]["scans"][0]["format"] == "BINARYFILE"
    assert executions[2]["scans"][0]["files_read"] is None


def test_executions_are_attributed_to_the_node_running_when_they_start(tmp_path: Path):
    raw = tmp_path / "raw"
    _write_event_log(tmp_path / "events", raw, tmp_path / "warehouse")
    executions = parse_event_log(tmp_path / "events")
    nodes = [
        {"label": "hook", "start_ms": _ms(0), "end_ms": _ms(10)},
        {"label": "model", "start_ms": _ms(10.5), "end_ms": _ms(20)},
    ]
    assert attribute(executions, nodes) == {0: "hook", 1: "model", 2: "(between nodes)"}


def test_a_run_reports_files_read_against_the_files_the_refresh_needs(tmp_path: Path):
    raw, built = tmp_path / "raw", tmp_path / "spark.built"
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True)
        for day in (5, 6, 7, 8):  # 01-08 is the new day
            (raw / log / f"2026-01-0{day}.parquet").write_bytes(b"PAR1")
    ledger = built / "warehouse" / "feed.db" / "raw_file_ledger"
    _write_ledger(ledger)
    run_dir = tmp_path / "run"
    _write_event_log(run_dir / "events", raw, tmp_path / "spark" / "warehouse")
    _write_dbt_artifacts(run_dir)

    run = analyse_run(run_dir, raw, ledger, wall_s=30.0, history=3, repeat=0)

    assert run["window"] == {"mode": "scheduled", "start": "2026-01-07", "end": None}
    # Needed: the window's file (01-07) and the new one (01-08), per log.
    assert run["needed_raw_files"] == {
        log: [f"{log}/2026-01-07.parquet", f"{log}/2026-01-08.parquet"]
        for log in ("impressions", "engagements")
    }
    assert run["raw_files_present"] == {"impressions": 4, "engagements": 4}
    assert [(s["dbt_node"], s["log"], s["files_read"]) for s in run["raw_parquet_scans"]] == [
        ("base_feed__impressions", "impressions", 2),
        ("base_feed__impressions", "engagements", 5),
    ]
    assert run["raw_parquet_files_read"] == 7
    assert run["raw_scans_not_run"] == 1
    assert (run["raw_listing_scans"], run["raw_files_listed"]) == (1, 9)
    # The engagements scan read 5 files where the refresh needed 2.
    assert [(s["log"], s["files_read"]) for s in run["over_reads"]] == [("engagements", 5)]
    spark = run["spark_per_node"]
    assert {label: node["executions"] for label, node in spark.items()} == {
        "on-run-start-3 plan_refresh_window": 1,
        "base_feed__impressions": 1,
        "(between nodes)": 1,
    }
    assert spark["base_feed__impressions"]["spark_s"] == 4.0
    assert spark["on-run-start-3 plan_refresh_window"]["raw_listings"] == 1
    assert spark["base_feed__impressions"]["catalog_events"] == {"CreatePartitionsEvent": 1}
    assert run["history_groups_s"]["plan_refresh_window (on-run-start)"] == 10
    assert run["history_groups_s"]["reject_reason test on base_feed__impressions"] == 1
    assert run["on_run_start_s"] == 10
    assert run["history_nodes_s"] == 11


def test_the_page_section_gives_both_ratios_against_their_targets(tmp_path: Path):
    raw, built = tmp_path / "raw", tmp_path / "spark.built"
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True)
        for day in (5, 6, 7, 8):
            (raw / log / f"2026-01-0{day}.parquet").write_bytes(b"PAR1")
    ledger = built / "warehouse" / "feed.db" / "raw_file_ledger"
    _write_ledger(ledger)
    run_dir = tmp_path / "run"
    _write_event_log(run_dir / "events", raw, tmp_path / "spark" / "warehouse")
    _write_dbt_artifacts(run_dir)
    short = analyse_run(run_dir, raw, ledger, wall_s=30.0, history=7, repeat=0)
    long = analyse_run(run_dir, raw, ledger, wall_s=36.0, history=28, repeat=0)
    long["node_s"] = {**long["node_s"], "base_feed__impressions": 20.0}
    long["history_nodes_s"] = 12.0  # 12 / 11 = 1.09: met; 36 / 30 = 1.2: missed
    result = summarise([short, long], [7, 28], {"impressions_per_day": 1000, "repeats": 1})
    result["machine"] = {"date": "2026-01-09", "description": "a test machine"}

    page = render(result)

    assert page.startswith("## Spark daily refresh\n")
    assert "sum at 28 days / at 7 days: **1.09** (target: at most 1.2, met)" in page
    assert "whole refresh at 28 days / at 7 days: **1.20** (target: at most 1.1, missed)" in page
    assert "| base_feed__impressions | model | 10.00 | 20.00 |" in page
    assert "| raw scans that read more files than needed | 1 | 1 |" in page
    assert "|---|---|---|\n" in page  # a rule as wide as its header
