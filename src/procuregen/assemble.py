"""The assembly stage: a Spec and a Library make an Agreement, and a Trace of every decision.

Selection order for each clause: the document; clauses.exclude; the clause's slot
(clauses.choose, else the one position whose condition holds, else the default);
clauses.include; status; opt-in; its condition. Bodies are rendered once, in the
sandbox, after numbering, so that cross-references print the target's number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from procuregen.agreement import (
    Agreement,
    Block,
    Decision,
    Definition,
    Definitions,
    LibraryInfo,
    NumberedClause,
    Paragraph,
    Run,
    Section,
    Trace,
)
from procuregen.environment import MissingValueError
from procuregen.errors import AssemblyError, Location, Problem, sorted_problems
from procuregen.library import Clause, Library, body_template, definition_template
from procuregen.markdown import MarkdownError, to_blocks
from procuregen.spec import Spec
from procuregen.yamlsource import Path as YamlPath

DEFINITIONS_CLAUSE = "definitions"
Locate = Callable[[YamlPath], Location]


def spec_context(spec: Spec) -> dict[str, Any]:
    """The names a clause may use: the spec's top-level fields."""
    return {name: getattr(spec, name) for name in type(spec).model_fields}


def assemble(
    spec: Spec, library: Library, *, locate: Locate | None = None
) -> tuple[Agreement, Trace]:
    """Select, number and render the clauses `spec` calls for; raise AssemblyError if it cannot."""
    return _Assembly(spec, library, locate or (lambda path: Location("spec"))).run()


@dataclass
class _Choice:
    included: bool
    reason: str
    condition_value: bool | None = None


