"""Rendering: the layout of digest.json, archive months, URL paths."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any, cast
from unittest.mock import patch
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config import load_config
from digest.content import load_stories
from digest.jobs import digest_story
from digest.keys import SITE_TEMPLATES
from digest.model import StoryCard, StoryDigest
from digest.render import (
    SHARD_STORIES,
    archive_months,
    digest_json,
    digest_json_bytes,
    sort_stories,
    text_shards,
    url_path,
)
from tests.conftest import REPO

# Each site template's signature (see build.ThemeSignatures), fixed: a test's templates do not change.
TEMPLATE_KEYS = dict.fromkeys(SITE_TEMPLATES, "fixed")


# What digest_json holds: text (control characters and typography included),
# whole numbers, scores and positions, flags and nulls, in lists and objects.
_TEXT = st.text(alphabet=st.sampled_from('ab “”é\n\t\x00\x1f"\\/<'), max_size=6)
_SCORES = st.integers(0, 1000).map(lambda n: n / 10)  # 0.0-100.0, one decimal, as scores are rounded
_POSITIONS = st.integers(0, 10_000).map(lambda n: n / 10_000)  # claim positions: rounded to 4 places
_PLAIN = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | _SCORES | _POSITIONS | _TEXT
_VALUES = st.recursive(
    _PLAIN, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=30
)


def _indented(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_digest_json_is_laid_out_as_the_json_module_indents(value: Any) -> None:
    """digest_json_bytes's promise, for every kind of value a digest holds."""
    story = {"slug": "s", "anything": value}
    with patch("digest.render.digest_json", return_value=story):
        data = digest_json_bytes(cast(StoryDigest, None))
    assert data == _indented(story)
    assert json.loads(data) == story


def test_the_smallest_position_is_written_as_json_writes_it() -> None:
    # (orjson writes 0.00001 where json writes 1e-05; positions have 4 places, and
    # 0.0001 is the smallest: json's exponents start below it.)
    story = {"position": 0.0001, "score": 0.1}
    with patch("digest.render.digest_json", return_value=story):
        assert digest_json_bytes(cast(StoryDigest, None)) == _indented(story)


def test_the_seed_story_digest_json_is_its_digest_indented(tmp_path: Path) -> None:
    config = load_config(REPO / "digest.yml", output=str(tmp_path / "out"))
    digest = digest_story(load_stories(config, [])[0], config.summary_words)
    data = digest_json_bytes(digest)
    assert data == _indented(digest_json(digest))
    assert "“grave concerns”".encode() in data and b"\\u201c" not in data  # UTF-8 as it is, no escapes
    assert data.count(b"\n") > 1000  # one value a line: each sentence takes several


def test_archive_months_group_the_index_order_with_undated_stories_last() -> None:
    cards = [
        StoryCard("b", "2021-05-20", (), "k", "Second of May"),
        StoryCard("z", None, (), "k", "No date at all"),
        StoryCard("a", "2021-05-03", (), "k", "First of May"),
        StoryCard("c", "2020-12-31", ("x",), "k", "New Year's Eve"),
    ]
    months = archive_months(sort_stories(cards))
    assert [(m["id"], m["name"], [s["title"] for s in m["stories"]]) for m in months] == [
        ("2021-05", "May 2021", ["Second of May", "First of May"]),
        ("2020-12", "December 2020", ["New Year's Eve"]),
        ("undated", "Undated", ["No date at all"]),
    ]
    assert months[0]["stories"][1] == {
        "url": "a/index.html",
        "title": "First of May",
        "date": "2021-05-03",
        "date_text": "3 May 2021",
        "draft": False,
    }
    assert months[2]["stories"][0]["date_text"] is None


@given(st.text() | st.from_regex(r"[a-z0-9/_.~-]*", fullmatch=True))
def test_url_paths_are_quoted_as_quote_does(path: str) -> None:
    assert url_path(path) == quote(path)


