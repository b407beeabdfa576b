"""Real, unmodified Statuspage API clients read a built site served on 127.0.0.1 (issue 5).

- `statuspage-prometheus-exporter` (PyPI): polls `summary.json` and turns it into
  Prometheus metrics; run as its own process in its documented one-shot mode.
- `statuspage.io` (npm, tests/clients/package.json): a client library for the public
  API, pointed at the local server with its `setApiUrl`.
- `@statuspage/status-widget` (npm): Atlassian's official embed widget, run in Chromium
  on a page of another origin, so it also proves the `_headers` CORS rule.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import NOW, REPO, build_site, write_site
from helpers import (
    QuietHandler,
    header_rules,
    headers_for,
    page,
    require_chromium,
    serve_folder,
    soup,
    text,
    unavailable,
)

CLIENTS = Path(__file__).resolve().parent / "clients"


class HeadersHandler(QuietHandler):
    """Serves a built site with the headers its `_headers` file asks for, as Netlify would."""

    rules: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def end_headers(self) -> None:
        for name, values in headers_for(self.rules, self.path.split("?")[0]).items():
            for value in values:
                self.send_header(name, value)
        super().end_headers()


def serve(folder: Path, *, apply_headers: bool = False) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 (with its `_headers` applied, when asked); yields the base URL."""
    handler: type[QuietHandler] = QuietHandler
    if apply_headers:
        handler = type("SiteHandler", (HeadersHandler,), {"rules": header_rules(folder)})
    with serve_folder(folder, handler) as url:
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "_site"
    build_site(REPO, out, now=NOW)
    return out


@pytest.fixture(scope="module")
def example_url(example: Path) -> Iterator[str]:
    yield from serve(example)


def api(out: Path, name: str) -> Any:
    return json.loads((out / "api" / "v2" / name).read_bytes())


