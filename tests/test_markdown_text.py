"""Articles saved as Markdown: reduced to the text the cleaner reads, lines kept."""

from __future__ import annotations

import json
from pathlib import Path

from digest.content import reduced
from digest.markdown_text import markdown_to_text
from tests.conftest import build_site, write

# A web clipper's Markdown of a short report (written for this test).
CLIPPED = """# Harbour bridge reopens after two-year repair

*By Tom Berg* · [Home](https://gazette.example/) · [Local](https://gazette.example/local)

The **harbour bridge** reopened to cars and cyclists on Saturday, after two years
of repairs that cost the city 48 million euros, [officials said](https://gazette.example/s).

![The bridge at dawn](bridge.jpg)

Engineers replaced all `112` steel cables and resurfaced the deck.

<div class="ad">Advertisement</div>

| Year | Cost |
| --- | --- |
| 2024 | 20 million |

## Related

- [Ferry timetable changes for spring](https://gazette.example/ferry)
- [Council approves bike lanes](https://gazette.example/bikes)
"""


def test_each_block_becomes_one_line_of_its_text_with_its_markdown_line() -> None:
    page = markdown_to_text(CLIPPED)
    lines = page.text.split("\n")
    found = [(page.origins[i], line) for i, line in enumerate(lines) if line]
    assert found == [
        (1, "Harbour bridge reopens after two-year repair"),
        (3, "By Tom Berg · Home · Local"),
        (
            5,
            "The harbour bridge reopened to cars and cyclists on Saturday, after two years "
            "of repairs that cost the city 48 million euros, officials said.",
        ),
        (10, "Engineers replaced all 112 steel cables and resurfaced the deck."),
        (14, "Year | Cost"),
        (16, "2024 | 20 million"),
        (18, "Related"),
        (20, "Ferry timetable changes for spring"),
        (21, "Council approves bike lanes"),
    ]
    assert all(lines[i] == "" for i in range(1, len(lines), 2))  # blocks apart, as the cleaner expects


def test_only_markdown_files_are_read_as_markdown() -> None:
    assert reduced("seeds/a.md", CLIPPED) is not None and reduced("seeds/a.MARKDOWN", CLIPPED) is not None
    assert reduced("seeds/a.txt", CLIPPED) is None  # plain text is read as it is, asterisks and all


def test_a_markdown_source_builds_without_its_syntax(site: Path, tmp_path: Path) -> None:
    seed = (site / "seeds" / "001_53d2f25ad1582e78.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in seed.split("\n\n") if len(p.split()) > 25]
    # The same report clipped as Markdown: emphasis and a link in its paragraphs.
    clipped = "# Kremlin sees positive signals\n\n[Home](https://x.example) | [World](https://x.example/w)\n\n"
    clipped += "\n\n".join(
        p.replace("Lavrov", "**Lavrov**", 1).replace("Blinken", "[Blinken](https://x.example/b)", 1) for p in paragraphs
    )
    write(site / "seeds" / "clipped.md", clipped)
    write(site / "content" / "pair.md", "---\nsources: [seeds/clipped.md, seeds/002_6c188231047a0d29.txt]\n---\n")
    build_site(site, tmp_path / "out")
    digest = json.loads((tmp_path / "out" / "pair" / "digest.json").read_text(encoding="utf-8"))
    source = digest["sources"][0]
    assert source["title"] == "Kremlin sees positive signals"
    texts = [s["text"] for s in source["sentences"]] + [s["text"] for s in digest["summary"]]
    assert digest["summary"] and not [t for t in texts if "**" in t or "](" in t]
    assert [(r["line"], r["text"]) for r in source["removed"]][:1] == [(3, "Home | World")]
