"""`statuspage serve`: preview on 127.0.0.1, rebuilding when a file of the site changes.

Changes are noticed with `watchfiles` (inotify/FSEvents/ReadDirectoryChangesW through
the Rust `notify` crate), not by polling: a rebuild starts within a fraction of a
second and an idle preview costs nothing. We watch only what can change the site
(the site folder itself, `incidents/`, `templates/`), not recursively from the site
root, which is often a git checkout holding `.git` and a virtualenv.

The last good build keeps being served when a rebuild fails; the error is printed
and shown in a banner on top of every page until the next good build.
"""

from __future__ import annotations

import http.server
import io
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from html import escape
from pathlib import Path
from types import FrameType

from .build import build
from .model import BuildError, SiteError

WATCHED = ("statuspage.yaml", "incidents", "templates")


class State:
    """What the server shows: the last error, if the latest rebuild failed."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.good = False


def _banner(error: str) -> bytes:
    # No inline style: the theme's Content-Security-Policy allows only its own stylesheet.
    return (
        '<div id="statuspage-serve-error" role="alert"><p><strong>The last rebuild failed; this is the last '
        "good build.</strong> Fix the files below and save, then reload after the next good build.</p>"
        f"<pre>{escape(error)}</pre></div>"
    ).encode()


def with_banner(page: bytes, error: str) -> bytes:
    """The page with the error banner right after <body ...>, or in front when there is no body tag."""
    lower = page.lower()
    start = lower.find(b"<body")
    end = page.find(b">", start) + 1 if start >= 0 else 0
    return page[:end] + _banner(error) + page[end:]


def error_page(error: str) -> bytes:
    return (
        b"<!doctype html><html lang=en><meta charset=utf-8><title>Build failed</title><body>"
        + _banner(error)
        + b"<main><h1>No good build yet</h1></main></body></html>"
    )


def _handler(out: Path, state: State) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(out), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")  # a preview must never show a stale page
            super().end_headers()

        def send_head(self):  # type: ignore[no-untyped-def]
            error = state.error
            if error is None:
                return super().send_head()
            target = Path(self.translate_path(self.path))
            if target.is_dir():
                target = target / "index.html"
            if not self.path.split("?")[0].endswith(("/", ".html")) and target.suffix != ".html":
                return super().send_head()
            if state.good and target.is_file():
                body = with_banner(target.read_bytes(), error)
            elif not state.good:
                body = error_page(error)
            else:
                return super().send_head()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)

    return Handler


def rebuild(site: Path, out: Path, clock: Callable[[], datetime], state: State, quiet: bool) -> None:
    """Build into `out`; on failure keep its previous contents and remember the error."""
    try:
        started = time.perf_counter()
        built, result = build(site, out, clock(), cache_dir=out.parent / "cache")  # out sits in our temp folder
        state.error = None
        state.good = True
        if not quiet:
            took = time.perf_counter() - started
            print(
                f"Rebuilt: {len(built.site.records)} records, {result.written} files written in {took:.2f} s",
                flush=True,
            )
    except (SiteError, BuildError) as error:
        state.error = error.report() if isinstance(error, SiteError) else f"Error: {error}"
        print(state.error, file=sys.stderr)
        print("Keeping the last good build." if state.good else "No good build yet.", file=sys.stderr, flush=True)


def watched_paths(site: Path) -> list[Path]:
    """The site folder and every folder under incidents/ and templates/, each watched without recursion."""
    paths = [site]
    for name in WATCHED[1:]:
        folder = site / name
        if folder.is_dir():
            paths.append(folder)
            paths.extend(sorted(p for p in folder.rglob("*") if p.is_dir()))
    return paths


def is_relevant(site: Path, changed: str) -> bool:
    """Only statuspage.yaml, incidents/ and templates/ change the site; not _site/, .git or editor swap files."""
    try:
        rel = Path(changed).resolve().relative_to(site.resolve())
    except ValueError:
        return False
    if not rel.parts or rel.parts[0] not in WATCHED:
        return False
    name = rel.name
    return not (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")))


def serve(site: Path, port: int, clock: Callable[[], datetime], *, quiet: bool = False, verbose: bool = False) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); prints the real URL, also when port is 0."""
    import watchfiles

    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with tempfile.TemporaryDirectory(prefix="statuspage-serve-") as tmp:
        out = Path(tmp) / "site"
        state = State()
        rebuild(site, out, clock, state, quiet)
        out.mkdir(exist_ok=True)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(out, state))
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        print(f"Serving {site} on {url} (Ctrl-C to stop)", flush=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            while not stop.is_set():
                # A folder created under templates/ (or incidents/ itself) needs a new watch:
                # restart the watcher whenever the set of folders changes.
                paths = watched_paths(site)
                for changes in watchfiles.watch(
                    *paths,
                    watch_filter=lambda change, path: is_relevant(site, path),
                    recursive=False,
                    stop_event=stop,
                    rust_timeout=500,
                    yield_on_timeout=False,
                ):
                    if verbose:
                        for _, path in sorted(changes, key=lambda c: c[1]):
                            print(f"Changed: {path}", flush=True)
                    rebuild(site, out, clock, state, quiet)
                    if watched_paths(site) != paths:
                        break
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()
    return 0
