"""Tests of the synthetic log generator (feedpipe.generate); a few seconds in total."""

from __future__ import annotations

import itertools
import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from feedpipe.generate import (
    ACTION_MIX,
    ACTIONS,
    AGE_SLOPE,
    P_ENGAGE,
    POSITION_SLOPE,
    default_days,
    engagement_schema,
    generate,
    impression_schema,
    main,
    truth_schema,
)

START = date(2026, 1, 5)
SMALL = {"days": 3, "impressions_per_day": 5_000, "users": 1_000, "tweets": 2_000}
# ~212k impressions: two weekdays at 100k a day (Monday 1.04, Tuesday 1.08).
BIG = {"days": 2, "impressions_per_day": 100_000, "users": 5_000, "tweets": 10_000, "seed": 3}
START_US = (START - date(1970, 1, 1)).days * 24 * 3600 * 10**6
CANONICAL = {"like", "reply", "retweet", "quote"}
ALIASES = {"favorite", "comment", "retweet_with_comment"}


def _read(root: Path, source: str) -> pa.Table:
    files = sorted((root / source).glob("*.parquet"))
    return pa.concat_tables(pq.read_table(f) for f in files)


def _tables(root: Path) -> dict[str, pa.Table]:
    return {str(f.relative_to(root)): pq.read_table(f) for f in sorted(root.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("big")
    return out, generate(out, start=START, truth=True, **BIG)  # truth changes no log


def test_same_seed_is_identical_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts_a = generate(a, start=START, seed=1, **SMALL)
    counts_b = generate(b, start=START, seed=1, **SMALL)
    generate(c, start=START, seed=2, **SMALL)
    ta, tb, tc = _tables(a), _tables(b), _tables(c)
    assert counts_a == counts_b
    assert ta.keys() == tb.keys() == tc.keys()
    for name in ta:
        assert ta[name].equals(tb[name]), name
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert not all(ta[name].equals(tc[name]) for name in ta)
    assert not ta["impressions/2026-01-05.parquet"].equals(tc["impressions/2026-01-05.parquet"])


def test_layout_and_schema(tmp_path: Path) -> None:
    (tmp_path / "impressions").mkdir()
    stale = tmp_path / "impressions" / "2026-01-06.parquet"
    stale.write_bytes(b"not parquet")  # existing files of those days are overwritten
    generate(tmp_path, start=START, seed=5, **SMALL)
    days = [str(START + timedelta(days=d)) for d in range(SMALL["days"])]
    for source, schema, ts in (
        ("impressions", impression_schema("int"), "impression_ts"),
        ("engagements", engagement_schema("int"), "engagement_ts"),
    ):
        files = sorted(p.name for p in (tmp_path / source).iterdir())
        assert files == [f"{d}.parquet" for d in days]
        for d in days:
            table = pq.read_table(tmp_path / source / f"{d}.parquet")
            assert table.schema == schema
            assert table.num_rows > 0
            # Each row is in the file of the UTC date of its own timestamp.
            dates = pc.unique(pc.cast(table[ts].drop_null(), pa.date32())).to_pylist()
            assert dates == [date.fromisoformat(d)]
    assert impression_schema("int").field("position").type == pa.int32()
    assert impression_schema("int").field("impression_ts").type == pa.timestamp("us")
    assert default_days(24) == 23
    assert default_days(48) == 24


def test_string_ids(tmp_path: Path) -> None:
    generate(tmp_path, start=START, seed=5, id_type="str", **SMALL)
    imp, eng = _read(tmp_path, "impressions"), _read(tmp_path, "engagements")
    assert imp.schema == impression_schema("str")
    assert eng.schema == engagement_schema("str")
    for table in (imp, eng):
        assert pc.all(pc.starts_with(table["user_id"].drop_null(), "u")).as_py()
        assert pc.all(pc.match_substring_regex(table["tweet_id"].drop_null(), r"^t\d+$")).as_py()
        assert table["user_id"].null_count > 0


def test_engaged_share_and_counts(big: tuple[Path, dict[str, int]]) -> None:
    out, counts = big
    n = counts["impression_events"]
    assert n == round(100_000 * 1.04) + round(100_000 * 1.08)
    share = counts["engaged_impressions"] / n
    sigma = math.sqrt(0.05 * 0.95 / n)  # binomial sd of the share
    assert abs(share - 0.05) <= 5 * sigma, (share, sigma)
    # Returned counts are the rows written.
    imp, eng = _read(out, "impressions"), _read(out, "engagements")
    assert imp.num_rows == counts["impressions"]
    assert eng.num_rows == counts["engagements"]
    extra_imp = sum(v for k, v in counts.items() if k.startswith("imp_"))
    assert counts["impressions"] == n + extra_imp
    respelled = counts["eng_odd_case_action"] + counts["eng_alias_action"]
    extra_eng = sum(v for k, v in counts.items() if k.startswith("eng_")) - respelled
    assert counts["engagements"] == counts["engagement_events"] + extra_eng


def test_repeat_impressions(big: tuple[Path, dict[str, int]]) -> None:
    """Pairs are shown again the same day and the next day (5% / 4% of impressions, on top
    of chance collisions: ~3% / ~4.5% with BIG's users and tweets)."""
    out, _ = big
    day1, day2 = (
        pq.read_table(out / "impressions" / f"{START + timedelta(days=d)}.parquet")
        .select(["user_id", "tweet_id"])
        .drop_null()
        for d in (0, 1)
    )
    pairs1 = day1.group_by(["user_id", "tweet_id"]).aggregate([])
    assert 1 - pairs1.num_rows / day1.num_rows > 0.06  # several per (user, tweet, day)
    seen = pairs1.append_column("seen", pa.array(np.ones(pairs1.num_rows, bool)))
    shown_again = day2.join(seen, ["user_id", "tweet_id"])["seen"]
    assert shown_again.null_count / day2.num_rows < 1 - 0.065  # day-2 rows seen on day 1


def test_dirty_kinds_present(big: tuple[Path, dict[str, int]]) -> None:
    out, counts = big
    imp, eng = _read(out, "impressions"), _read(out, "engagements")
    for kind in (
        "imp_duplicate",
        "imp_null_user_id",
        "imp_null_tweet_id",
        "imp_null_timestamp",
        "eng_duplicate",
        "eng_null_user_id",
        "eng_null_tweet_id",
        "eng_null_timestamp",
        "eng_odd_case_action",
        "eng_alias_action",
        "eng_unknown_action",
        "eng_null_action",
        "eng_never_shown",
        "eng_before_impression",
    ):
        assert counts[kind] > 0, kind

    # Null fields and exact duplicates, counted from the files.
    for table, prefix, ts in ((imp, "imp", "impression_ts"), (eng, "eng", "engagement_ts")):
        assert table["user_id"].null_count == counts[f"{prefix}_null_user_id"]
        assert table["tweet_id"].null_count == counts[f"{prefix}_null_tweet_id"]
        assert table[ts].null_count == counts[f"{prefix}_null_timestamp"]
        distinct = table.group_by(table.column_names).aggregate([]).num_rows
        assert table.num_rows - distinct == counts[f"{prefix}_duplicate"]

    # Action spellings.
    action = eng["action"]
    folded = pc.utf8_lower(pc.utf8_trim(action, " "))
    is_canonical = pc.is_in(folded, pa.array(sorted(CANONICAL)))
    odd = pc.and_(is_canonical, pc.not_equal(action, folded))
    assert pc.sum(odd).as_py() >= counts["eng_odd_case_action"] > 0
    assert {" Like", "RETWEET ", "Reply"} <= set(action.drop_null().to_pylist())
    assert set(action.drop_null().to_pylist()) >= ALIASES
    assert {"bookmark", "share"} <= set(action.drop_null().to_pylist())
    blank = pc.sum(pc.equal(folded, "")).as_py()
    assert action.null_count > 0 and blank > 0
    assert action.null_count + blank == counts["eng_null_action"]

    # Engagements with no impression before them: exactly the two orphan kinds.
    valid_imp = imp.drop_null().select(["user_id", "tweet_id", "impression_ts"])
    first = valid_imp.group_by(["user_id", "tweet_id"]).aggregate([("impression_ts", "min")])
    valid_eng = eng.select(["user_id", "tweet_id", "engagement_ts"]).drop_null()
    joined = valid_eng.join(first, ["user_id", "tweet_id"], join_type="left outer")
    first_ts = joined["impression_ts_min"]
    orphan = pc.or_kleene(pc.is_null(first_ts), pc.less(joined["engagement_ts"], first_ts))
    assert pc.sum(orphan).as_py() == counts["eng_never_shown"] + counts["eng_before_impression"]
    assert pc.sum(pc.is_null(first_ts)).as_py() == counts["eng_never_shown"]


def test_nothing_at_or_after_the_end(big: tuple[Path, dict[str, int]]) -> None:
    out, counts = big
    start = datetime(2026, 1, 5)
    end = start + timedelta(days=BIG["days"])
    for source, ts in (("impressions", "impression_ts"), ("engagements", "engagement_ts")):
        lo, hi = pc.min_max(_read(out, source)[ts]).values()
        assert start <= lo.as_py() and hi.as_py() < end
    # Two days are too short for every engagement to have happened.
    assert counts["engagements_not_yet_happened"] > 0


def test_engagement_shape(big: tuple[Path, dict[str, int]]) -> None:
    out, _ = big
    eng = _read(out, "engagements")
    actions = pc.utf8_lower(pc.utf8_trim(eng["action"], " ")).to_numpy(zero_copy_only=False)
    actions = actions[np.isin(actions, sorted(CANONICAL))]
    like = np.mean(actions == "like")
    assert 0.57 < like < 0.63, like
    assert np.mean(actions == "retweet") > np.mean(actions == "reply") > np.mean(actions == "quote")


def test_cli_prints_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--out", str(tmp_path), "--days", "2", "--impressions-per-day", "2000"]
    argv += ["--users", "300", "--tweets", "500", "--seed", "9", "--start", "2026-02-02"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "impressions" in lines[0]
    names = sorted(p.name for p in (tmp_path / "impressions").iterdir())
    assert names == ["2026-02-02.parquet", "2026-02-03.parquet"]


# --------------------------------------------------------------------------- engagement model

TRUTH_P = ["p_like", "p_reply", "p_retweet", "p_quote"]
SIGMAS_TRUTH = 4.0  # tolerance of a drawn share against its true mean, in standard deviations


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _sd_of_share(p: np.ndarray) -> float:
    """Standard deviation of the share of successes among independent Bernoulli(p) draws."""
    return math.sqrt(float(np.sum(p * (1 - p)))) / len(p)


def _columns(table: pa.Table, *names: str) -> list[np.ndarray]:
    return [table[name].to_numpy() for name in names]


def test_truth_is_deterministic_and_changes_no_log(tmp_path: Path) -> None:
    a, b, c, d = (tmp_path / x for x in "abcd")
    counts = generate(a, start=START, seed=1, truth=True, **SMALL)
    assert generate(b, start=START, seed=1, truth=True, **SMALL) == counts
    generate(c, start=START, seed=1, truth=True, **SMALL)
    assert generate(c, start=START, seed=1, **SMALL) == counts  # without truth: same logs
    generate(d, start=START, seed=2, truth=True, **SMALL)
    days = [f"{START + timedelta(days=g)}.parquet" for g in range(SMALL["days"])]
    assert sorted(p.name for p in (a / "truth").iterdir()) == days
    assert not list((c / "truth").iterdir())  # stale truth of regenerated days removed
    for name in days:
        assert (a / "truth" / name).read_bytes() == (b / "truth" / name).read_bytes(), name
        assert not pq.read_table(a / "truth" / name).equals(pq.read_table(d / "truth" / name))
        for log in ("impressions", "engagements"):
            assert (a / log / name).read_bytes() == (c / log / name).read_bytes(), (log, name)
    truth = _read(a, "truth")
    assert truth.schema.equals(truth_schema("int"), check_metadata=False)
    assert truth.num_rows == counts["impression_events"]
    assert truth.drop_null().num_rows == truth.num_rows
    # The truth rows are the clean impressions: those without nulls, each copy once.
    keys = ["user_id", "tweet_id", "impression_ts", "position"]
    clean = _read(a, "impressions").select(keys).drop_null()
    assert clean.num_rows == truth.num_rows + counts["imp_duplicate"]
    distinct_clean = clean.group_by(keys).aggregate([]).sort_by([(k, "ascending") for k in keys])
    distinct_truth = truth.select(keys).group_by(keys).aggregate([])
    assert distinct_truth.sort_by([(k, "ascending") for k in keys]).equals(distinct_clean)


def test_truth_cli_and_string_ids(tmp_path: Path) -> None:
    argv = ["--out", str(tmp_path), "--days", "1", "--impressions-per-day", "3000"]
    assert main([*argv, "--users", "300", "--tweets", "500", "--id-type", "str", "--truth"]) == 0
    truth = pq.read_table(tmp_path / "truth" / f"{START}.parquet")
    assert truth.schema.equals(truth_schema("str"), check_metadata=False)
    keys = ["user_id", "tweet_id", "impression_ts"]
    shown = _read(tmp_path, "impressions").select(keys).drop_null().group_by(keys).aggregate([])
    assert shown.num_rows == truth.num_rows
    shown = shown.append_column("shown", pa.array(np.ones(shown.num_rows, bool)))
    joined = truth.select(keys).join(shown, keys)
    assert joined["shown"].null_count == 0  # every truth row is an impression, same ids


def test_truth_probabilities_are_calibrated_per_day(big: tuple[Path, dict[str, int]]) -> None:
    """Each day: mean p_any = P_ENGAGE, mean p_a in the ratio ACTION_MIX (both solved to
    ~1e-7), p_any = 1 - prod(1 - p_a), and every action's logit is the same shared part
    plus the action's intercept recorded in the file's metadata."""
    out, _ = big
    mix = dict(zip(ACTIONS, ACTION_MIX, strict=True))
    for path in sorted((out / "truth").glob("*.parquet")):
        truth = pq.read_table(path)
        model = json.loads(truth.schema.metadata[b"feedpipe.engagement_model"])
        p = np.stack(_columns(truth, *TRUTH_P))
        (p_any,) = _columns(truth, "p_any")
        assert abs(p_any.mean() - P_ENGAGE) < 1e-6, path.name
        shares = p.mean(axis=1) / p.mean(axis=1).sum()
        np.testing.assert_allclose(shares, [mix[c[2:]] for c in TRUTH_P], atol=1e-6)
        np.testing.assert_allclose(p_any, 1 - np.prod(1 - p, axis=0), rtol=1e-9, atol=0)
        alpha = model["intercepts"]
        shared = _logit(p) - np.array([[alpha[c[2:]]] for c in TRUTH_P])
        np.testing.assert_allclose(shared, np.broadcast_to(shared[0], shared.shape), atol=1e-8)
        assert alpha["like"] > alpha["retweet"] > alpha["reply"] > alpha["quote"]


def test_engaged_share_matches_truth(big: tuple[Path, dict[str, int]]) -> None:
    """The engaged share drawn is within SIGMAS_TRUTH sd of the mean true p_any, with the sd
    of a sum of independent Bernoulli(p_any) draws; the truth's flags are those draws."""
    out, counts = big
    truth = _read(out, "truth")
    p_any, engaged = _columns(truth, "p_any", "engaged")
    assert len(p_any) == counts["impression_events"]
    assert engaged.sum() == counts["engaged_impressions"]
    share = counts["engaged_impressions"] / counts["impression_events"]
    assert abs(share - p_any.mean()) <= SIGMAS_TRUTH * _sd_of_share(p_any), (share, p_any.mean())

    # Every engagement row on a real impression (canonical action, not before the pair's
    # first impression) belongs to a pair that the truth says was engaged.
    eng = _read(out, "engagements").drop_null()
    folded = pc.utf8_lower(pc.utf8_trim(eng["action"], " "))
    eng = eng.filter(pc.is_in(folded, pa.array(sorted(CANONICAL | ALIASES))))
    first = (
        _read(out, "impressions")
        .drop_null()
        .group_by(["user_id", "tweet_id"])
        .aggregate([("impression_ts", "min")])
    )
    eng = eng.join(first, ["user_id", "tweet_id"], join_type="inner")
    eng = eng.filter(pc.greater_equal(eng["engagement_ts"], eng["impression_ts_min"]))
    width = 2 * BIG["tweets"] + 1
    user, tweet = _columns(eng, "user_id", "tweet_id")
    t_user, t_tweet = _columns(truth.filter(truth["engaged"]), "user_id", "tweet_id")
    engaged_pairs = np.unique(t_user * width + t_tweet)
    assert eng.num_rows > 0.9 * counts["engagement_events"]
    assert np.isin(user * width + tweet, engaged_pairs).all()


def test_engagement_rises_with_true_probability(big: tuple[Path, dict[str, int]]) -> None:
    """By quintile of p_any: the engaged rate drawn is within SIGMAS_TRUTH sd of the
    quintile's mean p_any, rises from quintile to quintile, and the top quintile's is more
    than ten times the bottom one's (~35 times with these parameters)."""
    out, _ = big
    p_any, engaged = _columns(_read(out, "truth"), "p_any", "engaged")
    order = np.argsort(p_any, kind="stable")
    rates = []
    for q in np.array_split(order, 5):
        rate = engaged[q].mean()
        assert abs(rate - p_any[q].mean()) <= SIGMAS_TRUTH * _sd_of_share(p_any[q]), q.size
        rates.append(rate)
    assert all(lo < hi for lo, hi in itertools.pairwise(rates)), rates
    assert rates[-1] > 10 * rates[0], rates


def test_position_and_age_effects_have_the_documented_sign(
    big: tuple[Path, dict[str, int]],
) -> None:
    """Exactly, on the truth: between two impressions of the same user and tweet on the same
    day, logit(p_like) moves by -AGE_SLOPE * d log1p(age h) - POSITION_SLOPE * d log(position)
    (least squares recovers both slopes); and in the draws: the engaged rate falls with
    position (independent of user, tweet and age), each step by more than 5 sd."""
    assert AGE_SLOPE > 0 and POSITION_SLOPE > 0  # documented: older and lower is less engaging
    out, _ = big
    truth = _read(out, "truth")
    user, tweet, ts, created, position, p_like, p_any, engaged = _columns(
        truth,
        "user_id",
        "tweet_id",
        "impression_ts",
        "tweet_created_ts",
        "position",
        "p_like",
        "p_any",
        "engaged",
    )
    ts_us, created_us = ts.astype("int64"), created.astype("int64")
    assert (created_us < START_US).all() and (ts_us > created_us).all()
    day = ts_us // (24 * 3600 * 10**6)
    order = np.lexsort((ts_us, tweet, user, day))
    key = np.stack([day, user, tweet])[:, order]
    same = (key[:, 1:] == key[:, :-1]).all(axis=0)  # consecutive rows of one pair and day
    assert same.sum() > 1000
    age_term = np.log1p((ts_us - created_us) / 3.6e9)[order]
    design = np.stack([np.diff(age_term), np.diff(np.log(position[order]))], axis=1)[same]
    change = np.diff(_logit(p_like[order]))[same]
    slopes, *_ = np.linalg.lstsq(design, change, rcond=None)
    np.testing.assert_allclose(slopes, [-AGE_SLOPE, -POSITION_SLOPE], atol=1e-9)
    np.testing.assert_allclose(design @ slopes, change, atol=1e-9)

    rates = []
    for lo, hi in ((1, 2), (2, 5), (5, 20), (20, None)):
        rows = (position >= lo) & (position < (hi or np.inf))
        rates.append((engaged[rows].mean(), p_any[rows]))
    for (rate_hi, p_hi), (rate_lo, p_lo) in itertools.pairwise(rates):
        sd = math.hypot(_sd_of_share(p_hi), _sd_of_share(p_lo))
        assert rate_hi - rate_lo > 5 * sd, (rate_hi, rate_lo, sd)
