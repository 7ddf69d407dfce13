"""Convert MIND, the Microsoft News Dataset (``behaviors.tsv`` of each split), to the
project's raw input contract.

    python -m feedpipe.datasets.mind train/behaviors.tsv [dev/behaviors.tsv ...] --out OUT \\
        [--memory-limit 4GB] [--threads N] [--name NAME]

Input: one line per impression log, 5 tab-separated fields, no header:
impression_id, user_id, time (``M/D/YYYY h:mm:ss AM/PM``, e.g. ``11/15/2019 8:55:22
AM``, month, day and hour not zero-padded), history (space-separated news IDs the user
clicked before, possibly empty), impressions (space-separated ``NewsID-label``
tokens, label 1 = clicked, 0 = shown and not clicked; in the test split the tokens
have no label).

Output (see ``feedpipe.datasets.common`` for staging, checks and atomic publication)::

    OUT/impressions/<delivery>/YYYY-MM-DD.parquet   one row per candidate token
    OUT/engagements/<delivery>/YYYY-MM-DD.parquet   one row per clicked candidate
    OUT/rejected_lines/<delivery>.parquet            line_number, reason, detail, line
    OUT/conversions/<delivery>.json                  the summary (also printed)

Every split names its file ``behaviors.tsv``: converted in one run, the deliveries
are ``<folder>-behaviors`` (``MINDlarge_train-behaviors``, ``MINDlarge_dev-behaviors``);
a single file is ``behaviors``, or what ``--name`` says. A name OUT already uses for
another input file is refused, so converting dev after train, alone, needs ``--name``.

Impressions, sorted by source line and position: ``user_id``, ``tweet_id`` (the news
ID: the project's item column is named tweet_id), ``impression_ts`` (the line's
time), ``impression_id`` (VARCHAR), ``position`` (INTEGER, 1-based place of the
candidate in the line), ``history_length`` (INTEGER, the line's history items),
``source_line_number`` (BIGINT). Engagements: ``user_id``, ``tweet_id``, ``action`` =
``click``, ``engagement_ts`` = the line's time (MIND has no click time; the
engagement sits at its impression, which the pipeline attributes to it),
``impression_id``, ``position``, ``source_line_number``. One file per UTC day.

Choices:

- MIND does not say in which time zone its times are; they are taken as UTC.
- The history is not converted to impressions (it has no times); its length is kept.
- Runs of spaces between tokens count as one separator. The same user and news twice
  (in one line or two) are two impression rows: the dbt project folds them into one
  example per user, item and day.
- An empty user_id is written as null: the dbt project rejects it (null_user_id).
- A line whose tokens all lack a label is from the test split: its clicks are
  unknown, and written as impressions its candidates would all be negatives, so it is
  rejected (``no_labels``) and counted.

Rejected lines (nothing written for them; the first reason that applies, in this
order): ``bad_encoding`` (not UTF-8), ``blank_line``, ``wrong_field_count`` ("found N
fields, expected 5"), ``bad_timestamp`` (time not in the format above),
``no_candidates`` (empty impressions field), ``bad_label`` (on a line with labels, a
token not of the form ``<id>-0`` / ``<id>-1``; on a line without, a token with a
``-``; the detail is the token), ``no_labels``.

Summary (``conversions/<delivery>.json`` and stdout): the counters of every converter
(lines read / converted / rejected, rejects by reason, impressions and engagements
written, engagements by action, first and last day, the files) plus ``click_rate``
(clicks per impression written).
"""

from __future__ import annotations

import sys

import duckdb

from feedpipe.datasets.checks import Check, Dataset, detail_value, reason_columns
from feedpipe.datasets.common import main_for

FIELD_COUNT = 5
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
ACTIONS = ("click",)
# SQL on a token `t`: of the form <id>-0 or <id>-1 with a non-empty id.
LABELLED = "(length(t) > 2 and (ends_with(t, '-0') or ends_with(t, '-1')))"
# The same test on a whole impressions field: every token labelled.
ALL_LABELLED = "' *[^ ]+-[01]( +[^ ]+-[01])* *'"
# SQL: the tokens of a space-separated field (runs of spaces are one separator).
TOKENS = "list_filter(string_split({field}, ' '), lambda t: t <> '')"

