"""The library stage: a folder of clause files, loaded and checked, never read outside its root."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from procuregen.environment import ClauseSandbox, make_environment
from procuregen.errors import LibraryError, Location, Problem, sorted_problems
from procuregen.frontmatter import FrontMatterText, read_markdown
from procuregen.resources import bundled_root
from procuregen.spec.model import BUNDLED_LIBRARY, DocumentKind, Model
from procuregen.spec.types import CountryCode, Line, Paragraph, Slug, SpdxExpression
from procuregen.translation import (
    Glossary,
    Translation,
    read_glossary,
    read_translation,
    translation_name,
)
from procuregen.validation import validate_located
from procuregen.yamlsource import LocatedDocument, load_bytes

LIBRARY_FILE = "library.yaml"
SEMVER = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"


class SectionMeta(Model):
    title: Line = Field(description="Heading of the section in the agreement.")
    titles: Mapping[Slug, Line] = Field(
        default_factory=dict, description="The heading in each other language, by language."
    )
    embeds: DocumentKind | None = Field(
        None,
        description="A schedule that prints another document's terms after its own clauses "
        "(the framework's Call-Off Terms embed the call-off document).",
    )


class DocumentMeta(Model):
    title: Line = Field(description="Title of the document, e.g. Call-Off Contract.")
    titles: Mapping[Slug, Line] = Field(
        default_factory=dict, description="The title in each other language, by language."
    )
    sections: tuple[Slug, ...] = Field(min_length=1, description="Section ids, in order.")
    schedules: tuple[Slug, ...] = Field(
        (), description="Section ids printed after the signatures as numbered schedules."
    )

    @property
    def parts(self) -> tuple[Slug, ...]:
        """Every section of the document, body first, then schedules."""
        return (*self.sections, *self.schedules)


class LibraryMeta(Model):
    id: Slug = Field(description="Library id, named by specs.")
    title: Line = Field(description="Title of the library.")
    version: Line = Field(description="Version of the library, e.g. 2026.1.")
    license: SpdxExpression = Field(description="Licence of the clause texts.")
    languages: tuple[Slug, ...] = Field(
        min_length=1, description="Languages of the clauses; the first is the source language."
    )
    jurisdictions: Mapping[CountryCode, Line] = Field(
        default_factory=dict,
        description="Jurisdiction packs: governing-law country code to the law it follows.",
    )
    sections: Mapping[Slug, SectionMeta] = Field(description="Section id to its heading.")
    documents: Mapping[DocumentKind, DocumentMeta] = Field(description="Documents and sections.")


class ClauseMeta(Model):
    id: Slug = Field(description="Clause id; equal to the file name.")
    title: Line = Field(description="Heading of the clause.")
    version: str = Field(pattern=SEMVER, description="Semantic version of the clause text.")
    status: Literal["draft", "approved", "deprecated", "retired"] = Field(
        description="Only approved clauses go in unless the spec's clauses.include names them; "
        "a retired clause never goes in."
    )
    section: Slug = Field(description="Section the clause belongs to; equal to its folder.")
    order: int = Field(0, ge=0, le=1_000_000, description="Position within its section.")
    documents: tuple[DocumentKind, ...] = Field(
        min_length=1, description="Documents the clause may appear in."
    )
    when: Line | None = Field(None, description="Condition over the spec; absent = always.")
    mandatory: bool = Field(False, description="Cannot be excluded by a spec.")
    optional: bool = Field(False, description="Only in when the spec's clauses.include names it.")
    slot: Slug | None = Field(None, description="Slot of alternative positions it belongs to.")
    default: bool = Field(False, description="The slot's default position.")
    aliases: tuple[Slug, ...] = Field(
        (), description="Former ids of this clause; a spec naming one is warned and redirected."
    )
    needs_approval: bool = Field(
        False, description="A slot position that needs approval each time a spec chooses it."
    )
    approved_by: Line | None = Field(None, description="Who approved the clause legally.")
    approved_on: dt.date | None = Field(None, description="When it was approved (ISO 8601).")
    approved_version: str | None = Field(
        None, pattern=SEMVER, description="The version of the clause that was approved."
    )
    requires: tuple[Slug, ...] = Field((), description="Clauses that must also be in.")
    conflicts: tuple[Slug, ...] = Field((), description="Clauses that must not also be in.")
    defines: Mapping[Line, Paragraph] = Field(
        default_factory=dict, description="Defined terms: term to definition text."
    )
    source: Paragraph = Field(description="What the clause was modelled on.")


@dataclass(frozen=True)
class Clause(FrontMatterText):
    """One clause file: its front matter, its body (Jinja over Markdown) and where it is."""

    meta: ClauseMeta
    path: str  # relative to the library root, with /
    file: str  # as shown in messages
    body: str
    body_line: int  # line of the file on which the body starts
    sha256: str
    front: LocatedDocument
    translations: Mapping[str, Translation] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id


ClauseText = Clause | Translation  # a clause as written in one language


@dataclass(frozen=True)
class Library:
    meta: LibraryMeta
    root: Path
    file: str  # library.yaml as shown in messages
    index: LocatedDocument
    clauses: Mapping[str, Clause]  # by id, in section order, then order, then id
    glossaries: Mapping[str, Glossary]  # by language, for every language but the source
    # Compiles each clause body and definition once, on first use, for every assembly.
    environment: ClauseSandbox = field(compare=False, repr=False)
    # By the text of the condition: clauses that share a `when` share its compiled form.
    _conditions: dict[str, Callable[..., Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def condition(self, clause: Clause) -> Callable[..., Any]:
        """The clause's `when`, compiled once for every assembly, evaluated within the
        clause bounds; raises Jinja's errors and whatever the expression raises."""
        when = clause.meta.when
        assert when is not None
        compiled = self._conditions.get(when)
        if compiled is None:
            compiled = self.environment.compile_condition(when)
            self._conditions[when] = compiled
        return compiled

    @functools.cached_property
    def slots(self) -> Mapping[str, tuple[Clause, ...]]:
        """Each slot's positions in library order, slots in the order they first appear:
        selection looks a slot up instead of scanning every clause for each slot."""
        slots: dict[str, list[Clause]] = {}
        for clause in self.clauses.values():
            if clause.meta.slot:
                slots.setdefault(clause.meta.slot, []).append(clause)
        return {slot: tuple(positions) for slot, positions in slots.items()}

    @functools.cached_property
    def _aliases(self) -> Mapping[str, str]:
        current: dict[str, str] = {}
        for clause in self.clauses.values():
            for alias in clause.meta.aliases:
                current.setdefault(alias, clause.id)
        return current

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def source_language(self) -> str:
        return self.meta.languages[0]

    def text(self, clause: Clause, language: str) -> Clause | Translation | None:
        """The clause as written in `language`: itself in the source language, else its
        translation, or None when it has none."""
        if language == self.source_language:
            return clause
        return clause.translations.get(language)

    def section_title(self, section: str, language: str) -> str:
        meta = self.meta.sections[section]
        return meta.titles.get(language, meta.title)

    def document_title(self, document: DocumentKind, language: str) -> str:
        meta = self.meta.documents[document]
        return meta.titles.get(language, meta.title)

    def resolve_alias(self, clause_id: str) -> str | None:
        """The current id of a clause that was once called `clause_id`, if any."""
        return self._aliases.get(clause_id)


