"""Probes that open and resolve incidents, the page beside them, and notifications (issue 9).

Every network call goes to servers on 127.0.0.1 started here: a service that can be
switched to fail, hang, answer slowly or answer the wrong body, and a webhook receiver
that can be told to fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from statuspage.derive import probe_summary
from statuspage.edit import append_update, new_incident
from statuspage.load import display_path, load_site
from statuspage.model import ComponentStatus, Impact, IncidentStatus, ProbeResult, SiteError
from statuspage.notify import notify
from statuspage.probe import append_history, parse_lines, probe, prune_history, read_history

from conftest import build_site, write_site
from helpers import page, text, tree_digest

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TOKEN = "tok-9f3c1e7a-SECRET-probe"
HOOK_SECRET = "hooksecret-4b2d8e"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Service:
    """An HTTP service on 127.0.0.1 whose behaviour a test switches: ok, fail, hang, slow, wrong."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.seen_headers: list[dict[str, str]] = []
        self.release = threading.Event()
        self.barrier = threading.Barrier(2)
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.seen_headers.append(dict(self.headers.items()))
                mode = service.mode
                if mode == "hang":
                    service.release.wait(10)
                    return
                if mode == "slow":
                    time.sleep(1.0)
                if mode == "together":  # answers only once two requests are in flight at the same time
                    try:
                        service.barrier.wait(timeout=5)
                    except threading.BrokenBarrierError:
                        return
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", service.url + "?again")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                code = 500 if mode == "fail" else 200
                body = json.dumps({"status": "maintenance" if mode == "wrong" else "ok"}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records JSON bodies; `fail_next` answers 503 that many times."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.attempts = 0
        self.fail_next = 0
        self.fail_code = 503
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(length)
                receiver.attempts += 1
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(receiver.fail_code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                receiver.bodies.append(json.loads(data))
                receiver.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service()
    yield svc
    svc.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rcv = Receiver()
    yield rcv
    rcv.close()


def config(url: str, extra: str = "", webhooks: str = "") -> str:
    return f"""\
title: Example Status
base_url: https://status.example.com/
timezone: UTC
components:
  - id: web
    name: Website
    checks:
      - url: {url}
        timeout: 0.5
        degraded_after: 0.4
        expect_json:
          status: ok
        headers:
          Authorization: Bearer ${{PROBE_TOKEN}}
        fail_after: 2
        recover_after: 2
{extra}  - id: api
    name: API
{webhooks}"""


ENV = {"PROBE_TOKEN": TOKEN}


@pytest.fixture
def site(tmp_path: Path, service: Service) -> Path:
    return write_site(tmp_path / "site", config(service.url))


def incidents(root: Path) -> list[Path]:
    return sorted((root / "incidents").glob("*.yaml"))


def banner_and_web(root: Path, now: datetime, out: Path) -> tuple[str, str]:
    build_site(root, out, now)
    index = page(out, "index.html")
    row = next(li for li in index.select("ul.components > li") if "Website" in text(li.select_one(".name")))
    return text(index.select_one("h1.banner")), text(row.select_one(".component .status"))


# --- configuration ------------------------------------------------------------------------------


def test_checks_are_read_into_the_model(site: Path) -> None:
    (check,) = load_site(site).checks
    assert (check.id, check.component, check.method, check.timeout, check.degraded_after) == (
        "web",
        "web",
        "GET",
        0.5,
        0.4,
    )
    assert check.expect_json == (("status", "ok"),)
    assert check.headers == (("Authorization", "Bearer ${PROBE_TOKEN}"),)  # the reference, never the value
    assert (check.fail_after, check.recover_after, check.impact, check.on_recovery) == (
        2,
        2,
        Impact.MAJOR,
        IncidentStatus.RESOLVED,
    )


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            "url: ftp://x/\n",
            "statuspage.yaml:7:14: check url 'ftp://x/' is not an http(s) address "
            "(expected e.g. https://api.example/health; secrets go in headers)",
        ),
        (
            "url: https://x/\n        fail_after: twice\n",
            "statuspage.yaml:8:21: fail_after is the text 'twice' "
            "(expected a number of consecutive runs from 1 to 100)",
        ),
        (
            "url: https://x/\n        timeout: soon\n",
            "statuspage.yaml:8:18: timeout is the text 'soon' "
            "(expected a duration from 1ms to 5m, like 10s, 500ms or 0.5)",
        ),
        (
            "url: https://x/\n        on_recovery: identified\n",
            "statuspage.yaml:8:22: unknown on_recovery 'identified' (expected one of: resolved, monitoring)",
        ),
        (
            "url: https://x/\n        headers:\n          X-Key: ${not valid}\n",
            "statuspage.yaml:9:18: '${not valid}' is not an environment variable name (expected e.g. ${API_TOKEN})",
        ),
        (
            "url: https://x/\n        expect_stauts: 200\n",
            "statuspage.yaml:8:9: unknown key 'expect_stauts' in a check; did you mean 'expect_status'? "
            "(expected one of: url, name, method, expect_status, expect_body, expect_json, timeout, degraded_after, "
            "headers, fail_after, recover_after, impact, on_recovery)",
        ),
    ],
    ids=["scheme", "fail_after", "timeout", "on_recovery", "env-name", "typo"],
)
def test_check_problems_are_reported_with_line_and_column(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, check: str, message: str
) -> None:
    root = make_site(
        "title: T\nbase_url: https://s.example/\ncomponents:\n  - id: web\n    name: Web\n    checks:\n      - " + check
    )
    monkeypatch.chdir(root)
    with pytest.raises(SiteError) as caught:
        load_site(root)
    assert str(caught.value.problems[0]) == message


