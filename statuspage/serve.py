"""`statuspage serve`: preview on 127.0.0.1, rebuilding when a file of the site changes.

The last good build keeps being served when a rebuild fails; the error is printed
and shown on every page until the next good build.
"""

from __future__ import annotations

import http.server
import io
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from .build import build
from .cli import resolve_now
from .model import BuildError, SiteError

POLL_SECONDS = 0.5


def snapshot_mtimes(site: Path, out: Path) -> dict[str, float]:
    """Modification times of every file that can change the site, ignoring the output."""
    stamps: dict[str, float] = {}
    for folder in (site / "incidents", site / "templates"):
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    stamps[str(path)] = path.stat().st_mtime
    config = site / "statuspage.yaml"
    if config.is_file():
        stamps[str(config)] = config.stat().st_mtime
    return stamps


class State:
    """What the server shows: the last error, if the latest rebuild failed."""

    def __init__(self) -> None:
        self.error: str | None = None


def _handler(out: Path, state: State) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(out), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

        def send_head(self):  # type: ignore[no-untyped-def]
            if state.error and self.path.split("?")[0].endswith(("/", ".html")):
                body = _error_page(state.error)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)
            return super().send_head()

    return Handler


def _error_page(error: str) -> bytes:
    from html import escape

    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Build failed</title>"
        "<main><h1>The last rebuild failed</h1><p>Fix the files below; the page reloads on the next good build.</p>"
        f"<pre>{escape(error)}</pre></main></html>"
    ).encode()


def rebuild(site: Path, out: Path, now: datetime | None, state: State, quiet: bool) -> None:
    try:
        started = time.perf_counter()
        built, result = build(site, out, resolve_now(now))
        state.error = None
        if not quiet:
            took = time.perf_counter() - started
            print(f"Rebuilt: {len(built.site.records)} records, {result.written} files written in {took:.2f} s")
    except (SiteError, BuildError) as error:
        state.error = error.report() if isinstance(error, SiteError) else str(error)
        print(state.error, file=sys.stderr)
        print("Keeping the last good build.", file=sys.stderr)


def serve(site: Path, port: int, now: datetime | None, *, quiet: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="statuspage-serve-") as tmp:
        out = Path(tmp) / "site"
        state = State()
        rebuild(site, out, now, state, quiet)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(out, state))
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        print(f"Serving {site} on {url} (Ctrl-C to stop)", flush=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        stamps = snapshot_mtimes(site, out)
        try:
            while True:
                time.sleep(POLL_SECONDS)
                current = snapshot_mtimes(site, out)
                if current != stamps:
                    stamps = current
                    rebuild(site, out, now, state, quiet)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    return 0
