"""The model check under the other draws: fixed per-task rates and a per-user
daily cap. A model trained on either sample must still give, recalibrated or
trained with `sample_weight`, a mean score on the test population within 5%
(relative) of the test days' observed positive rate.

    python -m feedpipe.model_check_modes --build NAME=DATABASE [--build ...]
        [--truth RAW/truth] [--tasks like,any] [--page PAGE.md]

Each build is a DuckDB file built with one draw; its mode and per-user cap are
read from its sample_definition. Per task, feedpipe.model_check.check_task
trains the model three ways on the train split and scores the test split
(raw, recalibrated with the train days' kept-class ratio, weighted). Which
means are judged:

- no per-user cap (fixed rates, or the balanced draw): the recalibrated mean
  and the weighted one (every row of a class has the same rate, so both undo
  the draw);
- a per-user cap: the weighted one. The cap lowers the rate of the rows of
  heavy users only, which one ratio per task cannot undo; the recalibrated
  mean is shown for comparison, not judged.

The model is a logistic regression (`fit_logistic`), trained on the train
days whose features' windows are full: from the logs' first day plus
FEATURE_WINDOW_DAYS on. Both choices take the model's own bias out of a check
of the draw:

- before that day a user's 28-day counts cover only the days since the logs
  began, so on those days a count means a higher rate than on the test days,
  where every window is full: a model trained there scores the test days
  high;
- the logistic regression's intercept is not penalised, so at its optimum
  the (weighted) mean prediction over the train rows equals their (weighted)
  label mean, and with a few dozen coefficients for tens of thousands of rows
  it holds out of sample too. The gradient-boosted model of the model check,
  trained with `sample_weight`, fits its train rows' mean but scores held-out
  rows of the same days well above it: its leaves (at least 200 rows each,
  however little weight they carry) fit the few negatives that carry nearly
  all the weight.

Beside them, the weights alone: the test rows' weighted label mean
(sum of sample_weight * label over sum of sample_weight), no model. It is
what the draw must get right whatever the model.

The exit status is 1 when the weights' mean or a judged model mean misses
the 5%.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from feedpipe.model_check import FEATURES, TaskResult, _features, check_task

TOLERANCE = 0.05
# The features' longest window (user_impressions_28d, user_engagements_28d):
# the project's feature_lookback_days().
FEATURE_WINDOW_DAYS = 28
COUNTS = [
    "user_impressions_28d",
    "user_engagements_28d",
    "tweet_impressions_7d",
    "tweet_engagements_7d",
]
TIME = ["example_hour", "example_day_of_week"]


@dataclass(frozen=True)
class ModeResult:
    build: str
    mode: str
    per_user_daily_cap: int | None
    capped_share: float
    label_mean: float
    result: TaskResult

    @property
    def judged(self) -> dict[str, float]:
        """The means this draw must get right, by name."""
        means = {"weighted": self.result.mean_weighted}
        if self.per_user_daily_cap is None:
            means["recalibrated"] = self.result.mean_recalibrated
        return means

    def error(self, mean: float) -> float:
        return mean / self.result.observed_rate - 1

    @property
    def model_passed(self) -> bool:
        """Every judged model mean is within 5%."""
        return all(abs(self.error(mean)) < TOLERANCE for mean in self.judged.values())

    @property
    def passed(self) -> bool:
        """The weights' mean is within 5%."""
        return abs(self.error(self.label_mean)) < TOLERANCE


def fit_logistic(rows: pd.DataFrame, weighted: bool = False) -> Pipeline:
    """Logistic regression on the rows' FEATURES and label (weighted by
    `sample_weight` when asked): the counts as log1p, standardised; seen
    before as 0 or 1; hour and day of week one-hot. The intercept is not
    penalised, so at the optimum sum(w * (label - p)) = 0 over the rows. The
    solver stops at a gradient of 1e-10: its default, 1e-4, is of the order
    of a rare task's rate itself and left quote's mean 1.7% off its labels'."""
    columns = {name: FEATURES.index(name) for name in FEATURES}
    model = make_pipeline(
        ColumnTransformer(
            [
                (
                    "counts",
                    make_pipeline(FunctionTransformer(np.log1p), StandardScaler()),
                    [columns[name] for name in COUNTS],
                ),
                ("seen_before", "passthrough", [columns["user_tweet_seen_before"]]),
                ("time", OneHotEncoder(handle_unknown="ignore"), [columns[name] for name in TIME]),
            ]
        ),
        LogisticRegression(tol=1e-10, max_iter=10_000),
    )
    return model.fit(
        _features(rows),
        rows["label"],
        logisticregression__sample_weight=rows["sample_weight"] if weighted else None,
    )


