"""Create record files and append updates to them, for editors at 3 a.m. and for probes.

Appending is done on the text, not by re-dumping YAML: the editor's comments, key
order, quoting and blank lines are theirs, so every byte above the new update is
kept as it was (issue 6). We parse only to find where the update list ends, then
splice in a block-style item and check the result. A round-trip library
(ruamel.yaml) would also keep comments, but it re-indents and re-quotes what it
considers equivalent and adds a dependency; a splice keeps the bytes, by construction.

Every write is checked: the whole site is loaded afterwards, and if the written file
has a problem, the previous bytes are put back (or the new file removed) and the
problems are raised. Problems in *other* files do not block an edit: an on-call
engineer must be able to open an incident while someone else's file is broken.

The clock is never read here: callers pass `at`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .load import INCIDENTS_DIR, did_you_mean, display_path, load_site, read_config, read_record
from .model import (
    INCIDENT_COMPONENT_STATUSES,
    ComponentStatus,
    EditError,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Problem,
    Record,
    Site,
    SiteError,
)

SLUG_MAX = 48
STR = "tag:yaml.org,2002:str"
# PyYAML counts these as line breaks but Python's bytes.splitlines does not; a splice
# by line number would be off by one, so such files are refused rather than damaged.
ODD_BREAKS = ("\x85", "\u2028", "\u2029")


def slugify(title: str) -> str:
    """ASCII lowercase words joined by '-', cut at a word boundary: a readable, valid file id."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            break
        slug = candidate
    return slug or (words[0][:SLUG_MAX] if words else "incident")


