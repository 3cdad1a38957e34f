"""Writing the site: all or nothing, and only what changed.

The new site is written into a temporary folder beside the output and swapped in
only when complete, so a failed or interrupted build leaves the previous output
exactly as it was. Files whose bytes did not change are hard-linked from the
previous output instead of written (same inode, same modification time, so sync
and deploy tools see them unchanged); when nothing changed at all, nothing is
touched. A folder is only ever replaced or deleted when it carries the marker file
digest writes, so a wrong ``--output`` can never wipe a user's folder. One build (or
clean) at a time writes an output folder (``output_lock``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

try:
    import fcntl
except ImportError:  # Windows: builds of one output are not kept apart there
    fcntl = None  # type: ignore[assignment]

from digest.errors import DigestError
from digest.model import OUTPUT_MARKER
from digest.textio import inside, write_all

# What a build wrote: path -> (SHA-256, mtime_ns, size, inode) of each output file.
ManifestEntry = tuple[str, int, int, int]
Manifest = dict[str, ManifestEntry]


def is_digest_output(folder: Path) -> bool:
    return (folder / OUTPUT_MARKER).is_file()


def check_replaceable(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise DigestError("output path exists and is not a folder", output)
    if output.is_dir() and any(output.iterdir()) and not is_digest_output(output):
        raise DigestError(
            f"output folder is not empty and was not made by digest (no {OUTPUT_MARKER}); "
            "refusing to replace it — choose another --output",
            output,
        )


def intact(hashes: Mapping[str, str], manifest: Manifest, output: Path | None) -> bool:
    """Whether ``output`` still holds each file with the given hash, as recorded in
    ``manifest`` when it was written and not touched since (same size, mtime, inode)."""
    if output is None:
        return False
    folder = str(output)
    for path, digest in hashes.items():
        entry = manifest.get(path)
        if entry is None or entry[0] != digest or not _unchanged(inside(folder, path), entry):
            return False
    return True


def _unchanged(path: str, entry: ManifestEntry) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return (info.st_mtime_ns, info.st_size, info.st_ino) == entry[1:]


class StagedOutput:
    """A new version of the output folder, filled file by file and swapped in whole.

    Files can arrive while the build is still running (each story's pages as soon
    as it is done; worker processes write theirs into the folder themselves, see
    put_files), so writing overlaps with consolidation. A file whose
    bytes the current output already holds (``manifest`` says so, and the file was
    not touched since) is not written: at commit it is hard-linked from the old
    output, or, when nothing changed at all, the old output simply stays.
    """

    def __init__(self, output: Path, manifest: Manifest | None = None) -> None:
        self.output = output.resolve()
        check_replaceable(self.output)
        # (No output, as in a deploy job: it holds no file the record tells of.)
        self.manifest = (manifest or {}) if self.output.is_dir() else {}
        self.hashes: dict[str, str] = {}
        self.unchanged: set[str] = set()
        self.written = 0
        self._staging: Path | None = None
        self._folders: set[str] = set()
        _remove_leftovers(self.output)

    def put(self, name: str, data: bytes, digest: str | None = None) -> None:
        """A file of the new site; written now unless the output already holds it."""
        digest = digest or hashlib.sha256(data).hexdigest()
        self.hashes[name] = digest
        if _held_as_is(str(self.output), name, digest, self.manifest.get(name)):
            self.unchanged.add(name)
            return
        _write_new(self._staging or self._create(), name, data, self._folders, self.output)
        self.written += 1

    def destination(self, names: Iterable[str]) -> Destination:
        """Where another process may put files of the new site itself (see
        put_files), with what the output holds of ``names`` (a story's files as
        the last build wrote them)."""
        staging = self._staging or self._create()
        held = tuple((name, self.manifest[name]) for name in names if name in self.manifest)
        return Destination(str(staging), str(self.output), held)

    def took(self, hashes: Mapping[str, str], written: Iterable[str]) -> None:
        """Files another process put (see put_files): name -> SHA-256 of each, and
        those it wrote (the others the output holds as they are)."""
        self.hashes.update(hashes)
        wrote = set(written)
        self.unchanged.update(name for name in hashes if name not in wrote)
        self.written += len(wrote)

    def keep(self, kept: Mapping[str, str]) -> None:
        """Files (name -> SHA-256) the build found unchanged in the output (``intact``
        checked them on disk moments ago; a file touched since is noticed by the next
        build). All at once: a no-op build of 5,000 stories keeps 36,000."""
        manifest = self.manifest
        wrong = [name for name, digest in kept.items() if manifest.get(name, ("",))[0] != digest]
        if wrong:
            raise DigestError(f"{wrong[0]} is not in the output as recorded; build again", self.output)
        self.hashes.update(kept)
        self.unchanged.update(kept)

    def commit(self) -> tuple[Manifest, int]:
        """Put the new site in place; returns its manifest and how many files were written.

        A few changed files (an edit) are moved into the existing output one by one,
        under a journal that lets an interrupted commit be rolled back; otherwise
        the whole new folder is swapped in.
        """
        if self._staging is None and set(self.manifest) == self.unchanged and self.output.is_dir():
            return self.manifest, 0  # the output already is this site
        changed = sorted(name for name in self.hashes if name not in self.unchanged)
        removed = sorted(name for name in self.manifest if name not in self.hashes)
        if self.output.is_dir() and self.manifest and len(changed) + len(removed) <= max(20, len(self.hashes) // 10):
            return self._commit_in_place(changed, removed)
        try:
            for name in sorted(self.unchanged):
                with _writing(name, self.output):
                    target = _target(self._staging or self._create(), name, self._folders)
                    if not _link(os.path.join(self.output, name), target):
                        shutil.copyfile(os.path.join(self.output, name), target)
            staging = self._staging or self._create()
            _swap(staging, self.output)
        except BaseException:
            self.abort()
            raise
        manifest: Manifest = {}
        output = str(self.output)
        for name, digest in self.hashes.items():
            info = os.stat(inside(output, name))
            manifest[name] = (digest, info.st_mtime_ns, info.st_size, info.st_ino)
        return manifest, self.written

    def _commit_in_place(self, changed: list[str], removed: list[str]) -> tuple[Manifest, int]:
        backup = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.old-", dir=self.output.parent))
        journal = _journal(self.output)
        new = [name for name in changed if not os.path.lexists(os.path.join(self.output, name))]
        plan = {"backup": backup.name, "files": changed + removed, "new": new}
        journal.write_text(json.dumps(plan), encoding="utf-8")
        try:
            for name in changed + removed:
                _move(os.path.join(self.output, name), os.path.join(backup, name))
            for name in changed:
                assert self._staging is not None
                _move(os.path.join(self._staging, name), os.path.join(self.output, name))
        except BaseException:
            recover(self.output)
            self.abort()
            raise
        journal.unlink()
        shutil.rmtree(backup, ignore_errors=True)
        self.abort()  # the staging folder: emptied of files, its folders remain
        for name in removed:
            _prune_empty_folders(self.output, os.path.dirname(name))
        manifest = {name: entry for name, entry in self.manifest.items() if name in self.unchanged}
        for name in changed:
            info = os.stat(os.path.join(self.output, name))
            manifest[name] = (self.hashes[name], info.st_mtime_ns, info.st_size, info.st_ino)
        return manifest, self.written

    def abort(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def _create(self) -> Path:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.new-", dir=self.output.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; a published site is not
        self._staging = staging
        return staging


@dataclass(frozen=True)
class Destination:
    """The new site's folder, for a process other than the build's to write a
    story's files into (a worker: its pages never travel back), and the output it
    replaces, with the output's record of the files it may hold as they are."""

    staging: str
    output: str
    held: tuple[tuple[str, ManifestEntry], ...]


