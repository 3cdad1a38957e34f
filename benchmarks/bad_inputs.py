"""Each kind of bad input, tried through the real command line: what the user sees.

    python -m benchmarks.bad_inputs

Every case starts from a fresh copy of the shipped site, breaks one thing, runs
`digest build` and prints the exit status and the first line of output, and
whether the previous output folder survived unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_digest

REPO = Path(__file__).resolve().parent.parent
STORY = "content/blinken-lavrov-reykjavik.md"


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        target = site / path
        target.write_text(target.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    return apply


def write(path: str, data: bytes | str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())

    return apply


def link(path: str, target: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        (site / path).symlink_to(target)

    return apply


def story(name: str, front: str, body: str = "") -> Callable[[Path], None]:
    return write(f"content/{name}.md", f"---\n{front}---\n{body}")


PAIR = "  - seeds/001_53d2f25ad1582e78.txt\n"
# Each case: its name, how it breaks a copy of the site (what that returns is ignored), and
# the arguments of `digest build`.
CASES: list[tuple[str, Callable[[Path], object], list[str]]] = [
    ("missing source file", edit(STORY, "seeds/000_bec47d9d05e10e72.txt", "seeds/nope.txt"), []),
    ("unreadable source (no permission)", lambda s: os.chmod(s / "seeds/000_bec47d9d05e10e72.txt", 0), []),
    ("YAML syntax error in a story", edit(STORY, "sources:", "sources: [oops"), []),
    ("YAML syntax error in digest.yml", write("digest.yml", "title: [unclosed\n"), []),
    ("`sources` not a list", story("x", "sources: seeds/a.txt\n"), []),
    ("`date` not a date", story("x", "date: yesterday\nsources:\n" + PAIR), []),
    ("`draft` not true/false", story("x", "draft: 'no'\nsources:\n" + PAIR), []),
    ("a date that does not exist", story("x", "date: 2021-02-30\nsources:\n" + PAIR), []),
    ("two tags sharing one page", story("x", "tags: [C++, c]\nsources:\n" + PAIR), []),
    ("a tag with no letter or digit", story("x", "tags: ['!!!']\nsources:\n" + PAIR), []),
    (
        "a story with 20,000 tags",
        story("x", "tags: [" + ", ".join(f"t{n}" for n in range(20_000)) + "]\nsources:\n" + PAIR),
        [],
    ),
    ("a config key given twice", edit("digest.yml", "theme: default", "theme: default\ntheme: dark"), []),
    ("a language that is no tag", edit("digest.yml", "language: en", "language: en us"), []),
    ("unknown config key", edit("digest.yml", "summary_words", "sumary_words"), []),
    (
        "YAML aliases without end (a billion laughs)",
        lambda s: (s / "digest.yml").write_text(
            (s / "digest.yml").read_text()
            + "extra:\n"
            + "".join(
                f"  {n}: &{n} [{', '.join([f'*{b}' if b else 'lol'] * 9)}]\n"
                for n, b in zip("abcdefghi", ["", *"abcdefgh"], strict=True)
            )
        ),
        [],
    ),
    ("YAML nested 3,000 deep", story("x", "tags: " + "[" * 3000 + "]" * 3000 + "\nsources:\n" + PAIR), []),
    ("duplicate story slugs", write("content/sub/blinken-lavrov-reykjavik.md", "---\nsources:\n" + PAIR + "---\n"), []),
    (
        "story with no usable source",
        lambda s: (write("seeds/e.txt", "\n\n")(s), story("x", "sources: [seeds/e.txt]\n")(s)),
        [],
    ),
    ("theme that does not exist", edit("digest.yml", "theme: default", "theme: nosuch"), []),
    (
        "template failing as it runs",
        write(
            "themes/default/story.html",
            "{% extends 'base.html' %}\n{% block content %}{{ story.title / 2 }}{% endblock %}",
        ),
        [],
    ),
    ("template that does not exist", write("themes/default/story.html", "{% extends 'gone.html' %}"), []),
    (
        "template syntax error",
        write("themes/default/story.html", "{% extends 'base.html' %}\n{% block content %}{{ x( }}{% endblock %}"),
        [],
    ),
    ("source path leading outside the site", story("x", "sources:\n  - ../../etc/passwd\n"), []),
    ("absolute source path", story("x", "sources:\n  - /etc/passwd\n"), []),
    ("a folder named as a source", story("x", "sources:\n  - seeds\n"), []),
    (
        "symlink leading out of the site",
        lambda s: (
            link("seeds/link.txt", "/etc/hostname")(s),
            story("x", "sources:\n  - seeds/link.txt\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "binary file as a source",
        lambda s: (
            write("seeds/b.txt", b"\x89PNG\x00\x00IHDR")(s),
            story("x", "sources:\n  - seeds/b.txt\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "10 MB article",
        lambda s: (
            write("seeds/big.txt", b"word " * 2_097_152)(s),
            story("x", "sources:\n  - seeds/big.txt\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "4.5 MB article on one line",
        lambda s: (
            write(
                "seeds/line.txt",
                " ".join([(s / "seeds/001_53d2f25ad1582e78.txt").read_text().replace("\n", " ")] * 950),
            )(s),
            story("x", "sources:\n  - seeds/line.txt\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "4.9 MB hostile web page (250,000 tags left unclosed)",
        lambda s: (
            write("seeds/hostile.html", "<html><body><p>Start.</p>" + "<a href='x" * 500_000)(s),
            story("x", "sources:\n  - seeds/hostile.html\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "Windows-1252 source",
        lambda s: (
            write("seeds/w.txt", "Caf\xe9 \u201cnews\u201d\n\nThe Arctic Council met.".encode("cp1252"))(s),
            story("x", "sources:\n  - seeds/w.txt\n" + PAIR)(s),
        ),
        [],
    ),
    (
        "Windows-1252 story file",
        write("content/x.md", "---\ntitle: Caf\xe9 talks\nsources:\n".encode("cp1252") + PAIR.encode() + b"---\n"),
        [],
    ),
    (
        "Windows-1252 template",
        lambda s: write("themes/default/404.html", (s / "themes/default/404.html").read_bytes() + b"{# caf\xe9 #}\n")(
            s
        ),
        [],
    ),
    (
        "the same article saved twice",
        lambda s: (
            shutil.copy(s / "seeds/001_53d2f25ad1582e78.txt", s / "seeds/copy.txt"),
            story("x", "sources:\n" + PAIR + "  - seeds/copy.txt\n")(s),
        ),
        [],
    ),
    ("an empty loose file (warning)", write("seeds/stray.txt", ""), []),
    (
        "a loose page of clutter only (warning)",
        write("seeds/error-page.txt", "Home | World\nSign in\nAccept all cookies\nPrivacy policy\n"),
        [],
    ),
    ("output inside the loose folder", lambda s: None, ["--output", "seeds/site"]),
    ("one source only (warning)", story("x", "sources:\n" + PAIR), []),
    ("one source only with --strict", story("x", "sources:\n" + PAIR), ["--strict"]),
    ("output is a folder digest did not make", write("output/thesis.txt", "years of work"), []),
    (
        "javascript: URL in front matter",
        story("x", "sources:\n  - path: seeds/001_53d2f25ad1582e78.txt\n    url: 'javascript:alert(1)'\n"),
        [],
    ),
]


def digest_of(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_digest(site, "build", *args)


def main() -> None:
    print("| bad input | exit | what the user sees | previous output |")
    print("| --- | --- | --- | --- |")
    for name, breaks, args in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            site.mkdir()
            shutil.copy(REPO / "digest.yml", site)
            for folder in ("content", "seeds", "themes"):
                shutil.copytree(REPO / folder, site / folder)
            out = Path(tmp) / "previous"
            if name.startswith("output is"):
                breaks(site)
                result = run(site)
                kept = "untouched" if (site / "output/thesis.txt").read_text() == "years of work" else "CHANGED"
            else:
                run(site, "--output", str(out))
                before = digest_of(out)
                breaks(site)
                result = run(site, "--output", str(out), *args)
                kept = "untouched" if digest_of(out) == before else "rebuilt" if result.returncode == 0 else "CHANGED"
            lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            shown = lines[0].replace(tmp, "…") if lines else "(nothing)"
            if len(lines) > 1 and result.returncode == 0:
                shown += f" (+{len(lines) - 1} more lines)"
            if name.startswith("unreadable") and hasattr(os, "geteuid") and os.geteuid() == 0:
                name += " -- run as root here, which reads it anyway"  # (test_content checks the message)
            print(f"| {name} | {result.returncode} | `{shown}` | {kept} |")


if __name__ == "__main__":
    main()
