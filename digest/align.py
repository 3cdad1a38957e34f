"""Align sentences across the sources of a story into claims.

Two sentences state the same fact when most of the *distinctive* words of the
shorter one appear in the longer one. Words are normalised first (quotes, dashes,
"U.S."/"US", "business-like"/"businesslike", "an hour"/"one hour") and weighted by
how rare they are within the story, so that the names every sentence shares
("Blinken", "Russia") count little and "45 minutes" counts a lot. Measuring against
the shorter sentence lets one long sentence cover a short one.

Candidate pairs come from an index of the story's distinctive words (blocking),
so a story's cost grows with the pairs that could state one fact, not with all
pairs; rapidfuzz finds spelling variants across the story's vocabulary once.
Grouping is average-linkage: two groups merge only when their members match each
other on average, and a group takes at most one sentence per source (two when
they are neighbours that one long sentence covers), so unrelated sentences are
never chained through a middle one.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from digest.model import Claim, Sentence, SplitSource, Support
from digest.words import matching_form, without_attribution

LINK = 55.0  # minimum similarity (0-100) for two sentences to state the same fact


# Words that say who reported a fact, not what the fact is.
ATTRIBUTION = frozenset("accord report told tell say add note stat statement quot cit claim".split())


_DIGIT = re.compile(r"\d")


# What turns a word into a variant of itself, not into another word: "imprison" is
# "prison", "russian" "russia", "mutually" "mutual"; "express" is not "press", nor
# "opposition" "position", nor "secretary" "secret".
_VARIANT_PREFIXES = frozenset({"re", "un", "in", "im"})
_VARIANT_ENDINGS = frozenset(
    {"n", "y", "s", "e", "d", "ic", "ly", "al", "er", "or", "an", "ion", "ial", "ful", "ely", "ian"}
)


def spelling_variants(vocabulary: Iterable[str]) -> dict[str, str]:
    """Map each word to one canonical spelling shared by its variants.

    Variants: two spellings of one word, a letter apart (British and American
    "colour"/"color", "analys"/"analyz"; names transliterated "sergei"/"sergey",
    "zelensky"/"zelenskiy", "alexei"/"aleksei"), or a word and itself with a prefix or ending that keeps
    its meaning ("imprison"/"prison", "resurfac"/"surfac", "diplomatic"/"diplomat").
    Words two letters apart are other words ("counter"/"country", "ministry"/
    "minister"), as are those a prefix or ending apart that changes the meaning
    ("express"/"press", "secretary"/"secret"). Words must start alike, so "prison"
    never meets "poison". Computed once per story, so comparing two sentences
    stays plain set arithmetic.
    """
    words = sorted(w for w in set(vocabulary) if len(w) >= 5 and not _DIGIT.search(w))
    parent = {w: w for w in words}

    def find(w: str) -> str:
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    present = set(words)
    for w in words:
        if "x" in w and w.replace("x", "ks") in present:  # names transliterated: "alexei"/"aleksei"
            union(w, w.replace("x", "ks"))
        for cut in (1, 2, 3):
            if len(w) - cut >= 5:
                if w[:cut] in _VARIANT_PREFIXES and w[cut:] in present:
                    union(w, w[cut:])
                if w[-cut:] in _VARIANT_ENDINGS and w[:-cut] in present and not _ce_and_cy(w[:-cut], w):
                    union(w, w[:-cut])
    for shorter, longer in _a_letter_apart(words, present):
        union(shorter, longer)
    return {w: find(w) for w in words if find(w) != w}


# Where, in words joined by spaces, a word may have the letter one spelling of it
# adds (see _one_letter_apart): a doubled letter, a "u" before an "r", an "e" before
# a final "r", an "i" before a final "y", a final "y".
_ADDED_LETTER = re.compile(r"(?=([^ ])\1|ur|er(?![^ ])|iy(?![^ ])|y(?![^ ]))")


def _a_letter_apart(words: list[str], present: set[str]) -> Iterator[tuple[str, str]]:
    """The pairs of ``words`` (``present`` holds them as a set) that are one word
    spelt two ways (see _one_letter_apart) and start alike, the shorter first.
    Looked up, not searched for: each word's other last letter, then each place
    in a word where a spelling may add a letter (a handful a story)."""
    for w in words:
        other = _OTHER_LAST_LETTER.get(w[-1])
        if other is not None and w[:-1] + other in present:
            yield w, w[:-1] + other
    text = " ".join(words)
    starts = list(itertools.accumulate((len(w) + 1 for w in words), initial=0))
    for match in _ADDED_LETTER.finditer(text):
        i = bisect.bisect_right(starts, match.start()) - 1
        longer, at = words[i], match.start() - starts[i]
        shorter = longer[:at] + longer[at + 1 :]
        if shorter in present and shorter[:2] == longer[:2] and _one_letter_apart(shorter, longer):
            yield shorter, longer


def _ce_and_cy(shorter: str, longer: str) -> bool:
    """A stemmed "-ce" word and its "-cy" neighbour: two words ("polic"/"policy",
    "emergenc"/"emergency"), though a letter apart."""
    return longer == shorter + "y" and shorter.endswith("c")


# Letters that end one word in two spellings or forms: "organis"/"organiz", "defenc"/
# "defens" (stemmed), "sergei"/"sergey", "rebuild"/"rebuilt".
_LAST_LETTER_SPELLINGS = frozenset({frozenset("sz"), frozenset("cs"), frozenset("iy"), frozenset("dt")})
_OTHER_LAST_LETTER = {min(pair): max(pair) for pair in _LAST_LETTER_SPELLINGS}  # each pair once


def _one_letter_apart(shorter: str, longer: str) -> bool:
    """Whether one word is the other in another spelling, a letter apart in one of
    the ways English spellings and transliterated names differ (``longer`` is at
    most a letter longer): a doubled letter ("program"/"programm", "mohamed"/
    "mohammed"), British "-our" and "-re" ("color"/"colour", "center"/"centr"), an
    "i" before a final "y" ("zelensky"/"zelenskiy"), a final "y" ("injur"/"injury"),
    or a last letter s/z, c/s, i/y or d/t. Any other letter apart makes another word
    ("detail"/"detain", "protest"/"protect", "margin"/"marin", "crown"/"crowd"),
    at the cost of a few names spelt otherwise ("gadhafi"/"gaddafi")."""
    if len(shorter) == len(longer):
        return shorter[:-1] == longer[:-1] and frozenset((shorter[-1], longer[-1])) in _LAST_LETTER_SPELLINGS
    at = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter))
    rest = longer[at + 1 :]
    if rest != shorter[at:]:
        return False
    added = longer[at]
    if longer[at - 1 : at] == added or shorter[at : at + 1] == added:
        return True  # doubled
    return (
        (added == "u" and rest.startswith("r"))
        or (added == "e" and rest == "r")
        or (added == "i" and rest == "y")
        or (added == "y" and not rest and not _ce_and_cy(shorter, longer))
    )


@dataclass(frozen=True)
class SimilarityModel:
    """Sentence similarity within one story: word weights come from the story."""

    keys: dict[tuple[str, int], frozenset[str]]
    weights: dict[str, float]
    canonical: dict[str, str]
    totals: dict[frozenset[str], float] = field(default_factory=dict)  # weight sums, filled on use
    effective: dict[str, float] = field(default_factory=dict)  # weight() of each word seen
    # score_keys of each pair scored (symmetric: a pair is keyed in one order).
    scores: dict[tuple[frozenset[str], frozenset[str]], float] = field(default_factory=dict)
    # The runs of QUOTE_RUN words each sentence quotes (see quoted_runs), by its key.
    quotes: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def score(self, a: Sentence, b: Sentence) -> float:
        return self.score_keys(self.keys[(a.source, a.index)], self.keys[(b.source, b.index)])

    def weight(self, word: str) -> float:
        cached = self.effective.get(word)
        if cached is None:
            cached = self.effective[word] = _as_scored({word: self.weights.get(word, 1.0)})[word]
        return cached

    def total(self, key: frozenset[str]) -> float:
        cached = self.totals.get(key)
        if cached is None:
            cached = self.totals[key] = self._sum(key)
        return cached

    def _sum(self, words: frozenset[str]) -> float:
        # fsum is exact, so the result does not depend on the set's iteration
        # order (which changes with each process's string hashing).
        try:
            return math.fsum(map(self.effective.__getitem__, words))
        except KeyError:  # a word from outside the story's sentences
            return math.fsum(map(self.weight, words))

    def score_keys(self, a: frozenset[str], b: frozenset[str]) -> float:
        """0-100: mostly how much of the shorter sentence the other states. Each pair
        is scored once: aligning, choosing a wording and citing ask again about
        two pairs in five."""
        pair = (a, b) if id(a) < id(b) else (b, a)  # any fixed order will do: the score is symmetric
        score = self.scores.get(pair)
        if score is None:
            score = self.scores[pair] = self._score_keys(a, b)
        return score

    def _score_keys(self, a: frozenset[str], b: frozenset[str]) -> float:
        if not a or not b:
            return 0.0
        common = a & b
        if not common:
            return 0.0
        # _sum and total inlined: this runs ~2,000 times per story.
        try:
            shared = math.fsum(map(self.effective.__getitem__, common))
        except KeyError:
            shared = math.fsum(map(self.weight, common))
        if shared == 0:
            return 0.0
        weight_a = self.totals.get(a)
        if weight_a is None:
            weight_a = self.total(a)
        weight_b = self.totals.get(b)
        if weight_b is None:
            weight_b = self.total(b)
        if weight_a > weight_b:
            weight_a, weight_b = weight_b, weight_a
        covered = shared / weight_a if shared < weight_a else 1.0
        overall = shared / weight_b if shared < weight_b else 1.0
        if len(common) < 2 and covered > 0.5:
            covered = 0.5  # one shared word is never a shared fact
        score = round(100 * (0.75 * covered + 0.25 * overall), 1)
        if score < LINK and self.quotes:
            mine, theirs = self.quotes.get(a), self.quotes.get(b)
            if mine and theirs and not mine.isdisjoint(theirs):
                return LINK  # the same words quoted: one statement reported, however framed
        return score

    def key(self, text: str) -> frozenset[str]:
        form = matching_form(without_attribution(text))
        key = frozenset(map(self.canonical.get, form, form))  # (get(w, w): each word or its canonical spelling)
        if key not in self.quotes:  # (a story's sentences' are known: see similarity_model)
            runs = quoted_runs(text, self.canonical)
            if runs:
                self.quotes[key] = runs
        return key


# A quotation (what it quotes: its group 1), and how many of its words in a row two
# sentences must both quote to report one statement (outlets frame it in their own
# words; the words quoted are the speaker's).
QUOTATION = re.compile(r"[\"“]([^\"“”]{12,}?)[\"”]")
QUOTE_RUN = 4


def quoted_runs(text: str, canonical: dict[str, str]) -> frozenset[str]:
    """Each run of QUOTE_RUN words (as compared) inside the sentence's quotations."""
    if '"' not in text and "“" not in text:
        return frozenset()
    runs = []
    for quoted in QUOTATION.findall(text):
        form = matching_form(quoted)
        inside = list(map(canonical.get, form, form))
        runs += [" ".join(inside[i : i + QUOTE_RUN]) for i in range(len(inside) - QUOTE_RUN + 1)]
    return frozenset(runs)


