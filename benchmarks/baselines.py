"""Hand-written baselines of the project's contract, for the benchmark.

Three implementations of docs/semantics.md with the default vars, as a careful,
performance-minded user would write them instead of the dbt project:

- ``duckdb``: one DuckDB SQL script (a few ``CREATE TABLE ... AS``) on a fresh
  database file, ``OUT/baseline.duckdb``; the engine's floor;
- ``pandas``: pandas with pyarrow reading, vectorised, writing Parquet;
- ``polars``: the polars lazy API, writing Parquet.

Each writes the same two outputs over the mature days:

- ``sampled``: one row per kept (example, task): ``task``, ``user_id``,
  ``tweet_id``, ``event_date``, ``label``, ``sampling_rate``, ``sample_weight``,
  ``example_ts``, ``split`` (the project's three split marts in one table);
- ``daily_counts``: per (task, event_date): ``examples``, ``positives`` (before
  sampling), ``kept_positives``, ``kept_negatives`` (from ``daily_label_stats``).

Scope: integer IDs and naive UTC timestamps in the raw Parquet files, default
vars (24 h label window, tasks like / reply / retweet / quote / any, one negative
per positive, no daily cap, salt ``feed-v1``, 3 validation and 4 test days).

Shortcuts that change no output: exact duplicate impressions cannot change an
example's first impression, so the impressions' dedup is implied by the group by
into examples (the sparse engagements are deduplicated); rejected rows are
filtered out, not kept with a reason (no output depends on the reason); only the
mature days' examples are hashed.

md5: once per example, as in the project. DuckDB reads the digest as a 128-bit
integer (``md5_number``) instead of formatting and parsing hex text; pandas,
polars and pyarrow have no vectorised md5, so those two hash with ``hashlib``
over the key strings, a chunk at a time (polars: ``map_batches`` in its
streaming engine).

CLI (one process per run, so that a benchmark can time it and measure its peak
RSS; each baseline imports only its own libraries)::

    python -m benchmarks.baselines {duckdb,pandas,polars} --raw RAW --out OUTDIR
        [--run-started-at ISO] [--clean]

``load_outputs(kind, outdir)`` reads both outputs back as pandas frames with
normalised dtypes, sorted by key, for comparisons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # each baseline imports only its own libraries (time and RSS are measured)
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "KINDS",
    "load_outputs",
    "main",
    "normalise_outputs",
    "run",
    "run_duckdb",
    "run_pandas",
    "run_polars",
]

KINDS = ("duckdb", "pandas", "polars")

# The contract's defaults (docs/semantics.md).
TASKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("like", ("like",)),
    ("reply", ("reply",)),
    ("retweet", ("retweet",)),
    ("quote", ("quote",)),
    ("any", ("like", "reply", "retweet", "quote")),
)
ACTION_ALIASES: dict[str, str] = {
    "like": "like",
    "reply": "reply",
    "retweet": "retweet",
    "quote": "quote",
    "favorite": "like",
    "comment": "reply",
    "retweet_with_comment": "quote",
}
SALT = "feed-v1"
LABEL_WINDOW = dt.timedelta(hours=24)
LOOKBACK = dt.timedelta(days=1)  # ceil(24 h / 24 h) days before the engagement's day
MAX_FUTURE = dt.timedelta(hours=24)
NEGATIVES_PER_POSITIVE = 1.0
VALIDATION_DAYS = 3
TEST_DAYS = 4
# What SQL trim() strips: Unicode space separators (not tabs or newlines).
SQL_TRIM_CHARS = "".join(
    [" ", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]
)
DUCKDB_FILE = "baseline.duckdb"
HASH_CHUNK_ROWS = 1 << 20  # rows turned into Python objects at a time when hashing
SAMPLED_COLUMNS = [
    "task",
    "user_id",
    "tweet_id",
    "event_date",
    "label",
    "sampling_rate",
    "sample_weight",
    "example_ts",
    "split",
]
COUNT_COLUMNS = ["task", "event_date", "examples", "positives", "kept_positives", "kept_negatives"]
KEYS = {
    "sampled": ["task", "event_date", "user_id", "tweet_id"],
    "daily_counts": ["task", "event_date"],
}


# --------------------------------------------------------------------------- shared


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    """A datetime as naive UTC (naive input is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _latest_valid_ts(run_started_at: dt.datetime) -> dt.datetime:
    """Rows timestamped after this are rejected as future_timestamp."""
    return _utc_naive(run_started_at) + MAX_FUTURE


def _last_mature_day(
    impressions_max: dt.datetime | None, engagements_max: dt.datetime | None
) -> dt.date | None:
    """Last day D with D 00:00 + 1 day + label window <= watermark; None if a log is empty."""
    if impressions_max is None or engagements_max is None:
        return None
    watermark = min(impressions_max, engagements_max)
    return (watermark - dt.timedelta(days=1) - LABEL_WINDOW).date()


def _split_of(day: dt.date, last_day: dt.date) -> str:
    """The split of a mature day, relative to the last mature day (no gap)."""
    test_start = last_day - dt.timedelta(days=TEST_DAYS - 1)
    if day >= test_start:
        return "test"
    if day >= test_start - dt.timedelta(days=VALIDATION_DAYS):
        return "validation"
    return "train"


def _fresh_dir(out: Path) -> Path:
    """Create the output folder if needed; return it."""
    out.mkdir(parents=True, exist_ok=True)
    return out


# --------------------------------------------------------------------------- duckdb

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

-- Clean impressions folded into examples: (user, tweet, UTC day), first impression.
-- Duplicate impressions cannot change a min(): no separate dedup.
CREATE TEMP TABLE examples AS
SELECT
    user_id,
    tweet_id,
    cast(impression_ts AS date) AS event_date,
    min(impression_ts) AS example_ts
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
-- examples are widened to one row per task.
CREATE TABLE sampled AS
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
),
kept AS MATERIALIZED (
    SELECT *
    FROM drawn
    WHERE
        u_like < r_like
        OR u_reply < r_reply
        OR u_retweet < r_retweet
        OR u_quote < r_quote
        OR u_any < r_any
)
SELECT
    'like' AS task, user_id, tweet_id, event_date, cast(label_like AS integer) AS label,
    r_like AS sampling_rate, 1.0 / r_like AS sample_weight, example_ts, split
