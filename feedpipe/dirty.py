"""The dirty rows of the synthetic logs (``feedpipe.generate``, whose docstring lists
them): copies with a null field and exact duplicates, respelled actions, invalid actions
and engagements with no impression before them, each kind counted."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedpipe.behaviour import (
    ACTION_CDF,
    ACTIONS,
    NULL,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    USER_SKEW,
    Block,
    World,
    binomial,
    choose,
    delays,
    eng_block,
    power_rank,
    sample_without_replacement,
    times_of_day,
)

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


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


def dirty_copies(
    rng: np.random.Generator,
    rows: Block,
    rates: dict[str, float],
    counts: dict[str, int],
    prefix: str,
) -> list[Block]:
    """Extra rows copied from ``rows``: exact duplicates and copies with one null field."""
    out = []
    for kind, rate in rates.items():
        pick = sample_without_replacement(rng, len(rows), binomial(rng, len(rows), rate))
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
    return np.sort(good[sample_without_replacement(rng, len(good), k)])


def dirty_engagements(
    rng: np.random.Generator,
    world: World,
    day: int,
    imp: Block,
    events: Block,
    history: Sequence[np.ndarray],
    keys: np.ndarray,
    sorted_keys: np.ndarray,
    counts: dict[str, int],
) -> Block:
    """A day's engagement rows of every kind, before routing: the simulated ``events``
    (some respelled; those at or after the end dropped) and the dirty rows."""
    n, m = len(imp), len(events)
    day_us = world.start_us + day * US_PER_DAY
    i_user, i_tweet, i_ts = imp.cols["user"], imp.cols["tweet"], imp.cols["ts"]
    action = events.cols["action"]

    # Respelled (still valid) actions.
    odd = rng.random(m) < P_ODD_CASE
    alias = ~odd & (rng.random(m) < P_ALIAS) & (ALIAS_CODE[action] >= 0)
    raw = action.copy()
    raw[odd] = ODD_OFFSET[action[odd]] + rng.integers(0, ODD_COUNT[action[odd]])
    raw[alias] = ALIAS_CODE[action[alias]]
    events = events.replace(action=raw)

    # Invalid actions on real impressions.
    k_unknown, k_nullish = binomial(rng, m, P_UNKNOWN), binomial(rng, m, P_NULL_ACTION)
    at = rng.integers(0, max(n, 1), k_unknown + k_nullish) if n else np.empty(0, np.int64)
    bad_action = np.concatenate(
        [
            UNKNOWN_OFFSET + rng.integers(0, len(UNKNOWN_ACTIONS), k_unknown),
            NULLISH_OFFSET + rng.integers(0, len(NULLISH_ACTIONS), k_nullish),
        ]
    ).astype(np.int16)
    bad = eng_block(
        i_user[at], i_tweet[at], i_ts[at] + delays(rng, len(at), world.window_us), bad_action
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
    k_never = binomial(rng, m, P_NEVER_SHOWN)
    never = eng_block(
        world.user_by_rank[power_rank(rng, world.users, k_never, USER_SKEW)],
        world.tweets + 1 + rng.integers(0, world.tweets, k_never),
        times_of_day(rng, world, day_us, k_never),
        choose(rng, ACTION_CDF, k_never),
    )
    k_before = binomial(rng, m, P_BEFORE_IMPRESSION)
    rows = _before_first_impression(rng, sorted_keys, keys, history, k_before)
    shift = rng.integers(US_PER_SECOND, BEFORE_IMPRESSION_MAX_US, len(rows))
    rows_ts = i_ts[rows] - shift
    ok = rows_ts >= world.start_us
    rows, rows_ts = rows[ok], rows_ts[ok]
    before = eng_block(i_user[rows], i_tweet[rows], rows_ts, choose(rng, ACTION_CDF, len(rows)))
    counts["eng_never_shown"] += len(never)
    counts["eng_before_impression"] += len(before)

    copies = dirty_copies(rng, events, ENG_COPY_DIRTY, counts, "eng")
    return Block.concat([events, bad, never, before, *copies])
