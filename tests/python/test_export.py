"""The export for trainers (its first version): every split mart row read back
from the Parquet files, manifest counts equal to the marts, a fresh export
byte-identical but for its timestamp and no new version from the same build,
and a damaged export caught by the verify command. A second version written
from a copy of the build with one label flipped: a manifest changed after it
was written (one byte of a split, a count) is named by verify and refused by
the reader. Later versions on real deliveries: test_export_versions.py."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from feedpipe.export import SPLITS, main, write
from feedpipe.export_read import DamagedExport, delta, manifest, read, state
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
    checksum = hashlib.sha256((again / "versions/000001/manifest.json").read_bytes()).hexdigest()
    assert (again / "CURRENT").read_text() == f"000001 {checksum}\n"


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


@pytest.fixture(scope="module")
def flipped_build(default_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the build in which one negative example of a train day became a
    positive (no dbt run: the next version of an export in a second). The split
    marts are views: the row changes in the table they select from."""
    database = Path(shutil.copy(default_build, tmp_path_factory.mktemp("flipped") / "feed.duckdb"))
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "update int_examples_with_features set label = 1 "
            "where (task, event_date, user_id, tweet_id) = "
            "(select (task, event_date, user_id, tweet_id) from train_examples where label = 0 "
            "order by all limit 1)"
        )
    return database


