"""YAML attacks (issue 8): each gets one clear `path:line:col:` line, in bounded time and memory, no traceback.

Every attack runs `statuspage check` in a real subprocess under an address-space limit
(RLIMIT_AS) and a timeout, so a blow-up shows as a MemoryError traceback or a timeout,
not as a slow test.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import incident, write_site

MEMORY_LIMIT = 512 << 20  # bytes of address space; the example site checks in well under 200 MB
TIME_LIMIT = 30  # seconds; every attack below finishes in about one
LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

GOOD = incident()
LAUGHS = b'lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + b"".join(
    b"l%d: &l%d [%s]\n" % (i, i, b",".join([b"*l%d" % (i - 1) if i > 1 else b"*a"] * 9)) for i in range(1, 10)
)


@dataclass(frozen=True)
class Attack:
    name: str
    data: bytes | None  # bytes of incidents/x.yaml; None when `setup` makes the file
    where: str  # expected "path:line:col" of the first problem
    says: str  # expected words in its message


def _long_value() -> bytes:
    return GOOD.replace("impact: major", "impact: " + "k" * 500_000).encode()


ATTACKS = [
    Attack("billion laughs", LAUGHS, "site/incidents/x.yaml:2:10", "anchors and aliases are not supported"),
    Attack("alias to a mapping", b"a: &x {b: 1}\nc: *x\n", "site/incidents/x.yaml:2:4", "anchors and aliases"),
    Attack("deep flow nesting", b"title: " + b"[" * 50_000 + b"]" * 50_000, "site/incidents/x.yaml:1:27", "nesting"),
    Attack("deep mapping nesting", b"{a: " * 10_000 + b"1" + b"}" * 10_000, "site/incidents/x.yaml:1:78", "nesting"),
    Attack(
        "deep block nesting",
        b"".join(b" " * i + b"- \n" for i in range(0, 600)),
        "site/incidents/x.yaml:21:21",
        "nesting deeper than 20 levels",
    ),
    Attack("huge file", b"title: " + b"x" * 5_000_000, "site/incidents/x.yaml:1:1", "file is larger than 1000000"),
    Attack(
        "dense values", b"a: [" + b",".join([b"1"] * 400_000) + b"]\n", "site/incidents/x.yaml:1:39999", "20000 values"
    ),
    Attack("non-UTF-8 byte", b"title: caf\xe9\n", "site/incidents/x.yaml:1:11", "byte 0xe9 is not UTF-8"),
    Attack("UTF-16 BOM", "title: T\n".encode("utf-16"), "site/incidents/x.yaml:1:1", "byte 0xff is not UTF-8"),
    Attack("tab indentation", b"title: T\nupdates:\n\t- at: 1\n", "site/incidents/x.yaml:3:1", "tab character"),
    Attack("duplicate keys", (GOOD + "impact: none\n").encode(), "site/incidents/x.yaml:9:1", "duplicate key 'impact'"),
    Attack("very long bad value", _long_value(), "site/incidents/x.yaml:2:9", "unknown impact 'kkkk"),
    Attack(
        "very long line, syntax error at its end",
        b"title: " + b"y" * 900_000 + b": x\n",
        "site/incidents/x.yaml:1:900008",
        "invalid YAML: mapping values are not allowed here",
    ),
    Attack("many documents", b"title: T\n---\n" * 50_000, "site/incidents/x.yaml:2:1", "a second YAML document"),
    Attack("empty file", b"", "site/incidents/x.yaml:1:1", "file is empty"),
    Attack("only comments", b"# nothing here\n", "site/incidents/x.yaml:1:1", "file is empty"),
    Attack(
        "python object tag",
        b"title: !!python/object/apply:os.system ['touch pwned']\n",
        "site/incidents/x.yaml:1:8",
        "tag '!!python/object/apply:os.system' is not supported",
    ),
    Attack("python name tag", b"!!python/name:os.system\n", "site/incidents/x.yaml:1:1", "tag '!!python/name"),
    Attack("custom tag", GOOD.replace("major\n", "!x majr\n", 1).encode(), "site/incidents/x.yaml:2:9", "tag '!x'"),
    Attack("raw NUL byte", b"title: a\x00b\n", "site/incidents/x.yaml:1:9", "control character U+0000"),
    Attack(
        "escaped NUL in text",
        GOOD.replace("title: Something broke", 'title: "a\\0b"').encode(),
        "site/incidents/x.yaml:1:8",
        "title contains the control character U+0000",
    ),
    Attack(
        "escaped lone surrogate",
        GOOD.replace("message: Update 0.", 'message: "\\ud800"').encode(),
        "site/incidents/x.yaml:8:14",
        "message contains the control character U+D800",
    ),
    Attack(
        "newline in a quoted value",
        GOOD.replace("impact: major", 'impact: "maj\\nor"').encode(),
        "site/incidents/x.yaml:2:9",
        "unknown impact 'maj\\x0aor'",
    ),
    Attack("merge key", b"<<: {title: T}\n", "site/incidents/x.yaml:1:1", "key"),
    Attack("file is a folder", None, "site/incidents/x.yaml:1:1", "is a folder (expected a YAML file)"),
    Attack("symlink loop", None, "site/incidents/x.yaml:1:1", "links to a file outside the site folder"),
    Attack("FIFO", None, "site/incidents/x.yaml:1:1", "is not a regular file"),
    Attack("config is a folder", None, "site/statuspage.yaml:1:1", "is a folder"),
    Attack("config is empty", None, "site/statuspage.yaml:1:1", "file is empty"),
]


def _setup(attack: Attack, site: Path) -> None:
    target = site / "incidents" / "x.yaml"
    if attack.data is not None:
        target.write_bytes(attack.data)
    elif attack.name == "file is a folder":
        target.mkdir()
    elif attack.name == "symlink loop":
        target.symlink_to("x.yaml")
    elif attack.name == "FIFO":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(target)
    elif attack.name == "config is a folder":
        (site / "statuspage.yaml").unlink()
        (site / "statuspage.yaml").mkdir()
    elif attack.name == "config is empty":
        (site / "statuspage.yaml").write_bytes(b"")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def check(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statuspage", "check", site.name],
        cwd=site.parent,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limits,
    )


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_yaml_attack_gives_one_clear_line(attack: Attack, tmp_path: Path) -> None:
    """Issue 8 item 2: a clear `path:line:col:` error within bounded time and memory, never a traceback."""
    site = write_site(tmp_path / "site")
    _setup(attack, site)
    result = check(site)  # raises TimeoutExpired past TIME_LIMIT
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert re.fullmatch(r"\d+ problems? in \d+ files?", lines[-1])
    for line in lines[:-1]:
        assert LINE.match(line), f"not a path:line:col: message line: {line[:200]!r}"
        assert len(line) < 500
    first = LINE.match(lines[0])
    assert first is not None
    assert f"{first['path']}:{first['line']}:{first['col']}" == attack.where, lines[0][:300]
    assert attack.says in first["message"], lines[0][:300]
    assert not (tmp_path / "pwned").exists()


def test_bom_and_a_very_long_valid_line_are_fine(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is legal YAML; a 900 kB message is odd but valid: both build, in bounds."""
    site = write_site(tmp_path / "site", incidents={"a": GOOD})
    (site / "incidents" / "a.yaml").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    long = GOOD.replace("message: Update 0.", "message: " + "y" * 900_000)
    (site / "incidents" / "b.yaml").write_text(long)
    result = check(site)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("OK: 3 components, 2 records")


def test_each_attack_file_counts_once_when_all_come_together(tmp_path: Path) -> None:
    """Many hostile files in one site: every one reported, together, still in bounds."""
    site = write_site(tmp_path / "site")
    names = []
    for i, attack in enumerate(a for a in ATTACKS if a.data is not None):
        name = f"x{i:02d}"
        (site / "incidents" / f"{name}.yaml").write_bytes(attack.data or b"")
        names.append(name)
    result = check(site)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    reported = {line.split(":")[0] for line in result.stderr.splitlines()[:-1]}
    assert reported == {f"site/incidents/{name}.yaml" for name in names}
