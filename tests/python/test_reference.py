"""Hand-made edge cases for tests/python/reference.py (the independent recomputation).

Run from the project root:  .venv/bin/python -m pytest tests/python/test_reference.py -q
"""

from __future__ import annotations

import hashlib
import math
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import FEATURE_COLUMNS, recompute

D = date.fromisoformat


def T(s: str) -> datetime:
    return datetime.fromisoformat(s)


def write(root: Path, source: str, name: str, **cols) -> None:
    d = root / source
    d.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for k, v in cols.items():
        if isinstance(v, (pa.Array, pa.ChunkedArray)):
            arrays[k] = v
        elif k.endswith("_ts") and all(x is None or isinstance(x, datetime) for x in v):
            arrays[k] = pa.array(v, type=pa.timestamp("us"))
        else:
            arrays[k] = pa.array(v)
    pq.write_table(pa.table(arrays), d / f"{name}.parquet")


def imps(root, rows, name="imps", **extra):
    """rows: list of (user_id, tweet_id, ts)."""
    write(
        root,
        "impressions",
        name,
        user_id=[r[0] for r in rows],
        tweet_id=[r[1] for r in rows],
        impression_ts=[r[2] for r in rows],
        **extra,
    )


def engs(root, rows, name="engs"):
    """rows: list of (user_id, tweet_id, action, ts)."""
    write(
        root,
        "engagements",
        name,
        user_id=[r[0] for r in rows],
        tweet_id=[r[1] for r in rows],
        action=[r[2] for r in rows],
        engagement_ts=[r[3] for r in rows],
    )


def far_watermark(root, when="2025-06-01T00:00:00"):
    """A later impression + engagement on an unrelated user so that the 2024 days are mature
    (still in the past: rows far in the future are rejected as future_timestamp)."""
    imps(root, [(999999, 999999, T(when))], name="zz_wm")
    engs(root, [(999999, 999999, "like", T(when))], name="zz_wm")


def example(res, u, t, d):
    ex = res["examples"]
    row = ex[(ex.user_id == u) & (ex.tweet_id == t) & (ex.event_date == D(d))]
    assert len(row) == 1, row
    return row.iloc[0]


def attribution(res, u, t):
    a = res["engagement_attribution"]
    return a[(a.user_id == u) & (a.tweet_id == t)].reset_index(drop=True)


def u_k(salt, k, user, tweet, day):
    """The doc's hash, written as literally as possible (hex slices)."""
    g, s = divmod(k, 5)
    h = hashlib.md5(f"{salt}|{g}|{user}|{tweet}|{day}".encode()).hexdigest()
    return int(h[6 * s : 6 * s + 6], 16) / 16777216


# --------------------------------------------------------------------------- attribution
def test_engagement_before_first_impression(tmp_path):
    imps(tmp_path, [(1, 10, T("2024-01-01T10:00:00"))])
    engs(
        tmp_path,
        [
            (1, 10, "like", T("2024-01-01T09:59:59")),  # before: no prior impression
            (2, 20, "like", T("2024-01-01T12:00:00")),
        ],
    )  # never impressed
    far_watermark(tmp_path)
    res = recompute(tmp_path)
    a = attribution(res, 1, 10)
    assert not a.is_attributed[0] and a.unattributed_reason[0] == "no_prior_impression"
    assert a.event_date[0] is None
    a = attribution(res, 2, 20)
    assert a.unattributed_reason[0] == "no_prior_impression"
    assert example(res, 1, 10, "2024-01-01").label_like == 0


def test_window_boundary(tmp_path):
    imps(tmp_path, [(1, 10, T("2024-01-01T10:00:00")), (2, 20, T("2024-01-01T10:00:00"))])
    engs(
        tmp_path,
        [
            (1, 10, "like", T("2024-01-02T10:00:00")),  # exactly 24h: outside
            (2, 20, "like", T("2024-01-02T09:59:59.999999")),
        ],
    )  # just inside
    far_watermark(tmp_path)
    res = recompute(tmp_path)
    a = attribution(res, 1, 10)
    assert not a.is_attributed[0] and a.unattributed_reason[0] == "outside_label_window"
    assert example(res, 1, 10, "2024-01-01").label_like == 0
    a = attribution(res, 2, 20)
    assert a.is_attributed[0] and a.unattributed_reason[0] is None
    assert a.event_date[0] == D("2024-01-01")
    assert example(res, 2, 20, "2024-01-01").label_like == 1
    # a shorter window via vars
    res = recompute(tmp_path, {"label_window_hours": 2})
    assert attribution(res, 2, 20).unattributed_reason[0] == "outside_label_window"


