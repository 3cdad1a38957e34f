"""One canonical summary per story: select claims, pick their wording, order, cite.

Selection follows consensus: claims that more outlets report come first (three or
more, then two), each said once, until the length target is reached. For each
claim the printed sentence is the member that best stands alone (no dangling
pronoun, no outlet talking about itself, not a bare quote) and agrees most with the
others. Every source sentence in the claim that states the printed sentence is
cited, and only those. Each decision is recorded for ``digest.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.align import LINK, SimilarityModel, similarity_model
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
from digest.words import fold, matching_form, words

_DANGLING = re.compile(r"^(?:[\"“‘']?)(?:he|she|they|it|this|these|those|that|him|her|but|and|also|so)\b", re.I)
# An outlet naming itself ("told RFE/RL", "reports Asian Lite News"): the name is
# checked against the story's outlets. The other phrases address the reader.
_SELF_REFERENCE = re.compile(
    r"\b(?i:told|tells|said to|reports?|reported by|according to)\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w/&.-]*(?:\s+[A-Z][\w/&.-]*){0,3})"
    r"|(?i:\bif you (?:have )?(?:found|see|notice)\b)"
    r"|(?i:\bour (?:editors|reporters|correspondent|website|readers)\b)"
    r"|(?i:\b(?:click|subscribe|sign up)\b)",
)
_QUOTE_OPEN = re.compile(r"^[\"“‘']")
_NUMBER = re.compile(r"\$?\s?\d[\d,.]*(?:\s?(?:%|percent|million|billion|trillion))?")
REDUNDANT = 60.0  # a candidate this similar to a chosen sentence repeats it
PARAGRAPH_WORDS = 75


def summarize(
    story: StoryFile, sources: Sequence[SplitSource], claims: Sequence[Claim], target_words: int
) -> StoryDigest:
    model = similarity_model(sources)
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
    # story's opening claims ("who met whom, where, when" beats a detail).
    opening = [c for c in candidates if c[0].position <= 0.25]
    lead = max(opening, key=lambda c: (informative(c), -c[0].position, c[0].id)) if opening else None
    # Then consensus tiers: three or more outlets, then two. Within a tier the
    # cheapest claims per outlet go first, so the length target holds the most facts.
    ordered = sorted(
        (c for c in candidates if c is not lead),
        key=lambda c: (
            -min(len(c[0].source_ids), 3),
            words_of(c) / len(c[0].source_ids),
            c[0].position,
            paths[c[1].source],
            c[1].sentence,
        ),
    )
    chosen: list[tuple[Claim, Support, tuple[Support, ...]]] = []
    used_words = 0
    for claim, wording in ([lead] if lead else []) + ordered:
        n = len(claim.source_ids)
        key = model.key(wording.text)
        repeat = next((c.id for c, w, _ in chosen if model.score_keys(model.key(w.text), key) >= REDUNDANT), None)
        if repeat:
            decisions.append(Decision(claim.id, n, False, f"repeats {repeat}"))
            continue
        length = len(wording.text.split())
        if used_words + length > target_words * 1.1 and chosen:
            decisions.append(Decision(claim.id, n, False, "over the length target"))
            continue
        chosen.append((claim, wording, _supports(claim, wording, model)))
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
    )


def _outlet_key(source: SplitSource) -> str:
    return fold(source.clean.raw.name).lower()


def _stands_alone(text: str, outlets: dict[str, str]) -> bool:
    if _DANGLING.match(text):
        return False
    for match in _SELF_REFERENCE.finditer(text):
        name = match.group("name")
        if name is None:
            return False
        if any(o and (o in fold(name).lower() or fold(name).lower() in o) for o in outlets.values()):
            return False
    return not (_QUOTE_OPEN.match(text) and not re.search(r"\b(?:said|says|added|told|according)\b", text))


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
    """Cite every member that states the printed sentence, and only those."""
    printed = model.keys[(wording.source, wording.sentence)]
    result = []
    for member in claim.members:
        score = 100.0 if member == wording else model.score_keys(printed, model.keys[(member.source, member.sentence)])
        if score >= LINK * 0.85:
            result.append(Support(member.source, member.sentence, member.text, score))
    # One citation per source: its best-matching sentence.
    best: dict[str, Support] = {}
    for s in result:
        if s.source not in best or s.score > best[s.source].score:
            best[s.source] = s
    return tuple(sorted(best.values(), key=lambda s: (int(s.source.lstrip("s") or 0), s.sentence)))


def _differences(claims: Sequence[Claim]) -> list[Difference]:
    """Claims whose members give different numbers for the same fact."""
    found = []
    for claim in claims:
        if len(claim.source_ids) < 2:
            continue
        variants = []
        for member in claim.members:
            numbers = tuple(sorted({_canonical_number(n) for n in _NUMBER.findall(member.text)}))
            variants.append(Variant(member.source, member.sentence, member.text, numbers))
        with_numbers = [v for v in variants if v.values]
        if len(with_numbers) >= 2 and len({v.values for v in with_numbers}) > 1:
            shared = set.intersection(*(set(v.values) for v in with_numbers))
            if any(set(v.values) - shared for v in with_numbers):
                found.append(Difference(claim.id, "numbers", tuple(with_numbers)))
    return found


def _canonical_number(text: str) -> str:
    return re.sub(r"[\s,$]", "", text).rstrip(".")


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
    most notable, in article order.
    """
    if len(paths) < 2:
        return []
    known = set().union(*(model.key(s.text) for s in summary)) if summary else set()
    per_source: dict[str, list[tuple[int, Support]]] = {}
    for claim in claims:
        if len(claim.source_ids) != 1:
            continue
        member = claim.representative
        if len(words(member.text)) < 10 or not _stands_alone(member.text, outlets):
            continue
        key = model.keys[(member.source, member.sentence)]
        if any(model.score_keys(key, model.key(s.text)) >= REDUNDANT * 0.75 for s in summary):
            continue
        new_terms = {t for t in _terms(member.text) if t not in known}
        if len(new_terms) >= 2:
            per_source.setdefault(member.source, []).append((len(new_terms), member))
    result = []
    for source in sorted(per_source, key=lambda s: paths[s]):
        best = sorted(per_source[source], key=lambda item: (-item[0], item[1].sentence))[:2]
        for _, member in sorted(best, key=lambda item: item[1].sentence):
            result.append(SingleSourceFact(member.source, member.sentence, member.text))
    return result


def _terms(text: str) -> set[str]:
    """Names and numbers in a sentence, in the form sentences are matched in."""
    tokens = re.findall(r"[\w$][\w.,'’-]*", text)
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
    from rapidfuzz import fuzz

    return max(sorted(titles), key=lambda t: sum(fuzz.token_set_ratio(t, o) for o in titles if o is not t))


def _derived_date(sources: Sequence[SplitSource]):  # type: ignore[no-untyped-def]
    dates = [s.clean.date for s in sources if s.clean.date]
    return max(dates) if dates else None
