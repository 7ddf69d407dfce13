"""How much macro code a reader meets. Per model: the macro files it calls directly, and
the files reachable from its calls (by name, through Jinja calls and adapter.dispatch
families) together with the hooks that run before or around it (on-run-start and the
pre-/post-hooks dbt_project.yml sets on its folders; on-run-end bookkeeping runs after
every model and is not counted), with their lines; and whether the model's SQL or a
macro it reaches runs a query while it compiles (run_query, a statement block,
adapter.execute, load_result). Also the project's macro files and lines, and the
refresh machinery's share (files under a `refresh` folder).

    .venv/bin/python tools/macro_closure.py [PROJECT_DIR] [--models] [--json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
DISPATCH = re.compile(r"adapter\.dispatch\(\s*['\"]([a-z0-9_]+)['\"]")
DEFINITION = re.compile(r"{%-?\s*macro\s+([a-z0-9_]+)\s*\(")
QUERY = re.compile(
    r"\brun_query\s*\(|{%-?\s*call\s+statement\b|adapter\.execute\s*\(|\bload_result\s*\("
)
HOOK_KEYS = ("+pre-hook", "+post-hook", "pre-hook", "post-hook")


def _hook_calls(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {name for item in items for name in CALL.findall(str(item))}


def _folder_hooks(tree: dict, parts: list[str]) -> set[str]:
    """Calls in the hooks dbt_project.yml sets on the model's folders (and on the model)."""
    names, node = set(), tree
    chain = [node]
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            break
        chain.append(node)
    for level in chain:
        for key in HOOK_KEYS:
            names |= _hook_calls(level.get(key, []))
    return names


def measure(root: Path) -> dict:
    """Macro files and lines, refresh lines and, per model, what a reader of it meets."""
    files = sorted((root / "macros").rglob("*.sql"))
    lines = {path: len(path.read_text().splitlines()) for path in files}
    defined_in: dict[str, Path] = {}
    calls: dict[Path, set[str]] = {}
    for path in files:
        text = path.read_text()
        for name in DEFINITION.findall(text):
            defined_in[name] = path
        names = set(CALL.findall(text))
        for family in DISPATCH.findall(text):
            names |= {f"{prefix}__{family}" for prefix in ("default", "duckdb", "spark")}
        calls[path] = names
    queries = {path: bool(QUERY.search(path.read_text())) for path in files}

    def closure(names: set[str]) -> set[Path]:
        seen: set[Path] = set()
        todo = [defined_in[name] for name in names if name in defined_in]
        while todo:
            path = todo.pop()
            if path not in seen:
                seen.add(path)
                todo += [defined_in[name] for name in calls[path] if name in defined_in]
        return seen

    project = yaml.safe_load((root / "dbt_project.yml").read_text())
    run_start = _hook_calls(project.get("on-run-start", []))
    tree = (project.get("models") or {}).get(project["name"], {}) or {}
    models = {}
    for model in sorted((root / "models").rglob("*.sql")):
        text = model.read_text()
        names = set(CALL.findall(text))
        own = closure(names)
        parts = [*model.relative_to(root / "models").parent.parts, model.stem]
        reached = own | closure(run_start | _folder_hooks(tree, parts))
        models[model.stem] = {
            "direct_files": len({defined_in[name] for name in names if name in defined_in}),
            "closure_files": len(reached),
            "closure_lines": sum(lines[path] for path in reached),
            "queries_while_compiling": bool(QUERY.search(text)) or any(queries[p] for p in own),
        }
    refresh = [path for path in files if "refresh" in path.relative_to(root).parts]
    return {
        "files": len(files),
        "lines": sum(lines.values()),
        "refresh_files": len(refresh),
        "refresh_lines": sum(lines[path] for path in refresh),
        "models": models,
    }


def main(argv: list[str]) -> None:
    args = [arg for arg in argv if not arg.startswith("--")]
    result = measure(Path(args[0] if args else "."))
    if "--json" in argv:
        print(json.dumps(result, indent=1))
        return
    models = result["models"]
    worst = max(models.items(), key=lambda item: item[1]["closure_files"])
    querying = sorted(name for name, model in models.items() if model["queries_while_compiling"])
    print(
        f"macro files {result['files']}, macro lines {result['lines']}; refresh machinery "
        f"{result['refresh_files']} files, {result['refresh_lines']} lines; most macro files "
        f"a model calls directly {max(m['direct_files'] for m in models.values())}; largest "
        f"closure with hooks {worst[1]['closure_files']} files, {worst[1]['closure_lines']} "
        f"lines ({worst[0]}); models that query while compiling: {len(querying)} of "
        f"{len(models)} ({', '.join(querying)})"
    )
    if "--models" in argv:
        for name, model in sorted(models.items(), key=lambda item: -item[1]["closure_files"]):
            print(
                f"  {name:32} direct {model['direct_files']:2}  with hooks "
                f"{model['closure_files']:2} files {model['closure_lines']:4} lines"
                f"{'  queries while compiling' if model['queries_while_compiling'] else ''}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
