"""Full build, rebuild after one edit, peak memory and output size, against the I/O floor.

For each size N it generates a seeded site (benchmarks/generate.py), then, repeats
interleaved so that machine noise hits both sides alike, measures:
- copy: copying the finished output folder (the I/O floor, our baseline);
- build: a full `statuspage build` into a fresh folder, as a separate process;
- rebuild: `statuspage build` into the same folder after appending an update to one record;
- peak RSS of the build process, and the files and bytes it wrote.
Medians are printed as `name baseline ours ratio`, one line each.

    python benchmarks/build_speed.py              # 1,000 / 10,000 / 50,000 records
    python benchmarks/build_speed.py --sizes 1000 --repeats 5
    python benchmarks/build_speed.py --quick      # 100 records, once: a smoke run for the tests
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

NOW = "2026-11-25T12:00:00Z"


def run_build(site: Path, out: Path, cache: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS in bytes and stdout of one `statuspage build` process with its page cache in `cache`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "statuspage", "build", str(site), "-o", str(out), "--now", NOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    stdout = process.stdout.read() if process.stdout else ""
    stderr = process.stderr.read() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"build failed ({process.returncode}):\n{stderr}")
    return took, usage.ru_maxrss * 1024, stdout.strip()


def tree_size(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def edit_one_record(site: Path, round_number: int) -> None:
    """Retitle the newest record: a change any record accepts, touching its page, history and feeds."""
    newest = sorted((site / "incidents").glob("*.yaml"))[-1]
    text = newest.read_text(encoding="utf-8")
    newest.write_text(text.replace("title: ", f"title: Edit {round_number} ", 1), encoding="utf-8")


def measure(n: int, repeats: int, work: Path) -> list[tuple[str, str, str, str]]:
    site = work / f"site-{n}"
    if not site.exists():
        generate(n, site)
    copies, builds, rebuilds, rss = [], [], [], []
    summary = rebuild_summary = ""
    for i in range(repeats):
        out = work / f"out-{n}-{i}"
        cache = work / f"cache-{n}-{i}"  # empty: the full build renders everything
        took, peak, summary = run_build(site, out, cache)
        builds.append(took)
        rss.append(peak)
        started = time.perf_counter()
        shutil.copytree(out, work / f"copy-{n}-{i}")
        copies.append(time.perf_counter() - started)
        edit_one_record(site, i)
        took, _, rebuild_summary = run_build(site, out, cache)
        rebuilds.append(took)
    files, size = tree_size(work / f"out-{n}-0")
    floor = statistics.median(copies)
    build = statistics.median(builds)
    rebuild = statistics.median(rebuilds)
    peak_mb = statistics.median(rss) / 2**20
    print(f"  {n} records: {summary}", file=sys.stderr)
    print(f"  {n} records, rebuild: {rebuild_summary}", file=sys.stderr)
    return [
        (f"build-{n}", f"{floor:.2f}s", f"{build:.2f}s", f"{build / floor:.1f}x"),
        (f"rebuild-{n}", f"{floor:.2f}s", f"{rebuild:.2f}s", f"{rebuild / floor:.2f}x"),
        (f"peak-rss-{n}", "300MB", f"{peak_mb:.0f}MB", f"{peak_mb / 300:.2f}x"),
        (f"output-{n}", f"{files}files", f"{size / 2**20:.1f}MB", f"{size / files / 1024:.1f}KB/file"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 records, one repeat")
    parser.add_argument("--work", type=Path, help="folder for generated sites and outputs (default: a temp folder)")
    args = parser.parse_args()
    sizes, repeats = ([100], 1) if args.quick else (args.sizes, args.repeats)
    with tempfile.TemporaryDirectory(prefix="statuspage-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = [("name", "baseline", "ours", "ratio")]
        for n in sizes:
            rows += measure(n, repeats, work)
            if args.work:  # keep generated sites, drop outputs, caches and locks
                for path in work.glob(f"*-{n}-*"):
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
