"""Script never runs (issue 8 item 1): every payload of tests/data/xss.txt in every user-controlled text field.

The site is built once with each payload as a component name, group and description, a record
title, update message and postmortem, and all of them in the site title and description. Then
EVERY output file is scanned by its type, so outputs added later (API, badges, calendar) are
covered without touching this file:

- *.html: loaded in headless Chromium with the CSP bypassed (so the sanitiser alone must hold),
  no dialog may open, no payload global may be set, no request may leave 127.0.0.1, and the live
  DOM may hold no event-handler attribute, script, frame, object, base, form, refresh or
  javascript:/vbscript:/data:text/html URL; then with the CSP on, no violation may be reported.
- *.atom, *.rss, *.xml, *.svg: parsed as XML (no entities, no network): no script element,
  on* attribute or script URL; HTML carried escaped in feed content is unescaped and checked too.
  SVG files are also opened directly in Chromium.
- *.json: parsed; string values of HTML-bearing keys (name contains "html") are checked as HTML,
  and no string may be a script URL.
- *.ics: no URL property with a script scheme.
- _headers: no input text in its patterns or values.

base_url is input too: it carries a quote-and-script breakout, which must stay inside attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from lxml import etree

from statuspage.render import STALE_SCRIPT

from conftest import NOW, build_site, write_site
from helpers import CHROMIUM_ARGS, header_rules, require_chromium, serve_folder, soup, text

DATA = Path(__file__).resolve().parent / "data" / "xss.txt"
XML_TYPES = {".atom", ".rss", ".xml", ".svg"}
PASSIVE_TYPES = {".css", ".png", ".ico", ".woff", ".woff2", ".txt", ".webmanifest"}
SCRIPT_URL = re.compile(r"^(javascript|vbscript|livescript|data:text/html|data:application/(x|xhtml))", re.I)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href", "codebase"}
BAD_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "portal"}
HTML_CONTENT = {"content", "summary", "description", "encoded", "title", "subtitle", "rights"}


def load_payloads() -> list[str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("#")]


PAYLOADS = load_payloads()


def q(value: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is a subset of it."""
    return json.dumps(value, ensure_ascii=False)


PARAGRAPH = "\n\n"
BASE_URL = "https://status.example.com/a\"'><script>alert(1)</script><x a=/"  # a valid URL, and a breakout
CHUNK = 4  # payloads per component and per record: every payload still reaches every field, in fewer pages


def chunks() -> list[list[str]]:
    return [PAYLOADS[i : i + CHUNK] for i in range(0, len(PAYLOADS), CHUNK)]


def hostile_site(root: Path) -> Path:
    """A valid site with every payload in every text field; records cover every state a page shows.

    Plain-text fields (names, titles, groups) hold a chunk of payloads joined by spaces; Markdown
    fields hold one payload per update message, and the chunk as paragraphs in descriptions and
    postmortems, so one payload's unclosed construct cannot hide the next from the sanitiser.
    """
    components = "".join(
        f"  - id: c{i}\n    name: {q(' '.join(c))}\n    group: {q('Group ' + ' '.join(c))}\n"
        f"    description: {q(PARAGRAPH.join(c))}\n"
        for i, c in enumerate(chunks())
    )
    config = (
        f"title: {q(' '.join(PAYLOADS[:40]))}\ndescription: {q(' '.join(PAYLOADS[40:]))}\n"
        f"base_url: {q(BASE_URL)}\nmax_age: 30m\ncomponents:\n" + components
    )
    incidents = {}
    for i, chunk in enumerate(chunks()):
        title = q(" ".join(chunk))
        state = i % 4
        if state == 3:  # maintenance: active or upcoming, with an in_progress step for some
            start, end = (
                ("2026-11-25T11:00:00Z", "2026-11-25T13:00:00Z")
                if i % 8 == 3
                else ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
            )
            steps = "".join(
                f"  - at: 2026-11-20T0{n}:00:00Z\n"
                f"    status: {'in_progress' if n == 3 and i % 8 == 3 else 'scheduled'}\n"
                f"    message: {q(p)}\n"
                for n, p in enumerate(chunk)
            )
            incidents[f"r{i:03d}"] = (
                f"kind: maintenance\ntitle: {title}\ncomponents:\n  c{i}: under_maintenance\n"
                f"window:\n  start: {start}\n  end: {end}\nupdates:\n{steps}"
            )
            continue
        month = f"2026-{1 + i % 11:02d}" if state == 2 else "2026-11"  # spread over history months
        statuses = ["investigating", "identified", "monitoring", "resolved" if state == 1 else "monitoring"]
        body = "".join(
            f"  - at: {month}-25T09:{10 * n:02d}:00Z\n    status: {statuses[n]}\n    message: {q(p)}\n"
            for n, p in enumerate(chunk)
        )
        postmortem = f"postmortem: {q(PARAGRAPH.join(chunk))}\n" if state == 1 else ""
        incidents[f"r{i:03d}"] = (
            f"title: {title}\nimpact: {('minor', 'major', 'critical', 'none')[i % 4]}\n"
            f"components:\n  c{i}: {('degraded_performance', 'partial_outage', 'major_outage')[i % 3]}\n"
            f"updates:\n{body}{postmortem}"
        )
    return write_site(root, config, incidents)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("xss")
    root = hostile_site(base / "site")
    build_site(root, base / "_site", now=NOW)
    return base / "_site"


