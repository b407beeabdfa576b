"""Headless Chromium for the browser tests: find it, serve a built site on 127.0.0.1, open pages.

Chromium is Debian's (`/usr/bin/chromium`, installed by .ci/test), driven by Playwright without its own
browser download. Missing locally: the tests skip with the reason. Missing in CI (CI=true): they fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from helpers import CHROMIUM_ARGS, require_chromium, serve_folder, unavailable


@contextmanager
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install -e '.[test]'")
    path = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


EXAMPLE_NOW = "2026-11-25T12:00:00Z"
# One page of each kind of the example site (issue 4: axe-core on every page type).
PAGE_TYPES = {
    "index": "",
    "incident": "incidents/2025-12-28-login-failures/",
    "maintenance": "incidents/2027-01-16-api-migration/",
    "history index": "history/",
    "history month": "history/2026-11/",
    "component": "components/webhooks/",
}
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def build_cli(out: Path, now: str, site: Path = REPO) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "statuspage", "build", str(site), "-o", str(out), "--now", now],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as opened:
        yield opened


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser") / "_site"
    build_cli(out, EXAMPLE_NOW)
    with serve_folder(out) as url:
        yield url


def open_page(browser: Any, url: str, **options: Any) -> tuple[Any, Any, list[str]]:
    """A fresh context and page at `url`, collecting console errors and requests leaving 127.0.0.1."""
    context = browser.new_context(**options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:")) else problems.append(r.url))
    page.goto(url)
    return context, page, problems


@pytest.fixture(scope="module")
def french_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("french")
    shutil.copytree(REPO / "incidents", root / "site" / "incidents")
    config = (REPO / "statuspage.yaml").read_text(encoding="utf-8").replace("language: en", "language: fr")
    (root / "site" / "statuspage.yaml").write_text(config, encoding="utf-8")
    build_cli(root / "_site", EXAMPLE_NOW, root / "site")
    with serve_folder(root / "_site") as url:
        yield url


def axe_violations(browser: Any, url: str, scheme: str) -> list[str]:
    """axe-core's violations on the page at `url`, one line each, after asserting a clean console."""
    if not AXE.is_file():
        unavailable(f"{AXE} missing: run `npm ci` (.ci/test does)")
    # The page's CSP allows only the stale-warning script; Playwright injects axe around it.
    context, page, problems = open_page(browser, url, color_scheme=scheme, bypass_csp=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    context.close()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert problems == []
    return violations


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_axe_finds_no_violations(browser: Any, site_url: str, kind: str, scheme: str) -> None:
    """Issue 4 §2-3: axe-core, injected into each page type, reports nothing (contrast included) in both schemes."""
    assert axe_violations(browser, site_url + PAGE_TYPES[kind], scheme) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_in_french(browser: Any, french_url: str, scheme: str) -> None:
    """Issue 4 §8: the French index (lang="fr", longer words) is as accessible as the English one."""
    assert axe_violations(browser, french_url, scheme) == []


def test_pages_fit_360px_without_horizontal_scroll(browser: Any, site_url: str) -> None:
    """Issue 4 §4: readable on a 360 px wide phone; nothing is wider than the screen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    for kind, path in PAGE_TYPES.items():
        page.goto(site_url + path)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 360, f"{kind}: page is {widths[0]} px wide"
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, f"{kind} with details open"
    context.close()


def test_every_page_usable_without_javascript(browser: Any, site_url: str) -> None:
    """Issue 4 §5: with JavaScript off, status, components, uptime days, incidents and history all work."""
    context, page, problems = open_page(browser, site_url, java_script_enabled=False)
    assert page.locator("h1").inner_text() == "Partially Degraded Service"
    webhooks = page.locator(".components > li", has=page.get_by_role("link", name="Webhooks", exact=True))
    assert "Degraded performance" in webhooks.locator(".component .status").inner_text()
    assert "uptime" in webhooks.locator(".span").inner_text()
    webhooks.locator("summary").click()  # <details> opens without script
    days = webhooks.locator(".days li")
    assert days.first.is_visible()
    days.first.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Webhook deliveries delayed"
    page.get_by_role("link", name="Webhooks").first.click()
    assert page.locator("h1").inner_text() == "Webhooks"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    assert page.locator("h1").inner_text() == "Incident history"
    page.get_by_role("link", name="December 2025").click()
    assert page.locator("h1").inner_text() == "History: December 2025"
    page.get_by_role("link", name="Users unable to log in on the web").click()
    assert page.get_by_role("heading", name="Postmortem").is_visible()
    assert page.locator("#stale").is_hidden()  # the warning needs script; without it nothing shows
    context.close()
    assert problems == []


def test_dark_scheme_applies(browser: Any, site_url: str) -> None:
    """Issue 4 §2: `prefers-color-scheme: dark` switches to the dark palette."""
    colours = {}
    for scheme in ("light", "dark"):
        context, page, problems = open_page(browser, site_url, color_scheme=scheme)
        colours[scheme] = page.evaluate(
            "() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
        )
        context.close()
        assert problems == []
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(31, 35, 40)"]
    assert colours["dark"] == ["rgb(13, 17, 23)", "rgb(230, 237, 243)"]


def test_focus_is_visible_and_skip_link_works(browser: Any, site_url: str) -> None:
    """Issue 4 §2-3: the first Tab shows the skip link with an outline; following it moves to main."""
    context, page, _ = open_page(browser, site_url)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();"
        " return [e.className, s.outlineStyle, s.outlineWidth, r.left >= 0 && r.width > 0]; }"
    )
    assert focused == ["skip", "solid", "3px", True]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    context.close()


def test_print_stylesheet_hides_navigation(browser: Any, site_url: str) -> None:
    """Issue 4 §4: printing drops navigation and keeps the status."""
    context, page, _ = open_page(browser, site_url)
    page.emulate_media(media="print")
    assert page.locator("header nav").is_hidden()
    assert page.locator(".bars").first.is_hidden()  # backgrounds do not print; the percentage does
    assert page.locator(".span").first.is_visible()
    assert page.locator("h1").is_visible()
    context.close()


def test_stale_warning_shown_for_old_build_absent_for_fresh(browser: Any, tmp_path: Path) -> None:
    """Issue 4 §6: the example's max_age is 30 minutes; a page built hours ago warns, a fresh one does not."""
    now = datetime.now(UTC).replace(microsecond=0)
    seen = {}
    for name, built in (("old", now - timedelta(hours=3)), ("fresh", now)):
        out = tmp_path / name
        build_cli(out, built.isoformat())
        with serve_folder(out) as url:
            context, page, problems = open_page(browser, url)
            seen[name] = page.locator("#stale").is_visible()
            if seen[name]:
                assert "out of date" in page.locator("#stale").inner_text()
            context.close()
        assert problems == []  # the inline script ran under the CSP: no violation reported
    assert seen == {"old": True, "fresh": False}


def test_no_external_requests(browser: Any, site_url: str) -> None:
    """Issue 4 §7: no web fonts, no CDN: every request of the index stays on the site."""
    context, page, problems = open_page(browser, site_url)
    page.wait_for_load_state("networkidle")
    context.close()
    assert problems == []
