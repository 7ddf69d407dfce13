"""Build a checkout of this project on given raw logs and snapshot every relation it leaves.

The checkout is built with its own dbt_project.yml and profiles.yml (DBT_PROFILES_DIR is
the checkout) on a fresh DuckDB file under --out (or on Spark, --target spark, whose state
also goes under --out). Then every table and view of the schemas the project's models and
seeds live in (the models of every layer, the seeds, and the refresh's run and file
ledgers) is written to --out/tables/<relation>.parquet, rows sorted by all columns, and
--out/snapshot.json records the builds, their times and each relation's columns, engine
types and row count. tools/compare_snapshots.py compares two such folders.

One full build by default. With --day-by-day ALL_LOGS, the days of ALL_LOGS (one
<log>/YYYY-MM-DD.parquet per log and day) are delivered into --raw one at a time, copied
with their modification times (the raw-file ledger records them): the first
--first-days days, then a full `dbt build`; then, after each further day, the scheduled
refresh `dbt build --exclude test_type:unit`. --first-out also snapshots the state after
the first build.

Run it with the project's virtualenv, e.g.

    .venv/bin/python tools/snapshot_build.py --project . --raw data/raw --out data/snapshot
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from feedpipe.dbt_api import close_duckdb, environment

LOGS = ("impressions", "engagements")
DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")
# DuckDB types that Parquet cannot hold exactly: written as text (the type is kept in
# snapshot.json).
AS_TEXT = re.compile(r"^(U?HUGEINT|INTERVAL|UNION|BIT|TIME WITH TIME ZONE)\b")


class Builder:
    """Runs dbt on one checkout, target, database and raw folder, through dbt's Python API."""

    def __init__(
        self, project: Path, work: Path, raw: Path, target: str, dbt_vars: dict, threads: int | None
    ) -> None:
        self.project, self.work, self.raw, self.target = project, work, raw, target
        self.dbt_vars = {**dbt_vars, "raw_path": str(raw)}
        self.threads = threads
        self.database = work / "feed.duckdb"
        self.builds: list[dict[str, Any]] = []

    def env(self) -> dict[str, str]:
        values = {
            "DBT_PROFILES_DIR": str(self.project),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "FEED_RAW_PATH": str(self.raw),
            "FEED_DUCKDB_PATH": str(self.database),
            "FEED_SPARK_DIR": str(self.work / "spark"),
        }
        log4j = self.project / "spark" / "log4j2.properties"
        if log4j.exists():
            values["FEED_SPARK_LOG4J"] = str(log4j)
        return values

    def build(self, label: str, unit_tests: bool) -> None:
        """`dbt build` (with dbt's unit tests or without); raise SystemExit on failure."""
        from dbt.cli.main import dbtRunner

        args = ["build"] + ([] if unit_tests else ["--exclude", "test_type:unit"])
        command = [
            *args,
            "--target",
            self.target,
            "--project-dir",
            str(self.project),
            "--profiles-dir",
            str(self.project),
            "--target-path",
            str(self.work / "target"),
            "--log-path",
            str(self.work / "logs"),
            "--vars",
            json.dumps(self.dbt_vars, default=str),
        ]
        if self.threads:
            command += ["--threads", str(self.threads)]
        print(f"[snapshot] {label}: dbt {' '.join(args)}", flush=True)
        started = time.perf_counter()
        with environment(**self.env()):
            try:
                result = dbtRunner().invoke(command)
            finally:
                close_duckdb()
        seconds = round(time.perf_counter() - started, 1)
        self.builds.append(
            {"label": label, "args": args, "seconds": seconds, "success": bool(result.success)}
        )
        print(
            f"[snapshot] {label}: {'ok' if result.success else 'FAILED'} in {seconds} s", flush=True
        )
        if not result.success:
            failed = [
                f"{r.node.name}: {r.status} {r.message}"
                for r in (result.result or [])
                if str(r.status) not in {"success", "pass"}
            ]
            raise SystemExit(f"dbt build failed ({label}): {result.exception} {failed}")

    def schemas(self) -> list[str]:
        """The schemas of the project's models, seeds and snapshots (from the manifest)."""
        manifest = json.loads((self.work / "target" / "manifest.json").read_text())
        return sorted(
            {
                node["schema"]
                for node in manifest["nodes"].values()
                if node["resource_type"] in {"model", "seed", "snapshot"}
            }
        )


