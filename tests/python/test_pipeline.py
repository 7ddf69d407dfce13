"""The dbt project built on generated logs through dbt's Python API, checked
against the independent recomputation in reference.py and against the
invariants users rely on (determinism, every positive kept, weights)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import DEFAULT_BUILD_VARS, SMALL_LOGS
from dbt_harness import build, read_tables, run_dbt
from reference import MART_COLUMNS, STREAM_COLUMNS, recompute

from feedpipe.generate import generate

SPLITS = ["train_examples", "validation_examples", "test_examples"]
EXAMPLE_COLUMNS = MART_COLUMNS
STATS_COLUMNS = [
    "task",
    "event_date",
    "split",
    "examples",
    "positives",
    "negatives",
    "kept_positives",
    "kept_negatives",
    "positive_rate",
    "positive_sampling_rate",
    "negative_sampling_rate",
    "weighted_positives",
    "weighted_negatives",
]

SIGMAS = 5.0


def _normalise(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    frame = frame[columns].copy()
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    for column in frame.columns:
        if column == "example_ts" or column == "sample_ts" or column.startswith("engaged_ts"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    counts = ("label", "examples", "positives", "negatives", "kept_positives", "kept_negatives")
    for column in counts:
        if column in frame:
            frame[column] = frame[column].astype("int64")
    if "split" in frame:
        frame["split"] = frame["split"].astype(object).where(frame["split"].notna(), None)
    if "user_id" in frame and frame["user_id"].dtype == object:
        frame["user_id"] = frame["user_id"].astype(str)
        frame["tweet_id"] = frame["tweet_id"].astype(str)
    return frame.sort_values(keys).reset_index(drop=True)


def assert_marts_match_reference(marts: dict[str, pd.DataFrame], expected: dict) -> None:
    for name in SPLITS:
        keys = ["task", "event_date", "user_id", "tweet_id"]
        # The mart's columns, and the context columns a var names.
        columns = list(expected[name].columns)
        assert columns[: len(EXAMPLE_COLUMNS)] == EXAMPLE_COLUMNS
        got = _normalise(marts[name], columns, keys)
        want = _normalise(expected[name], columns, keys)
        assert len(got) > 0, f"{name} is empty"
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    got = _normalise(marts["daily_label_stats"], STATS_COLUMNS, ["task", "event_date"])
    want = _normalise(expected["daily_label_stats"], STATS_COLUMNS, ["task", "event_date"])
    pd.testing.assert_frame_equal(got, want, check_dtype=False, obj="daily_label_stats")


def assert_stream_matches_reference(database: Path, expected: dict) -> None:
    """The stream holds the recomputation's rows, every column alike."""
    got = read_tables(database, ["stream_examples"])["stream_examples"]
    keys = ["task", "event_date", "user_id", "tweet_id", "label"]
    columns = list(expected["stream_examples"].columns)
    assert columns[: len(STREAM_COLUMNS)] == STREAM_COLUMNS
    pd.testing.assert_frame_equal(
        _normalise(got, columns, keys),
        _normalise(expected["stream_examples"], columns, keys),
        check_dtype=False,
        obj="stream_examples",
    )


def test_marts_match_independent_recomputation(default_marts, default_reference):
    assert_marts_match_reference(default_marts, default_reference)


def test_labels_of_every_example_match(default_build: Path, default_reference):
    got = read_tables(default_build, ["int_examples_labeled"])["int_examples_labeled"]
    want = default_reference["examples"]
    tasks = ("like", "reply", "retweet", "quote", "any")
    label_columns = [c for c in want.columns if c.startswith("label_") and "delay" not in c]
    assert label_columns == [f"label_{t}" for t in tasks]
    timing = [f"{column}_{t}" for column in ("engaged_ts", "label_delay_seconds") for t in tasks]
    columns = [
        "user_id",
        "tweet_id",
        "event_date",
        "example_ts",
        "impressions",
        *label_columns,
        *timing,
    ]
    keys = ["user_id", "tweet_id", "event_date"]
    pd.testing.assert_frame_equal(
        _normalise(got, columns, keys), _normalise(want, columns, keys), check_dtype=False
    )
    # The data exercises what the labels are about: every task has positives,
    # and some examples were replied to without being liked (negatives for like).
    assert (got[label_columns].sum() > 0).all()
    assert ((got["label_reply"] == 1) & (got["label_like"] == 0)).any()


