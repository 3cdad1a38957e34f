"""Property-based tests: arbitrary Unicode text and any number of sources.

Invariants: nothing crashes; cleaning loses no line (each non-empty input line is
kept, is the headline, or is recorded as removed); splitting keeps every word;
every summary sentence is a source sentence and every citation points at a real
sentence that says it; the same input gives byte-identical output.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.seed_truth import BODY
from digest.align import align
from digest.clean import clean_story
from digest.jobs import digest_story
from digest.model import RawSource, SourceRef, Story, StoryFile
from digest.render import digest_json_bytes
from digest.sentences import split_paragraph, split_source
from tests.conftest import seed_sources

SEED_LINES = sorted(
    {line.strip() for s in seed_sources() for n, line in enumerate(s.text.split("\n"), 1) if line.strip()}
)
BODY_LINES = sorted({s.text.split("\n")[n - 1].strip() for s in seed_sources() for n in BODY[s.path.split("/")[-1]]})

any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
line = st.one_of(any_text, st.sampled_from(SEED_LINES), st.sampled_from(BODY_LINES))
article = st.lists(line, max_size=12).map(lambda lines: "\n\n".join(lines))
sources = st.lists(article, min_size=1, max_size=5).map(
    lambda texts: [RawSource(f"s{i}", f"seeds/{i:03d}.txt", t) for i, t in enumerate(texts, start=1)]
)
relaxed = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(sources)
def test_clean_loses_no_line(raws: list[RawSource]) -> None:
    for clean in clean_story(raws):
        accounted = [p.line for p in clean.paragraphs] + [r.line for r in clean.removed]
        if clean.title_line is not None:
            accounted.append(clean.title_line)
        lines = clean.raw.text.split("\n")
        from digest.words import strip_invisible

        non_empty = [n for n, text in enumerate(lines, start=1) if " ".join(strip_invisible(text).split())]
        assert sorted(accounted) == non_empty


@relaxed
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_splitting_keeps_every_word(text: str) -> None:
    sentences = split_paragraph(text)
    assert " ".join(sentences).split() == " ".join(text.split()).split()


@relaxed
@given(sources)
def test_summary_invariants(raws: list[RawSource]) -> None:
    story = Story(StoryFile("p", Path("p.md"), tuple(SourceRef(r.path) for r in raws)), tuple(raws))
    digest = digest_story(story, 120)
    sentences = {(s.source, s.index): s.text for src in digest.sources for s in src.sentences}
    texts = set(sentences.values())
    for sentence in digest.summary:
        assert sentence.text in texts
        assert sentence.supports
        for support in sentence.supports:
            assert sentences[(support.source, support.sentence)] == support.text
    claimed = sorted((m.source, m.sentence) for c in digest.claims for m in c.members)
    assert claimed == sorted(sentences)
    again = digest_story(story, 120)
    assert digest_json_bytes(again) == digest_json_bytes(digest)


@relaxed
@given(sources)
def test_align_groups_every_sentence_once(raws: list[RawSource]) -> None:
    split = [split_source(c) for c in clean_story(raws)]
    claims = align(split)
    seen = [(m.source, m.sentence) for c in claims for m in c.members]
    assert len(seen) == len(set(seen)) == sum(len(s.sentences) for s in split)
