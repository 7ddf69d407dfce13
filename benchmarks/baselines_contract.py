"""What every baseline (benchmarks.baselines) implements alike: the tasks, the action
aliases, the sampling salt and ratio, the windows and splits of the project's defaults,
the output columns, and the small date rules they share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
    "user_impressions_28d",
    "user_engagements_28d",
    "tweet_impressions_7d",
    "tweet_engagements_7d",
    "user_tweet_seen_before",
    "example_hour",
    "example_day_of_week",
]


# The point-in-time features (docs/training.md): look-back days of the user and tweet sums.
USER_DAYS = 28
TWEET_DAYS = 7


COUNT_COLUMNS = ["task", "event_date", "examples", "positives", "kept_positives", "kept_negatives"]


KEYS = {
    "sampled": ["task", "event_date", "user_id", "tweet_id"],
    "daily_counts": ["task", "event_date"],
}


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    """A datetime as naive UTC (naive input is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def latest_valid_ts(run_started_at: dt.datetime) -> dt.datetime:
    """Rows timestamped after this are rejected as future_timestamp."""
    return _utc_naive(run_started_at) + MAX_FUTURE


def last_mature_day(
    impressions_max: dt.datetime | None, engagements_max: dt.datetime | None
) -> dt.date | None:
    """Last day D with D 00:00 + 1 day + label window <= watermark; None if a log is empty."""
    if impressions_max is None or engagements_max is None:
        return None
    watermark = min(impressions_max, engagements_max)
    return (watermark - dt.timedelta(days=1) - LABEL_WINDOW).date()


def split_of(day: dt.date, last_day: dt.date) -> str:
    """The split of a mature day, relative to the last mature day (no gap)."""
    test_start = last_day - dt.timedelta(days=TEST_DAYS - 1)
    if day >= test_start:
        return "test"
    if day >= test_start - dt.timedelta(days=VALIDATION_DAYS):
        return "validation"
    return "train"


def fresh_dir(out: Path) -> Path:
    """Create the output folder if needed; return it."""
    out.mkdir(parents=True, exist_ok=True)
    return out
