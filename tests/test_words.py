"""Tokens and compared forms: the shared vocabulary of every stage."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.words import fold, matching_form, words


def test_words_unify_abbreviations_possessives_and_hyphens() -> None:
    assert words("The U.S. envoy met Russia’s foreign minister.") == (
        "the",
        "us",
        "envoy",
        "met",
        "russia",
        "foreign",
        "minister",
    )
    assert words("A business-like meeting; they don't agree on the 6.5-km border.") == (
        "a",
        "businesslike",
        "meeting",
        "they",
        "dont",
        "agree",
        "on",
        "the",
        "6.5",
        "km",
        "border",
    )
    assert words("Rock'n'roll at 8:30 in the U.S.A") == ("rocknroll", "at", "8", "30", "in", "the", "usa")


def test_fold_maps_typography_to_ascii() -> None:
    assert fold("“Talks” – ‘frank’ — said\u00a0Lavrov´s aide") == "\"Talks\" - 'frank' - said Lavrov's aide"
    assert fold("Non\u2011binding ＂talks＂ \ufe58 ﬁnal") == 'Non-binding "talks" - final'  # NFKC forms too
    assert fold("plain `ascii`") == "plain 'ascii'"


def test_matching_form_counts_articles_before_units_only() -> None:
    assert matching_form("The meeting lasted an hour and a half.") == ("meet", "last", "1", "hour", "half")
    assert matching_form("The meeting lasted one hour.") == ("meet", "last", "1", "hour")
    assert matching_form("A minister met an envoy for 8,000 reasons, a week apart.") == (
        "minister",
        "met",
        "envoy",
        "8000",
        "reason",
        "1",
        "week",
        "apart",
    )
    assert matching_form("They spoke for a") == ("spok",)


_TOKEN = re.compile(r"[^\W_]+(?:['.][^\W_]+)*")


def _words_token_by_token(text: str) -> tuple[str, ...]:
    """The rules of ``words`` applied one token at a time (its fast paths skip this)."""
    text = re.sub(r"(?<=[^\W\d])-(?=[^\W\d])", "", fold(text).lower())
    out = []
    for token in _TOKEN.findall(text):
        if "." in token and re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):
            token = token.replace(".", "")
        elif "'" in token:
            token = token.split("'")[0] if token.endswith("'s") else token.replace("'", "")
        out.append(token)
    return tuple(out)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab1 .,'’-_éU.S“”\u00a0", max_size=40))
def test_words_equal_the_token_by_token_rules(text: str) -> None:
    assert words(text) == _words_token_by_token(text)
