"""Atlassian Statuspage's public API v2, as static JSON files under `api/v2/`.

Clients of the real API (the embed widget, exporters, bots, client libraries) read
these files unchanged, so field names, types, enum values, nesting and key order
follow the public documentation and real responses (docs/api.md). Every value is
derived from the records and the Snapshot: the JSON never decides anything itself.
Also here: the `_headers` publishing file, since CORS exists for this API.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3

from .derive import Snapshot
from .model import (
    Component,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
    Record,
    Site,
    isoformat_z,
    url_join,
)

API = "api/v2/"
LIST_LIMIT = 50  # incidents.json and scheduled-maintenances.json: "the 50 most recent", as Statuspage
ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 12  # Statuspage ids are 12 lowercase base-36 characters, e.g. kctbh9vrtdwd
BLOCK_TAGS = {"p", "li", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr", "br", "table", "ul", "ol"}
TAG_LIKE = re.compile(r"</?[A-Za-z!?/][^<>]*>")

Json = dict[str, Any]


def stable_id(base_url: str, *parts: str) -> str:
    """A Statuspage-looking id that is the same in every build of the same site.

    Derived from the site's base_url so that two sites never share ids, and from the
    record/component id so that renaming a title keeps it.
    """
    digest = hashlib.sha256("\x1f".join((base_url, *parts)).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(ID_LENGTH):
        number, rest = divmod(number, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[rest])
    return "".join(chars)


class _TextExtractor(HTMLParser):
    """Plain text from sanitised HTML: block ends become newlines, links keep their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []
        self.in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.in_pre = True
        elif tag == "li":
            if self.parts and not self.parts[-1].endswith("\n"):
                self.parts.append("\n")
            self.parts.append("- ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []
        elif tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.in_pre = False
        if tag == "a":
            text = "".join(self.link_text)
            if self.href and self.href not in (text, f"mailto:{text}"):
                self.parts.append(f" ({self.href})")
            self.href = None
        elif tag in BLOCK_TAGS:
            self.parts.append("\n" if tag in ("li", "tr", "ul", "ol") else "\n\n")

    def handle_data(self, data: str) -> None:
        if not self.in_pre:
            if "\n" in data and not data.strip():
                return  # layout between HTML blocks
            data = data.replace("\n", " ")  # a soft line break in Markdown is a space
        self.parts.append(data)
        if self.href is not None:
            self.link_text.append(data)


class PlainText:
    """Markdown to the plain text Statuspage bodies hold, with all HTML removed.

    The Markdown is rendered and sanitised by nh3 (dropping scripts with their
    content), then reduced to text; anything still looking like a tag, e.g. from
    escaped entities, is removed too, since consumers may put bodies into HTML.
    """

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=["sane_lists", "tables", "fenced_code"], output_format="html")
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if text not in self._cache:
            html = nh3.clean(self._md.reset().convert(text), tags=BLOCK_TAGS | {"a"}, attributes={"a": {"href"}})
            parser = _TextExtractor()
            parser.feed(html)
            parser.close()
            plain = TAG_LIKE.sub("", "".join(parser.parts))
            lines = [line.rstrip() for line in plain.split("\n")]
            self._cache[text] = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
        return self._cache[text]


