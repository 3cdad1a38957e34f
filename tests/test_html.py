"""Saved web pages: reduced to text with the page's structure as evidence."""

from __future__ import annotations

from pathlib import Path

from benchmarks.seed_truth import BODY
from digest.clean import clean_story
from digest.html_text import html_to_text, looks_like_html
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
