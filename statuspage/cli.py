"""The `statuspage` command: argument parsing, the clock, exit codes.

Only this module reads the clock and the environment; everything below takes
`now` as an argument, which is what makes builds reproducible.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .model import BuildError, SiteError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

EPILOG_MAIN = """\
examples:
  statuspage check                 validate ./statuspage.yaml and ./incidents/*.yaml
  statuspage build -o public       render the site into ./public
  statuspage serve                 preview on http://127.0.0.1:8000/

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
        sub: Parser = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("-q", "--quiet", action="store_true", help="print only errors")
        sub.add_argument("-v", "--verbose", action="store_true", help="print more detail")
        return sub

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
    now_arg(build)

    check = command(
        "check", "Validate every file and render in memory; write nothing.", "statuspage check my-status-site"
    )
    site_arg(check)
    now_arg(check)

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
    return parser


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

            return serve(args.site, args.port, args.now, quiet=args.quiet)
    except SiteError as error:
        print(error.report(), file=sys.stderr)
        return EXIT_INVALID
    except BuildError as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("Interrupted; the previous output is unchanged.", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    started = time.perf_counter()
    out = args.output if args.output is not None else args.site / "_site"
    built, result = build(args.site, out, resolve_now(args.now))
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
    built = check(args.site, resolve_now(args.now))
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


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
