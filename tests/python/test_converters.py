"""The public-dataset converters (feedpipe.datasets.recsys2020 and .mind) on small files
written here: every row written is compared with what a plain-Python reading of the
lines says it must be, every rejected line with its exact line number and reason, and
the summary with the files. The line reader is checked against Python's own split on
random bytes cut into random blocks, and line numbers end to end on a 300k-line file
read in small blocks by several DuckDB threads. A conversion killed at each rename of
its publication leaves every delivery whole with its record, or without a record, and
converting again replaces it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from feedpipe.datasets import common, mind, recsys2020
from feedpipe.datasets.common import ConversionError, LineSource, convert, delivery_names

EPOCH = dt.datetime(1970, 1, 1)
SEP = "\x01"
RECSYS_FIELDS = [
    "text_tokens",
    "hashtags",
    "tweet_id",
    "present_media",
    "present_links",
    "present_domains",
    "tweet_type",
    "language",
    "tweet_timestamp",
    "engaged_with_user_id",
    "engaged_with_user_follower_count",
    "engaged_with_user_following_count",
    "engaged_with_user_is_verified",
    "engaged_with_user_account_creation",
    "engaging_user_id",
    "engaging_user_follower_count",
    "engaging_user_following_count",
    "engaging_user_is_verified",
    "engaging_user_account_creation",
    "engagee_follows_engager",
    "reply_timestamp",
    "retweet_timestamp",
    "retweet_with_comment_timestamp",
    "like_timestamp",
]
RECSYS_LISTS = {"text_tokens", "hashtags", "present_media", "present_links", "present_domains"}
RECSYS_ACTIONS = ["reply", "retweet", "retweet_with_comment", "like"]
RECSYS_IMPRESSION_COLUMNS = [
    "user_id",
    "tweet_id",
    "impression_ts",
    "text_tokens",
    "hashtags",
    "present_media",
    "present_links",
    "present_domains",
    "tweet_type",
    "language",
    "engaged_with_user_id",
    "engaged_with_user_follower_count",
    "engaged_with_user_following_count",
    "engaged_with_user_is_verified",
    "engaged_with_user_account_creation",
    "engaging_user_follower_count",
    "engaging_user_following_count",
    "engaging_user_is_verified",
    "engaging_user_account_creation",
    "engagee_follows_engager",
    "source_line_number",
]
ENGAGEMENT_COLUMNS = ["user_id", "tweet_id", "action", "engagement_ts", "source_line_number"]
MIND_IMPRESSION_COLUMNS = [
    "user_id",
    "tweet_id",
    "impression_ts",
    "impression_id",
    "position",
    "history_length",
    "source_line_number",
]
MIND_ENGAGEMENT_COLUMNS = [
    "user_id",
    "tweet_id",
    "action",
    "engagement_ts",
    "impression_id",
    "position",
    "source_line_number",
]
REJECTED_COLUMNS = ["line_number", "reason", "detail", "line"]
ROOT = Path(__file__).resolve().parents[2]
# The RecSys converter with each rename counted: SIGKILL (no except or finally runs)
# right after the one numbered argv[1].
KILLED_AFTER_RENAME = """
import os, signal, sys
from pathlib import Path
from feedpipe.datasets import recsys2020
rename, left = Path.rename, [int(sys.argv[1])]

def rename_then_die(self, target):
    moved = rename(self, target)
    left[0] -= 1
    if left[0] == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return moved

