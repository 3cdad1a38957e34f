"""Loose articles become stories: source files grouped by the event they report.

An editor collects articles all day; a source file that no story file names is
grouped with the others that report the same event. The evidence is what makes an
event specific: the names, places, numbers and calendar days in the headline and
the opening paragraphs, weighted by how rare each is among all loose articles (the
ministers' names recur in every article about them; the city and the day do not),
plus how alike the openings read (rapidfuzz over the normalised text). Two articles
that name the same people but different days are different events.

Only pairs that share at least two rare terms are compared (blocking on an index
of rare terms, never all pairs), so thousands of articles group in seconds. Groups
form best link first, and two groups merge only when their articles agree on
average, so one ambiguous pair cannot chain two events together. Folder and file
names are never evidence.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import product

from rapidfuzz import fuzz

from digest.clean import MONTHS, parse_date
from digest.model import Group, LooseArticle
from digest.words import STOP_WORDS, fold, fold_lower, matching_form, words

LINK = 0.4  # combined similarity at which two articles report one event
_TOKEN = re.compile(r"[\w$][\w.,'’-]*")
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_LEAD_LINES = 3
_TERM_LINES = 10  # prose paragraphs whose names and numbers describe the event
_HEAD_LINES = 60  # where headline, date and lead are looked for


def describe(path: str, text: str) -> LooseArticle:
    """Headline, opening paragraphs and their distinctive terms, from the text alone."""
    lines = [" ".join(line.split()) for line in text.split("\n")[: _HEAD_LINES * 4]]
    lines = [line for line in lines if line][:_HEAD_LINES]
    first_prose = next((i for i, line in enumerate(lines) if _prose(line)), len(lines))
    headline = next(
        (lines[i] for i in range(first_prose - 1, -1, -1) if 5 <= len(lines[i].split()) <= 25 and not _prose(lines[i])),
        lines[0] if lines else "",
    )
    body = [line for line in lines[first_prose:] if _prose(line)]
    lead = " ".join(body[:_LEAD_LINES])
    # Outlets order the same facts differently, so the terms come from all the
    # prose near the top, not from the first paragraph alone.
    text = " ".join([headline, *body[:_TERM_LINES]])
    date = next((d for d in (parse_date(line) for line in lines[: first_prose + 1]) if d), None)
    return LooseArticle(path, headline, lead, _terms(text), _days(text), date)


def _prose(line: str) -> bool:
    if len(line) < 50 or line.rstrip()[-1:] not in '.!?"”’':
        return False  # cheap tests first: most lines near the top are short
    tokens = words(line)
    stops = sum(w in STOP_WORDS for w in tokens)
    return len(tokens) >= 12 and stops >= 0.2 * len(tokens)


def _terms(text: str) -> frozenset[str]:
    """Names and numbers: capitalised words not opening a sentence, and figures."""
    tokens = _TOKEN.findall(fold(text))
    picked = []
    for i, token in enumerate(tokens):
        opens = i == 0 or tokens[i - 1][-1:] in ".!?\"'"
        if (token[:1].isupper() and not opens) or token[:1].isdigit() or token[:1] == "$":
            picked.append(token)
    found = {w for t in picked for w in matching_form(t)}
    return frozenset(w for w in found if w not in MONTHS and w not in _WEEKDAYS and len(w) > 1)


def _days(text: str) -> frozenset[str]:
    """Calendar days named in the text ("May 19", "19 May") as "month-day"."""
    tokens = words(text)
    days = set()
    for i, token in enumerate(tokens):
        if token not in MONTHS:
            continue
        for neighbour in tokens[i + 1 : i + 2] + tokens[max(0, i - 1) : i]:
            if neighbour.isdigit() and 1 <= int(neighbour) <= 31:
                days.add(f"{MONTHS[token]}-{int(neighbour)}")
                break
    return frozenset(days)


# Weights are computed as if the collection held this many more unrelated articles,
# so that in a small collection (five articles, all about one event) what they share
# still counts as rare.
BACKGROUND = 50
FULL_EVIDENCE = 5  # this many rare shared terms are all the agreement a pair needs
DAYS_APART = 3  # articles published further apart than this report different events


class _Similarity:
    """Article similarity within one collection: term weights from the collection."""

    def __init__(self, articles: Sequence[LooseArticle]) -> None:
        self.articles = articles
        frequency = Counter(t for a in articles for t in a.terms)
        total = len(articles) + BACKGROUND
        # A term in more articles than one event has (a country, a ministry, a
        # figure every story repeats) says nothing about which event: weight 0.
        limit = rare_limit(len(articles))
        self.weights = {t: math.log(total / (n + 1)) if n <= limit else 0.0 for t, n in frequency.items()}
        self.enough = FULL_EVIDENCE * math.log(total / 2)
        self.totals = [math.fsum(self.weights[t] for t in a.terms) for a in articles]
        self.folded = [" ".join(words(a.lead or a.headline)) for a in articles]
        self.cache: dict[tuple[int, int], float] = {}

    def __call__(self, i: int, j: int) -> float:
        key = (i, j) if i < j else (j, i)
        score = self.cache.get(key)
        if score is None:
            score = self.cache[key] = self._score(*key)
        return score

    def _score(self, i: int, j: int) -> float:
        a, b = self.articles[i], self.articles[j]
        shared = a.terms & b.terms
        if len(shared) < 2 or _different_days(a, b):
            return 0.0
        scale = min(self.totals[i], self.totals[j], self.enough) or 1.0
        terms = min(1.0, math.fsum(map(self.weights.__getitem__, shared)) / scale)
        text = fuzz.token_set_ratio(self.folded[i], self.folded[j]) / 100
        return round(0.75 * terms + 0.25 * text, 4)


def _different_days(a: LooseArticle, b: LooseArticle) -> bool:
    """The same people on different days: the articles name different calendar
    days and none in common, or were published too far apart."""
    if a.days and b.days and not a.days & b.days:
        return True
    return a.date is not None and b.date is not None and abs((a.date - b.date).days) > DAYS_APART


def group_articles(articles: Sequence[LooseArticle], taken: frozenset[str] = frozenset()) -> tuple[Group, ...]:
    """Group articles by event; ``taken`` are slugs already used by story files."""
    order = sorted(range(len(articles)), key=lambda k: articles[k].path)
    articles = [articles[k] for k in order]
    similarity = _Similarity(articles)
    pairs = _candidate_pairs(articles, similarity)
    cluster_of = list(range(len(articles)))
    members: dict[int, list[int]] = {k: [k] for k in range(len(articles))}
    links: dict[int, list[tuple[int, int, float]]] = {k: [] for k in range(len(articles))}
    for score, i, j in pairs:
        ci, cj = cluster_of[i], cluster_of[j]
        if ci == cj:
            continue
        cross = [similarity(a, b) for a in members[ci] for b in members[cj]]
        if sum(cross) / len(cross) < LINK * 0.8:
            continue  # the groups agree on this pair only
        for k in members[cj]:
            cluster_of[k] = ci
        members[ci].extend(members.pop(cj))
        links[ci].extend(links.pop(cj))
        links[ci].append((i, j, score))
    groups = []
    used = set(taken)
    for cluster in sorted(members.values(), key=lambda m: min(articles[k].path for k in m)):
        ordered = sorted(cluster, key=lambda k: (_when(articles[k]), articles[k].path))
        first = articles[ordered[0]]
        slug = _unique(_slug(first.headline or first.path), used)
        used.add(slug)
        dates = [d for d in (articles[k].date for k in cluster) if d is not None]
        joined = tuple(
            (articles[a].path, articles[b].path, s)
            for a, b, s in sorted(links[cluster_of[ordered[0]]], key=lambda x: -x[2])
        )
        groups.append(
            Group(
                slug=slug,
                title=first.headline or first.path,
                members=tuple(articles[k].path for k in ordered),
                date=max(dates) if dates else None,
                links=joined,
            )
        )
    return tuple(groups)


def keep_slugs(
    groups: Sequence[Group], previous: dict[str, str], taken: frozenset[str] = frozenset()
) -> tuple[Group, ...]:
    """Give each group the slug most of its articles had before (``previous``: path ->
    slug from the last build), so an article joining an event -- earlier or later
    than the others -- never renames the story or breaks its URLs."""
    kept: dict[int, str] = {}
    claimed = set(taken)
    for n, group in sorted(enumerate(groups), key=lambda item: -len(item[1].members)):
        votes = Counter(previous[m] for m in group.members if m in previous)
        for slug, _ in sorted(votes.items(), key=lambda vote: (-vote[1], vote[0])):
            if slug not in claimed:
                kept[n] = slug
                claimed.add(slug)
                break
    result = []
    for n, group in enumerate(groups):
        chosen = kept.get(n)
        if chosen is None:
            chosen = group.slug if group.slug not in claimed else _unique(group.slug, claimed)
            claimed.add(chosen)
        result.append(replace(group, slug=chosen))
    return tuple(result)


def _candidate_pairs(articles: Sequence[LooseArticle], similarity: _Similarity) -> list[tuple[float, int, int]]:
    """Pairs sharing two rare terms, scored, at or above LINK, best first."""
    limit = rare_limit(len(articles))
    index: dict[str, list[int]] = {}
    for k, article in enumerate(articles):
        for term in article.terms:
            index.setdefault(term, []).append(k)
    shared: Counter[tuple[int, int]] = Counter()
    for posting in index.values():
        if 1 < len(posting) <= limit:
            shared.update((a, b) for a, b in product(posting, posting) if a < b)
    pairs = []
    for (i, j), count in shared.items():
        if count >= 2:
            score = similarity(i, j)
            if score >= LINK:
                pairs.append((score, i, j))
    pairs.sort(key=lambda p: (-p[0], articles[p[1]].path, articles[p[2]].path))
    return pairs


def rare_limit(articles: int) -> int:
    """The most articles a term may appear in and still point to one event."""
    return max(20, articles // 50)


def _when(article: LooseArticle) -> dt.date:
    """Earliest first: a later article joining an event never renames its story."""
    return article.date or dt.date.max


def _slug(title: str) -> str:
    tokens = [w for w in re.findall(r"[a-z0-9]+", fold_lower(title)) if w not in STOP_WORDS]
    return "-".join(tokens[:7]) or "story"


def _unique(slug: str, used: set[str]) -> str:
    if slug not in used:
        return slug
    n = 2
    while f"{slug}-{n}" in used:
        n += 1
    return f"{slug}-{n}"
