"""Saved web pages: reduced to text with the page's structure as evidence."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.seed_truth import BODY
from digest.clean import clean_story
from digest.html_text import BLOCKS, LANDMARK_HINTS, SKIP, VOID, _Extractor, _parse, html_to_text, looks_like_html
from digest.model import RawSource
from tests.conftest import build_site, seed_sources, write


def seed_as_html() -> tuple[str, list[str]]:
    """Seed 002 saved as a web page, with page furniture written here."""
    raw = seed_sources()[2].text.split("\n")
    body = [raw[n - 1] for n in BODY["002_6c188231047a0d29.txt"]]
    paragraphs = "\n".join(f"  <p>{line}</p>" for line in body)
    html = f"""<!DOCTYPE html>
<html lang="en">
<head><title>Diplomats | Example Wire</title>
<script>var tracking = "Lavrov Blinken summit";</script>
<style>p {{ color: red }}</style></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li></ul></nav>
<div class="cookie-consent">We use cookies to improve your visit. <button>OK</button></div>
<article>
  <h1>{raw[0]}</h1>
  <figure><img src="x.jpg"><figcaption>Antony Blinken and Sergei Lavrov in Reykjavik, Iceland, on May 19.</figcaption></figure>
{paragraphs}
  <div class="share-bar"><a>Facebook</a> <a>Twitter</a> <a>Email</a></div>
