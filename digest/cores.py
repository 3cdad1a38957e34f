"""How many worker processes a build may start: one per CPU core this process may
use, which is often fewer than the machine has."""

from __future__ import annotations

import math
import os
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


def cpu_quota(cgroups: Path, own: Path) -> float | None:
    """The CPUs the process's control group and those above it may use at most
    (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), or None when unlimited or
    not Linux."""
    try:
        lines = own.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    limits = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # v2: one file of both numbers
            folders, name = [cgroups, cgroups / "unified"], "cpu.max"
        elif "cpu" in controllers.split(","):  # v1 (/sys/fs/cgroup/cpu: often a link to cpu,cpuacct)
            folders, name = [cgroups / "cpu"], ""
        else:
            continue
        parts = [p for p in path.split("/") if p]
        for base in folders:
            for depth in range(len(parts), -1, -1):  # the group, then each above it
                limits.append(_quota_in(base.joinpath(*parts[:depth]), name))
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _quota_in(folder: Path, v2_file: str) -> float | None:
    try:
        if v2_file:
            quota, period = (folder / v2_file).read_text(encoding="ascii").split()[:2]
        else:
            quota = (folder / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
            period = (folder / "cpu.cfs_period_us").read_text(encoding="ascii").strip()
        if quota in ("max", "-1") or int(period) <= 0:
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        return None
