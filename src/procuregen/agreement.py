"""The Agreement: the numbered document model that every renderer sees, and its Trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from procuregen.errors import Problem

if TYPE_CHECKING:
    from procuregen.spec import Spec


@dataclass(frozen=True)
class Run:
    """A piece of inline text with its emphasis; `term` or `target` when it is a reference."""

    text: str
    bold: bool = False
    italic: bool = False
    term: str | None = None  # a use of this defined term
    target: str | None = None  # a cross-reference to this clause id


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    kind: str = "paragraph"


@dataclass(frozen=True)
class ListItem:
    label: str  # "(a)", "(i)" or a bullet: the same in every output
    runs: tuple[Run, ...]
    sublist: ItemList | None = None


@dataclass(frozen=True)
class ItemList:
    ordered: bool
    level: int  # 1 or 2
    items: tuple[ListItem, ...]
    kind: str = "list"


@dataclass(frozen=True)
class Table:
    header: tuple[tuple[Run, ...], ...]
    rows: tuple[tuple[tuple[Run, ...], ...], ...]
    kind: str = "table"


@dataclass(frozen=True)
class Definition:
    term: str
    runs: tuple[Run, ...]  # the definition text, starting "means ..."


@dataclass(frozen=True)
class Definitions:
    entries: tuple[Definition, ...]
    kind: str = "definitions"


Block = Paragraph | ItemList | Table | Definitions


@dataclass(frozen=True)
class NumberedClause:
    """A clause as it stands in the agreement: numbered, rendered, traceable to its source."""

    id: str
    number: str  # unique in the agreement: "7.2"; "S3.2" for paragraph 2 of Schedule 3
    title: str
    version: str
    sha256: str
    path: str  # relative to the library root
    blocks: tuple[Block, ...]
    status: str = "approved"
    label: str = ""  # the number printed before the title; default: number
    approval: str = ""  # "approved by NAME on DATE" for this version; "" when it has none
    needs_approval: bool = False  # a position that needs approval whenever it is chosen

    @property
    def heading(self) -> str:
        return f"{self.label or self.number} {self.title}"


@dataclass(frozen=True)
class Section:
    """A numbered section of the body, or a schedule (printed after the signatures)."""

    id: str
    number: str
    title: str
    clauses: tuple[NumberedClause, ...]
    schedule: bool = False
    # The sections of another document that this schedule prints after its own clauses:
    # a framework's Call-Off Terms are the call-off document as the framework fixes it.
    terms: tuple[Section, ...] = ()
    caption: str = ""  # the heading in the agreement's language ("Bilaga 2: Prisbilaga")

    @property
    def heading(self) -> str:
        if self.caption:
            return self.caption
        if self.schedule:
            return f"Schedule {self.number}: {self.title}"
        return f"{self.number} {self.title}"

    @property
    def all_clauses(self) -> tuple[NumberedClause, ...]:
        return (*self.clauses, *(c for s in self.terms for c in s.clauses))


@dataclass(frozen=True)
class LibraryInfo:
    id: str
    title: str
    version: str
    license: str


@dataclass(frozen=True)
class Agreement:
    """Everything a renderer may show: the spec, the library and the numbered sections."""

    document: str  # framework | call-off
    title: str  # the document type's title, e.g. "Call-Off Contract"
    spec: Spec
    library: LibraryInfo
    sections: tuple[Section, ...]
    schedules: tuple[Section, ...] = ()
    language: str = "en"
    # A bilingual agreement: the same agreement in its second language, clause for clause.
    parallel: Agreement | None = None

    @property
    def clauses(self) -> tuple[NumberedClause, ...]:
        """Every clause printed, body and schedules, embedded terms included."""
        return tuple(c for s in (*self.sections, *self.schedules) for c in s.all_clauses)


@dataclass(frozen=True)
class Decision:
    """Why one library clause is in the agreement or out of it."""

    clause: str
    title: str
    section: str
    included: bool
    reason: str
    number: str | None = None
    condition: str | None = None
    condition_value: bool | None = None
    slot: str | None = None
    status: str = "approved"
    language: str | None = None  # the language version that went in: "en", "sv"


@dataclass(frozen=True)
class Trace:
    document: str
    decisions: tuple[Decision, ...] = field(default_factory=tuple)
    # The decisions for the terms a schedule embeds (a framework's Call-Off Terms).
    terms: tuple[Decision, ...] = field(default_factory=tuple)
    warnings: tuple[Problem, ...] = field(default_factory=tuple)

    def decision(self, clause_id: str) -> Decision:
        return next(d for d in self.decisions if d.clause == clause_id)
