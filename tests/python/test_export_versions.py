"""Exports as versions on logs delivered day by day (a missed run, late
engagements): each version changes exactly the partitions whose rows differ
from the export before, with the reasons; the state as of every version and
the delta since it equal a full export made then; a killed export leaves the
previous version whole; verify names damage anywhere in the chain, and a
manifest changed inside it is refused by the reader; compaction keeps the
state."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_harness import PROJECT_DIR, SPLIT_VARS, TINY_LOGS, build, deliver_day

from feedpipe.export import compact, locked, main, write
from feedpipe.export_read import DamagedExport, current_version, delta, manifest, read, state
from feedpipe.export_verify import verify
from feedpipe.generate import generate

pytestmark = pytest.mark.slow

START = dt.date(2026, 1, 5)
DAYS = 11
FIRST_BUILD_DAYS = 7  # five mature days: train, validation and test all hold some
MISSED = 8  # the scheduler did not run the day this one was delivered


def _late_like(database: Path, day: dt.date) -> pa.Table:
    """A like two days late for a negative example of the `like` task on `day`."""
    with duckdb.connect(str(database), read_only=True) as connection:
        user, tweet, example_ts = connection.execute(
            "select user_id, tweet_id, example_ts from ("
            "select * from train_examples union all select * from validation_examples "
            "union all select * from test_examples) "
            "where task = 'like' and label = 0 and event_date = ? "
            "order by user_id, tweet_id limit 1",
            [day],
        ).fetchone()
    return pa.table(
        {
            "user_id": pa.array([user], pa.int64()),
            "tweet_id": pa.array([tweet], pa.int64()),
            "action": ["like"],
            "engagement_ts": pa.array([example_ts + dt.timedelta(minutes=1)], pa.timestamp("us")),
        }
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Days delivered one by one, a refresh after each (but the missed one), then a
    late delivery and a refresh with nothing new. After every build: the next
    version of one export, a full export of the same build into a fresh folder,
    and copies of the export and the database as they were then."""
    work = tmp_path_factory.mktemp("export_versions")
    logs, raw, database, out = work / "logs", work / "raw", work / "feed.duckdb", work / "out"
    generate(logs, days=DAYS, start=START, **TINY_LOGS)
    steps: list[dict] = []

    def build_and_export(name: str) -> None:
        build(raw, database, work, dbt_vars=SPLIT_VARS, threads=2)
        step = {"name": name, "database": work / f"{name}.duckdb", "full": work / f"full_{name}"}
        shutil.copy(database, step["database"])
        step["manifest"] = write(step["database"], out)
        step["version"] = current_version(out)
        write(step["database"], step["full"])
        step["out"] = Path(shutil.copytree(out, work / f"out_{name}"))
        steps.append(step)

    for offset in range(FIRST_BUILD_DAYS):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
    build_and_export("first")
    for offset in range(FIRST_BUILD_DAYS, DAYS):
        deliver_day(logs, raw, START + dt.timedelta(days=offset))
        if offset != MISSED:
            build_and_export(f"day{offset}")
    last_day = START + dt.timedelta(days=DAYS - 1)
    late = _late_like(database, last_day - dt.timedelta(days=2))
    pq.write_table(late, raw / "engagements" / f"{last_day}-late-delivery.parquet")
    build_and_export("late")
    build_and_export("nothing_new")
    return {"out": out, "steps": steps}


def _rows(folder: Path, version: int | None = None) -> pa.Table:
    return read(state(folder, version))


def _assert_same_rows(got: pa.Table, want: pa.Table) -> None:
    """The same rows, split, task and day included, as multisets."""
    with duckdb.connect() as connection:
        connection.register("got", got)
        connection.register("want", want.select(got.column_names))
        extra = connection.execute(
            "select count(*) from (from got except all from want)"
        ).fetchone()
        missing = connection.execute(
            "select count(*) from (from want except all from got)"
        ).fetchone()
    assert (got.num_rows, extra[0], missing[0]) == (want.num_rows, 0, 0)
    assert want.num_rows > 0