def similarity_model(sources: Sequence[SplitSource]) -> SimilarityModel:
    forms = {(s.source, s.index): matching_form(without_attribution(s.text)) for src in sources for s in src.sentences}
    canonical = spelling_variants(w for form in forms.values() for w in form)
    keys = {at: frozenset(map(canonical.get, form, form)) for at, form in forms.items()}  # (see SimilarityModel.key)
    frequency = Counter(itertools.chain.from_iterable(keys.values()))
    total = max(1, len(keys))
    weights = {w: math.log((total + 1) / (count + 0.5)) for w, count in frequency.items()}
    quotes: dict[frozenset[str], frozenset[str]] = {}
    for src in sources:
        for sentence in src.sentences:
            runs = quoted_runs(sentence.text, canonical)
            if runs:
                key = keys[(sentence.source, sentence.index)]
                quotes[key] = quotes.get(key, frozenset()) | runs
    # Every sentence word's weight at hand before scoring starts.
    return SimilarityModel(keys, weights, canonical, effective=_as_scored(weights), quotes=quotes)


def _as_scored(weights: dict[str, float]) -> dict[str, float]:
    """Words' weights as scores count them: a word of ATTRIBUTION a quarter (every
    outlet frames its facts with such words)."""
    return {word: base * 0.25 if word in ATTRIBUTION else base for word, base in weights.items()}


