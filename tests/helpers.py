"""Readers for built output, shared by the end-to-end tests."""

from __future__ import annotations

import fnmatch
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


def header_rules(out: Path) -> list[tuple[str, dict[str, str]]]:
    """Parse a Netlify / Cloudflare Pages `_headers` file into (pattern, headers)."""
    rules: list[tuple[str, dict[str, str]]] = []
    for line in (out / "_headers").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(":")
            assert name not in rules[-1][1]
            rules[-1][1][name] = value.strip()
    return rules


def headers_for(rules: list[tuple[str, dict[str, str]]], url: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for pattern, headers in rules:
        if fnmatch.fnmatchcase(url, pattern):  # a splat matches across '/', as on both hosts
            for name, value in headers.items():
                found.setdefault(name, []).append(value)
    return found


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def require_chromium() -> str:
    """Path of the Chromium binary; skip without it, but fail in CI (CI=true), where it must be installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (install the Debian package chromium)")
        pytest.skip("chromium is not installed")
    return found
