"""What a test of the scheduled runs needs around `make`: a fresh copy of the project
(as a clone has it) and an environment free of the caller's settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dbt_harness import PROJECT_DIR


def copy_checkout(to: Path) -> Path:
    """Copy the project's files (those git tracks or would add: no logs/, data/ or
    target/) to `to`, with the environment this process runs in as its .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (PROJECT_DIR / name).is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, to / name)
    (to / ".venv").symlink_to(Path(sys.prefix))
    return to


def make_environment(**values: str) -> dict[str, str]:
    """This process's environment for a `make` run: without what a calling make
    exports or the project's own settings (FEED_*, DBT_*, RAW, VENV), plus `values`."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAKE", "MFLAGS", "FEED_", "DBT_")) and key not in ("RAW", "VENV")
    }
    return {**kept, **values}