FROM kept WHERE u_like < r_like
UNION ALL
SELECT
    'reply', user_id, tweet_id, event_date, cast(label_reply AS integer),
    r_reply, 1.0 / r_reply, example_ts, split
FROM kept WHERE u_reply < r_reply
UNION ALL
SELECT
    'retweet', user_id, tweet_id, event_date, cast(label_retweet AS integer),
    r_retweet, 1.0 / r_retweet, example_ts, split
FROM kept WHERE u_retweet < r_retweet
UNION ALL
SELECT
    'quote', user_id, tweet_id, event_date, cast(label_quote AS integer),
    r_quote, 1.0 / r_quote, example_ts, split
FROM kept WHERE u_quote < r_quote
UNION ALL
SELECT
    'any', user_id, tweet_id, event_date, cast(label_any AS integer),
    r_any, 1.0 / r_any, example_ts, split
FROM kept WHERE u_any < r_any;

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


def duckdb_script(raw: Path, run_started_at: dt.datetime) -> str:
    """The DuckDB SQL script for the logs under ``raw``."""

    def quoted(path: Path) -> str:
        """A path as the body of a SQL string literal."""
        return str(path).replace("'", "''")

    return DUCKDB_SCRIPT.format(
        impressions=quoted(raw / "impressions" / "**" / "*.parquet"),
        engagements=quoted(raw / "engagements" / "**" / "*.parquet"),
        latest_valid=_latest_valid_ts(run_started_at).isoformat(sep=" "),
        salt=SALT.replace("'", "''"),
    )


