"""Compiled Jinja templates cached on disk, content-addressed, owner-only.

Compiling the bundled library's clause templates costs most of a `check`. The
compiled code is kept in the user's cache folder, never beside a library or template
(a library fork must not be able to ship code that would be loaded instead of its
text). Each entry's name is the SHA-256 of everything the compiled code depends on:
the template source, the Jinja and procuregen versions, the Python bytecode tag, the
environment's settings and the source of the module that generates sandbox code. An
entry is loaded only from a folder owned by this user with no group or other
permissions, only if it is a regular file with the same ownership, and only if its
recorded digest matches its content; anything else is a cache miss, never an error.

`PROCUREGEN_CACHE_DIR` names another folder; `PROCUREGEN_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import CodeType

_MAGIC = b"procuregen-jinja-code-1\n"
_DIGEST_SIZE = 32


def default_folder() -> Path | None:
    """The cache folder this process uses, or None when caching is turned off."""
    if os.environ.get("PROCUREGEN_NO_CACHE", "") not in ("", "0"):
        return None
    named = os.environ.get("PROCUREGEN_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "procuregen" / "templates"


class CodeCache:
    """A folder of marshalled code objects named by the SHA-256 of their inputs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._usable: bool | None = None

    def key(self, *parts: str | bytes | None) -> str:
        digest = hashlib.sha256(sys.implementation.cache_tag.encode())
        for part in parts:
            if part is None:
                data = b"\x00none"
            else:
                data = part if isinstance(part, bytes) else part.encode()
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()

    def load(self, key: str) -> CodeType | None:
        if not self._folder_is_private():
            return None
        try:
            descriptor = os.open(self.folder / key, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            info = os.fstat(descriptor)
            if not _private(info) or not stat.S_ISREG(info.st_mode):
                return None
            with os.fdopen(descriptor, "rb", closefd=False) as handle:
                data = handle.read(info.st_size + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        return _decode(data)

    def store(self, key: str, code: CodeType) -> None:
        """Best effort: a cache that cannot be written is only slower."""
        if not self._folder_is_private():
            return
        payload = marshal.dumps(code)
        data = _MAGIC + hashlib.sha256(payload).digest() + payload
        try:
            handle, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                Path(name).replace(self.folder / key)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
        except OSError:
            return

    def _folder_is_private(self) -> bool:
        if self._usable is None:
            self._usable = _make_private_folder(self.folder)
        return self._usable


def _private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & 0o077


def _make_private_folder(folder: Path) -> bool:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _private(info)


def _decode(data: bytes) -> CodeType | None:
    header = len(_MAGIC) + _DIGEST_SIZE
    if not data.startswith(_MAGIC) or len(data) < header:
        return None
    digest, payload = data[len(_MAGIC) : header], data[header:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        code = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None
