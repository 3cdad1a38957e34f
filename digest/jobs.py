"""One story's work: the pipeline's pure stages, then its pages.

clean -> sentences -> align -> summarize -> render

Stories are independent of each other, so a build runs their jobs in worker
processes when there are enough of them (``run_jobs``). A job consolidates its
story (unless the cache has the digest), renders the story's pages and, in a
worker, writes them into the new site itself: only hashes and a listing view
travel back to the build process.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import pickle
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from digest.cache import Store
from digest.content import load_story
from digest.errors import DigestError
from digest.model import CleanSource, SiteConfig, SplitSource, Story, StoryCard, StoryDigest, StoryFile
from digest.render import Renderer, story_card
from digest.textio import Decoded, decode, read_bytes
from digest.theme import Theme
from digest.words import STOP_WORDS, words
from digest.write import Destination, put_files

T = TypeVar("T")

Progress = Callable[[int, int], None]  # (stories done, stories to do)


def digest_story(story: Story, summary_words: int) -> StoryDigest:
    """One story through the pure stages: clean, split, align, summarize."""
    # Imported here: a build with nothing to consolidate never loads numpy and rapidfuzz.
    from digest.align import align, similarity_model
    from digest.clean import clean_story
    from digest.sentences import split_source
    from digest.summarize import summarize

    cleaned = clean_story(story.sources)
    split = tuple(split_source(c) for c in cleaned)
    model = similarity_model(split)  # word weights of this story, shared by both stages
    claims = align(split, model)
    digest = summarize(story.file, split, claims, summary_words, model)
    warnings = tuple(story_warnings(digest, str(story.file.file)))
    return replace(digest, sources=tuple(map(_without_raw_text, digest.sources)), warnings=warnings)


def _without_raw_text(source: SplitSource) -> SplitSource:
    """A source as a digest keeps it: cleaned, without the article's raw text (and
    its line map), which only cleaning reads. Cached digests would otherwise hold
    every article twice, and the raw text is half of a digest's bytes."""
    raw = replace(source.clean.raw, text="", origins=(), hints=())
    return replace(source, clean=replace(source.clean, raw=raw))


def has_text(sources: Iterable[SplitSource]) -> bool:
    """Whether some source has a sentence left once cleaned and split."""
    return any(source.sentences for source in sources)


def unusable(digest: StoryDigest, story_file: StoryFile) -> JobFailure | None:
    """A story none of whose sources has text left after cleaning: an error for a
    story file, which asked for the story; a loose story (a saved error page, a page
    of links) is left out of the site with a warning instead (see ``left_out``)."""
    if has_text(digest.sources):
        return None
    message = "no usable source: every source file of this story is empty or all clutter"
    return JobFailure(DigestError(message, story_file.file), left_out=story_file.loose)


def left_out_warnings(story_file: StoryFile) -> list[str]:
    """What a build says of a loose story it left out (see ``unusable``)."""
    left_out = "no article text (empty or all clutter); left out of the loose articles"
    return [f"{ref.path}: {left_out}" for ref in story_file.sources]


