"""`statuspage serve` through its real entry point: real HTTP on 127.0.0.1, rebuilds, last good build kept."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import soup, text

WAIT = 30.0  # seconds; generous bound for slow CI machines, never a timing assertion


class Server:
    """A `statuspage serve` process and the lines it printed, read by a background thread."""

    def __init__(self, site: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "statuspage", "serve", str(site), "--port", "0", "--now", "2026-11-25T12:00:00Z"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        found = self.wait_for(lambda: any(" on http://127.0.0.1:" in line for line in self.lines))
        assert found, f"no URL printed: {self.lines}"
        line = next(line for line in self.lines if " on http://127.0.0.1:" in line)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match and match.group(1) != "0"
        self.url = match.group(0)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if condition():
                return True
            if self.process.poll() is not None:
                return condition()
            time.sleep(0.1)
        return False

    def get(self, path: str = "") -> tuple[int, bytes]:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.status, response.read()


@pytest.fixture
def server(example_copy: Path) -> Iterator[Server]:
    running = Server(example_copy)
    try:
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        try:
            code = running.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=15)
            raise
        assert code == 0, running.lines  # SIGTERM is a clean stop: the temporary folder is removed


def title_of(server: Server, path: str) -> str:
    return text(soup(server.get(path)[1]).find("h1"))


def test_serves_the_built_site_over_http(server: Server) -> None:
    status, body = server.get()
    assert status == 200
    page = soup(body)
    assert page.find("title") is not None
    assert "Chirp Status" in text(page.find("title"))
    status, _ = server.get("incidents/2026-11-24-webhook-delays/")
    assert status == 200
    assert server.lines[0].startswith("Rebuilt: 11 records")


def test_rebuilds_after_a_change_then_keeps_the_last_good_build_after_a_broken_edit(
    server: Server, example_copy: Path
) -> None:
    record = example_copy / "incidents" / "2026-11-24-webhook-delays.yaml"
    page = "incidents/2026-11-24-webhook-delays/"
    assert "Webhook deliveries delayed" in title_of(server, page)

    record.write_text(record.read_text().replace("title: Webhook deliveries delayed", "title: Webhooks late"))
    assert server.wait_for(lambda: "Webhooks late" in title_of(server, page)), server.lines

    record.write_text("title: [\n")
    assert server.wait_for(lambda: b"statuspage-serve-error" in server.get(page)[1]), server.lines
    body = soup(server.get(page)[1])
    banner = body.find(id="statuspage-serve-error")
    assert banner is not None and banner.get("role") == "alert"
    assert "incidents/2026-11-24-webhook-delays.yaml:2:1: invalid YAML" in text(banner)
    assert "Webhooks late" in text(body.find("h1"))  # the last good build, still served
    assert any("Keeping the last good build." in line for line in server.lines)
    assert any("incidents/2026-11-24-webhook-delays.yaml:2:1: invalid YAML" in line for line in server.lines)