def train_from(database: Path) -> date:
    """The first train day whose features' windows are full: the logs' first
    day plus FEATURE_WINDOW_DAYS. Raises when the build has no such day."""
    with duckdb.connect(str(database), read_only=True) as connection:
        first, last_train = connection.execute(
            "select min(event_date), max(case when split = 'train' then event_date end) "
            "from daily_label_stats"
        ).fetchone()
    if first is None or last_train is None:
        raise ValueError(f"{database}: daily_label_stats has no train day")
    start = first + timedelta(days=FEATURE_WINDOW_DAYS)
    if last_train < start:
        raise ValueError(
            f"{database}: no train day has full feature windows: the logs begin on "
            f"{first}, so the 28-day counts are full from {start} on, and the last "
            f"train day is {last_train} (generate at least "
            f"{(start - last_train).days} more days)"
        )
    return start


def _draw(database: Path, task: str, start: date) -> tuple[str, int | None, float, float]:
    """The build's mode and per-user cap, the share of the task's train rows
    (from `start` on) whose rate the cap lowered (below their class's rate of
    the day), and the test rows' weighted label mean."""
    with duckdb.connect(str(database), read_only=True) as connection:
        mode, cap = connection.execute(
            "select sampling_mode, per_user_daily_cap from sample_definition where task = ?",
            [task],
        ).fetchone()
        (share,) = connection.execute(
            """
            select avg(case
                when examples.sampling_rate < case when examples.label = 1
                    then stats.positive_sampling_rate else stats.negative_sampling_rate end
                then 1.0 else 0.0 end)
            from train_examples as examples
            inner join daily_label_stats as stats using (task, event_date)
            where examples.task = ? and examples.event_date >= ?
            """,
            [task, start],
        ).fetchone()
        (label_mean,) = connection.execute(
            "select sum(sample_weight * label) / sum(sample_weight) from test_examples "
            "where task = ?",
            [task],
        ).fetchone()
    return mode, None if cap is None else int(cap), float(share or 0.0), float(label_mean)


def check_build(name: str, database: Path, task: str, truth: Path | None) -> ModeResult:
    start = train_from(database)
    mode, cap, share, label_mean = _draw(database, task, start)
    result = check_task(database, task, truth, train_from=start, fit=fit_logistic)
    return ModeResult(name, mode, cap, share, label_mean, result)


def exit_status(results: list[ModeResult]) -> int:
    """1 when the weights' mean or a judged model mean misses the 5%."""
    return 0 if all(r.passed and r.model_passed for r in results) else 1


def _tasks(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select task from sample_definition order by task_position"
        ).fetchall()
    return [task for (task,) in rows]


def _row(r: ModeResult) -> str:
    t = r.result
    judged = ", ".join(sorted(r.judged))
    return (
        f"| {r.build} | {r.mode} | {r.per_user_daily_cap or '-'} | {t.task} "
        f"| {t.train_rows:,} | {r.capped_share:.1%} | {t.observed_rate:.4f} "
        f"| {r.label_mean:.4f} ({r.error(r.label_mean):+.1%}) | {'yes' if r.passed else 'NO'} "
        f"| {t.mean_raw:.4f} | {t.mean_recalibrated:.4f} ({r.error(t.mean_recalibrated):+.1%}) "
        f"| {t.mean_weighted:.4f} ({r.error(t.mean_weighted):+.1%}) | {judged} "
        f"| {'yes' if r.model_passed else 'NO'} |"
    )


def table(results: list[ModeResult]) -> list[str]:
    return [
        "| build | mode | per-user cap | task | train rows | train rows capped "
        "| observed rate | weighted label mean (test) | within 5% | mean raw "
        "| mean recalibrated | mean weighted model | model means judged "
        "| judged within 5% |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in results),
    ]


