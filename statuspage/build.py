"""One build: load, derive, render every output in memory, then write them at once."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .api import render_api, render_headers
from .badges import render_badges
from .cache import Cache
from .calendar import render_calendar
from .derive import ProbeSummary, Snapshot, probe_summary, snapshot
from .feeds import render_feeds
from .load import load_site
from .model import BuildError, ProbeResult, Record, Site
from .probe import read_history
from .render import PageKeys, Theme, render_pages
from .write import WriteResult, write_tree


@dataclass(frozen=True, slots=True)
class Built:
    site: Site
    snap: Snapshot
    files: dict[str, bytes]


def merge(*outputs: Mapping[str, bytes]) -> dict[str, bytes]:
    """Join the outputs' trees, refusing a path that two of them claim."""
    merged: dict[str, bytes] = {}
    for output in outputs:
        for path, data in output.items():
            if path in merged:
                raise BuildError(f"two outputs both write '{path}'")
            merged[path] = data
    return merged


def render_site(site: Site, now: datetime, cache: Cache | None = None) -> Built:
    """Every output file of the site at `now`, in memory."""
    snap = snapshot(site, now)
    theme = Theme(site)
    theme.globals["probes"] = probe_summaries(site, now)

    entries: dict[str, str] = {}
    keys = PageKeys(theme, snap, cache)

    def entry_html(record: Record) -> str:
        """A record's feed entry; the history feed and its components' feeds share one rendering."""
        if record.id not in entries:
            parts = [keys.record(record)] if keys.cache else []
            html = keys.render(theme, parts, "partials/feed-entry.html", "history.atom", record=record, snap=snap)
            entries[record.id] = html.decode()
        return entries[record.id]

    def feed_title(title: str) -> str:
        return theme.gettext("%(title)s: history") % {"title": title}

    files = merge(
        render_pages(site, snap, theme, keys),  # one PageKeys: each record's key is hashed once
        render_feeds(site, now, entry_html, feed_title),
        render_api(site, snap),
        render_badges(site, snap),
        _calendar(site, keys),
    )
    files = merge(files, render_headers(files))
    return Built(site=site, snap=snap, files=files)


def _calendar(site: Site, keys: PageKeys) -> dict[str, bytes]:
    """maintenance.ics, from the cache while no maintenance changed (icalendar takes ~2 ms an event)."""
    maintenances = [repr(r) for r in site.records if r.is_maintenance]
    ics = keys.cached(["maintenance.ics", *maintenances], lambda: render_calendar(site)["maintenance.ics"])
    return {"maintenance.ics": ics}


def probe_summaries(site: Site, now: datetime) -> dict[str, ProbeSummary]:
    """Uptime and response times of each probed component, from probes/*.csv (docs/probes.md, P1-P3)."""
    probed = sorted({check.component for check in site.checks})
    if not probed:
        return {}
    by_component: dict[str, list[ProbeResult]] = {cid: [] for cid in probed}
    for result in read_history(site.root, now):
        if result.component in by_component:
            by_component[result.component].append(result)
    return {cid: probe_summary(by_component[cid], cid, now) for cid in probed}


def cache_path(cache_dir: Path, out: Path) -> Path:
    """One cache file per output folder, in the user's cache folder (never in the site or the output).

    Not in the site: a pull request could commit a crafted cache file there. Not in the
    output: a deploy would upload it.
    """
    name = hashlib.blake2b(os.fsencode(os.path.abspath(out)), digest_size=10).hexdigest()
    return cache_dir / f"{name}.sqlite"


def build(site_root: Path, out: Path, now: datetime, *, cache_dir: Path | None = None) -> tuple[Built, WriteResult]:
    """Load and validate the site, render it, and swap it into `out`; with `cache_dir`, reuse unchanged pages."""
    if cache_dir is None:
        built = render_site(load_site(site_root), now)
        return built, write_tree(out, built.files, site_root=site_root)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = Cache(cache_path(cache_dir, out))
    try:
        built = render_site(load_site(site_root, cache), now, cache)
        result = write_tree(out, built.files, site_root=site_root)
        cache.prune()  # only after a good build: a failed one keeps what the last good one needs
    finally:
        cache.close()
    return built, result


def check(site_root: Path, now: datetime) -> Built:
    """A full build in memory that writes nothing: if check passes, build passes."""
    return render_site(load_site(site_root), now)
