"""Realistic synthetic sites for benchmarks: N stories of 2-10 sources each.

    python -m benchmarks.generate DIR --stories 200

Each story is derived from the five seed articles: the people, places and numbers
are replaced with names and numbers of its own, body paragraphs are shuffled within
each source, and the page clutter stays where it was. Sources beyond five reuse a
seed with another shuffle. Deterministic: the same N gives the same site.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

from benchmarks.seed_truth import BODY
from tests.conftest import SEEDS

_SYLLABLES = "ka lo mi ren sa tor vel den ari bo chi du el fa go ha in jo ku lu ma ne os pe ra si ta ul vi zo".split()
NAMES = ("Blinken", "Lavrov", "Biden", "Putin", "Peskov", "Navalny", "Whelan", "Reed", "Price")
PLACES = ("Reykjavik", "Iceland", "Arctic Council", "Ukraine", "Moscow", "Washington")


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def story_texts(number: int) -> list[str]:
    """The source texts of story ``number``."""
    rng = random.Random(number)
    names = {n: _word(rng, 3) for n in NAMES}
    places = {p: " ".join(_word(rng, 2) for _ in p.split()) for p in PLACES}
    shift = rng.randint(1, 9)
    seeds = sorted(SEEDS.glob("*.txt"))
    count = 2 + number % 9
    texts = []
    for k in range(count):
        seed = seeds[(number + k) % len(seeds)]
        lines = seed.read_text(encoding="utf-8").split("\n")
        body_lines = BODY[seed.name]
        shuffled = [lines[n - 1] for n in body_lines]
        random.Random(number * 31 + k).shuffle(shuffled)
        for n, text in zip(body_lines, shuffled, strict=True):
            lines[n - 1] = text
        text = "\n".join(lines)
        for old, new in {**names, **places}.items():
            text = text.replace(old, new)
        text = re.sub(r"\b(\d{1,3})\b", lambda m: str(int(m.group(1)) + shift), text)
        texts.append(text)
    return texts


def generate(folder: Path, stories: int) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "content").mkdir(parents=True)
    (folder / "digest.yml").write_text(
        "title: Benchmark digest\nbase_url: https://example.org/bench/\nsummary_words: 250\n", encoding="utf-8"
    )
    for number in range(stories):
        slug = f"story-{number:04d}"
        paths = []
        for k, text in enumerate(story_texts(number)):
            path = folder / "seeds" / slug / f"{k:02d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            paths.append(path.relative_to(folder).as_posix())
        day = 1 + number % 28
        front = "".join(f"  - {p}\n" for p in paths)
        (folder / "content" / f"{slug}.md").write_text(
            f"---\ndate: 2021-{1 + number % 12:02d}-{day:02d}\nsources:\n{front}---\n", encoding="utf-8"
        )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--stories", type=int, default=200)
    args = parser.parse_args()
    generate(args.folder, args.stories)
    print(f"wrote {args.stories} stories to {args.folder}")


if __name__ == "__main__":
    main()
