"""The DuckDB baseline (benchmarks.baselines): the project's contract as one hand-written
DuckDB script over the raw files."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

from benchmarks.baselines_contract import SALT, fresh_dir, latest_valid_ts

DUCKDB_FILE = "baseline.duckdb"
STEPS_FILE = "steps.json"
CREATED = re.compile(r"CREATE (?:TEMP )?TABLE (\w+)")


DUCKDB_SCRIPT = """
SET TimeZone = 'UTC';

-- Draw of task k (0-based): hex digits [6k, 6k + 6) of the md5 digest, i.e. digest
-- bytes 3k .. 3k + 2 read big-endian, over 2^24. md5_number() is the same digest as
-- an unsigned 128-bit integer read little-endian (byte i = bits 8i .. 8i + 7): no hex
-- text to format and parse.
CREATE TEMP MACRO octet(digest, i) AS cast((digest >> cast(8 * i AS uhugeint)) & 255 AS integer);
CREATE TEMP MACRO draw(digest, k) AS
    (octet(digest, 3 * k) * 65536 + octet(digest, 3 * k + 1) * 256 + octet(digest, 3 * k + 2))
    / 16777216;

-- Clean impressions folded into examples: (user, tweet, UTC day), first impression,
-- and the example's distinct impressions (exact duplicates share user, tweet and time,
-- so they fall in one example: counted once here, the features' dedup).
CREATE TEMP TABLE examples AS
SELECT
    user_id,
    tweet_id,
    cast(impression_ts AS date) AS event_date,
    min(impression_ts) AS example_ts,
    count(DISTINCT impression_ts) AS impressions
FROM read_parquet('{impressions}', union_by_name = true)
WHERE
    user_id IS NOT NULL
    AND tweet_id IS NOT NULL
    AND impression_ts IS NOT NULL
    AND impression_ts <= TIMESTAMP '{latest_valid}'
GROUP BY ALL;

-- Clean, distinct engagements with their canonical action. The inner join with the
-- aliases drops null, blank and unknown actions.
CREATE TEMP TABLE engagements AS
SELECT DISTINCT
    e.user_id,
    e.tweet_id,
    a.action,
    e.engagement_ts
FROM read_parquet('{engagements}', union_by_name = true) AS e
INNER JOIN (
    VALUES
        ('like', 'like'), ('reply', 'reply'), ('retweet', 'retweet'), ('quote', 'quote'),
        ('favorite', 'like'), ('comment', 'reply'), ('retweet_with_comment', 'quote')
) AS a (alias, action)
    ON lower(trim(e.action)) = a.alias
WHERE
    e.user_id IS NOT NULL
    AND e.tweet_id IS NOT NULL
    AND e.engagement_ts IS NOT NULL
    AND e.engagement_ts <= TIMESTAMP '{latest_valid}';

-- Watermark = min of both logs' latest clean timestamps (null if either is empty);
-- day D is mature when D + 1 day + 24 h <= watermark.
CREATE TEMP TABLE maturity AS
SELECT
    CASE
        WHEN i.max_ts IS NOT NULL AND e.max_ts IS NOT NULL
            THEN cast(least(i.max_ts, e.max_ts) - INTERVAL 48 HOUR AS date)
    END AS last_mature_date
FROM (
    SELECT max(impression_ts) AS max_ts
    FROM read_parquet('{impressions}', union_by_name = true)
    WHERE
        user_id IS NOT NULL
        AND tweet_id IS NOT NULL
        AND impression_ts <= TIMESTAMP '{latest_valid}'
) AS i
CROSS JOIN (SELECT max(engagement_ts) AS max_ts FROM engagements) AS e;

-- Attribution: the latest example of the same user and tweet at or before the
-- engagement, looked for back to the day before the engagement's day, counts when
-- the engagement is less than 24 h after it. Labels per example and task.
CREATE TEMP TABLE labels AS
WITH latest_example AS (
    SELECT
        e.user_id,
        e.tweet_id,
        e.action,
        e.engagement_ts,
        max(x.example_ts) AS example_ts
    FROM engagements AS e
    INNER JOIN examples AS x
        ON
            e.user_id = x.user_id
            AND e.tweet_id = x.tweet_id
            AND x.example_ts <= e.engagement_ts
            AND x.event_date >= cast(e.engagement_ts AS date) - 1
    GROUP BY ALL
)
SELECT
    user_id,
    tweet_id,
    cast(example_ts AS date) AS event_date,
    bool_or(action = 'like') AS label_like,
    bool_or(action = 'reply') AS label_reply,
    bool_or(action = 'retweet') AS label_retweet,
    bool_or(action = 'quote') AS label_quote,
    true AS label_any
