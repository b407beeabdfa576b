"""Badges (SVG, read with xml.etree) and the maintenance calendar (read back with icalendar), issue 5."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from icalendar import Calendar

from conftest import CONFIG, NOW, REPO, build_site, incident, maintenance
from helpers import page, text

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "_site"
    build_site(REPO, out, now=NOW)
    return out


def svg_text(path: Path) -> tuple[str, list[str], ET.Element]:
    root = ET.fromstring(path.read_bytes())
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text
    return title.text, [t.text or "" for t in root.iter(f"{SVG}text")], root


def test_overall_badge_says_the_banner_in_words(example: Path) -> None:
    title, texts, root = svg_text(example / "badge.svg")
    banner = text(page(example, "index.html").find("h1"))
    assert texts == ["Chirp Status", banner]
    assert title == f"Chirp Status: {banner}" == root.get("aria-label")
    assert root.get("role") == "img"
    assert root.find(f"{SVG}g/{SVG}path") is not None  # a shape, not colour alone


def test_component_badges_match_the_api(example: Path) -> None:
    components = json.loads((example / "api/v2/components.json").read_bytes())["components"]
    seen = 0
    for folder in sorted((example / "components").iterdir()):
        assert {"index.html", "feed.atom", "badge.svg"} <= {p.name for p in folder.iterdir()}
        title, texts, _ = svg_text(folder / "badge.svg")
        name = texts[0]
        api = next(c for c in components if c["name"] == name)
        assert texts[1] == api["status"].replace("_", " ")
        assert title == f"{name}: {texts[1]}"
        seen += 1
    assert seen == 8


def test_each_status_has_its_own_shape(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(incidents={"a": incident(components="web: major_outage, api: degraded_performance")})
    out = tmp_path / "out"
    build_site(root, out)
    shapes = {}
    for cid in ("web", "api", "db"):
        _, texts, svg = svg_text(out / "components" / cid / "badge.svg")
        shape = svg.find(f"{SVG}g/*")
        assert shape is not None
        shapes[texts[1]] = ET.tostring(shape)
    assert set(shapes) == {"major outage", "degraded performance", "operational"}
    assert len(set(shapes.values())) == 3


def test_badge_escapes_component_names(make_site: Callable[..., Path], tmp_path: Path) -> None:
    hostile = CONFIG.replace("name: Website", "name: '<script>alert(1)</script> & \"Q\"'")
    out = tmp_path / "out"
    build_site(make_site(hostile), out)
    raw = (out / "components/web/badge.svg").read_bytes()
    assert b"<script>" not in raw
    title, texts, _ = svg_text(out / "components/web/badge.svg")
    assert texts[0] == '<script>alert(1)</script> & "Q"'
    assert title.startswith("<script>")


def test_example_calendar_parses_and_has_every_maintenance(example: Path) -> None:
    cal = Calendar.from_ical((example / "maintenance.ics").read_bytes())
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Chirp Status: maintenance"
    assert str(cal["PRODID"]).startswith("-//statuspage//")
    events = list(cal.walk("VEVENT"))
    maintenance_api = json.loads((example / "api/v2/scheduled-maintenances.json").read_bytes())
    assert len(events) == len(maintenance_api["scheduled_maintenances"]) == 3
    by_url = {m["shortlink"]: m for m in maintenance_api["scheduled_maintenances"]}
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        assert event["DTSTART"].to_ical().endswith(b"Z") and event["DTEND"].to_ical().endswith(b"Z")
        api = by_url[str(event["URL"])]
        assert start == datetime.fromisoformat(api["scheduled_for"])
        assert end == datetime.fromisoformat(api["scheduled_until"])
        assert str(event["SUMMARY"]) == api["name"]
        assert event.decoded("DTSTAMP") == datetime.fromisoformat(api["updated_at"])
        assert int(event["SEQUENCE"]) == len(api["incident_updates"]) - 1
        assert str(event["UID"]).endswith("@status.chirp.example")
        assert str(event["STATUS"]) == "CONFIRMED"


def test_calendar_is_stable_and_cancellation_is_completion_before_the_window(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """UID and DTSTAMP do not depend on the build moment; completed early means CANCELLED."""
    root = make_site(
        incidents={
            "called-off": maintenance(statuses=("scheduled", "completed"), start="2026-11-26T10:00:00Z"),
            "done": maintenance(statuses=("scheduled", "in_progress", "completed"), start="2026-11-01T10:00:00Z"),
            "x": incident(),
        }
    )
    early = build_site(root, now=NOW).files["maintenance.ics"]
    late = build_site(root, now=datetime(2027, 1, 1, tzinfo=UTC)).files["maintenance.ics"]
    assert early == late
    events = {str(e["UID"]).split("@")[0]: e for e in Calendar.from_ical(early).walk("VEVENT")}
    assert set(events) == {"called-off", "done"}
    assert str(events["called-off"]["STATUS"]) == "CANCELLED"
    assert str(events["done"]["STATUS"]) == "CONFIRMED"  # a past event, kept
    assert int(events["done"]["SEQUENCE"]) == 2
    assert "Database" in str(events["done"]["DESCRIPTION"])


def test_calendar_without_maintenance_is_still_valid(make_site: Callable[..., Path]) -> None:
    cal = Calendar.from_ical(build_site(make_site()).files["maintenance.ics"])
    assert list(cal.walk("VEVENT")) == []
    assert str(cal["VERSION"]) == "2.0"


def test_component_feeds_hold_exactly_that_components_records(example: Path) -> None:
    """Per-component Atom feeds (issue 5): valid Atom, linked from the component page, only its records."""
    api_records = json.loads((example / "api/v2/incidents.json").read_bytes())["incidents"]
    api_records += json.loads((example / "api/v2/scheduled-maintenances.json").read_bytes())["scheduled_maintenances"]
    components = [
        c for c in json.loads((example / "api/v2/components.json").read_bytes())["components"] if not c["group"]
    ]
    for folder in sorted((example / "components").iterdir()):
        feed = feedparser.parse((folder / "feed.atom").read_bytes())
        assert not feed.bozo, folder.name
        assert feed.version == "atom10"
        url = f"https://status.chirp.example/components/{folder.name}/"
        assert {(link.rel, link.href) for link in feed.feed.links} == {("alternate", url), ("self", url + "feed.atom")}
        name = text(page(example, f"components/{folder.name}/index.html").find("h1"))
        component = next(c for c in components if name.startswith(c["name"]))
        expected = {r["shortlink"] for r in api_records if any(c["id"] == component["id"] for c in r["components"])}
        assert {entry.link for entry in feed.entries} == expected, folder.name
        links = page(example, f"components/{folder.name}/index.html").find_all("link", rel="alternate")
        assert "feed.atom" in {link["href"] for link in links}
