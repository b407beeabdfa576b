"""Every command is documented (docs/cli.md, README's table) and has --help with an example."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from statuspage.cli import make_parser

from conftest import REPO

CLI_MD = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every runnable command, nested ones as 'new incident', from the real parser."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    full = f"{prefix} {name}".strip()
                    nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                    if not nested:
                        found[full] = sub
                    walk(sub, full)

    walk(make_parser(), "")
    return found


COMMANDS = commands()


def test_the_parser_has_the_editor_commands() -> None:
    assert {"build", "check", "serve", "new incident", "new maintenance", "update", "resolve"} <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_has_a_section_in_cli_md(command: str) -> None:
    assert f"## `statuspage {command}`" in CLI_MD


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_is_in_cli_md(command: str) -> None:
    section = CLI_MD.split(f"## `statuspage {command}`", 1)[1].split("\n## ", 1)[0]
    for action in COMMANDS[command]._actions:
        longs = [o for o in action.option_strings if o.startswith("--") and o not in ("--help", "--quiet", "--verbose")]
        for option in longs:
            assert option in section, f"{option} of '{command}' is not described in docs/cli.md"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_is_in_readme_table(command: str) -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `statuspage ")]
    assert any(row.startswith(f"| `statuspage {command}") for row in rows), f"README's table lacks '{command}'"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_help_ends_with_an_example(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "statuspage", *command.split(), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    example = result.stdout.rstrip().split("example:\n", 1)[1].strip()
    assert example.startswith(f"statuspage {command}")


def test_exit_codes_are_documented() -> None:
    for code, meaning in (("0", "ok"), ("1", "invalid input"), ("2", "bad command line")):
        assert f"| `{code}` | {meaning}" in CLI_MD


def test_publishing_recipes_rebuild_on_a_schedule() -> None:
    text = (REPO / "docs" / "publishing.md").read_text(encoding="utf-8")
    for needle in (
        "schedule:",
        'cron: "*/10 * * * *"',
        "concurrency:",
        "pull_request:",
        "statuspage check --format github",
        "actions/deploy-pages",
        "aws s3 sync",
        "--cache-control",
        "netlify.toml",
        "nginx",
        "cron.d",
    ):
        assert needle in text, needle
    assert (
        "opens and closes on time only if a build runs" in " ".join(text.split()) or "maintenance window opens" in text
    )
