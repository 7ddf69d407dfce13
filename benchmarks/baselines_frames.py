"""The dataframe baselines (benchmarks.baselines): the project's contract hand-written in
pandas (with pyarrow reading the files) and in polars."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.baselines_contract import (
    ACTION_ALIASES,
    LABEL_WINDOW,
    LOOKBACK,
    NEGATIVES_PER_POSITIVE,
    SALT,
    SQL_TRIM_CHARS,
    TASKS,
    TEST_DAYS,
    VALIDATION_DAYS,
    fresh_dir,
    last_mature_day,
    latest_valid_ts,
    split_of,
)
from benchmarks.baselines_features import pandas_features, polars_features

if TYPE_CHECKING:  # each baseline imports only its own libraries (time and RSS are measured)
    import pandas as pd
    import pyarrow as pa

HASH_CHUNK_ROWS = 1 << 20  # rows turned into Python objects at a time when hashing


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


def _draws_of_digests(digests: np.ndarray) -> np.ndarray:
    """u[i, k] = hex digits [6k, 6k + 6) of digest i (n rows of 16 bytes) over 2^24, for the
    five tasks."""
    # hex digits [6k, 6k + 6) are digest bytes [3k, 3k + 3), read big-endian
    octets = digests.reshape(-1, 16)[:, :15].reshape(-1, 5, 3).astype(np.uint32)
    value = (octets[..., 0] << 16) | (octets[..., 1] << 8) | octets[..., 2]
    return value / 16777216.0


def _md5_draws(key_chunks: Iterable[list[str]], n: int) -> np.ndarray:
    """The five draws of each key (``_draws_of_digests``), hashed with ``hashlib``.

    Keys come a chunk at a time (lists of str), so that only one chunk of Python
    objects is alive at once; the draws go into one (n, 5) array.
    """
    md5 = hashlib.md5
    draws = np.empty((n, len(TASKS)), dtype=np.float64)
    position = 0
    for keys in key_chunks:
        digests = b"".join([md5(key.encode()).digest() for key in keys])
        draws[position : position + len(keys)] = _draws_of_digests(np.frombuffer(digests, np.uint8))
        position += len(keys)
    if position != n:
        raise ValueError(f"hashed {position} keys, expected {n}")
    return draws


# MD5 (RFC 1321) of many short messages at once in numpy: per round, the shift, the
# constant floor(|sin(i + 1)| * 2^32) and the message word; the initial state.
_MD5_SHIFTS = [7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4 + [6, 10, 15, 21] * 4
_MD5_SINES = [np.uint32(int(abs(math.sin(i + 1)) * 2**32)) for i in range(64)]
_MD5_WORD = [(i, (5 * i + 1) % 16, (3 * i + 5) % 16, (7 * i) % 16)[i // 16] for i in range(64)]
_MD5_INIT = [np.uint32(word) for word in (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)]
MD5_BLOCK_KEY_BYTES = 55  # the longest message that pads into one 64-byte block
MD5_CHUNK_ROWS = 1 << 16  # keys hashed together (numpy arrays that stay in cache)


def _md5_one_block(words: np.ndarray) -> np.ndarray:
    """MD5 digests, (n, 16) bytes, of n messages each padded into one block: ``words``
    is (16, n), the blocks' little-endian 32-bit words."""
    n = words.shape[1]
    a, b, c, d = (np.full(n, word) for word in _MD5_INIT)
    f, t = np.empty(n, np.uint32), np.empty(n, np.uint32)
    for i in range(64):
        if i < 16:  # (b & c) | (~b & d)
            np.bitwise_and(b, c, out=f)
            np.invert(b, out=t)
            t &= d
            f |= t
        elif i < 32:  # (d & b) | (~d & c)
            np.bitwise_and(d, b, out=f)
            np.invert(d, out=t)
            t &= c
            f |= t
        elif i < 48:  # b ^ c ^ d
            np.bitwise_xor(b, c, out=f)
            f ^= d
        else:  # c ^ (b | ~d)
            np.invert(d, out=t)
            t |= b
            np.bitwise_xor(c, t, out=f)
        f += a
        f += _MD5_SINES[i]
        f += words[_MD5_WORD[i]]
        np.left_shift(f, np.uint32(_MD5_SHIFTS[i]), out=t)  # rotate left
        f >>= np.uint32(32 - _MD5_SHIFTS[i])
        f |= t
        f += b
        a, b, c, d, f = d, f, b, c, a  # a's array is free again
    state = np.empty((n, 4), dtype="<u4")
    for j, (word, initial) in enumerate(zip((a, b, c, d), _MD5_INIT, strict=True)):
        np.add(word, initial, out=state[:, j])
    return state.view(np.uint8)


