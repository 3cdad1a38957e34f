"""Preview-server benchmark: rebuild times and edit-to-reload latency.

    python -m benchmarks.serve_bench [--stories 200] [--edits 5]

On a generated site (benchmarks/generate.py): the preview's incremental builder's
full build, no-op rebuild, one-story edit, template edit (until one page shows
it, and then the time to render every other page) and index template edit (until
the home page shows it); the preview's start after a
`digest build` (its first rebuild, pages deferred); then a real `digest serve`,
timing from saving a source file to the served page showing the change (this
includes the server's 50 ms polling). Goal: one-story edit under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.generate import generate
from digest.build import IncrementalBuilder, build
from digest.config import load_config
from digest.serve import Preview, Session
from tests.conftest import digest_process

REPO = Path(__file__).resolve().parent.parent


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def edit_source(site: Path, story: int, marker: str) -> Path:
    path = site / "seeds" / f"story-{story:04d}" / "00.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if len(line.split()) > 12)
    lines[index] = lines[index].rstrip(".") + f" {marker}."
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def builder_rows(site: Path, edits: int, stories: int) -> list[tuple[str, float]]:
    """The preview's builder (pages deferred after a template edit, as `digest serve`)."""
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder(defer_pages=True)
    rows = [("full build", timed(lambda: builder.build(config)))]
    rows.append(("no-op rebuild", statistics.median(timed(lambda: builder.build(config)) for _ in range(edits))))
    times = []
    for n in range(edits):
        edit_source(site, (17 + 31 * n) % stories, f"edited{n}")
        times.append(timed(lambda: builder.build(config)))
    rows.append(("one-story edit", statistics.median(times)))
    template = site / "theme-overrides" / "story.html"
    template.parent.mkdir(exist_ok=True)
    times, rest = [], []
    for n in range(edits):
        template.write_text(f'{{% extends "!theme/story.html" %}}{{% block title %}}T{n}{{% endblock %}}')
        started = time.perf_counter()
        files = builder.build(config)[0].data
        assert f"T{n}" in files[f"story-{(29 + 41 * n) % stories:04d}/index.html"].decode()  # the page reloaded
        times.append((time.perf_counter() - started) * 1000)
        rest.append(timed(lambda: sum(len(files[path]) for path in files)))  # noqa: B023 (run at once)
    rows.append(("template edit, one page rendered", statistics.median(times)))
    rows.append(("  then every other page (while idle)", statistics.median(rest)))
    template.unlink()
    index = site / "theme-overrides" / "index.html"
    times = []
    for n in range(edits):
        index.write_text(f'{{% extends "!theme/index.html" %}}{{% block title %}}I{n}{{% endblock %}}')
        started = time.perf_counter()
        files = builder.build(config)[0].data
        assert f"I{n}" in files["index.html"].decode()
        times.append((time.perf_counter() - started) * 1000)
    rows.append(("index.html edit, home page rendered", statistics.median(times)))
    index.unlink()
    build(config)
    starts = []
    for _ in range(edits):
        session = Session(site / "digest.yml", Preview(), lambda line: None)
        starts.append(timed(session.rebuild))
    rows.append(("preview start after `digest build`", statistics.median(starts)))
    return rows


def resident_mb(pid: int) -> float:
    """A process's resident memory now (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_latency(site: Path, edits: int, stories: int) -> tuple[float, float, float, float]:
    """The median edit-to-served-change latency of `digest serve`, its resident
    memory once serving (the pages of the stories `digest build` made are deferred)
    and once every story's pages were asked for (all are held), and the share of a
    core it takes while idle then (watching the inputs, nothing to render)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = digest_process(site, "serve", "--port", str(port))
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("serving "):
                break
        memory = resident_mb(process.pid)
        latencies = []
        for n in range(edits):
            story = (23 + 37 * n) % stories
            url = f"http://127.0.0.1:{port}/bench/story-{story:04d}/s1.html"
            marker = f"latency{n}"
            started = time.perf_counter()
            edit_source(site, story, marker)
            while True:
                with urllib.request.urlopen(url, timeout=10) as response:
                    if marker in response.read().decode():
                        break
                time.sleep(0.005)
            latencies.append((time.perf_counter() - started) * 1000)
        for story in range(stories):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/story-{story:04d}/", timeout=10) as response:
                response.read()
        held = resident_mb(process.pid)
        time.sleep(1)
        before, started = cpu_seconds(process.pid), time.perf_counter()
        time.sleep(5)
        idle = (cpu_seconds(process.pid) - before) / (time.perf_counter() - started)
        return statistics.median(latencies), memory, held, idle
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = generate(Path(tmp) / "site", args.stories)
        (site / "digest.yml").write_text(
            (site / "digest.yml").read_text() + "theme_overrides: theme-overrides\n", encoding="utf-8"
        )
        (site / "theme-overrides").mkdir()
        rows = builder_rows(site, args.edits, args.stories)
        latency, at_start, all_held, idle = server_latency(site, args.edits, args.stories)
        rows.append(("edit-to-served-change via digest serve", latency))
    print(f"{'site: ' + str(args.stories) + ' stories':40} {'ms (median)':>12}")
    for name, ms in rows:
        print(f"{name:40} {ms:>12.0f}")
    print(f"{'digest serve: memory at start (MB)':40} {at_start:>12.0f}")
    print(f"{'  every page rendered once (MB)':40} {all_held:>12.0f}")
    print(f"{'  idle, CPU (% of a core)':40} {idle * 100:>12.1f}")


if __name__ == "__main__":
    main()
