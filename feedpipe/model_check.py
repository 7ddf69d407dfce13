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

Continuous training (`check_stream`, when the build drew `stream_examples`):
the same model, trained three ways with what each trainer holds at the start
of one day D (the first test day), is scored on D's rows of the test split:

- mature marts, recalibrated: the train and validation rows whose labels were
  final before D began (event_date + 1 day + the label window <= D 00:00);
- stream, naive: the stream's rows with `sample_ts` before D 00:00, trained
  unweighted, its scores as they are. Each positive is in the stream twice
  (a negative at its impression, a positive at its engagement), so the model
  learns b = p / (1 + p) (Ktena et al. 2019), below the rate p;
- stream, FNC (fake negative calibration): the same scores mapped back with
  p = b / (1 - b).

For each: the weighted mean score against D's observed and true rates, the
AUC, and the freshness: hours from the newest example it trained on (its
`example_ts` for the marts, `sample_ts` for the stream) to D 00:00.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score
from threadpoolctl import threadpool_limits

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


class Classifier(Protocol):
    """A fitted model, as the check uses it."""

    def predict_proba(self, features: np.ndarray) -> np.ndarray: ...


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


@dataclass(frozen=True)
class Way:
    """One way of training, scored on the stream check's day."""

    name: str
    train_rows: int
    train_positives: int
    freshness_hours: float
    mean: float
    auc: float


@dataclass(frozen=True)
class StreamResult:
    task: str
    day: date
    test_rows: int
    observed_rate: float
    true_rate: float | None
    marts: Way
    stream_naive: Way
    stream_fnc: Way

    @property
    def ways(self) -> tuple[Way, Way, Way]:
        return (self.marts, self.stream_naive, self.stream_fnc)


def recalibrate(scores: np.ndarray, rate: float) -> np.ndarray:
    """q = p / (p + (1 - p) / w): a score of a model trained where negatives were
    kept at `rate` (relative to positives), mapped back to the population."""
    return scores / (scores + (1.0 - scores) / rate)


def fake_negative_calibration(scores: np.ndarray) -> np.ndarray:
    """p = b / (1 - b): a score of a model trained on a stream where every
    positive also came as a negative (b = p / (1 + p)), mapped back to p."""
    return scores / (1.0 - scores)


def _splits(
    database: Path, task: str, train_from: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, float, float]:
    """The task's train rows (from `train_from` on, when given) and test rows,
    in a fixed order (a model's fit must not depend on how a build happened to
    write its rows), the kept-class ratio of those train days and the test
    days' observed rate."""
    with duckdb.connect(str(database), read_only=True) as connection:
        train = connection.execute(
            "select * from train_examples where task = ? "
            "and (cast(? as date) is null or event_date >= cast(? as date)) "
            "order by event_date, user_id, tweet_id",
            [task, train_from, train_from],
        ).df()
        test = connection.execute(
            "select * from test_examples where task = ? order by event_date, user_id, tweet_id",
            [task],
        ).df()
        rate, observed = connection.execute(
            """
            select
                sum(kept_negatives) / sum(negatives) / (sum(kept_positives) / sum(positives)),
                (
                    select sum(positives) / sum(examples) from daily_label_stats
                    where task = ? and split = 'test'
                )
            from daily_label_stats
            where
                task = ? and split = 'train'
                and (cast(? as date) is null or event_date >= cast(? as date))
            """,
            [task, task, train_from, train_from],
        ).fetchone()
    return train, test, float(rate), float(observed)


