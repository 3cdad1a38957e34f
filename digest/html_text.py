"""Saved web pages (``.html``) reduced to the plain text the cleaner reads.

Each block element becomes one line. Unlike pasted text, HTML still carries the
page's own structure, so a line inside ``<nav>``, ``<footer>``, ``<aside>``,
``<form>`` or ``<figcaption>`` (or an element whose class or id says "related",
"comments", "share", ...) gets a hint that the cleaner records as its reason.
Every text line remembers the HTML line it came from, so removed lines are
reported with line numbers of the file the user has.

The page is read by a small tokenizer of our own, in one pass: it never executes
anything, copes with broken markup as browsers do, and takes time in proportion to
the page's length, however hostile (see _parse); script, style and other non-text
elements are dropped.
"""

from __future__ import annotations

import re
from html import unescape

from digest.model import PlainText

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


def looks_like_html(name: str, text: str) -> bool:
    if name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


class _Extractor:
    """Turns the page's tokens into text blocks, each with its HTML line and the
    hint of the innermost element that gives one. Every step costs the same however
    deep the page nests or however many pieces a block has (a hostile page can have
    hundreds of thousands of either)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, int, tuple[str, str] | None]] = []
        self._parts: list[str] = []
        self._has_text = False  # whether a part holds more than white space
        self._start_line = 0
        # Open elements as (tag, the hint in force inside it: its own or the nearest
        # enclosing one's), and how many of each tag are open.
        self._stack: list[tuple[str, tuple[str, str] | None]] = []
        self._open: dict[str, int] = {}
        self._skip_depth = 0

    def _flush(self) -> None:
        if self._has_text:
            text = " ".join("".join(self._parts).split())
            self.blocks.append((text, self._start_line, self._stack[-1][1] if self._stack else None))
        self._parts = []
        self._has_text = False

    def start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self._skip_depth += 1
            return
        if tag in BLOCKS:
            self._flush()
        if tag in VOID:
            return  # void elements never close
        hint = LANDMARK_HINTS.get(tag)
        if hint is None:
            marker = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role"))
            if marker:
                hint = next((h for pattern, h in _CLASS_HINTS if pattern.search(marker)), None)
        if hint is None and self._stack:
            hint = self._stack[-1][1]
        self._stack.append((tag, hint))
        self._open[tag] = self._open.get(tag, 0) + 1

    def end(self, tag: str) -> None:
        if tag in SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in BLOCKS:
            self._flush()
        if not self._open.get(tag):
            return  # closes nothing open (looking would cost a walk of the whole stack)
        # The elements above the one closed close with it: each is walked past once.
        while True:
            closed, _ = self._stack.pop()
            self._open[closed] -= 1
            if closed == tag:
                break

    def data(self, text: str, line: int) -> None:
        if self._skip_depth:
            return
        if not self._has_text:
            self._start_line = line
            self._has_text = not text.isspace()
        self._parts.append(text)

    def close(self) -> None:
        self._flush()


# What the tokenizer matches at a position (see _parse). Names and values follow
# the HTML standard's tokenizer: a quoted value runs to its closing quote, an
# unquoted one to white space or ">".
_SPACE = "\t\n\f\r "
_TAG_NAME = re.compile(f"[A-Za-z][^{_SPACE}/>]*")
_ATTRIBUTE = re.compile(
    f"[{_SPACE}/]*"  # separators, a stray "/" among them
    f"(?:([^{_SPACE}/>][^{_SPACE}/=>]*)"  # a name (which may start with "=")
    f"(?:[{_SPACE}]*=[{_SPACE}]*(\"[^\"]*\"?|'[^']*'?|[^{_SPACE}>]*))?)?"
)
_COMMENT_END = re.compile(r"--!?>")
_RAW_TEXT = {tag: re.compile(f"</{tag}[{_SPACE}/>]", re.I) for tag in ("script", "style")}
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr"})


class _Lines:
    """The line of a position in ``text``, for positions asked in increasing order:
    each asks about the characters since the last only."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.line = 1

    def at(self, position: int) -> int:
        self.line += self.text.count("\n", self.position, position)
        self.position = position
        return self.line


