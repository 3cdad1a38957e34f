"""Loading stories: story files (front matter + editor's note) and their sources.

This is one of the pipeline's two I/O ends; everything after it works on the
returned values only.
"""

from __future__ import annotations

import glob
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from digest import schema
from digest.cache import settled
from digest.errors import DigestError, DigestErrors
from digest.html_text import html_to_text, looks_like_html
from digest.markdown_text import looks_like_markdown, markdown_to_text
from digest.model import OUTPUT_MARKER, Group, PlainText, RawSource, SiteConfig, SourceRef, Story, StoryFile
from digest.notes import note_links
from digest.textio import Decoded, read_text, require_utf
from digest.words import tag_identity, tag_slug
from digest.wrapped_text import unwrapped
from digest.yamlfile import Located, load_yaml

Reader = Callable[[Path], Decoded]  # read_text, or a FileCache's read between builds

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RESERVED_SLUGS = frozenset({"archives", "page", "search", "static", "tags"})  # folders of the site's own pages
_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)

STORY_FIELDS = (
    schema.Field("title", schema.string, help="Headline; derived from the sources when absent."),
    schema.Field("date", schema.date, help="Story date, YYYY-MM-DD."),
    schema.Field("tags", schema.string_list, (), help="Words to group stories by."),
    schema.Field("draft", schema.boolean, False, help="Left out of the site unless drafts are built."),
    schema.Field("summary_words", schema.positive_int, help="This story's summary length target, in words."),
    schema.Field("sources", lambda v: v, required=True, help="The articles to consolidate."),
)
SOURCE_FIELDS = (
    schema.Field(
        "path",
        schema.string,
        required=True,
        help="File relative to the site root; a glob may match several.",
    ),
    schema.Field("outlet", schema.string, help="Who published it."),
    schema.Field("url", schema.http_url, help="The original article."),
    schema.Field("published", schema.date, help="Its publication date."),
)


