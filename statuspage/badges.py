"""Shields-style SVG badges: `badge.svg` for the page, `components/<id>/badge.svg` for each component.

A badge says its status in words and with a shape, never by colour alone (WCAG 1.4.1),
and carries a `<title>` and `aria-label` for screen readers. Component names are
user input, so every piece of text is XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .derive import DEGRADED_TEXT, Snapshot
from .model import ComponentStatus, Indicator, Site

HEIGHT = 20
PAD = 6
ICON = 14  # room for the shape before the status words
# Approximate advance of Verdana 11px, as shields.io measures: narrow, wide and default glyphs.
NARROW = set("ijlI.,:;!'|() ")
WIDE = set("mwMW@%")

COLOUR: dict[str, str] = {
    "operational": "#1a7f37",
    "under_maintenance": "#0969da",
    "degraded_performance": "#9a6700",
    "partial_outage": "#bc4c00",
    "major_outage": "#cf222e",
}
INDICATOR_STATUS: dict[Indicator, ComponentStatus] = {
    Indicator.NONE: ComponentStatus.OPERATIONAL,
    Indicator.MAINTENANCE: ComponentStatus.UNDER_MAINTENANCE,
    Indicator.MINOR: ComponentStatus.PARTIAL_OUTAGE,
    Indicator.MAJOR: ComponentStatus.MAJOR_OUTAGE,
    Indicator.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}
# One white shape per status, drawn in a 10x10 box: check, wrench-like bar, diamond, triangle, cross.
SHAPE: dict[str, str] = {
    "operational": '<path d="M1 5.5l2.5 2.5L9 2" fill="none" stroke="#fff" stroke-width="2"/>',
    "under_maintenance": '<rect x="1" y="3.5" width="8" height="3" fill="#fff"/>',
    "degraded_performance": '<path d="M5 0.5L9.5 5 5 9.5 0.5 5z" fill="#fff"/>',
    "partial_outage": '<path d="M5 0.5L9.5 9.5h-9z" fill="#fff"/>',
    "major_outage": '<path d="M1.5 1.5l7 7M8.5 1.5l-7 7" stroke="#fff" stroke-width="2.2"/>',
}


def text_width(text: str) -> int:
    return round(sum(3.5 if c in NARROW else 9.5 if c in WIDE else 7.0 for c in text))


def words(status: str) -> str:
    """'major_outage' as 'major outage', the words the badge shows."""
    return status.replace("_", " ")


def badge(label: str, message: str, status: str) -> bytes:
    """One badge: grey label on the left, the status shape and words on the right."""
    left = text_width(label) + 2 * PAD
    right = ICON + text_width(message) + 2 * PAD
    width = left + right
    title = f"{label}: {message}"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>"
        f'<rect width="{left}" height="{HEIGHT}" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{COLOUR[status]}"/>'
        f'<g transform="translate({left + PAD},5)">{SHAPE[status]}</g>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{PAD}" y="14">{escape(label)}</text>'
        f'<text x="{left + PAD + ICON}" y="14">{escape(message)}</text>'
        "</g></svg>\n"
    )
    return svg.encode("utf-8")


def render_badges(site: Site, snap: Snapshot) -> dict[str, bytes]:
    """`badge.svg` with the page's description, and one badge per component with its status."""
    overall = INDICATOR_STATUS[snap.indicator]
    if snap.description == DEGRADED_TEXT:  # R5: minor from degraded components only
        overall = ComponentStatus.DEGRADED_PERFORMANCE
    outputs = {"badge.svg": badge(site.title, snap.description, overall)}
    for component in site.components:
        status = snap.component_status[component.id]
        outputs[f"components/{component.id}/badge.svg"] = badge(component.name, words(status), status)
    return outputs
