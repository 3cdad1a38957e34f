"""Editor's notes: Markdown rendered safely, links into the site checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import DigestError
from digest.notes import note_links, render_note
from tests.conftest import build_site, write

SLUG = "blinken-lavrov-reykjavik"


def test_an_editors_note_takes_tables_and_strikethrough_but_no_markup_of_its_own() -> None:
    html = render_note(
        "| outlet | said |\n| --- | --- |\n| RFE/RL | *serious differences* |\n\n"
        "~~Friday~~ Thursday. <b>bold</b> [a](javascript:alert(1)) [b](../other/)\n"
    )
    assert "<table>" in html and "<th>outlet</th>" in html and "<td><em>serious differences</em></td>" in html
    assert "<s>Friday</s> Thursday." in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "[a](javascript:alert(1))" in html and 'href="javascript' not in html  # left as text, not linked
    assert '<a href="../other/">b</a>' in html


def test_note_links_are_found_with_their_lines_and_a_note_without_any_is_not_parsed() -> None:
    note = (
        "A first paragraph with [a story](../other-story/).\n"
        "\n"
        "![Map of the talks](../img/map.png) and [the\n"
        "tags](../tags/index.html), [a site](https://example.org/x), [ref][r].\n"
        "\n"
        "[r]: ../third/#s2\n"
    )
    assert note_links(note) == (
        ("../other-story/", 0),
        ("../img/map.png", 2),
        ("../tags/index.html", 2),
        ("https://example.org/x", 2),
        ("../third/#s2", 2),
    )
    assert note_links("No link here, only text: [brackets] and (parentheses).") == ()
    assert note_links("[bad](javascript:alert(1))") == ()  # not a link, as rendered


def test_a_note_link_to_no_page_of_the_site_is_a_warning_at_its_line(site: Path, tmp_path: Path) -> None:
    story = site / "content" / f"{SLUG}.md"
    front = story.read_text(encoding="utf-8")
    note = (
        "\n"
        "Background: [the earlier talks](../earlier-talks/), [the tag](../tags/diplomacy/),\n"
        "[a source](s2.html#s3), [the map](../img/map.png), [home](../), [here](#fn-1),\n"
        "[absolute](https://example.github.io/digest/archives/), [elsewhere](https://example.org/nothing).\n"
        "\n"
        "![Lost](../img/lost.png) and [above the site](../../x.html).\n"
    )
    story.write_text(front + note, encoding="utf-8")
    lines = front.count("\n") + 2  # (the note's first line: after the blank one)
    write(site / "static" / "img" / "map.png", "png")
    out = tmp_path / "out"
    result = build_site(site, out)
    assert [w for w in result.warnings if "leads to no page" in w] == [
        f"{story}:{lines}: link '../earlier-talks/' leads to no page or file of the site",
        f"{story}:{lines + 4}: link '../img/lost.png' leads to no page or file of the site",
        f"{story}:{lines + 4}: link '../../x.html' leads to no page or file of the site",
    ]
    again = build_site(site, out)  # a no-op build says it again
    assert [w for w in again.warnings if "leads to no page" in w] == [
        w for w in result.warnings if "leads to no page" in w
    ]
    pair = "sources: [seeds/002_6c188231047a0d29.txt, seeds/004_7fbbd0fc90f416ac.txt]\n"
    write(site / "content" / "earlier-talks.md", f"---\ndate: 2021-04-02\n{pair}---\n")
    write(site / "static" / "img" / "lost.png", "png")
    fixed = build_site(site, out)
    assert [w for w in fixed.warnings if "leads to no page" in w] == [
        f"{story}:{lines + 4}: link '../../x.html' leads to no page or file of the site"
    ]
    from digest.build import build
    from digest.config import load_config

    with pytest.raises(DigestError) as caught:
        build(load_config(site / "digest.yml", output=str(out)), strict=True)
    assert str(caught.value).endswith("leads to no page or file of the site")  # (the only warning)
