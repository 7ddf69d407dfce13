"""One new day, measured: the daily refresh beside the build of that day alone.

Per size (impressions a day, days of history, repeats): generates the history and one
more day (with their engagements, at the generator's usual rates), builds the history
once, then alternates, each a new `dbt build --exclude test_type:unit` process (the
scheduled run: every model and data test):

(a) the scheduled refresh: the new day's files delivered onto the built history;
(b) the one-day build: the new day's files alone on an empty DuckDB file.

Wall time and peak RSS of the process tree, the settings used (DuckDB `memory_limit`,
`temp_directory`, threads) and the slowest nodes from dbt's run results. Writes
`bench/results/scale.json` and its section of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
from pathlib import Path

import duckdb

from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import (
    PROJECT_DIR,
    START,
    dbt_command,
    dbt_env,
    deliver_day,
    generated_logs,
    measure,
    slowest_nodes,
)

# The generator holds a whole day in memory (about 24 GiB at 100M impressions with
# its engagement model), so the scale's day is generated as this many shards of
# users and tweets, like regions, each with its own IDs, merged into one file a day.
SHARDS = 4


def sharded_logs(out: Path, days: int, impressions_per_day: int, seed: int) -> Path:
    """Logs of `days` days at `impressions_per_day`, generated as SHARDS independent
    worlds (users and tweets offset so that no two shards share an ID), one file a day
    and log as the generator writes; kept in `out` and reused once complete."""
    marker = out / ".complete"
    if marker.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    per_shard = impressions_per_day // SHARDS
    # The users and tweets generated_logs gives a shard; IDs start at 0 in each.
    users, tweets = max(1000, per_shard // 5), max(2000, per_shard // 2)
    shards = [
        generated_logs(out / f"shard_{shard}", days, per_shard, seed=seed + shard)
        for shard in range(SHARDS)
    ]
    for log, ts in (("impressions", "impression_ts"), ("engagements", "engagement_ts")):
        (out / log).mkdir(parents=True, exist_ok=True)
        for day in sorted(path.name for path in (shards[0] / log).glob("*.parquet")):
            union = " union all ".join(
                f"select * replace (user_id + {shard * users} as user_id, "
                f"tweet_id + {shard * tweets} as tweet_id) "
                f"from read_parquet('{path / log / day}')"
                for shard, path in enumerate(shards)
            )
            with duckdb.connect() as connection:
                connection.execute(
                    f"copy ({union} order by {ts}) to '{out / log / day}' (format parquet)"
                )
    for path in shards:
        shutil.rmtree(path)
    marker.touch()
    return out


def _delivered(raw: Path) -> int:
    with duckdb.connect() as connection:
        return connection.sql(
            f"select count(*) from read_parquet('{raw}/impressions/**/*.parquet')"
        ).fetchall()[0][0]


def _clear(database: Path) -> None:
    for stale in database.parent.glob(database.name + "*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()


def _step(raw: Path, database: Path, work: Path, env: dict) -> dict:
    """One scheduled `dbt build` on `database`: wall, peak RSS, slowest nodes."""
    measured = measure(
        dbt_command(raw, work), env={**env, "FEED_DUCKDB_PATH": str(database)}, cwd=PROJECT_DIR
    )
    return {
        "impressions_delivered": _delivered(raw),
        "wall_s": measured.wall_s,
        "peak_rss_gib": measured.peak_rss_gib,
        "slowest_nodes": slowest_nodes(work),
    }


def bench_day(
    work: Path, impressions_per_day: int, history_days: int, repeats: int, memory_limit: str
) -> dict:
    """The refresh of one new day onto `history_days` built days, beside the full build
    of that day alone, alternated `repeats` times (each refresh on a copy of the built
    history, each one-day build on an empty file)."""
    work = work / f"day_{impressions_per_day}"
    work.mkdir(parents=True, exist_ok=True)
    logs = (
        sharded_logs(work / "logs", history_days + 1, impressions_per_day, 3)
        if impressions_per_day >= 20_000_000
        else generated_logs(work / "logs", history_days + 1, impressions_per_day, seed=3)
    )
    new_day = START + dt.timedelta(days=history_days)
    env = dbt_env(work / "unused.duckdb", FEED_DUCKDB_MEMORY_LIMIT=memory_limit)
    # The history, built once and as the project is operated: the first day built,
    # then one scheduled refresh a day. (A build of several days at once interleaves
    # their rows in DuckDB's row groups, so the first refresh after it reads the day
    # before among all of them; a daily refresh writes each day's rows together.)
    history_raw, history = work / "history_raw", work / "history.duckdb"
    shutil.rmtree(history_raw, ignore_errors=True)
    _clear(history)
    history_runs = []
    for day in range(history_days):
        deliver_day(logs, history_raw, START + dt.timedelta(days=day))
        history_runs.append(_step(history_raw, history, work / "history_build", env))
    built = {
        "wall_s": sum(run["wall_s"] for run in history_runs),
        "runs_wall_s": [run["wall_s"] for run in history_runs],
    }
    print(
        f"  history of {history_days} days built, a day at a time: "
        + ", ".join(f"{wall:.1f}" for wall in built["runs_wall_s"])
        + " s",
        flush=True,
    )
    # The one-day build reads the new day's files alone.
    day_raw = work / "day_raw"
    shutil.rmtree(day_raw, ignore_errors=True)
    deliver_day(logs, day_raw, new_day)
    runs: dict[str, list[dict]] = {"refresh": [], "day_build": []}
    for repeat in range(repeats):
        order = ("refresh", "day_build") if repeat % 2 == 0 else ("day_build", "refresh")
        for step in order:
            if step == "refresh":
                raw, database = work / "refresh_raw", work / "refresh.duckdb"
                shutil.rmtree(raw, ignore_errors=True)
                shutil.copytree(history_raw, raw)
                deliver_day(logs, raw, new_day)
                _clear(database)
                if repeats == 1:
                    # One run: refresh the history itself (no copy of a large file).
                    history.rename(database)
                else:
                    shutil.copy(history, database)
            else:
                raw, database = day_raw, work / "day_build.duckdb"
                _clear(database)
            measured = _step(raw, database, work / step, env)
            if step == "day_build":
                # Not read again: at 100M impressions a day the history and the
                # refresh's copy of it already take about 44 GB.
                _clear(database)
            runs[step].append(measured)
            print(
                f"  {step}: {measured['wall_s']:.1f} s, {measured['peak_rss_gib']:.2f} GiB",
                flush=True,
            )
    with duckdb.connect(str(work / "refresh.duckdb"), read_only=True) as connection:
        examples = connection.sql("select count(*) from int_examples_built").fetchall()[0][0]
        sampled = connection.sql("select count(*) from int_examples_sampled").fetchall()[0][0]
    database_gib = (work / "refresh.duckdb").stat().st_size / 2**30
    for database in ("refresh.duckdb", "day_build.duckdb", "history.duckdb"):
        _clear(work / database)
    medians = {
        step: {
            key: statistics.median(run[key] for run in measured)
            for key in ("wall_s", "peak_rss_gib")
        }
        for step, measured in runs.items()
    }
    return {
        "impressions_per_day": impressions_per_day,
        "history_days": history_days,
        "repeats": repeats,
        "memory_limit": memory_limit,
        "threads": int(os.environ.get("FEED_THREADS", "2")),
        "history_build": built,
        "runs": runs,
        "medians": medians,
        "refresh_over_day_build": medians["refresh"]["wall_s"] / medians["day_build"]["wall_s"],
        "examples_built": examples,
        "sampled_rows": sampled,
        "database_gib": database_gib,
        "machine": machine_facts(),
    }


def _nodes(step: dict, count: int = 5) -> str:
    return ", ".join(
        f"`{node['node']}` {node['seconds']:.0f} s" for node in step["slowest_nodes"][:count]
    )


def render(results: list[dict]) -> str:
    first = results[0]
    lines = [
        "## One new day: the refresh beside the build of that day alone",
        "",
        "`python -m benchmarks.bench scale` (part of `make bench`, at 1M and 100M",
        "impressions a day): generated logs (at 100M generated as",
        f"{SHARDS} shards of users and tweets, like regions, merged into one file a day: the",
        "generator holds a day in memory). The history is built once, as the project is",
        "operated: its first day built, then one scheduled refresh a day. Then, alternated,",
        "(a) the scheduled refresh of the next day delivered onto the history and (b) the",
        "full build of that day alone, its files only, on an empty DuckDB file. Each is",
        "`dbt build --exclude test_type:unit` (what `make refresh` runs after its",
        "freshness gate: the planner, every model and data test), a new process;",
        f"`FEED_DUCKDB_MEMORY_LIMIT={first['memory_limit']}`, spilling to the default",
        f"`temp_directory`, {first['threads']} threads. Wall time and peak RSS of the",
        "process tree; the slowest nodes from dbt's run results.",
        "",
        f"Run of {first['machine']['date']}: {first['machine']['description']}.",
        "",
        "| impressions a day | history | step | runs | wall median | peak RSS | slowest nodes |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for name, label in (("refresh", "(a) refresh"), ("day_build", "(b) one-day build")):
            runs = result["runs"][name]
            median = result["medians"][name]
            slowest = min(runs, key=lambda run: abs(run["wall_s"] - median["wall_s"]))
            walls = ", ".join(f"{run['wall_s']:.1f}" for run in runs)
            lines.append(
                f"| {result['impressions_per_day']:,} | {result['history_days']} days "
                f"| {label} | {walls} s "
                f"| **{median['wall_s']:.1f} s** | {median['peak_rss_gib']:.1f} GiB "
                f"| {_nodes(slowest)} |"
            )
    lines.append("")
    for result in results:
        ratio = result["refresh_over_day_build"]
        lines.append(
            f"- {result['impressions_per_day']:,} impressions a day: the refresh takes "
            f"**{ratio:.2f}** times the one-day build (target: at most 1.3, "
            f"{'met' if ratio <= 1.3 else 'missed'}); peak RSS "
            f"{result['medians']['refresh']['peak_rss_gib']:.1f} GiB "
            f"(machine: {result['machine']['memory_gib']:.0f} GiB)."
        )
    largest = results[-1]
    lines += [
        "",
        "What bounds the refresh: it does the new day's work (read, clean, fold into",
        "examples and count that day) and re-opens only the labels of the day before,",
        "whose label windows were still open, with what follows from them (that day's",
        "rates, draw, features and split rows); at the largest size its slowest nodes are "
        + _nodes(
            min(
                largest["runs"]["refresh"],
                key=lambda run: abs(run["wall_s"] - largest["medians"]["refresh"]["wall_s"]),
            ),
            3,
        )
        + ". The rule: [operations](operations.md#cost).",
        "",
        f"After the refresh at {largest['impressions_per_day']:,}: "
        f"{largest['examples_built']:,} examples, {largest['sampled_rows']:,} sampled rows, "
        f"a {largest['database_gib']:.1f} GiB DuckDB file.",
    ]
    return "\n".join(lines) + "\n"


def main(
    work: Path,
    out: Path,
    sizes: list[tuple[int, int, int]],
    memory_limit: str,
    page: Path,
    render_only: bool = False,
) -> list[dict]:
    """`sizes`: (impressions a day, days of history, repeats) each."""
    if render_only:
        results = json.loads((out / "scale.json").read_text())
    else:
        results = [
            bench_day(work, per_day, history, repeats, memory_limit)
            for per_day, history, repeats in sizes
        ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    write_section(page, "scale", render(results))
    return results
