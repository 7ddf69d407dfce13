"""Where a built node's time goes: DuckDB's EXPLAIN ANALYZE profile of each node's SQL.

    python -m benchmarks.profile_nodes --database data/feed.duckdb --target target \
        int_examples_sampled stg_feed__impressions

Reads each model's compiled `create table ... as (...)` from dbt's `target/run/`
folder of the build that made `database`, runs its query into a scratch table on a
copy of the database (the build is not touched) with profiling on, and prints the
slowest operators: time summed over DuckDB's threads, rows out, and what they do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

DETAILS = ("Table", "Conditions", "Groups", "Function", "CTE Name")


def compiled_query(target: Path, node: str) -> str:
    """The SELECT of a model's compiled CTAS (the database name removed, for a copy)."""
    paths = list((target / "run").rglob(f"{node}.sql"))
    if not paths:
        raise SystemExit(f"{node}: no compiled SQL under {target / 'run'}")
    sql = paths[0].read_text()
    body = sql[sql.index("as (") + len("as (") : sql.rindex(")")]
    return body.replace('"feed"."main".', '"main".')


def operators(node: dict, found: list[tuple[float, int, str]]) -> None:
    extra = node.get("extra_info", {})
    label = node["name"] + "".join(
        f" {key}={str(extra[key])[:70]}" for key in DETAILS if key in extra
    )
    found.append((node["timing"], node.get("intermediate_rows") or 0, label))
    for child in node.get("children", []):
        operators(child, found)


def profile(database: Path, target: Path, nodes: list[str], memory_limit: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy.duckdb"
        shutil.copyfile(database, copy)
        config = {"memory_limit": memory_limit, "preserve_insertion_order": False}
        with duckdb.connect(str(copy), config=config) as connection:
            connection.execute("set TimeZone = 'UTC'")
            for node in nodes:
                query = compiled_query(target, node)
                output = Path(scratch) / f"{node}.json"
                connection.execute("drop table if exists profiled")
                connection.execute(
                    f"set enable_profiling = 'json'; set profiling_output = '{output}'"
                )
                started = time.perf_counter()
                connection.execute(f"create table profiled as {query}")
                wall = time.perf_counter() - started
                connection.execute("pragma disable_profiling")
                report = json.loads(output.read_text())
                found: list[tuple[float, int, str]] = []
                for child in report["operator"]:
                    operators(child, found)
                found.sort(key=lambda item: -item[0])
                print(
                    f"{node}: wall {wall:.1f} s, operators {sum(t for t, _, _ in found):.1f} s "
                    f"over threads, peak buffer "
                    f"{report['system']['peak_buffer_memory'] / 2**30:.2f} GiB"
                )
                for seconds, rows, label in found[:5]:
                    print(f"  {seconds:6.2f} s {rows:>13,} rows  {label}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nodes", nargs="+", help="model names")
    parser.add_argument("--database", type=Path, required=True, help="the built DuckDB file")
    parser.add_argument("--target", type=Path, required=True, help="that build's target folder")
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args(argv)
    profile(args.database, args.target, args.nodes, args.memory_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
