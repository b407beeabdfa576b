"""Content-Security-Policy (issue 8 item 1): a strict policy on every page; only our hashed script may run."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CONFIG, REPO, build_site, incident, maintenance, write_site
from helpers import CHROMIUM_ARGS, require_chromium, serve_folder, soup

FORBIDDEN_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:", "data:", "blob:"}


def policy(page: bytes) -> dict[str, list[str]]:
    """The CSP of a page as {directive: sources}; asserts there is exactly one, placed first in <head>."""
    doc = soup(page)
    metas = doc.find_all("meta", attrs={"http-equiv": lambda v: v and v.lower() == "content-security-policy"})
    assert len(metas) == 1
    meta = metas[0]
    assert meta.find_parent("head") is not None
    before = meta.find_all_previous(["script", "link", "style", "base", "img"])
    assert not before, f"{before[0].name} before the CSP is not covered by it"
    directives: dict[str, list[str]] = {}
    for part in meta["content"].split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives
            directives[words[0].lower()] = words[1:]
    return directives


def sites(tmp_path: Path) -> list[Path]:
    """The example site (with max_age, so the hashed script) and a site without it."""
    plain = tmp_path / "plain"
    write_site(plain, CONFIG, {"a": incident(), "m": maintenance()})
    outs = []
    for root, name in ((REPO, "example"), (plain, "plain")):
        out = tmp_path / f"out-{name}"
        build_site(root, out)
        outs.append(out)
    return outs


def test_strict_csp_on_every_page(tmp_path: Path) -> None:
    checked = 0
    for out in sites(tmp_path):
        for path in sorted(out.rglob("*.html")):
            data = path.read_bytes()
            csp = policy(data)
            where = path.relative_to(out)
            assert csp["default-src"] == ["'none'"], where
            assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"], where
            assert "object-src" not in csp or csp["object-src"] == ["'none'"], where
            scripts = csp["script-src"]
            assert not FORBIDDEN_SOURCES & set(scripts), where
            assert "'unsafe-inline'" not in csp.get("style-src", []), where
            assert all(s == "'self'" for s in csp["style-src"]), where
            doc = soup(data)
            for script in doc.find_all("script"):
                assert not script.get("src"), f"{where}: external script"
                digest = base64.b64encode(hashlib.sha256((script.string or "").encode()).digest()).decode()
                assert f"'sha256-{digest}'" in scripts, f"{where}: inline script not allowed by its hash"
            if not doc.find_all("script"):
                assert scripts == ["'none'"], where
            assert not doc.find_all("style"), f"{where}: <style> blocked by style-src 'self'"
            styled = [t.name for t in doc.find_all(style=True)]
            assert not styled, f"{where}: style attributes are blocked by style-src 'self': {styled}"
            handlers = [(t.name, a) for t in doc.find_all(True) for a in t.attrs if a.lower().startswith("on")]
            assert not handlers, f"{where}: inline handlers {handlers}"
            checked += 1
    assert checked > 30


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    servers: list[AbstractContextManager[str]] = []

    def serve(folder: Path) -> str:
        server = serve_folder(folder)
        servers.append(server)
        return server.__enter__()

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


def test_browser_enforces_the_policy(tmp_path: Path, served: Callable[[Path], str]) -> None:
    """An inline script that is not ours (a careless template override) is blocked; our hashed one runs."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    root = tmp_path / "site"
    write_site(root, CONFIG + "max_age: 15m\n", {"a": incident()})
    (root / "templates" / "custom").mkdir(parents=True)
    (root / "templates" / "custom" / "head.html").write_text("<script>window.__override = 1;</script>\n")
    out = tmp_path / "out"
    build_site(root, out, now=datetime(2020, 1, 1, tzinfo=UTC))  # long ago: the stale warning must show
    base = served(out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.add_init_script(
            "window.__v = []; document.addEventListener('securitypolicyviolation', "
            "e => window.__v.push(e.violatedDirective));"
        )
        page.goto(base, wait_until="load")
        assert page.evaluate("window.__override") is None
        assert page.evaluate("window.__v") == ["script-src-elem"]
        assert page.evaluate("document.getElementById('stale').hidden") is False
        browser.close()
