"""HTML pages: the Jinja environment, Markdown to safe HTML, dates, and every page.

Templates display and never decide: what each page shows comes in from `derive`.
"""

from __future__ import annotations

import base64
import dataclasses
import gc
import hashlib
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date as CalendarDay
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
import markdown
import nh3
import yaml
from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta, get_datetime_format
from babel.numbers import format_percent
from markupsafe import Markup

from .cache import Cache, digest, files_digest
from .derive import Snapshot, is_active, is_open, is_upcoming, uptimes
from .model import BuildError, Component, Indicator, Record, Site, isoformat_z

# What Markdown in incident files may produce; everything else is dropped (docs/security.md).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h3", "h4",
    "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
HEADING = re.compile(r"<(/?)h([1-6])\b")
OUTSIDE = "links to a file outside the site folder (expected a file in the site)"
RECENT_MONTHS = 3  # months on history/index.html, as Statuspage's history page shows

# English words for every enum value a page shows; i18n/<lang>.yaml translates them.
LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "verifying": "Verifying",
    "completed": "Completed",
    "none": "None",
    "minor": "Minor",
    "major": "Major",
    "critical": "Critical",
    "open": "Ongoing",
    "active": "In progress",
    "upcoming": "Upcoming",
    "past": "Past",
}
# Icon shape for the overall banner (docs/rules.md R5): the shape of the matching component status.
BANNER_ICON = {
    Indicator.NONE: "operational",
    Indicator.MAINTENANCE: "under_maintenance",
    Indicator.MINOR: "partial_outage",
    Indicator.MAJOR: "major_outage",
    Indicator.CRITICAL: "major_outage",
}
BANNER_COLOUR = {
    Indicator.NONE: "#1a7f37",
    Indicator.MAINTENANCE: "#0969da",
    Indicator.MINOR: "#bc4c00",
    Indicator.MAJOR: "#cf222e",
    Indicator.CRITICAL: "#cf222e",
}
# Shows the stale-page warning (partials/stale.html); allowed by its hash in the CSP.
STALE_SCRIPT = (
    "(function(){var e=document.getElementById('stale');if(!e)return;"
    "var b=Date.parse(e.getAttribute('data-built')),m=1e3*e.getAttribute('data-max-age');"
    "function c(){if(Date.now()-b>m)e.hidden=false}c();setInterval(c,6e4)})();"
)


