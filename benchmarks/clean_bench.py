"""Clean-stage benchmark: body kept and clutter removed, per source, as a table.

    python -m benchmarks.clean_bench

Two corpora: the five seeds as they are (hand-annotated, benchmarks/seed_truth.py)
and the same bodies with clutter written in new shapes (benchmarks/clutter.py).
Targets: seeds 100% / 100%; new shapes body recall >= 0.99, clutter removal >= 0.95.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.clutter import injected_story
from benchmarks.seed_truth import BODY, HEADLINE
from digest.clean import clean_story
from digest.model import RawSource
from tests.conftest import seed_sources


@dataclass(frozen=True)
class Score:
    name: str
    body: int
    body_kept: int
    clutter: int
    clutter_removed: int

    @property
    def recall(self) -> float:
        return self.body_kept / self.body if self.body else 1.0

    @property
    def removal(self) -> float:
        return self.clutter_removed / self.clutter if self.clutter else 1.0


def score(sources: Sequence[RawSource], truth: Sequence[tuple[set[int], set[int]]]) -> list[Score]:
    rows = []
    for clean, (body, clutter) in zip(clean_story(sources), truth, strict=True):
        kept = {p.line for p in clean.paragraphs}
        removed = {r.line for r in clean.removed}
        rows.append(Score(clean.raw.path, len(body), len(body & kept), len(clutter), len(clutter & removed)))
    return rows


def seed_story() -> list[tuple[RawSource, set[int], set[int]]]:
    """The seeds, each with its body lines and its clutter lines."""
    story = []
    for source in seed_sources():
        name = source.path.split("/")[-1]
        lines = source.text.split("\n")
        non_empty = {n for n, line in enumerate(lines, start=1) if line.strip()}
        body = set(BODY[name])
        story.append((source, body, non_empty - body - {HEADLINE[name]}))
    return story


def seed_scores() -> list[Score]:
    story = seed_story()
    return score([s for s, _, _ in story], [(b, c) for _, b, c in story])


def fewer_sources(stories: Sequence[Sequence[tuple[RawSource, set[int], set[int]]]], k: int, name: str) -> Score:
    """Every combination of ``k`` of a story's sources cleaned as a story, summed:
    a story of two or three outlets has less evidence to judge each line by."""
    rows = [
        row
        for story in stories
        for part in itertools.combinations(story, k)
        for row in score([s for s, _, _ in part], [(b, c) for _, b, c in part])
    ]
    return total(rows, name)


def injected_scores(seeds: Sequence[int] = (7,), corpus: str = "tuned") -> list[Score]:
    """Scores summed over several random placements of the clutter."""
    rows: dict[str, list[Score]] = {}
    for seed in seeds:
        story = injected_story(seed, corpus)
        for row in score([s for s, _, _ in story], [(b, c) for _, b, c in story]):
            rows.setdefault(row.name, []).append(row)
    return [total(r, name) for name, r in rows.items()]


def total(rows: Sequence[Score], name: str) -> Score:
    return Score(
        name,
        sum(r.body for r in rows),
        sum(r.body_kept for r in rows),
        sum(r.clutter for r in rows),
        sum(r.clutter_removed for r in rows),
    )


def main() -> None:
    started = time.perf_counter()
    placements = range(1, 11)
    seeds = seed_scores()
    injected = injected_scores(placements)
    held_out = injected_scores(placements, "held-out-1")
    fresh = injected_scores(placements, "held-out-2")
    seconds = time.perf_counter() - started
    print(f"{'corpus / source':44} {'body kept':>11} {'recall':>7} {'clutter out':>12} {'removal':>8}")
    corpora = (
        ("seeds", seeds),
        ("new shapes (tuned on)", injected),
        ("held out 1 (used to diagnose)", held_out),
        ("held out 2 (unseen)", fresh),
    )
    for label, rows in corpora:
        for row in [*rows, total(rows, f"{label}: all")]:
            print(
                f"{row.name:44} {row.body_kept:>4}/{row.body:<6} {row.recall:>7.3f} "
                f"{row.clutter_removed:>5}/{row.clutter:<6} {row.removal:>8.3f}"
            )
    n = len(seeds) * (1 + 3 * len(placements))
    print(f"\nnew shapes: {len(placements)} random placements each; cleaned {n} sources in {seconds:.2f} s")

    print(
        f"\n{'stories of fewer sources (every combination)':44} {'body kept':>11} {'recall':>7} {'clutter out':>12} {'removal':>8}"
    )
    few = range(1, 6)  # placements
    sets = (
        ("seeds", [seed_story()]),
        ("new shapes", [injected_story(p) for p in few]),
        ("held out 1", [injected_story(p, "held-out-1") for p in few]),
        ("held out 2", [injected_story(p, "held-out-2") for p in few]),
    )
    for label, stories in sets:
        for k in (2, 3):
            row = fewer_sources(stories, k, f"{label}: {k} of 5 sources")
            print(
                f"{row.name:44} {row.body_kept:>4}/{row.body:<6} {row.recall:>7.3f} "
                f"{row.clutter_removed:>5}/{row.clutter:<6} {row.removal:>8.3f}"
            )


if __name__ == "__main__":
    main()