</article>
<aside><h2>Most popular</h2><ul><li>Lavrov and Blinken: a timeline of U.S.-Russia talks since 2009</li>
<li>Russian economy grows faster than expected</li></ul></aside>
<section id="comments"><h3>3 comments</h3><form><textarea>Your comment about Lavrov</textarea></form></section>
<footer>Example Wire &copy; 2021. All rights reserved.</footer>
</body></html>
"""
    return html, body


def test_html_to_text_blocks_origins_and_hints() -> None:
    page = html_to_text(
        "<html><body>\n<nav>Home</nav>\n<p>One <b>bold</b>\nword.</p><p>Two.</p>\n<script>x()</script></body></html>"
    )
    assert page.text.split("\n\n") == ["Home", "One bold word.", "Two."]
    assert page.origins[0] == 2 and page.origins[2] == 3 and page.origins[4] == 4
    assert page.hints == ((1, "navigation", "in the page's navigation (<nav>)"),)
    assert "x()" not in page.text


def test_looks_like_html() -> None:
    assert looks_like_html("a.html", "") and looks_like_html("a.txt", "<!DOCTYPE html><p>x")
    assert not looks_like_html("a.txt", "Plain text <b>with</b> a tag")


def test_saved_page_is_cleaned_like_text() -> None:
    html, body = seed_as_html()
    page = html_to_text(html)
    sources = [s for i, s in enumerate(seed_sources()) if i != 2]
    source = RawSource("s9", "seeds/page.html", page.text, origins=page.origins, hints=page.hints)
    cleaned = clean_story([*sources, source])[-1]
    assert [p.text for p in cleaned.paragraphs] == [" ".join(b.split()) for b in body]
    assert cleaned.title and cleaned.title.startswith("U.S., Russian Diplomats")
    reasons = {r.text: r.reason for r in cleaned.removed}
    assert reasons["Home"] == "in the page's navigation (<nav>)"
    assert "caption" in reasons["Antony Blinken and Sergei Lavrov in Reykjavik, Iceland, on May 19."]
    assert "timeline of U.S.-Russia talks" in " ".join(reasons)
    assert "Example Wire © 2021. All rights reserved." in reasons
    html_lines = html.split("\n")
    for removed in cleaned.removed:
        assert removed.text.split()[0] in html_lines[removed.line - 1], removed
    assert "tracking" not in page.text and "color" not in page.text


def test_html_source_in_a_build(site: Path, tmp_path: Path) -> None:
    html, _ = seed_as_html()
    write(site / "seeds" / "wire.html", html)
    story = site / "content" / "blinken-lavrov-reykjavik.md"
    story.write_text(
        story.read_text().replace("  - path: seeds/002_6c188231047a0d29.txt\n", "  - path: seeds/wire.html\n")
    )
    build_site(site, tmp_path / "out")
    page = (tmp_path / "out" / "blinken-lavrov-reykjavik" / "s3.html").read_text()
    assert "Ned Price" in page and "tracking" not in page and "<textarea" not in page


# --- the tokenizer --------------------------------------------------------------------


class _StandardLibrary(HTMLParser):
    """The same extractor fed by the standard library's parser, which digest used
    before its own tokenizer: on a well-formed page the two must agree."""

    def __init__(self, into: _Extractor) -> None:
        super().__init__(convert_charrefs=True)
        self.into = into

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.into.start(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.into.end(tag)

    def handle_data(self, data: str) -> None:
        self.into.data(data, self.getpos()[0])


def blocks(page: str, standard_library: bool = False) -> list[tuple[str, int, tuple[str, str] | None]]:
    into = _Extractor()
    if standard_library:
        parser = _StandardLibrary(into)
        parser.feed(page)
        parser.close()
    else:
        _parse(page, into)
    into.close()
    return into.blocks


_TEXT = st.lists(
    st.sampled_from(
        [
            "Lavrov",
            "met",
            "Blinken",
            " ",
            "\n",
            "  ",
            "&amp;",
            "&lt;",
            "caf&eacute;",
            "&#8217;",
            "R&D",
            "a < b",
            "5 > 3",
            "\u00a0",
            "x",
        ]
    ),
    max_size=6,
).map("".join)
_ATTRIBUTES = st.lists(
    st.tuples(
        st.sampled_from(["class", "id", "role", "href", "data-x", "CLASS"]),
        st.sampled_from(["related-posts", "share bar", "story", "byline", "x > y", "it's", 'say "hi"', "&amp;", ""]),
        st.sampled_from(['"', "'", ""]),
    ),
    max_size=3,
)
_TAGS = sorted(BLOCKS | SKIP | VOID | set(LANDMARK_HINTS) | {"span", "a", "b", "em", "textarea"})


def _attributes(attrs: list[tuple[str, str, str]]) -> str:
    written = []
    for name, value, quote in attrs:
        if quote == "" and (not value or any(c in value for c in " \"'=<>`")):
            quote = '"' if '"' not in value else "'"
        if quote and quote in value:
            quote = "'" if quote == '"' else '"'
        written.append(f" {name}={quote}{value}{quote}")
    return "".join(written)


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attrs = _attributes(draw(_ATTRIBUTES))
    if tag in VOID:
        return f"<{tag}{attrs}{draw(st.sampled_from(['', '/', ' /']))}>"
    if tag in ("script", "style"):
        return f"<{tag}{attrs}>var x = '<p>not text</p>'; a < b && c > d;</{tag}>"
    children = draw(st.lists(_TEXT if depth >= 3 else st.one_of(_TEXT, _element(depth + 1)), max_size=4))
    spacer = draw(st.sampled_from(["", "\n", "\n  "]))
    return f"<{tag}{attrs}>{spacer}{''.join(children)}</{tag.upper() if depth == 1 else tag}>"


@st.composite
def _page(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["", "<!DOCTYPE html>\n", "<!doctype html><html><head><title>T</title></head>"]))
    parts = draw(st.lists(st.one_of(_element(), _TEXT, st.just("<!-- a <p>comment</p> -->")), max_size=6))
    return head + "<body>" + "\n".join(parts) + "</body></html>"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_page())
def test_a_well_formed_page_gives_the_blocks_the_standard_library_parser_gives(page: str) -> None:
    assert blocks(page) == blocks(page, standard_library=True)


def test_the_seed_saved_as_a_page_gives_the_blocks_the_standard_library_parser_gives() -> None:
    html, _ = seed_as_html()
    assert blocks(html) == blocks(html, standard_library=True)
    assert len(blocks(html)) > 20


def test_broken_markup_is_read_as_browsers_read_it() -> None:
    # What is left open runs to the end of the page, and a "<" that opens nothing is text.
    assert html_to_text("<p>a < b and c<d</p><p>kept</p>").text == "a < b and c\n\nkept"  # a tag "d<"
    assert html_to_text("<p>before</p><p>x <a href='unclosed>lost</a></p><p>lost too</p>").text == "before\n\nx"
    assert html_to_text("<p>one</p><!-- never closed <p>hidden</p>").text == "one"
    assert html_to_text("<p>one</p><!--><p>two</p><!---><p>three</p>").text == "one\n\ntwo\n\nthree"
    assert html_to_text("<p>one</p><script>if (a</p>) {}").text == "one"
    assert html_to_text("<p>x</p></><?php echo 1 ?></ 3><p>y</p><![CDATA[ z ]]>").text == "x\n\ny"
    # An end tag closes what it names and the elements left open inside it; one naming nothing open is ignored.
    page = html_to_text('<div class="comments"><p>c1<span><b>c2</div><p>body</p></span></i>')
    assert page.text == "c1c2\n\nbody"
    assert page.hints == ((1, "comments", "in the comments section"),)  # "body" is outside the closed div
