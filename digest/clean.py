"""Strip page clutter from pasted articles, keeping headline and body.

Pasted text has none of the DOM cues HTML extractors rely on, so the evidence here
is what a reader uses:

* shape: prose lines are long, end in sentence punctuation and are dense in stop
  words (the jusText idea); menus, headings and lists are short and are not;
* agreement with the story: a line whose words the *other sources of the same
  story* also use belongs to the story, an unrelated headline list does not;
* position: the body is one contiguous run of lines, found as the run with the
  highest total score (a maximum-sum subarray), so a weak body sentence between
  strong ones stays and a plausible line after the footer does not;
* recognisable kinds of non-body text: dates, reading times, captions (repeated
  or marked like "(left)"), reporting credits, bylines and generic boilerplate.

Every line left out is recorded with a reason a person understands.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process

from digest.model import CleanSource, Paragraph, RawSource, Removed
from digest.words import (
    STOP_WORDS,
    fold_lower,
    lowered_for_caseless_patterns,
    matching_form,
    strip_invisible,
    words,
)

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = (
    re.compile(rf"(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})", re.I),
    re.compile(rf"(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH}),?\s+(?P<year>\d{{4}})", re.I),
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})"),
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?,?\s*)?"
_TIME = r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?"
_DATE_LINE = re.compile(
    rf"^(?:published|updated|posted|last updated)?:?\s*{_WEEKDAY}"
    rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}){_TIME}$",
    re.I,
)
_RELATIVE_TIME = re.compile(
    r"^(?:updated|posted|published|last updated)?:?\s*(?:\d+|an?|one)\s+"
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago$",
    re.I,
)
_READING_TIME = re.compile(r"^\d+\s*(?:min(?:ute)?s?)\.?\s*(?:read|reading)$", re.I)
_CREDIT = re.compile(
    r"^\(?(?:with\s+)?(?:additional\s+)?(?:reporting|writing|editing|compiled|research)\s+by\b",
    re.I,
)
# The name, then perhaps what pages put after it: "By Tom Berg | Reuters", "· 3 min read".
_BYLINE = re.compile(
    r"^(?:by|author|written by|posted by|words by)\s*:?\s+(?P<name>[^\d|·•–—]{3,60}?)(?:\s+[|·•–—]\s.*)?$", re.I
)
_CAPTION_POSITION = re.compile(
    r"\((?:left|right|centre|center|l|r|c|top|bottom|front|back|second left|second right|"
    r"from left|pictured|file|file photo|photo|archive)\)",
    re.I,
)
# What may close a sentence after its final mark.
_CLOSERS = "\"'”’)]"


def _ends_sentence(text: str) -> bool:
    """Whether a line (stripped) ends as a sentence does: a final mark, perhaps
    followed by closing quotes and brackets, or a closing double quote."""
    return text.rstrip(_CLOSERS)[-1:] in (".", "!", "?", "…") or text.endswith(('"', "”"))


# Generic page furniture, by kind: (kind, reason, patterns). They apply to short
# lines only, so an article sentence that mentions "cookies" or "comments" is safe.
_FURNITURE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "cookies",
        "cookie or privacy notice",
        (
            r"\bcookies?\b",
            r"\bconsent\b",
            r"\bprivacy (?:policy|settings)\b",
            r"^manage preferences$",
            r"^accept(?: all)?$",
        ),
    ),
    (
        "comments",
        "comment form",
        (
            r"\bleave a (?:reply|comment)",
            r"\bcomments?\b",
            r"\breply\b",
            r"\byour email address",
            r"\bspam\b",
            r"\brequired fields",
            r"\blog ?in to\b",
            r"\bsign in to\b",
        ),
    ),
    (
        "newsletter",
        "newsletter prompt",
        (r"\b(?:subscribe|newsletter|sign ?up|inbox|unsubscribe)\b",),
    ),
    (
        "share",
        "share buttons",
        (
            r"^(?:share|tweet|email|print|copy link|facebook|twitter|whatsapp|linkedin|telegram|reddit|pinterest)"
            r"(?:\W+(?:share|tweet|email|print|copy link|facebook|twitter|x|whatsapp|linkedin|telegram|reddit|"
            r"pinterest|on))*\W*$",
            r"\bshare (?:this|on|via)\b",
        ),
    ),
    (
        "navigation",
        "navigation",
        (
            r"\b(?:accessibility|skip to|main menu|go ?to ?top|back to top|breaking news)\b",
            r"\b(?:previous|next) (?:story|article|post)\b",
            r"\bread more\b",
            r"\bclick here\b",
            r"\bhome ?page\b",
            r"\bsearch\b",
            r"^(?:menu|home|close|open)$",
        ),
    ),
    (
        "related",
        "link to other articles",
        (
            r"\b(?:related|recent posts|latest (?:from|news|stories)|don'?t miss|also read|read also)\b",
            r"\b(?:more from|recommended|most (?:read|popular)|trending|you may also like|more stories)\b",
            r"\b(?:top stories|see also)\b",
        ),
    ),
    (
        "legal",
        "legal notice",
        (r"©", r"\bcopyright\b", r"\ball rights reserved\b", r"\bterms of (?:use|service)\b"),
    ),
    (
        "feedback",
        "error-report or feedback prompt",
        (
            r"\b(?:typo|spelling error|ctrl\s*\+\s*enter)\b",
            r"\breport an? (?:error|mistake|correction)\b",
            r"^(?:was|is) this (?:article|story|page) (?:helpful|useful)",
        ),
    ),
    (
        "comment-count",
        "comment or share count",
        (
            r"^\d+\s+(?:comments?|replies|shares|views)$",
            r"^(?:view|show|read) comments?\b",
            r"^be the first to comment",
            r"^join the (?:conversation|discussion)",
            r"^comments are (?:closed|open)",
        ),
    ),
    (
        "ad",
        "advertisement",
        (
            r"^\W*(?:advertisement|advertising|ad|sponsored(?: content| post| story)?|promoted(?: content)?)\W*$",
            r"^\W*(?:paid (?:content|post|partnership)|partner content|story continues below(?: advertisement)?)\W*$",
        ),
    ),
    (
        "photo-credit",
        "photo caption or credit",
        (
            r"^\(?(?:photo|image|picture|video|illustration)s?(?: credit)?\s*(?::|by\b|courtesy\b)",
            r"\b(?:getty images|ap photo|afp photo|reuters photo)\b",
            r"^caption\s*:",
            r"\bcredit\s*:",
        ),
    ),
    (
        "media",
        "video or audio link",
        (
            r"^(?:watch|video|listen|audio|podcast|gallery|photos|in pictures)\s*:",
            r"\(\d{1,2}:\d{2}\)\s*$",
        ),
    ),
    (
        "media",
        "media placeholder",
        (r"^\W*(?:\d+x\d+\s+)?(?:image|video|photo|gallery|audio|watch|listen)\W*$",),
    ),
    (
        "tags",
        "topic tags",
        (r"^(?:topics?|tags?|filed under|categories|category|keywords|more on)\s*:",),
    ),
    (
        "listen",
        "audio player",
        (r"^(?:listen to (?:this|the) (?:article|story)|\d+\s*min(?:ute)?s?\s*(?:listen|watch)?)\W*$",),
    ),
    (
        "author",
        "author bio",
        (
            r"^(?:author|function|role|position|editor)\s*:",
            r"^about the (?:author|writer|reporter)\b",
        ),
    ),
)
BOILERPLATE: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (kind, re.compile("|".join(f"(?:{p})" for p in patterns), re.I), reason) for kind, reason, patterns in _FURNITURE
)


def _top_level_branch(pattern: str) -> bool:
    """Whether ``pattern`` has a "|" outside every group and character class."""
    depth, in_class, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def _union(patterns: Sequence[str], flags: re.RegexFlag = re.I) -> re.Pattern[str]:
    """One pattern that matches a text exactly when one of ``patterns`` does. Those
    opening with \\b or ^ share one test of it (\\bX|\\bY is \\b(?:X|Y)), which
    makes the union several times faster to search than the patterns one by one."""
    groups: dict[str, list[str]] = {r"\b": [], "^": [], "": []}
    for pattern in patterns:
        opening = next((o for o in (r"\b", "^") if pattern.startswith(o)), "")
        if opening and _top_level_branch(pattern):
            opening = ""  # "\\bX|Y": the opening belongs to X alone
        groups[opening].append(pattern[len(opening) :])
    parts = [f"{opening}(?:{'|'.join(f'(?:{p})' for p in found)})" for opening, found in groups.items() if found]
    return re.compile("|".join(parts), flags)


# Most lines are no furniture: one search of the union tells, before BOILERPLATE's
# kinds are tried in order.
_FURNITURE_PATTERNS = [p for _, _, patterns in _FURNITURE for p in patterns]
# Case-sensitive, for lower-cased text (see lowered_for_caseless_patterns).
_ANY_FURNITURE_LOWER = _union(_FURNITURE_PATTERNS, re.RegexFlag(0))


@lru_cache(maxsize=1)
def _any_furniture_caseless() -> re.Pattern[str]:
    """The union ignoring case, for the rare text lower case is not safe for: made
    when first needed, as compiling it is a sixth of what importing this module costs."""
    return _union(_FURNITURE_PATTERNS)


def _any_furniture(text: str) -> bool:
    lowered = lowered_for_caseless_patterns(text)
    if lowered is not None:
        return _ANY_FURNITURE_LOWER.search(lowered) is not None
    return _any_furniture_caseless().search(text) is not None


_HEADING_RELATED = re.compile("|".join(f"(?:{p})" for p in _FURNITURE[5][2]) + r"|\bdon'?t miss\b|\bnews$", re.I)


class _Line:
    """One non-empty line of a source, with what its text alone says about it.

    That part is computed once per distinct text (see ``_shape``): an outlet's
    menus and footers recur word for word in all of its articles.
    """

    __slots__ = (
        "content",
        "content_set",
        "folded",
        "joined",
        "kind",
        "n_words",
        "number",
        "prose",
        "stop_density",
        "terminal",
        "text",
    )

    def __init__(self, number: int, text: str) -> None:
        self.number = number
        (
            self.text,
            self.content,
            self.n_words,
            self.stop_density,
            self.terminal,
            self.folded,
            self.prose,
            self.kind,
            self.content_set,
            self.joined,
        ) = _shape(text)


class _Shape(NamedTuple):
    text: str
    content: tuple[str, ...]  # the words as compared (matching_form)
    n_words: int
    stop_density: float
    terminal: bool
    folded: str  # as lines are compared for sameness: typography folded, lower case
    prose: bool  # shaped like article prose: a sentence, not a label or a headline
    kind: tuple[str, str] | None  # a recognisable kind of non-body line
    content_set: frozenset[str]  # of content
    joined: str  # content as one string, as rapidfuzz compares lines


@lru_cache(maxsize=1 << 15)
def _shape(text: str) -> _Shape:
    tokens = words(text)
    n_words = len(tokens)
    stop_density = sum(map(STOP_WORDS.__contains__, tokens)) / max(1, n_words)
    terminal = _ends_sentence(text)
    prose = (n_words >= 15 and stop_density >= 0.2) or (n_words >= 6 and terminal and stop_density >= 0.25)
    content = matching_form(text)
    folded = fold_lower(text)
    shape = _Shape(
        text,
        content,
        n_words,
        stop_density,
        terminal,
        folded,
        prose,
        None,
        frozenset(content),
        " ".join(content),
    )
    kind = _kind(shape, tokens)  # (the words are not kept: they were 40% of an entry's memory)
    return shape if kind is None else shape._replace(kind=kind)


def clean_story(sources: Sequence[RawSource]) -> tuple[CleanSource, ...]:
    """Clean every source of a story, each judged against the others.

    Two passes: the first judges each source against everything the others
    contain; the second against the others' bodies only, so that one outlet's
    clutter (a bio, a blurb) never vouches for another's.
    """
    lines = [_lines(s.text) for s in sources]
    own = [_own_agreement(ls) for ls in lines]
    # Short lines found word for word in several sources are shared furniture:
    # they may not vouch for anything (see _reported_elsewhere).
    seen_in: dict[str, set[int]] = {}
    for j, ls in enumerate(lines):
        for line in ls:
            if line.n_words < 12:
                seen_in.setdefault(line.folded, set()).add(j)
    shared = {text for text, where in seen_in.items() if len(where) > 1}
    usable = [[line for line in ls if line.folded not in shared] for ls in lines]
    no_captions: list[frozenset[str]] = [frozenset() for _ in sources]
    first, supported, index = _clean_all(sources, lines, own, usable, no_captions)
    if len(sources) < 2:
        return first
    bodies = [frozenset(_body_text_lines(c)) for c in first]
    usable = [[line for line in ls if line.number in bodies[j]] for j, ls in enumerate(usable)]
    # What pass 1 took out of a source as a caption (printed twice, a <figcaption>,
    # "(left)") is a caption wherever it appears, even without a cue there.
    captions = [frozenset(fold_lower(r.text) for r in c.removed if r.kind == "caption") for c in first]
    return _clean_all(sources, lines, own, usable, captions, (supported, index))[0]


def _clean_all(
    sources: Sequence[RawSource],
    lines: Sequence[list[_Line]],
    own: Sequence[_Own],
    usable: Sequence[list[_Line]],
    captions: Sequence[frozenset[str]],
    wider: tuple[Sequence[dict[int, tuple[int, int]]], _LineIndex] | None = None,
) -> tuple[tuple[CleanSource, ...], list[dict[int, tuple[int, int]]], _LineIndex]:
    """Clean each source; ``own[j]`` holds what source j's own prose says of its lines,
    ``usable[j]`` the lines of source j others may cite and ``captions[j]`` the
    (folded) texts source j removed as captions. Also returns the lines of each
    source that others support (see _reported_elsewhere) and the index of the
    usable lines. ``wider`` holds those two from a pass over more usable lines:
    that pass's support bounds this one's."""
    vocabularies = [frozenset().union(*(line.content_set for line in ls)) for ls in usable]
    evidence_index = _LineIndex(usable, wider[1] if wider is not None else None)
    # The words the other sources use (their usable lines only): the union of the
    # sources before and of those after each, from running unions both ways.
    nothing: frozenset[str] = frozenset()
    before = list(itertools.accumulate(vocabularies, operator.or_, initial=nothing))
    after = list(itertools.accumulate(reversed(vocabularies), operator.or_, initial=nothing))[::-1]
    cleaned: list[CleanSource] = []
    supported_lines: list[dict[int, tuple[int, int]]] = []
    for index, source in enumerate(sources):
        # None: judged alone, as a story's only source is, also when the others have
        # no usable line (empty files), or every line of this one would be "unrelated".
        others = (before[index] | after[index + 1]) or None
        other_captions = frozenset().union(*(c for j, c in enumerate(captions) if j != index))
        only = wider[0][index] if wider is not None else None
        supported = _reported_elsewhere(lines[index], index, evidence_index, only)
        supported_lines.append(supported)
        # Fewer words in the others than in this article's prose (one short companion):
        # they cannot vouch for all of it (see _score, _prose_continues).
        thin = others is not None and len(others) < own[index].words
        agreement = own[index].agreement
        result = _clean(source, lines[index], agreement, others, other_captions, set(supported), thin=thin)
        if others is not None and not result.paragraphs:
            # Nothing of it is in the rest of the story (the other source is another
            # story's, or an error page): judged alone, as a story's only source is.
            result = _clean(source, lines[index], agreement, None, other_captions, set(supported))
        cleaned.append(result)
    return tuple(cleaned), supported_lines, evidence_index


def _body_text_lines(clean: CleanSource) -> list[int]:
    """Text line numbers (not file lines) of a cleaned source's headline and body."""
    wanted = {p.line for p in clean.paragraphs} | ({clean.title_line} if clean.title_line else set())
    raw = clean.raw
    return [n for n in range(1, raw.text.count("\n") + 2) if raw.file_line(n) in wanted]


