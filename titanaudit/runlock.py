"""One run at a time on a snapshot: a lock file beside it.

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on
``SNAPSHOT.lock``, so it goes away with the process that held it, however that process ended:
a run killed with ``kill -9`` or by a reboot leaves the file but not the lock, and the next run
takes it over and says so. While held, the file says who holds it (process id, host, start
time), which a second run reports when it gives up waiting; a run that lets go removes it (and
a waiter that then holds the removed file's lock notices and locks the new file instead).

Libraries such as ``filelock`` truncate the lock file when they open it, which would erase the
holder's note for every run that merely waits; hence these few lines of our own.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from titanaudit.errors import BusyError, ConfigError

__all__ = ["Holder", "hold", "lock_path"]


def lock_path(snapshot: Path) -> Path:
    """The lock file of ``snapshot``: ``tenant.sqlite`` → ``tenant.sqlite.lock``."""
    return snapshot.with_name(snapshot.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who took a lock: ``pid`` on ``host`` at ``since`` (ISO time), running ``command``."""

    pid: int
    host: str
    since: str
    command: str

    def said(self) -> str:
        return f"process {self.pid} on {self.host} ({self.command}), started {self.since}"


def _me(command: str, now: datetime) -> Holder:
    return Holder(os.getpid(), socket.gethostname(), now.isoformat(timespec="seconds"), command)


def _read(handle: IO[str]) -> Holder | None:
    handle.seek(0)
    with contextlib.suppress(ValueError, TypeError, KeyError, OSError):
        note = json.loads(handle.read() or "null")
        return Holder(int(note["pid"]), str(note["host"]), str(note["since"]), str(note["command"]))
    return None


def _open(path: Path) -> IO[str]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
    return os.fdopen(fd, "r+", encoding="utf-8")


def _same_file(handle: IO[str], path: Path) -> bool:
    """Is the locked ``handle`` still the file at ``path`` (not one a holder removed)?"""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except OSError:
        return False


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(1 << 20)  # a byte past the note, so the note stays readable to waiters
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def hold(
    snapshot: Path,
    *,
    command: str,
    wait: float = 600.0,
    on_wait: Callable[[Holder | None], None] | None = None,
    on_stale: Callable[[Holder], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[Holder]:
    """Hold ``snapshot``'s lock for the block. While another process holds it, wait up to
    ``wait`` seconds (``on_wait`` hears once who holds it), then raise
    :class:`~titanaudit.errors.BusyError` naming the holder. A note left by a run that ended
    without letting go is reported to ``on_stale`` and taken over. Yields this run's
    :class:`Holder`."""
    path = lock_path(snapshot)
    deadline, told = clock() + wait, False
    while True:
        handle = _open(path)
        if _try_lock(handle):
            if _same_file(handle, path):
                break
            handle.close()  # the holder removed that file as it let go: lock the new one
            continue
        try:
            if not told and on_wait is not None:
                on_wait(_read(handle))
            told = True
            if clock() >= deadline:
                holder = _read(handle)
                who = holder.said() if holder else "another process"
                raise BusyError(
                    f"{snapshot} is in use by {who}; waited {wait:g} s. Let that run "
                    "finish, or stop it, and run this again"
                )
        finally:
            handle.close()
        sleep(min(1.0, max(0.05, wait / 20)))
    with handle:
        left = _read(handle)
        if left is not None and on_stale is not None:
            on_stale(left)  # held by nobody, yet its note is there: that run ended abruptly
        me = _me(command, now())
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me.__dict__))
        handle.flush()
        try:
            yield me
        finally:
            handle.seek(0)
            handle.truncate()  # no note left where the file cannot be removed while open
            handle.flush()
            with contextlib.suppress(OSError):  # removed while held, so nothing is left behind
                path.unlink()
