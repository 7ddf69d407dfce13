"""The contract benchmark: the project's full build beside what a user could write instead.

On the same generated logs, in one run and in alternation, each a new process:

- ``project``: ``dbt build`` of the models only (no data or unit tests) on a fresh DuckDB file;
- ``floor``: one hand-written DuckDB script of the same contract (``benchmarks.baselines``),
  the engine's floor;
- ``pandas`` and ``polars``: the same rules as a careful user writes them there.

Wall time and peak RSS of each process tree; medians of the repeats with min and max; the
project's time per node from dbt's run_results.json, the floor's per statement. The
harness asserts that all four give the same sampled rows, every mart column (labels,
rates, weights, splits and the seven point-in-time features), and the same per (task,
day) example, positive and kept counts, so no figure comes from different work. It
writes the raw figures (``bench/results/contract.json``), a log-log plot of time
against impressions with the fitted exponents (``docs/benchmarks/contract.png``) and
its section of ``docs/benchmarks.md``: the table of tools, the project's build per node at the size
nearest 16M impressions, and the same work stage by stage in the floor and the project.
"""

from __future__ import annotations

import json
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from benchmarks import baselines
from benchmarks.baselines_duckdb import STEPS_FILE
from benchmarks.benchpage import machine_facts, write_section
from benchmarks.measure import (
    MODELS_ONLY,
    PROJECT_DIR,
    dbt_command,
    dbt_env,
    generated_logs,
    measure,
    slowest_nodes,
)

TOOLS = ("project", "floor", "pandas", "polars")
# The project again with DuckDB's memory capped (FEED_DUCKDB_MEMORY_LIMIT), at some sizes:
# by default DuckDB keeps what it wrote cached up to 80% of RAM.
CAPPED = "project_capped"
CAP = "2GB"
BASELINE_OF_TOOL = {"floor": "duckdb", "pandas": "pandas", "polars": "polars"}
DAYS = 21
# The same work in both: the floor's statements (the tables its script creates) and the
# project's nodes, stage by stage.
STAGES = (
    (
        "type, clean, de-duplicate and fold impressions into examples",
        ("examples",),
        ("base_feed__impressions", "stg_feed__impressions", "int_examples_built"),
    ),
    (
        "clean engagements, attribute them and label the examples",
        ("engagements", "labels"),
        (
            "base_feed__engagements",
            "stg_feed__engagements",
            "int_engagements_attributed",
            "int_examples_labeled",
        ),
    ),
    (
        "maturity, sampling rates and the draw",
        ("maturity", "days", "kept"),
        (
            "int_log_daily_volumes",
            "int_log_watermark",
            "int_daily_sampling_rates",
            "int_mature_days_split",
            "int_examples_sampled",
        ),
    ),
    (
        "daily activity per user and per tweet",
        ("user_days", "tweet_days"),
        ("int_user_daily_activity", "int_tweet_daily_activity"),
    ),
    (
        "features of the kept examples and the outputs",
        ("user_features", "tweet_features", "seen_before", "sampled", "daily_counts"),
        (
            "int_example_features",
            "train_examples",
            "validation_examples",
            "test_examples",
            "int_daily_kept_counts",
            "daily_label_stats",
        ),
    ),
)
SPLITS = ("train", "validation", "test")


def project_outputs(database: Path) -> dict[str, pd.DataFrame]:
    """The project's marts in the baselines' shape."""
    with duckdb.connect(str(database), read_only=True) as connection:
        sampled = pd.concat(
            [
                connection.sql(f"select * from {split}_examples").df().assign(split=split)
                for split in SPLITS
            ],
            ignore_index=True,
        )
        counts = connection.sql("select * from daily_label_stats").df()
    return {
        "sampled": baselines.normalise_outputs(sampled, "sampled"),
        "daily_counts": baselines.normalise_outputs(counts, "daily_counts"),
    }


