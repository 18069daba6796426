"""Numbering: body sections 1, 2, ... with clauses 1.1, 1.2, ...; then schedules 1, 2, ...
with paragraphs 1, 2, ... each. What a cross-reference prints is decided here too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from procuregen.errors import Problem
from procuregen.library import Library
from procuregen.messages import gettext
from procuregen.spec.model import DocumentKind

from .selection import Choice


@dataclass(frozen=True)
class Number:
    key: str  # unique in the agreement: "7.2" in the body, "S3.2" in Schedule 3
    label: str  # as printed before the heading: "7.2", or "2" in a schedule
    reference: str  # as a cross-reference prints it: "clause 7.2", "paragraph 2 of Schedule 3"
    anchor: str  # the target's id in the rendered document: "clause-acceptance"


@dataclass(frozen=True)
class Part:
    """A numbered section or schedule and the ids of its clauses, in order."""

    id: str
    schedule: bool
    number: str  # "7", or the schedule's number "3"
    title: str
    clauses: tuple[str, ...]
    embeds: DocumentKind | None = None
    anchor: str = ""
    reference: str = ""  # "Schedule 3 (Price Schedule)"; "" for a body section
    heading: str = ""  # "Schedule 3: Price Schedule", "7 Term and Termination"


@dataclass(frozen=True)
class Numbering:
    parts: tuple[Part, ...]
    numbers: Mapping[str, Number]  # by clause id
    # The embedding document's numbering: embedded terms refer to its schedules.
    outer: Numbering | None = None

    def reference(self, target: str) -> tuple[str, str] | None:
        """What `[[#target]]` prints, a clause's number or a schedule's, and the target's
        anchor; None if the target is not in the document."""
        if target in self.numbers:
            number = self.numbers[target]
            return number.reference, number.anchor
        for part in self.parts:
            if part.schedule and part.id == target:
                return part.reference, part.anchor
        return self.outer.reference(target) if self.outer is not None else None


def number(
    library: Library,
    document: DocumentKind,
    choices: Mapping[str, Choice],
    language: str,
    outer: Numbering | None = None,
) -> tuple[Numbering, list[Problem]]:
    """Number every included clause; a clause whose section the document lacks is a problem.

    Embedded in `outer`, a document has no schedules of its own: its references to
    schedules are to the embedding document's.
    """
    meta = library.meta.documents[document]
    schedules = meta.schedules if outer is None else ()
    members: dict[str, list[str]] = {part: [] for part in (*meta.sections, *schedules)}
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
    prefix = "" if outer is None else "terms-"  # anchors of embedded terms stay distinct

    def words(message: str, **values: str) -> str:
        return gettext(language, message).format(**values)

    sections = library.meta.sections
    for kind, ids in (("section", meta.sections), ("schedule", schedules)):
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
                        f"S{count}.{index}",
                        str(index),
                        words(
                            "paragraph {paragraph} of Schedule {schedule}",
                            paragraph=str(index),
                            schedule=str(count),
                        ),
                        f"{prefix}clause-{clause_id}",
                    )
                else:
                    label = f"{count}.{index}"
                    numbers[clause_id] = Number(
                        label,
                        label,
                        words("clause {number}", number=label),
                        f"{prefix}clause-{clause_id}",
                    )
            title = library.section_title(section, language)
            if schedule:
                reference = words("Schedule {number} ({title})", number=str(count), title=title)
                heading = words("Schedule {number}: {title}", number=str(count), title=title)
            else:
                reference, heading = "", f"{count} {title}"
            parts.append(
                Part(
                    section,
                    schedule,
                    str(count),
                    title,
                    tuple(clause_ids),
                    embeds,
                    f"{prefix}section-{section}",
                    reference,
                    heading,
                )
            )
    return Numbering(tuple(parts), numbers, outer), problems