def _parse(page: str, into: _Extractor) -> None:
    """Tokenize the page into ``into``'s start, end and data calls, in one pass.

    The standard library's ``html.parser`` scans to the end of the page again at
    each "<" of an unclosed tag, comment or declaration (fixed only in Python
    3.11.13, 3.12.11 and 3.13.5), so a hostile page of a few hundred kilobytes
    took minutes. Here, as in the HTML standard and in browsers, whatever is left
    open runs to the end of the page, so no character is looked at twice. A
    well-formed page gives the same calls as ``html.parser`` does.
    """
    size = len(page)
    lines = _Lines(page)
    text_start = position = 0

    def text_until(stop: int) -> None:
        if stop > text_start:
            into.data(unescape(page[text_start:stop]), lines.at(text_start))

    while True:
        position = page.find("<", position)
        if position < 0 or position + 1 >= size:
            break
        follower = page[position + 1]
        if _letter_at(page, position + 1):
            text_until(position)
            tag, attrs, closes, position = _tag(page, position + 1)
            if tag:
                into.start(tag, attrs)
                if closes:
                    into.end(tag)
                elif tag in _RAW_TEXT:  # script and style hold text, not markup
                    found = _RAW_TEXT[tag].search(page, position)
                    stop = found.start() if found else size
                    if stop > position:
                        into.data(page[position:stop], lines.at(position))
                    position = stop
        elif follower == "/":
            text_until(position)
            if page.startswith(">", position + 2):
                position += 3
            elif _letter_at(page, position + 2):
                tag, _, _, position = _tag(page, position + 2)
                if tag:
                    into.end(tag)
            else:  # "</" and no name: a bogus comment, to the next ">"
                position = _after(page, ">", position + 2)
        elif follower == "!":
            text_until(position)
            if page.startswith("<!--", position):
                if page.startswith(">", position + 4) or page.startswith("->", position + 4):
                    position = page.index(">", position + 4) + 1
                else:
                    found = _COMMENT_END.search(page, position + 4)
                    position = found.end() if found else size
            elif page.startswith("<![CDATA[", position):
                position = _after(page, "]]>", position + 9)
            else:  # a declaration (<!DOCTYPE html>) or a bogus comment
                position = _after(page, ">", position + 2)
        elif follower == "?":  # a processing instruction: a bogus comment
            text_until(position)
            position = _after(page, ">", position + 2)
        else:  # a "<" that opens nothing ("a < b") is text
            position += 1
            continue
        text_start = position
    text_until(size)


def _letter_at(page: str, position: int) -> bool:
    """Whether an ASCII letter is there: what makes "<" or "</" open a tag."""
    return position < len(page) and page[position].isascii() and page[position].isalpha()


def _after(page: str, end: str, start: int) -> int:
    """The position after the next ``end`` from ``start``, or the page's end."""
    found = page.find(end, start)
    return found + len(end) if found >= 0 else len(page)


def _tag(page: str, start: int) -> tuple[str, list[tuple[str, str | None]], bool, int]:
    """The tag whose name starts at ``start``: (name, attributes, whether it ends in
    "/>", the position after it). A tag the page leaves unclosed has no name: it runs
    to the end of the page and is dropped, as browsers drop it."""
    name = _TAG_NAME.match(page, start)
    assert name is not None  # (called at a letter)
    position = name.end()
    attrs: list[tuple[str, str | None]] = []
    while True:
        found = _ATTRIBUTE.match(page, position)
        assert found is not None  # (every part of the pattern may be empty)
        if found.group(1) is not None:
            value = found.group(2)
            if value is not None:
                if value[:1] in ("'", '"'):
                    value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
                value = unescape(value)
            attrs.append((found.group(1).lower(), value))
        elif page.startswith(">", found.end()):
            closes = found.end() > found.start() and page[found.end() - 1] == "/"
            return name.group().lower(), attrs, closes, found.end() + 1
        # (Each match takes a name or separators: only ">" or the page's end stop it.)
        position = found.end()
        if position >= len(page):
            return "", [], False, position


def html_to_text(html: str) -> PlainText:
    parser = _Extractor()
    _parse(html, parser)
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
    return PlainText("\n".join(lines), tuple(origins), tuple(hints))
