"""`python -m statuspage`, the same as the `statuspage` command."""

from .cli import run

run()
