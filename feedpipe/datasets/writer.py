"""Staging and writing a conversion (feedpipe.datasets.common describes the steps):
the parsed lines in a DuckDB file on disk, the daily Parquet files per log, the
checks of the written files against the converted lines, and the atomic publication."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from feedpipe.datasets.checks import LOGS, TIMESTAMP_COLUMN, ConversionError, Dataset, sql_string

if TYPE_CHECKING:
    from feedpipe.datasets.common import LineSource, Progress


# zstd at level 1: as small as the default level 3 on these files, twice as fast.
PARQUET_OPTIONS = "compression zstd, compression_level 1"


# The lines as DuckDB sees them: `text` is the line without its newline (and without a
# CR before it), null when the bytes are not UTF-8; `undecodable` is then the bytes
# with \xNN escapes.
LINES_SQL = """
select
    line_number,
    case when ends_with(decoded, chr(13)) then left(decoded, -1) else decoded end as text,
    case when decoded is null then cast(line as varchar) end as undecodable
from (select line_number, line, try(decode(line)) as decoded from raw_lines)
"""


def configure(
    connection: duckdb.DuckDBPyConnection, spill: Path, memory_limit: str, threads: int | None
) -> None:
    connection.execute(f"set memory_limit = {sql_string(memory_limit)}")
    connection.execute(f"set temp_directory = {sql_string(spill.as_posix())}")
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("set preserve_insertion_order = true")
    connection.execute(f"set enable_progress_bar = {str(sys.stdout.isatty()).lower()}")
    if threads is not None:
        connection.execute(f"set threads = {int(threads)}")


# Written into OUT/conversions/ before a converter publishes anything there: it marks
# OUT as a folder that converters write, whose deliveries the refresh reads only
# when their record is there.
RECORDS_README = """\
Conversion records: one <delivery>.json per delivery that a converter
(feedpipe.datasets) published whole, written after its files.

