"""Editor's notes: their Markdown rendered, and their links to the site checked.

A note links to other stories, tag pages or files of the static folder by
relative address (``../other-story/``). Such a link that leads to no file of the
built site is reported as ``story file:line``, as MkDocs reports a page's broken
links: a story renamed or removed leaves no dead link unnoticed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from digest.words import strip_invisible

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

    from digest.model import StoryFile


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = strip_invisible(url).strip()
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in ("http", "https") else None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """The notes' Markdown, made on first use: markdown-it is imported only by a build
    that renders or checks a note (0.02 s a one-story edit without one never pays)."""
    from markdown_it import MarkdownIt

    # Raw HTML off: an editor's note can format text but never inject markup.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])  # as GitHub writes Markdown
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    return md


def _link_allowed(url: str) -> bool:
    """http(s) links and relative links; no other scheme (javascript:, data:, file:)."""
    head = url.split("/")[0].split("#")[0].split("?")[0]
    return safe_url(url) is not None or ":" not in head


def render_note(note: str) -> str:
    return str(_parser().render(strip_invisible(note)))


def note_links(note: str) -> tuple[tuple[str, int], ...]:
    """Each link and image address of a note, with the note's line (from 0) it is
    on, in order. A note without "](" or "]:" or "<" has none: it is not parsed."""
    if "](" not in note and "]:" not in note and "<" not in note:
        return ()
    found = []
    for block in _parser().parse(strip_invisible(note)):
        if block.type != "inline" or not block.children:
            continue
        line = block.map[0] if block.map else 0
        for token in block.children:
            address = token.attrGet("href") if token.type == "link_open" else token.attrGet("src")
            if token.type in ("link_open", "image") and isinstance(address, str):
                found.append((address, line))
    return tuple(found)


def broken_links(story_file: StoryFile, site_files: Collection[str], base_url: str) -> list[str]:
    """Warnings for the note's links into the site that lead to no file of it
    (``site_files``: every output path). Relative addresses are read from the
    story's page (``<slug>/``); absolute ones count when under ``base_url``."""
    warnings = []
    base_path = urlsplit(base_url).path or "/"
    for address, line in story_file.note_links:
        target = _site_path(address, f"{story_file.slug}/", base_url, base_path)
        if target is None or target in site_files or f"{target}/index.html".lstrip("/") in site_files:
            continue
        shown = f"{story_file.file}:{story_file.note_line + line}"
        warnings.append(f"{shown}: link {address!r} leads to no page or file of the site")
    return warnings


def _site_path(address: str, page_folder: str, base_url: str, base_path: str) -> str | None:
    """The output path a link points at ("" and "x/" mean their index.html), or None
    for one outside the site or to the page itself (a fragment, a query)."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc:
        if not address.startswith(base_url):
            return None  # another site
        parts = urlsplit(address[len(base_url) - 1 :])  # (from the site's own "/")
        path = unquote(parts.path)[1:]
    elif parts.path.startswith("/"):
        if not parts.path.startswith(base_path):
            return None  # (a path of the host outside the site: not ours to judge)
        path = unquote(parts.path)[len(base_path) :]
    elif not parts.path:
        return None  # "#fn-1", "?q=": this page
    else:
        path = posixpath.normpath(posixpath.join(page_folder, unquote(parts.path)))
        if path == ".":
            path = ""
        elif path.startswith("../") or path == "..":
            return "../"  # above the site's root: no file of it
        if parts.path.endswith("/") and path:
            path += "/"
    return path + "index.html" if path.endswith("/") or not path else path