def files_of(out: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in suffixes)


# --- static checks shared by HTML, feed content and JSON -------------------------------------------


def normalise_url(value: str) -> str:
    """What a browser would see as the scheme: whitespace and controls anywhere are ignored."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


def html_dangers(doc: BeautifulSoup, where: str, own_scripts: frozenset[str] = frozenset()) -> list[str]:
    """Every element or attribute in parsed HTML that could run script, as readable findings."""
    found = []
    for tag in doc.find_all(True):
        name = tag.name.lower().split(":")[-1]
        if name == "script" and tag.string in own_scripts and not tag.get("src"):
            continue
        if name in BAD_ELEMENTS:
            found.append(f"{where}: <{name}> element")
        if name == "meta" and str(tag.get("http-equiv", "")).lower() == "refresh":
            found.append(f"{where}: meta refresh")
        for attr, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower().startswith("on"):
                found.append(f"{where}: <{name} {attr}=…> event handler")
            if attr.lower() == "srcdoc":
                found.append(f"{where}: <{name} srcdoc>")
            if attr.lower() in URL_ATTRIBUTES and SCRIPT_URL.match(normalise_url(value)):
                found.append(f"{where}: <{name} {attr}={value[:40]!r}>")
    return found


def xml_dangers(path: Path, out: Path) -> list[str]:
    """Script-capable XML constructs, including inside the HTML that feeds carry escaped."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    tree = etree.parse(str(path), parser)
    rel = path.relative_to(out).as_posix()
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        name = etree.QName(element).localname.lower()
        if name == "script":
            found.append(f"{rel}: <script> element")
        if name in ("foreignobject", "iframe", "embed", "object"):
            found.append(f"{rel}: <{name}> element")
        for attr, value in element.attrib.items():
            local = etree.QName(attr).localname.lower()
            if local.startswith("on"):
                found.append(f"{rel}: <{name} {local}=…>")
            if SCRIPT_URL.match(normalise_url(value)):
                found.append(f"{rel}: <{name} {local}={value[:40]!r}>")
        if SCRIPT_URL.match(normalise_url(element.text or "")) and name in ("link", "id", "guid", "uri", "url"):
            found.append(f"{rel}: <{name}> {element.text[:40]!r}")
        in_item = element.getparent() is not None and etree.QName(element.getparent()).localname == "item"
        is_html = element.get("type") in ("html", "xhtml") or (name == "description" and in_item)
        if (name in HTML_CONTENT and is_html) or name == "encoded":
            markup = (
                element.text or "" if element.get("type") != "xhtml" else etree.tostring(element, encoding="unicode")
            )
            found += html_dangers(soup(markup), f"{rel} <{name}> content")
    return found


def json_strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v, key)
    elif isinstance(value, str):
        yield key, value


# --- tests ---------------------------------------------------------------------------------------------