def default_theme() -> Path:
    """The built-in theme: inside the wheel, else the source tree of an editable install."""
    packaged = Path(str(resources.files("statuspage") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


def _demote_headings(html: str) -> str:
    """Make the text's top heading level h3: the page owns h1 and h2, and levels must not skip."""
    levels = [int(m.group(2)) for m in HEADING.finditer(html)]
    if not levels:
        return html
    shift = 3 - min(levels)
    return HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)


class MarkdownRenderer:
    """Markdown to sanitised HTML, one converter per build, memoised per text."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=["sane_lists", "tables", "fenced_code"], output_format="html")
        self._cache: dict[str, Markup] = {}

    def __call__(self, text: str | None) -> Markup:
        if not text:
            return Markup("")
        if text not in self._cache:
            html = _demote_headings(self._md.reset().convert(text))
            clean = nh3.clean(
                html,
                tags=ALLOWED_TAGS,
                attributes=ALLOWED_ATTRIBUTES,
                url_schemes=ALLOWED_SCHEMES,
                link_rel="nofollow noopener noreferrer",
                strip_comments=True,
            )
            self._cache[text] = Markup(clean)
        return self._cache[text]


def load_catalog(theme_dirs: Iterable[Path], language: str, allowed: tuple[Path, ...] = ()) -> dict[str, str]:
    """Translated strings from the first `i18n/<language>.yaml` found (site before default)."""
    for folder in theme_dirs:
        path = folder / "i18n" / f"{language}.yaml"
        if path.is_file() and not any(_inside(path, a) for a in allowed or (folder,)):
            raise BuildError(f"templates/i18n/{language}.yaml: {OUTSIDE}")
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return {str(k): str(v) for k, v in data.items()}
    return {}


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, every link followed, stays within `folder` (docs/security.md, path rules)."""
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # missing target, or a link loop (RuntimeError before Python 3.13)
        return False


class _ContainedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses a template linking outside its folder, e.g. to ~/.ssh/id_rsa.

    Jinja's `followlinks=False` only affects listing; `get_source` opens whatever a link points at.
    """

    def __init__(self, searchpath: list[str], allowed: tuple[Path, ...]) -> None:
        super().__init__(searchpath, followlinks=False)
        self.allowed = allowed

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        if not any(_inside(Path(filename), folder) for folder in self.allowed):
            raise BuildError(f"templates/{template}: {OUTSIDE}")
        return source, filename, uptodate


class Theme:
    """A Jinja environment bound to one site: its overrides, language and timezone."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.zone = ZoneInfo(site.timezone)
        default = default_theme()
        own = site.root / "templates"
        if own.is_dir() and not _inside(own, site.root):
            raise BuildError(f"templates: {OUTSIDE}")
        self.dirs = [d for d in (own, default) if d.is_dir()]
        self.allowed = (site.root, default)  # where theme files may really live, links followed
        loader = jinja2.ChoiceLoader(
            [
                _ContainedLoader([str(d) for d in self.dirs], self.allowed),
                jinja2.PrefixLoader({"!default": jinja2.FileSystemLoader(str(default))}),
            ]
        )
        self.env = jinja2.Environment(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.catalog = load_catalog(self.dirs, site.language, self.allowed)
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            self.gettext, self.ngettext, newstyle=True
        )
        self.markdown = MarkdownRenderer()
        self.locale = Locale.parse(site.language)
        self._days: dict[CalendarDay, str] = {}
        self._whens: dict[datetime, Markup] = {}
        self._fingerprint: bytes | None = None
        self._percent_pattern: str | None = None
        self.env.filters["markdown"] = self.markdown
        self.env.filters["when"] = self.when
        self.env.filters["date"] = self.date
        self.env.filters["month"] = self.month_name
        self.env.filters["day"] = self.day
        self.env.filters["percent"] = self.percent
        self.env.filters["iso"] = isoformat_z
        self.env.filters["label"] = self.label
        self.assets = self._assets()
        script_hash = base64.b64encode(hashlib.sha256(STALE_SCRIPT.encode()).digest()).decode()
        script_src = f"'sha256-{script_hash}'" if site.max_age else "'none'"
        self.csp = (
            "default-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"script-src {script_src}; base-uri 'none'; form-action 'none'"
        )
        self.globals: dict[str, Any] = {
            "csp": self.csp,
            "stale_script": Markup(STALE_SCRIPT),
            "max_age_text": format_timedelta(timedelta(seconds=site.max_age or 0), threshold=10, locale=site.language),
        }

    def fingerprint(self) -> bytes:
        """Key of everything a page depends on besides its own data: theme files and site settings."""
        if self._fingerprint is None:
            files = [p for folder in self.dirs for p in folder.rglob("*") if p.is_file()]
            self._fingerprint = digest(files_digest(files), repr(dataclasses.replace(self.site, records=())))
        return self._fingerprint

    def label(self, value: str) -> str:
        """Words for an enum value, in the site language."""
        return self.gettext(LABELS.get(str(value), str(value)))

    def gettext(self, message: str) -> str:
        return self.catalog.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = singular if n == 1 else plural
        return self.catalog.get(key, key)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def when(self, moment: datetime) -> Markup:
        """A `<time>` element: machine-readable UTC, human text in the site's zone and language.

        Memoised per moment: Babel formatting costs ~0.2 ms a call, and a large history
        repeats the same update times on the incident page, the history and the feeds.
        """
        found = self._whens.get(moment)
        if found is None:
            local = self.local(moment)
            text = (
                str(get_datetime_format("medium", locale=self.locale))
                .replace("{1}", format_skeleton("yMMMd", local, locale=self.locale))
                .replace("{0}", format_time(local, "short", locale=self.locale))
            )
            found = Markup('<time datetime="{}">{} {}</time>').format(isoformat_z(moment), text, local.strftime("%Z"))
            self._whens[moment] = found
        return found

    def date(self, moment: datetime) -> str:
        return format_skeleton("yMMMd", self.local(moment), locale=self.locale)

    def day(self, value: CalendarDay) -> str:
        """A calendar day as text in the site language; memoised, as 90 bars per component repeat them."""
        if value not in self._days:
            self._days[value] = format_skeleton("yMMMd", datetime.combine(value, time(12)), locale=self.locale)
        return self._days[value]

    def percent(self, value: float) -> str:
        """A percentage (already truncated by derive, docs/uptime.md U5) written the site language's way."""
        if self._percent_pattern is None:
            # The language's own pattern ("#,##0 %" in French), with exactly two decimals.
            pattern = self.locale.percent_formats[None].pattern
            self._percent_pattern = re.sub(r"0(?=[^0#]*%)", "0.00", pattern, count=1)
        return str(format_percent(value / 100, self._percent_pattern, locale=self.locale))

    def month_name(self, key: str) -> str:
        """'2023-01' as 'January 2023' in the site language."""
        year, month = (int(part) for part in key.split("-"))
        text = format_skeleton("yMMMM", datetime(year, month, 15, tzinfo=self.zone), locale=self.locale)
        return text[:1].upper() + text[1:]

    def _assets(self) -> dict[str, tuple[str, bytes]]:
        """Static files keyed by logical name, published under a content hash for long caching."""
        assets: dict[str, tuple[str, bytes]] = {}
        for folder in reversed(self.dirs):  # the site's own files win
            static = folder / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file() and not any(_inside(path, a) for a in self.allowed):
                    raise BuildError(f"templates/{path.relative_to(folder).as_posix()}: {OUTSIDE}")
                if path.is_file() and not path.is_symlink():
                    name = path.relative_to(static).as_posix()
                    data = path.read_bytes()
                    digest = hashlib.sha256(data).hexdigest()[:10]
                    stem, dot, ext = name.rpartition(".")
                    hashed = f"static/{stem}.{digest}.{ext}" if dot else f"static/{name}.{digest}"
                    assets[name] = (hashed, data)
        return assets

    def render(self, template: str, path: str, **context: Any) -> bytes:
        """Render one page at output `path`; links in it are relative to that path."""
        depth = path.count("/")
        root = "../" * depth
        try:
            page = self.env.get_template(template).render(
                site=self.site,
                path=path,
                root=root,
                home=root or "./",
                **self.globals,
                canonical=self.site.base_url + (path.removesuffix("index.html")),
                asset=lambda name: root + self.assets[name][0],
                **context,
            )
        except jinja2.TemplateSyntaxError as error:
            raise BuildError(f"templates/{error.name}:{error.lineno}: {error.message}") from error
        except jinja2.TemplateError as error:
            raise BuildError(f"{_template_location(error)}{error}") from error
        return page.encode("utf-8")


def _template_location(error: BaseException) -> str:
    """'templates/x.html:12: ' from the innermost template frame of a render error."""
    found = ""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".svg")):
            found = f"templates/{Path(filename).name}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return found


