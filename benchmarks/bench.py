"""Benchmarks (`make bench`): wall-clock medians, measured side by side in one run.

contract: the project's full build beside a hand-written DuckDB script (the
engine's floor), pandas and polars, at sizes from 1M to 64M impressions
(benchmarks.bench_contract).

scale: one new day at 1M and 100M impressions, the refresh onto a built history beside
the build of that day alone (benchmarks.bench_scale).

engines: a full build of the same logs on DuckDB and on local Spark at two
sizes, so users know when Spark starts to pay.

refresh: the cost of one scheduled daily refresh with 7 and with 28 days of
history already built, against a full rebuild at 28 days. Runs are
interleaved (7-day refresh, 28-day refresh, full rebuild, again) so that
machine noise hits all three alike; each refresh starts from a copy of the
same built database.

tables: the scheduled refresh of one new day from warehouse tables beside the
same refresh from files (benchmarks.bench_tables).

spark-refresh: the scheduled daily refresh on local Spark with 7 and 28 days
of history built, per node, and the raw files Spark's scans read, from its
event log (benchmarks.bench_spark).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import bench_contract, bench_scale, bench_spark, bench_tables
from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import (
    PROJECT_DIR,
    START,
    dbt_command,
    dbt_env,
    deliver_day,
    generated_logs,
)

CONTRACT_SIZES = "1000000,4000000,16000000,64000000"
# scale: impressions a day:days of history:repeats.
SCALE_SIZES = "1000000:7:3,100000000:2:2"


def _dbt(
    args: list[str],
    database: Path,
    raw: Path,
    work: Path,
    target: str = "duckdb",
    spark_dir: Path | None = None,
) -> float:
    """Run the dbt CLI as `make refresh` does (data tests, no unit tests); return wall seconds."""
    extra = {"FEED_SPARK_DIR": str(spark_dir)} if spark_dir is not None else {}
    command = dbt_command(raw, work, target=target, verb=args[0])
    started = time.perf_counter()
    subprocess.run(command, env=dbt_env(database, **extra), check=True, cwd=PROJECT_DIR)
    return time.perf_counter() - started


def _deliver(all_logs: Path, raw: Path, days: int) -> None:
    for offset in range(days):
        deliver_day(all_logs, raw, START + dt.timedelta(days=offset))


def bench_refresh(work: Path, impressions_per_day: int, repeats: int) -> dict:
    all_logs = generated_logs(work / "all_logs", 30, impressions_per_day, seed=1)
    built = {}
    for history in (7, 28):
        raw = work / f"raw_{history}"
        shutil.rmtree(raw, ignore_errors=True)
        _deliver(all_logs, raw, history)
        database = work / f"history_{history}.duckdb"
        database.unlink(missing_ok=True)
        _dbt(["build"], database, raw, work)  # the history, built once
        _deliver(all_logs, raw, history + 1)  # the new day arrives
        built[history] = (raw, database)
    timings: dict[str, list[float]] = {"refresh_7": [], "refresh_28": [], "full_28": []}
    for _ in range(repeats):
        for history in (7, 28):
            raw, database = built[history]
            run_database = work / f"run_{history}.duckdb"
            shutil.copy(database, run_database)
            timings[f"refresh_{history}"].append(_dbt(["build"], run_database, raw, work))
        raw, _ = built[28]
        full_database = work / "full_28.duckdb"
        full_database.unlink(missing_ok=True)
        timings["full_28"].append(_dbt(["build"], full_database, raw, work))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "machine": machine_facts(),
        "impressions_per_day": impressions_per_day,
        "repeats": repeats,
        "timings_s": timings,
        "medians_s": medians,
        "refresh_28_over_refresh_7": medians["refresh_28"] / medians["refresh_7"],
        "full_28_over_refresh_28": medians["full_28"] / medians["refresh_28"],
    }


def render_refresh(result: dict) -> str:
    """The refresh section of the benchmarks page."""
    medians, timings = result["medians_s"], result["timings_s"]
    rows = [
        ("refresh, 7 days built", "refresh_7"),
        ("refresh, 28 days built", "refresh_28"),
        ("full rebuild, 28 days + 1", "full_28"),
    ]
    lines = [
        "## Daily refresh cost",
        "",
        f"`python -m benchmarks.bench refresh` (part of `make bench`): "
        f"{result['impressions_per_day']:,} impressions a day,",
        f"{result['repeats']} runs each. Synthetic logs for 30 days; the history (7 or 28",
        "days) is built once with a full `dbt build`, the next day's files are delivered,",
        "and the timed command is the scheduled run itself, `dbt build --exclude",
        "test_type:unit` (what `make refresh` runs after its freshness gate): a new dbt",
        "process each time, parse, the planner (refresh_plan), every model and every data test.",
        "Each refresh starts from a copy of the same built database. The full rebuild is",
        "the same command on an empty database with the 28 days plus the new one.",
        "",
        f"Run of {result['machine']['date']}: {result['machine']['description']}.",
        "",
        "| command | runs (s) | median (s) |",
        "|---|---|---|",
    ]
    for label, key in rows:
        runs = ", ".join(f"{value:.2f}" for value in timings[key])
        lines.append(f"| {label} | {runs} | **{medians[key]:.2f}** |")
    growth, rebuild = result["refresh_28_over_refresh_7"], result["full_28_over_refresh_28"]
    lines += [
        "",
        f"- refresh at 28 days / refresh at 7 days: **{growth:.2f}** (target: at most 1.3, "
        f"{'met' if growth <= 1.3 else 'missed'});",
        f"- full rebuild / refresh at 28 days: **{rebuild:.1f}x** (target: at least 5x, "
        f"{'met' if rebuild >= 5 else 'missed'}).",
        "",
        "A refresh at this size is mostly fixed cost: a dbt process (start, parse, the",
        "planner) and some 110 nodes, 80 of them data tests (those that read the raw",
        "files on the window's days), for 2M impressions of work; the full rebuild is",
        "nearly all per-row work.",
        "So the cheaper the work per row, the lower this ratio, even as both get faster;",
        "at the lesson's scale the per-row work dominates the refresh too (see the 100M",
        "section).",
        "",
        "A refresh's cost does not grow with the history: raw files outside the window",
        "are pruned unread, deletes touch only the window's days (2 days on a normal",
        "day), and the tables that are rebuilt whole (watermark, split days, daily",
        "stats) hold one row per day and task. The data tests check whole tables, so",
        "their share grows with the history.",
    ]
    return "\n".join(lines) + "\n"


def bench_engines(work: Path, sizes: list[int], days: int, repeats: int) -> dict:
    """A full build of the same logs on DuckDB and on local Spark, at each size."""
    timings: dict[str, list[float]] = {}
    logs = {}
    for size in sizes:
        logs[size] = generated_logs(work / f"engines_{size}", days, size, seed=2)
    for repeat in range(repeats):
        for size in sizes:
            database = work / f"engines_{size}.duckdb"
            database.unlink(missing_ok=True)
            timings.setdefault(f"duckdb_{size}", []).append(
                _dbt(["build"], database, logs[size], work)
            )
            spark_dir = work / f"spark_{size}_{repeat}"
            shutil.rmtree(spark_dir, ignore_errors=True)
            timings.setdefault(f"spark_{size}", []).append(
                _dbt(["build"], database, logs[size], work, "spark", spark_dir)
            )
            shutil.rmtree(spark_dir, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "days": days,
        "impressions_per_day": sizes,
        "repeats": repeats,
        "timings_s": timings,
        "medians_s": medians,
        "spark_over_duckdb": {
            size: medians[f"spark_{size}"] / medians[f"duckdb_{size}"] for size in sizes
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "which",
        choices=["refresh", "engines", "contract", "scale", "spark-refresh", "tables"],
        nargs="?",
        default="refresh",
    )
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "data" / "bench")
    parser.add_argument("--impressions-per-day", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sizes",
        default=None,
        help="engines: impressions a day at each size (default 100000,1000000); "
        f"contract: impressions in all (default {CONTRACT_SIZES}); "
        f"scale: impressions a day:days of history:repeats (default {SCALE_SIZES})",
    )
    parser.add_argument(
        "--capped-sizes",
        default="16000000",
        help="contract: sizes at which the project also runs with a DuckDB memory_limit of 2GB",
    )
    parser.add_argument(
        "--tools",
        default=",".join(bench_contract.TOOLS),
        help="contract: the tools to run, project among them (default all); with some only, "
        "the figures go to contract_partial.json and the page is left as it is",
    )
    parser.add_argument(
        "--memory-limit",
        default="16GB",
        help="scale: DuckDB memory_limit (FEED_DUCKDB_MEMORY_LIMIT) of the runs",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="contract, scale, refresh: write the page (and plot) again from the last "
        "results, run nothing",
    )
    parser.add_argument(
        "--page", type=Path, default=PROJECT_DIR / "docs" / "benchmarks.md", help="page to write"
    )
    parser.add_argument("--days", type=int, default=9, help="engines: days of logs")
    parser.add_argument(
        "--histories",
        default="7,28",
        help="spark-refresh: days of history built before the timed refresh (default 7,28); "
        "its default --impressions-per-day is 300000",
    )
    parser.add_argument(
        "--reuse-built",
        action="store_true",
        help="spark-refresh: keep the built histories of an earlier run at the same size",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "bench" / "results")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.which == "contract":
        sizes = [int(size) for size in (args.sizes or CONTRACT_SIZES).split(",")]
        work = args.work / "contract"
        capped = [int(size) for size in args.capped_sizes.split(",") if size]
        if args.render_only:
            saved = json.loads((args.out / "contract.json").read_text())
            result = bench_contract.write_page(saved, args.page)
            sizes = saved["sizes"]
        else:
            tools = tuple(args.tools.split(","))
            result = bench_contract.main(
                work, args.out, sizes, args.repeats, args.page, capped, tools
            )
        for size in sizes:
            row = result["summary"][str(size)]
            reference = "floor" if "wall_s" in row.get("floor", {}) else "project"
            base = row[reference]["wall_s"]["median"]
            print(
                f"{size:>11,}: "
                + ", ".join(
                    f"{tool} {row[tool]['wall_s']['median']:.1f} s "
                    f"({row[tool]['wall_s']['median'] / base:.2f}x {reference}, "
                    f"{row[tool]['peak_rss_gib']['median']:.2f} GiB)"
                    for tool in row
                    if "wall_s" in row[tool]
                )
            )
        print("exponents: " + ", ".join(f"{t} {e:.2f}" for t, e in result["exponents"].items()))
        return 0
    if args.which == "scale":
        sizes = [
            tuple(int(part) for part in size.split(":"))
            for size in (args.sizes or SCALE_SIZES).split(",")
        ]
        for result in bench_scale.main(
            args.work, args.out, sizes, args.memory_limit, args.page, args.render_only
        ):
            print(
                f"  {result['impressions_per_day']:,} a day: refresh / one-day build "
                f"{result['refresh_over_day_build']:.2f} (target <= 1.3)"
            )
        return 0
    if args.which == "spark-refresh":
        per_day = args.impressions_per_day if args.impressions_per_day != 1_000_000 else 300_000
        histories = sorted({int(days) for days in args.histories.split(",")})
        result = bench_spark.main(
            args.work / "spark_refresh",
            args.out,
            per_day,
            args.repeats,
            histories,
            args.page,
            args.render_only,
            args.reuse_built,
        )
        low, high = (str(days) for days in (result["histories"][0], result["histories"][-1]))
        medians = result["medians"]
        print(
            f"{result['impressions_per_day']:,} impressions a day, {result['repeats']} runs each:"
        )
        for days in result["histories"]:
            row = medians[str(days)]
            print(
                f"  {days:>3} days built: refresh {row['wall_s']:7.1f} s, the five "
                f"history-suspect nodes {row['history_nodes_s']:6.1f} s, raw Parquet files "
                f"read {row['raw_parquet_files_read']:g}"
            )
        print(f"  five nodes {high}/{low}: {result['history_nodes_ratio']:.2f} (target <= 1.2)")
        print(f"  refresh    {high}/{low}: {result['refresh_ratio']:.2f} (target <= 1.1)")
        return 0
    if args.which == "engines":
        sizes = [int(size) for size in (args.sizes or "100000,1000000").split(",")]
        result = bench_engines(args.work, sizes, args.days, args.repeats)
        (args.out / "engines.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"{args.days} days of logs, {args.repeats} runs each, full dbt build, medians:")
        for size in sizes:
            duck, spark = (
                result["medians_s"][f"duckdb_{size}"],
                result["medians_s"][f"spark_{size}"],
            )
            print(
                f"  {size:>10,} impressions/day: DuckDB {duck:7.1f} s, Spark {spark:7.1f} s, "
                f"Spark/DuckDB {spark / duck:5.2f}"
            )
        return 0
    if args.which == "tables":
        if args.render_only:
            result = json.loads((args.out / "tables.json").read_text())
        else:
            result = bench_tables.bench_tables(
                args.work / "tables", args.impressions_per_day, args.repeats
            )
        (args.out / "tables.json").write_text(json.dumps(result, indent=2) + "\n")
        write_section(args.page, "tables", bench_tables.render_tables(result))
        medians = result["medians_s"]
        print(f"{args.impressions_per_day:,} impressions a day, {args.repeats} runs each:")
        print(f"  refresh from files:  {medians['files']:7.2f} s")
        print(f"  refresh from tables: {medians['tables']:7.2f} s")
        print(f"  tables / files:      {result['tables_over_files']:7.2f} (target <= 1.2)")
        return 0
    if args.render_only:
        result = json.loads((args.out / "refresh.json").read_text())
    else:
        result = bench_refresh(args.work, args.impressions_per_day, args.repeats)
    (args.out / f"{args.which}.json").write_text(json.dumps(result, indent=2) + "\n")
    write_section(args.page, "refresh", render_refresh(result))
    medians = result["medians_s"]
    print(f"{args.impressions_per_day:,} impressions a day, {args.repeats} runs each, medians:")
    print(f"  refresh with  7 days built: {medians['refresh_7']:7.2f} s")
    print(f"  refresh with 28 days built: {medians['refresh_28']:7.2f} s")
    print(f"  full rebuild at 28 days:    {medians['full_28']:7.2f} s")
    print(f"  refresh 28 / refresh 7:     {result['refresh_28_over_refresh_7']:7.2f}")
    print(f"  full 28 / refresh 28:       {result['full_28_over_refresh_28']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
