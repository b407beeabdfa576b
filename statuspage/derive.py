"""Derived status: pure rules from records and a moment to what the page shows.

Every rule here is written down in docs/rules.md under the same number and tested
one by one in tests/test_derive.py. Nothing else in the package decides status.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .model import (
    COMPONENT_RANK,
    IMPACT_INDICATOR,
    INDICATOR_RANK,
    Component,
    ComponentStatus,
    IncidentStatus,
    Indicator,
    Kind,
    MaintenanceStatus,
    ProbeResult,
    Record,
    Site,
)

# Statuspage's public wording for each indicator level (docs/rules.md R5).
INDICATOR_TEXT: dict[Indicator, str] = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
    Indicator.MAINTENANCE: "Service Under Maintenance",
}
DEGRADED_TEXT = "Partially Degraded Service"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Components shown together; `name` is None for components outside any group."""

    name: str | None
    components: tuple[Component, ...]
    status: ComponentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Everything the outputs show about the site at one moment."""

    now: datetime
    component_status: dict[str, ComponentStatus]
    indicator: Indicator
    description: str
    groups: tuple[Group, ...]
    open_incidents: tuple[Record, ...]
    active_maintenance: tuple[Record, ...]
    upcoming_maintenance: tuple[Record, ...]


def is_open(record: Record) -> bool:
    """R1: an incident is open until its latest update is `resolved`.

    The latest update counts even when stamped after `now`: an editor's clock
    running ahead of the build machine must never turn the page green.
    """
    return not record.is_maintenance and record.latest.status != IncidentStatus.RESOLVED


def is_active(record: Record, now: datetime) -> bool:
    """R2: a maintenance is active while not completed and either marked
    in progress/verifying or `now` is inside its window."""
    if not record.is_maintenance or record.window is None:
        return False
    status = record.latest.status
    if status == MaintenanceStatus.COMPLETED:
        return False
    if status in (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING):
        return True
    start, end = record.window
    return start <= now < end


def is_upcoming(record: Record, now: datetime) -> bool:
    """R3: a maintenance is upcoming while `scheduled` and its window has not started."""
    if not record.is_maintenance or record.window is None:
        return False
    return record.latest.status == MaintenanceStatus.SCHEDULED and now < record.window[0]


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    """R4: the most severe status by the explicit rank table; operational when empty."""
    return max(statuses, key=COMPONENT_RANK.__getitem__, default=ComponentStatus.OPERATIONAL)


def component_statuses(site: Site, now: datetime) -> dict[str, ComponentStatus]:
    """R4: each component's status is the worst any open incident or active maintenance gives it."""
    given: dict[str, list[ComponentStatus]] = {c.id: [] for c in site.components}
    for record in site.records:
        if is_open(record) or is_active(record, now):
            for component_id, status in record.components:
                given[component_id].append(status)
    return {cid: worst(statuses) for cid, statuses in given.items()}


def indicator_from_components(statuses: list[ComponentStatus]) -> tuple[Indicator, str]:
    """R5: Statuspage's convention from component statuses to indicator and text."""
    if statuses and all(s == ComponentStatus.MAJOR_OUTAGE for s in statuses):
        return Indicator.CRITICAL, INDICATOR_TEXT[Indicator.CRITICAL]
    top = worst(statuses)
    if top == ComponentStatus.MAJOR_OUTAGE:
        return Indicator.MAJOR, INDICATOR_TEXT[Indicator.MAJOR]
    if top == ComponentStatus.PARTIAL_OUTAGE:
        return Indicator.MINOR, INDICATOR_TEXT[Indicator.MINOR]
    if top == ComponentStatus.DEGRADED_PERFORMANCE:
        return Indicator.MINOR, DEGRADED_TEXT
    if top == ComponentStatus.UNDER_MAINTENANCE:
        return Indicator.MAINTENANCE, INDICATOR_TEXT[Indicator.MAINTENANCE]
    return Indicator.NONE, INDICATOR_TEXT[Indicator.NONE]


def raise_to_impact(indicator: Indicator, text: str, open_incidents: list[Record]) -> tuple[Indicator, str]:
    """R6: the indicator is never better than the impact of any open incident."""
    for record in open_incidents:
        floor = IMPACT_INDICATOR[record.impact]
        if INDICATOR_RANK[floor] > INDICATOR_RANK[indicator]:
            indicator, text = floor, INDICATOR_TEXT[floor]
    return indicator, text


