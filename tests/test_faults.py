"""Faults during a build (issue 8 item 4): a killed build or a full disk never damages the live output.

These use real faults on a real `statuspage build` process: SIGKILL at random moments, a
per-file size limit (RLIMIT_FSIZE, so writes fail with EFBIG) and, where this machine lets
us mount one, a tiny tmpfs that fills up (ENOSPC). Nothing of ours is mocked.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CONFIG, NOW, build_site, incident, write_site
from helpers import tree_digest

TRIALS = 50
SEED = 8  # issue 8; fixed so a failure can be replayed
RECORDS = 60  # enough pages that writing is a good share of the build's time


def sites(base: Path) -> tuple[Path, Path]:
    """Two versions of one site whose every page differs (the title changes)."""
    records = {
        f"i{k:03d}": incident(title=f"Incident {k}", start=f"2026-{1 + k % 11:02d}-{1 + k % 27:02d}T10:00:00Z")
        for k in range(RECORDS)
    }
    old = write_site(base / "v1", CONFIG, records)
    new = write_site(base / "v2", CONFIG.replace("Example Status", "Example Status v2"), records)
    return old, new


def cli_build(root: Path, out: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "statuspage", "build", str(root), "-o", str(out), "--now", NOW.isoformat()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


def leftovers(out: Path) -> list[str]:
    """Temporary or swapped-out folders of `out` left beside it (the lock file is meant to stay)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.is_dir())


def test_sigkill_at_random_moments_never_damages_the_output(tmp_path: Path) -> None:
    """Issue 8: 50 kills spread over a build's run; the output is always one complete build.

    The run is measured first: its length, and the moment the new tree is swapped in (the
    output's inode changes). Kills are spread evenly, with seeded jitter, from the start of the
    process to that moment: the previous output must stay byte-identical. A kill that still lands
    after the swap (scheduling jitter) must find the complete new output: never a mix, never
    missing. The next successful build leaves no temporary folder behind.
    """
    v1, v2 = sites(tmp_path)
    out = tmp_path / "out"
    build_site(v1, out)
    old = tree_digest(out)
    build_site(v2, tmp_path / "reference")
    new = tree_digest(tmp_path / "reference")
    assert old != new

    swaps, durations = [], []
    for _ in range(3):  # medians of three runs, so one slow cold start does not stretch the spread
        inode = out.stat().st_ino
        started = time.monotonic()
        process = cli_build(v2, out)
        swapped = None
        while process.poll() is None:
            if swapped is None and out.stat().st_ino != inode:
                swapped = time.monotonic() - started  # the new tree was just swapped in
            time.sleep(0.001)
        assert process.returncode == 0
        swapped = swapped if swapped is not None else time.monotonic() - started  # swapped between two polls
        swaps.append(swapped)
        durations.append(time.monotonic() - started)
        build_site(v1, out)  # back to the previous output
    swap_at, duration = sorted(swaps)[1], sorted(durations)[1]
    assert tree_digest(out) == old

    rng = random.Random(SEED)
    outcomes = {"previous": 0, "new": 0}
    for trial in range(TRIALS):
        delay = (trial + rng.random()) / TRIALS * swap_at  # stratified over the run up to the swap
        process = cli_build(v2, out)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert out.is_dir(), f"trial {trial}: output folder missing after a kill at {delay:.3f} s"
        now = tree_digest(out)
        assert now in (old, new), f"trial {trial}: output is neither the previous nor the new build"
        if now == new:
            outcomes["new"] += 1
            build_site(v1, out)  # restore the previous output for the next trial
        else:
            outcomes["previous"] += 1
    print(f"\n{TRIALS} SIGKILL trials over the first {swap_at:.2f} s of a {duration:.2f} s build: {outcomes}")
    assert outcomes["previous"] > 0  # kills did land mid-build; how many after the swap depends on the machine

    process = cli_build(v2, out)
    assert process.wait(timeout=120) == 0
    assert tree_digest(out) == new
    assert leftovers(out) == []


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored signals survive exec: writes fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_write_failure_keeps_the_old_output(tmp_path: Path) -> None:
    """A real write error (EFBIG under RLIMIT_FSIZE): clear message, exit 1, previous output intact."""
    v1, v2 = sites(tmp_path)
    out = tmp_path / "out"
    build_site(v1, out)
    before = tree_digest(out)
    process = cli_build(v2, out, preexec_fn=_file_size_limit)
    _, stderr = process.communicate(timeout=120)
    message = stderr.decode()
    assert process.returncode == 1, message
    assert "Traceback" not in message
    assert message.startswith("Error: cannot write the output folder: File too large")
    assert message.rstrip().endswith("the previous output is unchanged")
    assert tree_digest(out) == before
    assert leftovers(out) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mount, when this machine lets us make one (root on Linux)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux; test_write_failure_keeps_the_old_output covers this")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); the EFBIG test covers this")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_full_disk_keeps_the_old_output(tmp_path: Path, tiny_disk: Path) -> None:
    """ENOSPC on a real, tiny file system: clear message, exit 1, previous output intact, space given back
    (but for the page cache beside the output, which is allowed to keep what it could save)."""
    v1, v2 = sites(tmp_path)
    out = tiny_disk / "out"
    build_site(v1, out)
    before = tree_digest(out)
    stat = os.statvfs(tiny_disk)
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    room = used + 256 * 1024  # the previous build plus a quarter megabyte: far less than a second copy
    subprocess.run(["mount", "-o", f"remount,size={room}", str(tiny_disk)], check=True)
    free_before = os.statvfs(tiny_disk).f_bavail
    process = cli_build(v2, out)
    _, stderr = process.communicate(timeout=120)
    message = stderr.decode()
    assert process.returncode == 1, message
    assert "Traceback" not in message
    assert message.startswith("Error: cannot write the output folder: No space left on device")
    assert tree_digest(out) == before
    assert leftovers(out) == []
    beside = {p.name for p in tiny_disk.iterdir()} - {"out"}
    assert beside <= {".out.lock", ".out.cache.sqlite"}  # no temporary tree holds the space
    cache = tiny_disk / ".out.cache.sqlite"
    cache_blocks = -(-cache.stat().st_size // 4096) + 2 if cache.exists() else 0  # its journal, rounded up
    assert os.statvfs(tiny_disk).f_bavail >= free_before - cache_blocks