def _md5_blocks(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """The padded blocks, (16, n) words, of n messages of at most 55 bytes: Arrow-style
    ``offsets`` (n + 1) into the bytes ``data``."""
    lengths = np.diff(offsets)
    n = len(lengths)
    blocks = np.zeros((n, 64), np.uint8)
    # byte j of message i goes to blocks[i, j]
    first = offsets[0]
    destination = np.repeat(np.arange(n, dtype=np.int64) * 64 - (offsets[:-1] - first), lengths)
    destination += np.arange(offsets[-1] - first)
    blocks.reshape(-1)[destination] = data[first : offsets[-1]]
    blocks[np.arange(n), lengths] = 0x80
    words = blocks.view("<u4")
    words[:, 14] = lengths.astype(np.uint32) * 8  # the length in bits (below 2^32)
    return np.ascontiguousarray(words.T)


def _md5_digests(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """MD5 digests, (n, 16) bytes, of n byte strings (Arrow ``offsets`` into ``data``):
    in numpy a chunk at a time, with ``hashlib`` for messages longer than one block."""
    n = len(offsets) - 1
    digests = np.empty((n, 16), np.uint8)
    for start in range(0, n, MD5_CHUNK_ROWS):
        stop = min(start + MD5_CHUNK_ROWS, n)
        chunk = offsets[start : stop + 1]
        if (np.diff(chunk) <= MD5_BLOCK_KEY_BYTES).all():
            digests[start:stop] = _md5_one_block(_md5_blocks(chunk, data))
            continue
        for row in range(start, stop):
            message = data[offsets[row] : offsets[row + 1]].tobytes()
            digests[row] = np.frombuffer(hashlib.md5(message).digest(), np.uint8)
    return digests


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


def _task_features(features: pd.DataFrame, rows: np.ndarray, task: str) -> dict:
    """The mart's feature columns of some feature rows, engagement counts of ``task``."""
    return {
        "user_impressions_28d": features["user_impressions_28d"].to_numpy()[rows],
        "user_engagements_28d": features[f"user_engagements_28d_{task}"].to_numpy()[rows],
        "tweet_impressions_7d": features["tweet_impressions_7d"].to_numpy()[rows],
        "tweet_engagements_7d": features[f"tweet_engagements_7d_{task}"].to_numpy()[rows],
        **{
            column: features[column].to_numpy()[rows]
            for column in ("user_tweet_seen_before", "example_hour", "example_day_of_week")
        },
    }


def run_pandas(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """pandas version; writes ``out/sampled.parquet`` and ``out/daily_counts.parquet``."""
    import pandas as pd

    out = fresh_dir(out)
    latest_valid = latest_valid_ts(run_started_at)
    day = pd.Timedelta(days=1)

    # Examples: (user, tweet, UTC day) with the first impression of the day and the
    # distinct impressions (exact duplicates dropped), which the features count.
    impressions = _read_clean(
        raw, "impressions", ["user_id", "tweet_id", "impression_ts"], latest_valid
    ).to_pandas()
    impressions_max = impressions["impression_ts"].max() if len(impressions) else None
    impressions = impressions.drop_duplicates()
    impressions["event_date"] = impressions["impression_ts"].dt.floor("D")
    examples = (
        impressions.groupby(["user_id", "tweet_id", "event_date"], sort=False)
        .agg(example_ts=("impression_ts", "min"), impressions=("impression_ts", "size"))
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
    last_mature = last_mature_day(impressions_max, engagements_max)

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
    every_example = examples
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
    splits = np.array([split_of(d, max(day_dates)) for d in day_dates], dtype=object)

    # One md5 per example; keep when the draw is below the class's rate.
    user_ids = examples["user_id"].to_numpy()
    tweet_ids = examples["tweet_id"].to_numpy()
    day_text = [d.isoformat() for d in day_dates]
    draws = _md5_draws(_example_key_chunks(user_ids, tweet_ids, day_codes, day_text), len(examples))
    rates = np.where(labels == 1, 1.0, negative_sampling_rate[day_codes])
    kept = draws < rates

    # Features of the examples kept for some task; feature_row maps an example to its row.
    kept_any = kept.any(axis=1)
    features = pandas_features(
        examples.loc[kept_any, ["user_id", "tweet_id", "event_date", "example_ts"]],
        every_example,
        engagements,
    )
    del every_example
    feature_row = np.cumsum(kept_any) - 1

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
                    **_task_features(features, feature_row[rows], task),
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


def run_polars(raw: Path, out: Path, run_started_at: dt.datetime) -> None:
    """polars (lazy) version; writes ``out/sampled.parquet`` and ``out/daily_counts.parquet``."""
    import polars as pl

    out = fresh_dir(out)
    latest_valid = latest_valid_ts(run_started_at)
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
    # Examples with their distinct impressions (exact duplicates dropped), which the
    # features count.
    examples_plan = (
        impressions.unique()
        .group_by("user_id", "tweet_id", pl.col("impression_ts").dt.date().alias("event_date"))
        .agg(pl.col("impression_ts").min().alias("example_ts"), pl.len().alias("impressions"))
    )
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
    last_mature = last_mature_day(
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
        """The five draws of each key string (a batch of the streaming engine): md5 in
        numpy over the Arrow buffers of the keys (polars has no md5)."""
        import pyarrow as pa

        array = keys.to_arrow().cast(pa.large_string())
        offsets = np.frombuffer(array.buffers()[1], np.int64)
        offsets = offsets[array.offset : array.offset + len(array) + 1]
        data = np.frombuffer(array.buffers()[2], np.uint8)
        return pl.Series(_draws_of_digests(_md5_digests(offsets, data)))

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
    features = polars_features(kept.lazy(), examples.lazy(), engagements.lazy())
    kept = kept.join(features.collect(), on=keys, how="left")

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
            "user_impressions_28d",
            pl.col(f"user_engagements_28d_{task}").alias("user_engagements_28d"),
            "tweet_impressions_7d",
            pl.col(f"tweet_engagements_7d_{task}").alias("tweet_engagements_7d"),
            "user_tweet_seen_before",
            "example_hour",
            "example_day_of_week",
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