def put_files(destination: Destination, files: Mapping[str, bytes], hashes: Mapping[str, str]) -> list[str]:
    """Write each file (SHA-256 in ``hashes``) into the new site unless the output
    holds it as it is (StagedOutput.put, in another process); the names written."""
    held = dict(destination.held)
    folders: set[str] = set()
    written = []
    output = Path(destination.output)
    for name, data in files.items():
        if not _held_as_is(destination.output, name, hashes[name], held.get(name)):
            _write_new(Path(destination.staging), name, data, folders, output)
            written.append(name)
    return written


def _held_as_is(output: str, name: str, digest: str, entry: ManifestEntry | None) -> bool:
    """Whether the output holds file ``name`` with these bytes, as recorded (``entry``)."""
    return entry is not None and entry[0] == digest and _unchanged(inside(output, name), entry)


def _write_new(staging: Path, name: str, data: bytes, folders: set[str], output: Path) -> None:
    """Write a file into the new site's folder (``folders``: those known to exist)."""
    with _writing(name, output):
        handle = os.open(
            _target(staging, name, folders), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666
        )
        try:
            write_all(handle, data)
        finally:
            os.close(handle)


@contextmanager
def _writing(name: str, output: Path) -> Iterator[None]:
    """A file of the new site that the system refuses to write (a full disk, a
    quota, a read-only or forbidden folder) is the user's to fix: one line
    naming it, as the new site is not swapped in."""
    try:
        yield
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise DigestError(
            f"cannot write {name} of the new site ({why}); the previous output is unchanged", output
        ) from None


def _target(staging: Path, name: str, folders: set[str]) -> str:
    target = _inside(staging, name)
    folder = os.path.dirname(target)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    return target


def _link(existing: str, target: str) -> bool:
    """Hard-link an unchanged file; False where the file system cannot (then it is copied)."""
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _journal(output: Path) -> Path:
    return output.parent / f".{output.name}.journal"


