"""Statuspage public API v2 (issue 5): every file against the schema, and the same facts as the pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import CONFIG, NOW, REPO, build_site, incident, maintenance
from helpers import header_rules, headers_for, page, text

API_FILES = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
# Field order of real Statuspage responses (e.g. githubstatus.com/api/v2/summary.json).
PAGE_KEYS = ["id", "name", "url", "time_zone", "updated_at"]
COMPONENT_KEYS = [
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
]  # fmt: skip
INCIDENT_KEYS = [
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
]  # fmt: skip
UPDATE_KEYS = [
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
]  # fmt: skip


def schema() -> dict[str, Any]:
    return json.loads((resources.files("statuspage") / "schemas" / "api-v2.json").read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    pointer = name.replace("~", "~0").replace("/", "~1")
    return Draft202012Validator({**schema(), "$ref": f"#/$defs/{pointer}"})


def read(out: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "api" / "v2" / name).read_bytes().decode("utf-8"))
    return data


def assert_valid(out: Path) -> None:
    for name in API_FILES:
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(read(out, name))
        ]
        assert not errors, f"{name}: {errors[:5]}"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "_site"
    build_site(REPO, out, now=NOW)
    return out


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_every_api_file_validates(example: Path) -> None:
    assert_valid(example)


def test_schema_rejects_a_wrong_enum_and_a_missing_field(example: Path) -> None:
    """The schema is strict enough to catch what a client would trip on."""
    summary = read(example, "summary.json")
    summary["status"]["indicator"] = "green"
    del summary["components"][0]["page_id"]
    messages = " ".join(e.message for e in validator("summary.json").iter_errors(summary))
    assert "'green' is not one of" in messages
    assert "'page_id' is a required property" in messages


def test_example_field_order_follows_statuspage(example: Path) -> None:
    summary = read(example, "summary.json")
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert list(summary["page"]) == PAGE_KEYS
    assert list(summary["status"]) == ["indicator", "description"]
    for component in summary["components"]:
        assert list(component) == COMPONENT_KEYS + (["components"] if component["group"] else [])
    for record in read(example, "incidents.json")["incidents"]:
        assert list(record) == INCIDENT_KEYS
        assert all(list(u) == UPDATE_KEYS for u in record["incident_updates"])
    for record in read(example, "scheduled-maintenances.json")["scheduled_maintenances"]:
        assert list(record) == [*INCIDENT_KEYS, "scheduled_for", "scheduled_until"]
    for name in API_FILES:
        assert next(iter(read(example, name))) == "page"


def test_example_status_matches_the_banner(example: Path) -> None:
    """`status` equals what the pages show for the same build."""
    banner = text(page(example, "index.html").find("h1"))
    for name in ("summary.json", "status.json"):
        assert read(example, name)["status"]["description"] == banner == "Partially Degraded Service"
    assert read(example, "status.json")["status"]["indicator"] == "minor"


def test_example_component_statuses_match_the_index(example: Path) -> None:
    index = page(example, "index.html")
    shown = {text(li.find(class_="name")): text(li.find(class_="status")) for li in index.select(".components > li")}
    listed = {c["name"]: c["status"] for c in read(example, "components.json")["components"] if not c["group"]}
    assert set(listed) == set(shown)
    for name, status in listed.items():
        assert shown[name] == status.replace("_", " ").capitalize(), name
    groups = {text(h.find("span")): text(h.find(class_="status")) for h in index.select(".group-name")}
    for group in (c for c in read(example, "components.json")["components"] if c["group"]):
        assert groups[group["name"]] == group["status"].replace("_", " ").capitalize()


def test_example_page_updated_at_is_the_build_moment(example: Path) -> None:
    built = page(example, "index.html").find("footer").find("time")["datetime"]
    for name in API_FILES:
        assert read(example, name)["page"]["updated_at"] == built == "2026-11-25T12:00:00.000Z"


def test_example_groups_list_their_members(example: Path) -> None:
    components = read(example, "components.json")["components"]
    by_id = {c["id"]: c for c in components}
    groups = [c for c in components if c["group"]]
    assert [g["name"] for g in groups] == ["Website and apps", "Accounts", "Developers"]
    for group in groups:
        assert group["components"], group["name"]
        for member in group["components"]:
            assert by_id[member]["group_id"] == group["id"]
    assert [g["position"] for g in groups] == [1, 2, 3]
    assert len(components) == 8 + 3


def test_example_incidents_newest_first_with_updates_newest_first(example: Path) -> None:
    incidents = read(example, "incidents.json")["incidents"]
    starts = [i["started_at"] for i in incidents]
    assert starts == sorted(starts, reverse=True)
    assert all(i["impact"] != "maintenance" for i in incidents)
    for record in incidents:
        times = [u["created_at"] for u in record["incident_updates"]]
        assert times == sorted(times, reverse=True)
        assert record["incident_updates"][0]["status"] == record["status"]
        assert all(u["incident_id"] == record["id"] for u in record["incident_updates"])
        assert record["shortlink"].startswith("https://status.chirp.example/incidents/")


def test_example_summary_lists_only_unresolved_and_not_completed(example: Path) -> None:
    summary = read(example, "summary.json")
    assert [i["name"] for i in summary["incidents"]] == ["Webhook deliveries delayed"]
    assert summary["incidents"] == read(example, "incidents/unresolved.json")["incidents"]
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["API gateway migration"]
    assert all(m["status"] != "completed" for m in summary["scheduled_maintenances"])
    everything = read(example, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert {m["status"] for m in everything} >= {"completed", "scheduled"}
    assert all(m["impact"] == "maintenance" for m in everything)


def test_ids_are_stable_across_builds_and_differ_between_sites(make_site: Callable[..., Path], tmp_path: Path) -> None:
    incidents = {"a": incident(statuses=("investigating", "identified")), "m": maintenance()}
    first = make_site(incidents=incidents, name="one")
    second = make_site(incidents=incidents, name="two")
    other = make_site(CONFIG.replace("status.example.com", "status.other.example"), incidents, name="three")
    outs = []
    for root in (first, second, other):
        out = tmp_path / f"out-{root.name}"
        build_site(root, out)
        outs.append(out)
    later = tmp_path / "later"
    build_site(first, later, now=datetime(2026, 11, 25, 13, 0, tzinfo=UTC))

    def ids(out: Path) -> list[str]:
        summary = read(out, "summary.json")
        found = [summary["page"]["id"], *(c["id"] for c in summary["components"])]
        for record in summary["incidents"] + summary["scheduled_maintenances"]:
            found += [record["id"], *(u["id"] for u in record["incident_updates"])]
        return found

    assert ids(outs[0]) == ids(outs[1]) == ids(later)
    assert len(set(ids(outs[0]))) == len(ids(outs[0]))
    assert not set(ids(outs[0])) & set(ids(outs[2]))
    assert (outs[0] / "api/v2/summary.json").read_bytes() == (outs[1] / "api/v2/summary.json").read_bytes()


def test_unresolved_and_maintenance_filters(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """unresolved = R1; upcoming = R3; active = R2 (a window that has begun reads in_progress)."""
    root = make_site(
        incidents={
            "open": incident(title="Open one", statuses=("investigating", "monitoring")),
            "closed": incident(title="Closed one", statuses=("investigating", "resolved")),
            "soon": maintenance(start="2026-11-26T10:00:00Z", end="2026-11-26T12:00:00Z"),
            "window": maintenance(start="2026-11-25T11:00:00Z", end="2026-11-25T13:00:00Z"),
            "done": maintenance(statuses=("scheduled", "in_progress", "completed"), start="2026-11-21T10:00:00Z"),
            "missed": maintenance(start="2026-11-22T10:00:00Z", end="2026-11-22T12:00:00Z"),
        }
    )
    out = tmp_path / "out"
    build_site(root, out)
    assert_valid(out)

    def names(name: str, key: str) -> list[str]:
        return [r["name"] for r in read(out, name)[key]]

    assert names("incidents/unresolved.json", "incidents") == ["Open one"]
    assert sorted(names("incidents.json", "incidents")) == ["Closed one", "Open one"]
    upcoming = read(out, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    active = read(out, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [m["scheduled_for"] for m in upcoming] == ["2026-11-26T10:00:00.000Z"]
    assert [(m["scheduled_for"], m["status"]) for m in active] == [("2026-11-25T11:00:00.000Z", "in_progress")]
    summary = read(out, "summary.json")
    assert summary["scheduled_maintenances"] == active + upcoming
    assert len(read(out, "scheduled-maintenances.json")["scheduled_maintenances"]) == 4
    open_one = summary["incidents"][0]
    assert open_one["monitoring_at"] == "2026-11-25T10:01:00.000Z"
    assert open_one["resolved_at"] is None
    closed = next(i for i in read(out, "incidents.json")["incidents"] if i["name"] == "Closed one")
    assert closed["resolved_at"] == "2026-11-25T10:01:00.000Z"
    db = next(c for c in summary["components"] if c["name"] == "Database")
    assert db["status"] == "under_maintenance"
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}


def test_affected_components_trace_each_update(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site(
        incidents={
            "a": incident(components="web: partial_outage", statuses=("investigating", "identified", "resolved"))
        }
    )
    out = tmp_path / "out"
    build_site(root, out)
    updates = read(out, "incidents.json")["incidents"][0]["incident_updates"]
    changes = [
        (u["status"], u["affected_components"][0]["old_status"], u["affected_components"][0]["new_status"])
        for u in updates
    ]
    assert changes == [
        ("resolved", "partial_outage", "operational"),
        ("identified", "partial_outage", "partial_outage"),
        ("investigating", "operational", "partial_outage"),
    ]
    assert {u["affected_components"][0]["name"] for u in updates} == {"Website"}


def test_body_is_plain_text_without_html(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Statuspage bodies are plain text; Markdown is reduced to text and no tag or script survives."""
    hostile = incident().replace(
        "message: Update 0.",
        'message: "**Bold** and <b>tags</b> <script>alert(1)</script> &lt;img src=x onerror=alert(1)&gt; '
        '[docs](https://example.com/x) <a href=\\"javascript:alert(1)\\">js</a>\\n\\n- one\\n- two"',
    )
    root = make_site(incidents={"a": hostile, "u": incident(title="Ünïcode “quotes”")})
    out = tmp_path / "out"
    build_site(root, out)
    assert_valid(out)
    hostile_record = next(i for i in read(out, "incidents.json")["incidents"] if i["name"] == "Something broke")
    body = hostile_record["incident_updates"][0]["body"]
    assert body.startswith("Bold and tags")
    assert "<" not in body and "alert(1)</script" not in body and "javascript:" not in body
    assert "docs (https://example.com/x)" in body
    assert body.endswith("- one\n- two")
    raw = (out / "api/v2/incidents.json").read_bytes()
    assert "Ünïcode “quotes”".encode() in raw  # UTF-8, not \\u escapes


