"""What a daily trainer reads from a versioned export (not a test; a measurement):
generated logs delivered day by day, a scheduled refresh after each day and
`feedpipe.export write` after each refresh; per day, the rows and bytes the new
version wrote and the rows of its delta (`feedpipe.export_read.delta`, moved
partitions included) against the full state a trainer would read without
versions. Prints a table and writes it into docs/export.md.

    python -m benchmarks.export_deltas [--days 14] [--impressions-per-day 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import PROJECT_DIR, START, dbt_command, dbt_env, deliver_day, generated_logs
from feedpipe.export import write
from feedpipe.export_read import delta, manifest, state

FIRST_BUILD_DAYS = 7


def _size(paths) -> int:
    return sum(path.stat().st_size for path in paths)


def measure_deltas(work: Path, days: int, impressions_per_day: int) -> list[dict]:
    """One row per export after the first build: the version, its day, and what it
    wrote and changed against the full state."""
    logs_folder = work / f"logs_{days}d_{impressions_per_day}"
    logs = generated_logs(logs_folder, days, impressions_per_day, seed=5)
    raw, database, out = work / "raw", work / "feed.duckdb", work / "export"
    for path in (raw, out):
        shutil.rmtree(path, ignore_errors=True)
    database.unlink(missing_ok=True)
    rows = []
    for offset in range(days):
        day = START + dt.timedelta(days=offset)
        deliver_day(logs, raw, day)
        if offset < FIRST_BUILD_DAYS - 1:
            continue
        subprocess.run(dbt_command(raw, work), env=dbt_env(database), check=True, cwd=PROJECT_DIR)
        written = write(database, out)
        if written is None:
            rows.append({"delivered": day.isoformat(), "version": None})
            continue
        version = written["version"]
        full = state(out, version)
        own = [p for p in full if p.version == version]
        row = {
            "delivered": day.isoformat(),
            "version": version,
            "changes": len(manifest(out, version)["changes"]),
            "written_rows": sum(p.rows for p in own),
            "written_bytes": _size(f for p in own for f in p.files),
            "full_rows": sum(p.rows for p in full),
            "full_bytes": _size(f for p in full for f in p.files),
            "partitions": len(full),
        }
        if version > 1:
            change = delta(out, version - 1)
            row["delta_rows"] = sum(p.rows for p in change.add)
            row["delta_bytes"] = _size(f for p in change.add for f in p.files)
        rows.append(row)
    return rows


def render(rows: list[dict], days: int, impressions_per_day: int) -> str:
    facts = machine_facts()
    lines = [
        "## Measured delta sizes",
        "",
        f"`python -m benchmarks.export_deltas --days {days} --impressions-per-day "
        f"{impressions_per_day}`, {facts['date']}, {facts['description']}. Generated logs "
        f"({impressions_per_day:,} impressions a day, default split vars) delivered day by "
        f"day; the first {FIRST_BUILD_DAYS} days built at once, then a scheduled refresh "
        "and `feedpipe.export write` after each day. *Written*: the files the new version "
        "holds (partitions whose rows changed). *Delta*: what `delta(out, since=N-1)` "
        "tells a trainer to add (the written partitions and the moved ones, whose files "
        "an earlier version holds). *Full*: the whole state, what a trainer reads without "
        "versions.",
        "",
        "| delivered | version | partitions changed | written rows | written KiB | "
        "delta rows | delta KiB | full rows | full KiB | delta / full rows |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["version"] is None:
            lines.append(f"| {row['delivered']} | none (no change) | 0 | | | | | | | |")
            continue
        delta_rows = row.get("delta_rows", row["full_rows"])
        delta_bytes = row.get("delta_bytes", row["full_bytes"])
        lines.append(
            f"| {row['delivered']} | {row['version']} | {row['changes']} | "
            f"{row['written_rows']:,} | {row['written_bytes'] / 1024:,.0f} | "
            f"{delta_rows:,} | {delta_bytes / 1024:,.0f} | {row['full_rows']:,} | "
            f"{row['full_bytes'] / 1024:,.0f} | {delta_rows / row['full_rows']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--impressions-per-day", type=int, default=50_000)
    parser.add_argument("--work", type=Path, help="a folder to keep logs and builds in")
    parser.add_argument("--page", type=Path, default=PROJECT_DIR / "docs" / "export.md")
    args = parser.parse_args(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        rows = measure_deltas(args.work, args.days, args.impressions_per_day)
    else:
        with tempfile.TemporaryDirectory() as work:
            rows = measure_deltas(Path(work), args.days, args.impressions_per_day)
    text = render(rows, args.days, args.impressions_per_day)
    print(text)
    write_section(args.page, "export-deltas", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
