"""CPU instructions per story on the worker's path, counted by Valgrind.

    python -m benchmarks.instructions [--stories 20] [--stages] [--site DIR]

Wall and CPU times on a shared virtual machine vary by 20-40% from one run to the
next, more than most single changes gain, so comparing two versions of the code
by time needs many runs. Instructions executed barely vary (hash seed fixed): this
counts them, under Valgrind's callgrind, for the work a build worker does per
story (clean, split, align, summarize, render, hash the files, save the cache
entries; the sources are read beforehand). Two runs over the same generated site, one story and
N + 1 stories, each after the same start-up; their difference over N is the
cost of one story. ``--stages`` also counts each stage
(runs that stop after it). Compare two checkouts by running this in each (or with
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.generate import generate

# Stories [1, 1 + count) of the site, each as a worker runs it (story 0 warms the
# templates and imports up, as in a worker that has done its first story), or only
# its stages up to ``last``.
_WORKER = """
import sys, tempfile
from pathlib import Path
from digest import jobs
from digest.align import align, similarity_model
from digest.clean import clean_story
from digest.config import load_config
from digest.content import load_stories
from digest.sentences import split_source
from digest.summarize import summarize
from digest.theme import resolve_theme

site, count, last = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
config = load_config(site / "digest.yml")
theme = resolve_theme(config)
cache = Path(tempfile.mkdtemp(prefix="digest-instructions-"))
stories = load_stories(config, [])
jobs._worker_started()
for number, story in enumerate(stories[: 1 + count]):
    if last == "all":
        job = jobs.StoryJob(file=story.file, story=story, key=f"k{number}", listing=f"l{number}")
        jobs.run_job(job, config, theme, cache)
        continue
    split = tuple(split_source(c) for c in clean_story(story.sources)) if last != "clean" else None
    if last in ("model", "claims", "summarize", "render"):
        model = similarity_model(split)
    if last in ("claims", "summarize", "render"):
        claims = align(split, model)
    if last in ("summarize", "render"):
        digest = summarize(story.file, split, claims, config.summary_words, model)
    if last == "render":
        jobs.cached_renderer(config, theme, cache).story(digest)
    if last == "clean":
        clean_story(story.sources)
"""
# Stages in pipeline order; each run does all stages up to one of them.
STAGES = ("clean", "sentences", "model", "claims", "summarize", "render")


def instructions(site: Path, count: int, last: str = "all") -> int:
    """Instructions executed by a process that runs ``count`` stories after the first
    (the whole worker's job, or the stages up to ``last``)."""
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
            last,
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
    parser.add_argument("--stages", action="store_true", help="Also count each stage (six more pairs of runs).")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    import digest

    print(f"digest from {Path(digest.__file__).parent}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site or generate(Path(scratch) / "site", max(200, args.stories + 1))
        lasts = ["all", *(STAGES if args.stages else ())]
        # The runs are independent processes: as many at once as there are cores.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counts = dict(zip(lasts, pool.map(lambda last: _per_story(site, args.stories, last), lasts), strict=True))
        rows = [("worker's job per story", counts["all"])]
        before = 0.0
        for last in lasts[1:]:  # each stage: the runs up to it, less those up to the one before
            rows.append((f"stage: {last}", counts[last] - before))
            before = counts[last]
    print(f"\n{'':44s} {'instructions':>14s}")
    for name, count in rows:
        print(f"{name:44s} {count:14,.0f}")
    print(f"(mean of {args.stories} stories after a first one)")


def _per_story(site: Path, count: int, last: str) -> float:
    return (instructions(site, count, last) - instructions(site, 0, last)) / count


if __name__ == "__main__":
    main()