def clean_source(source: RawSource) -> CleanSource:
    """Clean a source that has no companions (judged against itself only)."""
    return clean_story([source])[0]


def _lines(text: str) -> list[_Line]:
    result = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = " ".join(strip_invisible(raw).split())  # split(): the same whitespace as re's \s
        if line:
            result.append(_Line(number, line))
    return result


class _Own(NamedTuple):
    """What an article's own prose says of its lines. The same in both cleaning passes."""

    agreement: dict[int, float]  # by line number: the share of its words the other prose lines use
    words: int  # distinct words of its prose


def _own_agreement(lines: Sequence[_Line]) -> _Own:
    """For each line, the share of its words that the article's own other prose
    lines use (a list of facts repeats the article's numbers and names; an
    unrelated headline list does not)."""
    counts = Counter(itertools.chain.from_iterable(line.content_set for line in lines if line.prose))
    once = frozenset(counts)
    twice = frozenset(w for w, n in counts.items() if n > 1)
    # A prose line's own words count once in ``once``: another prose line must have them too.
    agreement = {
        line.number: sum(map((twice if line.prose else once).__contains__, line.content)) / len(line.content)
        for line in lines
        if line.content
    }
    return _Own(agreement, len(once))


def _relevance(line: _Line, others: frozenset[str] | None, own: dict[int, float]) -> float:
    """Share of the line's words that the rest of the story also uses.

    Two measures, the higher wins: the words other sources of the story use, and
    the words of the article's own other prose lines (``own``, by line number).
    """
    content = line.content
    if not content:
        return 0.0
    local = own[line.number]
    if others is None:
        return local
    cross = sum(map(others.__contains__, content)) / len(content)
    # Own-article agreement is weaker evidence than another outlet's.
    return max(cross, local * 0.9)