CHECKS = (
    Check(
        f"field_count <> {FIELD_COUNT}",
        "wrong_field_count",
        f"'found ' || field_count || ' fields, expected {FIELD_COUNT}'",
    ),
    Check("impression_ts is null", "bad_timestamp", f"'time = ' || {detail_value('f[3]')}"),
    Check("len(tokens) = 0", "no_candidates", "'the impressions field is empty'"),
    Check("offending is not null", "bad_label", "offending"),
    Check(
        "not all_labelled",
        "no_labels",
        "'no token has a label: a test-split line, its clicks are unknown'",
    ),
)

# The candidates stay one string in `parsed` (DuckDB stores a string much faster than
# a list); CANDIDATES_SQL splits them when the files are written. The per-token tests
# run only on lines that are not labelled throughout.
PARSE_SQL = f"""
select
    line_number, reason, detail,
    case when reason is not null then coalesce(text, undecodable) end as line,
    impression_id, user_id, impression_ts, history_length,
    f[5] as candidates
from (
    select *, {reason_columns(CHECKS)}
    from (
        select
            *,
            case when not all_labelled and contains(f[5], '-') then
                case
                    when list_bool_or(list_transform(tokens, lambda t: {LABELLED}))
                        then list_filter(tokens, lambda t: not {LABELLED})[1]
                    else list_filter(tokens, lambda t: contains(t, '-'))[1]
                end
            end as offending
        from (
            select
                line_number, text, undecodable, f, len(f) as field_count,
                nullif(f[1], '') as impression_id,
                nullif(f[2], '') as user_id,
                try_strptime(f[3], '{TIME_FORMAT}') as impression_ts,
                cast(len({TOKENS.format(field="f[4]")}) as integer) as history_length,
                {TOKENS.format(field="f[5]")} as tokens,
                regexp_full_match(f[5], {ALL_LABELLED}) as all_labelled
            from (
                select line_number, text, undecodable, string_split(text, chr(9)) as f
                from lines
            )
        )
    )
)
"""

# Every candidate of the converted lines, with its position and label.
CANDIDATES_SQL = f"""
select
    user_id,
    left(token, -2) as tweet_id,
    impression_ts,
    impression_id,
    cast(position as integer) as position,
    history_length,
    source_line_number,
    ends_with(token, '-1') as clicked
from (
    select
        user_id, impression_ts, impression_id, history_length,
        line_number as source_line_number,
        unnest(tokens) as token,
        unnest(range(1, len(tokens) + 1)) as position
    from (
        select *, {TOKENS.format(field="candidates")} as tokens
        from parsed
        where reason is null
    )
)
"""

IMPRESSIONS_SQL = f"""
select
    user_id, tweet_id, impression_ts, impression_id, position, history_length,
    source_line_number
from ({CANDIDATES_SQL})
"""

ENGAGEMENTS_SQL = f"""
select
    user_id, tweet_id, 'click' as action, impression_ts as engagement_ts, impression_id,
    position, source_line_number
from ({CANDIDATES_SQL})
where clicked
"""

# Counted on the lines' token lists, apart from the unnest that writes the rows.
IMPLIED_SQL = f"""
select
    coalesce(sum(len(tokens)), 0) as impressions,
    struct_pack(
        click := coalesce(sum(len(list_filter(tokens, lambda t: ends_with(t, '-1')))), 0)
    ) as engagements
from (select {TOKENS.format(field="candidates")} as tokens from parsed where reason is null)
"""


def _extra_summary(connection: duckdb.DuckDBPyConnection) -> dict:
    impressions, clicks = connection.execute(
        "select count(*), count(*) filter (where clicked) from (" + CANDIDATES_SQL + ")"
    ).fetchone()
    return {"click_rate": round(clicks / impressions, 6) if impressions else None}


DATASET = Dataset(
    name="mind",
    actions=ACTIONS,
    parse_sql=PARSE_SQL,
    impressions_sql=IMPRESSIONS_SQL,
    impressions_order="source_line_number, position",
    engagements_sql=ENGAGEMENTS_SQL,
    engagements_order="source_line_number, position",
    implied_sql=IMPLIED_SQL,
    extra_summary=_extra_summary,
)


def main(argv: list[str] | None = None) -> int:
    return main_for(DATASET, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
