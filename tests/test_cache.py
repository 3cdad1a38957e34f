"""The build cache: later builds redo only what changed, and never trust a damaged
or stale entry."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from digest.build import PARSED, STATE, BuilderState, BuildResult, build, load_state
from digest.cache import SHARDS, FileHashes, ShardedMappings, Store, remove_cache, shard_of, unpickled
from digest.config import load_config
from digest.errors import DigestError
from digest.model import StoryDigest
from digest.progress import ProgressBar
from digest.write import fcntl, output_lock
from tests.conftest import always_in_workers, process_ended, tree_bytes, write

SLUG = "blinken-lavrov-reykjavik"
PAIR_SOURCES = "sources: [seeds/001_53d2f25ad1582e78.txt, extra/copy.txt]"


@pytest.fixture
def two_stories(site: Path) -> Path:
    """The seed story plus a two-source story whose second source only it uses."""
    only_here = (site / "seeds" / "002_6c188231047a0d29.txt").read_text(encoding="utf-8")
    write(site / "extra" / "copy.txt", only_here)
    write(site / "content" / "pair.md", f"---\n{PAIR_SOURCES}\n---\n")
    return site


def run_build(site: Path, **options: bool) -> BuildResult:
    return build(load_config(site / "digest.yml"), **options)  # type: ignore[arg-type]


def inodes(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def edit_copy(site: Path, old: str, new: str) -> None:
    path = site / "extra" / "copy.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_second_build_does_nothing_and_touches_nothing(two_stories: Path) -> None:
    first = run_build(two_stories)
    assert (first.consolidated, first.rendered) == (2, 2) and first.written == first.files
    output = two_stories / "output"
    run_build(two_stories)  # (a second build may record what the first could not: the settled hashes)
    cache = two_stories / ".digest-cache"
    before_bytes, before_inodes, cache_inodes = tree_bytes(output), inodes(output), inodes(cache)
    second = run_build(two_stories)
    assert (second.consolidated, second.rendered, second.written) == (0, 0, 0)
    assert tree_bytes(output) == before_bytes and inodes(output) == before_inodes
    assert inodes(cache) == cache_inodes  # the build's memory is not saved again either


def test_one_edit_reconsolidates_one_story_and_writes_only_changed_files(two_stories: Path) -> None:
    run_build(two_stories)
    output = two_stories / "output"
    before = inodes(output)
    edit_copy(two_stories, "Cold War foes", "old rivals")
    result = run_build(two_stories)
    assert (result.consolidated, result.rendered) == (1, 1)
    after = inodes(output)
    changed = {path for path in after if after[path] != before.get(path)}
    assert "pair/s2.html" in changed and "pair/digest.json" in changed
    assert not any(path.startswith(SLUG) for path in changed)  # the other story: same inodes, same times
    assert b"old rivals" in (output / "pair" / "s2.html").read_bytes()
    assert result.written == len(changed)


def test_cached_build_equals_a_build_without_cache(two_stories: Path, tmp_path: Path) -> None:
    run_build(two_stories)
    edit_copy(two_stories, "Cold War foes", "old rivals")
    (two_stories / "content" / "pair.md").write_text(f"---\ntitle: A pair\n{PAIR_SOURCES}\n---\n")
    run_build(two_stories)
    cached = tree_bytes(two_stories / "output")
    fresh = build(load_config(two_stories / "digest.yml", output=str(tmp_path / "fresh")), use_cache=False)
    assert fresh.consolidated == 2
    assert tree_bytes(tmp_path / "fresh") == cached


def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stories go to worker processes (even two, even on one core), which take their
    digests from the cache themselves: the build process never loads one."""
    import digest.build
    import digest.keys

    always_in_workers(monkeypatch)

    def not_here(*args: object) -> None:
        raise AssertionError("the build process loaded a digest")

    monkeypatch.setattr(digest.build.IncrementalBuilder, "_digest", not_here)


