"""Convert the RecSys Challenge 2020 Twitter dataset (``training.tsv``, ``val.tsv``,
``competition_test.tsv``) to the project's raw input contract.

    python -m feedpipe.datasets.recsys2020 training.tsv [val.tsv ...] --out OUT \\
        [--memory-limit 4GB] [--threads N] [--name NAME]

Input: one line per (engaging user, tweet) pair shown, 24 fields separated by the
byte 0x01: text_tokens, hashtags, tweet_id, present_media, present_links,
present_domains, tweet_type, language, tweet_timestamp, engaged_with_user_id,
engaged_with_user_follower_count, engaged_with_user_following_count,
engaged_with_user_is_verified, engaged_with_user_account_creation, engaging_user_id,
engaging_user_follower_count, engaging_user_following_count,
engaging_user_is_verified, engaging_user_account_creation, engagee_follows_engager,
reply_timestamp, retweet_timestamp, retweet_with_comment_timestamp, like_timestamp.
List fields hold tab-separated values, IDs are hex strings, timestamps Unix seconds,
booleans ``true`` / ``false``, an empty engagement field means no engagement.

Output (``<delivery>`` is the input's stem, e.g. ``training``; see
``feedpipe.datasets.common`` for names, staging, checks and atomic publication)::

    OUT/impressions/<delivery>/YYYY-MM-DD.parquet   one row per converted line
    OUT/engagements/<delivery>/YYYY-MM-DD.parquet   one row per engagement timestamp
    OUT/rejected_lines/<delivery>.parquet            line_number, reason, detail, line
    OUT/conversions/<delivery>.json                  the summary (also printed)

Impressions, sorted by source line: ``user_id`` = engaging_user_id, ``tweet_id``,
``impression_ts`` = tweet_timestamp, then the dataset's own columns, typed:
text_tokens, hashtags, present_media, present_links, present_domains (VARCHAR[], an
empty field is an empty list), tweet_type, language, engaged_with_user_id (VARCHAR),
engaged_with_user_follower_count, engaged_with_user_following_count (BIGINT),
engaged_with_user_is_verified (BOOLEAN), engaged_with_user_account_creation
(TIMESTAMP), engaging_user_follower_count, engaging_user_following_count (BIGINT),
engaging_user_is_verified (BOOLEAN), engaging_user_account_creation (TIMESTAMP),
engagee_follows_engager (BOOLEAN), and ``source_line_number`` (BIGINT, 1-based).
Engagements, sorted by source line then action in field order: ``user_id``,
``tweet_id``, ``action`` (``reply``, ``retweet``, ``retweet_with_comment`` (the dbt
project folds it to ``quote``), ``like``), ``engagement_ts``, ``source_line_number``.
Timestamps are naive TIMESTAMPs holding UTC; a row's file is the UTC day of its own
timestamp (impression_ts, engagement_ts).

Choices:

- The dataset gives no time at which the tweet was shown. ``impression_ts`` is the
  tweet's creation time, the closest lower bound; the label window therefore starts
  at the tweet's creation, and ``max_engagement_delay_hours`` in the summary (the
  longest engagement_ts - impression_ts written) tells how long it must be to keep
  every label (vars/recsys2020.yml sets it).
- An engagement timestamp earlier than tweet_timestamp (clock noise: the dataset says
  the user engaged) is written at the impression time (engagement_ts =
  tweet_timestamp) and counted in ``engagements_moved_to_impression_time``: the
  pipeline attributes an engagement only to an impression at or before it, so kept
  as it is the label the dataset states would be lost.
- A line with 20 fields is from the test split (competition_test.tsv): its
  engagements are unknown, not absent. Written as impressions they would be
  negatives for every task, so such lines are rejected (``no_labels``) and counted.
- An empty tweet_id or engaging_user_id is written as null: the dbt project rejects
  it with its own reasons (null_tweet_id, null_user_id). Other empty text fields
  (tweet_type, language, engaged_with_user_id) are null as well.

Rejected lines (nothing written for them; the first reason that applies, in this
order): ``bad_encoding`` (not UTF-8), ``blank_line``, ``no_labels`` (20 fields),
``wrong_field_count`` ("found N fields, expected 24"), then per field in field
order: ``bad_timestamp`` (tweet_timestamp, an account creation, or a non-empty
engagement field that is not a run of at most 11 digits) and ``bad_field`` (a count
that is not a run of digits, a boolean other than ``true`` / ``false``); the detail
names the field and quotes its value.

Summary (``conversions/<delivery>.json`` and stdout): the counters of every converter
(lines read / converted / rejected, rejects by reason, impressions and engagements
written, engagements by action, first and last day, the files) plus
``engagements_moved_to_impression_time`` and ``max_engagement_delay_hours``.
"""

