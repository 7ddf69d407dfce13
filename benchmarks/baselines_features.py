"""The point-in-time features of the kept examples in the dataframe baselines
(benchmarks.baselines): pandas and polars, as docs/training.md defines them.

For a kept example of user u, tweet t on UTC day D, from clean events of the days before D:

- the user's distinct impressions and engagements per task in [D - 28 days, D), the
  tweet's in [D - 7 days, D); pandas: the per-day activity summed cumulatively per user
  (per tweet), the sum before D less the sum before D - 28 (D - 7), each found by an
  as-of join (the last activity day strictly before); polars: the per-day activity
  summed over a rolling window of 28 (7) days closed on the left;
- seen before: pandas, the pair's latest example before D (an as-of join on the
  examples) is on or after D - 28; polars, some example of the pair in [D - 28, D)
  (a join on the pair, filtered);
- hour and ISO day of week (Monday 1) of the example's first impression.

Engagements count for a task when their canonical action belongs to it, attributed or
not. Impressions are counted once per distinct (user, tweet, time): the examples carry
that count (``impressions``), so the activity is built from the examples, not the rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from benchmarks.baselines_contract import TASKS, TWEET_DAYS, USER_DAYS

if TYPE_CHECKING:  # each baseline imports only its own libraries (time and RSS are measured)
    import pandas as pd
    import polars as pl

ENGAGEMENTS = [f"engagements_{task}" for task, _ in TASKS]
ACTIVITY = ["impressions", *ENGAGEMENTS]


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Whole UTC days since 1970-01-01 of a datetime64 column."""
    return values.to_numpy().astype("datetime64[D]").astype(np.int64)


def _pandas_sums_before(
    activity: pd.DataFrame, wanted: pd.DataFrame, key: str, span: int
) -> pd.DataFrame:
    """Per wanted (key, day D): the activity columns summed over the days [D - span, D)."""
    import pandas as pd

    daily = activity.groupby([key, "day"], sort=True)[ACTIVITY].sum()
    cumulative = daily.groupby(level=key, sort=False).cumsum().reset_index()
    cumulative = cumulative.rename(columns={"day": "activity_day"}).sort_values(
        "activity_day", kind="stable"
    )
    wanted = wanted[[key, "day"]].drop_duplicates().sort_values("day", kind="stable")
    wanted["start"] = wanted["day"] - span

    def through_before(on: str) -> pd.DataFrame:
        """Cumulative activity through the key's last active day before ``on``."""
        found = pd.merge_asof(
            wanted,
            cumulative,
            left_on=on,
            right_on="activity_day",
            by=key,
            allow_exact_matches=False,
        )
        return found[ACTIVITY].fillna(0).astype(np.int64)

    # Both as-of joins keep the rows of `wanted` in order (start is day - span).
    sums = through_before("day").to_numpy() - through_before("start").to_numpy()
    return wanted[[key, "day"]].assign(**dict(zip(ACTIVITY, sums.T, strict=True)))


def pandas_features(
    kept: pd.DataFrame, examples: pd.DataFrame, engagements: pd.DataFrame
) -> pd.DataFrame:
    """The features of the rows of ``kept`` (user_id, tweet_id, event_date, example_ts), in
    its order: ``user_impressions_28d``, ``user_engagements_28d_<task>``,
    ``tweet_impressions_7d``, ``tweet_engagements_7d_<task>``, ``user_tweet_seen_before``,
    ``example_hour``, ``example_day_of_week``.

    ``examples``: every clean example (user_id, tweet_id, event_date, impressions);
    ``engagements``: the clean, distinct engagements with their canonical action.
    """
    import pandas as pd

    example_days = _day_numbers(examples["event_date"])
    activity = pd.concat(
        [
            pd.DataFrame(
                {
                    "user_id": examples["user_id"].to_numpy(),
                    "tweet_id": examples["tweet_id"].to_numpy(),
                    "day": example_days,
                    "impressions": examples["impressions"].to_numpy(np.int64),
                    **{column: np.int64(0) for column in ENGAGEMENTS},
                }
            ),
            pd.DataFrame(
                {
                    "user_id": engagements["user_id"].to_numpy(),
                    "tweet_id": engagements["tweet_id"].to_numpy(),
                    "day": _day_numbers(engagements["engagement_ts"]),
                    "impressions": np.int64(0),
                    **{
                        column: engagements["action"].isin(actions).to_numpy(np.int64)
                        for column, (_, actions) in zip(ENGAGEMENTS, TASKS, strict=True)
                    },
                }
            ),
        ],
        ignore_index=True,
    )
    rows = pd.DataFrame(
        {
            "user_id": kept["user_id"].to_numpy(),
            "tweet_id": kept["tweet_id"].to_numpy(),
            "day": _day_numbers(kept["event_date"]),
        }
    )
    users = _pandas_sums_before(activity, rows, "user_id", USER_DAYS)
    tweets = _pandas_sums_before(activity, rows, "tweet_id", TWEET_DAYS)
    del activity
    users.columns = ["user_id", "day", "user_impressions_28d"] + [
        f"user_engagements_28d_{task}" for task, _ in TASKS
    ]
    tweets.columns = ["tweet_id", "day", "tweet_impressions_7d"] + [
        f"tweet_engagements_7d_{task}" for task, _ in TASKS
    ]

    # The pair's latest example before D.
    earlier = pd.DataFrame(
        {
            "user_id": examples["user_id"].to_numpy(),
            "tweet_id": examples["tweet_id"].to_numpy(),
            "earlier_day": example_days,
        }
    ).sort_values("earlier_day", kind="stable")
    ordered = rows.reset_index(names="row").sort_values("day", kind="stable")
    latest = pd.merge_asof(
        ordered,
        earlier,
        left_on="day",
        right_on="earlier_day",
        by=["user_id", "tweet_id"],
        allow_exact_matches=False,
    )
    seen = np.zeros(len(rows), dtype=bool)
    seen[latest["row"].to_numpy()] = (latest["day"] - latest["earlier_day"] <= USER_DAYS).to_numpy()

    features = rows.merge(users, on=["user_id", "day"], how="left").merge(
        tweets, on=["tweet_id", "day"], how="left"
    )
    example_ts = kept["example_ts"]
    features["user_tweet_seen_before"] = seen
    features["example_hour"] = example_ts.dt.hour.to_numpy(np.int64)
    features["example_day_of_week"] = example_ts.dt.day_of_week.to_numpy(np.int64) + 1
    return features.drop(columns=["user_id", "tweet_id", "day"])


