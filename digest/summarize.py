"""One canonical summary per story: select claims, pick their wording, order, cite.

Selection follows consensus: claims that more outlets report come first (three or
more, then two), each said once, until the length target is reached. For each
claim the printed sentence is the member that best stands alone (no dangling
pronoun, no outlet talking about itself, not a bare quote) and agrees most with the
others. Every source sentence in the claim that states the printed sentence is
cited, and only those. Each decision is recorded for ``digest.json``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Sequence

from rapidfuzz import fuzz

from digest.align import LINK, QUOTATION, SimilarityModel, similarity_model
from digest.model import (
    Claim,
    Decision,
    Difference,
    SingleSourceFact,
    SplitSource,
    StoryDigest,
    StoryFile,
    SummarySentence,
    Support,
    Variant,
)
from digest.words import STOP_WORDS, fold_lower, has_any_case, matching_form, stem, without_thousands_separators, words

_DANGLING = re.compile(r"^(?:[\"“‘']?)(?:he|she|they|it|this|these|those|that|him|her|but|and|also|so)\b", re.I)
# An outlet naming itself ("told RFE/RL", "reports Asian Lite News"): the name is
# checked against the story's outlets. The other phrases address the reader.
# (Every alternative opens with \b, tested once for all of them: twice as fast.)
_SELF_REFERENCE = re.compile(
    r"\b(?:(?i:told|tells|said to|reports?|reported by|according to)\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w/&.-]*(?:\s+[A-Z][\w/&.-]*){0,3})"
    r"|(?i:if you (?:have )?(?:found|see|notice)\b)"
    r"|(?i:our (?:editors|reporters|correspondent|website|readers)\b)"
    r"|(?i:(?:click|subscribe|sign up)\b))",
)
_QUOTE_OPEN = re.compile(r"^[\"“‘']")
REDUNDANT = 60.0  # a candidate this similar to a chosen sentence repeats it
PARAGRAPH_WORDS = 75


def summarize(
    story: StoryFile,
    sources: Sequence[SplitSource],
    claims: Sequence[Claim],
    target_words: int,
    model: SimilarityModel | None = None,
) -> StoryDigest:
    model = model or similarity_model(sources)
    target_words = story.summary_words or target_words  # the story file's own target wins
    outlets = {s.id: _outlet_key(s) for s in sources}
    paths = {s.id: s.clean.raw.path for s in sources}
    decisions: list[Decision] = []
    candidates: list[tuple[Claim, Support]] = []
    for claim in claims:
        if len(claim.source_ids) < 2:
            continue
        wording = _wording(claim, model, outlets, paths)
        if wording is None:
            decisions.append(Decision(claim.id, len(claim.source_ids), False, "no member sentence stands alone"))
        else:
            candidates.append((claim, wording))

    def words_of(item: tuple[Claim, Support]) -> int:
        return len(item[1].text.split())

    def informative(item: tuple[Claim, Support]) -> int:
        return len(item[0].source_ids) * min(len(model.keys[(item[1].source, item[1].sentence)]), 20)

    # The lead goes in first: the most widely reported, most informative of the
    # story's opening claims ("who met whom, where, when" beats a detail), the
    # more so the nearer the articles' start (half as much a quarter of the way in:
    # the sentence that opens every article reporting it is the news).
    opening = [c for c in candidates if c[0].position <= 0.25]

    def as_lead(item: tuple[Claim, Support]) -> tuple[float, float, str]:
        return (informative(item) * (1 - 2 * item[0].position), -item[0].position, item[0].id)

    lead = max(opening, key=as_lead) if opening else None
    # Then consensus tiers: three or more outlets, then two. Within a tier the
    # densest wordings (distinct content words per word) go first, so the length
    # target holds the most information; wordy quotes wait.
    ordered = sorted(
        (c for c in candidates if lead is None or c[0] is not lead[0]),
        key=lambda c: (
            -min(len(c[0].source_ids), 3),
            -len(model.keys[(c[1].source, c[1].sentence)]) / words_of(c),
            c[0].position,
            paths[c[1].source],
            c[1].sentence,
        ),
    )
    chosen: list[tuple[Claim, Support, tuple[Support, ...]]] = []
    chosen_keys: list[tuple[str, frozenset[str]]] = []
    used_words = 0
    for claim, wording in ([lead] if lead else []) + ordered:
        n = len(claim.source_ids)
        key = model.keys[(wording.source, wording.sentence)]
        repeat = next((cid for cid, k in chosen_keys if model.score_keys(k, key) >= REDUNDANT), None)
        if repeat:
            decisions.append(Decision(claim.id, n, False, f"repeats {repeat}"))
            continue
        length = len(wording.text.split())
        if used_words + length > target_words * 1.1 and chosen:
            decisions.append(Decision(claim.id, n, False, "over the length target"))
            continue
        chosen.append((claim, wording, _supports(claim, wording, model)))
        chosen_keys.append((claim.id, key))
        used_words += length
        decisions.append(
            Decision(claim.id, n, True, "lead" if claim is (lead[0] if lead else None) else f"reported by {n} sources")
        )

    # Reading order: the lead, then the claims in their consensus position.
    head, rest = chosen[:1], sorted(chosen[1:], key=lambda i: (i[0].position, paths[i[1].source], i[1].sentence))
    chosen = head + rest
    decisions.sort(key=lambda d: (not d.selected, d.claim))

    summary = []
    paragraph, words_in_paragraph = 0, 0
    for number, (claim, wording, supports) in enumerate(chosen, start=1):
        length = len(wording.text.split())
        if number == 2 or (words_in_paragraph and words_in_paragraph + length > PARAGRAPH_WORDS):
            paragraph += 1
            words_in_paragraph = 0
        words_in_paragraph += length
        summary.append(SummarySentence(f"p{number}", wording.text, claim.id, paragraph, supports))

    title = story.title or _derived_title(sources)
    date = story.date or _derived_date(sources)
    return StoryDigest(
        slug=story.slug,
        title=title,
        date=date,
        note=story.note,
        tags=story.tags,
        sources=tuple(sources),
        claims=tuple(claims),
        summary=tuple(summary),
        differences=tuple(_differences(claims)),
        only_in=tuple(_only_in(claims, summary, model, outlets, paths)),
        decisions=tuple(decisions),
        draft=story.draft,
    )


def _outlet_key(source: SplitSource) -> str:
    return fold_lower(source.clean.raw.name)


def _stands_alone(text: str, outlets: dict[str, str]) -> bool:
    if _DANGLING.match(text):
        return False
    for match in _self_references(text):
        name = match.group("name")
        if name is None:
            return False
        named = fold_lower(name)
        if any(o and (o in named or named in o) for o in outlets.values()):
            return False
    return not (_QUOTE_OPEN.match(text) and not re.search(r"\b(?:said|says|added|told|according)\b", text))


# Every match of _SELF_REFERENCE contains one of these, in some letter case.
_SELF_REFERENCE_CUES = (
    "told",
    "tells",
    "said to",
    "report",
    "according to",
    "if you",
    "our editors",
    "our reporters",
    "our correspondent",
    "our website",
    "our readers",
    "click",
    "subscribe",
    "sign up",
)


def _self_references(text: str) -> Iterator[re.Match[str]]:
    if not has_any_case(text, _SELF_REFERENCE_CUES):
        return iter(())
    return _SELF_REFERENCE.finditer(text)


def _wording(claim: Claim, model: SimilarityModel, outlets: dict[str, str], paths: dict[str, str]) -> Support | None:
    """The member to print: stands alone, agrees with the others, not too long."""
    candidates = [m for m in claim.members if _stands_alone(m.text, outlets)]
    if not candidates:
        return None

    def merit(member: Support) -> tuple[float, str, int]:
        key = model.keys[(member.source, member.sentence)]
        others = [o for o in claim.members if o is not member]
        # Mean agreement (0-100) with the rest, less a cost per word past 20: a
        # shorter wording that the others support as well leaves room for facts.
        agreement = sum(model.score_keys(key, model.keys[(o.source, o.sentence)]) for o in others) / len(others)
        length = len(member.text.split())
        brevity = -max(0, length - 20) * 1.0 - max(0, 8 - length) * 3
        return (-(agreement + brevity), paths[member.source], member.sentence)

    return min(candidates, key=merit)


def _supports(claim: Claim, wording: Support, model: SimilarityModel) -> tuple[Support, ...]:
    """Cite every source that states the printed sentence, and only those: the
    claim's members that do, and sentences linked to the claim (see Claim.linked)
    that state it as closely as aligned sentences must (LINK)."""
    printed = model.keys[(wording.source, wording.sentence)]
    result = []
    candidates = [(m, LINK * 0.85) for m in claim.members] + [(s, LINK) for s in claim.linked]
    for candidate, needed in candidates:
        key = model.keys[(candidate.source, candidate.sentence)]
        score = 100.0 if candidate == wording else model.score_keys(printed, key)
        if score >= needed:
            result.append(Support(candidate.source, candidate.sentence, candidate.text, score))
    # One citation per source: its best-matching sentence.
    best: dict[str, Support] = {}
    for s in result:
        if s.source not in best or s.score > best[s.source].score:
            best[s.source] = s
    return tuple(sorted(best.values(), key=lambda s: (int(s.source.lstrip("s") or 0), s.sentence)))


_COUNT_WORDS = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
    if n >= 2  # "one" is too often not a count ("one of the")
} | {w: str(10 * n) for n, w in enumerate("_ _ _ thirty forty fifty sixty seventy eighty ninety".split()) if n >= 3}
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


_SCALES = frozenset("percent million billion trillion".split())
_VALUE_WORDS = frozenset(_COUNT_WORDS) | _WEEKDAYS
_DIGIT = re.compile(r"\d")  # what a token needs to be a number (isdecimal, as \d)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TERM = re.compile(r"[\w$][\w.,'’-]*")


def _values(text: str) -> dict[str, dict[str, frozenset[str]]]:
    """The checkable values of a sentence by kind (numbers, weekdays), each with
    the content words around it, which say what the value measures."""
    tokens = words(without_thousands_separators(text))
    found: dict[str, dict[str, frozenset[str]]] = {"numbers": {}, "days": {}}
    if _VALUE_WORDS.isdisjoint(tokens) and not _DIGIT.search(" ".join(tokens)):
        return found  # most sentences: no number, count or weekday to look at
    for i, token in enumerate(tokens):
        if token[:1].isdecimal() and _NUMBER.fullmatch(token):  # \d: isdecimal
            scale = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1] in _SCALES else ""
            kind, value = "numbers", f"{token} {scale}" if scale else token  # (shown as it is: "41 million")
        elif token in _COUNT_WORDS:
            kind, value = "numbers", _COUNT_WORDS[token]
        elif token in _WEEKDAYS:
            kind, value = "days", token
        else:
            continue
        window = tokens[max(0, i - 4) : i + 5]
        context = frozenset(
            stem(w) for w in window if w not in STOP_WORDS and not w[0].isdigit() and w not in _COUNT_WORDS
        )
        found[kind][value] = found[kind].get(value, frozenset()) | context
    return found


def _differences(claims: Sequence[Claim]) -> list[Difference]:
    """Aligned sentences that disagree: different numbers or days for the same
    thing, or one statement quoted in different words.

    Values disagree only when each side has one the other lacks and the two
    describe the same thing (they share a neighbouring word: "14 wagons" and
    "12 ... wagons"); a source that adds a detail ("at 9 a.m.") contradicts nobody.
    """
    found = []
    for claim in claims:
        if len(claim.source_ids) < 2:
            continue
        by_source: dict[str, dict[str, dict[str, frozenset[str]]]] = {}
        for member in claim.members:
            mine = by_source.setdefault(member.source, {"numbers": {}, "days": {}})
            for kind, values in _values(member.text).items():
                for value, context in values.items():
                    mine[kind][value] = mine[kind].get(value, frozenset()) | context
        for kind in ("numbers", "days"):
            # Sources with the same values clash with nobody the others do not:
            # each set of values is compared once (a story of 100 outlets has
            # claims of 100 members, most of them worded alike).
            sides = list(dict.fromkeys(frozenset(mine[kind].items()) for mine in by_source.values() if mine[kind]))
            disputed: set[str] = set()
            for side_a, side_b in itertools.combinations(sides, 2):
                values_a, values_b = dict(side_a), dict(side_b)
                only_a = {v: c for v, c in values_a.items() if v not in values_b}
                only_b = {v: c for v, c in values_b.items() if v not in values_a}
                for va, ca in only_a.items():
                    for vb, cb in only_b.items():
                        if ca & cb:
                            disputed.update((va, vb))
            if disputed:
                variants = tuple(
                    Variant(m.source, m.sentence, m.text, tuple(sorted(disputed & set(by_source[m.source][kind]))))
                    for m in claim.members
                    if disputed & set(by_source[m.source][kind])
                )
                found.append(Difference(claim.id, kind, variants))
        quotes = {m: QUOTATION.findall(m.text) for m in claim.members}
        # Members quoting alike, together: the same quotations never differ, so each
        # two sets of quotations are compared once.
        alike: dict[tuple[str, ...], list[Support]] = {}
        for m, q in quotes.items():
            if q:
                alike.setdefault(tuple(q), []).append(m)
        differing: set[Support] = set()
        for (quotes_a, members_a), (quotes_b, members_b) in itertools.combinations(alike.items(), 2):
            if not _quoted_differently(quotes_a, quotes_b):  # (symmetric)
                continue
            # Each member differs from the other side's members of other sources.
            for side, opposite in ((members_a, members_b), (members_b, members_a)):
                sources = {o.source for o in opposite}
                differing.update(m for m in side if len(sources) > 1 or m.source not in sources)
        if len({m.source for m in differing}) >= 2:
            variants = tuple(
                Variant(m.source, m.sentence, m.text, tuple(quotes[m])) for m in claim.members if m in differing
            )
            found.append(Difference(claim.id, "quotation", variants))
    return found


def _quoted_differently(mine: Sequence[str], theirs: Sequence[str]) -> bool:
    """The same statement (most words shared) quoted in different wording."""
    pairs = [(a, b) for a in mine for b in theirs]
    same_statement = max(fuzz.token_set_ratio(a, b) for a, b in pairs) >= 50
    same_wording = max(fuzz.ratio(fold_lower(a), fold_lower(b)) for a, b in pairs) >= 75
    return same_statement and not same_wording


def _only_in(
    claims: Sequence[Claim],
    summary: Sequence[SummarySentence],
    model: SimilarityModel,
    outlets: dict[str, str],
    paths: dict[str, str],
) -> list[SingleSourceFact]:
    """Notable facts one outlet alone reports: names and numbers the summary lacks.

    A single-source sentence is notable when it brings at least two new names or
    numbers and does not restate a summary sentence; each source gets its two
    most notable, in article order. (A story of one source has no summary yet:
    these are all its page tells of it.)
    """
    summary_keys = [model.key(s.text) for s in summary]
    # In the spelling the model compares words in ("Russian" and "Russia" are one), of
    # the whole sentences: an attribution's names ("..., spokesman Ned Price said") too.
    spelling = model.canonical
    known = {spelling.get(w, w) for s in summary for w in matching_form(s.text)}
    per_source: dict[str, list[tuple[int, Support]]] = {}
    for claim in claims:
        if len(claim.source_ids) != 1:
            continue
        member = claim.representative
        if len(words(member.text)) < 10 or not _stands_alone(member.text, outlets):
            continue
        new_terms = {spelling.get(t, t) for t in _terms(member.text)} - known
        if len(new_terms) < 2:
            continue  # (tested first: it rules out half of them, the scores fewer)
        key = model.keys[(member.source, member.sentence)]
        if not any(model.score_keys(key, k) >= REDUNDANT * 0.75 for k in summary_keys):
            per_source.setdefault(member.source, []).append((len(new_terms), member))
    result = []
    for source in sorted(per_source, key=lambda s: paths[s]):
        best = sorted(per_source[source], key=lambda item: (-item[0], item[1].sentence))[:2]
        for _, member in sorted(best, key=lambda item: item[1].sentence):
            result.append(SingleSourceFact(member.source, member.sentence, member.text))
    return result


def _terms(text: str) -> set[str]:
    """Names and numbers in a sentence, in the form sentences are matched in."""
    tokens = _TERM.findall(text)
    picked = [t for i, t in enumerate(tokens) if (i > 0 and t[:1].isupper()) or t[:1].isdigit() or t[:1] == "$"]
    return {w for t in picked for w in matching_form(t)}


def _derived_title(sources: Sequence[SplitSource]) -> str:
    """The headline that best agrees with the others' headlines."""
    titles = [s.clean.title for s in sources if s.clean.title]
    if not titles:
        for s in sources:
            if s.sentences:
                return s.sentences[0].text
        return "Untitled story"
    return max(sorted(titles), key=lambda t: sum(fuzz.token_set_ratio(t, o) for o in titles if o is not t))


def _derived_date(sources: Sequence[SplitSource]) -> dt.date | None:
    dates = [s.clean.date for s in sources if s.clean.date]
    return max(dates) if dates else None
