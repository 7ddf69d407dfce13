"""Wall time and peak memory of a command's whole process tree (for the benchmarks)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Measured:
    """One run of a command."""

    wall_s: float
    peak_rss_bytes: int

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (0 once it is gone)."""
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KIB
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(
    command: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval_s: float = 0.02,
) -> Measured:
    """Run `command`, raise if it fails; return its wall time and the peak of its process
    tree's summed RSS, sampled every `interval_s` from /proc. (Not the kernel's ru_maxrss:
    a forked child starts with its parent's resident pages counted, so a harness holding
    data would inflate every figure.)"""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd)
    peak_kib = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kib
        while not done.is_set():
            peak_kib = max(peak_kib, _tree_rss_kib(process.pid))
            time.sleep(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status = os.waitpid(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return Measured(wall, peak_kib * 1024)
