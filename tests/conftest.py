from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from digest.model import RawSource

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def sigterm_restored() -> Iterator[None]:
    """`digest build` turns SIGTERM into an interrupt for its process (see cli.py);
    run in this one (CliRunner), it must not outlive the test."""
    saved = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, saved)


def seed_sources() -> list[RawSource]:
    return [
        RawSource(id=f"s{i}", path=f"seeds/{p.name}", text=p.read_text(encoding="utf-8"))
        for i, p in enumerate(sorted(SEEDS.glob("*.txt")), start=1)
    ]


@pytest.fixture
def seeds() -> list[RawSource]:
    return seed_sources()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the shipped site (config, content, seeds, theme) to build or break."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(REPO / "digest.yml", root / "digest.yml")
    for folder in ("content", "seeds", "themes"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_site(root: Path, output: Path | None = None, **overrides: str):  # type: ignore[no-untyped-def]
    from digest.build import build
    from digest.config import load_config

    if output is not None:
        overrides["output"] = str(output)
    return build(load_config(root / "digest.yml", **overrides))


def always_in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stories go to worker processes however few there are, even on one core."""
    import digest.build
    import digest.jobs

    def always(jobs: int, workers: int) -> bool:
        return True

    monkeypatch.setattr(digest.build, "in_parallel", always)  # (the build's plan)
    monkeypatch.setattr(digest.jobs, "in_parallel", always)  # (run_jobs)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def digest_process(site: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """`python -m digest ARGS` in ``site``, this checkout first on the path, text
    output unbuffered (tests and benchmarks read it line by line)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True, **popen}
    return subprocess.Popen([sys.executable, "-m", "digest", *args], cwd=site, env=env, **options)


def run_digest(site: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m digest ARGS` in ``site`` to completion, capturing its output."""
    process = digest_process(site, *args, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def chromium() -> str:
    """Debian's Chromium; skipped without it, except under CI, where that is a failure."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).is_file():
            return candidate
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is required under CI (.ci/run installs Debian's chromium)")
    pytest.skip("Chromium not installed (apt-get install chromium); browser tests skipped")


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Headless Chromium driven by Playwright (which never downloads a browser here)."""
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("playwright not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def process_ended(pid: int) -> bool:
    """Whether a process (not ours to wait for) has exited: gone, or a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")
