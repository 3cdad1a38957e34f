"""``digest.yml``: the site's settings, validated against a typed schema."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from dataclasses import replace
from pathlib import Path
from typing import Any

from digest import schema
from digest.errors import DigestError, DigestErrors
from digest.model import SiteConfig
from digest.textio import read_text, require_utf
from digest.theme import theme_problems
from digest.yamlfile import load_yaml

CONFIG_NAME = "digest.yml"

_DEFAULTS = SiteConfig(root=Path("."), config_file=None)

FIELDS = (
    schema.Field("title", schema.string, _DEFAULTS.title, help="Site title, shown on every page."),
    schema.Field("description", schema.string, _DEFAULTS.description, help="One line for the index and feed."),
    schema.Field(
        "base_url",
        schema.http_url,
        _DEFAULTS.base_url,
        help="Where the site is deployed; used only for absolute URLs (feed, sitemap, canonical, 404).",
    ),
    schema.Field(
        "language",
        schema.language_tag,
        _DEFAULTS.language,
        help="The pages' lang attribute: a language tag such as en or pt-BR.",
    ),
    schema.Field(
        "theme",
        schema.string,
        _DEFAULTS.theme,
        help="A theme name (themes/<name> in the site, else a bundled theme) or a folder path.",
    ),
    schema.Field(
        "theme_overrides",
        schema.string,
        _DEFAULTS.theme_overrides,
        help="A folder searched before the theme: a file of the same name replaces the theme's.",
    ),
    schema.Field(
        "summary_words",
        schema.positive_int,
        _DEFAULTS.summary_words,
        help="Length target of each story summary, in words.",
    ),
    schema.Field("output", schema.string, _DEFAULTS.output, help="Output folder, relative to the site root."),
    schema.Field("content", schema.string, _DEFAULTS.content, help="Folder of story files."),
    schema.Field("page_size", schema.positive_int, _DEFAULTS.page_size, help="Stories per index page."),
    schema.Field(
        "feed_size", schema.non_negative_int, _DEFAULTS.feed_size, help="Newest stories in the Atom feed (0: all)."
    ),
    schema.Field(
        "loose_folder",
        schema.string,
        _DEFAULTS.loose_folder,
        help="Source files here that no story file names are grouped into stories by event ('' turns this off).",
    ),
    schema.Field(
        "static_folder",
        schema.string,
        _DEFAULTS.static_folder,
        help="Files copied into the site as they are, at the same paths: robots.txt, CNAME, favicon.ico,"
        " images for the notes ('' turns this off).",
    ),
    schema.Field(
        "drafts",
        schema.boolean,
        _DEFAULTS.drafts,
        help="Build the stories marked 'draft: true' too (--drafts does it for one build).",
    ),
    schema.Field(
        "extra",
        schema.extra,
        _DEFAULTS.extra,
        help="Settings of your own for the templates, as site.extra (a footer line, a contact address).",
    ),
    schema.Field(
        "cache_dir",
        schema.string,
        _DEFAULTS.cache_dir,
        help="Build cache folder, relative to the site root ('digest clean' removes it).",
    ),
)

assert {f.name for f in FIELDS} | {"root", "config_file"} == {f.name for f in dataclass_fields(SiteConfig)}, (
    "config schema and SiteConfig disagree"
)


def find_config(start: Path) -> Path:
    candidate = start / CONFIG_NAME
    if candidate.is_file():
        return candidate
    raise DigestError(
        f"no {CONFIG_NAME} here; run 'digest init DIR' to start a site or pass --config FILE",
        start,
    )


def load_config(path: Path, **overrides: Any) -> SiteConfig:
    """Read and validate ``path``; ``overrides`` (from the command line) win."""
    path = path.resolve()
    if not path.is_file():
        raise DigestError("config file not found", path)
    located = load_yaml(require_utf(read_text(path), path), path)
    values, errors = schema.validate(located, FIELDS)
    for key, value in overrides.items():
        if value is None:
            continue
        field = next(f for f in FIELDS if f.name == key)
        try:
            values[key] = field.convert(value)
        except schema.Invalid as exc:
            errors.append(DigestError(f"--{key.replace('_', '-')}: {exc}"))
    if not errors:
        problems = theme_problems(path.parent, values["theme"], values["theme_overrides"])
        errors.extend(located.error(message, key) for key, message in problems.items())
    if errors:
        raise DigestErrors(errors) if len(errors) > 1 else errors[0]
    config = SiteConfig(root=path.parent, config_file=path, **values)
    if not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    clashes = []
    for key, message in _output_clashes(config):
        if overrides.get("output") is not None:
            clashes.append(DigestError(f"--output: {message}"))
        else:
            clashes.append(located.error(message, "output" if ("output",) in located.lines else key))
    for key, message in _static_clashes(config):
        clashes.append(located.error(message, key))
    if clashes:
        raise DigestErrors(clashes) if len(clashes) > 1 else clashes[0]
    return config


def _input_folders(config: SiteConfig) -> list[tuple[str, Path, str]]:
    """The folders a build reads, by key, with what they hold."""
    folders = [("content", config.content_dir, "story files")]
    if config.loose_dir is not None:
        folders.append(("loose_folder", config.loose_dir, "loose articles"))
    if config.static_dir is not None:
        folders.append(("static_folder", config.static_dir, "files copied into the site"))
    folders.append(("cache_dir", config.cache_path, "build cache"))
    return folders


def _static_clashes(config: SiteConfig) -> list[tuple[str, str]]:
    """Every file of the static folder is published as it is, so it may not hold
    another input folder (or be the site's own folder), nor lie in one."""
    if config.static_dir is None:
        return []
    static, root = config.static_dir.resolve(), config.root.resolve()
    if static == root:
        return [("static_folder", f"static_folder {config.static_folder!r} is the site folder: all would be published")]
    if root not in static.parents:
        return [("static_folder", f"static_folder {config.static_folder!r} lies outside the site folder")]
    if static.exists() and not static.is_dir():
        return [("static_folder", f"static_folder {config.static_folder!r} is a file, not a folder")]
    clashes = []
    for key, folder, holding in _input_folders(config):
        if key == "static_folder":
            continue
        folder = folder.resolve()
        value = getattr(config, key)
        if static == folder or static in folder.parents:
            what = f"static_folder {config.static_folder!r} holds {key} {value!r} (the {holding})"
            clashes.append(("static_folder", f"{what}, which would be published"))
        elif folder in static.parents:
            what = f"static_folder {config.static_folder!r} lies in {key} {value!r} (the {holding}); choose another"
            clashes.append(("static_folder", what))
    return clashes


def _output_clashes(config: SiteConfig) -> list[tuple[str, str]]:
    """The output folder is replaced whole by every build, so it may not hold an
    input folder, nor lie in one: pages written among the loose articles would
    be read as articles by the next build."""
    output = config.output_dir
    folders = _input_folders(config)
    clashes = []
    for key, folder, holding in folders:
        folder = folder.resolve()
        value = getattr(config, key)
        if output == folder or folder in output.parents:
            clashes.append((key, f"output {config.output!r} lies in {key} {value!r} (the {holding}); choose another"))
        elif output in folder.parents:
            clashes.append(
                (key, f"output {config.output!r} holds {key} {value!r} (the {holding}), and every build replaces it")
            )
    return clashes