def group_components(site: Site, statuses: dict[str, ComponentStatus]) -> tuple[Group, ...]:
    """R7: groups in order of their first component in statuspage.yaml; a group's status is its worst."""
    order: list[str | None] = []
    members: dict[str | None, list[Component]] = {}
    for component in sorted(site.components, key=lambda c: c.position):
        if component.group not in members:
            order.append(component.group)
            members[component.group] = []
        members[component.group].append(component)
    return tuple(
        Group(
            name=name,
            components=tuple(members[name]),
            status=worst([statuses[c.id] for c in members[name]]),
        )
        for name in order
    )


def snapshot(site: Site, now: datetime) -> Snapshot:
    """Apply every rule at `now`."""
    statuses = component_statuses(site, now)
    open_incidents = sorted((r for r in site.records if is_open(r)), key=lambda r: (r.started_at, r.id), reverse=True)
    indicator, text = indicator_from_components(list(statuses.values()))
    indicator, text = raise_to_impact(indicator, text, open_incidents)
    by_start = sorted(site.records, key=lambda r: (r.started_at, r.id))
    return Snapshot(
        now=now,
        component_status=statuses,
        indicator=indicator,
        description=text,
        groups=group_components(site, statuses),
        open_incidents=tuple(open_incidents),
        active_maintenance=tuple(r for r in by_start if is_active(r, now)),
        upcoming_maintenance=tuple(r for r in by_start if is_upcoming(r, now)),
    )


# --- Probe history (issue 9, docs/probes.md "How probes and incidents combine") -----------------

SPARK_WIDTH, SPARK_HEIGHT = 100, 24


def _at(result: ProbeResult) -> datetime:
    return result.at


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSummary:
    """What a page shows beside a probed component: never its status, which only incidents set (P1)."""

    component: str
    days: int
    runs: int
    down_runs: int
    uptime: float | None  # percent of runs in the window that were not down, floored to 0.01; None without runs
    points: str  # SVG polyline points of the latest response times, oldest on the left
    samples: int
    latest_ms: int | None
    median_ms: int | None
    max_ms: int | None