The refresh reads impressions/<delivery>/ and engagements/<delivery>/ only when
<delivery>.json is here. A delivery without it is a conversion that did not
finish (killed while it moved its files in): the refresh skips it and names it;
converting the same input again replaces it.
"""


def check_name_free(out: Path, name: str, input_path: Path) -> None:
    """Refuse a delivery name that OUT already uses for another input, and a raw
    folder that converters do not write (no conversions/) holding files already."""
    record = out / "conversions" / f"{name}.json"
    if record.exists():
        previous = json.loads(record.read_text()).get("input")
        if previous != str(input_path.resolve()):
            raise ConversionError(
                f"{out} already holds the delivery {name!r} of {previous}: convert "
                f"{input_path} under another --name (NAME=... with make), "
                "or delete that delivery first"
            )
    elif not record.parent.is_dir():
        # Files an upstream job delivered: the refresh reads them, whoever wrote them.
        held = [log for log in LOGS if any((out / log).glob("**/*.parquet"))]
        if held:
            raise ConversionError(
                f"{out} holds {' and '.join(held)} files but no conversions/ folder: a "
                "converter writes into a raw folder of its own (in a folder it writes, "
                f"the refresh reads only the deliveries it recorded); convert {input_path} "
                "into another --out"
            )
    # Else an unrecorded delivery: a conversion that did not finish, which the
    # refresh does not read; publish replaces it.


def _write_days(
    connection: duckdb.DuckDBPyConnection,
    log: str,
    order: str,
    staging: Path,
    name: str,
    progress: Progress,
) -> list[Path]:
    """One Parquet file per UTC day of the view `log`; returns the files."""
    column = TIMESTAMP_COLUMN[log]
    days = [
        day
        for (day,) in connection.execute(
            f"select distinct cast({column} as date) as day from {log} order by day"
        ).fetchall()
    ]
    if None in days:
        raise ConversionError(f"{log}: rows without {column} (a parser bug)")
    folder = staging / log / name
    files = []
    for index, day in enumerate(days, start=1):
        progress.message(f"writing {log} of {day} ({index}/{len(days)})", end="")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{day.isoformat()}.parquet"
        start = dt.datetime.combine(day, dt.time())
        connection.execute(
            f"""
            copy (
                select * from {log}
                where {column} >= timestamp '{start:%Y-%m-%d %H:%M:%S}'
                  and {column} < timestamp '{start + dt.timedelta(days=1):%Y-%m-%d %H:%M:%S}'
                order by {order}
            ) to {sql_string(path.as_posix())} (format parquet, {PARQUET_OPTIONS})
            """
        )
        files.append(path)
    return files


def _files_read_back(
    connection: duckdb.DuckDBPyConnection, log: str, files: list[Path]
) -> dict[str, dict]:
    """Per written file: rows and first / last day, read from the file itself."""
    if not files:
        return {}
    column = TIMESTAMP_COLUMN[log]
    listing = ", ".join(sql_string(path.as_posix()) for path in files)
    rows = connection.execute(
        f"""
        select filename, count(*), cast(min({column}) as date), cast(max({column}) as date)
        from read_parquet([{listing}], filename = true)
        group by filename
        """
    ).fetchall()
    found = {Path(filename).as_posix(): (n, first, last) for filename, n, first, last in rows}
    result = {}
    for path in files:
        n, first, last = found.get(path.as_posix(), (0, None, None))
        if n == 0 or first != last or first.isoformat() != path.stem:
            raise ConversionError(f"{path.name}: holds {n} rows of days {first}..{last}")
        result[path.as_posix()] = {"rows": n, "day": first}
    return result


def _actions_read_back(connection: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[str, int]:
    if not files:
        return {}
    listing = ", ".join(sql_string(path.as_posix()) for path in files)
    rows = connection.execute(
        f"select action, count(*) from read_parquet([{listing}]) group by action order by action"
    ).fetchall()
    return dict(rows)


def publish(staging: Path, out: Path, name: str) -> None:
    """Move the staged delivery into OUT, replacing that delivery's previous files.
    The record goes first when the previous files are set aside and last when the
    new ones come in, so at every rename the delivery is either whole with its
    record or without a record (which the refresh does not read)."""
    moves = [
        *((staging / log / name, out / log / name) for log in LOGS),
        (
            staging / "rejected_lines" / f"{name}.parquet",
            out / "rejected_lines" / f"{name}.parquet",
        ),
        (staging / "conversions" / f"{name}.json", out / "conversions" / f"{name}.json"),
    ]
    readme = out / "conversions" / "README.md"
    if not readme.exists():
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(RECORDS_README)
    replaced = staging / "replaced"
    replaced.mkdir()
    set_aside: list[tuple[Path, Path]] = []
    moved_in: list[Path] = []
    try:
        for index, (_, target) in reversed(list(enumerate(moves))):
            if target.exists():
                aside = replaced / str(index)
                target.rename(aside)
                set_aside.append((aside, target))
        for source, target in moves:
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                source.rename(target)
                moved_in.append(target)
    except OSError:
        # Put the previous delivery back as it was, its record last.
        for target in reversed(moved_in):
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        for aside, target in reversed(set_aside):
            aside.rename(target)
        raise


def _counted(connection: duckdb.DuckDBPyConnection, sql: str) -> dict:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def stage_and_write(
    dataset: Dataset,
    source: LineSource,
    connection: duckdb.DuckDBPyConnection,
    staging: Path,
    name: str,
    progress: Progress,
) -> dict:
    phases = {}
    started = time.monotonic()
    connection.register("raw_lines", source.reader())
    try:
        connection.execute(
            f"create table parsed as with lines as ({LINES_SQL}) {dataset.parse_sql}"
        )
    except duckdb.Error:
        if source.error is not None:
            raise source.error from None
        raise
    phases["parse"] = time.monotonic() - started
    connection.unregister("raw_lines")
    if not source.finished:
        raise ConversionError("DuckDB stopped reading the input before its end")
    connection.execute(f"create view impressions as {dataset.impressions_sql}")
    connection.execute(f"create view engagements as {dataset.engagements_sql}")
    files = {
        "impressions": _write_days(
            connection, "impressions", dataset.impressions_order, staging, name, progress
        ),
        "engagements": _write_days(
            connection, "engagements", dataset.engagements_order, staging, name, progress
        ),
    }
    rejected_path = staging / "rejected_lines" / f"{name}.parquet"
    rejected_path.parent.mkdir(parents=True)
    connection.execute(
        f"""
        copy (
            select line_number, reason, detail, line from parsed
            where reason is not null order by line_number
        ) to {sql_string(rejected_path.as_posix())} (format parquet, {PARQUET_OPTIONS})
        """
    )
    phases["write"] = time.monotonic() - started - phases["parse"]
    progress.message("checking the files against the lines", end="")
    lines = _counted(
        connection,
        "select count(*) as parsed, count(*) filter (where reason is null) as converted, "
        "count(*) filter (where reason is not null) as rejected, "
        "sum(line_number) as number_sum, "
        "sum(cast(line_number as hugeint) * line_number) as square_sum, "
        "min(line_number) as first, "
        "max(line_number) as last from parsed",
    )
    by_reason = dict(
        connection.execute(
            "select reason, count(*) from parsed where reason is not null "
            "group by reason order by reason"
        ).fetchall()
    )
    implied = _counted(connection, dataset.implied_sql)
    written = {log: _files_read_back(connection, log, files[log]) for log in LOGS}
    by_action = _actions_read_back(connection, files["engagements"])
    rejected_rows = connection.execute(
        f"select count(*) from read_parquet({sql_string(rejected_path.as_posix())})"
    ).fetchone()[0]

    lines_read = source.lines_read
    expected_numbers = (1, lines_read) if lines_read else (None, None)
    problems = []
    if lines["parsed"] != lines_read:
        problems.append(f"{lines_read} lines read, DuckDB parsed {lines['parsed']}")
    # Count, bounds, sum and sum of squares of 1..n: no line lost, none twice.
    numbers = (lines["first"], lines["last"], lines["number_sum"] or 0, lines["square_sum"] or 0)
    n = lines_read
    if numbers != (*expected_numbers, n * (n + 1) // 2, n * (n + 1) * (2 * n + 1) // 6):
        problems.append("the line numbers are not 1..lines read, each once")
    if lines_read != lines["converted"] + lines["rejected"]:
        problems.append("lines read != lines converted + lines rejected")
    if rejected_rows != lines["rejected"]:
        problems.append(f"rejected_lines holds {rejected_rows} rows, not {lines['rejected']}")
    impressions_written = sum(file["rows"] for file in written["impressions"].values())
    engagements_written = sum(file["rows"] for file in written["engagements"].values())
    if impressions_written != implied["impressions"]:
        problems.append(
            f"{impressions_written} impressions written, the converted lines imply "
            f"{implied['impressions']}"
        )
    implied_actions = {a: n for a, n in (implied["engagements"] or {}).items() if n}
    if by_action != implied_actions or engagements_written != sum(implied_actions.values()):
        problems.append(
            f"engagements written {by_action}, the converted lines imply {implied_actions}"
        )
    if problems:
        raise ConversionError("checks failed: " + "; ".join(problems))
    extra = dataset.extra_summary(connection)
    phases["check"] = time.monotonic() - started - phases["parse"] - phases["write"]

    days = sorted(file["day"] for log in LOGS for file in written[log].values())
    listed = [*files["impressions"], *files["engagements"], rejected_path]
    rows = {
        **{path: file["rows"] for log in LOGS for path, file in written[log].items()},
        rejected_path.as_posix(): rejected_rows,
    }
    return {
        "lines_read": lines_read,
        "lines_converted": lines["converted"],
        "lines_rejected": lines["rejected"],
        "rejected_by_reason": by_reason,
        "impressions_written": impressions_written,
        "engagements_written": engagements_written,
        "engagements_written_by_action": {
            action: by_action.get(action, 0) for action in sorted({*dataset.actions, *by_action})
        },
        "days": {
            "first": days[0].isoformat() if days else None,
            "last": days[-1].isoformat() if days else None,
        },
        **extra,
        "phase_seconds": {phase: round(seconds, 1) for phase, seconds in phases.items()},
        "files": [
            {
                "path": path.relative_to(staging).as_posix(),
                "rows": rows[path.as_posix()],
                "bytes": path.stat().st_size,
            }
            for path in listed
        ],
    }
