"""Writing outputs: rendered in memory, staged beside their targets, placed as one set.

A run sweeps its folder of the temporary files killed runs left (`staging.sweep`), writes
every output of the set to a locked temporary file with fsync (`staging.stage`), then,
holding the folder's lock (`folder_lock`), checks the targets again and places the set in
its order (for a spec: DOCX, PDF, then the manifest):

- Without --force each target is created by a hard link from its temporary file, which
  fails if the name exists: an existing file is never replaced, even by a run that passed
  the check at the same moment. Where the filesystem has no hard links, the name is
  claimed with O_EXCL and the temporary file renamed over that empty claim.
- With --force the old set's other files are removed (last first, and an old manifest
  when this run writes none), the first file is replaced by one rename, then the others
  are added: at any moment, even after a SIGKILL, the folder holds a subset of one run's
  set and never a mix of two runs.
- If a file cannot be placed, the files this run placed are removed again.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from procuregen.errors import Location, OutputError, Problem
from procuregen.folder_lock import folder_lock
from procuregen.staging import Staged, stage, sweep

REPLACE_HINT = "already exists; use --force to replace it"
NOT_OVERWRITTEN = "already exists; not overwritten"
# What link() says where a filesystem has no hard links (vfat, exfat, some FUSE mounts).
NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


def _refuse(path: Path, message: str) -> OutputError:
    return OutputError(Problem(Location(str(path)), message))


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a target that is a link, or that exists when --force was not given."""
    if path.is_symlink():
        raise _refuse(path, "is a symbolic link; refusing to write through it")
    if path.exists() and not force:
        raise _refuse(path, REPLACE_HINT)
    if path.exists() and not path.is_file():
        raise _refuse(path, "exists and is not a regular file")


def _check_new(path: Path) -> None:
    if path.is_symlink() or path.exists():
        raise _refuse(path, NOT_OVERWRITTEN)


def create_folder(folder: Path) -> None:
    """Create `folder` and its parents if they do not exist; an OutputError if it cannot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refuse(folder, f"cannot create the folder: {exc.strerror}") from None


def write_new(path: Path, content: bytes) -> None:
    """Create `path` with `content`; refuse if anything (file or link) is already there."""
    _write_set({path: content}, force=False, check=_check_new, exists=NOT_OVERWRITTEN, covers=())


def write_all(outputs: Mapping[Path, bytes], *, force: bool, covers: Sequence[Path] = ()) -> None:
    """Write the outputs of one run, all in one folder, as a set in their order: all or none,
    and never beside files of another run placed at the same time.

    `covers` names a file of the set this run does not write (a manifest not asked for this
    time): with --force it is removed before anything is placed, since it would describe
    files this run replaces. Without --force nothing is replaced, so it is left alone.
    """

    def check(path: Path) -> None:
        check_target(path, force=force)

    _write_set(
        outputs, force=force, check=check, exists=REPLACE_HINT, covers=covers if force else ()
    )


def _write_set(
    outputs: Mapping[Path, bytes],
    *,
    force: bool,
    check: Callable[[Path], None],
    exists: str,
    covers: Sequence[Path],
) -> None:
    if not outputs:
        return
    folders = {path.parent for path in (*outputs, *covers)}
    if len(folders) != 1:
        raise ValueError(f"the outputs of one set share one folder, not {sorted(folders)}")
    folder = folders.pop()
    sweep(folder)
    for path in (*outputs, *covers):
        check(path)  # before the work of staging: the common refusal, early
    staged: list[Staged] = []
    try:
        for path, content in outputs.items():
            staged.append(stage(path, content))
        with folder_lock(folder):
            for path in (*outputs, *covers):
                check(path)  # again: another run may have placed its set meanwhile
            if force:
                _replace(staged, covers)
            else:
                _create(staged, exists)
    finally:
        for item in staged:
            item.discard()
    _sync(folder)


def _create(staged: Sequence[Staged], exists: str) -> None:
    """Create every target, or, if one cannot be, remove the ones created before it."""
    placed: list[Staged] = []
    try:
        for item in staged:
            _link(item, exists)
            placed.append(item)
    except BaseException:
        for item in reversed(placed):
            _unplace(item)
        raise


def _replace(staged: Sequence[Staged], covers: Sequence[Path]) -> None:
    """Remove the old set but its first file, replace that by rename, then add the rest."""
    first, *rest = staged
    for path in (*covers, *(item.target for item in reversed(rest))):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _refuse(path, f"cannot replace: {exc.strerror}") from None
    try:
        first.path.replace(first.target)
    except OSError as exc:
        raise _refuse(first.target, f"cannot write: {exc.strerror}") from None
    try:
        _create(rest, REPLACE_HINT)  # exists only if a program outside procuregen made it
    except BaseException:
        _unplace(first)
        raise


def _link(item: Staged, exists: str) -> None:
    try:
        os.link(item.path, item.target)
    except FileExistsError:
        raise _refuse(item.target, exists) from None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise _refuse(item.target, f"cannot write: {exc.strerror}") from None
        _claim_and_rename(item, exists)


def _claim_and_rename(item: Staged, exists: str) -> None:
    """Without hard links: claim the name with O_EXCL, then rename the full file over the
    empty claim, so the target is never a partly written file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        os.close(os.open(item.target, flags, 0o666))
    except FileExistsError:
        raise _refuse(item.target, exists) from None
    except OSError as exc:
        raise _refuse(item.target, f"cannot write: {exc.strerror}") from None
    try:
        item.path.rename(item.target)
    except OSError as exc:
        with suppress(OSError):
            item.target.unlink()
        raise _refuse(item.target, f"cannot write: {exc.strerror}") from None


def _unplace(item: Staged) -> None:
    """Remove a placed target, if the name still holds this run's bytes."""
    with suppress(OSError):
        now = item.target.lstat()
        if (now.st_dev, now.st_ino) == item.identity():
            item.target.unlink()


def _sync(folder: Path) -> None:
    """Flush the folder's entries, so the new names survive a power cut too."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems do not sync folders; the files themselves are synced
    finally:
        os.close(descriptor)
