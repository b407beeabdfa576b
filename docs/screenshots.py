"""Take the README's screenshots of the example site's index: light and dark, phone and desktop.

Run from the repository root with the test dependencies installed and Debian's chromium:
    .venv/bin/python docs/screenshots.py
It builds the example at a fixed moment, so the pictures change only when the theme or the example does.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-11-25T12:00:00Z"
SIZES = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "_site"
        command = [sys.executable, "-m", "statuspage", "build", str(REPO), "-o", str(out), "--now", NOW]
        subprocess.run(command, check=True, capture_output=True)
        handler = functools.partial(Quiet, directory=str(out))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            for scheme in ("light", "dark"):
                for size, viewport in SIZES.items():
                    page = browser.new_page(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
                    # Read five minutes after the build, so the stale-page warning stays hidden.
                    page.clock.set_fixed_time(datetime.fromisoformat(NOW) + timedelta(minutes=5))
                    page.goto(url)
                    target = REPO / "docs" / "screenshots" / f"index-{size}-{scheme}.png"
                    page.screenshot(path=str(target), full_page=size == "desktop")
                    page.close()
                    print(target.relative_to(REPO))
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
