"""Grouping loose articles into stories by event (articles written for these tests)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from digest.errors import DigestError
from digest.group import describe, group_articles
from tests.conftest import build_site, run_digest, write

GENEVA_1 = """World | Politics | Business
Harlow and Brenner agree to resume arms talks
3 June 2023
Foreign ministers Ilse Harlow and Tomas Brenner met in Geneva on June 3 and agreed to resume talks on arms control within a month, officials said.
The two-hour meeting at the Palais Wilson was the first between the two since the collapse of the previous round in March.
Harlow told reporters that the new talks would cover the 240 short-range launchers stationed near the border.
Subscribe to our newsletter
"""
GENEVA_2 = """Home > Europe
Geneva talks: ministers pledge new arms negotiations
Meeting for two hours at the Palais Wilson in Geneva on June 3, Tomas Brenner and his counterpart Ilse Harlow pledged to reopen the arms negotiations within weeks.
According to diplomats, the next round will address roughly 240 short-range launchers that are deployed along the frontier.
It was their first encounter since the negotiations broke down in March, and both sides called it useful.
Related: Five things to know about launchers
"""
GENEVA_LATER = """Analysis: what the Geneva meeting changed
5 June 2023
Two days after Ilse Harlow and Tomas Brenner met at the Palais Wilson in Geneva on June 3, negotiators are preparing the agenda for the arms talks.
The 240 short-range launchers near the border are expected to dominate the first session, which is due in early July.
"""
OSLO_1 = """Harlow and Brenner meet again in Oslo
10 June 2023
Ilse Harlow and Tomas Brenner met again in Oslo on June 10, a week after they had met in another city, to discuss fishing quotas in the Barents Sea.
The ministers failed to agree on the cod quota for next year, which the coastal communities had asked to raise by 12 percent.
Brenner said that the dispute over the quota would now go to a joint commission.
"""
OSLO_2 = """Fishing quota dispute unresolved after Oslo meeting
Talks between Tomas Brenner and Ilse Harlow in Oslo on June 10 ended without a deal on the cod catches in the Barents Sea.
The coastal towns had pressed for a 12 percent rise in the quota for next year, officials said on Saturday.
The matter now passes to a joint commission, Brenner told the journalists who were waiting outside.
"""
HEAT = """Heatwave closes schools in Valencia
Schools across Valencia closed on Tuesday as temperatures reached 44 degrees, the regional government said in a statement.
Parents were told that the closures would last at least until the end of the week and that exams would be moved.
"""
ARTICLES = {
    "seeds/loose/geneva-1.txt": GENEVA_1,
    "seeds/loose/geneva-2.txt": GENEVA_2,
    "seeds/loose/oslo-1.txt": OSLO_1,
    "seeds/loose/oslo-2.txt": OSLO_2,
    "seeds/loose/heat.txt": HEAT,
}


def grouping(articles: dict[str, str]) -> set[frozenset[str]]:
    groups = group_articles([describe(path, text) for path, text in articles.items()])
    return {frozenset(g.members) for g in groups}


def test_same_event_in_other_words_together_same_people_a_week_later_apart() -> None:
    assert grouping(ARTICLES) == {
        frozenset({"seeds/loose/geneva-1.txt", "seeds/loose/geneva-2.txt"}),
        frozenset({"seeds/loose/oslo-1.txt", "seeds/loose/oslo-2.txt"}),
        frozenset({"seeds/loose/heat.txt"}),
    }


def test_description_finds_headline_date_and_terms() -> None:
    article = describe("a.txt", GENEVA_1)
    assert article.headline == "Harlow and Brenner agree to resume arms talks"
    assert str(article.date) == "2023-06-03" and article.days == {"6-3"}
    assert {"harlow", "brenner", "geneva", "palais", "wilson", "240"} <= article.terms
    assert "subscrib" not in " ".join(article.terms)  # clutter after the body is not evidence


def test_seed_articles_form_one_story() -> None:
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    articles = {f"x/{p.name}": p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    assert grouping(articles) == {frozenset(articles)}


def test_grouping_ignores_folder_names_and_input_order() -> None:
    expected = grouping(ARTICLES)
    renamed = {path.replace("seeds/loose/", f"seeds/{n}/"): text for n, (path, text) in enumerate(ARTICLES.items())}
    assert len(grouping(renamed)) == len(expected)
    items = list(ARTICLES.items())
    random.Random(3).shuffle(items)
    groups = group_articles([describe(p, t) for p, t in items])
    assert groups == group_articles([describe(p, t) for p, t in ARTICLES.items()])


def test_slug_stays_when_a_later_article_joins() -> None:
    two = {k: v for k, v in ARTICLES.items() if "geneva" in k}
    [before] = group_articles([describe(p, t) for p, t in two.items()])
    three = {**two, "seeds/loose/0-analysis.txt": GENEVA_LATER}
    [after] = group_articles([describe(p, t) for p, t in three.items()])
    assert len(after.members) == 3 and after.slug == before.slug == "harlow-brenner-agree-resume-arms-talks"


def test_build_makes_stories_of_loose_articles_and_story_files_win(site: Path, tmp_path: Path) -> None:
    for path, text in ARTICLES.items():
        write(site / path, text)
    result = build_site(site, tmp_path / "out")
    assert result.stories == 4  # the shipped seed story and three groups
    assert (tmp_path / "out" / "harlow-brenner-agree-resume-arms-talks" / "index.html").is_file()
    assert any("heat.txt: only one source" in w for w in result.warnings)
    write(site / "content" / "geneva.md", "---\nsources: [seeds/loose/geneva-1.txt]\n---\n")
    result = build_site(site, tmp_path / "out")
    names = {p.name for p in (tmp_path / "out").iterdir() if p.is_dir()}
    assert "geneva" in names  # the story file took its article
    # The other article stays where readers found it, now a one-source story.
    assert "harlow-brenner-agree-resume-arms-talks" in names
    pages = {p.name for p in (tmp_path / "out" / "harlow-brenner-agree-resume-arms-talks").iterdir()}
    assert "s1.html" in pages and "s2.html" not in pages


def test_group_command_prints_and_writes_story_files(site: Path) -> None:
    for path, text in ARTICLES.items():
        write(site / path, text)
    shown = run_digest(site, "group")
    assert shown.returncode == 0, shown.stderr
    assert "harlow-brenner-agree-resume-arms-talks  (2 articles)" in shown.stdout
    assert "(one article only)" in shown.stdout
    written = run_digest(site, "group", "--write")
    assert written.returncode == 0, written.stderr
    story = site / "content" / "harlow-brenner-agree-resume-arms-talks.md"
    assert "seeds/loose/geneva-1.txt" in story.read_text(encoding="utf-8")
    again = run_digest(site, "group")
    assert "no loose source files" in again.stdout
    assert run_digest(site, "build").returncode == 0


def test_loose_folder_links_never_loop_or_leave_the_site(site: Path, tmp_path: Path) -> None:
    from digest.config import load_config
    from digest.content import load_story_files, loose_paths

    write(site / "seeds" / "loose" / "heat.txt", HEAT)
    (site / "seeds" / "loose" / "again").symlink_to(site / "seeds")
    outside = write(tmp_path / "private" / "diary.txt", OSLO_1)
    (site / "seeds" / "loose" / "diary.txt").symlink_to(outside)
    config = load_config(site / "digest.yml")
    assert loose_paths(config, load_story_files(config)) == ["seeds/loose/heat.txt"]


def test_the_sites_own_folders_in_the_loose_folder_are_not_read_as_articles(site: Path, tmp_path: Path) -> None:
    # Story files kept under seeds/, and a site digest built there for another
    # config (its pages are .html files), would otherwise become loose articles.
    from digest.config import load_config
    from digest.content import load_story_files, loose_paths

    write(site / "seeds" / "loose" / "heat.txt", HEAT)
    write(site / "digest.yml", (site / "digest.yml").read_text() + "content: seeds/stories\n")
    (site / "content").rename(site / "seeds" / "stories")
    build_site(site, site / "seeds" / "old-site", loose_folder="")
    assert (site / "seeds" / "old-site" / "index.html").is_file()
    config = load_config(site / "digest.yml")
    assert loose_paths(config, load_story_files(config)) == ["seeds/loose/heat.txt"]


def test_an_empty_loose_file_is_left_out_with_a_warning_not_a_failed_build(site: Path, tmp_path: Path) -> None:
    for path in ("seeds/loose/geneva-1.txt", "seeds/loose/geneva-2.txt"):
        write(site / path, ARTICLES[path])
    write(site / "seeds" / "loose" / "blank.md", "\n  \n\t\n")
    write(site / "seeds" / "loose" / "empty.txt", "")
    expected = (
        "seeds/loose/blank.md: empty; left out of the loose articles",
        "seeds/loose/empty.txt: empty; left out of the loose articles",
    )
    for _ in range(2):  # the second build takes the files' descriptions from the cache
        result = build_site(site, tmp_path / "out")
        assert result.warnings[:2] == expected
        assert result.stories == 2 and result.sources == 7
    shown = run_digest(site, "group")
    assert shown.returncode == 0 and "empty.txt" not in shown.stdout
    assert "warning: seeds/loose/empty.txt: empty; left out of the loose articles" in shown.stderr


ERROR_PAGE = """Home | World | Politics
Sign in
Subscribe to our newsletter
Accept all cookies
Privacy policy | Terms of use
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_loose_page_of_clutter_only_is_left_out_with_a_warning(site: Path, tmp_path: Path, workers: int) -> None:
    # A saved error page among the loose articles: no story file asked for it, so
    # the site is built without it (a story file naming it fails the build).
    from digest.build import build
    from digest.config import load_config

    for path, text in ARTICLES.items():  # with the seed story, 4 stories: workers take them
        write(site / path, text)
    page = write(site / "seeds" / "loose" / "error.txt", ERROR_PAGE)
    config = load_config(site / "digest.yml", output=str(tmp_path / "out"))
    warning = "seeds/loose/error.txt: no article text (empty or all clutter); left out of the loose articles"
    first = build(config, workers=workers)
    assert warning in first.warnings
    assert (first.stories, first.consolidated) == (4, 4)
    built = {p.name for p in (tmp_path / "out").iterdir() if p.is_dir()}
    assert "harlow-brenner-agree-resume-arms-talks" in built
    assert not [name for name in built if "privacy" in name or "cookies" in name]
    assert "Privacy policy" not in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    again = build(config, workers=workers)  # remembered: not consolidated again
    assert warning in again.warnings and (again.consolidated, again.rendered, again.written) == (0, 0, 0)
    with pytest.raises(DigestError, match="with --strict"):
        build(config, strict=True, workers=workers)
    shown = run_digest(site, "group", "--write")  # a story file of it would fail the build
    assert "a build leaves it out: no article text" in shown.stdout
    written = sorted(p.name for p in (site / "content").iterdir())
    assert len(written) == 4 and not [name for name in written if "privacy" in name or "cookies" in name]
    write(page, ERROR_PAGE + HEAT)  # now it holds an article
    fixed = build(config, workers=workers)
    assert warning not in fixed.warnings and fixed.stories == 5  # the seed story, 3 written, this one
    assert run_digest(site, "build").returncode == 0