def test_two_impressions_in_a_day(tmp_path):
    imps(
        tmp_path,
        [
            (1, 10, T("2024-01-01T15:00:00")),
            (1, 10, T("2024-01-01T08:00:00")),
            (1, 10, T("2024-01-01T23:59:59")),
        ],
    )
    # between the first and second impression: attributed to the day's example
    engs(tmp_path, [(1, 10, "reply", T("2024-01-01T09:00:00"))])
    far_watermark(tmp_path)
    res = recompute(tmp_path)
    ex = example(res, 1, 10, "2024-01-01")
    assert ex.example_ts == pd.Timestamp("2024-01-01T08:00:00")
    assert ex.impressions == 3
    assert ex.label_reply == 1 and ex.label_any == 1 and ex.label_like == 0
    assert (res["examples"].user_id == 1).sum() == 1


@pytest.mark.parametrize(
    "next_day_imp, expected_day",
    [
        (None, "2024-01-01"),  # no next-day impression: previous day's example
        ("2024-01-02T00:30:00", "2024-01-02"),  # next-day impression before the engagement
        ("2024-01-02T01:00:00", "2024-01-02"),  # ... exactly at the engagement (<=)
        ("2024-01-02T02:00:00", "2024-01-01"),  # next-day impression after the engagement
    ],
)
def test_engagement_across_midnight(tmp_path, next_day_imp, expected_day):
    rows = [(1, 10, T("2024-01-01T23:00:00"))]
    if next_day_imp:
        rows.append((1, 10, T(next_day_imp)))
    imps(tmp_path, rows)
    engs(tmp_path, [(1, 10, "retweet", T("2024-01-02T01:00:00"))])
    far_watermark(tmp_path)
    res = recompute(tmp_path)
    a = attribution(res, 1, 10)
    assert a.is_attributed[0] and a.event_date[0] == D(expected_day)
    ex = res["examples"][res["examples"].user_id == 1]
    labels = dict(zip(ex.event_date, ex.label_retweet, strict=True))
    assert labels[D(expected_day)] == 1
    assert sum(labels.values()) == 1


def test_latest_example_out_of_window_does_not_fall_back(tmp_path):
    # the latest example with example_ts <= e is the one used, even if an older one exists
    imps(tmp_path, [(1, 10, T("2024-01-01T12:00:00")), (1, 10, T("2024-01-03T12:00:00"))])
    engs(tmp_path, [(1, 10, "like", T("2024-01-04T12:00:00"))])  # exactly 24h after Jan 3
    far_watermark(tmp_path)
    res = recompute(tmp_path)
    assert attribution(res, 1, 10).unattributed_reason[0] == "outside_label_window"
    assert res["examples"].query("user_id == 1").label_like.sum() == 0


def test_quote_counts_for_quote_and_any_not_like(tmp_path):
    imps(tmp_path, [(1, 10, T("2024-01-01T10:00:00"))])
    engs(tmp_path, [(1, 10, "quote", T("2024-01-01T11:00:00"))])
    far_watermark(tmp_path)
    ex = example(recompute(tmp_path), 1, 10, "2024-01-01")
    assert (ex.label_quote, ex.label_any, ex.label_like, ex.label_reply, ex.label_retweet) == (
        1,
        1,
        0,
        0,
        0,
    )


def test_custom_tasks_order_and_columns(tmp_path):
    imps(tmp_path, [(1, 10, T("2024-01-01T10:00:00"))])
    engs(tmp_path, [(1, 10, "favorite", T("2024-01-01T11:00:00"))])
    far_watermark(tmp_path)
    res = recompute(tmp_path, {"tasks": {"fav": ["like"], "talk": ["reply", "quote"]}})
    cols = list(res["examples"].columns)
    assert cols == [
        "user_id",
        "tweet_id",
        "event_date",
        "example_ts",
        "impressions",
        "label_fav",
        "label_talk",
        "engaged_ts_fav",
        "engaged_ts_talk",
        "label_delay_seconds_fav",
        "label_delay_seconds_talk",
        "is_mature",
    ]
    ex = example(res, 1, 10, "2024-01-01")
    assert ex.label_fav == 1 and ex.label_talk == 0
    assert set(res["sampling_rates"].task) == {"fav", "talk"}


