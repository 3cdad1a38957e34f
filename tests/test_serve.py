"""`digest serve`: the preview app, incremental rebuilds, and a real server."""

from __future__ import annotations

import gc
import os
import pickle
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import digest.render
from digest.build import BuildResult, IncrementalBuilder, PagesOnDemand, build
from digest.config import load_config
from digest.model import SiteConfig
from digest.serve import Preview, Session, watched_paths
from tests.conftest import digest_process, launched_chromium, run_digest, write

REPO = Path(__file__).resolve().parent.parent
SLUG = "blinken-lavrov-reykjavik"


# --- the preview app ------------------------------------------------------------------


def call(app: Preview, path: str) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path}, start_response))
    return str(seen["status"]), seen["headers"], body  # type: ignore[return-value]


@pytest.fixture
def app() -> Preview:
    page = b"<!DOCTYPE html><html><head></head><body>story</body></html>"
    return Preview(
        "/digest/",
        {
            "index.html": b"<html><body>home</body></html>",
            "s/index.html": page,
            "404.html": b"<html><body>missing</body></html>",
            "feed.xml": b"<feed/>",
            "tags/россия/index.html": b"<html><body>tag</body></html>",
        },
    )


def test_served_under_base_path_with_redirects(app: Preview) -> None:
    assert call(app, "/")[:2] == ("302 Found", {"Location": "/digest/", "Content-Length": "0"})
    assert call(app, "/digest/")[2] == b"<html><body>home</body></html>"
    assert call(app, "/digest/s")[0] == "301 Moved Permanently"
    status, headers, body = call(app, "/digest/s/")
    assert status == "200 OK" and headers["Content-Type"] == "text/html; charset=utf-8" and b"story" in body
    assert call(app, "/digest/feed.xml")[1]["Content-Type"].startswith("application/xml")


def test_paths_beyond_ascii_are_read_as_wsgi_hands_them_over(app: Preview) -> None:
    # PEP 3333: PATH_INFO is unquoted by the server and its bytes passed as Latin-1.
    wsgi = "/digest/tags/россия/".encode().decode("latin-1")
    assert call(app, wsgi)[2] == b"<html><body>tag</body></html>"
    assert call(app, wsgi[:-1])[1]["Location"] == "/digest/tags/%D1%80%D0%BE%D1%81%D1%81%D0%B8%D1%8F/"
    assert call(app, "/digest/tags/\xff/")[0] == "404 Not Found"  # not UTF-8


def test_unknown_paths_and_escapes_get_the_404_page(app: Preview) -> None:
    for path in (
        "/digest/nope.html",
        "/elsewhere/",
        "/digest/../secret",
        "/digest/%2e%2e/secret",
        "/digest//etc/passwd",
    ):
        status, _, body = call(app, path)
        assert status == "404 Not Found" and body == b"<html><body>missing</body></html>", path


def test_error_overlay_is_escaped_and_goes_away(app: Preview) -> None:
    app.error = "content/x.md:3: YAML syntax error <script>"
    body = call(app, "/digest/s/")[2]
    assert b'id="digest-build-error"' in body and b"&lt;script&gt;" in body and b"story" in body
    app.error = None
    assert b"digest-build-error" not in call(app, "/digest/s/")[2]


# --- incremental rebuilds ---------------------------------------------------------------


def built(builder: IncrementalBuilder, config: SiteConfig) -> tuple[Mapping[str, bytes], BuildResult]:
    """A preview build: every file's bytes in memory."""
    site, result = builder.build(config)
    assert not site.kept
    return site.data, result


