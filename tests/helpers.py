"""Readers for built output, a local server and Chromium, shared by the end-to-end tests."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with the SHA-256 of its bytes: equal dicts mean identical trees."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def soup(data: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(data, "html.parser")


def page(out: Path, path: str) -> BeautifulSoup:
    return soup((out / path).read_bytes())


def text(node: object) -> str:
    return " ".join(str(getattr(node, "get_text", lambda *a, **k: node)(" ", strip=True)).split())


def header_rules(out: Path) -> list[tuple[str, dict[str, str]]]:
    """Parse a Netlify / Cloudflare Pages `_headers` file into (pattern, headers)."""
    rules: list[tuple[str, dict[str, str]]] = []
    for line in (out / "_headers").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(":")
            assert name not in rules[-1][1]
            rules[-1][1][name] = value.strip()
    return rules


def headers_for(rules: list[tuple[str, dict[str, str]]], url: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for pattern, headers in rules:
        if fnmatch.fnmatchcase(url, pattern):  # a splat matches across '/', as on both hosts
            for name, value in headers.items():
                found.setdefault(name, []).append(value)
    return found


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def unavailable(reason: str) -> None:
    """Skip locally, but fail in CI (CI=true), where a skipped test would hide a broken page or client."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run; .ci/test installs what it needs)")
    pytest.skip(reason)


def require_chromium() -> str:
    """Path of Debian's Chromium binary (never a Playwright download)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        unavailable("chromium is not installed: apt-get install chromium")
    assert found is not None
    return found


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 at a free port; yields the base URL, ending in '/'."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
