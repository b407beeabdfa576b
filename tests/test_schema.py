"""Input schemas for editors (issue 5): the example site validates, mistakes are caught, and the
schemas agree with what `load` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from statuspage.load import INCIDENT_KEYS, MAINTENANCE_KEYS
from statuspage.model import LANGUAGES, ComponentStatus, Impact, IncidentStatus, Kind, MaintenanceStatus

from conftest import CONFIG, REPO, incident, maintenance


class EditorLoader(yaml.SafeLoader):
    """Reads YAML as a YAML 1.2 language server does: timestamps stay text."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((resources.files("statuspage") / "schemas" / f"{kind}.json").read_text())
    return data


def errors(kind: str, text: str) -> list[str]:
    document = yaml.load(textwrap.dedent(text), Loader=EditorLoader)  # EditorLoader is a SafeLoader
    return [e.message for e in Draft202012Validator(schema(kind)).iter_errors(document)]


@pytest.mark.parametrize("kind", ["config", "record"])
def test_input_schema_is_valid_draft_2020_12(kind: str) -> None:
    Draft202012Validator.check_schema(schema(kind))
    assert schema(kind)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_site_validates() -> None:
    assert errors("config", (REPO / "statuspage.yaml").read_text()) == []
    files = sorted((REPO / "incidents").glob("*.yaml"))
    assert len(files) > 5
    for path in files:
        assert errors("record", path.read_text()) == [], path.name


def test_fixture_records_validate() -> None:
    assert errors("config", CONFIG) == []
    assert errors("record", incident(statuses=("investigating", "monitoring", "resolved"))) == []
    assert errors("record", maintenance(statuses=("scheduled", "in_progress", "verifying", "completed"))) == []


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("config", CONFIG + "colour: red\n", "'colour' was unexpected"),
        ("config", CONFIG.replace("    name: API\n", "    name: API\n    colour: red\n"), "'colour' was unexpected"),
        ("record", incident() + "severity: high\n", "'severity' is not one of"),
        ("record", maintenance() + "impact: major\n", "'impact' is not one of"),
        ("record", incident(components="web: under_maintenance"), "'under_maintenance' is not one of"),
        ("record", incident(statuses=("completed",)), "'completed' is not one of"),
        ("record", incident().replace("10:00:00+00:00", "10:00:00"), "does not match"),
        (
            "record",
            maintenance().replace("window:\n  start: 2026-11-26T10:00:00Z\n  end: 2026-11-26T12:00:00Z\n", ""),
            "'window' is a required property",
        ),
    ],
    ids=[
        "config-key",
        "component-key",
        "incident-key",
        "maintenance-impact",
        "status",
        "update",
        "naive-time",
        "window",
    ],
)
def test_schema_rejects_mistakes(kind: str, text: str, expected: str) -> None:
    found = errors(kind, text)
    assert any(expected in message for message in found), found


def test_schema_agrees_with_the_loader_and_model() -> None:
    """If `load` learns a key or the model an enum value, the editor schema must follow."""
    record = schema("record")
    incident_keys = set(record["else"]["propertyNames"]["enum"])
    maintenance_keys = set(record["then"]["propertyNames"]["enum"])
    assert incident_keys == set(INCIDENT_KEYS[0] + INCIDENT_KEYS[1])
    assert maintenance_keys == set(MAINTENANCE_KEYS[0] + MAINTENANCE_KEYS[1])
    assert set(record["else"]["required"]) == set(INCIDENT_KEYS[0])
    assert set(record["then"]["required"]) == set(MAINTENANCE_KEYS[0])
    assert record["properties"]["kind"]["enum"] == list(Kind)
    assert record["properties"]["impact"]["enum"] == list(Impact)
    assert record["else"]["properties"]["updates"]["items"]["properties"]["status"]["enum"] == list(IncidentStatus)
    assert record["then"]["properties"]["updates"]["items"]["properties"]["status"]["enum"] == list(MaintenanceStatus)
    given = set(record["else"]["properties"]["components"]["additionalProperties"]["enum"])
    assert given | {"operational", "under_maintenance"} == set(ComponentStatus)
    assert schema("config")["properties"]["language"]["enum"] == list(LANGUAGES)


def test_schema_command_writes_the_packaged_schema(tmp_path: Path) -> None:
    out = tmp_path / "schemas" / "record.json"
    done = subprocess.run(
        [sys.executable, "-m", "statuspage", "schema", "--kind", "record", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "yaml-language-server: $schema=" in done.stdout
    assert json.loads(out.read_bytes()) == schema("record")
    printed = subprocess.run(
        [sys.executable, "-m", "statuspage", "schema"], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(printed)["title"] == "statuspage.yaml"
    bad = subprocess.run([sys.executable, "-m", "statuspage", "schema", "--kind", "nope"], capture_output=True)
    assert bad.returncode == 2


def test_schema_command_has_help_with_an_example() -> None:
    done = subprocess.run([sys.executable, "-m", "statuspage", "schema", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "example:" in done.stdout and "statuspage schema" in done.stdout