def align(sources: Sequence[SplitSource], model: SimilarityModel | None = None) -> tuple[Claim, ...]:
    """Group the story's sentences into claims, singletons included."""
    model = model or similarity_model(sources)
    sentences = [s for src in sources for s in src.sentences]
    if not sentences:
        return ()
    lengths = {src.id: max(1, len(src.sentences)) for src in sources}
    # Ties are broken by file path, never by list position: reordering the sources
    # in a story file must not change the result.
    paths = {src.id: src.clean.raw.path for src in sources}
    pairs = _candidate_pairs(sentences, model, paths)

    cluster_of = list(range(len(sentences)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(sentences))}
    by_source: dict[int, dict[str, list[int]]] = {i: {s.source: [s.index]} for i, s in enumerate(sentences)}
    keys = [model.keys[(s.source, s.index)] for s in sentences]
    source_of = [s.source for s in sentences]
    score_keys = model.score_keys  # (which keeps each pair's score)

    def sim(i: int, j: int) -> float:
        return score_keys(keys[i], keys[j])

    for _score, i, j in pairs:
        ci, cj = cluster_of[i], cluster_of[j]
        if ci == cj or not _compatible(by_source[ci], by_source[cj]):
            continue
        cross = [score_keys(keys[a], keys[b]) for a in members[ci] for b in members[cj] if source_of[a] != source_of[b]]
        if not cross or sum(cross) / len(cross) < LINK * 0.85:
            continue
        for k in members[cj]:
            cluster_of[k] = ci
        members[ci].extend(members.pop(cj))
        for source, indices in by_source.pop(cj).items():
            by_source[ci].setdefault(source, []).extend(indices)

    # Pairs at or above LINK that ended in two claims: each claim's links to
    # sentences of sources it lacks (see Claim.linked).
    links: dict[int, dict[int, float]] = {}
    for score, i, j in pairs:
        ci, cj = cluster_of[i], cluster_of[j]
        if ci == cj:
            continue
        for root, other in ((ci, j), (cj, i)):
            if source_of[other] not in by_source[root]:
                found = links.setdefault(root, {})
                found[other] = max(score, found.get(other, 0.0))

    claims = []
    for root, group in members.items():
        group.sort(key=lambda k: (paths[sentences[k].source], sentences[k].index))
        claim = _claim(group, sentences, sim, lengths, paths)
        if root in links:
            scores = links[root]
            outside = sorted(scores, key=lambda k: (paths[sentences[k].source], sentences[k].index))
            linked = (Support(sentences[k].source, sentences[k].index, sentences[k].text, scores[k]) for k in outside)
            claim = replace(claim, linked=tuple(linked))
        claims.append(claim)
    claims.sort(key=lambda c: (c.position, paths[c.representative.source], c.representative.sentence))
    return tuple(replace(c, id=f"c{n}") for n, c in enumerate(claims, start=1))


