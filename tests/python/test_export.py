"""The export for trainers (its first version): every split mart row read back
from the Parquet files, manifest counts equal to the marts, a fresh export
byte-identical but for its timestamp and no new version from the same build,
and a damaged export caught by the verify command. Later versions:
test_export_versions.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from feedpipe.export import SPLITS, main, write
from feedpipe.export_read import read, state
from feedpipe.export_verify import verify


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
    got = read([p for p in state(exported) if p.split == split]).to_pandas()
    assert set(got.pop("split")) == {split}
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
    manifest = json.loads((exported / "versions/000001/manifest.json").read_text())
    with duckdb.connect(str(default_build), read_only=True) as connection:
        for split in SPLITS:
            want = connection.execute(
                f"select task, cast(event_date as varchar), count(*), sum(label), "
                f"count(*) - sum(label) from {split}_examples group by all order by all"
            ).fetchall()
            got = [
                (day["task"], day["event_date"], day["rows"], day["positives"], day["negatives"])
                for day in manifest["partitions"]
                if day["split"] == split
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
    for day in manifest["partitions"]:
        assert (day["positive_sampling_rate"], day["negative_sampling_rate"]) == by_day[
            day["task"], day["event_date"]
        ]
    definition = manifest["sample_definition"]
    assert [(task["task"], task["actions"]) for task in definition["tasks"]] == tasks
    assert definition["sampling_salt"] == "feed-v1"
    assert definition["negatives_per_positive"] == 1.0
    files = [file for day in manifest["partitions"] for file in day["files"]]
    assert sum(file["rows"] for file in files) == sum(
        manifest["splits"][split]["rows"] for split in SPLITS
    )
    assert (manifest["version"], manifest["parent"]) == (1, None)
    assert {tuple(change["reasons"]) for change in manifest["changes"]} == {("first_export",)}
    assert len(manifest["changes"]) == len(manifest["partitions"])


def test_a_re_export_is_identical_but_for_its_timestamp(
    exported: Path, default_build: Path, tmp_path: Path
):
    again = tmp_path / "again"
    write(default_build, again)
    first = json.loads((exported / "versions/000001/manifest.json").read_text())
    second = json.loads((again / "versions/000001/manifest.json").read_text())
    first.pop("created_at"), second.pop("created_at")
    assert first == second
    assert len(first["partitions"]) > 3 * 5
    # The same build exported again into the same folder: no new version.
    assert write(default_build, again) is None
    assert (again / "CURRENT").read_text() == "000001\n"


def test_verify_names_what_was_damaged(exported: Path, tmp_path: Path, capsys):
    assert verify(exported) == []
    assert main(["verify", str(exported)]) == 0
    damaged = tmp_path / "damaged"
    damaged_copy = Path(shutil.copytree(exported, damaged))
    manifest = json.loads((damaged_copy / "versions/000001/manifest.json").read_text())
    files = [file["path"] for day in manifest["partitions"] for file in day["files"]]
    first, second, third, fourth = files[:4]
    shutil.copy(damaged_copy / fourth, damaged_copy / third)
    with (damaged_copy / first).open("ab") as handle:
        handle.write(b"\0")
    (damaged_copy / second).unlink()
    (damaged_copy / "versions/000001/stray.parquet").write_bytes(b"")
    problems = verify(damaged_copy)
    assert any(problem.startswith(f"{first}: not a readable Parquet file") for problem in problems)
    assert f"{second}: in the manifest, missing from the export" in problems
    assert "versions/000001/stray.parquet: in the export, not in the manifest" in problems
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
    exec(block.replace('"data/export"', f'"{exported}"'), namespace)
    scores, test = namespace["scores"], namespace["test"]
    assert len(scores) == len(test) > 0
    assert ((scores > 0) & (scores < 1)).all()
