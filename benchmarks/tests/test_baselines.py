"""The hand-written baselines of the benchmark (benchmarks.baselines) give exactly
the project's marts on the default logs: the same sampled rows (task, keys,
label, rate, weight, example_ts, split) and the same daily counts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.baselines import KINDS, load_outputs, normalise_outputs, run

SPLITS = ("train", "validation", "test")
PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def expected(default_marts: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The project's marts in the baselines' shape."""
    sampled = pd.concat(
        [default_marts[f"{split}_examples"].assign(split=split) for split in SPLITS],
        ignore_index=True,
    )
    return {
        "sampled": normalise_outputs(sampled, "sampled"),
        "daily_counts": normalise_outputs(default_marts["daily_label_stats"], "daily_counts"),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_baseline_equals_marts(
    kind: str, default_logs: Path, expected: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    run(kind, default_logs, tmp_path)
    got = load_outputs(kind, tmp_path)
    assert set(got["sampled"]["split"]) == set(SPLITS)
    for name, want in expected.items():
        assert len(want) > 0, name
        pd.testing.assert_frame_equal(got[name], want, obj=f"{kind} {name}")


def test_baselines_reject_future_rows_alike(default_logs: Path, tmp_path: Path) -> None:
    """A run started on 2026-01-15 rejects every row after 2026-01-16 00:00 as from the
    future: the watermark, hence the mature days, move back, the same in all three."""
    started = dt.datetime(2026, 1, 15)
    outputs = {}
    for kind in KINDS:
        run(kind, default_logs, tmp_path / kind, started)
        outputs[kind] = load_outputs(kind, tmp_path / kind)
    last_day = outputs["duckdb"]["daily_counts"]["event_date"].max()
    assert pd.Timestamp("2026-01-12") <= last_day <= pd.Timestamp("2026-01-14")
    for kind in KINDS[1:]:
        for name, frame in outputs[kind].items():
            pd.testing.assert_frame_equal(frame, outputs["duckdb"][name], obj=f"{kind} {name}")


def test_cli(default_logs: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "benchmarks.baselines", "duckdb"]
    command += ["--raw", str(default_logs), "--out", str(tmp_path)]
    command += ["--run-started-at", "2026-11-28T12:00:00+00:00"]
    subprocess.run(command, check=True, capture_output=True, cwd=PROJECT_DIR)
    assert len(load_outputs("duckdb", tmp_path)["sampled"]) > 0
