"""Render story digests to site files: HTML through the theme, plus JSON and XML.

Returns a mapping of output-relative path to bytes and writes nothing, so the
writer can swap a complete site in at once. Internal links are page-relative (a
page knows how deep it sits), so the site works under a GitHub Pages project path
and opened from disk; ``base_url`` appears only where a URL must be absolute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
import orjson
from markupsafe import Markup

from digest import __version__
from digest.errors import DigestError
from digest.model import OUTPUT_MARKER, SiteConfig, SplitSource, StoryCard, StoryDigest
from digest.notes import render_note, safe_url
from digest.theme import Theme, environment, get_template
from digest.words import tag_slug

# The HTML of a story's feed entry, as the feeds carry it.
FEED_CONTENT = "feed_content.html"


@dataclass(frozen=True)
class RenderedStory:
    """One story's pages, and what the site-wide pages (index, feed) need of it.

    Story pages depend on their story, the theme and the config only, never on
    other stories, so each can be rendered on its own (in a worker process) and
    kept until one of those changes.
    """

    listing: dict[str, Any]  # the story view without the sources' text (see listing_view)
    files: dict[str, bytes]


@dataclass(frozen=True)
class Page:
    path: str  # output-relative, forward slashes
    template: str
    context: dict[str, Any]


def build_timestamp(cards: Sequence[StoryCard]) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else the newest story date: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    dates = [card.date for card in cards if card.date]
    newest = dt.date.fromisoformat(max(dates)) if dates else dt.date(1970, 1, 1)
    return dt.datetime(newest.year, newest.month, newest.day, tzinfo=dt.timezone.utc)


def sort_stories(cards: Sequence[StoryCard]) -> list[StoryCard]:
    """Newest first; undated stories last, then by slug for a stable order."""
    by_slug = sorted(cards, key=lambda card: card.slug)
    dated = sorted((c for c in by_slug if c.date), key=lambda card: card.date or "", reverse=True)
    return dated + [c for c in by_slug if not c.date]


def restyled(listing: Mapping[str, Any]) -> dict[str, Any]:
    """A listing view made with another theme or config, for the current ones: without
    its feed content, the one part that depends on those (the feeds make it again for
    the few stories they show; a preview's restyle defers every story)."""
    return {name: value for name, value in listing.items() if name != "feed_content"}


def story_card(slug: str, listing: Mapping[str, Any], key: str) -> StoryCard:
    outlets = tuple(dict.fromkeys(source["outlet"] for source in listing["sources"]))
    return StoryCard(
        slug, listing["date"], tuple(listing["tags"]), key, listing["title"], listing["lead"], outlets, listing["draft"]
    )


class Renderer:
    """Renders with one theme and config; built once per process and reused."""

    def __init__(
        self, config: SiteConfig, theme: Theme, cache: Path | None = None, reload_templates: bool = True
    ) -> None:
        self.config = config
        self.theme = theme
        self.env = environment(theme, cache, reload_templates)
        story_site = site_globals(config, [])
        del story_site["updated"]  # see themes/default/README.md: listing pages only
        self.env.globals.update(site=story_site)
        # (A renderer lives as long as its theme's files stay as they are: see jobs.cached_renderer.)
        self.feed_content = theme.has_template(FEED_CONTENT)  # (a theme copied before it existed has none)

    def story(self, digest: StoryDigest, skip: frozenset[str] = frozenset()) -> RenderedStory:
        """A story's page, one page per source, and its digest.json (unless its path
        is in ``skip``: the output holds it already)."""
        view = story_view(digest)
        files = {page.path: _render_page(self.env, self.config, page) for page in _story_pages(view)}
        if digest_json_path(digest.slug) not in skip:
            files[digest_json_path(digest.slug)] = digest_json_bytes(digest)
        listing = listing_view(view)
        if self.feed_content:
            # Once here, where stories render in parallel, not once per feed: a story is in
            # the site's feed and in each of its tags' (22 feeds of 50 entries took 0.24 s).
            listing["feed_content"] = self._feed_content_of(listing)
        return RenderedStory(listing, files)

    def _feed_content_of(self, listing: Mapping[str, Any]) -> Markup:
        return Markup(_render_text(get_template(self.env, FEED_CONTENT), {"story": listing}))

    def site(
        self,
        cards: Sequence[StoryCard],
        view: Callable[[str], Mapping[str, Any]],
        story_paths: Sequence[str],
        template_keys: Mapping[str, str],
        current: Callable[[str, str], bool] = lambda path, key: False,
        later: dict[str, Callable[[], bytes]] | None = None,
    ) -> tuple[dict[str, bytes], dict[str, str]]:
        """The pages about all stories (index and tag pages, feed, sitemap), 404 and
        static files, as (files, keys).

        Each page has a key, a hash of all it shows: the site's globals, its template
        (``template_keys``: a hash of each template with what it loads) and place, and
        its stories' listing keys. A page for which ``current(path,
        key)`` holds is not rendered (the output has it), and ``view`` (slug ->
        listing view) is asked only for the stories of pages that are, so an edit
        of one story renders the few pages that list it. A page listing stories has
        the newest of their dates as ``site.updated`` (a feed's updated time), so a
        new story does not render the pages of tags it does not carry again.
        ``story_paths`` are the stories' page paths, for the sitemap.

        With ``later`` (a preview's), the index pages but the first and the tag
        pages are not rendered: each goes there as a function that renders it when
        asked (a site of 5,000 stories has ~1,000 of them, 1.5 s of rendering).
        """
        site = site_globals(self.config, cards)
        return _keeping_globals(
            self.env, lambda: self._site(cards, view, story_paths, template_keys, current, site, later)
        )

    def _site(
        self,
        cards: Sequence[StoryCard],
        view: Callable[[str], Mapping[str, Any]],
        story_paths: Sequence[str],
        template_keys: Mapping[str, str],
        current: Callable[[str, str], bool],
        site: dict[str, Any],
        later: dict[str, Callable[[], bytes]] | None,
    ) -> tuple[dict[str, bytes], dict[str, str]]:
        config, env = self.config, self.env
        files: dict[str, bytes] = {}
        keys: dict[str, str] = {}

        def page(
            path: str,
            template: str,
            context: dict[str, Any] | Callable[[], dict[str, Any]],
            stories: Sequence[StoryCard] | None = None,
            basis: Any = None,
            views: Callable[[str], Mapping[str, Any]] = view,
            deferrable: bool = False,
        ) -> None:
            """Render one page unless the output has it; ``stories`` become its views.
            A page listing every story gets its ``context`` as a function, made only
            when the page is rendered, and is keyed by ``basis``: what the context is
            made of (an edit of a 1000-story site made and hashed the archives,
            search entries and sitemap URLs, ~25 ms, to find them unchanged)."""
            listings = None if stories is None else [c.listing for c in stories]
            own = site if stories is None else {**site, "updated": _timestamp(stories)}
            material = context if basis is None else basis
            key = hashlib.sha256(
                json.dumps(
                    [own, path, template, template_keys[template], material, listings],
                    sort_keys=True,
                    default=str,
                ).encode()
            )
            keys[path] = key.hexdigest()
            if current(path, keys[path]):
                return

            def render() -> bytes:
                env.globals.update(site=own)
                made = context() if callable(context) else context
                full = made if stories is None else {**made, "stories": [views(c.slug) for c in stories]}
                if template.endswith(".xml"):
                    return _render(get_template(env, template), full)
                return _render_page(env, config, Page(path, template, full))

            if later is not None and deferrable:
                later[path] = partial(_keeping_globals, env, render)
            else:
                files[path] = render()

        summaries = sort_stories(cards)
        listed: list[str] = []
        in_feeds: dict[str, Mapping[str, Any]] = {}

        def feed_view(slug: str) -> Mapping[str, Any]:
            """A story's view with its feed content, made here only when the view lacks
            it (see restyled); once for all the feeds showing the story."""
            found = in_feeds.get(slug)
            if found is None:
                found = view(slug)
                if self.feed_content and "feed_content" not in found:
                    found = {**found, "feed_content": self._feed_content_of(found)}
                in_feeds[slug] = found
            return found

        def pages(folder: str, tag: str | None, stories: list[StoryCard], feed: str | None = None) -> None:
            """``stories`` a page_size at a time: ``folder``index.html, then
            ``folder``page/2/index.html and on (an edit renders only its story's page)."""
            size = config.page_size
            chunks = [stories[i : i + size] for i in range(0, len(stories), size)] or [[]]
            paths = [f"{folder}index.html"] + [f"{folder}page/{n}/index.html" for n in range(2, len(chunks) + 1)]
            for number, (path, chunk) in enumerate(zip(paths, chunks, strict=True), start=1):
                pager = {
                    "number": number,
                    "count": len(chunks),
                    "previous": paths[number - 2] if number > 1 else None,
                    "next": paths[number] if number < len(chunks) else None,
                }
                context = {"pager": pager, "tag": tag, "feed": feed}
                page(path, "index.html", context, chunk, deferrable=path != "index.html")  # (the home page: now)
                listed.append(path)

        pages("", None, summaries)
        by_tag: dict[str, list[StoryCard]] = {}
        names: dict[str, str] = {}
        for card in summaries:
            for tag in card.tags:
                by_tag.setdefault(tag_slug(tag), []).append(card)
                names[tag_slug(tag)] = tag  # spellings of one tag (case, accents): the last names the page
        tag_feeds = self.theme.has_template("tag_feed.xml")  # (a theme copied before it existed has none)
        if by_tag:
            for slug, tagged in sorted(by_tag.items()):
                home = f"tags/{slug}/"
                pages(home, names[slug], tagged, f"{url_path(home)}feed.xml" if tag_feeds else None)
                if tag_feeds:
                    context = {"root": "", "tag": names[slug], "tag_page": url_path(home)}
                    page(
                        f"{home}feed.xml", "tag_feed.xml", context, tagged[: config.feed_size or None], views=feed_view
                    )
            tags = [
                {"name": names[slug], "url": tag_url(names[slug]), "count": len(tagged)}
                for slug, tagged in sorted(by_tag.items())
            ]
            page("tags/index.html", "tags.html", {"tags": tags})
            listed.append("tags/index.html")
        # What the archives and search pages show of each story: its card, but for
        # the listing key (their entries are made from the cards alone).
        # (Hashed once for both; repr, as it holds only strings, tuples and flags.)
        shown = _digest_of([(c.slug, c.date, c.title, c.lead, c.tags, c.outlets, c.draft) for c in summaries])
        if self.theme.has_template("archives.html"):  # (a theme copied before it existed has none)
            page("archives/index.html", "archives.html", lambda: {"months": archive_months(summaries)}, basis=shown)
            listed.append("archives/index.html")
        if self.theme.has_template("search.html"):
            scripts: list[str] = []
            if self.theme.has_template("search_text.js"):  # (a theme copied before it existed has none)
                for number, shard in text_shards(summaries):
                    path = f"search/text-{number}.js"
                    scripts.append(path)

                    def texts(shard: list[StoryCard] = shard) -> dict[str, Any]:
                        return {"texts": {f"{c.slug}/index.html": summary_sentences(view(c.slug)) for c in shard}}

                    page(path, "search_text.js", texts, basis=[(c.slug, c.listing) for c in shard])

            def search() -> dict[str, Any]:
                return {"entries": search_entries(summaries), "text_scripts": scripts}

            page("search/index.html", "search.html", search, basis=[shown, scripts])
        page("404.html", "404.html", {})
        page("feed.xml", "feed.xml", {"root": ""}, summaries[: config.feed_size or None], views=feed_view)  # (0: all)
        mapped = listed + sorted(story_paths)
        # One file may list SITEMAP_URLS pages (the sitemap protocol's limit): a larger
        # site's sitemap.xml is an index of sitemap-N.xml files of that many each.
        parts = [mapped[i : i + SITEMAP_URLS] for i in range(0, len(mapped), SITEMAP_URLS)] or [[]]
        if len(parts) > 1 and not self.theme.has_template("sitemap_index.xml"):
            parts = [mapped]  # (a theme copied before it existed: one sitemap, as then)

        def sitemap(paths: list[str]) -> Callable[[], dict[str, Any]]:
            return lambda: {"urls": [config.base_url + url_path(_pretty(p)) for p in paths], "root": ""}

        if len(parts) == 1:
            page("sitemap.xml", "sitemap.xml", sitemap(mapped), basis=_digest_of(mapped))  # (base URL: in the globals)
        else:
            sitemaps = [f"sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
            for name, part in zip(sitemaps, parts, strict=True):
                page(name, "sitemap.xml", sitemap(part), basis=_digest_of(part))
            page("sitemap.xml", "sitemap_index.xml", {"sitemaps": [config.base_url + n for n in sitemaps], "root": ""})
        files[".nojekyll"] = b""
        files[OUTPUT_MARKER] = f"generated by digest {__version__}; 'digest clean' may delete this folder\n".encode()
        for folder in self.theme.static_folders():
            for asset in sorted(folder.rglob("*")):
                if asset.is_file():
                    files["static/" + asset.relative_to(folder).as_posix()] = asset.read_bytes()
        return files, keys


SITEMAP_URLS = 50_000

T = TypeVar("T")


def _keeping_globals(env: jinja2.Environment, render: Callable[[], T]) -> T:
    """``render`` run with the site globals put back as they were after it (those of
    story pages): each site page sets its own, in a site render or a deferred page."""
    saved = env.globals["site"]
    try:
        return render()
    finally:
        env.globals.update(site=saved)


def _digest_of(basis: list[Any]) -> str:
    """A page's basis (plain strings, tuples, flags) hashed: repr of those is exact
    and costs half what JSON does."""
    return hashlib.sha256(repr(basis).encode()).hexdigest()


def date_text(day: dt.date | None) -> str | None:
    """A date as the pages print it: "20 May 2021"."""
    return day.strftime("%-d %B %Y") if day else None


def archive_months(cards: Sequence[StoryCard]) -> list[dict[str, Any]]:
    """Every story by month, newest first (``cards`` in index order); the undated
    ones last. Made from the cards alone: listing all stories costs no story view."""
    months: list[dict[str, Any]] = []
    for card in cards:
        day = dt.date.fromisoformat(card.date) if card.date else None
        name = day.strftime("%B %Y") if day else "Undated"
        if not months or months[-1]["name"] != name:
            months.append({"name": name, "id": day.strftime("%Y-%m") if day else "undated", "stories": []})
        months[-1]["stories"].append(_card_entry(card))
    return months


def search_entries(cards: Sequence[StoryCard]) -> list[dict[str, Any]]:
    """What the search page looks through, a story each (``cards`` in index order):
    headline, lead, tags and outlets, from the cards alone (as the archives)."""
    return [
        {**_card_entry(card), "lead": card.lead, "tags": list(card.tags), "outlets": list(card.outlets)}
        for card in cards
    ]


# Stories per file of search text, about: a file is made again when one of its
# stories changes (~55 KB of text each on the generated 1000-story site).
SHARD_STORIES = 32


def text_shards(cards: Sequence[StoryCard]) -> list[tuple[int, list[StoryCard]]]:
    """The stories (``cards`` in index order) split into numbered files of search
    text, the empty ones left out. A story's file is chosen by a hash of its slug,
    and the number of files is a power of two: a new story leaves every other story
    where it was (until the count doubles), so an edit or a new story makes one
    file again."""
    count = 1
    while count * SHARD_STORIES < len(cards):
        count *= 2
    shards: list[list[StoryCard]] = [[] for _ in range(count)]
    for card in cards:
        shards[int(hashlib.sha256(card.slug.encode()).hexdigest()[:8], 16) % count].append(card)
    return [(number, shard) for number, shard in enumerate(shards, start=1) if shard]


def summary_sentences(view: Mapping[str, Any]) -> list[str]:
    """A story's summary, sentence by sentence, as the search page looks through it."""
    return [sentence["text"] for paragraph in view["paragraphs"] for sentence in paragraph]


def _card_entry(card: StoryCard) -> dict[str, Any]:
    """A story as the pages listing every story show it, from its card."""
    day = dt.date.fromisoformat(card.date) if card.date else None
    return {
        "url": f"{card.slug}/index.html",
        "title": card.title,
        "date": card.date,
        "date_text": date_text(day),
        "draft": card.draft,
    }


def tag_url(tag: str) -> str:
    """A tag page's address, relative to the site root; its folder is
    ``tags/<slug>/``, which may hold letters beyond ASCII (percent-encoded here)."""
    return f"{url_path(f'tags/{tag_slug(tag)}/')}index.html"


def story_page_paths(paths: Sequence[str]) -> list[str]:
    """The HTML pages of stories among a site's files (what the sitemap lists)."""
    return [p for p in paths if "/" in p and p.endswith(".html") and not p.startswith(("page/", "static/"))]


def listing_view(view: dict[str, Any]) -> dict[str, Any]:
    """A story view for pages that list stories (index, feed): everything but the
    sources' paragraphs and removed lines, which only the story's own pages show.
    Kept per story between builds, so it must stay small."""
    slim = {s["id"]: {k: v for k, v in s.items() if k not in ("paragraphs", "removed")} for s in view["sources"]}

    def relink(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "source": slim[item["source"]["id"]]}

    return {
        **view,
        "sources": list(slim.values()),
        "footnotes": [relink(f) for f in view["footnotes"]],
        "differences": [{**d, "variants": [relink(v) for v in d["variants"]]} for d in view["differences"]],
        "only_in": [relink(f) for f in view["only_in"]],
    }


def site_globals(config: SiteConfig, cards: Sequence[StoryCard]) -> dict[str, Any]:
    return {
        "title": config.title,
        "description": config.description,
        "base_url": config.base_url,
        "language": config.language,
        "generator": f"digest {__version__}",
        "extra": config.extra,
        "updated": _timestamp(cards),
    }


def _timestamp(cards: Sequence[StoryCard]) -> str:
    return build_timestamp(cards).strftime("%Y-%m-%dT%H:%M:%SZ")


def _story_pages(story: dict[str, Any]) -> list[Page]:
    pages = [Page(f"{story['slug']}/index.html", "story.html", {"story": story})]
    for source in story["sources"]:
        pages.append(Page(f"{story['slug']}/{source['id']}.html", "source.html", {"story": story, "source": source}))
    return pages


def _render_page(env: jinja2.Environment, config: SiteConfig, page: Page) -> bytes:
    context = {
        **page.context,
        "root": "../" * page.path.count("/"),
        "page_path": page.path,
        "canonical": config.base_url + url_path(_pretty(page.path)),
    }
    return _render(get_template(env, page.template), context)


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote() leaves as it is


def url_path(path: str) -> str:
    """``path`` percent-encoded for a URL. Most paths need nothing, and the sitemap of
    a 1000-story site quotes 7,000 of them on every build."""
    return path if _URL_SAFE.fullmatch(path) else quote(path)


def _pretty(path: str) -> str:
    return path[: -len("index.html")] if path.endswith("index.html") else path


def _render(template: jinja2.Template, context: dict[str, Any]) -> bytes:
    return _render_text(template, context).encode("utf-8")


def _render_text(template: jinja2.Template, context: dict[str, Any]) -> str:
    try:
        return template.render(**context)
    except jinja2.TemplateNotFound as exc:
        raise DigestError(
            f"template {exc.name!r} not found in the theme or its overrides", template.filename or template.name
        ) from None
    except jinja2.TemplateError as exc:
        file, line = _failing_template_line(exc) or (template.filename or template.name, getattr(exc, "lineno", None))
        raise DigestError(f"template error: {exc}", file, line) from None
    except DigestError:
        raise
    except Exception as exc:  # a filter or expression failing at run time (1/0, a wrong type)
        found = _failing_template_line(exc)
        if found is None:
            raise
        raise DigestError(f"template error: {type(exc).__name__}: {exc}", *found) from None


def _failing_template_line(exc: BaseException) -> tuple[str, int] | None:
    """The template file and line running when ``exc`` was raised: Jinja2 rewrites
    a rendering error's traceback so that each template's frame carries its file
    name and line, and the innermost is where it failed."""
    found = None
    trace = exc.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_code.co_filename
        if not name.endswith(".py") and not name.startswith("<"):
            found = (name, trace.tb_lineno)
        trace = trace.tb_next
    return found


def story_view(digest: StoryDigest) -> dict[str, Any]:
    """What templates see of a story: plain dicts and strings, ready to print."""
    sources = [source_view(s, digest) for s in digest.sources]
    by_id = {s["id"]: s for s in sources}
    footnotes: list[dict[str, Any]] = []
    paragraphs: list[list[dict[str, Any]]] = []
    for sentence in digest.summary:
        refs = []
        for support in sentence.supports:
            number = len(footnotes) + 1
            source = by_id[support.source]
            footnotes.append(
                {
                    "number": number,
                    "sentence_id": sentence.id,
                    "source": source,
                    "text": support.text,
                    "score": round(support.score),
                    "href": f"{support.source}.html#s{support.sentence}",
                    "sentence": support.sentence,
                }
            )
            refs.append(number)
        while len(paragraphs) <= sentence.paragraph:
            paragraphs.append([])
        paragraphs[sentence.paragraph].append(
            {
                "id": sentence.id,
                "text": sentence.text,
                "refs": refs,
                "sources": [s.source for s in sentence.supports],
            }
        )
    coverage = []
    for s in digest.summary:
        citing = {x.source for x in s.supports}
        coverage.append({"id": s.id, "text": s.text, "cells": [src["id"] in citing for src in sources]})
    # A story with no summary yet (one source) is introduced by what it alone reports.
    lead = digest.summary[0].text if digest.summary else digest.only_in[0].text if digest.only_in else ""
    return {
        "slug": digest.slug,
        "url": f"{digest.slug}/index.html",
        "title": digest.title,
        "date": digest.date.isoformat() if digest.date else None,
        "date_text": date_text(digest.date),
        "tags": list(digest.tags),
        "draft": digest.draft,
        "tag_links": [{"name": tag, "url": tag_url(tag)} for tag in digest.tags],
        "note_html": render_note(digest.note) if digest.note else "",
        "lead": lead,
        "paragraphs": paragraphs,
        "footnotes": footnotes,
        "sources": sources,
        "coverage": coverage,
        "differences": [
            {
                "kind": d.kind,
                "variants": [
                    {
                        "source": by_id[v.source],
                        "text": v.text,
                        "values": list(v.values),
                        "href": f"{v.source}.html#s{v.sentence}",
                    }
                    for v in d.variants
                ],
            }
            for d in digest.differences
        ],
        "only_in": [
            {"source": by_id[f.source], "text": f.text, "href": f"{f.source}.html#s{f.sentence}"}
            for f in digest.only_in
        ],
        "summary_text": " ".join(s.text for s in digest.summary),
        "word_count": sum(len(s.text.split()) for s in digest.summary),
    }


def source_view(source: SplitSource, digest: StoryDigest) -> dict[str, Any]:
    used: dict[int, list[str]] = {}
    source_id = source.id
    for sentence in digest.summary:
        for support in sentence.supports:
            if support.source == source_id:
                used.setdefault(support.sentence, []).append(sentence.id)
    paragraphs: list[list[dict[str, Any]]] = [[] for _ in source.clean.paragraphs]
    for s in source.sentences:
        paragraphs[s.paragraph].append({"index": s.index, "text": s.text, "used_by": used.get(s.index, [])})
    raw = source.clean.raw
    return {
        "id": source.id,
        "outlet": raw.name,
        "url": safe_url(raw.url),
        "path": raw.path,
        "title": source.clean.title or raw.name,
        "byline": source.clean.byline,
        "date": source.clean.date.isoformat() if source.clean.date else None,
        "paragraphs": paragraphs,
        "removed": [{"line": r.line, "text": r.text, "reason": r.reason, "kind": r.kind} for r in source.clean.removed],
        "href": f"{source.id}.html",
        "sentence_count": len(source.sentences),
    }


def digest_json(digest: StoryDigest) -> dict[str, Any]:
    """The machine-readable contract for one story (see README, "digest.json")."""
    return {
        "slug": digest.slug,
        "title": digest.title,
        "date": digest.date.isoformat() if digest.date else None,
        "tags": list(digest.tags),
        "draft": digest.draft,
        "sources": [
            {
                "id": s.id,
                "outlet": s.clean.raw.name,
                "url": s.clean.raw.url,
                "path": s.clean.raw.path,
                "title": s.clean.title,
                "byline": s.clean.byline,
                "published": s.clean.date.isoformat() if s.clean.date else None,
                "text": s.clean.text,
                "sentences": [{"index": x.index, "paragraph": x.paragraph, "text": x.text} for x in s.sentences],
                "removed": [
                    {"line": r.line, "text": r.text, "reason": r.reason, "kind": r.kind} for r in s.clean.removed
                ],
            }
            for s in digest.sources
        ],
        "summary": [
            {
                "id": s.id,
                "text": s.text,
                "claim": s.claim,
                "paragraph": s.paragraph,
                "sources": [
                    {"source": x.source, "sentence": x.sentence, "text": x.text, "score": x.score} for x in s.supports
                ],
            }
            for s in digest.summary
        ],
        "claims": [
            {
                "id": c.id,
                "position": c.position,
                "sources": list(c.source_ids),
                "members": [{"source": m.source, "sentence": m.sentence, "score": m.score} for m in c.members],
                "linked": [{"source": m.source, "sentence": m.sentence, "score": m.score} for m in c.linked],
            }
            for c in digest.claims
        ],
        "coverage": {s.id: [x.source for x in s.supports] for s in digest.summary},
        "differences": [
            {
                "claim": d.claim,
                "kind": d.kind,
                "variants": [
                    {
                        "source": v.source,
                        "sentence": v.sentence,
                        "text": v.text,
                        "values": list(v.values),
                    }
                    for v in d.variants
                ],
            }
            for d in digest.differences
        ],
        "only_in": [{"source": f.source, "sentence": f.sentence, "text": f.text} for f in digest.only_in],
        "decisions": [
            {"claim": d.claim, "outlets": d.outlets, "selected": d.selected, "reason": d.reason}
            for d in digest.decisions
        ],
        "warnings": list(digest.warnings),
    }


def digest_json_path(slug: str) -> str:
    return f"{slug}/digest.json"


def digest_json_bytes(digest: StoryDigest) -> bytes:
    """digest.json, the bytes ``json.dumps(..., indent=2, ensure_ascii=False)`` gives
    for a digest's values (two spaces a level, one value a line, text in UTF-8 as it
    is), ended by a newline. orjson writes a story's in 0.05 ms; the json module
    indents in pure Python, and even our own layout around its C encoder took 1.2 ms,
    8% of a story's build. (The two differ on fractions below 0.0001, which a digest
    does not hold: positions have four places, scores one.)"""
    return orjson.dumps(digest_json(digest), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
