"""Imports point down the data flow (docs/architecture in ../STYLE.md): load → derive → outputs → build → cli."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "statuspage"

# module -> the package modules it may import
ALLOWED = {
    "model": set(),
    "load": {"model", "cache"},
    "derive": {"model"},
    "render": {"model", "derive", "cache"},
    "cache": set(),
    "feeds": {"model", "derive"},
    "api": {"model", "derive"},
    "badges": {"model", "derive"},
    "calendar": {"model", "derive"},
    "write": {"model"},
    "build": {"model", "load", "derive", "render", "feeds", "api", "write", "badges", "calendar", "cache", "probe"},
    "edit": {"model", "load"},
    "probe": {"model", "load", "derive", "edit"},
    "notify": {"model", "load", "edit", "probe"},
    "serve": {"model", "build"},
}


def package_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add((node.module or "").split(".")[0])
    return found - {""}


def test_imports_point_down_the_data_flow() -> None:
    for module, allowed in ALLOWED.items():
        path = PACKAGE / f"{module}.py"
        if path.exists():
            extra = package_imports(path) - allowed - {"__init__"}
            assert not extra, f"{module}.py imports {extra}"


def test_init_holds_only_the_version() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    names = [
        t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
    ]
    assert names == ["__version__"]


def test_only_cli_reads_the_clock_or_environment() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.name in ("cli.py",):
            continue
        source = path.read_text()
        for forbidden in ("datetime.now(", "time.time(", "os.environ", "date.today("):
            assert forbidden not in source, f"{path.name} uses {forbidden}"
