"""Print rows per split and task from the served database (`make run` ends with it)."""

from __future__ import annotations

import argparse
import os
import sys

import duckdb

from feedpipe.serving import served_path

SUMMARY_SQL = """
with all_splits as (
    select 'train' as split, task, label, sample_weight, event_date from train_examples
    union all
    select 'validation', task, label, sample_weight, event_date from validation_examples
    union all
    select 'test', task, label, sample_weight, event_date from test_examples
)
select
    split,
    task,
    count(distinct event_date) as days,
    min(event_date) as first_day,
    max(event_date) as last_day,
    count(*) as rows_kept,
    cast(sum(label) as bigint) as positives,
    cast(count(*) - sum(label) as bigint) as negatives,
    round(sum(sample_weight)) as weighted_rows
from all_splits
group by split, task
order by
    case split when 'train' then 1 when 'validation' then 2 else 3 end,
    task
"""


def summarise(database: str) -> str:
    """Return the summary table as text."""
    with duckdb.connect(database, read_only=True) as connection:
        relation = connection.sql(SUMMARY_SQL)
        return str(relation)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database",
        default=str(served_path()),
        help="the DuckDB file to read (default: the served database, $FEED_SERVING_PATH or "
        "<name>_serving beside $FEED_DUCKDB_PATH: data/feed_serving.duckdb)",
    )
    args = parser.parse_args(argv)
    if not os.path.exists(args.database):
        print(f"no DuckDB file at {args.database}: run `make build` first", file=sys.stderr)
        return 1
    print(summarise(args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
