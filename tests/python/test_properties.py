"""Property-based tests: small random dirty logs through the real dbt build.

Each example writes a few days of raw impressions and engagements as Parquet
files (one to three files per log, as deliveries would come, in any order)
carrying every kind of dirt that production logs have, builds the project on
a DuckDB file of its own and checks that

1. the marts equal the independent recomputation in reference.py (and so do
   the rejected rows and the attribution of engagements);
2. every raw row is accounted for, per log and UTC day and per source file:
   raw rows = clean rows + rejected rows + removed duplicates;
3. under a drawn sampling mode (fixed rates or balanced, a per-user cap or
   none), the marts still equal the recomputation and the weights undo the
   draw: exactly per user (the rows the draw kept), within a stated
   statistical tolerance per day, task and class (the population's counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import build, read_tables
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from reference import recompute
from test_pipeline import assert_marts_match_reference, assert_stream_matches_reference

from feedpipe.generate import engagement_schema, impression_schema

pytestmark = pytest.mark.property

# Each example is one dbt build: few examples, always the same ones. No
# shrinking (each of its steps would be another build): a failure prints the
# logs it was found on.
settings.register_profile(
    "feed_properties",
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
)

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
# A Monday well in the past: no row is a future_timestamp.
START = dt.datetime(2026, 3, 2)
# The files' modification times: a second apart, in the order drawn.
DELIVERED_FROM = dt.datetime(2026, 3, 9, tzinfo=dt.UTC).timestamp()
USERS = (1, 2, 3)
TWEETS = (10, 11, 12)
NEVER_SHOWN_TWEET = 99
LOGS = {"impressions": "impression_ts", "engagements": "engagement_ts"}
SPLIT_VARS = {"validation_days": 1, "test_days": 1}

# Times of day next to UTC midnight: the first and last microsecond and second.
FIRST_US, LAST_US = 0, US_PER_DAY - 1
NEAR_MIDNIGHT_US = (FIRST_US, 1, US_PER_SECOND, US_PER_DAY - US_PER_SECOND, LAST_US)
TIME_OF_DAY = st.one_of(st.sampled_from(NEAR_MIDNIGHT_US), st.integers(FIRST_US, LAST_US))

# (canonical action meant, raw spelling) by kind; None: rejected. Only spaces
# are trimmed: a tab makes an unknown action.
SPELLINGS: dict[str, list[tuple[str | None, str | None]]] = {
    "canonical": [("like", "like"), ("reply", "reply"), ("retweet", "retweet"), ("quote", "quote")],
    "odd": [
        ("like", "LIKE"),
        ("like", " Like"),
        ("like", "like  "),
        ("reply", " REPLY "),
        ("retweet", "Retweet "),
        ("quote", " QUOTE"),
    ],
    "alias": [
        ("like", "favorite"),
        ("like", " FAVORITE "),
        ("reply", "comment"),
        ("reply", "Comment "),
        ("quote", "retweet_with_comment"),
        ("quote", "Retweet_With_Comment "),
    ],
    "unknown": [(None, "bookmark"), (None, "share"), (None, "likes"), (None, "like\t")],
    "null": [(None, None), (None, ""), (None, "   ")],
}
ANY_SPELLING = st.sampled_from([pair for pairs in SPELLINGS.values() for pair in pairs])
VALID_SPELLING = st.sampled_from([*SPELLINGS["canonical"], *SPELLINGS["odd"], *SPELLINGS["alias"]])

# How a file stores its timestamps, each as the contract allows: naive UTC
# (as the generator writes them), time-zone aware, or ISO 8601 text in UTC
# ("Z") or at an offset.
TIMESTAMP_STORAGE = ("naive", "utc", "Z", "+00:00", "-05:00", "+05:30")

# Most random rows are clean; the others lose one field.
NULLED = ("null_user_id", "null_tweet_id", "null_timestamp")
ANY_DIRT = st.sampled_from(("clean",) * 7 + NULLED)
CLEAN = st.just("clean")


def _file_names(count: int) -> list[str]:
    """Delivery files: one per day, then a re-delivery of the first day in a subfolder."""
    day = [f"{(START + dt.timedelta(days=i)).date()}.parquet" for i in range(2)]
    return [*day, f"late/{day[0]}"][:count]


def _timestamps(days: int, time_of_day=TIME_OF_DAY) -> st.SearchStrategy[dt.datetime]:
    return st.builds(
        lambda day, us: START + dt.timedelta(days=day, microseconds=us),
        st.integers(0, days - 1),
        time_of_day,
    )


def _soil(row: dict, dirt: str, timestamp_column: str) -> dict:
    """The row with the field that the dirt nulls set to null."""
    column = {"null_timestamp": timestamp_column}.get(dirt, dirt.removeprefix("null_"))
    return row if dirt == "clean" else {**row, column: None}


def _event_key(log: str, row: dict) -> tuple | None:
    """What deduplication compares, for a valid row; None for a rejected one."""
    columns = ["user_id", "tweet_id", LOGS[log]] + (["canonical"] if log == "engagements" else [])
    values = tuple(row[column] for column in columns)
    return None if None in values else values


@st.composite
def _impression(draw: st.DrawFn, days: int, dirt=ANY_DIRT, time_of_day=TIME_OF_DAY) -> dict:
    row = {
        "user_id": draw(st.sampled_from(USERS)),
        "tweet_id": draw(st.sampled_from(TWEETS)),
        "impression_ts": draw(_timestamps(days, time_of_day)),
    }
    return _soil(row, draw(dirt), "impression_ts")


@st.composite
def _engagement(
    draw: st.DrawFn,
    days: int,
    shown: list[dict],
    delay: st.SearchStrategy[int] | None,
    spelling=ANY_SPELLING,
    dirt=ANY_DIRT,
    orphan_tweets=(NEVER_SHOWN_TWEET, *TWEETS),
) -> dict:
    """An engagement `delay` microseconds after one of the `shown` impressions,
    or with no delay one at any time, on a tweet that may never be shown."""
    canonical, action = draw(spelling)
    row = {"action": action, "canonical": canonical}
    if delay is not None:
        impression = draw(st.sampled_from(shown))
        shown_ts = impression["impression_ts"] or draw(_timestamps(days))
        row |= {
            "user_id": impression["user_id"],
            "tweet_id": impression["tweet_id"],
            "engagement_ts": shown_ts + dt.timedelta(microseconds=draw(delay)),
        }
    else:
        row |= {
            "user_id": draw(st.sampled_from(USERS)),
            "tweet_id": draw(st.sampled_from(orphan_tweets)),
            "engagement_ts": draw(_timestamps(days)),
        }
    return _soil(row, draw(dirt), "engagement_ts")


def _backbone(days: int) -> tuple[list[dict], list[dict]]:
    """One liked impression a day for a user of its own: every mature day has
    positives (no split is empty) and the last day sets the watermark."""
    impressions, engagements = [], []
    for day in range(days):
        shown = START + dt.timedelta(days=day, hours=12)
        key = {"user_id": 100 + day, "tweet_id": 1000}
        impressions.append({**key, "impression_ts": shown})
        liked = shown + dt.timedelta(minutes=5)
        engagements.append({**key, "action": "like", "canonical": "like", "engagement_ts": liked})
    return impressions, engagements


@st.composite
def _impressions(draw: st.DrawFn, days: int) -> list[dict]:
    """Random impressions; among them at least one at the last and one at the
    first microsecond of a UTC day, and one with each null."""
    edges = [draw(_impression(days, CLEAN, st.just(us))) for us in (LAST_US, FIRST_US)]
    nulled = [draw(_impression(days, st.just(dirt))) for dirt in NULLED]
    return [*edges, *nulled, *draw(st.lists(_impression(days), max_size=15))]


@st.composite
def _engagements(draw: st.DrawFn, days: int, window_us: int, shown: list[dict]) -> list[dict]:
    """Random engagements on the shown impressions or orphans; among them at
    least one orphan, one late (at or past the label window), one just before
    its impression, one just past the midnight after its impression, one of
    each odd kind of action (respelled, alias, unknown, null) and one with
    each null."""
    clean_shown = [row for row in shown if _event_key("impressions", row) is not None]
    edges = (0, 1, 60 * US_PER_SECOND, window_us - 1, window_us, window_us + 1)
    late = (window_us + 3 * US_PER_HOUR,)
    early = (-1, -60 * US_PER_SECOND)
    any_delay = st.one_of(
        st.sampled_from(edges + late + early), st.integers(-2 * US_PER_HOUR, 2 * window_us)
    )
    # shown[0] is at the last microsecond of its day.
    on_valid = [
        (clean_shown, st.sampled_from((window_us, window_us + 1, *late))),
        (clean_shown, st.sampled_from(early)),
        (shown[:1], st.sampled_from((1, 60 * US_PER_SECOND))),
    ]
    forced = [draw(_engagement(days, on, delay, VALID_SPELLING, CLEAN)) for on, delay in on_valid]
    forced.append(draw(_engagement(days, [], None, VALID_SPELLING, CLEAN, [NEVER_SHOWN_TWEET])))
    forced += [
        draw(_engagement(days, clean_shown, any_delay, st.sampled_from(SPELLINGS[kind]), CLEAN))
        for kind in ("odd", "alias", "unknown", "null")
    ]
    forced += [draw(_engagement(days, shown, any_delay, dirt=st.just(d))) for d in NULLED]
    random = st.one_of(_engagement(days, shown, any_delay), _engagement(days, shown, None))
    return forced + draw(st.lists(random, max_size=15))


@st.composite
def _placed_in_files(draw: st.DrawFn, rows: list[dict], files: int) -> list[dict]:
    """Each row into one of the log's files, plus exact copies of some rows in
    any file: the first copy in another file than its original when there is one."""
    placed = [{**row, "file": draw(st.integers(0, files - 1))} for row in rows]
    copied = draw(st.lists(st.integers(0, len(rows) - 1), min_size=1, max_size=6))
    copies = [{**placed[copied[0]], "file": (placed[copied[0]]["file"] + 1) % files}]
    copies += [{**placed[i], "file": draw(st.integers(0, files - 1))} for i in copied[1:]]
    return placed + copies


@st.composite
def dirty_logs(draw: st.DrawFn) -> dict:
    """A few days of both logs with every kind of dirt, and the vars to build them with."""
    days = draw(st.integers(5, 6))
    window_hours = draw(st.sampled_from((24, 12, 36)))
    impressions, engagements = _backbone(days)
    shown = draw(_impressions(days))
    impressions += shown
    engagements += draw(_engagements(days, window_hours * US_PER_HOUR, shown))
    # A valid event again under another spelling of its action: a duplicate once folded.
    valid = [row for row in engagements if _event_key("engagements", row) is not None]
    event = draw(st.sampled_from(valid))
    spellings = [
        spelling
        for pairs in SPELLINGS.values()
        for canonical, spelling in pairs
        if canonical == event["canonical"] and spelling != event["action"]
    ]
    engagements.append({**event, "action": draw(st.sampled_from(spellings))})
    logs, storage, delivered = {}, {}, []
    for log, rows in (("impressions", impressions), ("engagements", engagements)):
        files = [f"{log}/{name}" for name in _file_names(draw(st.sampled_from((2, 3, 1))))]
        placed = draw(_placed_in_files(rows, len(files)))
        logs[log] = [{**row, "file": files[row["file"]]} for row in placed]
        storage |= {file: draw(st.sampled_from(TIMESTAMP_STORAGE)) for file in files}
        # The files arrive in any order, whatever their names.
        delivered += draw(st.permutations(files))
    return {
        "vars": {
            "label_window_hours": window_hours,
            # The stream draws every example, or about half of them.
            "stream_sampling_rate": draw(st.sampled_from((1.0, 0.5))),
            **SPLIT_VARS,
        },
        "logs": logs,
        "timestamp_storage": storage,
        "delivered": delivered,
    }


def _stored_timestamps(values: list[dt.datetime | None], storage: str) -> pa.Array:
    """UTC timestamps as a file stores them (see TIMESTAMP_STORAGE)."""
    naive = pa.array(values, pa.timestamp("us"))
    if storage in ("naive", "utc"):
        return naive if storage == "naive" else naive.cast(pa.timestamp("us", tz="UTC"))
    if storage == "Z":
        return pa.array([None if v is None else f"{v.isoformat()}Z" for v in values], pa.string())
    zone = dt.datetime.strptime(storage, "%z").tzinfo
    local = [None if v is None else v.replace(tzinfo=dt.UTC).astimezone(zone) for v in values]
    return pa.array([None if v is None else v.isoformat(" ") for v in local], pa.string())


def _write(
    raw: Path, logs: dict[str, list[dict]], storage: dict[str, str], delivered: list[str]
) -> None:
    """One Parquet file per file name, in the generator's schemas (extra keys
    dropped) but for the timestamps, stored as drawn for the file; modified a
    second apart in the order the files were delivered."""
    schemas = {"impressions": impression_schema(), "engagements": engagement_schema()}
    for log, rows in logs.items():
        for file in sorted({row["file"] for row in rows}):
            in_file = [row for row in rows if row["file"] == file]
            if log == "impressions":  # extra columns, as the generator writes: ignored
                in_file = [{**row, "surface": "home", "position": 1} for row in in_file]
            table = pa.Table.from_pylist(in_file, schema=schemas[log])
            column = LOGS[log]
            timestamps = _stored_timestamps([row[column] for row in in_file], storage[file])
            table = table.set_column(table.schema.get_field_index(column), column, timestamps)
            path = raw / file
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)
            modified = DELIVERED_FROM + delivered.index(file)
            os.utime(path, (modified, modified))


def _raw_counts(
    raw: Path, logs: dict[str, list[dict]], delivered: list[str]
) -> tuple[Counter, Counter, Counter]:
    """Raw rows per (log, UTC day), per (log, file, UTC day) and per (log, file).

    A copy of a valid event counts in the first file delivered (modified) that
    holds the event, as staging counts it: the clean row's `source_file` carries its
    removed duplicates. Per file, that is the rows the file's footer says were
    written to it, less its copies of events of an earlier file, plus the
    copies in later files of its own events."""
    per_day, per_file_day, per_file = Counter(), Counter(), Counter()
    for log, rows in logs.items():
        first_file: dict[tuple, str] = {}
        for row in rows:
            key = _event_key(log, row)
            if key is not None:
                first_file[key] = min(
                    first_file.get(key, row["file"]), row["file"], key=delivered.index
                )
        for file in {row["file"] for row in rows}:
            per_file[log, file] += pq.read_metadata(raw / file).num_rows
        for row in rows:
            ts = row[LOGS[log]]
            day = ts.date() if ts is not None else None
            counted_in = first_file.get(_event_key(log, row), row["file"])
            per_day[log, day] += 1
            per_file_day[log, counted_in, day] += 1
            per_file[log, counted_in] += 1
            per_file[log, row["file"]] -= 1
    return per_day, per_file_day, per_file


def _staged_counts(database: Path) -> tuple[Counter, Counter]:
    """Clean + rejected + removed duplicates per (log, day) and per (log, file, day)."""
    query = """
        select 'impressions', source_file, impression_date, count(*) + sum(duplicates_removed)
        from stg_feed__impressions group by all
        union all
        select 'engagements', source_file, engagement_date, count(*) + sum(duplicates_removed)
        from stg_feed__engagements group by all
        union all
        select source_name, source_file, row_date, count(*)
        from stg_feed__rejected_rows group by all
    """
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(query).fetchall()
    per_day, per_file = Counter(), Counter()
    for log, file, day, count in rows:
        per_day[log, day] += count
        per_file[log, file, day] += count
    return per_day, per_file


def _assert_same_counts(got: Counter, want: Counter, what: str) -> None:
    """Equal counts, or a message with each key that differs: (got, want)."""
    differ = {
        key: (got[key], want[key]) for key in got.keys() | want.keys() if got[key] != want[key]
    }
    assert not differ, f"{what} differ (got, want): {differ}"


def _assert_every_raw_row_accounted_for(
    raw: Path, logs: dict, delivered: list[str], database: Path
) -> None:
    """Clean + rejected + removed duplicates = raw rows, per log and day, per
    file and day, and per file."""
    raw_per_day, raw_per_file_day, raw_per_file = _raw_counts(raw, logs, delivered)
    staged_per_day, staged_per_file_day = _staged_counts(database)
    _assert_same_counts(staged_per_day, raw_per_day, "rows per (log, day)")
    _assert_same_counts(staged_per_file_day, raw_per_file_day, "rows per (log, file, day)")
    staged_per_file = Counter()
    for (log, file, _), count in staged_per_file_day.items():
        staged_per_file[log, file] += count
    _assert_same_counts(staged_per_file, raw_per_file, "rows per (log, file)")


def _assert_rejections_and_attribution_match(raw: Path, database: Path, expected: dict) -> None:
    """The same rows rejected for the same reasons from the same files, and
    engagements attributed (or not, and why) alike."""
    tables = read_tables(database, ["stg_feed__rejected_rows", "int_engagements_attributed"])
    columns = ["source_name", "source_file", "reject_reason"]
    got = Counter(tables["stg_feed__rejected_rows"][columns].itertuples(index=False, name=None))
    want_rows = expected["rejected"].assign(
        source_name=expected["rejected"]["source"],
        source_file=[
            Path(file).relative_to(raw).as_posix() for file in expected["rejected"]["file"]
        ],
    )
    want = Counter(want_rows[columns].itertuples(index=False, name=None))
    _assert_same_counts(got, want, "rejected rows per (log, file, reason)")
    attributed = tables["int_engagements_attributed"]["unattributed_reason"]
    want_attributed = expected["engagement_attribution"]["unattributed_reason"]
    _assert_same_counts(
        Counter(attributed.fillna("attributed")),
        Counter(want_attributed.fillna("attributed")),
        "engagements per attribution",
    )


def _assert_the_stream_collapses_to_the_marts_labels(database: Path, rate: float) -> None:
    """On the mature days, the stream collapsed (an example's positive row replaces
    its negative one) gives exactly the labels of the split marts' rows it shares
    with them; drawing every example, exactly each day's examples and positives."""
    with duckdb.connect(str(database), read_only=True) as connection:
        collapsed = """
            select task, user_id, tweet_id, event_date, max(label) as label, count(*) as rows_
            from stream_examples group by task, user_id, tweet_id, event_date
        """
        disagreeing = connection.execute(f"""
            with collapsed as ({collapsed}),
            marts as (
                select task, user_id, tweet_id, event_date, label from train_examples
                union all select task, user_id, tweet_id, event_date, label from validation_examples
                union all select task, user_id, tweet_id, event_date, label from test_examples
            )
            select count(*) filter (where collapsed.label <> marts.label),
                count(collapsed.label),
                count(*)
            from marts
            left join collapsed using (task, user_id, tweet_id, event_date)
        """).fetchone()
        assert disagreeing[0] == 0, f"{disagreeing[0]} mart rows whose stream label differs"
        if rate == 1.0:
            assert disagreeing[1] == disagreeing[2] > 0, "mart rows missing from the stream"
            per_day = connection.execute(f"""
                with collapsed as ({collapsed}),
                stream_days as (
                    select task, event_date, count(*) as examples, sum(label) as positives,
                        count(*) filter (where rows_ <> 1 + label) as odd
                    from collapsed group by task, event_date
                )
                select count(*) filter (where stream_days.examples is distinct from stats.examples
                        or stream_days.positives is distinct from stats.positives
                        or stream_days.odd <> 0),
                    count(*)
                from daily_label_stats as stats
                left join stream_days using (task, event_date)
            """).fetchone()
            assert per_day[0] == 0, f"{per_day[0]} mature days whose collapsed stream differs"


