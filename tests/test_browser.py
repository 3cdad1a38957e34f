"""The seed story read in headless Chromium: footnotes, previews, back-links, the
coverage matrix, narrow screens, no requests leaving the site. Screenshots go to
$DIGEST_SCREENSHOTS (default: the test's temporary folder) to be looked at."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import build_site, launched_chromium

SLUG = "blinken-lavrov-reykjavik"


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served on a free loopback port; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site_url(site: Path, tmp_path: Path) -> Iterator[str]:
    """The built seed site, served on a free loopback port."""
    output = tmp_path / "out"
    build_site(site, output)
    with served(output) as url:
        yield url


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def browser() -> Iterator[Any]:
    with launched_chromium() as running:
        yield running


def test_footnote_to_source_sentence_and_back(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site_url) else outside.append(r.url))
    page.goto(site_url + f"{SLUG}/")
    marker = page.locator(".refs a").first
    preview = marker.locator(".preview")
    assert not preview.is_visible()
    marker.hover()
    assert preview.is_visible() and len(preview.inner_text()) > 40  # the source's own sentence
    marker.click()
    assert page.url.endswith("#fn-1")
    assert page.evaluate("document.querySelector(':target').id") == "fn-1"
    note = page.locator("#fn-1")
    cited = note.locator("q").inner_text()
    note.locator("a", has_text="sentence").click()
    page.wait_for_load_state()
    target = page.evaluate("document.querySelector(':target') && document.querySelector(':target').id")
    assert target and target.startswith("s") and "/s" in page.url
    sentence = page.locator(f"#{target}")
    assert cited in sentence.inner_text()
    sentence.locator(".backref").first.click()
    page.wait_for_load_state()
    assert page.url.split("#")[0].endswith(f"{SLUG}/index.html")
    assert page.evaluate("document.querySelector(':target').classList.contains('claim')")
    assert outside == []  # fonts, scripts and styles are all local


def test_coverage_matrix_cells_match_the_footnotes(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + f"{SLUG}/")
    outlets = page.locator(".coverage thead th").count() - 1
    rows = page.locator(".coverage tbody tr")
    assert outlets == 5 and rows.count() == page.locator(".summary .claim").count()
    for r in range(rows.count()):
        cells = rows.nth(r).locator("td")
        assert cells.count() == outlets
        marked = sum(cells.nth(c).inner_text() == "●" for c in range(outlets))
        claim_id = rows.nth(r).locator("th a").get_attribute("href").lstrip("#")
        refs = page.locator(f"#{claim_id} + sup.refs a").count()
        assert marked == refs >= 2  # every summary sentence: two or more outlets, one footnote each


@pytest.mark.parametrize("width", [1280, 375, 360])
def test_pages_fit_the_screen_and_screenshots(browser: Any, site_url: str, tmp_path: Path, width: int) -> None:
    folder = Path(os.environ.get("DIGEST_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    for path in (f"{SLUG}/index.html", f"{SLUG}/s2.html", "index.html", "tags/index.html"):
        page.goto(site_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        assert page.evaluate("document.documentElement.lang") == "en"
        name = path.replace("/", "_").replace(".html", "")
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=path.endswith("index.html"))


def test_keyboard_reaches_skip_link_and_previews(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + f"{SLUG}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px"  # visible when focused
    page.locator(".refs a").first.focus()
    assert page.locator(".refs a").first.locator(".preview").is_visible()


def test_print_stylesheet_hides_navigation_and_previews(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + f"{SLUG}/")
    page.emulate_media(media="print")
    hidden = "el => getComputedStyle(el).display === 'none'"
    assert page.locator(".site-footer").evaluate(hidden) and page.locator(".skip").evaluate(hidden)
    page.locator(".refs a").first.focus()
    assert page.locator(".refs a").first.locator(".preview").evaluate(hidden)
    assert page.locator(".summary").evaluate("el => getComputedStyle(el).display") != "none"


def test_search_finds_stories_by_any_words_case_and_accents_ignored(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site_url + "index.html")
    page.fill(".site-search input", "LAVROV reykjavík")  # the header's box: submitted to the search page
    page.press(".site-search input", "Enter")
    page.wait_for_selector("#search-results li")
    assert "search/index.html?q=LAVROV+reykjav" in page.url
    assert page.input_value("#search-query") == "LAVROV reykjavík"
    assert page.inner_text("#search-status") == "1 story"
    link = page.locator("#search-results li h2 a")
    assert link.inner_text().startswith("Blinken and Lavrov meet in Reykjavik")
    page.fill("#search-query", "Lavrov unicorns")  # every word must be found
    assert page.inner_text("#search-status") == "0 stories" and page.locator("#search-results li").count() == 0
    assert "q=Lavrov+unicorns" in page.url  # the address follows what is typed
    page.fill("#search-query", "arctic council")  # a tag
    assert page.locator("#search-results li").count() == 1
    page.fill("#search-query", "")
    assert page.inner_text("#search-status") == "" and page.locator("#search-results li").count() == 0
    assert page.locator(".search-snippet").count() == 0  # found by its card: no sentence shown
    page.fill("#search-query", "sidelines")  # a word of the summary alone
    assert page.inner_text("#search-status") == "1 story"
    sidelines = "The meeting was held on the sidelines of the Arctic Council meeting."
    assert page.inner_text("#search-results .search-snippet") == sidelines
    page.fill("#search-query", "LAVROV Sidelines")  # one word in the card, one in the summary
    assert page.inner_text("#search-results .search-snippet") == sidelines
    page.fill("#search-query", "sidelines unicorns")
    assert page.inner_text("#search-status") == "0 stories"
    page.fill("#search-query", "RFE/RL")  # an outlet
    page.locator("#search-results li h2 a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"{SLUG}/index.html")
    assert errors == []


def test_search_finds_summary_words_in_a_site_opened_from_disk(browser: Any, site: Path, tmp_path: Path) -> None:
    """The search text comes in script files (a page opened from disk may not fetch)."""
    build_site(site, tmp_path / "out")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((tmp_path / "out" / "search" / "index.html").as_uri() + "?q=sidelines+arctic")
    page.wait_for_selector("#search-results li")
    assert page.inner_text("#search-status") == "1 story"
    assert page.inner_text(".search-snippet").startswith("The meeting was held on the sidelines")
    assert errors == []


def test_search_shows_a_hostile_headline_as_text(browser: Any, site: Path, tmp_path: Path) -> None:
    hostile = '<img src=x onerror="window.pwned=1"> Talks end </script><b>bold</b>'
    (site / "content" / "hostile.md").write_text(
        f"---\ntitle: '{hostile}'\nsources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n---\n",
        encoding="utf-8",
    )
    build_site(site, tmp_path / "out")
    with served(tmp_path / "out") as url:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url + "search/index.html?q=talks+end")
        page.wait_for_selector("#search-results li")
        assert page.locator("#search-results li h2 a").inner_text() == hostile
        assert page.locator("#search-results img, #search-results b").count() == 0
        assert page.evaluate("window.pwned === undefined") and dialogs == []