def format_time(moment: datetime) -> str:
    """An update time as written in files: UTC, seconds, with a Z, so it is never ambiguous."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def yaml_scalar(text: str, indent: int) -> str:
    """`text` as a YAML value after 'key: ': plain when that reads back the same, else a
    literal block for multi-line text, else double-quoted (a JSON string is valid YAML)."""
    if "\n" not in text and text == text.strip() and _reads_back(text, text):
        return text
    odd = any(ch in text for ch in (*ODD_BREAKS, "\r", "\t"))
    if "\n" in text and not text[:1].isspace() and not text.endswith("\n\n") and not odd:
        chomp = "" if text.endswith("\n") else "-"
        body = text.removesuffix("\n")
        pad = " " * indent
        block = f"|{chomp}" + "".join(f"\n{pad}{line}" if line else "\n" for line in body.split("\n"))
        if _reads_back(block, text):
            return block
    return json.dumps(text)  # ASCII escapes: no odd break or control character reaches the file


def _reads_back(value: str, expected: str) -> bool:
    try:
        parsed = yaml.safe_load(f"k: {value}\n")
    except yaml.YAMLError:
        return False
    return isinstance(parsed, dict) and parsed.get("k") == expected


def record_path(site_root: Path, record_id: str) -> Path:
    """The file of a record id (or a path to one), or EditError with the closest ids."""
    given = Path(record_id)
    if given.suffix in (".yaml", ".yml") and given.is_file():
        return given
    folder = Path(site_root) / INCIDENTS_DIR
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{record_id}{suffix}"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    hint = did_you_mean(record_id, known)
    if not hint:
        contains = [k for k in known if record_id.lower() in k]
        hint = f"; did you mean '{contains[0]}'?" if len(contains) == 1 else ""
    recent = ", ".join(known[-3:]) or "none yet"
    raise EditError(
        f"no record '{record_id}' in {display_path(folder)}{hint} "
        f"(expected a file name without .yaml; latest: {recent})"
    )


def new_incident(
    site_root: Path,
    title: str,
    components: Sequence[tuple[str, ComponentStatus]],
    impact: Impact,
    message: str,
    at: datetime,
    *,
    origin: str = "`statuspage new incident`",
    comments: Sequence[str] = (),
) -> Path:
    """Write incidents/<date>-<slug>.yaml with a first `investigating` update at `at`; return its path.

    `origin` and `comments` only change the comment header: `statuspage probe` says it opened
    the incident and leaves its marker line there (docs/probes.md).
    """
    site = read_config(site_root)
    _check_components(site, components, INCIDENT_COMPONENT_STATUSES, "an incident")
    _check_text(title, "title")
    _check_text(message, "message")
    lines = [
        f"# Incident opened with {origin} at {format_time(at)}.",
        *(f"# {line}" for line in comments),
        "# Post an update:  statuspage update {id} --status identified --message '...'",
        "# Resolve it:      statuspage resolve {id} --message '...'",
        "# Fields are described in the README under 'Input format'.",
        f"title: {yaml_scalar(title, 2)}",
        f"impact: {impact.value}{' ' * max(1, 20 - len(impact.value))}# none | minor | major | critical",
    ]
    lines += _components_block(components, "degraded_performance | partial_outage | major_outage")
    lines += [
        "updates:                    # oldest first: investigating, identified, monitoring, resolved",
        *_update_lines(IncidentStatus.INVESTIGATING, message, at, 2, 4),
    ]
    return _create(site, title, at, lines)


def new_maintenance(
    site_root: Path,
    title: str,
    components: Sequence[str],
    start: datetime,
    end: datetime,
    message: str,
    at: datetime,
) -> Path:
    """Write incidents/<date>-<slug>.yaml for a maintenance window, first update `scheduled` at `at`."""
    site = read_config(site_root)
    pairs = [(cid, ComponentStatus.UNDER_MAINTENANCE) for cid in components]
    _check_components(site, pairs, (ComponentStatus.UNDER_MAINTENANCE,), "a maintenance")
    _check_text(title, "title")
    _check_text(message, "message")
    if end <= start:
        raise EditError(
            f"the window ends at {format_time(end)}, not after its start {format_time(start)} "
            "(expected --end after --start)"
        )
    lines = [
        f"# Maintenance scheduled with `statuspage new maintenance` at {format_time(at)}.",
        "# The page shows it as upcoming, then active during the window (rebuild on a schedule).",
        "# Post an update:  statuspage update {id} --status in_progress --message '...'",
        "# Close it:        statuspage resolve {id} --message '...'",
        "kind: maintenance",
        f"title: {yaml_scalar(title, 2)}",
    ]
    lines += _components_block(pairs, "under_maintenance")
    lines += [
        "window:",
        f"  start: {format_time(start)}",
        f"  end: {format_time(end)}",
        "updates:                    # oldest first: scheduled, in_progress, verifying, completed",
        *_update_lines(MaintenanceStatus.SCHEDULED, message, at, 2, 4),
    ]
    return _create(site, title, start, lines)


def append_update(path: Path, status: str, message: str, at: datetime) -> Path:
    """Append one update to a record file, keeping every byte above it; return the path.

    Refuses a status the record kind does not have, an update after the final one,
    and a time earlier than the latest update.
    """
    path = Path(path)
    record = read_record(path)
    statuses: tuple[str, ...] = tuple(MaintenanceStatus) if record.is_maintenance else tuple(IncidentStatus)
    kind = "maintenance" if record.is_maintenance else "incident"
    if status not in statuses:
        raise EditError(
            f"'{status}' is not a status of {'a' if record.is_maintenance else 'an'} {kind}"
            f"{did_you_mean(status, statuses)} "
            f"(expected one of: {', '.join(statuses)})"
        )
    _check_text(message, "message")
    if record.resolved_at is not None:
        raise EditError(
            f"{display_path(path)} is already {record.latest.status} since {format_time(record.latest.at)} "
            f"(expected an open {kind}; to reopen, open a new one)"
        )
    if at < record.latest.at:
        raise EditError(
            f"{format_time(at)} is earlier than the latest update of {display_path(path)}, at "
            f"{format_time(record.latest.at)} (expected a later time; updates are oldest first)"
        )
    original = path.read_bytes()
    updated = splice_update(original, status, message, at)
    _write_checked(path, updated, original, record.source or display_path(path))
    return path


def close_status(record: Record) -> str:
    """The final status of a record's kind: resolved, or completed for maintenance."""
    return MaintenanceStatus.COMPLETED.value if record.is_maintenance else IncidentStatus.RESOLVED.value


