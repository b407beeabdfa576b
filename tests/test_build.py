"""End to end: real sites built into temporary folders, read back with real parsers."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest

from conftest import CONFIG, NOW, REPO, build_site, incident, maintenance
from helpers import page, soup, text, tree_digest

EXAMPLE_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "_site"
    build_site(REPO, out, now=EXAMPLE_NOW)
    return out


def test_example_index_shows_derived_status(example: Path) -> None:
    index = page(example, "index.html")
    assert text(index.find("h1")) == "Partially Degraded Service"
    assert len(index.find_all("h1")) == 1
    rows = {text(li.find(class_="name")): text(li.find(class_="status")) for li in index.select(".components > li")}
    assert rows["Webhooks"] == "Degraded performance"
    assert rows["Website"] == "Operational"
    incidents = index.find(id="incidents-heading").find_parent("section")
    assert "Webhook deliveries delayed" in text(incidents)
    assert "Monitoring" in text(incidents)  # the latest update is shown
    upcoming = index.find(id="upcoming-heading").find_parent("section")
    assert "API gateway migration" in text(upcoming)


def test_example_every_relative_link_resolves(example: Path) -> None:
    """Links are relative, so the site works under any sub-path; each one must hit a file."""
    checked = 0
    for html in example.rglob("*.html"):
        doc = soup(html.read_bytes())
        here = "http://h/" + html.relative_to(example).as_posix()
        for tag in doc.find_all(["a", "link"]):
            href = tag.get("href")
            if not href or href.startswith(("https://status.chirp.example", "data:", "#", "mailto:")):
                continue
            assert not href.startswith(("/", "http")), f"{html}: absolute link {href}"
            target = urlsplit(urljoin(here, href)).path.lstrip("/")
            path = example / target
            if target == "" or target.endswith("/"):
                path = path / "index.html"
            assert path.is_file(), f"{html.relative_to(example)}: broken link {href}"
            checked += 1
    assert checked > 200


def test_incident_page_has_full_timeline_newest_first_and_postmortem(example: Path) -> None:
    doc = page(example, "incidents/2025-12-28-login-failures/index.html")
    assert text(doc.find("h1")) == "Users unable to log in on the web"
    statuses = [text(h.find(class_="tag")) for h in doc.select(".timeline li h3")]
    assert statuses == ["Resolved", "Monitoring", "Identified", "Investigating", "Investigating"]
    times = [t["datetime"] for t in doc.select(".timeline time")]
    assert times == sorted(times, reverse=True)
    assert times[0] == "2025-12-29T11:30:00.000Z"
    postmortem = doc.find(id="postmortem-heading").find_parent("section")
    assert [text(h) for h in postmortem.find_all("h3")] == ["What happened", "Why", "What we are changing"]
    affected = {text(li.find(class_="name")): text(li.find(class_="status")) for li in doc.select(".components li")}
    assert affected == {
        "Login and sign-up": "Major outage",
        "Website": "Partial outage",
        "Public API": "Degraded performance",
    }


def test_history_paginated_by_month_newest_first(example: Path) -> None:
    index = page(example, "history/index.html")
    months = [text(h) for h in index.select("main section h2")]
    assert months == ["January 2027", "November 2026", "October 2026"]
    archive = [text(a) for a in index.select(".archive a")]
    assert archive[0] == "January 2027" and archive[-1] == "December 2025"
    assert len(archive) == 10  # 11 records, two in November 2026
    december = page(example, "history/2025-12/index.html")
    assert "Users unable to log in on the web" in text(december.find("main"))
    assert december.select_one('a[rel="prev"]')["href"] == "../../history/2026-02/"


def test_feeds_parse_and_carry_required_elements(example: Path) -> None:
    for name, version in (("history.atom", "atom10"), ("history.rss", "rss20")):
        feed = feedparser.parse((example / name).read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.version == version
        assert feed.feed.title == "Chirp Status: history"
        self_links = [link.href for link in feed.feed.links if link.rel == "self"]
        assert self_links == [f"https://status.chirp.example/{name}"]
        assert feed.feed.link == "https://status.chirp.example/history/"  # the web page, not the feed itself
        ids = [e.id for e in feed.entries]
        assert len(ids) == len(set(ids)) == 11
        assert ids[0] == "https://status.chirp.example/incidents/2026-11-24-webhook-delays/"
        if version == "atom10":
            updated = [e.updated_parsed for e in feed.entries]
            assert updated == sorted(updated, reverse=True)
        assert all(e.published_parsed and e.link.startswith("https://") for e in feed.entries)
        assert "Monitoring" in feed.entries[0].summary
    rss = (example / "history.rss").read_text()
    assert "<pubDate>Tue, 24 Nov 2026 16:20:00 +0000</pubDate>" in rss  # RFC 822
    assert "<lastBuildDate>Tue, 24 Nov 2026 17:05:00 +0000</lastBuildDate>" in rss


def test_component_feed_lists_only_its_records(example: Path) -> None:
    feed = feedparser.parse((example / "components/media/feed.atom").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Image and video uploads failing"]


def test_build_twice_is_byte_identical(tmp_path: Path) -> None:
    build_site(REPO, tmp_path / "a", now=EXAMPLE_NOW)
    build_site(REPO, tmp_path / "b", now=EXAMPLE_NOW)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_works_under_a_sub_path(make_site: Callable[..., Path], tmp_path: Path) -> None:
    config = CONFIG.replace("https://status.example.com/", "https://example.com/status")
    out = tmp_path / "out"
    build_site(make_site(config=config, incidents={"a": incident()}), out)
    feed = feedparser.parse((out / "history.atom").read_bytes())
    assert [link.href for link in feed.feed.links if link.rel == "self"] == ["https://example.com/status/history.atom"]
    assert feed.entries[0].link == "https://example.com/status/incidents/a/"
    doc = page(out, "incidents/a/index.html")
    assert doc.find("link", rel="canonical")["href"] == "https://example.com/status/incidents/a/"
    assert doc.find("link", rel="stylesheet")["href"].startswith("../../static/style.")


def test_markdown_is_rendered_and_sanitised(make_site: Callable[..., Path], tmp_path: Path) -> None:
    body = incident().replace(
        "message: Update 0.",
        'message: "**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"',
    )
    out = tmp_path / "out"
    build_site(make_site(incidents={"a": body}), out)
    html = (out / "incidents/a/index.html").read_text()
    assert "<strong>Bold</strong>" in html
    for bad in ("<script>alert", "javascript:", "onerror", "<img"):
        assert bad not in html
    atom = (out / "history.atom").read_text()
    assert "&lt;strong&gt;Bold" in atom and "alert(1)" not in atom


def test_maintenance_window_shown_and_active(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"m": maintenance(start="2026-11-25T11:00:00Z", end="2026-11-25T13:00:00Z")})
    out = tmp_path / "out"
    build_site(root, out)
    index = page(out, "index.html")
    assert text(index.find("h1")) == "Service Under Maintenance"
    assert "Maintenance in progress" in text(index)
    rows = {text(li.find(class_="name")): text(li.find(class_="status")) for li in index.select(".components > li")}
    assert rows["Database"] == "Under maintenance"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statuspage", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_failed_build_leaves_previous_output_untouched(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident()})
    out = tmp_path / "out"
    assert run_cli("build", str(root), "-o", str(out), "--now", "2026-11-25T12:00:00Z").returncode == 0
    before = tree_digest(out)
    (root / "incidents" / "b.yaml").write_text("title: [broken\n")
    result = run_cli("build", str(root), "-o", str(out), "--now", "2026-11-25T12:00:00Z")
    assert result.returncode == 1
    assert "b.yaml:2:1: invalid YAML" in result.stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.lock"]


def test_template_error_leaves_previous_output_untouched(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident()})
    out = tmp_path / "out"
    build_site(root, out)
    before = tree_digest(out)
    (root / "templates").mkdir()
    (root / "templates" / "index.html").write_text("{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}")
    result = run_cli("build", str(root), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: templates/index.html:1: 'nope' is undefined")
    assert tree_digest(out) == before


def test_unchanged_files_keep_their_mtime(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident(), "b": incident(title="Other")})
    out = tmp_path / "out"
    build_site(root, out)
    stamp = (out / "incidents/b/index.html").stat().st_mtime_ns
    (root / "incidents" / "a.yaml").write_text(incident(title="Renamed"))
    build_site(root, out)
    assert "Renamed" in (out / "incidents/a/index.html").read_text()
    assert (out / "incidents/b/index.html").stat().st_mtime_ns == stamp


def test_source_date_epoch_equals_now(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident()})
    env = {**__import__("os").environ, "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    assert run_cli("build", str(root), "-o", str(tmp_path / "a"), env=env).returncode == 0
    assert run_cli("build", str(root), "-o", str(tmp_path / "b"), "--now", NOW.isoformat()).returncode == 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_refuses_to_replace_a_folder_that_is_not_a_build(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident()})
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run_cli("build", str(root), "-o", str(precious))
    assert result.returncode == 1
    assert "is not empty and holds no previous build" in result.stderr
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_example_site_copy_builds_from_its_own_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(REPO / "incidents", site / "incidents")
    shutil.copy(REPO / "statuspage.yaml", site)
    result = run_cli("build", "--now", "2026-11-25T12:00:00Z", cwd=site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built _site: 11 records")
    assert (site / "_site" / "index.html").is_file()


def test_uptime_bars_for_every_component_with_words(example: Path) -> None:
    """Issue 4 §1: 90 bars per component, the percentage in text, each bad day listed with its incidents."""
    index = page(example, "index.html")
    rows = index.select(".components > li")
    assert len(rows) == 8
    for row in rows:
        bars = row.select(".bars > li")
        assert len(bars) == 90
        assert row.select_one(".bars")["aria-hidden"] == "true"
        assert all(bar.get("title") or bar.a.get("title") for bar in bars)
    mobile = next(r for r in rows if text(r.find(class_="name")) == "Mobile apps")
    assert "99.64% uptime" in text(mobile.select_one(".span"))
    assert [bar["class"] for bar in mobile.select(".bars > li[class]")] == [["d-partial_outage"]] * 2
    links = mobile.select(".bars a")
    assert [(a["href"], a["tabindex"]) for a in links] == [("incidents/2026-10-02-ios-crash/", "-1")] * 2
    assert links[0]["title"] == "Oct 2, 2026: Partial outage"
    days = mobile.select("details .days li")
    assert [d.time["datetime"] for d in days] == ["2026-10-03", "2026-10-02"]
    assert text(days[1]) == "Oct 2, 2026 Partial outage : iOS app crashes on launch after update"
    assert days[1].a["href"] == "incidents/2026-10-02-ios-crash/"
    legend = text(index.select_one(".legend"))
    for word in ("Operational", "Under maintenance", "Degraded performance", "Partial outage", "Major outage"):
        assert word in legend
    component = page(example, "components/mobile/index.html")
    assert len(component.select(".bars > li")) == 90
    assert "99.64% uptime" in text(component)


def test_every_page_has_accessible_structure(example: Path) -> None:
    """Issue 4 §3: one h1, header/nav/main/footer landmarks, a skip link to main, lang, <time datetime>."""
    pages = sorted(example.rglob("*.html"))
    assert len(pages) == 31
    for html in pages:
        doc = soup(html.read_bytes())
        where = html.relative_to(example).as_posix()
        assert doc.html["lang"] == "en", where
        assert len(doc.find_all("h1")) == 1, where
        for landmark in ("header", "nav", "main", "footer"):
            assert doc.find(landmark), f"{where}: no <{landmark}>"
        skip = doc.find("a")
        assert skip["class"] == ["skip"] and skip["href"] == "#main" and doc.find("main")["id"] == "main", where
        times = doc.find_all("time")
        assert times and all(t.get("datetime") for t in times), where
        assert "Page built" in text(doc.find("footer")), where
        assert not doc.select("[style]"), f"{where}: inline style (the CSP allows only the stylesheet)"


def test_french_site_reads_naturally(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 4 §8: `language: fr` translates the theme and formats dates and numbers in French."""
    config = CONFIG.replace("timezone: UTC", "timezone: Europe/Paris\nlanguage: fr")
    out = tmp_path / "quiet"
    build_site(make_site(config=config), out)
    index = page(out, "index.html")
    assert index.html["lang"] == "fr"
    assert text(index.find("h1")) == "Tous les systèmes sont opérationnels"
    assert text(index.find("footer")).startswith("Page générée le 25 nov. 2026, 13:00 CET")  # noon UTC in Paris
    assert "100,00\u00a0% de disponibilité" in index.select_one(".span").get_text()
    out = tmp_path / "busy-out"
    build_site(make_site(config=config, incidents={"a": incident()}, name="busy"), out)
    doc = page(out, "incidents/a/index.html")
    assert text(doc.select_one(".timeline .tag")) == "Analyse en cours"
    assert text(doc.find(id="affected-heading")) == "Composants concernés"
    assert text(page(out, "index.html").find("h1")) == "Panne partielle du système"