def favicon(indicator: Indicator) -> str:
    """A data: URL SVG dot in the banner colour, so a browser tab shows the status too."""
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
        f"<circle cx='8' cy='8' r='7' fill='{BANNER_COLOUR[indicator]}'/></svg>"
    )
    return "data:image/svg+xml," + quote(svg)


def month_key(record: Record, zone: ZoneInfo) -> str:
    return record.started_at.astimezone(zone).strftime("%Y-%m")


def by_month(records: Iterable[Record], zone: ZoneInfo) -> list[tuple[str, list[Record]]]:
    """Records grouped by month of start in the site's zone, newest month and record first."""
    months: dict[str, list[Record]] = {}
    for record in sorted(records, key=lambda r: (r.started_at, r.id), reverse=True):
        months.setdefault(month_key(record, zone), []).append(record)
    return sorted(months.items(), reverse=True)


def record_state(record: Record, snap: Snapshot) -> str:
    """One word for where a record stands now, for labels and CSS."""
    if record.is_maintenance:
        if is_active(record, snap.now):
            return "active"
        if is_upcoming(record, snap.now):
            return "upcoming"
        return "completed" if record.resolved_at else "past"
    return "open" if is_open(record) else "resolved"


class PageKeys:
    """Cache keys of pages: everything a page's template reads, hashed (statuspage/cache.py).

    Every key starts from the theme files, the site settings, and the moment and overall
    status that every page's header and footer show; each page adds its own data. A site
    with its own templates may read anything from anywhere, so its pages are never cached.
    """

    def __init__(self, theme: Theme, snap: Snapshot, cache: Cache | None) -> None:
        own_templates = (theme.site.root / "templates").is_dir()
        self.cache = None if own_templates else cache
        self.snap = snap
        self._records: dict[str, bytes] = {}
        if self.cache is not None:
            self.base = digest(theme.fingerprint(), isoformat_z(snap.now), snap.indicator, snap.description)

    def record(self, record: Record) -> bytes:
        """A record as shown at this moment: its data and its state (open, upcoming, …)."""
        if record.id not in self._records:
            self._records[record.id] = digest(repr(record), record_state(record, self.snap))
        return self._records[record.id]

    def key(self, *parts: bytes | str) -> bytes:
        return digest(self.base, *parts)

    def render(self, theme: Theme, parts: Sequence[bytes | str], template: str, path: str, **context: Any) -> bytes:
        """A page from the cache when everything in `parts` (and the base) is unchanged, else rendered."""
        return self.cached([template, path, *parts], lambda: theme.render(template, path, **context))

    def cached(self, parts: Sequence[bytes | str], produce: Callable[[], bytes]) -> bytes:
        """`produce()`, or what it gave last time for the same `parts` (and base)."""
        if self.cache is None:
            return produce()
        key = self.key(*parts)
        data = self.cache.get_many([key]).get(key)
        if data is None:
            data = produce()
            self.cache.put_many({key: data})
        return data