def run_duckdb(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """Run the SQL script on a fresh ``out/baseline.duckdb``; tables sampled, daily_counts."""
    import duckdb

    database = _fresh_dir(out) / DUCKDB_FILE
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute(duckdb_script(raw, run_started_at))


# --------------------------------------------------------------------------- pandas


def _read_clean(raw: Path, log: str, columns: list[str], latest_valid: dt.datetime) -> pa.Table:
    """Read one log's needed columns, dropping null keys and future timestamps on read."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    ts_column = columns[-1]
    valid = (
        pc.field("user_id").is_valid()
        & pc.field("tweet_id").is_valid()
        & pc.field(ts_column).is_valid()
        & (pc.field(ts_column) <= pa.scalar(latest_valid, pa.timestamp("us")))
    )
    return pq.read_table(raw / log, columns=columns, filters=valid)


def _md5_draws(key_chunks: Iterable[list[str]], n: int) -> np.ndarray:
    """u[i, k] = hex digits [6k, 6k + 6) of md5(key i) over 2^24, for the five tasks.

    Keys come a chunk at a time (lists of str), so that only one chunk of Python
    objects is alive at once; the draws go into one (n, 5) array.
    """
    md5 = hashlib.md5
    draws = np.empty((n, len(TASKS)), dtype=np.float64)
    position = 0
    for keys in key_chunks:
        digests = b"".join([md5(key.encode()).digest() for key in keys])
        # hex digits [6k, 6k + 6) are digest bytes [3k, 3k + 3), read big-endian
        octets = np.frombuffer(digests, np.uint8).reshape(-1, 16)[:, :15]
        octets = octets.reshape(-1, 5, 3).astype(np.uint32)
        value = (octets[..., 0] << 16) | (octets[..., 1] << 8) | octets[..., 2]
        draws[position : position + len(keys)] = value / 16777216.0
        position += len(keys)
    if position != n:
        raise ValueError(f"hashed {position} keys, expected {n}")
    return draws


def _example_key_chunks(
    user_ids: np.ndarray, tweet_ids: np.ndarray, day_codes: np.ndarray, day_text: Sequence[str]
) -> Iterator[list[str]]:
    """'salt|0|user_id|tweet_id|YYYY-MM-DD' of every example, a chunk at a time."""
    prefix = f"{SALT}|0|"
    for start in range(0, len(user_ids), HASH_CHUNK_ROWS):
        chunk = slice(start, start + HASH_CHUNK_ROWS)
        yield [
            f"{prefix}{u}|{t}|{day_text[c]}"
            for u, t, c in zip(
                user_ids[chunk].tolist(),
                tweet_ids[chunk].tolist(),
                day_codes[chunk].tolist(),
                strict=True,
            )
        ]


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame as Parquet with event_date as a date column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    position = table.schema.get_field_index("event_date")
    table = table.set_column(position, "event_date", table["event_date"].cast(pa.date32()))
    pq.write_table(table, path)


def run_pandas(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """pandas version; writes ``out/sampled.parquet`` and ``out/daily_counts.parquet``."""
    import pandas as pd

    out = _fresh_dir(out)
    latest_valid = _latest_valid_ts(run_started_at)
    day = pd.Timedelta(days=1)

    # Examples: (user, tweet, UTC day) with the first impression of the day.
    impressions = _read_clean(
        raw, "impressions", ["user_id", "tweet_id", "impression_ts"], latest_valid
    ).to_pandas()
    impressions_max = impressions["impression_ts"].max() if len(impressions) else None
    impressions["event_date"] = impressions["impression_ts"].dt.floor("D")
    examples = (
        impressions.groupby(["user_id", "tweet_id", "event_date"], sort=False)["impression_ts"]
        .min()
        .rename("example_ts")
        .reset_index()
    )
    del impressions

    # Clean engagements: fold the action, drop null / blank / unknown ones, dedup.
    engagements = _read_clean(
        raw, "engagements", ["user_id", "tweet_id", "action", "engagement_ts"], latest_valid
    ).to_pandas()
    folded = engagements["action"].str.strip(SQL_TRIM_CHARS).str.lower().map(ACTION_ALIASES)
    engagements = engagements.assign(action=folded).dropna(subset=["action"]).drop_duplicates()
    engagements_max = engagements["engagement_ts"].max() if len(engagements) else None
    last_mature = _last_mature_day(impressions_max, engagements_max)

    # Attribution: latest example at or before the engagement (looking back one day),
    # attributed when the engagement is less than 24 h after it.
    engagements["engagement_id"] = np.arange(len(engagements))
    candidates = engagements.merge(
        examples.assign(example_row=np.arange(len(examples))), on=["user_id", "tweet_id"]
    )
    candidates = candidates[
        (candidates["example_ts"] <= candidates["engagement_ts"])
        & (candidates["event_date"] >= candidates["engagement_ts"].dt.floor("D") - day)
    ]
    latest = candidates.loc[candidates.groupby("engagement_id")["example_ts"].idxmax()]
    attributed = latest[latest["engagement_ts"] - latest["example_ts"] < LABEL_WINDOW]
    labels = np.zeros((len(examples), len(TASKS)), dtype=np.int8)
    for k, (_, actions) in enumerate(TASKS):
        labels[attributed.loc[attributed["action"].isin(actions), "example_row"].to_numpy(), k] = 1

    # Mature examples, per-day counts and rates.
    if last_mature is None:
        mature = np.zeros(len(examples), dtype=bool)
    else:
        mature = (examples["event_date"] <= pd.Timestamp(last_mature)).to_numpy()
    examples = examples[mature].reset_index(drop=True)
    labels = labels[mature]
    day_codes, days = pd.factorize(examples["event_date"], sort=True)
    n_days = len(days)
    examples_per_day = np.bincount(day_codes, minlength=n_days)
    positives = np.stack(
        [np.bincount(day_codes, weights=labels[:, k], minlength=n_days) for k in range(len(TASKS))],
        axis=1,
    ).astype(np.int64)
    negatives = examples_per_day[:, None] - positives
    with np.errstate(divide="ignore", invalid="ignore"):
        negative_sampling_rate = np.where(
            (positives == 0) | (negatives == 0),
            0.0,
            np.minimum(1.0, NEGATIVES_PER_POSITIVE * positives / negatives),
        )
    day_dates = [d.date() for d in days]
    splits = np.array([_split_of(d, max(day_dates)) for d in day_dates], dtype=object)

    # One md5 per example; keep when the draw is below the class's rate.
    user_ids = examples["user_id"].to_numpy()
    tweet_ids = examples["tweet_id"].to_numpy()
    day_text = [d.isoformat() for d in day_dates]
    draws = _md5_draws(_example_key_chunks(user_ids, tweet_ids, day_codes, day_text), len(examples))
    rates = np.where(labels == 1, 1.0, negative_sampling_rate[day_codes])
    kept = draws < rates

    parts = []
    count_parts = []
    for k, (task, _) in enumerate(TASKS):
        rows = np.flatnonzero(kept[:, k])
        parts.append(
            pd.DataFrame(
                {
                    "task": task,
                    "user_id": user_ids[rows],
                    "tweet_id": tweet_ids[rows],
                    "event_date": examples["event_date"].to_numpy()[rows],
                    "label": labels[rows, k].astype(np.int32),
                    "sampling_rate": rates[rows, k],
                    "sample_weight": 1.0 / rates[rows, k],
                    "example_ts": examples["example_ts"].to_numpy()[rows],
                    "split": splits[day_codes[rows]],
                }
            )
        )
        kept_positive = kept[:, k] & (labels[:, k] == 1)
        kept_negative = kept[:, k] & (labels[:, k] == 0)
        count_parts.append(
            pd.DataFrame(
                {
                    "task": task,
                    "event_date": days,
                    "examples": examples_per_day.astype(np.int64),
                    "positives": positives[:, k],
                    "kept_positives": np.bincount(day_codes[kept_positive], minlength=n_days),
                    "kept_negatives": np.bincount(day_codes[kept_negative], minlength=n_days),
                }
            )
        )
    _write_parquet(pd.concat(parts, ignore_index=True), out / "sampled.parquet")
    _write_parquet(pd.concat(count_parts, ignore_index=True), out / "daily_counts.parquet")


# --------------------------------------------------------------------------- polars


def run_polars(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """polars (lazy) version; writes ``out/sampled.parquet`` and ``out/daily_counts.parquet``."""
    import polars as pl

    out = _fresh_dir(out)
    latest_valid = _latest_valid_ts(run_started_at)
    keys = ["user_id", "tweet_id", "event_date"]

    def scan(log: str, columns: list[str]) -> pl.LazyFrame:
        """The clean rows of one log (null keys and future timestamps dropped)."""
        ts_column = columns[-1]
        return (
            pl.scan_parquet(
                raw / log / "**" / "*.parquet", missing_columns="insert", extra_columns="ignore"
            )
            .select(columns)
            .filter(
                pl.col("user_id").is_not_null(),
                pl.col("tweet_id").is_not_null(),
                pl.col(ts_column).is_not_null(),
                pl.col(ts_column) <= latest_valid,
            )
        )

    impressions = scan("impressions", ["user_id", "tweet_id", "impression_ts"])
    examples_plan = impressions.group_by(
        "user_id", "tweet_id", pl.col("impression_ts").dt.date().alias("event_date")
    ).agg(pl.col("impression_ts").min().alias("example_ts"))
    engagements_plan = (
        scan("engagements", ["user_id", "tweet_id", "action", "engagement_ts"])
        .with_columns(
            pl.col("action")
            .str.strip_chars(SQL_TRIM_CHARS)
            .str.to_lowercase()
            .replace_strict(ACTION_ALIASES, default=None, return_dtype=pl.String)
        )
        .drop_nulls("action")
        .unique()
    )
    examples, engagements, impressions_max = pl.collect_all(
        [examples_plan, engagements_plan, impressions.select(pl.col("impression_ts").max())]
    )
    last_mature = _last_mature_day(
        impressions_max.item(), engagements.select(pl.col("engagement_ts").max()).item()
    )

    labels = (
        engagements.lazy()
        .join(examples.lazy(), on=["user_id", "tweet_id"])
        .filter(
            pl.col("example_ts") <= pl.col("engagement_ts"),
            pl.col("event_date") >= pl.col("engagement_ts").dt.date() - LOOKBACK,
        )
        .group_by("user_id", "tweet_id", "action", "engagement_ts")
        .agg(pl.col("example_ts").max())
        .filter(pl.col("engagement_ts") < pl.col("example_ts") + LABEL_WINDOW)
        .group_by("user_id", "tweet_id", pl.col("example_ts").dt.date().alias("event_date"))
        .agg(pl.col("action").is_in(list(a)).any().alias(f"label_{t}") for t, a in TASKS)
    )
    label_columns = [f"label_{t}" for t, _ in TASKS]
    labeled = (
        examples.lazy()
        .filter(pl.col("event_date") <= last_mature if last_mature else pl.lit(False))
        .join(labels, on=keys, how="left")
        .with_columns(pl.col(label_columns).fill_null(False))
    )
    days = (
        labeled.group_by("event_date")
        .agg(pl.len().alias("examples"), *(pl.col(c).sum().alias(f"p_{c}") for c in label_columns))
        .with_columns(
            pl.when(
                pl.col("event_date") > pl.col("event_date").max() - dt.timedelta(days=TEST_DAYS)
            )
            .then(pl.lit("test"))
            .when(
                pl.col("event_date")
                > pl.col("event_date").max() - dt.timedelta(days=TEST_DAYS + VALIDATION_DAYS)
            )
            .then(pl.lit("validation"))
            .otherwise(pl.lit("train"))
            .alias("split"),
            *(
                pl.when((pl.col(f"p_{c}") == 0) | (pl.col(f"p_{c}") == pl.col("examples")))
                .then(0.0)
                .otherwise(
                    pl.min_horizontal(
                        1.0,
                        NEGATIVES_PER_POSITIVE
                        * pl.col(f"p_{c}")
                        / (pl.col("examples") - pl.col(f"p_{c}")),
                    )
                )
                .alias(f"n_{c}")
                for c in label_columns
            ),
        )
    )

    def draws_of_keys(keys: pl.Series) -> pl.Series:
        """The five draws of each key string (a batch of the streaming engine)."""
        starts = range(0, len(keys), HASH_CHUNK_ROWS)
        chunks = (keys.slice(start, HASH_CHUNK_ROWS).to_list() for start in starts)
        return pl.Series(_md5_draws(chunks, len(keys)))

    kept_plan = (
        labeled.join(days.select("event_date", "split", pl.col("^n_.*$")), on="event_date")
        .with_columns(
            pl.concat_str(
                pl.lit(f"{SALT}|0|"),
                pl.col("user_id"),
                pl.lit("|"),
                pl.col("tweet_id"),
                pl.lit("|"),
                pl.col("event_date"),
            )
            .map_batches(
                draws_of_keys,
                return_dtype=pl.Array(pl.Float64, len(TASKS)),
                is_elementwise=True,
            )
            .alias("draws")
        )
        .with_columns(
            *(
                pl.when(pl.col(c)).then(1.0).otherwise(pl.col(f"n_{c}")).alias(f"r_{c}")
                for c in label_columns
            ),
            *(pl.col("draws").arr.get(k).alias(f"u_{c}") for k, c in enumerate(label_columns)),
        )
        .filter(pl.any_horizontal(pl.col(f"u_{c}") < pl.col(f"r_{c}") for c in label_columns))
    )
    kept, days_frame = pl.collect_all([kept_plan, days], engine="streaming")

    sampled = pl.concat(
        kept.filter(pl.col(f"u_{c}") < pl.col(f"r_{c}")).select(
            pl.lit(task).alias("task"),
            "user_id",
            "tweet_id",
            "event_date",
            pl.col(c).cast(pl.Int32).alias("label"),
            pl.col(f"r_{c}").alias("sampling_rate"),
            (1.0 / pl.col(f"r_{c}")).alias("sample_weight"),
            "example_ts",
            "split",
        )
        for (task, _), c in zip(TASKS, label_columns, strict=True)
    )
    kept_counts = sampled.group_by("task", "event_date").agg(
        (pl.col("label") == 1).sum().cast(pl.Int64).alias("kept_positives"),
        (pl.col("label") == 0).sum().cast(pl.Int64).alias("kept_negatives"),
    )
    daily_counts = (
        pl.concat(
            days_frame.select(
                pl.lit(task).alias("task"),
                "event_date",
                pl.col("examples").cast(pl.Int64),
                pl.col(f"p_{c}").cast(pl.Int64).alias("positives"),
            )
            for (task, _), c in zip(TASKS, label_columns, strict=True)
        )
        .join(kept_counts, on=["task", "event_date"], how="left")
        .with_columns(pl.col("kept_positives", "kept_negatives").fill_null(0))
    )
    sampled.write_parquet(out / "sampled.parquet")
    daily_counts.write_parquet(out / "daily_counts.parquet")


# --------------------------------------------------------------------------- harness

RUNNERS: dict[str, Callable[[Path, Path, dt.datetime], None]] = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "polars": run_polars,
}


def run(kind: str, raw: Path, out: Path, run_started_at: dt.datetime | None = None) -> None:
    """Run one baseline on the logs under ``raw``, writing its outputs under ``out``."""
    if kind not in RUNNERS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    started = run_started_at or dt.datetime.now(dt.UTC)
    RUNNERS[kind](Path(raw), Path(out), started)


def normalise_outputs(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns in order, one dtype per column, sorted by the key."""
    import pandas as pd

    columns = SAMPLED_COLUMNS if name == "sampled" else COUNT_COLUMNS
    frame = frame[columns].copy()
    frame["task"] = frame["task"].astype(str)
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[s]")
    integers = ["user_id", "tweet_id", "label", *COUNT_COLUMNS[2:]]
    for column in (c for c in integers if c in frame):
        frame[column] = frame[column].astype(np.int64)
    if name == "sampled":
        frame["sampling_rate"] = frame["sampling_rate"].astype(np.float64)
        frame["sample_weight"] = frame["sample_weight"].astype(np.float64)
        frame["example_ts"] = pd.to_datetime(frame["example_ts"]).astype("datetime64[us]")
        frame["split"] = frame["split"].astype(str)
    return frame.sort_values(KEYS[name]).reset_index(drop=True)


def load_outputs(kind: str, outdir: Path) -> dict[str, pd.DataFrame]:
    """Read ``sampled`` and ``daily_counts`` of a baseline run, normalised and sorted by key.

    dtypes: task / split ``str``; user_id, tweet_id, label and counts ``int64``;
    event_date ``datetime64[s]`` (midnight); example_ts ``datetime64[us]``;
    rates and weights ``float64``.
    """
    import pandas as pd

    outdir = Path(outdir)
    if kind == "duckdb":
        import duckdb

        with duckdb.connect(str(outdir / DUCKDB_FILE), read_only=True) as connection:
            frames = {name: connection.sql(f"select * from {name}").df() for name in KEYS}
    elif kind in ("pandas", "polars"):
        frames = {name: pd.read_parquet(outdir / f"{name}.parquet") for name in KEYS}
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return {name: normalise_outputs(frame, name) for name, frame in frames.items()}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baselines",
        description="Hand-written baselines of the project's contract (see module docstring).",
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--raw", type=Path, required=True, help="folder of the raw logs")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--run-started-at",
        type=dt.datetime.fromisoformat,
        default=None,
        metavar="ISO",
        help="run start (UTC if naive) for the future_timestamp check; default now",
    )
    parser.add_argument("--clean", action="store_true", help="empty the output folder first")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; prints the wall time."""
    args = _parse_args(argv)
    if args.clean and args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    run(args.kind, args.raw, args.out, args.run_started_at)
    print(
        f"benchmarks.baselines {args.kind}: {args.raw} -> {args.out} "
        f"in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