def test_webhook_problems_are_reported(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_site(
        "title: T\nbase_url: https://s.example/\ncomponents:\n  - id: web\n    name: Web\n"
        "webhooks:\n  - type: slak\n    url: ${HOOK}\n  - type: json\n    url: not a url\n"
    )
    monkeypatch.chdir(root)
    with pytest.raises(SiteError) as caught:
        load_site(root)
    assert [str(p) for p in caught.value.problems] == [
        "statuspage.yaml:7:11: unknown webhook type 'slak'; did you mean 'slack'? "
        "(expected one of: slack, discord, json)",
        "statuspage.yaml:10:10: webhook url is not an http(s) address "
        "(expected ${NAME} of an environment variable holding it)",
    ]


# --- probing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "result", "detail"),
    [
        ("ok", "up", "status 200 in"),
        ("fail", "down", "status 500 (expected 2xx)"),
        ("hang", "down", "no answer within 0.5 s"),
        ("wrong", "down", "status 200, but status is maintenance (expected ok)"),
        ("redirect", "down", "status 302 (expected 2xx)"),  # not followed: headers never go to another host
    ],
)
def test_each_failure_mode_is_recorded(site: Path, service: Service, mode: str, result: str, detail: str) -> None:
    service.mode = mode
    report = probe(site, T0, ENV)
    (line,) = read_history(site, T0)
    assert (line.result, line.component, line.check) == (result, "web", "web")
    assert line.detail.startswith(detail)
    assert report.outcomes[0].result == result
    assert [h["Authorization"] for h in service.seen_headers] == [f"Bearer {TOKEN}"]  # one request, no redirect


def test_checks_run_concurrently(tmp_path: Path, service: Service) -> None:
    """Both checks are answered only if both requests are in flight at once: run one after the other,
    the first would wait for the second until its timeout."""
    second = f"      - name: web-again\n        url: {service.url}\n        timeout: 3\n"
    root = write_site(tmp_path / "site", config(service.url, extra=second).replace("timeout: 0.5", "timeout: 3"))
    service.mode = "together"
    report = probe(root, at(0), ENV)
    answered = sorted((o.check.id, o.code) for o in report.outcomes)
    assert answered == [("web", 200), ("web-again", 200)]


def test_expect_body_and_expect_status(tmp_path: Path, service: Service) -> None:
    extra = (
        f'      - name: web-body\n        url: {service.url}\n        expect_body: \'"status": "ok"\'\n'
        f"      - name: web-created\n        url: {service.url}\n        expect_status: [201, 202]\n"
    )
    root = write_site(tmp_path / "site", config(service.url, extra=extra))
    service.mode = "wrong"
    report = probe(root, at(0), ENV)
    details = {o.check.id: (o.result, o.detail) for o in report.outcomes}
    assert details["web-body"] == ("down", "status 200, but the body lacks the expected text")
    assert details["web-created"] == ("down", "status 200 (expected 201, 202)")
    service.mode = "ok"
    report = probe(root, at(5), ENV)
    assert {o.check.id: o.result for o in report.outcomes}["web-body"] == "up"


