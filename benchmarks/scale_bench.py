"""Build speed at scale, beside peer generators on the same articles.

    python -m benchmarks.scale_bench [--stories 200 1000] [--runs 3] [--big 100]

For each N: a generated site (benchmarks/generate.py; N stories, 5N articles) is
built with ``digest build`` in a fresh process each time: a full build (empty cache,
no output), a build with the cache but no output (a deploy job that restores the
cache), a no-op rebuild, and one-story edits (one source changed) of an old story
and of the newest (which the feeds list), each the median of ``--runs`` runs, with
the peak memory of the full build (its largest process, and all of its processes
at once) and the phases of its median run (``--timings``). When Hugo is
installed, each full build is followed at once by a Hugo build of the same
articles (Hugo's row is those builds), and the median ratio of the pairs is reported,
of wall time and of CPU time (which the machine's disk swings less). Then the time
per stage, measured in one process on a sample of the stories. Then, on the same
articles as plain pages: a Python script that only reads every input and writes
one output file per input (the floor for any Python generator), and Pelican and
Hugo when they are installed (``--pelican`` names Pelican's executable if it is
not on PATH). ``--big`` adds one story of that many sources of ~50 sentences.

Outputs are not deleted between builds but moved aside, and deleted when the
benchmark ends: on an ext4 file system without a journal (this machine's), the
kernel does not reuse an inode deleted in the last 60-300 seconds, and each file
created then searches past every such inode, so a build started right after
deleting the previous build's 10,000 files paid two to three times the system time
for its own (``Aside``). Neither digest nor a peer deletes files in a full build.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from benchmarks.generate import big_story, generate

DIGEST = [sys.executable, "-m", "digest"]


class Run(NamedTuple):
    seconds: float
    peak: float  # MB: the largest resident size of the process or one it waited for
    user: float  # CPU seconds, its worker processes included
    system: float
    together: float = 0.0  # MB: the largest proportional set size of the process and its workers at once
    output: str = ""  # what the command printed

    @property
    def cpu(self) -> float:
        return self.user + self.system


def run(command: list[str], cwd: Path, together: bool = False) -> Run:
    """Wall seconds, peak memory and CPU time of one command in a child process
    (from wait4, which counts the worker processes the child waited for). With
    ``together``, also the memory the process and its workers take at once (see
    TreeMemory)."""
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=log)
        sampler = TreeMemory(process.pid) if together else None
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        peak_together = sampler.stop() if sampler is not None else 0.0
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{log.read().decode()}")
        log.seek(0)
        printed = log.read().decode("utf-8", "replace")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime, peak_together, printed)


_PHASE = re.compile(r"^  (\S.*?)\s+(\d+\.\d+) s$", re.M)  # a line of ``digest build --timings``


def phases(printed: str) -> list[tuple[str, float]]:
    """The phases ``digest build --timings`` printed, with their seconds."""
    return [(name, float(seconds)) for name, seconds in _PHASE.findall(printed)]


class TreeMemory:
    """The largest memory a process and its descendants held at once, sampled every
    ``every`` seconds (Linux). Each process counts its proportional set size (PSS):
    pages forked workers still share with the build process count once in all,
    where adding resident sizes would count them in each."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every, self.peak = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            self.peak = max(self.peak, sum(map(_pss_mb, _tree(self.pid))))


