"""Shared fixtures, each built once per pytest process: the project parsed; one
default build on generated logs; and a tiny history of seven delivered days
beside a full build of eight, which refresh and kill tests copy and change.

Tiers (markers in pyproject.toml): a test with none of `slow`,
`kill`, `property`, `browser`, `spark`, `spark_cluster` or `airflow` is in the fast
tier that `make test` runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from checkout import copy_checkout
from dbt_harness import SPLIT_VARS, TINY_LOGS, build, deliver_day, parse, read_tables
from reference import recompute

from feedpipe.generate import generate

# Small but real: 23 days (21 mature), ~15k impressions a day, every dirty kind.
SMALL_LOGS = {"impressions_per_day": 15_000, "users": 3_000, "tweets": 6_000}
# The default build also draws the continuous-training stream (off by default).
DEFAULT_BUILD_VARS = {"stream_sampling_rate": 0.25}
# The tiny history: eight generated days from TINY_START.
TINY_START = dt.date(2026, 1, 5)
TINY_DAYS = 8


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A fresh copy of the project, as a clone has it, with this environment as .venv."""
    return copy_checkout(tmp_path / "checkout")


@pytest.fixture(scope="session")
def parsed_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manifest of `dbt parse`: what the project declares, without a build."""
    return parse(tmp_path_factory.mktemp("parse"))


@pytest.fixture(scope="session")
def default_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw_default")
    generate(raw, seed=11, **SMALL_LOGS)
    return raw


@pytest.fixture(scope="session")
def default_build(default_logs: Path, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("build_default")
    database = work / "feed.duckdb"
    build(default_logs, database, work, dbt_vars=DEFAULT_BUILD_VARS, threads=1, unit_tests=True)
    return database


@pytest.fixture(scope="session")
def default_manifest(default_build: Path) -> Path:
    return default_build.parent / "target" / "manifest.json"


@pytest.fixture(scope="session")
def default_marts(default_build: Path) -> dict[str, pd.DataFrame]:
    return read_tables(default_build)


@pytest.fixture(scope="session")
def default_reference(default_logs: Path) -> dict[str, pd.DataFrame]:
    return recompute(default_logs)


@pytest.fixture(scope="session")
def tiny_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight generated days, one file per log and day."""
    logs = tmp_path_factory.mktemp("tiny_logs")
    generate(logs, days=TINY_DAYS, start=TINY_START, **TINY_LOGS)
    return logs


@pytest.fixture(scope="session")
def tiny_full_build(tiny_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the eight days: what every refresh of them must equal."""
    work = tmp_path_factory.mktemp("tiny_full")
    database = work / "full.duckdb"
    build(tiny_logs, database, work, dbt_vars=SPLIT_VARS, threads=2)
    return database


@pytest.fixture(scope="session")
def tiny_history(tiny_logs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The first seven days delivered and built: the state a refresh of the eighth
    starts from. Tests copy it (`copy_build`) before they change it."""
    work = tmp_path_factory.mktemp("tiny_history")
    raw, database = work / "raw", work / "history.duckdb"
    for offset in range(TINY_DAYS - 1):
        deliver_day(tiny_logs, raw, TINY_START + dt.timedelta(days=offset))
    build(raw, database, work, dbt_vars=SPLIT_VARS, threads=2)
    return {"raw": raw, "database": database, "next_day": TINY_START + dt.timedelta(days=7)}