def _differences(before: pa.Table, after: pa.Table) -> dict:
    """Between two full exports, per (task, day): the partitions whose rows differ
    (new and gone ones included), those whose split differs, those gone, and the
    examples whose label flipped."""
    with duckdb.connect() as connection:
        connection.register("before", before)
        connection.register("after", after)

        def keys(sql: str) -> set:
            return {tuple(row) for row in connection.sql(sql).fetchall()}

        differ = keys(
            "select distinct task, cast(event_date as varchar) from ("
            "(select * exclude (split) from before except all select * exclude (split) from after)"
            " union all "
            "(select * exclude (split) from after except all select * exclude (split) from before))"
        )
        splits = "select distinct task, cast(event_date as varchar), split from {}"
        old, new = keys(splits.format("before")), keys(splits.format("after"))
        flipped = {
            (task, day): count
            for task, day, count in connection.sql(
                "select task, cast(event_date as varchar), count(*) "
                "from before inner join after using (task, event_date, user_id, tweet_id) "
                "where before.label <> after.label group by all"
            ).fetchall()
        }
    old_split = {(task, day): split for task, day, split in old}
    new_split = {(task, day): split for task, day, split in new}
    return {
        "differ": differ,
        "moved": {k for k in old_split.keys() & new_split.keys() if old_split[k] != new_split[k]},
        "left": old_split.keys() - new_split.keys(),
        "flipped": flipped,
    }


def test_each_version_changes_exactly_the_partitions_whose_rows_differ(history: dict):
    steps, out = history["steps"], history["out"]
    assert [step["version"] for step in steps] == [1, 2, 3, 4, 5, 5]
    reasons_seen = set()
    for before, after in itertools.pairwise(steps):
        found = _differences(_rows(before["full"]), _rows(after["full"]))
        if after["manifest"] is None:  # nothing new: no version written
            assert found == {"differ": set(), "moved": set(), "left": set(), "flipped": {}}
            continue
        version = after["version"]
        assert manifest(out, version)["parent"] == before["version"]
        changes = {(c["task"], c["event_date"]): c for c in after["manifest"]["changes"]}
        assert {key for key, c in changes.items() if c["reasons"] != ["moved"]} == found["differ"]
        assert {key for key, c in changes.items() if "moved" in c["reasons"]} == found["moved"]
        assert {key for key, c in changes.items() if c["reasons"] == ["left"]} == found["left"]
        flipped = {
            key: c["detail"]["labels_flipped"]
            for key, c in changes.items()
            if "labels_flipped" in c["reasons"]
        }
        assert flipped == found["flipped"]
        # The version's folder holds the files of the partitions whose rows differ, only.
        written = {(p.task, p.event_date) for p in state(out, version) if p.version == version}
        assert written == found["differ"] - found["left"]
        folder = out / "versions" / f"{version:06d}"
        on_disk = {
            (path.parent.parent.name.split("=")[1], path.parent.name.split("=")[1])
            for path in folder.rglob("*.parquet")
        }
        assert on_disk == written
        reasons_seen |= {reason for c in changes.values() for reason in c["reasons"]}
    assert {"new_day", "moved", "labels_flipped"} <= reasons_seen
    first = steps[0]["manifest"]["changes"]
    assert {tuple(c["reasons"]) for c in first} == {("first_export",)}


def test_the_state_as_of_every_version_equals_a_full_export_made_then(history: dict):
    for step in history["steps"]:
        _assert_same_rows(_rows(history["out"], step["version"]), _rows(step["full"]))


def test_the_delta_since_a_version_brings_its_state_to_the_latest(history: dict):
    out = history["out"]
    latest = _rows(out)
    for since in range(1, current_version(out)):
        change = delta(out, since)
        assert change.until == current_version(out) and change.add and change.drop
        dropped = {(p.split, p.task, p.event_date) for p in change.drop}
        kept = [p for p in state(out, since) if (p.split, p.task, p.event_date) not in dropped]
        _assert_same_rows(pa.concat_tables([read(kept), read(change.add)]), latest)
        # A trainer reads fewer rows than the full state.
        assert sum(p.rows for p in change.add) < latest.num_rows
    assert delta(out, current_version(out)).add == []


def _write_killed_at(call: str, database: Path, out: Path) -> int:
    """Run `write` in a process that SIGKILLs itself when the export calls `os.<call>`."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        import feedpipe.export as export
        export.os.{call} = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
        export.write(Path(sys.argv[1]), Path(sys.argv[2]))
        """
    )
    command = [sys.executable, "-c", script, str(database), str(out)]
    return subprocess.run(command, cwd=PROJECT_DIR, check=False).returncode