@settings.get_profile("feed_properties")
@given(example=dirty_logs())
def test_dirty_logs_reconcile_and_match_the_recomputation(example: dict):
    logs, dbt_vars = example["logs"], example["vars"]
    note(f"vars: {dbt_vars}\ntimestamps stored: {example['timestamp_storage']}")
    note(f"delivered in this order: {example['delivered']}")
    for log, rows in logs.items():
        note(f"{log}:\n  " + "\n  ".join(str(row) for row in rows))
    with tempfile.TemporaryDirectory(prefix="feed_properties_") as work:
        work_dir = Path(work)
        raw = work_dir / "raw"
        _write(raw, logs, example["timestamp_storage"], example["delivered"])
        database = work_dir / "feed.duckdb"
        build(raw, database, work_dir, dbt_vars=dbt_vars, threads=2)
        expected = recompute(raw, dbt_vars)
        assert_marts_match_reference(read_tables(database), expected)
        assert_stream_matches_reference(database, expected)
        _assert_the_stream_collapses_to_the_marts_labels(database, dbt_vars["stream_sampling_rate"])
        _assert_rejections_and_attribution_match(raw, database, expected)
        _assert_every_raw_row_accounted_for(raw, logs, example["delivered"], database)


TASKS = ("like", "reply", "retweet", "quote", "any")
RATES = (1.0, 0.8387, 0.5, 0.25)
SIGMAS = 5.0


