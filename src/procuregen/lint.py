"""`clauses lint`: every defect of a clause library, each found once, each at its place."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import TemplateAssertionError

from procuregen.environment import ClauseSandbox
from procuregen.errors import Location
from procuregen.frontmatter import FrontMatterText, read_markdown
from procuregen.library import (
    Clause,
    ClauseText,
    Library,
    body_template,
    definition_template,
    read_library,
)
from procuregen.markdown import MarkdownError, check_subset, references
from procuregen.template_bounds import Edge, bound_findings, include_cycles, included
from procuregen.template_check import literal_refusals
from procuregen.template_names import unknown_names
from procuregen.textpolicy import TEXT, refusals
from procuregen.translation import Translation
from procuregen.yamlsource import LocatedDocument

Severity = Literal["error", "warning"]
_BLOCK_TAG_LINE = re.compile(r"^[ \t]*\{%.*%\}[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


def lint_root(library_dir: Path | None, here: Path) -> Path:
    """The library to lint: --library, else the one in the current folder, else the bundled."""
    from procuregen.library import LIBRARY_FILE, library_path

    if library_dir is None and (here / LIBRARY_FILE).is_file():
        return here
    return library_path(None, library_dir)


def lint_library(root: Path) -> list[Finding]:
    """Every finding for the library at `root`, sorted by place, all in one run: a clause whose
    front matter is broken still has its body checked."""
    library, problems = read_library(root)
    findings = [Finding("error", p.location, p.message) for p in problems]
    if library is not None:
        linter = _Linter(library)
        findings.extend(linter.findings())
        findings.extend(linter.unloaded_bodies(root, {p.location.file for p in problems}))
    return sorted(set(findings), key=lambda f: (f.location, f.message))


class _Linter:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.environment: ClauseSandbox = library.environment
        self.clauses = library.clauses
        # Template name -> the templates it includes, and where: for include cycles.
        self.includes: dict[str, list[Edge]] = {}
        self.locators: dict[str, Callable[[int], Location]] = {}

    def findings(self) -> Iterator[Finding]:
        for clause in self.clauses.values():
            yield from self.front_matter(clause)
            name = body_template(clause.id)
            yield from self.template(clause, clause.body, clause.body_location, name)
            yield from self.markdown(clause)
            yield from self.joined_lines(clause)
            for term, text in clause.meta.defines.items():
                where = _always(clause.at("defines", term))
                yield from self.template(clause, text, where, definition_template(clause.id, term))
            if clause.meta.when:
                yield from self.condition(clause)
        yield from self.slots()
        yield from self.terms()
        yield from self.names()
        for language in self.library.meta.languages[1:]:
            yield from self.translations(language)
        yield from self.include_cycles()

    def include_cycles(self) -> Iterator[Finding]:
        """A clause that includes itself, directly or through others, never ends."""
        for name, line, message in include_cycles(self.includes):
            yield Finding("error", self.locators[name](line), f"template: {message}")

    def unloaded_bodies(self, root: Path, broken: set[str]) -> Iterator[Finding]:
        """The bodies of clause files that did not load, checked all the same."""
        for path in sorted(root.rglob("*.md")):
            if str(path) not in broken or path.parent == root:
                continue
            markdown = read_markdown(path, [])
            if markdown is None:
                continue
            text = _Unloaded(markdown.file, markdown.body, markdown.body_line, markdown.front)
            yield from self.template(text, text.body, text.body_location)
            yield from self.markdown(text)

    # -- translations -------------------------------------------------------------------

    def translations(self, language: str) -> Iterator[Finding]:
        """Every clause translated, up to date, with its terms in the glossary; every text
        checked like the source."""
        glossary = self.library.glossaries.get(language)
        names = dict(glossary.terms) if glossary else {}
        defined: dict[str, Translation] = {}
        used: list[tuple[str, Location]] = []
        for clause in self.clauses.values():
            translation = clause.translations.get(language)
            if translation is None:
                yield Finding(
                    "warning",
                    clause.at("id"),
                    f"no {language} translation: write {clause.id}.{language}.md beside it",
                )
                continue
            if translation.meta.translates != clause.meta.version:
                yield Finding(
                    "warning",
                    translation.at("translates"),
                    f"translates: {translation.meta.translates} is older than {clause.id} "
                    f"{clause.meta.version}; bring the translation up to date",
                )
            name = body_template(clause.id, language)
            yield from self.template(translation, translation.body, translation.body_location, name)
            yield from self.markdown(translation)
            yield from self.joined_lines(translation)
            for term, text in translation.defines.items():
                where = translation.at("defines", term)
                template = definition_template(clause.id, term, language)
                yield from self.template(translation, text, _always(where), template)
                used += [(r.term, where) for r in references(text) if r.term is not None]
                defined.setdefault(term, translation)
            used += [
                (r.term, translation.body_location(r.line))
                for r in references(translation.body)
                if r.term is not None
            ]
            yield from self.term_pairs(clause, translation, names)
        for term, where in used:
            if term not in defined:
                yield Finding(
                    "error", where, f"[[{term}]]: no {language} translation defines this term"
                )

    def term_pairs(
        self, clause: Clause, translation: Translation, names: dict[str, str]
    ) -> Iterator[Finding]:
        """A term defined in one language is defined in the other, under its glossary name."""
        language = translation.language
        expected = {}
        for term in clause.meta.defines:
            if term not in names:
                yield Finding(
                    "error",
                    clause.at("defines", term),
                    f"defines: {term!r} has no {language} name in glossary.{language}.yaml",
                )
            else:
                expected[names[term]] = term
        for name, term in expected.items():
            if name not in translation.defines:
                yield Finding(
                    "warning",
                    translation.at("defines"),
                    f"defines: {term!r} is defined in {self.library.source_language} but its "
                    f"{language} name {name!r} is not defined here",
                )
        for name in translation.defines:
            if name not in expected:
                yield Finding(
                    "warning",
                    translation.at("defines", name),
                    f"defines: {name!r} is defined in {language} but no term of {clause.id} "
                    f"has that name in glossary.{language}.yaml",
                )

    def names(self) -> Iterator[Finding]:
        """A clause id, a schedule id and an alias each name one thing only."""
        seen = {alias: c for c in self.clauses.values() for alias in c.meta.aliases}
        for clause in self.clauses.values():
            if self.is_schedule(clause.id):
                yield Finding(
                    "error",
                    clause.at("id"),
                    f"id: {clause.id!r} is also a schedule's id; [[#{clause.id}]] would be "
                    "ambiguous",
                )
            for index, alias in enumerate(clause.meta.aliases):
                if alias in self.clauses:
                    yield Finding(
                        "error",
                        clause.at("aliases", index),
                        f"aliases: {alias!r} is the id of a clause in this library",
                    )
                elif seen[alias] is not clause:
                    yield Finding(
                        "error",
                        clause.at("aliases", index),
                        f"aliases: {alias!r} is also an alias of {seen[alias].id}",
                    )

    def front_matter(self, clause: Clause) -> Iterator[Finding]:
        meta = self.library.meta
        section = clause.meta.section
        if section not in meta.sections:
            yield Finding(
                "error",
                clause.at("section"),
                f"section: {section!r} is not a section of library {self.library.id!r}",
            )
        else:
            folder = Path(clause.path).parent.name
            if folder != section:
                yield Finding(
                    "error",
                    clause.at("section"),
                    f"section: {section!r}, but the file is in folder {folder!r}",
                )
            in_documents = [
                kind
                for kind in clause.meta.documents
                if kind in meta.documents and section in meta.documents[kind].parts
            ]
            if not in_documents:
                yield Finding(
                    "error",
                    clause.at("section"),
                    f"no document of {', '.join(clause.meta.documents)} "
                    f"has section {section!r}: the clause can never appear",
                )
        for field in ("requires", "conflicts"):
            for index, other in enumerate(getattr(clause.meta, field)):
                if other not in self.clauses:
                    yield Finding("error", clause.at(field, index), f"{field}: no clause {other!r}")
        for index, other in enumerate(clause.meta.requires):
            yield from self.live(clause, other, clause.at("requires", index), "requires")
        flags = clause.meta
        if flags.mandatory and (flags.optional or flags.when or flags.slot):
            yield Finding(
                "error",
                clause.at("mandatory"),
                "mandatory: a mandatory clause cannot "
                "also be optional, conditional or a slot position",
            )
        if flags.default and not flags.slot:
            yield Finding(
                "error", clause.at("default"), "default: only a slot position can be the default"
            )
        if flags.optional and flags.slot:
            yield Finding(
                "error",
                clause.at("optional"),
                "optional: a slot position is picked with clauses.choose, not included",
            )

    def template(
        self,
        clause: FrontMatterText,
        source: str,
        locate: Callable[[int], Location],
        name: str | None = None,
    ) -> Iterator[Finding]:
        """Syntax, unknown names, references and what the clause bounds would refuse, of one
        template (named `name` in the library's environment); `locate` maps its lines."""
        try:
            tree = self.environment.parse(source)
            self.environment.compile(tree)  # code generation finds unknown filters and tests
        except (TemplateSyntaxError, TemplateAssertionError) as exc:
            yield Finding("error", locate(exc.lineno or 1), f"template: {exc.message}")
            return
        except RecursionError:
            yield Finding("error", locate(1), "template: brackets or blocks nested too deeply")
            return
        for found in bound_findings(tree):
            yield Finding(found.severity, locate(found.line), f"template: {found.message}")
        if name is not None:
            self.includes[name] = list(included(tree))
            self.locators[name] = locate
        for unknown in unknown_names(tree):
            yield Finding(
                "error",
                locate(unknown.line),
                f"template: {unknown.name} is not a field of the spec",
            )
        if not refusals(source, TEXT):  # else reported as the file was read
            for line, message in literal_refusals(tree):
                yield Finding("error", locate(line), f"template: {message}")
        for reference in references(source):
            target = reference.target
            if target is not None and isinstance(clause, Clause):
                yield from self.live(clause, target, locate(reference.line), f"[[#{target}]]")
            if target is not None and target not in self.clauses and not self.is_schedule(target):
                yield Finding(
                    "error",
                    locate(reference.line),
                    f"[[#{target}]]: no such clause or schedule",
                )

    def live(self, clause: Clause, other: str, where: Location, field: str) -> Iterator[Finding]:
        """A clause that relies on a deprecated or retired one breaks when it goes."""
        target = self.clauses.get(other)
        if target is None or clause.meta.status in ("deprecated", "retired"):
            return
        if target.meta.status in ("deprecated", "retired"):
            yield Finding(
                "error",
                where,
                f"{field}: {clause.id} relies on {other}, which is {target.meta.status}",
            )

    def is_schedule(self, section: str) -> bool:
        return any(section in d.schedules for d in self.library.meta.documents.values())

    def condition(self, clause: Clause) -> Iterator[Finding]:
        when = clause.meta.when or ""
        try:
            tree = self.environment.parse(f"{{{{ ({when}) }}}}")
            self.environment.compile_expression(when)
        except (TemplateSyntaxError, TemplateAssertionError) as exc:
            yield Finding("error", clause.at("when"), f"when: not a valid condition: {exc.message}")
            return
        except RecursionError:
            yield Finding("error", clause.at("when"), "when: brackets nested too deeply")
            return
        for found in bound_findings(tree):
            yield Finding(found.severity, clause.at("when"), f"when: {found.message}")
        for unknown in unknown_names(tree):
            yield Finding(
                "error", clause.at("when"), f"when: {unknown.name} is not a field of the spec"
            )

    def joined_lines(self, clause: ClauseText) -> Iterator[Finding]:
        for number, line in enumerate(clause.body.splitlines(), start=1):
            stripped = line.strip()
            if stripped.endswith("%}") and not stripped.startswith("{%"):
                yield Finding(
                    "warning",
                    clause.body_location(number),
                    "a block tag ends this "
                    "line after text, so the next line is joined to it; put the tag "
                    "on a line of its own",
                )

    def markdown(self, clause: FrontMatterText) -> Iterator[Finding]:
        # Lines that hold only a {% %} tag vanish when rendered: blank them, keeping line numbers.
        text = _BLOCK_TAG_LINE.sub("", clause.body)
        try:
            check_subset(text)
        except MarkdownError as exc:
            yield Finding("error", clause.body_location(exc.line), exc.message)

    def slots(self) -> Iterator[Finding]:
        members: dict[str, list[Clause]] = defaultdict(list)
        for clause in self.clauses.values():
            if clause.meta.slot:
                members[clause.meta.slot].append(clause)
        for slot, positions in members.items():
            defaults = [p.id for p in positions if p.meta.default]
            if len(defaults) != 1:
                first = positions[0]
                found = ", ".join(defaults) if defaults else "none"
                yield Finding(
                    "error",
                    first.at("slot"),
                    f"slot {slot!r} needs exactly one "
                    f"default position; it has {len(defaults)} ({found})",
                )

    def terms(self) -> Iterator[Finding]:
        defined: dict[str, Clause] = {}
        for clause in self.clauses.values():
            for term in clause.meta.defines:
                other = defined.get(term)
                if other is not None and not (
                    other.meta.slot and other.meta.slot == clause.meta.slot
                ):
                    yield Finding(
                        "error",
                        clause.at("defines", term),
                        f"defines: {term!r} is already defined by {other.id}",
                    )
                defined.setdefault(term, clause)
        used: set[str] = set()
        for clause in self.clauses.values():
            reported: set[str] = set()
            for reference in references(clause.body):
                if reference.term is None:
                    continue
                term = reference.term
                used.add(term)
                if term not in defined and term not in reported:
                    reported.add(term)
                    yield Finding(
                        "error",
                        clause.body_location(reference.line),
                        f"[[{term}]]: no clause defines this term",
                    )
            for term, text in clause.meta.defines.items():
                for reference in references(text):
                    if reference.term is not None:
                        used.add(reference.term)
                        if reference.term not in defined:
                            yield Finding(
                                "error",
                                clause.at("defines", term),
                                f"[[{reference.term}]]: no clause defines this term",
                            )
        for term, clause in defined.items():
            if term not in used:
                yield Finding(
                    "warning", clause.at("defines", term), f"defines: {term!r} is never used"
                )


@dataclass(frozen=True)
class _Unloaded(FrontMatterText):
    """A clause file whose front matter is broken: only its body can be checked."""

    file: str
    body: str
    body_line: int
    front: LocatedDocument
    meta: None = None


def _always(where: Location) -> Callable[[int], Location]:
    """A locator for one-line texts (definitions): every line is the field's place."""
    return lambda _line: where
