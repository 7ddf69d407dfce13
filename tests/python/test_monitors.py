"""Daily monitors: on clean generated logs no day is outside its expected range
(five weeks, and the first two weeks of two other seeds); most of one action
dropped on one day (on the tenth day of a history too), or one day's impressions
doubled, puts that day outside, and the run's log names the day, the quantity, the
value and the range (in a refresh too); with monitor_severity error the run fails.
A day is compared with the previous days until three same weekdays came before it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dbt_harness import build, deliver_day, run_dbt

from feedpipe.generate import generate
from feedpipe.report import render

pytestmark = pytest.mark.slow

START = dt.date(2026, 1, 5)
DAYS = 35  # five weeks: the last week's days have four weeks of reference
BROKEN_DAY = START + dt.timedelta(days=DAYS - 4)
LAST_DAY = START + dt.timedelta(days=DAYS - 1)
FIRST_DAYS = 14  # a new deployment's first two weeks: no same weekday three times yet


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("monitor_logs") / "raw"
    generate(
        raw, days=DAYS, start=START, impressions_per_day=3_000, users=800, tweets=1_500, seed=3
    )
    return raw


@pytest.fixture(
    scope="module",
    params=[(5, START), (11, START + dt.timedelta(days=1))],
    ids=["seed5-monday", "seed11-tuesday"],
)
def first_days_logs(request: pytest.FixtureRequest, tmp_path_factory) -> tuple[Path, dt.date]:
    """A new deployment's first two weeks, from a Monday and from a Tuesday (then
    the second Saturday's previous days hold one weekend in eleven days)."""
    seed, start = request.param
    raw = tmp_path_factory.mktemp("first_days_logs") / "raw"
    generate(
        raw,
        days=FIRST_DAYS,
        start=start,
        impressions_per_day=10_000,
        users=2_000,
        tweets=4_000,
        seed=seed,
    )
    return raw, start


def _drop_most_likes(raw: Path, day: dt.date) -> None:
    """Keep one like in ten on `day`, as after a client release that stops
    sending most of them."""
    path = raw / "engagements" / f"{day}.parquet"
    table = pq.read_table(path)
    is_like = pc.equal(table["action"], "like").to_pylist()
    keep = [not like or position % 10 == 0 for position, like in enumerate(is_like)]
    pq.write_table(table.filter(pa.array(keep)), path)


def _double_impressions(raw: Path, day: dt.date) -> None:
    """A second copy of the day's impressions, each a second later: a client
    that sends every impression twice (exact duplicates would be folded)."""
    table = pq.read_table(raw / "impressions" / f"{day}.parquet")
    later = pc.add(table["impression_ts"], pa.scalar(dt.timedelta(seconds=1)))
    again = table.set_column(table.schema.get_field_index("impression_ts"), "impression_ts", later)
    pq.write_table(again, raw / "impressions" / f"{day}-again.parquet")


