"""What each output depends on, as content hashes.

A story's key hashes its story file, the bytes of its sources, the settings and
digest's code: a story whose key is unchanged is not consolidated again. The
theme's signatures hash the templates each kind of page uses, so that an edit of
one template renders again only the pages that use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2
import jinja2.meta

from digest.cache import code_fingerprint
from digest.model import SiteConfig, StoryFile
from digest.render import FEED_CONTENT
from digest.theme import Theme


def story_key(file_hash: str, source_hashes: Sequence[str], summary_words: int) -> str:
    """A content hash of everything a story's digest depends on (``file_hash``:
    story_file_hash of its story file)."""
    h = hashlib.sha256(f"{code_fingerprint()}\0{summary_words}\0".encode())
    h.update(file_hash.encode())
    for source_hash in source_hashes:
        h.update(source_hash.encode())
    return h.hexdigest()


def story_file_hash(story_file: StoryFile) -> str:
    """A hash of what a parsed story file says (where it lies aside)."""
    return hashlib.sha256(repr(replace(story_file, file=Path(story_file.file.name))).encode()).hexdigest()


# The templates the renderer starts a page from (see render.py): a story's pages and
# listing view, and the site pages (feed_content.html too: the feeds render it for a
# view that lacks its own). Any other file counts only when one of these loads it.
STORY_TEMPLATES = ("story.html", "source.html", FEED_CONTENT)
SITE_TEMPLATES = (
    "index.html",
    "tags.html",
    "archives.html",
    "search.html",
    "search_text.js",
    "404.html",
    "feed.xml",
    "tag_feed.xml",
    "sitemap.xml",
    "sitemap_index.xml",
    FEED_CONTENT,
)


@dataclass(frozen=True)
class ThemeSignatures:
    """Hashes of what rendered pages depend on besides their stories: digest's code,
    the settings and the templates they use, apart for story pages, listing views
    and site pages, so that an edit of story.html renders no index page again and
    one of index.html no story page; base.html, which both extend, counts for both.
    Static files are copied, not rendered (restyling the CSS renders no page again);
    they count for the pages too when a template of theirs loads one, or loads a
    template by a name made at render time."""

    stories: str  # the story pages' (StoryState.signature)
    listings: str  # the listing views' (their feed content's; see listing_key)
    static: str  # the static files'
    # Each site page template's own, from what it loads: an edit of index.html renders
    # no feed, search shard or sitemap again (a site page's key holds its template's).
    pages: dict[str, str] = field(default_factory=dict)
    # What each template file loads, by its SHA-256 (see build.BuilderState.template_loads).
    loads: dict[str, tuple[str, ...] | None] = field(default_factory=dict, compare=False)

    @property
    def site(self) -> str:
        """The site pages' all together: changed by any edit that changes one's."""
        return hashlib.sha256(
            "\0".join(f"{name} {sig}" for name, sig in sorted(self.pages.items())).encode()
        ).hexdigest()


def theme_signatures(
    config: SiteConfig, theme: Theme, known: Mapping[str, tuple[str, ...] | None] | None = None
) -> ThemeSignatures:
    """``known``: what each template file loads, by its hash, as found before; only
    the files not there are parsed."""
    common = hashlib.sha256(code_fingerprint().encode())
    # (Whether drafts are built changes which stories are listed, not how a page looks.)
    common.update(repr(replace(config, summary_words=0, cache_dir="", output="", drafts=False)).encode())
    static = hashlib.sha256()
    # name -> each folder's file of that name (theme, overrides), as (SHA-256, label + name + bytes)
    templates: dict[str, list[tuple[str, bytes]]] = {}
    for label, folder in ((b"theme", theme.folder), (b"overrides", theme.overrides)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            data = name.encode() + b"\0" + path.read_bytes()
            if name.startswith("static/"):
                static.update(data)
            else:
                labelled = label + b"\0" + data
                templates.setdefault(name, []).append((hashlib.sha256(labelled).hexdigest(), labelled))

    loads: dict[str, tuple[str, ...] | None] = {}
    for versions in templates.values():
        for sha, data in versions:
            if known is not None and sha in known:
                loads[sha] = known[sha]
            else:
                loads[sha] = _loaded_templates(data.split(b"\0", 2)[2].decode("utf-8", "replace"))

    def signature(roots: Iterable[str]) -> str:
        h = common.copy()
        loads_static = False
        for name in sorted(_reached(templates, roots, loads)):
            for sha, data in templates[name]:
                h.update(data)
                loads_static = loads_static or _loads_static(loads[sha])
        if loads_static:
            h.update(static.digest())
        return h.hexdigest()

    stories, listings = signature(STORY_TEMPLATES), signature([FEED_CONTENT])
    pages = {name: signature([name]) for name in SITE_TEMPLATES}
    return ThemeSignatures(stories, listings, static.hexdigest(), pages, loads)


def _reached(
    templates: Mapping[str, Sequence[tuple[str, bytes]]],
    roots: Iterable[str],
    loads: Mapping[str, tuple[str, ...] | None],
) -> set[str]:
    """The template files that rendering ``roots`` may load: each root and what it
    extends, includes or imports, followed on; all of them when one names a template
    only at render time or cannot be read as one (it might load anything)."""
    found: set[str] = set()
    waiting = [name for name in roots if name in templates]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found.add(name)
        for sha, _ in templates[name]:
            loaded = loads[sha]
            if loaded is None:
                return set(templates)
            waiting.extend(other for other in loaded if other in templates)
    return found


def _loaded_templates(source: str) -> tuple[str, ...] | None:
    """The names a template extends, includes or imports, without a theme prefix
    ("!theme/base.html": base.html); None when one is made at render time or the
    text is no template Jinja can parse."""
    try:
        names = list(jinja2.meta.find_referenced_templates(jinja2.Environment().parse(source)))
    except jinja2.TemplateSyntaxError:
        return None
    if None in names:
        return None
    return tuple(name.split("/", 1)[1] if name.startswith("!") else name for name in names if name is not None)


def _loads_static(loaded: tuple[str, ...] | None) -> bool:
    """Whether a template (what it loads: see _loaded_templates) loads a static file,
    or may: it names what it loads at render time."""
    return loaded is None or any(name.startswith("static/") for name in loaded)


def site_pages_key(
    signatures: ThemeSignatures, story_keys: Mapping[str, str], copied: Mapping[str, tuple[str, str]]
) -> str:
    """What the site-wide pages are rendered from: the theme, the stories listed
    (slug -> story key, in site order) and the static files copied (output path ->
    (source, SHA-256)). Unchanged, a build renders no site page again."""
    parts = [
        signatures.stories,
        signatures.site,
        signatures.static,
        *(f"{slug} {key}" for slug, key in story_keys.items()),
        *(f"{path} {sha}" for path, (_, sha) in copied.items()),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def listing_key(key: str, signature: str) -> str:
    """The key of a story's listing view: its story key and ThemeSignatures.listings
    (a story.html edit changes no view, so no index page is rendered again)."""
    return f"{key[:32]}-{signature[:32]}"
