"""One test (or a few) per rule of docs/rules.md, each quoting the rule it checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.derive import (
    component_statuses,
    group_components,
    indicator_from_components,
    is_active,
    is_open,
    is_upcoming,
    snapshot,
)
from statuspage.model import (
    Component,
    ComponentStatus,
    Impact,
    Indicator,
    Kind,
    Record,
    Site,
    Update,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
OP, MAINT, DEG, PART, MAJ = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)
COMPONENTS = (
    Component(id="web", name="Web", group="Front", position=1),
    Component(id="api", name="API", group="Back", position=2),
    Component(id="db", name="DB", group="Back", position=3),
)


def incident(
    *statuses: str, impact: Impact = Impact.MAJOR, affects: dict[str, ComponentStatus] | None = None, rid: str = "inc"
) -> Record:
    updates = tuple(Update(at=NOW - HOUR * (len(statuses) - i), status=s, message="m") for i, s in enumerate(statuses))
    return Record(
        id=rid,
        kind=Kind.INCIDENT,
        title="t",
        impact=impact,
        components=tuple(sorted((affects or {}).items())),
        updates=updates,
    )


def maintenance(
    *statuses: str, start: datetime, end: datetime, affects: dict[str, ComponentStatus] | None = None, rid: str = "mnt"
) -> Record:
    updates = tuple(Update(at=NOW - 10 * HOUR + i * HOUR, status=s, message="m") for i, s in enumerate(statuses))
    return Record(
        id=rid,
        kind=Kind.MAINTENANCE,
        title="t",
        components=tuple(sorted((affects or {"db": MAINT}).items())),
        updates=updates,
        window=(start, end),
    )


def site(*records: Record, components: tuple[Component, ...] = COMPONENTS) -> Site:
    return Site(title="S", base_url="https://s.example/", components=components, records=records)


# R1 ------------------------------------------------------------------------


def test_r1_incident_open_until_latest_update_resolved() -> None:
    """R1. An incident is open until its latest update is `resolved`."""
    assert is_open(incident("investigating"))
    assert is_open(incident("investigating", "identified", "monitoring"))
    assert not is_open(incident("investigating", "resolved"))


def test_r1_latest_update_counts_even_when_after_now() -> None:
    """R1. The latest update counts even if its time is later than the build's moment."""
    future = Record(
        id="f",
        kind=Kind.INCIDENT,
        title="t",
        impact=Impact.MAJOR,
        components=(),
        updates=(Update(at=NOW + HOUR, status="investigating", message="m"),),
    )
    assert is_open(future)
    assert snapshot(site(future), NOW).indicator is Indicator.MAJOR


def test_r1_maintenance_is_never_an_open_incident() -> None:
    """R1 applies to incidents only: maintenance follows R2/R3."""
    assert not is_open(maintenance("scheduled", start=NOW - HOUR, end=NOW + HOUR))


# R2 ------------------------------------------------------------------------


def test_r2_maintenance_active_inside_window() -> None:
    """R2. A maintenance is active while not completed and the moment is inside its window."""
    assert is_active(maintenance("scheduled", start=NOW - HOUR, end=NOW + HOUR), NOW)
    assert is_active(maintenance("scheduled", start=NOW, end=NOW + HOUR), NOW)  # start is inclusive
    assert not is_active(maintenance("scheduled", start=NOW - HOUR, end=NOW), NOW)  # end is exclusive


def test_r2_maintenance_active_when_in_progress_outside_window() -> None:
    """R2. ... or its latest update is `in_progress` or `verifying` (started early, running late)."""
    late = maintenance("scheduled", "in_progress", start=NOW - 3 * HOUR, end=NOW - HOUR)
    assert is_active(late, NOW)
    early = maintenance("scheduled", "verifying", start=NOW + HOUR, end=NOW + 2 * HOUR)
    assert is_active(early, NOW)


def test_r2_completed_maintenance_is_not_active_inside_window() -> None:
    """R2. A maintenance is active while it is not `completed`."""
    done = maintenance("scheduled", "in_progress", "completed", start=NOW - HOUR, end=NOW + HOUR)
    assert not is_active(done, NOW)


def test_r2_scheduled_maintenance_outside_window_is_not_active() -> None:
    """R2. Only inside its window does a `scheduled` maintenance become active."""
    assert not is_active(maintenance("scheduled", start=NOW + HOUR, end=NOW + 2 * HOUR), NOW)


# R3 ------------------------------------------------------------------------


def test_r3_scheduled_before_window_is_upcoming() -> None:
    """R3. A maintenance is upcoming while its latest update is `scheduled` and its window has not started."""
    assert is_upcoming(maintenance("scheduled", start=NOW + HOUR, end=NOW + 2 * HOUR), NOW)


def test_r3_not_upcoming_once_started_or_in_progress() -> None:
    """R3. Not upcoming once the window has started, or once an update says in_progress."""
    assert not is_upcoming(maintenance("scheduled", start=NOW - HOUR, end=NOW + HOUR), NOW)
    assert not is_upcoming(maintenance("scheduled", "in_progress", start=NOW + HOUR, end=NOW + 2 * HOUR), NOW)


def test_r3_scheduled_after_window_is_neither_active_nor_upcoming() -> None:
    """R3. A `scheduled` maintenance whose window has passed is neither active nor upcoming."""
    stale = maintenance("scheduled", start=NOW - 3 * HOUR, end=NOW - 2 * HOUR)
    assert not is_upcoming(stale, NOW)
    assert not is_active(stale, NOW)


# R4 ------------------------------------------------------------------------


