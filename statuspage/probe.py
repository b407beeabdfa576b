"""`statuspage probe`: run every HTTP check, keep a small history, open and close incidents.

A probe never decides what the page shows by itself: it writes what it saw into
`probes/YYYY-MM.csv`, and when a component has failed `fail_after` runs in a row it
opens an incident file through `edit.new_incident`, exactly as an editor would. The
page then turns red through the ordinary rules (docs/rules.md). After `recover_after`
good runs it appends `monitoring` or `resolved` with `edit.append_update`.

Humans stay in charge of the wording (issue 9): `probes/state.json` keeps the SHA-256
of every incident file the probe wrote. If the bytes differ on the next run, a human
edited the file (retitled, reworded, added an update, resolved it) and the probe never
touches it again. The probe also never opens a second incident on a component that
already has an open one, whoever opened it.

Header values may reference `${NAME}` environment variables; `env` comes from cli.py
(the only module that reads the environment). Resolved values exist only in memory
for the request: they are never written, printed, or copied into an error message.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import edit
from .derive import is_open
from .load import ENV_REF, display_path, load_site, read_config
from .model import (
    IMPACT_INDICATOR,
    INDICATOR_RANK,
    Check,
    Component,
    ComponentStatus,
    EditError,
    Impact,
    IncidentStatus,
    ProbeResult,
    Site,
    SiteError,
)

HISTORY_DIR = "probes"
STATE_FILE = "state.json"
COLUMNS = ("time", "component", "check", "result", "code", "ms", "detail")
RESULTS = ("up", "degraded", "down")
DETAIL_MAX = 160  # a history line stays short; the reason is a phrase, never a response body
KEEP_MONTHS = 4  # the current month and three before it: enough for 90-day uptime
BODY_MAX = 1_000_000
USER_AGENT = "statuspage-probe (+https://github.com/statuspage)"


def history_file(root: Path, at: datetime) -> Path:
    return Path(root) / HISTORY_DIR / f"{at.astimezone(UTC):%Y-%m}.csv"


def format_line(result: ProbeResult) -> str:
    """One CSV line, fixed column order: the format is documented in docs/probes.md."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        (
            edit.format_time(result.at),
            result.component,
            result.check,
            result.result,
            "" if result.code is None else result.code,
            "" if result.ms is None else result.ms,
            result.detail[:DETAIL_MAX],
        )
    )
    return buffer.getvalue()


def parse_lines(text: str) -> list[ProbeResult]:
    """Results from one history file; a malformed line (a bad merge, a cut write) is skipped, not fatal:
    the page must still build from the rest."""
    found: list[ProbeResult] = []
    # Most lines have no quoted field: a plain split is several times faster than csv.reader.
    rows = (
        line.split(",", len(COLUMNS) - 1) if '"' not in line else next(csv.reader([line]), [])
        for line in text.splitlines()
    )
    moments: dict[str, datetime | None] = {}  # one run's lines share a time: parse it once
    for row in rows:
        if len(row) != len(COLUMNS) or row[3] not in RESULTS:
            continue
        if row[0] not in moments:
            try:
                parsed: datetime | None = datetime.fromisoformat(row[0])
            except ValueError:
                parsed = None
            moments[row[0]] = parsed if parsed is not None and parsed.tzinfo is not None else None
        at = moments[row[0]]
        if at is None:
            continue
        try:
            code = int(row[4]) if row[4] else None
            ms = int(row[5]) if row[5] else None
        except ValueError:
            continue
        found.append(ProbeResult(at=at, component=row[1], check=row[2], result=row[3], code=code, ms=ms, detail=row[6]))
    return found


def read_history(root: Path, now: datetime, days: int = 90) -> tuple[ProbeResult, ...]:
    """Every recorded result from the month files that overlap the `days` before `now`, oldest first."""
    folder = Path(root) / HISTORY_DIR
    if not folder.is_dir():
        return ()
    oldest = (now - timedelta(days=days)).astimezone(UTC).strftime("%Y-%m")
    newest = now.astimezone(UTC).strftime("%Y-%m")
    results: list[ProbeResult] = []
    for path in sorted(folder.glob("*.csv")):
        if re.fullmatch(r"\d{4}-\d{2}", path.stem) and oldest <= path.stem <= newest and path.is_file():
            results.extend(parse_lines(path.read_text(encoding="utf-8", errors="replace")))
    return tuple(sorted(results, key=lambda r: (r.at, r.component, r.check)))