def site_relative(warning: str, root: str) -> str:
    """A story's warning as its digest keeps it: naming its file relative to the site,
    as the source warnings do. digest.json is published, and the same site builds
    the same bytes in any folder on any machine (a cached digest, too)."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    return warning[len(prefix) :] if warning.startswith(prefix) else warning


def story_warnings(digest: StoryDigest, where: str) -> list[str]:
    warnings = []
    if len(digest.sources) == 1:
        warnings.append(f"{where}: only one source; the summary cannot show agreement")
    # With three sources or more, one that shares no fact with any other is most
    # likely another story's article, listed here by mistake (with two, the empty
    # summary says as much).
    agreeing = _agreeing_sources(digest) if len(digest.sources) > 2 else None
    for source in digest.sources:
        raw = source.clean.raw
        if source.clean.title is None:
            warnings.append(f"{raw.path}: no headline found")
        kept = sum(len(p.text) for p in source.clean.paragraphs)
        dropped = sum(len(r.text) for r in source.clean.removed)
        if not source.sentences:
            warnings.append(f"{raw.path}: no article text found")
        elif dropped > 3 * kept:
            warnings.append(f"{raw.path}: mostly clutter ({dropped} of {kept + dropped} characters removed)")
        if dropped > kept and _not_english(source.clean):  # (an article not in English keeps little)
            warnings.append(f"{raw.path}: does not read as English; digest cleans and consolidates English text")
        if source.sentences and agreeing is not None and source.id not in agreeing:
            warnings.append(f"{raw.path}: reports no fact the story's other sources report (another story's article?)")
    if digest.sources and not digest.summary:
        warnings.append(f"{where}: no fact is reported by two sources; the summary is empty")
    return warnings


def _not_english(clean: CleanSource) -> bool:
    """Too few English function words ("the", "of", "said") for English: they are
    35-45% of the words of an English news page, clutter included, and 3-4% of a
    French, German or Spanish one's, whose every line then looks like a label."""
    tokens: list[str] = []
    for text in itertools.chain((p.text for p in clean.paragraphs), (r.text for r in clean.removed)):
        tokens += words(text)  # (the cleaner's, cached)
        if len(tokens) >= 400:  # (enough to tell)
            break
    return len(tokens) >= 40 and sum(map(STOP_WORDS.__contains__, tokens)) < 0.12 * len(tokens)


def _agreeing_sources(digest: StoryDigest) -> set[str]:
    """The sources that state a fact another source states too (a claim of several)."""
    agreeing: set[str] = set()
    for claim in digest.claims:
        sources = {m.source for m in (*claim.members, *claim.linked)}
        if len(sources) > 1:
            agreeing |= sources
    return agreeing


# --- a story's job: its digest and pages, in this process or a worker ---------------


@dataclass(frozen=True)
class StoryJob:
    """Work for one story: consolidate ``story``, or only re-render ``digest``."""

    file: StoryFile
    story: Story | None = None
    digest: StoryDigest | None = None
    load_warnings: tuple[str, ...] = ()  # from reading the sources (an encoding guessed)
    # Neither story nor digest: the digest is looked up in the build cache, else
    # the sources are read from this site root, by the process that runs the job
    # (in parallel: neither digests nor texts travel to it), and checked against
    # the SHA-256 the story key was made of (unique_sources order).
    root: Path | None = None
    source_hashes: tuple[str, ...] = ()
    key: str = ""  # the story key, under which a new digest is cached
    listing: str = ""  # the listing key, under which the story's listing view is cached
    signature: str = ""  # the render signature (see keys.theme_signatures) the pages are for
    # Files the output already holds as this job would make them (path, SHA-256):
    # not made again. Only the digest.json of a story whose key is unchanged, which
    # no template or config changes.
    kept: tuple[tuple[str, str], ...] = ()
    packed: bool = False  # the pages come back packed (see pack): the build holds them in memory
    # The new site's folder, for the job's process to write the pages into itself
    # (a worker: then only their hashes travel back, and the build process, which
    # every worker's result waits on, writes no story's files).
    write_to: Destination | None = None


@dataclass(frozen=True)
class JobFailure:
    """A job whose sources could not be read or have no text: the build reports
    every such error together once the other stories are done."""

    error: DigestError
    left_out: bool = False  # a loose story with no text: a warning, not an error (see unusable)


@dataclass(frozen=True)
class JobResult:
    files: dict[str, bytes]  # the story's pages (packed if the job said so) and digest.json
    listing: bytes  # its listing view, pickled (see build.IncrementalBuilder._listings)
    card: StoryCard
    hashes: dict[str, str]  # SHA-256 of each rendered file
    warnings: tuple[str, ...]
    sources: int
    consolidated: bool
    digest: StoryDigest | None  # None when it went straight into the cache
    # A source changed between hashing and reading: the result shows the newer
    # text, so it is not cached under the key of the older one.
    changed: bool = False
    cache_rejected: int = 0  # damaged cache entries the job found (and dropped)
    written: tuple[str, ...] | None = None  # the files written to StoryJob.write_to (then ``files`` is empty)