def render_pages(
    site: Site, snap: Snapshot, theme: Theme | None = None, keys: PageKeys | None = None
) -> dict[str, bytes]:
    """Every HTML page and static asset of the site, keyed by output path; `keys` brings the cache."""
    theme = theme or Theme(site)
    keys = keys or PageKeys(theme, snap, None)
    zone = theme.zone
    common: dict[str, Any] = {
        "snap": snap,
        "state": lambda r: record_state(r, snap),
        "status_of": snap.component_status,
        "banner_icon": BANNER_ICON[snap.indicator],
        "favicon": favicon(snap.indicator),
        "uptimes": uptimes(site, snap.now),
    }
    pages: dict[str, bytes] = {hashed: data for hashed, data in theme.assets.values()}
    pages["index.html"] = theme.render("index.html", "index.html", **common)
    months = by_month(site.records, zone)
    month_keys = [key for key, _ in months]
    pages["history/index.html"] = theme.render(
        "history.html", "history/index.html", months=months[:RECENT_MONTHS], all_months=months, month=None, **common
    )
    counts = repr([(key, len(records)) for key, records in months])  # the archive list on every month page
    for i, (key, records) in enumerate(months):
        newer = month_keys[i - 1] if i > 0 else None
        older = month_keys[i + 1] if i + 1 < len(month_keys) else None
        pages[f"history/{key}/index.html"] = keys.render(
            theme,
            [counts, str(newer), str(older), *(keys.record(r) for r in records)] if keys.cache else [],
            "history.html",
            f"history/{key}/index.html",
            months=[(key, records)],
            all_months=months,
            month=key,
            newer=newer,
            older=older,
            **common,
        )
    pages.update(_record_pages(theme, site.records, common, keys))
    probes = theme.globals.get("probes", {})
    for component in site.components:
        touching = list(_touching(site.records, component))
        cid = component.id
        shown = [repr(component), snap.component_status[cid], repr(common["uptimes"][cid]), repr(probes.get(cid))]
        pages[f"components/{cid}/index.html"] = keys.render(
            theme,
            [*shown, *(keys.record(r) for r in touching)] if keys.cache else [],
            "component.html",
            f"components/{cid}/index.html",
            component=component,
            months=by_month(touching, zone),
            **common,
        )
    return pages


