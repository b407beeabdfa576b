"""Put a finished `{path: bytes}` tree on disk, all at once or not at all.

The new tree is written into a sibling temporary folder and then swapped in,
so a reader (or a deploy) never sees half a site and a failed or killed build
leaves the previous output exactly as it was. Files whose bytes did not change
are hard-linked from the previous output, so they keep their mtime and
rsync/`aws s3 sync`-style deploys move only what changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .model import BuildError

RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class WriteResult:
    files: int
    written: int
    bytes: int


def check_output_path(rel: str) -> None:
    """Refuse any output path that could land outside the output folder."""
    pure = PurePosixPath(rel)
    if not rel or "\\" in rel or "\0" in rel or pure.is_absolute() or ".." in pure.parts or rel != pure.as_posix():
        raise BuildError(f"refusing to write '{rel}': not a plain relative path inside the output folder")


def _temp_prefix(out: Path) -> str:
    return f".{out.name}.tmp-"


def _old_prefix(out: Path) -> str:
    return f".{out.name}.old-"


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """One build per output folder at a time; a second waits rather than interleaving."""
    if sys.platform == "win32":  # pragma: no cover - no fcntl; concurrent builds are the user's care there
        yield
        return
    import fcntl

    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def recover(out: Path) -> None:
    """Finish or undo what a killed build left: restore a swapped-out tree, drop temp folders."""
    parent = out.parent
    if not parent.is_dir():
        return
    olds = sorted(p for p in parent.iterdir() if p.name.startswith(_old_prefix(out)))
    if not out.exists() and olds:
        os.rename(olds[-1], out)  # killed between the two renames of the fallback swap
        olds = olds[:-1]
    for leftover in [*olds, *(p for p in parent.iterdir() if p.name.startswith(_temp_prefix(out)))]:
        shutil.rmtree(leftover, ignore_errors=True)


def _refuse_unsafe_target(out: Path, site_root: Path | None) -> None:
    resolved = out.resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise BuildError(f"refusing to replace {out}: choose a dedicated output folder with -o")
    if site_root is not None and site_root.resolve().is_relative_to(resolved):
        raise BuildError(f"refusing to replace {out}: it contains the site itself (expected e.g. -o _site)")
    if resolved.is_dir() and any(resolved.iterdir()) and not (resolved / "index.html").is_file():
        raise BuildError(
            f"refusing to replace {out}: it is not empty and holds no previous build "
            "(expected an empty folder or an earlier statuspage output)"
        )


def _same_bytes(old: Path, data: bytes) -> bool:
    try:
        if old.is_symlink() or old.stat().st_size != len(data):
            return False
        return old.read_bytes() == data
    except OSError:
        return False


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp)  # tmp now holds the previous tree
        return
    old = Path(tempfile.mkdtemp(prefix=_old_prefix(out), dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    os.rename(tmp, out)  # a kill between these two is undone by recover()
    shutil.rmtree(old)


def write_tree(out: Path, files: Mapping[str, bytes], site_root: Path | None = None) -> WriteResult:
    """Replace `out` with exactly `files`; on any error the previous `out` is untouched."""
    out = Path(os.path.abspath(out))
    for rel in files:
        check_output_path(rel)
    _refuse_unsafe_target(out, site_root)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _lock(out):
            recover(out)
            tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out), dir=out.parent))
            try:
                mask = os.umask(0)
                os.umask(mask)
                tmp.chmod(0o777 & ~mask)  # mkdtemp makes 0700; web servers need to read it
                written = _fill(tmp, out, files)
                _swap(tmp, out)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise BuildError(
            f"cannot write the output folder: {error.strerror or error}{where}; the previous output is unchanged"
        ) from error
    return WriteResult(files=len(files), written=written, bytes=sum(len(d) for d in files.values()))


def _fill(tmp: Path, out: Path, files: Mapping[str, bytes]) -> int:
    """Write every file into `tmp`, linking unchanged ones from `out`; return how many were written."""
    written = 0
    made: set[Path] = set()
    for rel in sorted(files):
        data = files[rel]
        target = tmp / rel
        if target.parent not in made:
            # No resolve() check here: check_output_path refused every path with '..' or a root,
            # and `tmp` is a fresh folder that only these mkdirs fill, with no link in it to follow.
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        old = out / rel
        if _same_bytes(old, data):
            try:
                os.link(old, target)
                continue
            except OSError:
                pass  # another file system, or links unsupported: write a copy
        target.write_bytes(data)
        written += 1
    return written
