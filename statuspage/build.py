"""One build: load, derive, render every output in memory, then write them at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .derive import ProbeSummary, Snapshot, probe_summary, snapshot
from .feeds import render_feeds
from .load import load_site
from .model import BuildError, ProbeResult, Record, Site
from .probe import read_history
from .render import Theme, render_pages
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


def render_site(site: Site, now: datetime) -> Built:
    """Every output file of the site at `now`, in memory."""
    snap = snapshot(site, now)
    theme = Theme(site)
    theme.globals["probes"] = probe_summaries(site, now)

    def entry_html(record: Record) -> str:
        return theme.render("partials/feed-entry.html", "history.atom", record=record, snap=snap).decode()

    def feed_title(title: str) -> str:
        return theme.gettext("%(title)s: history") % {"title": title}

    files = merge(
        render_pages(site, snap, theme),
        render_feeds(site, now, entry_html, feed_title),
    )
    return Built(site=site, snap=snap, files=files)


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


def build(site_root: Path, out: Path, now: datetime) -> tuple[Built, WriteResult]:
    """Load and validate the site, render it, and swap it into `out`."""
    site = load_site(site_root)
    built = render_site(site, now)
    return built, write_tree(out, built.files, site_root=site_root)


def check(site_root: Path, now: datetime) -> Built:
    """A full build in memory that writes nothing: if check passes, build passes."""
    return render_site(load_site(site_root), now)