# --------------------------------------------------------------------------- staging
def test_duplicates_and_reconciliation(tmp_path):
    imps(
        tmp_path,
        [
            (1, 10, T("2024-01-01T10:00:00")),
            (1, 10, T("2024-01-01T10:00:00")),
            (1, 10, T("2024-01-01T10:00:01")),
        ],
        name="a",
    )
    imps(tmp_path, [(1, 10, T("2024-01-01T10:00:00"))], name="b")  # duplicate across files
    engs(
        tmp_path,
        [
            (1, 10, "like", T("2024-01-01T11:00:00")),
            (1, 10, "favorite", T("2024-01-01T11:00:00")),  # same folded action: dup
            (1, 10, " LIKE ", T("2024-01-01T11:00:00")),  # dup again
            (1, 10, "reply", T("2024-01-01T11:00:00")),  # other action: kept
            (1, 10, "like", T("2024-01-01T11:00:00.000001")),
        ],
    )  # other ts: kept
    res = recompute(tmp_path)
    assert len(res["clean_impressions"]) == 2
    assert len(res["clean_engagements"]) == 3
    assert example(res, 1, 10, "2024-01-01").impressions == 2
    rec = res["reconciliation"].set_index(["source", "raw_date"])
    r = rec.loc[("impressions", D("2024-01-01"))]
    assert (r.raw_rows, r.clean_rows, r.rejected_rows, r.duplicates_removed) == (4, 2, 0, 2)
    r = rec.loc[("engagements", D("2024-01-01"))]
    assert (r.raw_rows, r.clean_rows, r.rejected_rows, r.duplicates_removed) == (5, 3, 0, 2)


def test_action_folding(tmp_path):
    actions = [
        "Like",
        "  FAVORITE  ",
        "Comment",
        "reply",
        "RETWEET",
        "Retweet_With_Comment",
        "\u00a0quote\u00a0",
        "share",
        "   ",
        None,
        "\tlike",
    ]
    imps(tmp_path, [(i, 1, T("2024-01-01T10:00:00")) for i in range(len(actions))])
    engs(tmp_path, [(i, 1, a, T("2024-01-01T11:00:00")) for i, a in enumerate(actions)])
    res = recompute(tmp_path)
    ce = res["clean_engagements"].set_index("user_id").action.to_dict()
    assert ce == {
        0: "like",
        1: "like",
        2: "reply",
        3: "reply",
        4: "retweet",
        5: "quote",
        6: "quote",
    }
    rj = res["rejected"]
    rj = rj[rj.source == "engagements"].set_index("action").reject_reason.to_dict()
    assert rj["share"] == "unknown_action"
    assert rj["   "] == "null_action"
    assert rj[None] == "null_action"
    # SQL trim() strips spaces (Unicode Zs, as DuckDB's trim does), not tabs
    assert rj["\tlike"] == "unknown_action"


def test_rejected_reasons_bigint(tmp_path):
    write(
        tmp_path,
        "impressions",
        "i",
        user_id=pa.array(
            [None, "abc", "1", "1", "1", "1", " 42 ", "4.2", "+7", "1", None], pa.string()
        ),
        tweet_id=pa.array(
            ["1", "1", None, "x1", "1", "1", "2", "2", "2", "99999999999999999999", "1"],
            pa.string(),
        ),
        impression_ts=pa.array(
            [
                "2024-01-01 10:00:00",
                "2024-01-01 10:00:00",
                "2024-01-01 10:00:00",
                "2024-01-01 10:00:00",
                None,
                "not a date",
                "2024-01-02T03:00:00",
                "2024-01-01 10:00:00",
                "2024-01-01 10:00:00+02:00",
                "2024-01-01 10:00:00",
                None,
            ],
            pa.string(),
        ),
        extra=pa.array(list(range(11))),
    )
    engs(
        tmp_path,
        [
            (1, 1, "like", None),
            (None, 1, None, None),
            (1, 1, None, T("2024-01-01T11:00:00")),
            (1, 1, "share", T("2024-01-01T11:00:00")),
        ],
    )
    res = recompute(tmp_path)
    rj = res["rejected"]
    imp_reasons = rj[rj.source == "impressions"].reject_reason.tolist()
    assert sorted(imp_reasons) == sorted(
        [
            "null_user_id",
            "invalid_user_id",
            "null_tweet_id",
            "invalid_tweet_id",
            "null_timestamp",
            "invalid_timestamp",
            "invalid_user_id",
            "invalid_tweet_id",
            "null_user_id",
        ]
    )
    ci = res["clean_impressions"]
    assert ci.user_id.dtype == np.int64
    assert set(zip(ci.user_id, ci.tweet_id, ci.impression_ts, strict=True)) == {
        (42, 2, pd.Timestamp("2024-01-02T03:00:00")),
        (7, 2, pd.Timestamp("2024-01-01T08:00:00")),  # offset converted to UTC
    }
    eng_reasons = sorted(rj[rj.source == "engagements"].reject_reason)
    assert eng_reasons == ["null_action", "null_timestamp", "null_user_id", "unknown_action"]
    # reconciliation: day from the raw timestamp, null day for missing / invalid timestamps
    rec = res["reconciliation"]
    imp_rec = rec[rec.source == "impressions"]
    assert imp_rec.raw_rows.sum() == 11
    nullday = imp_rec[imp_rec.raw_date.isna()].iloc[0]
    assert (nullday.raw_rows, nullday.rejected_rows, nullday.clean_rows) == (3, 3, 0)
    d1 = imp_rec[imp_rec.raw_date == D("2024-01-01")].iloc[0]
    assert (d1.raw_rows, d1.clean_rows, d1.rejected_rows) == (7, 1, 6)
    for _, r in rec.iterrows():
        assert r.raw_rows == r.clean_rows + r.rejected_rows + r.duplicates_removed