class Api:
    """Builds the API objects of one site at one moment."""

    def __init__(self, site: Site, snap: Snapshot) -> None:
        self.site = site
        self.snap = snap
        self.page_id = stable_id(site.base_url, "page")
        self.plain = PlainText()
        moments = [u.at for r in site.records for u in r.updates if u.at <= snap.now]
        # Components carry no creation date in statuspage.yaml; the oldest record stands in, deterministically.
        self.epoch = min([*moments, snap.now])
        self._components: list[Json] | None = None
        self._touched: dict[str, datetime] | None = None

    def id(self, *parts: str) -> str:
        return stable_id(self.site.base_url, *parts)

    def page(self) -> Json:
        return {
            "id": self.page_id,
            "name": self.site.title,
            "url": self.site.base_url.rstrip("/"),
            "time_zone": self.site.timezone,
            "updated_at": isoformat_z(self.snap.now),
        }

    def status(self) -> Json:
        return {"indicator": str(self.snap.indicator), "description": self.snap.description}

    def _touched_at(self, component_ids: set[str]) -> datetime:
        """Last time a record naming one of these components changed, up to now."""
        if self._touched is None:  # one pass over the history, not one per component and group
            self._touched = {}
            for record in self.site.records:
                times = [u.at for u in record.updates if u.at <= self.snap.now]  # oldest first
                if times:
                    for cid, _ in record.components:
                        self._touched[cid] = max(self._touched.get(cid, times[-1]), times[-1])
        return max([self.epoch, *(self._touched[c] for c in component_ids if c in self._touched)])

    def component(self, component: Component, position: int, group_id: str | None) -> Json:
        return {
            "id": self.id("component", component.id),
            "name": component.name,
            "status": str(self.snap.component_status[component.id]),
            "created_at": isoformat_z(self.epoch),
            "updated_at": isoformat_z(self._touched_at({component.id})),
            "position": position,
            "description": component.description,
            "showcase": True,
            "start_date": None,
            "group_id": group_id,
            "page_id": self.page_id,
            "group": False,
            "only_show_if_degraded": False,
        }

    def components(self) -> list[Json]:
        """Groups and components in page order (R7); a group is followed by its members, as on Statuspage."""
        if self._components is not None:
            return self._components
        out: list[Json] = []
        top = 0  # top-level position, shared by groups and components outside any group
        for group in self.snap.groups:
            if group.name is None:
                for component in group.components:
                    top += 1
                    out.append(self.component(component, top, None))
                continue
            top += 1
            group_id = self.id("group", group.name)
            members = [self.component(c, i, group_id) for i, c in enumerate(group.components, start=1)]
            out.append(
                {
                    "id": group_id,
                    "name": group.name,
                    "status": str(group.status),
                    "created_at": isoformat_z(self.epoch),
                    "updated_at": isoformat_z(self._touched_at({c.id for c in group.components})),
                    "position": top,
                    "description": None,
                    "showcase": False,
                    "start_date": None,
                    "group_id": None,
                    "page_id": self.page_id,
                    "group": True,
                    "only_show_if_degraded": False,
                    "components": [m["id"] for m in members],
                }
            )
            out.extend(members)
        self._components = out
        return out

    def _component_states(self, record: Record) -> list[dict[str, ComponentStatus]]:
        """What each named component's status was after each update of the record.

        An incident gives its components their listed status until resolved; a
        maintenance gives `under_maintenance` while in progress or verifying.
        """
        states: list[dict[str, ComponentStatus]] = []
        for update in record.updates:
            if record.is_maintenance:
                on = update.status in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)
            else:
                on = update.status != IncidentStatus.RESOLVED
            states.append({cid: status if on else ComponentStatus.OPERATIONAL for cid, status in record.components})
        return states

    def _status(self, record: Record) -> str:
        """The record's status word; a maintenance that R2 makes active by its window reads in_progress,
        as Statuspage's auto-start would have set it."""
        status = record.latest.status
        if record.is_maintenance and status == MaintenanceStatus.SCHEDULED and record in self.snap.active_maintenance:
            return str(MaintenanceStatus.IN_PROGRESS)
        return str(status)

    def incident(self, record: Record) -> Json:
        record_id = self.id("incident", record.id)
        names = {c.id: c for c in self.site.components}
        states = self._component_states(record)
        updates: list[Json] = []
        for index, update in enumerate(record.updates):
            before = states[index - 1] if index else dict.fromkeys(states[0], ComponentStatus.OPERATIONAL)
            affected = [
                {
                    "code": self.id("component", cid),
                    "name": names[cid].name,
                    "old_status": str(before[cid]),
                    "new_status": str(states[index][cid]),
                }
                for cid, _ in record.components
            ]
            updates.append(
                {
                    "id": self.id("incident_update", record.id, str(index)),
                    "status": str(update.status),
                    "body": self.plain(update.message),
                    "incident_id": record_id,
                    "created_at": isoformat_z(update.at),
                    "updated_at": isoformat_z(update.at),
                    "display_at": isoformat_z(update.at),
                    "affected_components": affected or None,
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
            )
        updates.reverse()  # newest first, as Statuspage lists them
        monitoring = [u.at for u in record.updates if u.status == IncidentStatus.MONITORING]
        position = {c.id: i for i, c in enumerate(self.site.components)}
        named = sorted((cid for cid, _ in record.components), key=position.__getitem__)
        all_components = {c["id"]: c for c in self.components()}
        result: Json = {
            "id": record_id,
            "name": record.title,
            "status": self._status(record),
            "created_at": isoformat_z(record.updates[0].at),
            "updated_at": isoformat_z(record.updated_at),
            "monitoring_at": isoformat_z(monitoring[0]) if monitoring and not record.is_maintenance else None,
            "resolved_at": isoformat_z(record.resolved_at) if record.resolved_at else None,
            "impact": "maintenance" if record.is_maintenance else str(record.impact),
            "shortlink": url_join(self.site.base_url, f"incidents/{record.id}/"),
            "started_at": isoformat_z(record.updates[0].at),
            "page_id": self.page_id,
            "incident_updates": updates,
            "components": [all_components[self.id("component", cid)] for cid in named],
        }
        if record.is_maintenance and record.window is not None:
            result["scheduled_for"] = isoformat_z(record.window[0])
            result["scheduled_until"] = isoformat_z(record.window[1])
        return result

    def incidents(self, records: Iterable[Record]) -> list[Json]:
        return [self.incident(r) for r in records]


def _dump(data: Json) -> bytes:
    """Deterministic JSON: insertion order is the API's field order; UTF-8, no escaping of non-ASCII."""
    return (json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n").encode("utf-8")


def render_api(site: Site, snap: Snapshot) -> dict[str, bytes]:
    """Every `api/v2/*.json` file of the Statuspage public API."""
    api = Api(site, snap)
    page = api.page()
    incidents = sorted(
        (r for r in site.records if not r.is_maintenance), key=lambda r: (r.updates[0].at, r.id), reverse=True
    )
    maintenances = sorted(
        (r for r in site.records if r.is_maintenance and r.window is not None),
        key=lambda r: (r.started_at, r.id),
        reverse=True,
    )
    unresolved = api.incidents(snap.open_incidents)
    active = api.incidents(snap.active_maintenance)
    upcoming = api.incidents(snap.upcoming_maintenance)
    components = api.components()
    status = api.status()
    files: dict[str, Json] = {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": status,
        },
        "status.json": {"page": page, "status": status},
        "components.json": {"page": page, "components": components},
        "incidents.json": {"page": page, "incidents": api.incidents(incidents[:LIST_LIMIT])},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": api.incidents(maintenances[:LIST_LIMIT]),
        },
        "scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
        "scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
    }
    return {API + name: _dump(data) for name, data in files.items()}


