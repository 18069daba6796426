"""Translations of clauses: `<id>.<language>.md` beside `<id>.md`, and each language's glossary.

A translation holds only what a reader sees (title, definitions, body); everything that
decides whether and where the clause goes in stays in the source file, so every language
version of an agreement has the same clauses, numbers and cross-references. Its front
matter names the version of the source it translates, so lint can tell a stale one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from procuregen.errors import LibraryError, Location, Problem
from procuregen.frontmatter import FrontMatterText, read_markdown
from procuregen.spec.model import Model
from procuregen.spec.types import Line, Paragraph
from procuregen.textpolicy import LINE, refusals, shown
from procuregen.validation import validate_located
from procuregen.yamlsource import LocatedDocument, load_bytes

SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
_TRANSLATION_NAME = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)\.(?P<language>[a-z]{2})\.md$")


class TranslationMeta(Model):
    translates: str = Field(
        pattern=SEMVER, description="The version of the source clause this text translates."
    )
    title: Line = Field(description="Heading of the clause in this language.")
    defines: Mapping[Line, Paragraph] = Field(
        default_factory=dict,
        description="Definitions in this language, keyed by the glossary's name of each term.",
    )


@dataclass(frozen=True)
class Translation(FrontMatterText):
    """One language version of a clause."""

    id: str  # the clause it translates
    language: str
    meta: TranslationMeta
    path: str  # relative to the library root, with /
    file: str
    body: str
    body_line: int
    sha256: str
    front: LocatedDocument


def translation_name(name: str) -> tuple[str, str] | None:
    """(clause id, language) for a file name like `acceptance.sv.md`; None for a clause."""
    match = _TRANSLATION_NAME.match(name)
    return (match["id"], match["language"]) if match else None


def read_translation(root: Path, path: Path, problems: list[Problem]) -> Translation | None:
    names = translation_name(path.name)
    if names is None:
        return None
    markdown = read_markdown(path, problems)
    if markdown is None:
        return None
    meta, invalid = validate_located(TranslationMeta, markdown.front)
    problems.extend(invalid)
    if meta is None:
        return None
    return Translation(
        names[0],
        names[1],
        meta,
        path.relative_to(root).as_posix(),
        markdown.file,
        markdown.body,
        markdown.body_line,
        hashlib.sha256(markdown.raw).hexdigest(),
        markdown.front,
    )


@dataclass(frozen=True)
class Glossary:
    """A language's names for the library's defined terms: source term -> translated term."""

    language: str
    file: str
    terms: Mapping[str, str]
    source: LocatedDocument

    def at(self, term: str) -> Location:
        return self.source.locate((term,))


def read_glossary(root: Path, language: str, problems: list[Problem]) -> Glossary | None:
    path = root / f"glossary.{language}.yaml"
    if not path.is_file():
        problems.append(
            Problem(
                Location(str(root / "library.yaml")),
                f"languages: {language!r} needs a glossary, {path.name}, naming each term",
            )
        )
        return None
    try:
        document = load_bytes(str(path), path.read_bytes(), LibraryError)
    except LibraryError as error:
        problems.extend(error.problems)
        return None
    data = document.data
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        problems.append(
            Problem(Location(str(path), 1, 1), "a glossary maps each term to its translation")
        )
        return None
    # Other refused characters stopped the YAML; a term's name is also one line.
    one_line = [
        Problem(document.locate((term,)), f"{shown(term)}: {found[0].message()}")
        for term, name in data.items()
        if (found := refusals(name, LINE))
    ]
    if one_line:
        problems.extend(one_line)
        return None
    return Glossary(language, str(path), dict(data), document)
