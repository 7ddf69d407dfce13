"""The model check under the sampling modes (feedpipe/model_check_modes.py): what
it judges in each draw, and its weights' mean on the session's default build."""

from __future__ import annotations

from pathlib import Path

import duckdb

from feedpipe.model_check import TaskResult
from feedpipe.model_check_modes import TOLERANCE, ModeResult, _draw, table


def _result(recalibrated: float, weighted: float) -> TaskResult:
    return TaskResult(
        task="any",
        train_rows=100,
        test_rows=50,
        observed_rate=0.05,
        true_rate=None,
        auc=0.7,
        log_loss_raw=0.6,
        log_loss_recalibrated=0.2,
        log_loss_weighted=0.2,
        mean_raw=0.4,
        mean_recalibrated=recalibrated,
        mean_weighted=weighted,
    )


def test_under_a_cap_only_the_weighted_model_is_judged():
    """One ratio per task cannot undo the per-user cap: under it the recalibrated
    mean is shown but not judged; with fixed rates and no cap both are."""
    fixed = ModeResult("fixed", "fixed_rates", None, 0.0, 0.0505, _result(0.06, 0.051))
    capped = ModeResult("capped", "balanced", 1, 0.3, 0.0505, _result(0.06, 0.051))
    assert set(fixed.judged) == {"recalibrated", "weighted"}
    assert set(capped.judged) == {"weighted"}
    assert fixed.passed and capped.passed and capped.model_passed
    off = ModeResult("off", "balanced", 1, 0.3, 0.06, _result(0.05, 0.06))
    assert not off.passed and not off.model_passed
    assert table([fixed, capped, off])[-1].endswith("| weighted | no |")


def test_the_weights_mean_matches_the_observed_rate_on_the_default_build(default_build: Path):
    """What model-check-modes reads of a build, without training a model: the
    draw's mode and cap, and the test rows' weighted label mean within 5% of the
    test days' observed rate."""
    mode, cap, capped_share, label_mean = _draw(default_build, "any")
    assert (mode, cap, capped_share) == ("balanced", None, 0.0)
    with duckdb.connect(str(default_build), read_only=True) as connection:
        (observed,) = connection.execute(
            "select sum(positives) / sum(examples) from daily_label_stats "
            "where task = 'any' and split = 'test'"
        ).fetchone()
    assert abs(label_mean / observed - 1) < TOLERANCE, label_mean / observed
