"""Which of the site's inputs changed, for the preview: the system's file events.

The preview used to poll (livereload's watcher stats every watched file every
50 ms): a 1000-story site's 6,000 files took 28 ms a scan, so an idle preview
kept half a core busy, and past ~2,000 stories one scan outlasted its interval.
The system's own notifications (inotify, FSEvents, ReadDirectoryChangesW, through
watchdog) cost nothing while nothing changes. Where there are none to be had (the
inotify watch limit reached, a network or container file system that sends none:
``digest serve --poll``), watchdog's polling observer looks every POLL_S instead.

Only writes count: reading a source (as every build does) opens and closes it,
which the system reports too. A folder is watched with all it holds, a file (the
config) through its folder; the output and cache folders and editors' temporary
files never count.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog import events
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

POLL_S = 0.5  # between two scans, when polling
# Since watchdog 7 (Python 3.11 and later), a change of permissions or times has an
# event of its own (before, it was a modification), and so has the system's
# queue overflowing (before, such events were lost in silence).
_ATTRIB: type[FileSystemEvent] | None = getattr(events, "FileAttribEvent", None)
_LOST: type[FileSystemEvent] | None = getattr(events, "EventsLostEvent", None)
# Writes, creations, removals, renames (an editor's atomic save) and permission
# changes; not opening or closing a file unchanged (a build reading it).
WRITES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    *(kind for kind in (_ATTRIB, _LOST) if kind is not None),
]
# Files editors write beside the one being edited (vim's swap files and its
# "4913" write test, backups, Emacs' lock and autosave files).
_EDITOR_FILE_ENDS = ("~", ".swp", ".swx", ".swpx", ".tmp")
_EDITOR_FILE_NAMES = frozenset({"4913"})


class InputWatch:
    """Calls ``on_change`` (from another thread) with the path of each watched input
    written ("" when the system lost track: anything may have changed). The
    ``ignored`` folders (output, cache) never count, even inside a watched one.
    ``poll``: scan every POLL_S instead of waiting for events; also what happens,
    with a ``note`` saying so, when the system cannot watch a path."""

    def __init__(
        self,
        on_change: Callable[[str], None],
        ignored: Iterable[Path] = (),
        poll: bool = False,
        note: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.on_change = on_change
        self.ignored = tuple(os.fspath(path) for path in ignored)
        self.polling = poll
        self.note = note
        self.folders: set[str] = set()  # watched with all they hold
        self.files: set[str] = set()  # watched alone (through their folder)
        self._scheduled: set[tuple[str, bool]] = set()
        self._handler = _Handler(self)
        self._observer = self._new_observer()

    def _new_observer(self) -> BaseObserver:
        observer: BaseObserver = PollingObserver(timeout=POLL_S) if self.polling else Observer()
        observer.daemon = True  # (never keeps the process alive)
        observer.start()
        return observer

    @property
    def watched(self) -> set[str]:
        return self.folders | self.files

    def watch(self, path: Path) -> None:
        """Watch a folder, with everything below it, or one file. A path that is
        not there is left out (the next build's paths are watched then)."""
        where = os.fspath(path)
        if where in self.watched or not path.exists():
            return
        folder = where if path.is_dir() else os.path.dirname(where)
        (self.folders if folder == where else self.files).add(where)
        try:
            self._schedule(folder, recursive=folder == where)
        except OSError as exc:
            if self.polling:
                raise
            self._poll_instead(exc)

    def _schedule(self, folder: str, recursive: bool) -> None:
        if (folder, recursive) not in self._scheduled:
            self._observer.schedule(self._handler, folder, recursive=recursive, event_filter=WRITES)
            self._scheduled.add((folder, recursive))

    def _poll_instead(self, exc: OSError) -> None:
        """The system would not watch a path (most often: the inotify watch limit,
        fs.inotify.max_user_watches): watch everything by polling."""
        self.note(
            f"note: the system will not watch the site's files for changes ({exc.strerror or exc}); "
            f"looking for changes every {POLL_S:g} s instead"
        )
        self._observer.stop()
        self.polling = True
        self._observer = self._new_observer()
        self._scheduled.clear()
        for where in sorted(self.folders):
            self._schedule(where, recursive=True)
        for folder in sorted({os.path.dirname(file) for file in self.files} - self.folders):
            self._schedule(folder, recursive=False)

    def counts(self, path: str) -> bool:
        """Whether a write to ``path`` changes the site's inputs."""
        if path in self.files:
            return True
        name = os.path.basename(path)
        if name.endswith(_EDITOR_FILE_ENDS) or name in _EDITOR_FILE_NAMES or name.startswith(".#"):
            return False
        if any(path == folder or path.startswith(folder + os.sep) for folder in self.ignored):
            return False
        return any(path == folder or path.startswith(folder + os.sep) for folder in self.folders)

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)


class _Handler(FileSystemEventHandler):
    def __init__(self, watch: InputWatch) -> None:
        self.watch = watch

    def on_any_event(self, event: FileSystemEvent) -> None:
        if _LOST is not None and isinstance(event, _LOST):  # (the system's queue overflowed)
            self.watch.on_change("")
            return
        for path in (event.dest_path, event.src_path):  # (a move: the name it now has first)
            if path and self.watch.counts(os.fsdecode(path)):
                self.watch.on_change(os.fsdecode(path))
                return