@lru_cache(maxsize=2)
def cached_renderer(
    config: SiteConfig, theme: Theme, cache: Path | None = None, theme_fixed: bool = False, signature: str = ""
) -> Renderer:
    """One Jinja environment per process and theme: templates compile once (and,
    with a build cache, once for all processes until a template changes). Unless
    ``theme_fixed``, each use of a template first checks its file for changes;
    a new ``signature`` (the theme's files changed) makes a new environment, as
    Jinja does not notice a new override file hiding the one it loaded."""
    return Renderer(config, theme, cache, reload_templates=not theme_fixed)


def run_job(
    job: StoryJob, config: SiteConfig, theme: Theme, cache: Path | None = None, theme_fixed: bool = False
) -> JobResult | JobFailure:
    """Consolidate (unless the job has the digest) and render one story. With
    ``cache``, a new digest is saved there by whichever process made it, so it
    never travels back to the build process. ``theme_fixed``: the process lives
    for one build only (a worker), whose theme is the one it started with, so its
    templates need no check for changes (a system call per template and page)."""
    digest = job.digest
    changed = False
    store = Store(cache) if cache is not None else None
    if digest is None and job.root is not None and job.key and store is not None:
        digest = store.load("digests", job.key, StoryDigest)
    fresh = digest is None
    if digest is None:
        story, load_warnings = job.story, job.load_warnings
        if story is None:
            assert job.root is not None
            read_warnings: list[str] = []
            read_hashes: list[str] = []

            def read(path: Path) -> Decoded:
                data = read_bytes(path)
                read_hashes.append(hashlib.sha256(data).hexdigest())
                return decode(data, path)

            try:
                story = load_story(job.file, job.root, read_warnings, read)
            except DigestError as exc:
                return JobFailure(exc)
            load_warnings = tuple(read_warnings)
            changed = tuple(read_hashes) != job.source_hashes
        digest = digest_story(story, config.summary_words)
        root = str(config.root)
        digest = replace(digest, warnings=tuple(site_relative(w, root) for w in load_warnings + digest.warnings))
    failure = unusable(digest, job.file)
    if failure is not None:
        return failure
    kept = dict(job.kept) if not changed else {}
    rendered = cached_renderer(config, theme, cache, theme_fixed, job.signature).story(digest, skip=frozenset(kept))
    hashes = {path: hashlib.sha256(data).hexdigest() for path, data in rendered.files.items()} | kept
    # (Both here, in the worker, not in the build process that waits for them all.)
    files = pack(rendered.files) if job.packed else rendered.files
    written = None
    if job.write_to is not None:
        written, files = tuple(put_files(job.write_to, rendered.files, hashes)), {}
    listing = pickle.dumps(rendered.listing, protocol=pickle.HIGHEST_PROTOCOL)
    if store is not None and not changed:
        if fresh and job.key:
            store.save("digests", job.key, digest)
        # An entry that holds these bytes already (a listing key is a content key:
        # a deploy job restores the cache but not the output) is not written again;
        # one that is damaged is (a check reads ~17 KB, a write creates a file).
        if job.listing and store.load_pickled("listings", job.listing) != listing:
            store.save_pickled("listings", job.listing, listing)
    keep = None if cache is not None or changed else digest
    rejected = store.rejected if store is not None else 0
    card = story_card(job.file.slug, rendered.listing, job.listing)
    return JobResult(
        files, listing, card, hashes, digest.warnings, len(digest.sources), fresh, keep, changed, rejected, written
    )


# Stories to process before worker processes pay off (each costs ~0.05-0.4 s;
# starting a pool and shipping the texts costs about as much as one).
PARALLEL_FROM = 4