FROM latest_example
WHERE engagement_ts < example_ts + INTERVAL 24 HOUR
GROUP BY ALL;

-- Mature days: counts, negative rates (positives are all kept: rate 1 without a cap;
-- no negatives on a day without positives) and the split.
CREATE TEMP TABLE days AS
WITH examples_per_day AS (
    SELECT
        event_date,
        count(*) AS examples
    FROM examples
    WHERE event_date <= (SELECT last_mature_date FROM maturity)
    GROUP BY ALL
),
positives_per_day AS (
    SELECT
        event_date,
        count_if(label_like) AS p_like,
        count_if(label_reply) AS p_reply,
        count_if(label_retweet) AS p_retweet,
        count_if(label_quote) AS p_quote,
        count(*) AS p_any
    FROM labels
    GROUP BY ALL
),
counts AS (
    SELECT
        event_date,
        d.examples,
        coalesce(p.p_like, 0) AS p_like,
        coalesce(p.p_reply, 0) AS p_reply,
        coalesce(p.p_retweet, 0) AS p_retweet,
        coalesce(p.p_quote, 0) AS p_quote,
        coalesce(p.p_any, 0) AS p_any
    FROM examples_per_day AS d
    LEFT JOIN positives_per_day AS p USING (event_date)
)
SELECT
    *,
    CASE
        WHEN event_date > max(event_date) OVER () - 4 THEN 'test'
        WHEN event_date > max(event_date) OVER () - 7 THEN 'validation'
        ELSE 'train'
    END AS split,
    CASE
        WHEN p_like = 0 OR p_like = examples THEN 0.0
        ELSE least(1.0, p_like / (examples - p_like))
    END AS n_like,
    CASE
        WHEN p_reply = 0 OR p_reply = examples THEN 0.0
        ELSE least(1.0, p_reply / (examples - p_reply))
    END AS n_reply,
    CASE
        WHEN p_retweet = 0 OR p_retweet = examples THEN 0.0
        ELSE least(1.0, p_retweet / (examples - p_retweet))
    END AS n_retweet,
    CASE
        WHEN p_quote = 0 OR p_quote = examples THEN 0.0
        ELSE least(1.0, p_quote / (examples - p_quote))
    END AS n_quote,
    CASE
        WHEN p_any = 0 OR p_any = examples THEN 0.0
        ELSE least(1.0, p_any / (examples - p_any))
    END AS n_any
FROM counts;

-- One md5 per mature example; keep decisions on the wide rows, then only the kept
-- examples get features and are widened to one row per task.
CREATE TEMP TABLE kept AS
WITH hashed AS (
    SELECT
        x.user_id,
        x.tweet_id,
        x.event_date,
        x.example_ts,
        d.split,
        coalesce(l.label_like, false) AS label_like,
        coalesce(l.label_reply, false) AS label_reply,
        coalesce(l.label_retweet, false) AS label_retweet,
        coalesce(l.label_quote, false) AS label_quote,
        coalesce(l.label_any, false) AS label_any,
        d.n_like,
        d.n_reply,
        d.n_retweet,
        d.n_quote,
        d.n_any,
        md5_number(concat('{salt}|0|', x.user_id, '|', x.tweet_id, '|', x.event_date)) AS digest
    FROM examples AS x
    INNER JOIN days AS d USING (event_date)
    LEFT JOIN labels AS l USING (user_id, tweet_id, event_date)
),
drawn AS (
    SELECT
        user_id,
        tweet_id,
        event_date,
        example_ts,
        split,
        label_like,
        label_reply,
        label_retweet,
        label_quote,
        label_any,
        if(label_like, 1.0, n_like) AS r_like,
        if(label_reply, 1.0, n_reply) AS r_reply,
        if(label_retweet, 1.0, n_retweet) AS r_retweet,
        if(label_quote, 1.0, n_quote) AS r_quote,
        if(label_any, 1.0, n_any) AS r_any,
        draw(digest, 0) AS u_like,
        draw(digest, 1) AS u_reply,
        draw(digest, 2) AS u_retweet,
        draw(digest, 3) AS u_quote,
        draw(digest, 4) AS u_any
    FROM hashed
)
SELECT *
FROM drawn
WHERE
    u_like < r_like
    OR u_reply < r_reply
    OR u_retweet < r_retweet
    OR u_quote < r_quote
    OR u_any < r_any;