def story_files(config: SiteConfig) -> list[Path]:
    """Every ``*.md`` file under the content folder, in path order (as pathlib sorts
    them: part by part). Listed by ``os.walk``, which, like ``rglob``, does not enter
    linked folders: a thousand story files in a third of rglob's time (~4 ms)."""
    folder = config.content_dir
    if not folder.is_dir():
        raise DigestError("content folder not found", folder)
    found = []
    for top, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".md"):
                path = os.path.join(top, name)
                if os.path.isfile(path):  # (a link to a file counts, a broken link does not)
                    found.append(path)
    return [Path(p) for p in sorted(found, key=lambda p: p.split(os.sep))]


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a story (its URL is ``<slug>/``), or None."""
    if not SLUG.match(slug):
        return f"{slug!r} is not a usable slug: use lower-case letters, digits, - and _"
    if slug in RESERVED_SLUGS:
        return f"the slug {slug!r} is taken by the site's own pages"
    return None


def parse_story_file(
    path: Path, root: Path, read: Reader = read_text, real_dirs: dict[str, str] | None = None
) -> StoryFile:
    """Parse one story file; raise every problem in it at once."""
    real_dirs = {} if real_dirs is None else real_dirs
    root = Path(_real_folder(str(root), real_dirs))  # source paths are checked against it
    slug = path.stem
    text = require_utf(read(path), path)
    match = _FRONT.match(text)
    if not match:
        raise DigestError("story file must start with YAML front matter between '---' lines", path, 1)
    located = load_yaml(match.group(1) or "", path, line_offset=1)
    rest = text[match.end() :]
    note = rest.strip()
    note_line = text.count("\n", 0, match.end()) + rest.count("\n", 0, len(rest) - len(rest.lstrip())) + 1
    errors: list[DigestError] = []
    problem = slug_problem(slug)
    if problem is not None:
        errors.append(DigestError(f"file name {path.name!r}: {problem}; rename the file", path, 1))
    values, found = schema.validate(located, STORY_FIELDS)
    errors.extend(found)
    tags, tag_lines = _tags(located, values.get("tags", ()), errors)
    sources: list[SourceRef] = []
    raw_sources = values.get("sources")
    if raw_sources is not None:
        if not isinstance(raw_sources, list) or not raw_sources:
            errors.append(located.error("sources: expected a non-empty list of source files", "sources"))
        else:
            named: dict[str, tuple[int, SourceRef]] = {}  # a path named without a glob: its line, its entry
            for index, item in enumerate(raw_sources):
                try:
                    refs = _source_refs(located, index, item, root, real_dirs)
                except DigestErrors as exc:
                    errors.extend(exc.errors)
                    continue
                except DigestError as exc:
                    errors.append(exc)
                    continue
                pattern = item if isinstance(item, str) else item["path"]
                if not glob.has_magic(pattern):
                    line = located.line("sources", index)
                    if refs[0].path in named:
                        first = named[refs[0].path][0]
                        errors.append(
                            DigestError(
                                f"source {pattern!r} names {refs[0].path} again (first at line {first})", path, line
                            )
                        )
                    named.setdefault(refs[0].path, (line, refs[0]))
                sources.extend(refs)
            sources = _once_each(sources, {p: ref for p, (_, ref) in named.items()})
    if errors:
        raise DigestErrors(errors)
    patterns = [item if isinstance(item, str) else item.get("path", "") for item in raw_sources or []]
    return StoryFile(
        globbed=any(glob.has_magic(str(p)) for p in patterns),
        slug=slug,
        file=path,
        sources=tuple(sources),
        title=values["title"],
        date=values["date"],
        tags=tags,
        tag_lines=tag_lines,
        note=note,
        note_line=note_line,
        note_links=note_links(note),
        draft=values["draft"],
        summary_words=values["summary_words"],
    )


# Each tag of a story is a page and a feed showing the story with all its tags, so the
# pages grow with the square of one story's tags (20,000 took 8 GB and minutes);
# news stories carry a handful. A tag's folder name must fit the file system's 255 bytes.
MAX_TAGS = 50
MAX_TAG_SLUG = 100


def _tags(
    located: Located, tags: tuple[str, ...], errors: list[DigestError]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A story's tags, each once (the first spelling kept), with their lines."""
    kept: dict[str, tuple[str, int]] = {}
    for index, tag in enumerate(tags):
        line = located.line("tags", index)
        slug = tag_slug(tag)
        if not slug:
            errors.append(DigestError(f"tags: {tag!r} has no letter or digit to name its page by", located.file, line))
        elif len(slug) > MAX_TAG_SLUG:
            shown = f"{tag[:40]}…" if len(tag) > 40 else tag
            errors.append(
                DigestError(
                    f"tags: {shown!r} is too long to name a folder by ({len(slug)} characters; at most {MAX_TAG_SLUG})",
                    located.file,
                    line,
                )
            )
        else:
            kept.setdefault(tag_identity(tag), (tag, line))
    if len(kept) > MAX_TAGS:
        line = list(kept.values())[MAX_TAGS][1]
        errors.append(
            DigestError(
                f"tags: {len(kept)} tags; a story may have at most {MAX_TAGS} "
                "(each is a page and a feed that lists the story with all its tags)",
                located.file,
                line,
            )
        )
    return tuple(tag for tag, _ in kept.values()), tuple(line for _, line in kept.values())


def _tag_clashes(story_files: list[StoryFile]) -> list[DigestError]:
    """Distinct tags whose pages would share one folder ("C++" and "C" both make
    tags/c/): each would list the other's stories, so the build refuses them."""
    first: dict[str, tuple[str, Path, int]] = {}  # slug -> the first tag seen with it
    errors = []
    for story_file in story_files:
        for tag, line in zip(story_file.tags, story_file.tag_lines, strict=True):
            slug = tag_slug(tag)
            other, file, other_line = first.setdefault(slug, (tag, story_file.file, line))
            if other != tag and tag_identity(other) != tag_identity(tag):
                where = f"line {other_line}" if file == story_file.file else f"{file}:{other_line}"
                errors.append(
                    DigestError(
                        f"tags: {tag!r} and {other!r} ({where}) would share the page tags/{slug}/; "
                        "spell them alike or rename one",
                        story_file.file,
                        line,
                    )
                )
    return errors