def _true_rate(database: Path, truth: Path, task: str, day: date | None = None) -> float | None:
    """The mean true probability of the task over the test days' examples (the
    first impression of each user, tweet and day), or over one day's, from the
    generator's truth."""
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
            where cast(? as date) is null or examples.event_date = cast(? as date)
            """,
            [str(truth / "**" / "*.parquet"), day, day],
        ).fetchone()[0]
    return None if value is None else float(value)


def _fit(rows: pd.DataFrame, weighted: bool = False) -> HistGradientBoostingClassifier:
    """Gradient-boosted trees on the rows' FEATURES and label, regularised
    (large leaves, an L2 penalty, 100 rounds): with few positives of a rare
    task, an unregularised model overfits and its scores stop meaning
    probabilities. Fitted on one OpenMP thread: the trees come out the same,
    and on a busy machine the threads' waiting made a one-second fit take a
    minute."""
    model = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.05,
        min_samples_leaf=200,
        l2_regularization=1.0,
        random_state=SEED,
    )
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.fit(
            _features(rows),
            rows["label"],
            sample_weight=rows["sample_weight"] if weighted else None,
        )


def _features(rows: pd.DataFrame) -> np.ndarray:
    return rows[FEATURES].astype(float).to_numpy()


def _scores(model: Classifier, rows: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(_features(rows))[:, 1]


def check_task(
    database: Path,
    task: str,
    truth: Path | None = None,
    train_from: date | None = None,
    fit: Callable[..., Classifier] = _fit,
) -> TaskResult:
    """The task's model trained three ways on the train split (its days from
    `train_from` on, when given) and scored on the test split. `fit(rows,
    weighted=...)` trains the model (default: the gradient-boosted one)."""
    train, test, rate, observed = _splits(database, task, train_from)
    raw = _scores(fit(train), test)
    recalibrated = recalibrate(raw, rate)
    weighted = _scores(fit(train, weighted=True), test)
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


def _first_test_day(connection: duckdb.DuckDBPyConnection) -> date:
    return connection.execute(
        "select min(event_date) from int_mature_days_split where split = 'test'"
    ).fetchone()[0]


def _stream_inputs(
    database: Path, task: str, day: date | None
) -> tuple[date, pd.DataFrame, pd.DataFrame, pd.DataFrame, float, float]:
    """The day, what each trainer holds at its start (the mature marts' rows,
    the stream's rows), the day's test rows, the marts' recalibration rate and
    the day's observed rate."""
    with duckdb.connect(str(database), read_only=True) as connection:
        day = day or _first_test_day(connection)
        start = datetime.combine(day, datetime.min.time())
        (window,) = connection.execute(
            "select label_window_hours from sample_definition where task = ?", [task]
        ).fetchone()
        # A day's labels are final one day plus the label window after its start.
        last_final = start - timedelta(days=1, hours=float(window))
        marts = connection.execute(
            """
            select * from (
                select * from train_examples
                union all
                select * from validation_examples
            )
            where task = ? and event_date <= ?
            order by event_date, user_id, tweet_id
            """,
            [task, last_final],
        ).df()
        stream = connection.execute(
            "select * from stream_examples where task = ? and sample_ts < ? "
            "order by sample_ts, user_id, tweet_id, label",
            [task, start],
        ).df()
        test = connection.execute(
            "select * from test_examples where task = ? and event_date = ? "
            "order by user_id, tweet_id",
            [task, day],
        ).df()
        rate, observed = connection.execute(
            """
            select
                sum(kept_negatives) / sum(negatives) / (sum(kept_positives) / sum(positives)),
                (
                    select sum(positives) / sum(examples) from daily_label_stats
                    where task = ? and event_date = ?
                )
            from daily_label_stats
            where task = ? and split in ('train', 'validation') and event_date <= ?
            """,
            [task, day, task, last_final],
        ).fetchone()
    for name, rows in (
        ("stream_examples", stream),
        ("train_examples and validation_examples", marts),
        ("test_examples", test),
    ):
        if rows.empty:
            raise ValueError(
                f"{name}: no rows of task {task} for the stream check at {day}"
                + (
                    " (build with stream_sampling_rate above 0)"
                    if name == "stream_examples"
                    else ""
                )
            )
    return day, marts, stream, test, float(rate), float(observed)


def check_stream(
    database: Path, task: str, truth: Path | None = None, day: date | None = None
) -> StreamResult:
    """The mature marts (recalibrated) against the stream (naive and FNC), each
    trained on what it holds at the start of `day` (default: the first test
    day) and scored on that day's test rows."""
    day, marts, stream, test, rate, observed = _stream_inputs(database, task, day)
    start = pd.Timestamp(day)
    weights, labels = test["sample_weight"].to_numpy(), test["label"].to_numpy()

    def way(name: str, rows: pd.DataFrame, newest: pd.Timestamp, scores: np.ndarray) -> Way:
        return Way(
            name=name,
            train_rows=len(rows),
            train_positives=int(rows["label"].sum()),
            freshness_hours=(start - newest).total_seconds() / 3600,
            mean=float(np.average(scores, weights=weights)),
            auc=float(roc_auc_score(labels, scores, sample_weight=weights)),
        )

    naive = _scores(_fit(stream), test)
    newest_in_stream = stream["sample_ts"].max()
    return StreamResult(
        task=task,
        day=day,
        test_rows=len(test),
        observed_rate=observed,
        true_rate=_true_rate(database, truth, task, day) if truth else None,
        marts=way(
            "mature marts, recalibrated",
            marts,
            marts["example_ts"].max(),
            recalibrate(_scores(_fit(marts), test), rate),
        ),
        stream_naive=way("stream, naive", stream, newest_in_stream, naive),
        stream_fnc=way("stream, FNC", stream, newest_in_stream, fake_negative_calibration(naive)),
    )


def _has_stream(database: Path) -> bool:
    with duckdb.connect(str(database), read_only=True) as connection:
        return bool(connection.execute("select count(*) from stream_examples").fetchone()[0])


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
    raw = _scores(_fit(train), test)
    weighted = _scores(_fit(train, weighted=True), test)
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


def _stream_lines(results: list[StreamResult]) -> list[str]:
    """The page's section on continuous training."""
    day = results[0].day
    lines = [
        "## Continuous training: the stream against the mature marts",
        "",
        "The same model per task, trained three ways on what each trainer holds at",
        f"{day} 00:00 UTC (the first test day, D), scored on D's rows of the test",
        "split (weighted by `sample_weight`):",
        "",
        "- **mature marts, recalibrated**: the train and validation rows whose labels",
        "  were final before D began (event_date + 1 day + the label window <= D),",
        "  recalibrated as above;",
        "- **stream, naive**: `stream_examples` with `sample_ts` before D, unweighted,",
        "  scores as they are. Every positive is in the stream twice (a negative at its",
        "  impression, a positive at its engagement), so the model learns",
        "  b = p / (1 + p) (Ktena et al. 2019), below the rate p;",
        "- **stream, FNC** (fake negative calibration): the same scores mapped with",
        "  p = b / (1 - b).",
        "",
        "Observed rate: D's positives / examples (`daily_label_stats`); true rate: the",
        "mean of the generator's true probabilities over D's examples;",
        "b = observed / (1 + observed), where the naive mean should land. Freshness:",
        "hours from the newest training example (`example_ts` for the marts,",
        "`sample_ts` for the stream) to D 00:00.",
        "",
        "| task | way | train rows | train positives | freshness (h) | mean prediction "
        "| observed rate | true rate | b | AUC |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        true_rate = "n/a" if r.true_rate is None else f"{r.true_rate:.4f}"
        for way in r.ways:
            lines.append(
                f"| {r.task} | {way.name} | {way.train_rows:,} | {way.train_positives:,} "
                f"| {way.freshness_hours:.2f} | {way.mean:.4f} | {r.observed_rate:.4f} "
                f"| {true_rate} | {r.observed_rate / (1 + r.observed_rate):.4f} | {way.auc:.3f} |"
            )
    lines += [
        "",
        "What to look for (`tests/python/test_model_check.py` holds it for `any` on",
        "the test build): the naive stream's mean near b, below the observed rate;",
        "mapped back with FNC, near the observed rate, as the mature marts'",
        "recalibrated mean is, from a model about a day fresher. FNC is monotone, so",
        "its AUC is the naive model's. A rare task's figures rest on few positives",
        "of one day and scatter more than `any`'s.",
        "",
    ]
    return lines


def write_page(
    results: list[TaskResult],
    page: Path,
    plot: Path,
    stream_results: list[StreamResult] | None = None,
) -> None:
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
    recalibrated = [r.mean_recalibrated / r.observed_rate - 1 for r in results]
    weighted = [r.mean_weighted / r.observed_rate - 1 for r in results]
    lines += [
        "",
        "Raw scores of a model trained on the balanced sample sit near the sample's",
        "positive share, far above the population's rate; recalibrated with",
        "q = p / (p + (1 - p) / w) (w: the train days' negative sampling rate over",
        f"the positive one), their mean matches the observed rate ({min(recalibrated):+.1%}",
        f"to {max(recalibrated):+.1%}). Trained with `sample_weight`, this model comes out",
        f"{min(weighted):+.1%} to {max(weighted):+.1%} off: it fits its train rows' weighted",
        "mean, but its leaves fit the few negatives that carry nearly all the weight,",
        "and its train days are the logs' first weeks, when the users' 28-day counts",
        "are not yet full. [The check under the sampling modes](model-check-modes.md)",
        "shows both and judges the draws with a model that has neither.",
        "",
        f"![Reliability diagram, task any]({plot.name})",
        "",
    ]
    if stream_results:
        lines += _stream_lines(stream_results)
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
    stream_results = []
    if _has_stream(args.database):
        stream_results = [
            check_stream(args.database, task, args.truth) for task in _tasks(args.database)
        ]
        for s in stream_results:
            print(
                f"{s.task:>8}: on {s.day}: observed {s.observed_rate:.4f}  "
                f"marts recalibrated {s.marts.mean:.4f} ({s.marts.freshness_hours:.1f} h old)  "
                f"stream naive {s.stream_naive.mean:.4f}  FNC {s.stream_fnc.mean:.4f} "
                f"({s.stream_fnc.freshness_hours:.2f} h old)"
            )
    else:
        print("stream_examples is empty (stream_sampling_rate 0): no stream check")
    if args.page:
        plot = args.page.with_suffix(".png")
        reliability_plot(args.database, "any", plot)
        write_page(results, args.page, plot, stream_results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