def run_exporter(url: str, work: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """One pass of the exporter (RUN_MODE=once) against url; its metrics by name."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "services.json").write_text(json.dumps({"site": {"url": f"{url}/api/v2/summary.json", "name": "Site"}}))
    env = {
        **os.environ,
        "RUN_MODE": "once",
        "SERVICES_JSON_PATH": str(work / "services.json"),
        "METRICS_TEXTFILE_PATH": str(work / "metrics.prom"),
    }
    env.pop("SLACK_WEBHOOK_URL", None)
    script = "from statuspage_prometheus_exporter.status_monitoring import main; main()"  # its console script
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    metrics: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families((work / "metrics.prom").read_text()):
        for sample in family.samples:
            metrics.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return metrics


def test_prometheus_exporter_reads_the_example(example: Path, example_url: str, tmp_path: Path) -> None:
    metrics = run_exporter(example_url, tmp_path)
    assert metrics["statuspage_service_status"] == [({"service_name": "Site"}, 0.0)]  # indicator minor
    assert metrics["statuspage_probe_check"] == [({"service_name": "Site"}, 1.0)]
    components = {c["name"]: c["status"] for c in api(example, "components.json")["components"]}
    read = {labels["component_name"]: value for labels, value in metrics["statuspage_component_status"]}
    assert read == {name: 1.0 if status == "operational" else 0.0 for name, status in components.items()}
    unresolved = api(example, "incidents/unresolved.json")["incidents"]
    incidents = [labels for labels, value in metrics["statuspage_incident_info"] if value == 1.0]
    assert [(i["incident_id"], i["incident_name"], i["impact"], i["shortlink"]) for i in incidents] == [
        (r["id"], r["name"], r["impact"], r["shortlink"]) for r in unresolved
    ]
    assert incidents[0]["affected_components"] == "Webhooks"
    upcoming = api(example, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    maintenances = [labels for labels, value in metrics["statuspage_maintenance_info"] if value == 1.0]
    assert [(m["maintenance_id"], m["maintenance_name"]) for m in maintenances] == [
        (r["id"], r["name"]) for r in upcoming
    ]
    assert maintenances[0]["scheduled_start"].startswith(upcoming[0]["scheduled_for"][:19])


def test_prometheus_exporter_reads_an_operational_site(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site")
    out = tmp_path / "out"
    build_site(root, out)
    for url in serve(out):
        metrics = run_exporter(url, tmp_path / "work")
    assert metrics["statuspage_service_status"] == [({"service_name": "Site"}, 1.0)]
    assert {labels["component_name"] for labels, _ in metrics["statuspage_component_status"]} >= {
        "Website",
        "API",
        "Database",
    }
    assert "statuspage_incident_info" not in metrics or all(v == 0 for _, v in metrics["statuspage_incident_info"])


def node_client() -> list[str]:
    node = shutil.which("node")
    installed = (CLIENTS / "node_modules" / "statuspage.io" / "package.json").is_file()
    if node is None or not installed:
        reason = "node is missing" if node is None else "run `npm ci --prefix tests/clients` first"
        unavailable(f"the npm Statuspage client cannot run: {reason}")
    return [node, str(CLIENTS / "read-site.js")]


def test_npm_statuspage_client_reads_every_endpoint(example: Path, example_url: str) -> None:
    done = subprocess.run(
        [*node_client(), example_url], capture_output=True, text=True, timeout=120, check=False, cwd=CLIENTS
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["summary"] == api(example, "summary.json")
    assert got["status"]["status"] == {"indicator": "minor", "description": "Partially Degraded Service"}
    assert got["components"]["components"] == api(example, "components.json")["components"]
    assert got["incidents"] == api(example, "incidents.json")
    assert len(got["incidents"]["incidents"]) == 8
    assert [i["name"] for i in got["unresolved"]["incidents"]] == ["Webhook deliveries delayed"]
    upcoming = got["maintenances_upcoming"]["scheduled_maintenances"]
    assert [m["name"] for m in upcoming] == ["API gateway migration"]
    assert all(got[key]["page"]["name"] == "Chirp Status" for key in got)


# The widget renders into its shadow root; the page copies that out for --dump-dom to print.
WIDGET_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>widget</title></head><body>
<statuspage-widget src="{src}"></statuspage-widget>
<pre id="out"></pre>
<script src="widget.js"></script>
<script>
var tries = 0;
var timer = setInterval(function () {{
  var w = document.querySelector("statuspage-widget");
  var html = w && w.shadowRoot ? w.shadowRoot.innerHTML : "";
  if (html.indexOf("status-text") >= 0 || ++tries > 100) {{
    document.getElementById("out").textContent = html;
    clearInterval(timer);
  }}
}}, 50);
</script></body></html>
"""


def chromium() -> str:
    found = require_chromium()
    widget = CLIENTS / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"
    if not widget.is_file():
        unavailable("the Statuspage widget cannot run: run `npm ci --prefix tests/clients` first")
    return found


def run_widget(site_url: str, work: Path) -> str:
    """Text the official widget shows for site_url, embedded in a page of another origin."""
    browser = chromium()
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(CLIENTS / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js", work / "widget.js")
    (work / "index.html").write_text(WIDGET_PAGE.format(src=site_url + "/"), encoding="utf-8")
    for page_url in serve(work):
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                f"--user-data-dir={work / 'profile'}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{page_url}/index.html",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    rendered = soup(done.stdout).find(id="out")
    assert rendered is not None, done.stdout[-2000:]
    return rendered.get_text()


def test_official_widget_shows_the_banner_across_origins(example: Path, tmp_path: Path) -> None:
    for site_url in serve(example, apply_headers=True):
        shadow = soup(run_widget(site_url, tmp_path / "page"))
    banner = text(page(example, "index.html").find("h1"))
    assert text(shadow.find(class_="status-text")) == banner == "Partially Degraded Service"
    assert "minor" in shadow.find(class_="status-indicator")["class"]
    assert shadow.find("a")["href"] == site_url + "/"


def test_official_widget_needs_the_cors_header(example: Path, tmp_path: Path) -> None:
    """Served without the `_headers` rules, the browser blocks the widget's request: CORS is what makes it work."""
    for site_url in serve(example):
        shadow = soup(run_widget(site_url, tmp_path / "page"))
    assert shadow.find(class_="status-text") is None