def append_history(root: Path, results: Sequence[ProbeResult]) -> Path:
    """Append one run's lines to this month's file, creating it with a header line."""
    path = history_file(root, results[0].at)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as handle:
        if new:
            handle.write(",".join(COLUMNS) + "\n")
        for result in sorted(results, key=lambda r: (r.component, r.check)):
            handle.write(format_line(result))
    return path


def prune_history(root: Path, now: datetime, keep_months: int = KEEP_MONTHS) -> list[Path]:
    """Delete month files older than the `keep_months` most recent months: the folder stays bounded."""
    folder = Path(root) / HISTORY_DIR
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    index = year * 12 + month - 1 - (keep_months - 1)
    cutoff = f"{index // 12:04d}-{index % 12 + 1:02d}"
    removed = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        if re.fullmatch(r"\d{4}-\d{2}", path.stem) and path.stem < cutoff:
            path.unlink()
            removed.append(path)
    return removed


def env_names(text: str) -> list[str]:
    return [m.group(1) for m in ENV_REF.finditer(text)]


def resolve_env(text: str, env: Mapping[str, str], where: str) -> str:
    """`${NAME}` replaced from `env`; a missing or empty variable is an error naming the variable only."""
    missing = [name for name in env_names(text) if not env.get(name)]
    if missing:
        raise EditError(
            f"{where} uses ${{{missing[0]}}}, which is not set in the environment "
            f"(expected the variable to hold the secret, e.g. from the CI's secrets)"
        )
    return ENV_REF.sub(lambda m: env[m.group(1)], text)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret value replaced by ***, for anything that could echo a header."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True, slots=True)
class Outcome:
    check: Check
    result: str
    code: int | None
    ms: int | None
    detail: str