def library_path(library_id: str | None, library_dir: Path | None) -> Path:
    """The folder of the library a spec names: --library first, then the bundled ones."""
    if library_dir is not None:
        if (library_dir / LIBRARY_FILE).is_file():
            return library_dir
        nested = library_dir / (library_id or BUNDLED_LIBRARY)
        if (nested / LIBRARY_FILE).is_file():
            return nested
        raise LibraryError(
            Problem(
                Location(str(library_dir)),
                f"no {LIBRARY_FILE} here or in a subfolder {library_id or BUNDLED_LIBRARY}/",
            )
        )
    bundled = bundled_root("clauses") / (library_id or BUNDLED_LIBRARY)
    if not (bundled / LIBRARY_FILE).is_file():
        raise LibraryError(
            Problem(Location(str(bundled)), f"no bundled library {library_id!r}; use --library")
        )
    return bundled


def load_library(root: Path) -> Library:
    """Load a library, or raise LibraryError naming every problem that stops loading it."""
    library, problems = read_library(root)
    if problems or library is None:
        raise LibraryError(sorted_problems(problems))
    return library


def read_library(root: Path) -> tuple[Library | None, list[Problem]]:
    """Load what can be loaded; return it with every problem met on the way."""
    index_file = str(root / LIBRARY_FILE)
    problems: list[Problem] = []
    try:
        index = load_bytes(index_file, (root / LIBRARY_FILE).read_bytes(), LibraryError)
    except OSError as exc:
        return None, [Problem(Location(index_file), f"cannot read: {exc.strerror}")]
    except LibraryError as error:
        return None, list(error.problems)
    meta, invalid = validate_located(LibraryMeta, index)
    problems.extend(invalid)
    if meta is None:
        return None, problems
    problems.extend(_index_problems(meta, index))
    clauses: dict[str, Clause] = {}
    translations: list[Translation] = []
    for path in _clause_files(root, problems):
        if translation_name(path.name) is not None:
            translation = read_translation(root, path, problems)
            if translation is not None:
                translations.append(translation)
            continue
        clause = _read_clause(root, path, problems)
        if clause is None:
            continue
        if clause.id in clauses:
            problems.append(
                Problem(
                    clause.at("id"),
                    f"id: {clause.id!r} is also the id of {clauses[clause.id].file}",
                )
            )
            continue
        clauses[clause.id] = clause
    clauses = _with_translations(clauses, translations, meta, problems)
    glossaries = {
        language: glossary
        for language in meta.languages[1:]
        if (glossary := read_glossary(root, language, problems)) is not None
    }
    ordered = sorted(
        clauses.values(),
        key=lambda c: (_section_rank(meta, c), c.meta.order, c.id),
    )
    sources: dict[str, str] = {}
    for clause in ordered:
        texts: list[tuple[str | None, Clause | Translation]] = [(None, clause)]
        texts += list(clause.translations.items())
        for language, text in texts:
            sources[body_template(clause.id, language)] = text.body
            for term, definition in text.defines.items():
                sources[definition_template(clause.id, term, language)] = definition
    environment = make_environment("markdown", sources=sources)
    library = Library(
        meta, root, index_file, index, {c.id: c for c in ordered}, glossaries, environment
    )
    return library, problems


