"""A progress bar for long builds, drawn only on a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """``stories done / total`` with a bar and an estimate of the time left.

    Called once per finished story; redraws at most ten times a second so that
    drawing never costs the build anything, and stays silent for short builds.
    """

    WIDTH = 28
    QUIET_FOR = 0.5  # seconds before the bar appears: a fast build prints no bar at all

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.perf_counter()
        self.drawn_at = 0.0
        self.shown = False
        # When the first story was done, and how many were: the time before it is
        # start-up (loading, starting workers), which says nothing of the pace.
        self.first: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = (now, done)
        if now - self.started < self.QUIET_FOR or (now - self.drawn_at < 0.1 and done < total):
            return
        self.drawn_at = now
        self.shown = True
        self.stream.write("\r" + self.line(done, total, now - self.first[0], done - self.first[1]))
        self.stream.flush()

    @classmethod
    def line(cls, done: int, total: int, seconds: float, since: int) -> str:
        """The bar after ``done`` of ``total`` stories, ``since`` of them done in the
        last ``seconds`` (the pace the estimate goes by)."""
        filled = cls.WIDTH * done // max(1, total)
        bar = "#" * filled + "-" * (cls.WIDTH - filled)
        if since < max(3, total // 50):  # too few stories yet for a fair estimate
            return f"[{bar}] {done}/{total} stories "
        left = seconds / since * (total - done)
        return f"[{bar}] {done}/{total} stories, {left:.0f} s left "

    def close(self) -> None:
        """Clear the bar (before other output, or at the end)."""
        if self.shown:
            self.stream.write("\r" + " " * (self.WIDTH + 40) + "\r")
            self.stream.flush()
            self.shown = False
