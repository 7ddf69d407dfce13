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
mean is judged:

- fixed rates, no per-user cap: the recalibrated mean and the weighted one
  (every row of a class has the same rate, so both undo the draw);
- a per-user cap: the weighted one. The cap lowers the rate of the rows of
  heavy users only, which one ratio per task cannot undo; the recalibrated
  mean is shown for comparison, not judged.

Beside them, the weights alone: the test rows' weighted label mean
(sum of sample_weight * label over sum of sample_weight), no model. It is
what the draw must get right whatever the model; the model means add the
model's own bias, which the balanced build (no cap) shows for comparison.

The exit status is 1 when the weights' mean misses the 5%.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from feedpipe.model_check import TaskResult, check_task

TOLERANCE = 0.05


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
        """A judged model mean is within 5%."""
        return any(abs(self.error(mean)) < TOLERANCE for mean in self.judged.values())

    @property
    def passed(self) -> bool:
        """The weights' mean is within 5%."""
        return abs(self.error(self.label_mean)) < TOLERANCE


def _draw(database: Path, task: str) -> tuple[str, int | None, float, float]:
    """The build's mode and per-user cap, the share of the task's train rows
    whose rate the cap lowered (below their class's rate of the day), and the
    test rows' weighted label mean."""
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
            where examples.task = ?
            """,
            [task],
        ).fetchone()
        (label_mean,) = connection.execute(
            "select sum(sample_weight * label) / sum(sample_weight) from test_examples "
            "where task = ?",
            [task],
        ).fetchone()
    return mode, None if cap is None else int(cap), float(share or 0.0), float(label_mean)


def check_build(name: str, database: Path, task: str, truth: Path | None) -> ModeResult:
    mode, cap, share, label_mean = _draw(database, task)
    return ModeResult(name, mode, cap, share, label_mean, check_task(database, task, truth))


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
        f"| {'yes' if r.model_passed else 'no'} |"
    )


def table(results: list[ModeResult]) -> list[str]:
    return [
        "| build | mode | per-user cap | task | train rows | train rows capped "
        "| observed rate | weighted label mean (test) | within 5% | mean raw "
        "| mean recalibrated | mean weighted model | model means judged | one within 5% |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in results),
    ]


def write_page(results: list[ModeResult], page: Path) -> None:
    lines = [
        "# Model check under the sampling modes",
        "",
        "Written by `make model-check-modes` (`python -m feedpipe.model_check_modes`):",
        "generated logs with learnable structure (35 days, 30,000 impressions a day)",
        "built three times: balanced (the default, for comparison), with fixed per-task",
        "rates (`sampling_mode: fixed_rates`, the Makefile's `MODEL_CHECK_FIXED_RATES`)",
        "and balanced with three negatives per positive under a per-user daily cap of",
        "one row (`per_user_daily_cap: 1`). In brackets: the relative difference from",
        "the test days' observed positive rate (positives / examples).",
        "",
        "The weights alone: the test rows' weighted label mean, sum(sample_weight *",
        "label) / sum(sample_weight), must be within 5% of the observed rate.",
        "The models: per task, the model of [the model check](model-check.md) trained",
        "on the train split raw (then recalibrated with the train days' kept-class",
        "ratio) and with `sample_weight`, scored on the test split, means weighted by",
        "the test rows' `sample_weight`. Judged: with no cap both the recalibrated and",
        "the weighted means (every row of a class has the same rate); under the cap",
        "the weighted one (the cap lowers the rate of heavy users' rows only, which one",
        "ratio per task does not see; the recalibrated mean is shown, not judged).",
        "",
        *table(results),
        "",
        '"Train rows capped": the share of train rows whose rate the cap lowered.',
        "The models' own bias on these logs shows in the balanced rows: a model mean",
        "that misses 5% under a mode is to be read against it.",
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
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
