"""The lesson's scale, measured: one day of 100M impressions on this machine.

Generates two days at `impressions_per_day` (with their engagements, at the generator's
usual rates), then, each step a new `dbt build --exclude test_type:unit` process (the
scheduled run: every model and data test):

(a) full build: the first day's files on an empty DuckDB file;
(b) scheduled refresh: the second day's files are delivered and the same command runs on
    top of the built first day (its window re-opens the first day, whose label windows
    were still open, so it rewrites both days).

Wall time and peak RSS of the process tree, the settings used (DuckDB `memory_limit`,
`temp_directory`, threads) and the slowest nodes from dbt's run results. Writes
`bench/results/scale.json` and its section of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
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


def bench_scale(work: Path, impressions_per_day: int, memory_limit: str) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    logs = sharded_logs(work / f"scale_logs_{impressions_per_day}", 2, impressions_per_day, 3)
    raw = work / "scale_raw"
    shutil.rmtree(raw, ignore_errors=True)
    database = work / "scale.duckdb"
    for stale in work.glob("scale.duckdb*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    env = dbt_env(database, FEED_DUCKDB_MEMORY_LIMIT=memory_limit)
    steps = {}
    for step, day in (("full_build", START), ("refresh", START + dt.timedelta(days=1))):
        deliver_day(logs, raw, day)
        with duckdb.connect() as connection:
            delivered = connection.sql(
                f"select count(*) from read_parquet('{raw}/impressions/**/*.parquet')"
            ).fetchall()[0][0]
        step_work = work / f"scale_{step}"
        measured = measure(dbt_command(raw, step_work), env=env, cwd=PROJECT_DIR)
        steps[step] = {
            "impressions_delivered": delivered,
            "wall_s": measured.wall_s,
            "peak_rss_gib": measured.peak_rss_gib,
            "slowest_nodes": slowest_nodes(step_work),
        }
        print(f"  {step}: {measured.wall_s:.1f} s, {measured.peak_rss_gib:.2f} GiB", flush=True)
    with duckdb.connect(str(database), read_only=True) as connection:
        examples = connection.sql("select count(*) from int_examples_built").fetchall()[0][0]
        sampled = connection.sql("select count(*) from int_examples_sampled").fetchall()[0][0]
    return {
        "impressions_per_day": impressions_per_day,
        "memory_limit": memory_limit,
        "threads": int(os.environ.get("FEED_THREADS", "2")),
        "steps": steps,
        "examples_built": examples,
        "sampled_rows": sampled,
        "database_gib": database.stat().st_size / 2**30,
        "machine": machine_facts(),
    }


def render(result: dict) -> str:
    steps = result["steps"]
    lines = [
        "## The lesson's scale: one day of 100M impressions",
        "",
        "`python -m benchmarks.bench scale` (part of `make bench`): two generated days of",
        f"{result['impressions_per_day']:,} impressions each, with their engagements",
        f"(generated as {SHARDS} shards of users and tweets, like regions, merged into one",
        "file a day: the generator holds a day in memory). (a) A",
        "full build of the first day on an empty DuckDB file; (b) the second day delivered",
        "and the scheduled refresh run on top (its window re-opens the first day, whose",
        "label windows were still open, so it rewrites both days). Each is `dbt build",
        "--exclude test_type:unit`, every model and data test, a new process;",
        f"`FEED_DUCKDB_MEMORY_LIMIT={result['memory_limit']}`, spilling to the default",
        f"`temp_directory` (the database path + `.tmp`), {result['threads']} threads.",
        "",
        f"Run of {result['machine']['date']}: {result['machine']['description']}.",
        "",
        "| step | impressions in the logs | wall | peak RSS | slowest nodes |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("full_build", "(a) full build"), ("refresh", "(b) scheduled refresh")):
        step = steps[name]
        slowest = ", ".join(
            f"`{node['node']}` {node['seconds']:.0f} s" for node in step["slowest_nodes"][:5]
        )
        lines.append(
            f"| {label} | {step['impressions_delivered']:,} | {step['wall_s'] / 60:.1f} min "
            f"({step['wall_s']:.0f} s) | {step['peak_rss_gib']:.1f} GiB | {slowest} |"
        )
    full, refresh = steps["full_build"], steps["refresh"]
    fits = max(full["peak_rss_gib"], refresh["peak_rss_gib"]) < result["machine"]["memory_gib"]
    lines += [
        "",
        f"Both {'complete within' if fits else 'do not fit in'} the machine's "
        f"{result['machine']['memory_gib']:.0f} GiB (peaks {full['peak_rss_gib']:.1f} and "
        f"{refresh['peak_rss_gib']:.1f} GiB: DuckDB holds to its memory limit and spills "
        "beyond it). The refresh costs "
        f"{refresh['wall_s'] / full['wall_s']:.1f} times the one-day build because it "
        "rewrites two days (the new day and the day before it, whose label windows were "
        "still open) and tests them; each day of history beyond the window adds nothing "
        "(see the refresh section). What bounds it: the passes over every impression "
        "of the window's days, each a table or a test: "
        + ", ".join(
            f"`{node['node']}` {node['seconds']:.0f} s" for node in refresh["slowest_nodes"][:3]
        )
        + " in the refresh. The test that accounts for every raw row "
        "(`source_accounts_for_every_raw_row`) reads the raw files again to check that "
        "each row reached the clean log or the rejected rows; the others each make one "
        "pass over every impression or example of those days and write a table of them.",
        "",
        f"After the refresh: {result['examples_built']:,} examples, "
        f"{result['sampled_rows']:,} sampled rows, a {result['database_gib']:.1f} GiB "
        "DuckDB file.",
    ]
    return "\n".join(lines) + "\n"


def main(
    work: Path,
    out: Path,
    impressions_per_day: int,
    memory_limit: str,
    page: Path,
    render_only: bool = False,
) -> dict:
    if render_only:
        result = json.loads((out / "scale.json").read_text())
        for step, measured in result["steps"].items():
            if (work / f"scale_{step}" / "target" / "run_results.json").exists():
                measured["slowest_nodes"] = slowest_nodes(work / f"scale_{step}")
    else:
        result = bench_scale(work, impressions_per_day, memory_limit)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    write_section(page, "scale", render(result))
    return result