def run_tool(tool: str, raw: Path, work: Path) -> tuple[dict, Path]:
    """One timed run; returns the measurement and where its outputs are."""
    out = work / f"out_{tool}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if tool in ("project", CAPPED):
        extra = {"FEED_DUCKDB_MEMORY_LIMIT": CAP} if tool == CAPPED else {}
        # dbt's target folder outlives the runs, as a user's does (partial parsing).
        command = dbt_command(raw, work / tool, MODELS_ONLY)
        measured = measure(command, env=dbt_env(out / "feed.duckdb", **extra), cwd=PROJECT_DIR)
        nodes = {node["node"]: node["seconds"] for node in slowest_nodes(work / tool, None)}
        return {
            "wall_s": measured.wall_s,
            "peak_rss_bytes": measured.peak_rss_bytes,
            "nodes": nodes,
        }, out
    else:
        command = [sys.executable, "-m", "benchmarks.baselines", BASELINE_OF_TOOL[tool]]
        command += ["--raw", str(raw), "--out", str(out)]
        measured = measure(command, cwd=PROJECT_DIR)
    result = {"wall_s": measured.wall_s, "peak_rss_bytes": measured.peak_rss_bytes}
    steps = out / STEPS_FILE
    if steps.exists():
        result["nodes"] = json.loads(steps.read_text())
    return result, out


def outputs_of(tool: str, out: Path) -> dict[str, pd.DataFrame]:
    if tool in ("project", CAPPED):
        return project_outputs(out / "feed.duckdb")
    return baselines.load_outputs(BASELINE_OF_TOOL[tool], out)


def assert_same_work(
    reference: dict[str, pd.DataFrame], frames: dict[str, pd.DataFrame], tool: str, size: int
) -> None:
    """A tool's outputs equal the project's: sampled rows with every mart column (the
    features too) and per (task, day) counts."""
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(
            frame, reference[name], obj=f"{tool} vs project, {name}, {size:,}"
        )