def _flagged(database: Path) -> set[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return set(
            connection.execute(
                "select monitored_date, metric, subject from daily_monitors where is_outside_range"
            ).fetchall()
        )


def _baselines(database: Path, metric: str) -> dict[dt.date, tuple[str, int]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select monitored_date, baseline, reference_days from daily_monitors "
            "where metric = ? and subject = ?",
            [metric, {"impressions": "impression", "engagements": "like"}[metric]],
        ).fetchall()
    return {day: (baseline, days) for day, baseline, days in rows}


def _findings(work: Path) -> list[str]:
    log = (work / "logs" / "dbt.log").read_text()
    return [line for line in log.splitlines() if "feed finding: within_expected_range" in line]


def test_clean_logs_raise_no_alarm(logs: Path, tmp_path: Path):
    database = tmp_path / "feed.duckdb"
    build(logs, database, tmp_path, threads=2)
    with duckdb.connect(str(database), read_only=True) as connection:
        ranged = connection.execute(
            "select metric, count(*) from daily_monitors where expected_low is not null "
            "group by metric"
        ).fetchall()
    # Every quantity has days with a range (so the check could fire), none outside.
    assert {metric for metric, days in ranged if days >= 7} == {
        "impressions",
        "engagements",
        "examples",
        "positive_rate",
    }
    assert _flagged(database) == set()
    assert _findings(tmp_path) == []
    assert "No day is outside its expected range" in render(database)
    # The first week has no range; then the previous days (up to 14) until three
    # same weekdays came before the day.
    baselines = _baselines(database, "impressions")
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        if offset < 7:
            want = ("none", 0)
        elif offset < 21:
            want = ("previous_days", min(offset, 14))
        else:
            want = ("same_weekday", min(offset // 7, 4))
        assert baselines[day] == want, day


def test_clean_first_weeks_raise_no_alarm(first_days_logs: tuple[Path, dt.date], tmp_path: Path):
    """A new deployment's first two weeks (two seeds): from the eighth day on every
    quantity has a range, against the previous days, and no day is outside it
    (the weekends included)."""
    raw, _ = first_days_logs
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, threads=2)
    with duckdb.connect(str(database), read_only=True) as connection:
        ranged = connection.execute(
            "select metric, baseline, count(distinct monitored_date) from daily_monitors "
            "where expected_low is not null group by metric, baseline"
        ).fetchall()
    assert {(metric, baseline) for metric, baseline, days in ranged if days >= 5} == {
        ("impressions", "previous_days"),
        ("engagements", "previous_days"),
        ("examples", "previous_days"),
        ("positive_rate", "previous_days"),
    }
    assert _flagged(database) == set()
    assert _findings(tmp_path) == []


def test_most_of_one_action_dropped_on_one_day_is_named(logs: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(logs, raw)
    _drop_most_likes(raw, BROKEN_DAY)
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, threads=2)
    flagged = _flagged(database)
    assert (BROKEN_DAY, "engagements", "like") in flagged
    assert {day for day, _, _ in flagged} == {BROKEN_DAY}
    assert {metric for _, metric, _ in flagged} <= {"engagements", "positive_rate"}
    named = f"monitored_date={BROKEN_DAY}, metric=engagements, subject=like"
    [line] = [line for line in _findings(tmp_path) if named in line]
    assert "expected_low=" in line and "expected_high=" in line


def test_most_of_one_action_dropped_on_the_tenth_day_is_named(
    first_days_logs: tuple[Path, dt.date], tmp_path: Path
):
    """Ten days of history, nine likes in ten gone on the tenth: the day is
    outside the range of the previous nine days, and the run's log names it."""
    logs, start = first_days_logs
    tenth_day = start + dt.timedelta(days=9)
    raw = tmp_path / "raw"
    for offset in range(10):
        deliver_day(logs, raw, start + dt.timedelta(days=offset))
    _drop_most_likes(raw, tenth_day)
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, threads=2)
    assert _flagged(database) == {(tenth_day, "engagements", "like")}
    assert _baselines(database, "engagements")[tenth_day] == ("previous_days", 9)
    named = f"monitored_date={tenth_day}, metric=engagements, subject=like"
    [line] = [line for line in _findings(tmp_path) if named in line]
    assert "expected_low=" in line and "expected_high=" in line


def test_one_day_of_doubled_impressions_is_named_and_can_fail_the_run(logs: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(logs, raw)
    _double_impressions(raw, BROKEN_DAY)
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path, threads=2)
    assert (BROKEN_DAY, "impressions", "impression") in _flagged(database)
    assert {day for day, _, _ in _flagged(database)} == {BROKEN_DAY}
    assert any(
        f"monitored_date={BROKEN_DAY}, metric=impressions, subject=impression" in line
        for line in _findings(tmp_path)
    )
    # The report marks the day and lists it under its volume figure.
    page = render(database)
    assert f"{BROKEN_DAY} impressions impression" in page
    # As an error, the same day stops the run.
    strict = tmp_path / "strict"
    result = run_dbt(
        ["build", "--exclude", "test_type:unit"],
        strict / "feed.duckdb",
        strict,
        {"raw_path": str(raw), "monitor_severity": "error"},
    )
    assert not result.success
    failed = [r.node.name for r in result.result if str(r.status) == "fail"]
    assert failed == ["within_expected_range_daily_monitors_"]


def test_a_refresh_names_a_broken_day_it_takes_in(logs: Path, tmp_path: Path):
    """The last day delivered with most of its likes missing: the scheduled
    refresh that takes it in warns, naming the day."""
    raw = tmp_path / "raw"
    for offset in range(DAYS - 1):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
    database = tmp_path / "feed.duckdb"
    build(raw, database, tmp_path / "history", threads=2)
    deliver_day(logs, raw, LAST_DAY)
    _drop_most_likes(raw, LAST_DAY)
    build(raw, database, tmp_path, threads=2)
    assert (LAST_DAY, "engagements", "like") in _flagged(database)
    assert any(
        f"monitored_date={LAST_DAY}, metric=engagements, subject=like" in line
        for line in _findings(tmp_path)
    )
