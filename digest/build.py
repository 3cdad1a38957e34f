"""The build: load, run each story through the pipeline, render, write.

config -> content -> clean -> sentences -> align -> summarize -> render -> write
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from digest import __version__
from digest.align import align, similarity_model
from digest.clean import clean_story
from digest.content import Reader, load_stories, parse_story_file
from digest.errors import DigestError
from digest.model import SiteConfig, Story, StoryDigest, StoryFile
from digest.render import RenderedStory, render_site
from digest.sentences import split_source
from digest.summarize import summarize
from digest.textio import Decoded, FileCache
from digest.theme import Theme, resolve_theme
from digest.write import check_replaceable, write_site


@dataclass(frozen=True)
class BuildResult:
    output: Path
    stories: int
    sources: int
    files: int
    seconds: float
    warnings: tuple[str, ...]
    consolidated: int = 0  # stories cleaned and summarized anew (the rest came from cache)


def digest_story(story: Story, summary_words: int) -> StoryDigest:
    """One story through the pure stages: clean, split, align, summarize."""
    cleaned = clean_story(story.sources)
    split = tuple(split_source(c) for c in cleaned)
    model = similarity_model(split)  # word weights of this story, shared by both stages
    claims = align(split, model)
    digest = summarize(story.file, split, claims, summary_words, model)
    return replace(digest, warnings=tuple(story_warnings(digest, str(story.file.file))))


# Stories to consolidate before worker processes pay off (each costs ~0.1-0.4 s;
# starting a pool and shipping the texts costs about as much as one).
PARALLEL_FROM = 4


def consolidate(stories: Sequence[Story], summary_words: int) -> dict[str, StoryDigest]:
    """Digest each story, in worker processes when there are enough of them.

    Stories are independent, so this is the build's parallel part; results are
    keyed by slug, so the output does not depend on which worker finished first.
    """
    workers = min(os.cpu_count() or 1, len(stories))
    if workers < 2 or len(stories) < PARALLEL_FROM:
        return {story.file.slug: digest_story(story, summary_words) for story in stories}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(digest_story, stories, [summary_words] * len(stories), chunksize=4)
        return {story.file.slug: digest for story, digest in zip(stories, results, strict=True)}


def check_usable(digest: StoryDigest, story: Story) -> None:
    if not any(source.sentences for source in digest.sources):
        raise DigestError("no usable source: every source file of this story is empty or all clutter", story.file.file)


def story_warnings(digest: StoryDigest, where: str) -> list[str]:
    warnings = []
    if len(digest.sources) == 1:
        warnings.append(f"{where}: only one source; the summary cannot show agreement")
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
    if digest.sources and not digest.summary:
        warnings.append(f"{where}: no fact is reported by two sources; the summary is empty")
    return warnings


def build(config: SiteConfig, strict: bool = False, log: Callable[[str], None] | None = None) -> BuildResult:
    """Build the whole site and swap it into the output folder."""
    started = time.perf_counter()
    check_replaceable(config.output_dir)  # fail before doing the work, not after
    files, result = IncrementalBuilder().build(config)
    if strict and result.warnings:
        raise DigestError(f"{len(result.warnings)} warning(s) with --strict; first: {result.warnings[0]}")
    if log:
        for warning in result.warnings:
            log(f"warning: {warning}")
    write_site(files, config.output_dir)
    return replace(result, seconds=time.perf_counter() - started)


def story_key(story: Story, summary_words: int, text_digests: dict[str, str] | None = None) -> str:
    """A content hash of everything a story's digest depends on.

    ``text_digests`` memoises the hash of each source text between builds: an
    unchanged file comes back from the file cache as the same string object,
    whose hash Python keeps, so looking it up costs nothing.
    """
    h = hashlib.sha256(f"{__version__}\0{summary_words}\0".encode())
    h.update(repr(story.file).encode())
    for source in story.sources:
        digest = text_digests.get(source.text) if text_digests is not None else None
        if digest is None:
            digest = hashlib.sha256(source.text.encode()).hexdigest()
            if text_digests is not None:
                text_digests[source.text] = digest
        h.update(repr(replace(source, text=digest)).encode())
    return h.hexdigest()


def render_signature(config: SiteConfig, theme: Theme) -> str:
    """A hash of what every rendered page depends on besides its story."""
    h = hashlib.sha256(repr(replace(config, summary_words=0)).encode())
    for folder in (theme.folder, theme.overrides):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class IncrementalBuilder:
    """Rebuilds a site in memory, redoing only what an edit affects.

    An edited source or story file re-cleans and re-consolidates that story alone;
    an edited template or config re-renders pages without re-consolidating. The
    preview server keeps one of these alive between saves.
    """

    _digests: dict[str, tuple[str, StoryDigest]] = field(default_factory=dict)
    _pages: dict[str, tuple[tuple[str, str], RenderedStory]] = field(default_factory=dict)
    _files: FileCache = field(default_factory=FileCache)
    source_files: frozenset[Path] = frozenset()  # every source the last build read
    _text_digests: dict[str, str] = field(default_factory=dict)
    _parsed: dict[Path, tuple[Decoded, StoryFile]] = field(default_factory=dict)

    def _parse(self, path: Path, root: Path, read: Reader, real_dirs: dict[str, str]) -> StoryFile:
        """A story file parsed again only when its bytes changed (the file cache
        hands back the same object otherwise), when it names a glob (new files may
        match), or when one of its sources has turned into a symbolic link."""
        decoded = read(path)
        cached = self._parsed.get(path)
        if (
            cached is not None
            and cached[0] is decoded
            and not cached[1].globbed
            and not any(os.path.islink(root / ref.path) for ref in cached[1].sources)
        ):
            return cached[1]
        story_file = parse_story_file(path, root, read, real_dirs)
        self._parsed[path] = (decoded, story_file)
        return story_file

    def build(self, config: SiteConfig) -> tuple[dict[str, bytes], BuildResult]:
        started = time.perf_counter()
        theme = resolve_theme(config)
        warnings: list[str] = []
        stories = load_stories(config, warnings, self._files.read, self._parse)
        self.source_files = frozenset(config.root / ref.path for st in stories for ref in st.file.sources)
        signature = render_signature(config, theme)
        live = {source.text: self._text_digests.get(source.text) for st in stories for source in st.sources}
        self._text_digests = {text: d for text, d in live.items() if d is not None}  # forget edited texts
        keys = {story.file.slug: story_key(story, config.summary_words, self._text_digests) for story in stories}
        stale = [st for st in stories if self._digests.get(st.file.slug, ("",))[0] != keys[st.file.slug]]
        fresh = consolidate(stale, config.summary_words)
        digests, reuse = [], {}
        for story in stories:
            slug = story.file.slug
            key = keys[slug]
            digest = fresh[slug] if slug in fresh else self._digests[slug][1]
            check_usable(digest, story)
            warnings.extend(digest.warnings)
            digests.append(digest)
            pages = self._pages.get(slug)
            if pages is not None and pages[0] == (key, signature):
                reuse[slug] = pages[1]
        views: dict[str, dict[str, Any]] = {}
        files = render_site(config, theme, digests, reuse, views_out=views)
        self._digests = {d.slug: (keys[d.slug], d) for d in digests}
        by_story: dict[str, dict[str, bytes]] = {slug: {} for slug in keys}
        for path, data in files.items():
            folder = path.split("/", 1)[0]
            if folder in by_story and "/" in path:
                by_story[folder][path] = data
        self._pages = {slug: ((keys[slug], signature), RenderedStory(views[slug], by_story[slug])) for slug in keys}
        result = BuildResult(
            output=config.output_dir,
            stories=len(digests),
            sources=sum(len(d.sources) for d in digests),
            files=len(files),
            seconds=time.perf_counter() - started,
            warnings=tuple(warnings),
            consolidated=len(fresh),
        )
        return files, result