def test_group_writes_no_story_file_for_a_page_of_clutter_before_any_build(site: Path) -> None:
    # No build cache yet (a fresh clone): the group is cleaned to find out.
    write(site / "seeds" / "loose" / "error.txt", ERROR_PAGE)
    write(site / "seeds" / "loose" / "heat.txt", HEAT)
    shown = run_digest(site, "group", "--write")
    assert shown.returncode == 0, shown.stderr
    assert "a build leaves it out: no article text (empty or all clutter)" in shown.stdout
    written = sorted(p.name for p in (site / "content").iterdir())
    assert len(written) == 2 and "heat" in "".join(written)  # the seed story's and the heatwave's
    assert run_digest(site, "build").returncode == 0


def test_an_earlier_article_joining_keeps_the_story_url(site: Path, tmp_path: Path) -> None:
    for path in ("seeds/loose/geneva-1.txt", "seeds/loose/geneva-2.txt"):
        write(site / path, ARTICLES[path])
    build_site(site, tmp_path / "out")
    assert (tmp_path / "out" / "harlow-brenner-agree-resume-arms-talks").is_dir()
    # Dated a day before the others and sorted first by name: alone it would name the story.
    earlier = GENEVA_LATER.replace("5 June 2023", "2 June 2023").replace("Analysis: what", "Preview: what")
    write(site / "seeds" / "loose" / "0-preview.txt", earlier)
    describe_alone = group_articles([describe("a", earlier), describe("b", GENEVA_1), describe("c", GENEVA_2)])
    assert describe_alone[0].slug != "harlow-brenner-agree-resume-arms-talks"
    result = build_site(site, tmp_path / "out")
    assert result.stories == 2
    story = tmp_path / "out" / "harlow-brenner-agree-resume-arms-talks"
    assert (story / "s3.html").is_file()  # the new article joined the story under its old URL


