"""The preview's watch on the site's inputs (digest.watch): real file events."""

from __future__ import annotations

import errno
import os
import queue
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest import watch
from digest.watch import InputWatch
from tests.conftest import write


class Changes:
    """What an InputWatch reported, in order."""

    def __init__(self) -> None:
        self.paths: queue.Queue[str] = queue.Queue()

    def __call__(self, path: str) -> None:
        self.paths.put(path)

    def next(self, timeout: float = 5.0) -> str:
        return self.paths.get(timeout=timeout)

    def drain(self) -> list[str]:
        found = []
        while not self.paths.empty():
            found.append(self.paths.get())
        return found


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write(tmp_path / "digest.yml", "title: Test\n")
    write(tmp_path / "README.md", "Notes.\n")
    write(tmp_path / "seeds" / "one" / "a.txt", "The council met on Wednesday.\n")
    write(tmp_path / "output" / "index.html", "<p>old</p>\n")
    return tmp_path


@pytest.fixture
def changes() -> Changes:
    return Changes()


def watching(site: Path, changes: Changes, **options: object) -> InputWatch:
    inputs = InputWatch(changes, ignored=[site / "output", site / ".digest-cache"], **options)  # type: ignore[arg-type]
    inputs.watch(site / "digest.yml")
    inputs.watch(site / "seeds")
    return inputs


@pytest.fixture
def inputs(site: Path, changes: Changes) -> Iterator[InputWatch]:
    running = watching(site, changes)
    yield running
    running.stop()


def until_reported(changes: Changes, path: Path) -> list[str]:
    """Every path reported up to ``path`` (which must come)."""
    seen = []
    while True:
        seen.append(changes.next())
        if seen[-1] == str(path):
            return seen


def test_edits_creations_removals_and_atomic_saves_are_reported(
    site: Path, changes: Changes, inputs: InputWatch
) -> None:
    source = site / "seeds" / "one" / "a.txt"
    source.write_text("The council met on Thursday.\n", encoding="utf-8")
    assert str(source) in until_reported(changes, source)
    added = write(site / "seeds" / "two" / "b.txt", "A new article.\n")  # in a new folder too
    until_reported(changes, added)
    # An editor's atomic save: written beside, then renamed over the file.
    beside = site / "seeds" / "one" / ".a.txt.partial"
    beside.write_text("The council met on Friday.\n", encoding="utf-8")
    os.replace(beside, source)
    until_reported(changes, source)
    added.unlink()
    until_reported(changes, added)
    config = site / "digest.yml"
    config.write_text("title: Edited\n", encoding="utf-8")
    until_reported(changes, config)


def test_reads_and_files_that_are_no_input_are_not_reported(site: Path, changes: Changes, inputs: InputWatch) -> None:
    source = site / "seeds" / "one" / "a.txt"
    source.read_bytes()  # (as every build does: an open and a close, no write)
    (site / "digest.yml").read_bytes()
    write(site / "README.md", "Other notes.\n")  # beside the config, but no input
    write(site / "seeds" / "one" / "a.txt.swp", "swap")  # editors' own files
    write(site / "seeds" / "one" / "a.txt~", "backup")
    write(site / "seeds" / "one" / "4913", "")
    sentinel = write(site / "seeds" / "one" / "c.txt", "Written last.\n")
    assert until_reported(changes, sentinel) == [str(sentinel)]  # events arrive in order: nothing before it


def test_output_and_cache_inside_a_watched_folder_never_count(tmp_path: Path, changes: Changes) -> None:
    # Sources in the site's root: the root is watched, output and cache with it.
    write(tmp_path / "article.txt", "Text.\n")
    inputs = InputWatch(changes, ignored=[tmp_path / "output", tmp_path / ".digest-cache"])
    try:
        inputs.watch(tmp_path)
        write(tmp_path / "output" / "story" / "index.html", "<p>new</p>\n")
        write(tmp_path / ".digest-cache" / "digests" / "x.pickle", "data")
        sentinel = write(tmp_path / "article.txt", "Edited.\n")
        assert until_reported(changes, sentinel) == [str(sentinel)]
    finally:
        inputs.stop()
    assert not inputs.counts(str(tmp_path / "output")) and inputs.counts(str(tmp_path / "new.txt"))
    assert not inputs.counts(str(tmp_path.parent / "elsewhere.txt"))


def test_a_path_that_is_not_there_is_left_for_later(site: Path, changes: Changes, inputs: InputWatch) -> None:
    inputs.watch(site / "static")  # no such folder yet
    assert str(site / "static") not in inputs.watched
    write(site / "static" / "robots.txt", "User-agent: *\n")
    inputs.watch(site / "static")  # (the next build's paths)
    robots = write(site / "static" / "robots.txt", "User-agent: *\nDisallow: /\n")
    until_reported(changes, robots)


def test_polling_finds_the_same_changes(site: Path, changes: Changes) -> None:
    inputs = watching(site, changes, poll=True)
    try:
        assert inputs.polling
        source = write(site / "seeds" / "one" / "a.txt", "The council met on Saturday, at length.\n")
        until_reported(changes, source)
        config = write(site / "digest.yml", "title: Polled\n")
        until_reported(changes, config)
        assert not [path for path in changes.drain() if "output" in path]
    finally:
        inputs.stop()


def test_when_the_system_will_not_watch_it_polls_and_says_so(
    site: Path, changes: Changes, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes: list[str] = []

    class Refusing(watch.Observer):  # type: ignore[misc,valid-type]
        def schedule(self, *args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watch, "Observer", Refusing)
    inputs = InputWatch(changes, ignored=[site / "output"], note=notes.append)
    try:
        inputs.watch(site / "digest.yml")
        inputs.watch(site / "seeds")
        assert inputs.polling and len(notes) == 1
        assert "inotify watch limit reached" in notes[0] and "every 0.5 s" in notes[0]
        source = write(site / "seeds" / "one" / "a.txt", "The council met on Sunday, briefly.\n")
        until_reported(changes, source)
        config = write(site / "digest.yml", "title: Polled after all\n")
        until_reported(changes, config)
    finally:
        inputs.stop()
