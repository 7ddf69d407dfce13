"""Point-in-time features: on hand-made logs (midnight boundaries, the 28th day
back, duplicates and rejected rows) they equal a recomputation from the raw
events written here, and events at or after a day's midnight never move that
day's features."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import build, copy_build

pytestmark = pytest.mark.slow

DAY = dt.date(2026, 3, 5)  # a Thursday
MIDNIGHT = dt.datetime.combine(DAY, dt.time())
LAST_MICROSECOND = dt.timedelta(microseconds=-1)
TASKS = {
    "like": {"like"},
    "reply": {"reply"},
    "retweet": {"retweet"},
    "quote": {"quote"},
    "any": {"like", "reply", "retweet", "quote"},
}
ALIASES = {"favorite": "like", "comment": "reply", "retweet_with_comment": "quote"}
# Features are computed for kept examples only: on a day with a positive, keep
# every negative too, so that the hand-made examples all have features.
KEEP_EVERY_NEGATIVE = {"negatives_per_positive": 1000.0}


def _days_before(days: int, at: dt.timedelta = dt.timedelta()) -> dt.datetime:
    return MIDNIGHT - dt.timedelta(days=days) + at


# (user_id, tweet_id, impression_ts); None marks a rejected row.
IMPRESSIONS = [
    (1, 10, MIDNIGHT + dt.timedelta(hours=12)),  # the example of user 1 and tweet 10 on DAY
    (1, 10, _days_before(28)),  # 28th day back, 00:00: in both windows it is in
    (1, 20, _days_before(28, LAST_MICROSECOND)),  # the 29th day back: out
    (1, 21, _days_before(1, dt.timedelta(days=1) + LAST_MICROSECOND)),  # DAY - 1 µs: in
    (1, 21, _days_before(1, dt.timedelta(days=1) + LAST_MICROSECOND)),  # its duplicate
    (1, None, _days_before(2)),  # rejected (null tweet)
    (1, 22, MIDNIGHT),  # DAY 00:00: not before DAY
    (2, 10, _days_before(7)),  # tweet 10, 7th day back: in its 7-day window
    (3, 10, _days_before(7, LAST_MICROSECOND)),  # the 8th day back: out
    (4, 10, _days_before(1)),
    (5, 10, MIDNIGHT + dt.timedelta(hours=3)),  # user 5's example, tweet 10 on DAY
    (5, 10, _days_before(29)),  # seen, but 29 days back
    (6, 30, _days_before(27)),  # other days, so that each day has examples
    (6, 30, _days_before(14)),
    (6, 30, _days_before(3)),
    (6, 30, MIDNIGHT + dt.timedelta(days=1)),
]
# (user_id, tweet_id, action, engagement_ts)
ENGAGEMENTS = [
    (1, 21, "Like", _days_before(3)),
    (1, 21, "Like", _days_before(3)),  # duplicate
    (1, 21, "comment", _days_before(40)),  # out of every window
    (1, 21, "bookmark", _days_before(2)),  # rejected (unknown action)
    (1, 22, "favorite", MIDNIGHT),  # DAY 00:00: not before DAY
    (2, 10, "retweet_with_comment", _days_before(7, dt.timedelta(hours=1))),
    (4, 10, "like", _days_before(8)),  # the 8th day back: out of the tweet's window
]


def _write(raw: Path, impressions: list, engagements: list, name: str) -> None:
    for log in ("impressions", "engagements"):
        (raw / log).mkdir(parents=True, exist_ok=True)
    users, tweets, shown = zip(*impressions, strict=True)
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array(users, pa.int64()),
                "tweet_id": pa.array(tweets, pa.int64()),
                "impression_ts": pa.array(shown, pa.timestamp("us")),
            }
        ),
        raw / "impressions" / name,
    )
    users, tweets, actions, at = zip(*engagements, strict=True)
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array(users, pa.int64()),
                "tweet_id": pa.array(tweets, pa.int64()),
                "action": list(actions),
                "engagement_ts": pa.array(at, pa.timestamp("us")),
            }
        ),
        raw / "engagements" / name,
    )


def _expected(user: int, tweet: int, day: dt.date) -> dict:
    """The features of (user, tweet, day), recomputed from the event lists above."""
    start = dt.datetime.combine(day, dt.time())
    clean_impressions = {row for row in IMPRESSIONS if None not in row}
    clean_engagements = set()
    for user_id, tweet_id, action, at in ENGAGEMENTS:
        folded = action.strip().lower()
        folded = ALIASES.get(folded, folded)
        if folded in TASKS["any"]:
            clean_engagements.add((user_id, tweet_id, folded, at))

    def within(at: dt.datetime, days: int) -> bool:
        return start - dt.timedelta(days=days) <= at < start

    features = {
        "user_impressions_28d": sum(
            1 for u, _, at in clean_impressions if u == user and within(at, 28)
        ),
        "tweet_impressions_7d": sum(
            1 for _, t, at in clean_impressions if t == tweet and within(at, 7)
        ),
        "user_tweet_seen_before": any(
            u == user and t == tweet and within(at, 28) for u, t, at in clean_impressions
        ),
    }
    for task, actions in TASKS.items():
        features[f"user_engagements_28d_{task}"] = sum(
            1 for u, _, a, at in clean_engagements if u == user and a in actions and within(at, 28)
        )
        features[f"tweet_engagements_7d_{task}"] = sum(
            1 for _, t, a, at in clean_engagements if t == tweet and a in actions and within(at, 7)
        )
    return features


def _features(database: Path) -> dict[tuple, dict]:
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute("select * from int_example_features")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {(row["user_id"], row["tweet_id"], row["event_date"]): row for row in rows}


@pytest.fixture(scope="module")
def events_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-made events built once; tests that add events work on a copy."""
    work = tmp_path_factory.mktemp("events")
    raw, database = work / "raw", work / "feed.duckdb"
    _write(raw, IMPRESSIONS, ENGAGEMENTS, "events.parquet")
    build(raw, database, work, dbt_vars=KEEP_EVERY_NEGATIVE)
    return raw, database


