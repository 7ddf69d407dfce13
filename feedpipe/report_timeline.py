"""The report's figures over time and runs (feedpipe.report): the split timeline,
the rejected rows per reason and day, and the refresh runs with their table."""

from __future__ import annotations

import html

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.patches import Patch

from feedpipe.report_data import (
    PLANNED_RUNS,
    RUN_LEDGER,
    Build,
    read_frame,
    refresh_run_rows,
    split_days,
)
from feedpipe.report_figures import (
    SPLIT_COLOURS,
    Section,
    date_axis,
    day_range,
    message_png,
    missing_note,
    new_figure,
    png_of,
)

MODE_COLOURS = {
    "full": "#1f77b4",
    "scheduled": "#2ca02c",
    "explicit": "#ff7f0e",
}


MAX_RUNS_SHOWN = 40


def split_timeline(build: Build) -> Section:
    fig_id, title = "fig-split-timeline", "Split timeline"
    days, read = split_days(build)
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
            message_png("no days"),
        )
    figure = new_figure(1.9)
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
    date_axis(axes)
    present = [status for status in SPLIT_COLOURS if status in set(days["status"])]
    handles = [Patch(facecolor=SPLIT_COLOURS[status], label=status) for status in present]
    axes.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncols=len(handles)
    )
    summary = []
    for status in present:
        chosen = days.loc[days["status"] == status, "event_date"]
        summary.append(f"{status}: {day_range(chosen)}")
    text = f"{caption}. {'; '.join(summary)}."
    return Section(fig_id, title, text, png_of(figure))


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
            fig_id, title, f"{caption}. {missing_note(table)}.", message_png(missing_note(table))
        )
    frame = read_frame(
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
            message_png("no rejected rows"),
        )
    pivot = frame.pivot_table(
        index="day", columns="reason", values="n", aggfunc="sum", fill_value=0
    )
    order = sorted(day for day in pivot.index if day != "no day")
    if "no day" in pivot.index:
        order.append("no day")
    pivot = pivot.loc[order]
    figure = new_figure(3.8)
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
    return Section(fig_id, title, text, png_of(figure))


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
    runs = refresh_run_rows(build)
    if RUN_LEDGER not in build.tables:
        caption += f". {missing_note(RUN_LEDGER)}"
    if runs.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: no run is recorded.",
            message_png("no refresh run recorded"),
        )
    total = len(runs)
    runs = runs.tail(MAX_RUNS_SHOWN).reset_index(drop=True)
    first = days.min() if not days.empty else pd.to_datetime(runs["window_start"]).min()
    last = days.max() if not days.empty else pd.to_datetime(runs["window_end"]).max()
    if pd.isna(first) or pd.isna(last):
        first = last = pd.Timestamp(runs["ran_at"].min()).normalize()
    left, right = mdates.date2num(first), mdates.date2num(last + pd.Timedelta(days=1))
    figure = new_figure(0.9 + 0.32 * len(runs))
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
    date_axis(axes)
    figure.get_layout_engine().set(rect=(0, 0, 0.84, 1))
    modes = runs["window_mode"].value_counts()
    listed = ", ".join(f"{mode} {count}" for mode, count in modes.items())
    shown = f"the last {len(runs)} of {total} runs" if total > len(runs) else f"{total} runs"
    text = f"{caption}. {shown}: {listed}."
    return Section(
        fig_id, title, text, png_of(figure), extra_html=_runs_table(runs, total - len(runs) + 1)
    )