def _source_refs(located: Located, index: int, item: Any, root: Path, real_dirs: dict[str, str]) -> list[SourceRef]:
    if isinstance(item, str):
        located.data["sources"][index] = item = {"path": item}
    values, errors = schema.validate(located, SOURCE_FIELDS, ("sources", index))
    if errors:
        raise DigestErrors(errors)
    pattern = values["path"]
    line = located.line("sources", index)
    paths = _expand(pattern, root, located.file, line, real_dirs)
    return [SourceRef(path=p, outlet=values["outlet"], url=values["url"], published=values["published"]) for p in paths]


def _real_folder(folder: str, real_dirs: dict[str, str]) -> str:
    """``os.path.realpath`` of a folder, resolved once per load: a thousand sources
    in two hundred folders cost two hundred folder resolutions."""
    if folder not in real_dirs:
        real_dirs[folder] = os.path.realpath(folder)
    return real_dirs[folder]


def _real_path(path: str, real_dirs: dict[str, str], info: os.stat_result | None) -> str:
    """``os.path.realpath`` of a file whose lstat is ``info`` (None: none there)."""
    if info is not None and stat.S_ISLNK(info.st_mode):
        return os.path.realpath(path)
    folder, name = os.path.split(path)
    return os.path.join(_real_folder(folder, real_dirs), name)


def _expand(pattern: str, root: Path, file: Path, line: int, real_dirs: dict[str, str]) -> list[str]:
    """Resolve a source path or glob to site-relative paths that stay inside ``root``."""
    if os.path.isabs(pattern) or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise DigestError(f"source path {pattern!r} must be relative to the site root", file, line)
    globbed = glob.has_magic(pattern)
    if globbed:
        matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
        if not matches:
            raise DigestError(f"source pattern {pattern!r} matches no file", file, line)
    else:
        matches = [pattern]
    result = []
    root_text = str(root)
    for match in matches:
        path = os.path.join(root_text, match)
        try:
            info: os.stat_result | None = os.lstat(path)
        except OSError:
            info = None
        full = _real_path(path, real_dirs, info)
        if not (full == root_text or full.startswith(root_text + os.sep)):
            raise DigestError(f"source path {match!r} leads outside the site folder", file, line)
        try:
            # The lstat tells a plain file's mode; a link's is its target's.
            mode = os.stat(full).st_mode if info is None or stat.S_ISLNK(info.st_mode) else info.st_mode
        except OSError:
            raise DigestError(f"source file {match!r} not found", file, line) from None
        if stat.S_ISREG(mode):  # inside root (checked above): the rest of the path is relative to it
            result.append(full[len(root_text) + 1 :].replace(os.sep, "/"))
        elif not globbed:  # (a glob's folders are passed over)
            what = (
                f"a folder; name its files, as in '{match.rstrip('/')}/*.txt'" if stat.S_ISDIR(mode) else "not a file"
            )
            raise DigestError(f"source {match!r} is {what}", file, line)
    if not result:
        raise DigestError(f"source pattern {pattern!r} matches no file, only folders", file, line)
    return result


def _once_each(sources: Iterable[SourceRef], named: Mapping[str, SourceRef]) -> list[SourceRef]:
    """Each source once, where it first comes. A file that an entry names and a glob
    matches (to give one of the glob's files its outlet, say) is described by that
    entry, each field it leaves out taken from the glob's."""
    merged: dict[str, SourceRef] = {}
    for ref in sources:
        base = merged.get(ref.path) or named.get(ref.path, ref)
        if base is not ref and None in (base.outlet, base.url, base.published):
            base = replace(
                base,
                outlet=base.outlet or ref.outlet,
                url=base.url or ref.url,
                published=base.published or ref.published,
            )
        merged[ref.path] = base
    return list(merged.values())


def unique_sources(story_file: StoryFile) -> list[SourceRef]:
    """A story's sources, a file named twice (say, by two globs) counted once."""
    return _once_each(story_file.sources, {})