def test_varchar_ids(tmp_path):
    write(
        tmp_path,
        "impressions",
        "i",
        user_id=pa.array(["abc", "abc", None, " 1"], pa.string()),
        tweet_id=pa.array(["t1", "t1", "t1", "t1"], pa.string()),
        impression_ts=pa.array(
            [
                T("2024-01-01T10:00:00"),
                T("2024-01-02T10:00:00"),
                T("2024-01-01T10:00:00"),
                T("2024-01-01T10:00:00"),
            ],
            pa.timestamp("us"),
        ),
    )
    engs(tmp_path, [("abc", "t1", "like", T("2024-01-01T11:00:00"))])
    res = recompute(tmp_path, {"id_type": "varchar"})
    ex = res["examples"]
    assert set(ex.user_id) == {"abc", " 1"}
    assert example(res, "abc", "t1", "2024-01-01").label_like == 1
    assert res["rejected"].reject_reason.tolist() == ["null_user_id"]
    # in bigint mode: user_id is checked before tweet_id, so "abc"/"t1" -> invalid_user_id
    # (twice in impressions, once in engagements) and " 1"/"t1" -> invalid_tweet_id
    res = recompute(tmp_path)
    assert sorted(res["rejected"].reject_reason) == [
        "invalid_tweet_id",
        "invalid_user_id",
        "invalid_user_id",
        "invalid_user_id",
        "null_user_id",
    ]


def test_integer_ids_in_varchar_mode_hash_as_decimal(tmp_path):
    imps(tmp_path, [(12, 34, T("2024-01-01T10:00:00"))])
    engs(tmp_path, [(12, 34, "like", T("2024-01-01T10:00:00"))])
    far_watermark(tmp_path)
    a = recompute(tmp_path, {"id_type": "varchar"})
    b = recompute(tmp_path)
    assert a["examples"].user_id.iloc[0] == "12"
    ta, tb = a["test_examples"], b["test_examples"]  # the only mature day is M: test split
    assert len(ta) == len(tb) > 0
    assert list(ta.task) == list(tb.task)


# --------------------------------------------------------------------------- maturity
def test_maturity_watermark(tmp_path):
    # W = min(max impression_ts, max engagement_ts) = 2024-01-05 00:00
    imps(
        tmp_path,
        [
            (1, 1, T("2024-01-01T05:00:00")),
            (1, 1, T("2024-01-02T05:00:00")),
            (1, 1, T("2024-01-03T05:00:00")),
            (1, 1, T("2024-01-06T05:00:00")),
        ],
    )
    engs(tmp_path, [(1, 1, "like", T("2024-01-05T00:00:00"))])
    res = recompute(tmp_path)
    assert res["watermark"].watermark.iloc[0] == pd.Timestamp("2024-01-05T00:00:00")
    mature = dict(zip(res["examples"].event_date, res["examples"].is_mature, strict=True))
    # D mature iff D + 1 day + 24h <= W: Jan 3 00:00 + 48h == W (boundary counts as mature)
    assert mature == {
        D("2024-01-01"): True,
        D("2024-01-02"): True,
        D("2024-01-03"): True,
        D("2024-01-06"): False,
    }
    stats_days = set(res["daily_label_stats"].event_date)
    assert stats_days == {D("2024-01-01"), D("2024-01-02"), D("2024-01-03")}
    mart_days = set(
        pd.concat(
            [res["train_examples"], res["validation_examples"], res["test_examples"]]
        ).event_date
    )
    assert D("2024-01-06") not in mart_days
    # a longer window makes Jan 3 immature
    res = recompute(tmp_path, {"label_window_hours": 25})
    mature = dict(zip(res["examples"].event_date, res["examples"].is_mature, strict=True))
    assert not mature[D("2024-01-03")]
    assert mature[D("2024-01-02")]
    # sampling_rates still cover every day (immature included)
    assert D("2024-01-06") in set(res["sampling_rates"].event_date)


