"""The `statuspage` command: argument parsing, the clock, exit codes.

Only this module reads the clock and the environment; everything below takes
`now` as an argument, which is what makes builds reproducible.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from . import __version__
from .model import BuildError, ComponentStatus, EditError, Impact, SiteError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

EPILOG_MAIN = """\
examples:
  statuspage check                 validate ./statuspage.yaml and ./incidents/*.yaml
  statuspage build -o public       render the site into ./public
  statuspage serve                 preview on http://127.0.0.1:8000/
  statuspage new incident "Login errors" --component login=major_outage --impact major
  statuspage update 2026-11-25-login-errors --status identified --message "A bad deploy; rolling back."
  statuspage resolve 2026-11-25-login-errors
  statuspage probe                 run the checks; open or resolve incidents (docs/probes.md)
  statuspage notify                post new incidents and updates to the webhooks

exit status: 0 ok, 1 invalid input or failed build, 2 bad command line
"""


class Parser(argparse.ArgumentParser):
    """argparse, with the conventional `Error:` wording and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"Error: {message}\n")


def parse_now(text: str) -> datetime:
    """--now: an ISO 8601 time with an offset, or a Unix timestamp."""
    try:
        if text.strip().lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError, OSError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a time (expected e.g. 2023-01-10T03:00:00Z)") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"'{text}' has no UTC offset (expected e.g. 2023-01-10T03:00:00Z)")
    return moment.astimezone(UTC)


def resolve_now(given: datetime | None) -> datetime:
    """--now, else SOURCE_DATE_EPOCH (reproducible-builds.org), else the clock."""
    if given is not None:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise SystemExit(f"Error: SOURCE_DATE_EPOCH='{epoch}' is not a Unix timestamp") from None
    return datetime.now(UTC).replace(microsecond=0)


def add_command(
    commands: argparse._SubParsersAction[Parser],
    name: str,
    summary: str,
    example: str,
    verbose: str = "print more detail",
) -> Parser:
    """A subcommand with the conventions every command shares: help with an example, -q and -v."""
    sub: Parser = commands.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    sub.add_argument("-v", "--verbose", action="store_true", help=verbose)
    return sub


def make_parser() -> Parser:
    parser = Parser(
        prog="statuspage",
        description="Build a static status page from incident records in YAML.",
        epilog=EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"statuspage {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, summary: str, example: str) -> Parser:
        return add_command(commands, name, summary, example)

    def site_arg(sub: Parser) -> None:
        sub.add_argument(
            "site",
            nargs="?",
            type=Path,
            default=Path("."),
            metavar="SITE",
            help="site folder holding statuspage.yaml (default: .)",
        )

    def now_arg(sub: Parser) -> None:
        sub.add_argument(
            "--now",
            type=parse_now,
            metavar="TIME",
            help="the moment to build for (default: SOURCE_DATE_EPOCH, else the clock)",
        )

    build = command(
        "build",
        "Validate the site and render it into a folder.",
        "statuspage build . -o public --now 2023-01-10T03:00:00Z",
    )
    site_arg(build)
    build.add_argument("-o", "--output", type=Path, metavar="OUT", help="output folder (default: SITE/_site)")
    build.add_argument(
        "--no-cache",
        action="store_true",
        help="render every page afresh and leave the cache ($XDG_CACHE_HOME/statuspage) alone",
    )
    now_arg(build)

    check = command(
        "check", "Validate every file and render in memory; write nothing.", "statuspage check my-status-site"
    )
    site_arg(check)
    now_arg(check)
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="text: path:line:col: message (default); github: GitHub Actions ::error annotations on stdout",
    )

    serve = command(
        "serve",
        "Build into a temporary folder and serve it on 127.0.0.1, rebuilding on change.",
        "statuspage serve --port 8000",
    )
    site_arg(serve)
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks one)")
    now_arg(serve)

    # issue 5: JSON Schemas of the input files, for editors with a YAML language server.
    schema = command(
        "schema",
        "Print the JSON Schema of statuspage.yaml or of incident files, for editor completion.",
        "statuspage schema --kind record -o .schemas/record.json",
    )
    schema.add_argument(
        "--kind", choices=("config", "record"), default="config", help="statuspage.yaml (default) or incident files"
    )
    schema.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    add_edit_commands(commands, command)
    add_probe_commands(commands, command, site_arg, now_arg)
    return parser


def component_arg(text: str) -> tuple[str, ComponentStatus | None]:
    """--component ID or ID=STATUS."""
    cid, sep, status = text.partition("=")
    cid, status = cid.strip(), status.strip()
    if not cid or (sep and not status):
        raise argparse.ArgumentTypeError(f"'{text}' is not ID or ID=STATUS (expected e.g. web=major_outage)")
    if not sep:
        return cid, None
    if status not in tuple(ComponentStatus):
        from difflib import get_close_matches

        close = get_close_matches(status, list(ComponentStatus), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise argparse.ArgumentTypeError(
            f"unknown component status '{status}'{hint} (expected one of: {', '.join(ComponentStatus)})"
        )
    return cid, ComponentStatus(status)


def add_edit_commands(commands: argparse._SubParsersAction[Parser], command: Callable[[str, str, str], Parser]) -> None:
    """`new incident`, `new maintenance`, `update`, `resolve`: the editor's commands (issue 6)."""

    def site_opt(sub: Parser) -> None:
        sub.add_argument(
            "--site",
            type=Path,
            default=Path("."),
            metavar="SITE",
            help="site folder holding statuspage.yaml (default: .)",
        )

    def at_opt(sub: Parser, what: str) -> None:
        sub.add_argument("--at", type=parse_now, metavar="TIME", help=f"time of {what} (default: now, from the clock)")

    new = command(
        "new",
        "Create a record file: an incident, or a maintenance window.",
        'statuspage new incident "Login errors" --component login=major_outage --impact major',
    )
    kinds = new.add_subparsers(dest="kind", metavar="KIND", parser_class=Parser, required=True)

    def kind(name: str, summary: str, example: str) -> Parser:
        sub = add_command(kinds, name, summary, example, verbose="print the file written")
        sub.add_argument("title", metavar="TITLE", help='what readers see, e.g. "Login errors on the web"')
        site_opt(sub)
        return sub

    incident = kind(
        "incident",
        "Open an incident: writes incidents/<date>-<slug>.yaml with a first 'investigating' update.",
        'statuspage new incident "Login errors" --component login=major_outage --component api=degraded_performance '
        '--impact major --message "We are looking into failed logins."',
    )
    incident.add_argument(
        "--component",
        "-c",
        action="append",
        type=component_arg,
        default=[],
        metavar="ID=STATUS",
        help="an affected component and its status: degraded_performance, partial_outage or major_outage (repeatable)",
    )
    incident.add_argument(
        "--impact",
        choices=tuple(Impact),
        help="none, minor, major or critical (default: major if a component is in major_outage, "
        "minor if any is affected, else none)",
    )
    incident.add_argument(
        "--message", "-m", default="We are investigating this issue.", help="the first update, Markdown"
    )
    at_opt(incident, "the first update")

    maint = kind(
        "maintenance",
        "Schedule a maintenance window: writes incidents/<date>-<slug>.yaml with a 'scheduled' update.",
        'statuspage new maintenance "Database upgrade" --component db --start 2026-12-01T02:00:00Z '
        "--end 2026-12-01T04:00:00Z",
    )
    maint.add_argument(
        "--component",
        "-c",
        action="append",
        type=component_arg,
        default=[],
        metavar="ID",
        help="a component (repeatable)",
    )
    maint.add_argument("--start", type=parse_now, required=True, metavar="TIME", help="window start, with an offset")
    maint.add_argument("--end", type=parse_now, required=True, metavar="TIME", help="window end, with an offset")
    maint.add_argument(
        "--message", "-m", default="We will carry out this maintenance during the window.", help="the first update"
    )
    at_opt(maint, "the first update")

    update = command(
        "update",
        "Append an update to a record, keeping every byte of the file above it.",
        'statuspage update 2026-11-25-login-errors --status identified --message "A bad deploy; rolling back."',
    )
    update.add_argument("id", metavar="ID", help="the record's file name without .yaml (or a path to the file)")
    update.add_argument(
        "--status",
        "-s",
        required=True,
        help="incident: investigating, identified, monitoring, resolved; "
        "maintenance: scheduled, in_progress, verifying, completed",
    )
    update.add_argument("--message", "-m", required=True, help="what readers should know now, Markdown")
    at_opt(update, "the update")
    site_opt(update)

    resolve = command(
        "resolve",
        "Close a record: append 'resolved' (incident) or 'completed' (maintenance).",
        'statuspage resolve 2026-11-25-login-errors --message "Logins work again for everyone."',
    )
    resolve.add_argument("id", metavar="ID", help="the record's file name without .yaml (or a path to the file)")
    resolve.add_argument("--message", "-m", help="closing words (default: a plain 'resolved'/'completed' sentence)")
    at_opt(resolve, "the update")
    site_opt(resolve)


def add_probe_commands(
    commands: argparse._SubParsersAction[Parser],
    command: Callable[[str, str, str], Parser],
    site_arg: Callable[[Parser], None],
    now_arg: Callable[[Parser], None],
) -> None:
    """`probe` and `notify`: checks that open and resolve incidents, and webhooks (issue 9, docs/probes.md)."""
    probe = command(
        "probe",
        "Run every check in statuspage.yaml once, record the results in probes/, and open, update or resolve "
        "incidents after fail_after/recover_after runs in a row.",
        "statuspage probe . --now 2026-11-25T03:05:00Z",
    )
    site_arg(probe)
    now_arg(probe)
    probe.add_argument(
        "--keep-months",
        type=int,
        default=4,
        metavar="N",
        help="months of probes/YYYY-MM.csv to keep, older ones are deleted (default: 4, enough for 90-day uptime)",
    )
    notify = command(
        "notify",
        "Post each new incident and update to the webhooks in statuspage.yaml, once (a delivery record "
        "remembers what was sent).",
        "statuspage notify . --since HEAD~1",
    )
    site_arg(notify)
    notify.add_argument("--since", metavar="REV", help="git revision of the previous build: its updates are not new")
    notify.add_argument(
        "--previous",
        type=Path,
        metavar="FILE",
        help="the previous build's api/v2/summary.json or incidents.json: its updates are not new",
    )
    notify.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="the delivery record, which a re-run reads to never post twice (default: SITE/notifications.json)",
    )
    notify.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default: 10)")
    notify.add_argument("--retries", type=int, default=3, metavar="N", help="retries after a failure (default: 3)")
    notify.add_argument(
        "--backoff", type=float, default=1.0, metavar="SECONDS", help="first wait between retries, doubled each time"
    )
    notify.add_argument("--dry-run", action="store_true", help="print what would be posted; post and record nothing")


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "build":
            return cmd_build(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "schema":
            return cmd_schema(args)
        if args.command == "serve":
            from .serve import serve

            return serve(args.site, args.port, lambda: resolve_now(args.now), quiet=args.quiet, verbose=args.verbose)
        if args.command in ("new", "update", "resolve"):
            return cmd_edit(args)
        if args.command == "probe":
            return cmd_probe(args)
        if args.command == "notify":
            return cmd_notify(args)
    except SiteError as error:
        print(error.report(), file=sys.stderr)
        return EXIT_INVALID
    except BuildError as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except EditError as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("Interrupted; the previous output is unchanged.", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


class Progress:
    """A bar on stderr for builds that take more than `delay` seconds, only when stderr is a terminal.

    The build renders in one call, so the bar cannot know a fraction done: it sweeps
    and shows the elapsed time. Pipes, CI logs and `-q` get nothing extra.
    """

    FRAME_SECONDS = 0.1
    WIDTH = 20

    def __init__(self, label: str, *, enabled: bool, delay: float = 1.0, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.delay = delay
        self.done = threading.Event()
        self.drawn = False
        self.thread = threading.Thread(target=self._draw, daemon=True)

    def __enter__(self) -> Progress:
        self.started = time.perf_counter()
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.enabled:
            self.thread.join()
            if self.drawn:
                self.stream.write("\r\x1b[K")  # erase the bar: the summary line follows
                self.stream.flush()

    def _draw(self) -> None:
        if self.done.wait(self.delay):
            return
        step = 0
        while not self.done.is_set():
            pos = step % (2 * self.WIDTH - 2)
            pos = pos if pos < self.WIDTH else 2 * self.WIDTH - 2 - pos
            bar = " " * pos + "=" + " " * (self.WIDTH - 1 - pos)
            took = time.perf_counter() - self.started
            self.stream.write(f"\r{self.label} [{bar}] {took:.1f} s")
            self.stream.flush()
            self.drawn = True
            step += 1
            self.done.wait(self.FRAME_SECONDS)


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/statuspage, else ~/.cache/statuspage: where build keeps its page cache."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "statuspage"


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    started = time.perf_counter()
    out = args.output if args.output is not None else args.site / "_site"
    with Progress(f"Building {out}", enabled=not args.quiet):
        built, result = build(args.site, out, resolve_now(args.now), cache_dir=None if args.no_cache else cache_dir())
    if not args.quiet:
        pages = sum(1 for p in built.files if p.endswith(".html"))
        took = time.perf_counter() - started
        print(
            f"Built {out}: {len(built.site.records)} records, {pages} pages, {result.files} files "
            f"({result.written} written) in {took:.2f} s; status: {built.snap.description}"
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .build import check

    started = time.perf_counter()
    try:
        built = check(args.site, resolve_now(args.now))
    except (SiteError, BuildError) as error:
        if args.format != "github":
            raise
        print(github_annotations(error))
        return EXIT_INVALID
    if not args.quiet:
        took = time.perf_counter() - started
        print(
            f"OK: {len(built.site.components)} components, {len(built.site.records)} records, "
            f"{len(built.files)} files would be written ({took:.2f} s); status: {built.snap.description}"
        )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the packaged schema unchanged, so the file an editor uses is the one the tests check."""
    from importlib import resources

    data = (resources.files("statuspage") / "schemas" / f"{args.kind}.json").read_bytes()
    if args.output is None:
        sys.stdout.write(data.decode("utf-8"))
        return EXIT_OK
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    if not args.quiet:
        print(f"Wrote {args.output}; in a YAML file, add: # yaml-language-server: $schema=<path to it from that file>")
    return EXIT_OK


def github_annotations(error: SiteError | BuildError) -> str:
    """Problems as GitHub Actions workflow commands, one `::error file=…,line=…,col=…::message` each.

    Escaping follows the runner (actions/toolkit, command.ts): %, CR and LF in the
    message; also ':' and ',' in property values.
    """

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    if isinstance(error, BuildError):
        return f"::error::{data(str(error))}"
    return "\n".join(
        f"::error file={prop(p.path)},line={p.line},col={p.col}::{data(p.message)}" for p in error.problems
    )


def cmd_edit(args: argparse.Namespace) -> int:
    """new incident / new maintenance / update / resolve. The clock is read here, never in edit.py."""
    from . import edit

    now = datetime.now(UTC).replace(microsecond=0)
    at = args.at if args.at is not None else now
    started = time.perf_counter()
    if args.command == "new" and args.kind == "incident":
        components: list[tuple[str, ComponentStatus]] = []
        for cid, status in args.component:
            if status is None:
                raise EditError(
                    f"component '{cid}' has no status (expected {cid}=major_outage, "
                    f"{cid}=partial_outage or {cid}=degraded_performance)"
                )
            components.append((cid, status))
        impact = Impact(args.impact) if args.impact else default_impact(components)
        path = edit.new_incident(args.site, args.title, components, impact, args.message, at)
        done = f"Opened {path} ({impact.value} impact)"
    elif args.command == "new":
        ids = []
        for cid, status in args.component:
            if status not in (None, ComponentStatus.UNDER_MAINTENANCE):
                raise EditError(f"component '{cid}' in a maintenance is under_maintenance (expected --component {cid})")
            ids.append(cid)
        path = edit.new_maintenance(args.site, args.title, ids, args.start, args.end, args.message, at)
        done = f"Scheduled {path} ({edit.format_time(args.start)} to {edit.format_time(args.end)})"
    else:
        path = edit.record_path(args.site, args.id)
        if args.command == "resolve":
            from .load import read_record

            record = read_record(path)
            status = edit.close_status(record)
            kind = "maintenance is complete" if record.is_maintenance else "incident has been resolved"
            message = args.message or f"This {kind}."
        else:
            status, message = args.status, args.message
        edit.append_update(path, status, message, at)
        done = f"Updated {path}: {status} at {edit.format_time(at)}"
    if not args.quiet:
        print(f"{done} in {time.perf_counter() - started:.2f} s")
        if args.verbose:
            print(path.read_text(encoding="utf-8"), end="")
    return EXIT_OK


def cmd_probe(args: argparse.Namespace) -> int:
    """One probe run. The environment is read here and handed down: header secrets live only in memory."""
    from .probe import probe

    if args.keep_months < 1:
        raise EditError(f"--keep-months {args.keep_months} keeps nothing (expected 1 or more)")
    report = probe(args.site, resolve_now(args.now), dict(os.environ), keep_months=args.keep_months)
    if not args.quiet:
        for o in report.outcomes:
            print(f"{o.check.id}: {o.result}, {o.detail}")
        for action in report.actions:
            print(action)
    return EXIT_OK


def cmd_notify(args: argparse.Namespace) -> int:
    """Post what is new; exit 1 when a webhook still failed after its retries (the next run tries again)."""
    from .notify import notify

    report = notify(
        args.site,
        dict(os.environ),
        since=args.since,
        previous=args.previous,
        record_file=args.record,
        timeout=args.timeout,
        retries=max(0, args.retries),
        backoff=max(0.0, args.backoff),
        dry_run=args.dry_run,
        log=(lambda line: None) if args.quiet else print,
    )
    if not args.quiet:
        verb = "Would post" if args.dry_run else "Posted"
        for line in report.posted:
            print(f"{verb} {line}")
        print(f"{verb} {len(report.posted)}, already delivered {report.skipped}, failed {len(report.failed)}")
    for line in report.failed:
        print(f"Error: {line}", file=sys.stderr)
    return EXIT_INVALID if report.failed else EXIT_OK


def default_impact(components: Sequence[tuple[str, ComponentStatus]]) -> Impact:
    """Without --impact: major for a major outage, minor for anything less, none without components."""
    statuses = {status for _, status in components}
    if ComponentStatus.MAJOR_OUTAGE in statuses:
        return Impact.MAJOR
    return Impact.MINOR if statuses else Impact.NONE


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
