"""The visible text of a drafted DOCX or PDF, clause by clause, and the words that differ.

The text is split at the headings the Agreement model prints (sections, clauses,
schedules and their paragraphs, the sections of embedded Call-Off Terms), searched
from the end of the document backwards, so that the table of contents, which repeats
every heading, falls into the front matter. A document and a fresh draft are read by
the same extractor and compared word by word, so line breaks, page breaks, runs and
styles do not count; the words do.

- DOCX: the paragraphs of `word/document.xml` in order (text, tabs and line breaks;
  not field instructions or deleted text), read through the bounded zip reader and
  lxml. Headers and footers are not compared.
- PDF: `pdftotext` (poppler) when it is installed, else pypdf; the running header and
  footer of each page ("Page 3 of 40") are left out.
"""

from __future__ import annotations

import difflib
import io
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from procuregen.agreement import Agreement
from procuregen.archive import open_zip
from procuregen.errors import Location, VerifyError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FRONT = "the cover page and contents"
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


class UnreadableText(Exception):
    """The document's text cannot be extracted."""


@dataclass(frozen=True)
class Part:
    """A stretch of the document: the front matter, or a heading and what follows it."""

    name: str  # "clause 10.2 Limitation of Liability (liability-cap-mutual)"
    heading: str  # "" for the front matter


@dataclass(frozen=True)
class TextDifference:
    part: str
    changes: tuple[str, ...]  # '"150" is now "100"'; or why the part cannot be compared


def parts(agreement: Agreement) -> list[Part]:
    """Every heading the agreement prints, in order, after the front matter."""
    found = [Part(FRONT, "")]
    for section in (*agreement.sections, *agreement.schedules):
        found.append(Part(section.heading, section.heading))
        for clause in section.clauses:
            found.append(Part(f"clause {clause.heading} ({clause.id})", clause.heading))
        for term in section.terms:
            within = f"{section.heading}, {term.heading}"
            found.append(Part(within, term.heading))
            for clause in term.clauses:
                found.append(Part(f"{within}, {clause.heading} ({clause.id})", clause.heading))
    return found


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def lines_of(data: bytes, kind: str) -> list[str]:
    """The visible lines (DOCX: paragraphs) of a document, in reading order."""
    try:
        return _docx_lines(data) if kind == "docx" else _pdf_lines(data)
    except UnreadableText:
        raise
    except Exception as exc:
        raise UnreadableText(f"{type(exc).__name__}: {exc}") from None


def _docx_lines(data: bytes) -> list[str]:
    from lxml import etree

    # Read within the bounds a forged zip cannot get past (`archive.py`).
    with open_zip(data, Location("word/document.xml"), VerifyError) as package:
        xml = package.read("word/document.xml")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml, parser)
    paragraph, text, tab, br, cr = (f"{{{W}}}{t}" for t in ("p", "t", "tab", "br", "cr"))
    lines: list[str] = []
    for element in root.iter(paragraph):
        pieces = []
        for item in element.iter(text, tab, br, cr):
            # Only this paragraph's own text, not a nested one's (text boxes).
            owner = next(item.iterancestors(paragraph), None)
            if owner is not element:
                continue
            pieces.append(item.text or "" if item.tag == text else " ")
        lines.append("".join(pieces))
    return lines


def _pdf_lines(data: bytes) -> list[str]:
    pages = _pdftotext_pages(data) if shutil.which("pdftotext") else None
    if pages is None:
        pages = _pypdf_pages(data)
    return [line for page in _without_running_lines(pages) for line in page]


