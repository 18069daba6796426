"""One run at a time places outputs in a folder: an flock on FOLDER/.procuregen.lock.

The lock file exists only while a run holds it, so it is never left among a user's
outputs (nor after a SIGKILL for longer than the next run: the kernel drops the lock with
the process, and the next holder removes the file). Removing a lock file is safe only
when a waiter can tell that the file it locked is no longer the one at the name: each
holder checks that the name still leads to the inode it locked, and starts again if not.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from procuregen.errors import Location, OutputError, Problem
from procuregen.staging import NO_LOCKS

LOCK_NAME = ".procuregen.lock"


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock within the block; without flock support, hold nothing."""
    path = folder / LOCK_NAME
    descriptor = _acquire(path)
    try:
        yield
    finally:
        if descriptor is not None:
            with suppress(OSError):
                path.unlink()  # before the unlock: a waiter then finds the name gone
            os.close(descriptor)


def _acquire(path: Path) -> int | None:
    while True:
        # Read and write: flock over NFS is a POSIX lock, which needs a writable file.
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            descriptor = os.open(path, flags, 0o666)
        except OSError as exc:
            raise _refuse(path, f"cannot lock the folder: {exc.strerror}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(descriptor)
            if exc.errno in NO_LOCKS:
                with suppress(OSError):
                    path.unlink()
                return None
            raise _refuse(path, f"cannot lock the folder: {exc.strerror}") from None
        if _still_named(descriptor, path):
            return descriptor
        os.close(descriptor)  # the holder before us removed it: lock the new one


def _still_named(descriptor: int, path: Path) -> bool:
    try:
        now = path.lstat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _refuse(path: Path, message: str) -> OutputError:
    return OutputError(Problem(Location(str(path)), message))
