"""RSS 2.0 and Atom feeds of the history, made with feedgen.

feedgen fills several dates from the clock when they are not set; we set every
one from the records so that the same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from feedgen.feed import FeedGenerator

from . import __version__
from .model import Record, Site, url_join

GENERATOR = "statuspage"
FEED_LIMIT = 50  # entries per feed, newest first; the full history is on the site


def _entries(records: Iterable[Record]) -> list[Record]:
    """Newest activity first; ties broken by id so the order never depends on file order."""
    return sorted(records, key=lambda r: (r.updated_at, r.id), reverse=True)[:FEED_LIMIT]


def _generator(
    site: Site,
    title: str,
    page: str,
    feed_path: str,
    records: list[Record],
    entry_html: Callable[[Record], str],
    now: datetime,
    *,
    rss: bool = False,
) -> FeedGenerator:
    """One feed; RSS carries the HTML in `description`, Atom in `content` (never both, to halve the size)."""
    fg = FeedGenerator()
    fg.id(url_join(site.base_url, feed_path))
    fg.title(title)
    fg.author({"name": site.title})
    # feedgen takes the last link as RSS's channel <link>, which must be the web page, not the feed.
    fg.link(href=url_join(site.base_url, feed_path), rel="self")
    fg.link(href=url_join(site.base_url, page), rel="alternate")
    fg.description(site.description or title)
    fg.language(site.language)
    fg.generator(GENERATOR, version=__version__, uri="https://pypi.org/project/statuspage-static/")
    updated = records[0].updated_at if records else now
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for record in records:
        url = url_join(site.base_url, f"incidents/{record.id}/")
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(record.title)
        entry.link(href=url, rel="alternate")
        entry.published(record.updates[0].at)
        entry.updated(record.updated_at)
        html = entry_html(record)
        if rss:
            entry.description(html)
        else:
            entry.content(html, type="html")
    return fg


def render_feeds(
    site: Site,
    now: datetime,
    entry_html: Callable[[Record], str],
    feed_title: Callable[[str], str],
) -> dict[str, bytes]:
    """`history.rss`, `history.atom`, and an Atom feed per component."""
    outputs: dict[str, bytes] = {}
    records = _entries(site.records)
    title = feed_title(site.title)
    atom = _generator(site, title, "history/", "history.atom", records, entry_html, now)
    outputs["history.atom"] = atom.atom_str(pretty=True)
    rss = _generator(site, title, "history/", "history.rss", records, entry_html, now, rss=True)
    outputs["history.rss"] = rss.rss_str(pretty=True)
    by_component: dict[str, list[Record]] = {c.id: [] for c in site.components}
    for record in site.records:  # one pass, not one per component
        for cid, _ in record.components:
            by_component[cid].append(record)
    for component in site.components:
        touching = _entries(by_component[component.id])
        path = f"components/{component.id}/feed.atom"
        page = f"components/{component.id}/"
        fg = _generator(site, feed_title(f"{site.title} – {component.name}"), page, path, touching, entry_html, now)
        outputs[path] = fg.atom_str(pretty=True)
    return outputs
