"""The one error hierarchy: every failure a user can cause is a ProcuregenError."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """One located message: `file:line:col: message`."""

    location: Location
    message: str
    warning: bool = False  # a warning never stops a run, unless --strict makes it an error

    def __str__(self) -> str:
        return f"{self.location}: {'warning: ' if self.warning else ''}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.message)

    def as_error(self) -> Problem:
        """The same problem as an error (for --strict)."""
        return Problem(self.location, self.message)


class ProcuregenError(Exception):
    """Root of every error caused by a user's input; carries one or more located problems."""

    def __init__(self, problems: Problem | Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, location: Location, message: str) -> ProcuregenError:
        return cls(Problem(location, message))


class SpecError(ProcuregenError):
    """The agency's spec is not valid."""


class LibraryError(ProcuregenError):
    """The clause library cannot be loaded."""


class AssemblyError(ProcuregenError):
    """The spec and the library do not make an agreement."""


class RenderError(ProcuregenError):
    """An output document cannot be rendered."""


class OutputError(ProcuregenError):
    """An output cannot be written safely."""


class VerifyError(ProcuregenError):
    """A document does not match what its manifest says it was built from."""


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file, line and column order, duplicates removed."""
    return sorted(set(problems), key=Problem.sort_key)