def test_a_failed_edit_still_saves_the_state(site: Path, service: Service) -> None:
    """A run stamped before the incident's latest update cannot append: it says so, and the
    results and counters are kept, so the next run resolves."""
    from statuspage.model import EditError

    service.mode = "fail"
    probe(site, at(10), ENV)
    probe(site, at(15), ENV)
    (path,) = incidents(site)
    service.mode = "ok"
    probe(site, at(20), ENV)
    with pytest.raises(EditError, match="is earlier than the latest update"):
        probe(site, at(12), ENV)
    state = json.loads((site / "probes" / "state.json").read_text())
    assert state["checks"]["web"]["good"] == 2
    assert state["components"]["web"]["incident"] == path.stem
    assert len(read_history(site, at(30))) == 4
    probe(site, at(25), ENV)
    (record,) = load_site(site).records
    assert [u.status for u in record.updates] == ["investigating", "resolved"]


def test_a_slow_answer_is_degraded_and_opens_a_degraded_performance_incident(tmp_path: Path, service: Service) -> None:
    root = write_site(tmp_path / "site", config(service.url).replace("timeout: 0.5", "timeout: 3"))
    service.mode = "slow"
    probe(root, at(0), ENV)
    probe(root, at(5), ENV)
    assert [r.result for r in read_history(root, at(5))] == ["degraded", "degraded"]
    assert len(incidents(root)) == 1
    (record,) = load_site(root).records
    assert record.title == "Website is slow"
    assert record.components == (("web", ComponentStatus.DEGRADED_PERFORMANCE),)
    assert record.impact is Impact.MINOR
    banner, status = banner_and_web(root, at(5), tmp_path / "out")
    assert (banner, status) == ("Partially Degraded Service", "Degraded performance")


def test_a_down_service_opens_exactly_one_incident_after_fail_after_runs(site: Path, service: Service) -> None:
    service.mode = "fail"
    probe(site, at(0), ENV)
    assert incidents(site) == []  # one failure is a blip
    banner, _ = banner_and_web(site, at(0), site.parent / "out0")
    assert banner == "All Systems Operational"
    report = probe(site, at(5), ENV)
    (path,) = incidents(site)
    assert report.actions == [f"web: opened {display_path(path)} (major_outage, major impact)"]
    for minutes in (10, 15, 20):
        probe(site, at(minutes), ENV)
    assert incidents(site) == [path]
    (record,) = load_site(site).records
    assert record.title == "Website is unavailable"
    assert [u.status for u in record.updates] == ["investigating"]
    assert record.updates[0].message == (
        "Automatic checks of Website have failed 2 times in a row since 2026-11-25 10:00 UTC: "
        "status 500 (expected 2xx). We are investigating."
    )
    assert "# statuspage-probe: component=web check=web" in path.read_text()
    banner, status = banner_and_web(site, at(20), site.parent / "out")
    assert banner != "All Systems Operational"
    assert (banner, status) == ("Partial System Outage", "Major outage")


def test_recovery_resolves_after_recover_after_runs(site: Path, service: Service) -> None:
    service.mode = "fail"
    probe(site, at(0), ENV)
    probe(site, at(5), ENV)
    service.mode = "ok"
    probe(site, at(10), ENV)
    (record,) = load_site(site).records
    assert [u.status for u in record.updates] == ["investigating"]  # one good run is not recovery
    report = probe(site, at(15), ENV)
    (record,) = load_site(site).records
    assert [u.status for u in record.updates] == ["investigating", "resolved"]
    assert record.updates[-1].at == at(15)
    assert record.updates[-1].message.startswith("Automatic checks of Website have passed 2 times in a row since")
    assert report.actions[-1].startswith("web: appended resolved to ")
    banner, status = banner_and_web(site, at(15), site.parent / "out")
    assert (banner, status) == ("All Systems Operational", "Operational")


def test_on_recovery_monitoring_leaves_the_resolution_to_a_person(tmp_path: Path, service: Service) -> None:
    root = write_site(tmp_path / "site", config(service.url, extra="        on_recovery: monitoring\n"))
    service.mode = "fail"
    probe(root, at(0), ENV)
    probe(root, at(5), ENV)
    service.mode = "ok"
    for minutes in (10, 15, 20, 25):
        probe(root, at(minutes), ENV)
    (record,) = load_site(root).records
    assert [u.status for u in record.updates] == ["investigating", "monitoring"]
    service.mode = "fail"
    probe(root, at(30), ENV)
    probe(root, at(35), ENV)
    (record,) = load_site(root).records
    assert [u.status for u in record.updates] == ["investigating", "monitoring", "investigating"]
    assert len(incidents(root)) == 1


def _retitle(path: Path) -> None:
    path.write_text(path.read_text().replace("title: Website is unavailable", "title: Checkout is down"))


def _reword(path: Path) -> None:
    path.write_text(path.read_text().replace("We are investigating.", "Engineers are on it."))


def _add_update(path: Path) -> None:
    append_update(path, "identified", "A bad deploy; rolling back.", at(7))


