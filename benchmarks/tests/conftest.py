"""Fixtures of the benchmark code's tests (`make bench-test`): the default logs of the
product's tests and one build of them, made once per pytest process. The build goes
through the product tests' harness (tests/python/dbt_harness.py, on pytest's path)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dbt_harness import build, read_tables

from feedpipe.generate import generate

# The product tests' default logs: 23 days (21 mature), ~15k impressions a day.
SMALL_LOGS = {"impressions_per_day": 15_000, "users": 3_000, "tweets": 6_000}


@pytest.fixture(scope="session")
def default_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw_default")
    generate(raw, seed=11, **SMALL_LOGS)
    return raw


@pytest.fixture(scope="session")
def default_marts(
    default_logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, pd.DataFrame]:
    work = tmp_path_factory.mktemp("build_default")
    database = work / "feed.duckdb"
    build(default_logs, database, work, threads=1)
    return read_tables(database)