-- Clean activity by UTC day per user and per tweet: the examples' distinct
-- impressions and every clean engagement (attributed or not), one column per task.
-- Impressions and the sparse engagements are counted apart and joined, which is
-- cheaper than summing task columns over every impression; restricting the days to
-- the kept examples' users and tweets first costs more than it saves.
{user_days}

{tweet_days}

-- Sums over the days in [D - 28, D) (user) and [D - 7, D) (tweet) of each kept day D.
CREATE TEMP TABLE user_features AS
SELECT
    k.user_id,
    k.event_date,
    sum(a.impressions) AS impressions,
    sum(a.e_like) AS e_like,
    sum(a.e_reply) AS e_reply,
    sum(a.e_retweet) AS e_retweet,
    sum(a.e_quote) AS e_quote,
    sum(a.e_any) AS e_any
FROM (SELECT DISTINCT user_id, event_date FROM kept) AS k
INNER JOIN user_days AS a
    ON
        k.user_id = a.user_id
        AND a.activity_date < k.event_date
        AND a.activity_date >= k.event_date - 28
GROUP BY ALL;

CREATE TEMP TABLE tweet_features AS
SELECT
    k.tweet_id,
    k.event_date,
    sum(a.impressions) AS impressions,
    sum(a.e_like) AS e_like,
    sum(a.e_reply) AS e_reply,
    sum(a.e_retweet) AS e_retweet,
    sum(a.e_quote) AS e_quote,
    sum(a.e_any) AS e_any
FROM (SELECT DISTINCT tweet_id, event_date FROM kept) AS k
INNER JOIN tweet_days AS a
    ON
        k.tweet_id = a.tweet_id
        AND a.activity_date < k.event_date
        AND a.activity_date >= k.event_date - 7
GROUP BY ALL;

-- Seen before: the pair has an example on one of the 28 days before.
CREATE TEMP TABLE seen_before AS
SELECT
    k.user_id,
    k.tweet_id,
    k.event_date
FROM kept AS k
SEMI JOIN examples AS x
    ON
        k.user_id = x.user_id
        AND k.tweet_id = x.tweet_id
        AND x.event_date < k.event_date
        AND x.event_date >= k.event_date - 28;

CREATE TABLE sampled AS
WITH featured AS MATERIALIZED (
    SELECT
        k.*,
        coalesce(uf.impressions, 0) AS user_impressions_28d,
        coalesce(uf.e_like, 0) AS ue_like,
        coalesce(uf.e_reply, 0) AS ue_reply,
        coalesce(uf.e_retweet, 0) AS ue_retweet,
        coalesce(uf.e_quote, 0) AS ue_quote,
        coalesce(uf.e_any, 0) AS ue_any,
        coalesce(tf.impressions, 0) AS tweet_impressions_7d,
        coalesce(tf.e_like, 0) AS te_like,
        coalesce(tf.e_reply, 0) AS te_reply,
        coalesce(tf.e_retweet, 0) AS te_retweet,
        coalesce(tf.e_quote, 0) AS te_quote,
        coalesce(tf.e_any, 0) AS te_any,
        s.user_id IS NOT NULL AS user_tweet_seen_before,
        hour(k.example_ts) AS example_hour,
        isodow(k.example_ts) AS example_day_of_week
    FROM kept AS k
    LEFT JOIN user_features AS uf USING (user_id, event_date)
    LEFT JOIN tweet_features AS tf USING (tweet_id, event_date)
    LEFT JOIN seen_before AS s USING (user_id, tweet_id, event_date)
)
SELECT
    'like' AS task, user_id, tweet_id, event_date, cast(label_like AS integer) AS label,
    r_like AS sampling_rate, 1.0 / r_like AS sample_weight, example_ts, split,
    user_impressions_28d, ue_like AS user_engagements_28d, tweet_impressions_7d,
    te_like AS tweet_engagements_7d, user_tweet_seen_before, example_hour, example_day_of_week
FROM featured WHERE u_like < r_like
UNION ALL
SELECT
    'reply', user_id, tweet_id, event_date, cast(label_reply AS integer),
    r_reply, 1.0 / r_reply, example_ts, split,
    user_impressions_28d, ue_reply, tweet_impressions_7d,
    te_reply, user_tweet_seen_before, example_hour, example_day_of_week
FROM featured WHERE u_reply < r_reply
UNION ALL
SELECT
    'retweet', user_id, tweet_id, event_date, cast(label_retweet AS integer),
    r_retweet, 1.0 / r_retweet, example_ts, split,
    user_impressions_28d, ue_retweet, tweet_impressions_7d,
    te_retweet, user_tweet_seen_before, example_hour, example_day_of_week