def test_the_labels_keep_each_tasks_draw_bits_as_the_md5_rule_gives_them(default_build: Path):
    """draw_bits_<task> is the whole number of the task's six hex digits of the
    example's md5 (docs/semantics.md), taken once when the example is labeled; the
    sample divides it by 2^24, so a day drawn again is not hashed again."""
    tasks = ("like", "reply", "retweet", "quote", "any")
    with duckdb.connect(str(default_build), read_only=True) as connection:
        rows = connection.execute(
            "select user_id, tweet_id, cast(event_date as varchar), "
            + ", ".join(f"draw_bits_{task}" for task in tasks)
            + " from int_examples_labeled order by user_id, tweet_id, event_date"
        ).fetchall()
    assert len(rows) > 1000
    for user_id, tweet_id, day, *bits in rows:
        digest = hashlib.md5(f"feed-v1|0|{user_id}|{tweet_id}|{day}".encode()).hexdigest()
        assert bits == [int(digest[6 * s : 6 * s + 6], 16) for s in range(len(tasks))], (
            user_id,
            tweet_id,
            day,
        )


def test_the_stream_matches_the_recomputation_and_collapses_to_the_labels(
    default_build: Path, default_logs: Path
):
    """The stream, every day: the examples drawn at the rate, a negative at each
    impression and a positive at each engagement. Collapsed (a positive row
    replaces its example's negative), it gives exactly the labels of those
    examples; and the examples drawn are the same md5 draw as the sample's."""
    expected = recompute(default_logs, DEFAULT_BUILD_VARS)
    stream = expected["stream_examples"]
    assert len(stream) > 1_000 and stream["label"].sum() > 100
    assert_stream_matches_reference(default_build, expected)
    got = read_tables(default_build, ["stream_examples"])["stream_examples"]
    collapsed = got.groupby(["task", "user_id", "tweet_id", "event_date"])["label"].agg(
        ["max", "size"]
    )
    labeled = read_tables(default_build, ["int_examples_labeled"])["int_examples_labeled"]
    labeled["event_date"] = pd.to_datetime(labeled["event_date"]).dt.date
    for task in ("like", "reply", "retweet", "quote", "any"):
        of_task = collapsed.loc[task].reset_index()
        of_task["event_date"] = pd.to_datetime(of_task["event_date"]).dt.date
        joined = of_task.merge(labeled, on=["user_id", "tweet_id", "event_date"], how="left")
        assert joined[f"label_{task}"].notna().all(), task
        assert (joined["max"] == joined[f"label_{task}"]).all(), task
        # An example has its negative row, and a second row exactly when positive.
        assert (joined["size"] == 1 + joined[f"label_{task}"]).all(), task


def test_rejected_rows_match(default_build: Path, default_reference):
    got = read_tables(default_build, ["stg_feed__rejected_rows"])["stg_feed__rejected_rows"]
    got_counts = got.groupby(["source_name", "reject_reason"]).size().sort_index()
    want = default_reference["rejected"]
    want_counts = want.groupby(["source", "reject_reason"]).size().sort_index()
    want_counts.index = want_counts.index.set_names(["source_name", "reject_reason"])
    pd.testing.assert_series_equal(got_counts, want_counts)
    assert {"null_user_id", "null_timestamp", "unknown_action", "null_action"} <= set(
        got["reject_reason"]
    )


