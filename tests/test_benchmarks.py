"""The benchmarks' own helpers, where a wrong answer would measure the wrong thing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from benchmarks.generate import generate
from benchmarks.scale_bench import DIGEST, Aside, Peer, installed, newest_story, peer_rows, phases, run
from tests.conftest import build_site


def test_the_newest_story_of_a_generated_site_is_the_one_the_index_and_feed_list_first(tmp_path: Path) -> None:
    # 30 stories dated over a year: the newest (story-0023) is neither the first nor the last by name.
    site = generate(tmp_path / "site", 30)
    build_site(site)
    first_listed = re.search(r'<h2><a href="([\w-]+)/index\.html">', (site / "output" / "index.html").read_text())
    assert first_listed is not None
    newest = newest_story(site)
    assert newest == first_listed.group(1)
    feed = (site / "output" / "feed.xml").read_text(encoding="utf-8")
    assert feed.index(f"/bench/{newest}/") < min(
        feed.index(f"/bench/story-{n:04d}/") for n in range(30) if f"story-{n:04d}" != newest
    )


def test_a_peer_that_is_not_installed_or_skipped_is_a_row_of_the_table_not_a_crash(tmp_path: Path) -> None:
    assert installed(sys.executable) == sys.executable
    assert installed("") is None  # --pelican '': skip it
    assert installed(str(tmp_path / "no-such-generator")) is None
    peer = Peer("pelican", installed("no-such-generator-here"), tmp_path, "output", [], Aside(tmp_path))
    [(name, seconds, note)] = peer_rows([peer], 1, {})
    assert (name, note) == ("pelican: not run", "not installed, or skipped")
    assert seconds != seconds  # NaN: printed as "-", never as a time


def test_the_phases_of_a_build_are_read_from_what_digest_build_timings_prints(tmp_path: Path) -> None:
    site = generate(tmp_path / "site", 4)
    done = run([*DIGEST, "build", "--quiet", "--timings"], site)
    found = phases(done.output)
    names = [name for name, _ in found]
    assert names[:3] == ["load inputs, plan the work", "consolidate, render, write stories", "render site pages"]
    assert "save cache" in names
    assert all(seconds >= 0 for _, seconds in found)
    assert sum(seconds for _, seconds in found) <= done.seconds  # (the process also starts and imports)
