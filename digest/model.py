"""The data that flows through the pipeline, one frozen type per stage boundary.

Read top to bottom as the data flows:

    SiteConfig, StoryFile -> Story (RawSource...) -> CleanSource -> SplitSource
    -> Claim -> StoryDigest -> SiteFiles

Every stage is a pure function from one of these types to the next, so a stage can
be tested, cached or run in another process without touching the others. Each type
keeps the evidence for its decisions (why a line was removed, which sentences
support a claim and how well) because users see that evidence on the site and in
``digest.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

# --- configuration and content files ---------------------------------------------


# The file that marks a folder as one digest built (and may replace or delete).
OUTPUT_MARKER = ".digest-output"


class Extra(dict[str, Any]):
    """The ``extra`` settings, for templates (``site.extra``): YAML's values as given.
    Hashed by content, as a frozen SiteConfig holding it must be (one Jinja
    environment per config and theme is kept); nothing changes it once loaded."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(json.dumps(self, sort_keys=True, default=str))


@dataclass(frozen=True)
class SiteConfig:
    """The validated contents of ``digest.yml`` (see ``digest/config.py``)."""

    root: Path
    config_file: Path | None
    title: str = "Digest"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    theme: str = "default"
    theme_overrides: str | None = None
    summary_words: int = 250
    output: str = "output"
    content: str = "content"
    page_size: int = 20
    feed_size: int = 50
    cache_dir: str = ".digest-cache"
    loose_folder: str = "seeds"
    static_folder: str = "static"  # files copied into the site as they are ("": none)
    drafts: bool = False  # build stories marked draft (`digest build --drafts`; a preview does)
    extra: Extra = field(default_factory=Extra)

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    @property
    def content_dir(self) -> Path:
        return self.root / self.content

    @property
    def loose_dir(self) -> Path | None:
        return self.root / self.loose_folder if self.loose_folder else None

    @property
    def static_dir(self) -> Path | None:
        return self.root / self.static_folder if self.static_folder else None

    @property
    def cache_path(self) -> Path:
        return (self.root / self.cache_dir).resolve()


@dataclass(frozen=True)
class SourceRef:
    """One entry of a story file's ``sources`` list, globs already expanded."""

    path: str  # relative to the site root, forward slashes
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None


@dataclass(frozen=True)
class StoryFile:
    """A parsed ``content/<slug>.md``: front matter plus the editor's note."""

    slug: str
    file: Path
    sources: tuple[SourceRef, ...]
    title: str | None = None
    date: dt.date | None = None
    tags: tuple[str, ...] = ()  # each once, in the order given
    tag_lines: tuple[int, ...] = ()  # each tag's line in the file, for errors naming two files
    note: str = ""  # Markdown
    note_line: int = 0  # the file line the note starts on
    note_links: tuple[tuple[str, int], ...] = ()  # its link and image addresses, with their note lines (from 0)
    globbed: bool = False  # a source entry is a pattern: new files may match it later
    draft: bool = False  # left out of the site unless the build asks for drafts
    summary_words: int | None = None  # this story's length target (else the site's)
    loose: bool = False  # an automatic story of loose articles: no story file asked for it


# --- loaded sources ---------------------------------------------------------------


@dataclass(frozen=True)
class PlainText:
    """A source's text as the cleaner reads it, where the file is not that text as it
    is: a saved web page, a Markdown article, hard-wrapped text (see content.reduced)."""

    text: str  # one block per line, blocks separated by blank lines
    origins: tuple[int, ...]  # for text line i (1-based), origins[i - 1] is its line in the file
    hints: tuple[tuple[int, str, str], ...]  # what the markup says of a line: (text line, kind, reason)


@dataclass(frozen=True)
class RawSource:
    """A source article as read from disk, decoded to text with ``\\n`` line ends."""

    id: str  # stable within a story: "s1", "s2", ... in story-file order
    path: str
    text: str
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None
    # For text reduced from the file (see PlainText): the file line of each text
    # line, and the page structure's hints as (text line, kind, reason).
    origins: tuple[int, ...] = ()
    hints: tuple[tuple[int, str, str], ...] = ()

    def file_line(self, text_line: int) -> int:
        """The line in the user's file that a line of ``text`` came from."""
        if self.origins and 0 < text_line <= len(self.origins):
            return self.origins[text_line - 1]
        return text_line

    @property
    def name(self) -> str:
        """What readers see when no outlet is named: the file's stem."""
        return self.outlet or Path(self.path).stem


@dataclass(frozen=True)
class Story:
    """A story file with its sources loaded."""

    file: StoryFile
    sources: tuple[RawSource, ...]


# --- group (loose articles) ---------------------------------------------------------


@dataclass(frozen=True)
class LooseArticle:
    """What grouping looks at in a source file no story file names."""

    path: str  # relative to the site root
    headline: str
    lead: str  # the first prose paragraphs
    terms: frozenset[str]  # names, places and numbers of headline and lead, in matching form
    days: frozenset[str]  # calendar days mentioned there, as "month-day"
    date: dt.date | None  # a publication date printed near the top, if any


