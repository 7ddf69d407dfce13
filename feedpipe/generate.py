"""Synthetic impression and engagement logs for the feed-ranking pipeline.

Writes one Parquet file per delivery day (see ``docs/semantics.md``)::

    OUT/impressions/YYYY-MM-DD.parquet   user_id, tweet_id, impression_ts, surface, position
    OUT/engagements/YYYY-MM-DD.parquet   user_id, tweet_id, action, engagement_ts
    OUT/truth/YYYY-MM-DD.parquet         (only with ``--truth``) see "Truth files" below

Model, per generated day ``g`` (everything vectorised; the only loops are over days, and
over the four actions):

- impressions: ``impressions_per_day`` times a weekday factor (Mon..Sun, 0.85-1.10), on a
  diurnal curve (peak ~20:00 UTC, trough ~08:00 UTC); users and tweets drawn with
  power-law popularity (tweets strongly skewed, users mildly); 5% of a day's impressions
  repeat a pair shown earlier the same day and 4% a pair shown the day before; each has a
  ``surface`` (home 82%, search 10%, profile 8%) and a ``position`` in that feed, 1 = top
  (geometric, mean ~17 on home, 4 on search, 7 on profile; at most 500);
- engagements: drawn from each impression's true probabilities (the engagement model
  below); every action drawn is one engagement row: an impression's actions in random
  order, the first after a delay, each next one 1 s plus an exponential gap (mean 60 s)
  after the one before; the delay is a mixture of lognormals (89%, median 3 minutes; 10%,
  median 2.5 hours; both kept below the label window) and 1% late (uniform in
  [window + 1 h, window + 48 h], i.e. 25-72 h for the default 24 h window); engagements at
  or after the end (``start + days``) have not happened and are not written;
- dirty rows, each kind at 0.2-1% and counted in the returned dict (keys ``imp_*`` and
  ``eng_*``): exact duplicate rows, copies of a row with a null ``user_id``,
  ``tweet_id`` or timestamp (both logs); actions in odd case / with spaces and the
  aliases favorite / comment / retweet_with_comment (these replace the spelling of real
  engagements, they are valid rows); unknown actions (bookmark, share) and null / blank
  actions; engagements with no impression before them, either on a pair that is never
  shown (its tweet id is above ``tweets``) or timestamped up to 2 h before the first ever
  impression of its pair.

Engagement model. Per user ``u`` a propensity ``b_u ~ Normal(0, SIGMA_USER = 0.8)``, per
tweet ``t`` an appeal ``c_t ~ Normal(0, SIGMA_TWEET = 1.0)`` and a creation time uniform
in the 7 days before ``start`` (every tweet exists before the first impression, since
popularity does not change over a run), all drawn once per run from the seed. An
impression ``i`` of tweet ``t`` by user ``u`` at time ``ts_i`` in feed position
``position_i`` has, for each action ``a`` in like, reply, retweet, quote::

    age_i   = (ts_i - created_t) in hours                      (> 0)
    eta_i   = b_u + c_t - AGE_SLOPE * log1p(age_i) - POSITION_SLOPE * log(position_i)
    p_a,i   = 1 / (1 + exp(-(alpha_a,g + eta_i)))              AGE_SLOPE = POSITION_SLOPE = 0.3
    p_any,i = 1 - prod_a (1 - p_a,i)

Each action is drawn independently: action ``a`` happens on impression ``i`` when a
uniform draw of its own is below ``p_a,i`` (one Bernoulli per action and impression), so
``p_any,i`` is exactly the probability that ``i`` gets at least one engagement (it is
"engaged") and two or more actions happen only by chance (~5% of engaged impressions).
The intercepts ``alpha_a,g`` are solved per day ``g`` (deterministically, no random
draws) over that day's impressions so that the day's mean ``p_a`` are in the ratio
ACTION_MIX (like 60%, retweet 20%, reply 13%, quote 7% of action rows) and the day's mean
``p_any`` is P_ENGAGE = 5% (to about 1e-7). Per-day intercepts keep the engaged share at
5% as the tweets age over a run (they rise by ~0.6 over 23 days); within a day, younger
tweets and higher positions are more engaging. The invalid-action and orphan engagement
rows are noise drawn apart from the model.

Truth files (``truth=True``, ``--truth``): ``OUT/truth/YYYY-MM-DD.parquet`` holds one row
per simulated impression of that day, in time order (the clean impressions: dirty
impression rows have no truth row; an exact duplicate is a copy of a row that has one),
with ``user_id``, ``tweet_id``, ``impression_ts``, ``position``, ``tweet_created_ts``,
``p_like``, ``p_reply``, ``p_retweet``, ``p_quote``, ``p_any`` and ``engaged`` (at least
one action was drawn, including engagements that fall at or after the end or outside the
label window, which label nothing). The file's schema metadata
``feedpipe.engagement_model`` (JSON) records the parameters and the day's intercepts. The
pipeline reads neither this folder nor the extra impression columns. Truth never changes
the logs: with or without it they are identical.

Every dirty row is exactly one kind and, apart from the respelled actions, an extra row:
the clean logs are exactly the simulated events (``impression_events`` impressions,
``engagement_events`` engagements plus the ``eng_never_shown`` / ``eng_before_impression``
orphans), so ``impressions = impression_events + sum(imp_*)`` and
``engagements = engagement_events + sum(eng_*)`` minus the respelled kinds.

Output is a pure function of the arguments: day ``g`` uses its own random stream
(``SeedSequence(seed).spawn``), so a longer run has the same first days as a shorter one
except for the engagements cut off at the end.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from feedpipe.behaviour import (
    ACTION_MIX,
    ACTIONS,
    AGE_SLOPE,
    NULL,
    P_ENGAGE,
    POSITION_SLOPE,
    SIGMA_TWEET,
    SIGMA_USER,
    SURFACES,
    US_PER_DAY,
    WEEKDAY_FACTOR,
    Block,
    Draws,
    World,
    draw_actions,
    make_world,
    simulate_engagements,
    simulate_impressions,
)
from feedpipe.dirty import ACTION_VOCAB, ENG_COPY_DIRTY, IMP_DIRTY, dirty_copies, dirty_engagements

__all__ = [
    "DEFAULT_START",
    "default_days",
    "engagement_schema",
    "generate",
    "impression_schema",
    "main",
    "truth_schema",
]

DEFAULT_START = date(2026, 1, 5)  # a Monday
DEFAULT_IMPRESSIONS_PER_DAY = 100_000
DEFAULT_USERS = 20_000
DEFAULT_TWEETS = 50_000
DEFAULT_SEED = 42
DEFAULT_LABEL_WINDOW_HOURS = 24.0
MATURE_DAYS = 21
TRUTH_ACTIONS = ("like", "reply", "retweet", "quote")  # column order of the truth files


def default_days(label_window_hours: float = DEFAULT_LABEL_WINDOW_HOURS) -> int:
    """Days needed for 21 mature days: 21 + ceil(window / 24 h) + 1."""
    return MATURE_DAYS + math.ceil(label_window_hours / 24) + 1


def _id_type(id_type: str) -> pa.DataType:
    if id_type == "int":
        return pa.int64()
    if id_type == "str":
        return pa.string()
    raise ValueError(f"id_type must be 'int' or 'str', not {id_type!r}")


def impression_schema(id_type: str = "int") -> pa.Schema:
    """Schema of an impressions file."""
    ids = _id_type(id_type)
    return pa.schema(
        [
            ("user_id", ids),
            ("tweet_id", ids),
            ("impression_ts", pa.timestamp("us")),
            ("surface", pa.string()),
            ("position", pa.int32()),
        ]
    )


def engagement_schema(id_type: str = "int") -> pa.Schema:
    """Schema of an engagements file."""
    ids = _id_type(id_type)
    return pa.schema(
        [
            ("user_id", ids),
            ("tweet_id", ids),
            ("action", pa.string()),
            ("engagement_ts", pa.timestamp("us")),
        ]
    )


def truth_schema(id_type: str = "int") -> pa.Schema:
    """Schema of a truth file (``--truth``): one row per simulated impression."""
    ids = _id_type(id_type)
    return pa.schema(
        [
            ("user_id", ids),
            ("tweet_id", ids),
            ("impression_ts", pa.timestamp("us")),
            ("position", pa.int32()),
            ("tweet_created_ts", pa.timestamp("us")),
            *((f"p_{action}", pa.float64()) for action in TRUTH_ACTIONS),
            ("p_any", pa.float64()),
            ("engaged", pa.bool_()),
        ]
    )


# --------------------------------------------------------------------------- output


def _id_array(values: np.ndarray, text: pa.Array | None) -> pa.Array:
    mask = values == NULL
    has_null = bool(mask.any())
    if text is None:
        return pa.array(values, pa.int64(), mask=mask if has_null else None)
    index = pa.array(np.where(mask, 0, values), mask=mask if has_null else None)
    return text.take(index)


def _ts_array(values: np.ndarray) -> pa.Array:
    mask = values == NULL
    if not mask.any():
        return pa.array(values.view("datetime64[us]"))
    return pa.array(np.where(mask, 0, values).view("datetime64[us]"), mask=mask)


_SURFACE_TEXT = pa.array(SURFACES, pa.string())
_ACTION_TEXT = pa.array(ACTION_VOCAB, pa.string())


def _ordered(rows: Block) -> Block:
    return rows.take(np.argsort(rows.cols["key"], kind="stable"))


def _impression_table(rows: Block, world: World, schema: pa.Schema) -> pa.Table:
    c = _ordered(rows).cols
    arrays = [
        _id_array(c["user"], world.user_text),
        _id_array(c["tweet"], world.tweet_text),
        _ts_array(c["ts"]),
        _SURFACE_TEXT.take(pa.array(c["surface"])),
        pa.array(c["position"], pa.int32()),
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _engagement_table(rows: Block | None, world: World, schema: pa.Schema) -> pa.Table:
    if rows is None or not len(rows):
        return schema.empty_table()
    c = _ordered(rows).cols
    arrays = [
        _id_array(c["user"], world.user_text),
        _id_array(c["tweet"], world.tweet_text),
        _ACTION_TEXT.take(pa.array(c["action"])),
        _ts_array(c["ts"]),
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _truth_table(imp: Block, draws: Draws, world: World, schema: pa.Schema) -> pa.Table:
    """The simulated impressions (already in time order) with their true probabilities."""
    assert draws.p is not None and draws.p_any is not None
    c = imp.cols
    p = dict(zip(ACTIONS, draws.p, strict=True))
    engaged = functools.reduce(np.logical_or, draws.hits)
    arrays = [
        _id_array(c["user"], world.user_text),
        _id_array(c["tweet"], world.tweet_text),
        _ts_array(c["ts"]),
        pa.array(c["position"], pa.int32()),
        _ts_array(world.tweet_created_us[c["tweet"]]),
        *(pa.array(p[action], pa.float64()) for action in TRUTH_ACTIONS),
        pa.array(draws.p_any, pa.float64()),
        pa.array(engaged, pa.bool_()),
    ]
    model = {
        "p_engage": P_ENGAGE,
        "action_mix": dict(zip(ACTIONS, ACTION_MIX, strict=True)),
        "sigma_user": SIGMA_USER,
        "sigma_tweet": SIGMA_TWEET,
        "age_slope": AGE_SLOPE,
        "position_slope": POSITION_SLOPE,
        "intercepts": dict(zip(ACTIONS, draws.intercepts.tolist(), strict=True)),
    }
    meta = {b"feedpipe.engagement_model": json.dumps(model, sort_keys=True).encode()}
    return pa.Table.from_arrays(arrays, schema=schema.with_metadata(meta))


def _write(table: pa.Table, path: Path, ts_column: str) -> None:
    """Write atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(
        table,
        tmp,
        # ids: random, dictionaries would not pay
        use_dictionary=[c for c in ("surface", "action") if c in table.column_names],
        column_encoding={ts_column: "DELTA_BINARY_PACKED"},  # files are in time order
    )
    os.replace(tmp, path)


