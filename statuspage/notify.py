"""`statuspage notify`: post each new incident and each new update to webhooks, once.

There is no server to remember what was sent, so the memory is a file: the delivery
record (`notifications.json` in the site folder, committed like the incidents). An
update is identified by its record id, time and status. For each webhook, an update
is posted when it is in the current records but neither in the delivery record nor in
the baseline (the previous build: a git revision, or the previous `summary.json` /
`incidents.json`). A successful post is recorded at once, so a re-run, or a run after
a crash, never posts it twice; a failed post is retried with backoff and, if it still
fails, left for the next run.

Webhook URLs are secrets (anyone holding a Slack URL can post to the channel): they
come from `${NAME}` environment variables resolved in memory, and no message, record
or error names anything but the webhook's `name`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .edit import format_time
from .load import display_path, load_site, parse_time, read_record
from .model import EditError, Record, Site, SiteError, WebhookKind, isoformat_z, url_join
from .probe import resolve_env, scrub

RECORD_FILE = "notifications.json"
MESSAGE_MAX = 1800  # below Discord's 2000-character content limit and far below Slack's
RETRY_AFTER_MAX = 60.0
# Slack attachment / Discord embed colours per latest status.
COLOURS = {"resolved": 0x1A7F37, "completed": 0x1A7F37, "monitoring": 0x0969DA, "scheduled": 0x0969DA}


def update_key(record: Record, index: int) -> str:
    update = record.updates[index]
    return f"{record.id}@{format_time(update.at)}#{update.status}"


def all_keys(records: Iterable[Record]) -> set[str]:
    return {update_key(r, i) for r in records for i in range(len(r.updates))}


def baseline_from_git(site_root: Path, revision: str) -> set[str]:
    """Update keys of the records at a git revision (the previous build's commit)."""

    def git(*args: str) -> bytes:
        try:
            return subprocess.run(
                ["git", "-C", str(site_root), *args], capture_output=True, check=True, timeout=60
            ).stdout
        except subprocess.CalledProcessError as error:
            said = error.stderr.decode(errors="replace").strip().splitlines()
            raise EditError(
                f"git cannot read revision '{revision}': {said[-1] if said else error} (expected a commit of the site)"
            ) from None
        except (OSError, subprocess.SubprocessError) as error:
            raise EditError(f"cannot run git: {error} (expected git installed and the site in a repository)") from None

    names = git("ls-tree", "--name-only", revision, "--", "incidents/").decode().split()
    keys: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(tmp) / Path(name).name
            path.write_bytes(git("show", f"{revision}:./{name}"))
            try:
                record = read_record(path)
            except SiteError:
                continue  # a broken file at that revision published nothing
            keys |= all_keys([record])  # same file name, so the same id
    return keys


def baseline_from_summary(path: Path) -> set[str]:
    """Update keys from a previous Statuspage-style `summary.json` or `incidents.json`.

    Incidents are matched by `id`, or by the `/incidents/<id>/` in their `shortlink`,
    updates by `created_at` (or `display_at`) and `status`.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EditError(
            f"cannot read {display_path(path)}: {error} (expected a summary.json or incidents.json)"
        ) from None
    keys: set[str] = set()
    entries = [*data.get("incidents", []), *data.get("scheduled_maintenances", [])] if isinstance(data, dict) else []
    for incident in entries:
        if not isinstance(incident, dict):
            continue
        record_id = str(incident.get("id", ""))
        link = str(incident.get("shortlink") or "")
        if "/incidents/" in link:
            record_id = link.rstrip("/").rsplit("/", 1)[-1]
        for update in incident.get("incident_updates", []) or []:
            if not isinstance(update, dict):
                continue
            moment = update.get("created_at") or update.get("display_at")
            try:
                at = format_time(parse_time(str(moment)))
            except ValueError:
                continue
            keys.add(f"{record_id}@{at}#{update.get('status')}")
    return keys


def load_record_file(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise EditError(f"cannot read the delivery record {display_path(path)}: {error} (expected JSON)") from None
    hooks = data.get("delivered", {}) if isinstance(data, dict) else {}
    return {str(k): [str(x) for x in v] for k, v in hooks.items() if isinstance(v, list)}


def save_record_file(path: Path, delivered: Mapping[str, Iterable[str]]) -> None:
    data = {"version": 1, "delivered": {k: sorted(set(v)) for k, v in sorted(delivered.items())}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Event:
    record: Record
    index: int

    @property
    def key(self) -> str:
        return update_key(self.record, self.index)

    @property
    def name(self) -> str:
        kind = "maintenance" if self.record.is_maintenance else "incident"
        status = self.record.updates[self.index].status
        if self.index == 0:
            return f"{kind}.created"
        return f"{kind}.{status}" if status in ("resolved", "completed") else f"{kind}.updated"


def events(site: Site) -> list[Event]:
    """Every update of every record, oldest first: the candidates to post."""
    found = [Event(r, i) for r in site.records for i in range(len(r.updates))]
    return sorted(found, key=lambda e: (e.record.updates[e.index].at, e.record.id, e.index))


def _excerpt(text: str, limit: int = MESSAGE_MAX) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def payload(kind: WebhookKind, site: Site, event: Event) -> dict[str, Any]:
    """The JSON body for one webhook type: Slack incoming webhook, Discord webhook, or our generic JSON."""
    record, update = event.record, event.record.updates[event.index]
    url = url_join(site.base_url, f"incidents/{record.id}/")
    status = update.status.replace("_", " ").capitalize()
    heading = f"{'New ' if event.index == 0 else ''}{'maintenance' if record.is_maintenance else 'incident'}"
    if kind is WebhookKind.SLACK:

        def esc(text: str) -> str:  # Slack mrkdwn: only these three are control characters
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        text = f"*{esc(record.title)}* ({heading.lower()}): {status}\n{esc(_excerpt(update.message))}\n<{url}|{url}>"
        return {"text": text, "unfurl_links": False}
    if kind is WebhookKind.DISCORD:
        return {
            "content": f"**{heading}: {status}**"[:2000],
            "embeds": [
                {
                    "title": record.title[:256],
                    "url": url,
                    "description": _excerpt(update.message),
                    "timestamp": isoformat_z(update.at),
                    "color": COLOURS.get(update.status, 0xCF222E),
                }
            ],
            "allowed_mentions": {"parse": []},  # incident text must never ping @everyone
        }
    return {
        "event": event.name,
        "site": {"title": site.title, "url": site.base_url},
        "incident": {
            "id": record.id,
            "kind": record.kind.value,
            "title": record.title,
            "impact": record.impact.value,
            "status": record.latest.status,
            "components": dict(record.components),
            "url": url,
        },
        "update": {"at": isoformat_z(update.at), "status": update.status, "message": update.message},
    }


@dataclass(slots=True)
class NotifyReport:
    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    initialised: bool = False


def post(
    client: Any,
    url: str,
    body: dict[str, Any],
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> str | None:
    """POST with retries on network errors, 429 and 5xx; None on success, else why it failed (no URL in it)."""
    import httpx

    why = "not sent"
    for attempt in range(retries + 1):
        wait = backoff * 2**attempt
        try:
            response = client.post(url, json=body)
        except httpx.TimeoutException:
            why = "timed out"
        except httpx.HTTPError as error:
            why = f"request failed ({type(error).__name__})"
        else:
            if response.status_code < 300:
                return None
            why = f"answered {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                return why  # a 4xx will not get better by asking again
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.strip().isdigit():
                wait = min(float(retry_after), RETRY_AFTER_MAX)
        if attempt < retries:
            sleep(wait)
    return f"{why} after {retries + 1} attempts"


def notify(
    site_root: Path,
    env: Mapping[str, str],
    *,
    since: str | None = None,
    previous: Path | None = None,
    record_file: Path | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 1.0,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda line: None,
) -> NotifyReport:
    """Post what is new since the baseline and the delivery record to every webhook of the site."""
    import httpx

    root = Path(site_root)
    site = load_site(root)
    record_file = record_file or root / RECORD_FILE
    urls = {hook.name: resolve_env(hook.url, env, f"webhook '{hook.name}' url") for hook in site.webhooks}
    secrets = list(urls.values())
    baseline: set[str] | None = None
    if since:
        baseline = baseline_from_git(root, since)
    if previous is not None:
        baseline = (baseline or set()) | baseline_from_summary(previous)
    current = all_keys(site.records)
    existed = record_file.exists()
    delivered = {k: set(v) & current for k, v in load_record_file(record_file).items()}
    report = NotifyReport()
    for hook in site.webhooks:
        if hook.name not in delivered:
            # A webhook seen for the first time, without a baseline, starts from now:
            # it must not receive the whole history.
            delivered[hook.name] = set(current) if baseline is None else set()
            report.initialised = report.initialised or baseline is None
    if not existed and baseline is None:
        if not dry_run:
            save_record_file(record_file, delivered)
        log(f"First run: {len(current)} existing updates recorded as known in {display_path(record_file)}")
        return report
    known = baseline or set()
    todo = [e for e in events(site) if e.key not in known]
    with httpx.Client(timeout=timeout, trust_env=False, headers={"User-Agent": "statuspage-notify"}) as client:
        for hook in site.webhooks:
            for event in todo:
                if event.key in delivered[hook.name]:
                    report.skipped += 1
                    continue
                line = f"{hook.name}: {event.name} {event.record.id} ({event.record.updates[event.index].status})"
                if dry_run:
                    report.posted.append(line)
                    continue
                failure = post(client, urls[hook.name], payload(hook.kind, site, event), retries, backoff, sleep)
                if failure is None:
                    delivered[hook.name].add(event.key)
                    save_record_file(record_file, delivered)  # at once: a crash later must not post it again
                    report.posted.append(line)
                else:
                    report.failed.append(scrub(f"{line}: {failure}", secrets))
    if not dry_run:
        save_record_file(record_file, {k: v for k, v in delivered.items() if k in urls})
    return report
