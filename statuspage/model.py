"""The data model: frozen records that every later stage reads and none mutates.

Severity order lives in explicit rank tables, never in enum declaration order,
so that reordering an enum cannot silently change which status wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")


class Kind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Indicator(StrEnum):
    """Overall page indicator, the values of Statuspage's `status.indicator`."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


# docs/rules.md R4: outage outranks maintenance.
COMPONENT_RANK: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}

# docs/rules.md R5/R6: maintenance sits between none and minor, so any
# incident-driven level beats it and it beats "all operational".
INDICATOR_RANK: dict[Indicator, int] = {
    Indicator.NONE: 0,
    Indicator.MAINTENANCE: 1,
    Indicator.MINOR: 2,
    Indicator.MAJOR: 3,
    Indicator.CRITICAL: 4,
}

IMPACT_INDICATOR: dict[Impact, Indicator] = {
    Impact.NONE: Indicator.NONE,
    Impact.MINOR: Indicator.MINOR,
    Impact.MAJOR: Indicator.MAJOR,
    Impact.CRITICAL: Indicator.CRITICAL,
}

INCIDENT_COMPONENT_STATUSES = (
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)
LANGUAGES = ("en", "fr")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one input file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class SiteError(Exception):
    """Every problem found in a site, raised once after all files were read."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
        super().__init__(self.report())

    def report(self) -> str:
        files = len({p.path for p in self.problems})
        lines = [str(p) for p in self.problems]
        noun = "problem" if len(self.problems) == 1 else "problems"
        fnoun = "file" if files == 1 else "files"
        lines.append(f"{len(self.problems)} {noun} in {files} {fnoun}")
        return "\n".join(lines)


class BuildError(Exception):
    """A build that could not finish for a reason other than invalid input (disk full, template error)."""


class EditError(Exception):
    """An edit refused before anything was written: unknown id, wrong status, time going backwards."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    id: str
    name: str
    group: str | None = None
    description: str | None = None
    position: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    at: datetime
    status: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """An incident or a maintenance, as one editor's YAML file describes it."""

    id: str
    kind: Kind
    title: str
    components: tuple[tuple[str, ComponentStatus], ...]
    updates: tuple[Update, ...]
    impact: Impact = Impact.NONE
    window: tuple[datetime, datetime] | None = None
    postmortem: str | None = None
    source: str = ""

    @property
    def is_maintenance(self) -> bool:
        return self.kind is Kind.MAINTENANCE

    @property
    def latest(self) -> Update:
        return self.updates[-1]

    @property
    def started_at(self) -> datetime:
        """When the record began: first update for incidents, window start for maintenance."""
        if self.window is not None:
            return self.window[0]
        return self.updates[0].at

    @property
    def resolved_at(self) -> datetime | None:
        final = MaintenanceStatus.COMPLETED if self.is_maintenance else IncidentStatus.RESOLVED
        return self.latest.at if self.latest.status == final else None

    @property
    def updated_at(self) -> datetime:
        return self.latest.at


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One HTTP(S) check of a component, from `checks:` in statuspage.yaml (docs/probes.md).

    Header values keep their `${NAME}` references: only cli.py reads the environment,
    and the resolved secrets live in memory for one probe run, never in a model object.
    """

    id: str
    component: str
    url: str
    method: str = "GET"
    expect_status: tuple[int, ...] = ()  # empty: any 2xx
    expect_body: str | None = None
    expect_json: tuple[tuple[str, str], ...] = ()  # dotted path -> expected value as text
    timeout: float = 10.0
    degraded_after: float | None = None  # seconds; slower answers count as degraded_performance
    headers: tuple[tuple[str, str], ...] = ()
    fail_after: int = 2
    recover_after: int = 2
    impact: Impact = Impact.MAJOR
    on_recovery: IncidentStatus = IncidentStatus.RESOLVED


class WebhookKind(StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    JSON = "json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """Where `statuspage notify` posts; `url` may be a `${NAME}` reference, resolved only in memory."""

    name: str
    kind: WebhookKind
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """One check's outcome in one probe run, as one line of probes/YYYY-MM.csv."""

    at: datetime
    component: str
    check: str
    result: str  # up | degraded | down
    code: int | None = None
    ms: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    title: str
    base_url: str
    language: str = "en"
    timezone: str = "UTC"
    components: tuple[Component, ...] = ()
    records: tuple[Record, ...] = ()
    description: str | None = None
    max_age: int | None = None  # seconds; None disables the stale-page warning
    root: Path = field(default_factory=Path)
    checks: tuple[Check, ...] = ()
    webhooks: tuple[Webhook, ...] = ()

    def component(self, component_id: str) -> Component:
        for component in self.components:
            if component.id == component_id:
                return component
        raise KeyError(component_id)


def url_join(base_url: str, path: str) -> str:
    """Absolute URL of an output path; base_url always ends with '/'."""
    return base_url + path.lstrip("/")


def isoformat_z(moment: datetime) -> str:
    """RFC 3339 UTC time with a Z and millisecond precision, as Statuspage writes them."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
