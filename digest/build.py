"""The build: load, run each story through the pipeline, render, write.

config -> content -> clean -> sentences -> align -> summarize -> render -> write
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from digest.align import align
from digest.clean import clean_story
from digest.content import load_stories
from digest.errors import DigestError
from digest.model import SiteConfig, Story, StoryDigest
from digest.render import render_site
from digest.sentences import split_source
from digest.summarize import summarize
from digest.theme import resolve_theme
from digest.write import check_replaceable, write_site


@dataclass(frozen=True)
class BuildResult:
    output: Path
    stories: int
    sources: int
    files: int
    seconds: float
    warnings: tuple[str, ...]


def digest_story(story: Story, summary_words: int) -> StoryDigest:
    """One story through the pure stages: clean, split, align, summarize."""
    cleaned = clean_story(story.sources)
    split = tuple(split_source(c) for c in cleaned)
    claims = align(split)
    digest = summarize(story.file, split, claims, summary_words)
    return replace(digest, warnings=tuple(story_warnings(digest, str(story.file.file))))


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
    started = time.perf_counter()
    output = config.output_dir
    check_replaceable(output)  # fail before doing the work, not after
    theme = resolve_theme(config)
    warnings: list[str] = []
    stories = load_stories(config, warnings)
    digests = []
    for story in stories:
        digest = digest_story(story, config.summary_words)
        if not any(source.sentences for source in digest.sources):
            raise DigestError(
                "no usable source: every source file of this story is empty or all clutter", story.file.file
            )
        warnings.extend(digest.warnings)
        digests.append(digest)
    if strict and warnings:
        raise DigestError(f"{len(warnings)} warning(s) with --strict; first: {warnings[0]}")
    if log:
        for warning in warnings:
            log(f"warning: {warning}")
    files = render_site(config, theme, digests)
    write_site(files, output)
    return BuildResult(
        output=output,
        stories=len(digests),
        sources=sum(len(d.sources) for d in digests),
        files=len(files),
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
    )
