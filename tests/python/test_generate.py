"""Tests of the synthetic log generator (feedpipe.generate); a few seconds in total."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from feedpipe.generate import (
    default_days,
    engagement_schema,
    generate,
    impression_schema,
    main,
)

START = date(2026, 1, 5)
SMALL = {"days": 3, "impressions_per_day": 5_000, "users": 1_000, "tweets": 2_000}
# ~212k impressions: two weekdays at 100k a day (Monday 1.04, Tuesday 1.08).
BIG = {"days": 2, "impressions_per_day": 100_000, "users": 5_000, "tweets": 10_000, "seed": 3}
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
    return out, generate(out, start=START, **BIG)


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
