"""Readers for built output, shared by the end-to-end tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

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
