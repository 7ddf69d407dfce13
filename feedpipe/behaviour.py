"""The behaviour model of the synthetic logs (``feedpipe.generate``, whose docstring
describes it): the run's users and tweets, a day's impressions, the engagement model
with its per-day intercepts, and the simulated engagements drawn from it. Everything is
vectorised over numpy columns; the only loops are over the few actions."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.optimize import brentq

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = date(1970, 1, 1)
NULL = np.iinfo(np.int64).min  # sentinel for a null id / timestamp in the working arrays

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

# Engagement model (see feedpipe.generate's docstring). Codes index ACTIONS.
P_ENGAGE = 0.05  # each day's mean P(at least one action) over its impressions
ACTIONS = ("like", "retweet", "reply", "quote")
ACTION_MIX = (0.60, 0.20, 0.13, 0.07)  # each day's mean P(action) over its impressions, in ratio
SIGMA_USER = 0.8  # sd of the user propensity (logit scale)
SIGMA_TWEET = 1.0  # sd of the tweet appeal (logit scale)
AGE_SLOPE = 0.3  # logit lost per unit of log1p(tweet age in hours)
POSITION_SLOPE = 0.3  # logit lost per unit of log(position), position 1 = top of the feed
TWEET_MAX_AGE_AT_START_US = 7 * 24 * 3600 * 1_000_000  # tweets are created in the week before start
CALIBRATION_BINS = 2048  # the intercepts are solved over the day's logits binned this finely
P_LATE = 0.01
P_HOURS = 0.10
MINUTES_MEDIAN_S, MINUTES_SIGMA = 180.0, 1.2
HOURS_MEDIAN_S, HOURS_SIGMA = 2.5 * 3600.0, 0.8
SECOND_ACTION_MEAN_S = 60.0


@dataclass(frozen=True)
class Block:
    """Rows under construction: equal-length numpy columns (ids / ts use the NULL sentinel).

    ``key`` is the event time used to order a file, also for rows whose ``ts`` is null.
    """

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["key"])

    def take(self, idx: np.ndarray) -> Block:
        return Block({k: v[idx] for k, v in self.cols.items()})

    def replace(self, **cols: np.ndarray) -> Block:
        return Block({**self.cols, **cols})

    @staticmethod
    def concat(blocks: Sequence[Block]) -> Block:
        names = blocks[0].cols.keys()
        return Block({k: np.concatenate([b.cols[k] for b in blocks]) for k in names})


@dataclass(frozen=True)
class World:
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


def make_world(
    start: date,
    days: int,
    users: int,
    tweets: int,
    label_window_hours: float,
    id_type: str,
    rng: np.random.Generator,
) -> World:
    start_us = (start - EPOCH).days * US_PER_DAY
    text = id_type == "str"
    user_by_rank = rng.permutation(users).astype(np.int64) + 1
    tweet_by_rank = rng.permutation(tweets).astype(np.int64) + 1
    # Drawn after the permutations, so that the impressions do not change with the model.
    user_effect = SIGMA_USER * rng.standard_normal(users + 1)
    tweet_appeal = SIGMA_TWEET * rng.standard_normal(tweets + 1)
    created = start_us - rng.integers(1, TWEET_MAX_AGE_AT_START_US, tweets + 1, endpoint=True)
    return World(
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


def power_rank(rng: np.random.Generator, n_items: int, size: int, skew: float) -> np.ndarray:
    """Ranks 0..n_items-1 with density ~ rank**(1/skew - 1) (skew 1 = uniform)."""
    rank = (n_items * rng.random(size) ** skew).astype(np.int64)
    return np.minimum(rank, n_items - 1, out=rank)


def times_of_day(rng: np.random.Generator, world: World, day_us: int, n: int) -> np.ndarray:
    """n timestamps (us) on the diurnal curve of the day starting at day_us, unordered."""
    minute = np.repeat(np.arange(1440, dtype=np.int64), rng.multinomial(n, world.minute_p))
    return day_us + minute * US_PER_MINUTE + rng.integers(0, US_PER_MINUTE, n)


def choose(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
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


ACTION_CDF = _cdf(np.asarray(ACTION_MIX))


def delays(rng: np.random.Generator, n: int, window_us: int) -> np.ndarray:
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


def sample_without_replacement(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if k <= 0 or n <= 0:
        return np.empty(0, np.int64)
    return rng.choice(n, size=min(k, n), replace=False)


def binomial(rng: np.random.Generator, n: int, p: float) -> int:
    return int(rng.binomial(n, p)) if n > 0 else 0


# --------------------------------------------------------------------------- engagement model

_LOG_POSITION = np.log(np.arange(MAX_POSITION + 1).clip(1))  # by position (1..MAX_POSITION)
_MIX = np.asarray(ACTION_MIX) / sum(ACTION_MIX)


def _logits(world: World, imp: Block) -> np.ndarray:
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
class Draws:
    """Actions drawn for a day's impressions, and their probabilities when truth is asked."""

    hits: list[np.ndarray]  # by ACTIONS code: a bool per impression
    intercepts: np.ndarray  # by ACTIONS code
    p: list[np.ndarray] | None  # by ACTIONS code: P(action) per impression
    p_any: np.ndarray | None


