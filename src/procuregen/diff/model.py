"""The result of a comparison, shared by every renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Op = Literal["equal", "insert", "delete"]
Kind = Literal["added", "removed", "moved", "renumbered", "changed"]
KINDS: tuple[Kind, ...] = ("added", "removed", "moved", "renumbered", "changed")


@dataclass(frozen=True)
class Segment:
    """A run of text that both sides share, or that only B (insert) or only A (delete) has."""

    op: Op
    text: str


@dataclass(frozen=True)
class TextDiff:
    """A word-level redline of one text: a body, a definition, a clause's visible text."""

    label: str  # "body", "body (sv)", "definition of “Buyer”", "text"
    segments: tuple[Segment, ...]

    @property
    def changed(self) -> bool:
        return any(s.op != "equal" for s in self.segments)

    def words(self, op: Op) -> list[str]:
        """The words inserted or deleted, in order."""
        return [w for s in self.segments if s.op == op for w in s.text.split()]


@dataclass(frozen=True)
class ClauseDiff:
    """What happened to one clause between A and B."""

    id: str
    title: str
    section: str
    kinds: tuple[Kind, ...]
    notes: tuple[str, ...] = ()  # front matter changes in plain words
    texts: tuple[TextDiff, ...] = ()


@dataclass(frozen=True)
class ValueChange:
    """A spec value that differs between two agreements: field path, old and new (JSON)."""

    path: str
    old: str | None  # None: not set in A
    new: str | None  # None: not set in B


@dataclass(frozen=True)
class Comparison:
    subject: Literal["libraries", "agreements"]
    a: str  # how each side is named in the report
    b: str
    notes: tuple[str, ...] = ()  # changes of the library or agreement as a whole
    clauses: tuple[ClauseDiff, ...] = ()  # only the clauses that differ, in document order
    unchanged: int = 0  # clauses present on both sides and equal
    values: tuple[ValueChange, ...] = field(default=())

    @property
    def identical(self) -> bool:
        return not (self.notes or self.clauses or self.values)

    def count(self, kind: Kind) -> int:
        return sum(kind in c.kinds for c in self.clauses)

    def summary(self) -> str:
        parts = [f"{self.count(k)} {k}" for k in KINDS]
        line = ", ".join(parts) + f"; {self.unchanged} unchanged"
        if self.subject == "agreements":
            count = len(self.values)
            line += f"; {count} spec value{'s differ' if count != 1 else ' differs'}"
        return line
