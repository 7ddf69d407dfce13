"""Build dbt's documentation site as one static page (`make docs`).

    python -m feedpipe.docs_site [--out data/docs/index.html] [--raw data/raw]

Runs `dbt docs generate --static` (dbt's Python API) on the built DuckDB file
`$FEED_DUCKDB_PATH` (default data/feed.duckdb), copies the page dbt writes
(`static_index.html`) to `--out` and prints its path. The page holds dbt's docs
app with the manifest (models, descriptions, columns, tests, lineage, compiled
SQL) and the catalog (column types, row counts of the built tables) inlined: open
it from disk, no server and no network. Usage statistics stay off (the project's
`send_anonymous_usage_stats: false`), so the page loads no tracker.

- The catalog is read from the database: build it first (`make build`). A
  missing database, or one without any built model, stops with that advice.
- `docs generate` does not run the project's on-run-start hooks, but it compiles
  every model and compiling runs their introspective queries over the raw logs
  (`raw_path`: `--raw`, else `$FEED_RAW_PATH`, else data/raw). It reads them only
  (file listings and Parquet metadata); the database is not modified. Without the
  raw logs the page is built from the parsed project (`dbt parse`, then
  `docs generate --no-compile`): everything but the compiled SQL, with a note.
- dbt's artifacts (manifest.json, catalog.json, run_results.json) go to a
  throwaway target folder, never the project's `target/`: `dbt retry` and
  anything else reading the last build's artifacts there keep seeing them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from feedpipe.dbt_api import close_duckdb, environment

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "data/feed.duckdb"
DEFAULT_RAW = "data/raw"
DEFAULT_OUT = Path("data/docs/index.html")
STATIC_PAGE = "static_index.html"
# The run ledger's tables (source feed_refresh), which the on-run-start hook
# creates before any node runs.
LEDGER_TABLES = {"feed_refresh_runs", "feed_refresh_windows"}
LOGS = ("impressions", "engagements")


class DocsError(RuntimeError):
    """The docs could not be built: the message says why and what to do."""


class NotBuilt(DocsError):
    """No built database to document: run `make build` first."""


@dataclass(frozen=True)
class DocsPage:
    path: Path
    compiled: bool  # False: built without the raw logs, so without compiled SQL


def check_database(database: Path) -> None:
    """Raise DocsError unless `database` is a DuckDB file holding built models."""
    if not database.is_file():
        raise NotBuilt(
            f"no DuckDB database at {database} (FEED_DUCKDB_PATH): the docs read its "
            "catalog, run `make build` first"
        )
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            tables = {
                row[0]
                for row in connection.execute(
                    "select table_name from information_schema.tables"
                ).fetchall()
            }
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        raise DocsError(
            f"cannot open the DuckDB database {database} (FEED_DUCKDB_PATH): {first_line}"
        ) from error
    if not tables - LEDGER_TABLES:
        raise NotBuilt(
            f"the DuckDB database {database} (FEED_DUCKDB_PATH) holds no built model: "
            "run `make build` first"
        )


def has_raw_logs(raw_path: str) -> bool:
    """Whether both logs have Parquet files under `raw_path` (a URI counts as yes:
    dbt reads it, this cannot list it)."""
    if "://" in raw_path:
        return True
    root = Path(raw_path)
    return all(any((root / log).rglob("*.parquet")) for log in LOGS)


def _failure(command: str, result) -> str:
    problems = []
    if result.exception is not None:
        problems.append(str(result.exception).strip())
    for node_result in getattr(result.result, "results", None) or []:
        if str(node_result.status) not in {"success", "pass"}:
            problems.append(f"{node_result.node.name}: {node_result.status} {node_result.message}")
    return f"dbt {command} failed: " + ("; ".join(problems) or "see the dbt log above")


def generate_static_docs(
    database: Path,
    out: Path,
    raw_path: str | os.PathLike[str] | None = None,
    work_dir: Path | None = None,
    threads: int | None = None,
) -> DocsPage:
    """Build the static docs page of the project on `database` and write it to `out`.

    `raw_path`: the raw logs the models compile against (default $FEED_RAW_PATH,
    else data/raw). `work_dir`: where dbt's target/ and logs/ go (default: a
    temporary folder, removed after). Raises DocsError."""
    database = Path(database).resolve()
    check_database(database)
    raw = os.fspath(raw_path or os.environ.get("FEED_RAW_PATH") or DEFAULT_RAW)
    if "://" not in raw:
        raw = str(Path(raw).resolve())
    compiled = has_raw_logs(raw)
    if not compiled:
        print(
            f"feedpipe.docs_site: no raw logs under {raw} (FEED_RAW_PATH): the models' "
            "SQL cannot be compiled, the page leaves it out",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="feed-docs-") as scratch:
        work = Path(work_dir).resolve() if work_dir is not None else Path(scratch)
        target = work / "target"
        common = [
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            os.environ.get("DBT_PROFILES_DIR") or str(PROJECT_DIR),
            "--target",
            "duckdb",
            "--target-path",
            str(target),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps({"raw_path": raw}),
            "--no-send-anonymous-usage-stats",
        ]
        if threads is not None:
            common += ["--threads", str(threads)]
        commands = [["docs", "generate", "--static", *common]]
        if not compiled:
            # `--static --no-compile` reads manifest.json, which only parse or
            # compile write: parse first.
            commands = [
                ["parse", *common],
                ["docs", "generate", "--static", "--no-compile", *common],
            ]
        page = target / STATIC_PAGE
        page.unlink(missing_ok=True)
        _invoke(commands, database)
        if not page.is_file():
            raise DocsError(f"dbt docs generate wrote no {page}")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        shutil.copyfile(page, partial)
        partial.replace(out)
    return DocsPage(path=out, compiled=compiled)


def _invoke(commands: list[list[str]], database: Path) -> None:
    from dbt.cli.main import dbtRunner

    manifest = None
    with environment(FEED_DUCKDB_PATH=str(database), DBT_SEND_ANONYMOUS_USAGE_STATS="false"):
        for command in commands:
            try:
                result = dbtRunner(manifest=manifest).invoke(command)
            finally:
                close_duckdb()
            if not result.success:
                raise DocsError(_failure(" ".join(command[:2]), result))
            if command[0] == "parse":
                manifest = result.result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.docs_site", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"where to write the page (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("FEED_DUCKDB_PATH") or DEFAULT_DATABASE),
        help=f"the built DuckDB file (default: $FEED_DUCKDB_PATH or {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--raw",
        default=None,
        help=f"the raw logs the models compile against (default: $FEED_RAW_PATH or {DEFAULT_RAW})",
    )
    args = parser.parse_args(argv)
    try:
        page = generate_static_docs(args.database, args.out, args.raw)
    except DocsError as error:
        print(f"feedpipe.docs_site: {error}", file=sys.stderr)
        return 2 if isinstance(error, NotBuilt) else 1
    print(page.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
