"""Summary benchmark: digest against two baselines, judged by hand-tagged facts.

    python -m benchmarks.summary_bench

Stories: the seed story (facts annotated in benchmarks/seed_facts.py) and stories
in other shapes written with their facts tagged (benchmarks/stories.py). Facts that
two or more outlets report are the ones a summary should carry.

Columns: words; sentences; multi-outlet facts covered (of all); coverage per 100
words; redundant pairs (two summary sentences stating one fact); citations per
sentence; citation precision (cited sentences that state the summary sentence's
fact) and recall (sources stating that fact that are cited). Baselines: the first
three body sentences of each source, and a LexRank-style ranking (TF-IDF cosine
graph, PageRank) filled to the same length target.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.seed_facts import FACTS
from benchmarks.stories import STORIES, BenchStory
from digest.align import align
from digest.clean import clean_story
from digest.model import RawSource, SplitSource, StoryFile, Support
from digest.sentences import split_paragraph, split_source
from digest.summarize import summarize
from digest.words import matching_form
from tests.conftest import seed_sources

TARGET = 250

Facts = dict[str, set[tuple[str, str]]]  # fact -> (source id, text or piece of text)


@dataclass(frozen=True)
class Picked:
    text: str
    supports: tuple[Support, ...] = ()


@dataclass(frozen=True)
class Row:
    method: str
    words: int
    sentences: int
    covered: int
    facts: int
    redundant: int
    citations: float | None
    precision: float | None
    recall: float | None

    @property
    def per_100_words(self) -> float:
        return 100 * self.covered / self.words if self.words else 0.0


def states(fact_members: set[tuple[str, str]], source: str | None, text: str) -> bool:
    return any((source is None or s == source) and piece in text for s, piece in fact_members)


def evaluate(method: str, picked: Sequence[Picked], facts: Facts) -> Row:
    covers = [{f for f, members in facts.items() if states(members, None, p.text)} for p in picked]
    covered = set().union(*covers) if covers else set()
    redundant = sum(1 for i in range(len(covers)) for j in range(i + 1, len(covers)) if covers[i] & covers[j])
    citations = precision = recall = None
    if any(p.supports for p in picked):
        cited = [(p, c) for p, c in zip(picked, covers, strict=True) if c]
        n_cites = sum(len(p.supports) for p, _ in cited)
        good = sum(1 for p, c in cited for s in p.supports if any(states(facts[f], s.source, s.text) for f in c))
        wanted = sum(len({s for f in c for s, _ in facts[f]}) for _, c in cited)
        found = sum(len({s.source for s in p.supports} & {s for f in c for s, _ in facts[f]}) for p, c in cited)
        citations = sum(len(p.supports) for p in picked) / len(picked)
        precision = good / n_cites if n_cites else 1.0
        recall = found / wanted if wanted else 1.0
    return Row(
        method,
        sum(len(p.text.split()) for p in picked),
        len(picked),
        len(covered),
        len(facts),
        redundant,
        citations,
        precision,
        recall,
    )


def pipeline(sources: Sequence[RawSource]) -> tuple[list[SplitSource], list[Picked]]:
    split = [split_source(c) for c in clean_story(sources)]
    digest = summarize(StoryFile("bench", Path("bench.md"), ()), split, align(split), TARGET)
    return split, [Picked(s.text, s.supports) for s in digest.summary]


def lead3(split: Sequence[SplitSource]) -> list[Picked]:
    return [Picked(s.text) for src in split for s in src.sentences[:3]]


def lexrank(split: Sequence[SplitSource], target: int = TARGET) -> list[Picked]:
    sentences = [s.text for src in split for s in src.sentences]
    tokens = [matching_form(s) for s in sentences]
    df = Counter(w for ts in tokens for w in set(ts))
    n = len(sentences)
    vocab = {w: i for i, w in enumerate(sorted(df))}
    matrix = np.zeros((n, len(vocab)))
    for row, ts in enumerate(tokens):
        for w, count in Counter(ts).items():
            matrix[row, vocab[w]] = count * math.log(n / df[w])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.where(norms == 0, 1, norms)
    graph = (matrix @ matrix.T > 0.1).astype(float)
    graph /= graph.sum(axis=1, keepdims=True)
    rank = np.ones(n) / n
    for _ in range(100):
        rank = 0.15 / n + 0.85 * graph.T @ rank
    picked: list[Picked] = []
    words = 0
    for index in np.argsort(-rank, kind="stable"):
        length = len(sentences[index].split())
        if words + length > target * 1.1 and picked:
            continue
        picked.append(Picked(sentences[index]))
        words += length
    return picked


def seed_facts(split: Sequence[SplitSource]) -> Facts:
    by_file = {s.clean.raw.path.split("/")[-1]: s.id for s in split}
    return {fact: {(by_file[file], piece) for file, piece in members} for fact, members in FACTS.items()}


def story_facts(story: BenchStory) -> Facts:
    return story.facts()


def rows_for(sources: Sequence[RawSource], facts_of) -> list[Row]:  # type: ignore[no-untyped-def]
    split, ours = pipeline(sources)
    facts = facts_of(split)
    return [
        evaluate("digest", ours, facts),
        evaluate("lead-3", lead3(split), facts),
        evaluate("lexrank", lexrank(split), facts),
    ]


def splitter_speed() -> tuple[int, float]:
    text = [p for s in seed_sources() for p in s.text.split("\n") if p.strip()] * 200
    started = time.perf_counter()
    count = sum(len(split_paragraph(p)) for p in text)
    return count, time.perf_counter() - started


def _facts_of(story: BenchStory) -> Callable[[Sequence[SplitSource]], Facts]:
    return lambda _split: story_facts(story)


def main() -> None:
    corpora: list[tuple[str, list[RawSource], Callable[[Sequence[SplitSource]], Facts]]]
    corpora = [("seed story (5 sources)", seed_sources(), seed_facts)]
    corpora += [(f"{s.name} ({len(s.sources)} sources)", s.raw_sources(), _facts_of(s)) for s in STORIES]
    header = (
        f"{'story':30} {'method':8} {'words':>5} {'sents':>5} {'facts':>7} {'/100w':>6} "
        f"{'redund':>6} {'cites':>5} {'prec':>5} {'recall':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, sources, facts_of in corpora:
        for row in rows_for(sources, facts_of):
            cites = "-" if row.citations is None else f"{row.citations:.1f}"
            prec = "-" if row.precision is None else f"{row.precision:.2f}"
            rec = "-" if row.recall is None else f"{row.recall:.2f}"
            print(
                f"{name:30} {row.method:8} {row.words:>5} {row.sentences:>5} {row.covered:>3}/{row.facts:<3} "
                f"{row.per_100_words:>6.2f} {row.redundant:>6} {cites:>5} {prec:>5} {rec:>6}"
            )
        print()
    count, seconds = splitter_speed()
    print(f"sentence splitter: {count} sentences in {seconds:.2f} s ({count / seconds:,.0f} sentences/s)")


if __name__ == "__main__":
    main()