def _candidate_pairs(
    sentences: Sequence[Sentence], model: SimilarityModel, paths: dict[str, str]
) -> list[tuple[float, int, int]]:
    """Cross-source pairs at or above LINK, best first (ties broken by position).

    Blocking on distinctive words: two sentences can only reach LINK when they
    share at least two words (see score_keys), and a pair whose shared words are
    found all over the story cannot state one specific fact. So candidates come
    from the users of each of the rarer words, pairs across sources only, and only
    pairs sharing two of them are looked at (on the seed story and 40 generated
    ones, no pair at or above LINK shares fewer). Cost grows with the words the
    sentences use (two operations on sets of sentences, in C, for each) and the
    pairs that share two such words, not with all pairs of sentences.
    """
    keys = [model.keys[(s.source, s.index)] for s in sentences]
    limit = min(max(10, len(sentences) // 3), 200)
    frequency = Counter(itertools.chain.from_iterable(keys))
    weight = model.effective  # every sentence word's weight (see similarity_model)
    # Sets of sentences as the bits of an int (bit i: sentence i), so that which
    # sentences share two words with one is found by a few operations per word
    # in C, and no pair sharing one word or none is ever looked at.
    users: dict[str, int] = {}  # distinctive word -> the sentences that use it
    distinctive: list[frozenset[str]] = []  # each sentence's distinctive words
    # For each sentence, the weights of its distinctive words summed from the
    # heaviest (tops[i][n]: its n heaviest), and those of its common words.
    tops: list[list[float]] = []
    common: list[float] = []
    for i, key in enumerate(keys):
        mine = []
        common_weight = 0.0
        for word in key:
            count = frequency[word]
            if count > limit:
                common_weight += weight[word]
            elif count >= 2:
                users[word] = users.get(word, 0) | 1 << i
                mine.append(word)
        distinctive.append(frozenset(mine))
        tops.append(list(itertools.accumulate(sorted(map(weight.__getitem__, mine), reverse=True), initial=0.0)))
        common.append(common_weight)
    # Sentences come source by source: those of later sources follow ends[i].
    ends = [0] * len(sentences)
    end = len(sentences)
    for k in range(len(sentences) - 1, -1, -1):
        if k + 1 < len(sentences) and sentences[k].source != sentences[k + 1].source:
            end = k + 1
        ends[k] = end
    totals = [model.total(key) for key in keys]

    def bound(i: int, j: int, shared: int) -> bool:
        """Whether what the pair's shared words can weigh at most reaches what LINK
        needs: its ``shared`` distinctive words, as heavy as either sentence's
        heaviest, and the common words of the lighter side, against 0.549 of the
        lighter sentence (score_keys: 75% coverage + 25% overall, rounded); most
        pairs fall short. (The margin covers rounding in these sums; fsum's in
        score_keys is exact.)"""
        most = min(tops[i][shared], tops[j][shared]) + min(common[i], common[j])
        return most * 1.000001 >= 0.549 * min(totals[i], totals[j])

    # A pair sharing exactly two (three) distinctive words can pass the bound only
    # if its lighter sentence could, paired with a copy of itself: those sentences.
    able = {
        shared: sum(1 << i for i in range(len(keys)) if len(tops[i]) > shared and bound(i, i, shared))
        for shared in (2, 3)
    }
    pairs = []
    score_keys = model.score_keys
    for i, words in enumerate(distinctive):
        # Two distinctive words in common (measured: no linked pair has fewer), and
        # two sources: each pair once, from its sentence in the earlier source.
        # one, two, three, four: the sentences sharing at least that many of its words.
        one = two = three = four = 0
        for word in words:
            using = users[word]
            four |= three & using
            three |= two & using
            two |= one & using
            one |= using
        start = ends[i]
        two >>= start
        if not two:
            continue
        three >>= start
        four >>= start
        exactly_two, exactly_three = two & ~three, three & ~four
        if not able[2] >> i & 1:
            exactly_two &= able[2] >> start
        if not able[3] >> i & 1:
            exactly_three &= able[3] >> start
        for known, found in ((2, exactly_two), (3, exactly_three), (0, four)):
            if not found:
                continue
            bits = bin(found)[:1:-1]  # bit n of ``found`` at position n
            at = bits.find("1")
            while at >= 0:
                j = start + at
                at = bits.find("1", at + 1)
                if not bound(i, j, known or len(words & distinctive[j])):
                    continue
                score = score_keys(keys[i], keys[j])
                if score >= LINK:
                    pairs.append((score, i, j))

    pairs += _quoting_pairs(sentences, keys, model, limit, {(i, j) for _, i, j in pairs})

    # Each sentence's rank by (file path, position): ties in score go to the pair
    # whose sentence first in that order comes first, then by its other sentence
    # (ranks compare as those tuples would, in a fraction of the time: a story of
    # 100 sources has ~180,000 such pairs).
    by_place = sorted(range(len(sentences)), key=lambda k: (paths[sentences[k].source], sentences[k].index))
    rank = [0] * len(sentences)
    for place, k in enumerate(by_place):
        rank[k] = place

    def order(pair: tuple[float, int, int]) -> tuple[float, int, int]:
        score, i, j = pair
        a, b = rank[i], rank[j]
        return (-score, a, b) if a < b else (-score, b, a)

    pairs.sort(key=order)
    return pairs


def _quoting_pairs(
    sentences: Sequence[Sentence],
    keys: list[frozenset[str]],
    model: SimilarityModel,
    limit: int,
    found: set[tuple[int, int]],
) -> list[tuple[float, int, int]]:
    """Cross-source pairs that quote the same words (see score_keys) and share too
    few others to be found by them, each once, as (score, earlier, later). Words
    quoted by more than ``limit`` sentences are left out, as common words are."""
    users: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        for run in model.quotes.get(key, ()):
            users.setdefault(run, []).append(i)
    pairs = []
    # (A quotation's runs mostly have the same quoters: each such group once.)
    for quoting in dict.fromkeys(tuple(q) for q in users.values() if 2 <= len(q) <= limit):
        for i, j in itertools.combinations(quoting, 2):
            if sentences[i].source != sentences[j].source and (i, j) not in found:
                found.add((i, j))
                pairs.append((model.score_keys(keys[i], keys[j]), i, j))
    return pairs


def _compatible(a: dict[str, list[int]], b: dict[str, list[int]]) -> bool:
    """At most one sentence per source, or two neighbouring ones (clusters given as
    source -> sentence indices; only the sources of the smaller one are checked)."""
    if len(a) > len(b):
        a, b = b, a
    for source, indices in a.items():
        other = b.get(source)
        if other is None:
            continue
        if len(indices) + len(other) > 2 or abs(indices[0] - other[0]) != 1:
            return False
    return True


def _claim(
    group: list[int],
    sentences: Sequence[Sentence],
    sim: Callable[[int, int], float],
    lengths: dict[str, int],
    paths: dict[str, str],
) -> Claim:
    if len(group) == 1:
        best = group[0]
        scores = {best: 100.0}
    else:
        # Each pair scored once (a claim of a 100-source story has 100 members).
        row: dict[int, dict[int, float]] = {k: {} for k in group}
        for a, b in itertools.combinations(group, 2):
            row[a][b] = row[b][a] = sim(a, b)
        totals = {k: sum(row[k][o] for o in group if o != k) for k in group}
        # Highest agreement wins; among equals, the first by path and position.
        best = min(group, key=lambda k: (-totals[k], paths[sentences[k].source], sentences[k].index))
        scores = {k: 100.0 if k == best else row[k][best] for k in group}
    members = tuple(Support(sentences[k].source, sentences[k].index, sentences[k].text, scores[k]) for k in group)
    representative = next(m for m, k in zip(members, group, strict=True) if k == best)
    positions = [(sentences[k].index - 1) / max(1, lengths[sentences[k].source] - 1) for k in group]
    return Claim("", members, representative, round(sum(positions) / len(positions), 4))
