"""Themes: override folders, extending the original template, static overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import DigestError
from tests.conftest import build_site, write


def test_override_extends_the_original_template(site: Path, tmp_path: Path) -> None:
    write(site / "digest.yml", (site / "digest.yml").read_text() + "theme_overrides: overrides\n")
    write(
        site / "overrides" / "story.html",
        '{% extends "!default/story.html" %}\n{% block title %}Custom: {{ story.title }}{% endblock %}\n',
    )
    write(site / "overrides" / "static" / "extra.css", "body { color: red; }")
    build_site(site, tmp_path / "out")
    html = (tmp_path / "out" / "blinken-lavrov-reykjavik" / "index.html").read_text()
    assert "<title>Custom: Blinken and Lavrov" in html
    assert 'class="claim"' in html  # the rest of the original template is still there
    assert (tmp_path / "out" / "static" / "extra.css").is_file()
    assert (tmp_path / "out" / "static" / "style.css").is_file()


def test_bundled_theme_used_when_site_has_none(site: Path, tmp_path: Path) -> None:
    import shutil

    shutil.rmtree(site / "themes")
    build_site(site, tmp_path / "out")
    assert (tmp_path / "out" / "static" / "style.css").is_file()


def test_a_build_finds_the_bundled_theme_without_importlib_resources(site: Path) -> None:
    """Its import costs a build ~20 ms; plain folder checks find the themes of an
    install or a checkout. (The test interpreter has imported it already, so the
    build runs in a fresh one, without site customisations that might.)"""
    import shutil
    import site as site_module
    import subprocess
    import sys

    shutil.rmtree(site / "themes")
    repo = str(Path(__file__).resolve().parent.parent)
    paths = [repo, *site_module.getsitepackages()]
    script = (
        "import sys\n"
        f"sys.path[:0] = {paths!r}\n"
        "from digest.build import build\n"
        "from digest.config import load_config\n"
        "build(load_config(__import__('pathlib').Path('digest.yml')))\n"
        "print('importlib.resources' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-S", "-c", script], cwd=site, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]
    assert (site / "output" / "static" / "style.css").is_file()


def test_unknown_theme_and_missing_override_folder(site: Path, tmp_path: Path) -> None:
    write(site / "digest.yml", "theme: nosuch\n")
    with pytest.raises(DigestError, match="theme 'nosuch' not found"):
        build_site(site, tmp_path / "out")
    write(site / "digest.yml", "theme_overrides: nowhere\n")
    with pytest.raises(DigestError, match="theme_overrides folder 'nowhere' not found"):
        build_site(site, tmp_path / "out")


def test_dotted_names_read_dict_keys_first(tmp_path: Path) -> None:
    """Page variables are dicts: ``a.b`` is the key "b" (even one named like a dict
    method), a dict method still works where no key hides it, and a missing key
    is an error (StrictUndefined), not an empty string."""
    import jinja2

    from digest.theme import Theme, environment

    (tmp_path / "page.html").write_text(
        "{{ view.items }}|{{ view.title }}|{{ view.get('title') }}|{{ {'a': 1}.get('a') }}", encoding="utf-8"
    )
    env = environment(Theme(name="plain", folder=tmp_path, overrides=None))
    view = {"items": "three items", "title": "Geneva talks"}
    assert env.get_template("page.html").render(view=view) == "three items|Geneva talks|Geneva talks|1"
    (tmp_path / "missing.html").write_text("{{ view.subtitle }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError, match="subtitle"):
        env.get_template("missing.html").render(view=view)


def test_the_shipped_theme_keeps_its_pages_independent_of_static_files() -> None:
    """A stylesheet edit renders no page (see theme_signatures): no template of the
    default theme may load a static file or a template named at render time (its
    README, which no template loads, counts for no page)."""
    from digest.keys import _loaded_templates, _loads_static

    def loads_static(template: str) -> bool:
        return _loads_static(_loaded_templates(template))

    theme = Path(__file__).resolve().parent.parent / "themes" / "default"
    files = [
        p
        for p in theme.rglob("*")
        if p.is_file() and "static" not in p.relative_to(theme).parts and p.name != "README.md"
    ]
    assert len(files) >= 8
    assert [p.name for p in files if loads_static(p.read_text(encoding="utf-8"))] == []
    assert loads_static('{% include "static/style.css" %}') and loads_static("{% extends layout %}")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ story.no_such_field }}", "template error: 'dict object' has no attribute 'no_such_field'"),
        ("{{ story.title / 2 }}", "template error: TypeError: unsupported operand"),
        ("{{ 1 // 0 }}", "template error: ZeroDivisionError"),
    ],
)
def test_a_template_failing_as_it_runs_names_its_file_and_line(site: Path, expression: str, message: str) -> None:
    # In an override that extends the original: the failing line is the override's.
    write(site / "digest.yml", (site / "digest.yml").read_text() + "theme_overrides: overrides\n")
    override = write(
        site / "overrides" / "story.html",
        '{% extends "!default/story.html" %}\n{% block title %}\n' + expression + "\n{% endblock %}\n",
    )
    with pytest.raises(DigestError) as caught:
        build_site(site)
    assert message in str(caught.value)
    assert caught.value.file is not None and Path(caught.value.file).resolve() == override.resolve()
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>{{ story.lead }}</p>\n<p>{{ story.no_such_field }}</p>\n", "template error: 'dict object' has no"),
        ("<p>{{ story.lead }}</p>\n<p>{% for x in %}</p>\n", "template syntax error: "),
    ],
)
def test_a_failing_feed_content_template_names_its_file_and_line(site: Path, body: str, message: str) -> None:
    # It renders with each story's own pages, not with the feeds that show what it makes.
    write(site / "digest.yml", (site / "digest.yml").read_text() + "theme_overrides: overrides\n")
    override = write(site / "overrides" / "feed_content.html", body)
    with pytest.raises(DigestError) as caught:
        build_site(site)
    assert message in str(caught.value)
    assert caught.value.file is not None and Path(caught.value.file).resolve() == override.resolve()
    assert caught.value.line == 2


@pytest.mark.parametrize("template", ["404.html", "base.html"])
def test_a_template_that_is_not_utf8_names_its_file_and_line(site: Path, template: str) -> None:
    # base.html is loaded by the templates that extend it, as they render.
    path = site / "themes" / "default" / template
    path.write_bytes(path.read_bytes() + "{# édition #}\n".encode("cp1252"))
    line = path.read_bytes().count(b"\n")
    with pytest.raises(DigestError) as caught:
        build_site(site)
    assert caught.value.location_message() == (
        f"{path}:{line}: template is not valid UTF-8 (byte 0xe9); save it as UTF-8"
    )
