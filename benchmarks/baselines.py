"""Hand-written baselines of the project's contract, for the benchmark.

Three implementations of docs/semantics.md with the default vars, as a careful,
performance-minded user would write them instead of the dbt project:

- ``duckdb``: one DuckDB SQL script (a few ``CREATE TABLE ... AS``) on a fresh
  database file, ``OUT/baseline.duckdb``; the engine's floor;
- ``pandas``: pandas with pyarrow reading, vectorised, writing Parquet;
- ``polars``: the polars lazy API, writing Parquet.

Each writes the same two outputs over the mature days:

- ``sampled``: one row per kept (example, task): ``task``, ``user_id``,
  ``tweet_id``, ``event_date``, ``label``, ``sampling_rate``, ``sample_weight``,
  ``example_ts``, ``split`` and the seven point-in-time features of the marts
  (``user_impressions_28d``, ``user_engagements_28d`` and ``tweet_impressions_7d``,
  ``tweet_engagements_7d``, engagements of the row's task; ``user_tweet_seen_before``,
  ``example_hour``, ``example_day_of_week``; docs/training.md), i.e. the project's
  three split marts in one table;
- ``daily_counts``: per (task, event_date): ``examples``, ``positives`` (before
  sampling), ``kept_positives``, ``kept_negatives`` (from ``daily_label_stats``).

Scope: integer IDs and naive UTC timestamps in the raw Parquet files, default
vars (24 h label window, tasks like / reply / retweet / quote / any, one negative
per positive, no daily cap, salt ``feed-v1``, 3 validation and 4 test days).

Shortcuts that change no output: exact duplicate impressions share user, tweet
and time, so they fall in one example: the examples carry their distinct
impressions, which is all the features need of the impressions' dedup (the
sparse engagements are deduplicated); rejected rows are filtered out, not kept
with a reason (no output depends on the reason); only the mature days' examples
are hashed; features are computed for the kept examples only (from every clean
event before their day: benchmarks.baselines_features for pandas and polars).

md5: once per example, as in the project. DuckDB reads the digest as a 128-bit
integer (``md5_number``) instead of formatting and parsing hex text; pandas,
polars and pyarrow have no vectorised md5: pandas hashes with ``hashlib`` over
the key strings, a chunk at a time; polars computes MD5 in numpy over the Arrow
bytes of the keys (one 64-byte block per key of at most 55 bytes, ``hashlib``
beyond; about twice as fast as ``hashlib`` and free of the GIL), in
``map_batches`` of its streaming engine.

CLI (one process per run, so that a benchmark can time it and measure its peak
RSS; each baseline imports only its own libraries)::

    python -m benchmarks.baselines {duckdb,pandas,polars} --raw RAW --out OUTDIR
        [--run-started-at ISO] [--clean]

``load_outputs(kind, outdir)`` reads both outputs back as pandas frames with
normalised dtypes, sorted by key, for comparisons.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.baselines_contract import COUNT_COLUMNS, KEYS, SAMPLED_COLUMNS
from benchmarks.baselines_duckdb import DUCKDB_FILE, run_duckdb
from benchmarks.baselines_frames import run_pandas, run_polars

FEATURE_INTEGERS = [
    "user_impressions_28d",
    "user_engagements_28d",
    "tweet_impressions_7d",
    "tweet_engagements_7d",
    "example_hour",
    "example_day_of_week",
]

if TYPE_CHECKING:  # each baseline imports only its own libraries (time and RSS are measured)
    import pandas as pd


__all__ = [
    "KINDS",
    "load_outputs",
    "main",
    "normalise_outputs",
    "run",
    "run_duckdb",
    "run_pandas",
    "run_polars",
]


KINDS = ("duckdb", "pandas", "polars")


RUNNERS: dict[str, Callable[[Path, Path, dt.datetime], None]] = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "polars": run_polars,
}


def run(kind: str, raw: Path, out: Path, run_started_at: dt.datetime | None = None) -> None:
    """Run one baseline on the logs under ``raw``, writing its outputs under ``out``."""
    if kind not in RUNNERS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    started = run_started_at or dt.datetime.now(dt.UTC)
    RUNNERS[kind](Path(raw), Path(out), started)


def normalise_outputs(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns in order, one dtype per column, sorted by the key."""
    import pandas as pd

    columns = SAMPLED_COLUMNS if name == "sampled" else COUNT_COLUMNS
    frame = frame[columns].copy()
    frame["task"] = frame["task"].astype(str)
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[s]")
    integers = ["user_id", "tweet_id", "label", *COUNT_COLUMNS[2:]]
    for column in (c for c in integers if c in frame):
        frame[column] = frame[column].astype(np.int64)
    if name == "sampled":
        frame["sampling_rate"] = frame["sampling_rate"].astype(np.float64)
        frame["sample_weight"] = frame["sample_weight"].astype(np.float64)
        frame["example_ts"] = pd.to_datetime(frame["example_ts"]).astype("datetime64[us]")
        frame["split"] = frame["split"].astype(str)
        for column in FEATURE_INTEGERS:
            frame[column] = frame[column].astype(np.int64)
        frame["user_tweet_seen_before"] = frame["user_tweet_seen_before"].astype(bool)
    return frame.sort_values(KEYS[name]).reset_index(drop=True)


def load_outputs(kind: str, outdir: Path) -> dict[str, pd.DataFrame]:
    """Read ``sampled`` and ``daily_counts`` of a baseline run, normalised and sorted by key.

    dtypes: task / split ``str``; user_id, tweet_id, label and counts ``int64``;
    event_date ``datetime64[s]`` (midnight); example_ts ``datetime64[us]``;
    rates and weights ``float64``.
    """
    import pandas as pd

    outdir = Path(outdir)
    if kind == "duckdb":
        import duckdb

        with duckdb.connect(str(outdir / DUCKDB_FILE), read_only=True) as connection:
            frames = {name: connection.sql(f"select * from {name}").df() for name in KEYS}
    elif kind in ("pandas", "polars"):
        frames = {name: pd.read_parquet(outdir / f"{name}.parquet") for name in KEYS}
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return {name: normalise_outputs(frame, name) for name, frame in frames.items()}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baselines",
        description="Hand-written baselines of the project's contract (see module docstring).",
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--raw", type=Path, required=True, help="folder of the raw logs")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--run-started-at",
        type=dt.datetime.fromisoformat,
        default=None,
        metavar="ISO",
        help="run start (UTC if naive) for the future_timestamp check; default now",
    )
    parser.add_argument("--clean", action="store_true", help="empty the output folder first")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; prints the wall time."""
    args = _parse_args(argv)
    if args.clean and args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    run(args.kind, args.raw, args.out, args.run_started_at)
    print(
        f"benchmarks.baselines {args.kind}: {args.raw} -> {args.out} "
        f"in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
