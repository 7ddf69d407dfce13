"""Compare two snapshot folders written by tools/snapshot_build.py, relation by relation.

For every relation of both snapshots (A's names mapped through --rename old=new): the same
columns in the same order with the same engine types, and the same rows as a multiset
(order-insensitive, exact: floats are compared by their shortest round-trip text, so
-0.0 and 0.0 or two doubles one ulp apart differ). The columns in IGNORED_COLUMNS hold
what differs by construction between two builds of the same logs and are left out of
every relation. A relation found in one snapshot only is listed, and is a difference only
when --only names it. Exit 0 when everything compared is equal, 1 otherwise, with a
summary per relation (rows only in A, rows only in B, a few of each).

    .venv/bin/python tools/compare_snapshots.py data/snapshot_a data/snapshot_b
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

# Columns whose values differ between two builds of the same logs with the same vars and
# code, with the reason. Nothing else is ignored: file sizes and modification times in
# the raw-file ledger must match (both builds read the very same files).
IGNORED_COLUMNS: dict[str, str] = {
    "invocation_id": "the dbt invocation id (a new UUID every run) in the run ledger, "
    "the planned windows and files, and the views over them",
    "first_seen_invocation_id": "the invocation that first saw a raw file (file ledger)",
    "first_seen_ts": "wall-clock time the file ledger first saw a raw file",
    "planned_ts": "wall-clock time an invocation planned its window and files",
    "completed_ts": "wall-clock time a run was recorded as completed in the run ledger",
}
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8", "double", "float"}


@dataclass
class Relation:
    name: str
    path: Path
    columns: list[tuple[str, str]]  # (name, engine type)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: bool = False

    def ok(self, text: str) -> None:
        self.lines.append(f"ok    {text}")

    def diff(self, text: str) -> None:
        self.failed = True
        self.lines.append(f"DIFF  {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"      {text}")


def load(folder: Path) -> dict[str, Relation]:
    """A snapshot's relations: from snapshot.json, else from tables/*.parquet."""
    meta = folder / "snapshot.json"
    if meta.is_file():
        relations = json.loads(meta.read_text())["relations"]
        return {
            r["name"]: Relation(
                r["name"], folder / r["file"], [(c["name"], c["type"]) for c in r["columns"]]
            )
            for r in relations
        }
    if not (folder / "tables").is_dir():
        raise SystemExit(f"{folder} is not a snapshot (no snapshot.json, no tables/)")
    found = {}
    for path in sorted((folder / "tables").glob("*.parquet")):
        schema = pq.read_schema(path)
        found[path.stem] = Relation(path.stem, path, [(f.name, str(f.type)) for f in schema])
    return found


def quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def comparable(column: str, kind: str) -> str:
    """The column as compared: floats as their shortest round-trip text."""
    if kind.split("(")[0].strip() in FLOAT_TYPES:
        return f"cast({quote(column)} as varchar) as {quote(column)}"
    return quote(column)


def compare_rows(
    connection: duckdb.DuckDBPyConnection,
    a: Relation,
    b: Relation,
    columns: list[tuple[str, str, str]],
    samples: int,
) -> tuple[int, int, int, list[str]]:
    """Rows of A missing from B and extra in B (multisets), and sample lines of each."""
    left = ", ".join(
        comparable(name, kind_a)
        if kind_a == kind_b
        else f"cast({quote(name)} as varchar) as {quote(name)}"
        for name, kind_a, kind_b in columns
    )
    right = ", ".join(
        comparable(name, kind_b)
        if kind_a == kind_b
        else f"cast({quote(name)} as varchar) as {quote(name)}"
        for name, kind_a, kind_b in columns
    )
    connection.execute(
        f"create or replace temp table a as select {left} from read_parquet(?)", [str(a.path)]
    )
    connection.execute(
        f"create or replace temp table b as select {right} from read_parquet(?)", [str(b.path)]
    )
    [(rows_a,)] = connection.execute("select count(*) from a").fetchall()
    connection.execute(
        "create or replace temp table only_a as select * from a except all select * from b"
    )
    connection.execute(
        "create or replace temp table only_b as select * from b except all select * from a"
    )
    [(missing,)] = connection.execute("select count(*) from only_a").fetchall()
    [(extra,)] = connection.execute("select count(*) from only_b").fetchall()
    names = [name for name, _, _ in columns]
    lines = []
    for label, table, count in (("only in A", "only_a", missing), ("only in B", "only_b", extra)):
        if count:
            rows = connection.execute(
                f"select * from {table} order by all limit {samples}"
            ).fetchall()
            lines.append(f"{label} ({count} rows), e.g. columns {names}:")
            lines.extend(f"  {row}" for row in rows)
    return rows_a, missing, extra, lines