Path.rename = rename_then_die
sys.exit(recsys2020.main(sys.argv[2:]))
"""


def _unix(moment: dt.datetime) -> str:
    return str(int((moment - EPOCH).total_seconds()))


def _from_unix(text: str) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=int(text))


def recsys_line(**values: str) -> str:
    """A training.tsv line: defaults for every field, `values` override them."""
    fields = {
        "text_tokens": "101\t1942\t18628\t102",
        "hashtags": "",
        "tweet_id": "0A1B",
        "present_media": "",
        "present_links": "",
        "present_domains": "",
        "tweet_type": "TopLevel",
        "language": "E7F038DE3EAD397AEC9193686C911677",
        "tweet_timestamp": _unix(dt.datetime(2020, 2, 6, 12)),
        "engaged_with_user_id": "B0FA488F2911701DD8EC5B1EA5E322D8",
        "engaged_with_user_follower_count": "1234",
        "engaged_with_user_following_count": "56",
        "engaged_with_user_is_verified": "false",
        "engaged_with_user_account_creation": "1276500000",
        "engaging_user_id": "C0FFEE",
        "engaging_user_follower_count": "89",
        "engaging_user_following_count": "120",
        "engaging_user_is_verified": "true",
        "engaging_user_account_creation": "1451600000",
        "engagee_follows_engager": "true",
        "reply_timestamp": "",
        "retweet_timestamp": "",
        "retweet_with_comment_timestamp": "",
        "like_timestamp": "",
    }
    unknown = set(values) - set(fields)
    assert not unknown, unknown
    fields.update(values)
    return SEP.join(fields[name] for name in RECSYS_FIELDS)


# --- plain-Python readings of the two formats (the oracle) ---------------------------


def _recsys_problem(fields: list[str]) -> tuple[str, str] | None:
    if len(fields) == 20:
        return "no_labels", "found 20 fields"
    if len(fields) != 24:
        return "wrong_field_count", f"found {len(fields)} fields, expected 24"
    values = dict(zip(RECSYS_FIELDS, fields, strict=True))
    for name in RECSYS_FIELDS:
        value = values[name]
        if name == "tweet_timestamp" or name.endswith("_creation"):
            pattern, reason = r"[0-9]{1,11}", "bad_timestamp"
        elif name.endswith("_timestamp"):
            pattern, reason = r"|[0-9]{1,11}", "bad_timestamp"  # empty: no engagement
        elif name.endswith("_count"):
            pattern, reason = r"[0-9]{1,18}", "bad_field"
        elif name.endswith("_verified") or name == "engagee_follows_engager":
            pattern, reason = r"true|false", "bad_field"
        else:
            continue
        if not re.fullmatch(pattern, value):
            return reason, f"{name} = '{value}'"
    return None


def recsys_expected(lines: list[str]):
    """Impressions, engagements and rejects (line, reason, detail) the lines imply."""
    impressions, engagements, rejected = [], [], []
    for number, line in enumerate(lines, start=1):
        if line == "":
            rejected.append((number, "blank_line", "empty line"))
            continue
        fields = line.split(SEP)
        problem = _recsys_problem(fields)
        if problem:
            rejected.append((number, *problem))
            continue
        values = dict(zip(RECSYS_FIELDS, fields, strict=True))
        shown = _from_unix(values["tweet_timestamp"])
        row = {
            "user_id": values["engaging_user_id"] or None,
            "tweet_id": values["tweet_id"] or None,
        }
        row["impression_ts"] = shown
        for name in RECSYS_IMPRESSION_COLUMNS[3:-1]:
            value = values[name]
            if name in RECSYS_LISTS:
                value = value.split("\t") if value else []
            elif name.endswith("_count"):
                value = int(value)
            elif name.endswith("_verified") or name == "engagee_follows_engager":
                value = value == "true"
            elif name.endswith("_creation"):
                value = _from_unix(value)
            else:
                value = value or None
            row[name] = value
        row["source_line_number"] = number
        impressions.append(row)
        for action in RECSYS_ACTIONS:
            if values[f"{action}_timestamp"]:
                engaged = _from_unix(values[f"{action}_timestamp"])
                engagements.append(
                    {
                        "user_id": row["user_id"],
                        "tweet_id": row["tweet_id"],
                        "action": action,
                        "engagement_ts": max(engaged, shown),
                        "source_line_number": number,
                        "_moved": engaged < shown,
                    }
                )
    return impressions, engagements, rejected


def mind_time(moment: dt.datetime) -> str:
    """MIND's `M/D/YYYY h:mm:ss AM/PM`, unpadded."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"


def mind_expected(lines: list[str]):
    impressions, engagements, rejected = [], [], []
    for number, line in enumerate(lines, start=1):
        if line == "":
            rejected.append((number, "blank_line", "empty line"))
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            rejected.append((number, "wrong_field_count", f"found {len(fields)} fields"))
            continue
        impression_id, user, time_text, history, candidates = fields
        try:
            shown = dt.datetime.strptime(time_text, "%m/%d/%Y %I:%M:%S %p")
        except ValueError:
            rejected.append((number, "bad_timestamp", f"time = '{time_text}'"))
            continue
        tokens = [token for token in candidates.split(" ") if token]
        labelled = [re.fullmatch(r"(.+)-([01])", token) for token in tokens]
        if not tokens:
            rejected.append((number, "no_candidates", "empty"))
            continue
        if any(labelled) and not all(labelled):
            offending = next(t for t, m in zip(tokens, labelled, strict=True) if not m)
            rejected.append((number, "bad_label", offending))
            continue
        if not any(labelled):
            dashed = [token for token in tokens if "-" in token]
            if dashed:
                rejected.append((number, "bad_label", dashed[0]))
            else:
                rejected.append((number, "no_labels", "no token has a label"))
            continue
        for position, match in enumerate(labelled, start=1):
            row = {
                "user_id": user or None,
                "tweet_id": match.group(1),
                "impression_ts": shown,
                "impression_id": impression_id or None,
                "position": position,
                "history_length": len([item for item in history.split(" ") if item]),
                "source_line_number": number,
            }
            impressions.append(row)
            if match.group(2) == "1":
                engagements.append(
                    {
                        "user_id": row["user_id"],
                        "tweet_id": row["tweet_id"],
                        "action": "click",
                        "engagement_ts": shown,
                        "impression_id": row["impression_id"],
                        "position": position,
                        "source_line_number": number,
                    }
                )
    return impressions, engagements, rejected


