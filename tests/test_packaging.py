"""The wheel carries the whole theme and works from a fresh virtual environment, outside the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (found,) = dist.glob("statuspage_static-*.whl")
    return found


def test_wheel_holds_every_theme_file(wheel: Path) -> None:
    theme = REPO / "templates"
    expected = {f"statuspage/templates/{p.relative_to(theme).as_posix()}" for p in theme.rglob("*") if p.is_file()}
    names = set(zipfile.ZipFile(wheel).namelist())
    assert expected and expected <= names, sorted(expected - names)


def test_wheel_in_fresh_venv_builds_a_site_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600)
    site = tmp_path / "elsewhere"
    shutil.copytree(REPO / "incidents", site / "incidents")
    shutil.copy(REPO / "statuspage.yaml", site)
    result = subprocess.run(
        [str(env_dir / "bin" / "statuspage"), "build", "--now", "2026-11-25T12:00:00Z"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    index = (site / "_site" / "index.html").read_text()
    assert "Partially Degraded Service" in index
    assert list((site / "_site" / "static").glob("style.*.css"))


def test_wheel_holds_the_json_schemas(wheel: Path) -> None:
    """`statuspage schema` and the API tests read these from the installed package (issue 5)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in ("api-v2", "config", "record"):
        assert f"statuspage/schemas/{kind}.json" in names
