"""Shared fixtures: small real sites on disk, built into temporary folders."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from statuspage.build import Built, render_site
from statuspage.load import load_site
from statuspage.write import write_tree

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

CONFIG = """\
title: Example Status
base_url: https://status.example.com/
timezone: UTC
components:
  - id: web
    name: Website
    group: Frontend
  - id: api
    name: API
    group: Backend
  - id: db
    name: Database
    group: Backend
"""


def write_site(root: Path, config: str | None = CONFIG, incidents: dict[str, str] | None = None) -> Path:
    """Write statuspage.yaml and incidents/<name>.yaml files (dedented) under root."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "statuspage.yaml").write_text(textwrap.dedent(config), encoding="utf-8")
    folder = root / "incidents"
    folder.mkdir(exist_ok=True)
    for name, text in (incidents or {}).items():
        filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
        (folder / filename).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def private_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`statuspage build` in a subprocess keeps its page cache under this test's folder, not ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example site (statuspage.yaml and incidents/) that a test may edit."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "statuspage.yaml", root / "statuspage.yaml")
    shutil.copytree(REPO / "incidents", root / "incidents")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    def make(config: str | None = CONFIG, incidents: dict[str, str] | None = None, name: str = "site") -> Path:
        return write_site(tmp_path / name, config, incidents)

    return make


def build_site(root: Path, out: Path | None = None, now: datetime = NOW) -> Built:
    """Load, render and (when `out` is given) write a site, as `statuspage build` does."""
    built = render_site(load_site(root), now)
    if out is not None:
        write_tree(out, built.files, site_root=root)
    return built


def incident(
    *,
    title: str = "Something broke",
    impact: str = "major",
    components: str = "web: major_outage",
    statuses: tuple[str, ...] = ("investigating",),
    start: str = "2026-11-25T10:00:00Z",
) -> str:
    """YAML text of an incident whose updates are one minute apart from `start`."""
    base = datetime.fromisoformat(start)
    updates = "".join(
        f"  - at: {base.replace(minute=base.minute + i).isoformat()}\n    status: {s}\n    message: Update {i}.\n"
        for i, s in enumerate(statuses)
    )
    comps = "".join(f"\n  {line.strip()}" for line in components.split(",")) if components else " {}"
    return f"title: {title}\nimpact: {impact}\ncomponents:{comps}\nupdates:\n{updates}"


def maintenance(
    *,
    statuses: tuple[str, ...] = ("scheduled",),
    start: str = "2026-11-26T10:00:00Z",
    end: str = "2026-11-26T12:00:00Z",
    components: str = "db: under_maintenance",
) -> str:
    updates = "".join(
        f"  - at: 2026-11-20T0{i}:00:00Z\n    status: {s}\n    message: Step {i}.\n" for i, s in enumerate(statuses)
    )
    comps = "".join(f"\n  {line.strip()}" for line in components.split(","))
    return (
        f"kind: maintenance\ntitle: Planned work\ncomponents:{comps}\n"
        f"window:\n  start: {start}\n  end: {end}\nupdates:\n{updates}"
    )