def test_attribution_matches(default_build: Path, default_reference):
    name = "int_engagements_attributed"
    got = read_tables(default_build, [name])[name]
    want = default_reference["engagement_attribution"]
    got_reasons = got["unattributed_reason"].fillna("attributed").value_counts().to_dict()
    want_reasons = want["unattributed_reason"].fillna("attributed").value_counts().to_dict()
    assert got_reasons == want_reasons
    assert set(got_reasons) == {"attributed", "no_prior_impression", "outside_label_window"}


@pytest.mark.slow
def test_rebuild_at_four_threads_is_identical(default_logs, default_marts, tmp_path):
    database = tmp_path / "again.duckdb"
    build(default_logs, database, tmp_path, dbt_vars=DEFAULT_BUILD_VARS, threads=4)
    again = read_tables(database)
    for name, frame in default_marts.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_every_positive_is_kept_under_defaults(default_marts):
    stats = default_marts["daily_label_stats"]
    assert (stats["positive_sampling_rate"] == 1.0).all()
    assert (stats["kept_positives"] == stats["positives"]).all()
    kept = pd.concat([default_marts[name] for name in SPLITS])
    positives_in_marts = kept[kept["label"] == 1].groupby("task").size()
    positives_in_stats = stats.groupby("task")["positives"].sum()
    pd.testing.assert_series_equal(
        positives_in_marts.sort_index(), positives_in_stats.sort_index(), check_names=False
    )
    # Balanced: about one negative per positive (binomial tolerance per task).
    for task, group in stats.groupby("task"):
        expected = (group["negatives"] * group["negative_sampling_rate"]).sum()
        variance = (
            group["negatives"]
            * group["negative_sampling_rate"]
            * (1 - group["negative_sampling_rate"])
        ).sum()
        assert abs(group["kept_negatives"].sum() - expected) <= SIGMAS * math.sqrt(variance) + 1
        assert expected == pytest.approx(group["positives"].sum(), rel=1e-9), task


def test_weights_recover_raw_class_counts(default_marts):
    stats = default_marts["daily_label_stats"]
    assert np.allclose(stats["weighted_positives"], stats["positives"], rtol=0, atol=1e-6)
    # Sum of weights over a binomial(N, q) sample: mean N, variance N (1 - q) / q.
    for _, row in stats[stats["negative_sampling_rate"] > 0].iterrows():
        q = row["negative_sampling_rate"]
        sigma = math.sqrt(row["negatives"] * (1 - q) / q)
        assert abs(row["weighted_negatives"] - row["negatives"]) <= SIGMAS * sigma + 1 / q
    kept = pd.concat([default_marts[name] for name in SPLITS])
    for task, group in kept.groupby("task"):
        task_stats = stats[stats["task"] == task]
        q = task_stats["negative_sampling_rate"]
        sigma = math.sqrt((task_stats["negatives"] * (1 - q) / q).sum())
        total = group["sample_weight"].sum()
        assert abs(total - task_stats["examples"].sum()) <= SIGMAS * sigma + 1, task


def test_splits_are_time_ordered_and_cover_mature_days(default_marts, default_build):
    last = {name: default_marts[name]["event_date"].max() for name in SPLITS}
    first = {name: default_marts[name]["event_date"].min() for name in SPLITS}
    assert last["train_examples"] < first["validation_examples"]
    assert last["validation_examples"] < first["test_examples"]
    assert default_marts["validation_examples"]["event_date"].nunique() == 3
    assert default_marts["test_examples"]["event_date"].nunique() == 4
    watermark = read_tables(default_build, ["int_log_watermark"])["int_log_watermark"]
    assert last["test_examples"] == watermark["last_mature_date"].iloc[0]
    # 23 generated days, 24 h window: the last two days are not mature yet.
    assert default_marts["daily_label_stats"]["event_date"].nunique() == 21


@pytest.fixture(scope="session")
def string_id_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw_strings")
    generate(raw, seed=5, id_type="str", label_window_hours=12, **SMALL_LOGS)
    return raw


