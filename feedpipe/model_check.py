"""Proof that the sample and the recalibration work: train on the balanced train
split, score the test split, and judge the scores against the test days' full
population.

    python -m feedpipe.model_check [--database PATH] [--truth RAW/truth] [--page PAGE.md]

For each task, a gradient-boosted model (scikit-learn's
HistGradientBoostingClassifier, fixed seed) is trained on the train split's
features three ways, and scored on the test split:

- raw: trained unweighted on the balanced sample; its scores are inflated,
  as the lesson warns (the sample holds about as many positives as negatives);
- recalibrated: the same scores mapped with q = p / (p + (1 - p) / w), where w
  is the train days' negative sampling rate over their positive sampling rate
  (from daily_label_stats);
- weighted: trained with `sample_weight`, which restores the population's
  class balance.

The test split is a sample too: each row stands for `sample_weight` examples
of the test days. So calibration is judged on the population through the
weights: the weighted mean score against the observed positive rate of the
test days (daily_label_stats: positives / examples), and, when the
generator's truth files are given, against the mean true probability of the
test days' examples. AUC and log loss are weighted the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score

FEATURES = [
    "user_impressions_28d",
    "user_engagements_28d",
    "tweet_impressions_7d",
    "tweet_engagements_7d",
    "user_tweet_seen_before",
    "example_hour",
    "example_day_of_week",
]
SEED = 7


@dataclass(frozen=True)
class TaskResult:
    task: str
    train_rows: int
    test_rows: int
    observed_rate: float
    true_rate: float | None
    auc: float
    log_loss_raw: float
    log_loss_recalibrated: float
    log_loss_weighted: float
    mean_raw: float
    mean_recalibrated: float
    mean_weighted: float


def recalibrate(scores: np.ndarray, rate: float) -> np.ndarray:
    """q = p / (p + (1 - p) / w): a score of a model trained where negatives were
    kept at `rate` (relative to positives), mapped back to the population."""
    return scores / (scores + (1.0 - scores) / rate)


def _splits(database: Path, task: str) -> tuple[pd.DataFrame, pd.DataFrame, float, float]:
    with duckdb.connect(str(database), read_only=True) as connection:
        train = connection.execute("select * from train_examples where task = ?", [task]).df()
        test = connection.execute("select * from test_examples where task = ?", [task]).df()
        rate, observed = connection.execute(
            """
            select
                sum(kept_negatives) / sum(negatives) / (sum(kept_positives) / sum(positives)),
                (
                    select sum(positives) / sum(examples) from daily_label_stats
                    where task = ? and split = 'test'
                )
            from daily_label_stats
            where task = ? and split = 'train'
            """,
            [task, task],
        ).fetchone()
    return train, test, float(rate), float(observed)


def _true_rate(database: Path, truth: Path, task: str) -> float | None:
    """The mean true probability of the task over the test days' examples (the
    first impression of each user, tweet and day), from the generator's truth."""
    column = f"p_{task}"
    with duckdb.connect(str(database), read_only=True) as connection:
        names = connection.execute(
            "select name from parquet_schema(?) where name = ?",
            [str(truth / "**" / "*.parquet"), column],
        ).fetchall()
        if not names:
            return None
        value = connection.execute(
            f"""
            select avg(truth.{column})
            from int_examples_built as examples
            inner join int_mature_days_split as days
                on examples.event_date = days.event_date and days.split = 'test'
            inner join read_parquet(?) as truth
                on
                    examples.user_id = truth.user_id
                    and examples.tweet_id = truth.tweet_id
                    and examples.example_ts = truth.impression_ts
            """,
            [str(truth / "**" / "*.parquet")],
        ).fetchone()[0]
    return None if value is None else float(value)


def _model() -> HistGradientBoostingClassifier:
    """Gradient-boosted trees, regularised (large leaves, an L2 penalty, 100
    rounds): with few positives of a rare task, an unregularised model
    overfits and its scores stop meaning probabilities."""
    return HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.05,
        min_samples_leaf=200,
        l2_regularization=1.0,
        random_state=SEED,
    )


def check_task(database: Path, task: str, truth: Path | None = None) -> TaskResult:
    train, test, rate, observed = _splits(database, task)
    x_train = train[FEATURES].astype(float).to_numpy()
    x_test = test[FEATURES].astype(float).to_numpy()
    raw_model = _model().fit(x_train, train["label"])
    weighted_model = _model().fit(x_train, train["label"], sample_weight=train["sample_weight"])
    raw = raw_model.predict_proba(x_test)[:, 1]
    recalibrated = recalibrate(raw, rate)
    weighted = weighted_model.predict_proba(x_test)[:, 1]
    weights = test["sample_weight"].to_numpy()
    labels = test["label"].to_numpy()

    def mean(scores: np.ndarray) -> float:
        return float(np.average(scores, weights=weights))

    def loss(scores: np.ndarray) -> float:
        return float(log_loss(labels, np.clip(scores, 1e-7, 1 - 1e-7), sample_weight=weights))

    return TaskResult(
        task=task,
        train_rows=len(train),
        test_rows=len(test),
        observed_rate=observed,
        true_rate=_true_rate(database, truth, task) if truth else None,
        auc=float(roc_auc_score(labels, raw, sample_weight=weights)),
        log_loss_raw=loss(raw),
        log_loss_recalibrated=loss(recalibrated),
        log_loss_weighted=loss(weighted),
        mean_raw=mean(raw),
        mean_recalibrated=mean(recalibrated),
        mean_weighted=mean(weighted),
    )


