"""The text policy: which code points a spec, a clause library or a template may contain.

`refusal` is the one decision; everything that reads user text (YAML values and keys,
clause bodies after entity decoding, template text) asks it, through `refusals`. Refused
are the characters that make text read differently from its bytes, print as nothing or
as something else, or break the renderers:

- bidirectional controls of every kind (U+061C, U+200E, U+200F, U+202A-U+202E,
  U+2066-U+2069): they reorder what is printed;
- control characters (Cc), except tab and newline where a text may hold several lines;
- U+2028 and U+2029: a line break is a newline;
- format characters (Cf): zero-width spaces and joiners, the soft hyphen, tag
  characters, the byte order mark; invisible, so two texts that look alike differ;
- letters and marks that print as blank space (the Hangul fillers, U+034F, U+17B4,
  U+17B5, U+2800);
- combining marks that draw over the character before them (the overlays, such as
  U+0336 and U+20D2, and every enclosing mark, Me);
- private-use characters (Co): no font of ours means anything by them;
- noncharacters (U+FDD0-U+FDEF and the last two code points of every plane) and
  unassigned code points (Cn), as this Python's `unicodedata` knows Unicode;
- lone surrogates.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

UNICODE_VERSION: Final = unicodedata.unidata_version  # decides what is unassigned (Cn)

# Which control characters a text may hold: a one-line value none, a text of several
# lines tab and newline, a file before its parser reads its line breaks also CR.
LINE: Final = ""
TEXT: Final = "\t\n"
FILE: Final = "\t\n\r"

BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
BLANK: Final = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800")
OVERLAYS: Final = frozenset(
    "\u0334\u0335\u0336\u0337\u0338\u20d2\u20d3\u20d8\u20d9\u20da\u20e5\u20e6\u20ea\u20eb"
)
SEPARATORS: Final = frozenset("\u2028\u2029")
MAX_REPORTED = 10  # refusals reported per text: enough to fix, never a flood

_HINTS: Final = {
    "lone surrogate": "the text is not valid Unicode",
    "noncharacter": "it is not for interchange; delete it",
    "bidirectional control": "it reorders what is printed; delete it",
    "control character": "delete it; tabs and newlines only where a text has several lines",
    "line or paragraph separator": "write a newline where several lines are allowed",
    "invisible format character": "it prints as nothing; delete it",
    "blank character": "it prints as blank space; use a space or delete it",
    "combining overlay": "it draws over the character before it; delete it",
    "private-use character": "it has no agreed meaning; write the standard character",
    "unassigned code point": f"not assigned in Unicode {UNICODE_VERSION}, the version this "
    "procuregen reads; delete it",
}


def refusal(char: str, controls: str = LINE) -> str | None:
    """What kind of refused character `char` is, or None if text may contain it.

    `controls` are the control characters allowed in this context: LINE, TEXT or FILE.
    """
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return "noncharacter"
    if char in BIDI_CONTROLS:
        return "bidirectional control"
    category = unicodedata.category(char)
    if category == "Cc":
        return None if char in controls else "control character"
    if char in SEPARATORS:
        return "line or paragraph separator"
    if category == "Cf":
        return "invisible format character"
    if char in BLANK:
        return "blank character"
    if char in OVERLAYS or category == "Me":
        return "combining overlay"
    if category == "Co":
        return "private-use character"
    if category == "Cn":
        return "unassigned code point"
    return None


@dataclass(frozen=True)
class Refusal:
    """A refused character of a text and where in the text it stands (0-based)."""

    offset: int
    char: str
    kind: str

    @property
    def code(self) -> str:
        """`U+202E RIGHT-TO-LEFT OVERRIDE`: the code point and its Unicode name, if any."""
        name = unicodedata.name(self.char, "")
        return f"U+{ord(self.char):04X}" + (f" {name}" if name else "")

    def message(self, where: str = "") -> str:
        """`bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE at offset 4 is not allowed
        (...)`; `where` replaces the offset (for text whose offsets mean nothing to a user)."""
        place = where or f"at offset {self.offset}"
        return f"{self.kind} {self.code} {place} is not allowed ({_HINTS[self.kind]})"


@functools.lru_cache(maxsize=4096)
def _cached_refusal(char: str, controls: str) -> str | None:
    return refusal(char, controls)


@functools.cache
def _common_allowed() -> frozenset[str]:
    """The allowed characters of the Latin scripts, general punctuation and currency
    symbols: what contract text is mostly made of, decided once by `refusal`."""
    blocks = (range(0x20, 0x250), range(0x2000, 0x2070), range(0x20A0, 0x20D0))
    return frozenset(
        char for block in blocks for code in block if refusal(char := chr(code)) is None
    )


@functools.cache
def _uncommon(controls: str) -> re.Pattern[str]:
    """One character class: anything but `_common_allowed` and the allowed controls."""
    codes = sorted(ord(char) for char in _common_allowed() | set(controls))
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return re.compile("[^" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")


def _clean(text: str, controls: str) -> bool:
    # Nearly all text takes this path, at C speed: printable ASCII, else one regex search
    # for a character outside the common ones (Latin, punctuation, currency).
    if text.isascii() and text.isprintable():
        return True
    return _uncommon(controls).search(text) is None


def refused_characters(text: str, controls: str = LINE) -> dict[str, str]:
    """Each distinct refused character of `text`, with its kind; {} for clean text.

    Cheap: text made of common characters is accepted by `_clean`; in other text only
    the distinct characters outside them are decided.
    """
    if _clean(text, controls):
        return {}
    rare = set(text).difference(_common_allowed())
    return {char: kind for char in rare if (kind := _cached_refusal(char, controls))}


def each_refusal(text: str, controls: str = LINE) -> Iterator[Refusal]:
    """Every refused character of `text`, in order."""
    refused = refused_characters(text, controls)
    if refused:
        for offset, char in enumerate(text):
            if char in refused:
                yield Refusal(offset, char, refused[char])


def refusals(text: str, controls: str = LINE) -> list[Refusal]:
    """The first MAX_REPORTED refused characters of `text`, in order; [] for clean text."""
    if _clean(text, controls):
        return []
    return list(itertools.islice(each_refusal(text, controls), MAX_REPORTED))


def shown(text: str) -> str:
    """`text` with each refused character written as its escape: safe to print in a message."""
    if not refusals(text, LINE):
        return text
    return "".join(char if refusal(char, LINE) is None else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def line_and_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of `index` in `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def located(text: str, controls: str = TEXT) -> Iterator[tuple[int, int, Refusal]]:
    """(line, column, refusal) of each refused character of a text written in a file."""
    for found in refusals(text, controls):
        line, column = line_and_column(text, found.offset)
        yield line, column, found