CUSTOM_VARS = {
    "id_type": "varchar",
    "label_window_hours": 12,
    "tasks": {
        "like": ["like"],
        "reply": ["reply"],
        "retweet": ["retweet"],
        "quote": ["quote"],
        "any": ["like", "reply", "retweet", "quote"],
        "amplify": ["retweet", "quote"],
    },
    "negatives_per_positive": 2.0,
    "daily_cap": 900,
    "sampling_salt": "experiment-7",
    # The impressions' context carried to the marts, and the stream drawn.
    "impression_context_columns": {"position": "integer", "surface": "string"},
    "stream_sampling_rate": 0.3,
    "validation_start_date": "2026-01-15",
    "test_start_date": "2026-01-20",
    "test_end_date": "2026-01-24",
    "split_gap_days": 1,
}


def test_other_logs_and_vars_match_recomputation(string_id_logs: Path, tmp_path: Path):
    """String IDs, a 12 h window, a sixth task (second hash digest), a cap,
    two negatives per positive, another salt and explicit split dates with a gap."""
    database = tmp_path / "custom.duckdb"
    build(string_id_logs, database, tmp_path, dbt_vars=CUSTOM_VARS, threads=2)
    marts = read_tables(database)
    expected = recompute(string_id_logs, CUSTOM_VARS)
    assert_marts_match_reference(marts, expected)
    assert_stream_matches_reference(database, expected)
    # The context of each example's first impression, on every mart row.
    train = marts["train_examples"]
    assert train["position"].notna().all() and train["position"].min() >= 1
    assert set(train["surface"]) == {"home", "search", "profile"}
    stats = marts["daily_label_stats"]
    assert set(stats["task"]) == set(CUSTOM_VARS["tasks"])
    assert (stats["positive_sampling_rate"] < 1).any(), "the cap should bind on some days"
    kept_per_day = stats["kept_positives"] + stats["kept_negatives"]
    cap = CUSTOM_VARS["daily_cap"]
    assert (kept_per_day <= cap + SIGMAS * math.sqrt(cap)).all()
    # The gap day before validation and before test, and the mature days after
    # test_end_date, belong to no split.
    gap_days = sorted(pd.to_datetime(stats[stats["split"].isna()]["event_date"]).dt.date.unique())
    assert gap_days[:2] == [dt.date(2026, 1, 14), dt.date(2026, 1, 19)]
    assert all(day > dt.date(2026, 1, 24) for day in gap_days[2:])


