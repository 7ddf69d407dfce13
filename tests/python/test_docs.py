"""Every model and every column it builds is described; public models enforce contracts."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

MARTS = {
    "train_examples",
    "validation_examples",
    "test_examples",
    "daily_label_stats",
    "sample_definition",
}


def _models(manifest: Path) -> dict[str, dict]:
    nodes = json.loads(manifest.read_text())["nodes"]
    return {
        node["name"]: node
        for node in nodes.values()
        if node["resource_type"] in {"model", "seed"}
        and node["package_name"] == "feed_training_data"
    }


def test_every_model_and_built_column_is_described(default_build: Path, default_manifest: Path):
    models = _models(default_manifest)
    assert len(models) >= 15
    with duckdb.connect(str(default_build), read_only=True) as connection:
        built = connection.sql(
            "select table_name, column_name from information_schema.columns"
        ).fetchall()
    columns_built: dict[str, set[str]] = {}
    for table, column in built:
        columns_built.setdefault(table, set()).add(column)
    missing = []
    for name, node in models.items():
        if not node["description"].strip():
            missing.append(f"{name}: no description")
        documented = {
            column: spec["description"].strip() for column, spec in node["columns"].items()
        }
        for column in sorted(columns_built.get(name, set())):
            if not documented.get(column):
                missing.append(f"{name}.{column}: not described")
    assert not missing, missing


def test_public_models_enforce_contracts(default_manifest: Path):
    models = _models(default_manifest)
    for name in MARTS:
        assert models[name]["config"]["contract"]["enforced"], name
        assert all(spec["data_type"] for spec in models[name]["columns"].values()), name