def test_french_catalogue_covers_every_theme_string() -> None:
    """Issue 4 §8: every string the default theme can show has a French translation."""
    from statuspage.derive import DEGRADED_TEXT, INDICATOR_TEXT
    from statuspage.model import Site
    from statuspage.render import LABELS, Theme, load_catalog

    theme = Theme(Site(title="T", base_url="https://x.example/", root=Path("/nonexistent")))
    wanted = {*LABELS.values(), *INDICATOR_TEXT.values(), DEGRADED_TEXT, "%(title)s: history"}
    for template in sorted((REPO / "templates").rglob("*.html")):
        for _, _, message in theme.env.extract_translations(template.read_text(encoding="utf-8")):
            # `_(snap.description)` is a variable (None here): its values are INDICATOR_TEXT above.
            wanted.update([message] if isinstance(message, str) else [m for m in message or () if m])
    assert len(wanted) >= 60
    french = load_catalog([REPO / "templates"], "fr")
    assert sorted(wanted - french.keys()) == []
    assert sorted(french.keys() - wanted) == []  # no stale entries either


def test_site_templates_override_the_theme_by_name(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 4 §11 (docs/theming.md): a site's templates/ file replaces the default one of the same name,
    and can extend the default with the `!default/` prefix."""
    root = make_site(incidents={"a": incident()})
    (root / "templates" / "custom").mkdir(parents=True)
    (root / "templates" / "custom" / "below-footer.html").write_text("<p>Call us: 555-0100</p>\n")
    (root / "templates" / "index.html").write_text(
        '{% extends "!default/index.html" %}\n{% block main %}<p class="hello">Hello</p>{{ super() }}{% endblock %}\n'
    )
    (root / "templates" / "base.html").write_text(
        '{% extends "!default/base.html" %}{% block title %}Ours · {{ super() }}{% endblock %}'
    )
    out = tmp_path / "out"
    build_site(root, out)
    index = page(out, "index.html")
    assert text(index.title) == "Ours · Example Status"
    assert text(index.select_one("main .hello")) == "Hello"
    assert text(index.find("h1")) == "Partial System Outage"  # the default content is still there
    assert "Call us: 555-0100" in text(index.find("footer"))
    assert "Call us" in text(page(out, "incidents/a/index.html").find("footer"))


def test_parallel_render_is_byte_identical_to_serial(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 7: using both cores must not change a byte of the output."""
    import statuspage.render

    records = {
        f"r{i:03d}": incident(title=f"Incident {i}", start=f"2026-0{1 + i % 9}-1{i % 10}T10:00:00Z") for i in range(40)
    }
    root = make_site(incidents=records)
    monkeypatch.setattr(statuspage.render, "PARALLEL_MIN_RECORDS", 10**9)
    serial = build_site(root).files
    monkeypatch.setattr(statuspage.render, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr(statuspage.render, "_workers", lambda: 2)
    parallel = build_site(root).files
    assert len(serial) > 40
    assert parallel == serial


def test_cache_never_gives_a_stale_page(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 7: after each kind of edit, a cached rebuild equals a fresh build with no cache, byte for byte."""
    from statuspage.build import build

    root = make_site(incidents={"a": incident(), "b": incident(title="Other", statuses=("investigating", "resolved"))})
    out = tmp_path / "out"
    edits: list[Callable[[], None]] = [
        lambda: None,  # nothing changed: every incident page from the cache
        lambda: (root / "incidents" / "b.yaml").write_text(incident(title="Retitled", statuses=("resolved",))),
        lambda: (root / "statuspage.yaml").write_text(CONFIG.replace("name: Website", "name: Web site")),
        lambda: (root / "incidents" / "a.yaml").write_text(incident(statuses=("investigating", "resolved"))),
        lambda: (root / "incidents" / "m.yaml").write_text(maintenance()),
    ]
    moments = [NOW, NOW, NOW, NOW, datetime(2026, 11, 26, 11, 0, tzinfo=UTC)]
    for step, (edit, now) in enumerate(zip(edits, moments, strict=True)):
        edit()
        cached, _ = build(root, out, now, cache_dir=tmp_path / "cache")
        fresh = build_site(root, now=now).files
        assert cached.files == fresh, f"step {step}"
        assert tree_digest(out) == {p: hashlib.sha256(d).hexdigest() for p, d in fresh.items()}


def test_cache_is_used_for_unchanged_pages(make_site: Callable[..., Path], tmp_path: Path) -> None:
    from statuspage.build import build, cache_path, render_site
    from statuspage.cache import Cache
    from statuspage.load import load_site

    root = make_site(incidents={f"r{i}": incident(title=f"T{i}") for i in range(5)})
    out = tmp_path / "out"
    build(root, out, NOW, cache_dir=tmp_path / "cache")
    (root / "incidents" / "r1.yaml").write_text(incident(title="Changed"))
    cache = Cache(cache_path(tmp_path / "cache", out))
    try:
        render_site(load_site(root), NOW, cache)
        # Rendered again: r1's incident page and feed entry, the month page listing it, and the
        # page of `web`, which every record touches. From the cache: the four other incident pages
        # and feed entries, the pages of `api` and `db`, and the calendar (no maintenance changed).
        assert (cache.hits, cache.misses) == (4 + 4 + 2 + 1, 1 + 1 + 1 + 1)
    finally:
        cache.close()


def test_record_cache_form_round_trips_every_field() -> None:
    """The record cache stores JSON, not pickle; reading it back must give the very same record."""
    import dataclasses
    import json

    from statuspage.load import load_site, record_from_json, record_to_json
    from statuspage.model import Record

    site = load_site(REPO)
    assert set(json.loads(record_to_json(site.records[0]))) == {f.name for f in dataclasses.fields(Record)}
    for record in site.records:
        again = record_from_json(record_to_json(record))
        assert again == record and repr(again) == repr(record)
    assert record_from_json(b'{"id": "x"}') is None  # anything else is parsed afresh


def test_cached_record_naming_a_removed_component_is_still_reported_with_its_line(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    from statuspage.build import build
    from statuspage.model import SiteError

    root = make_site(incidents={"a": incident(components="db: major_outage")})
    build(root, tmp_path / "out", NOW, cache_dir=tmp_path / "cache")
    (root / "statuspage.yaml").write_text(CONFIG.split("  - id: db")[0])
    with pytest.raises(SiteError) as caught:
        build(root, tmp_path / "out", NOW, cache_dir=tmp_path / "cache")
    (problem,) = caught.value.problems
    assert (Path(problem.path).name, problem.line, problem.col) == ("a.yaml", 4, 3)
    assert problem.message.startswith("unknown component 'db'")


def test_a_damaged_cache_costs_a_slow_build_never_a_failed_one(make_site: Callable[..., Path], tmp_path: Path) -> None:
    from statuspage.build import build, cache_path

    root = make_site(incidents={"a": incident()})
    build(root, tmp_path / "out", NOW, cache_dir=tmp_path / "cache")
    damaged = cache_path(tmp_path / "cache", tmp_path / "out")
    data = bytearray(damaged.read_bytes())
    data[4096 + 16 :] = b"\xff" * (len(data) - 4096 - 16)  # every page after the schema: the stored entries
    damaged.write_bytes(bytes(data))
    built, _ = build(root, tmp_path / "out", NOW, cache_dir=tmp_path / "cache")
    assert built.files == build_site(root).files
