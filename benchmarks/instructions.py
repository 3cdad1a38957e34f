"""CPU instructions per story on the worker's path, counted by Valgrind.

    python -m benchmarks.instructions [--stories 20] [--site DIR]

Wall and CPU times on a shared virtual machine vary by 20-40% from one run to the
next, more than most single changes gain, so comparing two versions of the code
by time needs many runs. Instructions executed barely vary (hash seed fixed): this
counts them, under Valgrind's callgrind, for the work a build worker does per
story (read its sources, clean, split, align, summarize, render, hash the files,
save the cache entries). Two runs over the same generated site, one story and
N + 1 stories, each after the same start-up; their difference over N is the
cost of one story. Compare two checkouts by running this in each (or with
PYTHONPATH pointing at the other). Instructions are a proxy: they do not count
the kernel's time (file creation) nor cache misses.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.generate import generate

# Stories [1, 1 + count) of the site, each as a worker runs it (story 0 warms the
# templates and imports up, as in a worker that has done its first story).
_WORKER = """
import sys, tempfile
from pathlib import Path
from digest import build
from digest.config import load_config
from digest.content import load_stories
from digest.theme import resolve_theme

site, count = Path(sys.argv[1]), int(sys.argv[2])
config = load_config(site / "digest.yml")
theme = resolve_theme(config)
cache = Path(tempfile.mkdtemp(prefix="digest-instructions-"))
stories = load_stories(config, [])
build._worker_started()
for number, story in enumerate(stories[: 1 + count]):
    job = build.StoryJob(file=story.file, story=story, key=f"k{number}", listing=f"l{number}")
    build.run_job(job, config, theme, cache)
"""


def instructions(site: Path, count: int) -> int:
    """Instructions executed by a process that runs ``count`` stories after the first."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "callgrind.log"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            f"--log-file={log}",
            sys.executable,
            "-c",
            _WORKER,
            str(site),
            str(count),
        ]
        subprocess.run(command, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        raise SystemExit(f"callgrind reported no count:\n{log.read_text()}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=20, help="Stories counted (after a first one).")
    parser.add_argument("--site", type=Path, help="A site to use (default: a generated one of 200 stories).")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    import digest

    print(f"digest from {Path(digest.__file__).parent}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site or generate(Path(scratch) / "site", max(200, args.stories + 1))
        base = instructions(site, 0)
        total = instructions(site, args.stories)
    per_story = (total - base) / args.stories
    print(f"\n{'':44s} {'instructions':>14s}")
    print(f"{'start-up and the first story':44s} {base:14,d}")
    print(f"{f'per story (mean of {args.stories})':44s} {per_story:14,.0f}")


if __name__ == "__main__":
    main()