def test_r4_component_takes_worst_status_of_open_incidents() -> None:
    """R4. A component's status is the worst that any open incident or active maintenance gives it."""
    statuses = component_statuses(
        site(
            incident("investigating", affects={"web": DEG}, rid="a"),
            incident("identified", affects={"web": PART, "api": DEG}, rid="b"),
        ),
        NOW,
    )
    assert statuses == {"web": PART, "api": DEG, "db": OP}


def test_r4_resolved_incident_gives_nothing() -> None:
    """R4. Only open incidents count."""
    statuses = component_statuses(site(incident("investigating", "resolved", affects={"web": MAJ})), NOW)
    assert statuses["web"] is OP


def test_r4_outage_outranks_maintenance() -> None:
    """R4. major_outage > partial_outage > degraded_performance > under_maintenance > operational."""
    window = {"start": NOW - HOUR, "end": NOW + HOUR}
    statuses = component_statuses(
        site(
            maintenance("in_progress", affects={"db": MAINT, "api": MAINT}, **window),
            incident("investigating", affects={"db": DEG}),
        ),
        NOW,
    )
    assert statuses["db"] is DEG
    assert statuses["api"] is MAINT


def test_r4_upcoming_maintenance_changes_no_component() -> None:
    """R4. Only active maintenance counts."""
    statuses = component_statuses(site(maintenance("scheduled", start=NOW + HOUR, end=NOW + 2 * HOUR)), NOW)
    assert set(statuses.values()) == {OP}


# R5 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "indicator", "text"),
    [
        ([OP, OP], Indicator.NONE, "All Systems Operational"),
        ([], Indicator.NONE, "All Systems Operational"),
        ([OP, MAINT], Indicator.MAINTENANCE, "Service Under Maintenance"),
        ([OP, DEG, MAINT], Indicator.MINOR, "Partially Degraded Service"),
        ([PART, DEG], Indicator.MINOR, "Minor Service Outage"),
        ([MAJ, OP], Indicator.MAJOR, "Partial System Outage"),
        ([MAJ, MAJ], Indicator.CRITICAL, "Major System Outage"),
    ],
    ids=["all-operational", "no-components", "maintenance", "degraded", "partial", "some-major", "all-major"],
)
def test_r5_indicator_follows_statuspage_convention(
    statuses: list[ComponentStatus], indicator: Indicator, text: str
) -> None:
    """R5. The overall indicator follows Statuspage's public convention."""
    assert indicator_from_components(statuses) == (indicator, text)


def test_r5_only_maintenance_gives_maintenance() -> None:
    """R5. worst is under_maintenance -> maintenance, "Service Under Maintenance"."""
    snap = snapshot(site(maintenance("scheduled", start=NOW - HOUR, end=NOW + HOUR)), NOW)
    assert (snap.indicator, snap.description) == (Indicator.MAINTENANCE, "Service Under Maintenance")


# R6 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "indicator", "text"),
    [
        (Impact.MINOR, Indicator.MINOR, "Minor Service Outage"),
        (Impact.MAJOR, Indicator.MAJOR, "Partial System Outage"),
        (Impact.CRITICAL, Indicator.CRITICAL, "Major System Outage"),
    ],
)
def test_r6_open_incident_impact_raises_indicator(impact: Impact, indicator: Indicator, text: str) -> None:
    """R6. The indicator is never better than the impact of an open incident, even one naming no component."""
    snap = snapshot(site(incident("investigating", impact=impact, affects={})), NOW)
    assert (snap.indicator, snap.description) == (indicator, text)
    assert set(snap.component_status.values()) == {OP}


def test_r6_impact_beats_maintenance() -> None:
    """R6. The levels rank none < maintenance < minor < major < critical."""
    snap = snapshot(
        site(
            maintenance("in_progress", start=NOW - HOUR, end=NOW + HOUR),
            incident("investigating", impact=Impact.MINOR, affects={}),
        ),
        NOW,
    )
    assert snap.indicator is Indicator.MINOR


def test_r6_components_worse_than_impact_win() -> None:
    """R6 raises, never lowers: a minor-impact incident with a major outage stays major."""
    snap = snapshot(site(incident("investigating", impact=Impact.MINOR, affects={"web": MAJ})), NOW)
    assert snap.indicator is Indicator.MAJOR


def test_r6_impact_none_changes_nothing_beyond_components() -> None:
    """R6. An open incident with impact `none` changes no indicator beyond what its components give."""
    snap = snapshot(site(incident("investigating", impact=Impact.NONE, affects={})), NOW)
    assert snap.indicator is Indicator.NONE
    assert len(snap.open_incidents) == 1


def test_r6_resolved_incident_does_not_raise() -> None:
    """R6 concerns open incidents only."""
    snap = snapshot(site(incident("investigating", "resolved", impact=Impact.CRITICAL)), NOW)
    assert snap.indicator is Indicator.NONE


# R7 ------------------------------------------------------------------------


def test_r7_groups_in_config_order_with_worst_status() -> None:
    """R7. Groups appear in the order of their first component; a group's status is its worst."""
    components = (
        Component(id="a", name="A", group="G1", position=1),
        Component(id="b", name="B", group="G2", position=2),
        Component(id="c", name="C", group="G1", position=3),
        Component(id="d", name="D", group=None, position=4),
    )
    groups = group_components(site(components=components), {"a": OP, "b": DEG, "c": PART, "d": OP})
    assert [g.name for g in groups] == ["G1", "G2", None]
    assert [[c.id for c in g.components] for g in groups] == [["a", "c"], ["b"], ["d"]]
    assert [g.status for g in groups] == [PART, DEG, OP]
