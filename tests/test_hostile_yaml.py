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
    says: str  # its whole message: the text is the contract with editors


def _long_value() -> bytes:
    return GOOD.replace("impact: major", "impact: " + "k" * 500_000).encode()


ALIASES = "anchors and aliases are not supported (expected plain values; repeat the text instead)"
NESTING = "nesting deeper than 20 levels (expected at most 4)"
NOT_UTF8 = "is not UTF-8 (expected a UTF-8 text file)"
EMPTY = "file is empty (expected a YAML mapping of keys and values)"
TAG = "is not supported (expected plain values without tags; quote text instead)"
UNPRINTABLE = "(expected printable text; feeds and pages cannot carry it)"
X = "site/incidents/x.yaml"

ATTACKS = [
    Attack("billion laughs", LAUGHS, f"{X}:2:10", ALIASES),
    Attack("alias to a mapping", b"a: &x {b: 1}\nc: *x\n", f"{X}:2:4", ALIASES),
    Attack("deep flow nesting", b"title: " + b"[" * 50_000 + b"]" * 50_000, f"{X}:1:27", NESTING),
    Attack("deep mapping nesting", b"{a: " * 10_000 + b"1" + b"}" * 10_000, f"{X}:1:78", NESTING),
    Attack("deep block nesting", b"".join(b" " * i + b"- \n" for i in range(0, 600)), f"{X}:21:21", NESTING),
    Attack(
        "huge file",
        b"title: " + b"x" * 5_000_000,
        f"{X}:1:1",
        "file is larger than 1000000 bytes (expected a small record)",
    ),
    Attack(
        "dense values",
        b"a: [" + b",".join([b"1"] * 400_000) + b"]\n",
        f"{X}:1:39999",
        "more than 20000 values in one file (expected a small record; split it into files)",
    ),
    Attack("non-UTF-8 byte", b"title: caf\xe9\n", f"{X}:1:11", f"byte 0xe9 {NOT_UTF8}"),
    Attack("UTF-16 BOM", "title: T\n".encode("utf-16"), f"{X}:1:1", f"byte 0xff {NOT_UTF8}"),
    Attack(
        "tab indentation",
        b"title: T\nupdates:\n\t- at: 1\n",
        f"{X}:3:1",
        "tab character, which YAML does not allow in indentation (expected spaces)",
    ),
    Attack(
        "duplicate keys",
        (GOOD + "impact: none\n").encode(),
        f"{X}:9:1",
        "duplicate key 'impact' in an incident, first at line 2 (expected each key once; YAML would silently keep "
        "the last)",
    ),
    Attack(
        "very long bad value",
        _long_value(),
        f"{X}:2:9",
        "unknown impact '" + "k" * 134 + "…" + "k" * 101 + "' (expected one of: none, minor, major, critical)",
    ),
    Attack(
        "very long line, syntax error at its end",
        b"title: " + b"y" * 900_000 + b": x\n",
        f"{X}:1:900008",
        "invalid YAML: mapping values are not allowed here (expected valid YAML)",
    ),
    Attack(
        "many documents",
        b"title: T\n---\n" * 50_000,
        f"{X}:2:1",
        "a second YAML document starts here (expected one document per file; remove the '---')",
    ),
    Attack("empty file", b"", f"{X}:1:1", EMPTY),
    Attack("only comments", b"# nothing here\n", f"{X}:1:1", EMPTY),
    Attack(
        "python object tag",
        b"title: !!python/object/apply:os.system ['touch pwned']\n",
        f"{X}:1:8",
        f"tag '!!python/object/apply:os.system' {TAG}",
    ),
    Attack("python name tag", b"!!python/name:os.system\n", f"{X}:1:1", f"tag '!!python/name:os.system' {TAG}"),
    Attack("custom tag", GOOD.replace("major\n", "!x majr\n", 1).encode(), f"{X}:2:9", f"tag '!x' {TAG}"),
    Attack(
        "raw NUL byte",
        b"title: a\x00b\n",
        f"{X}:1:9",
        "control character U+0000 is not allowed in YAML (expected printable text)",
    ),
    Attack(
        "escaped NUL in text",
        GOOD.replace("title: Something broke", 'title: "a\\0b"').encode(),
        f"{X}:1:8",
        f"title contains the unprintable character U+0000 {UNPRINTABLE}",
    ),
    Attack(
        "escaped lone surrogate",
        GOOD.replace("message: Update 0.", 'message: "\\ud800"').encode(),
        f"{X}:8:14",
        f"message contains the unprintable character U+D800 {UNPRINTABLE}",
    ),
    Attack(
        "newline in a quoted value",
        GOOD.replace("impact: major", 'impact: "maj\\nor"').encode(),
        f"{X}:2:9",
        "unknown impact 'maj\\x0aor'; did you mean 'major'? (expected one of: none, minor, major, critical)",
    ),
    Attack(
        "merge key",
        b"<<: {title: T}\n",
        f"{X}:1:1",
        "merge key '<<' in an incident (expected the keys written out: title, impact, updates, kind, components, "
        "postmortem)",
    ),
    Attack("file is a folder", None, f"{X}:1:1", "is a folder (expected a YAML file)"),
    Attack("symlink loop", None, f"{X}:1:1", "is a broken link (expected a file in the site)"),
    Attack("FIFO", None, f"{X}:1:1", "is not a regular file (expected a YAML file)"),
    Attack("config is a folder", None, "site/statuspage.yaml:1:1", "is a folder (expected a YAML file)"),
    Attack("config is empty", None, "site/statuspage.yaml:1:1", EMPTY),
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
    assert first["message"] == attack.says, lines[0][:400]
    assert not (tmp_path / "pwned").exists()


def test_bom_and_a_very_long_valid_line_are_fine(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is legal YAML, a 900 kB message is odd but valid, `!!str` is the one tag we
    allow: all pass, in bounds."""
    site = write_site(tmp_path / "site", incidents={"a": GOOD})
    (site / "incidents" / "a.yaml").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    long = GOOD.replace("message: Update 0.", "message: " + "y" * 900_000)
    (site / "incidents" / "b.yaml").write_text(long)
    (site / "incidents" / "c.yaml").write_text(GOOD.replace("title: Something broke", "title: !!str 1.10"))
    result = check(site)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("OK: 3 components, 3 records")


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