def _resolve(path: Path) -> None:
    append_update(path, "resolved", "Fixed by rolling back.", at(7))


@pytest.mark.parametrize("edit", [_retitle, _reword, _add_update, _resolve], ids=lambda f: f.__name__.strip("_"))
def test_a_human_edited_incident_is_left_alone(site: Path, service: Service, edit: Callable[[Path], None]) -> None:
    service.mode = "fail"
    probe(site, at(0), ENV)
    probe(site, at(5), ENV)
    (path,) = incidents(site)
    edit(path)
    edited = path.read_bytes()
    service.mode = "ok"
    reports = [probe(site, at(minutes), ENV) for minutes in (10, 15, 20)]
    assert path.read_bytes() == edited
    assert incidents(site) == [path]
    assert any("was edited by a person; the probe leaves it alone" in a for r in reports for a in r.actions)
    service.mode = "fail"  # the same component failing again later: still no second incident while one is open
    for minutes in (25, 30, 35):
        probe(site, at(minutes), ENV)
    assert path.read_bytes() == edited
    if edit is _resolve:  # a resolved outage that comes back is a new incident
        assert len(incidents(site)) == 2
    else:
        assert incidents(site) == [path]


def test_no_duplicate_when_a_human_incident_is_already_open(site: Path, service: Service) -> None:
    human = new_incident(
        site, "Website errors", [("web", ComponentStatus.PARTIAL_OUTAGE)], Impact.MINOR, "We see errors.", at(0)
    )
    before = human.read_bytes()
    service.mode = "fail"
    reports = [probe(site, at(minutes), ENV) for minutes in (1, 6, 11)]
    assert incidents(site) == [human]
    assert human.read_bytes() == before
    assert f"web: {human.stem} is already open on this component; not opening another" in reports[1].actions
    service.mode = "ok"
    for minutes in (16, 21):
        probe(site, at(minutes), ENV)
    assert human.read_bytes() == before  # the probe never closes a person's incident


def test_a_missing_secret_stops_the_probe_before_anything_is_sent(site: Path, service: Service) -> None:
    from statuspage.model import EditError

    with pytest.raises(EditError, match=r"uses \$\{PROBE_TOKEN\}, which is not set"):
        probe(site, T0, {})
    assert service.seen_headers == []
    assert not (site / "probes").exists()


def test_history_is_one_small_file_per_month_and_old_months_are_pruned(tmp_path: Path) -> None:
    root = tmp_path / "site"
    for month in (7, 8, 9, 10, 11):
        moment = datetime(2026, month, 3, tzinfo=UTC)
        append_history(root, [ProbeResult(at=moment, component="web", check="web", result="up", code=200, ms=12)])
    assert sorted(p.name for p in (root / "probes").iterdir()) == [
        "2026-07.csv",
        "2026-08.csv",
        "2026-09.csv",
        "2026-10.csv",
        "2026-11.csv",
    ]
    assert (root / "probes" / "2026-11.csv").read_text() == (
        "time,component,check,result,code,ms,detail\n2026-11-03T00:00:00Z,web,web,up,200,12,\n"
    )
    removed = prune_history(root, datetime(2026, 11, 25, tzinfo=UTC), keep_months=4)
    assert [p.name for p in removed] == ["2026-07.csv"]


def test_malformed_history_lines_are_skipped() -> None:
    lines = parse_lines(
        "time,component,check,result,code,ms,detail\n"
        "2026-11-25T10:00:00Z,web,web,up,200,12,ok\n"
        "<<<<<<< HEAD\n"
        "2026-11-25T10:05:00Z,web,web,sideways,200,12,\n"
        "2026-11-25T10:10:00,web,web,up,200,12,naive time\n"
        '2026-11-25T10:15:00Z,web,web,down,,,"no answer, really"\n'
    )
    assert [(r.at.minute, r.result, r.detail) for r in lines] == [(0, "up", "ok"), (15, "down", "no answer, really")]


# --- the page: rules P1-P3 of docs/probes.md -----------------------------------------------------


def results(*spec: tuple[int, str, int | None]) -> list[ProbeResult]:
    return [ProbeResult(at=at(m), component="web", check="web", result=r, ms=ms) for m, r, ms in spec]


