"""Claims: sentences of different sources that state the same fact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.align import LINK, align, similarity_model
from digest.clean import clean_story
from digest.model import CleanSource, Paragraph, RawSource, SplitSource
from digest.sentences import split_source
from tests.conftest import REPO, seed_sources


def make_sources(*articles: list[str]) -> list[SplitSource]:
    result = []
    for number, sentences in enumerate(articles, start=1):
        raw = RawSource(f"s{number}", f"src{number}.txt", "\n\n".join(sentences))
        clean = CleanSource(raw, None, tuple(Paragraph(t, i + 1) for i, t in enumerate(sentences)), ())
        result.append(split_source(clean))
    return result


FILLER_A = [
    "Officials in the capital confirmed the schedule for the coming week.",
    "Several ministers attended the opening session of the forum.",
]
FILLER_B = [
    "Weather in the region stayed dry throughout the visit.",
    "Local businesses reported a rise in hotel bookings.",
]


def claim_of(claims, source: str, needle: str):  # type: ignore[no-untyped-def]
    for claim in claims:
        for m in claim.members:
            if m.source == source and needle in m.text:
                return claim
    raise AssertionError(f"{needle!r} not found")


def test_reworded_sentences_align() -> None:
    pairs = [
        (
            "The meeting lasted an hour and 45 minutes.",
            "The first talks between the diplomats lasted one hour and 45 minutes, taking longer than expected.",
        ),
        (
            "An official described the meeting as businesslike and productive.",
            "An official described the meeting as business-like and productive.",
        ),
        (
            "The U.S. envoy called the talks “constructive” on Friday.",
            'The US envoy called the talks "constructive" on Friday.',
        ),
    ]
    for left, right in pairs:
        sources = make_sources([*FILLER_A, left], [right, *FILLER_B])
        claims = align(sources)
        claim = claim_of(claims, "s1", left[:20])
        assert {m.source for m in claim.members} == {"s1", "s2"}, (left, right)


def test_unrelated_sentences_stay_apart() -> None:
    sources = make_sources(
        ["The minister arrived in Oslo on Monday for talks on fishing quotas."],
        ["The minister said the fishing quotas would not change this year."],
        ["Fishing boats returned to Oslo harbour on Monday after a storm."],
    )
    claims = align(sources)
    assert all(len(c.members) == 1 for c in claims)


def test_no_chaining_through_a_middle_sentence() -> None:
    # b resembles a and c, but a and c say different things: one group may not hold all three.
    a = "The summit will be held in Geneva in June, officials said."
    b = "The summit will be held in Geneva in June, and sanctions will be discussed there."
    c = "Sanctions will be discussed there, and new tariffs on steel were announced."
    claims = align(make_sources([a], [b], [c]))
    assert not any(len(cl.members) == 3 for cl in claims)


def test_a_source_contributes_one_sentence_or_two_neighbours() -> None:
    for claim in align([split_source(c) for c in clean_story(seed_sources())]):
        by_source: dict[str, list[int]] = {}
        for m in claim.members:
            by_source.setdefault(m.source, []).append(m.sentence)
        for indices in by_source.values():
            assert len(indices) == 1 or (len(indices) == 2 and abs(indices[0] - indices[1]) == 1)


def test_seed_claims_include_known_agreements() -> None:
    sources = [split_source(c) for c in clean_story(seed_sources())]
    claims = align(sources)
    sidelines = claim_of(claims, "s1", "sidelines of the Arctic Council")
    assert len(sidelines.source_ids) == 5
    hour = claim_of(claims, "s1", "an hour and 45 minutes")
    assert "s5" in hour.source_ids
    model = similarity_model(sources)
    for claim in claims:
        for member in claim.members:
            assert 0 <= member.score <= 100
        rep = claim.representative
        assert rep in claim.members and rep.score == 100.0
    assert LINK > 0 and model.weights


def test_every_sentence_is_in_exactly_one_claim() -> None:
    sources = [split_source(c) for c in clean_story(seed_sources())]
    claims = align(sources)
    seen = [(m.source, m.sentence) for c in claims for m in c.members]
    expected = [(s.source, s.index) for src in sources for s in src.sentences]
    assert sorted(seen) == sorted(expected)


def test_sentences_quoting_the_same_words_state_one_fact() -> None:
    """Outlets frame a statement their own way but quote the speaker's words: four
    words in a row quoted by both link two sentences that share little else, and a
    quotation worded otherwise (a translation) takes nothing away."""
    from dataclasses import replace

    quoted = 'Mayor Ana Lind told the council on Tuesday that the city would "rebuild every damaged pier before the summer season".'
    framed = (
        "In a long speech that also covered school budgets, bus lanes and a new library for the northern "
        'districts, Lind vowed to "rebuild every damaged pier before summer".'
    )
    sources = make_sources([quoted, *FILLER_A], [framed, *FILLER_B])
    model = similarity_model(sources)
    first, second = model.keys[("s1", 1)], model.keys[("s2", 1)]
    blind = replace(model, quotes={}, scores={})  # the same words, no quotation seen
    assert blind.score_keys(first, second) < LINK * 0.85 and model.score_keys(first, second) == LINK
    linked = [[(m.source, m.sentence) for m in c.members] for c in align(sources, model) if len(c.members) > 1]
    assert linked == [[("s1", 1), ("s2", 1)]]
    # Three quoted words in a row are too few; other words quoted link nothing.
    for other in ('"rebuild every damaged" pier before summer', '"mend the old piers before the summer season"'):
        sources = make_sources(
            [quoted, *FILLER_A], [framed.replace('"rebuild every damaged pier before summer"', other)]
        )
        assert [c for c in align(sources) if len(c.members) > 1] == []


def test_spelling_variants_merge_but_different_words_do_not() -> None:
    from digest.align import spelling_variants

    mapping = spelling_variants(
        [
            "sergei",
            "sergey",
            "analys",
            "analyz",
            "imprison",
            "prison",
            "resurfac",
            "surfac",
            "president",
            "present",
            "prison",
            "person",
            "ration",
            "generation",
        ]
    )
    same = [("sergei", "sergey"), ("analys", "analyz"), ("imprison", "prison"), ("resurfac", "surfac")]
    for a, b in same:
        assert mapping.get(a, a) == mapping.get(b, b), (a, b)
    for a, b in [("president", "present"), ("prison", "person"), ("ration", "generation")]:
        assert mapping.get(a, a) != mapping.get(b, b), (a, b)


def test_spelling_variants_of_the_seeds_are_one_word_each() -> None:
    """Each pair below occurs in the seeds' matching forms: the variants of one word
    merge; words a prefix, an ending or a letter apart that are other words do not
    (else "it's no secret" shares a word with "Secretary of State")."""
    from digest.align import spelling_variants
    from digest.words import matching_form

    split = [split_source(c) for c in clean_story(seed_sources())]
    vocabulary = {w for s in split for sentence in s.sentences for w in matching_form(sentence.text)}
    mapping = spelling_variants(vocabulary)
    one = [("russian", "russia"), ("diplomatic", "diplomat"), ("mutually", "mutual"), ("ministerial", "minister")]
    one += [("normalis", "normaliz"), ("program", "programm"), ("sergei", "sergey"), ("imprison", "prison")]
    two = [("secretary", "secret"), ("express", "press"), ("opposition", "position"), ("counter", "country")]
    two += [("really", "recall"), ("chang", "charg"), ("ministry", "minister"), ("margin", "marin")]
    for a, b in one + two:
        assert a in vocabulary and b in vocabulary, (a, b)
    assert [(a, b) for a, b in one if mapping.get(a, a) != mapping.get(b, b)] == []
    assert [(a, b) for a, b in two if mapping.get(a, a) == mapping.get(b, b)] == []
    # Outlets spell names and words their own way: a letter apart in the ways
    # spellings differ is one word; any other letter apart, another word.
    one = [("colour", "color"), ("labour", "labor"), ("centr", "center"), ("zelensky", "zelenskiy")]
    one += [("mohammed", "mohamed"), ("injury", "injur"), ("investigator", "investigat"), ("travell", "travel")]
    one += [("defenc", "defens"), ("organis", "organiz"), ("dmitri", "dmitry"), ("rebuild", "rebuilt")]
    one += [("alexei", "aleksei"), ("maxim", "maksim"), ("alexandr", "aleksandr")]  # "x" and "ks" in a name
    two = [("crown", "crowd"), ("plane", "plant"), ("presidency", "president"), ("construction", "constructiv")]
    two += [("executiv", "execut"), ("polic", "policy")]  # an executive is not executed; police, policy
    two += [("detail", "detain"), ("diverg", "divers"), ("margin", "marin"), ("protest", "protect")]
    two += [("confirm", "conform"), ("planet", "plane")]
    mapping = spelling_variants([word for pair in one + two for word in pair])
    assert [(a, b) for a, b in one if mapping.get(a, a) != mapping.get(b, b)] == []
    assert [(a, b) for a, b in two if mapping.get(a, a) == mapping.get(b, b)] == []


# Words of a few letters, so that many pairs are a letter apart in each drawn set.
_SPELLING_LETTERS = "aeiourszcdtymx"


@settings(max_examples=300, deadline=None)
@given(st.sets(st.text(_SPELLING_LETTERS, min_size=5, max_size=9), max_size=40), st.data())
def test_words_a_letter_apart_are_found_as_by_comparing_every_pair(base: set[str], data: st.DataObject) -> None:
    """The pairs a letter apart are looked up (each word's other last letter, the
    places a spelling may add a letter), not searched for: the same pairs as
    judging every pair of words that start alike and differ in length by one at
    most. Most words are drawn as edits of others, so that there are pairs to find."""
    from digest.align import _a_letter_apart, _one_letter_apart

    edits = set()
    for word in sorted(base):
        at = data.draw(st.integers(0, len(word)))
        letter = data.draw(st.sampled_from(_SPELLING_LETTERS))
        edits |= {
            word[:at] + letter + word[at:],
            word[:at] + letter + word[at + 1 :],
            word + "y",
            word[:at] + word[at:][:1] + word[at:],
        }
    words = sorted(w for w in base | edits if len(w) >= 5)
    every_pair = set()
    for a in words:
        for b in words:
            if a < b and a[:2] == b[:2] and abs(len(a) - len(b)) <= 1:
                shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
                if _one_letter_apart(shorter, longer):
                    every_pair.add((a, b))
    found = {tuple(sorted(pair)) for pair in _a_letter_apart(words, set(words))}
    assert found == every_pair


def test_consolidating_a_story_does_not_import_numpy() -> None:
    """numpy (imported by rapidfuzz's matrix functions) costs 0.13 s, a quarter of a
    one-story edit's budget; an ordinary story never needs it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from digest.jobs import digest_story\n"
        "from digest.model import Story, StoryFile\n"
        "from tests.conftest import seed_sources\n"
        "from pathlib import Path\n"
        "sources = tuple(seed_sources())\n"
        "story = Story(StoryFile(file=Path('story.md'), slug='s', sources=()), sources)\n"
        "digest = digest_story(story, 300)\n"
        "assert digest.summary, 'no summary'\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "False"


def _by_the_patterns(text: str) -> str:
    """What without_attribution gives, from its two patterns run over the whole text
    (no cue test, no lower-casing, no search from the last comma)."""
    from digest.words import _LEADING_ATTRIBUTION, _TRAILING_ATTRIBUTION

    stripped = _LEADING_ATTRIBUTION.sub("", _TRAILING_ATTRIBUTION.sub(".", text.strip()))
    return stripped if len(stripped.split()) >= 4 else text


def test_attribution_is_left_out_of_matching_in_any_letter_case() -> None:
    from digest.words import has_any_case, without_attribution

    texts = [
        "Forty ships were stuck in the ice near Tromso, port officials said.",
        "Forty ships were stuck in the ice near Tromso, port officials SAID.",
        "Forty ships were stuck in the ice near Tromso, port officials \u017faid.",  # long s
        "According to the harbour master, forty ships were stuck in the ice.",
        "“Forty ships are stuck,” the harbour master told reporters.",
        "Forty ships were stuck in the ice near Tromso on Monday.",
        "  Ice closed the port of Tromso for nine days.  ",
    ]
    for text in texts:
        assert without_attribution(text) == _by_the_patterns(text), text
    assert without_attribution(texts[2]) == "Forty ships were stuck in the ice near Tromso."
    assert has_any_case("Officials SAID so", ("said",)) and not has_any_case("Ice “closed” it", ("said",))


# Sentences assembled from what the attribution patterns look for: commas, cue
# words in any case, quotes, whitespace, letters that fold to ASCII ("ſ", "K").
_PIECES = st.sampled_from(
    [
        ", ",
        ",",
        " said",
        " SAID",
        " ſaid",
        " says",
        " reported",
        " added",
        " told reporters",
        "According to ",
        "as reported by ",
        "the ",
        "its ",
        " officials",
        " Kelvin",
        " \u212aelvin",
        " İstanbul",
        "“",
        "”",
        '"',
        ".",
        "!",
        " ",
        "  ",
        "\t",
        " ships",
        " stuck",
        " in",
        " ice",
        "According to the port, ",
        "x" * 61,
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_attribution_removal_equals_the_patterns_run_over_the_whole_text(text: str) -> None:
    from digest.words import without_attribution

    assert without_attribution(text) == _by_the_patterns(text)


def _pairs_scoring_every_candidate(split: list[SplitSource]) -> list[tuple[float, int, int]]:
    """_candidate_pairs without its upper bound: every cross-source pair sharing two
    distinctive words is scored."""
    from collections import Counter
    from itertools import combinations

    model = similarity_model(split)
    sentences = [s for src in split for s in src.sentences]
    paths = {src.id: src.clean.raw.path for src in split}
    keys = [model.keys[(s.source, s.index)] for s in sentences]
    limit = min(max(10, len(sentences) // 3), 200)
    frequency = Counter(w for key in keys for w in key)
    postings: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        for word in key:
            if 2 <= frequency[word] <= limit:
                postings.setdefault(word, []).append(i)
    shared = Counter(pair for posting in postings.values() for pair in combinations(posting, 2))
    pairs = []
    for (i, j), count in shared.items():
        if count >= 2 and sentences[i].source != sentences[j].source:
            score = model.score_keys(keys[i], keys[j])
            if score >= LINK:
                pairs.append((score, i, j))

    def position(k: int) -> tuple[str, int]:
        return paths[sentences[k].source], sentences[k].index

    return sorted(
        pairs, key=lambda p: (-p[0], min(position(p[1]), position(p[2])), max(position(p[1]), position(p[2])))
    )


def test_the_bound_on_shared_weight_skips_no_linked_pair() -> None:
    """_candidate_pairs leaves unscored the pairs whose shared words cannot weigh
    enough to reach LINK; on the seeds and generated stories it must find exactly
    the pairs that scoring every candidate finds."""
    from benchmarks.generate import story_texts
    from digest.align import _candidate_pairs

    stories = [seed_sources()]
    for number in (3, 4, 11, 27):
        stories.append([RawSource(f"s{k + 1}", f"{k}.txt", t) for k, t in enumerate(story_texts(number))])
    linked = 0
    for sources in stories:
        split = [split_source(c) for c in clean_story(sources)]
        model = similarity_model(split)
        sentences = [s for src in split for s in src.sentences]
        paths = {src.id: src.clean.raw.path for src in split}
        expected = _pairs_scoring_every_candidate(split)
        assert _candidate_pairs(sentences, model, paths) == expected
        linked += len(expected)
    assert linked > 200


def test_a_pair_scored_again_or_reversed_keeps_its_score() -> None:
    """score_keys keeps each pair's score: asked again, in either order, it must
    give what a model that never scored the pair gives."""
    split = [split_source(c) for c in clean_story(seed_sources())]
    model = similarity_model(split)
    keys = sorted(set(model.keys.values()), key=sorted)
    pairs = [(a, b) for n, a in enumerate(keys) for b in keys[n : n + 12]]
    first = [model.score_keys(a, b) for a, b in pairs]
    again = [model.score_keys(b, a) for a, b in pairs]
    fresh = similarity_model(split)
    assert first == again == [fresh._score_keys(b, a) for a, b in pairs]
    assert len(model.scores) <= len(pairs) and len(fresh.scores) == 0
    assert sum(score >= LINK for score in first) >= 10  # linked pairs among them, not only zeros


def test_a_claims_linked_sentences_are_of_sources_it_lacks_and_reach_link() -> None:
    from digest.align import LINK, similarity_model

    split = [split_source(c) for c in clean_story(seed_sources())]
    model = similarity_model(split)
    claims = align(split, model)
    assert any(c.linked for c in claims)  # (the seed has sentences stating two claims' facts)
    members = {(m.source, m.sentence) for c in claims for m in c.members}
    for claim in claims:
        for linked in claim.linked:
            assert linked.source not in claim.source_ids
            assert (linked.source, linked.sentence) in members  # (a member of another claim)
            best = max(
                model.score_keys(model.keys[(m.source, m.sentence)], model.keys[(linked.source, linked.sentence)])
                for m in claim.members
            )
            assert LINK <= linked.score <= best
        assert list(claim.linked) == sorted(claim.linked, key=lambda s: (int(s.source[1:]), s.sentence))
