"""Numbering: body sections 1, 2, ... with clauses 1.1, 1.2, ...; then schedules 1, 2, ...
with paragraphs 1, 2, ... each. What a cross-reference prints is decided here too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from procuregen.errors import Problem
from procuregen.library import Library
from procuregen.spec.model import DocumentKind

from .selection import Choice


@dataclass(frozen=True)
class Number:
    key: str  # unique in the agreement: "7.2" in the body, "S3.2" in Schedule 3
    label: str  # as printed before the heading: "7.2", or "2" in a schedule
    reference: str  # as a cross-reference prints it: "clause 7.2", "paragraph 2 of Schedule 3"


@dataclass(frozen=True)
class Part:
    """A numbered section or schedule and the ids of its clauses, in order."""

    id: str
    schedule: bool
    number: str  # "7", or the schedule's number "3"
    title: str
    clauses: tuple[str, ...]
    embeds: DocumentKind | None = None

    @property
    def reference(self) -> str:
        return (
            f"Schedule {self.number} ({self.title})" if self.schedule else f"clause {self.number}"
        )


@dataclass(frozen=True)
class Numbering:
    parts: tuple[Part, ...]
    numbers: Mapping[str, Number]  # by clause id

    def reference(self, target: str) -> str | None:
        """What `[[#target]]` prints: a clause's number, or a schedule's; None if absent."""
        if target in self.numbers:
            return self.numbers[target].reference
        for part in self.parts:
            if part.schedule and part.id == target:
                return part.reference
        return None


def number(
    library: Library, document: DocumentKind, choices: Mapping[str, Choice]
) -> tuple[Numbering, list[Problem]]:
    """Number every included clause; a clause whose section the document lacks is a problem."""
    meta = library.meta.documents[document]
    members: dict[str, list[str]] = {part: [] for part in meta.parts}
    problems: list[Problem] = []
    for clause in library.clauses.values():
        if not choices[clause.id].included:
            continue
        if clause.meta.section in members:
            members[clause.meta.section].append(clause.id)
        else:
            problems.append(
                Problem(
                    clause.at("section"),
                    f"section: {clause.meta.section!r} is not a section of the {document} document",
                )
            )
    parts: list[Part] = []
    numbers: dict[str, Number] = {}
    sections = library.meta.sections
    for kind, ids in (("section", meta.sections), ("schedule", meta.schedules)):
        count = 0
        for section in ids:
            clause_ids = members[section]
            embeds = sections[section].embeds
            if not clause_ids and embeds is None:
                continue  # an empty section is left out and the numbering closes up
            count += 1
            schedule = kind == "schedule"
            for index, clause_id in enumerate(clause_ids, start=1):
                if schedule:
                    numbers[clause_id] = Number(
                        f"S{count}.{index}", str(index), f"paragraph {index} of Schedule {count}"
                    )
                else:
                    label = f"{count}.{index}"
                    numbers[clause_id] = Number(label, label, f"clause {label}")
            parts.append(
                Part(
                    section,
                    schedule,
                    str(count),
                    sections[section].title,
                    tuple(clause_ids),
                    embeds,
                )
            )
    return Numbering(tuple(parts), numbers), problems
