"""The house style's checkable standards (dbt-project-evaluator's rules, written
here since the package hub is out of reach), read from the built project's
manifest and files: lineage shows every table the refresh reads, configuration
cascades from dbt_project.yml, layers read what they should, every source has a
freshness, every model a description and a test; every macro documented once,
each dispatch family with a duckdb__ and a spark__ form and a default__ that
is portable or stops naming the adapter, and few macro files and lines for a
reader to open (tools/macro_closure.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools.macro_closure import measure

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "feed_training_data"
REFRESH_STATE = {"runs": "feed_refresh_runs", "windows": "feed_refresh_windows"}
# Models rebuilt whole by every run in a folder whose models are incremental:
# each sets its own materialization, with the reason in the file.
MATERIALIZATION_EXCEPTIONS = {"int_log_watermark", "int_mature_days_split"}
# The file ledger compares the folder's listing (a source) with what staging
# took in from each file (models). The raw readers and the delivery order read
# the log (a source) and the files the run's plan names (a model); the planner
# reads the folders' listings and the run ledger (sources).
READS_SOURCES_AND_MODELS = {"raw_file_ledger", "refresh_plan", "stg_feed_files__deliveries"}
READS_SOURCES_AND_MODELS |= {"base_feed__impressions", "base_feed__engagements"}
# Views over the mature days' examples, each its split's days.
SPLIT_MARTS = {"train_examples", "validation_examples", "test_examples"}
MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(")
DISPATCH_PREFIX = re.compile(r"^(default|duckdb|spark)__")
DISPATCH = re.compile(r"adapter\.dispatch\(\s*'(\w+)'")
MACRO_BODY = re.compile(
    r"\{%-?\s*macro\s+(\w+)\s*\(.*?\)\s*-?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.S
)
JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
# Dispatch families whose default__ is portable SQL, each with the reason.
# The others' SQL is spelled differently on DuckDB and Spark, or its standard
# spelling is not read alike by warehouses (a doubled quote in a string
# literal is two literals on Spark, and Snowflake and MySQL read backslash
# escapes too).
PORTABLE_DEFAULTS: dict[str, str] = {
    # A DELETE with a WHERE: standard SQL, for any table that takes one.
    "delete_days": "standard DELETE",
    # A correlated EXISTS: standard SQL; the rows that DELETE replaces.
    "reopened_rows": "standard EXISTS",
}


def _manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def _project_nodes(manifest: dict, resource_type: str) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type and node["package_name"] == PROJECT
    }


def _parents(node: dict) -> set[str]:
    return set(node["depends_on"]["nodes"])


def _kind(unique_id: str) -> str:
    return unique_id.split(".")[0]


def test_lineage_shows_what_each_model_selects_from(parsed_manifest: Path):
    manifest = _manifest(parsed_manifest)
    models = _project_nodes(manifest, "model")
    sources = {
        f"{source['source_name']}.{source['name']}": source
        for source in manifest["sources"].values()
    }
    for table, identifier in REFRESH_STATE.items():
        assert sources[f"feed_refresh.{table}"]["identifier"] == identifier
    # The plan is a model every daily model has in its lineage (it reads
    # its window there, in its own SQL); the history of windows is read by
    # its view only.
    plan = f"model.{PROJECT}.refresh_plan"
    for name, node in models.items():
        if node["config"]["meta"].get("refresh_day_column"):
            assert plan in _parents(node), name
        if name != "stg_feed_refresh__windows":
            assert f"source.{PROJECT}.feed_refresh.windows" not in _parents(node), name
    # How far the logs reach comes from the whole history's daily volumes.
    assert _parents(models["int_log_watermark"]) == {f"model.{PROJECT}.int_log_daily_volumes"}
    assert _parents(models["stg_feed_refresh__runs"]) == {f"source.{PROJECT}.feed_refresh.runs"}
    # The raw-file ledger comes after the staging models because it reads
    # what they took in from each file, beside the folder's listing and the
    # files the plan set aside; not because of an ordering hint.
    ledger_parents = _parents(models["raw_file_ledger"])
    for model in ("stg_feed__impressions", "stg_feed__engagements", "stg_feed__rejected_rows"):
        assert f"model.{PROJECT}.{model}" in ledger_parents
        assert f"ref('{model}')" in models["raw_file_ledger"]["raw_code"]
    for source in ("feed_files.impressions", "feed_files.engagements"):
        assert f"source.{PROJECT}.{source}" in ledger_parents
    assert plan in ledger_parents


def test_no_ordering_hint_and_no_table_read_by_a_written_out_name():
    hint = re.compile(r"--\s*depends_on")
    written = re.compile("|".join([*REFRESH_STATE.values(), r"\btarget\.schema\s*~\s*'\."]))
    offenders = []
    for folder in ("models", "macros", "tests/generic", "analyses"):
        for path in sorted((ROOT / folder).rglob("*.sql")):
            text = path.read_text()
            if hint.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: -- depends_on hint")
            if written.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: a bookkeeping table by name")
    assert not offenders, offenders


LEFTOVER_HOOK = "{{ clear_leftover_table_folder() }}"


def test_configuration_cascades_from_dbt_project(parsed_manifest: Path):
    models = _project_nodes(_manifest(parsed_manifest), "model")
    own_materialization = re.compile(r"materialized\s*=")
    for name, node in models.items():
        sets_own = bool(own_materialization.search(node["raw_code"]))
        assert sets_own == (name in MATERIALIZATION_EXCEPTIONS), name
        config = node["config"]
        day_column = config["meta"].get("refresh_day_column")
        hooks = [hook["sql"] for hook in config["pre-hook"]]
        if node["fqn"][1] in {"staging", "intermediate"}:
            if config["materialized"] == "incremental":
                assert config["incremental_strategy"] == "append", name
                assert config["on_schema_change"] == "fail", name
            assert hooks == [LEFTOVER_HOOK, "{{ delete_refresh_window() }}"], (name, hooks)
        if node["fqn"][1] == "marts":
            # The stream, in no split, is rewritten by day; the split marts are views.
            by_day = ["{{ delete_refresh_window() }}"] if name == "stream_examples" else []
            assert hooks == [LEFTOVER_HOOK, *by_day], (name, hooks)
            assert (config["materialized"] == "incremental") == bool(by_day), name
            assert (config["materialized"] == "view") == (name in SPLIT_MARTS), name
        if node["fqn"][1] == "operations":
            assert hooks == [LEFTOVER_HOOK], (name, hooks)
        if day_column:
            assert config["materialized"] == "incremental", name
            assert day_column in {column for column in node["columns"]}, name
    daily = {
        name for name, node in models.items() if node["config"]["meta"].get("refresh_day_column")
    }
    incremental = {
        name for name, node in models.items() if node["config"]["materialized"] == "incremental"
    }
    # Every incremental model is rewritten by day, but the ledger, which only appends.
    assert incremental - daily == {"raw_file_ledger"}
    assert len(daily) >= 15


def test_each_layer_reads_what_it_should(parsed_manifest: Path):
    manifest = _manifest(parsed_manifest)
    models = _project_nodes(manifest, "model")
    problems = []
    for name, node in models.items():
        parents = _parents(node)
        reads_source = any(_kind(parent) == "source" for parent in parents)
        reads_model = any(_kind(parent) == "model" for parent in parents)
        layer = node["fqn"][1]
        if reads_source and reads_model and name not in READS_SOURCES_AND_MODELS:
            problems.append(f"{name} reads both a source and a model")
        if reads_source and layer != "staging" and name not in READS_SOURCES_AND_MODELS:
            problems.append(f"{name} ({layer}) reads a source")
        if layer == "staging" and node["fqn"][2] not in {"feed", "feed_files", "feed_refresh"}:
            problems.append(f"{name} is not under staging/<source>/")
    for source in manifest["sources"].values():
        if source["package_name"] != PROJECT:
            continue
        path = Path(source["original_file_path"])
        if path.parts[:2] != ("models", "staging") or path.parts[2] != source["source_name"]:
            problems.append(f"source {source['source_name']} declared in {path}")
        freshness = source["freshness"] or {}
        if not (freshness.get("warn_after", {}).get("count") and source["loaded_at_field"]):
            problems.append(f"source {source['source_name']}.{source['name']} has no freshness")
    # No chain of five or more views.
    views = {
        f"model.{PROJECT}.{n}"
        for n, node in models.items()
        if node["config"]["materialized"] == "view"
    }

    def view_depth(unique_id: str) -> int:
        if unique_id not in views:
            return 0
        node = manifest["nodes"][unique_id]
        return 1 + max((view_depth(parent) for parent in _parents(node)), default=0)

    assert max((view_depth(view) for view in views), default=0) < 5
    assert not problems, problems


def test_every_model_has_a_description_and_a_test(parsed_manifest: Path):
    manifest = _manifest(parsed_manifest)
    models = _project_nodes(manifest, "model")
    tested = set()
    for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]:
        if node["resource_type"] in {"test", "unit_test"}:
            tested |= _parents(node)
    for name, node in models.items():
        assert node["description"].strip(), name
        assert node["unique_id"] in tested, f"{name} has no test"


def test_every_macro_documented_once_and_each_family_with_a_portable_default(
    parsed_manifest: Path,
):
    manifest = _manifest(parsed_manifest)
    documented = {
        macro["name"]
        for macro in manifest["macros"].values()
        if macro["package_name"] == PROJECT and macro["description"].strip()
    }
    problems = []
    for path in sorted((ROOT / "macros").rglob("*.sql")):
        text = path.read_text()
        names = set(MACRO.findall(text))
        for name in names:
            if not DISPATCH_PREFIX.match(name) and name not in documented:
                problems.append(f"{name} is not documented in macros/_macros.yml")
        for family in DISPATCH.findall(text):
            if f"default__{family}" not in names:
                problems.append(f"{family} has no default__ form in {path.relative_to(ROOT)}")
    assert not problems, problems


def test_each_dispatch_family_has_engine_forms_and_a_default_that_is_portable_or_stops():
    files = [*(ROOT / "macros").rglob("*.sql"), *(ROOT / "tests" / "generic").glob("*.sql")]
    texts = [path.read_text() for path in sorted(files)]
    bodies = {
        name: JINJA_COMMENT.sub("", body)
        for text in texts
        for name, body in MACRO_BODY.findall(text)
    }
    families = {family for text in texts for family in DISPATCH.findall(text)}
    assert {"sql_string", "add_days", "cast_utc_timestamp"} <= families
    problems = []
    helper = bodies.get("unsupported_adapter", "")
    if not ("raise_compiler_error" in helper and "target.type" in helper):
        problems.append("unsupported_adapter does not raise an error naming target.type")
    for family in sorted(families):
        default = bodies.get(f"default__{family}")
        stops = default is not None and (
            re.fullmatch(rf"\s*\{{\{{-?\s*unsupported_adapter\('{family}'\)\s*-?\}}\}}\s*", default)
            or ("raise_compiler_error" in default and "target.type" in default)
        )
        if default is None:
            problems.append(f"{family} has no default__ form")
        elif family in PORTABLE_DEFAULTS:
            if "raise_compiler_error" in default or "unsupported_adapter" in default:
                problems.append(f"default__{family} is listed as portable but stops")
            continue
        elif not stops:
            problems.append(
                f"default__{family} is not listed as portable SQL (PORTABLE_DEFAULTS) "
                f"and does not stop with unsupported_adapter('{family}')"
            )
        for engine in ("duckdb", "spark"):
            if f"{engine}__{family}" not in bodies:
                problems.append(f"{family} has no {engine}__ form (its default__ stops)")
    assert not problems, problems


def test_a_reader_opens_few_macro_files_for_any_model():
    """What a reader meets, hooks counted (tools/macro_closure.py): the central
    models need at most seven macro files, and only the planner and the two raw
    readers run a query while they compile."""
    measured = measure(ROOT)
    assert measured["files"] <= 35
    # Each dispatch family's default__ that stops naming the adapter costs four
    # lines; logs from tables (the listing of load batches, the tables' schema
    # check, the batch reader) some 170; the second window (clean rows rebuilt
    # from the first day new rows touch, labels a label window earlier, on the
    # earlier days only the rows that can change; the data tests check the rows
    # a run rebuilt) some 85; the label's timing and the stream's rate some 30
    # (a model's closure limit below grew from 720 to 745 lines with them);
    # the impressions' context columns (their var, types and first value) some 60
    # (and a raw reader's closure, which checks them, to 800 lines); the
    # sampling modes and the per-user cap some 65 (their vars checked, each
    # error naming the var and the task). The md5 draw's engine spellings sit
    # with the others in sql.sql since the labels take each example's draw
    # once (so a raw reader, which opens sql.sql for its casts, meets 855).
    # DuckDB's incremental materialization, which appends the model's query
    # itself rather than a copy of its rows, some 35; the data tests reading
    # the labels' re-opened rows alone, one select per deleted predicate, 10;
    # the split marts' tests reading the days their table was written, 5.
    assert measured["lines"] <= 1865
    models = measured["models"]
    # Seven since the draw carries the impressions' context columns, a var of
    # the inputs (macros/vars/inputs.sql).
    for name in ("int_examples_labeled", "int_examples_sampled", *SPLIT_MARTS):
        assert models[name]["closure_files"] <= 7, (name, models[name])
    querying = {name for name, model in models.items() if model["queries_while_compiling"]}
    assert querying == {"refresh_plan", "base_feed__impressions", "base_feed__engagements"}
    too_many = {
        name: model
        for name, model in models.items()
        if name != "refresh_plan"
        and (
            model["direct_files"] > 4 or model["closure_files"] > 9 or model["closure_lines"] > 855
        )
    }
    assert not too_many, too_many