# --- reading what a conversion wrote ---------------------------------------------------


def _by_day(rows: list[dict], column: str) -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        days[row[column].date().isoformat()].append({k: v for k, v in row.items() if k[0] != "_"})
    return dict(days)


def _written(out: Path, log: str, name: str) -> dict[str, list[dict]]:
    folder = out / log / name
    if not folder.exists():
        return {}
    return {path.stem: pq.read_table(path).to_pylist() for path in sorted(folder.iterdir())}


def _rejected(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / "rejected_lines" / f"{name}.parquet").to_pylist()


def _assert_conversion(out: Path, name: str, lines: list[str], summary: dict, expected) -> None:
    """Files, rows, rejects and summary of the delivery `name` against `expected`."""
    impressions, engagements, rejected = expected
    want_impressions = _by_day(impressions, "impression_ts")
    want_engagements = _by_day(engagements, "engagement_ts")
    assert _written(out, "impressions", name) == want_impressions
    assert _written(out, "engagements", name) == want_engagements

    got_rejected = _rejected(out, name)
    assert [(r["line_number"], r["reason"]) for r in got_rejected] == [
        (number, reason) for number, reason, _ in rejected
    ]
    for row, (number, _, detail) in zip(got_rejected, rejected, strict=True):
        assert detail in row["detail"], (row, detail)
        assert row["line"] == lines[number - 1]

    assert summary == json.loads((out / "conversions" / f"{name}.json").read_text())
    assert summary["lines_read"] == len(lines)
    assert summary["lines_rejected"] == len(rejected)
    assert summary["lines_converted"] == len(lines) - len(rejected)
    assert summary["lines_read"] == summary["lines_converted"] + summary["lines_rejected"]
    assert summary["rejected_by_reason"] == dict(sorted(Counter(r for _, r, _ in rejected).items()))
    assert summary["impressions_written"] == len(impressions)
    assert summary["engagements_written"] == len(engagements)
    by_action = Counter(row["action"] for row in engagements)
    assert {a: n for a, n in summary["engagements_written_by_action"].items() if n} == by_action
    days = sorted({*want_impressions, *want_engagements})
    assert summary["days"] == {"first": days[0], "last": days[-1]}
    listed = {file["path"]: file["rows"] for file in summary["files"]}
    assert listed == {
        **{f"impressions/{name}/{d}.parquet": len(r) for d, r in want_impressions.items()},
        **{f"engagements/{name}/{d}.parquet": len(r) for d, r in want_engagements.items()},
        f"rejected_lines/{name}.parquet": len(rejected),
    }
    # Nothing left behind: the staging folder is gone.
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def _write(path: Path, lines: list[str]) -> list[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return lines


# --- RecSys 2020 -------------------------------------------------------------------------


def _recsys_lines() -> list[str]:
    rng = random.Random(7)
    start = dt.datetime(2020, 2, 6)
    last_second = dt.datetime(2020, 2, 6, 23, 59, 59)
    midnight = dt.datetime(2020, 2, 7)
    lines = []
    for index in range(60):
        shown = start + dt.timedelta(seconds=rng.randrange(3 * 86400))
        engaged = {
            f"{action}_timestamp": _unix(shown + dt.timedelta(seconds=rng.randrange(1, 40 * 3600)))
            for action in RECSYS_ACTIONS
            if rng.random() < 0.3
        }
        lines.append(
            recsys_line(
                tweet_id=f"{rng.getrandbits(64):016X}",
                engaging_user_id=f"{rng.getrandbits(64):016X}",
                tweet_timestamp=_unix(shown),
                hashtags="\t".join(f"H{i}{index}" for i in range(rng.randrange(3))),
                present_media="\t".join(rng.choice(["Photo", "Video", "GIF"]) for _ in range(2))
                if rng.random() < 0.3
                else "",
                engaging_user_is_verified=rng.choice(["true", "false"]),
                engaged_with_user_follower_count=str(rng.randrange(10**7)),
                **engaged,
            )
        )
    lines += [
        # 61: every list field empty, a like one second later, on the next day.
        recsys_line(
            text_tokens="", tweet_timestamp=_unix(last_second), like_timestamp=_unix(midnight)
        ),
        # 62: at midnight, with several engagements.
        recsys_line(
            tweet_timestamp=_unix(midnight),
            reply_timestamp=_unix(midnight + dt.timedelta(hours=30)),
            retweet_timestamp=_unix(midnight + dt.timedelta(hours=1)),
            like_timestamp=_unix(midnight + dt.timedelta(hours=1)),
        ),
        # 63: a like five minutes before the tweet: written at the tweet's time.
        recsys_line(
            tweet_timestamp=_unix(midnight),
            like_timestamp=_unix(last_second - dt.timedelta(minutes=5)),
        ),
        "",  # 64
        SEP.join(["x"] * 7),  # 65
        SEP.join(recsys_line().split(SEP)[:20]),  # 66: the test split
        recsys_line(tweet_timestamp="1.5e9"),  # 67
        recsys_line(retweet_with_comment_timestamp="-15"),  # 68
        recsys_line(engaging_user_account_creation=""),  # 69
        recsys_line(engaged_with_user_follower_count=" 12"),  # 70
        recsys_line(engagee_follows_engager="True"),  # 71
        # 72, 73: written, with null IDs (the dbt project rejects them).
        recsys_line(engaging_user_id="", like_timestamp=_unix(midnight)),
        recsys_line(tweet_id="", tweet_type=""),
        # 74, 75: the same user and tweet twice.
        recsys_line(tweet_id="SAME", engaging_user_id="TWICE"),
        recsys_line(tweet_id="SAME", engaging_user_id="TWICE", retweet_timestamp=_unix(midnight)),
        SEP.join(["x"] * 25),  # 76
    ]
    return lines


def test_recsys_writes_what_each_line_says(tmp_path: Path):
    lines = _write(tmp_path / "in" / "training.tsv", _recsys_lines())
    out = tmp_path / "raw"
    summary = convert(recsys2020.DATASET, tmp_path / "in" / "training.tsv", out, "training")
    expected = recsys_expected(lines)
    _assert_conversion(out, "training", lines, summary, expected)
    assert [number for number, *_ in expected[2]] == [*range(64, 72), 76]
    assert {reason for _, reason, _ in expected[2]} >= {
        "blank_line",
        "wrong_field_count",
        "no_labels",
        "bad_timestamp",
        "bad_field",
    }

    first = pq.read_table(sorted((out / "impressions" / "training").iterdir())[0])
    assert first.column_names == RECSYS_IMPRESSION_COLUMNS
    assert [str(first.schema.field(c).type) for c in ("impression_ts", "text_tokens")] == [
        "timestamp[us]",
        "list<element: string>",
    ]
    engagement_file = sorted((out / "engagements" / "training").iterdir())[0]
    assert pq.read_table(engagement_file).column_names == ENGAGEMENT_COLUMNS
    assert pq.read_table(out / "rejected_lines" / "training.parquet").column_names == (
        REJECTED_COLUMNS
    )

    # The odd lines, by hand.
    rows = {
        row["source_line_number"]: row
        for day in _written(out, "impressions", "training").values()
        for row in day
    }
    assert rows[61]["text_tokens"] == [] and rows[61]["hashtags"] == []
    assert rows[61]["impression_ts"] == dt.datetime(2020, 2, 6, 23, 59, 59)
    assert rows[62]["impression_ts"] == dt.datetime(2020, 2, 7)
    assert rows[72]["user_id"] is None and rows[73]["tweet_id"] is None
    assert rows[73]["tweet_type"] is None
    engaged = [
        (row["source_line_number"], row["action"], row["engagement_ts"])
        for day in _written(out, "engagements", "training").values()
        for row in day
        if row["source_line_number"] in {61, 62, 63}
    ]
    assert sorted(engaged) == [
        (61, "like", dt.datetime(2020, 2, 7)),
        (62, "like", dt.datetime(2020, 2, 7, 1)),
        (62, "reply", dt.datetime(2020, 2, 8, 6)),
        (62, "retweet", dt.datetime(2020, 2, 7, 1)),
        (63, "like", dt.datetime(2020, 2, 7)),
    ]
    assert summary["engagements_moved_to_impression_time"] == 1
    delays = [
        (row["engagement_ts"] - impression["impression_ts"]).total_seconds() / 3600
        for row in expected[1]
        for impression in [rows[row["source_line_number"]]]
    ]
    assert summary["max_engagement_delay_hours"] == pytest.approx(max(delays), abs=1e-3)
    assert set(summary["engagements_written_by_action"]) == set(RECSYS_ACTIONS)
    details = {r["line_number"]: r["detail"] for r in _rejected(out, "training")}
    assert details[65] == "found 7 fields, expected 24"
    assert details[67] == "tweet_timestamp = '1.5e9'"
    assert details[68] == "retweet_with_comment_timestamp = '-15'"
    assert details[69] == "engaging_user_account_creation = ''"
    assert details[70] == "engaged_with_user_follower_count = ' 12'"
    assert details[71] == "engagee_follows_engager = 'True'"


def test_recsys_command_line_prints_the_summary(tmp_path: Path, capsys):
    _write(
        tmp_path / "training.tsv", [recsys_line(like_timestamp=_unix(dt.datetime(2020, 2, 6, 13)))]
    )
    out = tmp_path / "raw"
    assert (
        recsys2020.main(
            [str(tmp_path / "training.tsv"), "--out", str(out), "--memory-limit", "1GB"]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["impressions_written"] == 1
    assert printed["engagements_written_by_action"] == {
        "like": 1,
        "reply": 0,
        "retweet": 0,
        "retweet_with_comment": 0,
    }
    assert printed["files"][0]["path"] == "impressions/training/2020-02-06.parquet"
    assert printed == json.loads((out / "conversions" / "training.json").read_text())


# --- MIND --------------------------------------------------------------------------------


def _mind_lines() -> list[str]:
    rng = random.Random(8)
    start = dt.datetime(2019, 11, 9)
    lines = []

    def add(user: str, moment: dt.datetime, candidates: str, history: str = "") -> None:
        lines.append(f"{len(lines) + 1}\t{user}\t{mind_time(moment)}\t{history}\t{candidates}")

    for _ in range(50):
        shown = rng.sample(range(1, 500), rng.randrange(1, 9))
        add(
            f"U{rng.randrange(1, 30)}",
            start + dt.timedelta(seconds=rng.randrange(3 * 86400)),
            " ".join(f"N{item}-{int(rng.random() < 0.3)}" for item in shown),
            " ".join(f"N{rng.randrange(1, 500)}" for _ in range(rng.randrange(4))),
        )
    add("U900", dt.datetime(2019, 11, 10, 8), "N1-0 N2-1")  # 51
    add("U900", dt.datetime(2019, 11, 10, 21, 30), "N1-1 N3-0")  # 52: same user and news
    add("U901", dt.datetime(2019, 11, 11, 23, 59, 59), "N1-1", "N5 N6")  # 53: 11:59:59 PM
    add("U901", dt.datetime(2019, 11, 12, 0, 0, 0), "N1-0  N7-1 ")  # 54: 12:00:00 AM
    add("U902", dt.datetime(2019, 11, 12, 12, 0, 0), "N1 N2")  # 55: test split
    lines.append("56\tU903\t11/12/2019 1:00:00 PM\tN1-1")  # 56: four fields
    add("U904", start, "N1-2 N2-0")  # 57: a bad label
    add("U905", start, "N1-1 N2")  # 58: labels mixed with none
    lines.append("59\tU906\t2019-11-12 13:00:00\t\tN1-1")  # 59: another time format
    lines.append("")  # 60
    add("U907", start, " ")  # 61: no candidates
    add("", start, "N8-1")  # 62: no user: written, null
    add("U908", start, "N1 N2-x")  # 63: no label, but a dash
    return lines


def test_mind_writes_what_each_line_says(tmp_path: Path):
    lines = _write(tmp_path / "behaviors.tsv", _mind_lines())
    out = tmp_path / "raw"
    summary = convert(mind.DATASET, tmp_path / "behaviors.tsv", out, "behaviors")
    expected = mind_expected(lines)
    _assert_conversion(out, "behaviors", lines, summary, expected)
    assert [(n, r) for n, r, _ in expected[2]] == [
        (55, "no_labels"),
        (56, "wrong_field_count"),
        (57, "bad_label"),
        (58, "bad_label"),
        (59, "bad_timestamp"),
        (60, "blank_line"),
        (61, "no_candidates"),
        (63, "bad_label"),
    ]
    details = {r["line_number"]: r["detail"] for r in _rejected(out, "behaviors")}
    assert (details[56], details[57], details[58], details[63]) == (
        "found 4 fields, expected 5",
        "N1-2",
        "N2",
        "N2-x",
    )
    days = _written(out, "impressions", "behaviors")
    twice = [
        (row["impression_ts"], row["tweet_id"])
        for row in days["2019-11-10"]
        if row["user_id"] == "U900"
    ]
    assert twice == [
        (dt.datetime(2019, 11, 10, 8), "N1"),
        (dt.datetime(2019, 11, 10, 8), "N2"),
        (dt.datetime(2019, 11, 10, 21, 30), "N1"),
        (dt.datetime(2019, 11, 10, 21, 30), "N3"),
    ]
    assert [r["tweet_id"] for r in days["2019-11-11"] if r["source_line_number"] == 53] == ["N1"]
    assert [
        (r["tweet_id"], r["position"]) for r in days["2019-11-12"] if r["source_line_number"] == 54
    ] == [
        ("N1", 1),
        ("N7", 2),
    ]
    first = pq.read_table(out / "impressions" / "behaviors" / "2019-11-10.parquet")
    assert first.column_names == MIND_IMPRESSION_COLUMNS
    assert str(first.schema.field("position").type) == "int32"
    clicks = pq.read_table(out / "engagements" / "behaviors" / "2019-11-10.parquet")
    assert clicks.column_names == MIND_ENGAGEMENT_COLUMNS
    assert set(clicks.column("action").to_pylist()) == {"click"}
    assert summary["click_rate"] == pytest.approx(len(expected[1]) / len(expected[0]), abs=1e-6)


# --- both: names, re-runs, failures, odd files ---------------------------------------


def test_delivery_names():
    train, dev = Path("MINDlarge_train/behaviors.tsv"), Path("MINDlarge_dev/behaviors.tsv")
    assert delivery_names([train]) == ["behaviors"]
    assert delivery_names([train, dev]) == ["MINDlarge_train-behaviors", "MINDlarge_dev-behaviors"]
    assert delivery_names([Path("training.tsv.gz"), Path("val.tsv")]) == ["training", "val"]
    assert delivery_names([Path("my file (1).tsv")]) == ["my_file_1_"]
    assert delivery_names([train], "train") == ["train"]
    with pytest.raises(ConversionError):
        delivery_names([train, dev], "x")
    with pytest.raises(ConversionError):
        delivery_names([train], "../x")
    with pytest.raises(ConversionError):
        delivery_names([train, train])


def test_a_second_input_adds_a_delivery_and_a_rerun_replaces_its_own(tmp_path: Path, capsys):
    train = tmp_path / "MINDsmall_train" / "behaviors.tsv"
    dev = tmp_path / "MINDsmall_dev" / "behaviors.tsv"
    _write(train, [f"1\tU1\t{mind_time(dt.datetime(2019, 11, 9, 10))}\t\tN1-1 N2-0"])
    _write(dev, [f"1\tU2\t{mind_time(dt.datetime(2019, 11, 15, 10))}\t\tN3-0"])
    out = tmp_path / "raw"
    assert mind.main([str(train), str(dev), "--out", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "engagements/MINDsmall_train-behaviors/2019-11-09.parquet",
        "impressions/MINDsmall_dev-behaviors/2019-11-15.parquet",
        "impressions/MINDsmall_train-behaviors/2019-11-09.parquet",
        "rejected_lines/MINDsmall_dev-behaviors.parquet",
        "rejected_lines/MINDsmall_train-behaviors.parquet",
    ]
    # dev alone, under the name it got: a re-run of that delivery.
    assert mind.main([str(dev), "--out", str(out), "--name", "MINDsmall_dev-behaviors"]) == 0
    # A re-run of train on a changed file replaces train's days, and only those.
    _write(train, [f"1\tU1\t{mind_time(dt.datetime(2019, 11, 10, 10))}\t\tN1-0", ""])
    assert mind.main([str(train), str(dev), "--out", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "impressions/MINDsmall_dev-behaviors/2019-11-15.parquet",
        "impressions/MINDsmall_train-behaviors/2019-11-10.parquet",
        "rejected_lines/MINDsmall_dev-behaviors.parquet",
        "rejected_lines/MINDsmall_train-behaviors.parquet",
    ]
    assert [r["reason"] for r in _rejected(out, "MINDsmall_train-behaviors")] == ["blank_line"]
    # Another file under a name OUT already uses for a different input is refused.
    other = tmp_path / "elsewhere" / "behaviors.tsv"
    _write(other, [f"1\tU9\t{mind_time(dt.datetime(2019, 11, 16, 10))}\t\tN9-1"])
    assert mind.main([str(other), "--out", str(out), "--name", "MINDsmall_dev-behaviors"]) == 1
    assert "already holds the delivery" in capsys.readouterr().err
    assert not (out / "impressions" / "MINDsmall_dev-behaviors" / "2019-11-16.parquet").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_failed_check_publishes_nothing(tmp_path: Path):
    lines = _write(
        tmp_path / "training.tsv", [recsys_line(), recsys_line(like_timestamp="1581000000")]
    )
    assert len(lines) == 2
    out = tmp_path / "raw"
    convert(recsys2020.DATASET, tmp_path / "training.tsv", out, "training")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    wrong = replace(
        recsys2020.DATASET,
        implied_sql=recsys2020.DATASET.implied_sql.replace("count(*) as", "count(*) + 1 as"),
    )
    with pytest.raises(ConversionError, match="impressions written"):
        convert(wrong, tmp_path / "training.tsv", out, "training")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def convert_killed_after_rename(renames: int, input_path: Path, out: Path, name: str) -> None:
    """Convert `input_path` into the delivery `name` in a process of its own, killed
    right after its `renames`-th rename: publish's renames, the delivery's previous
    files set aside, then the new ones moved in."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_AFTER_RENAME,
            str(renames),
            str(input_path),
            *("--out", str(out), "--name", name),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr


def _delivered(out: Path) -> dict[str, int]:
    """The files of OUT's deliveries (not its staging folders) and their sizes."""
    return {
        path.relative_to(out).as_posix(): path.stat().st_size
        for folder in ("impressions", "engagements", "rejected_lines")
        for path in (out / folder).rglob("*")
        if path.is_file()
    }


def _recorded_deliveries_are_whole(out: Path) -> None:
    """What the refresh reads: a delivery with a record holds exactly its record's
    files; OUT is marked as a folder converters write, so the refresh skips the
    deliveries without one."""
    records = list((out / "conversions").glob("*.json"))
    assert (out / "conversions" / "README.md").is_file()
    delivered = _delivered(out)
    for record in records:
        name = record.stem
        listed = {f["path"]: f["bytes"] for f in json.loads(record.read_text())["files"]}
        held = {
            path: size
            for path, size in delivered.items()
            if path.split("/")[1] == name or path == f"rejected_lines/{name}.parquet"
        }
        assert held == listed, name


RECSYS_DAY = dt.datetime(2020, 2, 6, 12)
TRAINING = [recsys_line(tweet_id="T1", like_timestamp=_unix(RECSYS_DAY))]
TRAINING_AGAIN = [
    recsys_line(
        tweet_id="T2",
        tweet_timestamp=_unix(RECSYS_DAY + dt.timedelta(days=1)),
        retweet_timestamp=_unix(RECSYS_DAY + dt.timedelta(days=1, hours=2)),
    ),
    SEP.join(["x"] * 7),
]
VAL = [
    recsys_line(tweet_id="V1", tweet_timestamp=_unix(RECSYS_DAY + dt.timedelta(days=2))),
    recsys_line(tweet_id="V2", reply_timestamp=_unix(RECSYS_DAY + dt.timedelta(days=3))),
]


@pytest.mark.kill
@pytest.mark.parametrize(
    ("renames", "name", "lines"),
    # A new delivery moves in 4 things (impressions, engagements, rejected lines, record);
    # a delivery converted again first sets its 4 previous ones aside.
    [(n, "val", VAL) for n in range(1, 5)] + [(n, "training", TRAINING_AGAIN) for n in range(1, 9)],
)
def test_a_conversion_killed_at_any_rename_leaves_no_half_recorded_delivery_and_reruns(
    tmp_path: Path, renames: int, name: str, lines: list[str]
):
    out, clean = tmp_path / "raw", tmp_path / "clean"
    training, later = tmp_path / "training.tsv", tmp_path / f"{name}.tsv"
    _write(training, TRAINING)
    convert(recsys2020.DATASET, training, out, "training")
    _write(later, lines)
    convert_killed_after_rename(renames, later, out, name)
    _recorded_deliveries_are_whole(out)
    # Converting the same input again replaces what the killed run left, and OUT
    # then holds what a conversion that was never killed writes.
    convert(recsys2020.DATASET, later, out, name)
    if name != "training":
        convert(recsys2020.DATASET, training, clean, "training")
    convert(recsys2020.DATASET, later, clean, name)
    assert _delivered(out) == _delivered(clean)
    for path in _delivered(clean):
        assert (out / path).read_bytes() == (clean / path).read_bytes(), path
    _recorded_deliveries_are_whole(out)


def test_a_converter_refuses_a_raw_folder_an_upstream_job_fills(tmp_path: Path):
    """A raw folder without conversions/ has every file read; a converter refuses one
    that holds impressions or engagements (its record rule would hide them) and
    writes nothing there."""
    out = tmp_path / "raw"
    upstream = out / "engagements" / "2020-02-06.parquet"
    upstream.parent.mkdir(parents=True)
    upstream.write_bytes(b"PAR1")
    _write(tmp_path / "training.tsv", TRAINING)
    with pytest.raises(ConversionError, match="engagements files but no conversions/ folder"):
        convert(recsys2020.DATASET, tmp_path / "training.tsv", out, "training")
    assert [p.relative_to(out).as_posix() for p in out.rglob("*")] == [
        "engagements",
        "engagements/2020-02-06.parquet",
    ]


def test_odd_files_crlf_gzip_no_final_newline_bad_bytes_empty(tmp_path: Path):
    good = f"1\tU1\t{mind_time(dt.datetime(2019, 11, 9, 10))}\t\tN1-1 N2-0"
    body = (good + "\r\n" + "\r\n" + "2\tU2\xff\r\n" + good).encode("latin-1")
    (tmp_path / "crlf.tsv").write_bytes(body)
    with gzip.open(tmp_path / "zipped.tsv.gz", "wb") as handle:
        handle.write(body)
    (tmp_path / "empty.tsv").write_bytes(b"")
    for name in ("crlf.tsv", "zipped.tsv.gz"):
        summary = convert(mind.DATASET, tmp_path / name, tmp_path / "raw", name.split(".")[0])
        assert (summary["lines_read"], summary["impressions_written"]) == (4, 4)
        rejected = _rejected(tmp_path / "raw", name.split(".")[0])
        assert [(r["line_number"], r["reason"], r["line"]) for r in rejected] == [
            (2, "blank_line", ""),
            (3, "bad_encoding", "2\\x09U2\\xFF\\x0D"),
        ]
        written = _written(tmp_path / "raw", "impressions", name.split(".")[0])
        assert [r["source_line_number"] for r in written["2019-11-09"]] == [1, 1, 4, 4]
    empty = convert(mind.DATASET, tmp_path / "empty.tsv", tmp_path / "raw", "empty")
    assert (empty["lines_read"], empty["files"][0]["rows"]) == (0, 0)
    assert empty["days"] == {"first": None, "last": None}
    assert _rejected(tmp_path / "raw", "empty") == []


def _python_lines(data: bytes) -> list[bytes]:
    """Python's reading: split at \\n, a final \\n ends the last line, CR before LF dropped."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def test_line_source_numbers_lines_like_python_whatever_the_blocks(tmp_path: Path):
    rng = random.Random(3)
    path = tmp_path / "lines.bin"
    alphabet = [b"a", b"b", b"\n", b"\n", b"\r", b"\x01", b"\t", b"\xc3\xa9"]
    for case in range(300):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        if case % 7 == 0:
            data += b"x" * rng.randrange(1, 300)  # a line longer than several blocks
        path.write_bytes(data)
        source = LineSource(path, chunk_bytes=rng.randrange(1, 40))
        table = source.reader().read_all()
        got = table.column("line").to_pylist()
        got = [line[:-1] if line.endswith(b"\r") else line for line in got]
        assert got == _python_lines(data), (case, data)
        assert table.column("line_number").to_pylist() == list(range(1, len(got) + 1))
        assert source.lines_read == len(got) and source.finished


def test_line_numbers_on_a_large_file_read_in_small_blocks_by_many_threads(tmp_path: Path):
    """300k lines cut into ~300 blocks, parsed by 4 DuckDB threads: every rejected line
    has its own number, and every row its line's (written into its ids)."""
    rng = random.Random(11)
    count = 300_000
    bad = {1, count, *rng.sample(range(2, count), 40)}
    kinds = ["", "{n}\tU\t11/9/2019 1:00:00 AM\tN{n}-1", "{n}\tU\t99/9/2019 1:00:00 AM\t\tN{n}-1"]
    want = {}
    path = tmp_path / "behaviors.tsv"
    with path.open("w") as handle:
        for n in range(1, count + 1):
            if n in bad:
                # (A blank last line without a newline would be no line at all.)
                kind = rng.randrange(1 if n == count else 0, len(kinds))
                want[n] = ["blank_line", "wrong_field_count", "bad_timestamp"][kind]
                line = kinds[kind].format(n=n)
            else:
                moment = dt.datetime(2019, 11, 9, 15) + dt.timedelta(seconds=n % 3600)
                line = f"{n}\tU{n % 977}\t{mind_time(moment)}\t\tN{n}-{n % 2}"
            handle.write(line + ("\n" if n < count else ""))  # the last line has no newline
    out = tmp_path / "raw"
    summary = convert(mind.DATASET, path, out, "behaviors", threads=4, chunk_bytes=50_000)
    assert summary["lines_read"] == count
    rejected = _rejected(out, "behaviors")
    assert {r["line_number"]: r["reason"] for r in rejected} == want
    assert all(r["line"].startswith(f"{r['line_number']}\t") for r in rejected if r["line"])
    table = pq.read_table(out / "impressions" / "behaviors" / "2019-11-09.parquet")
    numbers = table.column("source_line_number").to_pylist()
    assert numbers == sorted(set(range(1, count + 1)) - set(want))
    assert table.column("impression_id").to_pylist() == [str(n) for n in numbers]
    assert table.column("tweet_id").to_pylist() == [f"N{n}" for n in numbers]
    clicks = pq.read_table(out / "engagements" / "behaviors" / "2019-11-09.parquet")
    assert clicks.column("source_line_number").to_pylist() == [n for n in numbers if n % 2]


def test_a_line_too_long_stops_the_conversion(tmp_path: Path, monkeypatch):
    """A file without newlines (the wrong file) is not held in memory: a line longer
    than MAX_LINE_BYTES stops the conversion, naming the line."""
    monkeypatch.setattr(common, "MAX_LINE_BYTES", 1000)
    good = recsys_line()
    _write(tmp_path / "training.tsv", [good, good, "x" * 1001, good])
    with pytest.raises(ConversionError, match="line 3 is longer than 1,000 bytes"):
        convert(recsys2020.DATASET, tmp_path / "training.tsv", tmp_path / "raw", "training")
    assert list((tmp_path / "raw").iterdir()) == []
    _write(tmp_path / "training.tsv", [good, "x" * 1000])
    summary = convert(recsys2020.DATASET, tmp_path / "training.tsv", tmp_path / "raw", "training")
    assert summary["lines_rejected"] == 1
    for chunk_bytes in (10, 999, 5000):
        source = LineSource(tmp_path / "training.tsv", chunk_bytes, max_line_bytes=999)
        with pytest.raises(ConversionError, match="line 2 is longer"):
            source.reader().read_all()
