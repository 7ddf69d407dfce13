"""Independent Python recomputation of the feed-ranking training-data pipeline.

Implements docs/semantics.md from scratch with pandas / pyarrow / hashlib (no SQL,
no duckdb) so that tests can compare it with the dbt models.

Entry point::

    recompute(raw_path: Path, vars: dict | None = None) -> dict[str, pandas.DataFrame]

Conventions of the returned frames (for comparison):
- ``event_date`` / ``raw_date`` are ``datetime.date`` objects (object dtype, None when null);
- timestamps are naive ``datetime64[us]`` (UTC);
- IDs are int64 when ``id_type == 'bigint'``, ``str`` otherwise;
- labels and counts are int64, rates are float64, flags are bool.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "ACTION_ALIASES",
    "DEFAULT_TASKS",
    "DEFAULT_VARS",
    "FEATURE_COLUMNS",
    "recompute",
    "reject_reasons",
]

DEFAULT_TASKS: dict[str, list[str]] = {
    "like": ["like"],
    "reply": ["reply"],
    "retweet": ["retweet"],
    "quote": ["quote"],
    "any": ["like", "reply", "retweet", "quote"],
}

DEFAULT_VARS: dict = {
    "label_window_hours": 24,
    "tasks": DEFAULT_TASKS,
    "negatives_per_positive": 1.0,
    "daily_cap": None,
    "sampling_salt": "feed-v1",
    "validation_days": 3,
    "test_days": 4,
    "split_gap_days": 0,
    "validation_start_date": None,
    "test_start_date": None,
    "test_end_date": None,
    "id_type": "bigint",
    "max_future_hours": 24,
    "reach_min_day_share": 0.01,
    "stream_sampling_rate": 0.0,
    "impression_context_columns": {},
    "sampling_mode": "balanced",
    "fixed_sampling_rates": None,
    "per_user_daily_cap": None,
}

# The action_aliases seed as written in the doc: canonical actions map to themselves.
ACTION_ALIASES: dict[str, str] = {
    "like": "like",
    "reply": "reply",
    "retweet": "retweet",
    "quote": "quote",
    "favorite": "like",
    "comment": "reply",
    "retweet_with_comment": "quote",
}

TS_UNIT = "us"
_TS_DTYPE = f"datetime64[{TS_UNIT}]"
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
# "a string that is not an integer": optional surrounding ASCII whitespace, optional sign,
# ASCII digits only (no underscores, decimals or exponents), within int64 range.
_INT_RE = r"[ \t\n\r\f\v]*[+-]?[0-9]+[ \t\n\r\f\v]*"
# SQL trim() as DuckDB does it: strips Unicode space separators (category Zs), which
# includes ' ' and NBSP but not tab / newline.
_ZS_CHARS = (
    "\u0020\u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"
)

SOURCES = {
    "impressions": {"ts": "impression_ts", "has_action": False},
    "engagements": {"ts": "engagement_ts", "has_action": True},
}

# The one list of reject reasons, in the order staging checks them: the project's seed.
REJECT_REASONS_SEED = Path(__file__).resolve().parents[2] / "seeds" / "reject_reasons.csv"


def reject_reasons(source: str | None = None) -> list[str]:
    """The reasons of the reject_reasons seed, in its order (the first that applies
    is a row's reason); with `source` (impressions or engagements), those a row of
    that log can get when it is read: its own and those of both logs."""
    with REJECT_REASONS_SEED.open(newline="") as seed:
        rows = list(csv.DictReader(seed))
    return [
        row["reject_reason"]
        for row in rows
        if source is None or row["applies_to"] in (source, "both")
    ]


# --------------------------------------------------------------------------- vars
def _to_date(x) -> _dt.date | None:
    if x is None:
        return None
    if isinstance(x, pd.Timestamp):
        return x.date()
    if isinstance(x, _dt.datetime):
        return x.date()
    if isinstance(x, _dt.date):
        return x
    return _dt.date.fromisoformat(str(x).strip()[:10])


def _normalise_tasks(tasks) -> list[tuple[str, list[str]]]:
    if tasks is None:
        tasks = DEFAULT_TASKS
    out: list[tuple[str, list[str]]] = []
    if isinstance(tasks, dict):
        items = list(tasks.items())
    else:
        items = []
        for t in tasks:
            if isinstance(t, dict):
                if "name" in t:
                    items.append((t["name"], t.get("actions")))
                else:
                    items.extend(t.items())
            else:
                name, actions = t
                items.append((name, actions))
    for name, actions in items:
        if isinstance(actions, str):
            actions = [actions]
        out.append((str(name), [str(a) for a in actions]))
    return out


def _resolve_vars(vars: dict | None) -> dict:
    v = dict(DEFAULT_VARS)
    if vars:
        v.update(vars)
    v["tasks"] = _normalise_tasks(v.get("tasks"))
    # The var's two names only: the project's id_data_type() macro
    # (macros/utils/id_data_type.sql) also folds aliases (int64, long; string, text).
    v["id_type"] = str(v.get("id_type") or "bigint").lower()
    if v["id_type"] not in ("bigint", "varchar"):
        raise ValueError(f"id_type must be bigint or varchar, got {v['id_type']!r}")
    v["label_window_hours"] = float(v["label_window_hours"])
    v["negatives_per_positive"] = float(v["negatives_per_positive"])
    if v.get("daily_cap") is not None:
        v["daily_cap"] = float(v["daily_cap"])
    v["validation_days"] = int(v["validation_days"])
    v["test_days"] = int(v["test_days"])
    v["split_gap_days"] = int(v["split_gap_days"] or 0)
    for k in ("validation_start_date", "test_start_date", "test_end_date"):
        v[k] = _to_date(v.get(k))
    v["sampling_salt"] = str(v["sampling_salt"])
    v["stream_sampling_rate"] = float(v["stream_sampling_rate"])
    if v["sampling_mode"] == "fixed_rates":
        v["fixed_sampling_rates"] = {
            task: (float(rates["positive"]), float(rates["negative"]))
            for task, rates in v["fixed_sampling_rates"].items()
        }
    if v["per_user_daily_cap"] is not None:
        v["per_user_daily_cap"] = int(v["per_user_daily_cap"])
    return v


# --------------------------------------------------------------------------- casting
def _is_string_type(t: pa.DataType) -> bool:
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(t))
    )


def _plain(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decode dictionary arrays; make a chunked array out of anything."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    is_view = hasattr(pa.types, "is_string_view") and pa.types.is_string_view(arr.type)
    if is_view or pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _null_mask(arr: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _cast_id(arr: pa.ChunkedArray, id_type: str):
    """Return (values Series, null mask, invalid mask). values are NA where null/invalid."""
    arr = _plain(arr)
    t = arr.type
    n = len(arr)
    isnull = _null_mask(arr)
    invalid = np.zeros(n, dtype=bool)

    if id_type == "bigint":
        vals = np.zeros(n, dtype=np.int64)
        if pa.types.is_null(t):
            pass
        elif pa.types.is_integer(t) or pa.types.is_boolean(t):
            if pa.types.is_uint64(t):
                raw = arr.to_numpy(zero_copy_only=False)
                raw = np.where(isnull, 0, raw).astype(np.uint64)
                invalid = (~isnull) & (raw > np.uint64(_INT64_MAX))
                vals = np.where(invalid, 0, raw).astype(np.int64)
            else:
                vals = np.asarray(
                    arr.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64
                )
        elif pa.types.is_floating(t):
            raw = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.float64)
            ok = np.isfinite(raw) & (np.floor(raw) == raw) & (raw >= -(2.0**63)) & (raw < 2.0**63)
            invalid = (~isnull) & ~ok
            vals = np.where(ok, raw, 0).astype(np.int64)
        else:
            s = arr.cast(pa.string()) if not pa.types.is_string(t) else arr
            ps = pd.Series(s.to_pandas(), dtype=object)
            nn = ~isnull
            ok = np.zeros(n, dtype=bool)
            if nn.any():
                sub = ps[nn].astype(str)
                m = sub.str.fullmatch(_INT_RE).to_numpy(dtype=bool)
                idx = np.flatnonzero(nn)[m]
                py = [int(x) for x in sub[m].tolist()]
                inrange = np.array([_INT64_MIN <= x <= _INT64_MAX for x in py], dtype=bool)
                good_idx = idx[inrange]
                vals[good_idx] = np.array(
                    [x for x, r in zip(py, inrange, strict=True) if r], dtype=np.int64
                )
                ok[good_idx] = True
            invalid = nn & ~ok
        series = pd.Series(vals, dtype="Int64")
        series[isnull | invalid] = pd.NA
        return series, isnull, invalid

    # varchar: everything non-null casts to text; integers in plain decimal.
    if pa.types.is_null(t):
        values = pd.Series([None] * n, dtype=object)
    elif pa.types.is_string(t):
        values = pd.Series(arr.to_pandas(), dtype=object)
    elif pa.types.is_integer(t):
        values = pd.Series(
            [None if x is None else str(int(x)) for x in arr.to_pylist()], dtype=object
        )
    else:
        values = pd.Series([None if x is None else str(x) for x in arr.to_pylist()], dtype=object)
    values = values.where(~isnull, None)
    return values, isnull, invalid


def _cast_ts(arr: pa.ChunkedArray):
    """Return (naive UTC datetime64[us] Series, null mask, invalid mask)."""
    arr = _plain(arr)
    t = arr.type
    n = len(arr)
    isnull = _null_mask(arr)
    if pa.types.is_null(t):
        return pd.Series(pd.NaT, index=range(n), dtype=_TS_DTYPE), isnull, np.zeros(n, dtype=bool)
    if pa.types.is_timestamp(t):
        s = pd.Series(arr.to_pandas())
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        s = s.astype(_TS_DTYPE)
    elif pa.types.is_date(t):
        s = pd.Series(arr.cast(pa.timestamp(TS_UNIT)).to_pandas()).astype(_TS_DTYPE)
    elif pa.types.is_string(t):
        raw = pd.Series(arr.to_pandas(), dtype=object)
        stripped = raw.where(raw.isna(), raw.astype(str).str.strip())
        parsed = pd.to_datetime(stripped, format="ISO8601", utc=True, errors="coerce")
        s = parsed.dt.tz_localize(None).astype(_TS_DTYPE)
    else:
        # other physical types (integers, floats, ...) do not cast to a timestamp
        s = pd.Series(pd.NaT, index=range(n), dtype=_TS_DTYPE)
    s = s.reset_index(drop=True)
    invalid = (~isnull) & s.isna().to_numpy()
    return s, isnull, invalid


def _trim_sql(s: pd.Series) -> pd.Series:
    return s.str.strip(_ZS_CHARS)


# --------------------------------------------------------------------------- staging
def _files(raw_path: Path, source: str) -> list[Path]:
    base = Path(raw_path) / source
    if not base.exists():
        return []
    return sorted(p for p in base.rglob("*.parquet") if p.is_file())


def _raw_str(x) -> str | None:
    if x is None:
        return None
    if isinstance(x, float) and np.isnan(x):
        return None
    return str(x)


def _stage_file(path: Path, source: str, v: dict):
    cfg = SOURCES[source]
    ts_col = cfg["ts"]
    context = [] if cfg["has_action"] else list(v["impression_context_columns"])
    wanted = ["user_id", "tweet_id", ts_col] + (["action"] if cfg["has_action"] else []) + context
    schema_names = pq.read_schema(path).names
    table = pq.read_table(path, columns=[c for c in wanted if c in schema_names])
    n = table.num_rows

    def col(name):
        if name in table.column_names:
            return table.column(name)
        return pa.chunked_array([pa.nulls(n)])

    raw_cols = {c: col(c) for c in wanted}
    uid, uid_null, uid_bad = _cast_id(raw_cols["user_id"], v["id_type"])
    tid, tid_null, tid_bad = _cast_id(raw_cols["tweet_id"], v["id_type"])
    ts, ts_null, ts_bad = _cast_ts(raw_cols[ts_col])

    # More than max_future_hours after now (the run's clock): a broken clock.
    latest = pd.Timestamp.now(tz="UTC").tz_localize(None) + pd.Timedelta(
        hours=v["max_future_hours"]
    )
    ts_future = (ts > latest).fillna(False).to_numpy(dtype=bool)
    checks = {
        "null_user_id": uid_null,
        "invalid_user_id": uid_bad,
        "null_tweet_id": tid_null,
        "invalid_tweet_id": tid_bad,
        "null_timestamp": ts_null,
        "invalid_timestamp": ts_bad,
        "future_timestamp": ts_future,
    }
    action = None
    if cfg["has_action"]:
        a = _plain(raw_cols["action"])
        if not (pa.types.is_string(a.type) or pa.types.is_null(a.type)):
            a = a.cast(pa.string())
        if pa.types.is_null(a.type):
            a_raw = pd.Series([None] * n, dtype=object)
        else:
            a_raw = pd.Series(a.to_pandas(), dtype=object)
        a_null = a_raw.isna().to_numpy()
        trimmed = _trim_sql(a_raw.where(~a_null, "").astype(str))
        folded = trimmed.str.lower()
        blank = a_null | (trimmed.str.len() == 0).to_numpy()
        mapped = folded.map(ACTION_ALIASES)
        unknown = (~blank) & mapped.isna().to_numpy()
        checks["null_action"] = blank
        checks["unknown_action"] = unknown
        action = mapped.astype(object)

    # The seed names the reasons and their order; each must have its check here.
    reasons = reject_reasons(source)
    if set(reasons) != set(checks):
        raise ValueError(
            f"{source}: the reject_reasons seed lists {sorted(reasons)}, "
            f"the reference checks {sorted(checks)}"
        )
    reason = np.select([checks[name] for name in reasons], reasons, default="")
    rejected_mask = reason != ""
    day = ts.dt.floor("D")

    valid = pd.DataFrame(
        {
            "user_id": uid[~rejected_mask],
            "tweet_id": tid[~rejected_mask],
            ts_col: ts[~rejected_mask],
        }
    )
    if action is not None:
        valid["action"] = action[~rejected_mask].to_numpy()
    for name in context:
        valid[name] = pd.Series(raw_cols[name].to_pandas()).to_numpy()[~rejected_mask]
    valid["_day"] = day[~rejected_mask].to_numpy()
    valid = valid.reset_index(drop=True)

    ridx = np.flatnonzero(rejected_mask)
    rej = pd.DataFrame(
        {
            "source": source,
            "reject_reason": reason[ridx].astype(object),
            "_day": day.to_numpy()[ridx],
            "user_id": [_raw_str(x) for x in raw_cols["user_id"].take(ridx).to_pylist()],
            "tweet_id": [_raw_str(x) for x in raw_cols["tweet_id"].take(ridx).to_pylist()],
            "raw_ts": [_raw_str(x) for x in raw_cols[ts_col].take(ridx).to_pylist()],
            "action": (
                [_raw_str(x) for x in raw_cols["action"].take(ridx).to_pylist()]
                if cfg["has_action"]
                else [None] * len(ridx)
            ),
            "file": str(path),
        }
    )
    return valid, rej


def _empty_valid(source: str, v: dict) -> pd.DataFrame:
    cfg = SOURCES[source]
    id_dtype = "Int64" if v["id_type"] == "bigint" else object
    df = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=id_dtype),
            "tweet_id": pd.Series([], dtype=id_dtype),
            cfg["ts"]: pd.Series([], dtype=_TS_DTYPE),
        }
    )
    if cfg["has_action"]:
        df["action"] = pd.Series([], dtype=object)
    df["_day"] = pd.Series([], dtype=_TS_DTYPE)
    return df


_REJ_COLS = ["source", "reject_reason", "_day", "user_id", "tweet_id", "raw_ts", "action", "file"]


def _stage_source(raw_path: Path, source: str, v: dict):
    valids, rejs = [], []
    for f in _files(raw_path, source):
        va, rj = _stage_file(f, source, v)
        valids.append(va)
        rejs.append(rj)
    valid = (
        pd.concat([_empty_valid(source, v), *valids], ignore_index=True)
        if valids
        else _empty_valid(source, v)
    )
    id_final = np.int64 if v["id_type"] == "bigint" else object
    valid["user_id"] = valid["user_id"].astype(id_final)
    valid["tweet_id"] = valid["tweet_id"].astype(id_final)
    valid[SOURCES[source]["ts"]] = valid[SOURCES[source]["ts"]].astype(_TS_DTYPE)
    valid["_day"] = valid["_day"].astype(_TS_DTYPE)
    rej = (
        pd.concat(rejs, ignore_index=True)
        if rejs
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in _REJ_COLS})
    )
    rej["_day"] = pd.to_datetime(rej["_day"]).astype(_TS_DTYPE)

    keys = ["user_id", "tweet_id", SOURCES[source]["ts"]]
    if SOURCES[source]["has_action"]:
        keys = ["user_id", "tweet_id", "action", SOURCES[source]["ts"]]
    clean = valid.drop_duplicates(subset=keys, keep="first").reset_index(drop=True)
    context = [] if SOURCES[source]["has_action"] else list(v["impression_context_columns"])
    if context and len(clean):
        # Copies that disagree on a context column keep its smallest value.
        smallest = valid.groupby(keys, sort=False)[context].min().reset_index()
        clean = clean.drop(columns=context).merge(smallest, on=keys, how="left")
    return valid, clean, rej


def _days_to_dates(s: pd.Series) -> pd.Series:
    """datetime64 day -> object Series of datetime.date (None for NaT)."""
    s = pd.Series(s)
    lookup = {d: pd.Timestamp(d).date() for d in s.dropna().unique()}
    out = s.map(lookup).astype(object)
    return out.where(s.notna(), None)


def _reconciliation(
    source: str, valid: pd.DataFrame, clean: pd.DataFrame, rej: pd.DataFrame
) -> pd.DataFrame:
    def count(df):
        return df.groupby("_day", dropna=False).size()

    parts = (
        pd.concat(
            {"valid_rows": count(valid), "clean_rows": count(clean), "rejected_rows": count(rej)},
            axis=1,
        )
        .fillna(0)
        .astype(np.int64)
    )
    for c in ("valid_rows", "clean_rows", "rejected_rows"):
        if c not in parts:
            parts[c] = 0
    parts.index.name = "_day"
    parts = parts.reset_index()
    parts["raw_rows"] = parts["valid_rows"] + parts["rejected_rows"]
    parts["duplicates_removed"] = parts["valid_rows"] - parts["clean_rows"]
    parts["source"] = source
    parts["raw_date"] = _days_to_dates(pd.to_datetime(parts["_day"]))
    return parts[
        ["source", "raw_date", "raw_rows", "clean_rows", "rejected_rows", "duplicates_removed"]
    ]


# --------------------------------------------------------------------------- split logic
def _split_bounds(mature_days: list[_dt.date], v: dict):
    """Return list of (name, lo, hi) closed date intervals (lo may be None = unbounded)."""
    if not mature_days:
        return []
    M = max(mature_days)
    gap = _dt.timedelta(days=v["split_gap_days"])
    one = _dt.timedelta(days=1)
    if v["validation_start_date"] is not None and v["test_start_date"] is not None:
        vs, ts = v["validation_start_date"], v["test_start_date"]
        te = v["test_end_date"] or M
        return [
            ("test", ts, te),
            ("validation", vs, ts - gap - one),
            ("train", None, vs - gap - one),
        ]
    test_start = M - _dt.timedelta(days=v["test_days"]) + one
    val_start = test_start - gap - _dt.timedelta(days=v["validation_days"])
    val_end = test_start - gap - one
    return [
        ("test", test_start, M),
        ("validation", val_start, val_end),
        ("train", None, val_start - gap - one),
    ]


def _assign_split(days: list[_dt.date], bounds) -> dict:
    out = {}
    for d in days:
        out[d] = None
        for name, lo, hi in bounds:
            if (lo is None or lo <= d) and d <= hi:
                out[d] = name
                break
    return out


# --------------------------------------------------------------------------- hashing
def _hash_uniforms(ex: pd.DataFrame, v: dict, n_tasks: int) -> np.ndarray:
    """u[k] for every example row and task k (shape (n, n_tasks))."""
    n = len(ex)
    u = np.zeros((n, n_tasks), dtype=np.float64)
    if n == 0 or n_tasks == 0:
        return u
    uid = ex["user_id"].astype(str) if v["id_type"] == "bigint" else ex["user_id"]
    tid = ex["tweet_id"].astype(str) if v["id_type"] == "bigint" else ex["tweet_id"]
    day_str = ex["_day"].map({d: d.strftime("%Y-%m-%d") for d in ex["_day"].unique()})
    body = (
        pd.Series(uid, dtype=object).astype(str)
        + "|"
        + pd.Series(tid, dtype=object).astype(str)
        + "|"
        + day_str.astype(str)
    ).tolist()
    salt = v["sampling_salt"]
    md5 = hashlib.md5
    for g in range((n_tasks + 4) // 5):
        prefix = f"{salt}|{g}|"
        digests = b"".join([md5((prefix + b).encode("utf-8")).digest() for b in body])
        B = np.frombuffer(digests, dtype=np.uint8).reshape(n, 16).astype(np.uint32)
        for s in range(5):
            k = 5 * g + s
            if k >= n_tasks:
                break
            # hex slice [6s, 6s+6) == bytes [3s, 3s+3)
            val = (B[:, 3 * s] << 16) | (B[:, 3 * s + 1] << 8) | B[:, 3 * s + 2]
            u[:, k] = val.astype(np.float64) / 16777216.0
    return u


# --------------------------------------------------------------------------- main
FEATURE_COLUMNS = [
    "user_impressions_28d",
    "user_engagements_28d",
    "tweet_impressions_7d",
    "tweet_engagements_7d",
    "user_tweet_seen_before",
    "example_hour",
    "example_day_of_week",
]


def _day_numbers(days: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 of a datetime64 day column."""
    return (days.to_numpy("datetime64[D]").astype(np.int64)).astype(np.int64)


def _counts_before(event_keys, event_days, query_keys, query_days, span: int) -> np.ndarray:
    """Per query (key, day D): the events with the same key on days [D - span, D - 1]."""
    codes, _ = pd.factorize(pd.concat([pd.Series(event_keys), pd.Series(query_keys)]))
    event_codes, query_codes = codes[: len(event_keys)], codes[len(event_keys) :]
    block = np.int64(1 << 32)
    events = np.sort(event_codes.astype(np.int64) * block + np.asarray(event_days, np.int64))
    query = query_codes.astype(np.int64) * block + np.asarray(query_days, np.int64)
    return np.searchsorted(events, query, "left") - np.searchsorted(events, query - span, "left")


def _features(ex: pd.DataFrame, imp: pd.DataFrame, eng: pd.DataFrame, tasks) -> pd.DataFrame:
    """Point-in-time features of every example from clean events before its day:
    see docs/decisions/0004. One engagement column per task."""
    days = _day_numbers(ex["_day"])
    imp_days = _day_numbers(imp["impression_ts"].dt.floor("D"))
    eng_days = _day_numbers(eng["engagement_ts"].dt.floor("D"))
    out = ex[["user_id", "tweet_id", "_day"]].copy()
    out["user_impressions_28d"] = _counts_before(imp["user_id"], imp_days, ex["user_id"], days, 28)
    out["tweet_impressions_7d"] = _counts_before(imp["tweet_id"], imp_days, ex["tweet_id"], days, 7)
    for name, actions in tasks:
        of_task = eng["action"].isin(set(actions)).to_numpy()
        out[f"user_engagements_28d_{name}"] = _counts_before(
            eng["user_id"][of_task], eng_days[of_task], ex["user_id"], days, 28
        )
        out[f"tweet_engagements_7d_{name}"] = _counts_before(
            eng["tweet_id"][of_task], eng_days[of_task], ex["tweet_id"], days, 7
        )
    pairs = ex["user_id"].astype(str) + "|" + ex["tweet_id"].astype(str)
    out["user_tweet_seen_before"] = _counts_before(pairs, days, pairs, days, 28) > 0
    out["example_hour"] = ex["example_ts"].dt.hour.to_numpy(np.int64)
    out["example_day_of_week"] = (ex["example_ts"].dt.day_of_week + 1).to_numpy(np.int64)
    return out


MART_COLUMNS = [
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
STREAM_COLUMNS = [
    "task",
    "event_date",
    "user_id",
    "tweet_id",
    "example_ts",
    "label",
    "sample_ts",
    "engaged_ts",
    "label_delay_seconds",
    "sampling_rate",
    "sample_weight",
    *FEATURE_COLUMNS,
]
STAT_COLUMNS = [
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


def recompute(raw_path: Path, vars: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every table the pipeline builds, recomputed from the raw files: one step per
    rule of docs/semantics.md, in the pipeline's order."""
    v = _resolve_vars(vars)
    task_names = [t for t, _ in v["tasks"]]
    task_order = {t: i for i, t in enumerate(task_names)}
    id_dtype = np.int64 if v["id_type"] == "bigint" else object

    imp, eng, rejected, reconciliation = _staging(Path(raw_path), v)
    context = list(v["impression_context_columns"])
    ex = _examples(imp, id_dtype, context)
    features = _features(ex, imp, eng, v["tasks"])
    attribution = _attribution(ex, eng, v)
    ex = _labels(ex, attribution, v["tasks"], id_dtype)
    W = _watermark(imp, eng, v["reach_min_day_share"])
    ex = _maturity(ex, W, v)
    sampling = _sampling_rates(ex, task_names, v)
    mature = ex[ex["is_mature"]].reset_index(drop=True)
    mature_days = sorted(d.date() for d in mature["_day"].unique())
    split_of = _assign_split(mature_days, _split_bounds(mature_days, v))
    mart_parts, stats_parts = _sample(mature, sampling, task_names, v)
    marts = _split_marts(mart_parts, features, split_of, task_names, id_dtype)
    # How long each kept example's label window had been watched at the watermark.
    window_seconds = round(v["label_window_hours"] * 3600)
    watched = (W - marts["example_ts"]).dt.total_seconds() if len(marts) else 0.0
    marts["observed_seconds"] = np.clip(watched, 0.0, window_seconds).astype(np.float64)
    stream = _stream(ex, features, task_names, v, id_dtype)

    def _mart(split: str) -> pd.DataFrame:
        columns = [*MART_COLUMNS, *context]
        return marts[marts["_split"] == split][columns].reset_index(drop=True)

    out = {
        "clean_impressions": _clean_impressions(imp),
        "clean_engagements": _clean_engagements(eng),
        "rejected": rejected.reset_index(drop=True),
        "reconciliation": reconciliation,
        "examples": _presented_examples(ex, task_names),
        "engagement_attribution": _presented_attribution(attribution, id_dtype),
        "sampling_rates": _presented_sampling_rates(sampling, task_order),
        "train_examples": _mart("train"),
        "validation_examples": _mart("validation"),
        "test_examples": _mart("test"),
        "daily_label_stats": _daily_stats(stats_parts, mature_days, split_of, task_order),
        "stream_examples": stream,
        # extra, for debugging / tests
        "watermark": pd.DataFrame(
            {"watermark": pd.Series([W if W is not None else pd.NaT], dtype=_TS_DTYPE)}
        ),
    }
    return {k: _finalise(df) for k, df in out.items()}


def _staging(raw_path: Path, v: dict):
    """Staging: the clean impressions and engagements, the rejected rows and the
    reconciliation of raw rows per log and day."""
    imp_valid, imp, imp_rej = _stage_source(raw_path, "impressions", v)
    eng_valid, eng, eng_rej = _stage_source(raw_path, "engagements", v)

    rejected = pd.concat([imp_rej, eng_rej], ignore_index=True)
    rejected["raw_date"] = _days_to_dates(rejected["_day"])
    rejected = rejected[
        ["source", "reject_reason", "raw_date", "user_id", "tweet_id", "raw_ts", "action", "file"]
    ]

    reconciliation = pd.concat(
        [
            _reconciliation("impressions", imp_valid, imp, imp_rej),
            _reconciliation("engagements", eng_valid, eng, eng_rej),
        ],
        ignore_index=True,
    )
    # sort with null day last
    reconciliation = (
        reconciliation.assign(_k=reconciliation["raw_date"].isna())
        .sort_values(["source", "_k", "raw_date"], kind="stable", key=None)
        .drop(columns="_k")
        .reset_index(drop=True)
    )
    return imp, eng, rejected, reconciliation


def _examples(imp: pd.DataFrame, id_dtype, context: list[str] = ()) -> pd.DataFrame:
    """Examples: one per (user, tweet, UTC day) with an impression, with the
    context columns of its first impression."""
    ex = (
        imp.groupby(["user_id", "tweet_id", "_day"], sort=False)
        .agg(example_ts=("impression_ts", "min"), impressions=("impression_ts", "size"))
        .reset_index()
    )
    if context:
        first = imp[["user_id", "tweet_id", "impression_ts", *context]].rename(
            columns={"impression_ts": "example_ts"}
        )
        ex = ex.merge(first, on=["user_id", "tweet_id", "example_ts"], how="left")
    ex["user_id"] = ex["user_id"].astype(id_dtype)
    ex["tweet_id"] = ex["tweet_id"].astype(id_dtype)
    ex["example_ts"] = ex["example_ts"].astype(_TS_DTYPE)
    ex["_day"] = ex["_day"].astype(_TS_DTYPE)
    ex["impressions"] = ex["impressions"].astype(np.int64)
    return ex


def _attribution(ex: pd.DataFrame, eng: pd.DataFrame, v: dict) -> pd.DataFrame:
    """Attribution (as-of join): each engagement to the latest example of its pair
    with example_ts <= engagement_ts, within the lookback and the label window."""
    window = pd.Timedelta(hours=v["label_window_hours"])
    e = eng[["user_id", "tweet_id", "action", "engagement_ts"]].copy()
    e["_eid"] = np.arange(len(e))
    right = ex[["user_id", "tweet_id", "example_ts", "_day"]].rename(columns={"_day": "_ex_day"})
    if len(e) and len(right):
        m = (
            pd.merge_asof(
                e.sort_values("engagement_ts", kind="stable"),
                right.sort_values("example_ts", kind="stable"),
                left_on="engagement_ts",
                right_on="example_ts",
                by=["user_id", "tweet_id"],
                direction="backward",
                allow_exact_matches=True,
            )
            .sort_values("_eid")
            .reset_index(drop=True)
        )
    else:
        m = e.copy()
        m["example_ts"] = pd.Series(pd.NaT, index=m.index, dtype=_TS_DTYPE)
        m["_ex_day"] = pd.Series(pd.NaT, index=m.index, dtype=_TS_DTYPE)
    m["example_ts"] = m["example_ts"].astype(_TS_DTYPE)
    m["_ex_day"] = m["_ex_day"].astype(_TS_DTYPE)
    # Examples are looked for back to ceil(window / 1 day) days before the
    # engagement's day; an older one counts as no prior impression.
    lookback = pd.Timedelta(days=math.ceil(v["label_window_hours"] / 24))
    found = m["example_ts"].notna() & (m["_ex_day"] >= m["engagement_ts"].dt.floor("D") - lookback)
    outside = found & ((m["engagement_ts"] - m["example_ts"]) >= window)
    attributed = found & ~outside
    m["is_attributed"] = attributed.astype(bool)
    m["unattributed_reason"] = np.select(
        [~found, outside], ["no_prior_impression", "outside_label_window"], default=""
    ).astype(object)
    m.loc[attributed, "unattributed_reason"] = None
    m.loc[~attributed, "example_ts"] = pd.NaT
    m.loc[~attributed, "_ex_day"] = pd.NaT
    return m


def _labels(ex: pd.DataFrame, m: pd.DataFrame, tasks, id_dtype) -> pd.DataFrame:
    """Labels: per task, 1 when an attributed engagement of the example has one of
    the task's actions."""
    task_names = [t for t, _ in tasks]
    att = m[m["is_attributed"]]
    key = ["user_id", "tweet_id", "_day"]
    if len(att):
        lab = pd.DataFrame(
            {
                "user_id": att["user_id"].to_numpy(),
                "tweet_id": att["tweet_id"].to_numpy(),
                "_day": att["_ex_day"].to_numpy(),
            }
        )
        for name, actions in tasks:
            of_task = att["action"].isin(set(actions)).to_numpy()
            lab[f"label_{name}"] = of_task.astype(np.int64)
            # When the label came: the task's first attributed engagement.
            lab[f"engaged_ts_{name}"] = att["engagement_ts"].where(of_task).to_numpy()
        aggregations = {c: ("min" if c.startswith("engaged_ts_") else "max") for c in lab.columns}
        lab = lab.groupby(key, sort=False).agg(
            {c: f for c, f in aggregations.items() if c not in key}
        )
        lab = lab.reset_index()
        lab["user_id"] = lab["user_id"].astype(id_dtype)
        lab["tweet_id"] = lab["tweet_id"].astype(id_dtype)
        lab["_day"] = lab["_day"].astype(_TS_DTYPE)
        ex = ex.merge(lab, on=key, how="left")
    for name in task_names:
        col = f"label_{name}"
        if col not in ex:
            ex[col] = 0
        ex[col] = ex[col].fillna(0).astype(np.int64)
        engaged = f"engaged_ts_{name}"
        if engaged not in ex:
            ex[engaged] = pd.NaT
        ex[engaged] = ex[engaged].astype(_TS_DTYPE)
        ex[f"label_delay_seconds_{name}"] = (
            (ex[engaged] - ex["example_ts"]).dt.total_seconds().astype(np.float64)
        )
    return ex


def _reach(ts: pd.Series, share: float):
    """How far a log reaches: its latest timestamp on a UTC day that holds at least
    `share` of the log's busiest day."""
    days = ts.dt.floor("D")
    counts = days.value_counts()
    carrying = counts.index[counts >= share * counts.max()]
    return ts[days.isin(carrying)].max()


def _watermark(imp: pd.DataFrame, eng: pd.DataFrame, share: float):
    """The watermark: the earlier of the two logs' reaches (None when either log is
    empty)."""
    if len(imp) and len(eng):
        return min(_reach(imp["impression_ts"], share), _reach(eng["engagement_ts"], share))
    return None


def _maturity(ex: pd.DataFrame, W, v: dict) -> pd.DataFrame:
    """Maturity: a day is mature once its end plus the label window is at or before
    the watermark. The examples come back ordered by day, user and tweet."""
    window = pd.Timedelta(hours=v["label_window_hours"])
    if W is None or pd.isna(W):
        ex["is_mature"] = False
    else:
        ex["is_mature"] = ((ex["_day"] + pd.Timedelta(days=1) + window) <= W).to_numpy()
    ex["is_mature"] = ex["is_mature"].astype(bool)
    return ex.sort_values(["_day", "user_id", "tweet_id"], kind="stable").reset_index(drop=True)


def _sampling_rates(ex: pd.DataFrame, task_names: list[str], v: dict) -> pd.DataFrame:
    """Sampling rates per task and day (all days): every positive up to the cap's
    share, and r negatives per kept positive."""
    r = v["negatives_per_positive"]
    C = v["daily_cap"]
    day_counts = ex.groupby("_day").size()
    rate_rows = []
    for name in task_names:
        P = ex.groupby("_day")[f"label_{name}"].sum().reindex(day_counts.index).astype(np.int64)
        df = pd.DataFrame(
            {
                "_day": day_counts.index,
                "task": name,
                "examples": day_counts.to_numpy(np.int64),
                "positives": P.to_numpy(np.int64),
            }
        )
        df["negatives"] = df["examples"] - df["positives"]
        Pf = df["positives"].to_numpy(np.float64)
        Nf = df["negatives"].to_numpy(np.float64)
        if v["sampling_mode"] == "fixed_rates":
            # The task's configured rates, every day.
            positive, negative = v["fixed_sampling_rates"][name]
            pos_rate = np.full(len(df), positive)
            neg_rate = np.full(len(df), negative)
        else:
            # P_target = P if C is null, else min(P, C / (1 + r))
            P_target = Pf.copy() if C is None else np.minimum(Pf, C / (1.0 + r))
            with np.errstate(divide="ignore", invalid="ignore"):
                pos_rate = np.where(Pf == 0, 1.0, P_target / Pf)
                neg_rate = np.where(
                    (Nf == 0) | (Pf == 0), 0.0, np.minimum(1.0, (r * P_target) / Nf)
                )
        df["positive_sampling_rate"] = pos_rate.astype(np.float64)
        df["negative_sampling_rate"] = neg_rate.astype(np.float64)
        rate_rows.append(df)
    if rate_rows:
        sampling = pd.concat(rate_rows, ignore_index=True)
    else:
        sampling = pd.DataFrame(
            {
                "_day": pd.Series([], dtype=_TS_DTYPE),
                "task": pd.Series([], dtype=object),
                "examples": pd.Series([], dtype=np.int64),
                "positives": pd.Series([], dtype=np.int64),
                "negatives": pd.Series([], dtype=np.int64),
                "positive_sampling_rate": pd.Series([], dtype=np.float64),
                "negative_sampling_rate": pd.Series([], dtype=np.float64),
            }
        )
    sampling["_day"] = sampling["_day"].astype(_TS_DTYPE)
    return sampling


def _sample(
    mature: pd.DataFrame, sampling: pd.DataFrame, task_names: list[str], v: dict
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The sample of the mature examples, per task: a row is kept when its md5 draw
    is below its rate. Returns the kept rows and the day's counts, per task."""
    u = _hash_uniforms(mature, v, len(task_names))
    mart_parts = []
    stats_parts = []
    mature_day_dates = _days_to_dates(mature["_day"])
    for k, name in enumerate(task_names):
        rates = sampling[sampling["task"] == name].set_index("_day")
        pr = mature["_day"].map(rates["positive_sampling_rate"]).to_numpy(np.float64)
        nr = mature["_day"].map(rates["negative_sampling_rate"]).to_numpy(np.float64)
        label = mature[f"label_{name}"].to_numpy(np.int64)
        class_rate = np.where(label == 1, pr, nr)
        kept = u[:, k] < class_rate
        rate, user_scale = class_rate, None
        if v["per_user_daily_cap"] is not None:
            kept, rate, user_scale = _per_user_cap(
                mature, u[:, k], class_rate, kept, v["per_user_daily_cap"]
            )
        part = pd.DataFrame(
            {
                "task": name,
                "event_date": mature_day_dates[kept].to_numpy(),
                "user_id": mature["user_id"].to_numpy()[kept],
                "tweet_id": mature["tweet_id"].to_numpy()[kept],
                "example_ts": mature["example_ts"].to_numpy()[kept],
                "label": label[kept],
                "sampling_rate": rate[kept],
                "engaged_ts": mature[f"engaged_ts_{name}"].to_numpy()[kept],
                "label_delay_seconds": mature[f"label_delay_seconds_{name}"].to_numpy()[kept],
                **{c: mature[c].to_numpy()[kept] for c in v["impression_context_columns"]},
            }
        )
        part["sample_weight"] = 1.0 / part["sampling_rate"]
        mart_parts.append(part)
        stats_parts.append(_kept_counts(mature, rates, kept, label, name, user_scale, v))
    return mart_parts, stats_parts


def _per_user_cap(
    mature: pd.DataFrame, u: np.ndarray, class_rate: np.ndarray, drawn: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-user cap after the draw: of a user's m rows drawn on a day, the cap
    rows with the smallest u / rate (ties by tweet_id), each at rate * min(1, cap / m).
    Returns the rows kept, every row's rate and max(m, cap) (the sums' integers)."""
    rows = pd.DataFrame(
        {
            "_day": mature["_day"].to_numpy(),
            "user_id": mature["user_id"].to_numpy(),
            "tweet_id": mature["tweet_id"].to_numpy(),
            "normalised": u / np.where(drawn, class_rate, 1.0),
            "position": np.arange(len(mature)),
        }
    )[drawn]
    rows = rows.sort_values(["_day", "user_id", "normalised", "tweet_id"], kind="stable")
    groups = rows.groupby(["_day", "user_id"], sort=False)
    rank = groups.cumcount().to_numpy() + 1
    m = groups["position"].transform("size").to_numpy()
    kept = np.zeros(len(mature), dtype=bool)
    kept[rows["position"].to_numpy()[rank <= cap]] = True
    drawn_per_user = np.zeros(len(mature), dtype=np.int64)
    drawn_per_user[rows["position"].to_numpy()] = m
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(
            drawn_per_user > cap, class_rate * (float(cap) / drawn_per_user), class_rate
        )
    return kept, rate, np.maximum(drawn_per_user, cap)


def _kept_counts(
    mature: pd.DataFrame,
    rates: pd.DataFrame,
    kept: np.ndarray,
    label: np.ndarray,
    name: str,
    user_scale: np.ndarray | None,
    v: dict,
) -> pd.DataFrame:
    """One task's daily stats: examples, positives and rates of the day, rows kept
    and the sums of their weights (as docs/semantics.md computes them)."""
    scale = np.ones(len(mature), dtype=np.int64) if user_scale is None else user_scale
    st = pd.DataFrame(
        {
            "_day": mature["_day"],
            "pos_kept": (kept & (label == 1)).astype(np.int64),
            "neg_kept": (kept & (label == 0)).astype(np.int64),
            "pos_scale": np.where(kept & (label == 1), scale, 0).astype(np.int64),
            "neg_scale": np.where(kept & (label == 0), scale, 0).astype(np.int64),
        }
    )
    st = st.groupby("_day").sum()
    srow = rates.loc[st.index]
    pr = srow["positive_sampling_rate"].to_numpy(np.float64)
    nr = srow["negative_sampling_rate"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if user_scale is None:  # count times the class's one weight
            weighted_pos = st["pos_kept"].to_numpy(np.float64) * (1.0 / pr)
            weighted_neg = st["neg_kept"].to_numpy(np.float64) * (1.0 / nr)
        else:  # the integers max(m, cap), over cap, over the rate
            cap = v["per_user_daily_cap"]
            weighted_pos = st["pos_scale"].to_numpy(np.float64) / cap / pr
            weighted_neg = st["neg_scale"].to_numpy(np.float64) / cap / nr
    weighted_pos = np.where(st["pos_kept"].to_numpy() == 0, 0.0, weighted_pos)
    weighted_neg = np.where(st["neg_kept"].to_numpy() == 0, 0.0, weighted_neg)
    return pd.DataFrame(
        {
            "event_date": [d.date() for d in st.index],
            "task": name,
            "examples": srow["examples"].to_numpy(np.int64),
            "positives": srow["positives"].to_numpy(np.int64),
            "negatives": srow["negatives"].to_numpy(np.int64),
            "kept_positives": st["pos_kept"].to_numpy(np.int64),
            "kept_negatives": st["neg_kept"].to_numpy(np.int64),
            "positive_rate": srow["positives"].to_numpy(np.float64)
            / srow["examples"].to_numpy(np.float64),
            "positive_sampling_rate": srow["positive_sampling_rate"].to_numpy(np.float64),
            "negative_sampling_rate": srow["negative_sampling_rate"].to_numpy(np.float64),
            "weighted_positives": weighted_pos,
            "weighted_negatives": weighted_neg,
        }
    )


def _stream(
    ex: pd.DataFrame, features: pd.DataFrame, task_names: list[str], v: dict, id_dtype
) -> pd.DataFrame:
    """The continuous-training stream, every day: per task, the examples whose md5
    draw is below stream_sampling_rate (whatever their label), each a negative row
    at its impression and, when the task's engagement came, a positive row at it."""
    rate = v["stream_sampling_rate"]
    u = _hash_uniforms(ex, v, len(task_names))
    parts = []
    for k, name in enumerate(task_names):
        drawn = ex[u[:, k] < rate]
        for label in (0, 1):
            rows = drawn if label == 0 else drawn[drawn[f"label_{name}"] == 1]
            engaged = rows[f"engaged_ts_{name}"]
            parts.append(
                pd.DataFrame(
                    {
                        "task": name,
                        "event_date": _days_to_dates(rows["_day"]).to_numpy(),
                        "user_id": rows["user_id"].to_numpy(),
                        "tweet_id": rows["tweet_id"].to_numpy(),
                        "example_ts": rows["example_ts"].to_numpy(),
                        "label": label,
                        "sample_ts": (rows["example_ts"] if label == 0 else engaged).to_numpy(),
                        "engaged_ts": (
                            pd.Series(pd.NaT, index=rows.index, dtype=_TS_DTYPE)
                            if label == 0
                            else engaged
                        ).to_numpy(),
                        "label_delay_seconds": np.nan
                        if label == 0
                        else rows[f"label_delay_seconds_{name}"].to_numpy(),
                        "sampling_rate": rate,
                        "sample_weight": 1.0 / rate if rate > 0 else 1.0,
                        **{c: rows[c].to_numpy() for c in v["impression_context_columns"]},
                    }
                )
            )
    stream = pd.concat(parts, ignore_index=True)
    stream["user_id"] = stream["user_id"].astype(id_dtype)
    stream["tweet_id"] = stream["tweet_id"].astype(id_dtype)
    stream["event_date"] = stream["event_date"].astype(object)
    stream["label"] = stream["label"].astype(np.int64)
    for column in ("example_ts", "sample_ts", "engaged_ts"):
        stream[column] = stream[column].astype(_TS_DTYPE)
    on_day = features.assign(event_date=_days_to_dates(features["_day"])).drop(columns="_day")
    stream = stream.merge(on_day, on=["user_id", "tweet_id", "event_date"], how="left")
    for prefix in ("user_engagements_28d", "tweet_engagements_7d"):
        stream[prefix] = np.select(
            [stream["task"] == name for name in task_names],
            [stream[f"{prefix}_{name}"] for name in task_names],
            default=0,
        ).astype(np.int64)
    return stream[[*STREAM_COLUMNS, *v["impression_context_columns"]]].reset_index(drop=True)


def _split_marts(
    mart_parts: list[pd.DataFrame],
    features: pd.DataFrame,
    split_of: dict,
    task_names: list[str],
    id_dtype,
) -> pd.DataFrame:
    """The kept rows of every task with their features and their split (`_split`),
    ordered by task, day, user and tweet."""
    if mart_parts:
        marts = pd.concat(mart_parts, ignore_index=True)
    else:
        marts = pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in MART_COLUMNS if c not in FEATURE_COLUMNS}
        )
    marts["user_id"] = marts["user_id"].astype(id_dtype)
    marts["tweet_id"] = marts["tweet_id"].astype(id_dtype)
    marts["example_ts"] = marts["example_ts"].astype(_TS_DTYPE)
    marts["label"] = marts["label"].astype(np.int64)
    marts["sampling_rate"] = marts["sampling_rate"].astype(np.float64)
    marts["sample_weight"] = marts["sample_weight"].astype(np.float64)
    marts["event_date"] = marts["event_date"].astype(object)
    marts["task"] = marts["task"].astype(object)
    # The features of each kept example; engagement counts of the row's task.
    features["event_date"] = _days_to_dates(features["_day"])
    marts = marts.merge(
        features.drop(columns="_day"), on=["user_id", "tweet_id", "event_date"], how="left"
    )
    for prefix in ("user_engagements_28d", "tweet_engagements_7d"):
        marts[prefix] = np.select(
            [marts["task"] == name for name in task_names],
            [marts[f"{prefix}_{name}"] for name in task_names],
            default=0,
        ).astype(np.int64)
    marts["_split"] = marts["event_date"].map(split_of).astype(object)
    task_order = {t: i for i, t in enumerate(task_names)}
    return (
        marts.assign(_t=marts["task"].map(task_order))
        .sort_values(["_t", "event_date", "user_id", "tweet_id"], kind="stable")
        .drop(columns="_t")
    )


def _daily_stats(
    stats_parts: list[pd.DataFrame], mature_days: list, split_of: dict, task_order: dict
) -> pd.DataFrame:
    """daily_label_stats: per mature day and task, with the day's split."""
    if not (stats_parts and mature_days):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in STAT_COLUMNS})
    stats = pd.concat(stats_parts, ignore_index=True)
    stats["split"] = stats["event_date"].map(split_of).astype(object)
    stats = (
        stats.assign(_t=stats["task"].map(task_order))
        .sort_values(["event_date", "_t"], kind="stable")
        .drop(columns="_t")
        .reset_index(drop=True)
    )
    stats["event_date"] = stats["event_date"].astype(object)
    stats["task"] = stats["task"].astype(object)
    return stats[STAT_COLUMNS]


def _presented_examples(ex: pd.DataFrame, task_names: list[str]) -> pd.DataFrame:
    examples = ex.copy()
    examples.insert(2, "event_date", _days_to_dates(examples["_day"]))
    return examples[
        ["user_id", "tweet_id", "event_date", "example_ts", "impressions"]
        + [f"label_{t}" for t in task_names]
        + [f"engaged_ts_{t}" for t in task_names]
        + [f"label_delay_seconds_{t}" for t in task_names]
        + ["is_mature"]
    ]


def _presented_attribution(m: pd.DataFrame, id_dtype) -> pd.DataFrame:
    attribution = m.sort_values(["engagement_ts", "user_id", "tweet_id", "action"], kind="stable")
    attribution = pd.DataFrame(
        {
            "user_id": attribution["user_id"].astype(id_dtype).to_numpy(),
            "tweet_id": attribution["tweet_id"].astype(id_dtype).to_numpy(),
            "action": attribution["action"].astype(object).to_numpy(),
            "engagement_ts": attribution["engagement_ts"].astype(_TS_DTYPE).to_numpy(),
            "is_attributed": attribution["is_attributed"].to_numpy(bool),
            "unattributed_reason": attribution["unattributed_reason"].astype(object).to_numpy(),
            "event_date": _days_to_dates(attribution["_ex_day"]).to_numpy(),
            "example_ts": attribution["example_ts"].astype(_TS_DTYPE).to_numpy(),
        }
    )
    attribution["user_id"] = attribution["user_id"].astype(id_dtype)
    attribution["tweet_id"] = attribution["tweet_id"].astype(id_dtype)
    return attribution.reset_index(drop=True)


def _clean_impressions(imp: pd.DataFrame) -> pd.DataFrame:
    clean_impressions = imp.sort_values(["impression_ts", "user_id", "tweet_id"], kind="stable")
    clean_impressions = clean_impressions.assign(
        impression_date=_days_to_dates(clean_impressions["_day"])
    )
    return clean_impressions[["user_id", "tweet_id", "impression_ts", "impression_date"]]


def _clean_engagements(eng: pd.DataFrame) -> pd.DataFrame:
    clean_engagements = eng.sort_values(
        ["engagement_ts", "user_id", "tweet_id", "action"], kind="stable"
    )
    clean_engagements = clean_engagements.assign(
        engagement_date=_days_to_dates(clean_engagements["_day"])
    )
    return clean_engagements[
        ["user_id", "tweet_id", "action", "engagement_ts", "engagement_date"]
    ].reset_index(drop=True)


def _presented_sampling_rates(sampling: pd.DataFrame, task_order: dict) -> pd.DataFrame:
    sampling_rates = sampling.assign(event_date=_days_to_dates(sampling["_day"]))
    sampling_rates = sampling_rates.assign(_t=sampling_rates["task"].map(task_order)).sort_values(
        ["event_date", "_t"], kind="stable"
    )
    sampling_rates = sampling_rates[
        [
            "task",
            "event_date",
            "examples",
            "positives",
            "negatives",
            "positive_sampling_rate",
            "negative_sampling_rate",
        ]
    ].reset_index(drop=True)
    sampling_rates["task"] = sampling_rates["task"].astype(object)
    return sampling_rates


def _finalise(df: pd.DataFrame) -> pd.DataFrame:
    """Text / date columns as object dtype holding python str / date, with None for nulls."""
    df = df.reset_index(drop=True).copy()
    for c in df.columns:
        dt = df[c].dtype
        if pd.api.types.is_object_dtype(dt) or isinstance(dt, pd.StringDtype):
            o = pd.Series(df[c], dtype=object)
            df[c] = o.where(o.notna(), None)
    return df