def draw_actions(rng: np.random.Generator, world: World, imp: Block, truth: bool) -> Draws:
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
        return Draws(hits, alpha, None, None)
    return Draws(hits, alpha, p, -np.expm1(log_none))


# --------------------------------------------------------------------------- one day


def simulate_impressions(
    rng: np.random.Generator,
    world: World,
    day_us: int,
    n: int,
    previous: Block | None,
) -> Block:
    """The day's simulated impressions, ordered by time."""
    n_prev = round(n * REPEAT_PREVIOUS_DAY) if previous is not None and len(previous) else 0
    n_same = round(n * REPEAT_SAME_DAY)
    n_base = n - n_prev - n_same
    if n_base <= 0:
        n_prev, n_same, n_base = 0, 0, n
    user = world.user_by_rank[power_rank(rng, world.users, n_base, USER_SKEW)]
    tweet = world.tweet_by_rank[power_rank(rng, world.tweets, n_base, TWEET_SKEW)]
    same = rng.integers(0, max(n_base, 1), n_same)
    users, tweets = [user, user[same]], [tweet, tweet[same]]
    if n_prev:
        prev = rng.integers(0, len(previous), n_prev)
        users.append(previous.cols["user"][prev])
        tweets.append(previous.cols["tweet"][prev])
    order = rng.permutation(n)  # times are sorted below: shuffle the pairs instead
    ts = np.sort(times_of_day(rng, world, day_us, n))
    surface = choose(rng, np.cumsum(SURFACE_MIX), n).astype(np.int8)
    log_q = np.log1p(-np.asarray(SURFACE_POSITION_P))[surface]
    position = 1 + np.floor(np.log1p(-rng.random(n)) / log_q)
    return Block(
        {
            "user": np.concatenate(users)[order],
            "tweet": np.concatenate(tweets)[order],
            "ts": ts,
            "key": ts,
            "surface": surface,
            "position": np.minimum(position, MAX_POSITION).astype(np.int32),
        }
    )


def eng_block(user: np.ndarray, tweet: np.ndarray, ts: np.ndarray, action: np.ndarray) -> Block:
    return Block({"user": user, "tweet": tweet, "ts": ts, "key": ts, "action": action})


def simulate_engagements(
    rng: np.random.Generator, world: World, imp: Block, draws: Draws, counts: dict[str, int]
) -> Block:
    """The simulated engagements of a day's impressions: one row per action drawn."""
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
    step[first] = delays(rng, len(engaged), world.window_us)
    gap = rng.exponential(SECOND_ACTION_MEAN_S, int((~first).sum())) * US_PER_SECOND
    step[~first] = US_PER_SECOND + gap.astype(np.int64)
    elapsed = np.cumsum(step)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(both)), 0))
    elapsed -= elapsed[group_start] - step[group_start]
    return eng_block(i_user[both], i_tweet[both], i_ts[both] + elapsed, action)