def _pdftotext_pages(data: bytes) -> list[list[str]] | None:
    with tempfile.TemporaryDirectory(prefix="procuregen-") as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(data)
        try:
            done = subprocess.run(
                ["pdftotext", "-q", "-enc", "UTF-8", str(source), "-"],
                capture_output=True,
                timeout=300,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace")
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [page.splitlines() for page in pages]


def _pypdf_pages(data: bytes) -> list[list[str]]:
    from pypdf import PdfReader

    from procuregen.revisions import quiet_pypdf

    with quiet_pypdf():
        reader = PdfReader(io.BytesIO(data))
        return [(page.extract_text() or "").splitlines() for page in reader.pages]


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Each page without its running header and footer: a line among the first or last
    two of a page that, digits aside, opens or closes at least half of the pages."""
    edges = [_edges(page) for page in pages]
    counts = Counter(line for edge in edges for line in set(edge.values()))
    running = {
        line for line, count in counts.items() if len(pages) >= 2 and count * 2 >= len(pages)
    }
    kept = []
    for page, edge in zip(pages, edges, strict=True):
        drop = {index for index, line in edge.items() if line in running}
        kept.append([line for index, line in enumerate(page) if index not in drop])
    return kept


def _edges(page: list[str]) -> dict[int, str]:
    """The first two and last two non-blank lines of a page by index, digits masked."""
    filled = [index for index, line in enumerate(page) if line.strip()]
    chosen = filled[:2] + filled[-2:]
    return {index: _DIGITS.sub("#", normalize(page[index])) for index in chosen}


def split(lines: list[str], layout: list[Part]) -> dict[str, str | None]:
    """The text of each part (None when its heading is not in the document)."""
    normal = [normalize(line) for line in lines]
    starts: list[tuple[int, int] | None] = [None] * len(layout)  # (line, heading lines)
    limit = len(normal)
    for index in range(len(layout) - 1, 0, -1):
        found = _find(normal, normalize(layout[index].heading), limit)
        if found is not None:
            starts[index] = found
            limit = found[0]
    starts[0] = (0, 0)
    text: dict[str, str | None] = {}
    located = [(i, s) for i, s in enumerate(starts) if s is not None]
    for position, (index, (line, size)) in enumerate(located):
        end = located[position + 1][1][0] if position + 1 < len(located) else len(normal)
        text[layout[index].name] = normalize(" ".join(normal[line + size : end]))
    for index, start in enumerate(starts):
        if start is None:
            text[layout[index].name] = None
    return text


def _find(normal: list[str], heading: str, limit: int) -> tuple[int, int] | None:
    """The last line before `limit` that is the heading (or starts it, wrapped once)."""
    for line in range(limit - 1, -1, -1):
        if normal[line] == heading:
            return line, 1
        if (
            line + 1 < limit
            and heading.startswith(normal[line] + " ")
            and f"{normal[line]} {normal[line + 1]}" == heading
        ):
            return line, 2
    return None


def compare(
    expected: bytes, actual: bytes, kind: str, agreement: Agreement
) -> list[TextDifference]:
    """The parts whose visible text differs between a fresh draft and a document."""
    layout = parts(agreement)
    fresh = split(lines_of(expected, kind), layout)
    found = split(lines_of(actual, kind), layout)
    differences: list[TextDifference] = []
    for part in layout:
        before, after = fresh.get(part.name), found.get(part.name)
        if before == after:
            continue
        if after is None:
            differences.append(TextDifference(part.name, ("its heading is not in the document",)))
        elif before is None:  # the fresh draft's own text could not be split: say so
            differences.append(TextDifference(part.name, ("cannot be located in a fresh draft",)))
        else:
            differences.append(TextDifference(part.name, tuple(word_changes(before, after))))
    return differences


def word_changes(before: str, after: str, most: int = 6) -> list[str]:
    """The words that differ, in plain words: '"150" is now "100"'."""
    old, new = before.split(), after.split()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        context = _quote(old[max(i1 - 4, 0) : i1], tail=True)
        where = f" after {context}" if context else " at the start"
        if tag == "replace":
            changes.append(f"{_quote(old[i1:i2])} is now {_quote(new[j1:j2])}{where}")
        elif tag == "delete":
            changes.append(f"{_quote(old[i1:i2])} was removed{where}")
        else:
            changes.append(f"{_quote(new[j1:j2])} was added{where}")
    if len(changes) > most:
        changes[most:] = [f"and {len(changes) - most} more changes"]
    return changes or ["only the spacing differs"]


def _quote(words: list[str], *, tail: bool = False, most: int = 12) -> str:
    if not words:
        return ""
    if len(words) > most:
        words = ["…", *words[-most:]] if tail else [*words[:most], "…"]
    return f'"{" ".join(words)}"'