def test_no_engagements_nothing_mature(tmp_path):
    imps(tmp_path, [(1, 1, T("2024-01-01T05:00:00")), (1, 1, T("2024-01-09T05:00:00"))])
    res = recompute(tmp_path)
    assert not res["examples"].is_mature.any()
    assert len(res["daily_label_stats"]) == 0 and len(res["train_examples"]) == 0


# --------------------------------------------------------------------------- splits
def _daily_dataset(root, first="2024-01-01", n_days=14, watermark_days=None):
    """One impression per day (user 1, tweet 1) and one engagement, mature up to first+n_days-1."""
    start = D(first)
    rows = [
        (
            1,
            1,
            datetime.combine(start + timedelta(days=i), datetime.min.time()) + timedelta(hours=1),
        )
        for i in range(n_days)
    ]
    imps(root, rows)
    engs(root, [(u, t, "like", ts + timedelta(minutes=5)) for u, t, ts in rows], name="daily")
    # watermark exactly making the last impression day mature: D + 48h
    last = start + timedelta(days=n_days - 1)
    w = datetime.combine(last, datetime.min.time()) + timedelta(hours=48)
    imps(root, [(2, 2, w)], name="wm")
    engs(root, [(2, 2, "like", w)])
    return [start + timedelta(days=i) for i in range(n_days)]


def _split_map(res):
    st = res["daily_label_stats"]
    st = st[st.task == "like"]
    return dict(zip(st.event_date, st.split, strict=True))


def test_splits_relative_with_gap(tmp_path):
    days = _daily_dataset(tmp_path, n_days=12)  # Jan 1 .. Jan 12 mature (M = Jan 12)
    res = recompute(tmp_path, {"test_days": 2, "validation_days": 3, "split_gap_days": 1})
    sm = _split_map(res)
    assert set(sm) == set(days)
    # test [11, 12]; validation [11-1-3, 11-1-1] = [7, 9]; train <= 7-1-1 = 5; 6 and 10 are gaps
    expected = {
        d: (
            "train"
            if d.day <= 5
            else "validation"
            if 7 <= d.day <= 9
            else "test"
            if d.day >= 11
            else None
        )
        for d in days
    }
    assert sm == expected
    # marts only hold their split's days
    for name, split in [
        ("train_examples", "train"),
        ("validation_examples", "validation"),
        ("test_examples", "test"),
    ]:
        mart_days = set(res[name].event_date)
        assert mart_days and mart_days <= {d for d, s in expected.items() if s == split}


def test_splits_relative_defaults(tmp_path):
    days = _daily_dataset(tmp_path, n_days=10)
    sm = _split_map(recompute(tmp_path))
    # test [7, 10]; validation [4, 6]; train <= 3
    assert sm == {
        d: ("train" if d.day <= 3 else "validation" if d.day <= 6 else "test") for d in days
    }


def test_splits_explicit_with_gap(tmp_path):
    days = _daily_dataset(tmp_path, n_days=12)
    v = {
        "validation_start_date": "2024-01-05",
        "test_start_date": "2024-01-09",
        "split_gap_days": 1,
        "test_end_date": "2024-01-10",
    }
    sm = _split_map(recompute(tmp_path, v))
    # train <= Jan 3; validation [Jan 5, Jan 7]; test [Jan 9, Jan 10]; the rest: no split
    expected = {
        d: (
            "train"
            if d.day <= 3
            else "validation"
            if 5 <= d.day <= 7
            else "test"
            if 9 <= d.day <= 10
            else None
        )
        for d in days
    }
    assert sm == expected
    # without test_end_date the test split runs to M
    v.pop("test_end_date")
    sm = _split_map(recompute(tmp_path, {**v, "split_gap_days": 0}))
    expected = {
        d: ("train" if d.day <= 4 else "validation" if 5 <= d.day <= 8 else "test") for d in days
    }
    assert sm == expected


