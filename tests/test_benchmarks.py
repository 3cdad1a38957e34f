"""The benchmarks' own helpers, where a wrong answer would measure the wrong thing."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.generate import generate
from benchmarks.scale_bench import newest_story
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