def test_corpus_is_broad() -> None:
    """Issue 8: at least ~60 vectors, across the families of the OWASP cheat sheet."""
    assert len(PAYLOADS) >= 60
    joined = "\n".join(PAYLOADS).lower()
    for family in (
        "<script",
        "onerror",
        "javascript:",
        "vbscript:",
        "data:text/html",
        "<svg",
        "<math",
        "&#",
        "](",
        "{{",
    ):
        assert family in joined, family


def test_every_output_type_is_scanned(out: Path) -> None:
    """A new kind of output must get a scanner here before it can ship."""
    known = {".html", ".json", ".ics"} | XML_TYPES | PASSIVE_TYPES
    unknown = sorted({p.suffix or p.name for p in out.rglob("*") if p.is_file()} - known - {"_headers"})
    assert not unknown, f"add a scanner to tests/test_xss.py for {unknown}"
    assert len(files_of(out, ".html")) > 2 * len(chunks())  # a page per record and per component at least


def test_payloads_reach_the_pages_as_text(out: Path) -> None:
    """The build did not just drop the hostile fields: titles and names show the payloads as literal text."""
    canonical = soup((out / "index.html").read_bytes()).find("link", rel="canonical")["href"]
    assert canonical == BASE_URL  # base_url is input too
    for i, chunk in enumerate(chunks()):
        expected = " ".join(" ".join(chunk).split())
        assert text(soup((out / f"incidents/r{i:03d}/index.html").read_bytes()).find("h1")) == expected
        assert text(soup((out / f"components/c{i}/index.html").read_bytes()).find("h1")) == expected


def test_template_syntax_is_shown_literally_not_evaluated(out: Path) -> None:
    checked = 0
    for i, chunk in enumerate(chunks()):
        page = text(soup((out / f"incidents/r{i:03d}/index.html").read_bytes()).find("main"))
        for payload in chunk:
            if payload.startswith(("{{", "{%", "{#", "${", "<%")):
                assert payload in page  # in the title, and in its update message through Markdown
                checked += 1
    assert checked >= 5
    index = text(soup((out / "index.html").read_bytes()))
    assert "{{ 7*7 }}" in index and "looploop" not in index


def test_html_has_no_script_capable_markup(out: Path) -> None:
    own = frozenset({STALE_SCRIPT})
    found: list[str] = []
    pages = files_of(out, ".html")
    for path in pages:
        found += html_dangers(soup(path.read_bytes()), path.relative_to(out).as_posix(), own)
    assert not found, "\n".join(found[:40])


def test_xml_outputs_have_no_script(out: Path) -> None:
    paths = files_of(out, *XML_TYPES)
    assert len([p for p in paths if p.suffix in (".atom", ".rss")]) >= 2
    found = [finding for path in paths for finding in xml_dangers(path, out)]
    assert not found, "\n".join(found[:40])


def test_feed_content_still_carries_the_sanitised_text(out: Path) -> None:
    """The feed check above is not vacuous: the escaped HTML is there, and holds the payloads' words."""
    tree = etree.parse(str(out / "history.atom"))
    contents = [e.text or "" for e in tree.iter("{http://www.w3.org/2005/Atom}content")]
    assert contents and all("<" in c for c in contents)
    assert any("alert(1)" in c for c in contents)  # as text, never as script


def test_json_outputs_have_no_script(out: Path) -> None:
    found = []
    for path in files_of(out, ".json"):
        rel = path.relative_to(out).as_posix()
        data = json.loads(path.read_bytes())
        for key, value in json_strings(data):
            if SCRIPT_URL.match(normalise_url(value)) and key.lower() in ("url", "href", "link", "src", ""):
                found.append(f"{rel}: {key} = {value[:40]!r}")
            if "html" in key.lower():
                found += html_dangers(soup(value), f"{rel} {key}")
    assert not found, "\n".join(found[:40])


def test_calendar_has_no_script_urls(out: Path) -> None:
    found = []
    for path in files_of(out, ".ics"):
        unfolded = re.sub(r"\r?\n[ \t]", "", path.read_text(encoding="utf-8"))
        for line in unfolded.splitlines():
            name, _, value = line.partition(":")
            if name.split(";")[0].upper() in ("URL", "ATTACH", "ORGANIZER", "ATTENDEE") and SCRIPT_URL.match(value):
                found.append(f"{path.name}: {line[:60]}")
    assert not found