def test_search_text_files_keep_each_story_where_it_was_as_stories_come_and_go() -> None:
    cards = [StoryCard(f"story-{n:04d}", "2021-05-20", (), "k") for n in range(1000)]

    def homes(some: list[StoryCard]) -> dict[str, int]:
        shards = text_shards(some)
        assert sum(len(shard) for _, shard in shards) == len(some)  # each story once
        return {card.slug: number for number, shard in shards for card in shard}

    assert len(text_shards(cards)) == 32  # a power of two, ~32 stories each
    assert max(len(shard) for _, shard in text_shards(cards)) < 2 * SHARD_STORIES
    before = homes(cards)
    assert homes(cards[:-1]) == {slug: n for slug, n in before.items() if slug != "story-0999"}
    added = homes([*cards, StoryCard("later", None, (), "k")])
    assert {slug: n for slug, n in added.items() if slug != "later"} == before
    assert len(text_shards(cards[:SHARD_STORIES])) == 1 and len(text_shards(cards[: SHARD_STORIES + 1])) == 2
    assert text_shards([]) == []
    order = text_shards(cards)[0][1]
    assert order == sorted(order, key=cards.index)  # the index order within a file


def test_an_edit_asks_only_for_the_views_of_the_pages_showing_the_story(tmp_path: Path) -> None:
    """Listing pages need the views of the stories they show, each one a cache load:
    an edit of one story of 300 renders its index page, its tag page and its file
    of search text, and asks for the views of those pages' stories alone."""
    from digest.config import load_config
    from digest.content import load_stories
    from digest.jobs import digest_story
    from digest.render import Renderer
    from digest.theme import resolve_theme

    config = load_config(REPO / "digest.yml", output=str(tmp_path / "out"))
    renderer = Renderer(config, resolve_theme(config))
    seed = renderer.story(digest_story(load_stories(config, [])[0], config.summary_words)).listing
    start = dt.date(2020, 1, 1)
    cards = [
        StoryCard(f"story-{n:03d}", (start + dt.timedelta(days=n)).isoformat(), ("Ice",) if n % 3 else (), f"k{n}")
        for n in range(300)
    ]
    asked: list[str] = []

    def view(slug: str) -> dict[str, Any]:
        asked.append(slug)
        return {**seed, "slug": slug, "url": f"{slug}/index.html"}

    _, keys = renderer.site(cards, view, [], TEMPLATE_KEYS)
    assert len(set(asked)) == 300
    edited = cards[58]  # tagged, and too old for the feeds
    changed = [*cards[:58], replace(edited, listing="k58 edited"), *cards[59:]]
    asked.clear()
    files, _ = renderer.site(changed, view, [], TEMPLATE_KEYS, lambda path, key: keys.get(path) == key)
    order = sort_stories(cards)
    tagged = [c for c in order if c.tags]
    size = config.page_size
    index_page, tag_page = order.index(edited) // size, tagged.index(edited) // size
    number, shard = next((n, s) for n, s in text_shards(order) if edited in s)
    assert {p for p in files if not p.startswith("static/") and not p.startswith(".")} == {
        f"page/{index_page + 1}/index.html",
        f"tags/ice/page/{tag_page + 1}/index.html",
        f"search/text-{number}.js",
    }
    shown = order[index_page * size : (index_page + 1) * size] + tagged[tag_page * size : (tag_page + 1) * size]
    assert sorted(asked) == sorted(c.slug for c in shown + shard)
    assert len(shard) < 2 * SHARD_STORIES


def test_feeds_make_the_feed_content_a_view_lacks_once_per_story(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A restyled view (see render.restyled) has no feed content; the site's feed and
    each tag's feed show the story's, made once for all of them."""
    from digest.config import load_config
    from digest.content import load_stories
    from digest.jobs import digest_story
    from digest.render import Renderer, restyled
    from digest.theme import resolve_theme

    config = load_config(REPO / "digest.yml", output=str(tmp_path / "out"))
    renderer = Renderer(config, resolve_theme(config))
    listing = renderer.story(digest_story(load_stories(config, [])[0], config.summary_words)).listing
    restyled_view = restyled(listing)
    assert "feed_content" in listing and "feed_content" not in restyled_view
    made: list[str] = []
    original = Renderer._feed_content_of

    def counted(self: Renderer, view: Any) -> Any:
        made.append(view["slug"])
        return original(self, view)

    monkeypatch.setattr(Renderer, "_feed_content_of", counted)
    card = StoryCard(listing["slug"], listing["date"], tuple(listing["tags"]), "k", listing["title"])
    files, _ = renderer.site([card], lambda slug: restyled_view, [], TEMPLATE_KEYS)
    feeds = [path for path in files if path.endswith("feed.xml")]
    assert len(feeds) == 1 + len(listing["tags"]) and made == [listing["slug"]]
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for path in feeds:
        entry = ET.fromstring(files[path]).find("a:entry", ns)
        assert entry is not None and entry.findtext("a:content", namespaces=ns) == str(listing["feed_content"])
