"""Property tests (issue 8 item 5): random valid sites always build, and derived status obeys docs/rules.md.

Hypothesis writes whole sites as YAML text (statuspage.yaml plus incident and maintenance
files) to disk, `load_site` reads them back like any editor's files, and the invariants
below are checked against the snapshot. Text fields draw from all of Unicode except what
YAML or XML cannot carry, so the same runs fuzz escaping in every output.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.build import render_site
from statuspage.derive import is_active, is_open, snapshot
from statuspage.load import load_site
from statuspage.model import (
    COMPONENT_RANK,
    IMPACT_INDICATOR,
    INCIDENT_COMPONENT_STATUSES,
    INDICATOR_RANK,
    ComponentStatus,
    Impact,
    Indicator,
    Site,
)

from conftest import NOW, write_site

# No example database: runs stay independent of what an earlier run left in .hypothesis/.
SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
COMPONENT_IDS = ("web", "api", "db", "cdn", "login", "mail")
GROUPS = (None, "Frontend", "Backend")
STAMP = "%Y-%m-%dT%H:%M:%SZ"

# Any printable text: no surrogates, controls, line/paragraph separators (YAML folds them),
# private-use or unassigned code points, BOM or non-characters.
TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"), blacklist_characters="\ufeff\ufffe\uffff"
    ),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip() != "")
MARKDOWN = st.one_of(
    TEXT,
    st.lists(st.sampled_from(["**bold**", "[link](https://example.com/)", "`code`", "- item", "# Head", "<b>x</b>"]))
    .map("\n\n".join)
    .filter(lambda s: s.strip() != ""),
)


def q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Generated:
    """What the strategy meant to write, to compare against what was loaded."""

    config: str
    files: dict[str, str]
    titles: dict[str, str] = field(default_factory=dict)


@st.composite
def sites(draw: st.DrawFn) -> Generated:
    ids = draw(st.lists(st.sampled_from(COMPONENT_IDS), min_size=1, max_size=5, unique=True))
    components = "".join(
        f"  - id: {cid}\n    name: {q(draw(TEXT))}\n"
        + (f"    group: {q(group)}\n" if (group := draw(st.sampled_from(GROUPS))) else "")
        + (f"    description: {q(draw(MARKDOWN))}\n" if draw(st.booleans()) else "")
        for cid in ids
    )
    config = f"title: {q(draw(TEXT))}\nbase_url: https://status.example.com/\ncomponents:\n{components}"
    generated = Generated(config=config, files={})
    for n in range(draw(st.integers(0, 6))):
        record_id = f"r{n}"
        title = draw(TEXT)
        generated.titles[record_id] = title
        named = draw(st.lists(st.sampled_from(ids), max_size=len(ids), unique=True))
        start = NOW + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
        if draw(st.booleans()):  # an incident
            steps = draw(
                st.lists(st.sampled_from(["investigating", "identified", "monitoring"]), min_size=1, max_size=4)
            )
            if draw(st.booleans()):
                steps.append("resolved")
            statuses = {cid: draw(st.sampled_from(INCIDENT_COMPONENT_STATUSES)) for cid in named}
            text = f"title: {q(title)}\nimpact: {draw(st.sampled_from(list(Impact)))}\n"
            if draw(st.booleans()):
                text += f"postmortem: {q(draw(MARKDOWN))}\n"
        else:  # a maintenance
            steps = draw(st.lists(st.sampled_from(["scheduled", "in_progress", "verifying"]), min_size=1, max_size=3))
            if draw(st.booleans()):
                steps.append("completed")
            statuses = {cid: ComponentStatus.UNDER_MAINTENANCE for cid in named}
            end = start + timedelta(minutes=draw(st.integers(1, 12 * 60)))
            text = (
                f"kind: maintenance\ntitle: {q(title)}\n"
                f"window:\n  start: {start.strftime(STAMP)}\n  end: {end.strftime(STAMP)}\n"
            )
            start -= timedelta(days=1)  # updates are posted before the window
        if statuses:
            text += "components:\n" + "".join(f"  {cid}: {status}\n" for cid, status in statuses.items())
        text += "updates:\n" + "".join(
            f"  - at: {(start + timedelta(minutes=7 * i)).strftime(STAMP)}\n    status: {s}\n"
            f"    message: {q(draw(MARKDOWN))}\n"
            for i, s in enumerate(steps)
        )
        generated.files[record_id] = text
    return generated


def load(generated: Generated) -> Site:
    with tempfile.TemporaryDirectory() as folder:
        return load_site(write_site(Path(folder) / "site", generated.config, generated.files))


@SETTINGS
@given(sites())
def test_generated_sites_load_as_written(generated: Generated) -> None:
    site = load(generated)
    assert {r.id: r.title for r in site.records} == generated.titles


@settings(SETTINGS, max_examples=40)
@given(sites())
def test_random_valid_sites_always_build_the_same_bytes(generated: Generated) -> None:
    """Any valid site renders every output, twice to the same bytes."""
    site = load(generated)
    first = render_site(site, NOW).files
    assert "index.html" in first and "history.atom" in first
    assert all(f"incidents/{r.id}/index.html" in first for r in site.records)
    assert render_site(site, NOW).files == first


@SETTINGS
@given(sites())
def test_derived_status_obeys_the_rules(generated: Generated) -> None:
    site = load(generated)
    snap = snapshot(site, NOW)
    statuses = snap.component_status
    open_incidents = [r for r in site.records if is_open(r)]
    live = [r for r in site.records if is_open(r) or is_active(r, NOW)]

    # R1: open means the latest update is not `resolved`; maintenance is never "open".
    assert set(snap.open_incidents) == {
        r for r in site.records if not r.is_maintenance and r.latest.status != "resolved"
    }

    # R4: a component's status is the worst that an open incident or active maintenance gives it.
    for component in site.components:
        given_to = [s for r in live for cid, s in r.components if cid == component.id]
        expected = max(given_to, key=COMPONENT_RANK.__getitem__, default=ComponentStatus.OPERATIONAL)
        assert statuses[component.id] == expected

    # No open incident and no active maintenance: everything operational, indicator none.
    if not live:
        assert set(statuses.values()) == {ComponentStatus.OPERATIONAL}
        assert snap.indicator is Indicator.NONE
        assert snap.description == "All Systems Operational"

    # R6: the indicator is never better than any open incident's impact.
    for record in open_incidents:
        assert INDICATOR_RANK[snap.indicator] >= INDICATOR_RANK[IMPACT_INDICATOR[record.impact]]

    # R5: the indicator follows the worst component, and critical only when all are down or impact says so.
    worst = max(statuses.values(), key=COMPONENT_RANK.__getitem__)
    if snap.indicator is Indicator.NONE:
        assert worst is ComponentStatus.OPERATIONAL
    if snap.indicator is Indicator.MAINTENANCE:
        assert worst is ComponentStatus.UNDER_MAINTENANCE
        assert all(r.impact is Impact.NONE for r in open_incidents)
    all_down = all(s is ComponentStatus.MAJOR_OUTAGE for s in statuses.values())
    critical_impact = any(r.impact is Impact.CRITICAL for r in open_incidents)
    assert (snap.indicator is Indicator.CRITICAL) == (all_down or critical_impact)
    if worst is ComponentStatus.MAJOR_OUTAGE:
        assert INDICATOR_RANK[snap.indicator] >= INDICATOR_RANK[Indicator.MAJOR]

    # R7: groups keep statuspage.yaml order and show their worst member.
    ordered = sorted(site.components, key=lambda c: c.position)
    assert [g.name for g in snap.groups] == list(dict.fromkeys(c.group for c in ordered))
    for group in snap.groups:
        assert list(group.components) == [c for c in ordered if c.group == group.name]
        members = [statuses[c.id] for c in group.components]
        assert group.status == max(members, key=COMPONENT_RANK.__getitem__)