# --------------------------------------------------------------------------- rates / hash
def _rate_dataset(root):
    """Jan 1: 3 positives (like), 9 negatives.  Jan 2: 0 positives, 5 negatives.
    Jan 3: 4 positives, 0 negatives.  All mature."""
    rows, erows = [], []
    for i in range(12):
        rows.append((100 + i, 7, T("2024-01-01T06:00:00")))
        if i < 3:
            erows.append((100 + i, 7, "like", T("2024-01-01T07:00:00")))
    for i in range(5):
        rows.append((200 + i, 7, T("2024-01-02T06:00:00")))
    for i in range(4):
        rows.append((300 + i, 7, T("2024-01-03T06:00:00")))
        erows.append((300 + i, 7, "like", T("2024-01-03T07:00:00")))
    imps(root, rows)
    engs(root, erows)
    far_watermark(root)


def test_rates_with_cap_hand_computed(tmp_path):
    _rate_dataset(tmp_path)
    res = recompute(tmp_path, {"daily_cap": 4, "negatives_per_positive": 1.0})
    sr = res["sampling_rates"]
    sr = sr[sr.task == "like"].set_index("event_date")
    # Jan 1: P=3, N=9, C/(1+r)=2 -> P_target=2, pos=2/3, neg=min(1, 2/9)
    r1 = sr.loc[D("2024-01-01")]
    assert (r1.examples, r1.positives, r1.negatives) == (12, 3, 9)
    assert r1.positive_sampling_rate == 2.0 / 3.0
    assert r1.negative_sampling_rate == (1.0 * 2.0) / 9.0
    # Jan 2: P=0 -> pos 1.0, neg 0.0
    r2 = sr.loc[D("2024-01-02")]
    assert (r2.positive_sampling_rate, r2.negative_sampling_rate) == (1.0, 0.0)
    # Jan 3: N=0 -> neg 0.0; P_target = min(4, 2) = 2 -> pos 0.5
    r3 = sr.loc[D("2024-01-03")]
    assert (r3.positive_sampling_rate, r3.negative_sampling_rate) == (0.5, 0.0)

    # the kept rows are exactly those with u < rate, u from the doc's hash
    rates = {
        d: (sr.loc[d].positive_sampling_rate, sr.loc[d].negative_sampling_rate) for d in sr.index
    }
    ex = res["examples"]
    ex = ex[ex.is_mature]
    expected = set()
    for row in ex.itertuples():
        pr, nr = rates[row.event_date]
        rate = pr if row.label_like == 1 else nr
        if u_k("feed-v1", 0, row.user_id, row.tweet_id, row.event_date.isoformat()) < rate:
            expected.add((row.user_id, row.tweet_id, row.event_date, row.label_like, rate))
    mart = pd.concat([res["train_examples"], res["validation_examples"], res["test_examples"]])
    mart = mart[mart.task == "like"]
    got = set(
        zip(
            mart.user_id,
            mart.tweet_id,
            mart.event_date,
            mart.label,
            mart.sampling_rate,
            strict=True,
        )
    )
    assert got == expected
    assert np.allclose(mart.sample_weight, 1.0 / mart.sampling_rate)
    assert (mart.sample_weight == 1.0 / mart.sampling_rate).all()

    st = res["daily_label_stats"]
    st = st[st.task == "like"].set_index("event_date")
    s1 = st.loc[D("2024-01-01")]
    assert s1.positive_rate == 3 / 12
    assert s1.positive_sampling_rate == 2.0 / 3.0 and s1.negative_sampling_rate == 2.0 / 9.0
    kept1 = [e for e in expected if e[2] == D("2024-01-01")]
    assert s1.kept_positives == sum(1 for e in kept1 if e[3] == 1)
    assert s1.kept_negatives == sum(1 for e in kept1 if e[3] == 0)
    assert st.loc[D("2024-01-02")].kept_negatives == 0  # neg rate 0: nothing kept