def run_jobs(
    jobs: Iterable[StoryJob],
    count: int,
    config: SiteConfig,
    theme: Theme,
    progress: Progress | None = None,
    cache: Path | None = None,
    workers: int = 1,
) -> Iterator[tuple[StoryJob, JobResult | JobFailure]]:
    """Each of the ``count`` jobs with its result, in the order of ``jobs``, computed
    in up to ``workers`` worker processes when there are enough: stories are
    independent, so the output does not depend on which worker finished first.
    Workers start on the first jobs while the rest are still being made (``jobs``
    may be lazy)."""
    if not in_parallel(count, workers):
        results = ((job, run_job(job, config, theme, cache)) for job in jobs)
        yield from _counted(results, count, progress)
        return
    from concurrent.futures import ProcessPoolExecutor  # 15 ms of imports a one-story edit never needs
    from concurrent.futures.process import BrokenProcessPool

    workers = min(workers, count)
    taken: list[StoryJob] = []
    done = 0

    def taking() -> Iterator[StoryJob]:
        for job in jobs:
            taken.append(job)
            yield job

    with ProcessPoolExecutor(max_workers=workers, initializer=_worker_started) as pool:
        chunk = max(1, min(8, count // (workers * 8)))
        repeated = itertools.repeat(config), itertools.repeat(theme), itertools.repeat(cache), itertools.repeat(True)
        try:
            # map submits every chunk as the jobs come, before it returns.
            mapped = pool.map(run_job, taking(), *repeated, chunksize=chunk)
            for result in _counted(zip(taken, mapped, strict=True), count, progress):
                done += 1
                yield result
        except BrokenProcessPool:
            # The system killed a worker (out of memory, most often): which story it
            # held is not known, and the build cannot go on without it.
            raise DigestError(
                f"a worker process ended abruptly after {done} of {count} stories (killed, or out of memory?); "
                "nothing was written: build again (finished stories are kept), or with --jobs 1"
            ) from None


def in_parallel(jobs: int, workers: int) -> bool:
    """Whether that many jobs run in worker processes (at most ``workers`` of them)."""
    return jobs >= PARALLEL_FROM and min(workers, jobs) >= 2


def _worker_started() -> None:
    """Each story makes many short-lived acyclic objects; collecting cycles every
    700 allocations (Python's default) costs a worker ~9% of its time, so collect
    rarely, and never look at what the worker inherited from the build process.
    A worker also ends when the build process does (see _end_with_parent)."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (a forked worker has the build's handler)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()


def _end_with_parent(parent: int, every: float = 0.5) -> None:
    """A build process killed outright (``kill``, a CI job cancelled, the system
    out of memory) cannot stop its workers, and they would wait for their next job
    for ever, each holding its memory: a worker whose parent is gone exits."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def collect_rarely() -> None:
    """For a process that builds once and exits (``digest build``): its objects live
    until the exit anyway, and Python's default (a cycle collection every 700 new
    objects, each walking the site state just unpickled) costs a one-story edit of a
    1000-story site 25-55 ms, 5-7% of it. Collections still come, only rarely, so
    cyclic garbage stays bounded. The preview server keeps the default: it lives
    for hours and freezes its site instead (serve.py)."""
    gc.set_threshold(100_000, 20, 20)


def _counted(results: Iterator[T], total: int, progress: Progress | None) -> Iterator[T]:
    for done, result in enumerate(results, start=1):
        if progress is not None:
            progress(done, total)
        yield result


# --- pages as a build holds them in memory ------------------------------------------


def pack(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Pages as a build that keeps its site in memory (the preview) holds them:
    zlib-compressed, after a mark. The pages of a 1000-story site take 163 MB as
    they are and 38 MB packed, for ~1 ms per story (an unpack, ~0.07 ms per page)."""
    return {path: _PACKED + zlib.compress(data, 1) for path, data in files.items()}


def held_as_is(data: bytes) -> bytes:
    """A copied static file as memory holds it: images and fonts are compressed
    already, and a large video would take a second to pack and each request
    a fraction of one to unpack."""
    return _AS_IS + data


def unpacked(held: bytes) -> bytes:
    """A file's bytes from what memory holds (see pack and held_as_is)."""
    return zlib.decompress(memoryview(held)[1:]) if held[:1] == _PACKED else held[1:]


_PACKED, _AS_IS = b"z", b"="
