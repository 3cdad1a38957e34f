"""Realistic synthetic sites for benchmarks: N stories of 2-10 sources each.

    python -m benchmarks.generate DIR --stories 200 [--pelican DIR] [--hugo DIR]
    python -m benchmarks.generate DIR --big 100 --sentences 50

Each story is derived from the five seed articles: the people, places and numbers
are replaced with names and numbers of its own, body paragraphs are shuffled within
each source, and the page clutter stays where it was. Sources beyond five reuse a
seed with another shuffle. Stories have 2 to 10 sources, five on average, so N
stories hold 5N articles. Each story carries one to three of twenty topic tags, as
an editor's site would (so a build makes and keeps current the tag pages too).
Deterministic: the same N gives the same site.

The same articles can be written as a Pelican site and a Hugo site (one plain
page per article, no consolidation), so the peers can be timed on the same input.
``--big`` writes one story of many long sources instead (bodies lengthened with
paragraphs of the other seeds), the worst case for cross-source alignment.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

from benchmarks.seed_truth import BODY
from digest.sentences import split_paragraph
from tests.conftest import SEEDS

TOPICS = (
    "diplomacy arctic energy trade security climate elections health markets migration"
    " technology courts defence transport agriculture education labour housing culture sport"
).split()
_SYLLABLES = "ka lo mi ren sa tor vel den ari bo chi du el fa go ha in jo ku lu ma ne os pe ra si ta ul vi zo".split()
NAMES = ("Blinken", "Lavrov", "Biden", "Putin", "Peskov", "Navalny", "Whelan", "Reed", "Price")
PLACES = ("Reykjavik", "Iceland", "Arctic Council", "Ukraine", "Moscow", "Washington")
# Sources per story, cycled: 2 to 10, five on average.
SOURCE_COUNTS = (2, 3, 4, 5, 10, 3, 4, 5, 6, 8)


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def _seed_lines() -> dict[str, list[str]]:
    return {p.name: p.read_text(encoding="utf-8").split("\n") for p in sorted(SEEDS.glob("*.txt"))}


def story_texts(number: int, count: int | None = None, sentences: int = 0) -> list[str]:
    """The source texts of story ``number``; ``sentences`` lengthens each body to
    about that many sentences with paragraphs of the other seeds."""
    rng = random.Random(number)
    names = {n: _word(rng, 3) for n in NAMES}
    places = {p: " ".join(_word(rng, 2) for _ in p.split()) for p in PLACES}
    shift = rng.randint(1, 9)
    seeds = _seed_lines()
    order = sorted(seeds)
    count = SOURCE_COUNTS[number % len(SOURCE_COUNTS)] if count is None else count
    texts = []
    for k in range(count):
        name = order[(number + k) % len(order)]
        lines = list(seeds[name])
        body_lines = BODY[name]
        shuffled = [lines[n - 1] for n in body_lines]
        extra = [seeds[other][n - 1] for other in order if other != name for n in BODY[other]]
        random.Random(number * 31 + k).shuffle(extra)
        while sentences and _sentences(shuffled) < sentences and extra:
            shuffled.append(extra.pop())
        random.Random(number * 31 + k).shuffle(shuffled)
        last = body_lines[-1]
        # The lengthened body takes the place of the original one, clutter around it kept.
        lines = lines[: body_lines[0] - 1] + _spaced(shuffled, lines, body_lines) + lines[last:]
        text = "\n".join(lines)
        for old, new in {**names, **places}.items():
            text = text.replace(old, new)
        text = re.sub(r"\b(\d{1,3})\b", lambda m: str(int(m.group(1)) + shift), text)
        texts.append(text)
    return texts


def _sentences(paragraphs: list[str]) -> int:
    return sum(len(split_paragraph(p)) for p in paragraphs)


def _spaced(paragraphs: list[str], lines: list[str], body_lines: list[int]) -> list[str]:
    """Body paragraphs separated the way the seed separates them (blank lines or not)."""
    gap = body_lines[1] - body_lines[0] - 1 if len(body_lines) > 1 else 0
    out: list[str] = []
    for paragraph in paragraphs:
        if out:
            out.extend([""] * gap)
        out.append(paragraph)
    return out


def headline(text: str) -> str:
    """A title for a peer's page: the article's first line."""
    return next((line for line in text.split("\n") if line.strip()), "Untitled")


def generate(folder: Path, stories: int, pelican: Path | None = None, hugo: Path | None = None) -> Path:
    _fresh(folder)
    (folder / "content").mkdir(parents=True)
    (folder / "digest.yml").write_text(
        "title: Benchmark digest\nbase_url: https://example.org/bench/\nsummary_words: 250\n", encoding="utf-8"
    )
    articles: list[tuple[str, str]] = []  # (name, text) for the peers
    for number in range(stories):
        slug = f"story-{number:04d}"
        paths = []
        for k, text in enumerate(story_texts(number)):
            path = folder / "seeds" / slug / f"{k:02d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            paths.append(path.relative_to(folder).as_posix())
            articles.append((f"{slug}-{k:02d}", text))
        day = 1 + number % 28
        front = "".join(f"  - {p}\n" for p in paths)
        picker = random.Random(number)
        tags = ", ".join(picker.sample(TOPICS, picker.randint(1, 3)))
        (folder / "content" / f"{slug}.md").write_text(
            f"---\ndate: 2021-{1 + number % 12:02d}-{day:02d}\ntags: [{tags}]\nsources:\n{front}---\n",
            encoding="utf-8",
        )
    if pelican is not None:
        pelican_site(pelican, articles)
    if hugo is not None:
        hugo_site(hugo, articles)
    return folder


def big_story(folder: Path, sources: int, sentences: int) -> Path:
    """A site of one story with ``sources`` sources of about ``sentences`` sentences each."""
    _fresh(folder)
    (folder / "content").mkdir(parents=True)
    (folder / "digest.yml").write_text("title: One big story\nbase_url: https://example.org/big/\n", encoding="utf-8")
    paths = []
    for k, text in enumerate(story_texts(7, count=sources, sentences=sentences)):
        path = folder / "seeds" / f"{k:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path.relative_to(folder).as_posix())
    front = "".join(f"  - {p}\n" for p in paths)
    (folder / "content" / "big.md").write_text(f"---\ndate: 2021-05-20\nsources:\n{front}---\n", encoding="utf-8")
    return folder


def pelican_site(folder: Path, articles: list[tuple[str, str]]) -> None:
    """The articles as Pelican pages (Markdown with Pelican's metadata header)."""
    _fresh(folder)
    (folder / "content").mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(
        'SITENAME = "Benchmark"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "UTC"\nDEFAULT_LANG = "en"\n'
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
        "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\nDEFAULT_PAGINATION = 20\n",
        encoding="utf-8",
    )
    for n, (name, text) in enumerate(articles):
        title = headline(text).replace(":", " ")
        body = "\n\n".join(line for line in text.split("\n") if line.strip())
        day = 1 + n % 28
        (folder / "content" / f"{name}.md").write_text(
            f"Title: {title}\nDate: 2021-{1 + n % 12:02d}-{day:02d}\nSlug: {name}\n\n{body}\n", encoding="utf-8"
        )


def hugo_site(folder: Path, articles: list[tuple[str, str]]) -> None:
    """The articles as Hugo pages, with the smallest layouts that render them."""
    _fresh(folder)
    (folder / "content" / "posts").mkdir(parents=True)
    (folder / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "Benchmark"\ndisableKinds = ["taxonomy", "term"]\n',
        encoding="utf-8",
    )
    layouts = folder / "layouts" / "_default"
    layouts.mkdir(parents=True)
    page = '<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ block "main" . }}{{ end }}</body></html>\n'
    (layouts / "baseof.html").write_text(page, encoding="utf-8")
    (layouts / "single.html").write_text('{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n')
    (layouts / "list.html").write_text(
        '{{ define "main" }}<ul>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>'
        "{{ end }}</ul>{{ end }}\n"
    )
    for n, (name, text) in enumerate(articles):
        title = headline(text).replace('"', "'")
        body = "\n\n".join(line for line in text.split("\n") if line.strip())
        day = 1 + n % 28
        (folder / "content" / "posts" / f"{name}.md").write_text(
            f'---\ntitle: "{title}"\ndate: 2021-{1 + n % 12:02d}-{day:02d}\n---\n\n{body}\n', encoding="utf-8"
        )


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--pelican", type=Path, help="Also write the articles as a Pelican site here.")
    parser.add_argument("--hugo", type=Path, help="Also write the articles as a Hugo site here.")
    parser.add_argument("--big", type=int, metavar="SOURCES", help="Write one story of this many sources instead.")
    parser.add_argument("--sentences", type=int, default=50, help="Sentences per source with --big.")
    args = parser.parse_args()
    if args.big:
        big_story(args.folder, args.big, args.sentences)
        print(f"wrote one story of {args.big} sources to {args.folder}")
        return
    generate(args.folder, args.stories, args.pelican, args.hugo)
    print(f"wrote {args.stories} stories to {args.folder}")


if __name__ == "__main__":
    main()