def test_rates_without_cap_and_ratio(tmp_path):
    _rate_dataset(tmp_path)
    res = recompute(tmp_path, {"negatives_per_positive": 2.0})
    sr = res["sampling_rates"]
    r1 = sr[(sr.task == "like") & (sr.event_date == D("2024-01-01"))].iloc[0]
    assert r1.positive_sampling_rate == 1.0 and r1.negative_sampling_rate == (2.0 * 3.0) / 9.0
    res = recompute(tmp_path, {"negatives_per_positive": 4.0})
    sr = res["sampling_rates"]
    r1 = sr[(sr.task == "like") & (sr.event_date == D("2024-01-01"))].iloc[0]
    assert r1.negative_sampling_rate == 1.0  # min(1, 12/9)
    # with rate 1.0 every row is kept (u < 1 always)
    st = res["daily_label_stats"]
    s1 = st[(st.task == "like") & (st.event_date == D("2024-01-01"))].iloc[0]
    assert (s1.kept_positives, s1.kept_negatives) == (3, 9)


def test_hash_slices_and_groups(tmp_path):
    # seven tasks: tasks 5 and 6 use digest group 1, slices 0 and 1
    _rate_dataset(tmp_path)
    tasks = {f"t{k}": ["like"] for k in range(7)}
    res = recompute(tmp_path, {"tasks": tasks, "daily_cap": 4, "sampling_salt": "salt-x"})
    mart = pd.concat([res["train_examples"], res["validation_examples"], res["test_examples"]])
    sr = res["sampling_rates"].set_index(["task", "event_date"])
    ex = res["examples"][res["examples"].is_mature]
    for k in range(7):
        name = f"t{k}"
        expected = set()
        for row in ex.itertuples():
            pr, nr = sr.loc[(name, row.event_date)][
                ["positive_sampling_rate", "negative_sampling_rate"]
            ]
            rate = pr if getattr(row, f"label_{name}") == 1 else nr
            if u_k("salt-x", k, row.user_id, row.tweet_id, row.event_date.isoformat()) < rate:
                expected.add((row.user_id, row.tweet_id, row.event_date))
        m = mart[mart.task == name]
        assert set(zip(m.user_id, m.tweet_id, m.event_date, strict=True)) == expected, name
    # the sample differs between tasks with the same labels and rates (different slices)
    sets = [
        frozenset(
            zip(*[mart[mart.task == f"t{k}"][c] for c in ("user_id", "event_date")], strict=True)
        )
        for k in range(7)
    ]
    assert len(set(sets)) > 1


def test_strict_less_than(tmp_path):
    # a rate exactly equal to u: the example must not be kept (u < rate is strict)
    imps(tmp_path, [(i, 1, T("2024-01-01T06:00:00")) for i in range(1, 6)])
    engs(tmp_path, [(1, 1, "like", T("2024-01-01T07:00:00"))])
    far_watermark(tmp_path)
    u = u_k("feed-v1", 0, 1, 1, "2024-01-01")
    # P=1, cap C with C/(1+r) = u  => positive_sampling_rate = u / 1 = u exactly
    res = recompute(tmp_path, {"daily_cap": u * 2.0, "tasks": {"like": ["like"]}})
    sr = res["sampling_rates"]
    assert sr[sr.event_date == D("2024-01-01")].positive_sampling_rate.iloc[0] == u
    mart = pd.concat([res["train_examples"], res["validation_examples"], res["test_examples"]])
    assert not ((mart.user_id == 1) & (mart.label == 1)).any()


