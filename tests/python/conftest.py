"""Shared fixtures: one default build of the project on generated logs per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dbt_harness import build, read_tables
from reference import recompute

from feedpipe.generate import generate

# Small but real: 23 days (21 mature), ~15k impressions a day, every dirty kind.
SMALL_LOGS = {"impressions_per_day": 15_000, "users": 3_000, "tweets": 6_000}


@pytest.fixture(scope="session")
def default_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw_default")
    generate(raw, seed=11, **SMALL_LOGS)
    return raw


@pytest.fixture(scope="session")
def default_build(default_logs: Path, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("build_default")
    database = work / "feed.duckdb"
    build(default_logs, database, work, threads=1)
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
