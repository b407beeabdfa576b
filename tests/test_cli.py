"""The command line through its real entry point: exit codes, streams, help."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import incident


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statuspage", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_check_ok_prints_one_line_summary(make_site: Callable[..., Path]) -> None:
    result = run("check", str(make_site(incidents={"a": incident()})), "--now", "2026-11-25T12:00:00Z")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("OK: 3 components, 1 records")
    assert lines[0].endswith("status: Partial System Outage")
    assert result.stderr == ""


def test_check_invalid_exits_1_with_all_problems_on_stderr(make_site: Callable[..., Path]) -> None:
    root = make_site(incidents={"a": incident(impact="huge"), "b": incident(components="nope: major_outage")})
    result = run("check", ".", cwd=root)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "incidents/a.yaml:2:9: unknown impact 'huge' (expected one of: none, minor, major, critical)",
        "incidents/b.yaml:4:3: unknown component 'nope' (expected a component id from statuspage.yaml: api, db, web)",
        "2 problems in 2 files",
    ]
    assert "Traceback" not in result.stderr


def test_check_writes_nothing(make_site: Callable[..., Path]) -> None:
    root = make_site(incidents={"a": incident()})
    before = sorted(p.name for p in root.iterdir())
    assert run("check", str(root)).returncode == 0
    assert sorted(p.name for p in root.iterdir()) == before


@pytest.mark.parametrize(
    "args",
    [["build", "--now", "yesterday"], ["build", "--now", "2026-11-25T12:00:00"], ["frobnicate"], ["build", "--bogus"]],
    ids=["unparsable-now", "naive-now", "unknown-command", "unknown-option"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Error:" in result.stderr


def test_build_default_output_is_site_underscore_site(make_site: Callable[..., Path]) -> None:
    root = make_site(incidents={"a": incident()})
    result = run("build", str(root), "-q")
    assert result.returncode == 0
    assert result.stdout == ""
    assert (root / "_site" / "index.html").is_file()


@pytest.mark.parametrize(
    "command", ["build", "check", "serve", "new", "new incident", "new maintenance", "update", "resolve"]
)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.returncode == 0
    assert "example:" in result.stdout
    assert f"statuspage {command}" in result.stdout


def test_check_format_github_prints_annotations(make_site: Callable[..., Path]) -> None:
    """GitHub Actions workflow commands: one ::error per problem, on stdout, the summary on stderr."""
    root = make_site(incidents={"a": incident(impact="huge")})
    (root / "incidents" / "c.yaml").write_text("title: [\n")
    result = run("check", ".", "--format", "github", cwd=root)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=incidents/a.yaml,line=2,col=9::unknown impact 'huge' "
        "(expected one of: none, minor, major, critical)",
        "::error file=incidents/c.yaml,line=2,col=1::invalid YAML: expected the node content, "
        "but found '<stream end>' while parsing a flow node (expected valid YAML)",
    ]
    assert result.stderr == ""


def test_github_annotation_escaping() -> None:
    from statuspage.cli import github_annotations
    from statuspage.model import Problem, SiteError

    error = SiteError([Problem("in,cidents/a:b.yaml", 3, 4, "50% wrong\nsecond line")])
    assert github_annotations(error) == "::error file=in%2Ccidents/a%3Ab.yaml,line=3,col=4::50%25 wrong%0Asecond line"


def test_check_format_github_ok_is_the_usual_summary(make_site: Callable[..., Path]) -> None:
    result = run("check", str(make_site(incidents={"a": incident()})), "--format", "github")
    assert result.returncode == 0
    assert result.stdout.startswith("OK: 3 components, 1 records")


def test_version() -> None:
    from statuspage import __version__

    result = run("--version")
    assert result.stdout.strip() == f"statuspage {__version__}"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_and_erases_itself() -> None:
    from statuspage.cli import Progress

    stream = Terminal()
    with Progress("Building out", enabled=True, delay=0.0, stream=stream):
        deadline = time.monotonic() + 30
        while "Building out [" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    drawn = stream.getvalue()
    assert drawn.startswith("\rBuilding out [")
    assert drawn.endswith("\r\x1b[K")


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()], ids=["not-a-tty", "quiet"])
def test_progress_bar_prints_nothing_off_a_terminal_or_when_quiet(stream: io.StringIO) -> None:
    from statuspage.cli import Progress

    with Progress("Building out", enabled=not isinstance(stream, Terminal), delay=0.0, stream=stream):
        time.sleep(0.3)
    assert stream.getvalue() == ""
