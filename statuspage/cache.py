"""A content-addressed cache of validated records and rendered pages, so a rebuild redoes only what changed.

Entries are keyed by a hash of *everything* that made them (file bytes, theme files,
site settings, the build moment, our own code), never by names or mtimes, so an
entry is either exactly right or never looked up: the cache can be slow, never stale.
It lives in one SQLite file per output folder in the user's cache folder (never in the
site, where a pull request could plant one, nor in the output, which a deploy uploads);
deleting it only costs one slow build. Entries this build did not use are dropped at
the end, so the file never grows beyond one site's worth.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from . import __version__

# Libraries whose output lands in pages: an upgrade (new date formats, sanitiser rules) must miss.
LIBRARIES = ("jinja2", "markdown", "nh3", "babel", "feedgen", "icalendar", "pyyaml", "markupsafe")


@functools.cache
def _code() -> bytes:
    """Our own source and the libraries' versions: a changed renderer must not reuse the old one's pages."""
    package = Path(__file__).parent
    h = hashlib.blake2b(b"".join(p.read_bytes() for p in sorted(package.glob("*.py"))))
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=?;".encode())
    return h.digest()


def digest(*parts: bytes | str) -> bytes:
    """One key from many parts; lengths are mixed in, so ("ab", "c") and ("a", "bc") differ."""
    h = hashlib.blake2b(__version__.encode() + _code(), digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


def files_digest(paths: Iterable[Path]) -> bytes:
    """Key of a set of files by name and bytes: a theme, for pages rendered with it."""
    parts: list[bytes | str] = []
    for path in sorted(paths):
        parts += [path.as_posix(), path.read_bytes()]
    return digest(*parts)


class Cache:
    """Key → bytes in SQLite, remembering which keys this build used, for `prune`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.used: set[bytes] = set()
        self.hits = self.misses = 0
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError:  # a damaged or foreign file: start afresh, it is only a cache
            try:
                path.unlink(missing_ok=True)
                self._db = self._open(path)
            except (sqlite3.Error, OSError):  # full disk, no permission: build without a lasting cache
                self._db = self._open(":memory:")

    def _open(self, path: Path | str) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")  # losing the cache in a crash costs a slow build, nothing more
        db.execute("CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, data BLOB NOT NULL)")
        return db

    def get_many(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """The entries found among `keys`; one query per thousand keys, not one per key."""
        wanted = list(dict.fromkeys(keys))
        found: dict[bytes, bytes] = {}
        for i in range(0, len(wanted), 900):  # SQLite's default limit is 999 parameters
            chunk = wanted[i : i + 900]
            marks = ",".join("?" * len(chunk))
            try:
                found.update(self._db.execute(f"SELECT key, data FROM entries WHERE key IN ({marks})", chunk))
            except sqlite3.Error:  # damaged, or locked by a concurrent build: a miss, never a failed build
                break
        self.used.update(wanted)
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, entries: dict[bytes, bytes]) -> None:
        self.used.update(entries)
        with contextlib.suppress(sqlite3.Error):  # a full disk must fail in write.py, with its clear message
            self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", entries.items())

    def prune(self) -> None:
        """Drop every entry this build did not ask for, then commit."""
        with contextlib.suppress(sqlite3.Error):  # it is only a cache: never fail a good build over it
            self._prune()

    def _prune(self) -> None:
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key BLOB PRIMARY KEY)")
        self._db.execute("DELETE FROM used")
        self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.used))
        self._db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
        self._db.commit()

    def close(self) -> None:
        """Commit and close; a cache that cannot be saved (disk full) is dropped, never raised over the
        build's own error (issue 8: a full disk gives one clear message, not a traceback)."""
        with contextlib.suppress(sqlite3.Error):
            self._db.commit()
        self._db.close()
