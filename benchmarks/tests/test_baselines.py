"""The hand-written baselines of the benchmark (benchmarks.baselines) give exactly
the project's marts on the default logs: the same sampled rows (task, keys,
label, rate, weight, example_ts, split, the seven point-in-time features) and the
same daily counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import bench_contract
from benchmarks.baselines import KINDS, load_outputs, normalise_outputs, run
from benchmarks.baselines_contract import KEYS, SAMPLED_COLUMNS
from benchmarks.baselines_duckdb import STEPS_FILE
from benchmarks.baselines_frames import MD5_CHUNK_ROWS, _md5_digests

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


FEATURES = SAMPLED_COLUMNS[SAMPLED_COLUMNS.index("split") + 1 :]


@pytest.fixture(scope="module")
def outputs(
    default_logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, pd.DataFrame]]:
    """Each baseline's outputs on the default logs, run once for the module."""
    got = {}
    for kind in KINDS:
        out = tmp_path_factory.mktemp(f"baseline_{kind}")
        run(kind, default_logs, out)
        got[kind] = load_outputs(kind, out)
    return got


@pytest.mark.parametrize("kind", KINDS)
def test_baseline_equals_marts(
    kind: str, outputs: dict[str, dict[str, pd.DataFrame]], expected: dict[str, pd.DataFrame]
) -> None:
    got = outputs[kind]
    assert set(got["sampled"]["split"]) == set(SPLITS)
    for name, want in expected.items():
        assert len(want) > 0, name
        pd.testing.assert_frame_equal(got[name], want, obj=f"{kind} {name}")


@pytest.mark.parametrize("kind", KINDS)
def test_baseline_features_equal_marts(
    kind: str, outputs: dict[str, dict[str, pd.DataFrame]], expected: dict[str, pd.DataFrame]
) -> None:
    """Every sampled row's features equal the marts', and the logs exercise them: counts
    that vary, the first day without history (zeros), pairs seen before and not,
    engagement counts that follow the row's own task, every hour and day of week."""
    want = expected["sampled"][KEYS["sampled"] + FEATURES]
    got = outputs[kind]["sampled"][KEYS["sampled"] + FEATURES]
    pd.testing.assert_frame_equal(got, want, obj=f"{kind} features")
    first_day = want["event_date"] == want["event_date"].min()
    later = want[~first_day]
    for column in ("user_impressions_28d", "tweet_impressions_7d"):
        assert (want.loc[first_day, column] == 0).all(), column
        assert later[column].nunique() > 10, column
    for column in ("user_engagements_28d", "tweet_engagements_7d"):
        assert later[column].gt(0).any(), column
        per_task = later.groupby("task")[column].sum()
        assert per_task["any"] > per_task["like"] > 0, column
    assert set(later["user_tweet_seen_before"]) == {True, False}
    assert want["example_hour"].nunique() == 24
    assert set(want["example_day_of_week"]) == set(range(1, 8))


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
    # The floor times each table it creates: every statement the page's stage table
    # compares with the project's nodes, and no other.
    steps = json.loads((tmp_path / STEPS_FILE).read_text())
    compared = {step for _, floor_steps, _ in bench_contract.STAGES for step in floor_steps}
    assert set(steps) == compared
    assert all(seconds >= 0 for seconds in steps.values())


def test_stage_table_names_the_project_s_models() -> None:
    """Each project node the page's stage table sums is a model of the project."""
    models = {path.stem for path in (PROJECT_DIR / "models").rglob("*.sql")}
    compared = {model for _, _, stage_models in bench_contract.STAGES for model in stage_models}
    assert compared <= models, compared - models


def test_numpy_md5_equals_hashlib() -> None:
    """The polars baseline's md5 in numpy gives hashlib's digests: messages of 0 to 80
    bytes (one block up to 55, hashlib beyond), over several chunks."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(0, 56, 3 * MD5_CHUNK_ROWS)
    lengths[MD5_CHUNK_ROWS : MD5_CHUNK_ROWS + 100] = rng.integers(56, 81, 100)
    lengths[:4] = [0, 1, 55, 54]
    data = rng.integers(0, 256, int(lengths.sum()), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    expected = [
        hashlib.md5(data[start:stop].tobytes()).digest()
        for start, stop in itertools.pairwise(offsets)
    ]
    assert _md5_digests(offsets, data).tobytes() == b"".join(expected)


def test_contract_with_some_tools_leaves_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of some tools writes its own figures, not the page nor contract.json; the
    project must be among the tools."""
    page = tmp_path / "benchmarks.md"
    page.write_text("the page\n")
    monkeypatch.setattr(bench_contract, "bench_contract", lambda *args: {"figures": args[-1]})
    result = bench_contract.main(tmp_path, tmp_path, [1], 1, page, [], ("project", "polars"))
    assert result == {"figures": ("project", "polars")}
    assert json.loads((tmp_path / "contract_partial.json").read_text()) == {
        "figures": ["project", "polars"]
    }
    assert page.read_text() == "the page\n"
    assert not (tmp_path / "contract.json").exists()
    monkeypatch.undo()
    with pytest.raises(ValueError, match="must include project"):
        bench_contract.bench_contract(tmp_path, [1], 1, [], ("floor", "polars"))
