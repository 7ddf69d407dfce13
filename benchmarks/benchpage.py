"""The benchmarks page (docs/benchmarks.md): each harness writes its own section."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path

import psutil


def machine_facts() -> dict:
    """Date, machine and versions, for the page."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = psutil.virtual_memory().total / 2**30
    versions = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "polars", "pyarrow"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    described = ", ".join(f"{name} {version}" for name, version in versions.items())
    return {
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "versions": versions,
        "description": (
            f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python "
            f"{platform.python_version()}, {described}"
        ),
    }


def write_section(page: Path, name: str, text: str) -> None:
    """Replace the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in the
    page (appended at the end the first time)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    content = page.read_text() if page.exists() else "# Benchmarks\n"
    if start in content and end in content:
        before = content[: content.index(start)]
        after = content[content.index(end) + len(end) :]
        content = before + block + after
    else:
        content = content.rstrip() + "\n\n" + block + "\n"
    page.write_text(content)
