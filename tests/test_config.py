"""digest.yml: typed schema, defaults, every error at once with file:line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from digest.config import FIELDS, load_config
from digest.errors import DigestError, DigestErrors
from tests.conftest import write


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "digest.yml", ""))
    assert config.summary_words == 250 and config.theme == "default" and config.output == "output"
    assert config.root == tmp_path.resolve()
    assert config.base_url.endswith("/")


def test_values_and_overrides(tmp_path: Path) -> None:
    path = write(tmp_path / "digest.yml", "title: News\nsummary_words: 120\nbase_url: https://x.org/site\n")
    config = load_config(path, base_url="https://y.org/", output=None)
    assert (config.title, config.summary_words, config.base_url) == ("News", 120, "https://y.org/")
    assert load_config(path).base_url == "https://x.org/site/"


def test_every_error_reported_at_once_with_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "digest.yml",
        "title: ok\nsumary_words: 100\nbase_url: ftp://nope\npage_size: -3\nlanguage: [en]\ndrafts: 1\n",
    )
    with pytest.raises(DigestErrors) as caught:
        load_config(path)
    messages = [e.location_message() for e in caught.value.errors]
    assert len(messages) == 5
    assert f"{path}:6: drafts: expected true or false, got 1" in messages
    assert f"{path}:2: unknown key 'sumary_words' (did you mean 'summary_words'?)" in messages
    assert any(m.startswith(f"{path}:3: base_url: expected an http(s) URL") for m in messages)
    assert any(m.startswith(f"{path}:4: page_size: expected a positive whole number") for m in messages)
    assert any(m.startswith(f"{path}:5: language: expected text") for m in messages)


def test_theme_settings_naming_no_folder_are_errors_at_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "digest.yml", "title: ok\ntheme: nosuch\ntheme_overrides: overrides\n")
    with pytest.raises(DigestErrors) as caught:
        load_config(path)
    assert [e.location_message() for e in caught.value.errors] == [
        f"{path}:2: theme 'nosuch' not found (looked in {tmp_path}/themes/nosuch, "
        f"{Path(__file__).resolve().parent.parent}/themes/nosuch)",
        f"{path}:3: theme_overrides folder 'overrides' not found",
    ]
    (tmp_path / "overrides").mkdir()
    write(tmp_path / "themes" / "nosuch" / "base.html", "<html></html>")
    assert load_config(path).theme == "nosuch"


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant-TW", "de-CH-1996"])
def test_language_tags_are_accepted(tmp_path: Path, tag: str) -> None:
    assert load_config(write(tmp_path / "digest.yml", f"language: {tag}\n")).language == tag


@pytest.mark.parametrize("tag", ["en us", "english", "e", "en_US", "en-", '"><script>'])
def test_a_language_that_is_no_tag_is_an_error(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path / "digest.yml", f"title: ok\nlanguage: '{tag}'\n")
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert caught.value.location_message() == (
        f"{path}:2: language: expected a language tag such as 'en' or 'pt-BR', got {tag!r}"
    )


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    # YAML itself keeps the last value without a word.
    path = write(tmp_path / "digest.yml", "title: A\ntheme: default\nsummary_words: 90\ntheme: other\n")
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert caught.value.location_message() == f"{path}:4: duplicate key 'theme' (first on line 2)"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # Every build replaces the output folder whole.
        ("output: seeds/site\n", ":2: output 'seeds/site' lies in loose_folder 'seeds' (the loose articles)"),
        ("output: content\n", ":2: output 'content' lies in content 'content' (the story files)"),
        ("content: output/stories\n", ":2: output 'output' holds content 'output/stories' (the story files)"),
        ("output: .digest-cache/site\n", ":2: output '.digest-cache/site' lies in cache_dir '.digest-cache'"),
        ("cache_dir: output/.cache\n", ":2: output 'output' holds cache_dir 'output/.cache' (the build cache)"),
        ("static_folder: output/files\n", ":2: output 'output' holds static_folder 'output/files'"),
        # The static folder's every file is published: no story file or cache entry may be among them.
        ("static_folder: .\n", ":2: static_folder '.' is the site folder: all would be published"),
        ("static_folder: ../elsewhere\n", ":2: static_folder '../elsewhere' lies outside the site folder"),
        ("static_folder: public\ncontent: public/stories\n", ":2: static_folder 'public' holds content"),
        ("static_folder: seeds/files\n", ":2: static_folder 'seeds/files' lies in loose_folder 'seeds'"),
        ("static_folder: .digest-cache\n", ":2: static_folder '.digest-cache' holds cache_dir '.digest-cache'"),
    ],
)
def test_folders_overlapping_where_they_may_not_are_an_error(tmp_path: Path, settings: str, message: str) -> None:
    path = write(tmp_path / "digest.yml", "title: ok\n" + settings)
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert f"{path}{message}" in caught.value.location_message()  # (among the others it causes, if any)


def test_a_static_folder_may_be_off_or_anywhere_in_the_site_but_not_a_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path / "digest.yml", "static_folder: ''\n")).static_dir is None
    assert load_config(write(tmp_path / "digest.yml", "static_folder: files/public\n")).static_folder == "files/public"
    write(tmp_path / "public", "a file")
    with pytest.raises(DigestError) as caught:
        load_config(write(tmp_path / "digest.yml", "title: t\nstatic_folder: public\n"))
    assert caught.value.location_message().endswith("digest.yml:2: static_folder 'public' is a file, not a folder")


def test_an_output_override_overlapping_an_input_folder_names_the_option(tmp_path: Path) -> None:
    path = write(tmp_path / "digest.yml", "title: ok\n")
    with pytest.raises(DigestErrors) as caught:
        load_config(path, output=".")
    assert [e.location_message() for e in caught.value.errors] == [
        "--output: output '.' holds content 'content' (the story files), and every build replaces it",
        "--output: output '.' holds loose_folder 'seeds' (the loose articles), and every build replaces it",
        "--output: output '.' holds static_folder 'static' (the files copied into the site), and every build replaces it",
        "--output: output '.' holds cache_dir '.digest-cache' (the build cache), and every build replaces it",
    ]
    assert load_config(write(tmp_path / "digest.yml", "loose_folder: ''\noutput: seeds/site\n")).output == "seeds/site"


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path / "digest.yml", "title: a\nbase_url: [unclosed\n")
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert caught.value.file == str(path) and caught.value.line is not None
    assert "YAML syntax error" in caught.value.message


def test_a_config_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "digest.yml"
    path.write_bytes("title: Digest\ndescription: Revue de presse, édition du soir\n".encode("cp1252"))
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert caught.value.location_message() == f"{path}:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(DigestError, match="must be a mapping"):
        load_config(write(tmp_path / "digest.yml", "- a\n- b\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DigestError, match="config file not found"):
        load_config(tmp_path / "nope.yml")


def test_every_key_is_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for field in FIELDS:
        assert field.help
        assert f"`{field.name}`" in readme, field.name


def test_feed_size_limits_the_feed(site: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from tests.conftest import build_site

    for n in range(3):
        write(
            site / "content" / f"copy-{n}.md",
            f"---\ndate: 2021-05-2{n + 1}\nsources: [seeds/001_53d2f25ad1582e78.txt, seeds/002_6c188231047a0d29.txt]\n---\n",
        )
    (site / "digest.yml").write_text((site / "digest.yml").read_text() + "feed_size: 2\n", encoding="utf-8")
    build_site(site, tmp_path / "out")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.parse(tmp_path / "out" / "feed.xml").getroot().findall("a:entry/a:id", ns)
    assert [e.text.rstrip("/").rsplit("/", 1)[1] for e in entries if e.text] == ["copy-2", "copy-1"]  # newest first


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[a, b]", "extra: expected a mapping of names to values, got a list"),
        ("{1: one}", "extra: expected names (text) as keys"),
        ("desk", "extra: expected a mapping of names to values, got str"),
    ],
)
def test_extra_must_map_names_to_values(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path / "digest.yml", f"title: ok\nextra: {value}\n")
    with pytest.raises(DigestError) as caught:
        load_config(path)
    assert caught.value.location_message().startswith(f"{path}:2: {message}")


def test_extra_reaches_every_page_and_an_edit_of_it_renders_them_again(site: Path, tmp_path: Path) -> None:
    from digest.build import build

    settings = site / "digest.yml"
    base = settings.read_text(encoding="utf-8")
    settings.write_text(
        base + "extra:\n  footer: Compiled by the Nordic desk\n  since: 2021-05-01\n  desks: [Oslo, Reykjavik]\n",
        encoding="utf-8",
    )
    config = load_config(settings, output=str(tmp_path / "out"))
    assert config.extra == {
        "footer": "Compiled by the Nordic desk",
        "since": dt.date(2021, 5, 1),
        "desks": ["Oslo", "Reykjavik"],
    }
    assert hash(config) == hash(load_config(settings, output=str(tmp_path / "out")))
    first = build(config)
    pages = sorted((tmp_path / "out").rglob("*.html"))
    names = {page.relative_to(tmp_path / "out").as_posix() for page in pages}
    assert {"index.html", "404.html", "tags/index.html", "blinken-lavrov-reykjavik/s5.html"} <= names
    assert first.rendered == 1
    for page in pages:
        assert "<p>Compiled by the Nordic desk</p>" in page.read_text(encoding="utf-8"), page
    settings.write_text(base + "extra:\n  footer: Compiled in Tromsø\n", encoding="utf-8")
    again = build(load_config(settings, output=str(tmp_path / "out")))
    assert (again.consolidated, again.rendered) == (0, 1)
    assert "<p>Compiled in Tromsø</p>" in (tmp_path / "out" / "blinken-lavrov-reykjavik" / "s1.html").read_text(
        encoding="utf-8"
    )
    settings.write_text(base, encoding="utf-8")
    build(load_config(settings, output=str(tmp_path / "out")))
    assert "Compiled" not in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


LAUGHS = "".join(
    f"  {name}: &{name} [{', '.join([f'*{before}' if before else 'lol'] * 9)}]\n"
    for name, before in zip("abcdefghi", ["", *"abcdefgh"], strict=True)
)


def test_yaml_that_would_expand_without_end_is_refused_at_its_line(tmp_path: Path) -> None:
    """Nine aliases of nine of the one before ("a billion laughs") hung the build;
    nesting 3,000 deep (where libyaml allows it) or an alias inside its own anchor
    crashed it. Past 100 levels is refused, whatever libyaml allows."""
    config = write(tmp_path / "digest.yml", "title: Laughs\nextra:\n" + LAUGHS)
    with pytest.raises(DigestError) as caught:
        load_config(config)
    found = re.fullmatch(
        r"YAML aliases would repeat ([\d,]+) values \(at most 100,000\); write the values out instead",
        caught.value.message,
    )
    assert found is not None and int(found.group(1).replace(",", "")) > 9**9  # (the lols alone)
    assert caught.value.line == 3  # the first anchor an alias repeats
    # (Deeper than 1,000, libyaml itself refuses it, with a syntax error at its line.)
    write(config, "title: Deep\nextra:\n  nest: " + "[" * 600 + "x" + "]" * 600 + "\n")
    with pytest.raises(DigestError) as caught:
        load_config(config)
    assert (caught.value.line, caught.value.message) == (3, "YAML nested more than 100 levels deep")
    write(config, "title: Loop\nextra:\n  loop: &self\n    - one\n    - *self\n")
    with pytest.raises(DigestError) as caught:
        load_config(config)
    assert (caught.value.line, caught.value.message) == (
        3,
        "YAML alias inside its own anchor: its value would never end",
    )


def test_yaml_aliases_within_reason_still_load(tmp_path: Path) -> None:
    config = write(
        tmp_path / "digest.yml",
        "extra:\n  colours: &colours {text: '#222', link: '#05a'}\n  dark: *colours\n"
        "  levels: " + "[" * 90 + "deep" + "]" * 90 + "\n",
    )
    extra = load_config(config).extra
    assert extra["dark"] == extra["colours"] == {"text": "#222", "link": "#05a"}
    level = extra["levels"]
    for _ in range(89):
        (level,) = level
    assert level == ["deep"]