def load_story(story_file: StoryFile, root: Path, warnings: list[str], read: Reader = read_text) -> Story:
    """Read the sources of a story; duplicates count once: a file named twice, and
    a file whose text is another's (the same page saved twice would otherwise
    "confirm" every one of its facts)."""
    sources: list[RawSource] = []
    first_with: dict[str, str] = {}  # text -> the source path that had it first
    for ref in unique_sources(story_file):
        decoded = read(root / ref.path)
        if decoded.warning:
            warnings.append(decoded.warning)
        text = decoded.text
        original = first_with.setdefault(text, ref.path)
        if original != ref.path:
            warnings.append(f"{story_file.file}: {ref.path} has the same text as {original}; counted once")
            continue
        origins: tuple[int, ...] = ()
        hints: tuple[tuple[int, str, str], ...] = ()
        page = reduced(ref.path, text)
        if page is not None:
            text, origins, hints = page.text, page.origins, page.hints
        sources.append(
            RawSource(
                id=f"s{len(sources) + 1}",
                path=ref.path,
                text=text,
                outlet=ref.outlet,
                url=ref.url,
                published=ref.published,
                origins=origins,
                hints=hints,
            )
        )
    return Story(file=story_file, sources=tuple(sources))


Parser = Callable[[Path, Path, Reader, dict[str, str]], StoryFile]


def load_story_files(config: SiteConfig, read: Reader = read_text, parse: Parser | None = None) -> list[StoryFile]:
    """Parse every story file, reporting all errors together."""
    real_dirs: dict[str, str] = {}  # folder -> its real path, for this load only
    errors: list[DigestError] = []
    parsed: dict[str, StoryFile] = {}
    for path in story_files(config):
        try:
            story_file = (parse or parse_story_file)(path, config.root, read, real_dirs)
        except DigestErrors as exc:
            errors.extend(exc.errors)
            continue
        except DigestError as exc:
            errors.append(exc)
            continue
        if story_file.slug in parsed:
            errors.append(
                DigestError(
                    f"duplicate story slug {story_file.slug!r}, also used by {parsed[story_file.slug].file}",
                    path,
                )
            )
            continue
        parsed[story_file.slug] = story_file
    errors.extend(_tag_clashes(list(parsed.values())))
    if errors:
        raise DigestErrors(errors)
    return list(parsed.values())


def load_stories(config: SiteConfig, warnings: list[str], read: Reader = read_text) -> list[Story]:
    """Parse every story file and read its sources, reporting all errors together."""
    stories, errors = [], []
    for story_file in load_story_files(config, read):
        try:
            stories.append(load_story(story_file, config.root, warnings, read))
        except DigestError as exc:
            errors.append(exc)
    if errors:
        raise DigestErrors(errors)
    return stories


LOOSE_SUFFIXES = (".txt", ".md", ".html", ".htm")


# A folder as listed: its path, its modification time then (a file added, removed
# or renamed changes it), the files listed in it (site-relative) and its folders.
ListedFolder = tuple[str, int, tuple[str, ...], tuple[str, ...]]
# A folder's files as listed (site-relative, sorted), with when they were listed,
# each folder as listed (none: not to be reused) and the listed folder itself.
FileListing = tuple[tuple[str, ...], int, tuple[ListedFolder, ...], str]


def loose_paths(config: SiteConfig, story_files: list[StoryFile], listing: FileListing | None = None) -> list[str]:
    """Source files in the loose folder that no story file names (site-relative)."""
    named = {ref.path for story in story_files for ref in story.sources}
    files = (listing or list_loose(config))[0]
    return [path for path in files if path not in named]


def list_loose(config: SiteConfig, known: FileListing | None = None) -> FileListing:
    """Every file with a source's suffix in the loose folder (see list_files)."""
    return list_files(config, config.loose_dir, LOOSE_SUFFIXES, known)


def list_static(config: SiteConfig, known: FileListing | None = None) -> FileListing:
    """Every file in the static folder (see list_files), links where they are: a
    file is published at its place in the folder, not at its target's."""
    return list_files(config, config.static_dir, None, known, links_in_place=True)


