"""`digest serve`: build, serve from memory, rebuild on every save, reload the browser.

The site is served under the path of ``base_url`` (as GitHub Pages would), from
memory: the output folder is never written or watched, so a rebuild can never
trigger another. livereload stays behind this module (`_LiveServer`), with its
known pitfalls handled here:

* it ignores a reload within 3 s of the previous one (``DEFAULT_RELOAD_TIME``),
  which loses quick successive saves: set to 0;
* it runs the callback of every watched path that changed, so one save that
  touches several paths would build several times: callbacks only mark the
  site dirty, and one build runs per poll (one save, one build);
* its watcher stats every watched file at each poll (28 ms a scan of a
  1000-story site, every 800 ms): the system's file events are awaited instead
  (digest.watch), and livereload only asks every 50 ms whether to rebuild;
* its static file handler calls the deprecated ``utcfromtimestamp``: not used,
  files come from our WSGI app.

A broken edit keeps the last good site, prints the error once, and shows it in
the browser over the page; the next good save clears it.

After a template or config edit, stories are rendered again as their pages are
asked for (the open page first) and the rest while the server is idle, so a
restyle of a large site reloads at once; a template error found that way is
reported like a broken edit.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import html
import ipaddress
import logging
import mimetypes
import socket
import sys
import time
import webbrowser
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from digest.build import BuildResult, IncrementalBuilder, PagesOnDemand
from digest.cache import Store
from digest.config import load_config
from digest.errors import DigestError
from digest.model import SiteConfig
from digest.theme import resolve_theme

POLL_MS = 50  # how often livereload asks whether an input changed (a flag: no scan)
IDLE_RENDER_S = 0.02  # deferred pages rendered per idle poll (a story takes ~3-7 ms)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Preview:
    """The site as currently served, and the error of the last build, if any."""

    base_path: str = "/"
    files: Mapping[str, bytes] = field(default_factory=dict)
    error: str | None = None
    on_error: Callable[[str], None] | None = None  # told each new error once

    def failed(self, message: str) -> None:
        """Show ``message`` over every page until the next good build."""
        if message != self.error and self.on_error is not None:
            self.on_error(message)
        self.error = message

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:  # PEP 3333: the server has unquoted the path and hands its bytes over as Latin-1
            path = (environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8")
        except UnicodeError:
            return self._not_found(start_response)
        if path in ("/", "") and self.base_path != "/":
            return _respond(start_response, "302 Found", b"", [("Location", self.base_path)])
        if not path.startswith(self.base_path):
            return self._not_found(start_response)
        name = path[len(self.base_path) :]
        parts = name.split("/")
        if ".." in parts or "\\" in name or name.startswith("/"):
            return self._not_found(start_response)  # never leaves the site
        if name == "" or name.endswith("/"):
            name += "index.html"
        try:
            data = self.files.get(name)  # renders a deferred story's pages
        except DigestError as exc:
            self.failed(exc.location_message())
            return self._file(
                start_response, "500 Internal Server Error", "error.html", b"<!DOCTYPE html><body></body>"
            )
        if data is None and name + "/index.html" in self.files:
            return _respond(start_response, "301 Moved Permanently", b"", [("Location", quote(path) + "/")])
        if data is None:
            return self._not_found(start_response)
        return self._file(start_response, "200 OK", name, data)

    def _not_found(self, start_response: StartResponse) -> Iterable[bytes]:
        page = self.files.get("404.html", b"<!DOCTYPE html><html><head></head><body>Not found</body></html>")
        return self._file(start_response, "404 Not Found", "404.html", page)

    def _file(self, start_response: StartResponse, status: str, name: str, data: bytes) -> Iterable[bytes]:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind == "text/html":
            data = self._with_overlay(data)
        if kind.startswith("text/") or kind in ("application/json", "application/xml", "application/atom+xml"):
            kind += "; charset=utf-8"
        return _respond(start_response, status, data, [("Content-Type", kind), ("Cache-Control", "no-store")])

    def _with_overlay(self, page: bytes) -> bytes:
        if not self.error:
            return page
        overlay = (
            '<div id="digest-build-error" role="alert" style="position:fixed;inset:0;z-index:2147483647;'
            "background:rgba(20,20,20,.93);color:#fff;font:16px/1.5 monospace;padding:2rem;overflow:auto;"
            'white-space:pre-wrap"><strong>digest: the last edit did not build</strong>\n\n'
            f"{html.escape(self.error)}\n\nThe page below is the last good build. Fix the file and save.</div>"
        ).encode()
        if b"</body>" in page:
            return page.replace(b"</body>", overlay + b"</body>", 1)
        return page + overlay


def _respond(start_response: StartResponse, status: str, body: bytes, headers: list[tuple[str, str]]) -> list[bytes]:
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def base_path(config: SiteConfig) -> str:
    path = urlsplit(config.base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def watched_paths(config: SiteConfig, sources: Iterable[Path] = ()) -> list[Path]:
    """Everything that affects the site: config, stories, the folder of every
    source (``sources``, from the last build), the static folder, the theme and
    its overrides. Never the output folder."""
    paths: set[Path] = set()
    if config.config_file is not None:
        paths.add(config.config_file)
    if config.content_dir.is_dir():
        paths.add(config.content_dir.resolve())
    for folder in (config.root / "seeds", config.loose_dir, config.static_dir):  # (seeds: new files may form stories)
        if folder is not None and folder.is_dir():
            paths.add(folder.resolve())
    paths.update(source.parent for source in sources)
    try:
        theme = resolve_theme(config)
        paths.add(theme.folder)
        if theme.overrides is not None:
            paths.add(theme.overrides.resolve())
    except DigestError:
        pass
    output = config.output_dir
    kept = {p for p in paths if p != output and output not in p.parents}
    # A folder inside another watched folder is already covered: scan it once.
    return sorted(p for p in kept if not any(parent in kept for parent in p.parents))


@dataclass
class Session:
    """One `digest serve`: rebuilds on demand and reports each distinct error once."""

    config_file: Path
    preview: Preview
    log: Callable[[str], None]
    builder: IncrementalBuilder = field(default_factory=lambda: IncrementalBuilder(defer_pages=True))
    config: SiteConfig | None = None
    drafts: bool = True  # a preview shows the stories marked draft, unless told not to
    workers: int | None = None  # processes that consolidate stories at most (None: a core each)
    last_result: BuildResult | None = None
    _deferred_failed: bool = False  # a deferred render failed: wait for the next save

    def __post_init__(self) -> None:
        self.preview.on_error = lambda message: self.log(f"error: {message}")

    def rebuild(self) -> bool:
        started = time.perf_counter()
        try:
            config = load_config(self.config_file, drafts=self.drafts)
            if self.builder.store is None:
                # What the last `digest build` made: its stories' pages are rendered
                # when first asked for (and while idle), their digests taken from the cache.
                self.builder = IncrementalBuilder.from_store(Store(config.cache_path), self.builder.defer_pages)
                self.builder.workers = self.workers or self.builder.workers
            site, result = self.builder.build(config)
        except DigestError as exc:
            self.preview.failed(exc.location_message())
            return False
        # The site stays in memory between saves; keep the cyclic garbage collector
        # from sweeping it all again during every rebuild.
        gc.freeze()
        recovered = self.preview.error is not None
        # Each warning once, when it first appears (as `digest build` would say it):
        # not every one again on each save.
        said = frozenset(self.last_result.warnings) if self.last_result is not None else frozenset()
        for warning in result.warnings:
            if warning not in said:
                self.log(f"warning: {warning}")
        self.config, self.last_result = config, result
        self._deferred_failed = False
        self.preview.files = site.data
        self.preview.base_path = base_path(config)
        self.preview.error = None
        took = (time.perf_counter() - started) * 1000
        note = "fixed; " if recovered else ""
        self.log(f"{note}rebuilt in {took:.0f} ms ({result.consolidated} of {result.stories} stories consolidated)")
        return True

    def render_deferred(self, budget: float) -> bool:
        """Render deferred stories' pages for about ``budget`` seconds (the server
        is idle). A failure is reported as a broken edit's would be, once, and
        stops this until the next rebuild; returns True when one just did (the
        open page reloads to show it)."""
        files = self.preview.files
        if self._deferred_failed or not isinstance(files, PagesOnDemand):
            return False
        started = time.perf_counter()
        for pages in files.pending():
            try:
                pages.files()
            except DigestError as exc:
                self._deferred_failed = True
                self.preview.failed(exc.location_message())
                return True
            if time.perf_counter() - started >= budget:
                break
        return False


def serve(
    config_file: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    drafts: bool = True,
    workers: int | None = None,
    poll: bool = False,
) -> None:
    log = _printer()
    _can_listen(host, port)  # before the first build, which on a large site takes a while
    preview = Preview()
    session = Session(config_file, preview, log, drafts=drafts, workers=workers)
    first = session.rebuild()
    config = session.config or load_config(config_file)
    preview.base_path = base_path(config)
    if not first and not preview.files:
        # Nothing good to show yet: serve the error alone until the first good save.
        preview.files = {"index.html": b"<!DOCTYPE html><html><head><title>digest</title></head><body></body></html>"}
    if not _is_loopback(host):
        log(f"warning: serving on {host}: anyone who can reach this machine can read the preview")
    server = _LiveServer(session, config, poll)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}{preview.base_path}"
    try:
        server.start(host, port)
    except OSError as exc:
        raise _cannot_listen(host, port, exc) from None

    def listening() -> None:  # runs once the event loop has started, so the port accepts
        log(f"serving {url} (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(url)

    server.run(listening)
    log("stopped")


def _can_listen(host: str, port: int) -> None:
    """Fail as the server would, but now: binding the address's first socket (as
    the server binds it, reusing a port left in TIME_WAIT) tells."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise _cannot_listen(host, port, exc) from None