def recover(output: Path) -> bool:
    """Undo a commit that was interrupted (its journal remains): every file it
    moved out of the output goes back, every file it moved in goes away."""
    journal = _journal(output)
    if not journal.is_file():
        return False
    plan = json.loads(journal.read_text(encoding="utf-8"))
    backup = output.parent / plan["backup"]
    new = set(plan["new"])
    for name in plan["files"]:
        saved = os.path.join(backup, name)
        if os.path.lexists(saved):
            os.makedirs(os.path.dirname(os.path.join(output, name)), exist_ok=True)
            os.replace(saved, os.path.join(output, name))
        elif name in new and os.path.lexists(os.path.join(output, name)):
            os.unlink(os.path.join(output, name))  # a file the interrupted build added
    journal.unlink()
    shutil.rmtree(backup, ignore_errors=True)
    return True


def _move(source: str, target: str) -> None:
    if os.path.lexists(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(source, target)


def _prune_empty_folders(output: Path, folder: str) -> None:
    while folder:
        try:
            os.rmdir(os.path.join(output, folder))
        except OSError:
            return  # not empty, or already gone
        folder = os.path.dirname(folder)


def _remove_leftovers(output: Path) -> None:
    """Staging folders a killed build left beside the output (named by us alone);
    an interrupted commit is rolled back first."""
    recover(output)
    for prefix in (f".{output.name}.new-", f".{output.name}.old-"):
        for leftover in output.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _inside(folder: Path, name: str) -> str:
    """Where output file ``name`` goes in ``folder``; never outside it."""
    parts = name.split("/")
    if "" not in parts and "." not in parts and ".." not in parts:  # every name the renderer makes
        return inside(str(folder), name)
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise DigestError(f"refusing to write {name!r}: outside the output folder")
    return os.path.join(folder, *relative.parts)


def _swap(staging: Path, output: Path) -> None:
    if not output.exists():
        os.replace(staging, output)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
    retired.rmdir()
    os.replace(output, retired)
    try:
        os.replace(staging, output)
    except BaseException:
        os.replace(retired, output)  # put the previous site back
        raise
    shutil.rmtree(retired, ignore_errors=True)


# The descriptors of the locks this process holds. A forked child (a build's worker)
# inherits them, and with them the lock: killed, the build would leave its workers
# holding the folder. A child closes its copies at once.
_HELD: set[int] = set()


def _forget_held_locks() -> None:
    for handle in _HELD:
        os.close(handle)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held_locks)


@contextmanager
def output_lock(output: Path, waiting: Callable[[str], None] | None = None, make: bool = True) -> Iterator[None]:
    """Hold the output folder for one build or clean; another one waits until it is done.

    Two builds of one output at once (a second terminal, a CI step) would each take
    the other's staging folder for a killed build's leftover and delete it, or link
    files the other had just swapped away. The lock is a file beside the output,
    ``.<name>.lock``, locked with ``flock``: the kernel releases it when its process
    ends however it ends, so a killed build never leaves the folder locked. The file
    is removed on release; a waiter that then holds a removed file tries again.
    ``waiting`` is told once when another build holds the folder. Where the folder
    that would hold it does not exist, a build makes it; a clean (``make=False``)
    has nothing to hold and leaves no folder behind.
    """
    output = output.resolve()
    if fcntl is None or not (make or output.parent.is_dir()):
        yield
        return
    path = output.parent / f".{output.name}.lock"
    handle = _locked(path, output, waiting)
    _HELD.add(handle)
    try:
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)  # while still held: a waiter then finds its file removed
        _HELD.discard(handle)
        os.close(handle)


def _locked(path: Path, output: Path, waiting: Callable[[str], None] | None) -> int:
    """A descriptor of the lock file ``path``, locked (waiting for its holder, if any)."""
    assert fcntl is not None
    while True:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DigestError(f"cannot lock the output folder for this build: {exc.strerror}", path) from None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
                    by = f" (process {holder})" if holder else ""
                    waiting(f"waiting for another digest build{by} writing {output}")
                    waiting = None
                fcntl.flock(handle, fcntl.LOCK_EX)
            with suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(handle).st_ino:
                    return handle
        except BaseException:  # (Ctrl-C while waiting)
            os.close(handle)
            raise
        os.close(handle)  # the build that held it removed this file: lock the new one


def clean_output(output: Path) -> bool:
    """Delete a digest output folder; refuse anything digest did not make."""
    output = output.resolve()
    if not output.exists():
        return False
    if not is_digest_output(output):
        raise DigestError(f"not a digest output folder (no {OUTPUT_MARKER}); refusing to delete it", output)
    if output == Path.home().resolve() or output == Path(output.anchor):
        raise DigestError("refusing to delete a home or root folder", output)
    shutil.rmtree(output)
    return True