def _polars_sums_before(
    examples: pl.LazyFrame,
    engagements: pl.LazyFrame,
    wanted: pl.LazyFrame,
    key: str,
    span: int,
    prefix: str,
) -> pl.LazyFrame:
    """Per wanted (key, event_date D): the activity summed over the days [D - span, D),
    named ``<prefix>_impressions_<span>d`` and ``<prefix>_engagements_<span>d_<task>``:
    the key's daily activity summed over a rolling window closed on the left."""
    import polars as pl

    daily = (
        examples.group_by(key, pl.col("event_date").alias("day"))
        .agg(pl.col("impressions").sum().cast(pl.Int64))
        .join(
            engagements.group_by(key, pl.col("engagement_ts").dt.date().alias("day")).agg(
                pl.col("action").is_in(list(actions)).sum().cast(pl.Int64).alias(column)
                for column, (_, actions) in zip(ENGAGEMENTS, TASKS, strict=True)
            ),
            on=[key, "day"],
            how="full",
            coalesce=True,
        )
        .with_columns(pl.col(ACTIVITY).fill_null(0))
    )
    sums = (
        daily.sort(key, "day")
        .rolling(index_column="day", period=f"{span}d", closed="left", group_by=key)
        .agg(pl.col(ACTIVITY).sum())
        .rename({"day": "event_date"})
    )
    names = [f"{prefix}_impressions_{span}d"] + [
        f"{prefix}_engagements_{span}d_{task}" for task, _ in TASKS
    ]
    return (
        wanted.select(key, "event_date")
        .unique()
        .join(sums, on=[key, "event_date"], how="left")
        .select(
            key,
            "event_date",
            *(
                pl.col(column).fill_null(0).cast(pl.Int64).alias(name)
                for column, name in zip(ACTIVITY, names, strict=True)
            ),
        )
    )


def polars_features(
    kept: pl.LazyFrame, examples: pl.LazyFrame, engagements: pl.LazyFrame
) -> pl.LazyFrame:
    """The features of the rows of ``kept`` (user_id, tweet_id, event_date, example_ts),
    with those keys (columns as ``pandas_features``). ``examples``: every clean example
    (user_id, tweet_id, event_date, impressions); ``engagements``: the clean, distinct
    engagements with their canonical action."""
    import datetime as dt

    import polars as pl

    keys = ["user_id", "tweet_id", "event_date"]
    users = _polars_sums_before(examples, engagements, kept, "user_id", USER_DAYS, "user")
    tweets = _polars_sums_before(examples, engagements, kept, "tweet_id", TWEET_DAYS, "tweet")
    # Some example of the pair in [D - 28, D).
    seen = (
        kept.select(keys)
        .join(
            examples.select("user_id", "tweet_id", pl.col("event_date").alias("earlier_day")),
            on=["user_id", "tweet_id"],
        )
        .filter(
            pl.col("earlier_day") < pl.col("event_date"),
            pl.col("earlier_day") >= pl.col("event_date") - dt.timedelta(days=USER_DAYS),
        )
        .select(keys)
        .unique()
        .with_columns(pl.lit(True).alias("user_tweet_seen_before"))
    )
    return (
        kept.select(*keys, "example_ts")
        .join(users, on=["user_id", "event_date"], how="left")
        .join(tweets, on=["tweet_id", "event_date"], how="left")
        .join(seen, on=keys, how="left")
        .with_columns(
            pl.col("user_tweet_seen_before").fill_null(False),
            pl.col("example_ts").dt.hour().cast(pl.Int64).alias("example_hour"),
            pl.col("example_ts").dt.weekday().cast(pl.Int64).alias("example_day_of_week"),
        )
        .drop("example_ts")
    )