def _cannot_listen(host: str, port: int, exc: OSError) -> DigestError:
    return DigestError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); {_listen_advice(exc)}")


def _listen_advice(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address; check --host (127.0.0.1 is the default)"
    if exc.errno == errno.EACCES:
        return "ports below 1024 need privileges; choose another port with --port"
    return "choose another port with --port"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _printer() -> Callable[[str], None]:
    def log(message: str) -> None:
        print(message, flush=True, file=sys.stderr if message.startswith(("error", "warning")) else sys.stdout)

    return log


class _LiveServer:
    """livereload, configured for digest (see the module docstring); the site's
    inputs are watched by digest.watch, not by livereload's polling."""

    def __init__(self, session: Session, config: SiteConfig, poll: bool = False) -> None:
        from livereload import Server  # type: ignore[import-untyped]
        from livereload.handlers import LiveReloadHandler  # type: ignore[import-untyped]
        from livereload.watcher import Watcher  # type: ignore[import-untyped]

        from digest.watch import InputWatch

        LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
        self.session = session
        server_self = self

        class DebouncedWatcher(Watcher):  # type: ignore[misc]
            """Asked by livereload every POLL_MS what to reload: scans nothing."""

            dirty = False  # an input changed (set by the InputWatch's thread)
            pending = False  # a rebuild no open page has been told about yet

            def examine(self) -> tuple[str | None, float | None]:
                if self._changes:  # (livereload's own: the reload of pages open when it starts)
                    return self._changes.pop()  # type: ignore[no-any-return]
                if self.dirty:
                    self.dirty = False
                    server_self.session.rebuild()
                    server_self.watch_all()
                    self.pending = not LiveReloadHandler.waiters
                    return "*", None
                if server_self.session.render_deferred(IDLE_RENDER_S):
                    return "*", None  # a deferred page failed: show the error on the open page
                if self.pending and LiveReloadHandler.waiters:
                    # A page that was still connecting when the site changed.
                    self.pending = False
                    return "*", None
                return None, None

            def start(self, callback: Callable[[], None]) -> bool:
                from tornado import ioloop

                ioloop.PeriodicCallback(callback, POLL_MS).start()
                return True

        self.watcher = DebouncedWatcher()
        self.inputs = InputWatch(
            self.mark_dirty, ignored=[config.output_dir, config.cache_path], poll=poll, note=session.log
        )

        class QuietServer(Server):  # type: ignore[misc]
            def _setup_logging(self) -> None:  # digest prints its own one-line messages
                for name in ("livereload", "tornado.access", "tornado.application", "tornado.general"):
                    logging.getLogger(name).setLevel(logging.ERROR)

        self.server = QuietServer(app=session.preview, watcher=self.watcher)
        self.watch_all()

    def mark_dirty(self, path: str) -> None:
        self.watcher.dirty = True

    def watch_all(self) -> None:
        """Watch every path the current config names; new sources join as added."""
        config = self.session.config
        if config is None:
            return
        for path in watched_paths(config, self.session.builder.source_files):
            self.inputs.watch(path)

    def start(self, host: str, port: int) -> None:
        # Refuse early and clearly when the port is taken (tornado's error is opaque).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
        self.host, self.port = host, port

    def run(self, listening: Callable[[], None]) -> None:
        from tornado import ioloop

        # livereload binds the port inside serve(), just before starting the loop.
        ioloop.IOLoop.current().add_callback(listening)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                self.server.serve(host=self.host, port=self.port, debug=False, restart_delay=0)
        finally:
            self.inputs.stop()
