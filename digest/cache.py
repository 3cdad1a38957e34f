"""The build cache: what earlier builds computed, kept on disk between runs.

Everything here is keyed by content, never by time alone: a story's entry by a
hash of its story file, the bytes of its sources, the settings it depends on and
digest's own code. File modification times are only a shortcut for "these bytes
were hashed before", and not for files changed within the last two seconds of
the previous look (the "racy" case git handles the same way: a save in the same
clock tick as the last build must not go unnoticed).

Entries carry a checksum. An entry that fails it, cannot be unpickled or holds the
wrong type is deleted and rebuilt, never used. The folder holds a CACHEDIR.TAG
(backup tools skip it) and only ``digest clean`` or a user deletes it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from digest import __version__
from digest.errors import DigestError
from digest.textio import write_all

T = TypeVar("T")

_MAGIC = b"digest-cache 1\n"
TAG_NAME = "CACHEDIR.TAG"
_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This folder is the build cache of digest (https://bford.info/cachedir/).\n"
    b"# 'digest clean' removes it; deleting it by hand is safe too.\n"
)
# A file modified this close to the moment its hash was recorded is hashed again.
RACY_NS = 2_000_000_000


def settled(mtime_ns: int, seen_ns: int) -> bool:
    """Whether what was modified at ``mtime_ns`` and looked at at ``seen_ns`` cannot
    have changed again since within the same clock tick (its time would not show it)."""
    return mtime_ns < seen_ns - RACY_NS


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """digest's version and the bytes of its own modules: results computed by other
    code (an upgrade, or a local edit under the same version) are never reused."""
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for module in sorted(package.glob("*.py")):
        h.update(module.name.encode() + b"\0" + module.read_bytes())
    return h.hexdigest()


class Store:
    """Checksummed pickles under one folder, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rejected = 0  # entries found corrupted (or unreadable) and dropped
        self.unwritable: str | None = None  # why the first entry that could not be written was not

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.pickle"

    def load(self, kind: str, key: str, expected: type[T], checksum: str | None = None) -> T | None:
        """The entry, or None when it is missing or damaged (then deleted). With
        ``checksum``, also None when the entry is another than the one saved with
        that checksum (and then left alone: it may be newer)."""
        data = self._read(kind, key)
        if data is None:
            return None
        value = _unpack(data)
        if checksum is not None and value is not _NOT_FOUND and _checksum(data) != checksum:
            return None  # whole, but another save's (see ShardedMappings)
        if not isinstance(value, expected):
            self._reject(kind, key)
            return None
        return value

    def load_pickled(self, kind: str, key: str) -> bytes | None:
        """An entry's pickle, checked but not unpickled (see unpickled), or None when
        it is missing or damaged (then deleted): for what is held to be used later,
        if ever, as pickles take a third of the memory of what they hold."""
        data = self._read(kind, key)
        payload = _payload(data) if data is not None else None
        if data is not None and payload is None:
            self._reject(kind, key)
        return payload

    def _read(self, kind: str, key: str) -> bytes | None:
        try:
            return self._path(kind, key).read_bytes()
        except OSError:
            return None

    def _reject(self, kind: str, key: str) -> None:
        """Count a damaged entry and delete it, to be made again."""
        self.rejected += 1
        self._path(kind, key).unlink(missing_ok=True)

    def save(self, kind: str, key: str, value: Any) -> str | None:
        """Write an entry; returns its checksum, or None when it could not be
        written (a cache that cannot be written only makes builds slower)."""
        return self.save_pickled(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def save_pickled(self, kind: str, key: str, payload: bytes) -> str | None:
        """Write an entry from its pickle (see save)."""
        data = _frame(payload)
        try:
            _write_atomically(self._path(kind, key), data, self._ensure_folder)
        except OSError as exc:
            self.unwritable = self.unwritable or exc.strerror or str(exc)
            return None
        return _checksum(data)

    def keys(self, kind: str) -> set[str]:
        # listdir, not glob: every build that saves lists the 1000 entries of a
        # 1000-story site twice, and glob made a Path of each (5 ms -> 1 ms).
        try:
            names = os.listdir(self.folder / kind)
        except OSError:
            return set()
        return {name[: -len(".pickle")] for name in names if name.endswith(".pickle") and not name.startswith(".")}

    def prune(self, kind: str, keep: set[str]) -> int:
        """Delete the entries of ``kind`` not in ``keep``; returns how many went."""
        gone = 0
        for key in self.keys(kind) - keep:
            self._path(kind, key).unlink(missing_ok=True)
            gone += 1
        return gone

    def tag_folder(self) -> None:
        """Make the cache folder with its CACHEDIR.TAG, or the tag again if it went."""
        tag = self.folder / TAG_NAME
        if not tag.is_file():
            with contextlib.suppress(OSError):
                self.folder.mkdir(parents=True, exist_ok=True)
                tag.write_bytes(_TAG)

    def _ensure_folder(self, kind_folder: Path) -> None:
        """Make a missing entry folder (and the cache folder, tagged)."""
        self.tag_folder()
        kind_folder.mkdir(parents=True, exist_ok=True)


SHARDS = 16


def shard_of(key: str) -> int:
    """Which of SHARDS entries holds the item ``key``; the same in every process
    (``hash`` of a str is not)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


class ShardedMappings:
    """Large mappings of a saved state, each kept as SHARDS entries of a store.

    A one-story edit of a 1000-story site changes a few of the ~15,000 items the
    builder remembers (file hashes, story states, output files); pickling all of
    them again was most of the time saving its state took. Only the shards with
    a changed item are written again. The state's own entry, written after them,
    holds the checksum of each shard it goes with (``checksums``): shards of
    another save (one cut short: some new, some old) are never loaded as its.
    """

    def __init__(self, store: Store, kind: str, prefix: str) -> None:
        self.store, self.kind, self.prefix = store, kind, prefix
        self.checksums: dict[str, str] = {}  # entry key -> checksum, as last loaded or saved
        self._shards: dict[str, list[dict[str, Any]]] = {}  # name -> its shards, as last loaded or saved
        self._items: dict[str, dict[str, Any]] = {}  # name -> all its items, as last saved

    def keys(self, names: Iterable[str]) -> set[str]:
        """The entry keys of those mappings' shards."""
        return {self._key(name, i) for name in names for i in range(SHARDS)}

    def load(self, names: Iterable[str], checksums: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
        """Each named mapping, from the shards with those checksums; None when one is
        missing, damaged or another."""
        found: dict[str, dict[str, Any]] = {}
        for name in names:
            shards = []
            for i in range(SHARDS):
                key = self._key(name, i)
                checksum = checksums.get(key)
                shard = self.store.load(self.kind, key, dict, checksum) if checksum else None
                if shard is None:
                    return None
                shards.append(shard)
            merged: dict[str, Any] = {}
            for shard in shards:
                merged.update(shard)
            self._shards[name] = shards
            found[name] = merged
        self.checksums = dict(checksums)
        return found

    def save(self, mappings: Mapping[str, Mapping[str, Any]]) -> dict[str, str] | None:
        """Write the shards holding an item changed since the last load or save (all,
        the first time); returns every shard's checksum, or None when one could not
        be written."""
        for name, items in mappings.items():
            if not self._save_changed(name, items):
                return None
        return dict(self.checksums)

    def _save_changed(self, name: str, items: Mapping[str, Any]) -> bool:
        shards = self._shards.setdefault(name, [{} for _ in range(SHARDS)])
        before = self._items.get(name)
        if before is None:  # (made here, not on loading: most builds that load save nothing)
            before = {}
            for shard in shards:
                before.update(shard)
        touched = {i: dict(shards[i]) for i in range(SHARDS) if self._key(name, i) not in self.checksums}

        def shard_holding(key: str) -> dict[str, Any]:
            i = shard_of(key)
            if i not in touched:
                touched[i] = dict(shards[i])
            return touched[i]

        for key, value in items.items():
            old = before.get(key, _NOT_FOUND)
            if old is not value and old != value:
                shard_holding(key)[key] = value
        for key in before.keys() - items.keys():
            del shard_holding(key)[key]
        for i, shard in sorted(touched.items()):
            checksum = self.store.save(self.kind, self._key(name, i), shard)
            if checksum is None:
                return False
            shards[i], self.checksums[self._key(name, i)] = shard, checksum
        self._items[name] = dict(items)
        return True

    def _key(self, name: str, shard: int) -> str:
        return f"{self.prefix}-{name}-{shard:02}"


def _frame(payload: bytes) -> bytes:
    return _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _checksum(data: bytes) -> str:
    """The checksum a packed entry carries (of its payload)."""
    return data[len(_MAGIC) : len(_MAGIC) + 64].decode("ascii", "replace")


_NOT_FOUND = object()


def _payload(data: bytes) -> bytes | None:
    """An entry's pickle, or None when its frame or checksum is damaged."""
    head = len(_MAGIC) + 65
    if not data.startswith(_MAGIC) or len(data) < head:
        return None
    checksum, payload = data[len(_MAGIC) : head - 1], data[head:]
    return payload if hashlib.sha256(payload).hexdigest().encode() == checksum else None


def _unpack(data: bytes) -> Any:
    """The stored value, or a sentinel when the entry is damaged in any way."""
    payload = _payload(data)
    return _NOT_FOUND if payload is None else _unpickle(payload)


def unpickled(payload: bytes, expected: type[T]) -> T | None:
    """What a pickle holds (see Store.load_pickled), or None when it is not an
    ``expected`` this code can read."""
    value = _unpickle(payload)
    return value if isinstance(value, expected) else None


def _unpickle(payload: bytes) -> Any:
    enabled = gc.isenabled()
    gc.disable()  # (a 1000-story site's state is ~200,000 objects: a no-op build saves 17M of 1,323M instructions)
    try:
        return pickle.loads(payload)
    except Exception:  # a checksummed entry written by other code: treat as missing
        return _NOT_FOUND
    finally:
        if enabled:
            gc.enable()


def _write_atomically(path: Path, data: bytes, make_folder: Callable[[Path], None]) -> None:
    """Write through a temporary file beside ``path``, renamed over it: a reader sees
    the old bytes or the new, never part. The temporary name is this process's and
    thread's own, so no other writer can hold it (one left by a killed process of
    the same id is passed over, for mkstemp's pick). ``make_folder`` is called
    when the folder is missing: looking for it before every write would cost a
    system call per entry."""
    temporary = os.path.join(path.parent, f".{path.name}.{os.getpid()}-{threading.get_ident()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        try:
            handle = os.open(temporary, flags, 0o600)
        except FileNotFoundError:
            make_folder(path.parent)
            handle = os.open(temporary, flags, 0o600)
    except FileExistsError:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        try:
            write_all(handle, data)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class FileHashes:
    """SHA-256 of input files, re-read only when size, mtime or inode change.

    The hashes are what cache keys are made of; the file status is only a way to
    avoid reading a file whose hash is already known.
    """

    known: dict[str, tuple[int, int, int, int, str]] = field(default_factory=dict)  # path -> stat, when, hash
    changed: bool = False  # a hash was added, changed or dropped since this was loaded

    def sha(self, path: str, info: os.stat_result | None = None) -> str | None:
        """The file's hash, or None when it cannot be read (the loader reports why).
        ``info``: the file's status, when the caller has just looked."""
        if info is None:
            try:
                info = os.stat(path)
            except OSError:
                return None
        entry = self.known.get(path)
        if (
            entry is not None
            and entry[:3] == (info.st_mtime_ns, info.st_size, info.st_ino)
            and settled(info.st_mtime_ns, entry[3])
        ):
            return entry[4]
        now = time.time_ns()
        try:
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            return None
        if entry is None or entry[4] != digest or entry[:3] != (info.st_mtime_ns, info.st_size, info.st_ino):
            self.changed = True
        self.known[path] = (info.st_mtime_ns, info.st_size, info.st_ino, now, digest)
        return digest

    def forget_except(self, paths: set[str]) -> None:
        if len(self.known) != len(paths) or any(p not in paths for p in self.known):
            self.known = {p: e for p, e in self.known.items() if p in paths}
            self.changed = True


def remove_cache(folder: Path) -> bool:
    """Delete a cache folder digest made (it has our CACHEDIR.TAG); refuse others."""
    if not folder.exists():
        return False
    tag = folder / TAG_NAME
    if not tag.is_file() or not tag.read_bytes().startswith(_TAG[:44]):
        raise DigestError("not a digest cache folder (no CACHEDIR.TAG); refusing to delete it", folder)
    shutil.rmtree(folder)
    return True
