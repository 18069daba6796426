"""Comparing: two clause libraries (folders or git revisions) or two drafted agreements.

`compare` reads both sides into a `Comparison`; `render` prints it as text, HTML or a
DOCX with Word tracked changes.
"""

from __future__ import annotations

from pathlib import Path

from procuregen.diff.model import Comparison
from procuregen.errors import Location, Problem, ProcuregenError

FORMATS = ("text", "html", "docx")


def side_kind(side: str) -> str:
    """`library` for a folder or `git:REV`, `agreement` for a DOCX or PDF file."""
    if side.startswith("git:"):
        return "library"
    path = Path(side)
    if path.is_dir():
        return "library"
    if path.is_file() and path.suffix.lower() in (".docx", ".pdf"):
        return "agreement"
    if path.exists():
        return _neither(side)
    raise ProcuregenError(Problem(Location(side), "no such folder or file"))


def _neither(side: str) -> str:
    raise ProcuregenError(
        Problem(Location(side), "neither a library folder nor a drafted DOCX or PDF")
    )


def compare(a: str, b: str, library_dir: Path | None = None) -> Comparison:
    """Compare two libraries or two agreements; raise ProcuregenError on bad input."""
    kinds = (side_kind(a), side_kind(b))
    if kinds[0] != kinds[1]:
        raise ProcuregenError(
            Problem(
                Location(b),
                f"is a{'n' if kinds[1] == 'agreement' else ''} {kinds[1]}, but {a} is "
                f"a{'n' if kinds[0] == 'agreement' else ''} {kinds[0]}: "
                "compare two libraries or two agreements",
            )
        )
    if kinds[0] == "library":
        from procuregen.diff.libraries import compare_libraries

        return compare_libraries(a, b, library_dir)
    from procuregen.diff.agreements import compare_agreements

    return compare_agreements(Path(a), Path(b))


def render(comparison: Comparison, output_format: str) -> bytes:
    """The comparison in one of FORMATS."""
    if output_format == "html":
        from procuregen.diff.html import render_html

        return render_html(comparison).encode("utf-8")
    if output_format == "docx":
        from procuregen.diff.docx import render_docx

        return render_docx(comparison)
    from procuregen.diff.text import render_text

    return render_text(comparison).encode("utf-8")


__all__ = ["FORMATS", "Comparison", "compare", "render", "side_kind"]
