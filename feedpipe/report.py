"""One self-contained HTML page of plots from a built DuckDB file: what the
pipeline made, day by day, for a person to look at after a build or a refresh.

    python -m feedpipe.report [--database PATH] [--out PATH]   # make report

The summary (`make summary`) prints totals; this page shows the days behind
them, so a broken day (a dip in impressions, a label rate off, a sampling rate
at its cap, a day left immature, a burst of rejected rows, a refresh that
covered the wrong window) stands out. Figures, each a `<figure id=...>` with a
caption that says what it shows and names the tables it reads:

    fig-daily-volume     clean impressions and examples per day
    fig-positive-rate    positive rate per task and day (daily_label_stats)
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
import io
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

MARTS = (
    "daily_label_stats",
    "sample_definition",
    "train_examples",
    "validation_examples",
    "test_examples",
)
# The views over the refresh's bookkeeping tables (source feed_refresh).
RUN_LEDGER = "stg_feed_refresh__runs"
PLANNED_RUNS = "stg_feed_refresh__windows"
FIGURE_IDS = (
    "fig-daily-volume",
    "fig-positive-rate",
    "fig-kept-counts",
    "fig-sampling-rates",
    "fig-split-timeline",
    "fig-rejected-rows",
    "fig-refresh-runs",
)
SPLIT_COLOURS = {
    "train": "#1f77b4",
    "validation": "#ff7f0e",
    "test": "#2ca02c",
    "gap": "#c7c7c7",
    "immature": "#9467bd",
}
MODE_COLOURS = {
    "full": "#1f77b4",
    "scheduled": "#2ca02c",
    "explicit": "#ff7f0e",
}
MAX_RUNS_SHOWN = 40
DPI = 100
WIDTH_IN = 10.0


class MissingMarts(RuntimeError):
    """The database lacks the marts: build the project first."""


@dataclass
class Section:
    """One figure of the page: its id, title, caption (plain text) and PNG, and
    optional HTML shown after it."""

    fig_id: str
    title: str
    caption: str
    png: bytes
    extra_html: str = ""


@dataclass
class Build:
    """What every figure needs to know about the build."""

    connection: duckdb.DuckDBPyConnection
    tables: set[str]
    tasks: list[str]
    definition: pd.DataFrame
    cap_text: str
    cap: float | None


# -- reading ------------------------------------------------------------------


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    ).fetchall()
    return {row[0] for row in rows}


def _frame(connection: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return connection.sql(sql).df()


def _check_marts(tables: set[str], database: Path) -> None:
    missing = [mart for mart in MARTS if mart not in tables]
    if missing:
        raise MissingMarts(
            f"{database}: no {', '.join(missing)} table{'s' if len(missing) > 1 else ''}: "
            "build the project first (make build)"
        )


def _cap(definition: pd.DataFrame) -> tuple[str, float | None]:
    """The daily cap as a sentence for captions, and its value (None for no cap
    or not recorded). The `daily_cap` var is recorded in sample_definition."""
    if "daily_cap" not in definition.columns:
        return (
            "the daily cap is not recorded in this database "
            "(sample_definition has no daily_cap column)",
            None,
        )
    caps = sorted({int(value) for value in definition["daily_cap"].dropna()})
    if definition.empty:
        return "the daily cap is not recorded (sample_definition is empty)", None
    if not caps:
        return "no cap (sample_definition.daily_cap is null)", None
    if len(caps) == 1:
        return f"daily cap {caps[0]:,} kept examples per task and day", float(caps[0])
    listed = ", ".join(f"{cap:,}" for cap in caps)
    return f"daily caps {listed} kept examples per task and day (they differ by task)", None


def _load(connection: duckdb.DuckDBPyConnection, database: Path) -> Build:
    tables = _tables(connection)
    _check_marts(tables, database)
    tasks_frame = _frame(
        connection,
        "select stats.task, min(definition.task_position) as position "
        "from daily_label_stats as stats "
        "left join sample_definition as definition on definition.task = stats.task "
        "group by stats.task order by position nulls last, stats.task",
    )
    definition = _frame(connection, "select * from sample_definition order by task_position")
    cap_text, cap = _cap(definition)
    return Build(
        connection=connection,
        tables=tables,
        tasks=[str(task) for task in tasks_frame["task"]],
        definition=definition,
        cap_text=cap_text,
        cap=cap,
    )


# -- drawing ------------------------------------------------------------------


def _figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _message_png(message: str) -> bytes:
    """A small image carrying `message`, for a figure with nothing to draw."""
    figure = _figure(1.4)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.add_patch(
        Rectangle((0, 0), 1, 1, transform=axes.transAxes, facecolor="#f4f4f4", edgecolor="#999999")
    )
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#444444")
    return _png(figure)


def _date_axis(axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=12)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _task_colours(tasks: list[str]) -> dict[str, str]:
    palette = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#ff7f0e",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#17becf",
        "#bcbd22",
        "#7f7f7f",
    ]
    return {task: palette[index % len(palette)] for index, task in enumerate(tasks)}


def _day_range(days: pd.Series) -> str:
    if days.empty:
        return "no days"
    first, last = days.min(), days.max()
    return f"{len(days.unique())} days, {first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _missing(table: str) -> str:
    return f"{table} is not in this database"


# -- figures ------------------------------------------------------------------


def daily_volume(build: Build) -> Section:
    fig_id, title = "fig-daily-volume", "Impressions and examples per day"
    parts = []
    frames = {}
    if "stg_feed__impressions" in build.tables:
        frames["clean impressions"] = _frame(
            build.connection,
            "select impression_date as day, count(*) as n from stg_feed__impressions "
            "where impression_date is not null group by all order by all",
        )
    else:
        parts.append(_missing("stg_feed__impressions"))
    if "int_examples_built" in build.tables:
        frames["examples"] = _frame(
            build.connection,
            "select event_date as day, count(*) as n from int_examples_built "
            "group by all order by all",
        )
        source = "int_examples_built"
    else:
        frames["examples"] = _frame(
            build.connection,
            "select event_date as day, max(examples) as n from daily_label_stats "
            "group by all order by all",
        )
        source = "daily_label_stats (mature days only: int_examples_built is not here)"
    frames = {name: frame for name, frame in frames.items() if not frame.empty}
    caption = (
        "Clean impressions per day (stg_feed__impressions, by impression_date) and examples "
        f"per day (one per user, tweet and day, from {source}), before any sampling."
    )
    if not frames:
        return Section(
            fig_id,
            title,
            f"{caption} Empty: no impressions and no examples. {' '.join(parts)}".strip(),
            _message_png("no impressions and no examples"),
        )
    figure = _figure(3.4)
    axes = figure.add_subplot()
    styles = {"clean impressions": ("#aec7e8", "o"), "examples": ("#1f77b4", "s")}
    totals = []
    for name, frame in frames.items():
        colour, marker = styles[name]
        days = pd.to_datetime(frame["day"])
        axes.plot(days, frame["n"], marker=marker, color=colour, label=name, linewidth=2)
        totals.append(f"{int(frame['n'].sum()):,} {name} over {_day_range(days)}")
    axes.set_ylabel("rows per day")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    _date_axis(axes)
    missing = [name for name in ("clean impressions", "examples") if name not in frames]
    parts += [f"No {name}." for name in missing]
    text = f"{caption} {'; '.join(totals)}. {' '.join(parts)}".strip()
    return Section(fig_id, title, text, _png(figure))


def _stats(build: Build) -> pd.DataFrame:
    frame = _frame(build.connection, "select * from daily_label_stats order by task, event_date")
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    return frame


def positive_rate(build: Build) -> Section:
    fig_id, title = "fig-positive-rate", "Positive rate per task and day"
    stats = _stats(build)
    caption = (
        "Share of examples labelled positive per mature day, before sampling "
        "(daily_label_stats.positive_rate), one line per task"
    )
    if stats.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: daily_label_stats has no rows (no mature day yet).",
            _message_png("daily_label_stats is empty"),
        )
    colours = _task_colours(build.tasks)
    figure = _figure(3.6)
    axes = figure.add_subplot()
    means = []
    for task in build.tasks:
        rows = stats[stats["task"] == task]
        axes.plot(
            rows["event_date"],
            rows["positive_rate"] * 100,
            marker="o",
            markersize=3,
            color=colours[task],
            label=task,
        )
        weighted = rows["positives"].sum() / max(rows["examples"].sum(), 1) * 100
        means.append(f"{task} {weighted:.2f}%")
    axes.set_ylabel("positive rate (%)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(title="task", loc="center left", bbox_to_anchor=(1.0, 0.5))
    _date_axis(axes)
    text = (
        f"{caption}: {', '.join(build.tasks)}. Over all days: {', '.join(means)}; "
        f"{_day_range(stats['event_date'])}."
    )
    return Section(fig_id, title, text, _png(figure))


def _grid(count: int) -> tuple[int, int]:
    columns = min(count, 3)
    return math.ceil(count / columns), columns


def kept_counts(build: Build) -> Section:
    fig_id, title = "fig-kept-counts", "Kept positives and negatives per task and day"
    stats = _stats(build)
    caption = (
        "Examples kept by the downsampling per mature day (daily_label_stats.kept_positives "
        "and kept_negatives, and their sum), one panel per task"
    )
    if stats.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: daily_label_stats has no rows. Cap: {build.cap_text}.",
            _message_png("daily_label_stats is empty"),
        )
    rows_count, columns = _grid(len(build.tasks))
    figure = _figure(2.5 * rows_count + 0.5)
    panels = figure.subplots(rows_count, columns, sharex=True, squeeze=False).flatten()
    at_cap = []
    for axes, task in zip(panels, build.tasks, strict=False):
        rows = stats[stats["task"] == task]
        kept = rows["kept_positives"] + rows["kept_negatives"]
        axes.plot(rows["event_date"], rows["kept_positives"], color="#d62728", label="positives")
        axes.plot(rows["event_date"], rows["kept_negatives"], color="#1f77b4", label="negatives")
        axes.plot(rows["event_date"], kept, color="#555555", linestyle="--", label="kept total")
        if build.cap is not None:
            axes.axhline(build.cap, color="#000000", linewidth=1.2, label="daily cap")
            days_at_cap = int((kept >= 0.9 * build.cap).sum())
            at_cap.append(f"{task} {days_at_cap}")
        axes.set_title(task, fontsize=10)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        _date_axis(axes)
    for axes in panels[len(build.tasks) :]:
        axes.set_axis_off()
    panels[0].legend(fontsize=8, loc="lower left")
    if build.cap is None:
        figure.suptitle(f"Cap: {build.cap_text}", fontsize=10)
        cap_sentence = f"Cap: {build.cap_text}."
    else:
        cap_sentence = (
            f"Cap: {build.cap_text} (the black line); days at 90% of the cap or more per "
            f"task: {', '.join(at_cap)}."
        )
    totals = ", ".join(
        f"{task} {int(stats.loc[stats['task'] == task, 'kept_positives'].sum()):,}+"
        f"{int(stats.loc[stats['task'] == task, 'kept_negatives'].sum()):,}"
        for task in build.tasks
    )
    text = (
        f"{caption}: {', '.join(build.tasks)}. {cap_sentence} "
        f"Kept positives+negatives in all: {totals}."
    )
    return Section(fig_id, title, text, _png(figure))


def sampling_rates(build: Build) -> Section:
    fig_id, title = "fig-sampling-rates", "Sampling rates per task and day"
    stats = _stats(build)
    caption = (
        "Probability that an example is kept, per mature day: positives on the left "
        "(daily_label_stats.positive_sampling_rate), negatives on the right "
        "(negative_sampling_rate), one line per task"
    )
    if stats.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: daily_label_stats has no rows.",
            _message_png("daily_label_stats is empty"),
        )
    colours = _task_colours(build.tasks)
    figure = _figure(3.4)
    left, right = figure.subplots(1, 2, sharex=True)
    for task in build.tasks:
        rows = stats[stats["task"] == task]
        for axes, column in ((left, "positive_sampling_rate"), (right, "negative_sampling_rate")):
            axes.plot(
                rows["event_date"],
                rows[column],
                marker="o",
                markersize=3,
                color=colours[task],
                label=task,
            )
    for axes, name in ((left, "positive sampling rate"), (right, "negative sampling rate")):
        axes.set_title(name, fontsize=10)
        axes.set_ylim(bottom=0, top=max(1.05, axes.get_ylim()[1]) if axes is left else None)
        axes.grid(alpha=0.3)
        _date_axis(axes)
    right.legend(title="task", loc="center left", bbox_to_anchor=(1.0, 0.5))
    ranges = ", ".join(
        f"{task} {rows['negative_sampling_rate'].min():.3g}-"
        f"{rows['negative_sampling_rate'].max():.3g}"
        for task, rows in ((task, stats[stats["task"] == task]) for task in build.tasks)
    )
    text = f"{caption}: {', '.join(build.tasks)}. Negative rates per task: {ranges}."
    return Section(fig_id, title, text, _png(figure))


def _split_days(build: Build) -> tuple[pd.DataFrame, list[str]]:
    """One row per day with examples or a split row: its status (train,
    validation, test, gap, immature), and the tables it was read from."""
    sources = [
        f"select distinct event_date from {table}"
        for table in ("int_examples_built", "int_daily_sampling_rates")
        if table in build.tables
    ]
    if "int_mature_days_split" in build.tables:
        split_table = "int_mature_days_split"
        split_sql = "select event_date, split from int_mature_days_split"
    else:
        split_table = "daily_label_stats"
        split_sql = "select distinct event_date, split from daily_label_stats"
    sources.append(f"select event_date from ({split_sql})")
    frame = _frame(
        build.connection,
        f"""
        with days as ({" union ".join(sources)}),
        splits as ({split_sql})
        select
            days.event_date,
            case
                when splits.event_date is null then 'immature'
                when splits.split is null then 'gap'
                else splits.split
            end as status
        from days
        left join splits on splits.event_date = days.event_date
        where days.event_date is not null
        order by days.event_date
        """,
    )
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    read = [
        table
        for table in ("int_examples_built", "int_daily_sampling_rates")
        if table in build.tables
    ]
    return frame, [split_table, *read]


def split_timeline(build: Build) -> Section:
    fig_id, title = "fig-split-timeline", "Split timeline"
    days, read = _split_days(build)
    caption = (
        "Which split each day belongs to: train, validation or test (the split row of "
        f"{read[0]}), gap (a mature day in no split), or immature (a day with examples but "
        f"no split row yet: its labels may still change). Days read from {', '.join(read)}"
    )
    if days.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: no day has examples or a split.",
            _message_png("no days"),
        )
    figure = _figure(1.9)
    axes = figure.add_subplot()
    for day, status in zip(days["event_date"], days["status"], strict=True):
        start = mdates.date2num(day)
        axes.broken_barh(
            [(start, 1.0)],
            (0, 1),
            facecolors=SPLIT_COLOURS.get(status, "#000000"),
            edgecolor="white",
        )
    # Name each run of consecutive days of one status in its middle.
    block = (days["status"] != days["status"].shift()).cumsum()
    for _, run in days.groupby(block):
        middle = mdates.date2num(run["event_date"].iloc[0]) + len(run) / 2
        axes.text(
            middle,
            0.5,
            run["status"].iloc[0],
            ha="center",
            va="center",
            fontsize=9,
            color="black" if run["status"].iloc[0] == "gap" else "white",
            clip_on=True,
        )
    starts = days["event_date"].min()
    ends = days["event_date"].max() + pd.Timedelta(days=1)
    axes.set_xlim(mdates.date2num(starts), mdates.date2num(ends))
    axes.set_ylim(0, 1)
    axes.set_yticks([])
    _date_axis(axes)
    present = [status for status in SPLIT_COLOURS if status in set(days["status"])]
    handles = [Patch(facecolor=SPLIT_COLOURS[status], label=status) for status in present]
    axes.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncols=len(handles)
    )
    summary = []
    for status in present:
        chosen = days.loc[days["status"] == status, "event_date"]
        summary.append(f"{status}: {_day_range(chosen)}")
    text = f"{caption}. {'; '.join(summary)}."
    return Section(fig_id, title, text, _png(figure))


def rejected_rows(build: Build) -> Section:
    fig_id, title = "fig-rejected-rows", "Rejected rows per reason and day"
    table = "stg_feed__rejected_rows"
    caption = (
        f"Raw rows set aside by staging ({table}), per reject_reason and row_date "
        "(the raw row's own day), stacked; "
        "rows whose day is unknown (no or unreadable timestamp) are the last bar, 'no day'"
    )
    if table not in build.tables:
        return Section(
            fig_id, title, f"{caption}. {_missing(table)}.", _message_png(_missing(table))
        )
    frame = _frame(
        build.connection,
        f"select coalesce(cast(row_date as varchar), 'no day') as day, "
        f"coalesce(reject_reason, 'no reason') as reason, count(*) as n "
        f"from {table} group by all",
    )
    if frame.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: no row was rejected.",
            _message_png("no rejected rows"),
        )
    pivot = frame.pivot_table(
        index="day", columns="reason", values="n", aggfunc="sum", fill_value=0
    )
    order = sorted(day for day in pivot.index if day != "no day")
    if "no day" in pivot.index:
        order.append("no day")
    pivot = pivot.loc[order]
    figure = _figure(3.8)
    axes = figure.add_subplot()
    positions = range(len(pivot.index))
    bottom = pd.Series(0, index=pivot.index)
    for reason in pivot.columns:
        axes.bar(positions, pivot[reason], bottom=bottom, label=reason, width=0.8)
        bottom = bottom + pivot[reason]
    labels = [day[5:] if day != "no day" else day for day in pivot.index]
    step = max(1, len(labels) // 20)
    axes.set_xticks(list(positions)[::step], labels[::step], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("rejected rows")
    axes.grid(alpha=0.3, axis="y")
    axes.legend(title="reject_reason", loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    totals = frame.groupby("reason")["n"].sum().sort_values(ascending=False)
    no_day = int(frame.loc[frame["day"] == "no day", "n"].sum())
    listed = ", ".join(f"{reason} {int(n):,}" for reason, n in totals.items())
    text = (
        f"{caption}. {int(totals.sum()):,} rows in all: {listed}; {no_day:,} of them without a day."
    )
    return Section(fig_id, title, text, _png(figure))


def _runs(build: Build) -> pd.DataFrame:
    """Completed runs from the ledger, plus planned windows that never completed."""
    frames = []
    if RUN_LEDGER in build.tables:
        frames.append(
            _frame(
                build.connection,
                f"select invocation_id, window_mode, window_start, window_end, watermark_ts, "
                f"completed_ts as ran_at, 'completed' as status from {RUN_LEDGER}",
            )
        )
    if PLANNED_RUNS in build.tables:
        known = f"where invocation_id not in (select invocation_id from {RUN_LEDGER})"
        frames.append(
            _frame(
                build.connection,
                f"select invocation_id, window_mode, window_start, window_end, "
                f"cast(null as timestamp) as watermark_ts, planned_ts as ran_at, "
                f"'not completed' as status from {PLANNED_RUNS} "
                f"{known if RUN_LEDGER in build.tables else ''}",
            )
        )
    if not frames:
        return pd.DataFrame()
    runs = pd.concat([frame for frame in frames if not frame.empty] or frames, ignore_index=True)
    return runs.sort_values("ran_at", kind="stable").reset_index(drop=True)


def _runs_table(runs: pd.DataFrame, first_number: int) -> str:
    def cell(value, layout: str = "%Y-%m-%d %H:%M:%S") -> str:
        if value is None or pd.isna(value):
            return ""
        return f"{pd.Timestamp(value):{layout}}"

    head = ("run", "mode", "window start", "window end", "ran at", "status", "watermark")
    rows = [
        "<tr>" + "".join(f"<th>{html.escape(name)}</th>" for name in head) + "</tr>",
    ]
    for number, run in runs.iterrows():
        values = (
            first_number + number,
            run["window_mode"],
            cell(run["window_start"], "%Y-%m-%d") or "(first day)",
            cell(run["window_end"], "%Y-%m-%d") or "(end of the logs)",
            cell(run["ran_at"]),
            run["status"],
            cell(run["watermark_ts"]),
        )
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in values) + "</tr>")
    return f'<table class="runs" id="refresh-runs-table">{"".join(rows)}</table>'


def refresh_runs(build: Build, days: pd.Series) -> Section:
    fig_id, title = "fig-refresh-runs", "Refresh runs"
    caption = (
        f"Each dbt run recorded in the run ledger ({RUN_LEDGER}, the view over the table "
        "the on-run-end hook writes for a run that built every incremental model), oldest "
        "at the top: the window of days it rebuilt (an open start or end reaches the first "
        "or last day of the logs), "
        "coloured by window_mode, labelled with when it completed"
    )
    if PLANNED_RUNS in build.tables:
        caption += f"; runs planned in {PLANNED_RUNS} but never completed are hatched"
    runs = _runs(build)
    if RUN_LEDGER not in build.tables:
        caption += f". {_missing(RUN_LEDGER)}"
    if runs.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: no run is recorded.",
            _message_png("no refresh run recorded"),
        )
    total = len(runs)
    runs = runs.tail(MAX_RUNS_SHOWN).reset_index(drop=True)
    first = days.min() if not days.empty else pd.to_datetime(runs["window_start"]).min()
    last = days.max() if not days.empty else pd.to_datetime(runs["window_end"]).max()
    if pd.isna(first) or pd.isna(last):
        first = last = pd.Timestamp(runs["ran_at"].min()).normalize()
    left, right = mdates.date2num(first), mdates.date2num(last + pd.Timedelta(days=1))
    figure = _figure(0.9 + 0.32 * len(runs))
    axes = figure.add_subplot()
    for index, run in runs.iterrows():
        start = (
            left
            if pd.isna(run["window_start"])
            else mdates.date2num(pd.Timestamp(run["window_start"]))
        )
        end = (
            right
            if pd.isna(run["window_end"])
            else mdates.date2num(pd.Timestamp(run["window_end"]) + pd.Timedelta(days=1))
        )
        start, end = max(start, left), min(end, right)
        completed = run["status"] == "completed"
        axes.broken_barh(
            [(start, max(end - start, 0.3))],
            (index - 0.35, 0.7),
            facecolors=MODE_COLOURS.get(run["window_mode"], "#7f7f7f"),
            hatch=None if completed else "//",
            alpha=1.0 if completed else 0.5,
            edgecolor="#333333",
        )
        when = pd.Timestamp(run["ran_at"])
        label = f"{when:%Y-%m-%d %H:%M}" + ("" if completed else " (not completed)")
        axes.text(right, index, "  " + label, va="center", fontsize=8)
    axes.set_yticks(
        list(range(len(runs))),
        [f"#{total - len(runs) + i + 1} {mode}" for i, mode in enumerate(runs["window_mode"])],
        fontsize=8,
    )
    axes.set_ylim(len(runs) - 0.5, -0.5)
    axes.set_xlim(left, right)
    axes.grid(alpha=0.3, axis="x")
    _date_axis(axes)
    figure.get_layout_engine().set(rect=(0, 0, 0.84, 1))
    modes = runs["window_mode"].value_counts()
    listed = ", ".join(f"{mode} {count}" for mode, count in modes.items())
    shown = f"the last {len(runs)} of {total} runs" if total > len(runs) else f"{total} runs"
    text = f"{caption}. {shown}: {listed}."
    return Section(
        fig_id, title, text, _png(figure), extra_html=_runs_table(runs, total - len(runs) + 1)
    )


# -- the page -----------------------------------------------------------------

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
    stats_days = _frame(connection, "select distinct event_date from daily_label_stats")
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
            f"{_day_range(mature)} mature (daily_label_stats); {_day_range(days)} in all",
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
        build = _load(connection, database)
        days, _ = _split_days(build)
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
