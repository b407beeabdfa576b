"""Write a realistic, seeded statuspage site of N records, for the benchmarks.

Shape (issue 7): 30 components in 6 groups; about 1 record in 10 is a maintenance;
each record touches 1-4 components and has 2-4 updates of about 300 characters of
Markdown; about 80% are resolved; starts spread over the five years before `end`.

    python benchmarks/generate.py 10000 /tmp/site10k
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

GROUPS = ("Website", "Mobile", "Accounts", "Messaging", "Developers", "Infrastructure")
COMPONENTS_PER_GROUP = 5
END = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
YEARS = 5

WORDS = (
    "we are investigating elevated error rates for some users while our engineers review the logs "
    "and roll back the most recent deploy the database primary failed over to a replica requests "
    "are timing out in one region a fix has been deployed and we are monitoring the results"
).split()
INCIDENT_FLOW = ("investigating", "identified", "monitoring", "resolved")
OUTAGES = ("degraded_performance", "partial_outage", "major_outage")
IMPACTS = ("none", "minor", "major", "critical")


def component_ids() -> list[str]:
    return [f"{group.lower()}-{i}" for group in GROUPS for i in range(1, COMPONENTS_PER_GROUP + 1)]


def config_text() -> str:
    lines = [
        "title: Benchmark Status",
        "base_url: https://status.bench.example/",
        "timezone: Europe/Paris",
        "components:",
    ]
    for group in GROUPS:
        for i in range(1, COMPONENTS_PER_GROUP + 1):
            lines += [
                f"  - id: {group.lower()}-{i}",
                f"    name: {group} service {i}",
                f"    group: {group}",
            ]
    return "\n".join(lines) + "\n"


def message(rng: random.Random) -> str:
    """About 300 characters of Markdown: a sentence, some emphasis, sometimes a list or a link."""
    words = [rng.choice(WORDS) for _ in range(40)]
    words[3] = f"**{words[3]}**"
    words[9] = f"`{words[9]}`"
    text = " ".join(words).capitalize() + "."
    if rng.random() < 0.3:
        text += "\n\n- affected requests were retried\n- see [our docs](https://docs.bench.example/retry)"
    return text


def yaml_block(text: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in text.splitlines())


def record_text(rng: random.Random, start: datetime, maintenance: bool, resolved: bool) -> str:
    ids = component_ids()
    touched = sorted(rng.sample(ids, rng.randint(1, 4)))
    updates = rng.randint(2, 4)
    lines: list[str] = []
    if maintenance:
        end = start + timedelta(hours=rng.choice((1, 2, 4)))
        flow = ("scheduled", "in_progress", "verifying", "completed")
        statuses = [*flow[: updates - 1], "completed"] if resolved else list(flow[: min(updates, 2)])
        lines += ["kind: maintenance", f"title: Planned maintenance {rng.randrange(10**6)}", "components:"]
        lines += [f"  {cid}: under_maintenance" for cid in touched]
        lines += ["window:", f"  start: {start.isoformat()}", f"  end: {end.isoformat()}"]
        at = start - timedelta(days=3)
    else:
        statuses = [*INCIDENT_FLOW[: updates - 1], "resolved"] if resolved else list(INCIDENT_FLOW[: updates - 1])
        lines += [f"title: Elevated errors {rng.randrange(10**6)}", f"impact: {rng.choice(IMPACTS)}", "components:"]
        lines += [f"  {cid}: {rng.choice(OUTAGES)}" for cid in touched]
        at = start
    lines.append("updates:")
    for status in statuses:
        lines += [f"  - at: {at.isoformat()}", f"    status: {status}", f"    message: {yaml_block(message(rng), 6)}"]
        at += timedelta(minutes=rng.randint(5, 180))
    if not maintenance and resolved and rng.random() < 0.1:
        lines.append(f"postmortem: {yaml_block('## What happened' + chr(10) * 2 + message(rng), 2)}")
    return "\n".join(lines) + "\n"


def generate(n: int, root: Path, seed: int = 1) -> Path:
    """Write statuspage.yaml and N records under root; the same N and seed give the same files."""
    rng = random.Random(seed)
    folder = root / "incidents"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "statuspage.yaml").write_text(config_text(), encoding="utf-8")
    span = int(timedelta(days=365 * YEARS).total_seconds())
    for i in range(n):
        start = END - timedelta(seconds=rng.randrange(span))
        start = start.replace(microsecond=0)
        maintenance = rng.random() < 0.1
        # Open records are recent: an incident left open for years is not a realistic shape.
        resolved = rng.random() < 0.8 or END - start > timedelta(days=30)
        name = f"{start:%Y-%m-%d}-r{i:06d}.yaml"
        (folder / name).write_text(record_text(rng, start, maintenance, resolved), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("root", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.n, args.root, args.seed)


if __name__ == "__main__":
    main()