def test_p2_uptime_counts_runs_not_down_and_is_floored() -> None:
    """P2: the share of probe runs in the last 90 days in which no check was down, floored to 0.01 %."""
    history = results(*[(m, "up", 10) for m in range(2999)], (3000, "down", None))
    summary = probe_summary(history, "web", at(3000))
    assert (summary.runs, summary.down_runs, summary.uptime) == (3000, 1, 99.96)
    history = results(*[(m, "up", 10) for m in range(99999)], (100000, "down", None))
    assert probe_summary(history, "web", at(100000), days=365).uptime == 99.99  # never rounded up to 100
    degraded = results((0, "degraded", 900), (5, "up", 100))
    assert probe_summary(degraded, "web", at(5)).uptime == 100.0
    old = results((0, "down", None), (60 * 24 * 91, "up", 5))
    assert probe_summary(old, "web", at(60 * 24 * 91)).runs == 1  # older than 90 days: outside
    assert probe_summary([], "web", at(0)).uptime is None


def test_p2_a_run_is_down_when_any_check_of_the_component_is_down() -> None:
    """P2: a run is every check of the component at one moment; it is down if any of them is."""
    history = [
        ProbeResult(at=at(0), component="web", check="web", result="up", ms=10),
        ProbeResult(at=at(0), component="web", check="web-2", result="down"),
        ProbeResult(at=at(5), component="web", check="web", result="up", ms=10),
        ProbeResult(at=at(5), component="web", check="web-2", result="up", ms=30),
        ProbeResult(at=at(5), component="api", check="api", result="down"),
    ]
    summary = probe_summary(history, "web", at(5))
    assert (summary.runs, summary.down_runs, summary.uptime, summary.latest_ms) == (2, 1, 50.0, 30)


def test_p3_sparkline_shows_the_latest_answered_response_times() -> None:
    """P3: the latest 48 answered runs, slowest check per run, down runs left out."""
    history = results(*[(m, "up", 100 + m) for m in range(60)], (60, "down", None))
    summary = probe_summary(history, "web", at(60))
    assert summary.samples == 48
    assert (summary.latest_ms, summary.max_ms, summary.median_ms) == (159, 159, 136)
    points = [tuple(map(float, p.split(","))) for p in summary.points.split()]
    assert points[0][0] == 0.0 and points[-1] == (100.0, 1.0)
    assert all(0 <= y <= 24 for _, y in points)
    assert points == sorted(points, key=lambda p: -p[1])  # rising times go up the box


def test_p1_probe_failures_without_an_incident_leave_the_status_alone(tmp_path: Path, service: Service) -> None:
    """P1: status comes from incident files only; failing checks without an incident stay Operational,
    and the probe's uptime is shown beside it."""
    root = write_site(tmp_path / "site", config(service.url))
    append_history(root, results((0, "down", None)))
    append_history(root, results((5, "up", 40)))
    banner, status = banner_and_web(root, at(5), tmp_path / "out")
    assert (banner, status) == ("All Systems Operational", "Operational")
    probe_text = text(page(tmp_path / "out", "index.html").select_one(".probe"))
    assert "Checks: 50.00% up over 90 days" in probe_text