def test_headers_file_carries_no_input(out: Path) -> None:
    """`_headers` (Netlify, Cloudflare Pages) is configuration: no input text may reach a pattern or a value."""
    path = out / "_headers"
    if not path.exists():
        return
    rules = header_rules(out)
    assert rules
    for pattern, headers in rules:
        assert pattern.startswith("/") and not re.search(r"[<>\"'\s]", pattern), pattern
        for name, value in headers.items():
            assert re.fullmatch(r"[A-Za-z0-9-]+", name), name
            assert not re.search(r"[<>\x00-\x1f]|script", value, re.I), f"{name}: {value}"


# --- Chromium ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(out: Path) -> Iterator[str]:
    with serve_folder(out) as url:
        yield url


WATCH = """
window.__xss_csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__xss_csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
DOM_SCAN = """() => {
  const found = [];
  const bad = new Set(['SCRIPT','IFRAME','FRAME','FRAMESET','OBJECT','EMBED','APPLET','BASE','FORM','PORTAL']);
  for (const el of document.querySelectorAll('*')) {
    const name = el.tagName.toUpperCase();
    if (bad.has(name) && !(name === 'SCRIPT' && el.textContent === OWN && !el.src)) found.push('<' + name + '>');
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\u0000-\\u0020\\u007f]+/g, '').toLowerCase();
      if (a.name.toLowerCase().startsWith('on')) found.push(name + ' ' + a.name);
      if (/^(javascript|vbscript|data:text\\/html)/.test(v)) found.push(name + ' ' + a.name + '=' + v.slice(0, 40));
    }
  }
  if (window.__xss !== undefined) found.push('window.__xss = ' + window.__xss);
  return found;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def visit_all(browser: Any, server: str, urls: list[str], *, bypass_csp: bool) -> tuple[list[str], int]:
    """Open each URL; return findings (dialogs, payload globals, foreign requests, DOM dangers, CSP reports)."""
    context = browser.new_context(bypass_csp=bypass_csp, java_script_enabled=True)
    found: list[str] = []
    context.add_init_script(WATCH)
    here = urlsplit(server).netloc

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc != here and not r.request.url.startswith("data:"):
            found.append(f"request left the site: {r.request.url[:80]}")
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)
    page = context.new_page()
    current = [""]

    def on_dialog(dialog: Any) -> None:
        found.append(f"{current[0]}: {dialog.type} dialog {dialog.message!r}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    visited = 0
    scan = DOM_SCAN.replace("OWN", json.dumps(STALE_SCRIPT))
    for url in urls:
        current[0] = url.removeprefix(server)
        page.goto(url, wait_until="load")
        page.wait_for_timeout(30)  # let failing images fire onerror, were any left
        found += [f"{current[0]}: {f}" for f in page.evaluate(scan)]
        found += [f"{current[0]}: CSP violation {v}" for v in page.evaluate("window.__xss_csp || []")]
        visited += 1
    context.close()
    return found, visited


def test_no_script_runs_in_chromium_even_without_csp(out: Path, server: str, browser: Any) -> None:
    """The sanitiser alone holds: with the CSP bypassed no payload opens a dialog or sets a global."""
    urls = [server + p.relative_to(out).as_posix() for p in files_of(out, ".html", ".svg")]
    found, visited = visit_all(browser, server, urls, bypass_csp=True)
    assert visited == len(urls) > 2 * len(chunks())
    assert not [f for f in found if "CSP violation" not in f], "\n".join(found[:40])


def test_no_csp_violation_with_the_policy_on(out: Path, server: str, browser: Any) -> None:
    """With the policy enforced nothing is even blocked: no payload got far enough to need the CSP."""
    urls = [server + p.relative_to(out).as_posix() for p in files_of(out, ".html", ".svg")]
    found, visited = visit_all(browser, server, urls, bypass_csp=False)
    assert visited == len(urls)
    assert not found, "\n".join(found[:40])