def test_edit_reconsolidates_one_story_and_template_edits_only_rerender(site: Path) -> None:
    only_here = (site / "seeds" / "002_6c188231047a0d29.txt").read_text(encoding="utf-8")
    write(site / "extra" / "copy.txt", only_here)
    write(site / "content" / "pair.md", "---\nsources: [seeds/001_53d2f25ad1582e78.txt, extra/copy.txt]\n---\n")
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder()
    files, first = built(builder, config)
    assert first.consolidated == 2
    same, again = built(builder, config)
    assert again.consolidated == 0 and same == files
    seed = site / "extra" / "copy.txt"
    seed.write_text(seed.read_text().replace("Cold War foes", "old rivals"), encoding="utf-8")
    edited, result = built(builder, config)
    assert result.consolidated == 1  # only the pair story uses that source
    assert b"old rivals" in edited["pair/s2.html"]
    assert edited[f"{SLUG}/index.html"] == files[f"{SLUG}/index.html"]
    template = site / "themes" / "default" / "story.html"
    template.write_text(template.read_text().replace("Who reported what", "Coverage by outlet"), encoding="utf-8")
    restyled, result = built(builder, config)
    assert result.consolidated == 0
    assert b"Coverage by outlet" in restyled[f"{SLUG}/index.html"]
    css = site / "themes" / "default" / "static" / "style.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.lead { color: teal; }\n", encoding="utf-8")
    recoloured, result = built(builder, config)
    assert result.rendered == 0 and b"color: teal" in recoloured["static/style.css"]
    assert all(recoloured[path] == restyled[path] for path in restyled if not path.startswith("static/"))


