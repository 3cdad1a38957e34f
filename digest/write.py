"""Writing the site: all or nothing.

The new site is written into a temporary folder beside the output and swapped in
only when complete, so a failed or interrupted build leaves the previous output
exactly as it was. A folder is only ever replaced or deleted when it carries the
marker file digest writes, so a wrong ``--output`` can never wipe a user's folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from digest.errors import DigestError
from digest.render import MARKER


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


def write_site(files: Mapping[str, bytes], output: Path) -> None:
    output = output.resolve()
    check_replaceable(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(output)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published site is not
    try:
        for name, data in sorted(files.items()):
            target = _inside(staging, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_leftovers(output: Path) -> None:
    """Staging folders a killed build left beside the output (named by us alone)."""
    for prefix in (f".{output.name}.new-", f".{output.name}.old-"):
        for leftover in output.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _inside(folder: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise DigestError(f"refusing to write {name!r}: outside the output folder")
    return folder.joinpath(*relative.parts)


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