@pytest.mark.parametrize("call", ["rename", "replace"])
def test_a_killed_export_leaves_the_previous_version_and_the_next_one_succeeds(
    call: str, history: dict, tmp_path: Path
):
    """An export killed (SIGKILL) at the rename that would publish its version, or
    after it, at the replace that would name it in CURRENT: readers still see the
    previous version and verify passes. The next export clears the staging
    folder and publishes; or finds the published version complete and names it."""
    before, after = history["steps"][1], history["steps"][2]
    out = Path(shutil.copytree(before["out"], tmp_path / "out"))
    assert _write_killed_at(call, after["database"], out) == -9
    left = [p.name for p in (out / "versions").iterdir()]
    if call == "rename":
        [staging] = (out / "versions").glob(".staging-*")
        assert (staging / "manifest.json").exists() and list(staging.rglob("*.parquet"))
    else:
        assert f"{before['version'] + 1:06d}" in left
    assert current_version(out) == before["version"]
    assert verify(out) == []
    _assert_same_rows(_rows(out), _rows(before["full"]))

    published = write(after["database"], out)
    assert current_version(out) == before["version"] + 1
    # Killed after the rename, the version was complete: nothing is left to write.
    assert (published is None) == (call == "replace")
    assert not list((out / "versions").glob(".staging-*"))
    assert not list(out.glob(".CURRENT.*"))
    assert verify(out) == []
    _assert_same_rows(_rows(out), _rows(after["full"]))


def test_a_second_writer_waits_for_the_lock(history: dict, tmp_path: Path):
    before, after = history["steps"][1], history["steps"][2]
    out = Path(shutil.copytree(before["out"], tmp_path / "out"))
    command = [sys.executable, "-m", "feedpipe.export", "write", str(out)]
    command += ["--database", str(after["database"])]
    with locked(out):
        writer = subprocess.Popen(command, cwd=PROJECT_DIR)
        with pytest.raises(subprocess.TimeoutExpired):
            writer.wait(timeout=3)
        assert current_version(out) == before["version"]
    assert writer.wait(timeout=60) == 0
    assert current_version(out) == before["version"] + 1


def test_verify_names_damage_in_an_older_version_of_the_chain(history: dict, tmp_path: Path):
    out = Path(shutil.copytree(history["out"], tmp_path / "out"))
    assert verify(out) == []
    assert main(["verify", str(out)]) == 0
    latest = {file for p in state(out) for file in p.files}
    # A file of an older version that the latest state no longer reads (a label
    # flipped since), and one of version 1 that it still reads.
    older = range(1, current_version(out))
    superseded = next(f for v in older for p in state(out, v) for f in p.files if f not in latest)
    still_read = next(f for p in state(out, 1) for f in p.files if f in latest)
    for path in (superseded, still_read):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    (out / "versions/000002/stray.parquet").write_bytes(b"")
    problems = verify(out)
    for path in (superseded, still_read):
        assert f"{path.relative_to(out).as_posix()}: sha256 differs from the manifest" in problems
    assert "versions/000002/stray.parquet: in the export, not in the manifest" in problems
    assert main(["verify", str(out)]) == 1


def test_a_manifest_changed_inside_the_chain_is_named_and_refused(history: dict, tmp_path: Path):
    """One byte of a split in version 2's manifest: version 3's manifest names
    the sha256 it had. Verify names it; reading version 2 or older is refused,
    reading from version 3 on is not."""
    out = Path(shutil.copytree(history["out"], tmp_path / "out"))
    path = out / "versions/000002/manifest.json"
    path.write_text(path.read_text().replace('"split": "train"', '"split": "trail"', 1))
    named = (
        "versions/000002/manifest.json: version 2's manifest was changed or damaged: its sha256 is"
    )
    [problem] = verify(out)
    assert problem.startswith(named) and problem.endswith(
        "versions/000003/manifest.json names " + manifest(out, 3)["parent_sha256"]
    )
    for since in (1, 2):
        with pytest.raises(DamagedExport, match=re.escape(named)):
            delta(out, since)
    added = [(p.split, p.task, p.event_date, p.content_hash) for p in delta(out, 3).add]
    assert added == [
        (p.split, p.task, p.event_date, p.content_hash) for p in delta(history["out"], 3).add
    ]
    assert added


def test_compaction_keeps_the_state_and_older_versions_can_go(
    history: dict, tmp_path: Path, capsys
):
    out = Path(shutil.copytree(history["out"], tmp_path / "out"))
    latest = current_version(out)
    assert main(["changes", str(out), "--version", "2"]) == 0
    assert "new_day" in capsys.readouterr().out
    compacted = compact(out, remove_older=True)
    assert compacted["version"] == latest + 1 and compacted["changes"] == []
    assert sorted(path.name for path in (out / "versions").iterdir()) == [f"{latest + 1:06d}"]
    assert verify(out) == []
    _assert_same_rows(_rows(out), _rows(history["steps"][-1]["full"]))
    assert [p.content_hash for p in state(out)] == [p.content_hash for p in state(history["out"])]
    assert write(history["steps"][-1]["database"], out) is None
