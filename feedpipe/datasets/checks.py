"""What a converter declares (feedpipe.datasets.common): a `Dataset` with its parsing
SQL and its `Check`s, the reject reasons they give, and the error a failed
conversion raises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

LOGS = ("impressions", "engagements")


TIMESTAMP_COLUMN = {"impressions": "impression_ts", "engagements": "engagement_ts"}


DETAIL_VALUE_CHARS = 80


class ConversionError(RuntimeError):
    """A conversion that must not be published; the message says why."""


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def detail_value(expression: str) -> str:
    """SQL: a field's text for a reject detail, quoted, cut at DETAIL_VALUE_CHARS."""
    return (
        f"'''' || left({expression}, {DETAIL_VALUE_CHARS}) || "
        f"case when length({expression}) > {DETAIL_VALUE_CHARS} then '...' else '' end || ''''"
    )


@dataclass(frozen=True)
class Check:
    """One reason to reject a line: SQL `condition` true for a bad line, the `reason`
    and a SQL expression of the `detail`."""

    condition: str
    reason: str
    detail: str


BASE_CHECKS = (
    Check("text is null", "bad_encoding", "'not valid UTF-8'"),
    Check("text = ''", "blank_line", "'empty line'"),
)


def reason_columns(checks: Sequence[Check]) -> str:
    """SQL select items `reason` and `detail`: those of the first failing check (the
    encoding and blank-line checks first), null when every check passes."""
    ordered = (*BASE_CHECKS, *checks)
    reason = " ".join(f"when {c.condition} then {sql_string(c.reason)}" for c in ordered)
    detail = " ".join(f"when {c.condition} then {c.detail}" for c in ordered)
    return f"case {reason} end as reason, case {detail} end as detail"


@dataclass(frozen=True)
class Dataset:
    """A converter. `parse_sql` selects from `lines` (line_number, text, undecodable)
    one row per line with `line_number`, `reason`, `detail`, `line` (the text of a
    rejected line, else null) and the dataset's typed columns; the other SQL reads
    the table `parsed` it fills. `impressions_sql` / `engagements_sql` give the rows
    of the files (of converted lines only) in their final columns, `*_order` their
    order within a day file. `implied_sql` gives one row, (`impressions`,
    `engagements`: a struct action -> rows), what the converted lines imply, counted
    apart from the row SQL. `extra_summary` adds the dataset's counters."""

    name: str
    actions: tuple[str, ...]
    parse_sql: str
    impressions_sql: str
    impressions_order: str
    engagements_sql: str
    engagements_order: str
    implied_sql: str
    extra_summary: Callable[[duckdb.DuckDBPyConnection], dict]
