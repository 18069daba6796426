"""Which characters a template's fonts have, asked of fontconfig as WeasyPrint's Pango asks it.

A named family counts with every installed font of that family (any weight or style: Pango
falls back to the regular face for a character the bold one lacks); a generic family
(`serif`) counts as the one font `fc-match` picks for it; an `@font-face` family counts
with its own files. `fc-list` reads fontconfig's cache, so no font file is opened to learn
its coverage; the answers are kept for the life of the process, and nothing runs at import.
"""

from __future__ import annotations

import bisect
import functools
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from procuregen.errors import Location, Problem, RenderError
from procuregen.render.stylesheets import GENERIC_FAMILIES, FontFace, TypeDeclarations

FONTCONFIG_TIMEOUT = 60  # seconds; fontconfig answers from its cache in milliseconds


@dataclass(frozen=True)
class Coverage:
    """A set of code points, as sorted, merged, inclusive ranges."""

    ranges: tuple[tuple[int, int], ...] = ()
    _starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(start for start, _ in self.ranges))

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, int):
            return False
        index = bisect.bisect_right(self._starts, code) - 1
        return index >= 0 and code <= self.ranges[index][1]

    @classmethod
    def parse(cls, charset: str) -> Coverage:
        """A fontconfig charset as `fc-list` prints it: `20-7e a0-17f 2013`."""
        ranges = []
        for item in charset.split():
            start, _, end = item.partition("-")
            ranges.append((int(start, 16), int(end or start, 16)))
        return cls.union([cls(tuple(ranges))])

    @classmethod
    def union(cls, coverages: Iterable[Coverage]) -> Coverage:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(r for c in coverages for r in c.ranges):
            if merged and start <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return cls(tuple(merged))


@dataclass(frozen=True)
class TemplateFonts:
    """The families a template names, which of them are installed, and what they cover."""

    families: tuple[str, ...]  # as the CSS names them, in order
    missing: tuple[str, ...]  # named, but neither installed nor a font file of the template
    coverage: Coverage


def template_fonts(declarations: TypeDeclarations, where: Location) -> TemplateFonts:
    """The coverage of the fonts `declarations` name; `where` locates a fontconfig failure."""
    faces: dict[str, list[FontFace]] = {}
    for face in declarations.faces:
        faces.setdefault(_key(face.family), []).append(face)
    coverages: list[Coverage] = []
    missing: list[str] = []
    try:
        for family in declarations.families:
            if _key(family) in faces:
                coverages += [_face_coverage(face) for face in faces[_key(family)]]
            elif family in GENERIC_FAMILIES:
                coverages.append(_generic_coverage(family))
            elif _key(family) in _installed():
                coverages.append(_installed_coverage(_key(family)))
            else:
                missing.append(family)
    except FontconfigError as error:
        raise RenderError(Problem(where, f"PDF: {error}")) from None
    return TemplateFonts(declarations.families, tuple(missing), Coverage.union(coverages))


class FontconfigError(Exception):
    """fontconfig's programs are missing or do not answer."""


def _key(name: str) -> str:
    """A family name as fontconfig compares it: ignoring case and blanks."""
    return "".join(name.split()).casefold()


def _fontconfig(*args: str) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=FONTCONFIG_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise FontconfigError(
            f"{args[0]} is not installed; procuregen asks fontconfig which characters the "
            "template's fonts have (Debian package fontconfig)"
        ) from None
    except subprocess.TimeoutExpired:
        raise FontconfigError(f"{args[0]} gave no answer in {FONTCONFIG_TIMEOUT} s") from None
    # A file fontconfig cannot read as a font, or a family it lacks: nothing covered.
    return done.stdout if done.returncode == 0 else ""


# The caches live as long as the process: fontconfig answers from its own cache in
# milliseconds, and a batch worker asks again for every spec it drafts.
@functools.cache
def _installed() -> Mapping[str, frozenset[str]]:
    """The charsets of every installed font by family, full name and PostScript name."""
    listing = _fontconfig(
        "fc-list", "--format", "%{family}\t%{fullname}\t%{postscriptname}\t%{charset}\n"
    )
    charsets: dict[str, set[str]] = {}
    for line in listing.splitlines():
        *names, charset = line.split("\t")
        for name in {_key(n) for part in names for n in part.split(",") if n.strip()}:
            charsets.setdefault(name, set()).add(charset)
    return {name: frozenset(found) for name, found in charsets.items()}


@functools.cache
def _installed_coverage(key: str) -> Coverage:
    # Parsed only for the families a template names: a CJK font's charset is thousands of
    # ranges, and the machine may hold hundreds of fonts.
    return Coverage.union(Coverage.parse(charset) for charset in _installed().get(key, ()))


@functools.cache
def _generic_coverage(generic: str) -> Coverage:
    return Coverage.parse(_fontconfig("fc-match", "--format", "%{charset}", generic))


@functools.cache
def _file_coverage(path: Path, size: int, mtime_ns: int) -> Coverage:
    del size, mtime_ns  # in the cache key only: a changed file is read again
    return _query_file(path)


@functools.cache
def _embedded_coverage(data: bytes) -> Coverage:
    """A font given as a `data:` URL, read from a temporary file."""
    with tempfile.NamedTemporaryFile(suffix=".font") as file:
        file.write(data)
        file.flush()
        return _query_file(Path(file.name))


def _query_file(path: Path) -> Coverage:
    """Every face of a font file (TrueType, OpenType, a collection, WOFF or WOFF2)."""
    listing = _fontconfig("fc-query", "--format", "%{charset}\n", str(path))
    return Coverage.union(Coverage.parse(line) for line in listing.splitlines())


def _face_coverage(face: FontFace) -> Coverage:
    coverages = [_installed_coverage(_key(name)) for name in face.local]
    for path in face.files:
        stat = path.stat()
        coverages.append(_file_coverage(path, stat.st_size, stat.st_mtime_ns))
    coverages += [_embedded_coverage(data) for data in face.embedded]
    return Coverage.union(coverages)