# Imperatives that open calls to action; an article sentence rarely starts so.
_CALL_TO_ACTION = re.compile(
    r"^(?:don'?t miss|get|download|subscribe|sign (?:up|in)|follow|click|tap|share|join|register|"
    r"continue reading|keep reading|read (?:more|next|the full)|watch|listen|try|support|donate|"
    r"install|upgrade|log ?in|become a (?:member|subscriber))\b",
    re.I,
)
_READER = re.compile(
    r"\b(?:you|your|yours|you'?re|you'?ll)\b"
    r"|\bour (?:app|newsletter|journalism|site|website|readers|editors|team|coverage|podcast|channel)\b",
    re.I,
)


def _addresses_reader(line: _Shape) -> bool:
    """A short line speaking to the reader outside any quotation: promotion.

    News prose reports on third parties; "you" and "our app" appear in its
    quotations, which are left out of this test.
    """
    if line.n_words > 20:
        return False
    unquoted = re.sub(r"[\"“][^\"“”]*[\"”]|‘[^‘’]*’", " ", line.text).strip()
    return bool(_CALL_TO_ACTION.match(unquoted) or _READER.search(unquoted))


# A photo credit run into its caption: "Sergey Lavrov(AP Photo)".
_PHOTO_CREDIT = re.compile(r"\w\((?:[A-Z][\w ./&-]{1,30})\)$")