def compare(
    folder_a: Path, folder_b: Path, renames: dict[str, str], only: list[str], samples: int
) -> Report:
    report = Report()
    relations_a = {renames.get(name, name): relation for name, relation in load(folder_a).items()}
    relations_b = load(folder_b)
    wanted = set(only) if only else set(relations_a) | set(relations_b)
    for name in sorted(wanted - set(relations_a)):
        (report.diff if only else report.note)(f"{name}: only in B ({folder_b})")
    for name in sorted(wanted - set(relations_b)):
        (report.diff if only else report.note)(f"{name}: only in A ({folder_a})")
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for name in sorted(wanted & set(relations_a) & set(relations_b)):
            a, b = relations_a[name], relations_b[name]
            kept_a = [(c, t) for c, t in a.columns if c not in IGNORED_COLUMNS]
            kept_b = [(c, t) for c, t in b.columns if c not in IGNORED_COLUMNS]
            problems = []
            if kept_a != kept_b:
                types_b = dict(kept_b)
                only_cols_a = [c for c, _ in kept_a if c not in types_b]
                only_cols_b = [c for c, _ in kept_b if c not in dict(kept_a)]
                retyped = [
                    f"{c}: {t} -> {types_b[c]}"
                    for c, t in kept_a
                    if c in types_b and types_b[c] != t
                ]
                if only_cols_a:
                    problems.append(f"columns only in A: {only_cols_a}")
                if only_cols_b:
                    problems.append(f"columns only in B: {only_cols_b}")
                if retyped:
                    problems.append(f"types differ: {retyped}")
                if not (only_cols_a or only_cols_b or retyped):
                    problems.append(
                        f"column order differs: {[c for c, _ in kept_a]} -> "
                        f"{[c for c, _ in kept_b]}"
                    )
            types_b = dict(kept_b)
            common = [(c, t, types_b[c]) for c, t in kept_a if c in types_b]
            rows_a, missing, extra, lines = compare_rows(connection, a, b, common, samples)
            if missing or extra:
                problems.append(f"rows: {rows_a} in A, {missing} only in A, {extra} only in B")
            if problems:
                report.diff(f"{name}: " + "; ".join(problems))
                for line in lines:
                    report.note(line)
            else:
                report.ok(f"{name}: {rows_a} rows, {len(kept_a)} columns")
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="snapshot folder A (e.g. the reference)")
    parser.add_argument("b", type=Path, help="snapshot folder B (e.g. the candidate)")
    parser.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="relation OLD of A is called NEW in B (repeatable)",
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="NAME,...",
        help="compare only these relations (names as in B); each must exist in both",
    )
    parser.add_argument("--samples", type=int, default=5, help="sample rows shown per side")
    args = parser.parse_args(argv)
    for rename in args.rename:
        if rename.count("=") != 1 or not all(rename.split("=")):
            parser.error(f"--rename takes OLD=NEW, got {rename!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    renames = dict(rename.split("=") for rename in args.rename)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    report = compare(args.a, args.b, renames, only, args.samples)
    print(f"A: {args.a}\nB: {args.b}")
    print("ignored columns: " + ", ".join(IGNORED_COLUMNS))
    print("\n".join(report.lines))
    print("DIFFERENT" if report.failed else "EQUAL")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