def test_the_loose_folder_is_listed_again_only_when_a_folder_of_it_changed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time
    from dataclasses import replace

    from digest.config import load_config
    from digest.content import list_loose, load_story_files, loose_paths

    write(site / "seeds" / "loose" / "heat.txt", HEAT)
    config = load_config(site / "digest.yml")
    folders = [site / "seeds", site / "seeds" / "loose"]
    settled = time.time() - 10  # changed long before the listing: no change in the same clock tick
    for folder in folders:
        os.utime(folder, (settled, settled))
    first = list_loose(config)
    assert "seeds/loose/heat.txt" in first[0] and len(first[2]) == 2
    listings = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listings.append(path) or real_scandir(path))
    assert list_loose(config, first) is first and listings == []  # only looked at
    write(site / "seeds" / "loose" / "cold.txt", OSLO_1)  # its folder's time changes
    second = list_loose(config, first)
    assert "seeds/loose/cold.txt" in second[0]
    assert listings == [os.path.realpath(site / "seeds" / "loose")]  # only the folder that changed
    listings.clear()
    third = list_loose(config, second)
    assert third is not second and third[0] == second[0]  # that change was too recent to rule out another
    assert listings == [os.path.realpath(site / "seeds" / "loose")]
    story_files = load_story_files(config)
    assert loose_paths(config, story_files, second) == loose_paths(config, story_files)
    elsewhere = replace(config, loose_folder="seeds/loose")
    for folder in folders:
        os.utime(folder, (settled, settled))
    settled_listing = list_loose(config)
    assert list_loose(config, settled_listing) is settled_listing
    assert list_loose(elsewhere, settled_listing)[0] == ("seeds/loose/cold.txt", "seeds/loose/heat.txt")
    (site / "seeds" / "loose" / "linked.txt").symlink_to(site / "seeds" / "loose" / "cold.txt")
    for folder in folders:
        os.utime(folder, (settled, settled))
    linked = list_loose(config)
    assert linked[0].count("seeds/loose/cold.txt") == 2  # a link is listed as its target
    assert linked[2] == ()  # a listing that met a link is never reused
    assert list_loose(config, linked) is not linked


