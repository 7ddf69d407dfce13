"""The model check under the sampling modes (feedpipe/model_check_modes.py): what
it judges in each draw and when it fails, the days and the model it trains, and
its weights' mean on the session's default build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from feedpipe.model_check import TaskResult, _features, _splits, check_task
from feedpipe.model_check_modes import (
    TOLERANCE,
    ModeResult,
    _draw,
    exit_status,
    fit_logistic,
    table,
    train_from,
)


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
    fixed = ModeResult("fixed", "fixed_rates", None, 0.0, 0.0505, _result(0.051, 0.049))
    capped = ModeResult("capped", "balanced", 1, 0.3, 0.0505, _result(0.06, 0.051))
    assert set(fixed.judged) == {"recalibrated", "weighted"}
    assert set(capped.judged) == {"weighted"}
    assert fixed.passed and capped.passed
    assert fixed.model_passed and capped.model_passed
    assert exit_status([fixed, capped]) == 0
    off = ModeResult("off", "balanced", 1, 0.3, 0.06, _result(0.05, 0.06))
    assert not off.passed and not off.model_passed
    assert table([fixed, capped, off])[-1].endswith("| weighted | NO |")


def test_every_judged_model_mean_must_be_within_the_tolerance():
    """The weights' mean within 5% is not enough: a judged model mean that misses
    fails the check (exit status 1), even when the other judged one is within."""
    weighted_misses = ModeResult("fixed", "fixed_rates", None, 0.0, 0.0505, _result(0.051, 0.06))
    assert weighted_misses.passed
    assert not weighted_misses.model_passed
    assert exit_status([weighted_misses]) == 1
    assert table([weighted_misses])[-1].endswith("| recalibrated, weighted | NO |")


def test_the_weights_mean_matches_the_observed_rate_on_the_default_build(default_build: Path):
    """What model-check-modes reads of a build, without training a model: the
    draw's mode and cap, and the test rows' weighted label mean within 5% of the
    test days' observed rate."""
    with duckdb.connect(str(default_build), read_only=True) as connection:
        (first,) = connection.execute("select min(event_date) from daily_label_stats").fetchone()
    mode, cap, capped_share, label_mean = _draw(default_build, "any", first)
    assert (mode, cap, capped_share) == ("balanced", None, 0.0)
    with duckdb.connect(str(default_build), read_only=True) as connection:
        (observed,) = connection.execute(
            "select sum(positives) / sum(examples) from daily_label_stats "
            "where task = 'any' and split = 'test'"
        ).fetchone()
    assert abs(label_mean / observed - 1) < TOLERANCE, label_mean / observed


def test_logs_too_short_for_full_feature_windows_stop_the_check(default_build: Path):
    """The default build's 23 days end before the logs' first day plus 28: no
    train day has full 28-day counts, and the check says so instead of training
    on counts that cover only the days since the logs began."""
    with pytest.raises(ValueError, match="no train day has full feature windows") as error:
        train_from(default_build)
    assert str(default_build) in str(error.value)
    assert "more days" in str(error.value)


def test_the_check_trains_on_the_days_from_train_from(default_build: Path):
    """check_task(train_from=D) trains on the train rows of D and later only,
    and recalibrates with those days' kept-class ratio."""
    train_all, _, _, _ = _splits(default_build, "any")
    day = sorted(train_all["event_date"].unique())[5]
    train, _, rate, _ = _splits(default_build, "any", day)
    assert len(train) == (train_all["event_date"] >= day).sum() < len(train_all)
    with duckdb.connect(str(default_build), read_only=True) as connection:
        (expected,) = connection.execute(
            "select sum(kept_negatives) / sum(negatives) / (sum(kept_positives) / sum(positives)) "
            "from daily_label_stats where task = 'any' and split = 'train' and event_date >= ?",
            [day],
        ).fetchone()
    assert rate == pytest.approx(expected)
    result = check_task(default_build, "any", train_from=day, fit=fit_logistic)
    assert result.train_rows == len(train)


@pytest.mark.parametrize("task", ["quote", "any"])
def test_the_logistic_models_mean_on_its_train_rows_is_their_label_mean(
    default_build: Path, task: str
):
    """The intercept's score equation: trained with `sample_weight`, the model's
    weighted mean on its train rows is their weighted label mean; trained raw,
    its mean is their positive share. Quote is the rarest task, where a loose
    solver tolerance shows first (1e-4, the default, left it 1.7% off on logs
    of 100,000 impressions a day)."""
    train, _, _, _ = _splits(default_build, task)
    weights, labels = train["sample_weight"], train["label"]
    weighted = fit_logistic(train, weighted=True).predict_proba(_features(train))[:, 1]
    raw = fit_logistic(train).predict_proba(_features(train))[:, 1]
    assert np.average(weighted, weights=weights) == pytest.approx(
        np.average(labels, weights=weights), rel=1e-3
    )
    assert raw.mean() == pytest.approx(labels.mean(), rel=1e-3)