from __future__ import annotations

import sys

import duckdb

from feedpipe.datasets.checks import Check, Dataset, detail_value, reason_columns
from feedpipe.datasets.common import main_for

FIELD_COUNT = 24
TEST_SPLIT_FIELD_COUNT = 20
FIELDS = (
    ("text_tokens", "list"),
    ("hashtags", "list"),
    ("tweet_id", "text"),
    ("present_media", "list"),
    ("present_links", "list"),
    ("present_domains", "list"),
    ("tweet_type", "text"),
    ("language", "text"),
    ("tweet_timestamp", "timestamp"),
    ("engaged_with_user_id", "text"),
    ("engaged_with_user_follower_count", "count"),
    ("engaged_with_user_following_count", "count"),
    ("engaged_with_user_is_verified", "boolean"),
    ("engaged_with_user_account_creation", "timestamp"),
    ("engaging_user_id", "text"),
    ("engaging_user_follower_count", "count"),
    ("engaging_user_following_count", "count"),
    ("engaging_user_is_verified", "boolean"),
    ("engaging_user_account_creation", "timestamp"),
    ("engagee_follows_engager", "boolean"),
    ("reply_timestamp", "engagement"),
    ("retweet_timestamp", "engagement"),
    ("retweet_with_comment_timestamp", "engagement"),
    ("like_timestamp", "engagement"),
)
assert len(FIELDS) == FIELD_COUNT
ACTIONS = tuple(name.removesuffix("_timestamp") for name, kind in FIELDS if kind == "engagement")
IMPRESSION_EXTRAS = tuple(
    name
    for name, kind in FIELDS
    if kind != "engagement" and name not in {"tweet_id", "tweet_timestamp", "engaging_user_id"}
)
LIST_FIELDS = frozenset(name for name, kind in FIELDS if kind == "list")
# Unix seconds: at most 11 digits (to the year 5138), so the microseconds fit a BIGINT.
MAX_TIMESTAMP_DIGITS = 11
MAX_COUNT_DIGITS = 18


def _digits(raw: str, most: int) -> str:
    """SQL: `raw` is a run of 1 to `most` ASCII digits (no sign, space or exponent)."""
    return f"regexp_full_match({raw}, '[0-9]{{1,{most}}}')"


def _typed(kind: str, raw: str) -> str:
    """SQL: the value of a field of `kind` from its text `raw`; null when unparsable.
    A list stays text here: it cannot be malformed, and DuckDB stores one string
    much faster than a list of them; `_list` splits it when the files are written."""
    if kind == "list":
        return raw
    if kind == "text":
        return f"nullif({raw}, '')"
    if kind in {"timestamp", "engagement"}:
        return (
            f"case when {_digits(raw, MAX_TIMESTAMP_DIGITS)} "
            f"then make_timestamp(cast({raw} as bigint) * 1000000) end"
        )
    if kind == "count":
        return f"case when {_digits(raw, MAX_COUNT_DIGITS)} then cast({raw} as bigint) end"
    if kind == "boolean":
        return f"case {raw} when 'true' then true when 'false' then false end"
    raise ValueError(kind)


def _list(name: str) -> str:
    """SQL: the list field `name` of `parsed` as VARCHAR[] (empty text: empty list)."""
    return (
        f"case when {name} = '' then cast([] as varchar[]) "
        f"else string_split({name}, chr(9)) end as {name}"
    )


