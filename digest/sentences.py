"""Sentence segmentation for English news text.

A rule-based splitter: it finds every place a sentence could end (``.``, ``!``,
``?``, ellipses, each with any closing quotes or brackets) and decides from the
words on both sides. The hard cases in news text are abbreviations ("U.S.",
"Mr.", "Jan."), initials, decimals and money, quotes ending in ``."`` and list
markers; each has a rule below. Paragraphs never join: a heading without final
punctuation is a sentence of its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from digest.model import CleanSource, Sentence, SplitSource

# Titles that always precede a name: a period after them never ends a sentence.
PREPOSITIVE = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "mx",
        "dr",
        "prof",
        "rev",
        "fr",
        "sr",
        "st",
        "mt",
        "ft",
        "gen",
        "lt",
        "col",
        "maj",
        "capt",
        "cpt",
        "cmdr",
        "adm",
        "sgt",
        "cpl",
        "pvt",
        "sen",
        "rep",
        "gov",
        "pres",
        "supt",
        "det",
        "insp",
        "hon",
        "messrs",
        "mme",
        "mlle",
        "no",
        "nos",
        "nr",
        "vol",
        "vols",
        "art",
        "fig",
        "figs",
        "approx",
        "ca",
        "cf",
        "vs",
        "v",
        "op",
        "ch",
        "pt",
        "pts",
        "para",
        "sec",
        "secs",
        "n°",
    ]
)
# Abbreviations that may also end a sentence (then the next word is capitalised).
POSTPOSITIVE = frozenset(
    [
        "co",
        "corp",
        "inc",
        "ltd",
        "llc",
        "plc",
        "bros",
        "jr",
        "esq",
        "phd",
        "etc",
        "al",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "dept",
        "univ",
        "assn",
        "ave",
        "blvd",
        "rd",
        "st",
        "hwy",
        "est",
        "min",
        "max",
        "mins",
        "hr",
        "hrs",
        "sq",
        "km",
        "kg",
        "lb",
        "lbs",
        "oz",
        "ft",
        "yr",
        "yrs",
        "mo",
        "tel",
        "ext",
        "govt",
        "intl",
        "natl",
        "p",
        "pp",
    ]
)
# Capitalised words that usually open a sentence rather than continue a name:
# after "U.S." or an initial, "The" starts a sentence but "Government" does not.
STARTERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "there",
        "then",
        "thus",
        "so",
        "but",
        "and",
        "or",
        "yet",
        "nor",
        "for",
        "if",
        "when",
        "while",
        "after",
        "before",
        "as",
        "at",
        "by",
        "in",
        "on",
        "of",
        "to",
        "from",
        "with",
        "without",
        "about",
        "since",
        "although",
        "though",
        "because",
        "however",
        "meanwhile",
        "moreover",
        "still",
        "also",
        "instead",
        "indeed",
        "i",
        "he",
        "she",
        "it",
        "we",
        "they",
        "you",
        "his",
        "her",
        "its",
        "our",
        "their",
        "my",
        "your",
        "who",
        "what",
        "where",
        "why",
        "how",
        "which",
        "did",
        "do",
        "does",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "all",
        "some",
        "many",
        "most",
        "one",
        "two",
        "three",
        "several",
        "each",
        "both",
        "other",
        "another",
        "such",
    ]
)

# Where a sentence may end: a spaced ellipsis ". . .", dots "..", "…", runs of "!"
# and "?", or one period; then closing quotes and brackets. Each alternative opens
# with one literal character, so re skips to the next of those four characters
# instead of trying every alternative at every position (five times faster).
_END = re.compile(r"""(?P<end>\.(?:(?:[ ]\.){2,}|\.+)?|……*|![!?.]*|\?[!?.]*)(?P<close>["'”’)\]]*)""")
_LIST_MARKER = re.compile(r"(?:(?<=\s)|^)(?P<bullet>[•⁃▪●◦-]\s?)?(?P<mark>\d{1,3}|[a-z])(?P<punct>\.\)|\)|\.)(?=\s)")
_PROTECTED = re.compile(
    r"""(?:https?://|www\.)[^\s<>"]+[^\s<>".,;:!?)\]'”’]"""  # URLs
    r"""|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"""  # e-mail addresses
    r"""|\[\.\.\.\]|\[…\]"""  # elided text in brackets
)
_ABBREV_CHAIN = re.compile(r"^(?:[A-Za-z]\.){1,}[A-Za-z]$")  # "U.S" / "a.m" before the final "."


def split_paragraph(text: str) -> list[str]:
    """Split one paragraph into sentences; joined, they give back its words."""
    text = _normalise_space(text)
    if not text:
        return []
    pieces = []
    for item in _split_list_items(text):
        marker = _LIST_MARKER.match(item)
        head = marker.end() if marker else 0
        prose = list(_split_prose(item[head:]))
        if prose and head:
            prose[0] = item[:head] + prose[0]
        pieces.extend(prose or [item])
    return [p for p in (piece.strip() for piece in pieces) if p]


def split_text(text: str) -> list[str]:
    """Split text whose paragraphs are separated by blank lines."""
    return [s for para in re.split(r"\n\s*\n", text) for s in split_paragraph(para)]


def split_source(clean: CleanSource) -> SplitSource:
    """Number every body sentence of a source; the number is its anchor on the site."""
    sentences: list[Sentence] = []
    for p_index, paragraph in enumerate(clean.paragraphs):
        for text in split_paragraph(paragraph.text):
            sentences.append(Sentence(clean.raw.id, len(sentences) + 1, p_index, text))
    return SplitSource(clean, tuple(sentences))


def _normalise_space(text: str) -> str:
    # A line break after a space (or a hyphen) is wrapping; any other one ends a line
    # that stands alone, like an item of an unpunctuated list.
    stripped = text.strip()
    if "\n" not in stripped and "\t" not in stripped and "\u00a0" not in stripped and "  " not in stripped:
        return stripped  # one line of single spaces, as the cleaner leaves paragraphs
    text = re.sub(r"[ \t]+\n\s*", " ", text.strip())
    text = re.sub(r"\s*\n\s*", "\n", text)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _split_list_items(text: str) -> Iterator[str]:
    """Cut an inline enumerated list ("1) a 2) b", "a. x b. y") at its markers."""
    for line in text.split("\n"):
        # A list opens the line (see below): a first marker, at most 7 characters and
        # the space after it, starting by position 2, lies in the first 11.
        first = _LIST_MARKER.search(line, 0, 11)
        if first is None or first.start() > 2:
            yield line
            continue
        markers = list(_LIST_MARKER.finditer(line))
        starts = _consecutive_markers(markers)
        if len(starts) < 2 or starts[0] > 2:
            yield line
            continue
        bounds = [*starts, len(line)]
        if starts[0] > 0:
            yield line[: starts[0]]
        for begin, end in itertools.pairwise(bounds):
            yield line[begin:end]


def _consecutive_markers(markers: list[re.Match[str]]) -> list[int]:
    """Positions of the longest run of list markers that count up by one with the
    same punctuation, each the first such marker after the one before (of the
    longest runs, the one that starts first).

    Found in one pass from the last marker back, each marker's run being itself and
    the run of the next marker that follows it: a paragraph of 20,000 short
    sentences ("... b. ...") took a minute when every marker began a scan of all
    those after it."""
    after: list[int | None] = [None] * len(markers)  # the next marker of each one's run
    length = [1] * len(markers)
    nearest: dict[tuple[str, str, int], int] = {}  # (punctuation, kind, value) -> the next such marker
    for i in range(len(markers) - 1, -1, -1):
        punct, mark = markers[i].group("punct"), markers[i].group("mark")
        kind, value = ("number", int(mark)) if mark.isdigit() else ("letter", ord(mark))
        following = nearest.get((punct, kind, value + 1))
        if following is not None:
            after[i], length[i] = following, length[following] + 1
        nearest[(punct, kind, value)] = i
    if not markers:
        return []
    at: int | None = max(range(len(markers)), key=lambda i: (length[i], -i))
    run = []
    while at is not None:
        run.append(markers[at].start())
        at = after[at]
    return run


def _split_prose(text: str) -> Iterator[str]:
    # What _PROTECTED can match contains one of these; most sentences have none.
    if "@" in text or "[" in text or "http" in text or "www." in text:
        protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    else:
        protected = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if protected and any(a <= match.start() < b for a, b in protected):
            continue
        if end == len(text):  # the closing mark: a boundary, as _is_boundary would find
            yield text[start:end]
            start = end
        elif _is_boundary(text, match):
            if (
                match.group("end").count(". ") >= 3
                and text[match.start() - 1 : match.start()] != " "
                and text[end:].strip()
            ):
                # "compounds. . . . The": the attached period ends the sentence and the
                # spaced ellipsis opens the next one.
                end = match.start() + 1
            yield text[start:end]
            start = end
    if start < len(text):
        yield text[start:]


_NEXT_WORD = re.compile(r"""["'“‘(\[]*([^\s]*)""")


def _last_token(text: str) -> str:
    """The non-space characters that end ``text`` (as the regex ``\\S*$`` finds them,
    without trying every position: split() and ``\\s`` agree on what is a space)."""
    if text.endswith("\n"):
        text = text[:-1]  # "$" also matches before a final line break
    if not text or text[-1].isspace():
        return ""
    return text.rsplit(None, 1)[-1]


_GLUED_WORD = re.compile(r"[a-z]{2,}|[\d,]+")


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    end_mark, close = match.group("end"), match.group("close")
    after = text[match.end() : match.end() + 200]  # bounded looks keep long texts linear
    if after.startswith("\n"):
        return True
    rest = after.lstrip(" ")
    if not rest:
        return True
    gap = len(after) - len(rest)
    next_word = _NEXT_WORD.match(rest)
    word = next_word.group(1) if next_word else ""
    first = rest[0]
    opens_sentence = first.isupper() or first.isdigit() or (first in "\"'“‘([" and word[:1].isupper())
    if end_mark[0] in "!?":
        return gap > 0 and opens_sentence
    if end_mark.replace(" ", "") in ("...", "…") or end_mark == "…":
        # A three-dot ellipsis marks an omission inside the sentence.
        return False
    if len(end_mark.replace(" ", "")) >= 4 or end_mark.startswith(".."):
        return gap > 0 and opens_sentence
    # A single period.
    before = text[max(0, match.start() - 200) : match.start()]
    token = _last_token(before)
    bare = token.lstrip("\"'“‘([").lower()
    if not _ABBREV_CHAIN.match(bare) and "." in bare:
        bare = bare.rsplit(".", 1)[1]  # "tuesday.mr" after a missing space: judge "mr"
    if gap == 0:
        # Glued to the next word: a sentence end only in "world.Today" (two
        # ordinary words, no quote or bracket between), never inside a token.
        return not close and bool(_GLUED_WORD.fullmatch(bare)) and first.isupper()
    if not opens_sentence:
        return False
    if close:
        return True  # 'He said "no." Then ...': the quote closed the sentence
    if bare in PREPOSITIVE:
        return False
    if _ABBREV_CHAIN.match(bare) or (len(bare) == 1 and "a" <= bare <= "z"):
        # U.S. / E.U. / a.m. / an initial: continues a name unless a typical
        # sentence opener follows.
        return word.lower().strip("\"'“‘,") in STARTERS
    if bare in POSTPOSITIVE:
        return first.isupper() and not first.isdigit()
    return True
