"""Markdown files with YAML front matter, as clause and translation files are written.

The whole file is held to the text policy as it is read: the front matter as YAML, the
body and the definitions as Markdown, so character references count for what they decode
to. A library that breaks it fails to load, for `clauses lint`, `check` and `draft` alike.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procuregen.errors import LibraryError, Location, Problem
from procuregen.markdown import entity_refusals
from procuregen.textpolicy import MAX_REPORTED, TEXT, line_and_column, refusals
from procuregen.yamlsource import MAX_BYTES, LocatedDocument, decode, load_text

_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


class FrontMatterText:
    """What a clause and its translations share: a located front matter and a body.

    A mixin for frozen dataclasses that have `meta` (with `title` and `defines`), `file`,
    `body_line` and `front`.
    """

    meta: Any
    file: str
    body: str
    body_line: int
    front: LocatedDocument

    @property
    def title(self) -> str:
        return str(self.meta.title)

    @property
    def defines(self) -> Mapping[str, str]:
        defines: Mapping[str, str] = self.meta.defines
        return defines

    def at(self, *path: str | int) -> Location:
        """Where a front matter field was written."""
        return self.front.locate(path)

    def body_location(self, line: int) -> Location:
        """A 1-based line of the body as a place in the file."""
        return Location(self.file, self.body_line + line - 1)


@dataclass(frozen=True)
class MarkdownFile:
    file: str  # as shown in messages
    raw: bytes
    front: LocatedDocument  # a mapping, located in the file
    body: str
    body_line: int  # line of the file on which the body starts


def read_markdown(path: Path, problems: list[Problem]) -> MarkdownFile | None:
    """The file split into located front matter and body, or None with its problems noted."""
    file = str(path)
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            problems.append(Problem(Location(file, 1, 1), f"larger than {MAX_BYTES} bytes"))
            return None
        text = decode(file, raw, LibraryError).replace("\r\n", "\n")
    except OSError as exc:
        problems.append(Problem(Location(file), f"cannot read: {exc.strerror}"))
        return None
    except LibraryError as error:
        problems.extend(error.problems)
        return None
    return _split(file, raw, text, problems)


def read_markdown_text(file: str, text: str) -> MarkdownFile | None:
    """A clause file's text (from git, say) split like a file on disk; None if it is broken."""
    return _split(file, text.encode("utf-8"), text.replace("\r\n", "\n"), [])


def _split(file: str, raw: bytes, text: str, problems: list[Problem]) -> MarkdownFile | None:
    if not text.startswith("---\n"):
        problems.append(Problem(Location(file, 1, 1), "a clause file starts with --- front matter"))
        return None
    closing = _FENCE.search(text, 4)
    if closing is None:
        problems.append(Problem(Location(file, 1, 1), "front matter is not closed by ---"))
        return None
    front_text = text[4 : closing.start()]
    body_line = text.count("\n", 0, closing.end()) + 2
    body = text[closing.end() + 1 :]
    problems.extend(body_problems(file, body, body_line))
    try:
        front = load_text(file, front_text, LibraryError, first_line=2)
    except LibraryError as error:
        problems.extend(error.problems)
        return None
    if not isinstance(front.data, dict):
        problems.append(Problem(Location(file, 2, 1), "front matter must be a YAML mapping"))
        return None
    problems.extend(definition_problems(front))
    return MarkdownFile(file, raw, front, body, body_line)


def body_problems(file: str, body: str, body_line: int) -> list[Problem]:
    """Refused characters of a body, written as themselves or as character references."""
    found = [(r.offset, r.message("in the body")) for r in refusals(body, TEXT)]
    found += itertools.islice(entity_refusals(body), MAX_REPORTED)
    problems = []
    for offset, message in sorted(found)[:MAX_REPORTED]:
        line, column = line_and_column(body, offset)
        problems.append(Problem(Location(file, body_line + line - 1, column), message))
    return problems


def definition_problems(front: LocatedDocument) -> list[Problem]:
    """Character references in `defines` that decode to refused characters: a definition
    is Markdown too (its text as written was checked with the YAML)."""
    defines = front.data.get("defines")
    if not isinstance(defines, dict):
        return []
    return [
        Problem(front.locate(("defines", term)), f"defines.{term}: {message}")
        for term, text in defines.items()
        if isinstance(text, str)
        for _, message in entity_refusals(text)
    ]