def write_page(results: list[ModeResult], page: Path) -> None:
    lines = [
        "# Model check under the sampling modes",
        "",
        "Written by `make model-check-modes` (`python -m feedpipe.model_check_modes`):",
        "generated logs with learnable structure (70 days, 200,000 impressions a day,",
        "7 validation and 14 test days) built three times: balanced (the default),",
        "with fixed per-task rates (`sampling_mode: fixed_rates`, the Makefile's",
        "`MODEL_CHECK_FIXED_RATES`) and balanced with three negatives per positive",
        "under a per-user daily cap of one row (`per_user_daily_cap: 1`). In",
        "brackets: the relative difference from the test days' observed positive",
        "rate (positives / examples).",
        "",
        "The weights alone: the test rows' weighted label mean, sum(sample_weight *",
        "label) / sum(sample_weight), must be within 5% of the observed rate.",
        "The model: per task, a logistic regression (counts as log1p, hour and day",
        "of week one-hot; `fit_logistic`) trained on the train split raw (then",
        "recalibrated with those train days' kept-class ratio) and with",
        "`sample_weight`, scored on the test split, means weighted by the test rows'",
        "`sample_weight`. It trains on the train days whose features' windows are",
        'full, from the logs\' first day plus 28 on (the "train rows" below).',
        "Judged, each within 5%: with no cap both the recalibrated and the weighted",
        "means (every row of a class has the same rate); under the cap the weighted",
        "one (the cap lowers the rate of heavy users' rows only, which one ratio per",
        "task does not see; the recalibrated mean is shown, not judged). The exit",
        "status is 1 when the weights' mean or a judged model mean misses.",
        "",
        *table(results),
        "",
        '"Train rows capped": the share of those train rows whose rate the cap',
        "lowered. Mean raw: the unweighted model's scores before recalibration,",
        "near the sample's positive share.",
        "",
        "Why this model and these days. The gradient-boosted model of",
        "[the model check](model-check.md), trained on every train day of 35-day",
        "logs (30,000 impressions a day), scored the test days up to 29% high",
        "trained with `sample_weight` (+9% to +18% even in the balanced build) and",
        "up to 13% recalibrated, while the weights' own mean was within 2.4%.",
        "Neither cause is the draw. A user's 28-day counts fill up over the logs'",
        "first 28 days, where a count stands for a higher rate than on the test",
        "days: with fixed rates, task `any`, the weighted model was 1% high on the",
        "train days and 18% on the validation and test days, at the same daily",
        "rate (0.052). And trained with `sample_weight`, the boosted trees fit their",
        "train rows' weighted mean (within 3%), but their leaves (at least 200",
        "rows, whatever their weight) fit the few negatives that carry nearly all",
        "the weight: held-out rows of the same days scored 14% to 40% high, and",
        "this page's test days +1.5% to +9.5% when trained on the same full-window",
        "days (recalibrated: -2.5% to +3.2%). The logistic regression's",
        "unpenalised intercept makes its weighted mean on the train rows their",
        "weighted label mean, and with a few dozen coefficients that holds on the",
        "test days too.",
        "",
        "The 5% is the check's, not fitted to these figures. The observed rate has",
        "noise of its own: quote, the rarest task, has about 10,000 positives on the",
        "14 test days and 14,000 on the train days used, so the two periods' rates",
        "differ by about 1.3% (1 / sqrt(positives), both) before any model. On log",
        "seeds 3, 5, 8 and 13 (`MODEL_CHECK_MODES_SEED`, when this check was",
        "written) the judged means were within -2.2% to +2.0% in the balanced build,",
        "-3.2% to +2.4% with fixed rates and -1.1% to +2.8% under the cap, the",
        "weights' within 1.3%. With half the impressions (1.8% between the periods)",
        "quote's means missed 5% on one of those seeds (+5.7%, balanced), hence the",
        "size of these logs.",
        "",
    ]
    page.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="feedpipe.model_check_modes", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--build",
        action="append",
        required=True,
        metavar="NAME=DATABASE",
        help="a build to check, named (repeat for each)",
    )
    parser.add_argument("--truth", type=Path, default=None, help="the generator's truth folder")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks (default: all)")
    parser.add_argument("--page", type=Path, default=None, help="write a docs page")
    args = parser.parse_args(argv)
    results = []
    for build in args.build:
        name, _, path = build.partition("=")
        if not path:
            parser.error(f"--build {build!r}: expected NAME=DATABASE")
        database = Path(path)
        tasks = args.tasks.split(",") if args.tasks else _tasks(database)
        results += [check_build(name, database, task, args.truth) for task in tasks]
    print("\n".join(table(results)))
    if args.page:
        write_page(results, args.page)
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(main())