@dataclass
class _Assembly:
    spec: Spec
    library: Library
    locate: Locate
    problems: list[Problem] = field(default_factory=list)
    conditions: dict[str, bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.context = spec_context(self.spec)
        self.environment = self.library.environment

    def fail(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def raise_problems(self) -> None:
        if self.problems:
            raise AssemblyError(sorted_problems(self.problems))

    def run(self) -> tuple[Agreement, Trace]:
        document = self.library.meta.documents.get(self.spec.document)
        if document is None:
            raise AssemblyError(
                Problem(
                    self.locate(("document",)),
                    f"document: library {self.library.id!r} has no {self.spec.document} document",
                )
            )
        self.check_levers()
        self.raise_problems()
        choices = self.choose()
        self.check_dependencies(choices)
        self.raise_problems()
        numbers = self.number(choices, document.sections)
        agreement = self.render(document.title, document.sections, numbers)
        trace = Trace(
            self.spec.document,
            tuple(
                Decision(
                    clause=c.id,
                    title=c.meta.title,
                    section=c.meta.section,
                    included=choices[c.id].included,
                    reason=choices[c.id].reason,
                    number=numbers.get(c.id),
                    condition=c.meta.when,
                    condition_value=choices[c.id].condition_value,
                    slot=c.meta.slot,
                    status=c.meta.status,
                )
                for c in self.library.clauses.values()
            ),
        )
        return agreement, trace

    # -- the spec's levers -------------------------------------------------------------

    def check_levers(self) -> None:
        clauses = self.library.clauses
        levers = self.spec.clauses
        slots = {c.meta.slot for c in clauses.values() if c.meta.slot}
        for lever in ("include", "exclude"):
            for index, clause_id in enumerate(getattr(levers, lever)):
                where = self.locate(("clauses", lever, index))
                clause = clauses.get(clause_id)
                if clause is None:
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: no clause {clause_id!r} in "
                        f"library {self.library.id!r}",
                    )
                elif self.spec.document not in clause.meta.documents:
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: {clause_id!r} is not part of a "
                        f"{self.spec.document}",
                    )
                elif clause.meta.slot:
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: {clause_id!r} is a position of "
                        f"slot {clause.meta.slot!r}; pick positions with clauses.choose",
                    )
                elif lever == "exclude" and clause.meta.mandatory:
                    self.fail(
                        where,
                        f"clauses.exclude[{index}]: {clause_id!r} is mandatory and "
                        "cannot be excluded",
                    )
        for slot, position in levers.choose.items():
            where = self.locate(("clauses", "choose", slot))
            positions = self.positions(slot)
            if slot not in slots:
                self.fail(
                    where,
                    f"clauses.choose.{slot}: no slot {slot!r} in library "
                    f"{self.library.id!r} (slots: {', '.join(sorted(slots))})",
                )
            elif position not in {p.id for p in positions}:
                names = ", ".join(p.id for p in positions)
                self.fail(
                    where,
                    f"clauses.choose.{slot}: {position!r} is not a position of slot "
                    f"{slot!r} (positions: {names})",
                )

    def positions(self, slot: str) -> list[Clause]:
        return [
            c
            for c in self.library.clauses.values()
            if c.meta.slot == slot and self.spec.document in c.meta.documents
        ]

    # -- selection ---------------------------------------------------------------------

    def condition(self, clause: Clause) -> bool | None:
        """The value of the clause's `when`, or None when it has none or it fails."""
        if clause.meta.when is None:
            return None
        if clause.id in self.conditions:
            return self.conditions[clause.id]
        value: bool | None = None
        try:
            expression = self.environment.compile_expression(
                clause.meta.when, undefined_to_none=False
            )
            value = bool(expression(**self.context))
        except TemplateSyntaxError as exc:
            self.fail(clause.at("when"), f"when: not a valid condition: {exc.message}")
        except (UndefinedError, SecurityError) as exc:
            self.fail(
                clause.at("when"),
                f"when: {clause.meta.when!r} names something the spec does not have: {_plain(exc)}",
            )
        except TemplateError as exc:
            self.fail(clause.at("when"), f"when: {exc.message or type(exc).__name__}")
        self.conditions[clause.id] = value
        return value

    def choose(self) -> dict[str, _Choice]:
        levers = self.spec.clauses
        choices: dict[str, _Choice] = {}
        for slot in dict.fromkeys(
            c.meta.slot for c in self.library.clauses.values() if c.meta.slot
        ):
            choices.update(self.choose_position(slot))
        for clause in self.library.clauses.values():
            meta = clause.meta
            if clause.id in choices:
                continue
            if self.spec.document not in meta.documents:
                choices[clause.id] = _Choice(False, f"only in: {', '.join(meta.documents)}")
            elif clause.id in levers.exclude:
                choices[clause.id] = _Choice(False, "excluded by clauses.exclude")
            elif clause.id in levers.include:
                choices[clause.id] = _Choice(True, "included by clauses.include")
            elif meta.status != "approved":
                choices[clause.id] = _Choice(
                    False, f"status {meta.status}; only clauses.include brings it in"
                )
            elif meta.optional:
                choices[clause.id] = _Choice(False, "optional; only clauses.include brings it in")
            elif meta.when is None:
                choices[clause.id] = _Choice(True, "mandatory" if meta.mandatory else "always")
            else:
                value = self.condition(clause)
                choices[clause.id] = _Choice(
                    bool(value), f"when {meta.when} is {str(bool(value)).lower()}", value
                )
        return choices

    def choose_position(self, slot: str) -> dict[str, _Choice]:
        positions = self.positions(slot)
        if not positions:
            return {}
        eligible = [
            p for p in positions if p.meta.status == "approved" or p.id in self.spec.clauses.include
        ]
        chosen: Clause | None = None
        reason = ""
        if slot in self.spec.clauses.choose:
            chosen = next(p for p in positions if p.id == self.spec.clauses.choose[slot])
            reason = f"slot {slot}: chosen by clauses.choose"
        else:
            matching = [p for p in eligible if p.meta.when and self.condition(p)]
            defaults = [p for p in eligible if p.meta.default]
            if len(matching) > 1:
                names = " and ".join(p.id for p in matching)
                self.fail(
                    self.locate(("clauses",)),
                    f"slot {slot}: both {names} apply to this spec; pick one with clauses.choose",
                )
            elif matching:
                chosen = matching[0]
                reason = f"slot {slot}: when {chosen.meta.when} is true"
            elif len(defaults) == 1:
                chosen = defaults[0]
                reason = f"slot {slot}: default position"
            else:
                names = ", ".join(p.id for p in positions)
                self.fail(
                    self.locate(("clauses",)),
                    f"slot {slot}: no position applies to this "
                    f"spec and there is no single default (candidates: {names})",
                )
        result: dict[str, _Choice] = {}
        for position in positions:
            value = self.conditions.get(position.id)
            if chosen is not None and position.id == chosen.id:
                result[position.id] = _Choice(True, reason, value)
            else:
                other = chosen.id if chosen else "none"
                result[position.id] = _Choice(False, f"slot {slot}: {other} chosen", value)
        return result

    def check_dependencies(self, choices: dict[str, _Choice]) -> None:
        included = {cid for cid, choice in choices.items() if choice.included}
        clauses = self.library.clauses
        for clause_id in included:
            clause = clauses[clause_id]
            for index, required in enumerate(clause.meta.requires):
                if required not in included:
                    why = choices[required].reason if required in choices else "no such clause"
                    self.fail(
                        clause.at("requires", index),
                        f"requires: {clause_id} requires "
                        f"{required}, which is not in this agreement ({why})",
                    )
            for index, conflicting in enumerate(clause.meta.conflicts):
                if conflicting in included:
                    self.fail(
                        clause.at("conflicts", index),
                        f"conflicts: {clause_id} conflicts "
                        f"with {conflicting}, and both are in this agreement",
                    )

    # -- numbering and rendering -------------------------------------------------------

    def number(self, choices: dict[str, _Choice], sections: tuple[str, ...]) -> dict[str, str]:
        numbers: dict[str, str] = {}
        section_number = 0
        for section in sections:
            members = [
                c
                for c in self.library.clauses.values()
                if c.meta.section == section and choices[c.id].included
            ]
            if not members:
                continue
            section_number += 1
            for index, clause in enumerate(members, start=1):
                numbers[clause.id] = f"{section_number}.{index}"
        for clause_id, choice in choices.items():
            if choice.included and clause_id not in numbers:
                clause = self.library.clauses[clause_id]
                self.fail(
                    clause.at("section"),
                    f"section: {clause.meta.section!r} is not a "
                    f"section of the {self.spec.document} document",
                )
        self.raise_problems()
        return numbers

    def render(self, title: str, sections: tuple[str, ...], numbers: dict[str, str]) -> Agreement:
        clauses = self.library.clauses
        used: dict[str, Clause] = {}  # term -> first clause using it
        bodies: dict[str, tuple[Block, ...]] = {}
        for clause_id in numbers:
            clause = clauses[clause_id]
            bodies[clause_id] = self.render_markdown(
                clause, body_template(clause_id), clause.body, numbers, used
            )
        definitions = self.definitions(numbers, used)
        self.raise_problems()
        if definitions.entries:
            bodies[DEFINITIONS_CLAUSE] = (*bodies[DEFINITIONS_CLAUSE], definitions)
        built: list[Section] = []
        for section in sections:
            members = [clauses[c] for c in numbers if clauses[c].meta.section == section]
            if not members:
                continue
            number = numbers[members[0].id].split(".")[0]
            built.append(
                Section(
                    section,
                    number,
                    self.library.meta.sections[section].title,
                    tuple(
                        NumberedClause(
                            c.id,
                            numbers[c.id],
                            c.meta.title,
                            c.meta.version,
                            c.sha256,
                            c.path,
                            bodies[c.id],
                        )
                        for c in members
                    ),
                )
            )
        meta = self.library.meta
        info = LibraryInfo(meta.id, meta.title, meta.version, meta.license)
        return Agreement(self.spec.document, title, self.spec, info, tuple(built))

    def render_markdown(
        self,
        clause: Clause,
        name: str,
        source: str,
        numbers: dict[str, str],
        used: dict[str, Clause],
        *,
        where: Location | None = None,
    ) -> tuple[Block, ...]:
        """Render one Jinja-over-Markdown text of `clause` into blocks, recording term uses."""
        try:
            # Plain Markdown renders to itself: compiling it as a template costs ~1 ms each.
            is_template = "{{" in source or "{%" in source or "{#" in source
            template = self.environment.get_template(name) if is_template else None
            text = template.render(self.context) if template else source
        except TemplateSyntaxError as exc:
            self.fail(where or clause.body_location(exc.lineno), f"template: {exc.message}")
            return ()
        except (UndefinedError, SecurityError, MissingValueError, TemplateError) as exc:
            line = _template_line(exc)
            self.fail(where or clause.body_location(line), f"template: {_plain(exc)}")
            return ()

        def number_of(target: str) -> str:
            if target in numbers:
                return f"clause {numbers[target]}"
            line = _source_line(source, f"[[#{target}]]")
            state = (
                "no such clause"
                if target not in self.library.clauses
                else "it is not in this agreement"
            )
            self.fail(
                where or clause.body_location(line),
                f"{clause.id} refers to [[#{target}]], but {state}",
            )
            return "clause ?"

        def show_term(term: str, shown: str | None) -> str:
            used.setdefault(term, clause)
            return shown or term

        try:
            return to_blocks(text, number_of, show_term)
        except MarkdownError as exc:
            self.fail(where or clause.body_location(exc.line), exc.message)
            return ()

    def definitions(self, numbers: dict[str, str], used: dict[str, Clause]) -> Definitions:
        """Exactly the terms the agreement uses, each with its definition, sorted."""
        clauses = self.library.clauses
        defined: dict[str, Clause] = {}
        for clause_id in numbers:
            for term in clauses[clause_id].meta.defines:
                if term in defined:
                    self.fail(
                        clauses[clause_id].at("defines", term),
                        f"defines: {term!r} is also "
                        f"defined by {defined[term].id}, which is in this agreement",
                    )
                defined.setdefault(term, clauses[clause_id])
        entries: dict[str, tuple[Run, ...]] = {}
        pending = list(used)
        while pending:
            term = pending.pop()
            if term in entries:
                continue
            owner = defined.get(term)
            if owner is None:
                user = used[term]
                line = _source_line(user.body, f"[[{term}")
                self.fail(
                    user.body_location(line),
                    f"{user.id} uses [[{term}]], but no clause in this agreement defines it",
                )
                entries[term] = ()
                continue
            before = set(used)
            blocks = self.render_markdown(
                owner,
                definition_template(owner.id, term),
                owner.meta.defines[term],
                numbers,
                used,
                where=owner.at("defines", term),
            )
            pending.extend(t for t in used if t not in before)
            if blocks and (len(blocks) != 1 or not isinstance(blocks[0], Paragraph)):
                self.fail(owner.at("defines", term), f"defines: {term!r} must be one paragraph")
                continue
            entries[term] = blocks[0].runs if blocks and isinstance(blocks[0], Paragraph) else ()
        if entries and DEFINITIONS_CLAUSE not in numbers:
            first = next(iter(used.values()))
            self.fail(
                first.at("id"),
                "terms are used but the agreement has no "
                f"{DEFINITIONS_CLAUSE!r} clause to define them",
            )
        ordered = sorted(entries.items(), key=lambda item: (item[0].casefold(), item[0]))
        return Definitions(tuple(Definition(term, runs) for term, runs in ordered))


def _template_line(exc: BaseException) -> int:
    """The template line a Jinja runtime error happened on (Jinja rewrites tracebacks)."""
    line = 1
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _source_line(source: str, needle: str) -> int:
    index = source.find(needle)
    return source.count("\n", 0, index) + 1 if index >= 0 else 1


def _plain(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.replace("procuregen.spec.model.", "")