def write_table(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def snapshot_duckdb(builder: Builder, tables_dir: Path) -> list[dict[str, Any]]:
    """Every table and view of the project's schemas in the DuckDB file, one Parquet each."""
    schemas = builder.schemas()
    relations = []
    with duckdb.connect(str(builder.database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        listed = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() and list_contains(?, table_schema) "
            "order by all",
            [schemas],
        ).fetchall()
        for schema, name, kind in listed:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? "
                "and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            selected = ", ".join(
                f'cast("{column}" as varchar) as "{column}"'
                if AS_TEXT.match(kind_)
                else f'"{column}"'
                for column, kind_ in columns
            )
            file_name = relation_file(schema, name, [(s, n) for s, n, _ in listed])
            connection.execute(
                f'copy (select {selected} from "{schema}"."{name}" order by all) '
                f"to '{tables_dir / file_name}' (format parquet, compression zstd)"
            )
            rows = pq.ParquetFile(tables_dir / file_name).metadata.num_rows
            relations.append(relation_entry(schema, name, kind, columns, rows, file_name))
    return relations


def snapshot_spark(builder: Builder, tables_dir: Path) -> list[dict[str, Any]]:
    """Every table and view of the project's schemas, read through dbt-spark's session."""
    from pyspark.sql import SparkSession, functions
    from pyspark.sql.types import MapType

    spark = SparkSession.builder.getOrCreate()  # dbt-spark's in-process session
    listed = [
        (schema, table.name, table.tableType)
        for schema in builder.schemas()
        for table in spark.catalog.listTables(schema)
        if not table.isTemporary
    ]
    relations = []
    for schema, name, table_type in listed:
        frame = spark.table(f"`{schema}`.`{name}`")
        columns = [(field.name, field.dataType.simpleString()) for field in frame.schema]
        order = [
            functions.col(f"`{field.name}`").asc_nulls_last()
            for field in frame.schema
            if not isinstance(field.dataType, MapType)
        ]
        table = frame.orderBy(*order).toArrow() if order else frame.toArrow()
        file_name = relation_file(schema, name, [(s, n) for s, n, _ in listed])
        write_table(table, tables_dir / file_name)
        kind = "VIEW" if table_type == "VIEW" else "BASE TABLE"
        relations.append(relation_entry(schema, name, kind, columns, table.num_rows, file_name))
    return relations


def relation_file(schema: str, name: str, listed: list[tuple[str, str]]) -> str:
    """A relation's file: its name, with its schema only when another schema has the name."""
    shared = sum(1 for _, other in listed if other == name) > 1
    return f"{schema}.{name}.parquet" if shared else f"{name}.parquet"


def relation_entry(
    schema: str, name: str, kind: str, columns: list, rows: int, file_name: str
) -> dict[str, Any]:
    return {
        "name": file_name.removesuffix(".parquet"),
        "schema": schema,
        "relation": name,
        "kind": kind,
        "rows": rows,
        "file": f"tables/{file_name}",
        "columns": [{"name": column, "type": kind_} for column, kind_ in columns],
    }


def snapshot(builder: Builder, out: Path, scenario: dict[str, Any]) -> None:
    """Write out/tables/*.parquet and out/snapshot.json from the current build."""
    tables_dir = out / "tables"
    if tables_dir.exists():
        shutil.rmtree(tables_dir)
    tables_dir.mkdir(parents=True)
    started = time.perf_counter()
    reader = snapshot_spark if builder.target == "spark" else snapshot_duckdb
    relations = reader(builder, tables_dir)
    seconds = round(time.perf_counter() - started, 1)
    meta = {
        "project": str(builder.project),
        "commit": git_state(builder.project),
        "target": builder.target,
        "raw": str(builder.raw),
        "vars": builder.dbt_vars,
        "scenario": scenario,
        "builds": list(builder.builds),
        "snapshot_seconds": seconds,
        "relations": relations,
    }
    (out / "snapshot.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    print(f"[snapshot] {len(relations)} relations -> {out} in {seconds} s", flush=True)


def git_state(project: Path) -> str | None:
    """The checkout's commit, with '-dirty' when tracked files differ from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=no"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def delivery_days(all_logs: Path) -> list[str]:
    """The days of a folder of generated logs (<log>/YYYY-MM-DD.parquet), in order."""
    days = sorted(
        match.group(1)
        for path in (all_logs / LOGS[0]).iterdir()
        if (match := DAY_FILE.match(path.name))
    )
    if not days:
        raise SystemExit(f"no {LOGS[0]}/YYYY-MM-DD.parquet files under {all_logs}")
    return days


def deliver_day(all_logs: Path, raw: Path, day: str) -> None:
    """Deliver one day's files (one per log) into a growing raw folder, keeping their
    modification times, as a delivery copied with `cp -p` would."""
    for log in LOGS:
        (raw / log).mkdir(parents=True, exist_ok=True)
        shutil.copy2(all_logs / log / f"{day}.parquet", raw / log / f"{day}.parquet")


def load_vars(text: str | None) -> dict[str, Any]:
    """dbt vars from a YAML file or a YAML string."""
    if not text:
        return {}
    path = Path(text)
    loaded = yaml.safe_load(path.read_text() if path.is_file() else text)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise SystemExit(f"--vars must be a YAML mapping, got: {text}")
    return loaded


def prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="a checkout of the project")
    parser.add_argument(
        "--raw",
        type=Path,
        help="raw logs folder (with --day-by-day: the folder days are "
        "delivered into, absent or empty; default OUT/work/raw)",
    )
    parser.add_argument("--out", type=Path, required=True, help="snapshot folder")
    parser.add_argument("--vars", help="dbt vars: a YAML file or a YAML string")
    parser.add_argument("--target", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's)")
    parser.add_argument(
        "--day-by-day",
        type=Path,
        metavar="ALL_LOGS",
        help="deliver the days of this folder into --raw one at a time",
    )
    parser.add_argument(
        "--first-days",
        type=int,
        default=1,
        help="with --day-by-day: days delivered before the first build",
    )
    parser.add_argument(
        "--first-out", type=Path, help="with --day-by-day: also snapshot the first build here"
    )
    parser.add_argument(
        "--no-unit-tests",
        action="store_true",
        help="leave dbt's unit tests out of the full build too",
    )
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out")
    args = parser.parse_args(argv)
    if args.day_by_day is None and (args.raw is None or args.first_out is not None):
        parser.error("--raw is required, and --first-out needs --day-by-day")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    project, out = args.project.resolve(), args.out.resolve()
    first_out = args.first_out.resolve() if args.first_out else None
    if not (project / "dbt_project.yml").is_file():
        raise SystemExit(f"{project} has no dbt_project.yml")
    prepare_out(out, args.force)
    if first_out:
        prepare_out(first_out, args.force)
    work = out / "work"
    work.mkdir()
    raw = (args.raw or work / "raw").resolve()
    scenario: dict[str, Any] = {"mode": "full build"}
    if args.day_by_day:
        all_logs = args.day_by_day.resolve()
        if raw.exists() and any(raw.iterdir()):
            raise SystemExit(f"{raw} must be absent or empty: days are delivered into it")
        days = delivery_days(all_logs)
        first = max(1, min(args.first_days, len(days)))
        scenario = {
            "mode": "day by day",
            "all_logs": str(all_logs),
            "days": days,
            "first_days": first,
        }
    elif not raw.is_dir():
        raise SystemExit(f"{raw} is not a folder")
    dbt_vars = load_vars(args.vars)
    os.chdir(work)  # whatever a tool writes to its working folder stays under --out
    builder = Builder(project, work, raw, args.target, dbt_vars, args.threads)
    started = time.perf_counter()
    if args.day_by_day:
        for day in days[:first]:
            deliver_day(all_logs, raw, day)
        builder.build(f"full build of {days[0]}..{days[first - 1]}", not args.no_unit_tests)
        if first_out:
            snapshot(builder, first_out, {**scenario, "snapshot_after": days[first - 1]})
        for day in days[first:]:
            deliver_day(all_logs, raw, day)
            builder.build(f"refresh after delivering {day}", unit_tests=False)
        scenario["snapshot_after"] = days[-1]
    else:
        builder.build("full build", not args.no_unit_tests)
    scenario["build_seconds"] = round(time.perf_counter() - started, 1)
    snapshot(builder, out, scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