def _tree(pid: int) -> list[int]:
    """A process and its descendants (that still run)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                waiting.extend(map(int, children))
        except OSError:  # (it ended meanwhile)
            continue
    return found


def _pss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else 0.0


class Aside:
    """A folder beside the sites where earlier builds' outputs wait to be deleted
    when the benchmark ends (see the module's docstring): moving a folder within
    one file system frees no inode."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.folder: Path | None = None  # made at the first move (one of its own per run)
        self.moved = 0

    def move(self, path: Path) -> None:
        if path.exists():
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix=".aside-", dir=self.base))
            self.moved += 1
            path.rename(self.folder / f"{self.moved:04d}-{path.name}")

    def delete(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class Peer(NamedTuple):
    name: str
    executable: str | None
    site: Path
    output: str  # the folder it builds into, moved aside before each build
    arguments: list[str]
    aside: Aside

    def build(self) -> Run:
        assert self.executable is not None
        self.aside.move(self.site / self.output)
        return run([self.executable, *self.arguments], self.site)

    def incomplete(self) -> str | None:
        """Why the last build does not count, if it wrote fewer pages than articles: a
        peer that skips them (Pelican without the markdown package reads no .md
        file, silently) would look fast."""
        articles = sum(1 for _ in (self.site / "content").rglob("*.md"))
        pages = sum(1 for _ in (self.site / self.output).rglob("*.html"))
        if pages >= articles:
            return None
        return f"{pages} pages for {articles} articles: not counted (is its Markdown reader installed?)"


def installed(executable: str) -> str | None:
    """A peer's executable as given (a name on PATH or a path), or None when there is
    none such or it is "" (skip that peer): the table then says it was not run."""
    return shutil.which(executable) if executable else None


def hugo(site: Path, aside: Aside) -> Peer:
    return Peer("hugo", installed("hugo"), site, "public", ["--quiet"], aside)


def digest_rows(
    site: Path, runs: int, aside: Aside, paired: Peer | None = None
) -> tuple[list[tuple[str, float, str]], list[Run]]:
    """digest's full build, no-op rebuild and one-story edit. With ``paired`` (an
    installed peer), each full build is followed at once by one of the peer's, and
    the ratio of the two is reported per pair: this machine's speed drifts over
    minutes, so builds minutes apart compare the machine's moods as much as the
    generators. The ratio of CPU seconds is reported too. Also returns the peer's
    builds."""
    full, ratios, cpu_ratios, peer_runs = [], [], [], []
    for _ in range(runs):
        for folder in ("output", ".digest-cache"):
            aside.move(site / folder)
        full.append(run([*DIGEST, "build", "--quiet", "--timings"], site, together=True))
        if paired is not None:
            peer_runs.append(paired.build())
            ratios.append(full[-1].seconds / peer_runs[-1].seconds)
            cpu_ratios.append(full[-1].cpu / peer_runs[-1].cpu)
    middle = sorted(full)[len(full) // 2]  # the median run, for its CPU times
    deploys = []  # a deploy job's build: the cache restored (actions/cache), no output
    for _ in range(runs):
        aside.move(site / "output")
        deploys.append(run([*DIGEST, "build", "--quiet"], site)[0])
    noop = [run([*DIGEST, "build", "--quiet"], site)[0] for _ in range(runs)]
    # An old story (listed on one index page, one page of each tag, one search file)
    # and the newest (on the first of those pages and in the site's and its tags'
    # feeds), the story an author is most likely to be editing.
    edits = [_edit_and_build(site, "story-0003", n) for n in range(runs)]
    newest = newest_story(site)
    newest_edits = [_edit_and_build(site, newest, n) for n in range(runs)]
    rows = [
        (
            "digest: full build (empty cache)",
            statistics.median(r.seconds for r in full),
            f"peak {max(r.peak for r in full):.0f} MB, with workers {max(r.together for r in full):.0f} MB;"
            f" median run's CPU {middle.user:.1f} s user,"
            f" {middle.system:.1f} s system",
        ),
        *((f"  phase: {name}", seconds, "of the median full build") for name, seconds in phases(middle.output)),
        ("digest: cache kept, output deleted", statistics.median(deploys), "as in a deploy job"),
        ("digest: no-op rebuild", statistics.median(noop), ""),
        ("digest: one-story edit", statistics.median(edits), "an old story"),
        ("digest: one-story edit, newest story", statistics.median(newest_edits), f"{newest}: in the feeds"),
    ]
    if paired is not None and paired.incomplete() is None:
        for label, values, what in (
            (f"digest full build / {paired.name}, paired", ratios, "ratio"),
            (f"  the same, CPU seconds / {paired.name}'s", cpu_ratios, "ratio (user + system, workers included)"),
        ):
            each = ", ".join(f"{r:.2f}" for r in values)
            rows.append((label, statistics.median(values), f"{what}; each pair: {each}"))
    return rows, peer_runs


def _edit_and_build(site: Path, slug: str, n: int) -> float:
    """Seconds of a build after a change to the longest line of one source of ``slug``."""
    path = site / "seeds" / slug / "01.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[index] = lines[index].rstrip(".") + f" after edit {n}."
    path.write_text("\n".join(lines), encoding="utf-8")
    return run([*DIGEST, "build", "--quiet"], site)[0]


def newest_story(site: Path) -> str:
    """The story listed first (newest date; of those, the first by name)."""
    dated = []
    for story in sorted((site / "content").glob("story-*.md")):
        found = re.search(r"^date: (\S+)$", story.read_text(encoding="utf-8"), re.M)
        if found:
            dated.append((found.group(1), story.stem))
    latest = max(date for date, _ in dated)
    return min(slug for date, slug in dated if date == latest)


def stage_rows(site: Path, sample: int) -> list[tuple[str, float, str]]:
    """Milliseconds per story of each stage, in this process, on the first stories."""
    from digest.align import align, similarity_model
    from digest.clean import clean_story
    from digest.config import load_config
    from digest.content import load_stories
    from digest.jobs import cached_renderer
    from digest.sentences import split_source
    from digest.summarize import summarize
    from digest.theme import resolve_theme

    config = load_config(site / "digest.yml")
    started = time.perf_counter()
    stories = load_stories(config, [])
    load = time.perf_counter() - started
    renderer = cached_renderer(config, resolve_theme(config))
    spent: dict[str, float] = defaultdict(float)
    for story in stories[:sample]:

        def timed(stage: str, action, *args):  # type: ignore[no-untyped-def]
            begun = time.perf_counter()
            value = action(*args)
            spent[stage] += time.perf_counter() - begun
            return value

        cleaned = timed("clean", clean_story, story.sources)
        split = timed("sentences", lambda parts: tuple(split_source(c) for c in parts), cleaned)
        model = timed("align (model)", similarity_model, split)
        claims = timed("align (claims)", align, split, model)
        digest = timed("summarize", summarize, story.file, split, claims, config.summary_words, model)
        timed("render story", renderer.story, digest)
    count = min(sample, len(stories))
    rows = [("stage: load all stories and sources", load, f"{len(stories)} stories")]
    rows += [
        (f"stage: {name}", seconds / count, f"{seconds / count * 1000:.1f} ms per story")
        for name, seconds in spent.items()
    ]
    return rows


def floor_row(site: Path, aside: Aside) -> tuple[str, float, str]:
    """Read every article, write one HTML file each: no generator can do less."""
    script = (
        "import html, pathlib, sys\n"
        "src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "for p in sorted(src.rglob('*.txt')):\n"
        "    t = out / p.relative_to(src).with_suffix('.html')\n"
        "    t.parent.mkdir(parents=True, exist_ok=True)\n"
        "    t.write_text('<pre>' + html.escape(p.read_text(encoding='utf-8')) + '</pre>', encoding='utf-8')\n"
    )
    out = aside.base / "floor"
    aside.move(out)
    seconds = run([sys.executable, "-c", script, str(site / "seeds"), str(out)], site).seconds
    aside.move(out)
    return ("python: read + write each article", seconds, "floor")


def peer_rows(peers: list[Peer], runs: int, done: dict[str, list[Run]]) -> list[tuple[str, float, str]]:
    """Each peer on the same articles, the median of ``runs`` builds (those in
    ``done``, by peer name, were made beside digest's full builds)."""
    rows = []
    for peer in peers:
        if not peer.executable:
            rows.append((f"{peer.name}: not run", float("nan"), "not installed, or skipped"))
            continue
        builds = done.get(peer.name) or [peer.build() for _ in range(runs)]
        why = peer.incomplete()
        if why is not None:
            rows.append((f"{peer.name}: incomplete build", float("nan"), why))
            continue
        each = " / ".join(f"{b.seconds:.2f}" for b in builds)
        peak = max(b.peak for b in builds)
        median = statistics.median(b.seconds for b in builds)
        cpu = statistics.median(b.cpu for b in builds)
        rows.append((f"{peer.name}: plain pages", median, f"peak {peak:.0f} MB; CPU {cpu:.1f} s; each build: {each}"))
    return rows


def print_table(title: str, rows: list[tuple[str, float, str]]) -> None:
    print(f"\n{title}")
    print(f"{'':44s} {'seconds':>9s}")
    for name, seconds, note in rows:
        shown = f"{seconds:9.3f}" if seconds == seconds else f"{'-':>9s}"
        print(f"{name:44s} {shown}  {note}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=100, help="Stories timed stage by stage.")
    parser.add_argument("--big", type=int, default=100, help="Sources of the one big story (0: skip).")
    parser.add_argument(
        "--pelican", default="pelican", help="Pelican's executable, a name on PATH or a path ('': skip Pelican)."
    )
    parser.add_argument("--keep", type=Path, help="Generate the sites here (default: a temporary folder).")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    # digest runs with its bytecode compiled, as pip leaves an installed package
    # (this checkout is an editable install, and PYTHONDONTWRITEBYTECODE may be set).
    import digest

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(digest.__file__).parent)], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        aside = Aside(base)
        try:
            for count in args.stories:
                site, pelican_site, hugo_site = (
                    base / f"digest-{count}",
                    base / f"pelican-{count}",
                    base / f"hugo-{count}",
                )
                generate(site, count, pelican_site, hugo_site)
                articles = sum(1 for _ in (site / "seeds").rglob("*.txt"))
                paired = hugo(hugo_site, aside)
                rows, paired_runs = digest_rows(site, args.runs, aside, paired if paired.executable else None)
                rows += stage_rows(site, args.sample)
                rows.append(floor_row(site, aside))
                pelican = Peer(
                    "pelican",
                    installed(args.pelican),
                    pelican_site,
                    "output",
                    ["content", "-s", "pelicanconf.py", "-o", "output", "-q"],
                    aside,
                )
                rows += peer_rows([pelican, paired], args.runs, {paired.name: paired_runs})
                print_table(f"N = {count} stories ({articles} articles)", rows)
            if args.big:
                site = big_story(base / "big", args.big, 50)
                seconds = [run([*DIGEST, "build", "--quiet", "--no-cache"], site)[0] for _ in range(args.runs)]
                print_table(
                    f"one story of {args.big} sources, ~50 sentences each",
                    [("digest: full build", statistics.median(seconds), "goal < 5 s")],
                )
        finally:
            aside.delete()


if __name__ == "__main__":
    main()