def _kind(line: _Shape, tokens: Sequence[str]) -> tuple[str, str] | None:
    """A recognisable non-body line (of those ``tokens``), as (kind, reason)."""
    text = line.text
    if _DATE_LINE.match(text):
        return "date", "date line"
    if _RELATIVE_TIME.match(text):
        return "date", "timestamp"
    if _READING_TIME.match(text):
        return "reading-time", "reading-time line"
    if _CREDIT.match(text):
        return "credit", "reporting credit"
    if _BYLINE.match(text) and line.n_words <= 8 and not line.terminal:
        return "byline", "byline"
    if _CAPTION_POSITION.search(text) and line.n_words <= 40:
        return "caption", "image caption (names who is pictured where)"
    if not line.terminal and line.n_words <= 30 and text.endswith(")") and _PHOTO_CREDIT.search(text):
        return "caption", "image caption with a photo credit"
    # (A line with no letter at all falls under this too: lines are never blank.)
    if _letters_below(text, 0.5 * len(text.replace(" ", ""))):
        return "junk", "not text (numbers or symbols)"
    if (line.n_words <= 25 or not line.prose) and _any_furniture(text):
        for kind, pattern, reason in BOILERPLATE:
            if pattern.search(text):
                return kind, reason
    if _addresses_reader(line):
        return "promotion", "addressed to the reader (a call to action or promotion)"
    if line.n_words <= 8 and re.search(r"\d", text) and line.stop_density == 0 and not line.prose:
        numeric = sum(any(ch.isdigit() for ch in t) for t in tokens)
        if numeric * 2 >= len(tokens):
            return "junk", "not text (numbers or symbols)"
    return None


