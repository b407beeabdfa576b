"""benchmarks/page_weight.py keeps working, and the example index stays within its 14 KB gzip budget."""

from __future__ import annotations

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
