"""How much macro code a reader meets: the project's macro files and lines, the refresh
machinery's share (files under a `refresh` folder), and per model the macro files it
calls directly and the transitive closure of files reachable from its calls (by name,
through Jinja calls and adapter.dispatch families), with their lines.

    .venv/bin/python tools/macro_closure.py [PROJECT_DIR] [--models] [--json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
DISPATCH = re.compile(r"adapter\.dispatch\(\s*['\"]([a-z0-9_]+)['\"]")
DEFINITION = re.compile(r"{%-?\s*macro\s+([a-z0-9_]+)\s*\(")


def measure(root: Path) -> dict:
    """Files, lines, refresh lines and, per model, (direct files, closure files, closure lines)."""
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

    def closure(names: set[str]) -> set[Path]:
        seen: set[Path] = set()
        todo = [defined_in[name] for name in names if name in defined_in]
        while todo:
            path = todo.pop()
            if path not in seen:
                seen.add(path)
                todo += [defined_in[name] for name in calls[path] if name in defined_in]
        return seen

    models = {}
    for model in sorted((root / "models").rglob("*.sql")):
        names = set(CALL.findall(model.read_text()))
        reached = closure(names)
        models[model.stem] = {
            "direct_files": len({defined_in[name] for name in names if name in defined_in}),
            "closure_files": len(reached),
            "closure_lines": sum(lines[path] for path in reached),
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
    worst = max(models.items(), key=lambda item: item[1]["closure_lines"])
    print(
        f"macro files {result['files']}, macro lines {result['lines']}; refresh machinery "
        f"{result['refresh_files']} files, {result['refresh_lines']} lines; most macro files "
        f"a model calls directly {max(m['direct_files'] for m in models.values())}; largest "
        f"closure {max(m['closure_files'] for m in models.values())} files, "
        f"{worst[1]['closure_lines']} lines ({worst[0]})"
    )
    if "--models" in argv:
        for name, model in sorted(models.items(), key=lambda item: -item[1]["closure_lines"]):
            print(
                f"  {name:32} direct {model['direct_files']:2}  closure "
                f"{model['closure_files']:2} files {model['closure_lines']:4} lines"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