# --------------------------------------------------------------------------- brute-force oracle
def _brute(imp_rows, eng_rows, window_h=24):
    """Row-by-row implementation of examples + attribution on clean, typed data."""
    imp_rows = sorted(set(imp_rows))
    ex = {}
    for u, t, ts in imp_rows:
        k = (u, t, ts.date())
        first, n = ex.get(k, (ts, 0))
        ex[k] = (min(first, ts), n + 1)
    alias = {
        "like": "like",
        "favorite": "like",
        "reply": "reply",
        "comment": "reply",
        "retweet": "retweet",
        "quote": "quote",
        "retweet_with_comment": "quote",
    }
    eng = sorted({(u, t, alias[a.strip().lower()], ts) for u, t, a, ts in eng_rows})
    labels = {k: set() for k in ex}
    reasons = {}
    for u, t, a, ts in eng:
        # Look back as many whole days as the window spans, by UTC day.
        lookback = timedelta(days=math.ceil(window_h / 24))
        cands = [
            (ets, k)
            for k, (ets, _) in ex.items()
            if k[0] == u and k[1] == t and ets <= ts and k[2] >= ts.date() - lookback
        ]
        if not cands:
            reasons[(u, t, a, ts)] = "no_prior_impression"
            continue
        ets, k = max(cands)
        if ts - ets >= timedelta(hours=window_h):
            reasons[(u, t, a, ts)] = "outside_label_window"
            continue
        reasons[(u, t, a, ts)] = None
        labels[k].add(a)
    return ex, labels, reasons


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_against_brute_force(tmp_path, seed):
    rng = random.Random(seed)
    base = datetime(2024, 1, 1)
    imp_rows = [
        (
            rng.randint(1, 4),
            rng.randint(1, 3),
            base + timedelta(minutes=rng.randint(0, 6 * 24 * 60) // 30 * 30),
        )
        for _ in range(150)
    ]
    eng_rows = [
        (
            rng.randint(1, 4),
            rng.randint(1, 3),
            rng.choice(["like", "Favorite", "reply", " comment", "retweet", "quote"]),
            base + timedelta(minutes=rng.randint(0, 7 * 24 * 60) // 30 * 30),
        )
        for _ in range(120)
    ]
    half = len(imp_rows) // 2
    imps(tmp_path, imp_rows[:half], name="a")
    imps(tmp_path, imp_rows[half:], name="b")
    engs(tmp_path, eng_rows)
    res = recompute(tmp_path)
    ex, labels, reasons = _brute(imp_rows, eng_rows)
    got = res["examples"]
    assert len(got) == len(ex)
    for row in got.itertuples():
        first, n = ex[(row.user_id, row.tweet_id, row.event_date)]
        assert row.example_ts == pd.Timestamp(first) and row.impressions == n
        acts = labels[(row.user_id, row.tweet_id, row.event_date)]
        assert row.label_like == int("like" in acts)
        assert row.label_reply == int("reply" in acts)
        assert row.label_retweet == int("retweet" in acts)
        assert row.label_quote == int("quote" in acts)
        assert row.label_any == int(bool(acts))
    att = res["engagement_attribution"]
    assert len(att) == len(reasons)
    for row in att.itertuples():
        r = reasons[(row.user_id, row.tweet_id, row.action, row.engagement_ts.to_pydatetime())]
        assert row.unattributed_reason == r and row.is_attributed == (r is None)
    rec = res["reconciliation"]
    assert rec[rec.source == "impressions"].raw_rows.sum() == len(imp_rows)
    assert rec[rec.source == "impressions"].duplicates_removed.sum() == len(imp_rows) - len(
        set(imp_rows)
    )


def test_output_types(tmp_path):
    _rate_dataset(tmp_path)
    res = recompute(tmp_path)
    ex = res["examples"]
    assert ex.user_id.dtype == np.int64 and ex.tweet_id.dtype == np.int64
    assert isinstance(ex.event_date.iloc[0], date) and not isinstance(
        ex.event_date.iloc[0], datetime
    )
    assert str(ex.example_ts.dtype).startswith("datetime64")
    tr = pd.concat([res["train_examples"], res["validation_examples"], res["test_examples"]])
    assert list(tr.columns) == [
        "task",
        "event_date",
        "user_id",
        "tweet_id",
        "example_ts",
        "label",
        "sampling_rate",
        "sample_weight",
        "engaged_ts",
        "label_delay_seconds",
        "observed_seconds",
        *FEATURE_COLUMNS,
    ]
    assert tr.label.dtype == np.int64
    st = res["daily_label_stats"]
    assert list(st.columns) == [
        "event_date",
        "task",
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
        "split",
    ]
    assert set(res["rejected"].columns) >= {"source", "reject_reason"}
    assert list(res["reconciliation"].columns) == [
        "source",
        "raw_date",
        "raw_rows",
        "clean_rows",
        "rejected_rows",
        "duplicates_removed",
    ]


def test_empty_raw(tmp_path):
    (tmp_path / "impressions").mkdir()
    res = recompute(tmp_path)
    for name in (
        "examples",
        "train_examples",
        "daily_label_stats",
        "sampling_rates",
        "engagement_attribution",
        "rejected",
        "reconciliation",
    ):
        assert len(res[name]) == 0, name


def test_future_timestamps_are_rejected(tmp_path):
    imps(tmp_path, [(1, 7, T("2024-01-01T06:00:00")), (2, 7, T("2099-01-01T00:00:00"))])
    engs(tmp_path, [(1, 7, "like", T("2099-01-01T00:00:00"))])
    res = recompute(tmp_path)
    rejected = res["rejected"]
    assert sorted(rejected["reject_reason"]) == ["future_timestamp", "future_timestamp"]
    assert len(res["clean_impressions"]) == 1
