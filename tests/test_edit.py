"""The editor's commands end to end (issue 6): new, update, resolve on a copy of the example site."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from statuspage.edit import append_update, new_incident, slugify, yaml_scalar
from statuspage.load import MAX_FILE_BYTES, load_site, read_record
from statuspage.model import ComponentStatus, Impact, SiteError

AT = "2026-11-25T03:02:00Z"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statuspage", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def open_incident(root: Path, *extra: str) -> Path:
    result = run(
        "new",
        "incident",
        "Logins failing on the web!",
        "--component",
        "login=major_outage",
        "-c",
        "api=degraded_performance",
        "--impact",
        "critical",
        "--message",
        "We're looking: logins fail.",
        "--at",
        AT,
        *extra,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    path = root / "incidents" / "2026-11-24-logins-failing-on-the-web.yaml"  # America/New_York date of 03:02Z
    assert result.stdout.startswith(f"Opened incidents/{path.name} (critical impact)")
    return path


def test_new_incident_writes_a_valid_readable_file_that_check_accepts(example_copy: Path) -> None:
    path = open_incident(example_copy)
    text = path.read_text()
    assert text.startswith("# Incident opened with `statuspage new incident`")
    assert "statuspage resolve 2026-11-24-logins-failing-on-the-web" in text
    assert "{" not in text  # block style throughout
    assert yaml.safe_load(text) == {
        "title": "Logins failing on the web!",
        "impact": "critical",
        "components": {"login": "major_outage", "api": "degraded_performance"},
        "updates": [
            {
                "at": datetime(2026, 11, 25, 3, 2, tzinfo=UTC),
                "status": "investigating",
                "message": "We're looking: logins fail.",
            }
        ],
    }
    record = read_record(path)
    assert record.latest.status == "investigating"
    check = run("check", "--now", "2026-11-25T03:05:00Z", cwd=example_copy)
    assert check.returncode == 0, check.stderr
    assert check.stdout.endswith("status: Major System Outage\n")  # rule R5: never better than critical impact


def test_same_title_twice_gets_a_new_id(example_copy: Path) -> None:
    first = open_incident(example_copy)
    result = run(
        "new", "incident", "Logins failing on the web", "-c", "login=partial_outage", "--at", AT, cwd=example_copy
    )
    assert result.returncode == 0, result.stderr
    second = first.with_name("2026-11-24-logins-failing-on-the-web-2.yaml")
    assert second.is_file()
    assert read_record(second).impact is Impact.MINOR  # derived: partial outage and no --impact
    assert len(load_site(example_copy).records) == 13


def test_update_and_resolve_keep_every_byte_above(example_copy: Path) -> None:
    """Issue 6: the editor's comments, order and formatting survive an appended update."""
    path = example_copy / "incidents" / "2026-11-24-webhook-delays.yaml"
    edited = (
        "# Owner: platform team   (odd  spacing kept)\n"
        "impact: minor\n"
        "title:   'Webhook deliveries delayed'\n"
        "components: {webhooks: degraded_performance}  # flow style kept\n"
        "updates:\n"
        "-   at: 2026-11-24T16:20:00Z   # four spaces after the dash\n"
        "    status: investigating\n"
        "    message: >\n"
        "      Deliveries are delayed.\n"
        "      # not a comment: part of the folded text\n"
        "\n"
        "# a comment about the postmortem below\n"
        "postmortem: To be written.\n"
    )
    path.write_text(edited)
    result = run(
        "update",
        "2026-11-24-webhook-delays",
        "--status",
        "identified",
        "-m",
        "A queue is stuck.",
        "--at",
        AT,
        cwd=example_copy,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Updated incidents/{path.name}: identified at {AT}")
    after = path.read_text()
    above = edited[: edited.index("\n# a comment about")]  # through the last line of the last update
    assert after.startswith(above)
    assert after[len(above) :].startswith(
        "-   at: 2026-11-25T03:02:00Z\n    status: identified\n    message: A queue is stuck.\n"
    )
    assert after.endswith("\n\n# a comment about the postmortem below\npostmortem: To be written.\n")

    middle = path.read_bytes()
    result = run("resolve", "2026-11-24-webhook-delays", "--at", "2026-11-25T03:30:00Z", cwd=example_copy)
    assert result.returncode == 0, result.stderr
    final = path.read_bytes()
    cut = middle.index(b"\n\n# a comment about") + 1
    assert final.startswith(middle[:cut])
    record = read_record(path)
    assert [u.status for u in record.updates] == ["investigating", "identified", "resolved"]
    assert record.updates[-1].message == "This incident has been resolved."
    assert record.updates[0].message == "Deliveries are delayed. # not a comment: part of the folded text\n"
    assert run("check", cwd=example_copy).returncode == 0


def test_update_keeps_crlf_and_a_missing_final_newline(example_copy: Path) -> None:
    path = example_copy / "incidents" / "2026-11-24-webhook-delays.yaml"
    original = path.read_bytes().rstrip(b"\n").replace(b"\n", b"\r\n")
    path.write_bytes(original)
    at = datetime(2026, 11, 25, 3, 2, tzinfo=UTC)
    append_update(path, "monitoring", "Multi-line\n\n*Markdown* text: fine.", at)
    data = path.read_bytes()
    assert data.startswith(original + b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert read_record(path).latest.message == "Multi-line\n\n*Markdown* text: fine."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["update", "2026-11-24-webhook-delay", "-s", "resolved", "-m", "x"],
            "Error: no record '2026-11-24-webhook-delay' in incidents; did you mean '2026-11-24-webhook-delays'?",
        ),
        (
            ["update", "2026-11-24-webhook-delays", "-s", "completed", "-m", "x"],
            "Error: 'completed' is not a status of an incident (expected one of: "
            "investigating, identified, monitoring, resolved)",
        ),
        (
            ["update", "2027-01-16-api-migration", "-s", "resolvd", "-m", "x"],
            "Error: 'resolvd' is not a status of a maintenance (expected one of: "
            "scheduled, in_progress, verifying, completed)",
        ),
        (
            ["update", "2026-11-24-webhook-delays", "-s", "resolved", "-m", "x", "--at", "2026-11-24T17:00:00Z"],
            "Error: 2026-11-24T17:00:00Z is earlier than the latest update of "
            "incidents/2026-11-24-webhook-delays.yaml, at 2026-11-24T17:05:00Z "
            "(expected a later time; updates are oldest first)",
        ),
        (
            ["update", "2025-12-28-login-failures", "-s", "monitoring", "-m", "x"],
            "Error: incidents/2025-12-28-login-failures.yaml is already resolved since",
        ),
        (
            ["new", "incident", "x", "-c", "wbe=major_outage"],
            "Error: unknown component 'wbe'; did you mean 'web'?",
        ),
        (["new", "incident", "x", "-c", "web"], "Error: component 'web' has no status"),
        (
            ["new", "maintenance", "x", "-c", "db", "--start", "2026-12-01T04:00:00Z", "--end", "2026-12-01T02:00:00Z"],
            "Error: unknown component 'db'",
        ),
        (
            [
                "new",
                "maintenance",
                "x",
                "-c",
                "api",
                "--start",
                "2026-12-01T04:00:00Z",
                "--end",
                "2026-12-01T02:00:00Z",
            ],
            "Error: the window ends at 2026-12-01T02:00:00Z, not after its start 2026-12-01T04:00:00Z",
        ),
    ],
    ids=[
        "unknown-id",
        "status-of-other-kind",
        "typo-status",
        "time-going-back",
        "after-resolved",
        "unknown-component",
        "no-component-status",
        "maintenance-unknown-component",
        "window-backwards",
    ],
)
def test_refusals_exit_1_and_change_nothing(example_copy: Path, args: list[str], message: str) -> None:
    before = {p.name: p.read_bytes() for p in (example_copy / "incidents").iterdir()}
    result = run(*args, cwd=example_copy)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr
    assert {p.name: p.read_bytes() for p in (example_copy / "incidents").iterdir()} == before


