"""Saved web pages (``.html``) reduced to the plain text the cleaner reads.

Each block element becomes one line. Unlike pasted text, HTML still carries the
page's own structure, so a line inside ``<nav>``, ``<footer>``, ``<aside>``,
``<form>`` or ``<figcaption>`` (or an element whose class or id says "related",
"comments", "share", ...) gets a hint that the cleaner records as its reason.
Every text line remembers the HTML line it came from, so removed lines are
reported with line numbers of the file the user has.

Only the standard library's tokenizer is used: it never executes anything and
copes with broken markup; script, style and other non-text elements are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "iframe",
        "object",
        "canvas",
        "select",
    }
)
BLOCKS = frozenset(
    """address article aside blockquote br caption dd details div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td
    tfoot th thead tr ul""".split()
)
LANDMARK_HINTS = {
    "nav": ("navigation", "in the page's navigation (<nav>)"),
    "footer": ("footer", "in the page footer (<footer>)"),
    "aside": ("related", "in a sidebar (<aside>)"),
    "form": ("comments", "in a form (<form>)"),
    "figcaption": ("caption", "image caption (<figcaption>)"),
}
_CLASS_HINTS = (
    (
        re.compile(r"related|recommend|more-stories|read-next|trending|popular", re.I),
        ("related", "in a block of links to other articles"),
    ),
    (re.compile(r"comment|reply|discuss", re.I), ("comments", "in the comments section")),
    (re.compile(r"share|social", re.I), ("share", "in a share bar")),
    (re.compile(r"newsletter|subscribe|signup", re.I), ("newsletter", "in a newsletter box")),
    (re.compile(r"cookie|consent|gdpr", re.I), ("cookies", "in a cookie banner")),
    (
        re.compile(r"\b(?:ad|ads|advert\w*|promo\w*|sponsor\w*)\b", re.I),
        ("ad", "in an advertisement"),
    ),
    (re.compile(r"caption|credit", re.I), ("caption", "image caption or credit")),
    (re.compile(r"byline|author", re.I), ("byline", "byline or author box")),
    (re.compile(r"breadcrumb|menu|navbar|skip", re.I), ("navigation", "in the page's navigation")),
)


@dataclass(frozen=True)
class HtmlText:
    text: str  # one block per line, blocks separated by blank lines
    origins: tuple[int, ...]  # for text line i (1-based), origins[i - 1] is its HTML line
    hints: tuple[tuple[int, str, str], ...]  # (text line, kind, reason)


def looks_like_html(name: str, text: str) -> bool:
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, int, tuple[str, str] | None]] = []
        self._parts: list[str] = []
        self._start_line = 0
        self._stack: list[tuple[str, tuple[str, str] | None]] = []
        self._skip_depth = 0

    def _hint(self) -> tuple[str, str] | None:
        for _, hint in reversed(self._stack):
            if hint is not None:
                return hint
        return None

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._parts)).strip()
        if text:
            self.blocks.append((text, self._start_line, self._hint()))
        self._parts = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self._skip_depth += 1
            return
        if tag in BLOCKS:
            self._flush()
        if tag in ("br", "hr", "img", "input", "meta", "link", "wbr"):
            return  # void elements never close
        hint = LANDMARK_HINTS.get(tag)
        if hint is None:
            marker = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role"))
            if marker:
                hint = next((h for pattern, h in _CLASS_HINTS if pattern.search(marker)), None)
        self._stack.append((tag, hint))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in BLOCKS:
            self._flush()
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._parts or not "".join(self._parts).strip():
            self._start_line = self.getpos()[0]
        self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_text(html: str) -> HtmlText:
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    lines: list[str] = []
    origins: list[int] = []
    hints: list[tuple[int, str, str]] = []
    for text, html_line, hint in parser.blocks:
        if lines:
            lines.append("")
            origins.append(html_line)
        lines.append(text)
        origins.append(html_line)
        if hint is not None:
            hints.append((len(lines), hint[0], hint[1]))
    return HtmlText("\n".join(lines), tuple(origins), tuple(hints))
