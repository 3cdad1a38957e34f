"""Themes: Jinja2 templates and static files, with a user's override folder on top.

Lookup order for a template name: the override folder named in ``digest.yml``, then
the theme. The theme's own template stays reachable as ``!theme/<name>`` (and
``!<theme name>/<name>``, e.g. ``!default/story.html``), so an override can extend
the template it replaces and change one block instead of copying the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from digest.cache import Store
from digest.errors import DigestError
from digest.model import SiteConfig

PACKAGE_THEMES = Path(__file__).resolve().parent / "themes"
REPO_THEMES = Path(__file__).resolve().parent.parent / "themes"


def bundled_themes() -> Path:
    """Themes shipped with digest: inside the installed package, or the checkout's
    (where an editable install maps the package's themes). Plain folders are looked
    for first: importing importlib.resources costs every build ~20 ms, and only an
    install that is not plain folders (a zip) needs it."""
    for folder in (PACKAGE_THEMES, REPO_THEMES):
        if (folder / "default").is_dir():
            return folder
    try:
        import importlib.resources

        path = Path(str(importlib.resources.files("digest.themes")))
        if (path / "default").is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return REPO_THEMES


@dataclass(frozen=True)
class Theme:
    name: str
    folder: Path
    overrides: Path | None

    def has_template(self, name: str) -> bool:
        """Whether the theme or its overrides offer ``name`` (a page it may leave out)."""
        return any(folder is not None and (folder / name).is_file() for folder in (self.overrides, self.folder))

    def static_folders(self) -> list[Path]:
        """Static folders, theme first so that override files replace theme files."""
        folders = [self.folder / "static"]
        if self.overrides is not None:
            folders.append(self.overrides / "static")
        return [f for f in folders if f.is_dir()]


def _theme_candidates(root: Path, name: str) -> list[Path]:
    if "/" in name or name.startswith("."):
        return [root / name]
    return [root / "themes" / name, bundled_themes() / name]


def _theme_folder(root: Path, name: str) -> Path | None:
    return next((c for c in _theme_candidates(root, name) if (c / "base.html").is_file()), None)


def theme_problems(root: Path, name: str, overrides: str | None) -> dict[str, str]:
    """What is wrong with the theme settings, by key: checked as the config is
    loaded (so the message names its line) and again as a build starts."""
    problems = {}
    if _theme_folder(root, name) is None:
        looked = ", ".join(str(c) for c in _theme_candidates(root, name))
        problems["theme"] = f"theme {name!r} not found (looked in {looked})"
    if overrides and not (root / overrides).is_dir():
        problems["theme_overrides"] = f"theme_overrides folder {overrides!r} not found"
    return problems


def resolve_theme(config: SiteConfig) -> Theme:
    folder = _theme_folder(config.root, config.theme)
    problems = theme_problems(config.root, config.theme, config.theme_overrides)
    if folder is None or problems:
        raise DigestError(next(iter(problems.values())), config.config_file or config.root)
    overrides = config.root / config.theme_overrides if config.theme_overrides else None
    name = config.theme
    return Theme(folder.name if name == folder.name else name, folder.resolve(), overrides)


class _Environment(jinja2.Environment):
    """Looks up ``a.b`` on a dict as the key "b" first.

    The pages' variables are dicts (see themes/default/README.md). Jinja2 tries the
    attribute first and the item only after an AttributeError, an exception per
    lookup that cost about 40% of rendering a story's pages. A key named like a
    dict method (``items``) now wins over the method, as it should in a template.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in the build cache: compiling the theme costs a new
    process ~0.1 s, a fifth of a one-story edit. Entries are checksummed like every
    cache entry (see cache.Store); Jinja2 itself recompiles when a template's source,
    Jinja2 or Python changes."""

    def __init__(self, folder: Path) -> None:
        self.store = Store(folder)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.load("templates", bucket.key, bytes)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store.save("templates", bucket.key, bucket.bytecode_to_string())


class _Templates(jinja2.FileSystemLoader):
    """Jinja2's file loader, with a template that is not UTF-8 named by file and line
    (Jinja2 lets the UnicodeDecodeError through, naming neither)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            data = exc.object if isinstance(exc.object, bytes) else b""
            line = data[: exc.start].count(b"\n") + 1
            byte = f" (byte 0x{data[exc.start]:02x})" if data else ""
            path = next(
                (Path(folder, template) for folder in self.searchpath if Path(folder, template).is_file()),
                Path(template),
            )
            raise DigestError(f"template is not valid UTF-8{byte}; save it as UTF-8", path, line) from None


def environment(theme: Theme, cache: Path | None = None, reload_templates: bool = True) -> jinja2.Environment:
    """The theme's Jinja2 environment; with ``cache``, compiled templates are kept
    there. With ``reload_templates``, a template whose file changed is loaded again."""
    base = _Templates(str(theme.folder))
    loaders: list[jinja2.BaseLoader] = []
    if theme.overrides is not None:
        loaders.append(_Templates(str(theme.overrides)))
    loaders.append(base)
    loaders.append(jinja2.PrefixLoader({"!theme": base, f"!{theme.folder.name}": base}, delimiter="/"))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # every template, whatever its extension: feed.xml included
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=CompiledTemplates(cache) if cache is not None else None,
        auto_reload=reload_templates,
    )
    # tojson: keys sorted (the same bytes every build), letters beyond ASCII as they
    # are (pages are UTF-8; escaped, Cyrillic search text took three times the bytes).
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def get_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """Load a template, turning Jinja2's errors into ``file:line`` messages."""
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise DigestError(f"template syntax error: {exc.message}", exc.filename or name, exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise DigestError(f"template {exc.name!r} not found in the theme or its overrides") from None