def test_features_equal_a_recomputation_from_the_raw_events(events_build: tuple[Path, Path]):
    built = _features(events_build[1])
    with duckdb.connect(str(events_build[1]), read_only=True) as connection:
        kept = set(
            connection.execute(
                "select distinct user_id, tweet_id, event_date from int_examples_sampled"
            ).fetchall()
        )
    examples = {(u, t, at.date()) for u, t, at in IMPRESSIONS if t is not None}
    # One row per kept example (kept for some task), and only those.
    assert set(built) == kept
    assert {(1, 10, DAY), (5, 10, DAY), (1, 22, DAY)} <= kept < examples
    for key, row in built.items():
        expected = _expected(*key)
        assert {name: row[name] for name in expected} == expected, key
    # The cases the lists were written for, spelled out.
    first = built[1, 10, DAY]
    assert first["user_impressions_28d"] == 2  # the 28th day back and DAY - 1 µs, once
    assert first["user_engagements_28d_like"] == 1  # the duplicate once, the rejected not
    assert first["user_engagements_28d_reply"] == 0  # 40 days back
    assert first["tweet_impressions_7d"] == 2  # the 7th day back and the day before
    assert first["tweet_engagements_7d_quote"] == 1
    assert first["tweet_engagements_7d_like"] == 0
    assert first["user_tweet_seen_before"] is True
    assert built[5, 10, DAY]["user_tweet_seen_before"] is False
    assert (first["example_hour"], first["example_day_of_week"]) == (12, 4)


def test_events_at_or_after_midnight_do_not_move_that_days_features(
    events_build: tuple[Path, Path], tmp_path: Path
):
    raw, database = copy_build(*events_build, tmp_path / "copy")
    before = {key: row for key, row in _features(database).items() if key[2] == DAY}
    # A later delivery: the same users and tweets, at DAY 00:00 and after.
    later = [MIDNIGHT, MIDNIGHT + dt.timedelta(hours=5), MIDNIGHT + dt.timedelta(days=1)]
    _write(
        raw,
        [(u, t, at) for u in (1, 2, 5) for t in (10, 21) for at in later],
        [(u, 10, "like", at) for u in (1, 2, 5) for at in later],
        "later.parquet",
    )
    build(raw, database, tmp_path, dbt_vars=KEEP_EVERY_NEGATIVE)
    after = _features(database)
    assert any(key[2] > DAY for key in after)  # the later delivery was taken in
    # example_hour is the example's own (its first impression moved to 00:00);
    # every feature read from history stays.
    history = list(_expected(1, 10, DAY))
    assert after[1, 10, DAY]["example_hour"] == 0
    for key, row in before.items():
        assert {name: after[key][name] for name in history} == {
            name: row[name] for name in history
        }, key


def test_a_backfill_with_an_end_rebuilds_the_days_whose_features_read_it(
    events_build: tuple[Path, Path], tmp_path: Path
):
    """Late events two days before DAY, taken in by a backfill of that one day:
    the features of DAY read that day, so they are rebuilt too and equal a
    full build's."""
    raw, database = copy_build(*events_build, tmp_path / "copy")
    late_day = DAY - dt.timedelta(days=2)
    at = dt.datetime.combine(late_day, dt.time(9))
    _write(raw, [(1, 23, at), (1, 24, at)], [(1, 23, "like", at)], "late.parquet")
    build(
        raw,
        database,
        tmp_path,
        dbt_vars={
            **KEEP_EVERY_NEGATIVE,
            "refresh_start_date": str(late_day),
            "refresh_end_date": str(late_day),
        },
    )
    full = tmp_path / "full.duckdb"
    build(raw, full, tmp_path, dbt_vars=KEEP_EVERY_NEGATIVE)
    assert _features(database) == _features(full)
    assert _features(database)[1, 10, DAY]["user_impressions_28d"] == 4