def test_empty_site_validates(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site("title: Empty\nbase_url: https://e.example/\ncomponents: []\n")
    out = tmp_path / "out"
    build_site(root, out)
    assert_valid(out)
    summary = read(out, "summary.json")
    assert summary["components"] == [] and summary["incidents"] == []
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert summary["page"]["url"] == "https://e.example"


def test_headers_give_cors_on_api_and_one_cache_lifetime_per_file(example: Path) -> None:
    rules = header_rules(example)
    checked = 0
    for path in sorted(p.relative_to(example).as_posix() for p in example.rglob("*") if p.is_file()):
        if path == "_headers":
            continue
        urls = ["/" + path]
        if path.endswith("index.html"):
            urls.append("/" + path.removesuffix("index.html"))
        for url in urls:
            headers = headers_for(rules, url)
            assert len(headers.get("Cache-Control", [])) == 1, (url, headers)
            cache = headers["Cache-Control"][0]
            if path.startswith("static/"):
                assert "immutable" in cache and "max-age=31536000" in cache
            else:
                assert cache == "public, max-age=60, must-revalidate", url
            if path.startswith("api/"):
                assert headers["Access-Control-Allow-Origin"] == ["*"]
            else:
                assert "Access-Control-Allow-Origin" not in headers
            checked += 1
    assert checked > 50
