"""Hard-wrapped articles (wire copy, newsletters, e-mail) joined back into paragraphs.

Text wrapped at a fixed width breaks every paragraph into lines of about that
width. The cleaner judges lines, and the sentence splitter never joins two, so
read as it is such an article becomes fragments: half a sentence is "a short line
unrelated to the story", and the other half no sentence at all. Wrapping leaves a
mark: the lines of a paragraph but its last are filled to near one width, and the
text's long lines are no longer than it (a pasted page's paragraphs are single
lines of any length). Each joined line remembers the file line it starts on.
"""

from __future__ import annotations

import re

from digest.model import PlainText

_LONGEST_WRAP = 120  # a text whose long lines run longer is not hard-wrapped
_MIN_LINES = 8  # too few long lines to tell a width by
# A line ending in a hyphen after a letter, before a letter: a word broken in two.
_BROKEN_WORD = re.compile(r"[^\W\d_]-$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")


def unwrapped(text: str) -> PlainText | None:
    """The text with its wrapped paragraphs joined, one per line; None when it is
    not hard-wrapped (most pasted pages): then it is read as it is."""
    lines = text.split("\n")
    lengths = [len(line.rstrip()) for line in lines]
    long = sorted(n for n in lengths if n >= 30)
    if len(long) < _MIN_LINES:
        return None
    width = long[(len(long) - 1) * 9 // 10]  # (a few lines may overrun: a long address, a table)
    if width > _LONGEST_WRAP:
        return None
    full = 0.75 * width
    continued = [lengths[i] >= full and i + 1 < len(lines) and lengths[i + 1] > 0 for i in range(len(lines))]
    ends = sum(1 for i, more in enumerate(continued) if more and _SENTENCE_END.search(lines[i].rstrip()))
    # Wrapped prose breaks mid-sentence (a line ends a sentence about one time in
    # six); text of one sentence a line is not wrapped, whatever its lengths.
    if sum(continued) < 0.3 * len(long) or ends > 0.4 * sum(continued):
        return None
    paragraphs: list[list[str]] = []
    origins: list[int] = []
    for number, line in enumerate(lines, start=1):
        if number > 1 and continued[number - 2] and paragraphs:
            paragraphs[-1].append(line.strip())
        else:
            paragraphs.append([line])
            origins.append(number)
    return PlainText("\n".join(map(_joined, paragraphs)), tuple(origins), ())


def _joined(lines: list[str]) -> str:
    """A paragraph's lines as one, a word broken at a hyphen made whole again."""
    if len(lines) == 1:
        return lines[0]
    parts = [lines[0].rstrip()]
    for line in lines[1:]:
        parts.append("" if _BROKEN_WORD.search(parts[-1]) and line[:1].isalpha() else " ")
        parts.append(line)
    return "".join(parts)