@pytest.fixture(scope="module")
def two_versions(
    exported: Path, flipped_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """`exported` and a second version written on it from `flipped_build`."""
    out = Path(shutil.copytree(exported, tmp_path_factory.mktemp("two_versions") / "export"))
    assert write(flipped_build, out)["changes"][0]["reasons"][0] == "labels_flipped"
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_manifest_names_the_sha256_of_its_parents_and_current_of_the_latest(
    two_versions: Path,
):
    first, second = (two_versions / f"versions/00000{v}/manifest.json" for v in (1, 2))
    assert json.loads(first.read_text())["parent_sha256"] is None
    assert json.loads(second.read_text())["parent_sha256"] == _sha256(first)
    assert (two_versions / "CURRENT").read_text() == f"000002 {_sha256(second)}\n"
    assert verify(two_versions) == []
    change = delta(two_versions, since=1)
    assert [(p.task, p.event_date) for p in change.add] == [
        (p.task, p.event_date) for p in change.drop
    ]
    assert len(change.add) == 1


def test_a_byte_changed_in_an_old_manifest_is_named_by_verify_and_refused_by_the_reader(
    two_versions: Path, tmp_path: Path, capsys
):
    """One byte of a partition's split in version 1's manifest (still valid JSON):
    unchecked, delta(since=1) would drop a partition the trainer does not hold and
    add one it already has (that day's rows twice)."""
    out = Path(shutil.copytree(two_versions, tmp_path / "out"))
    path = out / "versions/000001/manifest.json"
    text = path.read_text()
    assert '"split": "test"' in text
    path.write_text(text.replace('"split": "test"', '"split": "tesT"', 1))
    json.loads(path.read_text())
    named = "versions/000001/manifest.json: version 1's manifest was changed or damaged"
    assert [problem.split(": its sha256")[0] for problem in verify(out)] == [named]
    assert main(["verify", str(out)]) == 1
    assert named in capsys.readouterr().err
    for read_version_1 in (lambda: delta(out, since=1), lambda: state(out, 1)):
        with pytest.raises(DamagedExport, match=named):
            read_version_1()
    assert main(["changes", str(out), "--version", "1"]) == 1
    assert named in capsys.readouterr().err
    # The latest version does not read version 1's manifest: it is served.
    served = [(p.split, p.task, p.event_date, p.content_hash) for p in state(out)]
    assert served == [(p.split, p.task, p.event_date, p.content_hash) for p in state(two_versions)]


def _add_negatives(out: Path, version: int) -> tuple[Path, dict]:
    """Add 1,000 to a partition's negatives in a version's manifest (valid JSON)."""
    path = out / f"versions/00000{version}/manifest.json"
    changed = json.loads(path.read_text())
    partition = changed["partitions"][3]
    partition["negatives"] += 1000
    path.write_text(json.dumps(changed, indent=2, sort_keys=True) + "\n")
    return path, partition


def test_a_count_changed_in_a_manifest_is_named_by_verify(two_versions: Path, tmp_path: Path):
    """A partition's negatives + 1000 in version 1's manifest: its sha256 no longer
    matches. In the latest manifest with CURRENT rewritten to match, so that no
    checksum tells: verify recomputes the count from the files and names it."""
    old = Path(shutil.copytree(two_versions, tmp_path / "old"))
    _add_negatives(old, 1)
    [problem] = verify(old)
    assert problem.startswith("versions/000001/manifest.json: version 1's manifest was changed")
    with pytest.raises(DamagedExport, match=re.escape(problem)):
        state(old, 1)

    latest = Path(shutil.copytree(two_versions, tmp_path / "latest"))
    path, partition = _add_negatives(latest, 2)
    with pytest.raises(DamagedExport, match=re.escape("versions/000002/manifest.json: version 2")):
        state(latest)
    (latest / "CURRENT").write_text(f"000002 {_sha256(path)}\n")
    assert len(state(latest)) == len(state(two_versions))
    where = f"{partition['split']} {partition['task']} {partition['event_date']}"
    negatives = partition["negatives"] - 1000
    assert verify(latest) == [
        f"versions/000002/manifest.json: {where}: negatives {negatives} in its files "
        f"({partition['files'][0]['path']}), the manifest says {negatives + 1000}"
    ]


def test_a_killed_export_s_version_is_named_only_when_it_was_written_on_the_latest(
    two_versions: Path, default_build: Path, tmp_path: Path
):
    """Version 2 published, CURRENT still naming version 1 (an export killed
    between the two): the next writer names it, with its sha256; a version 2
    whose manifest does not name version 1's sha256 is not taken."""
    first = two_versions / "versions/000001/manifest.json"
    for damaged in (False, True):
        out = Path(shutil.copytree(two_versions, tmp_path / f"out_{damaged}"))
        (out / "CURRENT").write_text(f"000001 {_sha256(first)}\n")
        assert len(state(out)) == len(state(two_versions, 1))
        if damaged:
            path = out / "versions/000002/manifest.json"
            path.write_text(path.read_text().replace(_sha256(first), "0" * 64))
            published = re.escape("versions/000002/manifest.json: published after version 1")
            with pytest.raises(SystemExit, match=published):
                write(default_build, out)
            continue
        write(default_build, out)  # the build version 1 was written from: a third version
        assert manifest(out)["version"] == 3
        assert verify(out) == []


def test_an_export_written_before_checksums_is_read_and_protected_from_its_next_version(
    exported: Path, flipped_build: Path, tmp_path: Path
):
    """CURRENT naming only a version and a manifest of format 2 without
    parent_sha256 (as written before checksums) are read, and the next version
    names that manifest's sha256; a CURRENT without a checksum for a manifest
    written with them is refused."""
    out = Path(shutil.copytree(exported, tmp_path / "out"))
    path = out / "versions/000001/manifest.json"
    old = json.loads(path.read_text())
    old.pop("parent_sha256")
    old["format"] = "feed-training-data export 2"
    path.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")
    (out / "CURRENT").write_text("000001\n")
    assert verify(out) == [] and len(state(out)) == len(old["partitions"])
    assert write(flipped_build, out)["parent_sha256"] == _sha256(path)
    assert verify(out) == [] and len(delta(out, since=1).add) == 1
    (out / "CURRENT").write_text("000001\n")
    path.write_text(path.read_text().replace("export 2", "export 3"))
    with pytest.raises(DamagedExport, match="CURRENT names no sha256 for version 1"):
        state(out)
