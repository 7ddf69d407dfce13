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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy.optimize import brentq

__all__ = [
    "DEFAULT_START",
    "default_days",
    "engagement_schema",
    "generate",
    "impression_schema",
    "main",
    "truth_schema",
]

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = date(1970, 1, 1)
NULL = np.iinfo(np.int64).min  # sentinel for a null id / timestamp in the working arrays

DEFAULT_START = date(2026, 1, 5)  # a Monday
DEFAULT_IMPRESSIONS_PER_DAY = 100_000
DEFAULT_USERS = 20_000
DEFAULT_TWEETS = 50_000
DEFAULT_SEED = 42
DEFAULT_LABEL_WINDOW_HOURS = 24.0
MATURE_DAYS = 21

# Volume shape.
WEEKDAY_FACTOR = (1.04, 1.08, 1.10, 1.08, 1.00, 0.85, 0.85)  # Monday..Sunday, mean 1.0
USER_SKEW = 1.5  # rank = floor(n * u**skew): density ~ rank**(1/skew - 1)
TWEET_SKEW = 3.0
REPEAT_SAME_DAY = 0.05
REPEAT_PREVIOUS_DAY = 0.04
SURFACES = ("home", "search", "profile")
SURFACE_MIX = (0.82, 0.10, 0.08)
SURFACE_POSITION_P = (0.06, 0.25, 0.15)  # geometric parameter of the rank in the feed
MAX_POSITION = 500

# Engagement model (see the module docstring). Codes index ACTIONS.
P_ENGAGE = 0.05  # each day's mean P(at least one action) over its impressions
ACTIONS = ("like", "retweet", "reply", "quote")
ACTION_MIX = (0.60, 0.20, 0.13, 0.07)  # each day's mean P(action) over its impressions, in ratio
SIGMA_USER = 0.8  # sd of the user propensity (logit scale)
SIGMA_TWEET = 1.0  # sd of the tweet appeal (logit scale)
AGE_SLOPE = 0.3  # logit lost per unit of log1p(tweet age in hours)
POSITION_SLOPE = 0.3  # logit lost per unit of log(position), position 1 = top of the feed
TWEET_MAX_AGE_AT_START_US = 7 * 24 * 3600 * 1_000_000  # tweets are created in the week before start
CALIBRATION_BINS = 2048  # the intercepts are solved over the day's logits binned this finely
TRUTH_ACTIONS = ("like", "reply", "retweet", "quote")  # column order of the truth files
P_LATE = 0.01
P_HOURS = 0.10
MINUTES_MEDIAN_S, MINUTES_SIGMA = 180.0, 1.2
HOURS_MEDIAN_S, HOURS_SIGMA = 2.5 * 3600.0, 0.8
SECOND_ACTION_MEAN_S = 60.0
BEFORE_IMPRESSION_MAX_US = 2 * US_PER_HOUR

# Raw spellings. Codes index ACTION_VOCAB; the canonical actions come first.
ODD_SPELLINGS = (
    (" Like", "LIKE", "Like ", "  like"),
    ("RETWEET ", "Retweet", " retweet"),
    ("Reply", " REPLY ", "reply "),
    ("Quote", "QUOTE ", " quote"),
)
ALIASES = ("favorite", None, "comment", "retweet_with_comment")  # per canonical action
UNKNOWN_ACTIONS = ("bookmark", "share")
NULLISH_ACTIONS = (None, "", "   ")

# Dirty-row rates: impressions relative to the day's impressions, engagements relative
# to the day's simulated engagement rows.
IMP_DIRTY = {
    "duplicate": 0.005,
    "null_user_id": 0.002,
    "null_tweet_id": 0.002,
    "null_timestamp": 0.002,
}
ENG_COPY_DIRTY = {
    "duplicate": 0.005,
    "null_user_id": 0.003,
    "null_tweet_id": 0.003,
    "null_timestamp": 0.003,
}
P_ODD_CASE = 0.01
P_ALIAS = 0.01
P_UNKNOWN = 0.005
P_NULL_ACTION = 0.004
P_NEVER_SHOWN = 0.005
P_BEFORE_IMPRESSION = 0.005