def summarize(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(time) against log(impressions), least squares (nan from one size)."""
    if len(set(sizes)) < 2:
        return float("nan")
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def node_times(runs: list[dict]) -> dict[str, dict]:
    """Per node of the project's build: median, min and max seconds over the runs,
    slowest first."""
    per_node: dict[str, list[float]] = {}
    for run in runs:
        for node, seconds in run.get("nodes", {}).items():
            per_node.setdefault(node, []).append(seconds)
    summaries = {node: summarize(seconds) for node, seconds in per_node.items()}
    return dict(sorted(summaries.items(), key=lambda item: -item[1]["median"]))


def how_it_failed(error: subprocess.CalledProcessError) -> str:
    """A failed baseline run, in words: the kernel's out-of-memory kill or the exit code."""
    if error.returncode == -signal.SIGKILL:
        return "killed by the kernel (out of memory)"
    return f"failed (exit code {error.returncode})"


def finished_sizes(summary: dict, sizes: list[int], tool: str) -> list[int]:
    """The sizes at which a tool finished every run."""
    return [size for size in sizes if "wall_s" in summary[str(size)][tool]]


def tools_at(size: int, capped_sizes: list[int], tools: tuple[str, ...] = TOOLS) -> tuple[str, ...]:
    return tools + ((CAPPED,) if size in capped_sizes else ())


def bench_contract(
    work: Path,
    sizes: list[int],
    repeats: int,
    capped_sizes: list[int],
    tools: tuple[str, ...] = TOOLS,
) -> dict:
    """Run ``tools`` (the project always among them: its outputs are the reference)."""
    if "project" not in tools or not set(tools) <= set(TOOLS):
        raise ValueError(f"tools must include project and be among {TOOLS}, got {tools}")
    work.mkdir(parents=True, exist_ok=True)
    logs = {
        size: generated_logs(work / f"logs_{size}", DAYS, size // DAYS, seed=1) for size in sizes
    }
    raw_counts = {}
    for size, raw in logs.items():
        with duckdb.connect() as connection:
            raw_counts[size] = connection.sql(
                f"select count(*) from read_parquet('{raw}/impressions/**/*.parquet')"
            ).fetchall()[0][0]
    runs: dict[str, dict[str, list[dict]]] = {
        str(size): {tool: [] for tool in tools_at(size, capped_sizes, tools)} for size in sizes
    }
    checked: dict[str, dict] = {}
    failed: dict[tuple[int, str], str] = {}
    for repeat in range(repeats):
        for size in sizes:
            # Rotate the order so that no tool always runs first (or last) in a round.
            at_size = tools_at(size, capped_sizes, tools)
            order = at_size[repeat % len(at_size) :] + at_size[: repeat % len(at_size)]
            # The first round checks the work: the project's outputs are the reference
            # (it runs first in that round); each other tool's are compared and dropped.
            reference: dict[str, pd.DataFrame] = {}
            for tool in order:
                if failed.get((size, tool)):
                    continue
                try:
                    measured, out = run_tool(tool, logs[size], work / str(size))
                except subprocess.CalledProcessError as error:
                    if tool == "project":
                        raise
                    # A baseline that runs out of the machine's memory is a result, not
                    # a crash of the harness: it is not run again at this size.
                    failed[(size, tool)] = how_it_failed(error)
                    print(f"  {size:>11,} {tool:8} {failed[(size, tool)]}", flush=True)
                    continue
                runs[str(size)][tool].append(measured)
                print(
                    f"  {size:>11,} {tool:8} {measured['wall_s']:8.2f} s "
                    f"{measured['peak_rss_bytes'] / 2**30:6.2f} GiB",
                    flush=True,
                )
                if repeat == 0 and tool == "project":
                    reference = outputs_of(tool, out)
                    counts = reference["daily_counts"]
                    checked[str(size)] = {
                        "sampled_rows": len(reference["sampled"]),
                        "mature_days": int(counts["event_date"].nunique()),
                    }
                elif repeat == 0:
                    assert_same_work(reference, outputs_of(tool, out), tool, size)
            del reference
    summary = {}
    for size in sizes:
        summary[str(size)] = {}
        for tool in tools_at(size, capped_sizes, tools):
            measured = runs[str(size)][tool]
            if failed.get((size, tool)):
                summary[str(size)][tool] = {"failed": failed[(size, tool)]}
                continue
            summary[str(size)][tool] = {
                "wall_s": summarize([r["wall_s"] for r in measured]),
                "peak_rss_gib": summarize([r["peak_rss_bytes"] / 2**30 for r in measured]),
            }
        for tool in {"project", "floor"} & set(tools):
            summary[str(size)][tool]["nodes"] = node_times(runs[str(size)][tool])
    exponents = {
        tool: fitted_exponent(
            [raw_counts[size] for size in finished_sizes(summary, sizes, tool)],
            [
                summary[str(size)][tool]["wall_s"]["median"]
                for size in finished_sizes(summary, sizes, tool)
            ],
        )
        for tool in tools
    }
    return {
        "sizes": sizes,
        "impressions": {str(size): raw_counts[size] for size in sizes},
        "repeats": repeats,
        "capped_sizes": capped_sizes,
        "cap": CAP,
        "runs": runs,
        "summary": summary,
        "checked": checked,
        "exponents": exponents,
        "machine": machine_facts(),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result["sizes"]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for tool in TOOLS:
        finished = finished_sizes(result["summary"], sizes, tool)
        medians = [result["summary"][str(size)][tool]["wall_s"]["median"] for size in finished]
        axes.loglog(
            [result["impressions"][str(size)] for size in finished],
            medians,
            marker="o",
            label=f"{tool} (exponent {result['exponents'][tool]:.2f})",
        )
    axes.set_xlabel("impressions (21 days of generated logs)")
    axes.set_ylabel("wall time, median (s)")
    axes.set_title("Full build: the project beside a hand-written DuckDB floor, pandas, polars")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def render(result: dict, plot_name: str) -> str:
    sizes = result["sizes"]
    target = min(sizes, key=lambda size: abs(size - 16_000_000))
    at_target = result["summary"][str(target)]
    project = at_target["project"]["wall_s"]["median"]
    floor_time = at_target["floor"]["wall_s"]["median"]
    pandas_time = at_target["pandas"]["wall_s"]["median"]
    polars_time = at_target["polars"]["wall_s"]["median"]
    project_rss = at_target["project"]["peak_rss_gib"]["median"]
    capped = at_target[CAPPED]["wall_s"]["median"] if CAPPED in at_target else None
    capped_rss = at_target[CAPPED]["peak_rss_gib"]["median"] if CAPPED in at_target else None
    largest = result["summary"][str(sizes[-1])]["project"]["wall_s"]["median"]
    before_largest = sizes[-2] if len(sizes) > 1 else sizes[-1]
    second = result["summary"][str(before_largest)]["project"]["wall_s"]["median"]
    marginal = fitted_exponent(
        [result["impressions"][str(before_largest)], result["impressions"][str(sizes[-1])]],
        [second, largest],
    )
    small = result["summary"][str(sizes[0])]
    small_floor = small["floor"]["wall_s"]["median"]
    fixed = small["project"]["wall_s"]["median"] - small_floor
    pandas, polars = pandas_time, polars_time
    overall = result["exponents"]["project"]
    lines = [
        "## Full build beside a hand-written floor, pandas and polars",
        "",
        "`python -m benchmarks.bench contract` (part of `make bench`): generated logs of 21",
        "days at each size, through (1) the project's full build, models only (`dbt build",
        "--exclude resource_type:test resource_type:unit_test`, fresh DuckDB file); (2) one",
        "hand-written DuckDB script of the same contract (`benchmarks/baselines.py`, the",
        "engine's floor); (3) the same rules in pandas; (4) in polars (lazy). Each run is a",
        "new process; the tools alternate in a rotating order; wall time and peak RSS of",
        "the whole process tree. Each computes the whole contract of the split marts: labels,",
        "sample, splits and the seven point-in-time features of every kept example",
        "([training](training.md#features)). The harness asserts that all four give the same",
        "sampled rows with every mart column, features included, and the same per (task,",
        "day) examples, positives and kept counts.",
        "",
        f"Run of {result['machine']['date']}: {result['machine']['description']}.",
        "",
        "| impressions | tool | wall median (min-max) | peak RSS median (min-max) | time / floor |",
        "|---|---|---|---|---|",
    ]
    for size in sizes:
        floor = result["summary"][str(size)]["floor"]["wall_s"]["median"]
        for tool in result["summary"][str(size)]:
            if "failed" in result["summary"][str(size)][tool]:
                lines.append(
                    f"| {result['impressions'][str(size)]:,} | {tool} | "
                    f"{result['summary'][str(size)][tool]['failed']} | - | - |"
                )
                continue
            wall = result["summary"][str(size)][tool]["wall_s"]
            rss = result["summary"][str(size)][tool]["peak_rss_gib"]
            name = {"project": "**project**", CAPPED: f"project, memory_limit {CAP}"}.get(
                tool, tool
            )
            lines.append(
                f"| {result['impressions'][str(size)]:,} | {name} | "
                f"{wall['median']:.1f} s ({wall['min']:.1f}-{wall['max']:.1f}) | "
                f"{rss['median']:.2f} GiB ({rss['min']:.2f}-{rss['max']:.2f}) | "
                f"{wall['median'] / floor:.2f} |"
            )
    lines += [
        "",
        f"![time against impressions]({plot_name})",
        "",
        (
            "Fitted exponent of time against impressions, "
            f"{result['impressions'][str(sizes[0])]:,} to "
            f"{result['impressions'][str(sizes[-1])]:,}: "
            + ", ".join(
                f"{tool} {result['exponents'][tool]:.2f}" + finished_range(result, tool)
                for tool in TOOLS
            )
            + "."
            if len(sizes) > 1
            else "One size: no fitted exponent."
        ),
        "",
        "Against the targets, at "
        f"{result['impressions'][str(target)]:,} impressions: the project takes "
        f"{project / floor_time:.2f} times the floor (target at most 1.3, stretch 1.1: "
        f"{ratio_verdict(project / floor_time)}), "
        f"{'ahead of' if project < pandas else 'behind'} pandas ({project / pandas:.2f} of its "
        f"time) and {'ahead of' if project < polars else 'behind'} polars "
        f"({project / polars:.2f}); its peak RSS is {project_rss:.2f} GiB with DuckDB's default "
        "memory limit (target at most 1.5 GiB: "
        f"{'met' if project_rss <= 1.5 else 'missed'})"
        + (
            f", {capped_rss:.2f} GiB with `FEED_DUCKDB_MEMORY_LIMIT={result['cap']}` at "
            f"{capped / project:.2f} times the time"
            if capped is not None
            else ""
        )
        + (
            f". Time grows as impressions to the power {overall:.2f} over the whole range "
            f"and {marginal:.2f} between the two largest sizes (target at most 1.1: "
            f"{'met' if max(marginal, overall) <= 1.1 else 'missed'})."
            if len(sizes) > 1
            else ". One size only: no growth exponent."
        ),
        "",
        "What bounds the ratio to the floor: the floor is one script that keeps its "
        "intermediate results in memory and writes only its outputs; the project is a dbt "
        "build whose every stage is a table a daily refresh can rewrite by day (the typed "
        "raw rows, the clean logs, examples, labels, the sample, the daily activity and "
        "the features, the splits), that also "
        "keeps what the floor drops (the rejected rows with their reasons, the file "
        "ledger, the de-duplicated logs), and that starts a dbt process (about "
        f"{fixed:.0f} s at the smallest size, where the floor takes {small_floor:.1f} s). "
        "The stage table below shows where the difference lies. "
        "Peak memory follows DuckDB's memory limit: DuckDB keeps what it wrote cached up to "
        "the limit (80% of RAM by default); a lower limit evicts it at little cost.",
        "",
        *node_table(result, target),
        *stage_table(result, target),
        "Checked identical at every size (every mart column): "
        + "; ".join(
            f"{result['impressions'][str(size)]:,} impressions, "
            f"{result['checked'][str(size)]['sampled_rows']:,} sampled rows"
            for size in sizes
        )
        + ".",
    ]
    return "\n".join(lines) + "\n"


def finished_range(result: dict, tool: str) -> str:
    """For a tool that did not finish at every size, the sizes its exponent is fitted on."""
    finished = finished_sizes(result["summary"], result["sizes"], tool)
    if finished == result["sizes"]:
        return ""
    return f" (to {result['impressions'][str(finished[-1])]:,}, the largest size it finished)"


def ratio_verdict(ratio: float) -> str:
    """Whether the project's time over the floor's meets the target (1.3) and the stretch (1.1)."""
    if ratio <= 1.1:
        return "met, stretch met"
    return "met" if ratio <= 1.3 else "missed"


def stage_table(result: dict, size: int) -> list[str]:
    """The page's lines comparing, stage by stage, the floor's statements with the
    project's nodes at one size (medians of the runs)."""
    at_size = result["summary"][str(size)]
    floor_steps = at_size["floor"].get("nodes")
    nodes = at_size["project"].get("nodes")
    if not floor_steps or not nodes:
        return []

    def total(times: dict, names: tuple[str, ...]) -> float:
        return sum(times[name]["median"] for name in names if name in times)

    lines = [
        "The same work stage by stage at "
        f"{result['impressions'][str(size)]:,} impressions: the floor's statements (one "
        "after the other) and the project's nodes (two at a time on dbt's threads, so a "
        "node's time includes the other node's share of the two cores):",
        "",
        "| stage | floor | project | project / floor |",
        "|---|---|---|---|",
    ]
    for stage, steps, models in STAGES:
        floor_s, project_s = total(floor_steps, steps), total(nodes, models)
        lines.append(
            f"| {stage} | {floor_s:.1f} s | {project_s:.1f} s | {project_s / floor_s:.2f} |"
        )
    staged = {model for _, _, models in STAGES for model in models}
    rest = sum(seconds["median"] for node, seconds in nodes.items() if node not in staged)
    lines += [
        f"| the project's other nodes (refresh state, rejected rows, file ledger, "
        f"monitors, hooks) | - | {rest:.1f} s | - |",
        "",
    ]
    return lines


def node_table(result: dict, size: int) -> list[str]:
    """The page's lines of the project's build per node at one size, slowest first."""
    nodes = result["summary"][str(size)]["project"].get("nodes")
    if not nodes:
        return []
    wall = result["summary"][str(size)]["project"]["wall_s"]["median"]
    lines = [
        f"The project's build at {result['impressions'][str(size)]:,} impressions per node "
        "(models, seeds and the run's hooks), from dbt's `run_results.json`, medians "
        f"of the runs; the build's wall time is {wall:.1f} s, dbt runs nodes on its threads "
        "side by side, and the rest is dbt's start, parsing and compilation:",
        "",
        "| node | time median (min-max) |",
        "|---|---|",
    ]
    for node, seconds in nodes.items():
        lines.append(
            f"| `{node}` | {seconds['median']:.2f} s ({seconds['min']:.2f}-{seconds['max']:.2f}) |"
        )
    return [*lines, ""]


def main(
    work: Path,
    out: Path,
    sizes: list[int],
    repeats: int,
    page: Path,
    capped_sizes: list[int],
    tools: tuple[str, ...] = TOOLS,
) -> dict:
    """Run the benchmark; with every tool, write its figures and its section of the page;
    with some tools only, write the figures to ``contract_partial.json`` and leave the
    page (and ``contract.json``) as they are."""
    result = bench_contract(work, sizes, repeats, capped_sizes, tools)
    out.mkdir(parents=True, exist_ok=True)
    if set(tools) != set(TOOLS):
        (out / "contract_partial.json").write_text(json.dumps(result, indent=2) + "\n")
        return result
    (out / "contract.json").write_text(json.dumps(result, indent=2) + "\n")
    return write_page(result, page)


def write_page(result: dict, page: Path) -> dict:
    """The plot and this benchmark's section of the page, from a result."""
    plot(result, page.parent / "benchmarks" / "contract.png")
    write_section(page, "contract", render(result, "benchmarks/contract.png"))
    return result
