"""Page weight: gzip size of the index page plus its stylesheet, against the 14 KB budget (issue 4 §7).

14 KB is about what a server can send in the first round trip of a new TCP connection (initial
congestion window of 10 segments), so a page under it shows on a bad phone connection without waiting
for a second round trip. The index is what people open during an outage.

    python benchmarks/page_weight.py          # the example site, and a large generated site
    python benchmarks/page_weight.py --quick  # the example site only (what the test suite runs)

Prints one line per site: `name baseline ours ratio`, the baseline being the budget in bytes. Exits 1
when the example site's index is over budget, or when the page requests anything but its stylesheet.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from statuspage.build import render_site  # noqa: E402
from statuspage.load import load_site  # noqa: E402

BUDGET = 14 * 1024
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EXTERNAL = re.compile(rb"""(?:src|href)=["'](?:https?:)?//""")


def index_weight(root: Path) -> int:
    """Gzip (level 9) bytes of index.html plus every stylesheet it links; refuses external subresources."""
    files = render_site(load_site(root), NOW).files
    index = files["index.html"]
    for line in index.splitlines():
        if EXTERNAL.search(line) and b'rel="canonical"' not in line:
            raise SystemExit(f"index.html loads something from another host: {line.decode()}")
    sheets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', index)
    size = len(gzip.compress(index, 9, mtime=0))
    for href in sheets:
        size += len(gzip.compress(files[href.decode()], 9, mtime=0))
    return size


def large_site(folder: Path, components: int, incidents: int) -> Path:
    """A site with many components and incidents spread over the last 90 days."""
    lines = ["title: Large\nbase_url: https://status.large.example/\ntimezone: UTC\ncomponents:\n"]
    lines += [f"  - id: c{i}\n    name: Component {i}\n    group: Group {i // 5}\n" for i in range(components)]
    (folder / "incidents").mkdir(parents=True)
    (folder / "statuspage.yaml").write_text("".join(lines))
    statuses = ("degraded_performance", "partial_outage", "major_outage")
    for n in range(incidents):
        start = NOW - timedelta(hours=2 + n * 90 * 24 // incidents)
        end = start + timedelta(hours=1)
        (folder / "incidents" / f"i{n}.yaml").write_text(
            f"title: Incident {n}\nimpact: minor\ncomponents:\n  c{n % components}: {statuses[n % 3]}\nupdates:\n"
            f"  - at: {start.isoformat()}\n    status: investigating\n    message: Looking.\n"
            f"  - at: {end.isoformat()}\n    status: resolved\n    message: Fixed.\n"
        )
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="measure only the example site")
    args = parser.parse_args()
    print("name baseline ours ratio")
    example = index_weight(REPO)
    print(f"example-index+css-gzip {BUDGET} {example} {example / BUDGET:.2f}")
    if not args.quick:
        folder = Path(tempfile.mkdtemp())
        try:
            size = index_weight(large_site(folder / "site", components=40, incidents=300))
            print(f"40-components-300-incidents-index+css-gzip {BUDGET} {size} {size / BUDGET:.2f}")
        finally:
            shutil.rmtree(folder)
    if example > BUDGET:
        print(f"over budget: {example} > {BUDGET} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