# A process pool pays for itself only on large sites: forking and sending pages back
# costs about 0.1 s, rendering an incident page about 1 ms (benchmarks/README.md).
PARALLEL_MIN_RECORDS = 400
_shared: tuple[Theme, Sequence[Record], dict[str, Any]] | None = None


def _render_records(bounds: tuple[int, int]) -> list[tuple[str, bytes]]:
    """Incident pages of records[start:stop], in a worker forked with `_shared` already set."""
    assert _shared is not None
    theme, records, common = _shared
    return list(_render_records_with(theme, records[bounds[0] : bounds[1]], common))


def _workers() -> int:
    """CPUs this process may use; 1 where fork is unavailable (Windows) or unsafe (macOS)."""
    if not sys.platform.startswith("linux"):
        return 1
    return len(os.sched_getaffinity(0))


def _record_pages(theme: Theme, records: Sequence[Record], common: dict[str, Any], keys: PageKeys) -> dict[str, bytes]:
    """One page per record: from the cache when the record and the base are unchanged, else rendered."""
    if keys.cache is None:
        return _render_many(theme, records, common)
    wanted = {r.id: keys.key("incident", keys.record(r)) for r in records}
    found = keys.cache.get_many(wanted.values())
    todo = [r for r in records if wanted[r.id] not in found]
    pages = _render_many(theme, todo, common)
    keys.cache.put_many({wanted[r.id]: pages[f"incidents/{r.id}/index.html"] for r in todo})
    for record in records:
        if wanted[record.id] in found:
            pages[f"incidents/{record.id}/index.html"] = found[wanted[record.id]]
    return pages


def _render_many(theme: Theme, records: Sequence[Record], common: dict[str, Any]) -> dict[str, bytes]:
    """Incident pages, spread over the CPUs for large sites (issue 7).

    Workers are forked, so they inherit the theme and records instead of receiving
    them pickled; each renders a contiguous slice and sends bytes back. Pages are the
    same bytes whichever process renders them: rendering depends only on its inputs.
    """
    global _shared
    workers = _workers()
    if workers < 2 or len(records) < PARALLEL_MIN_RECORDS:
        return dict(_render_records_with(theme, records, common))
    step = -(-len(records) // (workers * 4))  # a few slices per worker evens out uneven pages
    slices = [(i, min(i + step, len(records))) for i in range(0, len(records), step)]
    _shared = (theme, records, common)
    gc.freeze()  # the forked workers then leave the shared heap unwritten instead of copying it page by page
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return {path: page for chunk in pool.map(_render_records, slices) for path, page in chunk}
    finally:
        _shared = None
        gc.unfreeze()


def _render_records_with(
    theme: Theme, records: Sequence[Record], common: dict[str, Any]
) -> Iterator[tuple[str, bytes]]:
    for record in records:
        path = f"incidents/{record.id}/index.html"
        yield path, theme.render("incident.html", path, record=record, **common)


def _touching(records: Iterable[Record], component: Component) -> Iterator[Record]:
    return (r for r in records if any(cid == component.id for cid, _ in r.components))
