"""Articles saved as Markdown (``.md``) reduced to the plain text the cleaner reads.

Reader-mode tools and web clippers save a page as Markdown: the headline as
``# ...``, emphasis as ``**...**``, links as ``[text](address)``. Read as plain
text, that syntax would reach the summary and the source pages ("The **harbour
bridge** reopened ..."). markdown-it-py (the parser the notes are rendered with)
finds the blocks; each becomes one line of its text alone, images and raw HTML
dropped, and remembers the Markdown line it starts on, so removed lines are
reported with line numbers of the file the user has (as for HTML, see html_text).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from digest.model import PlainText

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

MARKDOWN_SUFFIXES = (".md", ".markdown")


def looks_like_markdown(name: str) -> bool:
    return name.lower().endswith(MARKDOWN_SUFFIXES)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Raw HTML is recognised as such, to be dropped; no typographer: the article's
    # own quotes and dashes stay as they are.
    return MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table")


def markdown_to_text(markdown: str) -> PlainText:
    """One line per block (a heading, a paragraph, a list item, a table row), blocks
    separated by blank lines, each with the Markdown line it starts on."""
    lines: list[str] = []
    origins: list[int] = []
    row: list[str] | None = None  # the cells of the table row being read
    row_line = 0
    for token in _parser().parse(markdown):
        if token.type == "tr_open":
            row, row_line = [], _first_line(token)
        elif token.type == "tr_close" and row is not None:
            _add(lines, origins, " | ".join(cell for cell in row if cell), row_line)
            row = None
        elif token.type == "inline":
            text = _plain(token.children or [])
            if row is not None:
                row.append(text)
            else:
                _add(lines, origins, text, _first_line(token))
        elif token.type in ("fence", "code_block"):
            first = _first_line(token) + (token.type == "fence")  # (after the opening fence)
            for offset, code in enumerate(token.content.splitlines()):
                _add(lines, origins, code, first + offset)
    return PlainText("\n".join(lines), tuple(origins), ())


def _first_line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 1


def _add(lines: list[str], origins: list[int], text: str, line: int) -> None:
    text = " ".join(text.split())
    if not text:
        return
    if lines:
        lines.append("")
        origins.append(line)
    lines.append(text)
    origins.append(line)


def _plain(children: list[Token]) -> str:
    """An inline token's text: link texts without their addresses, code as it is,
    line breaks as spaces; images and raw HTML left out."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)