def test_a_listing_made_again_from_an_earlier_one_equals_a_fresh_listing(site: Path) -> None:
    import os
    import shutil
    import time

    from digest.config import load_config
    from digest.content import list_loose

    config = load_config(site / "digest.yml")
    loose = site / "seeds" / "loose"
    write(loose / "a" / "b" / "one.txt", HEAT)
    write(loose / "a" / "two.md", OSLO_1)

    def settle() -> None:
        past = time.time() - 10
        for folder in [site / "seeds", *(p for p in loose.rglob("*") if p.is_dir()), loose]:
            os.utime(folder, (past, past))

    steps = [
        lambda: write(loose / "a" / "b" / "three.txt", OSLO_1),  # a file deep down
        lambda: (loose / "a" / "c").mkdir(),  # a new folder, then a file in it
        lambda: write(loose / "a" / "c" / "four.txt", HEAT),
        lambda: (loose / "a" / "b" / "one.txt").rename(loose / "a" / "one.txt"),  # moved up
        lambda: write(loose / "a" / "c" / ".digest-output", ""),  # became a built site
        lambda: shutil.rmtree(loose / "a" / "b"),  # a folder removed
    ]
    settle()
    listing = list_loose(config)
    for step in steps:
        step()
        again = list_loose(config, listing)
        assert again[0] == list_loose(config)[0], step
        settle()
        listing = list_loose(config, again)
    assert [p for p in listing[0] if p.startswith("seeds/loose/")] == ["seeds/loose/a/one.txt", "seeds/loose/a/two.md"]