SHORT_CACHE = "public, max-age=60, must-revalidate"
LONG_CACHE = "public, max-age=31536000, immutable"


def render_headers(files: Iterable[str]) -> dict[str, bytes]:
    """`_headers` for Netlify and Cloudflare Pages: CORS on the API, cache lifetimes per kind of file.

    Rules never overlap on a header, because both hosts join the values of a header
    that two rules set; so Cache-Control is given per top-level path, not on `/*`.
    """
    tops: set[str] = set()
    for path in files:
        head, _, rest = path.partition("/")
        if head != "static":
            tops.add(f"/{head}/*" if rest else f"/{head}")
    lines = [
        "# Publishing headers for Netlify and Cloudflare Pages; see docs/hosting.md for nginx and S3.",
        "/*",
        "  X-Content-Type-Options: nosniff",
        "",
        "/api/*",
        "  Access-Control-Allow-Origin: *",
        "  Access-Control-Allow-Methods: GET, HEAD, OPTIONS",
        f"  Cache-Control: {SHORT_CACHE}",
        "",
        "/",
        f"  Cache-Control: {SHORT_CACHE}",
        "",
    ]
    for top in sorted(tops - {"/api/*", "/_headers"}):
        lines += [top, f"  Cache-Control: {SHORT_CACHE}", ""]
    lines += ["# Assets carry a content hash in their name, so they never change.", "/static/*"]
    lines += [f"  Cache-Control: {LONG_CACHE}", ""]
    return {"_headers": "\n".join(lines).encode("utf-8")}
