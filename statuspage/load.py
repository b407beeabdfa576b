"""Read `statuspage.yaml` and `incidents/*.yaml` into a `Site`, or report every problem.

We validate the composed YAML node tree, not the constructed Python values, because
only nodes carry the line and column an editor needs. Nothing stops at the first
problem: each is recorded and the walk goes on, then one `SiteError` carries them all.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from .cache import Cache, digest
from .model import (
    ID_PATTERN,
    INCIDENT_COMPONENT_STATUSES,
    LANGUAGES,
    Check,
    Component,
    ComponentStatus,
    Impact,
    IncidentStatus,
    Kind,
    MaintenanceStatus,
    Problem,
    Record,
    Site,
    SiteError,
    Update,
    Webhook,
    WebhookKind,
)

CONFIG_NAME = "statuspage.yaml"
INCIDENTS_DIR = "incidents"
OUTSIDE = "links to a file outside the site folder (expected a file in the site)"
STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
MAX_FILE_BYTES = 1_000_000  # far above any real record; bounds time and memory on hostile input
MAX_DEPTH = 20  # our deepest legal nesting is 4; PyYAML recurses per level
MAX_NODES = 20_000  # values per file; a record with 1000 updates has ~4000. Bounds pure-Python compose time.
MAX_MESSAGE = 300  # characters of one problem line's message; a quoted megabyte value would bury the rest
# Characters XML 1.0 (feeds, SVG) cannot carry and no editor means to type: C0/C1 controls except tab and
# newline, DEL, lone surrogates (from "\ud800" escapes) and the non-characters U+FFFE/U+FFFF.
FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
ALLOWED_TAGS = ("!", STR)  # explicit tags an editor may write: `!` and `!!str`

TAG_NAMES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "empty",
    "tag:yaml.org,2002:timestamp": "a date",
}
DURATION = re.compile(r"(\d+)\s*([smhd])")
DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

E = TypeVar("E", bound=str)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, tags, deep nesting and huge node counts while composing.

    Refusing aliases defeats "billion laughs" expansion before it starts; no
    field of ours needs them. Refusing tags such as `!!python/object` says so at
    the tag instead of later as a confusing type. The depth cap turns a
    RecursionError into a message; the node cap bounds time and memory on a
    file that is under the size cap but dense (docs/security.md).
    """

    depth = 0
    nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases are not supported (expected plain values; repeat the text instead)",
                problem_mark=mark,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in ALLOWED_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise yaml.MarkedYAMLError(
                problem=f"tag '{shown}' is not supported (expected plain values without tags; quote text instead)",
                problem_mark=mark,
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise yaml.MarkedYAMLError(
                problem=f"more than {MAX_NODES} values in one file (expected a small record; split it into files)",
                problem_mark=mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nesting deeper than {MAX_DEPTH} levels (expected at most 4)",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


@dataclass(slots=True)
class _Ref:
    """A component id used by a record, kept with its place for the cross-file check."""

    component_id: str
    path: str
    line: int
    col: int


class _File:
    """Problems of one file, and typed readers over its nodes that record them."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        self.count = 0

    def fail(self, node: Node | None, message: str) -> None:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.path, line, col, one_line(message)))
        self.count += 1

    def mapping(
        self,
        node: Node,
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} is {describe(node)} (expected a mapping of {', '.join(required + optional)})")
            return None
        allowed = required + optional
        values: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                self.fail(key_node, f"merge key '<<' in {what} (expected the keys written out: {', '.join(allowed)})")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                self.fail(key_node, f"key {describe(key_node)} in {what} (expected one of: {', '.join(allowed)})")
                continue
            key = key_node.value
            if key in values:
                self.fail(
                    key_node,
                    f"duplicate key '{key}' in {what}, first at line {first_line[key]} "
                    "(expected each key once; YAML would silently keep the last)",
                )
                continue
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.fail(key_node, f"unknown key '{key}' in {what}{hint} (expected one of: {', '.join(allowed)})")
                continue
            values[key] = value_node
            first_line[key] = key_node.start_mark.line + 1
        for key in required:
            if key not in values:
                self.fail(node, f"missing key '{key}' in {what} (expected keys: {', '.join(required)})")
        return values

    def text(self, node: Node, what: str, *, allow_empty: bool = False) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == STR:
            if not node.value.strip() and not allow_empty:
                self.fail(node, f"{what} is empty (expected text)")
                return None
            bad = FORBIDDEN_CHAR.search(node.value)
            if bad:
                self.fail(
                    node,
                    f"{what} contains the unprintable character U+{ord(bad.group()):04X} "
                    "(expected printable text; feeds and pages cannot carry it)",
                )
                return None
            return str(node.value)
        if isinstance(node, ScalarNode) and node.tag in TAG_NAMES and node.value:
            self.fail(
                node,
                f"{what} is {TAG_NAMES[node.tag]}, YAML reads {node.value} that way "
                f'(expected text; put it in quotes: "{node.value}")',
            )
            return None
        self.fail(node, f"{what} is {describe(node)} (expected text)")
        return None

    def choice(self, node: Node, what: str, enum: Callable[[str], E], choices: tuple[str, ...]) -> E | None:
        listed = ", ".join(choices)
        if not isinstance(node, ScalarNode) or not node.value:
            self.fail(node, f"{what} is {describe(node)} (expected one of: {listed})")
            return None
        if node.value not in choices:
            shown = node.value if node.tag == STR else f"{node.value}, which YAML reads as {TAG_NAMES[node.tag]}"
            self.fail(node, f"unknown {what} '{shown}'{did_you_mean(node.value, choices)} (expected one of: {listed})")
            return None
        return enum(node.value)

    def moment(self, node: Node, what: str) -> datetime | None:
        example = "(expected a time with an offset, like 2023-01-10T03:00:00Z or 2023-01-10T04:00:00+01:00)"
        if not isinstance(node, ScalarNode) or not node.value:
            self.fail(node, f"{what} is {describe(node)} {example}")
            return None
        try:
            value = parse_time(node.value)
        except ValueError:
            self.fail(node, f"{what} '{node.value}' is not a valid time {example}")
            return None
        if value.tzinfo is None:
            self.fail(node, f"{what} '{node.value}' has no UTC offset, so its moment is ambiguous {example}")
            return None
        return value

    def sequence(self, node: Node, what: str, item: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} is {describe(node)} (expected a list of {item})")
            return None
        return list(node.value)


def describe(node: Node | None) -> str:
    """Name a node's type in an editor's words, for messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" or not node.value:
            return "empty"
        if node.tag == STR:
            return f"the text '{node.value}'"
        return f"{TAG_NAMES.get(node.tag, 'a value')} ({node.value})"
    return "missing"


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 / YAML timestamp; 'Z' and a space separator are accepted."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("a date without a time")
    return datetime.fromisoformat(text)


def parse_duration(text: str) -> int | None:
    """Seconds in '15m', '1h30m', '90s', '2d'; None when the text is not such a duration."""
    text = text.strip().lower()
    parts = DURATION.findall(text)
    if not parts or DURATION.sub("", text).strip():
        return None
    return sum(int(n) * DURATION_SECONDS[unit] for n, unit in parts)


def one_line(message: str) -> str:
    """A message fit for one `path:line:col:` line: control characters escaped, long values cut in the middle."""
    message = "".join(f"\\x{ord(c):02x}" if c < " " or c == "\x7f" else c for c in message)
    if len(message) > MAX_MESSAGE:
        half = MAX_MESSAGE // 2
        message = f"{message[:half]}…{message[-half:]}"
    return message


def display_path(path: Path) -> str:
    """Path as the editor typed it: relative to the current directory when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if len(rel) <= len(str(path)) else str(path)


_SLOW = Node("", "", None, None)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _compose_fast(text: str) -> Node | None:
    """Compose with libyaml when the file is plainly fine; `_SLOW` sends it to `_Loader`.

    libyaml composes about ten times faster than PyYAML's Python code (issue 7), but
    its composer recurses in C and knows none of our limits. So a first pass over its
    events, which does not recurse, checks depth, node count, tags and aliases; any
    doubt or error goes to `_Loader`, which alone words the problems an editor reads.
    """
    if not yaml.__with_libyaml__:
        return _SLOW
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                return _SLOW
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                tag = getattr(event, "tag", None)
                if nodes > MAX_NODES or (tag is not None and tag not in ALLOWED_TAGS):
                    return _SLOW
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    return _SLOW
            elif isinstance(event, _CLOSE):
                depth -= 1
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return _SLOW


def read_yaml(path: Path, shown: str, problems: list[Problem], data: bytes | None = None) -> Node | None:
    """Compose one file (or its `data`, already read) into nodes, turning every way it can fail into a Problem."""
    if data is not None:
        return _compose_bytes(data, shown, problems)
    try:
        if path.is_dir():
            problems.append(Problem(shown, 1, 1, "is a folder (expected a YAML file)"))
            return None
        if not path.is_file():  # a FIFO or device would block or never end
            problems.append(Problem(shown, 1, 1, "is not a regular file (expected a YAML file)"))
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                Problem(shown, 1, 1, f"file is larger than {MAX_FILE_BYTES} bytes (expected a small record)")
            )
            return None
        data = path.read_bytes()
    except OSError as error:
        problems.append(Problem(shown, 1, 1, f"cannot read file: {error.strerror} (expected a readable file)"))
        return None
    return _compose_bytes(data, shown, problems)


def _compose_bytes(data: bytes, shown: str, problems: list[Problem]) -> Node | None:
    try:
        text = data.decode("utf-8-sig")  # a UTF-8 byte order mark is legal YAML; accept it
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        problems.append(
            Problem(shown, line, col, f"byte 0x{data[error.start]:02x} is not UTF-8 (expected a UTF-8 text file)")
        )
        return None
    try:
        node = _compose_fast(text)
        if node is _SLOW:
            node = yaml.compose(text, Loader=_Loader)
    except ReaderError as error:  # a control character; its mark is a position, not a line
        line = text.count("\n", 0, error.position) + 1
        col = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        problems.append(
            Problem(
                shown,
                line,
                col,
                f"control character U+{error.character:04X} is not allowed in YAML (expected printable text)",
            )
        )
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (error.problem or "").strip()
        if "\\t" in problem:
            message = "tab character, which YAML does not allow in indentation (expected spaces)"
        elif "another document" in problem:
            message = "a second YAML document starts here (expected one document per file; remove the '---')"
        elif problem.endswith(")"):  # our own composer messages already say what is expected
            message = problem
        else:
            context = f" {error.context}" if error.context else ""
            message = f"invalid YAML: {problem or 'syntax error'}{context} (expected valid YAML)"
        problems.append(Problem(shown, line, col, one_line(message)))
        return None
    except yaml.YAMLError as error:
        problems.append(Problem(shown, 1, 1, one_line(f"invalid YAML: {error} (expected valid YAML)")))
        return None
    if node is None:
        problems.append(Problem(shown, 1, 1, "file is empty (expected a YAML mapping of keys and values)"))
    return node


def load_site(root: Path, cache: Cache | None = None) -> Site:
    """Load and validate a whole site, raising SiteError with every problem at once.

    With a cache, a record file whose bytes were validated before is read back from
    there instead of parsed again: that is most of a rebuild's loading time (issue 7).
    """
    root = Path(root)
    problems: list[Problem] = []
    config_path = root / CONFIG_NAME
    shown = display_path(config_path)
    if not config_path.exists():
        raise SiteError([Problem(shown, 1, 1, "file not found (expected the site's statuspage.yaml)")])
    if not inside(config_path, root):
        raise SiteError([Problem(shown, 1, 1, OUTSIDE)])
    config = _read_config(config_path, shown, problems)
    known = {c.id for c in config.components} if config else set()
    refs: list[_Ref] = []
    records: list[Record] = []
    paths = list(_record_files(root, problems))
    contents = _read_small_files(paths) if cache is not None else {}
    keys = {path: digest("record", display_path(path), data) for path, data in contents.items()}
    found = cache.get_many(keys.values()) if cache is not None else {}
    fresh: dict[bytes, bytes] = {}
    for path in paths:
        shown = display_path(path)
        key = keys.get(path)
        record = record_from_json(found[key]) if key in found else None
        if record is not None and all(cid in known for cid, _ in record.components):
            records.append(record)
            continue
        # Parsed afresh: new or changed, or naming a component the config no longer has,
        # whose error needs the line and column only parsing knows.
        record = _read_record(path, shown, problems, refs, contents.get(path))
        if record is not None:
            records.append(record)
            if key is not None:
                fresh[key] = record_to_json(record)
    if cache is not None:
        cache.put_many(fresh)
    _check_ids_unique(records, problems)
    if config is not None:
        for ref in refs:
            if ref.component_id not in known:
                problems.append(
                    Problem(
                        ref.path,
                        ref.line,
                        ref.col,
                        f"unknown component '{ref.component_id}'{did_you_mean(ref.component_id, sorted(known))} "
                        f"(expected a component id from {CONFIG_NAME}: {', '.join(sorted(known)) or 'none defined'})",
                    )
                )
    if problems or config is None:
        raise SiteError(problems)
    records.sort(key=lambda r: (r.started_at, r.id), reverse=True)
    return config.site(root, tuple(records))


def _read_small_files(paths: list[Path]) -> dict[Path, bytes]:
    """The bytes of every regular file within the size cap; the rest go the checked way in read_yaml."""
    contents: dict[Path, bytes] = {}
    for path in paths:
        try:
            if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
                contents[path] = path.read_bytes()
        except OSError:
            continue  # read_yaml reports it
    return contents


def record_to_json(record: Record) -> bytes:
    """A validated record as JSON, for the cache: data only, never code (unlike pickle)."""
    return json.dumps(
        {
            "id": record.id,
            "kind": record.kind,
            "title": record.title,
            "components": record.components,
            "updates": [(u.at.isoformat(), u.status, u.message) for u in record.updates],
            "impact": record.impact,
            "window": [t.isoformat() for t in record.window] if record.window else None,
            "postmortem": record.postmortem,
            "source": record.source,
        }
    ).encode()


def record_from_json(data: bytes) -> Record | None:
    """The record `record_to_json` wrote, or None for anything else (a parse afresh then follows)."""
    try:
        raw = json.loads(data)
        window = raw["window"]
        return Record(
            id=raw["id"],
            kind=Kind(raw["kind"]),
            title=raw["title"],
            components=tuple((cid, ComponentStatus(status)) for cid, status in raw["components"]),
            updates=tuple(Update(at=datetime.fromisoformat(at), status=st, message=m) for at, st, m in raw["updates"]),
            impact=Impact(raw["impact"]),
            window=(datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1])) if window else None,
            postmortem=raw["postmortem"],
            source=raw["source"],
        )
    except (ValueError, KeyError, TypeError):
        return None


def _record_files(root: Path, problems: list[Problem]) -> Iterator[Path]:
    """Every incidents/*.yaml (and *.yml) file, refusing links that leave the site."""
    folder = root / INCIDENTS_DIR
    if not folder.is_dir():
        return
    if not inside(folder, root):
        problems.append(Problem(display_path(folder), 1, 1, OUTSIDE))
        return
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        # Only a link can lead elsewhere: anything else in a folder inside the site is inside it,
        # which spares resolving ten thousand paths on a large site (issue 7).
        if path.is_symlink():
            if not path.exists():  # a dangling link, or a link loop
                problems.append(Problem(display_path(path), 1, 1, "is a broken link (expected a file in the site)"))
                continue
            if not inside(path, root):
                problems.append(Problem(display_path(path), 1, 1, OUTSIDE))
                continue
        yield path  # read_yaml reports folders and special files named *.yaml


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, with every link followed, stays within `folder`; a link loop does not."""
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # missing target, or a loop (RuntimeError before Python 3.13)
        return False


def _check_ids_unique(records: list[Record], problems: list[Problem]) -> None:
    """Two files may not claim one page: same stem, or stems equal ignoring case."""
    seen: dict[str, Record] = {}
    for record in sorted(records, key=lambda r: r.source):
        key = record.id.casefold()
        if key in seen:
            problems.append(
                Problem(
                    record.source,
                    1,
                    1,
                    f"id '{record.id}' is already used by {seen[key].source} (expected one file per id)",
                )
            )
        else:
            seen[key] = record


@dataclass(slots=True)
class _Config:
    title: str
    base_url: str
    language: str
    timezone: str
    description: str | None
    max_age: int | None
    components: tuple[Component, ...]
    checks: tuple[Check, ...] = ()
    webhooks: tuple[Webhook, ...] = ()

    def site(self, root: Path, records: tuple[Record, ...]) -> Site:
        return Site(
            title=self.title,
            base_url=self.base_url,
            language=self.language,
            timezone=self.timezone,
            description=self.description,
            max_age=self.max_age,
            components=self.components,
            records=records,
            root=root,
            checks=self.checks,
            webhooks=self.webhooks,
        )


def _read_config(path: Path, shown: str, problems: list[Problem]) -> _Config | None:
    root = read_yaml(path, shown, problems)
    if root is None:
        return None
    f = _File(shown, problems)
    keys = f.mapping(
        root,
        "statuspage.yaml",
        ("title", "base_url", "components"),
        ("language", "timezone", "description", "max_age", "webhooks"),
    )
    if keys is None:
        return None
    title = f.text(keys["title"], "title") if "title" in keys else None
    base_url = _base_url(f, keys["base_url"]) if "base_url" in keys else None
    language = "en"
    if "language" in keys:
        language = f.choice(keys["language"], "language", str, LANGUAGES) or "en"
    timezone = "UTC"
    if "timezone" in keys:
        timezone = _timezone(f, keys["timezone"]) or "UTC"
    description = f.text(keys["description"], "description") if "description" in keys else None
    max_age = None
    if "max_age" in keys:
        raw = f.text(keys["max_age"], "max_age")
        if raw is not None:
            max_age = parse_duration(raw)
            if not max_age:
                f.fail(keys["max_age"], f"max_age '{raw}' is not a duration (expected e.g. 15m, 1h, 90s)")
    checks: list[Check] = []
    components = _components(f, keys["components"], checks) if "components" in keys else ()
    webhooks = _webhooks(f, keys["webhooks"]) if "webhooks" in keys else ()
    if f.count or title is None or base_url is None:
        return None
    return _Config(title, base_url, language, timezone, description, max_age, components, tuple(checks), webhooks)


def _base_url(f: _File, node: Node) -> str | None:
    url = f.text(node, "base_url")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        f.fail(node, f"base_url '{url}' is not an absolute web address (expected e.g. https://status.example.com/)")
        return None
    return url if url.endswith("/") else url + "/"


def _timezone(f: _File, node: Node) -> str | None:
    name = f.text(node, "timezone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        f.fail(node, f"unknown timezone '{name}' (expected an IANA name like UTC or Europe/Paris)")
        return None
    return name


def _components(f: _File, node: Node, checks: list[Check]) -> tuple[Component, ...]:
    items = f.sequence(node, "components", "components with id and name")
    if items is None:
        return ()
    components: list[Component] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(items, start=1):
        keys = f.mapping(item, "a component", ("id", "name"), ("group", "description", "checks"))
        if keys is None:
            continue
        cid = f.text(keys["id"], "component id") if "id" in keys else None
        if cid is not None and not ID_PATTERN.fullmatch(cid):
            f.fail(keys["id"], f"invalid component id '{cid}' (expected lowercase letters, digits and '-')")
            cid = None
        if cid is not None and cid in seen:
            f.fail(keys["id"], f"duplicate component id '{cid}', first at line {seen[cid]} (expected unique ids)")
            cid = None
        name = f.text(keys["name"], "component name") if "name" in keys else None
        group = f.text(keys["group"], "group") if "group" in keys else None
        description = f.text(keys["description"], "description") if "description" in keys else None
        if cid is not None and name is not None:
            seen[cid] = keys["id"].start_mark.line + 1
            components.append(Component(id=cid, name=name, group=group, description=description, position=position))
        if "checks" in keys and cid is not None:
            checks.extend(_checks(f, keys["checks"], cid, {c.id for c in checks}))
    return tuple(components)


INCIDENT_KEYS = (("title", "impact", "updates"), ("kind", "components", "postmortem"))
MAINTENANCE_KEYS = (("kind", "title", "window", "updates"), ("components",))


def _read_record(
    path: Path, shown: str, problems: list[Problem], refs: list[_Ref], data: bytes | None = None
) -> Record | None:
    f = _File(shown, problems)
    record_id = path.stem
    if not ID_PATTERN.fullmatch(record_id):
        f.fail(
            None,
            f"file name '{path.name}' is not a valid id "
            "(expected lowercase letters, digits and '-', starting with a letter or digit, "
            "like 2023-01-10-login-errors.yaml)",
        )
    root = read_yaml(path, shown, problems, data)
    if root is None:
        return None
    kind = Kind.INCIDENT
    if isinstance(root, MappingNode):
        for key_node, value_node in root.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "kind":
                kind = f.choice(value_node, "kind", Kind, tuple(Kind)) or Kind.INCIDENT
                break
    maintenance = kind is Kind.MAINTENANCE
    required, optional = MAINTENANCE_KEYS if maintenance else INCIDENT_KEYS
    keys = f.mapping(root, f"a{' maintenance' if maintenance else 'n incident'}", required, optional)
    if keys is None:
        return None
    title = f.text(keys["title"], "title") if "title" in keys else None
    impact = Impact.NONE
    if "impact" in keys:
        impact = f.choice(keys["impact"], "impact", Impact, tuple(Impact)) or Impact.NONE
    allowed = (ComponentStatus.UNDER_MAINTENANCE,) if maintenance else INCIDENT_COMPONENT_STATUSES
    components = _record_components(f, keys.get("components"), allowed, refs)
    window = _window(f, keys["window"]) if "window" in keys else None
    statuses: tuple[str, ...] = tuple(MaintenanceStatus) if maintenance else tuple(IncidentStatus)
    updates = _updates(f, keys["updates"], statuses) if "updates" in keys else ()
    postmortem = f.text(keys["postmortem"], "postmortem") if "postmortem" in keys else None
    if f.count or title is None:
        return None
    return Record(
        id=record_id,
        kind=kind,
        title=title,
        impact=impact,
        components=components,
        updates=updates,
        window=window,
        postmortem=postmortem,
        source=shown,
    )


def _record_components(
    f: _File, node: Node | None, allowed: tuple[ComponentStatus, ...], refs: list[_Ref]
) -> tuple[tuple[str, ComponentStatus], ...]:
    if node is None:
        return ()
    listed = ", ".join(allowed)
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return ()
    if not isinstance(node, MappingNode):
        f.fail(node, f"components is {describe(node)} (expected a mapping of component id to one of: {listed})")
        return ()
    result: dict[str, ComponentStatus] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
            f.fail(key_node, f"component {describe(key_node)} (expected a component id)")
            continue
        cid = key_node.value
        if cid in result:
            f.fail(key_node, f"duplicate component '{cid}' (expected each component once)")
            continue
        refs.append(_Ref(cid, f.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        status = f.choice(value_node, f"status for component '{cid}'", ComponentStatus, allowed)
        if status is not None:
            result[cid] = status
    return tuple(sorted(result.items()))


def _window(f: _File, node: Node) -> tuple[datetime, datetime] | None:
    keys = f.mapping(node, "window", ("start", "end"))
    if keys is None or "start" not in keys or "end" not in keys:
        return None
    start = f.moment(keys["start"], "window start")
    end = f.moment(keys["end"], "window end")
    if start is None or end is None:
        return None
    if end <= start:
        f.fail(
            keys["end"],
            f"window end {keys['end'].value} is not after its start {keys['start'].value} (expected end > start)",
        )
        return None
    return start, end


def _updates(f: _File, node: Node, statuses: tuple[str, ...]) -> tuple[Update, ...]:
    items = f.sequence(node, "updates", "updates with at, status and message")
    if items is None:
        return ()
    if not items:
        f.fail(node, "updates is an empty list (expected at least one update)")
        return ()
    final = statuses[-1]
    updates: list[Update] = []
    previous: datetime | None = None
    closed_at: int | None = None
    for item in items:
        keys = f.mapping(item, "an update", ("at", "status", "message"))
        if keys is None:
            continue
        at = f.moment(keys["at"], "at") if "at" in keys else None
        status = f.choice(keys["status"], "status", str, statuses) if "status" in keys else None
        message = f.text(keys["message"], "message") if "message" in keys else None
        if closed_at is not None:
            f.fail(item, f"update after '{final}' at line {closed_at} (expected '{final}' to be the last update)")
        if at is not None and previous is not None and at < previous:
            f.fail(
                keys["at"],
                f"update at {keys['at'].value} is earlier than the update before it (expected updates oldest first)",
            )
        if at is not None:
            previous = at
        if status == final and closed_at is None:
            closed_at = item.start_mark.line + 1
        if at is not None and status is not None and message is not None:
            updates.append(Update(at=at, status=status, message=message))
    return tuple(updates)


def read_config(root: Path) -> Site:
    """Only `statuspage.yaml`, as a Site without records: what editing a record needs to know.

    Editing must work even when some other record file is broken, so it cannot go through load_site.
    """
    problems: list[Problem] = []
    config_path = Path(root) / CONFIG_NAME
    shown = display_path(config_path)
    if not config_path.is_file():
        raise SiteError([Problem(shown, 1, 1, "file not found (expected the site's statuspage.yaml)")])
    config = _read_config(config_path, shown, problems)
    if problems or config is None:
        raise SiteError(problems)
    return config.site(Path(root), ())


def read_record(path: Path) -> Record:
    """One record file on its own, validated except for the cross-file checks."""
    problems: list[Problem] = []
    record = _read_record(path, display_path(path), problems, [])
    if problems or record is None:
        raise SiteError(problems)
    return record


# --- Probe checks and webhooks (issue 9, docs/probes.md) -------------------------------------------

CHECK_KEYS = (
    "name", "method", "expect_status", "expect_body", "expect_json", "timeout", "degraded_after",
    "headers", "fail_after", "recover_after", "impact", "on_recovery",
)  # fmt: skip
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ENV_REF = re.compile(r"\$\{([^}]*)\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*ms")


def _checks(f: _File, node: Node, component_id: str, taken: set[str]) -> list[Check]:
    """`checks:` of one component: a list of HTTP(S) checks, each with a unique id across the site."""
    items = f.sequence(node, "checks", "checks with url and optional method, expect_status, timeout, ...")
    found: list[Check] = []
    for n, item in enumerate(items or (), start=1):
        keys = f.mapping(item, "a check", ("url",), CHECK_KEYS)
        if keys is None:
            continue
        check_id = component_id if n == 1 else f"{component_id}-{n}"
        if "name" in keys:
            name = f.text(keys["name"], "check name")
            if name is not None and not ID_PATTERN.fullmatch(name):
                f.fail(keys["name"], f"invalid check name '{name}' (expected lowercase letters, digits and '-')")
            check_id = name or check_id
        if check_id in taken:
            f.fail(item, f"duplicate check name '{check_id}' (expected a unique name: add name: to this check)")
        taken.add(check_id)
        url = f.text(keys["url"], "check url") if "url" in keys else None
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or "${" in url:
                f.fail(
                    keys["url"],
                    f"check url '{url}' is not an http(s) address "
                    "(expected e.g. https://api.example/health; secrets go in headers)",
                )
                url = None
        method = "GET"
        if "method" in keys:
            method = f.choice(keys["method"], "method", str, METHODS) or "GET"
        statuses = _status_codes(f, keys["expect_status"]) if "expect_status" in keys else ()
        body = f.text(keys["expect_body"], "expect_body") if "expect_body" in keys else None
        json_values = _expect_json(f, keys["expect_json"]) if "expect_json" in keys else ()
        timeout = _seconds(f, keys["timeout"], "timeout") if "timeout" in keys else 10.0
        degraded = _seconds(f, keys["degraded_after"], "degraded_after") if "degraded_after" in keys else None
        headers = _headers(f, keys["headers"]) if "headers" in keys else ()
        fail_after = _count(f, keys["fail_after"], "fail_after") if "fail_after" in keys else 2
        recover_after = _count(f, keys["recover_after"], "recover_after") if "recover_after" in keys else 2
        impact = Impact.MAJOR
        if "impact" in keys:
            impact = f.choice(keys["impact"], "impact", Impact, tuple(Impact)) or Impact.MAJOR
        on_recovery = IncidentStatus.RESOLVED
        if "on_recovery" in keys:
            choices = (IncidentStatus.RESOLVED.value, IncidentStatus.MONITORING.value)
            on_recovery = f.choice(keys["on_recovery"], "on_recovery", IncidentStatus, choices) or on_recovery
        if url is None or timeout is None or fail_after is None or recover_after is None:
            continue
        found.append(
            Check(
                id=check_id,
                component=component_id,
                url=url,
                method=method,
                expect_status=statuses,
                expect_body=body,
                expect_json=json_values,
                timeout=timeout,
                degraded_after=degraded,
                headers=headers,
                fail_after=fail_after,
                recover_after=recover_after,
                impact=impact,
                on_recovery=on_recovery,
            )
        )
    return found


def _status_codes(f: _File, node: Node) -> tuple[int, ...]:
    nodes = node.value if isinstance(node, SequenceNode) else [node]
    codes: list[int] = []
    for item in nodes:
        if isinstance(item, ScalarNode) and item.value.isdigit() and 100 <= int(item.value) <= 599:
            codes.append(int(item.value))
        else:
            f.fail(item, f"expect_status is {describe(item)} (expected an HTTP status like 200, or a list of them)")
    return tuple(codes)


def _expect_json(f: _File, node: Node) -> tuple[tuple[str, str], ...]:
    if not isinstance(node, MappingNode) or not node.value:
        f.fail(node, f"expect_json is {describe(node)} (expected a mapping of dotted path to value, like status: ok)")
        return ()
    pairs: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or not key_node.value:
            f.fail(key_node, f"expect_json key is {describe(key_node)} (expected a dotted path like data.status)")
        elif not isinstance(value_node, ScalarNode):
            f.fail(value_node, f"expect_json value is {describe(value_node)} (expected a text, number or boolean)")
        else:
            pairs.append((key_node.value, value_node.value))
    return tuple(pairs)


def _seconds(f: _File, node: Node, what: str) -> float | None:
    """A duration: a number of seconds (0.5), '500ms', or '10s' / '1m'."""
    value = node.value.strip() if isinstance(node, ScalarNode) else ""
    seconds: float | None = None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
    elif SECONDS.fullmatch(value):
        seconds = float(SECONDS.fullmatch(value).group(1)) / 1000  # type: ignore[union-attr]
    elif value:
        seconds = parse_duration(value)
    if not seconds or seconds <= 0 or seconds > 300:
        f.fail(node, f"{what} is {describe(node)} (expected a duration from 1ms to 5m, like 10s, 500ms or 0.5)")
        return None
    return float(seconds)


def _count(f: _File, node: Node, what: str) -> int | None:
    if isinstance(node, ScalarNode) and node.value.isdigit() and 1 <= int(node.value) <= 100:
        return int(node.value)
    f.fail(node, f"{what} is {describe(node)} (expected a number of consecutive runs from 1 to 100)")
    return None


def _env_refs(f: _File, node: Node, text: str) -> bool:
    """True when every `${NAME}` in text names a possible environment variable."""
    for match in ENV_REF.finditer(text):
        if not ENV_NAME.fullmatch(match.group(1)):
            f.fail(node, f"'${{{match.group(1)}}}' is not an environment variable name (expected e.g. ${{API_TOKEN}})")
            return False
    return True


def _headers(f: _File, node: Node) -> tuple[tuple[str, str], ...]:
    if not isinstance(node, MappingNode):
        f.fail(node, f"headers is {describe(node)} (expected a mapping of header name to text)")
        return ()
    pairs: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        name = f.text(key_node, "header name")
        value = f.text(value_node, f"header '{name}'", allow_empty=True) if name else None
        if name is not None and not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
            f.fail(key_node, f"header name '{name}' has characters HTTP does not allow (expected e.g. Authorization)")
        elif name is not None and value is not None and _env_refs(f, value_node, value):
            pairs.append((name, value))
    return tuple(pairs)


def _webhooks(f: _File, node: Node) -> tuple[Webhook, ...]:
    items = f.sequence(node, "webhooks", "webhooks with type and url")
    found: list[Webhook] = []
    seen: set[str] = set()
    for n, item in enumerate(items or (), start=1):
        keys = f.mapping(item, "a webhook", ("type", "url"), ("name",))
        if keys is None or "type" not in keys or "url" not in keys:
            continue
        kind = f.choice(keys["type"], "webhook type", WebhookKind, tuple(WebhookKind))
        url = f.text(keys["url"], "webhook url")
        if url is not None and ENV_REF.fullmatch(url) is None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                f.fail(
                    keys["url"],
                    "webhook url is not an http(s) address (expected ${NAME} of an environment variable holding it)",
                )
                url = None
        elif url is not None and not _env_refs(f, keys["url"], url):
            url = None
        name = f.text(keys["name"], "webhook name") if "name" in keys else f"{kind or 'webhook'}-{n}"
        if name is not None and name in seen:
            f.fail(item, f"duplicate webhook name '{name}' (expected each name once)")
        if kind is not None and url is not None and name is not None and name not in seen:
            seen.add(name)
            found.append(Webhook(name=name, kind=kind, url=url))
    return tuple(found)
