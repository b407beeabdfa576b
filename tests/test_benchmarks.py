"""The benchmark scripts keep working (each run with --quick); the example index stays within 14 KB gzip."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO


def test_page_weight_benchmark_runs_and_index_is_within_budget() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "page_weight.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    header, line = result.stdout.splitlines()
    assert header == "name baseline ours ratio"
    name, budget, ours, ratio = line.split()
    assert name == "example-index+css-gzip" and int(budget) == 14 * 1024
    assert 1000 < int(ours) <= int(budget)
    assert float(ratio) <= 1.0


def test_build_speed_benchmark_runs_and_reports_every_measure() -> None:
    """build_speed.py --quick: a 100-record site built and rebuilt once, printed as name/baseline/ours/ratio."""
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "build_speed.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["name", "baseline", "ours", "ratio"]
    assert [row[0] for row in rows[1:]] == ["build-100", "rebuild-100", "peak-rss-100", "output-100"]
    assert all(len(row) == 4 for row in rows)
    written = [int(n) for n in re.findall(r"\((\d+) written\)", result.stderr)]
    assert len(written) == 2 and 0 < written[1] < written[0] / 5  # the rebuild after one edit writes only a few files
    files = int(rows[4][1].removesuffix("files"))
    assert files > 100  # a page per record, plus index, history, components, feeds, API