def test_a_preview_renders_only_the_site_pages_an_edit_changes(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    real = digest.render._render_page
    monkeypatch.setattr(
        digest.render, "_render_page", lambda env, config, page: rendered.append(page.path) or real(env, config, page)
    )
    write(
        site / "content" / "pair.md",
        "---\ntags: [Follow-ups]\nsources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n---\n",
    )
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder()
    first, _ = built(builder, config)
    assert {"index.html", "archives/index.html", "search/index.html", "tags/follow-ups/index.html"} <= set(rendered)
    rendered.clear()
    same, _ = built(builder, config)
    assert rendered == [] and same == first  # nothing changed: every page from memory
    story = site / "content" / "pair.md"
    story.write_text(
        story.read_text(encoding="utf-8").replace("---\n", "---\ntitle: A pair of reports\n", 1), encoding="utf-8"
    )
    edited, _ = built(builder, config)
    site_pages = {p for p in rendered if not p.startswith(("pair/", f"{SLUG}/"))}
    # (The search text file holds both stories: it goes by their listing keys.)
    listing = {"index.html", "archives/index.html", "search/index.html", "search/text-1.js"}
    assert site_pages == listing | {"tags/follow-ups/index.html"}
    assert b"A pair of reports" in edited["tags/follow-ups/index.html"]
    assert edited["tags/diplomacy/index.html"] == first["tags/diplomacy/index.html"]
    eager, _ = built(IncrementalBuilder(), config)
    assert set(edited) == set(eager) and all(edited[path] == eager[path] for path in eager)


def test_a_preview_serves_the_static_folder_and_follows_its_edits(site: Path) -> None:
    robots = write(site / "static" / "robots.txt", "User-agent: *\n")
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder()
    first, _ = built(builder, config)
    assert first["robots.txt"] == b"User-agent: *\n"
    again, result = built(builder, config)
    assert again["robots.txt"] == b"User-agent: *\n" and result.rendered == 0  # from memory
    assert os.path.realpath(robots) in builder.state.hashes.known  # (kept: not read again while unchanged)
    robots.write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    write(site / "static" / "img" / "logo.svg", "<svg/>")
    edited, result = built(builder, config)
    assert edited["robots.txt"] == b"User-agent: *\nDisallow: /\n" and edited["img/logo.svg"] == b"<svg/>"
    assert result.rendered == 0 and all(edited[p] == first[p] for p in first if p != "robots.txt")
    robots.unlink()
    gone, _ = built(builder, config)
    assert "robots.txt" not in gone and "img/logo.svg" in gone


def two_stories(site: Path) -> SiteConfig:
    """The seed story and a second one ("pair", listed after it)."""
    write(
        site / "content" / "pair.md",
        "---\nsources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n---\n",
    )
    return load_config(site / "digest.yml")


def restyle(site: Path, old: str, new: str) -> None:
    template = site / "themes" / "default" / "story.html"
    text = template.read_text(encoding="utf-8")
    assert old in text
    template.write_text(text.replace(old, new), encoding="utf-8")


def restyled_preview(site: Path) -> tuple[IncrementalBuilder, SiteConfig, Mapping[str, bytes], BuildResult]:
    """A preview of the two stories built, then story.html edited and built again."""
    config = two_stories(site)
    builder = IncrementalBuilder(defer_pages=True)
    built(builder, config)
    restyle(site, "Who reported what", "Coverage by outlet")
    return (builder, config, *built(builder, config))


def test_preview_restyle_renders_pages_when_asked_and_as_an_eager_build_would(site: Path) -> None:
    builder, config, files, result = restyled_preview(site)
    assert result.consolidated == 0 and result.rendered == 0  # no story rendered by the build itself...
    assert isinstance(files, PagesOnDemand)
    # ...but the first, to catch a broken template at once; the tag pages wait too
    # (index pages but the first do: see Renderer.site).
    tag_pages = [path for path in files.deferred if path.startswith("tags/")]
    assert tag_pages and len(files.pending()) == 1 + len(tag_pages)
    assert "pair/index.html" in files and len(files.pending()) == 1 + len(tag_pages)  # a look renders nothing
    assert b"Coverage by outlet" in files["pair/index.html"]
    assert len(files.pending()) == len(tag_pages)  # asking for one page rendered its story
    eager, _ = built(IncrementalBuilder(), config)
    assert set(files) == set(eager)
    assert all(files[path] == eager[path] for path in eager)  # byte for byte, index pages included
    again, result = built(builder, config)
    assert result.rendered == 0 and all(again[path] == eager[path] for path in eager)


def test_a_preview_restyle_of_the_index_renders_its_other_pages_when_asked(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (site / "digest.yml").write_text(
        (site / "digest.yml").read_text(encoding="utf-8") + "page_size: 1\n", encoding="utf-8"
    )
    config = two_stories(site)
    builder = IncrementalBuilder(defer_pages=True)
    built(builder, config)
    index = site / "themes" / "default" / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<p>Restyled</p>")
    )
    eager, _ = built(IncrementalBuilder(), config)
    rendered: list[str] = []
    real = digest.render._render_page
    monkeypatch.setattr(
        digest.render, "_render_page", lambda env, config, page: rendered.append(page.path) or real(env, config, page)
    )
    files, result = built(builder, config)
    assert result.rendered == 0 and isinstance(files, PagesOnDemand)
    # The home page is rendered by the build (a broken template fails it at once)...
    assert "index.html" in rendered and b"<p>Restyled</p>" in files["index.html"]
    # ...the other index pages and the tag pages when asked for, or while idle.
    waiting = {path for path in files.deferred if not path.startswith(("pair/", f"{SLUG}/"))}
    tag_pages = {path for path in eager if re.fullmatch(r"tags/[^/]+/index\.html", path)}
    assert waiting == {"page/2/index.html"} | tag_pages
    assert len(waiting) > 2 and not waiting & set(rendered)
    assert len(files.pending()) == len(waiting)  # (no story: a template they do not use changed)
    before = len(rendered)
    second = files["page/2/index.html"]
    assert rendered[before:] == ["page/2/index.html"] and b"<p>Restyled</p>" in second
    # A story page rendered after it has the globals of story pages again.
    assert second == eager["page/2/index.html"] and files[f"{SLUG}/index.html"] == eager[f"{SLUG}/index.html"]
    # The next build keeps the page rendered on request; those never asked for still wait.
    rendered.clear()
    again, result = built(builder, config)
    assert rendered == [] and isinstance(again, PagesOnDemand) and "page/2/index.html" not in again.deferred
    assert again["page/2/index.html"] == second and waiting - {"page/2/index.html"} <= set(again.deferred)
    assert all(again[path] == eager[path] for path in eager)


def test_a_preview_restyled_again_lets_go_of_the_pages_it_rendered_before(site: Path) -> None:
    # Each restyle defers every story anew; the pages rendered under the template
    # before must not stay reachable from the new deferred ones (a preview that
    # was restyled 50 times held 50 copies of every page it had shown).
    builder, config, files, _ = restyled_preview(site)
    assert b"Coverage by outlet" in files["pair/index.html"]
    shown = builder.state.stories["pair"].deferred
    assert shown is not None and shown.done
    before = weakref.ref(shown)
    del files, shown
    restyle(site, "Coverage by outlet", "Outlets, sentence by sentence")
    files, _ = built(builder, config)
    gc.collect()
    assert before() is None
    assert b"Outlets, sentence by sentence" in files["pair/index.html"]


def test_a_preview_holds_its_pages_packed_and_serves_them_as_a_build_writes_them(site: Path) -> None:
    photo = bytes(range(256)) * 64  # (a static file: held as it is, never packed)
    (site / "static").mkdir()
    (site / "static" / "photo.jpg").write_bytes(photo)
    config = load_config(site / "digest.yml")
    build(config)
    output = site / "output"
    written = {str(p.relative_to(output)): p.read_bytes() for p in output.rglob("*") if p.is_file()}
    builder = IncrementalBuilder(defer_pages=True)
    files, _ = built(builder, config)
    # (No story deferred: each was rendered here. The tag pages wait until asked for.)
    tag_pages = {path for path in written if re.fullmatch(r"tags/[^/]+/index\.html", path)}
    assert isinstance(files, PagesOnDemand) and tag_pages and set(files.deferred) == tag_pages
    assert set(files) == set(written) and all(files[path] == written[path] for path in written)
    # What memory holds of each page is zlib's packing of it, the seed story's too.
    held = builder.state.stories[SLUG].files
    assert held is not None and set(held) == {path for path in written if path.startswith(f"{SLUG}/")}
    assert all(held[path][:1] == b"z" and zlib.decompress(held[path][1:]) == written[path] for path in held)
    page = f"{SLUG}/index.html"
    assert len(held[page]) * 3 < len(written[page])
    assert sum(map(len, files.ready.values())) * 3 < sum(map(len, written.values()))
    status, _, body = call(Preview(files=files), f"/{page}")
    assert status.startswith("200") and body == written[page]
    assert files.ready["photo.jpg"] == b"=" + photo and files["photo.jpg"] == photo == written["photo.jpg"]


def test_a_preview_restyle_of_the_feed_content_reaches_the_feeds_at_once(site: Path) -> None:
    # The stories' pages are deferred, but the feeds show what the new template makes.
    config = two_stories(site)
    builder = IncrementalBuilder(defer_pages=True)
    built(builder, config)
    template = site / "themes" / "default" / "feed_content.html"
    template.write_text("<p>{{ story.title }}, in short: {{ story.lead }}</p>", encoding="utf-8")
    files, result = built(builder, config)
    assert result.rendered == 0 and isinstance(files, PagesOnDemand)
    tag_pages = [path for path in files.deferred if path.startswith("tags/")]
    assert tag_pages and len(files.pending()) == 1 + len(tag_pages)  # a story and the tag pages wait
    feed = files["feed.xml"]
    assert feed.count(b"&lt;p&gt;") == 2 and feed.count(b", in short: ") == 2 and b"&lt;sup&gt;" not in feed
    eager, _ = built(IncrementalBuilder(), config)
    assert all(files[path] == eager[path] for path in eager)
    # Memory holds each listing view as a pickle, made under the old templates' key
    # and restyled (its stale feed content left out) only as it is unpickled.
    held = builder._listings
    assert len(held) == 2 and all(isinstance(pickled, bytes) and made != key for key, pickled, made in held.values())
    stale = pickle.loads(held["pair"][1])
    assert "feed_content" in stale and "feed_content" not in builder._listing("pair", held["pair"][0])


def test_a_preview_started_after_a_build_renders_only_what_changed_since(site: Path) -> None:
    only_here = (site / "seeds" / "002_6c188231047a0d29.txt").read_text(encoding="utf-8")
    write(site / "extra" / "copy.txt", only_here)
    write(site / "content" / "pair.md", "---\nsources: [seeds/001_53d2f25ad1582e78.txt, extra/copy.txt]\n---\n")
    config = load_config(site / "digest.yml")
    build(config)
    saved = {p: p.read_bytes() for p in (site / ".digest-cache" / "state").iterdir()}
    copy = site / "extra" / "copy.txt"
    copy.write_text(copy.read_text(encoding="utf-8").replace("Cold War foes", "old rivals"), encoding="utf-8")
    session = Session(site / "digest.yml", Preview(), [].append)
    assert session.rebuild() and session.last_result is not None
    # The pair story was edited since the build: consolidated and rendered. The
    # seed story's pages are deferred (rendered once, at the end, as the first).
    assert (session.last_result.consolidated, session.last_result.rendered) == (1, 1)
    files = session.preview.files
    assert isinstance(files, PagesOnDemand) and set(files.deferred) == {
        path for path in files if path.startswith(f"{SLUG}/")
    }
    assert b"old rivals" in files["pair/s2.html"]
    eager, _ = built(IncrementalBuilder(), config)
    assert set(files) == set(eager) and all(files[path] == eager[path] for path in eager)
    output = site / "output"
    assert all(files[path] == (output / path).read_bytes() for path in files.deferred)
    # The preview reads the build's memory but never writes it.
    assert {p: p.read_bytes() for p in (site / ".digest-cache" / "state").iterdir()} == saved


def test_a_preview_started_after_a_build_takes_its_site_pages_from_the_output(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build wrote the index, tag, archive, search and feed pages a preview would
    render the same: it reads them (unless edited since) and renders only the rest."""
    config = two_stories(site)
    tagged = site / "content" / "pair.md"
    tagged.write_text(tagged.read_text(encoding="utf-8").replace("---\n", "---\ntags: [Follow-ups]\n", 1))
    build(load_config(site / "digest.yml"))
    output = site / "output"
    hand_edited = output / "tags" / "follow-ups" / "index.html"
    hand_edited.write_bytes(hand_edited.read_bytes().replace(b"</h1>", b"</h1><p>Edited by hand.</p>"))
    source_page = output / "pair" / "s2.html"  # and one page of the pair story
    source_page.write_bytes(source_page.read_bytes().replace(b"</h1>", b"</h1><p>Edited by hand.</p>"))
    rendered: list[str] = []
    real = digest.render._render_page
    monkeypatch.setattr(
        digest.render, "_render_page", lambda env, config, page: rendered.append(page.path) or real(env, config, page)
    )
    session = Session(site / "digest.yml", Preview(), [].append)
    assert session.rebuild() and session.last_result is not None and session.last_result.rendered == 0
    # (Story pages are deferred: each made when asked for, or while idle.)
    site_pages = [path for path in rendered if not path.startswith(("pair/", f"{SLUG}/"))]
    assert site_pages == []  # all but one taken from the output...
    files = session.preview.files
    assert isinstance(files, PagesOnDemand) and files.pending()
    assert "tags/follow-ups/index.html" in files.deferred  # ...which no longer holds it as built: it waits
    assert b"Edited by hand" not in files["tags/follow-ups/index.html"]
    assert rendered[-1] == "tags/follow-ups/index.html"
    # The deferred stories' pages: read from the output, but for the story with a
    # page edited there since, which is rendered again.
    assert files[f"{SLUG}/s1.html"] == (output / SLUG / "s1.html").read_bytes()
    assert b"Edited by hand" not in files["pair/s2.html"] and not files.pending()
    assert {path.split("/")[0] for path in rendered if not path.startswith("tags/")} == {"pair"}
    eager, _ = built(IncrementalBuilder(), config)
    assert set(files) == set(eager) and all(files[path] == eager[path] for path in eager)
    assert all(files[path] == (output / path).read_bytes() for path in ("index.html", "feed.xml", "search/index.html"))
    # An edit renders what it changes, as in any preview.
    tagged.write_text(tagged.read_text(encoding="utf-8").replace("---\n", "---\ntitle: A pair of reports\n", 1))
    rendered.clear()
    assert session.rebuild()
    assert "index.html" in rendered and b"A pair of reports" in session.preview.files["index.html"]


@pytest.mark.parametrize("drafts", [True, False])
def test_a_preview_shows_drafts_unless_told_not_to(site: Path, drafts: bool) -> None:
    write(site / "content" / "plans.md", "---\ndraft: true\nsources: [seeds/001_53d2f25ad1582e78.txt]\n---\n")
    session = Session(site / "digest.yml", Preview(), [].append, drafts=drafts)
    assert session.rebuild() and session.last_result is not None
    assert session.last_result.stories == (2 if drafts else 1)
    assert ("plans/index.html" in session.preview.files) is drafts


@pytest.mark.parametrize("defer", [False, True])
def test_a_new_override_template_is_used_by_the_next_rebuild(site: Path, defer: bool) -> None:
    config_file = site / "digest.yml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "theme_overrides: overrides\n", encoding="utf-8")
    (site / "overrides").mkdir()
    config = two_stories(site)
    builder = IncrementalBuilder(defer_pages=defer)
    built(builder, config)  # the stories are rendered in this process (too few for workers)
    write(
        site / "overrides" / "story.html", '{% extends "!theme/story.html" %}{% block title %}Overridden{% endblock %}'
    )
    files, _ = built(builder, config)
    for slug in (SLUG, "pair"):
        assert b"<title>Overridden</title>" in files[f"{slug}/index.html"]


def test_preview_says_each_build_warning_once_when_it_appears(site: Path) -> None:
    lines: list[str] = []
    session = Session(site / "digest.yml", Preview(), lines.append)

    def warnings_said() -> list[str]:
        said = [line for line in lines if line.startswith("warning:")]
        lines.clear()
        return said

    one = "---\nsources: [seeds/001_53d2f25ad1582e78.txt]\n---\n"
    solo = write(site / "content" / "solo.md", one)
    lonely = [
        "warning: content/solo.md: only one source; the summary cannot show agreement",
        "warning: content/solo.md: no fact is reported by two sources; the summary is empty",
    ]
    assert session.rebuild()
    assert warnings_said() == lonely  # as digest build says them
    write(site / "seeds" / "error.txt", "Home | World\nSign in\nAccept all cookies\nPrivacy policy\n")
    assert session.rebuild()  # the standing warning is not said again
    assert warnings_said() == [
        "warning: seeds/error.txt: no article text (empty or all clutter); left out of the loose articles"
    ]
    write(solo, one.replace("]", ", seeds/003_84711b47524004f0.txt]"))
    assert session.rebuild()
    assert warnings_said() == []
    write(solo, one)  # back: said again
    assert session.rebuild()
    assert warnings_said() == lonely


def test_preview_reports_a_template_error_met_by_a_deferred_story_once(site: Path) -> None:
    two_stories(site)
    lines: list[str] = []
    session = Session(site / "digest.yml", Preview(), lines.append)
    assert session.rebuild()
    broken = '{% if story.slug == "pair" %}{{ story.no_such.thing }}{% endif %}Who reported what'
    restyle(site, "Who reported what", broken)
    assert session.rebuild()  # the first story renders: the build stands
    status, _, body = call(session.preview, "/digest/pair/index.html")
    assert status == "500 Internal Server Error" and b"digest-build-error" in body and b"story.html" in body
    assert session.render_deferred(1.0)  # found while idle too: reported, the open page reloads
    assert session.render_deferred(1.0) is False  # and not again until the next save
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and "story.html" in errors[0] and "no_such" in errors[0]
    restyle(site, broken, "Fixed coverage")
    assert session.rebuild() and session.preview.error is None
    status, _, body = call(session.preview, "/digest/pair/index.html")
    assert status == "200 OK" and b"Fixed coverage" in body and b"digest-build-error" not in body
    assert session.render_deferred(1.0) is False


def test_preview_reports_a_template_error_met_by_a_deferred_tag_page(site: Path) -> None:
    two_stories(site)
    lines: list[str] = []
    session = Session(site / "digest.yml", Preview(), lines.append)
    assert session.rebuild()
    index = site / "themes" / "default" / "index.html"
    good = index.read_text(encoding="utf-8")
    index.write_text(
        good.replace("{% block content %}", "{% block content %}{% if tag %}{{ tag.no_such.thing }}{% endif %}"),
        encoding="utf-8",
    )
    assert session.rebuild()  # the home page lists no tag: it renders, the build stands
    status, _, body = call(session.preview, "/digest/index.html")
    assert status == "200 OK" and b"digest-build-error" not in body
    status, _, body = call(session.preview, "/digest/tags/diplomacy/")
    assert status == "500 Internal Server Error" and b"digest-build-error" in body and b"index.html" in body
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and "index.html" in errors[0] and "no_such" in errors[0]
    index.write_text(good, encoding="utf-8")
    assert session.rebuild() and session.preview.error is None
    status, _, body = call(session.preview, "/digest/tags/diplomacy/")
    assert status == "200 OK" and b"digest-build-error" not in body


def test_watched_paths_cover_inputs_but_never_output(site: Path) -> None:
    write(site / "extra" / "article.txt", "Headline\n\nThe Arctic Council met in Reykjavik on Wednesday.\n")
    write(site / "content" / "extra.md", "---\nsources: [extra/article.txt, seeds/001_53d2f25ad1582e78.txt]\n---\n")
    write(site / "static" / "robots.txt", "User-agent: *\n")
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder()
    builder.build(config)
    paths = watched_paths(config, builder.source_files)
    root = site.resolve()
    for expected in (
        root / "digest.yml",
        root / "content",
        root / "seeds",
        root / "extra",
        root / "static",
        root / "themes" / "default",
    ):
        assert expected in paths
    assert all(config.output_dir not in p.parents and p != config.output_dir for p in paths)


# --- a real server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, site: Path, port: int, *options: str) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}/digest/"
        self.process = digest_process(site, "serve", "--port", str(port), *options)
        self.lines: list[str] = []
        self.wait_for_line("serving ")

    def wait_for_line(self, needle: str, timeout: float = 30) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line:
                self.lines.append(line)
                if needle in line:
                    return line
            elif self.process.poll() is not None:
                break
        raise AssertionError(f"{needle!r} not printed; got {self.lines}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self.lines.append(out)
        return self.process.returncode


@pytest.fixture
def server(site: Path) -> Iterator[Server]:
    running = Server(site, free_port())
    yield running
    if running.process.poll() is None:
        running.stop()


def until(check: Callable[[], bool], timeout: float = 10, server: Server | None = None) -> None:
    """Poll ``check``; a refused or reset connection while the server is busy
    counts as "not yet". On timeout, show what the server printed."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except urllib.error.URLError as error:  # transport only: HTTP statuses come back from get()
            last_error = repr(error)
        time.sleep(0.1)
    output = ""
    if server is not None and server.process.poll() is not None:
        output = server.process.stdout.read() if server.process.stdout else ""
    raise AssertionError(
        f"condition not met in time; last error: {last_error}; server: {server and server.lines} {output}"
    )


def test_server_serves_and_follows_edits(server: Server, site: Path) -> None:
    status, page = server.get(f"{SLUG}/")
    assert status == 200 and "livereload.js" in page and "Arctic Council" in page
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10) as response:
        assert response.url.endswith("/digest/")
    assert server.get("no/such/page.html")[0] == 404

    seed = site / "seeds" / "001_53d2f25ad1582e78.txt"
    seed.write_text(seed.read_text().replace("Cold War foes", "long-time rivals"), encoding="utf-8")
    until(lambda: "long-time rivals" in server.get(f"{SLUG}/s2.html")[1], server=server)

    story = site / "content" / f"{SLUG}.md"
    edited = story.read_text().replace("title: Blinken and Lavrov meet", "title: Ministers meet")
    story.write_text(edited.replace("tags: [", "tags: [Россия, "), encoding="utf-8")
    until(lambda: "Ministers meet in Reykjavik" in server.get(f"{SLUG}/")[1], server=server)
    status, tag_page = server.get("tags/%D1%80%D0%BE%D1%81%D1%81%D0%B8%D1%8F/")
    assert status == 200 and "Ministers meet in Reykjavik" in tag_page

    template = site / "themes" / "default" / "story.html"
    template.write_text(template.read_text().replace("Who reported what", "Coverage by outlet"), encoding="utf-8")
    until(lambda: "Coverage by outlet" in server.get(f"{SLUG}/")[1], server=server)

    story.write_text(story.read_text().replace("sources:", "sources: [broken"), encoding="utf-8")
    until(lambda: "digest-build-error" in server.get(f"{SLUG}/")[1], server=server)
    assert "Coverage by outlet" in server.get(f"{SLUG}/")[1]  # the last good site stays
    story.write_text(story.read_text().replace("sources: [broken", "sources:"), encoding="utf-8")
    until(lambda: "digest-build-error" not in server.get(f"{SLUG}/")[1], server=server)
    assert server.stop() == 0
    output = "".join(server.lines)
    assert len(re.findall(r"YAML syntax error", output)) == 1  # printed once
    assert f"{site / 'content' / SLUG}.md:" in output
    assert "fixed; rebuilt" in output and "stopped" in output and "Traceback" not in output
    assert not (site / "output").exists()  # the preview never writes the output folder


def test_a_server_told_to_poll_follows_edits_too(site: Path) -> None:
    server = Server(site, free_port(), "--poll")
    try:
        seed = site / "seeds" / "001_53d2f25ad1582e78.txt"
        seed.write_text(seed.read_text().replace("Cold War foes", "old adversaries"), encoding="utf-8")
        until(lambda: "old adversaries" in server.get(f"{SLUG}/s2.html")[1], server=server)
    finally:
        assert server.stop() == 0
    assert "rebuilt in" in "".join(server.lines) and "Traceback" not in "".join(server.lines)


def test_port_in_use_is_a_clear_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_digest(site, "serve", "--port", str(port), timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "built" not in done.stdout, done.stdout  # told before the first build, not after it


def test_an_address_this_machine_lacks_is_a_clear_error(site: Path) -> None:
    # 192.0.2.1 is reserved for documentation: no machine has it.
    done = run_digest(site, "serve", "--host", "192.0.2.1", "--port", str(free_port()), timeout=60)
    assert done.returncode == 1
    assert "cannot listen on 192.0.2.1:" in done.stderr and "check --host" in done.stderr, done.stderr


def test_listen_failures_advise_what_to_change() -> None:
    import errno

    from digest.serve import _listen_advice

    assert "check --host" in _listen_advice(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert "need privileges" in _listen_advice(PermissionError(errno.EACCES, "Permission denied"))
    assert _listen_advice(OSError(errno.EADDRINUSE, "Address already in use")) == "choose another port with --port"


# --- a real browser -----------------------------------------------------------------------


def test_open_page_reloads_by_itself_after_an_edit(server: Server, site: Path) -> None:
    with launched_chromium() as browser:
        page = browser.new_page()
        page.goto(server.base + f"{SLUG}/")
        # Edits made before the page's socket is up reach nobody (the next load
        # is fresh anyway), so wait for livereload.js to connect first.
        page.wait_for_function(
            "() => window.LiveReload && window.LiveReload.connector"
            " && window.LiveReload.connector._isSocketConnected() && window.LiveReload.connector.protocol",
            timeout=10_000,
        )
        page.evaluate("() => { window.__beforeEdit = true; }")
        template = site / "themes" / "default" / "story.html"
        template.write_text(template.read_text().replace("Who reported what", "Edited coverage"), encoding="utf-8")
        page.wait_for_function("() => window.__beforeEdit === undefined", timeout=15_000)
        page.wait_for_selector("text=Edited coverage", timeout=10_000)


def test_cached_story_files_still_see_edits_new_glob_matches_and_symlinks(site: Path, tmp_path: Path) -> None:
    from digest.errors import DigestError

    seeds = site / "seeds"
    write(site / "extra" / "a.txt", (seeds / "001_53d2f25ad1582e78.txt").read_text(encoding="utf-8"))
    write(site / "content" / "globbed.md", "---\nsources: [seeds/002_6c188231047a0d29.txt, extra/*.txt]\n---\n")
    config = load_config(site / "digest.yml")
    builder = IncrementalBuilder()
    files, _ = built(builder, config)
    assert "globbed/s3.html" not in files
    write(site / "extra" / "b.txt", (seeds / "004_7fbbd0fc90f416ac.txt").read_text(encoding="utf-8"))
    files, _ = built(builder, config)
    assert "globbed/s3.html" in files  # the glob matched a new file without the story file changing
    story = site / "content" / f"{SLUG}.md"
    story.write_text(story.read_text().replace("title: Blinken and Lavrov meet", "title: Ministers meet"))
    files, _ = built(builder, config)
    assert b"Ministers meet" in files[f"{SLUG}/index.html"]
    secret = write(tmp_path / "secret.txt", "Outside the site.\n\nThe Arctic Council met in Reykjavik.")
    (seeds / "000_bec47d9d05e10e72.txt").unlink()
    (seeds / "000_bec47d9d05e10e72.txt").symlink_to(secret)
    with pytest.raises(DigestError, match="leads outside the site folder"):
        builder.build(config)


def test_a_preview_consolidates_with_as_many_workers_as_told(site: Path) -> None:
    from digest.cores import default_workers

    told = Session(site / "digest.yml", Preview(), [].append, workers=1)
    assert told.rebuild() and told.builder.workers == 1
    default = Session(site / "digest.yml", Preview(), [].append)
    assert default.rebuild() and default.builder.workers == default_workers()
