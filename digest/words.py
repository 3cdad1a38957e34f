"""Word-level text normalisation shared by the clean, align and summarize stages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "like",
        "made",
        "make",
        "many",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "neither",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "others",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "quite",
        "rather",
        "said",
        "same",
        "say",
        "says",
        "she",
        "should",
        "since",
        "so",
        "some",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "toward",
        "towards",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "´": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "\u00a0": " ",
    }
)
# No replacement is itself replaced, so one replace per character equals translate.
_QUOTE_PAIRS = tuple((chr(code), plain) for code, plain in _QUOTES.items())
_WORD = re.compile(r"[^\W_]+(?:['.][^\W_]+)*", re.UNICODE)
# The same tokens in ASCII text, found in half the time: a character set is one
# bit test, \w a Unicode category lookup per character.
_ASCII_WORD = re.compile(r"[a-zA-Z0-9]+(?:['.][a-zA-Z0-9]+)*")
# Opening with the hyphen itself (the letter before it in a lookbehind), so re
# skips from hyphen to hyphen: a pattern opening with a lookbehind tries every position.
_INNER_HYPHEN = re.compile(r"-(?<=[^\W\d]-)(?=[^\W\d])")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3})")  # (opening with the comma: re skips from comma to comma)
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "an": "1",
    "a": "1",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
}
# Invisible or direction-changing characters that must not reach comparisons or pages.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


# Ignoring case, an ASCII letter matches itself in either case or one of these
# (checked over all of Unicode): İ ı ſ and the Kelvin sign.
_FOLDS_TO_ASCII = _DOTTED_I, _DOTLESS_I, _LONG_S, _KELVIN = ("\u0130", "\u0131", "\u017f", "\u212a")


def lowered_for_caseless_patterns(text: str) -> str | None:
    """The text in lower case, where a case-sensitive search of a pattern whose
    letters are all lower-case ASCII finds what a case-ignoring search finds in the
    text itself (and at the same positions); None where it may not: the text holds
    a letter that folds to ASCII, or one whose lower case is two characters. (Lower
    case keeps every other character in its class, \\w, \\d or \\s; tests check all
    of Unicode.) Such a search is several times faster: re skips a failing
    alternative by its first character only when case counts."""
    if text.isascii():
        return text.lower()
    # Four scans in C (a set's isdisjoint would make a string of each character).
    if _DOTTED_I in text or _DOTLESS_I in text or _LONG_S in text or _KELVIN in text:
        return None
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def has_any_case(text: str, cues: Sequence[str]) -> bool:
    """Whether one of the lower-case ASCII ``cues`` may occur in the text in any
    letter case, as a case-ignoring regex would find it. A cheap test that lets a
    costly regex run only on text where it can match (the answer is also True where
    lower case is not safe to search, leaving the decision to the regex)."""
    lower = lowered_for_caseless_patterns(text)
    return lower is None or _holds_any(lower, cues)


def _holds_any(text: str, parts: Sequence[str]) -> bool:
    for part in parts:  # noqa: SIM110 (a plain loop: twice as fast as any() over a generator)
        if part in text:
            return True
    return False


def strip_invisible(text: str) -> str:
    if text.isascii():  # every invisible character is outside ASCII
        return text
    return _INVISIBLE.sub("", text)


def without_thousands_separators(text: str) -> str:
    """Digit groups joined: "8,000" is the one number 8000, as a token."""
    return _THOUSANDS.sub("", text) if "," in text and _THOUSANDS.search(text) else text


def fold(text: str) -> str:
    """Unify quotes, dashes and width so that typography never decides a match."""
    if text.isascii():  # NFKC leaves ASCII alone; only the backtick needs mapping
        return text.replace("`", "'") if "`" in text else text
    # Mapped before NFKC too, which would turn "´" into a space and an accent and
    # the non-breaking hyphen into another hyphen; after it for what it composes
    # (nothing, when NFKC hands the text back unchanged).
    plain = _plain_quotes(strip_invisible(text))
    normal = unicodedata.normalize("NFKC", plain)
    return plain if normal is plain else _plain_quotes(normal)


@lru_cache(maxsize=1 << 14)
def fold_lower(text: str) -> str:
    """``fold(text).lower()``, the form in which lines, names and words are
    compared (kept: the cleaner asks for a line's right after tokenising it, and
    summaries compare the same quotes and names again)."""
    return fold(text).lower()


def _plain_quotes(text: str) -> str:
    for char, plain in _QUOTE_PAIRS:  # as text.translate(_QUOTES), in a fraction of its time
        if char in text:
            text = text.replace(char, plain)
    return text


@lru_cache(maxsize=1 << 14)  # the stages tokenise the same lines and sentences again
def words(text: str) -> tuple[str, ...]:
    """Lower-case word tokens; "U.S." and "US" both become "us", "business-like"
    and "businesslike" both become "businesslike"."""
    text = fold_lower(text)
    if "-" in text:
        text = _INNER_HYPHEN.sub("", text)  # "business-like", not "6.5-km"
    tokens = (_ASCII_WORD if text.isascii() else _WORD).findall(text)
    # A token holds a "." or "'" exactly when the text has one between two of its
    # letters or digits (_WORD takes those in); most lines have none to rewrite.
    joined = " ".join(tokens)
    if "." not in joined and "'" not in joined:
        return tuple(tokens)
    return tuple([_unmarked(t) if "." in t or "'" in t else t for t in tokens])


def _unmarked(token: str) -> str:
    if "." in token and _INITIALS.fullmatch(token):
        return token.replace(".", "")
    if "'" in token:
        return token.split("'")[0] if token.endswith("'s") else token.replace("'", "")
    return token


@lru_cache(maxsize=1 << 16)  # a story's vocabulary is small and each word recurs
def stem(word: str) -> str:
    """A light, consistent suffix strip: "issue"/"issues", "raise"/"raised"/"raising",
    "talks"/"talk" each meet in one form. Not linguistics: both sides of a
    comparison are cut the same way, which is all matching needs."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:  # "carries", "carried": "carry"
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_UNITS = frozenset(
    [
        "hour",
        "hours",
        "minute",
        "minutes",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
    ]
)