@st.composite
def sampling_vars(draw: st.DrawFn) -> dict:
    """A draw as a ranking team might set it: balanced or fixed per-task rates,
    under a per-user daily cap of one or two rows, or none."""
    chosen: dict = {"per_user_daily_cap": draw(st.sampled_from((1, 2, None)))}
    if draw(st.booleans()):
        chosen["sampling_mode"] = "fixed_rates"
        chosen["fixed_sampling_rates"] = {
            task: {
                "positive": draw(st.sampled_from(RATES)),
                "negative": draw(st.sampled_from(RATES)),
            }
            for task in TASKS
        }
    return chosen


def _md5_uniform(user: int, tweet: int, day: dt.date, position: int) -> float:
    """u_k of docs/semantics.md ("The hash"), default salt, first five tasks."""
    digest = hashlib.md5(f"feed-v1|0|{user}|{tweet}|{day.isoformat()}".encode()).hexdigest()
    return int(digest[6 * position : 6 * position + 6], 16) / 16777216


def _drawn_per_user(database: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """From the build: the kept rows with their class's rate, the day's stats, and
    per (task, day, user) the rows the draw kept (m) before any cap, found with
    md5 over the labeled examples of the mature days."""
    with duckdb.connect(str(database), read_only=True) as connection:
        stats = connection.execute("select * from daily_label_stats").df()
        examples = connection.execute("""
            select examples.* from int_examples_labeled as examples
            where event_date in (select event_date from daily_label_stats)
        """).df()
        kept = connection.execute("""
            select kept.task, kept.event_date, kept.user_id, kept.sample_weight,
                case when kept.label = 1 then stats.positive_sampling_rate
                    else stats.negative_sampling_rate end as class_rate
            from (
                select * from train_examples union all select * from validation_examples
                union all select * from test_examples
            ) as kept
            inner join daily_label_stats as stats using (task, event_date)
        """).df()
    rates = stats.set_index(["task", "event_date"])
    drawn = []
    for position, task in enumerate(TASKS):
        for row in examples.itertuples():
            day = pd.Timestamp(row.event_date).date()
            rate_row = rates.loc[(task, row.event_date)]
            positive = getattr(row, f"label_{task}") == 1
            rate = rate_row["positive_sampling_rate" if positive else "negative_sampling_rate"]
            if _md5_uniform(row.user_id, row.tweet_id, day, position) < rate:
                drawn.append((task, row.event_date, row.user_id, positive, rate))
    drawn = pd.DataFrame(drawn, columns=["task", "event_date", "user_id", "positive", "rate"])
    return kept, stats, drawn


def _assert_weights_undo_the_draw(database: Path, cap: int | None) -> None:
    """Exactly, per (task, day, user) with m rows drawn: min(m, cap) rows kept, and
    their weights times their classes' rates add up to m. Per (task, day, class)
    with N rows kept at rate q, the weighted count lies within SIGMAS standard
    deviations (plus one weight) of the population's count: a binomial draw's
    variance N (1 - q) / q, plus, for each user the cap reduces from m rows,
    at most m^2 / (4 cap q^2) (a hypergeometric draw of cap rows, each weighing
    m / (cap q))."""
    kept, stats, drawn = _drawn_per_user(database)
    keys = ["task", "event_date", "user_id"]
    m = drawn.groupby(keys).size().rename("m")
    got = kept.assign(undone=kept["sample_weight"] * kept["class_rate"]).groupby(keys)
    per_user = pd.concat([m, got.size().rename("rows"), got["undone"].sum()], axis=1)
    per_user = per_user.fillna(0)
    limit = per_user["m"] if cap is None else per_user["m"].clip(upper=cap)
    assert (per_user["rows"] == limit).all(), per_user[per_user["rows"] != limit]
    assert ((per_user["undone"] - per_user["m"]).abs() < 1e-9).all(), per_user
    capped = per_user[per_user["m"] > (cap or math.inf)]["m"].groupby(level=[0, 1])
    for row in stats.itertuples():
        for label_class, q in (
            ("positives", row.positive_sampling_rate),
            ("negatives", row.negative_sampling_rate),
        ):
            population = getattr(row, label_class)
            if q == 0 or population == 0:
                continue
            variance = population * (1 - q) / q
            if (row.task, row.event_date) in capped.groups:
                squares = (capped.get_group((row.task, row.event_date)) ** 2).sum()
                variance += squares / (4 * cap * q * q)
            weighted = getattr(row, f"weighted_{label_class}")
            tolerance = SIGMAS * math.sqrt(variance) + 1 / q
            assert abs(weighted - population) <= tolerance, (row.task, row.event_date, label_class)


@settings.get_profile("feed_properties")
@given(example=dirty_logs(), sampling=sampling_vars())
def test_sampling_modes_weights_undo_the_draw(example: dict, sampling: dict):
    logs, dbt_vars = example["logs"], {**example["vars"], **sampling}
    note(f"vars: {dbt_vars}")
    with tempfile.TemporaryDirectory(prefix="feed_properties_modes_") as work:
        work_dir = Path(work)
        raw = work_dir / "raw"
        _write(raw, logs, example["timestamp_storage"], example["delivered"])
        database = work_dir / "feed.duckdb"
        build(raw, database, work_dir, dbt_vars=dbt_vars, threads=2)
        assert_marts_match_reference(read_tables(database), recompute(raw, dbt_vars))
        _assert_weights_undo_the_draw(database, sampling["per_user_daily_cap"])