def _tasks(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select task from sample_definition order by task_position"
        ).fetchall()
    return [task for (task,) in rows]


def reliability_plot(database: Path, task: str, path: Path) -> None:
    """Reliability diagram of one task on the test population: weighted observed
    rate per bin of predicted probability, raw, recalibrated and weighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, test, rate, _ = _splits(database, task)
    x_train = train[FEATURES].astype(float).to_numpy()
    x_test = test[FEATURES].astype(float).to_numpy()
    raw = _model().fit(x_train, train["label"]).predict_proba(x_test)[:, 1]
    weighted = (
        _model()
        .fit(x_train, train["label"], sample_weight=train["sample_weight"])
        .predict_proba(x_test)[:, 1]
    )
    weights, labels = test["sample_weight"].to_numpy(), test["label"].to_numpy()
    figure, axis = plt.subplots(figsize=(5.5, 5))
    for name, scores in (
        ("raw (balanced sample)", raw),
        ("recalibrated", recalibrate(raw, rate)),
        ("trained with sample_weight", weighted),
    ):
        edges = np.quantile(scores, np.linspace(0, 1, 11))
        bins = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, 9)
        predicted, observed = [], []
        for b in range(10):
            chosen = bins == b
            if weights[chosen].sum() > 0:
                predicted.append(np.average(scores[chosen], weights=weights[chosen]))
                observed.append(np.average(labels[chosen], weights=weights[chosen]))
        axis.plot(predicted, observed, marker="o", label=name)
    top = max(axis.get_xlim()[1], axis.get_ylim()[1])
    axis.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect")
    axis.set_xlabel("mean predicted probability (bin)")
    axis.set_ylabel("observed positive rate (bin, weighted)")
    axis.set_title(f"Task {task}: test population")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_page(results: list[TaskResult], page: Path, plot: Path) -> None:
    lines = [
        "# Model check: the sample and the recalibration",
        "",
        "Written by `make model-check` (`python -m feedpipe.model_check`): on the",
        "project's build of generated logs with learnable structure, a gradient-boosted",
        "model per task is trained on the balanced train split and scored on the test",
        "split, whose rows stand for the test days' whole population through their",
        "`sample_weight`. Means and log losses are weighted that way; the observed",
        "rate is the test days' positives / examples (`daily_label_stats`), the true",
        "rate the mean of the generator's true probabilities over the same examples.",
        "",
        "| task | train rows | test rows | AUC | observed rate | true rate | mean raw "
        "| mean recalibrated | mean weighted model | log loss raw / recal. / weighted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        true_rate = "n/a" if r.true_rate is None else f"{r.true_rate:.4f}"
        lines.append(
            f"| {r.task} | {r.train_rows:,} | {r.test_rows:,} | {r.auc:.3f} "
            f"| {r.observed_rate:.4f} | {true_rate} | {r.mean_raw:.4f} "
            f"| {r.mean_recalibrated:.4f} | {r.mean_weighted:.4f} "
            f"| {r.log_loss_raw:.4f} / {r.log_loss_recalibrated:.4f} / "
            f"{r.log_loss_weighted:.4f} |"
        )
    lines += [
        "",
        "Raw scores of a model trained on the balanced sample sit near the sample's",
        "positive share, far above the population's rate; recalibrated with",
        "q = p / (p + (1 - p) / w) (w: the train days' negative sampling rate over",
        "the positive one) or trained with `sample_weight`, their mean matches the",
        "observed rate.",
        "",
        f"![Reliability diagram, task any]({plot.name})",
        "",
    ]
    page.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="feedpipe.model_check", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb")),
    )
    parser.add_argument("--truth", type=Path, default=None, help="the generator's truth folder")
    parser.add_argument("--page", type=Path, default=None, help="write a docs page and its plot")
    args = parser.parse_args(argv)
    results = [check_task(args.database, task, args.truth) for task in _tasks(args.database)]
    for r in results:
        print(
            f"{r.task:>8}: AUC {r.auc:.3f}  observed {r.observed_rate:.4f}  "
            f"raw {r.mean_raw:.4f}  recalibrated {r.mean_recalibrated:.4f}  "
            f"weighted {r.mean_weighted:.4f}"
        )
    if args.page:
        plot = args.page.with_suffix(".png")
        reliability_plot(args.database, "any", plot)
        write_page(results, args.page, plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