_TRAILING_ATTRIBUTION = re.compile(
    r",\s*(?:(?:the|a|an|its|his|her|their)\s+)?[^,\"“”]{0,60}?\s+(?:said|says|reported|added|told reporters)\s*[.!?]?$"
    r"|,\s*(?:said|says|according to)\s+[^,\"“”]{1,60}[.!?]?$",
    re.I,
)
_LEADING_ATTRIBUTION = re.compile(r"^(?:according to|as reported by)\s+[^,]{1,60},\s*", re.I)
# Every match of the trailing pattern contains one of these, in some letter case;
# every match of either pattern one of the attribution cues.
_TRAILING_CUES = ("said", "says", "reported", "added", "told reporters", "according to")
_ATTRIBUTION_CUES = (*_TRAILING_CUES, "as reported by")


# The same, case-sensitive, for lower-cased text (see lowered_for_caseless_patterns):
# several times faster, and the two run on most news sentences (most hold "said").
_TRAILING_ATTRIBUTION_LOWER = re.compile(_TRAILING_ATTRIBUTION.pattern)
_LEADING_ATTRIBUTION_LOWER = re.compile(_LEADING_ATTRIBUTION.pattern)


def without_attribution(text: str) -> str:
    """The sentence without a trailing "..., officials said." or leading "According to
    X,": who reported a fact is not the fact, and outlets credit it differently."""
    stripped = text.strip()
    lower = lowered_for_caseless_patterns(stripped)
    if lower is None:
        stripped = _LEADING_ATTRIBUTION.sub("", _TRAILING_ATTRIBUTION.sub(".", stripped))
    elif _holds_any(lower, _ATTRIBUTION_CUES):
        # Each pattern is anchored (at the end, at the start): one match at most,
        # found in the lower-cased text at the positions it has in the text. A
        # trailing attribution holds no comma after its first: it opens at the last.
        comma = lower.rfind(",")
        tail = lower[comma:] if comma >= 0 else ""
        trailing = None
        if _holds_any(tail, _TRAILING_CUES):
            trailing = _TRAILING_ATTRIBUTION_LOWER.match(lower, comma)
        if trailing is not None:
            stripped, lower = stripped[: trailing.start()] + ".", lower[: trailing.start()] + "."
        leading = _LEADING_ATTRIBUTION_LOWER.match(lower)
        if leading is not None:
            stripped = stripped[leading.end() :]
    if stripped == text:
        return text
    return stripped if len(stripped.split()) >= 4 else text


@lru_cache(maxsize=1 << 14)
def matching_form(text: str) -> tuple[str, ...]:
    """Content words as sentences are compared: folded, stemmed, numbers as digits
    ("an hour" and "one hour" both give "1 hour", "8,000" stays one number)."""
    tokens = words(without_thousands_separators(text))
    forms = list(map(_word_form, tokens))  # every word in one C loop, then the articles
    last = len(tokens) - 1
    for article in ("a", "an"):
        at = -1
        for _ in range(tokens.count(article)):  # (each found from the last: a 5 MB line was quadratic)
            at = tokens.index(article, at + 1)
            forms[at] = "1" if at < last and tokens[at + 1] in _UNITS else ""  # "an hour" is "1 hour"
    if "no" in tokens:  # "no one" is nobody, not a number: "No one was hurt" says what "No injuries" does
        for at in range(1, len(tokens)):
            if tokens[at] == "one" and tokens[at - 1] == "no":
                forms[at] = ""
    return tuple(filter(None, forms))


@lru_cache(maxsize=1 << 16)
def _word_form(word: str) -> str:
    """A word as compared, or "" when it is left out (a stop word, a lone letter)."""
    word = _NUMBER_WORDS.get(word, word)
    if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
        return ""
    return stem(word)


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", fold(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1 << 12)  # a site's tags are few, asked for by every build, story and listing
def tag_slug(tag: str) -> str:
    """The folder name of a tag's page: its letters and digits, accents dropped
    ("Café" -> "cafe", "Straße" -> "strasse"), words joined by "-". Letters of any
    script stay ("Россия" -> "россия"); "" when the tag has none."""
    return "-".join(re.findall(r"[^\W_]+", _without_accents(tag)))


@lru_cache(maxsize=1 << 12)
def tag_identity(tag: str) -> str:
    """What two spellings of one tag share: case, accents and the separators
    between words do not count ("New York", "new-york", "New_York"), any other
    character does ("C++" is not "C"), so that distinct tags sharing a slug are
    told apart."""
    return "-".join(re.split(r"[\s_-]+", _without_accents(tag).strip(" \t\n_-")))
