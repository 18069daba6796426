"""Writing outputs safely: rendered in memory, then a temporary file, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from procuregen.errors import Location, OutputError, Problem


def _refuse(path: Path, message: str) -> OutputError:
    return OutputError(Problem(Location(str(path)), message))


def _temporary(path: Path, content: bytes) -> Path:
    """Write `content` to a new temporary file beside `path`, flushed to disk."""
    folder = path.parent if str(path.parent) else Path()
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _refuse(path, f"cannot write to {folder}: {exc.strerror}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # as a plain open() would create it
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise _refuse(path, f"cannot write: {exc.strerror}") from None
    return Path(name)


def write_new(path: Path, content: bytes) -> None:
    """Create `path` with `content`; refuse if anything (file or link) is already there."""
    if path.is_symlink() or path.exists():
        raise _refuse(path, "already exists; not overwritten")
    temporary = _temporary(path, content)
    try:
        os.link(temporary, path)  # fails if the name appeared meanwhile: never overwrites
    except FileExistsError:
        raise _refuse(path, "already exists; not overwritten") from None
    except OSError as exc:
        raise _refuse(path, f"cannot write: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a target that is a link, or that exists when --force was not given."""
    if path.is_symlink():
        raise _refuse(path, "is a symbolic link; refusing to write through it")
    if path.exists() and not force:
        raise _refuse(path, "already exists; use --force to replace it")
    if path.exists() and not path.is_file():
        raise _refuse(path, "exists and is not a regular file")


def write_all(outputs: dict[Path, bytes], *, force: bool) -> None:
    """Write every output, or none: all targets are checked before the first is replaced."""
    for path in outputs:
        check_target(path, force=force)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in outputs.items():
            staged.append((_temporary(path, content), path))
        for temporary, path in staged:
            temporary.replace(path)
    except OSError as exc:
        where = Location(str(staged[-1][1] if staged else next(iter(outputs))))
        raise OutputError(Problem(where, f"cannot write: {exc.strerror}")) from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
