"""The command line: help, version, build, init, new, clean and error output."""

from __future__ import annotations

import gc
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import __version__
from digest.cli import main
from tests.conftest import run_digest, tree_bytes, write


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def invoke(cwd: Path, *args: str):  # type: ignore[no-untyped-def]
        monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, list(args))

    return invoke


@pytest.fixture(autouse=True)
def collector_restored():  # type: ignore[no-untyped-def]
    """`digest build` sets how often this (test) process collects cycles; put it back."""
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


@pytest.mark.parametrize("command", [[], ["build"], ["init"], ["new"], ["clean"]])
def test_help_everywhere(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_build_reports_and_quiet(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(site, "build", "--output", "out")
    assert result.exit_code == 0, result.output
    assert "built 1 story, 5 sources in" in result.output
    assert re.search(r"\(1 consolidated, 1 rendered, \d+ files written\)", result.output)
    assert (site / "out" / "blinken-lavrov-reykjavik" / "index.html").is_file()
    quiet = run(site, "build", "--quiet", "--output", "out")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_a_build_collects_cycles_rarely_but_still_collects(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    gc.set_threshold(700, 10, 10)  # Python's default
    assert run(site, "build", "--quiet").exit_code == 0
    assert gc.isenabled() and gc.get_threshold()[0] == 100_000
    collected_before = gc.get_stats()[0]["collections"]
    for _ in range(150_000):  # cyclic garbage, more than one young generation holds
        loop: list[object] = []
        loop.append(loop)
    assert gc.get_stats()[0]["collections"] > collected_before


def test_drafts_are_counted_when_left_out_and_built_with_drafts(
    run, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    write(site / "content" / "plans.md", "---\ndraft: true\nsources: [seeds/001_53d2f25ad1582e78.txt]\n---\n")
    left = run(site, "build", "--output", "out")
    assert left.exit_code == 0, left.output
    assert "built 1 story, 5 sources" in left.output
    assert "1 draft left out (--drafts builds them too)" in left.output
    shown = run(site, "build", "--drafts", "--output", "out")
    assert shown.exit_code == 0 and "built 2 stories, 6 sources" in shown.output and "left out" not in shown.output
    assert (site / "out" / "plans" / "index.html").is_file()
    asked: list[bool] = []
    monkeypatch.setattr("digest.serve.serve", lambda *args, drafts, **kwargs: asked.append(drafts))
    assert run(site, "serve").exit_code == 0 and run(site, "serve", "--no-drafts").exit_code == 0
    assert asked == [True, False]  # a preview shows drafts unless told not to


def test_base_url_option(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(site, "build", "--base-url", "https://news.example.org/d", "--output", "out")
    assert result.exit_code == 0, result.output
    assert "https://news.example.org/d/blinken-lavrov-reykjavik/" in (site / "out" / "sitemap.xml").read_text()


def test_errors_are_one_line_with_exit_1(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    write(site / "digest.yml", "title: x\nthem: dark\n")
    result = run(site, "build")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {site / 'digest.yml'}:2: unknown key 'them' (did you mean 'theme'?)"
    assert "Traceback" not in result.output


def test_missing_config_suggests_init(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(tmp_path, "build")
    assert result.exit_code == 1 and "digest init" in result.output


def test_strict_turns_warnings_into_errors(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    write(site / "content" / "lonely.md", "---\nsources: [seeds/000_bec47d9d05e10e72.txt]\n---\n")
    assert run(site, "build", "--output", "out").exit_code == 0
    strict = run(site, "build", "--strict", "--output", "out")
    assert strict.exit_code == 1 and "only one source" in strict.output


def test_init_then_build(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(tmp_path, "init", "mysite")
    assert result.exit_code == 0, result.output
    built = run(tmp_path / "mysite", "build")
    assert built.exit_code == 0, built.output
    page = (tmp_path / "mysite" / "output" / "harbour-bridge-reopens" / "index.html").read_text()
    assert "41 million euros" in page and "Example Courier" in page
    again = run(tmp_path, "init", "mysite")
    assert again.exit_code == 1 and "already exists" in again.output
    # The commented settings work as written once uncommented.
    settings = tmp_path / "mysite" / "digest.yml"
    text = settings.read_text(encoding="utf-8")
    for hint in ("# extra:", "#   footer:"):
        text = text.replace(hint, hint[2:])
    settings.write_text(text, encoding="utf-8")
    assert run(tmp_path / "mysite", "build").exit_code == 0
    assert "<p>Compiled by the Nordic desk</p>" in (tmp_path / "mysite" / "output" / "index.html").read_text()


def test_init_copy_theme(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path, "init", "s", "--copy-theme").exit_code == 0
    assert (tmp_path / "s" / "themes" / "default" / "story.html").is_file()


def test_new_writes_a_story_that_builds(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(site, "new", "pair", "seeds/001_53d2f25ad1582e78.txt", "seeds/002_6c188231047a0d29.txt")
    assert result.exit_code == 0, result.output
    text = (site / "content" / "pair.md").read_text()
    assert "path: seeds/001_53d2f25ad1582e78.txt" in text
    assert run(site, "build", "--output", "out").exit_code == 0
    assert (site / "out" / "pair" / "digest.json").is_file()
    # The hints are front matter once uncommented: this one makes the story a draft.
    (site / "content" / "pair.md").write_text(text.replace("# draft: true", "draft: true"), encoding="utf-8")
    assert "1 draft left out" in run(site, "build", "--output", "out").output
    assert run(site, "new", "pair", "seeds/001_53d2f25ad1582e78.txt").exit_code == 1
    # A file given twice, as overlapping shell globs give it, is named once.
    given = ("seeds/001_53d2f25ad1582e78.txt", "seeds/002_6c188231047a0d29.txt", "./seeds/001_53d2f25ad1582e78.txt")
    assert run(site, "new", "trio", *given).exit_code == 0
    assert (site / "content" / "trio.md").read_text().count("path: seeds/001_53d2f25ad1582e78.txt") == 1
    assert run(site, "build", "--output", "out").exit_code == 0
    # A slug the build would refuse is refused before any file is written.
    for slug, message in (("tags", "the slug 'tags' is taken by the site's own pages"), ("Pair", "not a usable slug")):
        result = run(site, "new", slug, "seeds/001_53d2f25ad1582e78.txt")
        assert result.exit_code == 1 and message in result.output, result.output
        assert not (site / "content" / f"{slug}.md").exists()


def test_clean_removes_output_but_refuses_foreign_folders(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(site, "build").exit_code == 0
    assert (site / ".digest-cache" / "CACHEDIR.TAG").is_file()
    assert run(site, "clean").exit_code == 0
    assert not (site / "output").exists() and not (site / ".digest-cache").exists()
    write(site / "output" / "precious.txt", "keep me")
    result = run(site, "clean")
    assert result.exit_code == 1 and "refusing" in result.output
    assert (site / "output" / "precious.txt").read_text() == "keep me"


def test_python_dash_m(site: Path) -> None:

    done = run_digest(site, "--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_command_exit_statuses_and_output_survive_the_fast_exit(site: Path) -> None:
    """``python -m digest`` ends with os._exit: statuses and every printed line
    must still come through."""
    built = run_digest(site, "build")
    assert built.returncode == 0 and built.stdout.startswith("built 1 story, 5 sources") and built.stdout.endswith("\n")
    (site / "digest.yml").write_text("title: [unclosed\n", encoding="utf-8")
    broken = run_digest(site, "build")
    assert broken.returncode == 1 and broken.stderr.startswith("error: ") and "digest.yml" in broken.stderr
    unknown = run_digest(site, "no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr


def test_a_reader_closing_the_pipe_ends_the_command_quietly(site: Path) -> None:
    """`digest build | head -0`: the site is built, then the summary line finds no
    reader; that ends the command with status 1 and no traceback or "internal error"."""
    from tests.conftest import digest_process

    process = digest_process(site, "build", stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the build prints anything
    errors = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert errors == ""
    assert (site / "output" / "index.html").is_file()


def test_sigterm_stops_a_build_as_ctrl_c_does(run, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """``kill`` (a cancelled CI job) mid-build: the staging folder goes at once and
    the previous output stays, where the default action ended the process there."""
    import signal

    import digest.build
    import digest.jobs

    assert run(site, "build").exit_code == 0
    before = tree_bytes(site / "output")
    (site / "digest.yml").write_text("title: Renamed\n", encoding="utf-8")
    consolidate = digest.jobs.digest_story

    def killed(*args):  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGTERM)
        return consolidate(*args)

    monkeypatch.setattr(digest.jobs, "digest_story", killed)
    (site / ".digest-cache").rename(site / "cache-aside")  # so the story is consolidated again
    result = run(site, "build", "--jobs", "1")
    assert result.exit_code == 130 and "interrupted; the previous output is unchanged" in result.output
    assert tree_bytes(site / "output") == before
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".output")) == []


def test_clean_of_an_output_in_a_missing_folder_makes_no_folder(run, site: Path) -> None:  # type: ignore[no-untyped-def]
    (site / "digest.yml").write_text("output: build/site\n", encoding="utf-8")
    result = run(site, "clean")
    assert result.exit_code == 0 and f"nothing to remove at {site / 'build' / 'site'}" in result.output
    assert not (site / "build").exists()