def _checks() -> list[Check]:
    checks = [
        Check(
            f"field_count = {TEST_SPLIT_FIELD_COUNT}",
            "no_labels",
            f"'found {TEST_SPLIT_FIELD_COUNT} fields: a test-split line, its engagements "
            "are unknown'",
        ),
        Check(
            f"field_count <> {FIELD_COUNT}",
            "wrong_field_count",
            f"'found ' || field_count || ' fields, expected {FIELD_COUNT}'",
        ),
    ]
    for position, (name, kind) in enumerate(FIELDS, start=1):
        raw = f"f[{position}]"
        bad = {
            "timestamp": (f"{name} is null", "bad_timestamp"),
            "engagement": (f"{raw} <> '' and {name} is null", "bad_timestamp"),
            "count": (f"{name} is null", "bad_field"),
            "boolean": (f"{name} is null", "bad_field"),
        }.get(kind)
        if bad is not None:
            condition, reason = bad
            checks.append(Check(condition, reason, f"'{name} = ' || {detail_value(raw)}"))
    return checks


def _parse_sql() -> str:
    typed = ",\n".join(
        f"        {_typed(kind, f'f[{position}]')} as {name}"
        for position, (name, kind) in enumerate(FIELDS, start=1)
    )
    names = ", ".join(name for name, _ in FIELDS)
    return f"""
select
    line_number, reason, detail,
    case when reason is not null then coalesce(text, undecodable) end as line,
    {names}
from (
    select *, {reason_columns(_checks())}
    from (
        select
            line_number, text, undecodable, f, len(f) as field_count,
{typed}
        from (select line_number, text, undecodable, string_split(text, chr(1)) as f from lines)
    )
)
"""


IMPRESSIONS_SQL = f"""
select
    engaging_user_id as user_id,
    tweet_id,
    tweet_timestamp as impression_ts,
    {", ".join(_list(n) if n in LIST_FIELDS else n for n in IMPRESSION_EXTRAS)},
    line_number as source_line_number
from parsed
where reason is null
"""

# Every engagement field of the converted lines, with the dataset's own timestamp.
ENGAGEMENT_TIMES_SQL = f"""
select
    user_id, tweet_id, impression_ts, source_line_number,
    engagement.action as action, engagement.ts as dataset_ts
from (
    select
        engaging_user_id as user_id, tweet_id, tweet_timestamp as impression_ts,
        line_number as source_line_number,
        unnest([{", ".join(f"{{'action': '{a}', 'ts': {a}_timestamp}}" for a in ACTIONS)}])
            as engagement
    from parsed
    where reason is null
)
where engagement.ts is not null
"""

ENGAGEMENTS_SQL = f"""
select
    user_id, tweet_id, action,
    greatest(dataset_ts, impression_ts) as engagement_ts,
    source_line_number
from ({ENGAGEMENT_TIMES_SQL})
"""

IMPLIED_SQL = f"""
select
    count(*) as impressions,
    struct_pack({", ".join(f"{a} := count({a}_timestamp)" for a in ACTIONS)}) as engagements
from parsed
where reason is null
"""


def _extra_summary(connection: duckdb.DuckDBPyConnection) -> dict:
    moved, delay = connection.execute(
        f"""
        select
            count(*) filter (where dataset_ts < impression_ts),
            max(epoch(greatest(dataset_ts, impression_ts) - impression_ts)) / 3600
        from ({ENGAGEMENT_TIMES_SQL})
        """
    ).fetchone()
    return {
        "engagements_moved_to_impression_time": moved,
        "max_engagement_delay_hours": None if delay is None else round(delay, 3),
    }


DATASET = Dataset(
    name="recsys2020",
    actions=ACTIONS,
    parse_sql=_parse_sql(),
    impressions_sql=IMPRESSIONS_SQL,
    impressions_order="source_line_number",
    engagements_sql=ENGAGEMENTS_SQL,
    engagements_order=(
        f"source_line_number, list_position([{', '.join(repr(a) for a in ACTIONS)}], action)"
    ),
    implied_sql=IMPLIED_SQL,
    extra_summary=_extra_summary,
)


def main(argv: list[str] | None = None) -> int:
    return main_for(DATASET, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