def probe_summary(
    history: Iterable[ProbeResult], component_id: str, now: datetime, days: int = 90, points: int = 48
) -> ProbeSummary:
    """P2/P3: uptime over the last `days` of probe runs, and a sparkline of the latest `points` response times.

    A run (every check of the component at one moment) is down when any of its checks is
    down; degraded runs answered, so they count as up. Runs after `now` are ignored, so
    a build for a past moment shows what was known then.
    """
    start = now - timedelta(days=days)
    rows = sorted((r for r in history if r.component == component_id and start < r.at <= now), key=_at)
    runs = down = 0
    latencies: deque[int] = deque(maxlen=points)
    for i, result in enumerate(rows):
        if i == 0 or result.at != rows[i - 1].at:  # the first line of a run (rows are in time order)
            runs += 1
            run_down, run_ms = False, -1
        if result.result == "down":
            run_down = True
        elif result.ms is not None:
            run_ms = max(run_ms, result.ms)
        if i + 1 == len(rows) or rows[i + 1].at != result.at:  # the last line of a run
            down += run_down
            if run_ms >= 0:
                latencies.append(run_ms)
    uptime = math.floor(10000 * (runs - down) / runs) / 100 if runs else None
    top = max(latencies, default=0)
    coords: list[str] = []
    for i, ms in enumerate(latencies):
        x = SPARK_WIDTH if len(latencies) == 1 else i * SPARK_WIDTH / (len(latencies) - 1)
        y = SPARK_HEIGHT - 1 - (ms / top if top else 0) * (SPARK_HEIGHT - 2)
        coords.append(f"{x:.1f},{y:.1f}")
    ranked = sorted(latencies)
    return ProbeSummary(
        component=component_id,
        days=days,
        runs=runs,
        down_runs=down,
        uptime=uptime,
        points=" ".join(coords),
        samples=len(latencies),
        latest_ms=latencies[-1] if latencies else None,
        median_ms=ranked[len(ranked) // 2] if ranked else None,
        max_ms=top or None,
    )


# docs/uptime.md U3: how much of an interval counts as downtime, by the status it gives a component.
# Atlassian Statuspage weighs partial outages at 30% of major outages; we do the same.
DOWNTIME_WEIGHT: dict[ComponentStatus, float] = {
    ComponentStatus.OPERATIONAL: 0.0,
    ComponentStatus.UNDER_MAINTENANCE: 0.0,
    ComponentStatus.DEGRADED_PERFORMANCE: 0.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
    ComponentStatus.MAJOR_OUTAGE: 1.0,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    """One bar: a calendar day in the site's timezone, its worst status, weighted downtime and records."""

    date: date
    status: ComponentStatus
    downtime: float  # weighted seconds (U3)
    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Uptime:
    """A component's last days, oldest first, and the share of the observed time it was up."""

    days: tuple[Day, ...]
    ratio: float  # 0..1 (U4)

    @property
    def percent(self) -> float:
        """U5: the ratio as a percentage truncated (never rounded up) to two decimals."""
        return int(self.ratio * 10000 + 1e-9) / 100


def affected_period(record: Record, now: datetime) -> tuple[datetime, datetime] | None:
    """U1: an incident covers its first update until resolved (or `now` while open), a maintenance its window;
    both are cut at `now`, and a record starting after `now` covers nothing yet."""
    if record.kind is Kind.MAINTENANCE:
        if record.window is None:
            return None
        start, end = record.window
        if is_active(record, now):
            end = max(end, now)
    else:
        start, end = record.started_at, record.resolved_at or now
    end = min(end, now)
    if start > now or end < start:
        return None
    return start, end


def _weighted(intervals: list[tuple[datetime, datetime, float]]) -> float:
    """Seconds covered by the intervals, each moment counted once at the highest weight covering it (U3)."""
    edges = sorted({moment for start, end, _ in intervals for moment in (start, end)})
    total = 0.0
    for left, right in pairwise(edges):
        weight = max((w for s, e, w in intervals if s <= left and e >= right), default=0.0)
        total += weight * (right - left).total_seconds()
    return total


def uptimes(site: Site, now: datetime, days: int = 90) -> dict[str, Uptime]:
    """`uptime` of every component, sharing one pass over the history."""
    recent = _recent_periods(site, now, days)
    return {c.id: uptime(site, c.id, now, days, recent=recent) for c in site.components}


def _recent_periods(site: Site, now: datetime, days: int) -> list[tuple[datetime, datetime, Record]]:
    """U1 periods of the records that reach into the last `days` days, oldest first."""
    zone = ZoneInfo(site.timezone)
    first = datetime.combine(now.astimezone(zone).date() - timedelta(days=days - 1), time(), tzinfo=zone)
    found: list[tuple[datetime, datetime, Record]] = []
    for record in sorted(site.records, key=lambda r: (r.started_at, r.id)):
        period = affected_period(record, now)
        if period is not None and period[1] >= first:  # over before the first bar: a long history costs nothing
            found.append((*period, record))
    return found


def uptime(
    site: Site,
    component_id: str,
    now: datetime,
    days: int = 90,
    *,
    recent: list[tuple[datetime, datetime, Record]] | None = None,
) -> Uptime:
    """U1-U5 (docs/uptime.md): the last `days` calendar days of one component, ending today in the site's zone."""
    zone = ZoneInfo(site.timezone)
    today = now.astimezone(zone).date()
    periods: list[tuple[datetime, datetime, ComponentStatus, Record]] = []
    for start, end, record in _recent_periods(site, now, days) if recent is None else recent:
        for cid, status in record.components:
            if cid == component_id:
                periods.append((start, end, status, record))
    result: list[Day] = []
    observed = down = 0.0
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, time(), tzinfo=zone)
        end = min(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone), now)
        # U2: a record touches a day when its period overlaps it; a zero-length period counts on its day.
        touching = [p for p in periods if p[0] < end and (p[1] > start or p[0] >= start)]
        weighted = _weighted(
            [(max(s, start), min(e, end), DOWNTIME_WEIGHT[st]) for s, e, st, _ in touching if DOWNTIME_WEIGHT[st] > 0]
        )
        records: list[Record] = []
        for *_, record in touching:
            if record not in records:
                records.append(record)
        result.append(Day(date=day, status=worst([p[2] for p in touching]), downtime=weighted, records=tuple(records)))
        observed += max((end - start).total_seconds(), 0.0)
        down += weighted
    ratio = 1.0 - down / observed if observed > 0 else 1.0
    return Uptime(days=tuple(result), ratio=ratio)
