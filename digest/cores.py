"""How many worker processes a build may start: one per CPU core this process may
use, which is often fewer than the machine has, and no more than its memory holds."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path


def available_cores(cgroups: Path = Path("/sys/fs/cgroup"), own: Path = Path("/proc/self/cgroup")) -> int:
    """The CPU cores this process may use: ``taskset`` may allow fewer than the machine
    has (``os.cpu_count``), and a container's CPU quota (``docker --cpus 2``, a CI
    runner's limit) fewer still, where the machine's 64 cores all show. A worker per
    core it may not use only costs memory (~200 MB each) and start-up."""
    try:
        cores = len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # (no such call on macOS and Windows)
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroups, own)
    return max(1, min(cores, math.ceil(quota))) if quota is not None else cores


# What a build may hold, with room: at N = 5000 stories the main process peaked at
# ~300 MB and each worker at ~200 MB, once its cache of line shapes is full
# (benchmarks/README.md, session 21).
MAIN_PROCESS_BYTES = 400 * 2**20
WORKER_BYTES = 250 * 2**20


def default_workers(cgroups: Path = Path("/sys/fs/cgroup"), own: Path = Path("/proc/self/cgroup")) -> int:
    """The workers a build starts unless told (``--jobs``): a core each, but no more
    than the memory the process may use holds beside the main process. A container
    limited to 1 GB on a 16-core machine would otherwise be killed by the kernel
    (out of memory) mid-build, with no error of ours to read."""
    cores = available_cores(cgroups, own)
    memory = memory_limit(cgroups, own)
    if memory is None:
        return cores
    return max(1, min(cores, (memory - MAIN_PROCESS_BYTES) // WORKER_BYTES))


def cpu_quota(cgroups: Path, own: Path) -> float | None:
    """The CPUs the process's control group and those above it may use at most
    (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), or None when unlimited or
    not Linux."""
    return _strictest(cgroups, own, "cpu", _quota_in)


def memory_limit(cgroups: Path, own: Path) -> int | None:
    """The bytes the process may use at most: its control group's limit or one above
    it (cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``), or the machine's
    memory when that is less; None when neither is known."""
    found = _strictest(cgroups, own, "memory", _memory_in)
    limit = None if found is None else int(found)
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # (no sysconf on Windows)
        return limit
    return machine if limit is None or machine < limit else limit


def _strictest(cgroups: Path, own: Path, controller: str, read: Callable[[Path, bool], float | None]) -> float | None:
    """The lowest limit ``read`` finds in the process's control groups: its own
    group's, then each above it (a limit holds for every group below), in the v2
    hierarchy and in v1's folder of ``controller``."""
    try:
        lines = own.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    limits = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # v2: one hierarchy for every controller
            folders, v2 = [cgroups, cgroups / "unified"], True
        elif controller in controllers.split(","):  # v1 (/sys/fs/cgroup/cpu: often a link to cpu,cpuacct)
            folders, v2 = [cgroups / controller], False
        else:
            continue
        parts = [p for p in path.split("/") if p]
        for base in folders:
            for depth in range(len(parts), -1, -1):
                limits.append(read(base.joinpath(*parts[:depth]), v2))
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _quota_in(folder: Path, v2: bool) -> float | None:
    try:
        if v2:
            quota, period = (folder / "cpu.max").read_text(encoding="ascii").split()[:2]
        else:
            quota = (folder / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
            period = (folder / "cpu.cfs_period_us").read_text(encoding="ascii").strip()
        if quota in ("max", "-1") or int(period) <= 0:
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        return None


def _memory_in(folder: Path, v2: bool) -> float | None:
    """A group's memory limit; v1 writes "no limit" as the largest page-aligned
    number, which the machine's memory then undercuts."""
    try:
        text = (folder / ("memory.max" if v2 else "memory.limit_in_bytes")).read_text(encoding="ascii").strip()
        return None if text == "max" else int(text)
    except (OSError, ValueError):
        return None
