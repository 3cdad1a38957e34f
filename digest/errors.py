"""Errors users can act on: each names the file and, where there is one, the line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class DigestError(Exception):
    """A problem with the user's input, reported as ``file:line: message``."""

    def __init__(self, message: str, file: Path | str | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.location_message())

    def __reduce__(self) -> tuple[type[DigestError], tuple[str, str | None, int | None]]:
        # Errors cross from worker processes to the build: keep file and line apart.
        return (DigestError, (self.message, self.file, self.line))

    def location_message(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class DigestErrors(DigestError):
    """Several problems found at once, so users fix them in one round."""

    def __init__(self, errors: Iterable[DigestError]):
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(first.message, first.file, first.line)

    def __reduce__(self) -> tuple[type[DigestErrors], tuple[tuple[DigestError, ...]]]:  # type: ignore[override]
        return (DigestErrors, (self.errors,))

    def location_message(self) -> str:
        return "\n".join(e.location_message() for e in self.errors)