# --------------------------------------------------------------------------- entry points

COUNT_KEYS = (
    "days",
    "impressions",
    "engagements",
    "impression_events",
    "engaged_impressions",
    "engagement_events",
    "engagements_not_yet_happened",
    *(f"imp_{k}" for k in IMP_DIRTY),
    *(f"eng_{k}" for k in ENG_COPY_DIRTY),
    "eng_odd_case_action",
    "eng_alias_action",
    "eng_unknown_action",
    "eng_null_action",
    "eng_never_shown",
    "eng_before_impression",
)


def generate(
    out_dir: Path,
    *,
    days: int | None = None,
    start: date | str = DEFAULT_START,
    impressions_per_day: int = DEFAULT_IMPRESSIONS_PER_DAY,
    users: int = DEFAULT_USERS,
    tweets: int = DEFAULT_TWEETS,
    seed: int = DEFAULT_SEED,
    label_window_hours: float = DEFAULT_LABEL_WINDOW_HOURS,
    id_type: str = "int",
    truth: bool = False,
) -> dict[str, int]:
    """Write the logs of ``days`` days from ``start`` under ``out_dir``; return row counts.

    Counts: ``impressions`` / ``engagements`` = rows written; ``impression_events`` =
    simulated impressions (the clean ones); ``engaged_impressions`` = impressions drawn as
    engaged (including those whose engagements fall after the end);
    ``engagement_events`` = simulated engagement rows written (respelled ones included,
    orphans and dirty copies excluded); ``engagements_not_yet_happened`` = simulated
    engagement rows dropped because at or after the end; ``imp_<kind>`` / ``eng_<kind>``
    = dirty rows written of each kind. ``days = None`` means ``default_days(window)``.

    ``truth``: also write ``out_dir/truth/YYYY-MM-DD.parquet`` (``truth_schema``), each
    simulated impression of the day with its true engagement probabilities; without it,
    truth files of the generated days are removed (they would describe other logs). The
    logs are the same either way.
    """
    if isinstance(start, str):
        start = date.fromisoformat(start)
    if days is None:
        days = default_days(label_window_hours)
    if days < 1 or impressions_per_day < 0 or users < 1 or tweets < 1:
        raise ValueError("need days >= 1, impressions_per_day >= 0, users >= 1, tweets >= 1")
    if not label_window_hours > 0:
        raise ValueError("label_window_hours must be positive")
    if (users + 1) * (2 * tweets + 1) >= 2**62:
        raise ValueError("users * tweets too large")
    imp_schema, eng_schema = impression_schema(id_type), engagement_schema(id_type)

    streams = np.random.SeedSequence(seed).spawn(days + 1)
    world = make_world(
        start, days, users, tweets, label_window_hours, id_type, np.random.default_rng(streams[0])
    )
    imp_dir, eng_dir = Path(out_dir) / "impressions", Path(out_dir) / "engagements"
    truth_dir = Path(out_dir) / "truth"
    imp_dir.mkdir(parents=True, exist_ok=True)
    eng_dir.mkdir(parents=True, exist_ok=True)
    if truth:
        truth_dir.mkdir(exist_ok=True)

    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts["days"] = days
    pending: dict[int, list[Block]] = {}
    history: list[np.ndarray] = []  # sorted distinct (user, tweet) keys shown on each day
    previous: Block | None = None
    flushed = 0

    def flush_until(last: int) -> None:
        nonlocal flushed
        for d in range(flushed, last + 1):
            chunks = pending.pop(d, [])
            rows = Block.concat(chunks) if chunks else None
            table = _engagement_table(rows, world, eng_schema)
            counts["engagements"] += table.num_rows
            _write(table, eng_dir / f"{start + timedelta(days=d)}.parquet", "engagement_ts")
        flushed = max(flushed, last + 1)

    for day in range(days):
        rng = np.random.default_rng(streams[day + 1])
        day_date = start + timedelta(days=day)
        day_us = world.start_us + day * US_PER_DAY
        n = round(impressions_per_day * WEEKDAY_FACTOR[day_date.weekday()])
        imp = simulate_impressions(rng, world, day_us, n, previous)
        counts["impression_events"] += len(imp)
        keys = world.pair_key(imp.cols["user"], imp.cols["tweet"])

        sorted_keys = np.sort(keys)
        # All of the impressions' draws come first: the engagement model cannot change them.
        dirty = dirty_copies(rng, imp, IMP_DIRTY, counts, "imp")
        draws = draw_actions(rng, world, imp, truth)
        events = simulate_engagements(rng, world, imp, draws, counts)
        eng = dirty_engagements(rng, world, day, imp, events, history, keys, sorted_keys, counts)
        eng_ts = eng.cols["ts"]
        eng_day = np.where(eng_ts == NULL, day, (eng_ts - world.start_us) // US_PER_DAY)
        for d in np.unique(eng_day).tolist():
            pending.setdefault(d, []).append(eng.take(np.flatnonzero(eng_day == d)))

        table = _impression_table(Block.concat([imp, *dirty]), world, imp_schema)
        counts["impressions"] += table.num_rows
        _write(table, imp_dir / f"{day_date}.parquet", "impression_ts")
        truth_path = truth_dir / f"{day_date}.parquet"
        if truth:
            table = _truth_table(imp, draws, world, truth_schema(id_type))
            _write(table, truth_path, "impression_ts")
        else:
            truth_path.unlink(missing_ok=True)
        del draws

        distinct = np.ones(len(sorted_keys), bool)
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=distinct[1:])
        history.append(sorted_keys[distinct])
        previous = imp
        # Later days only add rows from 2 h before their own impressions: day-1 is complete.
        flush_until(day - 1)
    flush_until(days - 1)
    return counts


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m feedpipe.generate",
        description="Write synthetic impression / engagement logs, one Parquet file a day.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--days",
        type=int,
        default=None,
        metavar="N",
        help="days to generate; default 21 + ceil(H / 24) + 1, i.e. 21 mature days",
    )
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        metavar="YYYY-MM-DD",
        help="first day (UTC)",
    )
    p.add_argument(
        "--impressions-per-day",
        type=int,
        default=DEFAULT_IMPRESSIONS_PER_DAY,
        metavar="N",
        help="mean over a week; weekdays vary by +-15%%",
    )
    p.add_argument("--users", type=int, default=DEFAULT_USERS, metavar="N", help="users")
    p.add_argument("--tweets", type=int, default=DEFAULT_TWEETS, metavar="N", help="tweets")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N", help="random seed")
    p.add_argument(
        "--label-window-hours",
        type=float,
        default=DEFAULT_LABEL_WINDOW_HOURS,
        metavar="H",
        help="label window: ~1%% of engagements come later than this",
    )
    p.add_argument(
        "--id-type", choices=("int", "str"), default="int", help="int64 IDs or 'u123' / 't456'"
    )
    p.add_argument(
        "--truth",
        action="store_true",
        help="also write DIR/truth/YYYY-MM-DD.parquet: each simulated impression with its "
        "true engagement probabilities (the pipeline does not read them)",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; prints a one-line summary."""
    args = _parse_args(argv)
    t0 = time.perf_counter()
    counts = generate(
        args.out,
        days=args.days,
        start=args.start,
        impressions_per_day=args.impressions_per_day,
        users=args.users,
        tweets=args.tweets,
        seed=args.seed,
        label_window_hours=args.label_window_hours,
        id_type=args.id_type,
        truth=args.truth,
    )
    secs = time.perf_counter() - t0
    dirty_imp = sum(v for k, v in counts.items() if k.startswith("imp_"))
    dirty_eng = sum(v for k, v in counts.items() if k.startswith("eng_"))
    last = args.start + timedelta(days=counts["days"] - 1)
    print(
        f"feedpipe.generate: {counts['days']} day(s) {args.start}..{last} -> {args.out}: "
        f"{counts['impressions']:,} impressions, {counts['engagements']:,} engagements "
        f"(dirty or respelled: {dirty_imp:,} / {dirty_eng:,}; seed {args.seed}) "
        f"in {secs:.2f} s ({counts['impressions'] / max(secs, 1e-9) / 1e6:.2f} M impressions/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