# Every byte but the ASCII letters (UTF-8 encodes the other characters in bytes >= 128).
_NOT_ASCII_LETTER_BYTES = bytes(c for c in range(256) if not (c < 128 and chr(c).isalpha()))


def _letters_below(text: str, bound: float) -> bool:
    """Whether fewer than ``bound`` characters are letters (``str.isalpha``). The
    ASCII letters are counted in one C call; the others only when those fall short."""
    ascii_letters = len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_LETTER_BYTES))
    if ascii_letters >= bound or text.isascii():
        return ascii_letters < bound
    return sum(map(str.isalpha, text)) < bound


def _clean(
    source: RawSource,
    lines: list[_Line],
    own: dict[int, float],
    others: frozenset[str] | None,
    other_captions: frozenset[str],
    supported: set[int],
    thin: bool = False,
) -> CleanSource:
    if not lines:
        return CleanSource(raw=source, title=None, paragraphs=(), removed=())
    line_of = source.file_line  # what the user's file numbers the line (see RawSource)
    kinds: dict[int, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for line in lines:
        key = line.folded
        if key in seen:
            kinds[line.number] = (
                "duplicate",
                f"repeats line {line_of(seen[key])} (a caption or heading printed twice)",
            )
            first = seen[key]
            if first not in kinds and not _is_long_prose(lines, first):
                kinds[first] = ("caption", "image caption (printed twice)")
            continue
        seen[key] = line.number
        found = line.kind
        if found is None and key in other_captions:
            found = ("caption", "image caption (another source prints it as a caption)")
        if found:
            kinds[line.number] = found
    relevance = {line.number: _relevance(line, others, own) for line in lines}
    long_prose = {line.number for line in lines if line.prose and line.n_words >= 25}
    for number, hint_kind, hint_reason in source.hints:  # the HTML page's own structure
        # The page's markup wins, except over long prose another outlet also
        # reports: that is body text inside a mislabelled element.
        duplicate = kinds.get(number, ("",))[0] == "duplicate"
        if not duplicate and not (number in supported and number in long_prose):
            kinds[number] = (hint_kind, hint_reason)

    alone = others is None
    scores = [
        _score(line, kinds.get(line.number), relevance[line.number], line.number in supported, alone, thin)
        for line in lines
    ]
    start, end = _best_run(scores)
    if thin and end >= 0:
        end = _prose_continues(lines, end, kinds, relevance)

    title_index = _title_index(lines, start, kinds, relevance)
    # The headline can sit first in the run when nothing marks it off from the body.
    body_start = start if title_index is None or title_index < start else title_index + 1
    body_start = max(body_start, start)

    removed: list[Removed] = []
    paragraphs: list[Paragraph] = []
    byline = None
    date = None
    trailing_heading: str | None = None
    for i, line in enumerate(lines):
        kind = kinds.get(line.number)
        if i == title_index:
            continue
        if kind and kind[0] == "date" and date is None and i < body_start:
            date = parse_date(line.text)
        if kind and kind[0] == "byline" and byline is None:
            match = _BYLINE.match(line.text)
            byline = match.group("name").strip() if match else None
        if body_start <= i <= end:
            if kind:
                removed.append(Removed(line_of(line.number), line.text, kind[1], kind[0]))
            elif not line.prose and not line.terminal and relevance[line.number] < 0.3 and line.number not in supported:
                removed.append(
                    Removed(
                        line_of(line.number),
                        line.text,
                        "short line unrelated to the story inside the body",
                        "heading",
                    )
                )
            elif i <= body_start + 2 and _repeats_later(
                line, [o for o in lines[i + 1 : end + 1] if o.number not in kinds]
            ):
                removed.append(
                    Removed(
                        line_of(line.number),
                        line.text,
                        "standfirst that repeats a later paragraph",
                        "standfirst",
                    )
                )
            else:
                paragraphs.append(Paragraph(line.text, line_of(line.number)))
            continue
        if i < body_start:
            reason = kind[1] if kind else "before the article (page header or navigation)"
            removed.append(Removed(line_of(line.number), line.text, reason, kind[0] if kind else "header"))
            continue
        # After the body: trailing lists, bios and footers.
        if (
            not line.prose
            and line.n_words <= 6
            and (_HEADING_RELATED.search(line.text) or (kind and kind[0] == "navigation"))
        ):
            trailing_heading = line.text
            removed.append(Removed(line_of(line.number), line.text, "heading of a list of other articles", "related"))
            continue
        if kind and trailing_heading and kind[0] == "navigation" and line.n_words > 6:
            kind = None  # a teaser ending in "Read More": judged as part of the list
        if kind:
            reason = kind[1]
            if trailing_heading and kind[0] in ("date", "navigation"):
                reason = f"{kind[1]} in the list after {trailing_heading!r}"
            removed.append(Removed(line_of(line.number), line.text, reason, kind[0]))
        elif trailing_heading:
            shape = "headline" if not line.prose else "teaser"
            removed.append(
                Removed(
                    line_of(line.number),
                    line.text,
                    f"unrelated {shape} in the list after {trailing_heading!r}",
                    "related",
                )
            )
        elif relevance[line.number] < 0.5:
            removed.append(
                Removed(
                    line_of(line.number),
                    line.text,
                    "after the article body, unrelated to the story",
                    "footer",
                )
            )
        else:
            removed.append(Removed(line_of(line.number), line.text, "after the article body", "footer"))
    title = lines[title_index].text if title_index is not None else None
    return CleanSource(
        raw=source,
        title=title,
        paragraphs=tuple(paragraphs),
        removed=tuple(removed),
        byline=byline,
        date=date or source.published,
        title_line=line_of(lines[title_index].number) if title_index is not None else None,
    )


# Kinds of line that usually close an article: the body rarely goes on after them.
CLOSING_KINDS = frozenset({"comments", "related", "newsletter", "author", "legal", "feedback", "credit", "cookies"})


def _score(
    line: _Line, kind: tuple[str, str] | None, relevance: float, supported: bool, alone: bool, thin: bool = False
) -> float:
    """How much a line looks like body text: positive for body, negative for clutter.

    With other sources, agreement with them decides; alone, the article's shape
    does, and the lines that usually close an article weigh heavily against
    continuing past them. Other sources that use fewer words than this article
    (``thin``) share fewer of each paragraph's: a paragraph needs less.
    """
    if kind:
        if kind[0] in CLOSING_KINDS:
            return -15.0 if alone else -3.0
        return -2.0
    if supported:
        return 1.0 + line.n_words
    if alone:
        if line.prose:
            return line.n_words * (0.25 + relevance * 0.5)
        return -1.0 + relevance
    if line.prose:
        return line.n_words * (relevance - (0.35 if thin else 0.45)) * 2
    return -1.0 - (0.5 - relevance) * min(line.n_words, 12) / 4


# Relevance a paragraph straight after the body needs to continue it (see _prose_continues).
_CONTINUES = 0.15


def _prose_continues(
    lines: Sequence[_Line], end: int, kinds: dict[int, tuple[str, str]], relevance: dict[int, float]
) -> int:
    """The body's last line, moved on over the prose paragraphs after it.

    A long article's later paragraphs may find few of their words in the other
    sources (a short brief reports the start of the story only), too few to join
    the run; but an article's prose runs on, past the furniture set inside articles
    (an advertisement's label, a photo credit: removed all the same), until a label,
    a heading or what closes an article (comments, a bio, related stories) ends it.
    A paragraph on another subject altogether ends it too."""
    for i in range(end + 1, len(lines)):
        line = lines[i]
        kind = kinds.get(line.number)
        if kind is not None and kind[0] not in CLOSING_KINDS:
            continue  # furniture inside an article (an advertisement's label, a photo credit): looked past
        if not line.prose or kind is not None or relevance[line.number] < _CONTINUES:
            break
        end = i
    return end


def _best_run(scores: Sequence[float]) -> tuple[int, int]:
    """Indices (first, last) of the contiguous run with the highest total score."""
    best, best_range = float("-inf"), (0, -1)
    total, start = 0.0, 0
    for i, score in enumerate(scores):
        if total <= 0:
            total, start = score, i
        else:
            total += score
        if total > best:
            best, best_range = total, (start, i)
    if best <= 0:
        return 0, -1
    return best_range


def _title_index(
    lines: Sequence[_Line],
    body_start: int,
    kinds: dict[int, tuple[str, str]],
    relevance: dict[int, float],
) -> int | None:
    """The headline: a title-shaped line on topic, before the body or opening it."""
    candidates = []
    for i, line in enumerate(lines[: body_start + 1]):
        if line.number in kinds or not 3 <= line.n_words <= 30:
            continue
        if line.text.endswith(".") and i >= body_start:
            continue  # the body's first sentence, not a headline
        # Right above the first body line, a headline may use its own words.
        opens_body = i == body_start - 1 and relevance[line.number] >= 0.15
        if relevance[line.number] < 0.4 and len(lines) > 1 and not opens_body:
            continue
        shape = 1.0 if not line.text.endswith(".") else 0.3
        candidates.append((shape + relevance[line.number] - 0.01 * i, -i, i))
    if not candidates:
        return None
    return max(candidates)[2]


class _LineIndex:
    """The lines of all sources that may vouch for others, indexed by word.

    Built once per cleaning pass, so each source looks up its candidates instead
    of scanning every other source's lines (blocking on shared words). The index
    of a pass over fewer lines (``wider`` indexes more, in the same order) takes
    the postings it is asked for from that one's: that pass searches a few lines.
    """

    def __init__(self, usable: Sequence[Sequence[_Line]], wider: _LineIndex | None = None) -> None:
        self.usable = usable
        self.lines = [(j, line) for j, ls in enumerate(usable) for line in ls if len(line.content) >= 5]
        self.texts = [line.joined for _, line in self.lines]
        self.sources = [j for j, _ in self.lines]  # (apart from lines: no tuple to unpack per candidate)
        self.limit = min(max(10, len(self.lines) // 3), 200)
        self.present = {(j, line.number) for j, line in self.lines}
        self.wider = wider
        # Each word's posting: the lines that use it, by position in ``lines``.
        self.words: dict[str, list[int]] = {}
        if wider is None:
            for k, (_, line) in enumerate(self.lines):
                for word in line.content_set:
                    self.words.setdefault(word, []).append(k)
        else:  # (so a derived index has no postings of its own: it is never another's wider)
            position = {(j, line.number): k for k, (j, line) in enumerate(self.lines)}
            self.renumbered = [position.get((j, line.number)) for j, line in wider.lines]
        # The postings a search may use: those no longer than limit (None: longer).
        self.rare: dict[str, list[int] | None] = {
            word: posting if len(posting) <= self.limit else None for word, posting in self.words.items()
        }

    def postings(self, words: Iterable[str]) -> list[list[int]]:
        """The postings a search may use of those of ``words`` found, in that order."""
        found = []
        rare = self.rare
        for word in words:
            if word not in rare:
                rare[word] = self._derived(word)
            posting = rare[word]
            if posting is not None:
                found.append(posting)
        return found

    def _derived(self, word: str) -> list[int] | None:
        """A word's posting taken from the wider index (None: no line, or too many)."""
        if self.wider is None or word not in self.wider.words:
            return None
        posting = [k for k in map(self.renumbered.__getitem__, self.wider.words[word]) if k is not None]
        return posting if posting and len(posting) <= self.limit else None

    @cached_property
    def verbatim(self) -> dict[str, set[int]]:
        """The sources in which each (folded) usable line occurs."""
        found: dict[str, set[int]] = {}
        for j, ls in enumerate(self.usable):
            for line in ls:
                found.setdefault(line.folded, set()).add(j)
        return found


def _reported_elsewhere(
    lines: Sequence[_Line], source: int, index: _LineIndex, before: dict[int, tuple[int, int]] | None = None
) -> dict[int, tuple[int, int]]:
    """Lines whose content another source reports (never dropped as clutter), each
    with the (source, line) found to report it.

    Outlets word the same fact differently; a short label without sentence
    punctuation that recurs word for word in another source is shared page
    furniture (one site family's "Continue reading"), so it does not count. A
    sentence reprinted verbatim (wire copy) still does. Only lines sharing a word
    that is not everywhere in the story are compared (rapidfuzz's C scorers), those
    sharing the rarest such word first. ``before`` is the result of a pass over
    wider evidence: less evidence never supports more lines, and a line whose
    supporter is still in the evidence needs no new search.
    """
    supported: dict[int, tuple[int, int]] = {}
    sources = index.sources  # of each indexed line
    for line in lines:
        if before is not None:
            earlier = before.get(line.number)
            if earlier is None:
                continue
            if earlier in index.present:
                supported[line.number] = earlier
                continue
        if len(line.content) < 5 or not (line.prose or line.n_words >= 7):
            continue
        if line.n_words < 12 and not line.terminal and index.verbatim.get(line.folded, set()) - {source}:
            continue
        # In the line's word order: ties in rarity are tried in the same order in every process.
        postings = sorted(index.postings(dict.fromkeys(line.content)), key=len)
        if not postings:
            continue
        mine = line.joined
        # Most supported lines find their supporter among the rarest word's lines;
        # a line found there or nowhere is the common case, so the other words'
        # lines are scored together, in the same order (one call instead of one
        # per word: the first of them to match is the same line).
        first = [k for k in postings[0] if sources[k] != source]
        found = _first_match(mine, first, index) if first else None
        if found is None and len(postings) > 1:
            tried = set(postings[0])
            rest = [
                k
                for k in dict.fromkeys(itertools.chain.from_iterable(postings[1:]))
                if k not in tried and sources[k] != source
            ]
            found = _first_match(mine, rest, index) if rest else None
        if found is not None:
            supported[line.number] = found
    return supported


_POSITION = operator.itemgetter(2)  # of a (choice, score, position) that process.extract returns


def _first_match(mine: str, candidates: list[int], index: _LineIndex) -> tuple[int, int] | None:
    """The first of ``candidates`` (lines of other sources) similar to ``mine``.

    Several are scored by one ``process.extract`` call: rapidfuzz prepares ``mine``
    once for all of them, where each ``fuzz.ratio`` call prepares it again (a fifth
    of the cleaning stage's instructions went to that).
    """
    texts = index.texts
    if len(candidates) == 1:  # (a direct call costs less than extract's setup)
        passing = [0] if fuzz.ratio(mine, texts[candidates[0]], score_cutoff=50) else []
    else:
        scored = process.extract(mine, [texts[k] for k in candidates], scorer=fuzz.ratio, score_cutoff=50, limit=None)
        passing = sorted(map(_POSITION, scored))
    for position in passing:
        k = candidates[position]
        if fuzz.token_set_ratio(mine, texts[k], score_cutoff=75):
            other, line = index.lines[k]
            return other, line.number
    return None


def _repeats_later(line: _Line, later: Sequence[_Line]) -> bool:
    """A teaser or standfirst: most of its words recur in one later, longer-or-equal line."""
    if len(line.content) < 5:
        return False
    mine = line.content_set
    for other in later:
        if len(other.content) < 0.7 * len(line.content):
            continue
        if len(mine & other.content_set) >= 0.75 * len(mine):
            return True
    return False


def _is_long_prose(lines: Sequence[_Line], number: int) -> bool:
    return any(line.number == number and line.n_words >= 45 for line in lines)


def parse_date(text: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groupdict()
        month = int(parts["mnum"]) if parts.get("mnum") else MONTHS[parts["month"].lower().rstrip(".")]
        try:
            return dt.date(int(parts["year"]), month, int(parts["day"]))
        except ValueError:
            return None
    return None
