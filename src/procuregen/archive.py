"""Zip packages (DOCX) read within bounds, so that a forged package cannot exhaust memory.

A DOCX is a zip anyone can forge: a template from a fork, a document handed to `verify`
or `diff`. Nothing in it is trusted:

- Before anything is inflated, its central directory is checked: the directory itself
  is at most `MAX_DIRECTORY` bytes (read from the end record, before Python's zipfile
  builds an object per entry), at most `MAX_ENTRIES` entries, names that stay inside
  the package and occur once (OPC part names ignore case), each entry stored or
  deflated (as OPC allows) and not encrypted, none larger than `MAX_ENTRY`
  uncompressed, `MAX_TOTAL` in all, none above `RATIO_FLOOR` compressed more than
  `MAX_RATIO` to one.
- The directory can lie, so the bounds hold while inflating too: an entry is inflated in
  chunks and refused as soon as it gives more than its directory entry declared, more
  than the caller's limit, or the package more than `MAX_TOTAL` in all. (zipfile also
  stops at the declared size and then fails the CRC check.)

Every refusal is a located problem naming the package and the entry.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from procuregen.errors import Location, Problem, ProcuregenError

MAX_ENTRIES = 1_000
MAX_ENTRY = 50 * 1024 * 1024
MAX_TOTAL = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # smaller entries cannot be bombs; XML compresses up to ~40:1
MAX_DIRECTORY = 1024 * 1024  # 1,000 entries with ordinary names take about 100 KB
_CHUNK = 64 * 1024
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_END = b"PK\x05\x06"  # end of central directory record
_END64 = b"PK\x06\x06"  # its Zip64 form, just before the Zip64 locator
_END_SEARCH = 22 + 65_535  # the end record and the longest comment it may carry


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class BoundedZip:
    """A zip package whose central directory is within bounds; read its entries with `read`."""

    def __init__(
        self,
        package: zipfile.ZipFile,
        stream: BinaryIO,
        where: Location,
        error: type[ProcuregenError],
    ) -> None:
        self._package = package
        self._stream = stream  # zipfile leaves a stream it was given open
        self._where = where
        self._error = error
        self._inflated = 0  # over every entry read: MAX_TOTAL holds while reading too

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._package.close()
        self._stream.close()

    def infos(self) -> list[zipfile.ZipInfo]:
        """The entries that are files, in the package's order."""
        return [info for info in self._package.infolist() if not info.is_dir()]

    def names(self) -> list[str]:
        return [info.filename for info in self.infos()]

    def _fail(self, message: str) -> ProcuregenError:
        return self._error(Problem(self._where, message))

    def read(self, name: str, limit: int = MAX_ENTRY) -> bytes:
        """The bytes of entry `name`, never more than its directory entry declares, nor
        than `limit`, nor more than MAX_TOTAL over the package; else the error class."""
        try:
            info = self._package.getinfo(name)
        except KeyError:
            raise self._fail(f"{name}: no such part in the package") from None
        if info.file_size > limit:
            raise self._fail(
                f"{name}: {megabytes(info.file_size)} uncompressed; "
                f"at most {megabytes(limit)} for this part"
            )
        chunks: list[bytes] = []
        size = 0
        try:
            with self._package.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    self._inflated += len(chunk)
                    if size > info.file_size:
                        raise self._fail(
                            f"{name}: inflates to more than the {info.file_size} bytes "
                            "its directory entry declares (a zip bomb?)"
                        )
                    if self._inflated > MAX_TOTAL:
                        raise self._fail(
                            f"more than {megabytes(MAX_TOTAL)} uncompressed in all (a zip bomb?)"
                        )
                    chunks.append(chunk)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            ValueError,
            RuntimeError,
            NotImplementedError,
        ) as exc:
            raise self._fail(f"{name}: cannot be read: {exc}") from None
        return b"".join(chunks)


def open_zip(source: bytes | Path, where: Location, error: type[ProcuregenError]) -> BoundedZip:
    """The package at `source` (bytes, or a file), checked from its central directory
    before anything is inflated; raise `error` naming every bound it breaks."""
    try:
        stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    except OSError as exc:
        raise error(Problem(where, f"cannot read: {exc.strerror or exc}")) from None
    try:
        directory = _directory_size(stream)
        if directory is not None and directory > MAX_DIRECTORY:
            raise error(
                Problem(
                    where,
                    f"a zip directory of {megabytes(directory)}; at most "
                    f"{megabytes(MAX_DIRECTORY)} (more than {MAX_ENTRIES} entries?)",
                )
            )
        stream.seek(0)
        package = zipfile.ZipFile(stream)
        problems = directory_problems(where, package.infolist())
        if problems:
            package.close()
            raise error(problems)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        stream.close()
        raise error(Problem(where, f"not a zip package (DOCX): {exc}")) from None
    except ProcuregenError:
        stream.close()
        raise
    return BoundedZip(package, stream, where, error)


def _directory_size(stream: BinaryIO) -> int | None:
    """The central directory's size as the end record states it; None when there is no
    end record (zipfile then says what is wrong)."""
    stream.seek(0, io.SEEK_END)
    length = stream.tell()
    start = max(0, length - _END_SEARCH - 76)  # room for the Zip64 record and locator
    stream.seek(start)
    tail = stream.read()
    end = tail.rfind(_END)
    if end < 0 or end + 22 > len(tail):
        return None
    size = int.from_bytes(tail[end + 12 : end + 16], "little")
    if size != 0xFFFFFFFF:
        return size
    # Zip64: the record sits before the 20-byte locator that precedes the end record.
    record = end - 20 - 56
    if record < 0 or tail[record : record + 4] != _END64:
        return None
    return int.from_bytes(tail[record + 40 : record + 48], "little")


def directory_problems(where: Location, infos: Sequence[zipfile.ZipInfo]) -> list[Problem]:
    """What is wrong with a package's shape, from its central directory alone."""

    def problem(message: str) -> Problem:
        return Problem(where, message)

    if len(infos) > MAX_ENTRIES:
        return [problem(f"has {len(infos)} zip entries; at most {MAX_ENTRIES} are allowed")]
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.filename
        total += info.file_size
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            problems.append(problem(f"{name}: a zip entry name that leaves the package"))
        key = name.casefold()
        if key in seen:
            # Readers disagree on which of two same-named parts they show.
            problems.append(problem(f"{name}: a second zip entry named {seen[key]!r}"))
        seen.setdefault(key, name)
        if info.flag_bits & 0x1:
            problems.append(problem(f"{name}: encrypted zip entries are refused"))
        if info.compress_type not in _METHODS:
            # zipfile inflates bzip2 and LZMA a whole chunk at a time, without a limit.
            problems.append(
                problem(
                    f"{name}: compression method {info.compress_type} refused; "
                    "a DOCX is stored or deflated"
                )
            )
        if info.file_size > MAX_ENTRY:
            problems.append(
                problem(
                    f"{name}: {megabytes(info.file_size)} uncompressed; "
                    f"at most {megabytes(MAX_ENTRY)} per part (a zip bomb?)"
                )
            )
        elif info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            problems.append(
                problem(f"{name}: compressed {ratio} to 1; at most {MAX_RATIO} to 1 (a zip bomb?)")
            )
    if total > MAX_TOTAL:
        problems.append(
            problem(f"{megabytes(total)} uncompressed in all; at most {megabytes(MAX_TOTAL)}")
        )
    return problems
