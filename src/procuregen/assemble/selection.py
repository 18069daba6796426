"""Selection: which clauses a spec calls for, and why each is in or out.

Order for each clause: the document; clauses.exclude; the clause's slot (clauses.choose,
else the one position whose condition holds, else the default); clauses.include; status;
opt-in; its condition. Then requires and conflicts among the clauses that are in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from procuregen.errors import Location, Problem, ProcuregenError
from procuregen.library import Clause, Library
from procuregen.sandbox_failures import failure_message
from procuregen.spec import Spec
from procuregen.validation import field_path
from procuregen.yamlsource import Path as YamlPath

Locate = Callable[[YamlPath], Location]


@dataclass(frozen=True)
class Choice:
    included: bool
    reason: str
    condition_value: bool | None = None


@dataclass
class Selection:
    """Decides every clause of a library for one document of one spec."""

    spec: Spec
    library: Library
    document: str
    context: Mapping[str, Any]
    locate: Locate
    # Documents that this one embeds: a lever naming one of their clauses is valid here.
    also: tuple[str, ...] = ()
    # Embedded: levers that do not concern this document are ignored (the embedding
    # document has checked them).
    lenient: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conditions: dict[str, bool | None] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # The same as sets, once the levers are settled: each clause is looked up, not searched.
    included: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    choose: dict[str, str] = field(default_factory=dict)

    def fail(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def run(self) -> dict[str, Choice]:
        """Every clause's choice; problems and warnings are collected, not raised."""
        self.resolve_aliases()
        if self.lenient:
            self.keep_own_levers()
        else:
            self.check_levers()
        if self.problems:
            return {}
        self.included, self.excluded = frozenset(self.include), frozenset(self.exclude)
        choices = self.choose_all()
        self.check_dependencies(choices)
        self.warn_unapproved(choices)
        return choices

    # -- the spec's levers -------------------------------------------------------------

    def resolve_aliases(self) -> None:
        """Former clause ids in the spec's levers still work, with a warning to update them."""
        levers = self.spec.clauses

        def current(clause_id: str, path: YamlPath) -> str:
            if clause_id in self.library.clauses:
                return clause_id
            new = self.library.resolve_alias(clause_id)
            if new is None:
                return clause_id
            self.warnings.append(
                Problem(
                    self.locate(path),
                    f"{field_path(path)}: {clause_id!r} is a former id of {new!r} and is "
                    f"deprecated; write {new!r}",
                    warning=True,
                )
            )
            return new

        self.include = tuple(
            current(c, ("clauses", "include", i)) for i, c in enumerate(levers.include)
        )
        self.exclude = tuple(
            current(c, ("clauses", "exclude", i)) for i, c in enumerate(levers.exclude)
        )
        self.choose = {
            slot: current(position, ("clauses", "choose", slot))
            for slot, position in levers.choose.items()
        }

    def keep_own_levers(self) -> None:
        clauses = self.library.clauses

        def mine(clause_id: str) -> bool:
            clause = clauses.get(clause_id)
            return clause is not None and self.document in clause.meta.documents

        self.include = tuple(c for c in self.include if mine(c))
        self.exclude = tuple(c for c in self.exclude if mine(c))
        self.choose = {slot: p for slot, p in self.choose.items() if mine(p)}

    def check_levers(self) -> None:
        clauses = self.library.clauses
        documents = (self.document, *self.also)
        slots = self.library.slots
        for lever, ids in (("include", self.include), ("exclude", self.exclude)):
            for index, clause_id in enumerate(ids):
                where = self.locate(("clauses", lever, index))
                clause = clauses.get(clause_id)
                if clause is None:
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: no clause {clause_id!r} in "
                        f"library {self.library.id!r}",
                    )
                elif not set(documents) & set(clause.meta.documents):
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: {clause_id!r} is not part of a {self.document}",
                    )
                elif clause.meta.slot:
                    self.fail(
                        where,
                        f"clauses.{lever}[{index}]: {clause_id!r} is a position of "
                        f"slot {clause.meta.slot!r}; pick positions with clauses.choose",
                    )
                elif lever == "include" and clause.meta.status == "retired":
                    self.fail(
                        where,
                        f"clauses.include[{index}]: {clause_id!r} is retired and can no longer "
                        "go into an agreement",
                    )
                elif lever == "exclude" and clause.meta.mandatory:
                    self.fail(
                        where,
                        f"clauses.exclude[{index}]: {clause_id!r} is mandatory and cannot be "
                        "excluded",
                    )
        for slot, position in self.choose.items():
            where = self.locate(("clauses", "choose", slot))
            positions = [p for d in documents for p in self.positions(slot, d)]
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

    def positions(self, slot: str, document: str | None = None) -> list[Clause]:
        document = document or self.document
        return [c for c in self.library.slots.get(slot, ()) if document in c.meta.documents]

    # -- conditions and choices -----------------------------------------------------------

    def condition(self, clause: Clause) -> bool | None:
        """The value of the clause's `when`, or None when it has none or it fails."""
        if clause.meta.when is None:
            return None
        if clause.id in self.conditions:
            return self.conditions[clause.id]
        value: bool | None = None
        try:
            value = bool(self.library.condition(clause)(**self.context))
        except TemplateSyntaxError as exc:
            self.fail(clause.at("when"), f"when: not a valid condition: {exc.message}")
        except (UndefinedError, SecurityError) as exc:
            self.fail(
                clause.at("when"),
                f"when: {clause.meta.when!r} names something the spec does not have: {plain(exc)}",
            )
        except TemplateError as exc:
            self.fail(clause.at("when"), f"when: {exc.message or type(exc).__name__}")
        except ProcuregenError:
            raise
        except Exception as exc:  # anything else a condition can make fail: failure_message
            self.fail(clause.at("when"), f"when: {failure_message(exc)}")
        self.conditions[clause.id] = value
        return value

    def choose_all(self) -> dict[str, Choice]:
        choices: dict[str, Choice] = {}
        for slot in self.library.slots:
            choices.update(self.choose_position(slot))
        for clause in self.library.clauses.values():
            if clause.id not in choices:
                choices[clause.id] = self.choose_clause(clause)
        return choices

    def choose_clause(self, clause: Clause) -> Choice:
        meta = clause.meta
        if self.document not in meta.documents:
            return Choice(False, f"only in: {', '.join(meta.documents)}")
        if clause.id in self.excluded:
            return Choice(False, "excluded by clauses.exclude")
        if clause.id in self.included:
            return Choice(True, "included by clauses.include")
        if meta.status != "approved":
            return Choice(False, f"status {meta.status}; only clauses.include brings it in")
        if meta.optional:
            return Choice(False, "optional; only clauses.include brings it in")
        if meta.when is None:
            return Choice(True, "mandatory" if meta.mandatory else "always")
        value = self.condition(clause)
        return Choice(bool(value), f"when {meta.when} is {str(bool(value)).lower()}", value)

    def choose_position(self, slot: str) -> dict[str, Choice]:
        positions = self.positions(slot)
        if not positions:
            return {}
        eligible = [p for p in positions if p.meta.status == "approved" or p.id in self.included]
        chosen: Clause | None = None
        reason = ""
        if slot in self.choose:
            chosen = next(p for p in positions if p.id == self.choose[slot])
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
                    f"slot {slot}: no position applies to this spec and there is no single "
                    f"default (candidates: {names})",
                )
        result: dict[str, Choice] = {}
        for position in positions:
            value = self.conditions.get(position.id)
            if chosen is not None and position.id == chosen.id:
                result[position.id] = Choice(True, reason, value)
            else:
                other = chosen.id if chosen else "none"
                result[position.id] = Choice(False, f"slot {slot}: {other} chosen", value)
        return result

    def check_dependencies(self, choices: dict[str, Choice]) -> None:
        included = {cid for cid, choice in choices.items() if choice.included}
        clauses = self.library.clauses
        for clause_id in included:
            clause = clauses[clause_id]
            for index, required in enumerate(clause.meta.requires):
                if required not in included:
                    why = choices[required].reason if required in choices else "no such clause"
                    self.fail(
                        clause.at("requires", index),
                        f"requires: {clause_id} requires {required}, which is not in this "
                        f"agreement ({why})",
                    )
            for index, conflicting in enumerate(clause.meta.conflicts):
                if conflicting in included:
                    self.fail(
                        clause.at("conflicts", index),
                        f"conflicts: {clause_id} conflicts with {conflicting}, and both are in "
                        "this agreement",
                    )

    def warn_unapproved(self, choices: dict[str, Choice]) -> None:
        for clause_id, choice in choices.items():
            clause = self.library.clauses[clause_id]
            if choice.included and clause.meta.status != "approved":
                self.warnings.append(
                    Problem(
                        clause.at("status"),
                        f"status: {clause_id} is {clause.meta.status}, not approved, and goes "
                        f"into this {self.document} because clauses.include names it",
                        warning=True,
                    )
                )


def plain(exc: BaseException) -> str:
    """A Jinja error's message without the spec model's module path."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.replace("procuregen.spec.model.", "")
