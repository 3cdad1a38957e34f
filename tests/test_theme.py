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


def test_unknown_theme_and_missing_override_folder(site: Path, tmp_path: Path) -> None:
    write(site / "digest.yml", "theme: nosuch\n")
    with pytest.raises(DigestError, match="theme 'nosuch' not found"):
        build_site(site, tmp_path / "out")
    write(site / "digest.yml", "theme_overrides: nowhere\n")
    with pytest.raises(DigestError, match="theme_overrides folder 'nowhere' not found"):
        build_site(site, tmp_path / "out")