@pytest.mark.parametrize(
    "args",
    [
        ["new", "incident", "x", "-c", "web=major"],
        ["new", "incident", "x", "--impact", "huge"],
        ["update", "some-id", "-m", "no status"],
        ["new", "maintenance", "x", "-c", "api", "--start", "tomorrow", "--end", "2026-12-01T02:00:00Z"],
        ["new"],
    ],
    ids=["bad-component-status", "bad-impact", "missing-status", "bad-time", "missing-kind"],
)
def test_usage_errors_exit_2(example_copy: Path, args: list[str]) -> None:
    result = run(*args, cwd=example_copy)
    assert result.returncode == 2
    assert "Error:" in result.stderr


def test_new_maintenance_and_its_lifecycle(example_copy: Path) -> None:
    result = run(
        "new",
        "maintenance",
        "Database upgrade",
        "-c",
        "api",
        "-c",
        "webhooks=under_maintenance",
        "--start",
        "2026-12-01T02:00:00-05:00",
        "--end",
        "2026-12-01T04:00:00-05:00",
        "--at",
        AT,
        cwd=example_copy,
    )
    assert result.returncode == 0, result.stderr
    path = example_copy / "incidents" / "2026-12-01-database-upgrade.yaml"
    record = read_record(path)
    assert record.is_maintenance
    assert record.window == (datetime(2026, 12, 1, 7, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert record.components == (
        ("api", ComponentStatus.UNDER_MAINTENANCE),
        ("webhooks", ComponentStatus.UNDER_MAINTENANCE),
    )
    assert (
        run(
            "update", path.stem, "-s", "in_progress", "-m", "Started.", "--at", "2026-12-01T07:00:00Z", cwd=example_copy
        ).returncode
        == 0
    )
    assert run("resolve", str(path), "--at", "2026-12-01T08:00:00Z", cwd=example_copy).returncode == 0
    assert [u.status for u in read_record(path).updates] == ["scheduled", "in_progress", "completed"]
    assert run("check", "--now", "2026-12-01T10:00:00Z", cwd=example_copy).returncode == 0


def test_an_append_that_makes_the_file_invalid_is_undone(example_copy: Path) -> None:
    """Valid by construction: the file is loaded after writing; if it fails, the old bytes come back.

    A record just under load's size limit passes alone; one more update pushes it over.
    """
    path = example_copy / "incidents" / "2026-11-24-webhook-delays.yaml"
    padding = MAX_FILE_BYTES - len(path.read_bytes()) - 200
    path.write_bytes(path.read_bytes() + f"postmortem: {'x' * padding}\n".encode())
    original = path.read_bytes()
    with pytest.raises(SiteError) as caught:
        append_update(path, "monitoring", "y" * 300, datetime(2026, 11, 25, 3, tzinfo=UTC))
    assert [p.message for p in caught.value.problems] == [
        f"file is larger than {MAX_FILE_BYTES} bytes (expected a small record)"
    ]
    assert path.read_bytes() == original


def test_a_new_file_that_is_invalid_is_removed(example_copy: Path) -> None:
    before = sorted(p.name for p in (example_copy / "incidents").iterdir())
    with pytest.raises(SiteError) as caught:
        new_incident(
            example_copy,
            "x" * MAX_FILE_BYTES,
            [],
            Impact.NONE,
            "We are investigating.",
            datetime(2026, 11, 25, tzinfo=UTC),
        )
    assert str(caught.value).endswith(
        f"file is larger than {MAX_FILE_BYTES} bytes (expected a small record)\n1 problem in 1 file"
    )
    assert sorted(p.name for p in (example_copy / "incidents").iterdir()) == before


def test_new_incident_in_a_site_with_a_broken_other_file_still_works(example_copy: Path) -> None:
    """At 3 a.m. someone else's broken file must not stop an incident from being opened."""
    (example_copy / "incidents" / "broken.yaml").write_text("title: [\n")
    path = new_incident(
        example_copy,
        "Everything is down",
        [("web", ComponentStatus.MAJOR_OUTAGE)],
        Impact.CRITICAL,
        "We are investigating.",
        datetime(2026, 11, 25, 12, tzinfo=UTC),
    )
    assert read_record(path).title == "Everything is down"
    with pytest.raises(SiteError) as caught:
        load_site(example_copy)
    assert all("broken.yaml" in p.path for p in caught.value.problems)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Logins failing on the web!", "logins-failing-on-the-web"),
        ("Éclairs über Zürich — café", "eclairs-uber-zurich-cafe"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語", "incident"),
        ("word " * 30, "-".join(["word"] * 9)),
    ],
)
def test_slug_is_ascii_and_a_valid_id(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "yes",
        "1.10",
        "a: b",
        "# hash",
        "  padded ",
        "two\nlines",
        "ends\n",
        "- dash",
        "'quoted'",
        "tab\tin",
        "x\n\n",
    ],
)
def test_yaml_scalar_reads_back_as_the_same_text(text: str) -> None:
    assert yaml.safe_load(f"k: {yaml_scalar(text, 2)}\n") == {"k": text}


def test_update_goes_before_a_document_end_marker(example_copy: Path) -> None:
    path = example_copy / "incidents" / "2026-11-24-webhook-delays.yaml"
    original = "---\n" + path.read_text() + "...\n# trailing words after the document\n"
    path.write_text(original)
    append_update(path, "resolved", "Done.", datetime(2026, 11, 25, 3, tzinfo=UTC))
    after = path.read_text()
    head = original[: original.index("...\n")]
    assert (
        after
        == head + "  - at: 2026-11-25T03:00:00Z\n    status: resolved\n    message: Done.\n" + original[len(head) :]
    )
    assert read_record(path).latest.status == "resolved"