FROM featured WHERE u_retweet < r_retweet
UNION ALL
SELECT
    'quote', user_id, tweet_id, event_date, cast(label_quote AS integer),
    r_quote, 1.0 / r_quote, example_ts, split,
    user_impressions_28d, ue_quote, tweet_impressions_7d,
    te_quote, user_tweet_seen_before, example_hour, example_day_of_week
FROM featured WHERE u_quote < r_quote
UNION ALL
SELECT
    'any', user_id, tweet_id, event_date, cast(label_any AS integer),
    r_any, 1.0 / r_any, example_ts, split,
    user_impressions_28d, ue_any, tweet_impressions_7d,
    te_any, user_tweet_seen_before, example_hour, example_day_of_week
FROM featured WHERE u_any < r_any;

CREATE TABLE daily_counts AS
WITH counts AS (
    SELECT 'like' AS task, event_date, examples, p_like AS positives FROM days
    UNION ALL SELECT 'reply', event_date, examples, p_reply FROM days
    UNION ALL SELECT 'retweet', event_date, examples, p_retweet FROM days
    UNION ALL SELECT 'quote', event_date, examples, p_quote FROM days
    UNION ALL SELECT 'any', event_date, examples, p_any FROM days
),
kept AS (
    SELECT
        task,
        event_date,
        count_if(label = 1) AS kept_positives,
        count_if(label = 0) AS kept_negatives
    FROM sampled
    GROUP BY ALL
)
SELECT
    task,
    event_date,
    c.examples,
    c.positives,
    coalesce(k.kept_positives, 0) AS kept_positives,
    coalesce(k.kept_negatives, 0) AS kept_negatives
FROM counts AS c
LEFT JOIN kept AS k USING (task, event_date);
"""


# One entity's clean activity by UTC day (entity user or tweet), in DUCKDB_SCRIPT twice.
ACTIVITY_DAYS = """
CREATE TEMP TABLE {key}_days AS
SELECT
    coalesce(i.{key}_id, e.{key}_id) AS {key}_id,
    coalesce(i.activity_date, e.activity_date) AS activity_date,
    coalesce(i.impressions, 0) AS impressions,
    coalesce(e.e_like, 0) AS e_like,
    coalesce(e.e_reply, 0) AS e_reply,
    coalesce(e.e_retweet, 0) AS e_retweet,
    coalesce(e.e_quote, 0) AS e_quote,
    coalesce(e.e_any, 0) AS e_any
FROM (
    SELECT {key}_id, event_date AS activity_date, sum(impressions) AS impressions
    FROM examples
    GROUP BY ALL
) AS i
FULL JOIN (
    SELECT
        {key}_id,
        cast(engagement_ts AS date) AS activity_date,
        count_if(action = 'like') AS e_like,
        count_if(action = 'reply') AS e_reply,
        count_if(action = 'retweet') AS e_retweet,
        count_if(action = 'quote') AS e_quote,
        count(*) AS e_any
    FROM engagements
    GROUP BY ALL
) AS e
    ON i.{key}_id = e.{key}_id AND i.activity_date = e.activity_date;
"""


def duckdb_script(raw: Path, run_started_at: dt.datetime) -> str:
    """The DuckDB SQL script for the logs under ``raw``."""

    def quoted(path: Path) -> str:
        """A path as the body of a SQL string literal."""
        return str(path).replace("'", "''")

    return DUCKDB_SCRIPT.format(
        impressions=quoted(raw / "impressions" / "**" / "*.parquet"),
        engagements=quoted(raw / "engagements" / "**" / "*.parquet"),
        latest_valid=latest_valid_ts(run_started_at).isoformat(sep=" "),
        salt=SALT.replace("'", "''"),
        user_days=ACTIVITY_DAYS.format(key="user").strip(),
        tweet_days=ACTIVITY_DAYS.format(key="tweet").strip(),
    )


def run_duckdb(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """Run the SQL script on a fresh ``out/baseline.duckdb``; tables sampled, daily_counts.
    Each statement's seconds go to ``out/steps.json``, keyed by the table it creates."""
    import duckdb

    database = fresh_dir(out) / DUCKDB_FILE
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    steps: dict[str, float] = {}
    with duckdb.connect(str(database)) as connection:
        for statement in connection.extract_statements(duckdb_script(raw, run_started_at)):
            started = time.perf_counter()
            connection.execute(statement)
            created = CREATED.search(statement.query)
            if created:
                steps[created.group(1)] = time.perf_counter() - started
    (out / STEPS_FILE).write_text(json.dumps(steps, indent=1))