def _build_vocab() -> tuple[tuple[str | None, ...], np.ndarray, np.ndarray, np.ndarray]:
    vocab: list[str | None] = list(ACTIONS)
    odd_offset, odd_count, alias_code = [], [], []
    for spellings, alias in zip(ODD_SPELLINGS, ALIASES, strict=True):
        odd_offset.append(len(vocab))
        odd_count.append(len(spellings))
        vocab.extend(spellings)
        alias_code.append(-1 if alias is None else len(vocab))
        if alias is not None:
            vocab.append(alias)
    return (
        tuple(vocab),
        np.array(odd_offset, np.int16),
        np.array(odd_count, np.int16),
        np.array(alias_code, np.int16),
    )


_BASE_VOCAB, ODD_OFFSET, ODD_COUNT, ALIAS_CODE = _build_vocab()
UNKNOWN_OFFSET = len(_BASE_VOCAB)
NULLISH_OFFSET = UNKNOWN_OFFSET + len(UNKNOWN_ACTIONS)
ACTION_VOCAB: tuple[str | None, ...] = _BASE_VOCAB + UNKNOWN_ACTIONS + NULLISH_ACTIONS


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


@dataclass(frozen=True)
class _Block:
    """Rows under construction: equal-length numpy columns (ids / ts use the NULL sentinel).

    ``key`` is the event time used to order a file, also for rows whose ``ts`` is null.
    """

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["key"])

    def take(self, idx: np.ndarray) -> _Block:
        return _Block({k: v[idx] for k, v in self.cols.items()})

    def replace(self, **cols: np.ndarray) -> _Block:
        return _Block({**self.cols, **cols})

    @staticmethod
    def concat(blocks: Sequence[_Block]) -> _Block:
        names = blocks[0].cols.keys()
        return _Block({k: np.concatenate([b.cols[k] for b in blocks]) for k in names})


@dataclass(frozen=True)
class _World:
    """Per-run constants derived from the arguments."""

    start_us: int
    end_us: int
    window_us: int
    tweets: int
    users: int
    user_by_rank: np.ndarray  # id of the r-th most active user
    tweet_by_rank: np.ndarray  # id of the r-th most popular tweet
    minute_p: np.ndarray  # diurnal distribution over the 1440 minutes of a UTC day
    user_text: pa.Array | None  # 'u<id>' by id when id_type == 'str'
    tweet_text: pa.Array | None
    user_effect: np.ndarray  # propensity by user id (index 0 unused)
    tweet_appeal: np.ndarray  # appeal by tweet id (index 0 unused)
    tweet_created_us: np.ndarray  # creation time by tweet id (index 0 unused)

    def pair_key(self, user: np.ndarray, tweet: np.ndarray) -> np.ndarray:
        return user * (2 * self.tweets + 1) + tweet


def _diurnal() -> np.ndarray:
    hour = (np.arange(1440) + 0.5) / 60.0
    w = 1.0 + 0.5 * np.cos(2 * np.pi * (hour - 20.0) / 24.0)
    w += 0.15 * np.cos(2 * np.pi * (hour - 13.0) / 12.0)
    return w / w.sum()


