"""Grouping loose articles by event: accuracy and speed.

    python -m benchmarks.group_bench [--stories 200 1000]

The sources of N generated stories (benchmarks/generate.py) and the five seed
articles are put loose in one folder under shuffled names, with no story files;
``digest group`` logic then proposes stories. Printed: the adjusted Rand index
against the true stories, the share of true stories recovered exactly (same
members, nothing more), and the time to describe and group the articles (reading
included, in one process). Goal: every story recovered exactly; 5,000 articles in
under 10 s.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections import Counter
from math import comb
from pathlib import Path

from benchmarks.generate import story_texts
from digest.build import IncrementalBuilder
from digest.config import load_config
from tests.conftest import SEEDS


def loose_site(folder: Path, stories: int) -> dict[str, str]:
    """Write the loose site; returns each article's file -> its true story."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "content").mkdir(parents=True)
    (folder / "digest.yml").write_text("title: Loose\n", encoding="utf-8")
    articles = [(f"story-{n}", text) for n in range(stories) for text in story_texts(n)]
    articles += [("seed", p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    random.Random(stories).shuffle(articles)
    truth = {}
    for k, (story, text) in enumerate(articles):
        name = f"seeds/{k:05d}.txt"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        truth[name] = story
    return truth


def adjusted_rand_index(truth: dict[str, str], found: dict[str, str]) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same items."""
    items = sorted(truth)
    pairs = Counter((truth[i], found[i]) for i in items)
    rows, columns = Counter(truth[i] for i in items), Counter(found[i] for i in items)
    index = sum(comb(n, 2) for n in pairs.values())
    expected_rows = sum(comb(n, 2) for n in rows.values())
    expected_columns = sum(comb(n, 2) for n in columns.values())
    expected = expected_rows * expected_columns / comb(len(items), 2)
    best = (expected_rows + expected_columns) / 2
    return 1.0 if best == expected else (index - expected) / (best - expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[200, 1000])
    args = parser.parse_args()
    print(f"{'stories':>8s} {'articles':>9s} {'ARI':>7s} {'exact':>12s} {'seconds':>8s}")
    with tempfile.TemporaryDirectory() as scratch:
        for count in args.stories:
            site = Path(scratch) / f"loose-{count}"
            truth = loose_site(site, count)
            config = load_config(site / "digest.yml")
            started = time.perf_counter()
            groups = IncrementalBuilder().groups(config, [])
            seconds = time.perf_counter() - started
            found = {member: group.slug for group in groups for member in group.members}
            true_sets = Counter(frozenset(p for p in truth if truth[p] == s) for s in set(truth.values()))
            found_sets = {frozenset(g.members) for g in groups}
            exact = sum(1 for members in true_sets if members in found_sets)
            ari = adjusted_rand_index(truth, found)
            print(f"{count + 1:8d} {len(truth):9d} {ari:7.4f} {exact:5d}/{len(true_sets):<6d} {seconds:8.2f}")


if __name__ == "__main__":
    main()
