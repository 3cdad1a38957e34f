"""The command line: parses arguments and calls the build. Nothing else lives here."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from digest import __version__
from digest.config import find_config, load_config
from digest.errors import DigestError
from digest.model import SiteConfig

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn DigestError into a one-line message and exit status 1 (traceback with --debug)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except DigestError as exc:
            if debug:
                raise
            for line in exc.location_message().splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; the previous output is unchanged", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (digest build | head): nothing to say to it
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so the final flush cannot fail again)
            sys.exit(1)
        except Exception as exc:  # a bug in digest, not in the user's input
            if debug:
                raise
            click.echo(f"error: internal error ({type(exc).__name__}: {exc}); run with --debug for details", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _config(config_file: Path | None, **overrides: Any) -> SiteConfig:
    path = config_file if config_file is not None else find_config(Path.cwd())
    return load_config(path, **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """digest: one cited summary per story, from several outlets' articles."""


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Site config file (default: ./digest.yml).",
)


jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help=(
        "Worker processes that consolidate stories at most"
        " (default: one per CPU core this process may use, as many as its memory holds; 1: none)."
    ),
)


@main.command()
@config_option
@click.option("--output", type=str, help="Output folder (default from digest.yml: output).")
@click.option("--base-url", type=str, help="Deployed site URL, for feed, sitemap and canonical links.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--drafts", is_flag=True, help="Build the stories marked 'draft: true' too.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--no-cache", is_flag=True, help="Ignore the build cache: consolidate and write everything.")
@click.option("--timings", is_flag=True, help="Print the time each phase of the build took.")
@jobs_option
@reports_errors
def build(
    config_file: Path | None,
    output: str | None,
    base_url: str | None,
    strict: bool,
    drafts: bool,
    quiet: bool,
    no_cache: bool,
    timings: bool,
    jobs: int | None,
) -> None:
    """Build the site into the output folder."""
    from digest.build import build as run_build
    from digest.jobs import collect_rarely
    from digest.progress import ProgressBar

    collect_rarely()
    signal.signal(signal.SIGTERM, _stop_as_interrupted)

    if output is not None:
        output = str(Path(output).resolve())
    config = _config(config_file, output=output, base_url=base_url, drafts=drafts or None)
    bar = ProgressBar(sys.stderr) if not quiet and sys.stderr.isatty() else None

    def log(message: str) -> None:
        if bar is not None:
            bar.close()  # a warning starts on a line of its own
        click.echo(message, err=True)

    try:
        result = run_build(
            config, strict=strict, log=None if quiet else log, progress=bar, use_cache=not no_cache, workers=jobs
        )
    finally:
        if bar is not None:
            bar.close()
    if not quiet:
        redone = (
            f"{result.consolidated} consolidated, {result.rendered} rendered, {_count(result.written, 'file')} written"
        )
        click.echo(
            f"built {_count(result.stories, 'story', 'stories')}, {_count(result.sources, 'source')}"
            f" in {result.seconds:.1f} s ({redone}) -> {result.output}"
        )
        if result.drafts_left_out:
            click.echo(f"{_count(result.drafts_left_out, 'draft')} left out (--drafts builds them too)")
    if timings:
        for phase, seconds in result.phases:
            click.echo(f"  {phase:32s} {seconds:7.2f} s")


def _stop_as_interrupted(signum: int, frame: object) -> None:
    """``kill`` or a cancelled CI job (SIGTERM) stops a build as Ctrl-C does: the
    new site's staging folder is removed and the previous output stays; by default
    the process would end at once, leaving that to the next build."""
    raise KeyboardInterrupt


def _count(number: int, one: str, many: str | None = None) -> str:
    """ "1 story", "2 stories": the summary line reads as a sentence."""
    return f"{number} {one if number == 1 else many or one + 's'}"


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--copy-theme", is_flag=True, help="Copy the default theme into themes/ to edit it.")
@reports_errors
def init(folder: Path, copy_theme: bool) -> None:
    """Create a new site in FOLDER that builds immediately."""
    from digest.scaffold import init_site

    created = init_site(folder, copy_theme=copy_theme)
    click.echo(f"created {len(created)} files in {folder}; next: cd {folder} && digest build")


@main.command()
@click.argument("slug")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@config_option
@reports_errors
def new(slug: str, files: tuple[Path, ...], config_file: Path | None) -> None:
    """Write content/SLUG.md for the source FILES."""
    from digest.scaffold import new_story

    config = _config(config_file)
    path = new_story(config.root, config.content_dir, slug, list(files))
    click.echo(f"wrote {path}")


@main.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@click.option(
    "--drafts/--no-drafts", default=True, show_default=True, help="Show the stories marked 'draft: true' too."
)
@click.option(
    "--poll",
    is_flag=True,
    help="Look for changed files every 0.5 s instead of waiting for the system's file events"
    " (for file systems that send none: network shares, some container mounts).",
)
@jobs_option
@reports_errors
def serve(
    config_file: Path | None, host: str, port: int, open_browser: bool, drafts: bool, poll: bool, jobs: int | None
) -> None:
    """Preview the site with live reload; rebuilds on every save."""
    from digest.serve import serve as run_serve

    path = config_file if config_file is not None else find_config(Path.cwd())
    run_serve(path, host=host, port=port, open_browser=open_browser, drafts=drafts, workers=jobs, poll=poll)


@main.command()
@config_option
@click.option("--write", is_flag=True, help="Write a story file to the content folder for each group.")
@reports_errors
def group(config_file: Path | None, write: bool) -> None:
    """Show how loose source files group into stories (and write them with --write)."""
    from digest.build import IncrementalBuilder
    from digest.cache import Store
    from digest.content import load_story_files
    from digest.scaffold import write_group

    config = _config(config_file)
    story_files = load_story_files(config)
    builder = IncrementalBuilder.from_store(Store(config.cache_path))
    groups = builder.groups(config, story_files)
    for warning in builder.skipped_loose:
        click.echo(f"warning: {warning}", err=True)
    if not groups:
        click.echo(f"no loose source files in {config.loose_folder or '(loose_folder is off)'}")
        return
    for found in groups:
        size = f"{len(found.members)} articles" if len(found.members) > 1 else "one article only"
        click.echo(f"{found.slug}  ({size})  {found.title}")
        for member in found.members:
            click.echo(f"    {member}")
        if not builder.keeps(config, found):  # (a story file of it would fail the build)
            click.echo("  a build leaves it out: no article text (empty or all clutter)")
        elif write:
            click.echo(f"  -> wrote {write_group(config, found)}")


@main.command()
@config_option
@reports_errors
def clean(config_file: Path | None) -> None:
    """Remove the output folder (only if digest made it) and the build cache."""
    from digest.cache import remove_cache
    from digest.write import clean_output, output_lock

    config = _config(config_file)
    with output_lock(config.output_dir, lambda message: click.echo(message, err=True), make=False):  # not mid-build
        for folder, remove in ((config.output_dir, clean_output), (config.cache_path, remove_cache)):
            click.echo(f"removed {folder}" if remove(folder) else f"nothing to remove at {folder}")


def run() -> None:
    """The ``digest`` command: ``main``, then an exit that skips tearing down the
    interpreter. Freeing a large site's objects one by one costs ~25 ms, a twentieth
    of a one-story edit, and nothing is left to clean up by then (worker pools
    are shut down and output is written when ``main`` returns)."""
    try:
        main()
        status: int | str | None = 0
    except SystemExit as exc:
        status = exc.code
    if isinstance(status, str):  # sys.exit("message") prints it
        print(status, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (digest build | head) or stream
            status = status or 1
    os._exit(status or 0)
