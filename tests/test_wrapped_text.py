"""Hard-wrapped articles joined back into paragraphs before cleaning."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from digest.clean import clean_story
from digest.content import reduced
from digest.model import RawSource
from digest.wrapped_text import unwrapped
from tests.conftest import seed_sources


def wrapped(text: str, width: int) -> str:
    """The text as wire copy or an e-mail carries it: each paragraph wrapped."""
    return "\n\n".join("\n".join(textwrap.wrap(p, width)) if p.strip() else p for p in text.split("\n\n"))


@pytest.mark.parametrize("width", [60, 72, 100])
def test_a_wrapped_seed_cleans_as_the_seed_itself(width: int) -> None:
    # Read line by line, seed 000 wrapped at 72 kept 803 of its 1888 body characters,
    # and the others' paragraphs came out as three or four fragments each.
    sources = seed_sources()
    expected = [[p.text for p in c.paragraphs] for c in clean_story(sources)]
    for i, source in enumerate(sources):
        page = reduced(source.path, wrapped(source.text, width))  # as a source is loaded
        assert page is not None, source.path
        story = [replace(source, text=page.text, origins=page.origins) if j == i else s for j, s in enumerate(sources)]
        assert [p.text for p in clean_story(story)[i].paragraphs] == expected[i], (source.path, width)


def test_text_that_is_not_wrapped_is_read_as_it_is() -> None:
    for source in seed_sources():  # paragraphs on lines of any length
        assert unwrapped(source.text) is None
        assert unwrapped(source.text.replace("\n\n", "\n")) is None  # one paragraph a line, no blank lines
    menu = "\n".join(["Home", "World", "Business", "Sport", "Culture"] * 5)
    assert unwrapped(menu) is None
    # One sentence a line, all of a length: lines of a list, not a wrapped paragraph.
    listed = "\n".join(f"Observer {n} noted the Arctic Council meeting in Reykjavik." for n in range(50))
    assert unwrapped(listed) is None


def test_joined_lines_keep_the_file_line_they_start_on_and_broken_words_heal() -> None:
    first = [
        "The harbour bridge reopened to cars and",
        "cyclists on Saturday after its two-",
        "year repair, which cost the city about",
        "48 million euros, officials said, and",
        "the ferry that replaced it will stop.",
    ]
    second = [
        "Engineers replaced all of the 112 steel",
        "cables and laid a new surface on the",
        "deck, the transport department said in",
        "a statement published on its website",
        "on Friday evening.",
    ]
    text = "\n".join(["Bridge reopens", "", *first, "", *second, ""])
    page = unwrapped(text)
    assert page is not None
    found = [(page.origins[i], line) for i, line in enumerate(page.text.split("\n")) if line]
    assert found == [
        (1, "Bridge reopens"),
        (3, " ".join(first).replace("two- year", "two-year")),
        (9, " ".join(second)),
    ]
    source = RawSource("s1", "wire.txt", page.text, origins=page.origins)
    assert [source.file_line(n) for n in (1, 3, 5)] == [1, 3, 9]
