"""Rendering: the layout of digest.json, archive months, URL paths."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.build import SITE_TEMPLATES
from digest.model import StoryCard
from digest.render import SHARD_STORIES, Records, archive_months, readable_json, sort_stories, text_shards, url_path
from tests.conftest import REPO

# Each site template's signature (see build.ThemeSignatures), fixed: a test's templates do not change.
TEMPLATE_KEYS = dict.fromkeys(SITE_TEMPLATES, "fixed")


def _one_line(value: dict[str, Any] | list[Any]) -> bool:
    if isinstance(value, list):
        return not any(isinstance(item, (dict, list)) for item in value)
    return all(not isinstance(v, dict) and (not isinstance(v, list) or _one_line(v)) for v in value.values())


def _layout_by_the_rule(value: Any, indent: str = "") -> str:
    """readable_json's rule, value by value: nesting indented by two spaces, an
    object or list of plain values (or an object of such lists) on one line."""
    if isinstance(value, (dict, list)) and not _one_line(value):
        inner = indent + "  "
        if isinstance(value, dict):
            items = [
                f"{inner}{json.dumps(k, ensure_ascii=False)}: {_layout_by_the_rule(v, inner)}" for k, v in value.items()
            ]
            return "{\n" + ",\n".join(items) + "\n" + indent + "}"
        return "[\n" + ",\n".join(inner + _layout_by_the_rule(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# Text includes the two control characters readable_json uses as markers.
_TEXT = st.text(alphabet=st.sampled_from("ab “”é\n\x1e\x1f]["), max_size=6)
_PLAIN = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
_VALUES = st.recursive(
    _PLAIN, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=30
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_readable_json_lays_out_by_its_rule(value: Any) -> None:
    text = readable_json(value)
    assert text == _layout_by_the_rule(value)
    assert json.loads(text) == value


def test_a_digest_record_list_is_one_line_per_record() -> None:
    story = {
        "slug": "s",
        "claims": [{"id": "c1", "sources": ["s1", "s2"], "members": [{"source": "s1", "score": 87.5}]}],
    }
    assert readable_json(story) == (
        "{\n"
        '  "slug": "s",\n'
        '  "claims": [\n'
        "    {\n"
        '      "id": "c1",\n'
        '      "sources": ["s1", "s2"],\n'
        '      "members": [\n'
        '        {"source": "s1", "score": 87.5}\n'
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}"
    )


def _as_records(value: Any) -> Any:
    """The value with every dict value that is a list of one-line dicts (or empty)
    marked as Records, as digest_json marks its record lists."""
    if isinstance(value, list):
        return [_as_records(v) for v in value]
    if not isinstance(value, dict):
        return value
    marked = {}
    for key, item in value.items():
        records = isinstance(item, list) and all(isinstance(r, dict) and _one_line(r) for r in item)
        marked[key] = Records(item) if records else _as_records(item)
    return marked


_RECORD = st.dictionaries(_TEXT, _PLAIN | st.lists(_PLAIN, max_size=3), max_size=3)
_WITH_RECORDS = st.recursive(
    st.lists(_RECORD, max_size=3) | _PLAIN,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_WITH_RECORDS)
def test_marked_record_lists_lay_out_as_plain_ones(value: Any) -> None:
    marked = _as_records(value)
    assert readable_json(marked) == _layout_by_the_rule(value)


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
    from digest.build import digest_story
    from digest.config import load_config
    from digest.content import load_stories
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
    from digest.build import digest_story
    from digest.config import load_config
    from digest.content import load_stories
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
