"""Readers for built output, shared by the end-to-end tests."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with the SHA-256 of its bytes: equal dicts mean identical trees."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def soup(data: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(data, "html.parser")


def page(out: Path, path: str) -> BeautifulSoup:
    return soup((out / path).read_bytes())


def text(node: object) -> str:
    return " ".join(str(getattr(node, "get_text", lambda *a, **k: node)(" ", strip=True)).split())


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def require_chromium() -> str:
    """Path of the Chromium binary; skip without it, but fail in CI (CI=true), where it must be installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (install the Debian package chromium)")
        pytest.skip("chromium is not installed")
    return found
