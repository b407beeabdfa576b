"""One test per uptime rule of docs/uptime.md, each quoting the rule it checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from statuspage.derive import uptime
from statuspage.model import Component, ComponentStatus, Impact, Kind, Record, Site, Update

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = 86400.0
MAJ, PART, DEG, MAINT, OP = (
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.UNDER_MAINTENANCE,
    ComponentStatus.OPERATIONAL,
)


def incident(start: datetime, end: datetime | None, status: ComponentStatus = MAJ, rid: str = "inc") -> Record:
    updates = [Update(at=start, status="investigating", message="m")]
    if end is not None:
        updates.append(Update(at=end, status="resolved", message="m"))
    return Record(
        id=rid,
        kind=Kind.INCIDENT,
        title=rid,
        impact=Impact.MAJOR,
        components=(("web", status),),
        updates=tuple(updates),
    )


def site(*records: Record, timezone: str = "UTC") -> Site:
    return Site(
        title="T",
        base_url="https://x.example/",
        timezone=timezone,
        components=(Component(id="web", name="Web"), Component(id="api", name="API")),
        records=records,
    )


def at(day: int, hour: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_u1_incident_covers_first_update_to_resolved_or_now_while_open() -> None:
    """U1. An incident covers the time from its first update until its resolved update, or until the
    build's moment while it is open."""
    closed = uptime(site(incident(at(20, 10), at(20, 12))), "web", NOW)
    assert closed.days[-6].downtime == 2 * 3600
    still_open = uptime(site(incident(at(25, 9), None)), "web", NOW)
    assert still_open.days[-1].downtime == 3 * 3600  # 09:00 to NOW at 12:00
    future = uptime(site(incident(at(25, 13), None)), "web", NOW)
    assert future.days[-1].status is OP and future.ratio == 1.0


def test_u1_maintenance_covers_its_window_cut_at_now() -> None:
    """U1. A maintenance covers its window ... Every period is cut at the build's moment."""
    record = Record(
        id="m",
        kind=Kind.MAINTENANCE,
        title="m",
        components=(("web", MAINT),),
        updates=(Update(at=at(1), status="scheduled", message="m"),),
        window=(at(25, 11), at(25, 14)),
    )
    result = uptime(site(record), "web", NOW)
    assert result.days[-1].status is MAINT and result.days[-1].records == (record,)
    assert result.days[-2].status is OP


def test_u2_days_are_calendar_days_in_site_timezone() -> None:
    """U2. Days are calendar days in the site's timezone, the last 90 of them ending with today."""
    # 03:00 UTC on 20 November is still 19 November in New York.
    result = uptime(site(incident(at(20, 3), at(20, 4)), timezone="America/New_York"), "web", NOW)
    assert len(result.days) == 90
    assert result.days[-1].date == date(2026, 11, 25)
    assert result.days[0].date == date(2026, 8, 28)
    by_date = {d.date: d for d in result.days}
    assert by_date[date(2026, 11, 19)].status is MAJ
    assert by_date[date(2026, 11, 20)].status is OP


def test_u2_day_shows_worst_status_and_lists_its_records() -> None:
    """U2. A day's status is the worst (R4 order) that any record whose period overlaps the day gives
    the component ... The day lists those records."""
    small = incident(at(20, 1), at(20, 2), DEG, rid="small")
    big = incident(at(20, 5), at(20, 6), PART, rid="big")
    spanning = incident(at(21, 22), at(22, 2), DEG, rid="spanning")
    result = uptime(site(small, big, spanning), "web", NOW)
    by_date = {d.date: d for d in result.days}
    assert by_date[date(2026, 11, 20)].status is PART
    assert [r.id for r in by_date[date(2026, 11, 20)].records] == ["small", "big"]
    assert by_date[date(2026, 11, 21)].records == by_date[date(2026, 11, 22)].records == (spanning,)
    assert uptime(site(big), "api", NOW).days[-6].status is OP  # other components are untouched


def test_u3_downtime_weighted_by_status() -> None:
    """U3. major_outage counts 100% of the time, partial_outage 30%, degraded_performance none,
    under_maintenance none, ever."""
    for status, expected in ((MAJ, 3600.0), (PART, 1080.0), (DEG, 0.0), (MAINT, 0.0)):
        day = uptime(site(incident(at(20, 10), at(20, 11), status)), "web", NOW).days[-6]
        assert day.downtime == expected, status


def test_u3_overlapping_records_count_each_moment_once_at_heaviest_weight() -> None:
    """U3. When records overlap, each moment counts once, at the heaviest weight of the records covering it."""
    a = incident(at(20, 10), at(20, 11), MAJ, rid="a")
    b = incident(at(20, 10), at(20, 11), MAJ, rid="b")
    c = incident(at(20, 9), at(20, 12), PART, rid="c")
    day = uptime(site(a, b, c), "web", NOW).days[-6]
    assert day.downtime == 3600 + 0.3 * 2 * 3600


def test_u4_uptime_is_share_of_observed_time_up_to_now() -> None:
    """U4. The observed time runs from the start of the first of the 90 days to the build's moment."""
    result = uptime(site(incident(at(25, 0), at(25, 6))), "web", NOW)
    observed = 89 * DAY + 12 * 3600
    assert abs(result.ratio - (1 - 6 * 3600 / observed)) < 1e-12
    assert uptime(site(), "web", NOW).ratio == 1.0


def test_u5_percentage_truncated_never_rounded_up() -> None:
    """U5. The percentage is truncated to two decimals, never rounded up, so any downtime shows below 100.00%."""
    one_minute = uptime(site(incident(at(20, 10), at(20, 10) + timedelta(minutes=1))), "web", NOW)
    assert 0.9999 < one_minute.ratio < 1.0
    assert one_minute.percent == 99.99
    assert uptime(site(), "web", NOW).percent == 100.0
