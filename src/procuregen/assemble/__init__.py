"""The assembly stage: a Spec and a Library make an Agreement, and a Trace of every decision.

Four steps, one module each: selection (which clauses, and why), numbering (sections,
schedules, what a cross-reference prints), rendering (each body once, in the sandbox,
after numbering) and definitions (exactly the terms used). A schedule that embeds another
document (a framework's Call-Off Terms) is assembled the same way, from the same spec,
with `call_off_terms` true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from procuregen.agreement import (
    Agreement,
    Block,
    Decision,
    LibraryInfo,
    NumberedClause,
    Section,
    Trace,
)
from procuregen.errors import AssemblyError, Location, Problem, sorted_problems
from procuregen.library import Clause, ClauseText, Library, body_template
from procuregen.spec import Spec
from procuregen.spec.model import DocumentKind
from procuregen.usage import Usage
from procuregen.yamlsource import Path as YamlPath

from .context import call_off_terms_context, spec_context
from .definitions import DEFINITIONS_CLAUSE, collect_definitions
from .numbering import Numbering, number
from .rendering import ClauseRenderer
from .selection import Choice, Selection

__all__ = ["assemble", "spec_context"]

Locate = Callable[[YamlPath], Location]


def assemble(
    spec: Spec,
    library: Library,
    *,
    locate: Locate | None = None,
    usage: Usage | None = None,
    language: str | None = None,
) -> tuple[Agreement, Trace]:
    """Select, number and render the clauses `spec` calls for; raise AssemblyError if it cannot.

    `usage`, when given, records which spec values the agreement used; `language` (default:
    the spec's) picks the language version of every clause. A bilingual spec gives the
    agreement in its first language with the second as its `parallel`.
    """
    if language is None and spec.languages:
        first, trace = assemble(
            spec, library, locate=locate, usage=usage, language=spec.languages[0]
        )
        second, _ = assemble(spec, library, locate=locate, usage=usage, language=spec.languages[1])
        return replace(first, parallel=second), trace
    language = language or spec.language
    locate = locate or (lambda path: Location("spec"))
    meta = library.meta.documents.get(spec.document)
    if meta is None:
        raise AssemblyError(
            Problem(
                locate(("document",)),
                f"document: library {library.id!r} has no {spec.document} document",
            )
        )
    usage = usage or Usage(spec)
    context = {**spec_context(spec, usage), "language": language}
    main = _Document(spec, library, spec.document, locate, usage, context, language)
    sections, schedules = main.build(lenient=False)
    info = LibraryInfo(
        library.meta.id, library.meta.title, library.meta.version, library.meta.license
    )
    title = library.document_title(spec.document, language)
    agreement = Agreement(spec.document, title, spec, info, sections, schedules, language)
    trace = Trace(
        spec.document,
        main.decisions(),
        tuple(d for embedded in main.embedded for d in embedded.decisions()),
        tuple(sorted_problems([*main.warnings, *_jurisdiction_warnings(spec, library, locate)])),
    )
    return agreement, trace


def approval_of(clause: Clause) -> str:
    """The legal approval recorded for the clause's current version, or ""."""
    meta = clause.meta
    if meta.approved_by and meta.approved_on and meta.approved_version == meta.version:
        return f"approved by {meta.approved_by} on {meta.approved_on.isoformat()}"
    return ""


def _jurisdiction_warnings(spec: Spec, library: Library, locate: Locate) -> list[Problem]:
    """A governing law the library has no pack for gets the EU baseline text: say so."""
    packs = library.meta.jurisdictions
    country = spec.law.governing_law
    if not packs or country in packs:
        return []
    listed = ", ".join(f"{code} ({law})" for code, law in packs.items())
    return [
        Problem(
            locate(("law", "governing_law")),
            f"law.governing_law: library {library.id!r} has no jurisdiction pack for "
            f"{country}, so its EU baseline text applies (packs: {listed})",
            warning=True,
        )
    ]


@dataclass
class _Document:
    """One document of one spec, from selection to rendered sections."""

    spec: Spec
    library: Library
    document: DocumentKind
    locate: Locate
    usage: Usage
    context: Mapping[str, Any]
    language: str

    def __post_init__(self) -> None:
        self.texts: dict[str, ClauseText] = {}
        self.choices: dict[str, Choice] = {}
        self.numbering = Numbering((), {})
        self.embedded: list[_Document] = []
        self.warnings: list[Problem] = []

    def embeds(self) -> list[DocumentKind]:
        sections = self.library.meta.sections
        schedules = self.library.meta.documents[self.document].schedules
        return [kind for s in schedules if (kind := sections[s].embeds) is not None]

    def build(
        self, *, lenient: bool, outer: Numbering | None = None
    ) -> tuple[tuple[Section, ...], tuple[Section, ...]]:
        selection = Selection(
            self.spec,
            self.library,
            self.document,
            self.context,
            self.locate,
            also=tuple(self.embeds()),
            lenient=lenient,
        )
        self.choices = selection.run()
        self.warnings.extend(selection.warnings)
        if selection.problems:
            raise AssemblyError(sorted_problems(selection.problems))
        if outer is not None:  # embedded: the document's own schedules are not printed
            own = set(self.library.meta.documents[self.document].schedules)
            for clause_id, clause in self.library.clauses.items():
                if clause.meta.section in own and self.choices[clause_id].included:
                    self.choices[clause_id] = Choice(False, "schedule of the embedded document")
        self.numbering, problems = number(
            self.library, self.document, self.choices, self.language, outer
        )
        if problems:
            raise AssemblyError(sorted_problems(problems))
        self.texts = self.language_versions()
        renderer = ClauseRenderer(self.library, self.context, self.numbering)
        translated = self.language if self.language != self.library.source_language else None
        bodies = {
            cid: renderer.render(text, body_template(cid, translated), text.body)
            for cid, text in self.texts.items()
        }
        definitions = collect_definitions(renderer, self.texts, translated)
        if renderer.problems:
            raise AssemblyError(sorted_problems(renderer.problems))
        if definitions.entries:
            bodies[DEFINITIONS_CLAUSE] = (*bodies[DEFINITIONS_CLAUSE], definitions)
        sections: list[Section] = []
        schedules: list[Section] = []
        for part in self.numbering.parts:
            terms: tuple[Section, ...] = ()
            if part.embeds is not None:
                terms = self.embed(part.embeds, part.number)
            built = Section(
                part.id,
                part.number,
                part.title,
                tuple(self.numbered(cid, bodies[cid]) for cid in part.clauses),
                part.schedule,
                terms,
                part.heading,
            )
            (schedules if part.schedule else sections).append(built)
        return tuple(sections), tuple(schedules)

    def language_versions(self) -> dict[str, ClauseText]:
        """Each included clause in the document's language; a missing one is an error."""
        texts: dict[str, ClauseText] = {}
        missing: list[Problem] = []
        for clause_id, clause in self.library.clauses.items():
            if not self.choices[clause_id].included:
                continue
            text = self.library.text(clause, self.language)
            if text is None:
                missing.append(
                    Problem(
                        clause.at("id"),
                        f"{clause_id} has no {self.language} version: write "
                        f"{Path(clause.path).stem}.{self.language}.md beside it",
                    )
                )
            else:
                texts[clause_id] = text
        if missing:
            raise AssemblyError(sorted_problems(missing))
        return texts

    def numbered(self, clause_id: str, blocks: tuple[Block, ...]) -> NumberedClause:
        clause = self.library.clauses[clause_id]
        text = self.texts[clause_id]
        number = self.numbering.numbers[clause_id]
        return NumberedClause(
            clause_id,
            number.key,
            text.title,
            clause.meta.version,
            text.sha256,
            text.path,
            blocks,
            clause.meta.status,
            number.label,
            approval_of(clause),
            clause.meta.needs_approval,
        )

    def embed(self, document: DocumentKind, schedule_number: str) -> tuple[Section, ...]:
        """The body sections of `document` as this spec fixes them for every such document."""
        context = call_off_terms_context(self.spec, self.usage, document)
        context["language"] = self.language
        inner = _Document(
            self.spec, self.library, document, self.locate, self.usage, context, self.language
        )
        sections, _ = inner.build(lenient=True, outer=self.numbering)
        self.embedded.append(inner)
        self.warnings.extend(inner.warnings)
        prefix = f"S{schedule_number}/"
        return tuple(
            Section(
                s.id,
                s.number,
                s.title,
                tuple(
                    NumberedClause(
                        c.id,
                        prefix + c.number,
                        c.title,
                        c.version,
                        c.sha256,
                        c.path,
                        c.blocks,
                        c.status,
                        c.label,
                        c.approval,
                        c.needs_approval,
                    )
                    for c in s.clauses
                ),
                caption=s.caption,
            )
            for s in sections
        )

    def decisions(self) -> tuple[Decision, ...]:
        numbers = self.numbering.numbers
        return tuple(
            Decision(
                clause=c.id,
                title=c.meta.title,
                section=c.meta.section,
                included=self.choices[c.id].included,
                reason=self.choices[c.id].reason,
                number=numbers[c.id].key if c.id in numbers else None,
                condition=c.meta.when,
                condition_value=self.choices[c.id].condition_value,
                slot=c.meta.slot,
                status=c.meta.status,
                language=self.language if c.id in self.texts else None,
            )
            for c in self.library.clauses.values()
        )
