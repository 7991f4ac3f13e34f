"""Files that hold customer data are created readable and writable by their owner only, written
whole or not at all, in places checked before the work starts.

Every writer of snapshots, exports, reports and generated tenants goes through these functions,
so the rules live in one place: :func:`open_private` / :func:`touch_private` (mode 0600),
:func:`write_whole` (through a temporary name; a failure is one line, never a traceback), and
:func:`check_folder` / :func:`check_file`, which say what is wrong with an output location
before minutes of work, creating nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pandas as pd

from titanaudit.errors import ConfigError

__all__ = [
    "PRIVATE_MODE",
    "cannot_write",
    "check_file",
    "check_folder",
    "make_folder",
    "open_private",
    "safe_cell",
    "safe_column",
    "touch_private",
    "whole",
    "write_whole",
]

PRIVATE_MODE = 0o600


def open_private(path: Path, mode: str = "w", *, newline: str | None = None) -> IO[str]:
    """Open ``path`` for writing text, truncating it, with mode 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    os.fchmod(fd, PRIVATE_MODE)
    return os.fdopen(fd, mode, encoding="utf-8", newline=newline)


def touch_private(path: Path) -> None:
    """Create ``path`` if missing and make it owner-only (for files another library opens)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    finally:
        os.close(fd)


def write_whole(
    path: Path, write: Callable[[IO[str]], object], *, newline: str | None = None
) -> Path:
    """Call ``write`` on a private file under a temporary name beside ``path``, then put it in
    place, so ``path`` holds the whole of it or what it held before. A failure (a full disk, a
    folder that went away) is a :class:`ConfigError` naming ``path``. Missing folders above it
    are created."""
    with whole(path) as partial:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open_private(partial, newline=newline) as handle:
            write(handle)
    return path


@contextlib.contextmanager
def whole(path: Path) -> Iterator[Path]:
    """The temporary name to write ``path`` under (for writers that take a path): put in place
    when the block ends, removed when it fails (Ctrl-C, a value that cannot be written, a full
    disk: an ``OSError`` becomes one :class:`ConfigError` naming ``path``)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def cannot_write(path: Path, exc: OSError) -> ConfigError:
    """The one-line error for a failed write of ``path``."""
    return ConfigError(f"cannot write {path}: {_reason(exc)}")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)


def _writable(folder: Path) -> str | None:
    """Why files cannot be created in the existing folder ``folder`` (None: they can)."""
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    with contextlib.suppress(OSError):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "the file system is read-only"
    return "permission denied"


def _nearest(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_folder(out: Path, *, option: str = "--out") -> Path:
    """Check that ``out`` is a folder files can be written into, or can be created: a one-line
    :class:`ConfigError` otherwise. Creates nothing, so a command that fails later leaves no
    empty folder behind."""
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"{out} is a file: give {option} a folder to write into")
        why = _writable(out)
        if why:
            raise ConfigError(f"cannot write into folder {out}: {why}")
        return out
    _creatable(out, f"cannot create folder {out}")
    return out


def _creatable(path: Path, said: str) -> None:
    """Raise ``said`` and why unless ``path`` (missing) can be made under its nearest ancestor
    that exists."""
    parent = _nearest(path.parent)
    if not parent.is_dir():
        raise ConfigError(f"{said}: {parent} is a file, not a folder")
    why = _writable(parent)
    if why:
        raise ConfigError(f"{said} in {parent}: {why}")


def make_folder(out: Path, *, option: str = "--out") -> Path:
    """:func:`check_folder`, then create it (with its parents) if missing."""
    check_folder(out, option=option)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create folder {out}: {_reason(exc)}") from None
    return out


def check_file(path: Path, *, option: str = "--out") -> Path:
    """Check that a file can be written at ``path`` (its folder may still have to be created):
    a one-line :class:`ConfigError` otherwise. Creates nothing."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: give {option} a file name")
    _creatable(path, f"cannot write {path}")
    return path


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text starting with ``= + - @`` (or a
    tab or carriage return) gets a leading apostrophe. Numbers and missing values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_column(values: pd.Series) -> pd.Series:
    """:func:`safe_cell` over a column, looking only at the cells that need it (a million rows
    in a fraction of a second; mapping every cell through Python took seconds)."""
    try:
        risky = values.str.startswith(FORMULA_STARTS)
    except AttributeError:  # no strings at all in the column
        return values
    mask = risky.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return values
    out = values.astype(object)
    out[mask] = ["'" + v for v in out[mask]]
    return out
