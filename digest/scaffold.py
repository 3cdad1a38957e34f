"""``digest init`` and ``digest new``: files that start a site or a story."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from digest.config import CONFIG_NAME
from digest.content import slug_problem
from digest.errors import DigestError
from digest.model import Group, SiteConfig
from digest.theme import bundled_themes

SKELETON = Path(__file__).resolve().parent / "skeleton"


def init_site(folder: Path, copy_theme: bool = False) -> list[Path]:
    """Create a site that builds at once: config, an example story and its sources."""
    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise DigestError(f"a site already exists here ({CONFIG_NAME})", folder / CONFIG_NAME)
    created = []
    for path in sorted(SKELETON.rglob("*")):
        if path.is_file():
            target = folder / path.relative_to(SKELETON)
            if target.exists():
                raise DigestError("file exists; refusing to overwrite it", target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            created.append(target)
    if copy_theme:
        target = folder / "themes" / "default"
        shutil.copytree(bundled_themes() / "default", target, ignore=shutil.ignore_patterns("__pycache__"))
        created.append(target)
    return created


def new_story(root: Path, content_dir: Path, slug: str, files: list[Path]) -> Path:
    """Write ``content/<slug>.md`` naming the given source files."""
    problem = slug_problem(slug)
    if problem is not None:
        raise DigestError(problem)
    target = content_dir / f"{slug}.md"
    if target.exists():
        raise DigestError("story file exists; refusing to overwrite it", target)
    root = root.resolve()
    sources = []
    for file in files:
        full = file.resolve()
        if not full.is_file():
            raise DigestError("source file not found", file)
        if not full.is_relative_to(root):
            raise DigestError("source file is outside the site folder; copy it into seeds/ first", file)
        sources.append(full.relative_to(root).as_posix())
    # A file given twice (overlapping shell globs) is named once: the build refuses a repeat.
    return _write_story(target, list(dict.fromkeys(sources)))


def write_group(config: SiteConfig, group: Group) -> Path:
    """Write a loose-article group as ``content/<slug>.md`` for the editor to review;
    from then on the story file decides, not the grouping."""
    target = config.content_dir / f"{group.slug}.md"
    if target.exists():
        raise DigestError("story file exists; refusing to overwrite it", target)
    return _write_story(target, list(group.members), f"grouped automatically from {len(group.members)} article(s)")


def _write_story(target: Path, paths: list[str], comment: str = "") -> Path:
    sources = [{"path": path, "outlet": None, "url": None} for path in paths]
    front = yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True).replace(" null", "")
    note = f"# {comment}\n" if comment else ""
    hints = "# title: (derived from the sources when absent)\n# date: YYYY-MM-DD\n# tags: [topic]\n"
    hints += "# draft: true   # left out of digest build until this line goes\n"
    text = f"---\n{note}{hints}{front}---\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
