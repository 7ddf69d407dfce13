"""The Spark refresh benchmark's results (benchmarks.bench_spark): the summary of its
runs per history and the section of docs/benchmarks.md it writes."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from benchmarks.spark_events import HISTORY_GROUPS

GROUP_TARGET = 1.2


REFRESH_TARGET = 1.1


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
