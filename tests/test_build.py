"""End to end: the shipped seed story built into a site, read as a reader would."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.errors import DigestError
from tests.conftest import SEEDS, always_in_workers, build_site, process_ended, tree_bytes, write

SLUG = "blinken-lavrov-reykjavik"


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.scripts = 0
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag == "script":
            self.scripts += 1


def parse(path: Path) -> Anchors:
    parser = Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def built(site: Path, tmp_path: Path) -> Path:
    output = tmp_path / "out"
    build_site(site, output)
    return output


def test_site_layout(built: Path) -> None:
    for name in (
        "index.html",
        "feed.xml",
        "sitemap.xml",
        "404.html",
        ".nojekyll",
        "static/style.css",
        f"{SLUG}/index.html",
        f"{SLUG}/digest.json",
        *(f"{SLUG}/s{i}.html" for i in range(1, 6)),
    ):
        assert (built / name).is_file(), name


def test_every_link_target_exists(built: Path) -> None:
    for page in built.rglob("*.html"):
        anchors = parse(page)
        for href in anchors.hrefs:
            if href.startswith(("http://", "https://")):
                continue
            target, _, fragment = href.partition("#")
            target_path = (page.parent / target).resolve() if target else page
            if target_path.is_dir():
                target_path = target_path / "index.html"
            assert target_path.is_file(), f"{page}: {href}"
            if fragment:
                assert fragment in parse(target_path).ids, f"{page}: {href}"


def test_digest_json_contract(built: Path) -> None:
    data = json.loads((built / SLUG / "digest.json").read_text(encoding="utf-8"))
    assert {"slug", "title", "date", "sources", "summary"} <= set(data)
    assert data["slug"] == SLUG and data["date"] == "2021-05-20"
    sources = {s["id"]: s for s in data["sources"]}
    assert len(sources) == 5
    for source in sources.values():
        assert {"id", "outlet", "url", "path", "title", "text", "removed"} <= set(source)
        raw_lines = (built.parent / "site" / source["path"]).read_text(encoding="utf-8").split("\n")
        for removed in source["removed"]:
            assert " ".join(raw_lines[removed["line"] - 1].split()) == removed["text"]
            assert removed["reason"]
        for paragraph in source["text"].split("\n\n"):
            assert paragraph in (line.strip() for line in raw_lines)
    assert data["summary"]
    for sentence in data["summary"]:
        assert sentence["sources"], sentence
        for support in sentence["sources"]:
            cited = sources[support["source"]]["sentences"][support["sentence"] - 1]
            assert cited["index"] == support["sentence"] and cited["text"] == support["text"]
            assert 0 < support["score"] <= 100


def test_story_page_has_no_clutter_and_cites_every_sentence(built: Path) -> None:
    html = (built / SLUG / "index.html").read_text(encoding="utf-8")
    for clutter in (
        "Recent Posts",
        "This website uses cookies",
        "Leave A Reply",
        "Akismet",
        "Accessibility links",
        "Go toTop",
        "32 number 0.254143 time",
        "Joe Burrow",
    ):
        assert clutter not in html
    data = json.loads((built / SLUG / "digest.json").read_text(encoding="utf-8"))
    anchors = parse(built / SLUG / "index.html")
    for sentence in data["summary"]:
        assert sentence["id"] in anchors.ids
    footnote_links = [h for h in anchors.hrefs if re.fullmatch(r"#fn-\d+", h)]
    assert len(footnote_links) == sum(len(s["sources"]) for s in data["summary"])
    assert anchors.scripts == 0


def test_source_page_anchors_every_sentence_and_shows_removed(built: Path) -> None:
    data = json.loads((built / SLUG / "digest.json").read_text(encoding="utf-8"))
    for source in data["sources"]:
        page = built / SLUG / f"{source['id']}.html"
        ids = parse(page).ids
        assert {f"s{s['index']}" for s in source["sentences"]} <= ids
        html = page.read_text(encoding="utf-8")
        assert "<details" in html and f"{len(source['removed'])} lines removed" in html


def test_links_are_page_relative(built: Path) -> None:
    story = parse(built / SLUG / "index.html")
    assert "../index.html" in story.hrefs
    html = (built / SLUG / "index.html").read_text(encoding="utf-8")
    assert 'href="../static/style.css"' in html
    assert not re.search(r'(?:href|src)="/(?!/)', html)


def test_feed_and_sitemap_are_well_formed(built: Path) -> None:
    feed = ET.parse(built / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:entry/a:title", ns) is not None
    assert feed.findtext("a:updated", namespaces=ns) == "2021-05-20T00:00:00Z"
    content = feed.findtext("a:entry/a:content", namespaces=ns) or ""
    story_page = (built / SLUG / "index.html").read_text(encoding="utf-8")
    sentences = re.findall(r'<span class="claim" id="p\d+">([^<]+)</span>', story_page)
    assert len(sentences) >= 5 and all(text in content for text in sentences)  # the full summary, cited
    assert f'href="https://example.github.io/digest/{SLUG}/s1.html#s' in content
    sitemap_ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [e.text for e in ET.parse(built / "sitemap.xml").getroot().findall("s:url/s:loc", sitemap_ns)]
    assert f"https://example.github.io/digest/{SLUG}/" in urls


def test_seed_story_pages_stay_small(built: Path) -> None:
    sizes = {p.relative_to(built).as_posix(): p.stat().st_size for p in (built / SLUG).glob("*.html")}
    assert sizes and max(sizes.values()) < 100_000, sizes


def test_build_is_byte_identical(site: Path, tmp_path: Path) -> None:
    build_site(site, tmp_path / "one")
    build_site(site, tmp_path / "two")
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")


def test_the_same_site_in_another_folder_builds_the_same_bytes(site: Path, tmp_path: Path) -> None:
    # Warnings go into the published digest.json: they name the site's files as the
    # site does, never the folder it was built in (nor, from the cache, an earlier one).
    write(site / "content" / "solo.md", "---\nsources: [seeds/w.txt, seeds/w-again.txt]\n---\n")
    article = (SEEDS / "001_53d2f25ad1582e78.txt").read_text(encoding="utf-8")
    (site / "seeds" / "w.txt").write_bytes(article.replace("Lavrov", "Lavrov’s aide Café").encode("cp1252", "replace"))
    (site / "seeds" / "w-again.txt").write_bytes((site / "seeds" / "w.txt").read_bytes())
    build_site(site, site / "output")
    warnings = json.loads((site / "output" / "solo" / "digest.json").read_text(encoding="utf-8"))["warnings"]
    for warning, name in zip(warnings[:2], ["w.txt", "w-again.txt"], strict=True):
        assert re.fullmatch(rf"seeds/{re.escape(name)}:\d+: not valid UTF-8; read as Windows-1252", warning)
    assert warnings[2:4] == [
        "content/solo.md: seeds/w-again.txt has the same text as seeds/w.txt; counted once",
        "content/solo.md: only one source; the summary cannot show agreement",
    ]
    moved = tmp_path / "elsewhere" / "site"
    shutil.copytree(site, moved, ignore=shutil.ignore_patterns("output"))  # with the build cache
    built = build_site(moved, moved / "output")
    assert built.consolidated == 0  # the digests came from the cache
    assert tree_bytes(moved / "output") == tree_bytes(site / "output")
    assert not [p for p, data in tree_bytes(site / "output").items() if str(site).encode() in data]


def test_a_source_that_shares_no_fact_with_the_others_is_named(site: Path, tmp_path: Path) -> None:
    # Three reports of the Reykjavik talks and, listed by mistake, one of a harbour bridge.
    write(
        site / "seeds" / "bridge.txt",
        "Harbour bridge reopens after two-year repair\n\n"
        "The harbour bridge reopened to cars and cyclists on Saturday after two years of repairs.\n\n"
        "Engineers replaced all 112 steel cables and resurfaced the deck, the city said.\n\n"
        "Buses will return to the bridge on Monday, when the temporary ferry service ends.\n",
    )
    seeds = ["seeds/001_53d2f25ad1582e78.txt", "seeds/002_6c188231047a0d29.txt", "seeds/004_7fbbd0fc90f416ac.txt"]
    write(site / "content" / "mixed.md", f"---\nsources: [{', '.join(seeds)}, seeds/bridge.txt]\n---\n")
    warnings = build_site(site, tmp_path / "out").warnings
    odd = [w for w in warnings if "reports no fact" in w]
    assert odd == ["seeds/bridge.txt: reports no fact the story's other sources report (another story's article?)"]


def test_a_source_not_in_english_is_named(site: Path, tmp_path: Path) -> None:
    # The cleaner and the aligner read English: a French report comes out as a
    # headline and one paragraph, with no word of warning, unless the build says so.
    write(
        site / "seeds" / "fr.txt",
        "Blinken et Lavrov se rencontrent à Reykjavik\n\n"
        "Le secrétaire d'État américain et le ministre russe des Affaires étrangères se sont rencontrés "
        "mercredi en Islande, en marge du Conseil de l'Arctique.\n\n"
        "Les deux ministres ont reconnu de sérieuses divergences, mais ont dit vouloir travailler ensemble.\n\n"
        "La rencontre a duré une heure et quarante-cinq minutes, selon les deux délégations.\n",
    )
    write(site / "content" / "fr.md", "---\nsources: [seeds/fr.txt, seeds/001_53d2f25ad1582e78.txt]\n---\n")
    warnings = build_site(site, tmp_path / "out").warnings
    assert [w for w in warnings if "English" in w] == [
        "seeds/fr.txt: does not read as English; digest cleans and consolidates English text"
    ]


def test_a_story_with_no_summary_yet_is_introduced_by_what_its_source_reports(site: Path, tmp_path: Path) -> None:
    import html

    write(site / "content" / "solo.md", "---\nsources: [seeds/001_53d2f25ad1582e78.txt]\n---\n")
    build_site(site, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "solo" / "digest.json").read_text(encoding="utf-8"))
    assert record["summary"] == [] and record["only_in"]
    first = record["only_in"][0]["text"]
    page = (tmp_path / "out" / "solo" / "index.html").read_text(encoding="utf-8")
    described = re.search(r'<meta name="description" content="([^"]*)"', page)
    assert described is not None and html.unescape(described.group(1)) == first  # the link preview's text
    index = html.unescape((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert f"<p>{first}</p>" in index
    # And a feed reader gets those sentences, each linked to its place in the source.
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ET.parse(tmp_path / "out" / "feed.xml").getroot().findall(f"{atom}entry")
    entry = next(e for e in entries if e.findtext(f"{atom}id", "").endswith("/solo/"))
    content = html.unescape(entry.findtext(f"{atom}content", ""))
    for fact in record["only_in"]:
        assert f'<li>{fact["text"]} (<a href="' in content and f'solo/s1.html#s{fact["sentence"]}"' in content


def test_source_date_epoch_sets_feed_time(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build_site(site, tmp_path / "out")
    assert "<updated>2023-11-14T22:13:20Z</updated>" in (tmp_path / "out" / "feed.xml").read_text()


def test_failed_build_leaves_previous_output_untouched(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build_site(site, output)
    before = tree_bytes(output)
    story = site / "content" / f"{SLUG}.md"
    story.write_text(story.read_text().replace("sources:", "sources: [broken"), encoding="utf-8")
    with pytest.raises(DigestError):
        build_site(site, output)
    assert tree_bytes(output) == before
    assert not [p for p in output.parent.iterdir() if p.name.startswith(".out.")]


def test_template_error_leaves_output_untouched(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build_site(site, output)
    before = tree_bytes(output)
    write(
        site / "themes" / "default" / "story.html",
        "{% extends 'base.html' %}\n{% block content %}{{ oops( }}{% endblock %}\n",
    )
    with pytest.raises(DigestError) as caught:
        build_site(site, output)
    assert "story.html" in caught.value.location_message() and caught.value.line == 2
    assert tree_bytes(output) == before


def test_refuses_to_replace_a_foreign_folder(site: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    write(foreign / "thesis.txt", "years of work")
    with pytest.raises(DigestError, match="not made by digest"):
        build_site(site, foreign)
    assert (foreign / "thesis.txt").read_text() == "years of work"


def test_hostile_text_is_inert(site: Path, tmp_path: Path) -> None:
    write(
        site / "seeds" / "evil.txt",
        (
            "Evil <script>alert(1)</script> headline about Blinken and Lavrov\n\n"
            "Blinken met Lavrov in Reykjavik on May 19 <img src=x onerror=alert(2)> for talks.\n\n"
            "The meeting was held on the sidelines of the Arctic Council meeting <script>alert(3)</script>.\n"
        ),
    )
    write(
        site / "content" / "evil.md",
        (
            "---\ntitle: '<script>alert(4)</script>'\nsources:\n"
            "  - path: seeds/evil.txt\n    outlet: '<b>Evil</b>'\n    url: 'https://evil.example/a'\n"
            "  - path: seeds/000_bec47d9d05e10e72.txt\n    outlet: EU Reporter\n---\n"
            "Note with <script>alert(5)</script> and [a link](javascript:alert(6)).\n"
        ),
    )
    output = tmp_path / "out"
    build_site(site, output)
    for page in (output / "evil").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        anchors = parse(page)
        assert anchors.scripts == 0 and "<script" not in html and "<b>Evil</b>" not in html
        assert not [a for a in anchors.attributes if a[1].startswith("on")]
        for tag, name, value in anchors.attributes:
            if name in ("href", "src"):
                assert not re.match(r"\s*(?:javascript|data|vbscript):", value, re.I), (tag, value)
    assert "&lt;script&gt;" in (output / "evil" / "index.html").read_text(encoding="utf-8")
    ET.parse(output / "feed.xml")


def test_parallel_consolidation_gives_the_same_bytes(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.build
    import digest.jobs
    import digest.keys

    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    for n in range(5):  # enough stories for worker processes
        pair = [seeds[n % 5], seeds[(n + 1) % 5]]
        write(site / "content" / f"pair-{n}.md", f"---\nsources: [seeds/{pair[0]}, seeds/{pair[1]}]\n---\n")
    build_site(site, tmp_path / "parallel")
    shutil.rmtree(site / ".digest-cache")  # consolidate again, in this process
    monkeypatch.setattr(digest.jobs, "PARALLEL_FROM", 10_000)
    build_site(site, tmp_path / "sequential")
    assert tree_bytes(tmp_path / "parallel") == tree_bytes(tmp_path / "sequential")


def test_jobs_sets_how_many_worker_processes_consolidate(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--jobs N``: at most N workers; 1 builds in the build process alone. By default
    a worker per core the process may use, which a container or taskset may limit."""
    import concurrent.futures
    import subprocess
    import sys

    from click.testing import CliRunner

    from digest.cli import main

    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    for n in range(7):
        write(
            site / "content" / f"pair-{n}.md",
            f"---\nsources: [seeds/{seeds[n % 5]}, seeds/{seeds[(n + 2) % 5]}]\n---\n",
        )
    asked: list[int] = []

    class NoPool:
        def __init__(self, max_workers: int, **options: object) -> None:
            asked.append(max_workers)
            raise RuntimeError("no worker processes in this test")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    monkeypatch.chdir(site)
    failed = CliRunner().invoke(main, ["build", "--jobs", "3"])
    assert asked == [3] and "no worker processes in this test" in failed.output
    failed = CliRunner().invoke(main, ["build", "-j", "12"])
    assert asked == [3, 8] and "no worker processes in this test" in failed.output  # no more workers than stories
    done = CliRunner().invoke(main, ["build", "--jobs", "1"])
    assert done.exit_code == 0 and "built 8 stories, 19 sources" in done.output, done.output
    assert asked == [3, 8]  # no pool at all
    refused = CliRunner().invoke(main, ["build", "--jobs", "0"])
    assert refused.exit_code == 2 and "Invalid value for '--jobs' / '-j': 0 is not in the range x>=1" in refused.output
    if hasattr(os, "sched_setaffinity"):
        one_core = "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        counted = subprocess.run(
            [sys.executable, "-c", one_core + "from digest.cores import available_cores; print(available_cores())"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert counted.stdout == "1\n"


@pytest.mark.skipif(
    __import__("multiprocessing").get_start_method() != "fork", reason="the patched stage reaches forked workers only"
)
def test_a_killed_worker_is_reported_and_the_output_kept(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker the system kills (out of memory) broke the pool: "internal error
    (BrokenProcessPool ...)". Now one line says what happened and what to do, the
    previous output stays, and the next build goes on from the stories finished."""
    import digest.build
    import digest.jobs
    import digest.keys
    from digest.errors import DigestError

    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    for n in range(5):
        write(
            site / "content" / f"pair-{n}.md",
            f"---\nsources: [seeds/{seeds[n % 5]}, seeds/{seeds[(n + 1) % 5]}]\n---\n",
        )
    output = tmp_path / "out"
    build_site(site, output)
    before = tree_bytes(output)
    for n in range(5):
        write(
            site / "content" / f"pair-{n}.md",
            f"---\nsources: [seeds/{seeds[n % 5]}, seeds/{seeds[(n + 2) % 5]}]\n---\n",
        )
    always_in_workers(monkeypatch)
    build_process, consolidate = os.getpid(), digest.jobs.digest_story

    def killed_in_pair_3(story, summary_words):  # type: ignore[no-untyped-def]
        if story.file.slug == "pair-3" and os.getpid() != build_process:
            os._exit(9)  # as the system's out-of-memory killer ends a process
        return consolidate(story, summary_words)

    monkeypatch.setattr(digest.jobs, "digest_story", killed_in_pair_3)
    with pytest.raises(DigestError) as caught:
        build_site(site, output)
    message = caught.value.location_message()
    assert re.fullmatch(
        r"a worker process ended abruptly after [0-4] of 5 stories \(killed, or out of memory\?\); "
        r"nothing was written: build again \(finished stories are kept\), or with --jobs 1",
        message,
    ), message
    assert tree_bytes(output) == before
    monkeypatch.undo()
    result = build_site(site, output)
    assert result.consolidated < 5 and b"pair-3" in (output / "index.html").read_bytes()


def test_unreadable_sources_read_by_workers_are_all_reported(site: Path, tmp_path: Path) -> None:
    """With enough stories for worker processes, the workers read the sources; a
    binary file and an invalid UTF-16 one in two stories are both reported, and
    the previous output stays as it was."""
    from digest.errors import DigestErrors

    output = tmp_path / "out"
    build_site(site, output)
    before = tree_bytes(output)
    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    (site / "seeds" / "binary.txt").write_bytes(b"Ice closed the port\n\x00\x01\x02")
    (site / "seeds" / "broken16.txt").write_bytes(b"\xff\xfeI\x00c\x00\x00\xd8")  # a lone surrogate
    for n in range(5):
        extra = {1: "seeds/binary.txt", 3: "seeds/broken16.txt"}.get(n, f"seeds/{seeds[(n + 1) % 5]}")
        write(site / "content" / f"pair-{n}.md", f"---\nsources: [seeds/{seeds[n % 5]}, {extra}]\n---\n")
    with pytest.raises(DigestErrors) as caught:
        build_site(site, output)
    messages = [e.location_message() for e in caught.value.errors]
    assert len(messages) == 2, messages
    assert messages[0].endswith("binary.txt:2: binary file (NUL byte); expected text")
    assert "broken16.txt" in messages[1] and "invalid UTF-16" in messages[1]
    assert tree_bytes(output) == before


def test_a_first_build_streams_its_jobs_and_reports_every_unreadable_source(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build with no earlier state hands each story to the workers as soon as its
    key is known (the jobs are made while the first ones run); an unreadable
    source is still reported with the others, and nothing is written."""
    import digest.build
    import digest.jobs
    import digest.keys
    from digest.errors import DigestErrors

    always_in_workers(monkeypatch)  # workers, even on one core
    made: list[str] = []
    make_job = digest.build.IncrementalBuilder._job

    def recording_job(self: digest.build.IncrementalBuilder, *args: object, **kwargs: object) -> object:
        job = make_job(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(job.file.slug)
        return job

    monkeypatch.setattr(digest.build.IncrementalBuilder, "_job", recording_job)
    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    (site / "seeds" / "binary.txt").write_bytes(b"Ice closed the port\n\x00\x01")
    for n in range(5):
        extra = "seeds/binary.txt" if n == 2 else f"seeds/{seeds[(n + 1) % 5]}"
        write(site / "content" / f"pair-{n}.md", f"---\nsources: [seeds/{seeds[n % 5]}, {extra}]\n---\n")
    from digest.config import load_config
    from digest.content import load_story_files
    from digest.theme import resolve_theme

    config = load_config(site / "digest.yml")
    fresh = digest.build.IncrementalBuilder()
    story_files = load_story_files(config, fresh._files.read, fresh._parse)
    signature = digest.keys.theme_signatures(config, resolve_theme(config)).stories
    keys, jobs, count = fresh._plan(config, story_files, signature, {}, None)
    assert (keys, made, count) == ({}, [], 6)  # nothing hashed or made yet
    first_job = next(iter(jobs))
    assert list(keys) == [first_job.file.slug] == made[:1]
    made.clear()
    output = tmp_path / "out"
    with pytest.raises(DigestErrors) as caught:
        build_site(site, output)
    assert [e.location_message() for e in caught.value.errors] == [
        f"{site / 'seeds' / 'binary.txt'}:2: binary file (NUL byte); expected text"
    ]
    assert not output.exists()
    assert sorted(made) == sorted([SLUG, *(f"pair-{n}" for n in range(5))])
    (site / "seeds" / "binary.txt").write_text("Ice closed the port.\n", encoding="utf-8")
    # Still a first build (a failed one saves no state), but the workers of the failed
    # one cached the digests they made: only the story that read the file is made again.
    first = build_site(site, output)
    assert (first.consolidated, first.rendered) == (1, 6)
    assert "Ice closed the port." in (output / "pair-2" / "s2.html").read_text(encoding="utf-8")


def test_a_source_changed_after_hashing_is_not_cached_under_the_old_key(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers read the sources a while after the build hashed them. A source
    saved in between gives pages of its newer text, but no cache entry under the
    key of the older one, and the next build makes the story again."""
    import digest.build
    import digest.jobs
    import digest.keys
    from digest.cache import FileHashes

    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    for n in range(5):  # enough stories for worker processes
        write(
            site / "content" / f"pair-{n}.md",
            f"---\nsources: [seeds/{seeds[n % 5]}, seeds/{seeds[(n + 1) % 5]}]\n---\n",
        )
    edited = str(site / "seeds" / seeds[2])
    real_sha = FileHashes.sha

    def sha_of_the_text_before_a_save(self: FileHashes, path: str, info: os.stat_result | None = None) -> str | None:
        return "0" * 64 if path == edited else real_sha(self, path, info)

    monkeypatch.setattr(FileHashes, "sha", sha_of_the_text_before_a_save)
    always_in_workers(monkeypatch)  # workers read, even on one core
    output = tmp_path / "out"
    first = build_site(site, output)
    assert first.consolidated == 6
    state = digest.build.IncrementalBuilder.from_store(digest.build.Store(site / ".digest-cache")).state
    stale = {slug for slug, story in state.stories.items() if story.key == ""}
    assert stale == {"pair-1", "pair-2", SLUG}  # the stories that read the edited seed
    kept = digest.build.Store(site / ".digest-cache").keys("digests")
    assert len(kept) == 3
    monkeypatch.undo()
    again = build_site(site, output)
    assert again.consolidated == 3  # (same bytes as before: the text did not really change)
    assert build_site(site, output).consolidated == 0


def test_a_worker_keeps_the_templates_it_started_with(site: Path) -> None:
    """A worker process serves one build, whose theme was fixed (hashed) as it
    began, so it reads each template once; a process that lives through many
    builds (the preview server's) loads an edited template again."""
    import os

    from digest.config import load_config
    from digest.content import load_stories
    from digest.jobs import JobResult, StoryJob, run_job
    from digest.theme import resolve_theme

    config = load_config(site / "digest.yml")
    theme = resolve_theme(config)
    [story] = load_stories(config, [])
    job = StoryJob(file=story.file, story=story)
    page = f"{SLUG}/s1.html"

    def rendered(theme_fixed: bool) -> str:
        result = run_job(job, config, theme, None, theme_fixed)
        assert isinstance(result, JobResult)
        return result.files[page].decode("utf-8")

    assert "Rendered after the edit" not in rendered(True) + rendered(False)
    template = site / "themes" / "default" / "source.html"
    edited = template.read_text(encoding="utf-8").replace("</article>", "</article><!-- Rendered after the edit -->")
    template.write_text(edited, encoding="utf-8")
    later = template.stat().st_mtime + 10
    os.utime(template, (later, later))
    assert "Rendered after the edit" not in rendered(True)
    assert "Rendered after the edit" in rendered(False)


def test_a_rebuild_looks_at_each_unchanged_source_once(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a source is still a plain file and whether its hash is still known
    are told by one lstat (a thousand-story site has 5,000 sources to look at)."""
    output = tmp_path / "out"
    build_site(site, output)
    sources = {str(p) for p in (site / "seeds").glob("*.txt")}
    looked: list[str] = []
    real_stat, real_lstat = os.stat, os.lstat

    def counted(real):  # type: ignore[no-untyped-def]
        def look(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(path) in sources:
                looked.append(str(path))
            return real(path, *args, **kwargs)

        return look

    monkeypatch.setattr(os, "stat", counted(real_stat))
    monkeypatch.setattr(os, "lstat", counted(real_lstat))
    again = build_site(site, output)
    assert again.consolidated == 0
    assert sorted(looked) == sorted(sources)


def test_counts_on_the_pages_agree_with_their_nouns(site: Path, tmp_path: Path) -> None:
    from tests.test_clean import TRAM_A, TRAM_B

    write(site / "content" / "lonely.md", "---\nsources: [seeds/000_bec47d9d05e10e72.txt]\n---\n")
    write(
        site / "seeds" / "tram-a.txt",
        TRAM_A.rstrip() + "\n\nSubscribe to our newsletter for the week's transport news.\n",
    )
    write(site / "seeds" / "tram-b.txt", TRAM_B)
    write(site / "content" / "tram.md", "---\nsources: [seeds/tram-a.txt, seeds/tram-b.txt]\n---\n")
    output = tmp_path / "out"
    build_site(site, output)
    story = (output / "lonely" / "index.html").read_text(encoding="utf-8")
    index = (output / "index.html").read_text(encoding="utf-8")
    assert re.search(r"\b1 source:", story) and not re.search(r"\b1 sources\b", story)
    assert re.search(r"\b1 outlet\b", index) and re.search(r"\b5 outlets\b", index)
    assert not re.search(r"\b1 outlets\b", index)
    assert "<summary>1 line removed as page clutter</summary>" in (output / "tram" / "s1.html").read_text(
        encoding="utf-8"
    )
    seed_page = (output / SLUG / "s1.html").read_text(encoding="utf-8")
    assert re.search(r"<summary>\d\d+ lines removed as page clutter</summary>", seed_page)


def test_tags_of_any_script_get_their_own_pages_and_spellings_share_one(site: Path, tmp_path: Path) -> None:
    from urllib.parse import unquote

    story = site / "content" / f"{SLUG}.md"
    story.write_text(
        story.read_text(encoding="utf-8").replace("tags: [diplomacy,", "tags: [Россия, Café, diplomacy,"),
        encoding="utf-8",
    )
    write(site / "content" / "lonely.md", "---\ntags: [cafe, 日本]\nsources: [seeds/000_bec47d9d05e10e72.txt]\n---\n")
    output = tmp_path / "out"
    build_site(site, output)
    tags = sorted(p.relative_to(output / "tags").as_posix() for p in (output / "tags").glob("*/index.html"))
    assert tags == [
        "arctic-council/index.html",
        "cafe/index.html",
        "diplomacy/index.html",
        "россия/index.html",
        "日本/index.html",
    ]
    cafe = parse(output / "tags" / "cafe" / "index.html").hrefs
    assert f"../../{SLUG}/index.html" in cafe and "../../lonely/index.html" in cafe
    page = output / SLUG / "index.html"
    hrefs = [h for h in parse(page).hrefs if "/tags/" in h and not h.endswith("tags/index.html")]
    assert "../tags/%D1%80%D0%BE%D1%81%D1%81%D0%B8%D1%8F/index.html" in hrefs
    for href in hrefs:  # percent-encoded in the page, UTF-8 on disk
        assert (page.parent / unquote(href)).is_file(), href
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert "/tags/%E6%97%A5%E6%9C%AC/</loc>" in sitemap and "日本" not in sitemap


def test_a_draft_is_left_out_unless_drafts_are_built_and_its_sources_are_not_loose(site: Path, tmp_path: Path) -> None:
    (site / "seeds" / "draft").mkdir()
    for name, seed in (("one", "002_6c188231047a0d29.txt"), ("two", "003_84711b47524004f0.txt")):
        shutil.copy(site / "seeds" / seed, site / "seeds" / "draft" / f"{name}.txt")
    write(
        site / "content" / "plans.md",
        "---\ntitle: Plans in the making\ndraft: true\ntags: [drafting]\n"
        "sources: [seeds/draft/one.txt, seeds/draft/two.txt]\n---\n",
    )
    out = tmp_path / "out"
    left = build_site(site, out)
    # (Were the draft dropped before loose grouping, its two files would make a story.)
    assert (left.stories, left.sources, left.drafts_left_out) == (1, 5, 1)
    assert not (out / "plans").exists() and not (out / "tags" / "drafting").exists()
    for page in ("index.html", "sitemap.xml", "feed.xml", "tags/index.html"):
        assert "Plans in the making" not in (out / page).read_text(encoding="utf-8")
        assert "plans/" not in (out / page).read_text(encoding="utf-8")
    published = (out / SLUG / "index.html").read_bytes()
    assert b"draft-flag" not in published

    shown = build_site(site, out, drafts=True)
    assert (shown.stories, shown.drafts_left_out) == (2, 0)
    assert shown.rendered == 1  # the published story's pages are not rendered again
    page = (out / "plans" / "index.html").read_text(encoding="utf-8")
    assert '<p class="draft-flag">Draft: <code>digest build</code> leaves this story out' in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<span class="draft-flag">Draft</span> <a href="plans/index.html">Plans in the making</a>' in index
    assert json.loads((out / "plans" / "digest.json").read_text(encoding="utf-8"))["draft"] is True
    assert json.loads((out / SLUG / "digest.json").read_text(encoding="utf-8"))["draft"] is False
    assert (out / SLUG / "index.html").read_bytes() == published
    assert (out / "tags" / "drafting" / "index.html").is_file()
    archives = (out / "archives" / "index.html").read_text(encoding="utf-8")
    assert '<span class="draft-flag">Draft</span> <a href="../plans/index.html">Plans in the making</a>' in archives
    entries = {e["url"]: e["draft"] for e in search_data(out / "search" / "index.html")}
    assert entries == {f"{SLUG}/index.html": False, "plans/index.html": True}

    again = build_site(site, out)
    assert again.drafts_left_out == 1 and not (out / "plans").exists()


def share_metadata(path: Path) -> dict[str, list[str]]:
    """A page's Open Graph and link properties, as a link preview reads them."""
    found: dict[str, list[str]] = {}
    for tag, name, value in parse(path).attributes:
        if tag == "meta" and name == "property":
            found.setdefault(value, [])
    text = path.read_text(encoding="utf-8")
    for key in found:
        found[key] = re.findall(rf'<meta property="{re.escape(key)}" content="([^"]*)">', text)
    found["canonical"] = re.findall(r'<link rel="canonical" href="([^"]*)">', text)
    return found


def test_pages_carry_link_preview_metadata(built: Path) -> None:
    story = share_metadata(built / SLUG / "index.html")
    assert story["og:type"] == ["article"] and story["og:site_name"] == ["digest"]
    assert story["og:title"] == [
        "Blinken and Lavrov meet in Reykjavik, stress cooperation despite &#34;serious differences&#34;"
    ]
    assert story["og:url"] == story["canonical"] == [f"https://example.github.io/digest/{SLUG}/"]
    assert story["og:description"][0].startswith("U.S. Secretary of State Antony Blinken held talks")
    assert story["article:published_time"] == ["2021-05-20"]
    assert story["article:tag"] == ["diplomacy", "Arctic Council"]
    index = share_metadata(built / "index.html")
    assert index["og:type"] == ["website"] and index["og:title"] == ["digest"] and "article:tag" not in index
    assert index["og:url"] == ["https://example.github.io/digest/"]
    source = share_metadata(built / SLUG / "s1.html")
    assert source["og:title"][0].endswith("(EU Reporter)") and source["og:type"] == ["website"]


def test_the_archives_list_every_story_by_month_and_an_edit_keeps_them_unless_a_title_changes(
    site: Path, tmp_path: Path
) -> None:
    pair = "sources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n"
    write(site / "content" / "june.md", f"---\ntitle: A June follow-up\ndate: 2021-06-02\n{pair}---\n")
    write(site / "content" / "earlier.md", f"---\ntitle: Earlier in May\ndate: 2021-05-03\n{pair}---\n")
    out = tmp_path / "out"
    build_site(site, out)
    page = (out / "archives" / "index.html").read_text(encoding="utf-8")
    months = re.findall(r'<h2 id="month-([\w-]+)">([^<]+)</h2>', page)
    assert months == [("2021-06", "June 2021"), ("2021-05", "May 2021")]
    listed = re.findall(r'<a href="\.\./([\w-]+)/index\.html">', page.split("<h1>Archives</h1>")[1].split("</main>")[0])
    assert listed == ["june", SLUG, "earlier"]  # newest first, as the index
    assert '<time datetime="2021-05-03">3 May 2021</time> <a href="../earlier/index.html">Earlier in May</a>' in page
    assert "https://example.github.io/digest/archives/" in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert '<a href="../archives/index.html">Archives</a>' in (out / SLUG / "s1.html").read_text(encoding="utf-8")
    before = (out / "archives" / "index.html").stat().st_ino

    note = site / "content" / "june.md"
    note.write_text(note.read_text(encoding="utf-8") + "A note that changes no title.\n", encoding="utf-8")
    build_site(site, out)
    assert (out / "archives" / "index.html").stat().st_ino == before  # kept: hard-linked, not written
    note.write_text(
        note.read_text(encoding="utf-8").replace("A June follow-up", "'June: the follow-up'"), encoding="utf-8"
    )
    build_site(site, out)
    assert "June: the follow-up" in (out / "archives" / "index.html").read_text(encoding="utf-8")


def older_theme(site: Path, missing: str) -> Path:
    """The default theme copied as "older", without one template (as a theme copied
    before that template existed), and made the site's theme."""
    older = site / "themes" / "older"
    shutil.copytree(site / "themes" / "default", older)
    (older / missing).unlink()
    settings = site / "digest.yml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("theme: default", "theme: older"), encoding="utf-8"
    )
    return older


def test_a_theme_without_an_archives_template_builds_without_the_page(site: Path, tmp_path: Path) -> None:
    base = older_theme(site, "archives.html") / "base.html"
    base.write_text(
        base.read_text(encoding="utf-8").replace('<a href="{{ root }}archives/index.html">Archives</a> &middot; ', ""),
        encoding="utf-8",
    )
    build_site(site, tmp_path / "out")
    assert not (tmp_path / "out" / "archives").exists()
    assert "archives" not in (tmp_path / "out" / "sitemap.xml").read_text(encoding="utf-8")
    assert (tmp_path / "out" / SLUG / "index.html").is_file()


def daily_stories(site: Path, days: int, tag: str, setting: str) -> None:
    """Stories day-1 ... day-N (June 2021), each tagged ``tag``, and one more line
    of digest.yml."""
    pair = "sources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n"
    for day in range(1, days + 1):
        write(site / "content" / f"day-{day}.md", f"---\ndate: 2021-06-0{day}\ntags: [{tag}]\n{pair}---\n")
    settings = site / "digest.yml"
    settings.write_text(settings.read_text(encoding="utf-8") + setting + "\n", encoding="utf-8")


def test_tag_pages_are_paginated_like_the_index_and_an_edit_renders_only_its_page(site: Path, tmp_path: Path) -> None:
    daily_stories(site, 5, "Follow-ups", "page_size: 2")
    out = tmp_path / "out"
    build_site(site, out)
    folder = out / "tags" / "follow-ups"
    paths = [folder / "index.html", folder / "page" / "2" / "index.html", folder / "page" / "3" / "index.html"]
    listed = [
        re.findall(r'<h2><a href="(?:\.\./)+([\w-]+)/index\.html">', p.read_text(encoding="utf-8")) for p in paths
    ]
    assert listed == [["day-5", "day-4"], ["day-3", "day-2"], ["day-1"]]  # newest first, each once
    assert not (folder / "page" / "4").exists()
    second = paths[1].read_text(encoding="utf-8")
    assert '<a rel="prev" href="../../../../tags/follow-ups/index.html">' in second
    assert '<a rel="next" href="../../../../tags/follow-ups/page/3/index.html">' in second
    assert "<span>Page 2 of 3</span>" in second and "Stories tagged “Follow-ups”" in second
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://example.github.io/digest/tags/follow-ups/page/3/" in sitemap
    before = [p.stat().st_ino for p in paths]
    story = site / "content" / "day-3.md"
    story.write_text(
        story.read_text(encoding="utf-8").replace("---\n", "---\ntitle: The third day\n", 1), encoding="utf-8"
    )
    build_site(site, out)
    after = [p.stat().st_ino for p in paths]
    assert after[0] == before[0] and after[2] == before[2] and after[1] != before[1]
    assert "The third day" in paths[1].read_text(encoding="utf-8")


def test_each_tag_has_an_atom_feed_of_its_newest_stories(site: Path, tmp_path: Path) -> None:
    daily_stories(site, 3, "Café", "feed_size: 2")
    out = tmp_path / "out"
    build_site(site, out)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(out / "tags" / "cafe" / "feed.xml").getroot()
    assert feed.findtext("a:title", namespaces=ns) == "digest: Café"
    assert feed.findtext("a:id", namespaces=ns) == "https://example.github.io/digest/tags/cafe/"
    self_link = [link.get("href") for link in feed.findall("a:link", ns) if link.get("rel") == "self"]
    assert self_link == ["https://example.github.io/digest/tags/cafe/feed.xml"]
    entries = [e.findtext("a:id", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert entries == ["https://example.github.io/digest/day-3/", "https://example.github.io/digest/day-2/"]
    assert feed.find("a:entry/a:content", ns) is not None  # the full cited summary, as in the site's feed
    diplomacy = ET.parse(out / "tags" / "diplomacy" / "feed.xml").getroot()
    assert [e.findtext("a:id", namespaces=ns) for e in diplomacy.findall("a:entry", ns)] == [
        f"https://example.github.io/digest/{SLUG}/"
    ]
    page = (out / "tags" / "cafe" / "index.html").read_text(encoding="utf-8")
    assert (
        '<link rel="alternate" type="application/atom+xml" title="digest: Café" href="../../tags/cafe/feed.xml">'
        in page
    )
    main = ET.parse(out / "feed.xml").getroot()
    assert main.findtext("a:id", namespaces=ns) == "https://example.github.io/digest/"


def test_a_theme_without_a_tag_feed_template_makes_no_tag_feeds(site: Path, tmp_path: Path) -> None:
    older_theme(site, "tag_feed.xml")
    build_site(site, tmp_path / "out")
    assert not list((tmp_path / "out" / "tags").rglob("feed.xml"))
    page = (tmp_path / "out" / "tags" / "diplomacy" / "index.html").read_text(encoding="utf-8")
    assert "tags/diplomacy/feed.xml" not in page and "Atom feed of this tag" not in page


def feed_contents(feed: Path) -> dict[str, str]:
    """Each entry's HTML content (unescaped, as a feed reader shows it), by entry id."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(feed).getroot()
    return {e.findtext("a:id", namespaces=ns) or "": e.findtext("a:content", namespaces=ns) or "" for e in root}


def test_every_feed_carries_the_story_content_the_feed_content_template_makes(site: Path, tmp_path: Path) -> None:
    daily_stories(site, 2, "Café", "theme_overrides: overrides")
    (site / "overrides").mkdir()
    out = tmp_path / "out"
    build_site(site, out)
    story = "https://example.github.io/digest/day-2/"
    # The shipped template: the cited summary, each footnote a link to the sentence it cites.
    shipped = feed_contents(out / "feed.xml")[story]
    assert shipped.startswith("<p>") and shipped.endswith("</p>") and "\n" not in shipped
    assert re.search(
        r'<sup><a href="https://example\.github\.io/digest/day-2/s\d\.html#s\d+" title="[^"]+">1</a>', shipped
    )
    assert feed_contents(out / "tags" / "cafe" / "feed.xml")[story] == shipped
    # A new story renders the feeds again; the others' content comes from the build cache.
    pair = "sources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n"
    write(site / "content" / "day-3.md", f"---\ndate: 2021-06-03\ntags: [Café]\n{pair}---\n")
    build_site(site, out)
    contents = feed_contents(out / "feed.xml")
    assert contents[story] == shipped and contents[story.replace("day-2", "day-3")] == shipped.replace("day-2", "day-3")
    # An override of it changes the entries of every feed (the site's and each tag's), and nothing else.
    before = tree_bytes(out)
    write(
        site / "overrides" / "feed_content.html",
        "<p>{{ story.title }}: {{ story.lead }} <b>({{ story.sources | length }})</b></p>",
    )
    build_site(site, out)
    after = tree_bytes(out)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {path for path in after if path.endswith("feed.xml")} and "tags/cafe/feed.xml" in changed
    content = feed_contents(out / "feed.xml")[story]
    assert re.fullmatch(r"<p>[^<]+: [^<]+ <b>\(2\)</b></p>", content), content
    assert feed_contents(out / "tags" / "cafe" / "feed.xml")[story] == content


def test_a_theme_copied_before_the_feed_content_template_keeps_its_own_feed(site: Path, tmp_path: Path) -> None:
    older = older_theme(site, "feed_content.html")
    # Its feed.xml made each entry's content itself (as the shipped one did then).
    (older / "feed.xml").write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom">{% for story in stories %}<entry><id>{{ story.slug }}</id>'
        "<content>{% for paragraph in story.paragraphs %}{% for sentence in paragraph %}{{ sentence.text }} "
        "{% endfor %}{% endfor %}</content></entry>{% endfor %}</feed>",
        encoding="utf-8",
    )
    build_site(site, tmp_path / "out")
    content = feed_contents(tmp_path / "out" / "feed.xml")[SLUG]
    summary = (tmp_path / "out" / SLUG / "digest.json").read_text(encoding="utf-8")
    first = json.loads(summary)["summary"][0]["text"]
    assert content.startswith(first + " ")


def search_texts(out: Path) -> dict[str, list[str]]:
    """The summary sentences the built search page loads, by story page address."""
    texts: dict[str, list[str]] = {}
    for script in sorted((out / "search").glob("text-*.js")):
        code = script.read_text(encoding="utf-8")
        found = re.fullmatch(
            r"Object\.assign\(window\.digestText = window\.digestText \|\| \{\}, (.*)\);\n", code, re.S
        )
        assert found is not None, script
        part = json.loads(found.group(1))
        assert not set(part) & set(texts)  # each story in one file
        texts.update(part)
    return texts


def search_data(page: Path) -> list[dict[str, object]]:
    """The stories a built search page looks through."""
    found = re.search(r"<script>window\.digestStories = (.*);</script>", page.read_text(encoding="utf-8"))
    assert found is not None
    entries: list[dict[str, object]] = json.loads(found.group(1))
    return entries


def test_the_search_page_holds_every_story_safely_and_every_other_page_a_search_box(site: Path, tmp_path: Path) -> None:
    hostile = "Talks end </script><script>alert(1)</script> & more"
    write(
        site / "content" / "hostile.md",
        f"---\ntitle: '{hostile}'\ndate: 2021-05-01\ntags: [Café]\n"
        "sources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n---\n",
    )
    out = tmp_path / "out"
    build_site(site, out)
    page = out / "search" / "index.html"
    entries = search_data(page)
    assert [e["url"] for e in entries] == [f"{SLUG}/index.html", "hostile/index.html"]  # index order
    seed = entries[0]
    assert str(seed["lead"]).startswith("U.S. Secretary of State Antony Blinken held talks")
    assert seed["tags"] == ["diplomacy", "Arctic Council"] and seed["date_text"] == "20 May 2021"
    assert seed["outlets"][:2] == ["EU Reporter", "RFE/RL"]  # type: ignore[index]
    assert entries[1]["title"] == hostile and entries[1]["tags"] == ["Café"]
    texts = search_texts(out)
    assert set(texts) == {str(e["url"]) for e in entries}
    assert texts[f"{SLUG}/index.html"][0] == seed["lead"] and len(texts[f"{SLUG}/index.html"]) > 3
    assert "The meeting was held on the sidelines of the Arctic Council meeting." in texts[f"{SLUG}/index.html"]
    html = page.read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="\.\./(search/text-\d+\.js)" defer></script>', html)
    assert sorted(scripts) == sorted(p.relative_to(out).as_posix() for p in (out / "search").glob("text-*.js"))
    assert html.count("<script") == 2 + len(scripts) and "<script>alert" not in html  # the title stays data
    assert html.index("search/text-") < html.index("static/search.js")  # (deferred: run in this order)
    assert '<form class="site-search"' not in html and 'id="search-query"' in html
    for other in ("index.html", "archives/index.html", f"{SLUG}/index.html", f"{SLUG}/s2.html", "404.html"):
        text = (out / other).read_text(encoding="utf-8")
        assert '<form class="site-search" role="search" action="' in text and "<script" not in text, other
    assert "search/" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    before = page.stat().st_ino
    story = site / "content" / "hostile.md"
    story.write_text(story.read_text(encoding="utf-8") + "A note the search does not look at.\n", encoding="utf-8")
    build_site(site, out)
    assert page.stat().st_ino == before  # made from the cards: kept as it was


def test_a_theme_without_the_search_text_template_searches_the_cards_alone(site: Path, tmp_path: Path) -> None:
    older_theme(site, "search_text.js")
    build_site(site, tmp_path / "out")
    page = tmp_path / "out" / "search" / "index.html"
    assert not list((tmp_path / "out" / "search").glob("text-*.js")) and search_data(page)
    assert "search/text-" not in page.read_text(encoding="utf-8")


def test_a_theme_without_a_search_template_builds_without_the_page(site: Path, tmp_path: Path) -> None:
    older_theme(site, "search.html")
    build_site(site, tmp_path / "out")
    assert not (tmp_path / "out" / "search").exists() and (tmp_path / "out" / "index.html").is_file()


def test_a_new_story_leaves_the_pages_and_feeds_of_other_tags_as_they_were(site: Path, tmp_path: Path) -> None:
    daily_stories(site, 2, "Follow-ups", "feed_size: 5")
    out = tmp_path / "out"
    build_site(site, out)
    untouched = [out / "tags" / "diplomacy" / "index.html", out / "tags" / "diplomacy" / "feed.xml"]
    before = [p.stat().st_ino for p in untouched]
    pair = "sources: [seeds/002_6c188231047a0d29.txt, seeds/004_7fbbd0fc90f416ac.txt]\n"
    write(site / "content" / "newest.md", f"---\ndate: 2021-07-01\ntags: [Follow-ups]\n{pair}---\n")
    build_site(site, out)
    assert [p.stat().st_ino for p in untouched] == before  # not written again
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for feed in (out / "feed.xml", out / "tags" / "follow-ups" / "feed.xml"):
        assert ET.parse(feed).getroot().findtext("a:updated", namespaces=ns) == "2021-07-01T00:00:00Z"
    other = ET.parse(untouched[1]).getroot()
    assert other.findtext("a:updated", namespaces=ns) == "2021-05-20T00:00:00Z"  # its own newest story


def test_pages_listing_every_story_follow_each_change_they_show(site: Path, tmp_path: Path) -> None:
    """The archives, search and sitemap are keyed by what they are made of (cards,
    page paths, the base URL), not rendered to be compared: each change they show
    must still reach them in a rebuild, one change at a time, and one they do not
    show must not."""
    out = tmp_path / "out"
    build_site(site, out)
    pages = [out / "archives" / "index.html", out / "search" / "index.html", out / "sitemap.xml"]
    archives, search, sitemap = pages

    def inodes() -> list[int]:
        return [p.stat().st_ino for p in pages]

    before = inodes()
    story = site / "content" / "blinken-lavrov-reykjavik.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nAn editor's note none of them shows.\n", encoding="utf-8")
    build_site(site, out)
    assert inodes() == before
    story.write_text(story.read_text(encoding="utf-8").replace("title: Blinken", "title: Retitled Blinken"), "utf-8")
    build_site(site, out)
    assert "Retitled Blinken" in archives.read_text(encoding="utf-8")
    assert str(search_data(search)[0]["title"]).startswith("Retitled Blinken")
    assert sitemap.stat().st_ino == before[2]  # (no page came or went)
    # Older than the newest story, so that the site's updated time stays as it was.
    pair = "sources: [seeds/002_6c188231047a0d29.txt, seeds/004_7fbbd0fc90f416ac.txt]\n"
    write(site / "content" / "earlier-talks.md", f"---\ntitle: Earlier talks\ndate: 2021-04-02\n{pair}---\n")
    build_site(site, out)
    assert "Earlier talks" in archives.read_text(encoding="utf-8") and "April 2021" in archives.read_text("utf-8")
    assert [e["title"] for e in search_data(search)][1] == "Earlier talks"
    text = sitemap.read_text(encoding="utf-8")
    assert "/earlier-talks/</loc>" in text and "/earlier-talks/s1.html</loc>" in text
    build_site(site, out, base_url="https://elsewhere.example/d/")
    text = sitemap.read_text(encoding="utf-8")
    assert "<loc>https://elsewhere.example/d/earlier-talks/</loc>" in text and "example.github.io" not in text


def test_the_static_folder_is_published_as_it_is(site: Path, tmp_path: Path) -> None:
    static = site / "static"
    write(static / "robots.txt", "User-agent: *\nAllow: /\n")
    write(static / "CNAME", "news.example.org\n")
    image = bytes(range(256)) * 40  # not text: copied byte for byte
    (static / "img").mkdir()
    (static / "img" / "map.png").write_bytes(image)
    write(static / ".DS_Store", "hidden")
    write(static / ".well-hidden" / "x.txt", "hidden too")
    write(site / "assets" / "favicon.ico", "icon")
    (static / "favicon.ico").symlink_to(site / "assets" / "favicon.ico")  # published where the link is
    out = tmp_path / "out"
    build_site(site, out)
    assert (out / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    assert (out / "CNAME").read_text(encoding="utf-8") == "news.example.org\n"
    assert (out / "img" / "map.png").read_bytes() == image and (out / "favicon.ico").read_text() == "icon"
    assert not (out / ".DS_Store").exists() and not (out / ".well-hidden").exists()
    assert not (out / "assets").exists() and (out / "index.html").is_file()
    assert "robots.txt" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    before = {p: (out / p).stat().st_ino for p in ("robots.txt", "CNAME", "img/map.png", "index.html")}
    build_site(site, out)  # (the hashes settle)
    state = site / ".digest-cache" / "state" / "builder.pickle"
    saved = state.stat().st_ino
    result = build_site(site, out)
    assert result.written == 0 and {p: (out / p).stat().st_ino for p in before} == before
    assert state.stat().st_ino == saved  # listed again (it holds a link), found the same: nothing saved
    write(static / "robots.txt", "User-agent: *\nDisallow: /drafts/\n")
    (static / "CNAME").unlink()
    result = build_site(site, out)
    assert (result.rendered, result.written) == (0, 1)  # no page rendered, one file copied
    assert "Disallow" in (out / "robots.txt").read_text(encoding="utf-8") and not (out / "CNAME").exists()
    assert {p: (out / p).stat().st_ino for p in ("img/map.png", "index.html")} == {
        p: before[p] for p in ("img/map.png", "index.html")
    }
    (out / "img" / "map.png").write_bytes(b"changed in the output")  # by hand: the next build puts it back
    build_site(site, out)
    assert (out / "img" / "map.png").read_bytes() == image


def test_a_static_file_replaces_a_theme_file_but_never_a_page(site: Path, tmp_path: Path) -> None:
    write(site / "static" / "static" / "style.css", "body { color: teal; }\n")
    out = tmp_path / "out"
    build_site(site, out)
    assert (out / "static" / "style.css").read_text(encoding="utf-8") == "body { color: teal; }\n"
    assert (out / "static" / "search.js").is_file()  # the theme's other files stay
    for page in ("index.html", f"{SLUG}/s2.html", "feed.xml"):
        clash = write(site / "static" / page, "mine")
        with pytest.raises(DigestError) as caught:
            build_site(site, out)
        assert caught.value.location_message() == f"{clash}: the site makes {page} itself; rename or remove this file"
        clash.unlink()
    assert (out / "static" / "style.css").read_text(encoding="utf-8") == "body { color: teal; }\n"  # left as it was
    build_site(site, out)


def test_the_digests_a_build_hands_the_writer_are_those_of_its_bytes(site: Path) -> None:
    """The writer trusts SiteFiles.digests instead of hashing the site pages and
    copied files again: a wrong one would leave a changed file unwritten."""
    import hashlib

    from digest.build import IncrementalBuilder
    from digest.config import load_config

    write(site / "static" / "robots.txt", "User-agent: *\n")
    config = load_config(site / "digest.yml")
    files, _ = IncrementalBuilder().build(config, config.output_dir, sink=lambda name, data, digest: None)
    assert {"index.html", "feed.xml", "robots.txt"} <= set(files.digests)
    assert files.digests == {path: hashlib.sha256(files.data[path]).hexdigest() for path in files.digests}
    assert set(files.digests) == set(files.data)  # (the stories' files went to the sink with theirs)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_end_when_the_build_process_is_killed() -> None:
    """Killed outright (a cancelled CI job, ``kill``), the build process cannot stop
    its workers: they waited for their next job for ever, holding their memory."""
    import signal
    import subprocess
    import sys

    script = (
        "import os, time\nfrom concurrent.futures import ProcessPoolExecutor\n"
        "from digest.jobs import _worker_started\n"
        "pool = ProcessPoolExecutor(max_workers=1, initializer=_worker_started)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\ntime.sleep(60)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert build.stdout is not None
    worker = int(build.stdout.readline())
    try:
        assert not process_ended(worker)  # idle, waiting for a job
        build.send_signal(signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 10
        while not process_ended(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_ended(worker)
    finally:
        if not process_ended(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_sitemap_of_too_many_pages_becomes_an_index_of_sitemaps(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sitemap file may list 50,000 pages (the protocol's limit; a site of ~8,000
    stories has more): past that, sitemap.xml lists sitemap-N.xml files that do."""
    import digest.render

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    build_site(site, tmp_path / "one")
    one = [e.text for e in ET.parse(tmp_path / "one" / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    seeds = sorted(p.name for p in (site / "seeds").glob("*.txt"))
    write(site / "content" / "pair.md", f"---\nsources: [seeds/{seeds[0]}, seeds/{seeds[1]}]\n---\n")
    build_site(site, tmp_path / "whole")
    urls = [e.text for e in ET.parse(tmp_path / "whole" / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert len(urls) > len(one) > 4 and not list((tmp_path / "whole").glob("sitemap-*.xml"))

    monkeypatch.setattr(digest.render, "SITEMAP_URLS", len(one))
    output = tmp_path / "split"
    build_site(site, output)
    index = ET.parse(output / "sitemap.xml").getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    listed = [e.text or "" for e in index.findall("s:sitemap/s:loc", ns)]
    count = -(-len(urls) // len(one))
    assert count >= 2 and listed == [f"https://example.github.io/digest/sitemap-{n}.xml" for n in range(1, count + 1)]
    parts = [
        [e.text for e in ET.parse(output / f"sitemap-{n}.xml").getroot().findall("s:url/s:loc", ns)]
        for n in range(1, count + 1)
    ]
    assert all(1 <= len(part) <= len(one) for part in parts) and [u for part in parts for u in part] == urls
    # Back to one sitemap's worth of pages: sitemap.xml lists them again, the parts go.
    (site / "content" / "pair.md").unlink()
    build_site(site, output)
    assert tree_bytes(output) == tree_bytes(tmp_path / "one")


def test_a_container_s_cpu_quota_caps_the_default_workers(tmp_path: Path) -> None:
    """In a container limited to 2 CPUs on a 64-core machine, all 64 cores show: a
    worker each would hold ~200 MB apiece for a share of 2 CPUs."""
    from digest.cores import available_cores, cpu_quota

    groups, own = tmp_path / "cgroup", tmp_path / "self-cgroup"
    assert cpu_quota(groups, own) is None  # (not Linux, or no such files)
    own.write_text("0::/ci/job\n", encoding="ascii")
    write(groups / "ci" / "job" / "cpu.max", "150000 100000\n")
    write(groups / "ci" / "cpu.max", "max 100000\n")
    assert cpu_quota(groups, own) == 1.5
    assert available_cores(groups, own) == min(2, available_cores(tmp_path / "none", own))
    write(groups / "ci" / "cpu.max", "50000 100000\n")  # a stricter group above
    assert cpu_quota(groups, own) == 0.5 and available_cores(groups, own) == 1
    # cgroup v1, seen from inside a container without its own cgroup namespace: the
    # process's path does not exist there, the quota is at the mount's top.
    own.write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n", encoding="ascii")
    write(groups / "cpu" / "cpu.cfs_quota_us", "200000\n")
    write(groups / "cpu" / "cpu.cfs_period_us", "100000\n")
    assert cpu_quota(groups, own) == 2.0
    write(groups / "cpu" / "cpu.cfs_quota_us", "-1\n")  # no quota
    assert cpu_quota(groups, own) is None


def test_a_container_s_memory_limit_caps_the_default_workers(tmp_path: Path) -> None:
    """A container limited to 1 GB on a many-core machine: a worker per core would
    have the kernel kill the build mid-way; the default starts as many as fit."""
    from digest.cores import MAIN_PROCESS_BYTES, WORKER_BYTES, available_cores, default_workers, memory_limit

    groups, own = tmp_path / "cgroup", tmp_path / "self-cgroup"
    cores = available_cores(groups, own)
    machine = memory_limit(groups, own)  # no groups: the machine's memory, where known
    assert machine is None or machine > 2**26
    own.write_text("0::/ci/job\n", encoding="ascii")
    write(groups / "ci" / "job" / "memory.max", "max\n")
    write(groups / "ci" / "memory.max", f"{2**30}\n")  # the group above limits this one
    assert memory_limit(groups, own) == min(2**30, machine or 2**30)
    assert (MAIN_PROCESS_BYTES, WORKER_BYTES) == (400 * 2**20, 250 * 2**20)  # (1024 - 400) // 250 == 2
    assert default_workers(groups, own) == min(cores, 2)
    write(groups / "ci" / "job" / "memory.max", f"{512 * 2**20}\n")  # too little for two: none
    assert memory_limit(groups, own) == 512 * 2**20 and default_workers(groups, own) == 1
    write(groups / "ci" / "job" / "memory.max", "not a number\n")  # unreadable: the others count
    assert memory_limit(groups, own) == min(2**30, machine or 2**30)
    # cgroup v1: "no limit" is the largest page-aligned number, the machine's memory is less.
    own.write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n", encoding="ascii")
    write(groups / "memory" / "memory.limit_in_bytes", "9223372036854771712\n")
    assert memory_limit(groups, own) == machine
    write(groups / "memory" / "docker" / "abc" / "memory.limit_in_bytes", f"{3 * 2**30}\n")
    assert memory_limit(groups, own) == min(3 * 2**30, machine or 3 * 2**30)
    if machine is None or machine >= 3 * 2**30:
        assert default_workers(groups, own) == min(cores, 10)  # (3072 - 400) // 250