def splice_update(data: bytes, status: str, message: str, at: datetime) -> bytes:
    """The file's bytes with one update inserted after the last item of `updates`."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    text = data[len(bom) :].decode("utf-8")
    if any(ch in text for ch in ODD_BREAKS):
        raise EditError("the file contains unusual line-break characters (expected \\n or \\r\\n line ends)")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    seq, next_line = _updates_node(root)
    items = seq.value
    dash_col = seq.start_mark.column
    key_col = (
        items[-1].start_mark.column if isinstance(items[-1], MappingNode) and not items[-1].flow_style else dash_col + 2
    )
    if key_col <= dash_col:
        key_col = dash_col + 2
    lines = data[len(bom) :].splitlines(keepends=True)
    end = len(lines) if next_line is None else next_line
    last = seq.start_mark.line
    for index in range(seq.start_mark.line, end):
        stripped = lines[index].decode("utf-8").strip()
        indent = len(lines[index]) - len(lines[index].lstrip(b" "))
        if indent == 0 and stripped.startswith(("...", "---")):  # document end/start marker: the list is over
            break
        if stripped and (not stripped.startswith("#") or indent > key_col):
            last = index
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    head = b"".join(lines[: last + 1])
    if not head.endswith((b"\n", b"\r")):
        head += newline
    block = _update_lines(status, message, at, dash_col, key_col)
    insert = ("\n".join(block) + "\n").encode("utf-8").replace(b"\n", newline)
    tail = b"".join(lines[last + 1 :])
    return bom + head + insert + tail


def _updates_node(root: Node | None) -> tuple[SequenceNode, int | None]:
    """The top-level `updates` block list, and the 0-based line of the key after it (None at the end)."""
    if not isinstance(root, MappingNode):
        raise EditError("the file is not a mapping of keys (expected title, updates, ...)")
    found: SequenceNode | None = None
    next_line: int | None = None
    for key, value in root.value:
        if found is not None:
            next_line = key.start_mark.line
            break
        if isinstance(key, ScalarNode) and key.value == "updates":
            if not isinstance(value, SequenceNode) or not value.value:
                raise EditError("updates is not a list with at least one update (expected a block list)")
            if value.flow_style:
                raise EditError(
                    "updates is written on one line in [...] style, so an update cannot be appended "
                    "without rewriting it (expected a block list of '- at: ...' items)"
                )
            found = value
    if found is None:
        raise EditError("the file has no updates list (expected a key 'updates')")
    return found, next_line


def _update_lines(status: str, message: str, at: datetime, dash_col: int, key_col: int) -> list[str]:
    dash = " " * dash_col + "-" + " " * (key_col - dash_col - 1)
    pad = " " * key_col
    return [
        f"{dash}at: {format_time(at)}",
        f"{pad}status: {status}",
        f"{pad}message: {yaml_scalar(message, key_col + 2)}",
    ]


def _components_block(components: Iterable[tuple[str, ComponentStatus]], statuses: str) -> list[str]:
    pairs = list(components)
    if not pairs:
        return []
    return [f"components:                 # component id -> {statuses}"] + [
        f"  {cid}: {status.value}" for cid, status in pairs
    ]


def _check_text(text: str, what: str) -> None:
    if not text.strip():
        raise EditError(f"the {what} is empty (expected text)")


def _check_components(
    site: Site, components: Sequence[tuple[str, ComponentStatus]], allowed: tuple[ComponentStatus, ...], what: str
) -> None:
    known = [c.id for c in site.components]
    seen: set[str] = set()
    for cid, status in components:
        if cid not in known:
            raise EditError(
                f"unknown component '{cid}'{did_you_mean(cid, known)} (expected one of: {', '.join(known)})"
            )
        if cid in seen:
            raise EditError(f"component '{cid}' is given twice (expected each component once)")
        seen.add(cid)
        if status not in allowed:
            raise EditError(
                f"'{status.value}' is not a component status for {what}{did_you_mean(status.value, list(allowed))} "
                f"(expected one of: {', '.join(allowed)})"
            )


def _create(site: Site, title: str, day_of: datetime, lines: list[str]) -> Path:
    """Create the file under a free id for `title` on the site-local date of `day_of`, then check it."""
    folder = site.root / INCIDENTS_DIR
    folder.mkdir(exist_ok=True)
    date = day_of.astimezone(ZoneInfo(site.timezone)).date().isoformat()
    base = f"{date}-{slugify(title)}"
    taken = {p.stem.casefold() for p in folder.iterdir()}
    for n in range(1, 1000):
        record_id = base if n == 1 else f"{base}-{n}"
        if record_id.casefold() in taken:
            continue
        path = folder / f"{record_id}.yaml"
        text = "\n".join(lines).replace("{id}", record_id) + "\n"
        try:
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:  # created between our listing and now: take the next number
            continue
        _write_checked(path, None, None, display_path(path))
        return path
    raise EditError(f"no free file name for '{base}' (expected fewer than 1000 records a day with one title)")


def _write_checked(path: Path, data: bytes | None, previous: bytes | None, shown: str) -> None:
    """Write `data` (None: already written) atomically, load the site, and undo if the file is invalid."""
    if data is not None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    ours = _problems_of(path)
    if ours:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(previous)
        raise SiteError(ours)


def _problems_of(path: Path) -> list[Problem]:
    """Problems load_site finds in `path` itself; other files' problems are not this edit's."""
    site_root = path.parent.parent
    try:
        load_site(site_root)
    except SiteError as error:
        target = path.resolve()
        return [p for p in error.problems if Path(p.path).resolve() == target]
    return []
