"""A word-level diff with difflib: words, spaces and punctuation are the tokens."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from procuregen.diff.model import Op, Segment

# A number with its separators ("480,000.00", "3.2", "2026-12-01") is one token, so that a
# changed amount reads [-480,000.00-]{+500,000.00+}, not a change of its first digits.
_TOKEN = re.compile(r"\d+(?:[.,:/-]\d+)*|\w+|\s+|[^\w\s]")

# A change between two equal runs: (deleted text, inserted text), either may be empty.
_Change = tuple[str, str]


def tokens(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks; joined they give `text`."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[Segment, ...]:
    """Segments that read `old` when inserts are dropped and `new` when deletes are.

    Within one change the deletion comes before the insertion. A single space that both
    texts keep between two changes is folded into them, so that replacing two words reads
    `[-old words-]{+new text+}` rather than four changes around an unchanged space.
    """
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    parts: list[str | _Change] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append("".join(a[i1:i2]))
        else:
            parts.append(("".join(a[i1:i2]), "".join(b[j1:j2])))
    merged: list[str | _Change] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if (
            isinstance(part, str)
            and part.isspace()
            and "\n" not in part
            and merged
            and isinstance(merged[-1], tuple)
            and index + 1 < len(parts)
            and isinstance(parts[index + 1], tuple)
        ):
            before = merged[-1]
            after = parts[index + 1]
            assert isinstance(after, tuple)
            if (before[0] or after[0]) and (before[1] or after[1]):
                merged[-1] = (before[0] + part + after[0], before[1] + part + after[1])
                index += 2
                continue
        if isinstance(part, tuple) and merged and isinstance(merged[-1], tuple):
            merged[-1] = (merged[-1][0] + part[0], merged[-1][1] + part[1])
        else:
            merged.append(part)
        index += 1
    segments: list[Segment] = []
    for part in merged:
        if isinstance(part, str):
            if part:
                segments.append(Segment("equal", part))
            continue
        if part[0]:
            segments.append(Segment("delete", part[0]))
        if part[1]:
            segments.append(Segment("insert", part[1]))
    return tuple(segments)


def inserted(text: str) -> tuple[Segment, ...]:
    """A text that only B has."""
    return (Segment("insert", text),) if text else ()


def deleted(text: str) -> tuple[Segment, ...]:
    """A text that only A has."""
    return (Segment("delete", text),) if text else ()


def marked_lines(
    segments: tuple[Segment, ...], mark: Callable[[Op, str], str]
) -> list[tuple[str, bool]]:
    """The text line by line, each piece passed through `mark(op, text)`, with whether the
    line holds a change. A change that spans lines is closed and reopened on each line."""
    lines: list[list[str]] = [[]]
    changed = [False]
    for segment in segments:
        for index, part in enumerate(segment.text.split("\n")):
            if index:
                lines.append([])
                changed.append(False)
            if not part:
                continue
            lines[-1].append(mark(segment.op, part))
            if segment.op != "equal" and part.strip():
                changed[-1] = True
    return [("".join(line), flag) for line, flag in zip(lines, changed, strict=True)]