def test_p1_an_open_incident_is_never_overridden_by_passing_checks(tmp_path: Path, service: Service) -> None:
    """P1: a component in major_outage stays so while its incident is open, even if every check passes."""
    root = write_site(tmp_path / "site", config(service.url))
    new_incident(root, "Website down", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Down.", at(0))
    append_history(root, results((5, "up", 40)))
    append_history(root, results((10, "up", 60)))
    banner, status = banner_and_web(root, at(10), tmp_path / "out")
    assert (banner, status) == ("Partial System Outage", "Major outage")
    index = page(tmp_path / "out", "index.html")
    assert "Checks: 100.00% up over 90 days" in text(index.select_one(".probe"))


def test_the_sparkline_is_inline_svg_with_a_text_alternative(tmp_path: Path, service: Service) -> None:
    root = write_site(tmp_path / "site", config(service.url))
    for minutes, ms in ((0, 40), (5, 80), (10, 60)):
        append_history(root, results((minutes, "up", ms)))
    build_site(root, tmp_path / "out", at(10))
    build_site(root, tmp_path / "again", at(10))
    assert tree_digest(tmp_path / "out") == tree_digest(tmp_path / "again")  # same inputs, same bytes
    index = page(tmp_path / "out", "index.html")
    (svg,) = index.select(".probe svg.sparkline")
    tree = ET.fromstring(str(svg))
    assert tree.get("role") == "img"
    assert text(svg.title) == "Response time of the last 3 answered checks: latest 60 ms, median 60 ms, slowest 80 ms"
    assert svg.polyline["points"] == "0.0,12.0 50.0,1.0 100.0,6.5"
    assert index.find("script", src=True) is None
    api_row = next(li for li in index.select("ul.components > li") if "API" in text(li.select_one(".name")))
    assert api_row.select_one(".probe") is None  # components without checks show nothing


def test_a_probed_component_without_results_says_so(tmp_path: Path, service: Service) -> None:
    root = write_site(tmp_path / "site", config(service.url))
    build_site(root, tmp_path / "out", at(0))
    assert text(page(tmp_path / "out", "index.html").select_one(".probe")) == "No check results yet"


# --- notifications ------------------------------------------------------------------------------


def hook_config(service: Service, kinds: tuple[str, ...] = ("json",)) -> str:
    hooks = "webhooks:\n" + "".join(
        f"  - type: {kind}\n    name: {kind}-hook\n    url: ${{HOOK_{kind.upper()}}}\n" for kind in kinds
    )
    return config(service.url, webhooks=hooks)


def hook_env(receiver: Receiver, kinds: tuple[str, ...] = ("json",)) -> dict[str, str]:
    return {f"HOOK_{k.upper()}": f"{receiver.base}/{k}/{HOOK_SECRET}" for k in kinds} | ENV


def quick(root: Path, env: dict[str, str], **kwargs: Any) -> Any:
    return notify(root, env, backoff=0.01, timeout=2, sleep=lambda s: time.sleep(min(s, 0.05)), **kwargs)


def test_notify_posts_once_per_change_and_a_rerun_posts_nothing(
    tmp_path: Path, service: Service, receiver: Receiver
) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    first = quick(root, env)
    assert first.posted == [] and (root / "notifications.json").is_file()
    service.mode = "fail"
    probe(root, at(0), env)
    probe(root, at(5), env)
    report = quick(root, env)
    assert len(report.posted) == 1
    (body,) = receiver.bodies
    assert body["event"] == "incident.created"
    assert body["incident"]["components"] == {"web": "major_outage"}
    assert body["incident"]["url"].startswith("https://status.example.com/incidents/2026-11-25-website-is-")
    assert body["update"]["status"] == "investigating"
    assert quick(root, env).posted == []
    service.mode = "ok"
    probe(root, at(10), env)
    probe(root, at(15), env)
    assert len(quick(root, env).posted) == 1
    assert [b["event"] for b in receiver.bodies] == ["incident.created", "incident.resolved"]
    assert quick(root, env).posted == []
    assert len(receiver.bodies) == 2


def test_notify_retries_a_failing_receiver_then_records_the_delivery(
    tmp_path: Path, service: Service, receiver: Receiver
) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    quick(root, env)
    new_incident(root, "Website down", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Down.", at(0))
    receiver.fail_next = 2
    report = quick(root, env, retries=3)
    assert (len(report.posted), report.failed) == (1, [])
    assert receiver.attempts == 3 and len(receiver.bodies) == 1
    assert quick(root, env).posted == []


def test_notify_gives_up_after_its_retries_and_tries_again_next_run(
    tmp_path: Path, service: Service, receiver: Receiver
) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    quick(root, env)
    new_incident(root, "Website down", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Down.", at(0))
    receiver.fail_next = 10
    report = quick(root, env, retries=2)
    assert report.failed == [
        "json-hook: incident.created 2026-11-25-website-down (investigating): answered 503 after 3 attempts"
    ]
    assert receiver.attempts == 3
    receiver.fail_next = 0
    assert len(quick(root, env).posted) == 1
    assert len(receiver.bodies) == 1


def test_notify_does_not_retry_a_client_error(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    quick(root, env)
    new_incident(root, "Website down", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Down.", at(0))
    receiver.fail_next, receiver.fail_code = 5, 404
    report = quick(root, env, retries=3)
    assert report.failed[0].endswith("answered 404") and receiver.attempts == 1


def test_notify_formats_for_slack_and_discord(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    kinds = ("slack", "discord")
    root = write_site(tmp_path / "site", hook_config(service, kinds))
    env = hook_env(receiver, kinds)
    quick(root, env)
    new_incident(
        root, "Logins <fail> & more", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "@everyone down", at(0)
    )
    quick(root, env)
    by_path = dict(zip((p.split("/")[1] for p in receiver.paths), receiver.bodies, strict=True))
    slack, discord = by_path["slack"], by_path["discord"]
    assert slack["text"].startswith("*Logins &lt;fail&gt; &amp; more* (new incident): Investigating\n@everyone down\n<")
    assert discord["embeds"][0]["title"] == "Logins <fail> & more"
    assert discord["embeds"][0]["timestamp"] == "2026-11-25T10:00:00.000Z"
    assert discord["allowed_mentions"] == {"parse": []}


def test_notify_compares_with_a_git_revision(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    old = new_incident(root, "Old outage", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Old.", at(0))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "previous build"], check=True)
    append_update(old, "resolved", "Fixed.", at(5))
    new_incident(root, "API slow", [("api", ComponentStatus.DEGRADED_PERFORMANCE)], Impact.MINOR, "Slow.", at(6))
    report = quick(root, env, since="HEAD")
    assert [b["event"] for b in receiver.bodies] == ["incident.resolved", "incident.created"]
    assert len(report.posted) == 2
    assert quick(root, env, since="HEAD").posted == []


def test_notify_compares_with_a_previous_summary_json(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    path = new_incident(root, "Old outage", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Old.", at(0))
    previous = tmp_path / "summary.json"
    previous.write_text(
        json.dumps(
            {
                "incidents": [
                    {
                        "id": "x1",
                        "shortlink": f"https://status.example.com/incidents/{path.stem}/",
                        "incident_updates": [{"status": "investigating", "created_at": "2026-11-25T10:00:00.000Z"}],
                    }
                ]
            }
        )
    )
    append_update(path, "identified", "Found it.", at(3))
    quick(root, env, previous=previous)
    assert [(b["event"], b["update"]["status"]) for b in receiver.bodies] == [("incident.updated", "identified")]


def test_secrets_from_the_environment_reach_no_file_and_no_output(
    tmp_path: Path, service: Service, receiver: Receiver
) -> None:
    """Issue 9: header tokens and webhook URLs come from the environment and are never written or printed."""
    root = write_site(tmp_path / "site", hook_config(service, ("json", "slack")))
    out = tmp_path / "public"
    env = {**os.environ, **hook_env(receiver, ("json", "slack"))}
    outputs: list[str] = []

    def cli(*args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "statuspage", *args], capture_output=True, text=True, env=env, timeout=120
        )
        outputs.extend((result.stdout, result.stderr))
        assert result.returncode in (0, 1), result.stderr

    cli("notify", str(root))
    service.mode = "fail"
    for minutes in (0, 5, 10):
        cli("probe", str(root), "-v", "--now", at(minutes).isoformat())
    cli("build", str(root), "-o", str(out), "--now", at(10).isoformat())
    receiver.fail_next = 1
    cli("notify", str(root), "-v", "--retries", "0")  # one post fails: its error message is printed too
    cli("notify", str(root), "-v", "--backoff", "0")
    service.mode = "ok"
    for minutes in (15, 20):
        cli("probe", str(root), "-v", "--now", at(minutes).isoformat())
    cli("build", str(root), "-o", str(out), "--now", at(20).isoformat())
    cli("notify", str(root), "-v", "--backoff", "0")
    assert service.seen_headers[0]["Authorization"] == f"Bearer {TOKEN}"  # the secret was used
    assert len(receiver.bodies) == 4 and HOOK_SECRET in receiver.paths[0]
    assert any("Error: " in o for o in outputs)
    files = [p for folder in (root, out) for p in folder.rglob("*") if p.is_file()]
    assert len(files) > 10
    for secret in (TOKEN, HOOK_SECRET, receiver.base):
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret} in {path}"
        for output in outputs:
            assert secret not in output


# --- the whole story ----------------------------------------------------------------------------


def test_timeline_down_and_back_up(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    """docs/probes.md "A run-by-run example": what the probe wrote, the page showed, the receiver got."""
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    quick(root, env)
    timeline = []
    for minutes, mode in ((0, "ok"), (5, "fail"), (10, "fail"), (15, "ok"), (20, "ok")):
        service.mode = mode
        report = probe(root, at(minutes), env)
        banner, status = banner_and_web(root, at(minutes), tmp_path / "out")
        before = len(receiver.bodies)
        quick(root, env)
        events = [b["event"] for b in receiver.bodies[before:]]
        timeline.append((f"{at(minutes):%H:%M}", report.outcomes[0].result, banner, status, events))
    assert timeline == [
        ("10:00", "up", "All Systems Operational", "Operational", []),
        ("10:05", "down", "All Systems Operational", "Operational", []),
        ("10:10", "down", "Partial System Outage", "Major outage", ["incident.created"]),
        ("10:15", "up", "Partial System Outage", "Major outage", []),
        ("10:20", "up", "All Systems Operational", "Operational", ["incident.resolved"]),
    ]
    assert quick(root, env).posted == []
    assert len(incidents(root)) == 1


def test_probes_md_has_the_scheduled_recipe_and_its_limits() -> None:
    from conftest import REPO

    doc = (REPO / "docs" / "probes.md").read_text(encoding="utf-8")
    steps = ["statuspage probe", "git commit", "statuspage build", "actions/deploy-pages", "statuspage notify"]
    positions = [doc.index(step, doc.index("## Recipe")) for step in steps]
    assert positions == sorted(positions), "probe → commit → build → deploy → notify"
    for needle in ('cron: "*/5 * * * *"', "concurrency:", "cancel-in-progress: false", "Schedules run late"):
        assert needle in doc, needle
    assert "One location sees one network path" in doc and "Adding a second location" in doc
    for rule in ("**P1.**", "**P2.**", "**P3.**"):
        assert rule in doc


def probed_sites(tmp_path: Path, service: Service) -> list[Path]:
    """A probed site in English and French, with an open incident and a varied history, built."""
    outs = []
    for language in ("en", "fr"):
        text_config = config(service.url).replace("timezone: UTC", f"timezone: UTC\nlanguage: {language}")
        root = write_site(tmp_path / f"site-{language}", text_config)
        for minutes, result, ms in ((0, "up", 40), (5, "degraded", 900), (10, "down", None), (15, "up", 60)):
            append_history(root, results((minutes, result, ms)))
        new_incident(root, "Website down", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Down.", at(12))
        build_site(root, tmp_path / f"out-{language}", at(15))
        outs.append(tmp_path / f"out-{language}")
    return outs


def test_probe_partial_passes_the_nu_html_checker(tmp_path: Path, service: Service) -> None:
    from test_html_valid import validator

    script = validator()
    pages = [str(out / "index.html") for out in probed_sites(tmp_path, service)]
    french = page(Path(pages[1]).parent, "index.html")
    assert text(french.select_one(".probe .uptime")) == "Vérifications : 75,00 % de disponibilité sur 90 jours"
    result = subprocess.run(
        [script, "--show-warnings", "--format", "gnu", *pages], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0 and (result.stdout + result.stderr).strip() == "", result.stdout + result.stderr


def test_probe_partial_has_no_axe_violations(tmp_path: Path, service: Service) -> None:
    from test_browser import axe_violations, chromium

    from helpers import serve_folder

    with chromium() as browser:
        for out in probed_sites(tmp_path, service):
            with serve_folder(out) as url:
                for scheme in ("light", "dark"):
                    assert axe_violations(browser, url, scheme) == []


def test_editor_schema_knows_checks_and_webhooks(tmp_path: Path) -> None:
    """The JSON Schema of statuspage.yaml (issue 5) follows load.py, and the docs' example passes both."""
    import yaml
    from jsonschema import Draft202012Validator

    from statuspage.load import CHECK_KEYS, METHODS

    from conftest import REPO

    schema = json.loads((REPO / "statuspage" / "schemas" / "config.json").read_text(encoding="utf-8"))
    check = schema["properties"]["components"]["items"]["properties"]["checks"]["items"]
    assert set(check["properties"]) == {"url", *CHECK_KEYS}
    assert check["properties"]["method"]["enum"] == list(METHODS)
    hook = schema["properties"]["webhooks"]["items"]
    assert hook["properties"]["type"]["enum"] == ["slack", "discord", "json"]
    doc = (REPO / "docs" / "probes.md").read_text(encoding="utf-8")
    components = doc.split("## Checks", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    webhooks = doc.split("## Notifications", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    text_config = f"title: T\nbase_url: https://status.example/\n{components}{webhooks}"
    assert list(Draft202012Validator(schema).iter_errors(yaml.safe_load(text_config))) == []
    root = write_site(tmp_path / "site", text_config)
    site = load_site(root)
    assert [c.id for c in site.checks] == ["api", "api-docs"]
    assert [w.name for w in site.webhooks] == ["slack-1", "discord-2", "pager"]


def test_notify_compares_with_the_previous_builds_api(tmp_path: Path, service: Service, receiver: Receiver) -> None:
    """The baseline can be the previous deploy's own api/v2/incidents.json (issue 5's API)."""
    root = write_site(tmp_path / "site", hook_config(service))
    env = hook_env(receiver)
    path = new_incident(root, "Old outage", [("web", ComponentStatus.MAJOR_OUTAGE)], Impact.MAJOR, "Old.", at(0))
    append_update(path, "identified", "Found it.", at(2))
    build_site(root, tmp_path / "previous", at(3))
    append_update(path, "resolved", "Fixed.", at(4))
    quick(root, env, previous=tmp_path / "previous" / "api" / "v2" / "incidents.json")
    assert [(b["event"], b["update"]["message"]) for b in receiver.bodies] == [("incident.resolved", "Fixed.")]