def _with_translations(
    clauses: dict[str, Clause],
    translations: list[Translation],
    meta: LibraryMeta,
    problems: list[Problem],
) -> dict[str, Clause]:
    """Each clause with its translations; a translation of no clause, or into a language
    the library does not list, is a problem."""
    found: dict[str, dict[str, Translation]] = {}
    for translation in translations:
        names = translation_name(Path(translation.path).name)
        assert names is not None
        clause_id = names[0]
        where = Location(translation.file, 1, 1)
        if clause_id not in clauses:
            problems.append(Problem(where, f"translates no clause: there is no {clause_id}.md"))
        elif translation.language not in meta.languages[1:]:
            problems.append(
                Problem(
                    where,
                    f"{translation.language!r} is not one of the library's languages "
                    f"({', '.join(meta.languages)}); add it to library.yaml",
                )
            )
        else:
            found.setdefault(clause_id, {})[translation.language] = translation
    return {
        clause_id: replace(clause, translations=found.get(clause_id, {}))
        for clause_id, clause in clauses.items()
    }


def _index_problems(meta: LibraryMeta, index: LocatedDocument) -> Iterator[Problem]:
    for kind, document in meta.documents.items():
        for part in ("sections", "schedules"):
            for position, section in enumerate(getattr(document, part)):
                where = index.locate(("documents", kind, part, position))
                if section not in meta.sections:
                    yield Problem(where, f"documents.{kind}.{part}: {section!r} is not in sections")
                elif meta.sections[section].embeds and part == "sections":
                    yield Problem(
                        where,
                        f"documents.{kind}.sections: {section!r} embeds a document; "
                        "list it under schedules",
                    )
            if len(set(getattr(document, part))) != len(getattr(document, part)):
                yield Problem(
                    index.locate(("documents", kind, part)),
                    f"documents.{kind}.{part}: a section is listed twice",
                )
    for section_id, section in meta.sections.items():
        if section.embeds is not None and section.embeds not in meta.documents:
            yield Problem(
                index.locate(("sections", section_id, "embeds")),
                f"sections.{section_id}.embeds: no document {section.embeds!r} in this library",
            )


def body_template(clause_id: str, language: str | None = None) -> str:
    """The environment's name for a clause's body (in a translation's language)."""
    return f"{clause_id}@{language}" if language else clause_id


def definition_template(clause_id: str, term: str, language: str | None = None) -> str:
    """The environment's name for a term's definition text."""
    return f"{body_template(clause_id, language)}#defines#{term}"


def _section_rank(meta: LibraryMeta, clause: Clause) -> int:
    sections = list(meta.sections)
    return sections.index(clause.meta.section) if clause.meta.section in sections else len(sections)


def _clause_files(root: Path, problems: list[Problem]) -> Iterator[Path]:
    """Every clause file below root, sorted; links that leave the root are refused."""
    real_root = root.resolve()
    found: list[Path] = []
    for folder, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        here = Path(folder)
        for name in folders:
            if (here / name).is_symlink():
                problems.append(
                    Problem(Location(str(here / name)), "a linked folder is not read; copy it in")
                )
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or not name.endswith(".md") or here == root:
                continue
            if not path.resolve().is_relative_to(real_root):
                problems.append(
                    Problem(Location(str(path)), "is a link that leaves the library; not read")
                )
                continue
            found.append(path)
    yield from sorted(found)


def _read_clause(root: Path, path: Path, problems: list[Problem]) -> Clause | None:
    markdown = read_markdown(path, problems)
    if markdown is None:
        return None
    front = markdown.front
    meta, invalid = validate_located(ClauseMeta, front)
    problems.extend(invalid)
    if meta is None:
        return None
    if meta.id != path.stem:
        problems.append(
            Problem(
                front.locate(("id",)), f"id: {meta.id!r} must equal the file name {path.stem!r}"
            )
        )
        return None
    relative = path.relative_to(root).as_posix()
    digest = hashlib.sha256(markdown.raw).hexdigest()
    return Clause(meta, relative, markdown.file, markdown.body, markdown.body_line, digest, front)
