"""The build: load, run each story through the pipeline, render, write.

config -> content -> clean -> sentences -> align -> summarize -> render -> write

Stories are independent of each other, which makes the build incremental and
parallel at the story level: each story gets a key (a hash of its story file, the
bytes of its sources, the settings and digest's code: digest/keys.py), and only
stories whose key or theme changed are consolidated or rendered again, several at
once in worker processes (digest/jobs.py). Keys, digests and what the output folder
holds are kept in the build cache (digest/cache.py), so a second ``digest build``
does only what changed. This module plans that work and puts the site together.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from digest.cache import FileHashes, ShardedMappings, Store, code_fingerprint, unpickled
from digest.content import (
    RESERVED_SLUGS,
    FileListing,
    Reader,
    grouped_story_file,
    list_loose,
    list_static,
    load_story,
    load_story_files,
    loose_paths,
    parse_story_file,
    read_loose,
    unique_sources,
)
from digest.cores import default_workers
from digest.errors import DigestError, DigestErrors
from digest.jobs import (
    JobFailure,
    JobResult,
    Progress,
    StoryJob,
    cached_renderer,
    has_text,
    held_as_is,
    in_parallel,
    left_out_warnings,
    pack,
    run_job,
    run_jobs,
    unpacked,
)
from digest.keys import listing_key, site_pages_key, story_file_hash, story_key, theme_signatures
from digest.model import (
    Group,
    LooseArticle,
    SiteConfig,
    SiteFiles,
    StoryCard,
    StoryDigest,
    StoryFile,
)
from digest.notes import broken_links
from digest.render import digest_json_path, restyled, story_page_paths
from digest.textio import FileCache, inside, read_bytes
from digest.theme import Theme, resolve_theme
from digest.write import Manifest, StagedOutput, check_replaceable, intact, output_lock

Sink = Callable[[str, bytes, str], None]  # (output path, bytes, SHA-256): takes a finished file


@dataclass(frozen=True)
class BuildResult:
    output: Path
    stories: int
    sources: int
    files: int
    seconds: float
    warnings: tuple[str, ...]
    consolidated: int = 0  # stories cleaned and summarized anew (the rest came from cache)
    rendered: int = 0  # stories whose pages were rendered anew
    written: int = 0  # files written to the output (unchanged files are left alone)
    cache_rejected: int = 0  # damaged cache entries found, dropped and rebuilt
    phases: tuple[tuple[str, float], ...] = ()  # seconds spent in each phase, in order
    drafts_left_out: int = 0  # stories marked draft, not built


# --- the incremental builder ---------------------------------------------------------


@dataclass(frozen=True)
class StoryState:
    """What the site keeps of a built story until its key or the theme changes."""

    key: str
    signature: str
    hashes: dict[str, str]  # output path -> SHA-256 of the file
    warnings: tuple[str, ...]
    sources: int
    files: dict[str, bytes] | None  # packed (see jobs.pack); None: in the output folder only (or deferred)
    card: StoryCard  # where it is listed (its listing view stays in the cache)
    deferred: DeferredPages | None = None  # rendered when first asked for (a preview's restyle)


class DeferredPages:
    """A story's files, rendered the first time one of them is asked for.

    A preview re-renders every story after a template or config edit, though the
    browser shows one page: rendering 1000 stories takes seconds, one a few
    milliseconds. A failed render (a template error) is raised to the asker and
    tried again at the next ask. (The preview asks from one thread: its event loop
    runs both the rebuilds and the requests.)"""

    def __init__(self, render: Callable[[], dict[str, bytes]]) -> None:
        self._render = render
        self._files: dict[str, bytes] | None = None

    @property
    def done(self) -> bool:
        return self._files is not None

    def files(self) -> dict[str, bytes]:
        if self._files is None:
            self._files = self._render()
        return self._files


def _held_site_page(path: str, render: Callable[[], bytes], held: dict[str, bytes]) -> dict[str, bytes]:
    """A deferred site page, rendered and packed; also kept in ``held``, the site
    pages its build holds, so that the next build keeps it (unless its key changed).
    (A later build holds others, in a dict of its own.)"""
    files = pack({path: render()})
    held.update(files)
    return files


class PagesOnDemand(Mapping[str, bytes]):
    """A site's files held in memory, packed (see jobs.pack), some stories' pages
    perhaps deferred (see DeferredPages): looking one up unpacks it, first
    rendering its story if deferred; iterating and ``in`` render nothing."""

    def __init__(self, ready: dict[str, bytes], deferred: dict[str, DeferredPages]) -> None:
        self.ready = ready
        self.deferred = deferred  # path -> its story's pages
        self._stories = list({id(pages): pages for pages in deferred.values()}.values())

    def __getitem__(self, path: str) -> bytes:
        found = self.ready.get(path)
        if found is None:
            found = self.deferred[path].files()[path]
        return unpacked(found)

    def __contains__(self, path: object) -> bool:
        return path in self.ready or path in self.deferred

    def __iter__(self) -> Iterator[str]:
        yield from self.ready
        yield from self.deferred

    def __len__(self) -> int:
        return len(self.ready) + len(self.deferred)

    def pending(self) -> list[DeferredPages]:
        """The deferred stories not rendered yet, in site order."""
        return [pages for pages in self._stories if not pages.done]


@dataclass
class BuilderState:
    """The builder's memory, as saved in the build cache between runs.

    The stories' listing views (what index pages and the feed show of each) are
    kept as cache entries of their own ("listings", one per story key and theme),
    written by whichever process renders the story and read only when the pages
    that list stories change.
    """

    code: str
    hashes: FileHashes = field(default_factory=FileHashes)
    # story file -> (hash of its bytes, the parsed file, story_file_hash of that)
    parsed: dict[str, tuple[str, StoryFile, str]] = field(default_factory=dict)
    stories: dict[str, StoryState] = field(default_factory=dict)  # slug -> state
    site_key: str = ""  # what the site-wide pages were last rendered from
    # Their output paths -> (page key (see Renderer.site), "" for static files; SHA-256 of
    # the file, "" for a page a preview has not rendered yet).
    site_pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    output: str = ""  # the output folder that ``manifest`` describes
    manifest: Manifest = field(default_factory=dict)
    described: dict[str, tuple[str, LooseArticle]] = field(default_factory=dict)  # loose file -> (hash, description)
    grouped: dict[str, str] = field(default_factory=dict)  # loose file -> the slug of its automatic story
    # Loose stories with no text, left out of the site (slug -> key): not consolidated
    # again (each preview rebuild would) until their key changes.
    left_out: dict[str, str] = field(default_factory=dict)
    loose: FileListing | None = None  # the loose folder as last listed
    static: FileListing | None = None  # ... and the static folder
    shards: dict[str, str] = field(default_factory=dict)  # the checksum of each of SHARDED's entries
    # SHA-256 of a template file -> the templates it loads (see keys.theme_signatures): Jinja
    # parses the theme's 15 templates in ~15 ms, a tenth of a no-op build.
    template_loads: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    @property
    def site_hashes(self) -> dict[str, str]:
        return {path: sha for path, (_, sha) in self.site_pages.items()}

    def sharded(self) -> dict[str, dict[str, Any]]:
        """The large mappings, saved in shards of their own (see ShardedMappings)."""
        return {"stories": self.stories, "manifest": self.manifest, "hashes": self.hashes.known}

    def unshard(self, parts: Mapping[str, dict[str, Any]]) -> None:
        """Put back what ``sharded`` gave, as loaded."""
        self.stories, self.manifest, self.hashes.known = parts["stories"], parts["manifest"], parts["hashes"]

    def __getstate__(self) -> dict[str, Any]:
        # The parsed story files are saved on their own (PARSED), only when they
        # changed: a source edit would pickle them again for nothing (14 of the
        # 32 ms a 1000-story state takes). The sharded mappings likewise.
        values = {name: value for name, value in self.__dict__.items() if name != "parsed"}
        values["hashes"] = FileHashes(changed=self.hashes.changed)
        values.update(stories={}, manifest={})
        return values

    def __setstate__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
        self.parsed = {}


def load_state(store: Store, shards: ShardedMappings | None = None) -> BuilderState | None:
    """The state the last ``digest build`` saved, with its shards; None when there is
    none, it was saved by other code, or a shard is missing, damaged or of another save."""
    state = store.load(*STATE, BuilderState)
    if state is None or state.code != code_fingerprint():
        return None
    shards = shards or ShardedMappings(store, *SHARDED)
    parts = shards.load(state.sharded(), state.shards)
    if parts is None:
        return None
    state.unshard(parts)
    return state


STATE = ("state", "builder")  # kind and key of the saved BuilderState
PARSED = ("state", "parsed")  # ... and of its parsed story files, with the code's fingerprint
SHARDED = ("state", "builder")  # ... and of the shards of its large mappings (kind, key prefix)


# Listing views a build keeps unpickled while it renders the site's pages: all of a
# site of up to this many stories (each is asked for 2-5 times; an unpickle takes
# ~35 us, a view ~48 KB), and memory bounded for a larger one.
UNPICKLED_VIEWS = 1000


class _NotListed(Exception):
    """A story's listing view that only its story's job can make again."""


@dataclass
class IncrementalBuilder:
    """Rebuilds a site, redoing only what an edit affects.

    An edited source or story file re-cleans and re-consolidates that story alone;
    an edited template or config re-renders pages without re-consolidating. The
    preview server keeps one of these alive between saves, every page's bytes in
    memory to be served; ``digest build`` loads one from the build cache, passes
    each finished story's files on to the writer (``sink``) and saves it back after
    writing.
    """

    store: Store | None = None
    state: BuilderState = field(default_factory=lambda: BuilderState(code_fingerprint()))
    # A preview's builder: after a template or config edit, stories it already
    # rendered are rendered again only when a page of theirs is asked for.
    defer_pages: bool = False
    workers: int = field(default_factory=default_workers)  # processes that consolidate stories at most
    _sources: tuple[str, ...] = ()  # every source the last build read (absolute paths)
    _digests: dict[str, tuple[str, StoryDigest]] = field(default_factory=dict)  # in memory, without a store
    # Whether, without a store, the digests are kept for the next build: not by a
    # one-shot build (--no-cache), whose 5000 digests took ~600 MB it never used.
    remember_digests: bool = True
    _files: FileCache = field(default_factory=FileCache)
    _changed: bool = False  # anything to save after this build
    _parsed_changed: bool = False  # the parsed story files among it
    # slug -> (listing key, the view pickled, the key it was made under): ~15 KB each,
    # where the view itself takes ~48 KB (240 MB at 5,000 stories), and most builds
    # unpickle only those of the few site pages they render.
    _listings: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    # This build's lstat of each source found a regular file (see _parse), for its hash.
    _statted: dict[str, os.stat_result] = field(default_factory=dict)
    skipped_loose: list[str] = field(default_factory=list)  # the last grouping's warnings
    # The loose stories this build leaves out, as _plan and the jobs find them (they
    # become BuilderState.left_out).
    _left_out: dict[str, str] = field(default_factory=dict)
    # A build without an output folder (the preview) keeps its site pages here: the
    # next one renders only those whose key changed, as a build keeps them in output (packed).
    _site_bytes: dict[str, bytes] = field(default_factory=dict)
    _listing_signature: str = ""  # this build's (see keys.ThemeSignatures)
    _shards: ShardedMappings | None = None  # how the state's large mappings were loaded (or saved) last

    def _adopt(self, path: str, sha: str) -> bool:
        """Hold a site page as the last ``digest build`` wrote it, if its output still
        has it so: a preview starting after a build of 5,000 stories would otherwise
        render its ~2,500 site pages (and unpickle each story's listing view 4 times)
        to make the same bytes."""
        found = self._built({path: sha})
        if found is not None:
            self._site_bytes[path] = pack(found)[path]
        return found is not None

    def _built(self, hashes: Mapping[str, str]) -> dict[str, bytes] | None:
        """The files with these hashes from the last ``digest build``'s output, or
        None when it no longer holds one of them as written (see intact)."""
        output = self.state.output
        if not output or not intact(hashes, self.state.manifest, Path(output)):
            return None
        files = {}
        for path, sha in hashes.items():
            try:
                with open(inside(output, path), "rb") as file:
                    data = file.read()
            except OSError:
                return None
            if hashlib.sha256(data).hexdigest() != sha:  # (changed since the look at it)
                return None
            files[path] = data
        return files

    def _holds(self, pages: Mapping[str, tuple[str, str]]) -> bool:
        """Whether memory holds each of the site's pages (see _site_bytes)."""
        return bool(pages) and all(path in self._site_bytes for path in pages)

    @property
    def source_files(self) -> frozenset[Path]:
        """Every source file the last build read (the preview server watches their folders)."""
        return frozenset(map(Path, self._sources))

    @classmethod
    def from_store(cls, store: Store, defer_pages: bool = False) -> IncrementalBuilder:
        """A builder that remembers the last ``digest build`` saved in ``store``.
        A preview's (``defer_pages``) only reads that memory, never saves it: it
        starts by deferring every story the last build made (see _defer)."""
        builder = cls(store=store, defer_pages=defer_pages, _shards=ShardedMappings(store, *SHARDED))
        state = load_state(store, builder._shards)
        if state is not None:
            builder.state = state
            # Each entry is checked against its file's hash when used, so the
            # parsed files of another (complete) build than the state's will do.
            parsed = store.load(*PARSED, tuple)
            if parsed is not None and len(parsed) == 2 and parsed[0] == state.code:
                state.parsed = parsed[1]
        return builder

    def save(self, manifest: Manifest, output: Path) -> None:
        """Remember this build (after its output was written) and drop what it no longer uses."""
        state = self.state
        if self.store is None or (not self._changed and manifest == state.manifest and not state.hashes.changed):
            return
        state.manifest, state.output = manifest, str(output)
        state.hashes.changed = False
        self.store.tag_folder()  # (entries are written without looking for it)
        if self._parsed_changed:
            self.store.save(*PARSED, (state.code, state.parsed))
            self._parsed_changed = False
        if self._shards is None:
            self._shards = ShardedMappings(self.store, *SHARDED)
        shards = self._shards.save(state.sharded())
        if shards is None:  # (a shard could not be written: the next build starts afresh)
            return
        state.shards = shards
        self.store.save(*STATE, state)
        self.store.prune("digests", {s.key for s in state.stories.values()})
        self.store.prune("listings", {s.card.listing for s in state.stories.values()})
        # (and what older versions kept there)
        self.store.prune("state", {STATE[1], PARSED[1], *self._shards.keys(state.sharded())})

    def _listing(self, slug: str, wanted: str) -> dict[str, Any] | None:
        """A story's listing view (under the listing key ``wanted``), from memory or
        the cache; None when lost."""
        if not self._listing_held(slug, wanted):
            return None
        _, pickled, made_as = self._listings[slug]
        view = unpickled(pickled, dict)
        if view is None:  # (other code's pickle under this code's key: cannot be)
            del self._listings[slug]
            return None
        return view if made_as == wanted else restyled(view)

    def _listing_held(self, slug: str, wanted: str) -> bool:
        """Whether memory holds a story's listing view, after loading it from the
        cache if need be (its pickle only)."""
        known = self._listings.get(slug)
        if known is not None and known[0] == wanted:
            return True
        found = self.store.load_pickled("listings", wanted) if self.store is not None else None
        if found is not None:
            self._listings[slug] = (wanted, found, wanted)
        return found is not None

    def _parse(self, path: Path, root: Path, read: Reader, real_dirs: dict[str, str]) -> StoryFile:
        """A story file parsed again only when its bytes changed, when it names a
        glob (new files may match), or when a source went missing or turned into a
        symbolic link (parsing reports both)."""
        digest = self.state.hashes.sha(str(path))
        cached = self.state.parsed.get(str(path))
        if digest is not None and cached is not None and cached[0] == digest and not cached[1].globbed:
            folder = str(root)
            if all(self._plain_file(inside(folder, ref.path)) for ref in cached[1].sources):
                return cached[1]
        story_file = parse_story_file(path, root, read, real_dirs)
        if digest is not None:
            self.state.parsed[str(path)] = (digest, story_file, story_file_hash(story_file))
            self._changed = self._parsed_changed = True
        return story_file

    def _plain_file(self, path: str) -> bool:
        """A regular file, not a symbolic link. The lstat that tells is kept for the
        file's hash (see _key): for a regular file it says what a stat would."""
        try:
            info = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
        self._statted[path] = info
        return True

    def build(
        self,
        config: SiteConfig,
        output: Path | None = None,
        progress: Progress | None = None,
        sink: Sink | None = None,
        stage: StagedOutput | None = None,
    ) -> tuple[SiteFiles, BuildResult]:
        """Build in memory. With ``output``, pages whose bytes that folder already
        holds (as the last build wrote them) are not rendered again. With ``sink``,
        each story's files go there as soon as the story is done, instead of into
        the returned SiteFiles (so writing overlaps with the work). With ``stage``
        (its put the sink), worker processes write their stories' files into it."""
        run = _Run(self, config, output, sink, stage)
        jobs, count = run.plan()
        run.stories(jobs, count, progress)
        return run.finish(run.site_pages())

    def _story_files(self, config: SiteConfig) -> tuple[list[StoryFile], set[str], int]:
        """The stories to build (story files, then the automatic stories of loose
        files; drafts only if asked for), every story file's path, and how many
        drafts were left out. Parsed files kept for a story file that went are dropped."""
        story_files = load_story_files(config, self._files.read, self._parse)
        story_files += [grouped_story_file(config, group) for group in self.groups(config, story_files)]
        named = {str(s.file) for s in story_files}
        if not named.issuperset(self.state.parsed):  # a story file went
            self.state.parsed = {p: v for p, v in self.state.parsed.items() if p in named}
            self._changed = self._parsed_changed = True
        if config.drafts:
            return story_files, named, 0
        published = [s for s in story_files if not s.draft]
        return published, named, len(story_files) - len(published)

    def _output_paths(self, slugs: Iterable[str]) -> set[str]:
        """Every file of the site as this build makes it: the site's pages (and files,
        once copied) and the pages of the stories ``slugs``."""
        state = self.state
        return set(state.site_pages).union(*(state.stories[slug].hashes for slug in slugs))

    def _copied_files(self, config: SiteConfig) -> dict[str, tuple[str, str]]:
        """The static folder's files, to be published as they are: output path ->
        (file, SHA-256). Hashed again only when a file's status changed, listed again
        only where a folder changed (see list_files)."""
        listing = list_static(config, self.state.static)
        if listing is not self.state.static:
            # A listing made again (as one that met a link always is) may hold what the
            # last did, but for its time: then the state has nothing new to save.
            old = self.state.static
            self._changed = self._changed or old is None or (listing[0], *listing[2:]) != (old[0], *old[2:])
            self.state.static = listing
        if not listing[0]:
            return {}
        root = os.path.realpath(config.root)
        folder = listing[3][len(root) + 1 :].replace(os.sep, "/") + "/"  # (inside the site: config checks)
        copied = {}
        for path in listing[0]:
            file = inside(root, path)
            sha = self.state.hashes.sha(file)
            if sha is not None:  # (else gone since it was listed)
                copied[path[len(folder) :]] = (file, sha)
        return copied

    def _copy(
        self,
        copied: Mapping[str, tuple[str, str]],
        made: set[str],
        earlier: Mapping[str, tuple[str, str]],
        manifest: Manifest,
        output: Path | None,
    ) -> dict[str, tuple[bytes, str]]:
        """The static folder's files to write, with their hashes: each one the output
        (or, in a preview, memory) does not hold as it is. One at the path of a page
        the site makes (``made``) is an error; one of the theme's static files is
        replaced, as an override file replaces it."""
        clashes = [
            DigestError(f"the site makes {path} itself; rename or remove this file", Path(file))
            for path, (file, _) in copied.items()
            if path in made and not path.startswith("static/")
        ]
        if clashes:
            raise DigestErrors(clashes)
        files = {}
        for path, (file, sha) in copied.items():
            held = intact({path: sha}, manifest, output) if output is not None else path in self._site_bytes
            if earlier.get(path) == ("", sha) and held:
                continue  # (kept as the last build left it)
            content = read_bytes(Path(file), limit=None)  # (copied as it is, whatever its size)
            files[path] = (content, hashlib.sha256(content).hexdigest())
        return files

    def _plan(
        self,
        config: SiteConfig,
        story_files: Sequence[StoryFile],
        signature: str,
        manifest: Manifest,
        output: Path | None,
        defer_with: Theme | None = None,
        reuse: bool = False,
    ) -> tuple[dict[str, str], Iterable[StoryJob], int]:
        """Each story's key, and the work for the stories that need some, with how
        many there are: none when its key and theme are unchanged and its pages
        are in memory or intact in the output; rendering only when its digest is
        known; else all of it (its sources are read here, every unreadable one
        reported at once, or, when worker processes do the work, read there).

        A build that knows no story from before (the first, or one after the cache
        was deleted) does all of the work for every story: then the jobs (and the
        keys) are made as the workers take them, so hashing the sources overlaps
        with consolidating the first stories.

        With ``defer_with`` (a preview's theme), a story whose digest is unchanged
        but whose pages must be rendered again is deferred (see DeferredPages).
        With ``reuse`` (files go to the output as they come, not to memory), such
        a story's digest.json that the output holds intact is not made again."""
        state = self.state
        keys: dict[str, str] = {}
        if not state.stories and in_parallel(len(story_files), self.workers):

            def every_job() -> Iterator[StoryJob]:
                for story_file in story_files:
                    key, hashes, _ = self._key(config, story_file)
                    if self._still_left_out(story_file, key):
                        continue
                    keys[story_file.slug] = key
                    yield self._job(config, story_file, key, signature, hashes, packed=not reuse)

            return keys, every_job(), len(story_files)
        needed: list[tuple[StoryFile, tuple[str, ...]]] = []  # with the source hashes of its key
        for story_file in story_files:
            slug = story_file.slug
            key, hashes, readable = self._key(config, story_file)
            if self._still_left_out(story_file, key):
                continue
            keys[slug] = key
            old = state.stories.get(slug)
            unchanged = old is not None and old.key == key and old.signature == signature and readable
            if (
                unchanged
                and old is not None
                and (old.files is not None or old.deferred is not None or intact(old.hashes, manifest, output))
            ):
                continue
            if (
                defer_with is not None
                and old is not None
                and readable
                and self._defer(config, defer_with, story_file, key, old, signature)
            ):
                continue
            needed.append((story_file, hashes))
        defer = in_parallel(len(needed), self.workers)
        jobs: list[StoryJob] = []
        errors: list[DigestError] = []
        for story_file, hashes in needed:
            slug = story_file.slug
            try:
                job = self._job(config, story_file, keys[slug], signature, hashes if defer else None, packed=not reuse)
            except DigestError as exc:
                errors.append(exc)
                continue
            old = state.stories.get(slug)
            if reuse and old is not None and old.key == keys[slug]:
                json_path = digest_json_path(slug)
                json_hash = old.hashes.get(json_path)
                if json_hash is not None and intact({json_path: json_hash}, manifest, output):
                    job = replace(job, kept=((json_path, json_hash),))
            jobs.append(job)
        if errors:
            raise DigestErrors(errors)
        return keys, jobs, len(jobs)

    def _still_left_out(self, story_file: StoryFile, key: str) -> bool:
        """Whether a loose story is one the last build left out, unchanged since."""
        if story_file.loose and self.state.left_out.get(story_file.slug) == key:
            self._left_out[story_file.slug] = key
            return True
        return False

    def _defer(
        self, config: SiteConfig, theme: Theme, story_file: StoryFile, key: str, old: StoryState, signature: str
    ) -> bool:
        """Defer rendering a story whose key is unchanged (only the theme or config
        changed, or the preview just started) and whose listing view is in memory
        or in the cache: the view depends on neither but for its feed content (left
        out, for the feeds to make again), so index pages can list the story before
        its pages exist."""
        slug = story_file.slug
        made_as = old.card.listing
        if old.key != key or not self._listing_held(slug, made_as):
            return False
        cache = self.store.folder if self.store is not None else None
        listed = listing_key(key, self._listing_signature)
        self._listings[slug] = (listed, self._listings[slug][1], made_as)  # (restyled as it is unpickled)

        # The preview just started, with the theme the last build used: its output
        # has the pages (reading them takes a tenth of rendering them). (Only a
        # state as the build left it, neither rendered here nor deferred, has
        # hashes that describe its files there.)
        as_built = old.signature == signature and old.files is None and old.deferred is None
        in_output = old.hashes if as_built else None

        def render() -> dict[str, bytes]:
            # (Closes over no old state: that would hold the pages of every earlier
            # restyle, each deferred render reaching the one before.)
            built = self._built(in_output) if in_output is not None else None
            if built is not None:
                return pack(built)
            done = run_job(self._job(config, story_file, key, signature, packed=True), config, theme, cache)
            if isinstance(done, JobFailure):
                raise done.error
            return done.files

        self.state.stories[slug] = replace(
            old,
            signature=signature,
            files=None,
            card=replace(old.card, listing=listed),
            deferred=DeferredPages(render),
        )
        return True

    def _key(self, config: SiteConfig, story_file: StoryFile) -> tuple[str, tuple[str, ...], bool]:
        """A story's key, the hashes of its sources it is made of ("": unreadable)
        and whether every source could be read."""
        root = str(config.root)
        paths = [inside(root, ref.path) for ref in unique_sources(story_file)]
        found = [self.state.hashes.sha(path, self._statted.pop(path, None)) for path in paths]
        hashes = tuple(h or "" for h in found)
        # A story file unchanged since it was parsed keeps the hash made then.
        parsed = self.state.parsed.get(str(story_file.file))
        file_hash = parsed[2] if parsed is not None and parsed[1] is story_file else story_file_hash(story_file)
        return story_key(file_hash, hashes, config.summary_words), hashes, None not in found

    def _job(
        self,
        config: SiteConfig,
        story_file: StoryFile,
        key: str,
        signature: str,
        deferred: tuple[str, ...] | None = None,
        packed: bool = False,
    ) -> StoryJob:
        """Rendering alone when the story's digest is known, else all of the work
        (its sources read here, DigestError naming each unreadable one). Given the
        source hashes the key was made of, the process that runs the job does
        either: it looks for the digest in the cache, and else reads the sources.
        ``packed``: the pages are for memory (see jobs.pack), not for the output."""
        slug = story_file.slug
        digest = None if deferred is not None and self.store is not None else self._digest(slug, key)
        listed = listing_key(key, self._listing_signature)
        if digest is not None:
            return StoryJob(story_file, digest=digest, listing=listed, signature=signature, packed=packed)
        if deferred is not None:
            return StoryJob(
                story_file,
                root=config.root,
                source_hashes=deferred,
                key=key,
                listing=listed,
                signature=signature,
                packed=packed,
            )
        warnings: list[str] = []
        story = load_story(story_file, config.root, warnings, self._files.read)
        return StoryJob(
            story_file,
            story=story,
            load_warnings=tuple(warnings),
            key=key,
            listing=listed,
            signature=signature,
            packed=packed,
        )

    def groups(self, config: SiteConfig, story_files: Sequence[StoryFile]) -> tuple[Group, ...]:
        """Loose source files (in the loose folder, named by no story file) grouped
        by event; each file is read and described again only when its bytes change."""
        self.skipped_loose = []
        listing = list_loose(config, self.state.loose)
        if listing is not self.state.loose:
            self.state.loose = listing
            self._changed = self._changed or bool(listing[2])
        paths = loose_paths(config, list(story_files), listing)
        if not paths:
            return ()
        from digest.group import describe, group_articles, keep_slugs  # only a site with loose files needs it

        articles = []
        root = str(config.root)
        for path in paths:
            digest = self.state.hashes.sha(inside(root, path))
            cached = self.state.described.get(path)
            if digest is not None and cached is not None and cached[0] == digest:
                article = cached[1]
            else:
                article = describe(path, read_loose(config, path, self._files.read))
                if digest is not None:
                    self.state.described[path] = (digest, article)
                    self._changed = True
            if article.headline:
                articles.append(article)
            else:  # no line with text: a stray file the build should not fail on
                self.skipped_loose.append(f"{path}: empty; left out of the loose articles")
        if len(self.state.described) != len(paths):
            self.state.described = {p: self.state.described[p] for p in paths if p in self.state.described}
        if not articles:
            return ()
        taken = frozenset(s.slug for s in story_files) | RESERVED_SLUGS
        groups = keep_slugs(group_articles(articles, taken), self.state.grouped, taken)
        grouped = {member: group.slug for group in groups for member in group.members}
        if grouped != self.state.grouped:
            self.state.grouped = grouped
            self._changed = True
        return groups

    def keeps(self, config: SiteConfig, group: Group) -> bool:
        """Whether a build keeps a loose group's story (see unusable): as the last one
        found, or else as cleaning and splitting it finds (without summarizing)."""
        if group.slug in self.state.left_out:
            return False
        if group.slug in self.state.stories:
            return True
        from digest.clean import clean_story
        from digest.sentences import split_source

        story = load_story(grouped_story_file(config, group), config.root, [], self._files.read)
        return has_text(map(split_source, clean_story(story.sources)))

    def _digest(self, slug: str, key: str) -> StoryDigest | None:
        """A digest computed before for exactly this key, from memory or the cache."""
        if self.store is not None:
            return self.store.load("digests", key, StoryDigest)
        cached = self._digests.get(slug)
        return cached[1] if cached is not None and cached[0] == key else None


class _Run:
    """One IncrementalBuilder.build, step by step: plan the stories' work, run it,
    render the site pages, put the files and the result together.

    The builder holds what outlasts a build (its state, the listing views, a
    preview's site pages); a run holds what its steps share, for one build.
    """

    def __init__(
        self,
        builder: IncrementalBuilder,
        config: SiteConfig,
        output: Path | None,
        sink: Sink | None,
        stage: StagedOutput | None,
    ) -> None:
        self.started = time.perf_counter()
        self.builder, self.state, self.config, self.output, self.stage = builder, builder.state, config, output, stage
        self.sink = stage.put if stage is not None else sink
        self.theme = resolve_theme(config)
        state = self.state
        builder._statted.clear()  # (a preview's builder: what an earlier build saw is stale)
        self.story_files, self.named, self.drafts_left_out = builder._story_files(config)
        root = str(config.root)
        builder._sources = tuple(inside(root, ref.path) for s in self.story_files for ref in s.sources)
        self.signatures = theme_signatures(config, self.theme, state.template_loads)
        if self.signatures.loads != state.template_loads:  # (a template edited, added or removed)
            state.template_loads = self.signatures.loads
            builder._changed = True
        self.signature = self.signatures.stories
        builder._listing_signature = self.signatures.listings
        self.copied = builder._copied_files(config)
        self.manifest = state.manifest if output is not None and state.output == str(output) else {}
        self.rejected_before = builder.store.rejected if builder.store else 0
        self.cache = builder.store.folder if builder.store is not None else None
        self.defer = builder.defer_pages and output is None and self.sink is None
        builder._left_out = {}
        self.keys: dict[str, str] = {}
        self.count = 0  # stories with work to do (see plan)
        self.loaded = self.stories_done = self.started
        # What the stories' jobs did (see record).
        self.rendering: set[str] = set()  # the stories whose files this build makes
        self.counts = {"consolidated": 0, "rendered": 0, "rejected": 0}
        self.failures: list[DigestError] = []
        self.kept_by_jobs: dict[str, str] = {}  # files jobs did not make again (StoryJob.kept)
        self.left_out_files: list[StoryFile] = []
        self.by_slug = {s.slug: s for s in self.story_files}
        # A story is on several pages (index, tags, search, feeds): the views last
        # asked for are kept, as many as keep memory bounded (see UNPICKLED_VIEWS).
        self.unpickled_views: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.most_views = UNPICKLED_VIEWS  # (fewer once the stories are done: see site_pages)
        self.site_later: dict[str, Callable[[], bytes]] = {}  # site pages deferred: path -> render
        self.early = False  # site pages rendered while the stories' jobs run (see stories)
        self.ahead: tuple[tuple[list[StoryCard], list[str]], tuple[dict[str, bytes], dict[str, str]]] | None = None

    def plan(self) -> tuple[Iterable[StoryJob], int]:
        """The stories' jobs and how many (see IncrementalBuilder._plan)."""
        self.keys, jobs, count = self.builder._plan(
            self.config,
            self.story_files,
            self.signature,
            self.manifest,
            self.output,
            self.theme if self.defer else None,
            reuse=self.sink is not None,
        )
        self.count = count
        self.loaded = time.perf_counter()
        return jobs, count

    def stories(self, jobs: Iterable[StoryJob], count: int, progress: Progress | None) -> None:
        """Run the stories' jobs (in worker processes when there are enough) and
        record each; then leave out the loose stories found to have no text."""
        builder, state, stage = self.builder, self.state, self.stage
        # When every story is known from the last build under the same key (a deploy
        # job restoring the cache but not the output; a story template edited), the
        # site pages' inputs are known before the stories' pages are made again: the
        # build process renders them while the workers render the stories (else it
        # waits, and they wait for it at the end). They are used only if the jobs
        # left those inputs as they were.
        parallel = in_parallel(count, builder.workers)
        in_advance = (
            self.sink is not None
            and self.output is not None
            and parallel
            and len(self.keys) == len(self.story_files)
            and all((old := state.stories.get(slug)) is not None and old.key == key for slug, key in self.keys.items())
        )
        if stage is not None and parallel:
            before = dict(state.stories)  # (as record replaces them)
            jobs = (
                replace(
                    job, write_to=stage.destination(before[job.file.slug].hashes if job.file.slug in before else ())
                )
                for job in jobs
            )
        done_jobs = run_jobs(jobs, count, self.config, self.theme, progress, self.cache, builder.workers)
        for done_count, (job, done) in enumerate(done_jobs, start=1):
            self.record(job, done)
            if done_count == 1 and in_advance:
                self.early = True
                try:
                    inputs = self.site_inputs()
                    self.ahead = inputs, self.render_site(*inputs)
                except _NotListed:  # (a lost listing: made again by its story once its job is done)
                    pass
                self.early = False
                self.unpickled_views.clear()  # (should the jobs change a story, its view is asked for again)
        if self.failures:
            raise DigestErrors(self.failures)
        self.stories_done = time.perf_counter()
        left_out = builder._left_out
        if left_out:
            self.left_out_files = [s for s in self.story_files if s.slug in left_out]
            self.story_files = [s for s in self.story_files if s.slug not in left_out]
            for slug in left_out:
                self.keys.pop(slug, None)
        if left_out != state.left_out:
            state.left_out = dict(left_out)
            builder._changed = True

    def record(self, job: StoryJob, done: JobResult | JobFailure) -> None:
        """What a story's job made: its state, its listing view, its files (to the sink)."""
        builder, keys = self.builder, self.keys
        if isinstance(done, JobFailure):
            if done.left_out:
                builder._left_out[job.file.slug] = keys[job.file.slug]
            else:
                self.failures.append(done.error)
            return
        slug = job.file.slug
        self.rendering.add(slug)  # its files went to the sink: not to be kept as well
        self.counts["rendered"] += 1
        self.counts["rejected"] += done.cache_rejected
        if done.consolidated:
            self.counts["consolidated"] += 1
            if done.digest is not None and builder.remember_digests:
                builder._digests[slug] = (keys[slug], done.digest)
        listed = listing_key(keys[slug], self.signatures.listings)
        builder._listings[slug] = (listed, done.listing, listed)
        if done.written is not None:
            assert self.stage is not None  # (only its jobs write)
            kept_here = dict(job.kept)
            self.stage.took({path: sha for path, sha in done.hashes.items() if path not in kept_here}, done.written)
        elif self.sink is not None:
            for path, content in done.files.items():
                self.sink(path, content, done.hashes[path])
        self.kept_by_jobs.update((path, done.hashes[path]) for path, _ in job.kept if path not in done.files)
        self.state.stories[slug] = StoryState(
            key="" if done.changed else keys[slug],  # "": made again by the next build
            signature=self.signature,
            hashes=done.hashes,
            warnings=done.warnings,
            sources=done.sources,
            files=done.files if self.sink is None else None,  # (packed: see _job)
            card=done.card,
        )

    def view(self, slug: str) -> dict[str, Any]:
        """A listing view for a page being rendered; a lost one (a damaged
        cache entry) is made again by rendering its story again."""
        views = self.unpickled_views
        found = views.get(slug)
        if found is not None:
            views.move_to_end(slug)
            return found
        builder, config = self.builder, self.config
        wanted = listing_key(self.keys[slug], self.signatures.listings)
        found = builder._listing(slug, wanted)
        if found is None:
            if self.early:
                raise _NotListed(slug)
            job = builder._job(config, self.by_slug[slug], self.keys[slug], self.signature, packed=self.sink is None)
            self.record(job, run_job(job, config, self.theme, self.cache))
            found = builder._listing(slug, wanted)
            assert found is not None  # (record held it)
        views[slug] = found
        while len(views) > self.most_views:
            views.popitem(last=False)
        return found

    def current(self, path: str, page_key: str) -> bool:
        """Whether the output (or memory) holds a site page as its key says it would be made."""
        known = self.state.site_pages.get(path)
        if known is None or known[0] != page_key:
            return False
        if self.output is not None:
            return intact({path: known[1]}, self.manifest, self.output)
        return path in self.builder._site_bytes or self.builder._adopt(path, known[1])

    def site_inputs(self) -> tuple[list[StoryCard], list[str]]:
        """What the site pages show of the stories: their cards and page paths."""
        stories = self.state.stories
        cards = [stories[slug].card for slug in self.keys]
        return cards, story_page_paths([path for slug in self.keys for path in stories[slug].hashes])

    def render_site(self, cards: list[StoryCard], paths: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
        renderer = cached_renderer(self.config, self.theme, self.cache, False, self.signatures.site)
        later = self.site_later if self.defer else None
        return renderer.site(cards, self.view, paths, self.signatures.pages, self.current, later)

    def site_pages(self) -> dict[str, bytes]:
        """The site pages and static files to write (or, in a preview, to hold),
        unless the output (or memory) holds them as this build would make them."""
        builder, state, output, keys, copied = self.builder, self.state, self.output, self.keys, self.copied
        site_key = site_pages_key(self.signatures, keys, copied)
        if output is not None:
            builder._site_bytes = {}  # (the state now describes pages written there)
        held = (
            intact(state.site_hashes, self.manifest, output) if output is not None else builder._holds(state.site_pages)
        )
        site_current = not self.count and state.site_key == site_key and held
        if len(state.stories) != len(keys):
            state.stories = {slug: s for slug, s in state.stories.items() if slug in keys}
        builder._changed = builder._changed or bool(self.count) or not site_current
        state.hashes.forget_except(set(builder._sources) | self.named | {file for file, _ in copied.values()})

        data: dict[str, bytes] = {}
        if not site_current:
            builder._listings = {slug: v for slug, v in builder._listings.items() if slug in keys}
            inputs = self.site_inputs()
            if self.ahead is not None and self.ahead[0] == inputs:
                site_files, page_keys = self.ahead[1]  # (made from what the stories' jobs made again)
            else:
                site_files, page_keys = self.render_site(*inputs)
            # The deferred pages' views are unpickled one page at a time, whenever asked.
            self.unpickled_views.clear()
            self.most_views = self.config.page_size
            data.update(site_files if self.sink is not None else pack(site_files))
            earlier = state.site_pages
            state.site_key = site_key
            state.site_pages = {
                path: (
                    page_keys.get(path, ""),
                    hashlib.sha256(site_files[path]).hexdigest()
                    if path in site_files
                    else ("" if path in self.site_later else earlier[path][1]),  # ("": not rendered yet)
                )
                for path in sorted(set(site_files) | set(page_keys))
            }
            if copied:
                made = builder._output_paths(keys)
                for path, (content, sha) in builder._copy(copied, made, earlier, self.manifest, output).items():
                    data[path] = content if self.sink is not None else held_as_is(content)
                    copied[path] = (copied[path][0], sha)
                state.site_pages.update((path, ("", sha)) for path, (_, sha) in sorted(copied.items()))
        if output is None:  # the pages not rendered again (or none), from memory
            held_now = [path for path in state.site_pages if path not in self.site_later]
            data.update({path: builder._site_bytes[path] for path in held_now if path not in data})
            builder._site_bytes = {path: data[path] for path in held_now}
        return data

    def finish(self, data: dict[str, bytes]) -> tuple[SiteFiles, BuildResult]:
        """The site's files (``data``, the stories' files, what is kept) and the build's result."""
        builder, state, keys = self.builder, self.state, self.keys
        stories = [state.stories[s.slug] for s in self.story_files]
        linking = [s for s in self.story_files if s.note_links]
        link_warnings: list[str] = []
        if linking:  # (what the site holds, against each note's links into it)
            site = builder._output_paths(keys)
            link_warnings = [w for s in linking for w in broken_links(s, site, self.config.base_url)]
        kept: dict[str, str] = {}
        deferred: dict[str, DeferredPages] = {}
        for slug, built in zip(keys, stories, strict=True):
            if built.files is not None:
                data.update(built.files)
            elif built.deferred is not None:
                deferred.update(dict.fromkeys(built.hashes, built.deferred))
            elif not (self.sink is not None and slug in self.rendering):
                kept.update(built.hashes)
        first_story = next(iter(deferred.values()), None)
        for path, render in self.site_later.items():
            deferred[path] = DeferredPages(partial(_held_site_page, path, render, builder._site_bytes))
        kept.update({path: sha for path, (_, sha) in state.site_pages.items() if path not in data and sha})
        kept.update(self.kept_by_jobs)
        rejected = (builder.store.rejected - self.rejected_before if builder.store else 0) + self.counts["rejected"]
        result = BuildResult(
            output=self.config.output_dir,
            stories=len(stories),
            sources=sum(s.sources for s in stories),
            files=sum(len(built.hashes) for built in stories) + len(state.site_pages),
            seconds=time.perf_counter() - self.started,
            warnings=(
                *builder.skipped_loose,
                *(w for s in self.left_out_files for w in left_out_warnings(s)),
                *(w for s in stories for w in s.warnings),
                *link_warnings,
            ),
            consolidated=self.counts["consolidated"],
            rendered=self.counts["rendered"],
            cache_rejected=rejected,
            drafts_left_out=self.drafts_left_out,
            phases=(
                ("load inputs, plan the work", self.loaded - self.started),  # a first build hashes later, in parallel
                ("consolidate, render, write stories", self.stories_done - self.loaded),
                ("render site pages", time.perf_counter() - self.stories_done),
            ),
        )
        if first_story is not None:
            # One story now: a template error (the usual broken edit) fails this
            # build, as without deferring; one that only some stories meet shows
            # when their pages are asked for. (The site's home page was rendered.)
            first_story.files()
        if self.sink is None:
            return SiteFiles(PagesOnDemand(data, deferred), kept), result
        digests = {path: sha for path, (_, sha) in state.site_pages.items() if path in data}
        return SiteFiles(data, kept, digests), result


def build(
    config: SiteConfig,
    strict: bool = False,
    log: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    workers: int | None = None,
) -> BuildResult:
    """Build the whole site and swap it into the output folder.

    With the cache, only stories whose inputs changed are consolidated, only
    pages whose inputs changed are rendered, and only files whose bytes changed
    are written; a failed build leaves both the output and the cache's record of
    it as they were. Another build of the same output waits until this one is done.
    ``workers``: processes that consolidate stories at most (default: a core each).
    """
    output = config.output_dir
    with output_lock(output, log):  # one build of an output at a time
        started = time.perf_counter()  # (the time waited for another build is not this one's)
        check_replaceable(output)  # fail before doing the work, not after
        builder = (
            IncrementalBuilder.from_store(Store(config.cache_path))
            if use_cache
            else IncrementalBuilder(remember_digests=False)
        )
        builder.workers = workers or builder.workers
        stage = StagedOutput(output, builder.state.manifest if builder.state.output == str(output) else {})
        try:
            files, result = builder.build(config, output, progress, stage=stage)
            if strict and result.warnings:
                raise DigestError(f"{len(result.warnings)} warning(s) with --strict; first: {result.warnings[0]}")
            writing = time.perf_counter()
            stage.keep(files.kept)
            for name, data in files.data.items():
                stage.put(name, data, files.digests.get(name))
            manifest, written = stage.commit()
        except BaseException:
            stage.abort()
            raise
        if log:
            for warning in result.warnings:
                log(f"warning: {warning}")
            if result.cache_rejected:
                log(f"note: {result.cache_rejected} damaged cache entries were dropped and rebuilt")
        saving = time.perf_counter()
        builder.save(manifest, output)
        if log and builder.store is not None and builder.store.unwritable:
            # Unsaid, every later build would silently start over.
            log(
                f"note: cannot write the build cache in {builder.store.folder} ({builder.store.unwritable}); "
                "the next build will consolidate everything again"
            )
        phases = (*result.phases, ("finish output", saving - writing), ("save cache", time.perf_counter() - saving))
    return replace(result, seconds=time.perf_counter() - started, written=written, phases=phases)
