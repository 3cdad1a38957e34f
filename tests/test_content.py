"""Story files and source loading: front matter, globs, paths, encodings."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from digest.config import load_config
from digest.content import load_stories, load_story_files, parse_story_file
from digest.errors import DigestError, DigestErrors
from digest.textio import decode, inside
from tests.conftest import write


def story(tmp_path: Path, front: str, body: str = "") -> Path:
    return write(tmp_path / "content" / "my-story.md", f"---\n{front}---\n{body}")


def test_front_matter_and_note(tmp_path: Path) -> None:
    write(tmp_path / "seeds" / "a.txt", "text")
    path = story(
        tmp_path,
        "title: T\ndate: 2021-05-20\ntags: [x, y]\nsources:\n  - path: seeds/a.txt\n"
        "    outlet: Out\n    url: https://o.org/a\n    published: 2021-05-19\n",
        "Editor *note*.\n",
    )
    parsed = parse_story_file(path, tmp_path)
    assert parsed.slug == "my-story" and parsed.title == "T" and str(parsed.date) == "2021-05-20"
    assert parsed.tags == ("x", "y") and parsed.note == "Editor *note*."
    ref = parsed.sources[0]
    assert (ref.path, ref.outlet, ref.url, str(ref.published)) == (
        "seeds/a.txt",
        "Out",
        "https://o.org/a",
        "2021-05-19",
    )


def test_glob_and_plain_string_sources(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c.md"):
        write(tmp_path / "seeds" / name, "text")
    parsed = parse_story_file(story(tmp_path, "sources:\n  - seeds/*.txt\n  - seeds/c.md\n"), tmp_path)
    assert [s.path for s in parsed.sources] == ["seeds/a.txt", "seeds/b.txt", "seeds/c.md"]


def test_a_file_a_glob_matches_takes_the_outlet_an_entry_gives_it(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        write(tmp_path / "seeds" / name, "text")
    front = "sources:\n  - seeds/*.txt\n  - path: seeds/b.txt\n    outlet: Bee News\n"
    parsed = parse_story_file(story(tmp_path, front), tmp_path)
    assert [(s.path, s.outlet) for s in parsed.sources] == [("seeds/a.txt", None), ("seeds/b.txt", "Bee News")]
    # The entry's fields win; one it leaves out comes from the glob's entry.
    front = "sources:\n  - {path: seeds/*.txt, outlet: Wire}\n  - {path: seeds/b.txt, url: 'https://b.org/1'}\n"
    parsed = parse_story_file(story(tmp_path, front), tmp_path)
    assert [(s.path, s.outlet, s.url) for s in parsed.sources] == [
        ("seeds/a.txt", "Wire", None),
        ("seeds/b.txt", "Wire", "https://b.org/1"),
    ]


def test_a_file_named_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    write(tmp_path / "seeds" / "a.txt", "text")
    front = "sources:\n  - path: seeds/a.txt\n    outlet: One\n  - ./seeds/a.txt\n"
    path = story(tmp_path, front)
    with pytest.raises(DigestErrors) as caught:
        parse_story_file(path, tmp_path)
    assert [e.location_message() for e in caught.value.errors] == [
        f"{path}:5: source './seeds/a.txt' names seeds/a.txt again (first at line 3)"
    ]


def test_all_front_matter_errors_with_lines(tmp_path: Path) -> None:
    path = story(
        tmp_path,
        "titel: x\ndate: someday\nsources:\n  - path: seeds/missing.txt\n  - url: https://a.org\n",
    )
    with pytest.raises(DigestErrors) as caught:
        parse_story_file(path, tmp_path)
    messages = [e.location_message() for e in caught.value.errors]
    assert f"{path}:2: unknown key 'titel' (did you mean 'title'?)" in messages
    assert any(m.startswith(f"{path}:3: date: expected a date") for m in messages)
    assert f"{path}:5: source file 'seeds/missing.txt' not found" in messages
    assert f"{path}:6: missing required key 'path'" in messages


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("sources: seeds/a.txt\n", "sources: expected a non-empty list"),
        ("sources: []\n", "sources: expected a non-empty list"),
        ("title: x\n", "missing required key 'sources'"),
        ("sources:\n  - ../outside.txt\n", "leads outside the site folder"),
        ("sources:\n  - /etc/passwd\n", "must be relative to the site root"),
        ("sources:\n  - seeds/none-*.txt\n", "matches no file"),
        ("sources: [unclosed\n", "YAML syntax error"),
        ("date: 2026-02-30\nsources: [seeds/a.txt]\n", ":2: YAML value error: '2026-02-30' is not a date"),
        ("tags:\n  - news\n  - '!!!'\nsources: [seeds/a.txt]\n", ":4: tags: '!!!' has no letter or digit"),
        ("tags: ''\nsources: [seeds/a.txt]\n", ":2: tags: '' has no letter or digit"),
        (
            "tags:\n" + "".join(f"  - tag {n}\n" for n in range(60)) + "  - Tag 3\nsources: [seeds/a.txt]\n",
            ":53: tags: 60 tags; a story may have at most 50 (each is a page and a feed",
        ),
        (
            "tags: [news, " + "x" * 300 + "]\nsources: [seeds/a.txt]\n",
            ":2: tags: '" + "x" * 40 + "…' is too long to name a folder by (300 characters; at most 100)",
        ),
        ("draft: 'no'\nsources: [seeds/a.txt]\n", ":2: draft: expected true or false, got 'no'"),
        ("summary_words: 0\nsources: [seeds/a.txt]\n", ":2: summary_words: expected a positive whole number"),
        (
            "sources: [{path: seeds/a.txt, outlet: A, path: seeds/b.txt}]\n",
            ":2: duplicate key 'path' (first on line 2)",
        ),
        ("sources: [seeds/a.txt]\ntitle: A\nsources: [seeds/b.txt]\n", ":4: duplicate key 'sources' (first on line 2)"),
        (
            "x: &x [a, a, a, a, a, a, a, a, a, a]\n"
            + "".join(f"x{n}: &x{n} [{', '.join([f'*x{n - 1}' if n > 1 else '*x'] * 10)}]\n" for n in range(1, 7))
            + "sources: [seeds/a.txt]\n",
            ":2: YAML aliases would repeat",
        ),
        ("tags: " + "[" * 500 + "]" * 500 + "\nsources: [seeds/a.txt]\n", ":2: YAML nested more than 100 levels deep"),
    ],
)
def test_bad_front_matter(tmp_path: Path, front: str, message: str) -> None:
    write(tmp_path / "outside.txt", "x")
    site = tmp_path / "site"
    write(site / "seeds" / "a.txt", "text")
    path = story(site, front)
    with pytest.raises(DigestError) as caught:
        parse_story_file(path, site)
    assert message in caught.value.location_message()
    assert str(path) in caught.value.location_message()


def test_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "secret.txt", "x")
    site = tmp_path / "site"
    (site / "seeds").mkdir(parents=True)
    (site / "seeds" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(DigestError, match="leads outside"):
        parse_story_file(story(site, "sources:\n  - seeds/link.txt\n"), site)


def test_symlinks_inside_the_site_name_their_targets(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "archive" / "a.txt", "text")
    (site / "seeds").mkdir()
    (site / "seeds" / "link.txt").symlink_to(site / "archive" / "a.txt")
    (site / "seeds" / "broken.txt").symlink_to(site / "archive" / "gone.txt")
    (site / "linked").symlink_to(site / "archive", target_is_directory=True)
    parsed = parse_story_file(story(site, "sources:\n  - seeds/link.txt\n"), site)
    assert [s.path for s in parsed.sources] == ["archive/a.txt"]
    # Two names of one file are one source named twice.
    with pytest.raises(DigestError, match=r"source 'linked/a\.txt' names archive/a\.txt again \(first at line 3\)"):
        parse_story_file(story(site, "sources:\n  - seeds/link.txt\n  - linked/a.txt\n"), site)
    with pytest.raises(DigestError, match=r"'seeds/broken\.txt' not found"):
        parse_story_file(story(site, "sources:\n  - seeds/broken.txt\n"), site)
    # A folder is no source: named, it is refused; matched by a glob, passed over.
    with pytest.raises(DigestError, match=r"source 'archive' is a folder; name its files, as in 'archive/\*.txt'"):
        parse_story_file(story(site, "sources:\n  - archive\n"), site)
    write(site / "nested" / "inner" / "b.txt", "text")
    with pytest.raises(DigestError, match="'nested/\\*' matches no file, only folders"):
        parse_story_file(story(site, "sources:\n  - nested/*\n"), site)
    assert [s.path for s in parse_story_file(story(site, "sources:\n  - nested/**\n"), site).sources] == [
        "nested/inner/b.txt"
    ]


def test_missing_front_matter_and_bad_slug(tmp_path: Path) -> None:
    path = write(tmp_path / "content" / "x.md", "no front matter")
    with pytest.raises(DigestError, match="must start with YAML front matter"):
        parse_story_file(path, tmp_path)
    write(tmp_path / "seeds" / "a.txt", "t")
    bad = write(tmp_path / "content" / "Bad Name.md", "---\nsources: [seeds/a.txt]\n---\n")
    with pytest.raises(DigestError, match="not a usable slug"):
        parse_story_file(bad, tmp_path)


def test_duplicate_slugs_across_folders(tmp_path: Path) -> None:
    write(tmp_path / "digest.yml", "")
    write(tmp_path / "seeds" / "a.txt", "t")
    write(tmp_path / "content" / "one" / "same.md", "---\nsources: [seeds/a.txt]\n---\n")
    write(tmp_path / "content" / "two" / "same.md", "---\nsources: [seeds/a.txt]\n---\n")
    with pytest.raises(DigestError, match="duplicate story slug 'same'"):
        load_stories(load_config(tmp_path / "digest.yml"), [])


def test_a_source_with_the_text_of_another_counts_once_with_a_warning(tmp_path: Path) -> None:
    # The same page saved twice (here once with Windows line ends) is one report, not two.
    write(tmp_path / "digest.yml", "")
    write(tmp_path / "seeds" / "a.txt", "Ministers met.\n\nThey agreed.\n")
    (tmp_path / "seeds" / "a-again.txt").write_bytes(b"Ministers met.\r\n\r\nThey agreed.\r\n")
    write(tmp_path / "seeds" / "b.txt", "Ministers met in Reykjavik.\n")
    story_file = write(
        tmp_path / "content" / "s.md", "---\nsources: [seeds/a.txt, seeds/a-again.txt, seeds/b.txt]\n---\n"
    )
    warnings: list[str] = []
    [loaded] = load_stories(load_config(tmp_path / "digest.yml"), warnings)
    assert [(s.id, s.path) for s in loaded.sources] == [("s1", "seeds/a.txt"), ("s2", "seeds/b.txt")]
    assert warnings == [f"{story_file}: seeds/a-again.txt has the same text as seeds/a.txt; counted once"]


def test_sources_load_with_ids_in_order_and_duplicates_once(tmp_path: Path) -> None:
    write(tmp_path / "digest.yml", "")
    write(tmp_path / "seeds" / "a.txt", "alpha")
    write(tmp_path / "seeds" / "b.txt", "beta")
    write(tmp_path / "content" / "s.md", "---\nsources: [seeds/b.txt, seeds/*.txt]\n---\n")
    [loaded] = load_stories(load_config(tmp_path / "digest.yml"), [])
    assert [(s.id, s.path, s.text) for s in loaded.sources] == [
        ("s1", "seeds/b.txt", "beta"),
        ("s2", "seeds/a.txt", "alpha"),
    ]


# --- encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Café “quoted”\r\nline two\rthree".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Café “quoted”\nline two\nthree".encode(), "utf-8"),
        ("Café “quoted”\nline two\nthree".encode("utf-16"), "utf-16"),
    ],
)
def test_unicode_encodings_and_line_ends(data: bytes, encoding: str) -> None:
    decoded = decode(data, Path("x.txt"))
    assert decoded.text == "Café “quoted”\nline two\nthree"
    assert decoded.encoding == encoding and decoded.warning is None


def test_windows_1252_is_decoded_with_a_warning() -> None:
    decoded = decode("first line\nCafé “quoted”".encode("cp1252"), Path("w.txt"))
    assert decoded.text == "first line\nCafé “quoted”"
    assert decoded.warning == "w.txt:2: not valid UTF-8; read as Windows-1252"


def test_a_bom_before_bytes_that_are_not_utf8_is_dropped_and_lines_count_after_it() -> None:
    decoded = decode(codecs.BOM_UTF8 + "one\ntwo\nCafé".encode("cp1252"), Path("w.txt"))
    assert decoded.text == "one\ntwo\nCafé"
    assert decoded.warning == "w.txt:3: not valid UTF-8; read as Windows-1252" and decoded.invalid == (3, 0xE9)


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_a_story_file_that_is_not_utf8_is_an_error_naming_its_line(tmp_path: Path, bom: bytes) -> None:
    # Sources come from anywhere and are read as Windows-1252 at worst; a story file
    # is the user's own, where a guessed encoding would change its title unseen.
    write(tmp_path / "seeds" / "a.txt", "text")
    path = tmp_path / "content" / "cafe.md"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(bom + "---\r\ntitle: Café\r\nsources: [seeds/a.txt]\r\n---\r\n".encode("cp1252"))
    with pytest.raises(DigestError) as caught:
        parse_story_file(path, tmp_path)
    assert caught.value.location_message() == f"{path}:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"


def test_binary_is_rejected_with_line() -> None:
    with pytest.raises(DigestError) as caught:
        decode(b"text\nmore\n\x00\x01binary", Path("b.bin"))
    assert caught.value.location_message() == "b.bin:3: binary file (NUL byte); expected text"


def test_unreadable_file_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digest.textio import read_text

    path = write(tmp_path / "locked.txt", "text")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(DigestError) as caught:
        read_text(path)
    assert caught.value.location_message() == f"{path}: cannot read file: Permission denied"


@pytest.mark.parametrize("slug", ["tags", "archives", "page", "search", "static"])
def test_slugs_of_the_sites_own_folders_are_refused(tmp_path: Path, slug: str) -> None:
    write(tmp_path / "seeds" / "a.txt", "Text.")
    path = write(tmp_path / "content" / f"{slug}.md", "---\nsources: [seeds/a.txt]\n---\n")
    with pytest.raises(DigestError, match=f"the slug '{slug}' is taken by the site's own pages"):
        parse_story_file(path, tmp_path)


@pytest.mark.parametrize("folder", ["/site", "/site/", "site", os.sep])
@pytest.mark.parametrize("relative", ["seeds/a.txt", "story-1/index.html", "a b/ü.txt"])
def test_inside_joins_as_os_path_join_does(folder: str, relative: str) -> None:
    # The build records source and output paths joined this way, where earlier
    # builds joined them with os.path.join: the cache's keys must not change.
    assert inside(folder, relative) == os.path.join(folder, relative)


def test_spellings_of_one_tag_are_kept_once_in_the_order_given(tmp_path: Path) -> None:
    write(tmp_path / "seeds" / "a.txt", "text")
    path = story(tmp_path, "tags: [Café, New York, cafe, new-york, Россия, CAFÉ]\nsources: [seeds/a.txt]\n")
    parsed = parse_story_file(path, tmp_path)
    assert parsed.tags == ("Café", "New York", "Россия")
    assert parsed.tag_lines == (2, 2, 2)


def test_distinct_tags_sharing_a_page_name_both_files_and_lines(tmp_path: Path) -> None:
    # "C++", "C" and "C " all make tags/c/: one page would list the others' stories.
    write(tmp_path / "digest.yml", "title: T\n")
    write(tmp_path / "seeds" / "a.txt", "text")
    first = write(tmp_path / "content" / "a.md", "---\ntags:\n  - C\n  - Rust\nsources: [seeds/a.txt]\n---\n")
    second = write(tmp_path / "content" / "b.md", "---\nsources: [seeds/a.txt]\ntags:\n  - C++\n  - c\n---\n")
    third = write(tmp_path / "content" / "c.md", "---\ntags: [rust!, U.S., U S]\nsources: [seeds/a.txt]\n---\n")
    with pytest.raises(DigestErrors) as caught:
        load_story_files(load_config(tmp_path / "digest.yml"))
    assert [e.location_message() for e in caught.value.errors] == [
        f"{second}:4: tags: 'C++' and 'C' ({first}:3) would share the page tags/c/; spell them alike or rename one",
        f"{third}:2: tags: 'rust!' and 'Rust' ({first}:4) would share the page tags/rust/; "
        "spell them alike or rename one",
        f"{third}:2: tags: 'U S' and 'U.S.' (line 2) would share the page tags/u-s/; spell them alike or rename one",
    ]


def test_story_files_are_listed_as_rglob_lists_them(tmp_path: Path) -> None:
    from digest.content import story_files

    content = tmp_path / "content"
    for name in ("b.md", "a-b/x.md", "a/x.md", "a/z.md", "A/y.md", ".hidden.md", "deep/er/s.md", "notes.txt", "m.MD"):
        write(content / name, "---\nsources: [x]\n---\n")
    (content / "dir.md").mkdir()
    (content / "linked.md").symlink_to(content / "b.md")
    (content / "broken.md").symlink_to(content / "gone.md")
    (content / "folder-link").symlink_to(content / "a")  # not entered, by either
    (tmp_path / "digest.yml").write_text("", encoding="utf-8")
    listed = story_files(load_config(tmp_path / "digest.yml"))
    assert listed == sorted(p for p in content.rglob("*.md") if p.is_file())
    assert [p.relative_to(content).as_posix() for p in listed] == [
        ".hidden.md",
        "A/y.md",
        "a/x.md",
        "a/z.md",
        "a-b/x.md",
        "b.md",
        "deep/er/s.md",
        "linked.md",
    ]


def test_the_static_listing_keeps_links_where_they_are_and_follows_no_folder_link(tmp_path: Path) -> None:
    from digest.content import list_static

    write(tmp_path / "digest.yml", "title: t\n")
    write(tmp_path / "static" / "a.txt", "a")
    write(tmp_path / "static" / "deep" / "b.bin", "b")
    write(tmp_path / "shared" / "logo.svg", "<svg/>")
    write(tmp_path / "shared" / "more" / "c.txt", "c")
    (tmp_path / "static" / "logo.svg").symlink_to(tmp_path / "shared" / "logo.svg")
    (tmp_path / "static" / "linked").symlink_to(tmp_path / "shared" / "more", target_is_directory=True)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("never published", encoding="utf-8")
    (tmp_path / "static" / "out.txt").symlink_to(outside)
    config = load_config(tmp_path / "digest.yml")
    listing = list_static(config)
    assert listing[0] == ("static/a.txt", "static/deep/b.bin", "static/logo.svg")
    assert listing[2] == ()  # it met links: listed again next time
    write(tmp_path / "seeds" / "x.txt", "an article")
    assert list_static(config, listing)[0] == listing[0]


@pytest.mark.parametrize("folder", ["static", "seeds"])
def test_a_listed_file_whose_name_is_not_utf8_is_an_error_naming_it(tmp_path: Path, folder: str) -> None:
    # Linux allows any bytes in a name; such a name can be no page's address or source.
    from digest.content import list_loose, list_static

    write(tmp_path / "digest.yml", "title: t\n")
    (tmp_path / folder).mkdir()
    with open(os.fsencode(tmp_path / folder) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Headline\n\nText.\n")
    config = load_config(tmp_path / "digest.yml")
    with pytest.raises(DigestError) as caught:
        (list_static if folder == "static" else list_loose)(config)
    assert (
        caught.value.location_message() == f"{tmp_path}/{folder}/caf\\xe9.txt: the name is not valid UTF-8; rename it"
    )
