"""The report's figures of the marts (feedpipe.report): volume, positive rate, kept
counts and sampling rates per task and day; and the drawing helpers every figure uses
(matplotlib, Agg, PNG bytes)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from feedpipe.report_data import Build, daily_stats, read_frame

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


DPI = 100


WIDTH_IN = 10.0


@dataclass
class Section:
    """One figure of the page: its id, title, caption (plain text) and PNG, and
    optional HTML shown after it."""

    fig_id: str
    title: str
    caption: str
    png: bytes
    extra_html: str = ""


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def png_of(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def message_png(message: str) -> bytes:
    """A small image carrying `message`, for a figure with nothing to draw."""
    figure = new_figure(1.4)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.add_patch(
        Rectangle((0, 0), 1, 1, transform=axes.transAxes, facecolor="#f4f4f4", edgecolor="#999999")
    )
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#444444")
    return png_of(figure)


def date_axis(axes) -> None:
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


def day_range(days: pd.Series) -> str:
    if days.empty:
        return "no days"
    first, last = days.min(), days.max()
    return f"{len(days.unique())} days, {first:%Y-%m-%d} to {last:%Y-%m-%d}"


def missing_note(table: str) -> str:
    return f"{table} is not in this database"


def monitor_flags(build: Build, metrics: tuple[str, ...]) -> pd.DataFrame:
    """The days the monitors put outside their expected range (daily_monitors), for
    these metrics; empty when the table is absent (a build from before them)."""
    if "daily_monitors" not in build.tables:
        return pd.DataFrame(columns=["day", "metric", "subject", "value", "low", "high"])
    listed = ", ".join(f"'{metric}'" for metric in metrics)
    return read_frame(
        build.connection,
        "select monitored_date as day, metric, subject, monitored_value as value, "
        "expected_low as low, expected_high as high from daily_monitors "
        f"where is_outside_range and metric in ({listed}) order by all",
    )


def flags_text(flags: pd.DataFrame) -> str:
    """The flagged days for a caption, each with its value and expected range."""
    if flags.empty:
        return "No day is outside its expected range (daily_monitors)."
    items = [
        f"{row.day:%Y-%m-%d} {row.metric} {row.subject} {row.value:.4g} "
        f"(expected {row.low:.4g} to {row.high:.4g})"
        for row in flags.itertuples()
    ]
    return "Outside the expected range (daily_monitors, marked x): " + "; ".join(items) + "."


def mark_flags(axes, days: pd.Series, values: pd.Series) -> None:
    if len(days):
        axes.scatter(
            pd.to_datetime(days),
            values,
            marker="x",
            s=90,
            color="#d62728",
            zorder=5,
            label="outside expected range",
        )


def daily_volume(build: Build) -> Section:
    fig_id, title = "fig-daily-volume", "Impressions and examples per day"
    parts = []
    frames = {}
    if "stg_feed__impressions" in build.tables:
        frames["clean impressions"] = read_frame(
            build.connection,
            "select impression_date as day, count(*) as n from stg_feed__impressions "
            "where impression_date is not null group by all order by all",
        )
    else:
        parts.append(missing_note("stg_feed__impressions"))
    if "int_examples_built" in build.tables:
        frames["examples"] = read_frame(
            build.connection,
            "select event_date as day, count(*) as n from int_examples_built "
            "group by all order by all",
        )
        source = "int_examples_built"
    else:
        frames["examples"] = read_frame(
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
            message_png("no impressions and no examples"),
        )
    figure = new_figure(3.4)
    axes = figure.add_subplot()
    styles = {"clean impressions": ("#aec7e8", "o"), "examples": ("#1f77b4", "s")}
    totals = []
    for name, frame in frames.items():
        colour, marker = styles[name]
        days = pd.to_datetime(frame["day"])
        axes.plot(days, frame["n"], marker=marker, color=colour, label=name, linewidth=2)
        totals.append(f"{int(frame['n'].sum()):,} {name} over {day_range(days)}")
    flags = monitor_flags(build, ("impressions", "engagements", "examples"))
    plotted = flags[flags["metric"] != "engagements"]
    mark_flags(axes, plotted["day"], plotted["value"])
    axes.set_ylabel("rows per day")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    date_axis(axes)
    missing = [name for name in ("clean impressions", "examples") if name not in frames]
    parts += [f"No {name}." for name in missing]
    text = f"{caption} {'; '.join(totals)}. {flags_text(flags)} {' '.join(parts)}".strip()
    return Section(fig_id, title, text, png_of(figure))


def positive_rate(build: Build) -> Section:
    fig_id, title = "fig-positive-rate", "Positive rate per task and day"
    stats = daily_stats(build)
    caption = (
        "Share of examples labelled positive per mature day, before sampling "
        "(daily_label_stats.positive_rate), one line per task"
    )
    if stats.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: daily_label_stats has no rows (no mature day yet).",
            message_png("daily_label_stats is empty"),
        )
    colours = _task_colours(build.tasks)
    figure = new_figure(3.6)
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
    flags = monitor_flags(build, ("positive_rate",))
    mark_flags(axes, flags["day"], flags["value"] * 100)
    axes.set_ylabel("positive rate (%)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(title="task", loc="center left", bbox_to_anchor=(1.0, 0.5))
    date_axis(axes)
    text = (
        f"{caption}: {', '.join(build.tasks)}. Over all days: {', '.join(means)}; "
        f"{day_range(stats['event_date'])}. {flags_text(flags)}"
    )
    return Section(fig_id, title, text, png_of(figure))


def _grid(count: int) -> tuple[int, int]:
    columns = min(count, 3)
    return math.ceil(count / columns), columns


def kept_counts(build: Build) -> Section:
    fig_id, title = "fig-kept-counts", "Kept positives and negatives per task and day"
    stats = daily_stats(build)
    caption = (
        "Examples kept by the downsampling per mature day (daily_label_stats.kept_positives "
        "and kept_negatives, and their sum), one panel per task"
    )
    if stats.empty:
        return Section(
            fig_id,
            title,
            f"{caption}. Empty: daily_label_stats has no rows. Cap: {build.cap_text}.",
            message_png("daily_label_stats is empty"),
        )
    rows_count, columns = _grid(len(build.tasks))
    figure = new_figure(2.5 * rows_count + 0.5)
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
        date_axis(axes)
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
    return Section(fig_id, title, text, png_of(figure))


def sampling_rates(build: Build) -> Section:
    fig_id, title = "fig-sampling-rates", "Sampling rates per task and day"
    stats = daily_stats(build)
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
            message_png("daily_label_stats is empty"),
        )
    colours = _task_colours(build.tasks)
    figure = new_figure(3.4)
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
        date_axis(axes)
    right.legend(title="task", loc="center left", bbox_to_anchor=(1.0, 0.5))
    ranges = ", ".join(
        f"{task} {rows['negative_sampling_rate'].min():.3g}-"
        f"{rows['negative_sampling_rate'].max():.3g}"
        for task, rows in ((task, stats[stats["task"] == task]) for task in build.tasks)
    )
    text = f"{caption}: {', '.join(build.tasks)}. Negative rates per task: {ranges}."
    return Section(fig_id, title, text, png_of(figure))