@pytest.mark.parametrize("workers", [False, True])
def test_template_edit_rerenders_without_reconsolidating(
    two_stories: Path, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_build(two_stories)
    output = two_stories / "output"
    good = tree_bytes(output)
    tampered = output / "pair" / "digest.json"
    tampered.write_bytes(tampered.read_bytes().replace(b'"title"', b'"name"'))  # by hand, after the build
    before = inodes(output)
    if workers:
        in_workers(monkeypatch)
    import digest.render

    made = digest.render.digest_json_bytes

    def only_the_tampered_one(digest: StoryDigest) -> bytes:
        assert digest.slug == "pair", f"{digest.slug}/digest.json made again"
        return made(digest)

    monkeypatch.setattr(digest.render, "digest_json_bytes", only_the_tampered_one)
    template = two_stories / "themes" / "default" / "story.html"
    template.write_text(template.read_text().replace("Who reported what", "Coverage by outlet"), encoding="utf-8")
    result = run_build(two_stories)
    assert (result.consolidated, result.rendered) == (0, 2)
    assert b"Coverage by outlet" in (output / SLUG / "index.html").read_bytes()
    # No template shapes digest.json: the one the output holds is kept (same inode,
    # same time), and the one edited by hand is written again.
    after = inodes(output)
    assert after[f"{SLUG}/digest.json"] == before[f"{SLUG}/digest.json"]
    assert after[f"{SLUG}/index.html"] != before[f"{SLUG}/index.html"]
    assert tampered.read_bytes() == good["pair/digest.json"]
    restored = template.read_text().replace("Coverage by outlet", "Who reported what")
    template.write_text(restored, encoding="utf-8")
    assert run_build(two_stories).consolidated == 0 and tree_bytes(two_stories / "output") == good


def test_workers_write_their_stories_pages_and_leave_unchanged_ones(
    two_stories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In parallel, each worker writes its story's pages into the new site itself
    (the build process writes only the site's pages), and leaves a page the output
    holds as it is to be linked, as the build process would."""
    import digest.write

    run_build(two_stories)
    output = two_stories / "output"
    before = inodes(output)
    in_workers(monkeypatch)
    put_here: list[str] = []
    put = digest.write.StagedOutput.put

    def noted(self: digest.write.StagedOutput, name: str, data: bytes, sha: str | None = None) -> None:
        put_here.append(name)
        put(self, name, data, sha)

    monkeypatch.setattr(digest.write.StagedOutput, "put", noted)
    template = two_stories / "themes" / "default" / "story.html"
    template.write_text(template.read_text().replace("Who reported what", "Coverage by outlet"), encoding="utf-8")
    result = run_build(two_stories)
    assert result.rendered == 2 and not [name for name in put_here if name.startswith((f"{SLUG}/", "pair/"))]
    after = inodes(output)
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert f"{SLUG}/index.html" in changed and "pair/index.html" in changed
    assert f"{SLUG}/s1.html" not in changed and "pair/s2.html" not in changed  # rendered, the same bytes: linked
    assert result.written == len(changed)
    assert b"Coverage by outlet" in (output / SLUG / "index.html").read_bytes()


def test_a_template_edit_renders_only_the_pages_made_with_it(
    two_stories: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """story.html makes no index page, index.html no story page (nor feed, nor
    sitemap); base.html both kinds of page, but no feed."""
    import digest.render

    tagged = two_stories / "content" / "pair.md"
    tagged.write_text(tagged.read_text(encoding="utf-8").replace("---\n", "---\ntags: [Follow-ups]\n", 1))
    run_build(two_stories)
    rendered: list[str] = []
    real = digest.render._render_page
    monkeypatch.setattr(
        digest.render, "_render_page", lambda env, config, page: rendered.append(page.path) or real(env, config, page)
    )
    templates: list[str] = []  # each template a page was rendered from, pages and feeds alike
    real_render = digest.render._render
    monkeypatch.setattr(
        digest.render,
        "_render",
        lambda template, context: templates.append(template.name) or real_render(template, context),
    )
    theme = two_stories / "themes" / "default"
    story_pages = {SLUG, "pair"}

    def edit(name: str, old: str, new: str) -> tuple[set[str], set[str]]:
        template = theme / name
        text = template.read_text(encoding="utf-8")
        assert old in text
        template.write_text(text.replace(old, new, 1), encoding="utf-8")
        rendered.clear()
        templates.clear()
        result = run_build(two_stories)
        assert result.consolidated == 0
        stories = {path for path in rendered if path.split("/")[0] in story_pages}
        return stories, set(rendered) - stories

    every_story_page = {f"{SLUG}/index.html", "pair/index.html"} | {f"{SLUG}/s{n}.html" for n in range(1, 6)}
    every_story_page |= {"pair/s1.html", "pair/s2.html"}  # (a story's pages are rendered together)
    stories, site = edit("story.html", "Who reported what", "Coverage by outlet")
    assert stories == every_story_page and site == set()
    stories, site = edit("source.html", "{% block content %}", "{% block content %}<!-- a source -->")
    assert stories == every_story_page and site == set()
    stories, site = edit("index.html", '<ul class="story-list">', '<ul class="story-list" data-edited>')
    assert stories == set() and {"index.html", "tags/follow-ups/index.html"} <= site
    assert set(templates) == {"index.html"}  # (the index and tag pages: no feed, search shard or sitemap)
    stories, site = edit("base.html", "</body>", "<!-- edited -->\n</body>")
    assert stories == every_story_page
    assert {"index.html", "archives/index.html", "search/index.html", "404.html"} <= site
    assert {"story.html", "index.html", "404.html"} <= set(templates)
    assert not set(templates) & {"feed.xml", "tag_feed.xml", "sitemap.xml", "search_text.js"}
    output = two_stories / "output"
    assert b"data-edited" in (output / "index.html").read_bytes()
    assert b"Coverage by outlet" in (output / SLUG / "index.html").read_bytes()
    assert b"<!-- a source -->" in (output / "pair" / "s1.html").read_bytes()
    fresh = build(load_config(two_stories / "digest.yml", output=str(tmp_path / "fresh")), use_cache=False)
    assert fresh.rendered == 2 and tree_bytes(tmp_path / "fresh") == tree_bytes(output)
    # A template naming what it extends at render time might load any other: then
    # every page depends on every template.
    index = theme / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace(
            '{% extends "base.html" %}', "{% extends layout|default('base.html') %}"
        )
    )
    run_build(two_stories)
    stories, site = edit("story.html", "Coverage by outlet", "Who reported what")
    assert stories == every_story_page and "index.html" in site


def test_every_template_the_renderer_starts_from_counts_for_its_pages(
    two_stories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page template the renderer loads but neither list names would make pages
    that no edit of it renders again."""
    import digest.render
    from digest.keys import SITE_TEMPLATES, STORY_TEMPLATES

    tagged = two_stories / "content" / "pair.md"
    tagged.write_text(tagged.read_text(encoding="utf-8").replace("---\n", "---\ntags: [Follow-ups]\n", 1))
    loaded: list[str] = []
    real = digest.render.get_template
    monkeypatch.setattr(digest.render, "get_template", lambda env, name: loaded.append(name) or real(env, name))
    run_build(two_stories)
    assert {"story.html", "source.html", "index.html", "feed.xml", "tag_feed.xml", "sitemap.xml"} <= set(loaded)
    assert set(loaded) <= set(STORY_TEMPLATES) | set(SITE_TEMPLATES)


def test_what_each_template_loads_is_kept_by_its_hash(two_stories: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja parses the theme once; later builds read what each template loads from
    the cache, and parse only a template edited since."""
    import digest.build
    import digest.keys

    parsed: list[str] = []
    real = digest.keys._loaded_templates
    monkeypatch.setattr(digest.keys, "_loaded_templates", lambda data: parsed.append(data) or real(data))
    run_build(two_stories)
    templates = len(parsed)
    assert templates >= 14  # (the default theme's templates and its README)
    parsed.clear()
    run_build(two_stories)
    assert parsed == []
    index = two_stories / "themes" / "default" / "index.html"
    index.write_text(index.read_text(encoding="utf-8") + "{# edited #}\n", encoding="utf-8")
    run_build(two_stories)
    assert len(parsed) == 1 and parsed[0].endswith("{# edited #}\n")
    config = load_config(two_stories / "digest.yml")
    from digest.theme import resolve_theme

    known = load_state(Store(config.cache_path)).template_loads  # type: ignore[union-attr]
    assert len(known) == templates  # (the old index.html's entry dropped)
    assert digest.keys.theme_signatures(config, resolve_theme(config), dict(known)) == digest.keys.theme_signatures(
        config, resolve_theme(config)
    )


def test_a_stylesheet_edit_renders_no_page_unless_a_template_loads_it(two_stories: Path, tmp_path: Path) -> None:
    run_build(two_stories)
    css = two_stories / "themes" / "default" / "static" / "style.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.sentence { color: teal; }\n", encoding="utf-8")
    result = run_build(two_stories)
    assert (result.consolidated, result.rendered, result.written) == (0, 0, 1)
    output = two_stories / "output"
    assert b"color: teal" in (output / "static" / "style.css").read_bytes()
    fresh = build(load_config(two_stories / "digest.yml", output=str(tmp_path / "fresh")), use_cache=False)
    assert fresh.rendered == 2 and tree_bytes(tmp_path / "fresh") == tree_bytes(output)
    # A template that inlines the stylesheet makes its pages depend on it.
    story = two_stories / "themes" / "default" / "story.html"
    story.write_text(story.read_text(encoding="utf-8") + '{% include "static/style.css" %}\n', encoding="utf-8")
    assert run_build(two_stories).rendered == 2
    css.write_text(css.read_text(encoding="utf-8").replace("teal", "navy"), encoding="utf-8")
    assert run_build(two_stories).rendered == 2
    assert b"color: navy" in (output / SLUG / "index.html").read_bytes()


def test_cached_digests_hold_no_raw_article_and_render_as_fresh_ones(two_stories: Path, tmp_path: Path) -> None:
    run_build(two_stories)
    store = Store(two_stories / ".digest-cache")
    digests = [store.load("digests", key, StoryDigest) for key in sorted(store.keys("digests"))]
    assert len(digests) == 2
    seed_text = (two_stories / "seeds" / "001_53d2f25ad1582e78.txt").read_text(encoding="utf-8")
    for digest in digests:
        assert digest is not None
        for source in digest.sources:
            raw = source.clean.raw
            assert (raw.text, raw.origins, raw.hints) == ("", (), ())
            assert raw.path and source.clean.paragraphs and source.sentences  # what pages show is kept
    entries = list((two_stories / ".digest-cache" / "digests").glob("*.pickle"))
    assert len(entries) == 2
    assert all(seed_text[:2000].encode() not in path.read_bytes() for path in entries)
    # Re-rendered from those digests (a template edit), the pages equal a fresh build's.
    template = two_stories / "themes" / "default" / "source.html"
    template.write_text(
        template.read_text().replace("removed as page clutter", "left out as page clutter"), encoding="utf-8"
    )
    assert run_build(two_stories).consolidated == 0
    fresh = build(load_config(two_stories / "digest.yml", output=str(tmp_path / "fresh")), use_cache=False)
    assert fresh.consolidated == 2
    assert tree_bytes(tmp_path / "fresh") == tree_bytes(two_stories / "output")
    assert b"lines left out as page clutter" in (two_stories / "output" / SLUG / "s1.html").read_bytes()


@pytest.mark.parametrize("workers", [False, True])
def test_damaged_cache_entries_are_rebuilt_not_used(
    two_stories: Path, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_build(two_stories)
    if workers:
        in_workers(monkeypatch)  # the workers find the damage and report it
    good = tree_bytes(two_stories / "output")
    cache = two_stories / ".digest-cache"
    entries = sorted((cache / "digests").glob("*.pickle"))
    assert len(entries) == 2
    data = bytearray(entries[0].read_bytes())
    data[-20] ^= 0xFF  # one flipped bit inside the pickled digest
    entries[0].write_bytes(bytes(data))
    entries[1].write_bytes(b"not a cache entry")
    (two_stories / "output").rename(two_stories / "old-output")  # so the stories must be rendered again
    result = run_build(two_stories)
    assert result.cache_rejected == 2 and result.consolidated == 2
    assert tree_bytes(two_stories / "output") == good


def test_an_entry_can_be_held_as_its_checked_pickle(tmp_path: Path) -> None:
    """What is held to be used later, if ever (listing views), is loaded checked but
    not unpickled, and a damaged entry is dropped as load drops it."""
    store = Store(tmp_path / "cache")
    view = {"title": "Blinken and Lavrov meet", "paragraphs": [[{"text": "They met in Reykjavik."}]]}
    checksum = store.save("listings", "good", view)
    pickled = store.load_pickled("listings", "good")
    assert pickled is not None and unpickled(pickled, dict) == view and unpickled(pickled, list) is None
    assert store.save_pickled("listings", "again", pickled) == checksum  # the same entry, byte for byte
    assert store.load("listings", "again", dict) == view
    entry = tmp_path / "cache" / "listings" / "good.pickle"
    entry.write_bytes(entry.read_bytes()[:-3])
    assert store.load_pickled("listings", "good") is None and store.rejected == 1 and not entry.exists()
    assert store.load_pickled("listings", "missing") is None and store.rejected == 1
    assert unpickled(b"not a pickle", dict) is None


def test_damaged_or_foreign_state_means_a_full_build(two_stories: Path) -> None:
    run_build(two_stories)
    state_file = two_stories / ".digest-cache" / STATE[0] / f"{STATE[1]}.pickle"
    state_file.write_bytes(state_file.read_bytes()[:-100])  # truncated
    assert run_build(two_stories).rendered == 2
    store = Store(two_stories / ".digest-cache")
    state = store.load(*STATE, BuilderState)
    assert state is not None
    state.code = "written by another version of digest"
    store.save(*STATE, state)
    assert run_build(two_stories).rendered == 2


def test_sharded_mappings_write_only_the_shards_an_edit_changes(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    writer = ShardedMappings(store, "state", "s")
    stories = {f"story-{n:04}": ("key", n) for n in range(200)}
    hashes = {f"seeds/{n}.txt": f"sha-{n}" for n in range(300)}
    first = writer.save({"stories": stories, "hashes": hashes})
    assert first is not None and set(first) == writer.keys(["stories", "hashes"]) and len(first) == 2 * SHARDS
    files = tmp_path / "cache" / "state"
    written = {p.name: p.stat().st_mtime_ns for p in files.iterdir()}
    assert len(written) == 2 * SHARDS  # every shard, even an empty one, the first time
    for path in files.iterdir():
        os.utime(path, ns=(1, 1))  # (so a rewrite shows, however coarse the clock)
    stories["story-0007"] = ("edited", 7)
    del stories["story-0150"]
    stories["story-new"] = ("key", -1)
    second = writer.save({"stories": stories, "hashes": dict(hashes)})  # equal hashes, another dict
    assert second is not None
    rewritten = {p.name for p in files.iterdir() if p.stat().st_mtime_ns != 1}
    expected = {f"s-stories-{shard_of(slug):02}.pickle" for slug in ("story-0007", "story-0150", "story-new")}
    assert rewritten == expected and {k for k in second if second[k] != first[k]} == {n[:-7] for n in expected}
    reader = ShardedMappings(store, "state", "s")
    assert reader.load(["stories", "hashes"], second) == {"stories": stories, "hashes": hashes}
    # A shard another save wrote (the first: as if this save had stopped midway) is not this state's.
    assert reader.load(["stories"], {**second, next(iter(expected))[:-7]: first[next(iter(expected))[:-7]]}) is None
    assert reader.load(["stories"], {k: v for k, v in second.items() if k != "s-stories-03"}) is None


def test_an_edit_saves_few_shards_and_a_mixed_or_damaged_state_means_a_full_build(two_stories: Path) -> None:
    run_build(two_stories)
    run_build(two_stories)  # (the hashes settle)
    folder = two_stories / ".digest-cache" / "state"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    edit_copy(two_stories, "Cold War foes", "old rivals")
    assert run_build(two_stories).consolidated == 1
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(after) == set(before)
    rewritten = {name for name in after if after[name] != before[name]}
    assert f"{STATE[1]}.pickle" in rewritten and len(rewritten) <= 1 + 3 * 3  # the head, a few shards of three
    state = load_state(Store(two_stories / ".digest-cache"))
    assert state is not None and set(state.stories) == {SLUG, "pair"}
    assert "pair/s2.html" in state.manifest and any(p.endswith("copy.txt") for p in state.hashes.known)
    assert run_build(two_stories).rendered == 0  # the state as saved: nothing to do
    # One shard as the save before wrote it, the rest new: not one state.
    shard = sorted(rewritten - {f"{STATE[1]}.pickle"})[0]
    (folder / shard).write_bytes(before[shard])
    assert load_state(Store(two_stories / ".digest-cache")) is None
    assert run_build(two_stories).rendered == 2
    (folder / shard).write_bytes(b"damaged")
    store = Store(two_stories / ".digest-cache")
    assert load_state(store) is None and store.rejected == 1 and not (folder / shard).exists()  # dropped
    assert run_build(two_stories).rendered == 2 and load_state(store) is not None


def test_parsed_story_files_are_kept_apart_and_saved_only_when_one_changed(
    two_stories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.build
    import digest.keys

    run_build(two_stories)
    parsed = two_stories / ".digest-cache" / PARSED[0] / f"{PARSED[1]}.pickle"
    saved = (parsed.stat().st_ino, parsed.stat().st_mtime_ns)
    parse = digest.build.parse_story_file
    parses: list[Path] = []
    monkeypatch.setattr(digest.build, "parse_story_file", lambda path, *rest: parses.append(path) or parse(path, *rest))
    edit_copy(two_stories, "Cold War foes", "old rivals")
    assert run_build(two_stories).consolidated == 1
    assert parses == [] and (parsed.stat().st_ino, parsed.stat().st_mtime_ns) == saved  # neither parsed nor saved
    story = two_stories / "content" / "pair.md"
    story.write_text(f"---\ntitle: A pair\n{PAIR_SOURCES}\n---\n", encoding="utf-8")
    assert run_build(two_stories).consolidated == 1
    assert parses == [story] and (parsed.stat().st_ino, parsed.stat().st_mtime_ns) != saved
    # Parsed files saved by other code are not used.
    store = Store(two_stories / ".digest-cache")
    store.save(*PARSED, ("another version of digest", store.load(*PARSED, tuple)[1]))  # type: ignore[index]
    parses.clear()
    assert run_build(two_stories).rendered == 0 and sorted(parses) == sorted((two_stories / "content").glob("*.md"))


def test_output_edited_by_hand_is_written_again(two_stories: Path) -> None:
    run_build(two_stories)
    page = two_stories / "output" / "pair" / "index.html"
    original = page.read_bytes()
    page.write_bytes(b"defaced")
    result = run_build(two_stories)
    assert result.rendered == 1 and page.read_bytes() == original


def test_removed_story_leaves_the_output_and_the_cache(two_stories: Path) -> None:
    run_build(two_stories)
    (two_stories / "content" / "pair.md").unlink()
    run_build(two_stories)
    assert not (two_stories / "output" / "pair").exists()
    assert len(list((two_stories / ".digest-cache" / "digests").glob("*.pickle"))) == 1


def test_same_size_edit_in_the_same_second_is_seen(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Ministers met on Wednesday.")
    hashes = FileHashes()
    first = hashes.sha(str(path))
    stamp = path.stat().st_mtime_ns
    path.write_text("Ministers met on Thursday..", encoding="utf-8")  # same length
    os.utime(path, ns=(stamp, stamp))  # and the same modification time
    assert hashes.sha(str(path)) != first


def test_cache_folder_is_tagged_and_clean_removes_only_ours(two_stories: Path, tmp_path: Path) -> None:
    run_build(two_stories)
    cache = two_stories / ".digest-cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    (cache / "CACHEDIR.TAG").unlink()  # a tag deleted by hand comes back with the next build that saves
    edit_copy(two_stories, "Lavrov", "Lavrov,")
    run_build(two_stories)
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert remove_cache(cache) and not cache.exists()
    foreign = write(tmp_path / "notes" / "keep.txt", "mine")
    with pytest.raises(DigestError, match="not a digest cache folder"):
        remove_cache(foreign.parent)
    assert foreign.exists()


def test_entries_are_written_whole_into_folders_made_on_demand(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    store.save("digests", "k1", {"text": "Lavrov met Blinken in Reykjavik."})
    assert store.load("digests", "k1", dict) == {"text": "Lavrov met Blinken in Reykjavik."}
    assert (tmp_path / "cache" / "CACHEDIR.TAG").is_file()
    # A temporary file a killed process of the same id left behind is passed over.
    leftover = tmp_path / "cache" / "digests" / f".k2.pickle.{os.getpid()}-{threading.get_ident()}"
    leftover.write_bytes(b"half an entry")
    store.save("digests", "k2", ["second"])
    assert store.load("digests", "k2", list) == ["second"]
    assert leftover.read_bytes() == b"half an entry"
    assert store.keys("digests") == {"k1", "k2"}
    # Nothing else stays behind: each entry's own temporary file was renamed over it.
    assert sorted(p.name for p in (tmp_path / "cache" / "digests").iterdir()) == [
        leftover.name,
        "k1.pickle",
        "k2.pickle",
    ]


def test_no_cache_option_consolidates_everything(two_stories: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import digest.build
    import digest.keys

    run_build(two_stories)
    builders: list[digest.build.IncrementalBuilder] = []
    real = digest.build.IncrementalBuilder.build

    def seen(self: digest.build.IncrementalBuilder, *args: Any, **kwargs: Any) -> Any:
        builders.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(digest.build.IncrementalBuilder, "build", seen)
    result = run_build(two_stories, use_cache=False)
    assert result.consolidated == 2
    # A one-shot build keeps no digest for a next build (5000 of them took ~600 MB).
    assert len(builders) == 1 and builders[0].store is None and builders[0]._digests == {}
    config = load_config(two_stories / "digest.yml")
    kept = digest.build.IncrementalBuilder()  # (as a preview without a cache: it builds again)
    real(kept, config)
    assert len(kept._digests) == 2 and real(kept, config)[1].consolidated == 0


def test_progress_bar_draws_on_long_builds_only() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(1, 10)
    assert stream.getvalue() == ""  # the first half second stays quiet
    assert bar.first is not None
    bar.started -= 10  # 10 s since the build started, 4 s since its first story was done:
    bar.first = (bar.first[0] - 4, 1)
    bar(5, 10)  # the pace is 1 s per story, start-up not counted
    assert "[##############--------------] 5/10 stories, 5 s left" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r")
    assert ProgressBar.line(20, 1000, 3.0, 19) == "[----------------------------] 20/1000 stories "  # no wild estimate
    assert ProgressBar.line(500, 1000, 5.0, 499).endswith("500/1000 stories, 5 s left ")


def test_interrupted_in_place_commit_is_rolled_back(two_stories: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import digest.write

    run_build(two_stories)
    output = two_stories / "output"
    before = tree_bytes(output)
    edit_copy(two_stories, "Cold War foes", "old rivals")
    real_move, moves = digest.write._move, []

    def crash_after_three(source: str, target: str) -> None:
        if len(moves) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of moving files into place
        moves.append(target)
        real_move(source, target)

    monkeypatch.setattr(digest.write, "_move", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_build(two_stories)
    assert tree_bytes(output) == before
    assert not list(two_stories.glob(".output.*"))  # no journal, backup or staging folder left

    # A kill leaves the journal: the next build puts the old files back first.
    moves.clear()
    monkeypatch.setattr(digest.write, "recover", lambda output: False)
    with pytest.raises(KeyboardInterrupt):
        run_build(two_stories)
    assert (two_stories / ".output.journal").is_file()
    assert tree_bytes(output) != before
    monkeypatch.undo()
    result = run_build(two_stories)
    assert not (two_stories / ".output.journal").is_file()
    assert result.rendered == 1  # the digest the interrupted build made is in the cache
    assert b"old rivals" in (output / "pair" / "s2.html").read_bytes()
    assert {k: v for k, v in tree_bytes(output).items() if not k.startswith("pair/")} == {
        k: v for k, v in before.items() if not k.startswith("pair/")
    }


def test_a_deploy_build_renders_every_page_and_saves_no_entry_again(two_stories: Path) -> None:
    """A CI job that restores the cache but not the output: every page is rendered
    from the cached digests, and the cache's entries, already there, are not
    written again (the build's state is: it records the new output's files)."""
    first = run_build(two_stories)
    output, cache = two_stories / "output", two_stories / ".digest-cache"
    site = tree_bytes(output)
    entries = {path: at for path, at in inodes(cache).items() if path.startswith(("digests/", "listings/"))}
    assert len(entries) == 4
    (two_stories / "output").rename(two_stories.parent / "old-output")
    again = run_build(two_stories)
    assert (again.consolidated, again.rendered, again.written) == (0, 2, first.written)
    assert tree_bytes(output) == site
    assert {path: inodes(cache)[path] for path in entries} == entries


@pytest.mark.parametrize("listings", ["kept", "lost"])
def test_a_deploy_build_in_workers_renders_the_site_pages_once_meanwhile(
    two_stories: Path, monkeypatch: pytest.MonkeyPatch, listings: str
) -> None:
    """With every story known, the build process renders the site's pages while the
    workers render the stories (once: the jobs leave what they show as it was);
    a listing view lost from the cache is only made by its story's job, and the
    pages wait for it."""
    import digest.render

    run_build(two_stories)
    output = two_stories / "output"
    site = tree_bytes(output)
    if listings == "lost":
        for entry in (two_stories / ".digest-cache" / "listings").glob("*.pickle"):
            entry.write_bytes(b"damaged")
    output.rename(two_stories.parent / "old-output")
    in_workers(monkeypatch)
    import digest.build
    import digest.keys

    done: list[Any] = []  # the stories' results the build has had
    attempts: list[int] = []  # how many it had at each rendering of the site's pages
    run_jobs, render_site = digest.build.run_jobs, digest.render.Renderer.site

    def results(*args: Any, **kwargs: Any) -> Any:
        for result in run_jobs(*args, **kwargs):
            done.append(result)
            yield result

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append(len(done))
        return render_site(*args, **kwargs)

    monkeypatch.setattr(digest.build, "run_jobs", results)
    monkeypatch.setattr(digest.render.Renderer, "site", counted)
    if listings == "lost":  # (and, in the build process, the first view asked for is missing)
        listing, asked = digest.build.IncrementalBuilder._listing, []

        def missing_first(self: Any, slug: str, key: str) -> Any:
            asked.append(slug)
            return None if len(asked) == 1 else listing(self, slug, key)

        monkeypatch.setattr(digest.build.IncrementalBuilder, "_listing", missing_first)
    result = run_build(two_stories)
    assert (result.consolidated, result.rendered) == (0, 2) and tree_bytes(output) == site
    if listings == "kept":
        assert (attempts, result.cache_rejected) == ([1], 0)
    else:
        # The first attempt, after the first story, misses a view and gives up; the
        # second, once every job is done, takes the views the jobs made. The jobs
        # find the damaged entries: each is dropped and saved again.
        assert attempts == [1, 2] and result.cache_rejected == 2
        store = Store(two_stories / ".digest-cache")
        assert len(store.keys("listings")) == 2
        assert all(store.load_pickled("listings", key) for key in store.keys("listings"))


def test_lost_listing_views_mean_every_story_is_rendered_again(two_stories: Path, tmp_path: Path) -> None:
    run_build(two_stories)
    listings = sorted((two_stories / ".digest-cache" / "listings").glob("*.pickle"))
    assert len(listings) == 2
    for entry in listings:
        entry.write_bytes(b"damaged")
    edit_copy(two_stories, "Cold War foes", "old rivals")
    result = run_build(two_stories)
    # The edited story is rendered anyway; the other one because its listing was lost.
    assert result.rendered == 2 and result.consolidated == 1 and result.cache_rejected == 1
    build(load_config(two_stories / "digest.yml", output=str(tmp_path / "fresh")), use_cache=False)
    assert tree_bytes(two_stories / "output") == tree_bytes(tmp_path / "fresh")


def test_compiled_templates_are_kept_and_a_damaged_one_is_compiled_again(two_stories: Path) -> None:
    """A new process loads the theme's compiled templates from the cache instead of
    compiling them; an entry that fails its checksum is compiled again, never run."""
    from digest.render import site_globals
    from digest.theme import environment, resolve_theme

    config = load_config(two_stories / "digest.yml")
    theme = resolve_theme(config)
    cache = two_stories / ".digest-cache"
    page = {"root": "", "site": site_globals(config, []), "canonical": "", "page_path": "404.html"}
    expected = environment(theme).get_template("404.html").render(page)
    environment(theme, cache).get_template("404.html")  # compiled and stored
    entries = sorted((cache / "templates").glob("*.pickle"))
    assert entries, "no compiled template was stored"
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-5] ^= 0x01  # one flipped bit in the compiled code
        entry.write_bytes(bytes(data))
    fresh = environment(theme, cache)
    assert fresh.get_template("404.html").render(page) == expected
    assert fresh.bytecode_cache.store.rejected == len(entries)  # type: ignore[union-attr]
    assert all(Store(cache).load("templates", e.stem, bytes) is not None for e in entries)  # stored again


def test_edit_renders_only_the_listing_pages_that_show_the_story(two_stories: Path) -> None:
    """One story per index page and a feed of the newest story: editing the story on
    page 2 renders page 2 again and needs no other story's listing view (here the
    other one's is damaged: a build that read it would report it and render that
    story again)."""
    config_file = two_stories / "digest.yml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "page_size: 1\nfeed_size: 1\n", encoding="utf-8")
    # The search text holds both stories here (one file up to SHARD_STORIES), so it
    # would need the other's view; test_render checks which views it needs at scale.
    (two_stories / "themes" / "default" / "search_text.js").unlink()
    run_build(two_stories)
    output = two_stories / "output"
    first = (output / "index.html").read_text(encoding="utf-8")
    on_first = SLUG if f'href="{SLUG}/' in first else "pair"
    assert f'href="{on_first}/' in first and (output / "page" / "2" / "index.html").is_file()
    if on_first == "pair":
        pytest.skip("the seed story sorts second; this test edits the pair story")
    cache = two_stories / ".digest-cache"
    state = load_state(Store(cache))
    assert state is not None
    listed = state.stories[SLUG].card.listing
    (cache / "listings" / f"{listed}.pickle").write_bytes(b"damaged")
    before = inodes(output)
    edit_copy(two_stories, "took office in January", "took office last January")  # (a sentence its page cites)
    result = run_build(two_stories)
    assert (result.rendered, result.consolidated, result.cache_rejected) == (1, 1, 0)
    after = inodes(output)
    assert after["index.html"] == before["index.html"] and after["feed.xml"] == before["feed.xml"]
    assert 'href="../../pair/' in (output / "page" / "2" / "index.html").read_text(encoding="utf-8")
    assert "took office last January" in (output / "pair" / "index.html").read_text(encoding="utf-8")


def test_files_are_written_whole_when_the_system_writes_them_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import textio
    from digest.write import StagedOutput

    real_write = os.write
    monkeypatch.setattr(textio.os, "write", lambda fd, data: real_write(fd, bytes(data[:1000])))
    store = Store(tmp_path / "cache")
    value = {"text": "x" * 25_000}
    store.save("digests", "k", value)
    assert store.load("digests", "k", dict) == value
    stage = StagedOutput(tmp_path / "site")
    stage.put("a/page.html", b"<p>" * 9_000)
    stage.commit()
    assert (tmp_path / "site" / "a" / "page.html").read_bytes() == b"<p>" * 9_000


@pytest.mark.parametrize("name", ["../outside.html", "/etc/page.html", "a/../../outside.html", ""])
def test_no_output_file_is_written_outside_the_output_folder(tmp_path: Path, name: str) -> None:
    from digest.write import StagedOutput

    stage = StagedOutput(tmp_path / "site")
    with pytest.raises(DigestError, match="outside the output folder"):
        stage.put(name, b"<p>x</p>")
    stage.abort()
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_output_names_land_where_they_say(tmp_path: Path) -> None:
    from digest.write import StagedOutput

    stage = StagedOutput(tmp_path / "site")
    for name in ("index.html", "story-1/index.html", "story-1/s1/index.html", "a/./b.html", "c//d.html"):
        stage.put(name, name.encode())
    stage.commit()
    site = tmp_path / "site"
    assert (site / "story-1" / "s1" / "index.html").read_bytes() == b"story-1/s1/index.html"
    assert (site / "a" / "b.html").read_bytes() == b"a/./b.html"
    assert (site / "c" / "d.html").read_bytes() == b"c//d.html"
    assert (site / "index.html").read_bytes() == b"index.html"


def test_kept_files_must_be_the_output_s_as_recorded(tmp_path: Path) -> None:
    """Files a build keeps are those the manifest records with the same hash; one
    that is not (a stale manifest) stops the commit before anything is replaced."""
    from digest.write import StagedOutput

    first = StagedOutput(tmp_path / "site")
    for name in (".digest-output", "index.html", "a/page.html"):  # (the marker: a folder digest made)
        first.put(name, name.encode())
    manifest, _ = first.commit()
    stage = StagedOutput(tmp_path / "site", manifest)
    with pytest.raises(DigestError) as caught:
        stage.keep({"index.html": manifest["index.html"][0], "a/page.html": "0" * 64})
    assert caught.value.message == "a/page.html is not in the output as recorded; build again"
    with pytest.raises(DigestError) as caught:
        stage.keep({"new.html": "0" * 64})
    assert caught.value.message == "new.html is not in the output as recorded; build again"
    stage.keep({name: entry[0] for name, entry in manifest.items()})
    assert stage.commit() == (manifest, 0)  # nothing changed: the output stays as it was
    assert (tmp_path / "site" / "a" / "page.html").read_bytes() == b"a/page.html"


def _wait_for(condition, what: str, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.skipif(fcntl is None, reason="no flock on this platform")
def test_a_second_build_of_one_output_waits_for_the_first(two_stories: Path) -> None:
    """Two builds writing one output at once took each other's staging folder for a
    killed build's leftover and deleted it, or linked files the other had swapped
    away ("No such file or directory"). A build now waits for the other's end."""
    output = two_stories / "output"
    messages: list[str] = []
    outcome: list[BuildResult | BaseException] = []

    def second_build() -> None:
        try:
            outcome.append(build(load_config(two_stories / "digest.yml"), log=messages.append))
        except BaseException as exc:  # (reported by the assertions below)
            outcome.append(exc)

    with output_lock(output):  # the first build, still writing
        lock = two_stories / ".output.lock"
        assert lock.read_text(encoding="ascii") == f"{os.getpid()}\n"
        waiter = threading.Thread(target=second_build)
        waiter.start()
        _wait_for(lambda: messages, "the second build to say it waits")
        assert messages == [f"waiting for another digest build (process {os.getpid()}) writing {output}"]
        time.sleep(0.2)
        assert not output.exists() and not outcome  # it did not start writing
    waiter.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], BuildResult), outcome
    assert outcome[0].stories == 2 and (output / "pair" / "index.html").is_file()
    assert not lock.exists() and not list(two_stories.glob(".output.*"))  # nothing left beside the output


@pytest.mark.skipif(fcntl is None, reason="no flock on this platform")
def test_clean_waits_for_a_build_and_a_killed_build_leaves_no_lock(two_stories: Path) -> None:
    import subprocess
    import sys

    from click.testing import CliRunner

    from digest.cli import main

    run_build(two_stories)
    output = two_stories / "output"
    # A build process killed while it holds the output: the kernel lets go of its lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from digest.write import output_lock\n"
            "with output_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(output),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    results: list[str] = []
    cwd = os.getcwd()
    os.chdir(two_stories)
    try:
        cleaner = threading.Thread(target=lambda: results.append(CliRunner().invoke(main, ["clean"]).output))
        cleaner.start()
        time.sleep(0.5)
        assert output.is_dir() and not results  # clean waits: the output is in use
        holder.kill()
        holder.wait()
        cleaner.join(timeout=60)
    finally:
        os.chdir(cwd)
    assert results and results[0].startswith(
        f"waiting for another digest build (process {holder.pid}) writing {output}"
    )
    assert f"removed {output}" in results[0]
    assert not output.exists() and not (two_stories / ".output.lock").exists()


@pytest.mark.parametrize("workers", [False, True])
def test_a_full_disk_is_one_line_and_the_previous_output_stays(
    two_stories: Path, monkeypatch: pytest.MonkeyPatch, workers: bool
) -> None:
    import errno

    import digest.write

    run_build(two_stories)
    if workers:  # (each worker counts its own writes: the third in either fails)
        in_workers(monkeypatch)
    output = two_stories / "output"
    before = tree_bytes(output)
    (two_stories / "digest.yml").write_text("title: Renamed\n", encoding="utf-8")  # every page changes
    real_write, writes = digest.write.write_all, []

    def full_after_two(handle: int, data: bytes) -> None:
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as os.write says it: no file name
        writes.append(handle)
        real_write(handle, data)

    monkeypatch.setattr(digest.write, "write_all", full_after_two)
    with pytest.raises(DigestError) as caught:
        run_build(two_stories)
    assert re.fullmatch(
        rf"{re.escape(str(output))}: cannot write \S+ of the new site \(No space left on device\); "
        "the previous output is unchanged",
        caught.value.location_message(),
    ), caught.value.location_message()
    assert tree_bytes(output) == before
    assert not list(two_stories.glob(".output.*"))  # the staging folder went


def test_a_cache_that_cannot_be_written_is_said_once(two_stories: Path) -> None:
    """A cache folder that is a file (or read-only) only makes builds slower, but
    each would start over without a word: the build says why, once."""
    (two_stories / ".digest-cache").write_text("not a folder", encoding="utf-8")
    messages: list[str] = []
    result = build(load_config(two_stories / "digest.yml"), log=messages.append)
    assert result.consolidated == 2 and (two_stories / "output" / "pair" / "index.html").is_file()
    assert messages == [
        f"note: cannot write the build cache in {two_stories / '.digest-cache'} (Not a directory); "
        "the next build will consolidate everything again"
    ]
    messages.clear()
    (two_stories / ".digest-cache").unlink()
    run_build(two_stories)
    assert build(load_config(two_stories / "digest.yml"), log=messages.append).consolidated == 0 and not messages


@pytest.mark.skipif(fcntl is None or not Path("/proc/self/stat").exists(), reason="needs flock and /proc")
def test_a_killed_build_s_children_do_not_keep_its_output_locked(tmp_path: Path) -> None:
    """Forked workers inherit the lock's descriptor, and with it the lock: a build
    killed outright left its folder locked for as long as they ran. A child closes
    its copy when forked."""
    import signal
    import subprocess
    import sys

    output = tmp_path / "output"
    script = (
        "import os, sys, time\nfrom pathlib import Path\nfrom digest.write import output_lock\n"
        "with output_lock(Path(sys.argv[1])):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n        time.sleep(60)\n        os._exit(0)\n"
        "    print(child, flush=True)\n    time.sleep(60)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script, str(output)], stdout=subprocess.PIPE, text=True)
    assert build.stdout is not None
    child = int(build.stdout.readline())
    try:
        build.send_signal(signal.SIGKILL)
        build.wait()
        taken: list[bool] = []

        def take() -> None:
            with output_lock(output):
                taken.append(True)

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        taker.join(timeout=10)
        assert taken == [True] and not process_ended(child)  # taken while the child still runs
    finally:
        os.kill(child, signal.SIGKILL)


def test_the_site_pages_key_changes_with_each_thing_they_are_made_from() -> None:
    from digest.keys import ThemeSignatures, site_pages_key

    theme = ThemeSignatures("stories", "listings", "static", {"index.html": "a"})
    stories = {"one": "k1", "two": "k2"}
    copied = {"static/style.css": ("themes/default/static/style.css", "c1")}
    key = site_pages_key(theme, stories, copied)
    assert site_pages_key(theme, dict(stories), dict(copied)) == key  # (a hash of the values, not of the objects)
    changed = [
        site_pages_key(ThemeSignatures("stories", "listings", "static", {"index.html": "b"}), stories, copied),
        site_pages_key(ThemeSignatures("stories", "listings", "static2", {"index.html": "a"}), stories, copied),
        site_pages_key(theme, {"one": "k1", "two": "k3"}, copied),  # a story consolidated again
        site_pages_key(theme, {"two": "k2", "one": "k1"}, copied),  # the stories in another order
        site_pages_key(theme, {"one": "k1"}, copied),  # a story gone
        site_pages_key(theme, stories, {"static/style.css": ("themes/default/static/style.css", "c2")}),
    ]
    assert len({key, *changed}) == len(changed) + 1