@dataclass(frozen=True)
class Group:
    """Loose articles judged to report one event: an automatic story."""

    slug: str
    title: str
    members: tuple[str, ...]  # paths, earliest article first
    date: dt.date | None
    links: tuple[tuple[str, str, float], ...] = ()  # (path, path, score) pairs that joined it


# --- clean --------------------------------------------------------------------------


@dataclass(frozen=True)
class Removed:
    """A line the cleaner kept out of the body, and why."""

    line: int  # 1-based line number in the source file
    text: str
    reason: str
    kind: str  # machine-readable class: "navigation", "caption", "related", ...


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int  # 1-based line number in the source file


@dataclass(frozen=True)
class CleanSource:
    """A source reduced to headline, metadata and body paragraphs."""

    raw: RawSource
    title: str | None
    paragraphs: tuple[Paragraph, ...]
    removed: tuple[Removed, ...]
    byline: str | None = None
    date: dt.date | None = None
    title_line: int | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


# --- sentences ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    source: str  # RawSource.id
    index: int  # 1-based position in the source's body; also its anchor "s<index>"
    paragraph: int  # 0-based paragraph number in the cleaned body
    text: str


@dataclass(frozen=True)
class SplitSource:
    clean: CleanSource
    sentences: tuple[Sentence, ...]

    @property
    def id(self) -> str:
        return self.clean.raw.id


# --- align --------------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    """One source sentence that states a claim, with its similarity to the claim."""

    source: str
    sentence: int
    text: str
    score: float  # 0-100, similarity to the claim's representative sentence


@dataclass(frozen=True)
class Claim:
    """Sentences from different sources that state the same fact.

    ``members`` holds at most a few sentences per source, ordered by source id and
    sentence index; ``representative`` is the member the summary would quote.
    """

    id: str
    members: tuple[Support, ...]
    representative: Support
    position: float  # mean relative position of the members in their sources, 0..1
    # Sentences of sources the claim lacks that score at least LINK with a member,
    # with their best such score: the aligner kept them apart (each joined another
    # claim, or the average with all members fell short), yet they may state the
    # sentence the summary prints, and then are cited too.
    linked: tuple[Support, ...] = ()

    @cached_property  # asked for often while summarizing; members never change
    def source_ids(self) -> tuple[str, ...]:
        return tuple(sorted({m.source for m in self.members}, key=_source_order))


def _source_order(source_id: str) -> tuple[int, str]:
    digits = source_id.lstrip("s")
    return (int(digits), source_id) if digits.isdigit() else (1 << 30, source_id)


# --- summarize ----------------------------------------------------------------------


@dataclass(frozen=True)
class SummarySentence:
    id: str
    text: str
    claim: str  # Claim.id
    paragraph: int  # 0-based summary paragraph
    supports: tuple[Support, ...]  # every source sentence that states it


@dataclass(frozen=True)
class Variant:
    """One outlet's wording in a "where sources differ" entry."""

    source: str
    sentence: int
    text: str
    values: tuple[str, ...]  # the numbers, names or quotes that disagree


@dataclass(frozen=True)
class Difference:
    claim: str
    kind: str  # "numbers", "names", "quotation"
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class SingleSourceFact:
    """A notable fact only one outlet reports ("Only in ...")."""

    source: str
    sentence: int
    text: str


@dataclass(frozen=True)
class Decision:
    """Why the summarizer kept or skipped a claim, for ``digest.json``."""

    claim: str
    outlets: int
    selected: bool
    reason: str


@dataclass(frozen=True)
class StoryDigest:
    """Everything the renderer needs for one story. Its sources carry what was
    cleaned from them, not the raw article (``RawSource.text`` is empty there): only
    the cleaner reads that, and the build cache keeps digests."""

    slug: str
    title: str
    date: dt.date | None
    note: str
    tags: tuple[str, ...]
    sources: tuple[SplitSource, ...]
    claims: tuple[Claim, ...]
    summary: tuple[SummarySentence, ...]
    differences: tuple[Difference, ...] = ()
    only_in: tuple[SingleSourceFact, ...] = ()
    decisions: tuple[Decision, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    draft: bool = False

    def source(self, source_id: str) -> SplitSource:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


@dataclass(frozen=True)
class StoryCard:
    """What decides where a story is listed: the order of index pages, its tag
    pages. ``listing`` is the content key of its listing view (what those pages
    show of it), so a page's inputs can be compared without loading any view."""

    slug: str
    date: str | None  # ISO date, as in the views
    tags: tuple[str, ...]
    listing: str
    # For the pages that list every story (archives, search) without loading its view:
    title: str = ""
    lead: str = ""
    outlets: tuple[str, ...] = ()
    draft: bool = False


# --- write ------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFiles:
    """Every file of a built site, by output-relative path.

    ``data`` holds the bytes of files rendered by this build. ``kept`` names files
    a previous build wrote that stay exactly as they are (path -> SHA-256): the
    build knew their content had not changed and did not render them again.
    ``digests`` holds the SHA-256 the build already took of files in ``data``,
    so the writer need not hash them again.
    """

    data: Mapping[str, bytes]
    kept: Mapping[str, str] = field(default_factory=dict)
    digests: Mapping[str, str] = field(default_factory=dict)

    @property
    def paths(self) -> set[str]:
        return set(self.data) | set(self.kept)