def _id_text(prefix: str, n: int) -> pa.Array:
    digits = pc.cast(pa.array(np.arange(n + 1, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, digits, "")


def _make_world(
    start: date,
    days: int,
    users: int,
    tweets: int,
    label_window_hours: float,
    id_type: str,
    rng: np.random.Generator,
) -> _World:
    start_us = (start - EPOCH).days * US_PER_DAY
    text = id_type == "str"
    user_by_rank = rng.permutation(users).astype(np.int64) + 1
    tweet_by_rank = rng.permutation(tweets).astype(np.int64) + 1
    # Drawn after the permutations, so that the impressions do not change with the model.
    user_effect = SIGMA_USER * rng.standard_normal(users + 1)
    tweet_appeal = SIGMA_TWEET * rng.standard_normal(tweets + 1)
    created = start_us - rng.integers(1, TWEET_MAX_AGE_AT_START_US, tweets + 1, endpoint=True)
    return _World(
        start_us=start_us,
        end_us=start_us + days * US_PER_DAY,
        window_us=round(label_window_hours * US_PER_HOUR),
        tweets=tweets,
        users=users,
        user_by_rank=user_by_rank,
        tweet_by_rank=tweet_by_rank,
        minute_p=_diurnal(),
        user_text=_id_text("u", users) if text else None,
        tweet_text=_id_text("t", 2 * tweets) if text else None,
        user_effect=user_effect,
        tweet_appeal=tweet_appeal,
        tweet_created_us=created,
    )


# --------------------------------------------------------------------------- sampling


def _power_rank(rng: np.random.Generator, n_items: int, size: int, skew: float) -> np.ndarray:
    """Ranks 0..n_items-1 with density ~ rank**(1/skew - 1) (skew 1 = uniform)."""
    rank = (n_items * rng.random(size) ** skew).astype(np.int64)
    return np.minimum(rank, n_items - 1, out=rank)


def _times(rng: np.random.Generator, world: _World, day_us: int, n: int) -> np.ndarray:
    """n timestamps (us) on the diurnal curve of the day starting at day_us, unordered."""
    minute = np.repeat(np.arange(1440, dtype=np.int64), rng.multinomial(n, world.minute_p))
    return day_us + minute * US_PER_MINUTE + rng.integers(0, US_PER_MINUTE, n)


def _choose(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """Category codes: the number of cdf bounds at or below a uniform draw."""
    u = rng.random(n)
    code = np.zeros(n, np.int16)
    for bound in cdf[:-1]:  # a loop over the few categories
        code += u >= bound
    return code


def _cdf(p: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(p, axis=-1)
    cdf[..., -1] = 1.0 + 1e-12
    return cdf


_ACTION_CDF = _cdf(np.asarray(ACTION_MIX))


def _delays(rng: np.random.Generator, n: int, window_us: int) -> np.ndarray:
    """Engagement delays (us, >= 1 s): minutes, a tail of hours (both < window), 1% late."""
    u = rng.random(n)
    late = u < P_LATE
    hours = ~late & (u < P_LATE + P_HOURS)
    mu = np.where(hours, math.log(HOURS_MEDIAN_S), math.log(MINUTES_MEDIAN_S))
    sigma = np.where(hours, HOURS_SIGMA, MINUTES_SIGMA)
    seconds = np.exp(mu + sigma * rng.standard_normal(n))
    cap_s = window_us / US_PER_SECOND - 1.0
    redo = np.flatnonzero(~late & (seconds >= cap_s))
    for _ in range(50):  # resample the few beyond the window (truncated lognormals)
        if not len(redo):
            break
        seconds[redo] = np.exp(mu[redo] + sigma[redo] * rng.standard_normal(len(redo)))
        redo = redo[seconds[redo] >= cap_s]
    seconds[redo] = cap_s * rng.random(len(redo))
    n_late = int(late.sum())
    seconds[late] = window_us / US_PER_SECOND + 3600.0 * rng.uniform(1.0, 48.0, n_late)
    return np.maximum((seconds * US_PER_SECOND).astype(np.int64), US_PER_SECOND)


def _sample_without_replacement(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if k <= 0 or n <= 0:
        return np.empty(0, np.int64)
    return rng.choice(n, size=min(k, n), replace=False)


def _binomial(rng: np.random.Generator, n: int, p: float) -> int:
    return int(rng.binomial(n, p)) if n > 0 else 0


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


# --------------------------------------------------------------------------- engagement model

_LOG_POSITION = np.log(np.arange(MAX_POSITION + 1).clip(1))  # by position (1..MAX_POSITION)
_MIX = np.asarray(ACTION_MIX) / sum(ACTION_MIX)


def _logits(world: _World, imp: _Block) -> np.ndarray:
    """The shared part of every action's logit, per impression (everything but the intercept)."""
    tweet = imp.cols["tweet"]
    age_h = (imp.cols["ts"] - world.tweet_created_us[tweet]) * (1.0 / US_PER_HOUR)
    eta = world.user_effect[imp.cols["user"]] + world.tweet_appeal[tweet]
    eta -= AGE_SLOPE * np.log1p(age_h)
    eta -= POSITION_SLOPE * _LOG_POSITION[imp.cols["position"]]
    return eta


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _root(f: Callable[[float], float], lo: float, hi: float) -> float:
    """The root of an increasing f in [lo, hi] (Brent's method), or the end of the
    bracket where f already is at or past zero."""
    if f(lo) >= 0:
        return lo
    if f(hi) <= 0:
        return hi
    return float(brentq(f, lo, hi, xtol=1e-14, rtol=1e-14))


def _intercepts(eta: np.ndarray) -> np.ndarray:
    """Intercepts (by ACTIONS code) such that, over the logits ``eta`` of a day:
    mean p_a / sum_b mean p_b = ACTION_MIX and mean p_any = P_ENGAGE.

    Solved over the logits binned into CALIBRATION_BINS equal bins, each at the mean of its
    logits (an error far below 1e-6 in the means); deterministic, no random draws.
    """
    if not len(eta):
        eta = np.zeros(1)
    lo, hi = float(eta.min()), float(eta.max())
    scale = (CALIBRATION_BINS - 1) / (hi - lo) if hi > lo else 0.0
    idx = ((eta - lo) * scale).astype(np.int64)
    count = np.bincount(idx, minlength=CALIBRATION_BINS)
    total = np.bincount(idx, eta, minlength=CALIBRATION_BINS)
    used = count > 0
    x, w = total[used] / count[used], count[used] / len(eta)

    def intercept(target: float) -> float:
        logit = math.log(target / (1 - target))
        return _root(lambda a: float(w @ _sigmoid(a + x)) - target, logit - hi, logit - lo)

    def intercepts(total_rate: float) -> np.ndarray:
        return np.array([intercept(total_rate * m) for m in _MIX])

    def p_any_excess(total_rate: float) -> float:
        none = np.prod(1 - _sigmoid(intercepts(total_rate)[:, None] + x), axis=0)
        return float(w @ (1 - none)) - P_ENGAGE

    # mean p_any <= sum_a mean p_a = total rate, and >= mean p_like = total rate * like share.
    return intercepts(_root(p_any_excess, P_ENGAGE, P_ENGAGE / _MIX.max()))


@dataclass(frozen=True)
class _Draws:
    """Actions drawn for a day's impressions, and their probabilities when truth is asked."""

    hits: list[np.ndarray]  # by ACTIONS code: a bool per impression
    intercepts: np.ndarray  # by ACTIONS code
    p: list[np.ndarray] | None  # by ACTIONS code: P(action) per impression
    p_any: np.ndarray | None


def _draw_actions(rng: np.random.Generator, world: _World, imp: _Block, truth: bool) -> _Draws:
    """Each action of each impression independently: hit when a uniform draw < P(action)."""
    eta = _logits(world, imp)
    alpha = _intercepts(eta)
    odds = np.exp(eta, out=eta)  # P(action a) = 1 / (1 + 1 / (odds * exp(alpha_a)))
    hits, p, log_none = [], [], np.zeros(len(odds)) if truth else None
    for a in range(len(ACTIONS)):
        p_a = odds * math.exp(alpha[a])
        p_a /= 1.0 + p_a
        hits.append(rng.random(len(odds)) < p_a)
        if log_none is not None:
            p.append(p_a)
            log_none += np.log1p(-p_a)
    if log_none is None:
        return _Draws(hits, alpha, None, None)
    return _Draws(hits, alpha, p, -np.expm1(log_none))


# --------------------------------------------------------------------------- one day


def _impressions(
    rng: np.random.Generator,
    world: _World,
    day_us: int,
    n: int,
    previous: _Block | None,
) -> _Block:
    """The day's simulated impressions, ordered by time."""
    n_prev = round(n * REPEAT_PREVIOUS_DAY) if previous is not None and len(previous) else 0
    n_same = round(n * REPEAT_SAME_DAY)
    n_base = n - n_prev - n_same
    if n_base <= 0:
        n_prev, n_same, n_base = 0, 0, n
    user = world.user_by_rank[_power_rank(rng, world.users, n_base, USER_SKEW)]
    tweet = world.tweet_by_rank[_power_rank(rng, world.tweets, n_base, TWEET_SKEW)]
    same = rng.integers(0, max(n_base, 1), n_same)
    users, tweets = [user, user[same]], [tweet, tweet[same]]
    if n_prev:
        prev = rng.integers(0, len(previous), n_prev)
        users.append(previous.cols["user"][prev])
        tweets.append(previous.cols["tweet"][prev])
    order = rng.permutation(n)  # times are sorted below: shuffle the pairs instead
    ts = np.sort(_times(rng, world, day_us, n))
    surface = _choose(rng, np.cumsum(SURFACE_MIX), n).astype(np.int8)
    log_q = np.log1p(-np.asarray(SURFACE_POSITION_P))[surface]
    position = 1 + np.floor(np.log1p(-rng.random(n)) / log_q)
    return _Block(
        {
            "user": np.concatenate(users)[order],
            "tweet": np.concatenate(tweets)[order],
            "ts": ts,
            "key": ts,
            "surface": surface,
            "position": np.minimum(position, MAX_POSITION).astype(np.int32),
        }
    )


def _dirty_copies(
    rng: np.random.Generator,
    rows: _Block,
    rates: dict[str, float],
    counts: dict[str, int],
    prefix: str,
) -> list[_Block]:
    """Extra rows copied from ``rows``: exact duplicates and copies with one null field."""
    out = []
    for kind, rate in rates.items():
        pick = _sample_without_replacement(rng, len(rows), _binomial(rng, len(rows), rate))
        copy = rows.take(pick)
        null = np.full(len(pick), NULL, np.int64)
        if kind == "null_user_id":
            copy = copy.replace(user=null)
        elif kind == "null_tweet_id":
            copy = copy.replace(tweet=null)
        elif kind == "null_timestamp":
            copy = copy.replace(ts=null)
        counts[f"{prefix}_{kind}"] += len(copy)
        out.append(copy)
    return out


def _eng_block(user: np.ndarray, tweet: np.ndarray, ts: np.ndarray, action: np.ndarray) -> _Block:
    return _Block({"user": user, "tweet": tweet, "ts": ts, "key": ts, "action": action})


def _before_first_impression(
    rng: np.random.Generator,
    sorted_keys: np.ndarray,
    keys: np.ndarray,
    history: Sequence[np.ndarray],
    k: int,
) -> np.ndarray:
    """Up to k impression rows whose pair is shown once today and never on an earlier day."""
    if k <= 0 or not len(keys):
        return np.empty(0, np.int64)
    cand = np.unique(rng.integers(0, len(keys), 4 * k + 16))
    cand_keys = keys[cand]
    today = np.searchsorted(sorted_keys, cand_keys, "right") - np.searchsorted(
        sorted_keys, cand_keys, "left"
    )
    ok = today == 1
    for seen in history:
        ok &= ~_contains(seen, cand_keys)
    good = cand[ok]
    return np.sort(good[_sample_without_replacement(rng, len(good), k)])


def _engagements(
    rng: np.random.Generator,
    world: _World,
    day: int,
    imp: _Block,
    draws: _Draws,
    history: Sequence[np.ndarray],
    keys: np.ndarray,
    sorted_keys: np.ndarray,
    counts: dict[str, int],
) -> _Block:
    """The engagement rows generated from a day's impressions (all kinds), before routing."""
    n = len(imp)
    day_us = world.start_us + day * US_PER_DAY
    i_user, i_tweet, i_ts = imp.cols["user"], imp.cols["tweet"], imp.cols["ts"]

    # Simulated engagements: one row per action drawn; an impression's actions in random
    # order, the first after a delay, each next one 1 s + an exponential gap after it.
    engaged = np.flatnonzero(functools.reduce(np.logical_or, draws.hits))
    hit = np.stack([h[engaged] for h in draws.hits], axis=1)  # engaged impression x action
    row, action = np.nonzero(hit)  # by impression, then action code
    both = engaged[row]
    order = np.argsort(both + 0.5 * rng.random(len(both)), kind="stable")  # shuffle in groups
    both, action = both[order], action.astype(np.int16)[order]
    first = np.ones(len(both), bool)
    np.not_equal(both[1:], both[:-1], out=first[1:])
    counts["engaged_impressions"] += len(engaged)
    step = np.empty(len(both), np.int64)
    step[first] = _delays(rng, len(engaged), world.window_us)
    gap = rng.exponential(SECOND_ACTION_MEAN_S, int((~first).sum())) * US_PER_SECOND
    step[~first] = US_PER_SECOND + gap.astype(np.int64)
    elapsed = np.cumsum(step)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(both)), 0))
    elapsed -= elapsed[group_start] - step[group_start]
    events = _eng_block(i_user[both], i_tweet[both], i_ts[both] + elapsed, action)
    m = len(events)

    # Respelled (still valid) actions.
    odd = rng.random(m) < P_ODD_CASE
    alias = ~odd & (rng.random(m) < P_ALIAS) & (ALIAS_CODE[action] >= 0)
    raw = action.copy()
    raw[odd] = ODD_OFFSET[action[odd]] + rng.integers(0, ODD_COUNT[action[odd]])
    raw[alias] = ALIAS_CODE[action[alias]]
    events = events.replace(action=raw)

    # Invalid actions on real impressions.
    k_unknown, k_nullish = _binomial(rng, m, P_UNKNOWN), _binomial(rng, m, P_NULL_ACTION)
    at = rng.integers(0, max(n, 1), k_unknown + k_nullish) if n else np.empty(0, np.int64)
    bad_action = np.concatenate(
        [
            UNKNOWN_OFFSET + rng.integers(0, len(UNKNOWN_ACTIONS), k_unknown),
            NULLISH_OFFSET + rng.integers(0, len(NULLISH_ACTIONS), k_nullish),
        ]
    ).astype(np.int16)
    bad = _eng_block(
        i_user[at], i_tweet[at], i_ts[at] + _delays(rng, len(at), world.window_us), bad_action
    )

    # Nothing at or after the end has happened yet.
    keep = events.cols["ts"] < world.end_us
    counts["engagements_not_yet_happened"] += int(m - keep.sum())
    counts["eng_odd_case_action"] += int((odd & keep).sum())
    counts["eng_alias_action"] += int((alias & keep).sum())
    events = events.take(np.flatnonzero(keep))
    bad_keep = bad.cols["ts"] < world.end_us
    counts["eng_unknown_action"] += int(bad_keep[:k_unknown].sum())
    counts["eng_null_action"] += int(bad_keep[k_unknown:].sum())
    bad = bad.take(np.flatnonzero(bad_keep))
    counts["engagement_events"] += len(events)

    # Engagements with no impression before them: a pair never shown (tweet id above
    # `tweets`), or up to 2 h before the first ever impression of a pair.
    k_never = _binomial(rng, m, P_NEVER_SHOWN)
    never = _eng_block(
        world.user_by_rank[_power_rank(rng, world.users, k_never, USER_SKEW)],
        world.tweets + 1 + rng.integers(0, world.tweets, k_never),
        _times(rng, world, day_us, k_never),
        _choose(rng, _ACTION_CDF, k_never),
    )
    k_before = _binomial(rng, m, P_BEFORE_IMPRESSION)
    rows = _before_first_impression(rng, sorted_keys, keys, history, k_before)
    shift = rng.integers(US_PER_SECOND, BEFORE_IMPRESSION_MAX_US, len(rows))
    rows_ts = i_ts[rows] - shift
    ok = rows_ts >= world.start_us
    rows, rows_ts = rows[ok], rows_ts[ok]
    before = _eng_block(i_user[rows], i_tweet[rows], rows_ts, _choose(rng, _ACTION_CDF, len(rows)))
    counts["eng_never_shown"] += len(never)
    counts["eng_before_impression"] += len(before)

    copies = _dirty_copies(rng, events, ENG_COPY_DIRTY, counts, "eng")
    return _Block.concat([events, bad, never, before, *copies])


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


def _ordered(rows: _Block) -> _Block:
    return rows.take(np.argsort(rows.cols["key"], kind="stable"))


def _impression_table(rows: _Block, world: _World, schema: pa.Schema) -> pa.Table:
    c = _ordered(rows).cols
    arrays = [
        _id_array(c["user"], world.user_text),
        _id_array(c["tweet"], world.tweet_text),
        _ts_array(c["ts"]),
        _SURFACE_TEXT.take(pa.array(c["surface"])),
        pa.array(c["position"], pa.int32()),
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _engagement_table(rows: _Block | None, world: _World, schema: pa.Schema) -> pa.Table:
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


def _truth_table(imp: _Block, draws: _Draws, world: _World, schema: pa.Schema) -> pa.Table:
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
    world = _make_world(
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
    pending: dict[int, list[_Block]] = {}
    history: list[np.ndarray] = []  # sorted distinct (user, tweet) keys shown on each day
    previous: _Block | None = None
    flushed = 0

    def flush_until(last: int) -> None:
        nonlocal flushed
        for d in range(flushed, last + 1):
            chunks = pending.pop(d, [])
            rows = _Block.concat(chunks) if chunks else None
            table = _engagement_table(rows, world, eng_schema)
            counts["engagements"] += table.num_rows
            _write(table, eng_dir / f"{start + timedelta(days=d)}.parquet", "engagement_ts")
        flushed = max(flushed, last + 1)

    for day in range(days):
        rng = np.random.default_rng(streams[day + 1])
        day_date = start + timedelta(days=day)
        day_us = world.start_us + day * US_PER_DAY
        n = round(impressions_per_day * WEEKDAY_FACTOR[day_date.weekday()])
        imp = _impressions(rng, world, day_us, n, previous)
        counts["impression_events"] += len(imp)
        keys = world.pair_key(imp.cols["user"], imp.cols["tweet"])

        sorted_keys = np.sort(keys)
        # All of the impressions' draws come first: the engagement model cannot change them.
        dirty = _dirty_copies(rng, imp, IMP_DIRTY, counts, "imp")
        draws = _draw_actions(rng, world, imp, truth)
        eng = _engagements(rng, world, day, imp, draws, history, keys, sorted_keys, counts)
        eng_ts = eng.cols["ts"]
        eng_day = np.where(eng_ts == NULL, day, (eng_ts - world.start_us) // US_PER_DAY)
        for d in np.unique(eng_day).tolist():
            pending.setdefault(d, []).append(eng.take(np.flatnonzero(eng_day == d)))

        table = _impression_table(_Block.concat([imp, *dirty]), world, imp_schema)
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