def json_path(data: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def judge(check: Check, code: int, body: bytes, ms: int) -> tuple[str, str]:
    """up / degraded / down and a short factual reason, from one answer."""
    if check.expect_status:
        if code not in check.expect_status:
            wanted = ", ".join(str(c) for c in check.expect_status)
            return "down", f"status {code} (expected {wanted})"
    elif not 200 <= code < 300:
        return "down", f"status {code} (expected 2xx)"
    if check.expect_body is not None and check.expect_body not in body.decode("utf-8", "replace"):
        return "down", f"status {code}, but the body lacks the expected text"
    if check.expect_json:
        try:
            data = json.loads(body)
        except ValueError:
            return "down", f"status {code}, but the body is not JSON"
        for path, expected in check.expect_json:
            found, value = json_path(data, path)
            if not found:
                return "down", f"status {code}, but the JSON has no {path}"
            text = value if isinstance(value, str) else json.dumps(value)
            if text != expected:
                return "down", f"status {code}, but {path} is {text[:40]} (expected {expected})"
    if check.degraded_after is not None and ms > check.degraded_after * 1000:
        return "degraded", f"status {code} in {ms} ms (slower than {round(check.degraded_after * 1000)} ms)"
    return "up", f"status {code} in {ms} ms"


async def _run_one(client: Any, check: Check, headers: dict[str, str], secrets: list[str]) -> Outcome:
    import httpx

    started = time.perf_counter()
    try:
        request = client.build_request(check.method, check.url, headers=headers, timeout=check.timeout)
        response = await client.send(request, stream=True)
        try:
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= BODY_MAX:  # a health check needs little; a huge body must not fill memory
                    break
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        return Outcome(check, "down", None, None, f"no answer within {check.timeout:g} s")
    except httpx.HTTPError as error:
        reason = scrub(str(error) or type(error).__name__, secrets)
        return Outcome(check, "down", None, None, f"request failed: {reason}"[:DETAIL_MAX])
    ms = round((time.perf_counter() - started) * 1000)
    result, detail = judge(check, response.status_code, body[:BODY_MAX], ms)
    return Outcome(check, result, response.status_code, ms, scrub(detail, secrets))


async def run_checks(checks: Sequence[Check], env: Mapping[str, str]) -> list[Outcome]:
    """Every check at once, on one connection pool; the slowest check bounds the run."""
    import httpx

    prepared = []
    secrets: list[str] = []
    for check in checks:
        headers = {"User-Agent": USER_AGENT}
        for name, value in check.headers:
            headers[name] = resolve_env(value, env, f"check '{check.id}' header {name}")
            secrets.extend(env[n] for n in env_names(value))
        prepared.append((check, headers))
    limits = httpx.Limits(max_connections=20)
    # Redirects are not followed, so a header (a secret) is never sent to another host.
    async with httpx.AsyncClient(follow_redirects=False, limits=limits, trust_env=False) as client:
        return list(await asyncio.gather(*(_run_one(client, c, h, secrets) for c, h in prepared)))


@dataclass(slots=True)
class ProbeReport:
    outcomes: list[Outcome] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_state(root: Path) -> dict[str, Any]:
    path = Path(root) / HISTORY_DIR / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if not isinstance(state, dict):
        state = {}
    state.setdefault("checks", {})
    state.setdefault("components", {})
    return state


def _save_state(root: Path, state: dict[str, Any]) -> Path:
    path = Path(root) / HISTORY_DIR / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state, indent=1, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".state.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(data)
    os.replace(tmp, path)
    return path


def _since(text: str | None) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def probe(site_root: Path, now: datetime, env: Mapping[str, str], keep_months: int = KEEP_MONTHS) -> ProbeReport:
    """One probe run at `now`: check, record, then open/update/resolve incidents (module docstring)."""
    root = Path(site_root)
    config = read_config(root)
    report = ProbeReport()
    if not config.checks:
        report.actions.append(f"no checks in {display_path(root / 'statuspage.yaml')}: nothing to probe")
        return report
    for check in config.checks:  # every secret must be there before anything is sent or written
        for _, value in check.headers:
            resolve_env(value, env, f"check '{check.id}' header")
    outcomes = asyncio.run(run_checks(config.checks, env))
    report.outcomes = outcomes
    results = [
        ProbeResult(
            at=now,
            component=o.check.component,
            check=o.check.id,
            result=o.result,
            code=o.code,
            ms=o.ms,
            detail=o.detail,
        )
        for o in outcomes
    ]
    report.written.append(append_history(root, results))
    report.written.extend(prune_history(root, now, keep_months))
    state = _load_state(root)
    _count(state, outcomes, now)
    try:
        site = load_site(root)
    except SiteError as error:
        report.written.append(_save_state(root, state))
        raise SiteError(error.problems) from None  # the history is kept; incidents wait for a loadable site
    failed: list[str] = []
    for component in sorted(site.components, key=lambda c: c.position):
        checks = [c for c in site.checks if c.component == component.id]
        try:
            if checks:
                _act(site, component, checks, state, now, report)
        except (EditError, SiteError) as error:  # e.g. --now before the incident's latest update
            failed.append(f"{component.id}: {error}")  # the other components and the state still count
    state["checks"] = {k: v for k, v in sorted(state["checks"].items()) if k in {c.id for c in site.checks}}
    report.written.append(_save_state(root, state))
    if failed:
        raise EditError("; ".join(failed))
    return report


def _count(state: dict[str, Any], outcomes: Sequence[Outcome], now: datetime) -> None:
    """Consecutive bad and good runs per check; `confirmed` changes only past fail_after/recover_after."""
    for o in outcomes:
        st = state["checks"].setdefault(o.check.id, {"confirmed": "up", "bad": 0, "good": 0, "since": None})
        if o.result == "up":
            st["good"], st["bad"] = st["good"] + 1, 0
            if st["good"] == 1:
                st["since"] = edit.format_time(now)
            if st["confirmed"] != "up" and st["good"] >= o.check.recover_after:
                st["confirmed"] = "up"
        else:
            st["bad"], st["good"] = st["bad"] + 1, 0
            if st["bad"] == 1:
                st["since"] = edit.format_time(now)
            if st["bad"] >= o.check.fail_after:
                st["confirmed"] = o.result
        st["last"] = o.detail


def _act(
    site: Site, component: Component, checks: list[Check], state: dict[str, Any], now: datetime, report: ProbeReport
) -> None:
    """Open, update or resolve this component's probe incident, or leave a human's incident alone."""
    cstate: dict[str, Any] = state["components"].setdefault(component.id, {"incident": None, "handled": False})
    bad = [c for c in checks if state["checks"].get(c.id, {}).get("confirmed", "up") != "up"]
    owned = None
    if cstate.get("incident"):
        try:
            path = edit.record_path(site.root, cstate["incident"])
        except EditError:
            path = None
        record = next((r for r in site.records if r.id == cstate["incident"]), None)
        if path is not None and record is not None and _digest(path) == cstate.get("sha256") and is_open(record):
            owned = (path, record)
        else:
            why = "was edited by a person" if path is not None else "is gone"
            report.actions.append(f"{component.id}: {cstate['incident']} {why}; the probe leaves it alone")
            cstate["incident"], cstate["sha256"] = None, None
    if bad:
        worst = "down" if any(state["checks"][c.id]["confirmed"] == "down" for c in bad) else "degraded"
        first = next(c for c in bad if state["checks"][c.id]["confirmed"] == worst)
        st = state["checks"][first.id]
        if owned is not None:
            path, record = owned
            if record.latest.status == IncidentStatus.MONITORING:
                message = f"The automatic check '{first.id}' is failing again: {st['last']}."
                edit.append_update(path, IncidentStatus.INVESTIGATING, message, now)
                cstate["sha256"] = _digest(path)
                report.actions.append(f"{component.id}: failing again; appended investigating to {display_path(path)}")
            return
        if cstate.get("handled"):
            return
        cstate["handled"] = True
        human = [r for r in site.records if is_open(r) and any(cid == component.id for cid, _ in r.components)]
        if human:
            report.actions.append(
                f"{component.id}: {human[0].id} is already open on this component; not opening another"
            )
            return
        status = ComponentStatus.MAJOR_OUTAGE if worst == "down" else ComponentStatus.DEGRADED_PERFORMANCE
        impact = max((c.impact for c in bad), key=impact_rank)
        if worst == "degraded":  # slowness is at most a minor incident, whatever the outage impact
            impact = min(impact, Impact.MINOR, key=impact_rank)
        title = f"{component.name} is {'unavailable' if worst == 'down' else 'slow'}"
        runs = st["bad"]
        message = (
            f"Automatic checks of {component.name} have failed {runs} times in a row since {_since(st['since'])}: "
            f"{st['last']}. We are investigating."
        )
        path = edit.new_incident(
            site.root,
            title,
            [(component.id, status)],
            impact,
            message,
            now,
            origin="`statuspage probe`",
            comments=(
                f"statuspage-probe: component={component.id} check={first.id}",
                "The probe appends to this file until a person edits it; after any edit it leaves it alone.",
            ),
        )
        cstate["incident"], cstate["sha256"] = path.stem, _digest(path)
        report.actions.append(f"{component.id}: opened {display_path(path)} ({status.value}, {impact.value} impact)")
        return
    cstate["handled"] = False
    if owned is None:
        return
    path, record = owned
    final = max((c.on_recovery for c in checks), key=lambda s: s == IncidentStatus.MONITORING)
    if final == IncidentStatus.MONITORING and record.latest.status == IncidentStatus.MONITORING:
        return
    good = min(state["checks"][c.id]["good"] for c in checks)
    since = max(state["checks"][c.id]["since"] or "" for c in checks)
    message = f"Automatic checks of {component.name} have passed {good} times in a row since {_since(since)}. " + (
        "We are monitoring." if final == IncidentStatus.MONITORING else "This incident has been resolved."
    )
    edit.append_update(path, final, message, now)
    if final == IncidentStatus.RESOLVED:
        cstate["incident"], cstate["sha256"] = None, None
    else:
        cstate["sha256"] = _digest(path)
    report.actions.append(f"{component.id}: appended {final.value} to {display_path(path)}")


def impact_rank(impact: Impact) -> int:
    return INDICATOR_RANK[IMPACT_INDICATOR[impact]]
