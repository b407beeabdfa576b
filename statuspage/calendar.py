"""`maintenance.ics`: every maintenance window as an iCalendar event (RFC 5545), made with icalendar.

Calendar apps subscribe to the file and refresh it, so each event keeps its UID
across builds and its SEQUENCE grows with each update of the record (RFC 5546
3.2.2). DTSTAMP comes from the record's latest update, never the clock, so the same
inputs give the same bytes.

What the STATUS means here (docs/api.md): a maintenance is CANCELLED when it was
marked `completed` before its window began, i.e. called off, which is how one
cancels a maintenance on Statuspage too. Every other maintenance, including a
completed one, is CONFIRMED: a finished maintenance stays in the calendar as a
past event.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

import nh3
from icalendar import Calendar, Event

from . import __version__
from .model import MaintenanceStatus, Record, Site, url_join


def is_cancelled(record: Record) -> bool:
    """Completed before its window started: the work was called off."""
    return (
        record.window is not None
        and record.latest.status == MaintenanceStatus.COMPLETED
        and record.latest.at < record.window[0]
    )


def plain(text: str) -> str:
    """Message text without any HTML: calendar descriptions are plain text."""
    return html.unescape(nh3.clean(text, tags=set())).strip()


def render_calendar(site: Site) -> dict[str, bytes]:
    """One VEVENT per maintenance, oldest window first."""
    host = urlsplit(site.base_url).hostname or "statuspage"
    cal = Calendar()
    cal.add("prodid", f"-//statuspage//statuspage-static {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{site.title}: maintenance")
    cal.add("x-wr-caldesc", f"Scheduled maintenance of {site.title}")
    names = {c.id: c.name for c in site.components}
    records = sorted((r for r in site.records if r.is_maintenance and r.window), key=lambda r: (r.started_at, r.id))
    for record in records:
        assert record.window is not None
        start, end = record.window
        url = url_join(site.base_url, f"incidents/{record.id}/")
        named = {cid for cid, _ in record.components}
        affected = ", ".join(name for cid, name in names.items() if cid in named)
        lines = [plain(record.updates[0].message)]
        if len(record.updates) > 1:
            lines.append(f"{record.latest.status.replace('_', ' ').capitalize()}: {plain(record.latest.message)}")
        if affected:
            lines.append(f"Affected: {affected}")
        lines.append(url)
        event = Event()
        event.add("uid", f"{record.id}@{host}")
        event.add("dtstamp", record.latest.at)
        event.add("created", record.updates[0].at)
        event.add("last-modified", record.latest.at)
        event.add("sequence", len(record.updates) - 1)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", record.title)
        event.add("description", "\n\n".join(lines))
        event.add("url", url)
        event.add("status", "CANCELLED" if is_cancelled(record) else "CONFIRMED")
        event.add("transp", "TRANSPARENT")  # maintenance does not make the reader busy
        event.add("categories", ["Maintenance"])
        cal.add_component(event)
    return {"maintenance.ics": cal.to_ical()}