# Rates as a ranking team would set them per task (the recap trainer's like and
# reply rates), the other tasks in between.
FIXED_RATES = {
    "like": {"positive": 0.8387, "negative": 0.01},
    "reply": {"positive": 1.0, "negative": 0.005},
    "retweet": {"positive": 1.0, "negative": 0.02},
    "quote": {"positive": 1.0, "negative": 0.05},
    "any": {"positive": 0.5, "negative": 0.03},
}
SAMPLING_MODES = {
    "fixed_rates": {"sampling_mode": "fixed_rates", "fixed_sampling_rates": FIXED_RATES},
    "per_user_cap": {"per_user_daily_cap": 2},
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(SAMPLING_MODES))
def test_sampling_modes_match_recomputation(mode: str, default_logs: Path, tmp_path: Path):
    """Fixed per-task rates, and the balanced draw under a per-user cap, on the
    default logs: the marts equal the recomputation, weights included."""
    mode_vars = SAMPLING_MODES[mode]
    database = tmp_path / f"{mode}.duckdb"
    build(default_logs, database, tmp_path, dbt_vars=mode_vars, threads=2)
    marts = read_tables(database)
    assert_marts_match_reference(marts, recompute(default_logs, mode_vars))
    stats = marts["daily_label_stats"]
    kept = pd.concat([marts[name] for name in SPLITS])
    if mode == "fixed_rates":
        for task, rates in FIXED_RATES.items():
            of_task = stats[stats["task"] == task]
            assert (of_task["positive_sampling_rate"] == rates["positive"]).all(), task
            assert (of_task["negative_sampling_rate"] == rates["negative"]).all(), task
    else:
        per_user = kept.groupby(["task", "event_date", "user_id"]).size()
        assert per_user.max() == 2
        assert (kept["sampling_rate"] < 1).any(), "the cap should bind on some users"
    # Weights recover the population per task, summed over the days.
    for task, group in stats.groupby("task"):
        for label_class in ("positives", "negatives"):
            weighted, population = group[f"weighted_{label_class}"].sum(), group[label_class].sum()
            assert abs(weighted / population - 1) < 0.10, (task, label_class)


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_hand_written_logs_in_the_contract(tmp_path: Path):
    """Logs as another system might write them: nested folders, extra columns,
    a time-zone-aware timestamp column, IDs as strings with junk in them."""
    raw = tmp_path / "raw"
    base = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    # Five days of impressions every three hours for 7 users and 3 tweets.
    shown = [base + dt.timedelta(hours=h) for h in range(0, 24 * 5, 3)]
    users = [str(1 + i % 7) for i in range(len(shown))]
    tweets = [str(100 + i % 3) for i in range(len(shown))]
    # Plus an ID that is not an integer, a null ID, and a clock far ahead
    # (which, if it were let in, would move the watermark to 2099).
    far_future = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    impressions = pa.table(
        {
            "user_id": [*users, "4.2", None, "1"],
            "tweet_id": [*tweets, "100", "100", "100"],
            "impression_ts": pa.array(
                [*shown, base, base, far_future], pa.timestamp("us", tz="UTC")
            ),
            "client": ["ios"] * (len(shown) + 3),
        }
    )
    # Every other impression engaged 30 minutes later, under spellings to fold,
    # plus one engagement on a tweet never shown.
    engaged = range(0, len(shown), 2)
    spellings = ["Favorite", "comment", "QUOTE ", "retweet", "bookmark"]
    engagements = pa.table(
        {
            "user_id": [*(users[i] for i in engaged), "1"],
            "tweet_id": [*(tweets[i] for i in engaged), "999"],
            "action": [*(spellings[i % 5] for i in engaged), "like"],
            "engagement_ts": pa.array(
                [
                    *(shown[i] + dt.timedelta(minutes=30) for i in engaged),
                    base + dt.timedelta(days=4),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    _write(raw / "impressions" / "region=eu" / "part-0.parquet", impressions)
    _write(raw / "engagements" / "2026" / "03" / "events.parquet", engagements)
    hand_vars = {"id_type": "varchar", "validation_days": 1, "test_days": 1}
    expected = recompute(raw, hand_vars)
    database = tmp_path / "hand.duckdb"
    build(raw, database, tmp_path, dbt_vars=hand_vars)
    marts = read_tables(database)
    assert_marts_match_reference(marts, expected)


@pytest.mark.slow
def test_the_label_timing_is_exact_on_hand_made_cases(tmp_path: Path):
    """An engagement a microsecond inside the label window and one exactly at its
    end; several actions on one example; and examples shown seconds before the
    logs end, in a closed collection whose last day is mature."""
    at = dt.datetime.fromisoformat
    shown = {  # user (and tweet): first impression
        1: at("2026-01-05 10:00:00"),
        2: at("2026-01-05 10:00:00"),
        3: at("2026-01-05 12:00:00"),
        4: at("2026-01-07 23:59:50"),
        5: at("2026-01-07 23:59:55"),
        6: at("2026-01-07 10:00:00"),
    }
    engaged = [  # user, action, when
        (1, "like", at("2026-01-06 09:59:59.999999")),  # inside the 24 h window
        (2, "like", at("2026-01-06 10:00:00")),  # at its end: outside
        (3, "retweet", at("2026-01-05 12:05:00")),
        (3, "like", at("2026-01-05 12:00:20")),
        (3, "reply", at("2026-01-05 12:00:10")),
        (3, "like", at("2026-01-05 12:30:00")),  # a second like: the first one counts
        (6, "like", at("2026-01-07 10:01:00")),
        (6, "like", at("2026-01-07 23:59:59")),  # the engagements reach past the impressions
    ]
    raw = tmp_path / "raw"
    timestamps = pa.timestamp("us")
    _write(
        raw / "impressions" / "impressions.parquet",
        pa.table(
            {
                "user_id": list(shown),
                "tweet_id": list(shown),
                "impression_ts": pa.array(list(shown.values()), timestamps),
            }
        ),
    )
    _write(
        raw / "engagements" / "engagements.parquet",
        pa.table(
            {
                "user_id": [user for user, _, _ in engaged],
                "tweet_id": [user for user, _, _ in engaged],
                "action": [action for _, action, _ in engaged],
                "engagement_ts": pa.array([when for _, _, when in engaged], timestamps),
            }
        ),
    )
    hand_vars = {
        "closed_collection": True,
        "negatives_per_positive": 10,
        "validation_days": 1,
        "test_days": 1,
        "stream_sampling_rate": 1.0,
        "reach_min_day_share": 0,
    }
    database = tmp_path / "hand.duckdb"
    build(raw, database, tmp_path, dbt_vars=hand_vars)
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute("""
            select task, user_id, label, engaged_ts, label_delay_seconds, observed_seconds
            from (
                select * from train_examples union all select * from validation_examples
                union all select * from test_examples
            )
        """).df()
        stream = connection.execute(
            "select user_id, label, sample_ts from stream_examples where task = 'any'"
        ).df()
    rows = {(row.task, row.user_id): row for row in marts.itertuples()}
    # Ten negatives per positive keep every example of a task with a positive on
    # its day: every one for `any`.
    assert {("any", user) for user in shown} <= set(rows)
    window = 24 * 3600.0
    expected_delays = {  # (task, user): seconds; any other row is a negative
        ("like", 1): 86399.999999,
        ("any", 1): 86399.999999,
        ("like", 3): 20.0,
        ("reply", 3): 10.0,
        ("retweet", 3): 300.0,
        ("any", 3): 10.0,
        ("like", 6): 60.0,
        ("any", 6): 60.0,
    }
    assert set(expected_delays) <= set(rows)
    for key, row in rows.items():
        delay = expected_delays.get(key)
        assert row.label == (delay is not None), key
        if delay is None:
            assert pd.isna(row.engaged_ts) and pd.isna(row.label_delay_seconds), key
        else:
            assert row.label_delay_seconds == pytest.approx(delay, abs=1e-6), key
            assert pd.Timestamp(row.engaged_ts) == pd.Timestamp(shown[key[1]]) + pd.Timedelta(
                seconds=delay
            ), key
    # The watermark is the impressions' reach, 23:59:55 on the last day.
    observed = {user: rows[("any", user)].observed_seconds for user in shown}
    assert observed == {1: window, 2: window, 3: window, 4: 5.0, 5: 0.0, 6: 50395.0}
    # In the stream, the replied and retweeted example enters at its impression
    # and again at its first engagement; the one liked too late only once.
    entries = stream.groupby("user_id")["sample_ts"].apply(sorted).to_dict()
    assert entries[3] == [pd.Timestamp(shown[3]), pd.Timestamp("2026-01-05 12:00:10")]
    assert entries[2] == [pd.Timestamp(shown[2])]


def _md5_uniform(user: int, tweet: int, day: str, position: int, salt: str = "feed-v1") -> float:
    """u_k of docs/semantics.md ("The hash"), for a task among the first five."""
    digest = hashlib.md5(f"{salt}|0|{user}|{tweet}|{day}".encode()).hexdigest()
    return int(digest[6 * position : 6 * position + 6], 16) / 16777216


@pytest.mark.slow
def test_fixed_rates_and_the_per_user_cap_are_exact_on_hand_made_cases(tmp_path: Path):
    """A user shown ten tweets on a day, one liked, under a per-user cap of three;
    and `like` kept at the fixed rates 1.0 / 1.0, so every negative is drawn."""
    at = dt.datetime.fromisoformat
    shown = [
        (1, tweet, at("2026-01-05 08:00:00") + dt.timedelta(minutes=tweet))
        for tweet in range(101, 111)
    ]
    shown += [(2, 201, at("2026-01-05 09:00:00")), (2, 202, at("2026-01-05 10:00:00"))]
    shown += [(3, 301, at("2026-01-05 11:00:00"))]
    shown += [(2, 203, at("2026-01-06 09:00:00")), (3, 302, at("2026-01-06 09:00:00"))]
    shown += [(2, 204, at("2026-01-07 09:00:00")), (3, 303, at("2026-01-07 23:59:00"))]
    # Two more days, whose last minute ripens the first three (not mature themselves).
    later = [(9, 901, at("2026-01-08 12:00:00")), (9, 902, at("2026-01-09 23:59:00"))]
    engaged = [
        (1, 101, "like", at("2026-01-05 08:45:00")),
        (3, 301, "reply", at("2026-01-05 11:30:00")),
        (2, 203, "like", at("2026-01-06 09:10:00")),
        (9, 902, "like", at("2026-01-09 23:59:30")),
    ]
    raw = tmp_path / "raw"
    timestamps = pa.timestamp("us")
    _write(
        raw / "impressions" / "impressions.parquet",
        pa.table(
            {
                "user_id": [user for user, _, _ in shown + later],
                "tweet_id": [tweet for _, tweet, _ in shown + later],
                "impression_ts": pa.array([when for _, _, when in shown + later], timestamps),
            }
        ),
    )
    _write(
        raw / "engagements" / "engagements.parquet",
        pa.table(
            {
                "user_id": [row[0] for row in engaged],
                "tweet_id": [row[1] for row in engaged],
                "action": [row[2] for row in engaged],
                "engagement_ts": pa.array([row[3] for row in engaged], timestamps),
            }
        ),
    )
    rates = {
        "like": {"positive": 1.0, "negative": 1.0},
        "reply": {"positive": 1.0, "negative": 0.5},
        "retweet": {"positive": 1.0, "negative": 0.25},
        "quote": {"positive": 1.0, "negative": 0.25},
        "any": {"positive": 0.5, "negative": 1.0},
    }
    hand_vars = {
        "reach_min_day_share": 0,
        "validation_days": 1,
        "test_days": 1,
        "sampling_mode": "fixed_rates",
        "fixed_sampling_rates": rates,
        "per_user_daily_cap": 3,
    }
    database = tmp_path / "hand.duckdb"
    build(raw, database, tmp_path, dbt_vars=hand_vars)
    marts = read_tables(database)
    assert_marts_match_reference(marts, recompute(raw, hand_vars))
    kept = pd.concat([marts[name] for name in SPLITS])
    like = kept[kept["task"] == "like"]
    stats = marts["daily_label_stats"]
    stats = stats.assign(event_date=pd.to_datetime(stats["event_date"]).dt.date)
    stats = stats.set_index(["task", "event_date"])
    # User 1 on the first day: all ten drawn (rate 1), the three with the
    # smallest draw kept, each at 1.0 * 3 / 10; their weights add up to the ten.
    first_day = dt.date(2026, 1, 5)
    capped = like[
        (like["user_id"] == 1) & (pd.to_datetime(like["event_date"]).dt.date == first_day)
    ]
    draws = {tweet: _md5_uniform(1, tweet, "2026-01-05", 0) for _, tweet, _ in shown[:10]}
    assert sorted(capped["tweet_id"]) == sorted(sorted(draws, key=draws.get)[:3])
    assert (capped["sampling_rate"] == 0.3).all()
    assert capped["sample_weight"].sum() == pytest.approx(10.0, abs=1e-12)
    # Every other user is under the cap: with the fixed negative rate 1.0, every
    # negative of `like` is kept at rate 1 and weight 1...
    uncapped = like[like["user_id"] != 1]
    assert (uncapped["sampling_rate"] == 1.0).all() and (uncapped["sample_weight"] == 1.0).all()
    assert len(uncapped) == len(shown) - 10
    for day in (dt.date(2026, 1, 6), dt.date(2026, 1, 7)):
        row = stats.loc[("like", day)]
        assert (
            row["kept_negatives"] == row["negatives"]
            and row["weighted_negatives"] == row["negatives"]
        )
    # ...and the first day's weights recover its thirteen examples exactly.
    row = stats.loc[("like", first_day)]
    assert row["examples"] == 13
    assert row["weighted_positives"] + row["weighted_negatives"] == pytest.approx(13.0, abs=1e-9)
    definition = read_tables(database, ["sample_definition"])["sample_definition"]
    definition = definition.set_index("task")
    assert definition.loc["like", "sampling_mode"] == "fixed_rates"
    assert definition.loc["reply", "fixed_negative_rate"] == 0.5
    assert (definition["per_user_daily_cap"] == 3).all()


@pytest.mark.parametrize(
    ("bad_vars", "message"),
    [
        ({"tasks": {"like": ["bookmark"]}}, "bookmark"),
        ({"tasks": {"Like Model": ["like"]}}, "Like Model"),
        ({"negatives_per_positive": -1}, "negatives_per_positive"),
        ({"validation_start_date": "2026-01-20"}, "test_start_date"),
        ({"id_type": "float"}, "id_type"),
        ({"actions": "like"}, "var 'actions' must be a non-empty list"),
        ({"actions": ["like", "Click"]}, "'Click' must match"),
        ({"actions": ["like", "like"]}, "lists an action twice"),
        ({"actions": ["click"]}, "names action 'like', which is not in var 'actions' (click)"),
        ({"closed_collection": "yes"}, "closed_collection must be true or false"),
        ({"reach_min_day_share": 1.5}, "reach_min_day_share must be a number in [0, 1)"),
        ({"monitor_severity": "loud"}, 'monitor_severity must be warn or error, got "loud"'),
        ({"monitor_recent_days": 5}, "monitor_recent_days must be a whole number >= 7, got 5"),
        ({"sampling_mode": "fixed"}, "sampling_mode must be balanced or fixed_rates, got fixed"),
        (
            {"sampling_mode": "fixed_rates", "fixed_sampling_rates": {"like": FIXED_RATES["like"]}},
            "fixed_sampling_rates has no {positive: rate, negative: rate} for task 'reply'",
        ),
        (
            {
                "sampling_mode": "fixed_rates",
                "fixed_sampling_rates": {**FIXED_RATES, "like": {"positive": 1, "negative": 0}},
            },
            "task 'like' needs a negative rate in (0, 1], got 0",
        ),
        (
            {
                "sampling_mode": "fixed_rates",
                "fixed_sampling_rates": {**FIXED_RATES, "likes": FIXED_RATES["like"]},
            },
            "fixed_sampling_rates names task 'likes', which is not in var tasks",
        ),
        (
            {**SAMPLING_MODES["fixed_rates"], "daily_cap": 1000},
            "daily_cap applies to sampling_mode balanced only",
        ),
        ({"fixed_sampling_rates": FIXED_RATES}, "fixed_sampling_rates is set but sampling_mode"),
        ({"per_user_daily_cap": 0}, "per_user_daily_cap must be null or a whole number >= 1"),
        ({"per_user_daily_cap": 2.5}, "per_user_daily_cap must be null or a whole number >= 1"),
    ],
)
def test_invalid_vars_stop_the_build_with_a_clear_message(
    bad_vars: dict, message: str, default_logs: Path, tmp_path: Path
):
    result = run_dbt(
        ["compile", "--quiet"],
        tmp_path / "bad.duckdb",
        tmp_path,
        {"raw_path": str(default_logs), **bad_vars},
    )
    assert not result.success
    assert message in str(result.exception)
