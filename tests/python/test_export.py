"""The export for trainers: every split mart row read back from the Parquet
datasets, manifest counts equal to the marts, a re-export byte-identical but
for its timestamp, and a damaged export caught by the verify command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from feedpipe.export import SPLITS, main, verify, write


@pytest.fixture(scope="module")
def exported(default_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "export"
    write(default_build, out)
    return out


def _mart(database: Path, split: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(f"select * from {split}_examples").df()


@pytest.mark.parametrize("split", SPLITS)
def test_every_mart_row_reads_back_from_the_export(split: str, exported: Path, default_build: Path):
    frame = ds.dataset(exported / split, format="parquet", partitioning="hive").to_table()
    got = frame.to_pandas()
    want = _mart(default_build, split)
    assert len(want) > 0
    assert sorted(got.columns) == sorted(want.columns)
    got["task"] = got["task"].astype(str)
    got["event_date"] = pd.to_datetime(got["event_date"].astype(str)).dt.date
    want["event_date"] = pd.to_datetime(want["event_date"]).dt.date
    keys = ["task", "event_date", "user_id", "tweet_id"]
    got = got[list(want.columns)].sort_values(keys).reset_index(drop=True)
    want = want.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_the_manifest_counts_equal_the_marts(exported: Path, default_build: Path):
    manifest = json.loads((exported / "manifest.json").read_text())
    with duckdb.connect(str(default_build), read_only=True) as connection:
        for split in SPLITS:
            want = connection.execute(
                f"select task, cast(event_date as varchar), count(*), sum(label), "
                f"count(*) - sum(label) from {split}_examples group by all order by all"
            ).fetchall()
            got = [
                (day["task"], day["event_date"], day["rows"], day["positives"], day["negatives"])
                for day in manifest["splits"][split]["days"]
            ]
            assert got == want, split
        rates = connection.execute(
            "select task, cast(event_date as varchar), positive_sampling_rate, "
            "negative_sampling_rate from daily_label_stats"
        ).fetchall()
        tasks = connection.execute(
            "select task, actions from sample_definition order by task_position"
        ).fetchall()
    by_day = {(task, day): (p, n) for task, day, p, n in rates}
    for split in SPLITS:
        for day in manifest["splits"][split]["days"]:
            assert (day["positive_sampling_rate"], day["negative_sampling_rate"]) == by_day[
                day["task"], day["event_date"]
            ]
    definition = manifest["sample_definition"]
    assert [(task["task"], task["actions"]) for task in definition["tasks"]] == tasks
    assert definition["sampling_salt"] == "feed-v1"
    assert definition["negatives_per_positive"] == 1.0
    assert sum(file["rows"] for file in manifest["files"]) == sum(
        manifest["splits"][split]["rows"] for split in SPLITS
    )


def test_a_re_export_is_identical_but_for_its_timestamp(
    exported: Path, default_build: Path, tmp_path: Path
):
    again = tmp_path / "again"
    write(default_build, again)
    first = json.loads((exported / "manifest.json").read_text())
    second = json.loads((again / "manifest.json").read_text())
    first.pop("created_at"), second.pop("created_at")
    assert first == second
    assert len(first["files"]) > 3 * 5


def test_verify_names_what_was_damaged(exported: Path, tmp_path: Path, capsys):
    assert verify(exported) == []
    assert main(["verify", str(exported)]) == 0
    damaged = tmp_path / "damaged"
    damaged_copy = Path(shutil.copytree(exported, damaged))
    manifest = json.loads((damaged_copy / "manifest.json").read_text())
    first, second, third, fourth = (file["path"] for file in manifest["files"][:4])
    shutil.copy(damaged_copy / fourth, damaged_copy / third)
    with (damaged_copy / first).open("ab") as handle:
        handle.write(b"\0")
    (damaged_copy / second).unlink()
    (damaged_copy / "train" / "stray.parquet").write_bytes(b"")
    problems = verify(damaged_copy)
    assert any(problem.startswith(f"{first}: not a readable Parquet file") for problem in problems)
    assert f"{second}: in the manifest, missing from the export" in problems
    assert "train/stray.parquet: in the export, not in the manifest" in problems
    assert f"{third}: sha256 differs from the manifest" in problems
    assert main(["verify", str(damaged_copy)]) == 1
    assert first in capsys.readouterr().err


def test_the_readme_training_example_runs_on_an_export(exported: Path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("### Export for trainers") :]
    block = section[section.index("```python\n") + len("```python\n") :]
    block = block[: block.index("```")]
    assert len(block.strip().splitlines()) == 5
    namespace: dict = {}
    exec(block.replace('"data/export/', f'"{exported}/'), namespace)
    scores, test = namespace["scores"], namespace["test"]
    assert len(scores) == len(test) > 0
    assert ((scores > 0) & (scores < 1)).all()
