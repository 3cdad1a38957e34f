"""Writing the site: all or nothing, and only what changed.

The new site is written into a temporary folder beside the output and swapped in
only when complete, so a failed or interrupted build leaves the previous output
exactly as it was. Files whose bytes did not change are hard-linked from the
previous output instead of written (same inode, same modification time, so sync
and deploy tools see them unchanged); when nothing changed at all, nothing is
touched. A folder is only ever replaced or deleted when it carries the marker file
digest writes, so a wrong ``--output`` can never wipe a user's folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from digest.errors import DigestError
from digest.model import SiteFiles
from digest.render import MARKER

# What a build wrote: path -> (SHA-256, mtime_ns, size, inode) of each output file.
Manifest = dict[str, tuple[str, int, int, int]]


def is_digest_output(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def check_replaceable(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise DigestError("output path exists and is not a folder", output)
    if output.is_dir() and any(output.iterdir()) and not is_digest_output(output):
        raise DigestError(
            f"output folder is not empty and was not made by digest (no {MARKER}); "
            "refusing to replace it — choose another --output",
            output,
        )


def intact(hashes: Mapping[str, str], manifest: Manifest, output: Path | None) -> bool:
    """Whether ``output`` still holds each file with the given hash, as recorded in
    ``manifest`` when it was written and not touched since (same size, mtime, inode)."""
    if output is None:
        return False
    for path, digest in hashes.items():
        entry = manifest.get(path)
        if entry is None or entry[0] != digest or not _unchanged(output, path, entry):
            return False
    return True


def _unchanged(output: Path, path: str, entry: tuple[str, int, int, int]) -> bool:
    try:
        info = os.stat(os.path.join(output, path))
    except OSError:
        return False
    return (info.st_mtime_ns, info.st_size, info.st_ino) == entry[1:]


def write_site(
    files: SiteFiles | Mapping[str, bytes], output: Path, manifest: Manifest | None = None
) -> tuple[Manifest, int]:
    """Make ``output`` hold exactly ``files``; returns its new manifest and how many
    files were written. ``manifest`` describes the current output (from the last build)."""
    site = files if isinstance(files, SiteFiles) else SiteFiles(files)
    output = output.resolve()
    check_replaceable(output)
    manifest = manifest or {}
    hashes = dict(site.kept)
    hashes.update({path: hashlib.sha256(data).hexdigest() for path, data in site.data.items()})
    linkable = {
        p for p, h in hashes.items() if p in manifest and manifest[p][0] == h and _unchanged(output, p, manifest[p])
    }
    _remove_leftovers(output)
    if linkable == set(hashes) and set(manifest) == set(hashes) and output.is_dir():
        return manifest, 0  # the output already is this site
    missing = set(site.kept) - linkable
    if missing:
        raise DigestError(f"output changed during the build: {sorted(missing)[0]} is gone; build again", output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published site is not
    written = 0
    folders: set[str] = set()
    try:
        for name in sorted(hashes):
            target = _inside(staging, name)
            folder = os.path.dirname(target)
            if folder not in folders:
                os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            if name in linkable and _link(os.path.join(output, name), target):
                continue
            with open(target, "wb") as out:
                out.write(site.data[name] if name in site.data else (output / name).read_bytes())
            written += 1
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    new_manifest: Manifest = {}
    for name, digest in hashes.items():
        info = os.stat(os.path.join(output, name))
        new_manifest[name] = (digest, info.st_mtime_ns, info.st_size, info.st_ino)
    return new_manifest, written


def _link(existing: str, target: str) -> bool:
    """Hard-link an unchanged file; False where the file system cannot (then it is copied)."""
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _remove_leftovers(output: Path) -> None:
    """Staging folders a killed build left beside the output (named by us alone)."""
    for prefix in (f".{output.name}.new-", f".{output.name}.old-"):
        for leftover in output.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _inside(folder: Path, name: str) -> str:
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


def clean_output(output: Path) -> bool:
    """Delete a digest output folder; refuse anything digest did not make."""
    output = output.resolve()
    if not output.exists():
        return False
    if not is_digest_output(output):
        raise DigestError(f"not a digest output folder (no {MARKER}); refusing to delete it", output)
    if output == Path.home().resolve() or output == Path(output.anchor):
        raise DigestError("refusing to delete a home or root folder", output)
    shutil.rmtree(output)
    return True
