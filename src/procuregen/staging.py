"""Temporary files beside their target, locked while a run writes them; stale ones swept.

A staged file is named `.TARGET.procuregen-XXXXXXXX.tmp` and holds an exclusive flock
from before its first byte until it has been placed and unlinked. A run killed with
SIGKILL leaves it behind, but the kernel drops the lock with the process, so the next
run in that folder can tell a stale temporary file (it can take the lock) from one a live
run is still writing (it cannot), and removes only the stale ones. A lock held by the
process, not a pid in the name: pids are reused, and differ between containers that
share a folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from procuregen.errors import Location, OutputError, Problem

# Filesystems where flock is not available (some FUSE and network mounts): a staged file
# is then written unlocked, and no sweep ever removes one, since it cannot tell.
NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})

_MARK = "procuregen"
_STAGED_NAME = re.compile(rf"\..+\.{_MARK}-[0-9a-f]{{8}}\.tmp")
_ATTEMPTS = 100  # random names that collide, or sweeps that win, this often: give up
_TARGET_NAME_MAX = 200  # leaves room for the mark within a filesystem's 255-byte names


@dataclass(frozen=True)
class Staged:
    """One output written in full to its temporary file, which this process holds locked."""

    target: Path
    path: Path
    descriptor: int

    def identity(self) -> tuple[int, int]:
        """Device and inode of the staged bytes: what a placed target must still be."""
        info = os.fstat(self.descriptor)
        return info.st_dev, info.st_ino

    def discard(self) -> None:
        """Unlink the temporary name (the target keeps the bytes if they were placed), then
        release the lock: unlinked first, so no sweep ever sees it unlocked."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass  # renamed into place where hard links are not available
        finally:
            os.close(self.descriptor)


def stage(target: Path, content: bytes) -> Staged:
    """Write `content` to a new, locked temporary file beside `target`, flushed to disk."""
    folder = target.parent
    for _ in range(_ATTEMPTS):
        path = folder / f".{target.name[:_TARGET_NAME_MAX]}.{_MARK}-{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            descriptor = os.open(path, flags, 0o666)  # the umask applies, as to open()
        except FileExistsError:
            continue
        except OSError as exc:
            raise _refuse(target, f"cannot write to {folder}: {exc.strerror}") from None
        try:
            locked = _lock(descriptor, target)
        except BaseException:
            Staged(target, path, descriptor).discard()
            raise
        if locked:
            break
        os.close(descriptor)  # a sweep took it between its creation and our lock: again
    else:
        raise _refuse(target, f"cannot create a temporary file in {folder}")
    staged = Staged(target, path, descriptor)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    except BaseException as exc:
        staged.discard()  # also on Ctrl-C: a failed write leaves no temporary file
        if isinstance(exc, OSError):
            raise _refuse(target, f"cannot write: {exc.strerror}") from None
        raise
    return staged


def _lock(descriptor: int, target: Path) -> bool:
    """Lock a file just created; False if a sweep removed it before the lock was ours."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError as exc:
        if exc.errno not in NO_LOCKS:
            raise _refuse(target, f"cannot lock a temporary file: {exc.strerror}") from None
        return True
    return os.fstat(descriptor).st_nlink > 0


def sweep(folder: Path) -> list[Path]:
    """Remove the staged files in `folder` that no live process holds; return them."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return []  # the write that follows reports the folder, located
    removed = []
    for name in sorted(names):
        if _STAGED_NAME.fullmatch(name) and _remove_if_stale(folder / name):
            removed.append(folder / name)
    return removed


def _remove_if_stale(path: Path) -> bool:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return False  # gone already, or a link or something else that is not ours
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live run holds it, or locks are not available: leave it
        now = path.lstat()
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
            return False
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)


def _refuse(path: Path, message: str) -> OutputError:
    return OutputError(Problem(Location(str(path)), message))
