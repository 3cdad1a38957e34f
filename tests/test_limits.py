"""Bad and extreme input end to end: each case ends in bounded time with a clear result.

The bounds here are hang guards (a test fails instead of running forever), not
speed targets; speed is measured in benchmarks/.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from digest.errors import DigestError
from tests.conftest import build_site, digest_process, write

SLUG = "blinken-lavrov-reykjavik"


@contextmanager
def at_most(seconds: int) -> Iterator[None]:
    def fail(*_: object) -> None:
        raise TimeoutError(f"took longer than the {seconds} s bound")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def add_story(site: Path, name: str, data: bytes) -> None:
    (site / "seeds" / name).write_bytes(data)
    write(site / "content" / "extra.md", f"---\nsources:\n  - seeds/{name}\n  - seeds/001_53d2f25ad1582e78.txt\n---\n")


def test_ten_megabyte_article_is_refused_at_once(site: Path, tmp_path: Path) -> None:
    add_story(site, "huge.txt", b"word " * (2 * 1024 * 1024))
    with at_most(5), pytest.raises(DigestError) as caught:
        build_site(site, tmp_path / "out")
    assert "huge.txt" in caught.value.location_message()
    assert "10.0 MB; an article may be at most 5 MB" in caught.value.message


def test_twenty_thousand_line_article_builds_within_bound(site: Path, tmp_path: Path) -> None:
    lines = [f"Line {n}: the Arctic Council meeting in Reykjavik was noted by observer {n}." for n in range(20_000)]
    add_story(site, "long.txt", ("A very long article\n" + "\n".join(lines)).encode())
    with at_most(120):
        result = build_site(site, tmp_path / "out")
    assert result.stories == 2
    page = (tmp_path / "out" / "extra" / "s1.html").read_text(encoding="utf-8")
    assert 'id="s20000"' in page or page.count('class="sentence') >= 19_000


# Saved pages that made the standard library's HTML parser scan the rest of the page
# again at every "<" (minutes for a few hundred kilobytes), or that nest or split
# without end: 1-2 MB each, read in a fraction of a second now.
HOSTILE_PAGES = {
    "tags left unclosed": "<a href='x" * 100_000,
    "comments left unclosed": "<!-- x " * 150_000,
    "declarations left unclosed": "<!x" * 330_000,
    "a '<' that opens nothing": "a < b " * 170_000,
    "100,000 elements left open": "<div class=a>" * 50_000 + "</i>" * 100_000,
    "one paragraph of 250,000 pieces": "<p>" + "<b>x</b> " * 250_000 + "</p>",
}


@pytest.mark.parametrize("kind", HOSTILE_PAGES)
def test_hostile_web_page_builds_within_bound(site: Path, tmp_path: Path, kind: str) -> None:
    add_story(site, "hostile.html", ("<html><body><p>Start.</p>" + HOSTILE_PAGES[kind]).encode())
    with at_most(30):
        result = build_site(site, tmp_path / "out")
    assert result.stories == 2
    page = (tmp_path / "out" / "extra" / "s1.html").read_text(encoding="utf-8")
    assert "Start." in page


def test_a_story_whose_sentences_all_quote_the_same_words_aligns_within_bound() -> None:
    # Sentences quoting the same words are paired (see align._quoting_pairs): words
    # quoted by more sentences than a common word has are left out, as common words
    # are, or 5,000 such sentences would make 12.5 million pairs.
    from digest.align import align
    from tests.test_align import make_sources

    quote = '"we will rebuild every damaged pier before the summer season begins"'
    articles = [[f"Speaker {s} said at event {k} that {quote}." for k in range(50)] for s in range(100)]
    with at_most(30):
        claims = align(make_sources(*articles))
    assert len(claims) > 100  # (not one claim of everything)


def test_empty_article_builds_with_a_warning(site: Path, tmp_path: Path) -> None:
    add_story(site, "empty.txt", b"")
    result = build_site(site, tmp_path / "out")
    assert "seeds/empty.txt: no article text found" in result.warnings
    with pytest.raises(DigestError, match="warning"):
        from digest.build import build
        from digest.config import load_config

        build(load_config(site / "digest.yml", output=str(tmp_path / "out")), strict=True)


def test_binary_file_is_an_error_naming_it(site: Path, tmp_path: Path) -> None:
    add_story(site, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DigestError) as caught:
        build_site(site, tmp_path / "out")
    assert caught.value.location_message().startswith(f"{site / 'seeds' / 'photo.txt'}:")
    assert "binary file" in caught.value.message


def test_control_characters_never_reach_the_feed(site: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    seed = (site / "seeds" / "001_53d2f25ad1582e78.txt").read_text(encoding="utf-8")
    add_story(site, "ctrl.txt", seed.replace("The Kremlin has said", "The\x0b Kremlin\x1b has said").encode())
    build_site(site, tmp_path / "out")
    ET.parse(tmp_path / "out" / "feed.xml")
    assert "\x1b" not in (tmp_path / "out" / "extra" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "encoding_note"),
    [
        ("Café “quoted” headline\r\n\r\nBody text here.".encode("utf-16"), None),
        ("Café “quoted” headline\r\rBody text here.".encode("cp1252"), "read as Windows-1252"),
        (b"\xef\xbb\xbfCaf\xc3\xa9 headline\n\nBody.", None),
    ],
)
def test_encodings_build(site: Path, tmp_path: Path, data: bytes, encoding_note: str | None) -> None:
    add_story(site, "enc.txt", data)
    result = build_site(site, tmp_path / "out")
    notes = [w for w in result.warnings if "enc.txt" in w and "Windows-1252" in w]
    assert bool(notes) == bool(encoding_note)
    assert "Café" in (tmp_path / "out" / "extra" / "s1.html").read_text(encoding="utf-8")


def test_killed_build_leaves_previous_output_and_next_build_tidies(site: Path, tmp_path: Path) -> None:
    import subprocess
    import time

    from tests.conftest import tree_bytes

    output = tmp_path / "out"
    build_site(site, output)
    before = tree_bytes(output)
    lines = [f"Line {n}: the Arctic Council meeting in Reykjavik was noted by observer {n}." for n in range(20_000)]
    add_story(site, "long.txt", ("A very long article\n" + "\n".join(lines)).encode())
    for sig in (signal.SIGINT, signal.SIGKILL):
        process = digest_process(site, "build", "--output", str(output), stderr=subprocess.PIPE)
        time.sleep(1.5)
        assert process.poll() is None, "build finished before it could be interrupted"
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
        assert process.returncode != 0
        if sig == signal.SIGINT:
            assert "interrupted; the previous output is unchanged" in err
            assert "Traceback" not in err
        assert tree_bytes(output) == before
    (tmp_path / f".{output.name}.new-leftover").mkdir()
    (site / "content" / "extra.md").unlink()
    build_site(site, output)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_story_with_no_usable_source_is_an_error(site: Path, tmp_path: Path) -> None:
    (site / "seeds" / "blank.txt").write_bytes(b"\n\n   \n")
    (site / "seeds" / "menu.txt").write_bytes(b"Home\n\nMenu\n\nSearch\n")
    write(site / "content" / "nothing.md", "---\nsources: [seeds/blank.txt, seeds/menu.txt]\n---\n")
    with pytest.raises(DigestError) as caught:
        build_site(site, tmp_path / "out")
    assert caught.value.file == str(site / "content" / "nothing.md")
    assert "no usable source" in caught.value.message