def list_files(
    config: SiteConfig,
    folder: Path | None,
    suffixes: tuple[str, ...] | None,
    known: FileListing | None = None,
    links_in_place: bool = False,
) -> FileListing:
    """Every file in ``folder`` and below with one of ``suffixes`` (None: any), as
    site-relative paths; hidden files and folders (a name starting with ".") are
    passed over. Of ``known``, an earlier listing, each folder that did not change
    since is reused, so only the folders that changed are listed again (listing a
    thousand folders costs ~30 ms; looking at them, ~4; an editor saving a file by
    renaming changes its folder), and ``known`` itself is returned when none did.
    Symbolic links are followed only when they stay inside the site; a listing
    that met one is not reused, as its target can change without its folder. With
    ``links_in_place``, a link to a file is listed at its own path, and a link to
    a folder is not followed."""
    if folder is None or not folder.is_dir():
        return (), 0, (), ""
    top = os.path.realpath(folder)
    reusable = {entry[0]: entry for entry in known[2]} if known is not None and known[3] == top else {}
    root = os.path.realpath(config.root)
    found: list[str] = []
    folders: list[ListedFolder] = []
    linked = False
    listed_again = 0
    started = time.time_ns()
    # The site's own folders hold story files, pages and cache entries, no articles.
    own = {os.path.realpath(f) for f in (config.content_dir, config.output_dir, config.cache_path)}
    if top in own or os.path.exists(os.path.join(top, OUTPUT_MARKER)):
        return (), started, (), top
    pending = [top]
    seen = set(pending)  # a link back to a folder above must not loop
    while pending:
        current = pending.pop()
        try:
            mtime = os.stat(current).st_mtime_ns  # before listing it: a later change shows
        except OSError:  # (removed since its folder was listed)
            continue
        old = reusable.get(current)
        if old is not None and known is not None and old[1] == mtime and settled(mtime, known[1]):
            entry = old  # (unchanged, so still without a .digest-output file)
        elif current != top and os.path.exists(os.path.join(current, OUTPUT_MARKER)):
            continue  # a site digest built
        else:
            entry, met_link = _list_folder(current, mtime, root, suffixes, links_in_place)
            linked = linked or met_link
            listed_again += 1
        folders.append(entry)
        found.extend(entry[2])
        for sub in entry[3]:
            if sub not in seen and sub not in own:
                seen.add(sub)
                pending.append(sub)
    if known is not None and not listed_again and len(folders) == len(reusable):
        return known  # (the same folders, none changed)
    return tuple(sorted(found)), started, () if linked else tuple(sorted(folders)), top


def _list_folder(
    folder: str, mtime: int, root: str, suffixes: tuple[str, ...] | None, links_in_place: bool
) -> tuple[ListedFolder, bool]:
    """One folder's files (with one of ``suffixes``, unless None) and folders (links
    resolved, those leading out of the site left out), and whether it holds a link
    (see list_files for ``links_in_place``)."""
    files, subfolders = [], []
    linked = False
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            link = entry.is_symlink()
            linked = linked or link
            path = os.path.realpath(entry.path) if link else entry.path
            if not path.startswith(root + os.sep):
                continue  # a link out of the site: never read
            if entry.is_dir():
                if not (link and links_in_place):
                    subfolders.append(_named_in_utf8(path))
            elif entry.is_file() and (suffixes is None or os.path.splitext(entry.name)[1].lower() in suffixes):
                place = entry.path if links_in_place else path  # (folder is a real path: so is entry.path)
                files.append(_named_in_utf8(place)[len(root) + 1 :].replace(os.sep, "/"))  # inside root (see above)
    return (folder, mtime, tuple(files), tuple(subfolders)), linked


def _named_in_utf8(path: str) -> str:
    """``path``, refused when its name is not UTF-8: it becomes a page's address or a
    story's source, and Linux allows any bytes in a name (Python keeps them as
    surrogates no text can hold)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise DigestError("the name is not valid UTF-8; rename it", shown) from None
    return path


def read_loose(config: SiteConfig, path: str, read: Reader = read_text) -> str:
    """A loose article's text (a saved web page or Markdown reduced to text)."""
    text = read(config.root / path).text
    page = reduced(path, text)
    return page.text if page is not None else text


def reduced(path: str, text: str) -> PlainText | None:
    """A saved web page or Markdown article reduced to plain text, or hard-wrapped
    text joined into paragraphs, each line with the file line it came from; None
    for plain text to be read as it is."""
    if looks_like_html(path, text):
        return html_to_text(text)
    if looks_like_markdown(path):
        return markdown_to_text(text)
    return unwrapped(text)  # (None unless hard-wrapped)


def grouped_story_file(config: SiteConfig, group: Group) -> StoryFile:
    """An automatic story for a group of loose articles (title and date derived later);
    messages about it name its first article."""
    return StoryFile(
        slug=group.slug,
        file=config.root / group.members[0],
        sources=tuple(SourceRef(path=p) for p in group.members),
        loose=True,
    )
