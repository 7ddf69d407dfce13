"""One self-contained HTML page of plots from a built DuckDB file: what the
pipeline made, day by day, for a person to look at after a build or a refresh.

    python -m feedpipe.report [--database PATH] [--out PATH]   # make report

The summary (`make summary`) prints totals; this page shows the days behind
them, so a broken day (a dip in impressions, a label rate off, a sampling rate
at its cap, a day left immature, a burst of rejected rows, a refresh that
covered the wrong window) stands out. Figures, each a `<figure id=...>` with a
caption that says what it shows and names the tables it reads:

    fig-daily-volume     clean impressions and examples per day; the days the
                         monitors flag (daily_monitors) marked and listed, with
                         engagements per action
    fig-positive-rate    positive rate per task and day (daily_label_stats),
                         flagged days marked
    fig-kept-counts      kept positives and negatives per task and day, against
                         the daily cap (sample_definition.daily_cap; "no cap")
    fig-sampling-rates   positive and negative sampling rates per task and day
    fig-split-timeline   train / validation / test / gap / immature, per day
    fig-rejected-rows    rejected raw rows per reason and day (and without a day)
    fig-refresh-runs     the run ledger (stg_feed_refresh__runs): each run's window,
                         mode and completion time, and planned runs never completed

The page adapts to the build's tasks (read from daily_label_stats). The
figures are matplotlib PNGs (Agg) embedded as base64: no external resource, no
network, one file to attach or archive. A figure whose data is empty, or whose
staging or intermediate table is absent, says so in its caption; a database
without the marts is an error naming them. A small inline script writes, on
`load`, a JSON self-check into `<pre id="report-check">` (each figure's
rendered size), so a headless browser's dumped DOM shows whether every figure
rendered (tests/python/test_report.py).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

from feedpipe.report_data import MARTS, Build, MissingMarts, load_build, read_frame, split_days
from feedpipe.report_figures import (
    FIGURE_IDS,
    Section,
    daily_volume,
    day_range,
    kept_counts,
    positive_rate,
    sampling_rates,
)
from feedpipe.report_timeline import refresh_runs, rejected_rows, split_timeline

__all__ = ["FIGURE_IDS", "MARTS", "MissingMarts", "main", "render", "write"]


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1060px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 0.4em; }
dl.header { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.header dt { font-weight: 600; }
dl.header dd { margin: 0; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
table.runs { border-collapse: collapse; font-size: 0.85em; margin-top: 0.6em; }
table.runs th, table.runs td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
pre#report-check { font-size: 0.75em; color: #666; white-space: pre-wrap; }
"""


# On load, record each figure's rendered size, so a headless browser's dumped
# DOM tells whether every figure rendered.
CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var figures = {};
  document.querySelectorAll("figure[id]").forEach(function (figure) {
    var img = figure.querySelector("img");
    var svg = figure.querySelector("svg");
    var entry = {kind: "none", width: 0, height: 0};
    if (img) {
      entry = {kind: "img", complete: img.complete,
               width: img.naturalWidth, height: img.naturalHeight};
    } else if (svg) {
      var box = svg.getBBox();
      entry = {kind: "svg", width: box.width, height: box.height};
    }
    figures[figure.id] = entry;
  });
  var ok = Object.keys(figures).every(function (id) {
    return figures[id].width > 0 && figures[id].height > 0;
  });
  document.getElementById("report-check").textContent =
    JSON.stringify({ok: ok, figures: figures});
});
"""


def _header(build: Build, database: Path, days: pd.Series) -> str:
    connection = build.connection
    stats_days = read_frame(connection, "select distinct event_date from daily_label_stats")
    mature = pd.to_datetime(stats_days["event_date"])
    split_rows = {
        split: connection.execute(f"select count(*) from {split}_examples").fetchone()[0]
        for split in ("train", "validation", "test")
    }
    definition = build.definition
    ratio = (
        f"{definition['negatives_per_positive'].iloc[0]:g}"
        if "negatives_per_positive" in definition.columns and not definition.empty
        else "not recorded"
    )
    watermark = (
        f"{pd.Timestamp(definition['watermark_ts'].iloc[0]):%Y-%m-%d %H:%M:%S} UTC"
        if "watermark_ts" in definition.columns
        and not definition.empty
        and not pd.isna(definition["watermark_ts"].iloc[0])
        else "not recorded"
    )
    items = [
        ("database", str(database.resolve())),
        (
            "built days",
            f"{day_range(mature)} mature (daily_label_stats); {day_range(days)} in all",
        ),
        ("tasks", ", ".join(build.tasks) or "none (daily_label_stats is empty)"),
        ("rows per split", ", ".join(f"{split} {rows:,}" for split, rows in split_rows.items())),
        ("negatives per positive", ratio),
        ("daily cap", build.cap_text),
        ("watermark", watermark),
        ("report written", f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"),
    ]
    body = "".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>" for name, value in items
    )
    return f'<dl class="header">{body}</dl>'


def _section_html(section: Section) -> str:
    data = base64.b64encode(section.png).decode("ascii")
    return (
        f"<section><h2>{html.escape(section.title)}</h2>"
        f'<figure id="{section.fig_id}">'
        f'<img alt="{html.escape(section.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(section.caption)}</figcaption>"
        f"</figure>{section.extra_html}</section>"
    )


def render(database: Path) -> str:
    """The report page of `database` as HTML text. Raises MissingMarts when the
    database lacks the marts."""
    if not database.exists():
        raise MissingMarts(f"no database at {database}: build the project first (make build)")
    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        build = load_build(connection, database)
        days, _ = split_days(build)
        sections = [
            daily_volume(build),
            positive_rate(build),
            kept_counts(build),
            sampling_rates(build),
            split_timeline(build),
            rejected_rows(build),
            refresh_runs(build, days["event_date"]),
        ]
        header = _header(build, database, days["event_date"])
    body = "".join(_section_html(section) for section in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Feed training data report: {html.escape(database.name)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Feed training data report</h1>{header}{body}"
        '<h2>Self-check</h2><pre id="report-check">'
        "not run: open this page in a browser (the script below fills it in on load)</pre>"
        f"<script>{CHECK_SCRIPT}</script>"
        "</body></html>\n"
    )


def write(database: Path, out: Path) -> Path:
    """Write the report page of `database` to `out` and return it."""
    page = render(database)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedpipe.report", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("FEED_DUCKDB_PATH", "data/feed.duckdb")),
        help="the DuckDB file built by dbt (default: $FEED_DUCKDB_PATH or data/feed.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("data/report.html"),
        help="the HTML page to write (default: data/report.html)",
    )
    args = parser.parse_args(argv)
    try:
        out = write(args.database, args.out)
    except MissingMarts as error:
        print(f"feedpipe.report: {error}", file=sys.stderr)
        return 1
    print(f"feedpipe.report: {len(FIGURE_IDS)} figures -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
